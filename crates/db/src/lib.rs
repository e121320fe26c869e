#![doc = include_str!("../README.md")]

pub mod outbox;
mod pool;
pub mod schema;
mod transaction;

pub use pool::{AnyConnection, Backend, DbPool, MultiBackend, PoolOptions, PooledConnection};
pub use transaction::write_transaction;

/// Errors of the storage layer. Callers map them to their own error types; the web layer shows a generic
/// French message and logs the cause.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("cannot connect to the database: {0}")]
    Connect(String),
    #[error("database pool: {0}")]
    Pool(#[from] diesel::r2d2::PoolError),
    #[error("migrations failed: {0}")]
    Migration(String),
    #[error(transparent)]
    Query(#[from] diesel::result::Error),
    #[error("background database task failed: {0}")]
    Join(String),
}

pub type Result<T, E = DbError> = std::result::Result<T, E>;

/// The current time as stored: UTC, microsecond precision (PostgreSQL's), so values read back compare
/// equal on both backends.
pub fn now() -> chrono::NaiveDateTime {
    let n = chrono::Utc::now().naive_utc();
    chrono::DurationRound::duration_trunc(n, chrono::Duration::microseconds(1)).unwrap_or(n)
}

/// A new random identifier for a row (UUID v4 as text: `MultiConnection` has no Uuid type).
pub fn new_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// A trivial query: is the database reachable?
pub fn ping(conn: &mut AnyConnection) -> Result<()> {
    use diesel::connection::SimpleConnection;
    conn.batch_execute("SELECT 1")?;
    Ok(())
}
