//! Journeys across crates, against the real application on a random port, on SQLite and PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod accounts;
mod accounts_settings;
mod agents;
mod apa;
mod bad_input;
mod batch;
mod cdaph;
mod cli;
mod concurrency;
mod email;
mod exports;
mod franceconnect;
mod implicit;
mod instruction;
mod logs;
mod notifications;
mod opinions;
mod privacy;
mod procedures;
mod public_pages;
mod queue;
mod reliability;
mod renewals;
mod retention;
mod roles;
mod routing;
mod seed;
mod sessions;
mod settings;
mod sharing;
mod shell;
mod simulations;
mod storage;
mod uploads;
mod vault;
