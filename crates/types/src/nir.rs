use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A French social security number (NIR, "numéro de sécurité sociale"): 13 characters and a 2-digit key,
/// stored without spaces. Corsican births carry `2A` or `2B` in the département position.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Nir(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NirError {
    #[error("Saisissez votre numéro de sécurité sociale")]
    Empty,
    #[error("Le NIR doit contenir 15 caractères")]
    WrongLength,
    #[error("Le NIR ne doit contenir que des chiffres, sauf 2A ou 2B pour une naissance en Corse")]
    InvalidCharacters,
    #[error("Le NIR doit commencer par 1 ou 2")]
    InvalidSex,
    #[error("Le NIR n’est pas valide : vérifiez la clé (les 2 derniers chiffres)")]
    WrongKey,
}

impl Nir {
    /// Parses what people type: spaces, dots and dashes are ignored, `2a`/`2b` are upper-cased.
    pub fn parse(input: &str) -> Result<Self, NirError> {
        let s: String = input
            .chars()
            .filter(|c| !c.is_whitespace() && !matches!(c, '.' | '-' | '\u{a0}' | '\u{202f}'))
            .flat_map(char::to_uppercase)
            .collect();
        if s.is_empty() {
            return Err(NirError::Empty);
        }
        if s.chars().count() != 15 {
            return Err(NirError::WrongLength);
        }
        if !s.is_ascii() {
            return Err(NirError::InvalidCharacters);
        }
        let dept = &s[5..7];
        let corsica = matches!(dept, "2A" | "2B");
        let digits_ok = s
            .char_indices()
            .all(|(i, c)| c.is_ascii_digit() || (corsica && (i == 6)));
        if !digits_ok {
            return Err(NirError::InvalidCharacters);
        }
        // 1/2 = men/women; 3/4 and 7/8 are temporary numbers given to people born abroad.
        if !matches!(&s[0..1], "1" | "2" | "3" | "4" | "7" | "8") {
            return Err(NirError::InvalidSex);
        }
        // The key is computed with 2A replaced by 19 and 2B by 18 (INSEE convention).
        let body = match dept {
            "2A" => format!("{}19{}", &s[0..5], &s[7..13]),
            "2B" => format!("{}18{}", &s[0..5], &s[7..13]),
            _ => s[0..13].to_string(),
        };
        let number: u64 = body.parse().map_err(|_| NirError::InvalidCharacters)?;
        let key: u64 = s[13..15].parse().map_err(|_| NirError::InvalidCharacters)?;
        if 97 - (number % 97) != key {
            return Err(NirError::WrongKey);
        }
        Ok(Nir(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Grouped as printed on the carte Vitale: `1 84 12 75 123 456 78`.
    pub fn formatted(&self) -> String {
        let s = &self.0;
        format!(
            "{} {} {} {} {} {} {}",
            &s[0..1],
            &s[1..3],
            &s[3..5],
            &s[5..7],
            &s[7..10],
            &s[10..13],
            &s[13..15]
        )
    }

    /// The NIR with only its last five digits shown (order number's last three and the key), for every
    /// place that does not need it in full: enough for the usager to recognise it, nothing of the birth
    /// date, place or sex that the first digits encode.
    pub fn masked(&self) -> String {
        let s = &self.0;
        format!("• •• •• •• ••• {} {}", &s[10..13], &s[13..15])
    }
}

impl FromStr for Nir {
    type Err = NirError;
    fn from_str(s: &str) -> Result<Self, NirError> {
        Nir::parse(s)
    }
}

impl TryFrom<String> for Nir {
    type Error = NirError;
    fn try_from(s: String) -> Result<Self, NirError> {
        Nir::parse(&s)
    }
}

impl From<Nir> for String {
    fn from(n: Nir) -> String {
        n.0
    }
}

impl fmt::Display for Nir {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_key(body13: &str) -> String {
        let n: u64 = body13.replace("2A", "19").replace("2B", "18").parse().unwrap();
        format!("{body13}{:02}", 97 - n % 97)
    }

    #[test]
    fn a_masked_nir_shows_only_its_last_five_digits() {
        let n = Nir::parse(&with_key("2400369123456")).unwrap();
        let masked = n.masked();
        assert!(
            masked.ends_with(&format!("456 {}", &n.formatted()[19..])),
            "{masked}"
        );
        assert!(
            !masked.contains("40") && !masked.contains("69") && !masked.contains("123"),
            "{masked}"
        );
    }

    #[test]
    fn a_valid_nir_with_spaces_is_accepted_and_stored_without_them() {
        let raw = with_key("1841275123456");
        let spaced = format!(
            "{} {} {} {} {} {} {}",
            &raw[0..1],
            &raw[1..3],
            &raw[3..5],
            &raw[5..7],
            &raw[7..10],
            &raw[10..13],
            &raw[13..15]
        );
        let nir = Nir::parse(&spaced).unwrap();
        assert_eq!(nir.as_str(), raw);
        assert_eq!(nir.formatted(), spaced);
    }

    #[test]
    fn a_wrong_key_is_refused() {
        let mut raw = with_key("2690549588157");
        let last = if raw.ends_with('0') { '1' } else { '0' };
        raw.pop();
        raw.push(last);
        assert_eq!(Nir::parse(&raw), Err(NirError::WrongKey));
    }

    #[test]
    fn corsica_2a_and_2b_use_19_and_18_for_the_key() {
        for body in ["185022A123456", "185022B123456"] {
            let raw = with_key(body);
            assert_eq!(raw.len(), 15);
            assert_eq!(Nir::parse(&raw).unwrap().as_str(), raw);
        }
        // The key of 2A differs from the key of 2B: swapping them must fail.
        let a = with_key("185022A123456");
        let swapped = a.replace("2A", "2B");
        assert_eq!(Nir::parse(&swapped), Err(NirError::WrongKey));
    }

    #[test]
    fn lower_case_corsican_codes_are_accepted() {
        let raw = with_key("185022A123456");
        assert_eq!(Nir::parse(&raw.to_lowercase()).unwrap().as_str(), raw);
    }

    #[test]
    fn fourteen_characters_are_refused_with_the_length_message() {
        assert_eq!(Nir::parse("18412751234567"), Err(NirError::WrongLength));
        assert_eq!(
            NirError::WrongLength.to_string(),
            "Le NIR doit contenir 15 caractères"
        );
    }

    #[test]
    fn letters_outside_the_corsican_code_are_refused() {
        assert_eq!(Nir::parse("1841275A2345678"), Err(NirError::InvalidCharacters));
        assert_eq!(Nir::parse("184127512345é78"), Err(NirError::InvalidCharacters));
    }

    #[test]
    fn an_empty_nir_asks_to_type_it() {
        assert_eq!(Nir::parse("  "), Err(NirError::Empty));
    }

    #[test]
    fn a_nir_starting_with_5_is_refused() {
        assert_eq!(Nir::parse(&with_key("5841275123456")), Err(NirError::InvalidSex));
    }
}
