//! Storage invariants on both backends: pragmas, foreign keys, outbox claiming.

use guichet_db::outbox::{self, NewEmail};
use guichet_db::{Backend, DbPool, PoolOptions};
use guichet_test_support::{TestDatabase, on_both_backends};

fn fresh(backend: Backend) -> Option<(tempfile::TempDir, TestDatabase, DbPool)> {
    let dir = tempfile::tempdir().unwrap();
    let db = TestDatabase::create(backend, dir.path())?;
    let pool = DbPool::connect_and_migrate(&db.url, &PoolOptions::default()).unwrap();
    assert_eq!(pool.backend(), backend);
    Some((dir, db, pool))
}

async fn foreign_keys_are_enforced(backend: Backend) {
    let Some((_d, _db, pool)) = fresh(backend) else {
        return;
    };
    let mut c = pool.get().unwrap();
    guichet_accounts::services::create(&mut c, "apa", "APA").unwrap();
    let r = guichet_accounts::services::add_member(&mut c, "no-such-user", "apa");
    assert!(
        r.is_err(),
        "a membership of an unknown user must violate the foreign key"
    );
}

async fn migrations_are_idempotent(backend: Backend) {
    let Some((_d, db, _pool)) = fresh(backend) else {
        return;
    };
    // A second start finds nothing to apply.
    DbPool::connect_and_migrate(&db.url, &PoolOptions::default()).unwrap();
}

async fn an_outbox_row_is_claimed_once(backend: Backend) {
    let Some((_d, _db, pool)) = fresh(backend) else {
        return;
    };
    let mut c = pool.get().unwrap();
    let id = outbox::enqueue(
        &mut c,
        &NewEmail {
            recipient: "a@b.fr".into(),
            subject: "s".into(),
            body_text: "b".into(),
        },
    )
    .unwrap();
    drop(c);
    // Several workers race for the same due row: exactly one wins it.
    let handles: Vec<_> = (0..4)
        .map(|_| {
            let pool = pool.clone();
            std::thread::spawn(move || {
                outbox::claim_due(&mut pool.get().unwrap(), "test", 10, chrono::Duration::minutes(5))
                    .unwrap()
                    .len()
            })
        })
        .collect();
    let total: usize = handles.into_iter().map(|h| h.join().unwrap()).sum();
    assert_eq!(total, 1);
    let mut c = pool.get().unwrap();
    outbox::mark_failed(&mut c, &id, "smtp down", chrono::Duration::zero()).unwrap();
    let again = outbox::claim_due(&mut c, "test", 10, chrono::Duration::minutes(5)).unwrap();
    assert_eq!(again.len(), 1, "a failed email is retried, not lost");
    assert_eq!(again[0].attempts, 1);
    outbox::mark_sent(&mut c, &id).unwrap();
    assert_eq!(outbox::pending_count(&mut c).unwrap(), 0);
}

#[test]
fn sqlite_files_use_wal_busy_timeout_and_foreign_keys() {
    use diesel::prelude::*;
    #[derive(QueryableByName)]
    struct Mode {
        #[diesel(sql_type = diesel::sql_types::Text)]
        journal_mode: String,
    }
    #[derive(QueryableByName)]
    struct Flag {
        #[diesel(sql_type = diesel::sql_types::Integer)]
        foreign_keys: i32,
    }
    #[derive(QueryableByName)]
    struct Timeout {
        #[diesel(sql_type = diesel::sql_types::Integer)]
        timeout: i32,
    }
    let (_d, _db, pool) = fresh(Backend::Sqlite).unwrap();
    let mut c = pool.get().unwrap();
    let guichet_db::AnyConnection::Sqlite(s) = &mut *c else {
        panic!("sqlite expected")
    };
    let m: Mode = diesel::sql_query("PRAGMA journal_mode").get_result(s).unwrap();
    assert_eq!(m.journal_mode, "wal");
    let f: Flag = diesel::sql_query("PRAGMA foreign_keys").get_result(s).unwrap();
    assert_eq!(f.foreign_keys, 1);
    let t: Timeout = diesel::sql_query("PRAGMA busy_timeout").get_result(s).unwrap();
    assert!(t.timeout >= 1000);
}

on_both_backends!(
    foreign_keys_are_enforced,
    migrations_are_idempotent,
    an_outbox_row_is_claimed_once
);
