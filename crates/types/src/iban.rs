use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// An IBAN (ISO 13616), stored upper-case without spaces, checked with the mod-97 rule.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Iban(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IbanError {
    #[error("Saisissez votre IBAN")]
    Empty,
    #[error("L’IBAN doit commencer par le code du pays et 2 chiffres, par exemple FR76")]
    InvalidStart,
    #[error("L’IBAN ne doit contenir que des lettres et des chiffres")]
    InvalidCharacters,
    #[error("L’IBAN doit contenir {expected} caractères")]
    WrongLength { expected: usize },
    #[error("L’IBAN n’est pas valide : recopiez-le depuis votre RIB")]
    WrongChecksum,
}

/// IBAN lengths for the countries a French social-aid applicant is likely to bank in (SEPA area).
/// Other countries get the generic 15–34 bound.
const LENGTHS: &[(&str, usize)] = &[
    ("FR", 27),
    ("MC", 27),
    ("AD", 24),
    ("BE", 16),
    ("CH", 21),
    ("DE", 22),
    ("ES", 24),
    ("GB", 22),
    ("IT", 27),
    ("LU", 20),
    ("NL", 18),
    ("PT", 25),
    ("AT", 20),
    ("IE", 22),
    ("PL", 28),
    ("RO", 24),
    ("GR", 27),
    ("FI", 18),
    ("SE", 24),
    ("DK", 18),
    ("NO", 15),
];

impl Iban {
    /// Parses what people type: spaces and dashes are ignored, letters are upper-cased.
    pub fn parse(input: &str) -> Result<Self, IbanError> {
        let s: String = input
            .chars()
            .filter(|c| !c.is_whitespace() && !matches!(c, '-' | '\u{a0}' | '\u{202f}'))
            .flat_map(char::to_uppercase)
            .collect();
        if s.is_empty() {
            return Err(IbanError::Empty);
        }
        if !s.chars().all(|c| c.is_ascii_alphanumeric()) {
            return Err(IbanError::InvalidCharacters);
        }
        let b = s.as_bytes();
        if b.len() < 4
            || !b[0].is_ascii_uppercase()
            || !b[1].is_ascii_uppercase()
            || !b[2].is_ascii_digit()
            || !b[3].is_ascii_digit()
        {
            return Err(IbanError::InvalidStart);
        }
        let expected = LENGTHS.iter().find(|(c, _)| *c == &s[0..2]).map(|(_, l)| *l);
        match expected {
            Some(expected) if s.len() != expected => return Err(IbanError::WrongLength { expected }),
            None if !(15..=34).contains(&s.len()) => return Err(IbanError::WrongLength { expected: 34 }),
            _ => {}
        }
        // ISO 13616: move the first 4 characters to the end, letters become 10..35, remainder must be 1.
        let mut rem: u32 = 0;
        for c in s[4..].chars().chain(s[..4].chars()) {
            let v = c.to_digit(36).ok_or(IbanError::InvalidCharacters)?;
            rem = if v >= 10 {
                (rem * 100 + v) % 97
            } else {
                (rem * 10 + v) % 97
            };
        }
        if rem != 1 {
            return Err(IbanError::WrongChecksum);
        }
        Ok(Iban(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Grouped by 4 as on a RIB: `FR76 3000 6000 0112 3456 7890 189`.
    pub fn formatted(&self) -> String {
        let chars: Vec<char> = self.0.chars().collect();
        chars
            .chunks(4)
            .map(|c| c.iter().collect::<String>())
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// Masked for summaries and logs: only the country and the last 4 characters are shown.
    pub fn masked(&self) -> String {
        let n = self.0.len();
        format!("{} •••• {}", &self.0[0..4], &self.0[n.saturating_sub(4)..])
    }
}

impl FromStr for Iban {
    type Err = IbanError;
    fn from_str(s: &str) -> Result<Self, IbanError> {
        Iban::parse(s)
    }
}

impl TryFrom<String> for Iban {
    type Error = IbanError;
    fn try_from(s: String) -> Result<Self, IbanError> {
        Iban::parse(&s)
    }
}

impl From<Iban> for String {
    fn from(i: Iban) -> String {
        i.0
    }
}

impl fmt::Display for Iban {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_french_iban_typed_in_groups_is_accepted() {
        let iban = Iban::parse("fr76 3000 6000 0112 3456 7890 189").unwrap();
        assert_eq!(iban.as_str(), "FR7630006000011234567890189");
        assert_eq!(iban.formatted(), "FR76 3000 6000 0112 3456 7890 189");
    }

    #[test]
    fn a_belgian_iban_is_accepted() {
        assert!(Iban::parse("BE68 5390 0754 7034").is_ok());
    }

    #[test]
    fn one_wrong_digit_fails_the_checksum() {
        assert_eq!(
            Iban::parse("FR7630006000011234567890188"),
            Err(IbanError::WrongChecksum)
        );
    }

    #[test]
    fn a_short_french_iban_names_the_expected_length() {
        let e = Iban::parse("FR76300060000112345678901").unwrap_err();
        assert_eq!(e.to_string(), "L’IBAN doit contenir 27 caractères");
    }

    #[test]
    fn an_iban_without_country_code_is_refused() {
        assert_eq!(
            Iban::parse("7630006000011234567890189"),
            Err(IbanError::InvalidStart)
        );
    }

    #[test]
    fn punctuation_is_refused() {
        assert_eq!(Iban::parse("FR76/3000"), Err(IbanError::InvalidCharacters));
    }

    #[test]
    fn masking_keeps_the_country_and_last_four() {
        let iban = Iban::parse("FR7630006000011234567890189").unwrap();
        assert_eq!(iban.masked(), "FR76 •••• 0189");
    }
}
