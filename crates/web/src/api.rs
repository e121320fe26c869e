//! JSON API under `/api/v1`, documented by an OpenAPI document.

use actix_web::web;

/// Routes of the JSON API.
pub fn configure(_cfg: &mut web::ServiceConfig) {}
