use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::r2d2::{self, CustomizeConnection, ManageConnection};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use crate::{DbError, Result};

const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("../../migrations/sqlite");
const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("../../migrations/postgres");

/// One connection type for both databases; queries are written once against it.
#[derive(diesel::MultiConnection)]
pub enum AnyConnection {
    Postgresql(diesel::PgConnection),
    // Kept last: `establish` tries variants in order and SQLite accepts almost any string as a path.
    Sqlite(diesel::SqliteConnection),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn of_url(url: &str) -> Backend {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Backend::Postgres
        } else {
            Backend::Sqlite
        }
    }
}

impl AnyConnection {
    /// Connects to the backend the URL names. Explicit dispatch (rather than the derived `establish`)
    /// keeps libpq's real error message, which the derive replaces by "Invalid connection url".
    pub fn connect(url: &str) -> Result<AnyConnection> {
        match Backend::of_url(url) {
            Backend::Postgres => diesel::PgConnection::establish(url)
                .map(AnyConnection::Postgresql)
                .map_err(|e| DbError::Connect(e.to_string())),
            Backend::Sqlite => {
                let path = url.strip_prefix("sqlite://").unwrap_or(url);
                diesel::SqliteConnection::establish(path)
                    .map(AnyConnection::Sqlite)
                    .map_err(|e| DbError::Connect(e.to_string()))
            }
        }
    }

    pub fn backend(&self) -> Backend {
        match self {
            AnyConnection::Postgresql(_) => Backend::Postgres,
            AnyConnection::Sqlite(_) => Backend::Sqlite,
        }
    }

    pub fn run_migrations(&mut self) -> Result<()> {
        let applied = match self {
            AnyConnection::Postgresql(c) => c.run_pending_migrations(POSTGRES_MIGRATIONS).map(|v| v.len()),
            AnyConnection::Sqlite(c) => c.run_pending_migrations(SQLITE_MIGRATIONS).map(|v| v.len()),
        }
        .map_err(|e| DbError::Migration(e.to_string()))?;
        if applied > 0 {
            tracing::info!(
                migrations.applied = applied,
                "Applied {applied} database migration(s)"
            );
        }
        Ok(())
    }
}

/// Opens connections to the backend named by the URL.
pub struct Manager {
    url: String,
}

impl ManageConnection for Manager {
    type Connection = AnyConnection;
    type Error = r2d2::Error;

    fn connect(&self) -> std::result::Result<AnyConnection, r2d2::Error> {
        AnyConnection::connect(&self.url)
            .map_err(|e| r2d2::Error::ConnectionError(ConnectionError::BadConnection(e.to_string())))
    }

    fn is_valid(&self, conn: &mut AnyConnection) -> std::result::Result<(), r2d2::Error> {
        conn.batch_execute("SELECT 1").map_err(r2d2::Error::QueryError)
    }

    fn has_broken(&self, _conn: &mut AnyConnection) -> bool {
        false
    }
}

#[derive(Debug)]
struct SqlitePragmas;

impl CustomizeConnection<AnyConnection, r2d2::Error> for SqlitePragmas {
    fn on_acquire(&self, conn: &mut AnyConnection) -> std::result::Result<(), r2d2::Error> {
        if let AnyConnection::Sqlite(c) = conn {
            // busy_timeout makes writers queue instead of failing with SQLITE_BUSY; SQLite leaves foreign
            // keys off unless asked per connection. (WAL is a property of the file, set once at start.)
            c.batch_execute(
                "PRAGMA busy_timeout = 5000; PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL;",
            )
            .map_err(r2d2::Error::QueryError)?;
        }
        Ok(())
    }
}

#[derive(Debug, Clone)]
pub struct PoolOptions {
    pub max_size: u32,
    pub connect_timeout: Duration,
}

impl Default for PoolOptions {
    fn default() -> Self {
        PoolOptions {
            max_size: 8,
            connect_timeout: Duration::from_secs(10),
        }
    }
}

/// A cloneable handle on the connection pool.
#[derive(Clone)]
pub struct DbPool {
    inner: r2d2::Pool<Manager>,
    backend: Backend,
}

impl std::fmt::Debug for DbPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DbPool")
            .field("backend", &self.backend)
            .finish_non_exhaustive()
    }
}

impl DbPool {
    /// Connects once explicitly (to report the real error), runs pending migrations, then builds the pool.
    pub fn connect_and_migrate(url: &str, options: &PoolOptions) -> Result<DbPool> {
        let mut first = AnyConnection::connect(url)?;
        SqlitePragmas
            .on_acquire(&mut first)
            .map_err(|e| DbError::Connect(e.to_string()))?;
        if let AnyConnection::Sqlite(c) = &mut first {
            // WAL lets readers work while one writer commits. It persists in the file.
            c.batch_execute("PRAGMA journal_mode = WAL;")?;
        }
        first.run_migrations()?;
        let backend = first.backend();
        drop(first);
        // SQLite allows one writer at a time: a big pool only adds lock waits.
        let max_size = match backend {
            Backend::Sqlite => options.max_size.min(4),
            Backend::Postgres => options.max_size,
        };
        let inner = r2d2::Pool::builder()
            .max_size(max_size)
            .connection_timeout(options.connect_timeout)
            .connection_customizer(Box::new(SqlitePragmas))
            .build(Manager { url: url.to_owned() })?;
        Ok(DbPool { inner, backend })
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// A connection for synchronous code (CLI, background threads). Never call it on the async executor.
    pub fn get(&self) -> Result<PooledConnection> {
        Ok(self.inner.get()?)
    }

    /// Runs diesel work on tokio's blocking pool: the only way async code touches the database.
    pub async fn run<T, E, F>(&self, f: F) -> std::result::Result<T, E>
    where
        F: FnOnce(&mut AnyConnection) -> std::result::Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<DbError> + Send + 'static,
    {
        let pool = self.inner.clone();
        tokio::task::spawn_blocking(move || {
            let mut conn = pool.get().map_err(DbError::from)?;
            f(&mut conn)
        })
        .await
        .map_err(|e| E::from(DbError::Join(e.to_string())))?
    }
}

/// A pooled connection; derefs to [`AnyConnection`].
pub type PooledConnection = r2d2::PooledConnection<Manager>;
