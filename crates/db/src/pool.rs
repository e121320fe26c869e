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

    /// Runs pending migrations under a lock shared by every process using the same database, so that two
    /// processes started at once on a fresh database do not both create the same tables.
    pub fn run_migrations(&mut self) -> Result<()> {
        let applied = match self.backend() {
            Backend::Postgres => self.run_postgres_migrations()?,
            Backend::Sqlite => self.run_sqlite_migrations()?,
        };
        if applied > 0 {
            tracing::info!(
                migrations.applied = applied,
                "Applied {applied} database migration(s)"
            );
        }
        Ok(())
    }

    fn run_postgres_migrations(&mut self) -> Result<usize> {
        let AnyConnection::Postgresql(c) = self else {
            return Ok(0);
        };
        // A session-level advisory lock, held by this very connection for the whole run. It is
        // database-wide on purpose: `CREATE EXTENSION` is not per schema. No statement timeout here:
        // waiting for another process's migrations, or a long index build, is expected.
        c.batch_execute(&format!(
            "SET statement_timeout = 0; SELECT pg_advisory_lock({MIGRATION_LOCK_KEY})"
        ))?;
        let applied = c.run_pending_migrations(POSTGRES_MIGRATIONS).map(|v| v.len());
        let unlocked = c.batch_execute(&format!(
            "SELECT pg_advisory_unlock({MIGRATION_LOCK_KEY}); RESET statement_timeout"
        ));
        let applied = applied.map_err(|e| DbError::Migration(e.to_string()))?;
        unlocked?;
        Ok(applied)
    }

    fn run_sqlite_migrations(&mut self) -> Result<usize> {
        // One IMMEDIATE transaction around every migration: the file's write lock makes a second process
        // wait (a long busy_timeout, migrations may take a while), then find nothing left to apply.
        // Foreign keys off while migrating (SQLite ignores the pragma inside a transaction): rebuilding a
        // table (the only way to change a CHECK constraint) drops it, and with foreign keys on that drop
        // would first delete every row referencing it, cascading to their events. Checked again below.
        self.batch_execute("PRAGMA busy_timeout = 60000; PRAGMA foreign_keys = OFF;")?;
        let applied = crate::write_transaction(self, |conn| match conn {
            AnyConnection::Sqlite(c) => c
                .run_pending_migrations(SQLITE_MIGRATIONS)
                .map(|v| v.len())
                .map_err(|e| MigrationFailed(e.to_string())),
            AnyConnection::Postgresql(_) => Ok(0),
        });
        self.batch_execute("PRAGMA busy_timeout = 5000; PRAGMA foreign_keys = ON;")?;
        let applied = applied.map_err(|e| DbError::Migration(e.0))?;
        // With an index per sort of the queue, SQLite's planner needs statistics: without them it chose an
        // index by name for a page in due-date order (13 → 275 ms at 117 000 dossiers). Gathered whole after
        // migrations or when missing; otherwise `optimize` refreshes those gone stale, cheaply.
        #[derive(diesel::QueryableByName)]
        struct Count {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            n: i64,
        }
        let stats: Vec<Count> =
            diesel::sql_query("SELECT count(*) AS n FROM sqlite_master WHERE name = 'sqlite_stat1'")
                .load(self)?;
        if applied > 0 || stats.first().is_none_or(|c| c.n == 0) {
            self.batch_execute(crate::SQLITE_ANALYZE)?;
        } else {
            self.batch_execute("PRAGMA optimize;")?;
        }
        if applied > 0 {
            #[derive(diesel::QueryableByName)]
            struct Violation {
                #[diesel(sql_type = diesel::sql_types::Text)]
                table: String,
            }
            let broken: Vec<Violation> = diesel::sql_query("PRAGMA foreign_key_check").load(self)?;
            if let Some(v) = broken.first() {
                return Err(DbError::Migration(format!(
                    "{} row(s) break a foreign key after the migrations (first in {})",
                    broken.len(),
                    v.table
                )));
            }
        }
        Ok(applied)
    }
}

