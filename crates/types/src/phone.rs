use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A French phone number in national form, 10 digits starting with 0 (`0612345678`).
/// Numbers typed with `+33`, `0033`, or an overseas prefix (`+262`, `+590`, `+594`, `+596`, `+269`)
/// are brought back to the national form, since that is how the département calls back.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Phone(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PhoneError {
    #[error("Saisissez votre numéro de téléphone")]
    Empty,
    #[error("Saisissez un numéro de téléphone français, par exemple 01 23 45 67 89 ou +33 1 23 45 67 89")]
    Invalid,
}

const OVERSEAS: &[&str] = &["262", "590", "594", "596", "269"];

impl Phone {
    /// Parses what people type: spaces, dots, dashes, brackets and a `(0)` after the country code are ignored.
    pub fn parse(input: &str) -> Result<Self, PhoneError> {
        let trimmed = input.trim();
        if trimmed.is_empty() {
            return Err(PhoneError::Empty);
        }
        let without_trunk = trimmed.replace("(0)", "");
        let plus = without_trunk.trim_start().starts_with('+');
        let digits: String = without_trunk
            .chars()
            .filter(|c| {
                !c.is_whitespace() && !matches!(c, '.' | '-' | '(' | ')' | '+' | '/' | '\u{a0}' | '\u{202f}')
            })
            .collect();
        if !digits.chars().all(|c| c.is_ascii_digit()) {
            return Err(PhoneError::Invalid);
        }
        let international = if plus {
            Some(digits.as_str())
        } else {
            digits.strip_prefix("00")
        };
        let national = match international {
            Some(rest) => {
                if let Some(n) = rest.strip_prefix("33") {
                    format!("0{n}")
                } else if let Some(code) = OVERSEAS.iter().find(|c| rest.starts_with(**c)) {
                    format!("0{}", &rest[code.len()..])
                } else {
                    return Err(PhoneError::Invalid);
                }
            }
            None => digits,
        };
        let b = national.as_bytes();
        if b.len() != 10 || b[0] != b'0' || b[1] == b'0' {
            return Err(PhoneError::Invalid);
        }
        Ok(Phone(national))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Grouped by pairs, as French people write it: `06 12 34 56 78`.
    pub fn formatted(&self) -> String {
        let b: Vec<char> = self.0.chars().collect();
        b.chunks(2)
            .map(|c| c.iter().collect::<String>())
            .collect::<Vec<_>>()
            .join(" ")
    }
}

impl FromStr for Phone {
    type Err = PhoneError;
    fn from_str(s: &str) -> Result<Self, PhoneError> {
        Phone::parse(s)
    }
}

impl TryFrom<String> for Phone {
    type Error = PhoneError;
    fn try_from(s: String) -> Result<Self, PhoneError> {
        Phone::parse(&s)
    }
}

impl From<Phone> for String {
    fn from(p: Phone) -> String {
        p.0
    }
}

impl fmt::Display for Phone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spaces_and_dots_are_ignored() {
        assert_eq!(Phone::parse("06 12.34-56 78").unwrap().as_str(), "0612345678");
    }

    #[test]
    fn plus_33_becomes_a_leading_zero() {
        assert_eq!(Phone::parse("+33 6 12 34 56 78").unwrap().as_str(), "0612345678");
        assert_eq!(
            Phone::parse("+33 (0)6 12 34 56 78").unwrap().as_str(),
            "0612345678"
        );
        assert_eq!(Phone::parse("0033612345678").unwrap().as_str(), "0612345678");
    }

    #[test]
    fn a_reunion_number_with_its_country_code_is_accepted() {
        assert_eq!(Phone::parse("+262 692 12 34 56").unwrap().as_str(), "0692123456");
    }

    #[test]
    fn nine_digits_are_refused() {
        assert_eq!(Phone::parse("06 12 34 56 7"), Err(PhoneError::Invalid));
    }

    #[test]
    fn a_foreign_number_is_refused() {
        assert_eq!(Phone::parse("+44 20 7946 0958"), Err(PhoneError::Invalid));
    }

    #[test]
    fn letters_are_refused() {
        assert_eq!(Phone::parse("06 12 AB 56 78"), Err(PhoneError::Invalid));
    }

    #[test]
    fn formatted_groups_by_pairs() {
        assert_eq!(Phone::parse("0612345678").unwrap().formatted(), "06 12 34 56 78");
    }
}
