//! Journeys across crates, against the real application on a random port, on SQLite and PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod accounts;
mod bad_input;
mod cli;
mod email;
mod instruction;
mod procedures;
mod seed;
mod shell;
mod simulations;
mod storage;
mod uploads;
