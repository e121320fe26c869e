//! Simulators: one accessible page per aid, no account and no JavaScript needed.

use actix_web::web;

/// Routes of the simulators (`/simulateurs…`).
pub fn configure(_cfg: &mut web::ServiceConfig) {}
