//! Static assets, embedded in the binary and served with long cache lifetimes under a content-hashed URL.

use std::sync::LazyLock;

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use sha2::{Digest, Sha256};

pub const CSS: &str = include_str!("../static/guichet.css");
/// Progressive enhancement of the step pages (commune list, conditional reveal); nothing depends on it.
pub const JS: &str = include_str!("../static/guichet.js");

static JS_URL: LazyLock<String> = LazyLock::new(|| {
    format!(
        "/static/guichet.js?v={}",
        &hex::encode(Sha256::digest(JS.as_bytes()))[..12]
    )
});

/// The script's URL, versioned by its content.
pub fn js_url() -> &'static str {
    JS_URL.as_str()
}

pub async fn js(query: web::Query<std::collections::HashMap<String, String>>) -> HttpResponse {
    let cache = if query.contains_key("v") {
        "public, max-age=31536000, immutable"
    } else {
        "public, max-age=3600"
    };
    HttpResponse::Ok()
        .content_type("text/javascript; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, cache))
        .body(JS)
}

static CSS_URL: LazyLock<String> = LazyLock::new(|| {
    format!(
        "/static/guichet.css?v={}",
        &hex::encode(Sha256::digest(CSS.as_bytes()))[..12]
    )
});

/// The stylesheet's URL, versioned by its content so that browsers may cache it for a year.
pub fn css_url() -> &'static str {
    CSS_URL.as_str()
}

pub async fn css(query: web::Query<std::collections::HashMap<String, String>>) -> HttpResponse {
    let cache = if query.contains_key("v") {
        "public, max-age=31536000, immutable"
    } else {
        "public, max-age=3600"
    };
    HttpResponse::Ok()
        .content_type("text/css; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, cache))
        .body(CSS)
}
