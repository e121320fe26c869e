use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A French postal code: 5 digits (metropolitan France, overseas départements, Monaco).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PostalCode(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PostalCodeError {
    #[error("Saisissez votre code postal")]
    Empty,
    #[error("Le code postal doit contenir 5 chiffres, par exemple 93000")]
    Invalid,
}

impl PostalCode {
    /// Parses what people type: spaces are ignored (`75 001`).
    pub fn parse(input: &str) -> Result<Self, PostalCodeError> {
        let s: String = input.chars().filter(|c| !c.is_whitespace()).collect();
        if s.is_empty() {
            return Err(PostalCodeError::Empty);
        }
        // No postal code starts with 00: a leading-zero slip (e.g. "00100") is a typo, not a place.
        if s.len() != 5 || !s.chars().all(|c| c.is_ascii_digit()) || s.starts_with("00") {
            return Err(PostalCodeError::Invalid);
        }
        Ok(PostalCode(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for PostalCode {
    type Err = PostalCodeError;
    fn from_str(s: &str) -> Result<Self, PostalCodeError> {
        PostalCode::parse(s)
    }
}

impl TryFrom<String> for PostalCode {
    type Error = PostalCodeError;
    fn try_from(s: String) -> Result<Self, PostalCodeError> {
        PostalCode::parse(&s)
    }
}

impl From<PostalCode> for String {
    fn from(p: PostalCode) -> String {
        p.0
    }
}

impl fmt::Display for PostalCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn five_digits_with_a_space_are_accepted() {
        assert_eq!(PostalCode::parse(" 93 000 ").unwrap().as_str(), "93000");
    }

    #[test]
    fn four_digits_are_refused() {
        assert_eq!(PostalCode::parse("1000"), Err(PostalCodeError::Invalid));
    }

    #[test]
    fn letters_are_refused() {
        assert_eq!(PostalCode::parse("2A000"), Err(PostalCodeError::Invalid));
    }

    #[test]
    fn codes_starting_with_00_are_refused() {
        assert_eq!(PostalCode::parse("00100"), Err(PostalCodeError::Invalid));
    }

    #[test]
    fn an_empty_code_asks_to_type_it() {
        assert_eq!(PostalCode::parse(""), Err(PostalCodeError::Empty));
    }
}
