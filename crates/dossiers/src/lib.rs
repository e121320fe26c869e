#![doc = include_str!("../README.md")]

pub mod access;
pub mod apa;
pub mod files;
pub mod instruction;
pub mod lifecycle;
pub mod retention;
pub mod rights;
pub mod scans;
pub mod stats;
pub mod store;

pub use lifecycle::{Action, Actor, State, TransitionError};
pub use store::{Dossier, DossierError, Event};
