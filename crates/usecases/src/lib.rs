#![doc = include_str!("../README.md")]

pub mod accounts;
pub mod agents;
pub mod apa;
pub mod batch;
pub mod catalogue;
pub mod commission;
pub mod deadlines;
pub mod error;
pub mod exports;

pub use catalogue::{Procedure, Procedures};
pub use error::{CaseError, Invalid, Result};
pub mod complement;
pub mod decisions;
pub mod files;
pub mod filing;
pub mod instruction;
pub mod letters;
// Issue 12: the département's identity as settings, and implicit decisions at the due date.
pub mod implicit;
pub mod messages;
pub mod notifications;
pub mod opinions;
pub mod renewals;
pub mod routing;
pub mod settings;
pub mod sharing;
pub mod simulators;
pub mod vault;
