pub mod accounts;
pub mod admin;
pub mod admin_identity;
pub mod apa;
pub mod batch;
pub mod commission;
pub mod demarches;
pub mod export_jobs;
pub mod implicit;
pub mod instruction;
pub mod messages;
pub mod my_documents;
pub mod opinions;
pub mod pages;
pub mod preferences;
pub mod providers;
pub mod sharing;
pub mod simulateurs;
pub mod stats;

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use actix_web::http::header::{self, ContentType};
use askama::Template;

use crate::error::WebResult;

/// Renders a template with a status.
pub fn render(status: StatusCode, page: &impl Template) -> WebResult<HttpResponse> {
    Ok(HttpResponse::build(status)
        .content_type(ContentType::html())
        .body(page.render()?))
}

pub fn ok(page: &impl Template) -> WebResult<HttpResponse> {
    render(StatusCode::OK, page)
}

/// Post-redirect-get.
pub fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location.to_owned()))
        .finish()
}
