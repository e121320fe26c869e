use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A dossier number as shown to people: `APA-2026-000123` (procedure prefix, year of deposit, sequence).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct DossierNumber {
    prefix: String,
    year: u16,
    seq: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("Numéro de dossier invalide : il ressemble à APA-2026-000123")]
pub struct DossierNumberError;

impl DossierNumber {
    pub fn new(prefix: &str, year: u16, seq: u32) -> Result<Self, DossierNumberError> {
        let ok_prefix = (2..=10).contains(&prefix.len()) && prefix.chars().all(|c| c.is_ascii_uppercase());
        if ok_prefix && (2000..=2999).contains(&year) && seq > 0 && seq <= 999_999_999 {
            Ok(DossierNumber {
                prefix: prefix.to_owned(),
                year,
                seq,
            })
        } else {
            Err(DossierNumberError)
        }
    }

    pub fn parse(input: &str) -> Result<Self, DossierNumberError> {
        let t = input.trim().to_ascii_uppercase();
        let mut parts = t.split('-');
        let (Some(p), Some(y), Some(s), None) = (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(DossierNumberError);
        };
        if y.len() != 4 || s.len() < 6 || !s.chars().all(|c| c.is_ascii_digit()) {
            return Err(DossierNumberError);
        }
        let year = y.parse().map_err(|_| DossierNumberError)?;
        let seq = s.parse().map_err(|_| DossierNumberError)?;
        DossierNumber::new(p, year, seq)
    }

    pub fn prefix(&self) -> &str {
        &self.prefix
    }
    pub fn year(&self) -> u16 {
        self.year
    }
    pub fn seq(&self) -> u32 {
        self.seq
    }
}

impl fmt::Display for DossierNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}-{:06}", self.prefix, self.year, self.seq)
    }
}

impl FromStr for DossierNumber {
    type Err = DossierNumberError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        DossierNumber::parse(s)
    }
}

impl TryFrom<String> for DossierNumber {
    type Error = DossierNumberError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        DossierNumber::parse(&s)
    }
}

impl From<DossierNumber> for String {
    fn from(n: DossierNumber) -> String {
        n.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_print_with_six_digit_sequences_and_parse_back() {
        let n = DossierNumber::new("APA", 2026, 123);
        assert_eq!(
            n.as_ref().map(ToString::to_string),
            Ok("APA-2026-000123".to_owned())
        );
        assert_eq!(DossierNumber::parse("apa-2026-000123"), n);
    }

    #[test]
    fn malformed_numbers_are_rejected() {
        for bad in [
            "APA-2026",
            "APA-26-000123",
            "APA-2026-12",
            "1PA-2026-000123",
            "APA-2026-000123-1",
        ] {
            assert!(DossierNumber::parse(bad).is_err(), "{bad} accepted");
        }
    }
}
