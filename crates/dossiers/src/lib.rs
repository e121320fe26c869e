#![doc = include_str!("../README.md")]

pub mod access;
pub mod apa;
pub mod batches;
pub mod commission;
pub mod export_jobs;
pub mod files;
pub mod implicit;
pub mod instruction;
pub mod lifecycle;
pub mod opinions;
pub mod renewals;
pub mod retention;
pub mod reviews;
pub mod rights;
pub mod routing;
pub mod scans;
pub mod sharing;
pub mod stats;
pub mod store;
pub mod vault;

pub use lifecycle::{Action, Actor, State, TransitionError};
pub use store::{Dossier, DossierError, Event};
