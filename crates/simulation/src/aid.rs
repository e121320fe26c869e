//! One door for callers that pick the aid at run time (the JSON API `POST /simulations/{aid}`, the CLI
//! `guichet simulate <aid>`): the aid name, and a JSON-in / JSON-out simulation.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::{Parameters, SimulationError, aah, amethyste, apa, pch};

/// The aids the crate simulates, named as in URLs and on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Aid {
    /// `apa` (APA à domicile).
    Apa,
    /// `apa-etablissement`.
    ApaEtablissement,
    /// `pch`.
    Pch,
    /// `aah`.
    Aah,
    /// `amethyste`.
    Amethyste,
}

impl Aid {
    pub const ALL: [Aid; 5] = [
        Aid::Apa,
        Aid::ApaEtablissement,
        Aid::Pch,
        Aid::Aah,
        Aid::Amethyste,
    ];

    /// Name used in URLs and on the command line.
    pub const fn name(self) -> &'static str {
        match self {
            Aid::Apa => "apa",
            Aid::ApaEtablissement => "apa-etablissement",
            Aid::Pch => "pch",
            Aid::Aah => "aah",
            Aid::Amethyste => "amethyste",
        }
    }

    /// Plain-French title.
    pub const fn title(self) -> &'static str {
        match self {
            Aid::Apa => "Allocation personnalisée d’autonomie à domicile",
            Aid::ApaEtablissement => "Allocation personnalisée d’autonomie en établissement",
            Aid::Pch => "Prestation de compensation du handicap",
            Aid::Aah => "Allocation aux adultes handicapés",
            Aid::Amethyste => "Forfait Améthyste",
        }
    }
}

impl fmt::Display for Aid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Aid {
    type Err = SimulationError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Aid::ALL
            .into_iter()
            .find(|a| a.name() == s.trim())
            .ok_or_else(|| SimulationError::InvalidInput(format!("aide inconnue « {s} »")))
    }
}

fn run<I, R>(
    p: &Parameters,
    input: serde_json::Value,
    f: impl Fn(&Parameters, &I) -> crate::Result<R>,
) -> crate::Result<serde_json::Value>
where
    I: serde::de::DeserializeOwned,
    R: Serialize,
{
    let input: I = serde_json::from_value(input).map_err(|e| SimulationError::InvalidInput(e.to_string()))?;
    let result = f(p, &input)?;
    serde_json::to_value(result).map_err(|e| SimulationError::InvalidInput(e.to_string()))
}

/// Simulates `aid` from a JSON object with the input field names of the crate README, and returns the
/// result as JSON. A field that is unknown, misspelt or of the wrong type is an `InvalidInput` error.
pub fn simulate_json(p: &Parameters, aid: Aid, input: serde_json::Value) -> crate::Result<serde_json::Value> {
    match aid {
        Aid::Apa => run(p, input, apa::simulate_domicile),
        Aid::ApaEtablissement => run(p, input, apa::simulate_etablissement),
        Aid::Pch => run(p, input, pch::simulate),
        Aid::Aah => run(p, input, aah::simulate),
        Aid::Amethyste => run(p, input, amethyste::simulate),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aid_names_round_trip() {
        for aid in Aid::ALL {
            assert_eq!(aid.name().parse::<Aid>().unwrap(), aid);
        }
        assert!("rsa".parse::<Aid>().is_err());
    }

    #[test]
    fn a_json_body_gives_a_json_result() {
        let p = Parameters::load().unwrap();
        let out = simulate_json(
            &p,
            Aid::Apa,
            serde_json::json!({"gir": 2, "plan": 1500, "ressources": 1800, "date": "2026-01-15", "age": 82}),
        )
        .unwrap();
        assert_eq!(out["apa"], 120_161);
        assert_eq!(out["verdict"]["eligible"], true);
    }

    #[test]
    fn a_misspelt_field_is_an_input_error() {
        let p = Parameters::load().unwrap();
        let err = simulate_json(&p, Aid::Apa, serde_json::json!({"gir": 2, "plann": 1500})).unwrap_err();
        assert!(matches!(err, SimulationError::InvalidInput(_)));
    }
}
