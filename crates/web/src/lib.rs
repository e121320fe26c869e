#![doc = include_str!("../README.md")]

pub mod app;
pub mod assets;
pub mod config;
pub mod csrf;
pub mod error;
pub mod form;
mod handlers;
pub mod routes;
pub mod session;
pub mod telemetry;
pub mod templates;

pub use app::{AppState, Application};
pub use config::{Config, Settings};
