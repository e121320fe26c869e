#![doc = include_str!("../README.md")]

pub mod apa;
pub mod catalogue;
pub mod deadlines;
pub mod error;

pub use catalogue::{Procedure, Procedures};
pub use error::{CaseError, Invalid, Result};
pub mod decisions;
pub mod filing;
pub mod instruction;
pub mod letters;