/// The key of the PostgreSQL advisory lock taken around migrations ("guichet" in ASCII).
const MIGRATION_LOCK_KEY: i64 = 0x0067_7569_6368_6574;

/// A migration failure inside the SQLite transaction (returning it rolls the transaction back).
struct MigrationFailed(String);

impl From<diesel::result::Error> for MigrationFailed {
    fn from(e: diesel::result::Error) -> Self {
        MigrationFailed(e.to_string())
    }
}

/// Timeouts on every PostgreSQL connection, so that a database that stops answering (a network partition,
/// a stuck server) fails requests instead of hanging them. Each one is added to the URL as a libpq
/// parameter unless the URL sets it itself.
#[derive(Debug, Clone)]
pub struct PgTimeouts {
    /// libpq `connect_timeout` (whole seconds, at least 2).
    pub connect: Duration,
    /// Server-side `statement_timeout`; `None` leaves the server's setting.
    pub statement: Option<Duration>,
    /// TCP keepalives: first probe after this idle time (then every 10 s, 3 probes).
    pub keepalives_idle: Duration,
    /// libpq `tcp_user_timeout`: how long sent data may stay unacknowledged before the connection drops.
    pub tcp_user_timeout: Duration,
}

impl Default for PgTimeouts {
    fn default() -> Self {
        PgTimeouts {
            connect: Duration::from_secs(5),
            statement: None,
            keepalives_idle: Duration::from_secs(30),
            tcp_user_timeout: Duration::from_secs(30),
        }
    }
}

/// The URL with the timeouts it does not set itself added as libpq URI parameters.
pub fn with_postgres_timeouts(url: &str, t: &PgTimeouts) -> String {
    let (base, query) = url.split_once('?').unwrap_or((url, ""));
    let mut params: Vec<String> = query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(str::to_owned)
        .collect();
    let mut set_default = |key: &str, value: String| {
        if !params.iter().any(|p| p.split('=').next() == Some(key)) {
            params.push(format!("{key}={value}"));
        }
    };
    set_default("connect_timeout", t.connect.as_secs().max(2).to_string());
    set_default("keepalives", "1".into());
    set_default("keepalives_idle", t.keepalives_idle.as_secs().max(1).to_string());
    set_default("keepalives_interval", "10".into());
    set_default("keepalives_count", "3".into());
    set_default("tcp_user_timeout", t.tcp_user_timeout.as_millis().to_string());
    if let Some(statement) = t.statement.filter(|d| !d.is_zero()) {
        // Server settings travel in `options` (percent-encoded: libpq does not read `+` as a space).
        let setting = format!("-c%20statement_timeout%3D{}", statement.as_millis());
        match params.iter_mut().find(|p| p.starts_with("options=")) {
            Some(options) if options.contains("statement_timeout") => {}
            Some(options) => {
                options.push_str("%20");
                options.push_str(&setting);
            }
            None => params.push(format!("options={setting}")),
        }
    }
    format!("{base}?{}", params.join("&"))
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
    /// How long to wait for a free connection from the pool.
    pub connect_timeout: Duration,
    /// Upper bound of one [`DbPool::run`], waiting for a connection included; `None`: unbounded.
    pub run_timeout: Option<Duration>,
    pub postgres: PgTimeouts,
}

impl Default for PoolOptions {
    fn default() -> Self {
        PoolOptions {
            max_size: 8,
            connect_timeout: Duration::from_secs(10),
            run_timeout: None,
            postgres: PgTimeouts::default(),
        }
    }
}

