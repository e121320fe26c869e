#![doc = include_str!("../README.md")]

pub mod outbox;
mod pool;
pub mod schema;
pub mod settings;
mod transaction;

pub use pool::{
    AnyConnection, Backend, DbPool, MultiBackend, PgTimeouts, PoolOptions, PooledConnection,
    with_postgres_timeouts,
};
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
    /// The database did not answer in time (see `PoolOptions::run_timeout`).
    #[error("database unavailable: {0}")]
    Unavailable(String),
}

impl DbError {
    /// Whether the error says the database is unreachable or overloaded right now (worth retrying later)
    /// rather than a bug: no connection, a closed connection, a timeout, a locked SQLite file.
    pub fn is_unavailable(&self) -> bool {
        use diesel::result::{DatabaseErrorKind, Error};
        match self {
            DbError::Connect(_) | DbError::Pool(_) | DbError::Unavailable(_) => true,
            DbError::Query(Error::DatabaseError(
                DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::UnableToSendCommand,
                _,
            )) => true,
            DbError::Query(Error::DatabaseError(DatabaseErrorKind::Unknown, info)) => {
                let m = info.message();
                // PostgreSQL's statement_timeout and shutdowns (SQLSTATE 57014, 57P01…: diesel does not
                // expose the code), SQLite's busy_timeout expiring.
                m.contains("statement timeout")
                    || m.contains("terminating connection")
                    || m.contains("server closed the connection")
                    || m.contains("database is locked")
            }
            DbError::Migration(_) | DbError::Query(_) | DbError::Join(_) => false,
        }
    }
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

/// SQLite statistics for the planner, read whole (a sample of 1 000 rows per index left the deep page of
/// « traités » on an index by name: 275 ms instead of 13 ms at 117 000 dossiers): after migrations, at a
/// start without statistics and after a bulk seed (about a second per 100 000 dossiers).
pub const SQLITE_ANALYZE: &str = "PRAGMA analysis_limit = 0; ANALYZE;";
