use std::fmt;

use serde::{Deserialize, Serialize};

/// Groupe iso-ressources of the AGGIR grid (CASF annexe 2-1): 1 is the most dependent, 6 autonomous.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "u8", into = "u8")]
pub struct Gir(u8);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("Le GIR est un nombre de 1 à 6")]
pub struct GirError;

impl Gir {
    pub fn new(value: u8) -> Result<Self, GirError> {
        if (1..=6).contains(&value) {
            Ok(Gir(value))
        } else {
            Err(GirError)
        }
    }

    pub fn parse(input: &str) -> Result<Self, GirError> {
        let t = input.trim();
        let t = t
            .strip_prefix("GIR")
            .or_else(|| t.strip_prefix("gir"))
            .unwrap_or(t)
            .trim();
        t.parse::<u8>().map_err(|_| GirError).and_then(Gir::new)
    }

    pub const fn value(self) -> u8 {
        self.0
    }

    /// GIR 1 to 4 open the right to APA (CASF L232-2, R232-3).
    pub const fn opens_apa(self) -> bool {
        self.0 <= 4
    }
}

impl TryFrom<u8> for Gir {
    type Error = GirError;
    fn try_from(v: u8) -> Result<Self, GirError> {
        Gir::new(v)
    }
}

impl From<Gir> for u8 {
    fn from(g: Gir) -> u8 {
        g.0
    }
}

impl fmt::Display for Gir {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "GIR {}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_one_to_six_are_girs() {
        assert!(Gir::new(0).is_err());
        assert!(Gir::new(7).is_err());
        assert_eq!(Gir::parse("GIR 2").map(Gir::value), Ok(2));
        assert_eq!(Gir::parse(" 6 ").map(Gir::value), Ok(6));
    }

    #[test]
    fn only_gir_one_to_four_open_apa() {
        assert!(Gir::new(4).is_ok_and(|g| g.opens_apa()));
        assert!(Gir::new(5).is_ok_and(|g| !g.opens_apa()));
    }
}
