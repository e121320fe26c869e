//! The ceiling of `guichet bench`: a bare actix-web server answering "hello" on `GET /`, with the same
//! number of workers as `guichet serve` (one per core unless `GUICHET_WORKERS` is set), no middleware,
//! no database. `HELLO_BIND` (default `127.0.0.1:8081`) sets the address.
//!
//! `cargo build --release -p guichet_web --example hello`

use actix_web::{App, HttpResponse, HttpServer, web};

async fn hello() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/plain; charset=utf-8")
        .body("hello")
}

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    let bind = std::env::var("HELLO_BIND").unwrap_or_else(|_| "127.0.0.1:8081".into());
    let workers = std::env::var("GUICHET_WORKERS")
        .ok()
        .and_then(|w| w.parse::<usize>().ok())
        .filter(|w| *w > 0)
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    HttpServer::new(|| App::new().route("/", web::get().to(hello)))
        .workers(workers)
        .bind(bind)?
        .run()
        .await
}
