#![doc = include_str!("../README.md")]

pub mod aah;
pub mod aggir;
mod aid;
pub mod amethyste;
pub mod apa;
pub mod care_plan;
mod explain;
pub mod input;
mod money;
mod params;
pub mod pch;

pub use aid::{Aid, simulate_json};
pub use explain::{Explain, Step, Verdict};
pub use params::{
    AahParams, AmethysteCategory, AmethysteDepartement, AmethysteParams, ApaDomicileParams,
    ApaEtablissementParams, CommonParams, DatedValue, FiscalCondition, KNOWN_RIGHTS, Param, Parameters,
    PchParams,
};

use chrono::NaiveDate;

/// What can go wrong: a parameter file that does not load, a date outside the parameters, an input
/// that makes no sense. Messages are plain French: they may reach a user.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SimulationError {
    /// An embedded parameter file does not parse into its typed struct (unknown or missing key, wrong
    /// type). Caught by the tests, never at run time in a released build.
    #[error("Fichier de paramètres {file} illisible : {message}")]
    Parse { file: &'static str, message: String },
    /// A parameter breaks a rule of the data (no value, value without reference, unsorted dates).
    #[error("Paramètre {parameter} invalide : {msg}")]
    InvalidParameter { parameter: String, msg: String },
    /// The simulation date is before the first value of a parameter.
    #[error("Aucune valeur du paramètre {parameter} au {date}")]
    NoValue { parameter: String, date: NaiveDate },
    /// An input the simulation cannot use (unknown field, wrong type, amount out of range).
    #[error("Donnée invalide : {0}")]
    InvalidInput(String),
}

/// Result of this crate's functions.
pub type Result<T, E = SimulationError> = std::result::Result<T, E>;
