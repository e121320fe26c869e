use std::fmt;
use std::iter::Sum;
use std::ops::{Add, Sub};
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::grouped;

/// An amount of money in integer cents. Amounts are never `f64`: the law rounds to the cent, and only
/// where it says so.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Euros(i64);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EurosError {
    #[error("Saisissez un montant en euros, par exemple 1 250,50")]
    Invalid,
    #[error("Le montant est trop grand")]
    TooLarge,
}

impl Euros {
    pub const ZERO: Euros = Euros(0);

    pub const fn from_cents(cents: i64) -> Self {
        Euros(cents)
    }

    pub const fn cents(self) -> i64 {
        self.0
    }

    pub fn max(self, other: Euros) -> Euros {
        Euros(self.0.max(other.0))
    }

    pub fn min(self, other: Euros) -> Euros {
        Euros(self.0.min(other.0))
    }

    /// Parses what people type: `1250`, `1 250,50`, `1250.5`, `1 250,50 €`. At most two decimals.
    pub fn parse(input: &str) -> Result<Self, EurosError> {
        let cleaned: String = input
            .trim()
            .trim_end_matches('€')
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '\u{202f}' && *c != '\u{a0}')
            .collect();
        let cleaned = cleaned.replace(',', ".");
        let (negative, digits) = match cleaned.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, cleaned.as_str()),
        };
        let (whole, frac) = match digits.split_once('.') {
            Some((w, f)) => (w, f),
            None => (digits, ""),
        };
        if whole.is_empty() && frac.is_empty() {
            return Err(EurosError::Invalid);
        }
        if !whole.chars().all(|c| c.is_ascii_digit()) || !frac.chars().all(|c| c.is_ascii_digit()) {
            return Err(EurosError::Invalid);
        }
        if frac.len() > 2 {
            return Err(EurosError::Invalid);
        }
        if whole.len() > 13 {
            return Err(EurosError::TooLarge);
        }
        let whole: i64 = if whole.is_empty() {
            0
        } else {
            whole.parse().map_err(|_| EurosError::Invalid)?
        };
        let frac_cents: i64 = match frac.len() {
            0 => 0,
            1 => frac.parse::<i64>().map_err(|_| EurosError::Invalid)? * 10,
            _ => frac.parse().map_err(|_| EurosError::Invalid)?,
        };
        let cents = whole * 100 + frac_cents;
        Ok(Euros(if negative { -cents } else { cents }))
    }
}

impl FromStr for Euros {
    type Err = EurosError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Euros::parse(s)
    }
}

impl Add for Euros {
    type Output = Euros;
    fn add(self, rhs: Euros) -> Euros {
        Euros(self.0 + rhs.0)
    }
}

impl Sub for Euros {
    type Output = Euros;
    fn sub(self, rhs: Euros) -> Euros {
        Euros(self.0 - rhs.0)
    }
}

impl Sum for Euros {
    fn sum<I: Iterator<Item = Euros>>(iter: I) -> Euros {
        Euros(iter.map(|e| e.0).sum())
    }
}

/// French formatting: `1 682,30 €` with a narrow no-break space between thousands. Written into a stack
/// buffer with one `write_str`: the simulators print a dozen amounts per result, and two heap strings per
/// amount were 40 % of the time of an APA simulation (callgrind).
impl fmt::Display for Euros {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Longest (i64::MIN): '-' + 17 digits + 5 separators of 3 bytes + ',' + 2 digits + NBSP (2) + '€' (3).
        let mut buf = [0u8; 48];
        let tail = "\u{a0}€".as_bytes();
        let mut end = buf.len() - tail.len();
        buf[end..].copy_from_slice(tail);
        let abs = self.0.unsigned_abs();
        let cents = (abs % 100) as u8;
        end -= 3;
        buf[end..end + 3].copy_from_slice(&[b',', b'0' + cents / 10, b'0' + cents % 10]);
        end = grouped::put_grouped(&mut buf, end, abs / 100);
        if self.0 < 0 {
            end -= 1;
            buf[end] = b'-';
        }
        f.write_str(grouped::as_str(&buf[end..])?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn french_and_english_decimal_separators_are_accepted() {
        assert_eq!(Euros::parse("1 250,50"), Ok(Euros::from_cents(125_050)));
        assert_eq!(Euros::parse("1250.5"), Ok(Euros::from_cents(125_050)));
        assert_eq!(Euros::parse("1 250,50 €"), Ok(Euros::from_cents(125_050)));
        assert_eq!(Euros::parse("0,07"), Ok(Euros::from_cents(7)));
    }

    #[test]
    fn more_than_two_decimals_or_letters_are_rejected() {
        assert_eq!(Euros::parse("12,345"), Err(EurosError::Invalid));
        assert_eq!(Euros::parse("douze"), Err(EurosError::Invalid));
        assert_eq!(Euros::parse(""), Err(EurosError::Invalid));
        assert_eq!(Euros::parse("99999999999999"), Err(EurosError::TooLarge));
    }

    #[test]
    fn display_groups_thousands_the_french_way() {
        assert_eq!(Euros::from_cents(168_230).to_string(), "1\u{202f}682,30\u{a0}€");
        assert_eq!(Euros::from_cents(5).to_string(), "0,05\u{a0}€");
        assert_eq!(Euros::from_cents(-120_000).to_string(), "-1\u{202f}200,00\u{a0}€");
        assert_eq!(Euros::from_cents(99_999).to_string(), "999,99\u{a0}€");
        assert_eq!(Euros::from_cents(0).to_string(), "0,00\u{a0}€");
        assert_eq!(
            Euros::from_cents(12_345_678_900).to_string(),
            "123\u{202f}456\u{202f}789,00\u{a0}€"
        );
        assert_eq!(
            Euros::from_cents(i64::MIN).to_string(),
            "-92\u{202f}233\u{202f}720\u{202f}368\u{202f}547\u{202f}758,08\u{a0}€"
        );
    }
}
