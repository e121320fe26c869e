#![doc = include_str!("../README.md")]

pub mod api;
pub mod app;
pub mod assets;
pub mod care_plans;
pub mod config;
pub mod csrf;
mod documents;
pub mod error;
pub mod form;
mod handlers;
pub mod identity;
pub mod implicit;
pub mod mentions;
pub mod renewals;
pub mod retention;
pub mod routes;
pub mod session;
pub mod submission;
mod tasks;
pub mod telemetry;
pub mod templates;
pub mod uploads;

pub use app::{AppState, Application};
pub use config::{Config, Settings};