/// A cloneable handle on the connection pool.
#[derive(Clone)]
pub struct DbPool {
    inner: r2d2::Pool<Manager>,
    backend: Backend,
    run_timeout: Option<Duration>,
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
        let url = match Backend::of_url(url) {
            Backend::Postgres => with_postgres_timeouts(url, &options.postgres),
            Backend::Sqlite => url.to_owned(),
        };
        let url = url.as_str();
        let mut first = AnyConnection::connect(url)?;
        SqlitePragmas
            .on_acquire(&mut first)
            .map_err(|e| DbError::Connect(e.to_string()))?;
        if let AnyConnection::Sqlite(c) = &mut first {
            // WAL lets readers work while one writer commits. It persists in the file. Two processes
            // starting at once on a new file may both try to switch it: the switch needs the file to
            // themselves, and SQLite refuses one of them at once (no busy wait for it), so try again.
            let mut attempt = 0;
            loop {
                match c.batch_execute("PRAGMA journal_mode = WAL;") {
                    Ok(()) => break,
                    Err(e) if attempt < 100 && e.to_string().contains("locked") => {
                        attempt += 1;
                        std::thread::sleep(std::time::Duration::from_millis(50));
                    }
                    Err(e) => return Err(e.into()),
                }
            }
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
        Ok(DbPool {
            inner,
            backend,
            run_timeout: options.run_timeout,
        })
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// A connection for synchronous code (CLI, background threads). Never call it on the async executor.
    pub fn get(&self) -> Result<PooledConnection> {
        Ok(self.inner.get()?)
    }

    /// Runs diesel work on tokio's blocking pool: the only way async code touches the database. Bounded
    /// by the pool's `run_timeout`: past it the caller gets [`DbError::Unavailable`] (the work itself
    /// cannot be interrupted, but it does not start once the caller has given up).
    pub async fn run<T, E, F>(&self, f: F) -> std::result::Result<T, E>
    where
        F: FnOnce(&mut AnyConnection) -> std::result::Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<DbError> + Send + 'static,
    {
        let Some(limit) = self.run_timeout else {
            return self.run_unbounded(f).await;
        };
        let deadline = std::time::Instant::now() + limit;
        let pool = self.inner.clone();
        let task = tokio::task::spawn_blocking(move || {
            let wait = deadline.saturating_duration_since(std::time::Instant::now());
            let mut conn = pool
                .get_timeout(wait.min(pool.connection_timeout()))
                .map_err(DbError::from)?;
            if std::time::Instant::now() >= deadline {
                return Err(E::from(DbError::Unavailable(format!(
                    "no database connection within {limit:?}"
                ))));
            }
            f(&mut conn)
        });
        match tokio::time::timeout_at(tokio::time::Instant::from_std(deadline), task).await {
            Ok(joined) => joined.map_err(|e| E::from(DbError::Join(e.to_string())))?,
            Err(_) => Err(E::from(DbError::Unavailable(format!(
                "no answer from the database within {limit:?}"
            )))),
        }
    }

    /// Like [`DbPool::run`] with no upper bound on the work: for long streamed exports, which the client
    /// paces. Waiting for a connection is still bounded by the pool.
    pub async fn run_unbounded<T, E, F>(&self, f: F) -> std::result::Result<T, E>
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

#[cfg(test)]
mod tests {
    use super::*;

    fn timeouts() -> PgTimeouts {
        PgTimeouts {
            statement: Some(Duration::from_secs(10)),
            ..PgTimeouts::default()
        }
    }

    #[test]
    fn timeouts_are_added_to_a_bare_url() {
        assert_eq!(
            with_postgres_timeouts("postgres://app@db/guichet", &timeouts()),
            "postgres://app@db/guichet?connect_timeout=5&keepalives=1&keepalives_idle=30&keepalives_interval=10\
             &keepalives_count=3&tcp_user_timeout=30000&options=-c%20statement_timeout%3D10000"
        );
    }

    #[test]
    fn settings_of_the_url_win_and_options_are_extended() {
        let url = with_postgres_timeouts(
            "postgres://app@db/guichet?connect_timeout=30&options=-csearch_path%3Dt1",
            &timeouts(),
        );
        assert!(url.contains("connect_timeout=30&"), "{url}");
        assert!(!url.contains("connect_timeout=5"), "{url}");
        assert!(
            url.contains("options=-csearch_path%3Dt1%20-c%20statement_timeout%3D10000"),
            "{url}"
        );
        let given = "postgres://db/g?options=-c%20statement_timeout%3D0";
        assert!(
            with_postgres_timeouts(given, &timeouts()).contains("options=-c%20statement_timeout%3D0&")
                || with_postgres_timeouts(given, &timeouts()).ends_with("options=-c%20statement_timeout%3D0")
        );
    }
}
