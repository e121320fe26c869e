//! Write transactions that never fail with "database is locked".
//!
//! A deferred SQLite transaction (`BEGIN`) that reads before it writes holds a read snapshot; when another
//! connection commits in between, the upgrade to a write lock fails with `SQLITE_BUSY` at once, whatever
//! `busy_timeout` says (the busy handler cannot help: waiting would not make the snapshot current).
//! `BEGIN IMMEDIATE` takes the write lock first, so concurrent writers queue on `busy_timeout` instead.
//! PostgreSQL's MVCC has no such upgrade; there a plain transaction is the same thing.

use diesel::connection::{AnsiTransactionManager, Connection, TransactionManager};
use diesel::result::Error;

use crate::AnyConnection;

/// Runs `f` in a transaction that may write: `BEGIN IMMEDIATE` on SQLite (a savepoint when already inside
/// a transaction), a plain transaction on PostgreSQL. Commits on `Ok`, rolls back on `Err`.
///
/// Every transaction of the platform goes through here (clippy's `disallowed-methods` forbids
/// `Connection::transaction` elsewhere).
pub fn write_transaction<T, E, F>(conn: &mut AnyConnection, f: F) -> Result<T, E>
where
    F: FnOnce(&mut AnyConnection) -> Result<T, E>,
    E: From<Error>,
{
    let outermost_sqlite = match conn {
        AnyConnection::Sqlite(c) => {
            let depth = AnsiTransactionManager::transaction_manager_status_mut(c).transaction_depth()?;
            if depth.is_none() {
                AnsiTransactionManager::begin_transaction_sql(c, "BEGIN IMMEDIATE")?;
                true
            } else {
                false
            }
        }
        AnyConnection::Postgresql(_) => false,
    };
    if !outermost_sqlite {
        #[expect(
            clippy::disallowed_methods,
            reason = "the one place that opens other transactions"
        )]
        return conn.transaction(f);
    }
    // The transaction is open: finish it as diesel's own `TransactionManager::transaction` does.
    type Manager = <AnyConnection as Connection>::TransactionManager;
    match f(conn) {
        Ok(value) => {
            Manager::commit_transaction(conn)?;
            Ok(value)
        }
        Err(user_error) => match Manager::rollback_transaction(conn) {
            Ok(()) | Err(Error::BrokenTransactionManager) => Err(user_error),
            Err(rollback_error) => Err(rollback_error.into()),
        },
    }
}

#[cfg(test)]
mod tests {
    use diesel::connection::SimpleConnection;
    use diesel::prelude::*;

    use super::*;

    fn sqlite(path: &std::path::Path) -> AnyConnection {
        let mut c = AnyConnection::connect(&path.to_string_lossy()).unwrap();
        // The timeout first: switching the journal mode takes a lock that another thread may hold.
        c.batch_execute("PRAGMA busy_timeout = 5000; PRAGMA journal_mode = WAL;")
            .unwrap();
        c
    }

    #[derive(QueryableByName)]
    struct N {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }

    fn count(c: &mut AnyConnection) -> i64 {
        diesel::sql_query("SELECT COUNT(*) AS n FROM t")
            .get_result::<N>(c)
            .unwrap()
            .n
    }

    /// Read-then-write transactions on several connections at once: with a deferred BEGIN some fail with
    /// SQLITE_BUSY (the snapshot cannot be upgraded); with BEGIN IMMEDIATE all of them commit.
    #[test]
    fn concurrent_read_then_write_transactions_all_commit_on_sqlite() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.db");
        sqlite(&path)
            .batch_execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v INTEGER NOT NULL)")
            .unwrap();
        let threads: Vec<_> = (0..8)
            .map(|i| {
                let path = path.clone();
                std::thread::spawn(move || {
                    let mut c = sqlite(&path);
                    let mut failures = 0;
                    for j in 0..25 {
                        let r = write_transaction(&mut c, |c| {
                            let n = count(c);
                            std::thread::sleep(std::time::Duration::from_micros(200));
                            diesel::sql_query(format!("INSERT INTO t (v) VALUES ({})", n + i * 100 + j))
                                .execute(c)?;
                            Ok::<_, Error>(())
                        });
                        if r.is_err() {
                            failures += 1;
                        }
                    }
                    failures
                })
            })
            .collect();
        let failures: i32 = threads.into_iter().map(|t| t.join().unwrap()).sum();
        assert_eq!(failures, 0);
        assert_eq!(count(&mut sqlite(&path)), 200);
    }

    #[test]
    fn an_error_rolls_back_and_nesting_uses_savepoints() {
        let dir = tempfile::tempdir().unwrap();
        let mut c = sqlite(&dir.path().join("t.db"));
        c.batch_execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v INTEGER NOT NULL)")
            .unwrap();
        let r = write_transaction(&mut c, |c| {
            diesel::sql_query("INSERT INTO t (v) VALUES (1)").execute(c)?;
            let inner = write_transaction(c, |c| {
                diesel::sql_query("INSERT INTO t (v) VALUES (2)").execute(c)?;
                Err::<(), _>(Error::RollbackTransaction)
            });
            assert!(inner.is_err());
            Ok::<_, Error>(())
        });
        assert!(r.is_ok());
        assert_eq!(
            count(&mut c),
            1,
            "the inner savepoint rolled back, the outer committed"
        );
        let r = write_transaction(&mut c, |c| {
            diesel::sql_query("INSERT INTO t (v) VALUES (3)").execute(c)?;
            Err::<(), _>(Error::RollbackTransaction)
        });
        assert!(r.is_err());
        assert_eq!(count(&mut c), 1);
    }
}
