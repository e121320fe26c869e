//! Faults injected into real parts: `kill -9` of a `guichet serve` process, an SMTP server, a database that
//! fails a statement, goes silent or refuses connections, two processes migrating at once.

use std::collections::{BTreeMap, BTreeSet};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use diesel::connection::SimpleConnection;
use guichet_db::outbox::{self, NewEmail};
use guichet_db::{DbPool, PoolOptions, write_transaction};
use guichet_test_support::guichet_notify::{Deliverer, DeliveryOptions, Mailer};
use guichet_test_support::{
    Backend, ProxyMode, SmtpServer, TcpProxy, TestApp, TestDatabase, free_port, on_both_backends,
    postgres_url, url_authority,
};
use reqwest::StatusCode;

const PASSWORD: &str = "une phrase de passe solide";

fn fresh(backend: Backend) -> Option<(tempfile::TempDir, TestDatabase, DbPool)> {
    let dir = tempfile::tempdir().unwrap();
    let db = TestDatabase::create(backend, dir.path())?;
    let pool = DbPool::connect_and_migrate(&db.url, &PoolOptions::default()).unwrap();
    Some((dir, db, pool))
}

fn queue(pool: &DbPool, recipients: impl IntoIterator<Item = String>) -> Vec<String> {
    let mut c = pool.get().unwrap();
    let recipients: Vec<String> = recipients.into_iter().collect();
    write_transaction(&mut c, |c| {
        recipients
            .iter()
            .map(|to| {
                outbox::enqueue(
                    c,
                    &NewEmail {
                        recipient: to.clone(),
                        subject: "Accusé de réception".into(),
                        body_text: "Bonjour,\nVotre demande est bien arrivée.".into(),
                    },
                )
            })
            .collect::<Result<Vec<_>, _>>()
    })
    .unwrap()
}

#[derive(diesel::QueryableByName)]
struct Count {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

fn leased(pool: &DbPool) -> i64 {
    use diesel::RunQueryDsl;
    diesel::sql_query("SELECT COUNT(*) AS n FROM outbox WHERE locked_until IS NOT NULL")
        .get_result::<Count>(&mut pool.get().unwrap())
        .unwrap()
        .n
}

/// R2: a pass that fails on a database error (here a trigger refuses to mark one email sent) frees the
/// claims it still holds, instead of leaving them leased; and the email it did send is not sent twice.
async fn a_failed_pass_frees_its_claims_and_sends_nothing_twice(backend: Backend) {
    let Some((dir, _db, pool)) = fresh(backend) else {
        return;
    };
    let mut ids = queue(&pool, ["panne@exemple.fr".to_owned()]);
    ids.extend(queue(&pool, (0..5).map(|i| format!("u{i}@exemple.fr"))));
    let fail_mark = match backend {
        Backend::Sqlite => {
            "CREATE TRIGGER fail_mark BEFORE UPDATE OF sent_at ON outbox \
             WHEN NEW.sent_at IS NOT NULL AND OLD.recipient = 'panne@exemple.fr' \
             BEGIN SELECT RAISE(ABORT, 'disk I/O error (test)'); END;"
        }
        Backend::Postgres => {
            "CREATE FUNCTION fail_mark() RETURNS trigger LANGUAGE plpgsql AS \
             $$ BEGIN RAISE EXCEPTION 'disk I/O error (test)'; END $$; \
             CREATE TRIGGER fail_mark BEFORE UPDATE ON outbox FOR EACH ROW \
             WHEN (NEW.sent_at IS NOT NULL AND OLD.recipient = 'panne@exemple.fr') EXECUTE FUNCTION fail_mark();"
        }
    };
    pool.get().unwrap().batch_execute(fail_mark).unwrap();
    let outbox_dir = dir.path().join("outbox");
    let mailer = Mailer::files(outbox_dir.clone(), "Guichet <ne-pas-repondre@exemple.fr>").unwrap();
    let mut deliverer = Deliverer::new(
        pool.clone(),
        mailer,
        DeliveryOptions {
            instance: "test-a".into(),
            ..DeliveryOptions::default()
        },
    );
    assert!(
        deliverer.pass().await.is_err(),
        "the mark of the first email fails"
    );
    assert_eq!(leased(&pool), 0, "no email is left leased by the failed pass");

    let drop_trigger = match backend {
        Backend::Sqlite => "DROP TRIGGER fail_mark;",
        Backend::Postgres => "DROP TRIGGER fail_mark ON outbox;",
    };
    pool.get().unwrap().batch_execute(drop_trigger).unwrap();
    let pass = deliverer.pass().await.unwrap();
    assert_eq!(
        pass.sent, 5,
        "the others go out at the next pass, not after a lease"
    );
    assert_eq!(outbox::pending_count(&mut pool.get().unwrap()).unwrap(), 0);
    let files = std::fs::read_dir(&outbox_dir).unwrap().count();
    assert_eq!(
        files,
        ids.len(),
        "the email sent before the failed mark is not sent again"
    );
}

/// R8: a backlog drains pass after pass, not one batch of 50 per 5-second poll (which takes at least 15 s
/// for 200 emails).
async fn a_backlog_drains_without_waiting_for_the_poll(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let pool = app.pool.clone();
    tokio::task::spawn_blocking(move || queue(&pool, (0..200).map(|i| format!("u{i}@exemple.fr"))))
        .await
        .unwrap();
    let started = Instant::now();
    app.state.delivery.wake();
    loop {
        let pending = app.pool.run(outbox::pending_count).await.unwrap();
        if pending == 0 {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "{pending} emails still queued after {:?}",
            started.elapsed()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(app.emails().len(), 200);
}

fn serve(data_dir: &std::path::Path, port: u16, database_url: &str, smtp_url: &str) -> Child {
    Command::new(env!("CARGO_BIN_EXE_guichet"))
        .arg("serve")
        .env("GUICHET_DATA_DIR", data_dir)
        .env("GUICHET_BIND", format!("127.0.0.1:{port}"))
        .env("GUICHET_FORMS_DIR", guichet_test_support::forms_dir())
        .env("GUICHET_DATABASE_URL", database_url)
        .env("GUICHET_SMTP_URL", smtp_url)
        .env_remove("GUICHET_INSTANCE_NAME")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

/// Message-IDs received, with how many times each.
fn received(smtp: &SmtpServer) -> BTreeMap<String, usize> {
    let mut seen = BTreeMap::new();
    for m in smtp.messages() {
        *seen
            .entry(m.message_id.unwrap_or_else(|| format!("(none to {})", m.to)))
            .or_insert(0) += 1;
    }
    seen
}

/// R1 and R2: `kill -9` of a server while it sends a backlog, twice. After each restart every email
/// arrives within seconds (the restarted process frees the claims of its previous life), and a copy
/// sent twice carries the same Message-ID, derived from its outbox row.
async fn a_killed_server_delivers_everything_after_restart_with_stable_message_ids(backend: Backend) {
    let Some(smtp) = SmtpServer::start(0) else { return };
    let Some((dir, db, pool)) = fresh(backend) else {
        return;
    };
    const N: usize = 300;
    let ids: BTreeSet<String> = queue(&pool, (0..N).map(|i| format!("u{i}@exemple.fr")))
        .into_iter()
        .collect();
    let port = free_port();
    let data_dir = dir.path().join("data");
    let mut kills = 0;
    for kill_after in [20, 120] {
        let mut child = serve(&data_dir, port, &db.url, &smtp.url());
        let deadline = Instant::now() + Duration::from_secs(60);
        while smtp.messages().len() < kill_after {
            assert!(Instant::now() < deadline, "the server sends nothing");
            std::thread::sleep(Duration::from_millis(2));
        }
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        kills += 1;
        let at_kill = received(&smtp).len();
        assert!(
            at_kill < N,
            "killed too late to test anything ({at_kill} of {N} received)"
        );
    }
    let restarted = Instant::now();
    let mut child = serve(&data_dir, port, &db.url, &smtp.url());
    let result = loop {
        let seen = received(&smtp);
        if seen.len() >= N || restarted.elapsed() > Duration::from_secs(30) {
            break seen;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    // Give a possible last duplicate the time to show.
    std::thread::sleep(Duration::from_millis(500));
    let seen = received(&smtp);
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(
        result.len(),
        N,
        "every email arrives within 30 s of the restart (not after a lease); after {:?}",
        restarted.elapsed()
    );
    let expected: BTreeSet<String> = ids.iter().map(|id| format!("{id}@127.0.0.1")).collect();
    let got: BTreeSet<String> = seen.keys().cloned().collect();
    let unexpected: Vec<&String> = got.difference(&expected).take(3).collect();
    assert!(
        got == expected,
        "each email's Message-ID is <outbox-id@host of the public URL>; {} unexpected, e.g. {unexpected:?}",
        got.difference(&expected).count()
    );
    let duplicates: usize = seen.values().map(|n| n - 1).sum();
    assert!(
        duplicates <= kills,
        "at most one duplicate per crash: {duplicates} for {kills} kills"
    );
    assert_eq!(outbox::pending_count(&mut pool.get().unwrap()).unwrap(), 0);
}

/// R3: two processes migrating the same empty database at once both succeed (5 trials).
async fn two_processes_migrate_a_fresh_database_at_once(backend: Backend) {
    for trial in 0..5 {
        let dir = tempfile::tempdir().unwrap();
        let Some(db) = TestDatabase::create(backend, dir.path()) else {
            return;
        };
        let children: Vec<Child> = (0..2)
            .map(|_| {
                Command::new(env!("CARGO_BIN_EXE_guichet"))
                    .arg("migrate")
                    .env("GUICHET_DATA_DIR", dir.path())
                    .env("GUICHET_DATABASE_URL", &db.url)
                    .stdout(Stdio::null())
                    .stderr(Stdio::piped())
                    .spawn()
                    .unwrap()
            })
            .collect();
        for child in children {
            let out = child.wait_with_output().unwrap();
            assert!(
                out.status.success(),
                "trial {trial}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }
}

async fn logged_in_app_behind_proxy(proxy: &TcpProxy) -> Option<TestApp> {
    let app = TestApp::spawn_with(Backend::Postgres, |c| {
        c.database_url = c.database_url.as_deref().map(|u| proxy.url_for(u));
        c.db_timeout_secs = 3;
        c.db_connect_timeout_secs = 2;
        c.db_statement_timeout_secs = 2;
    })
    .await?;
    app.create_user("coupure@exemple.fr", PASSWORD, guichet_types::Role::Usager, &[])
        .await;
    assert_eq!(
        app.login("coupure@exemple.fr", PASSWORD).await.status(),
        StatusCode::SEE_OTHER
    );
    assert_eq!(app.get("/mes-dossiers").await.status(), StatusCode::OK);
    Some(app)
}

/// Requests made while the database is unavailable: each gets the French 503 page with `Retry-After`
/// within a bounded time.
async fn assert_unavailable_quickly(app: &TestApp, requests: usize) {
    let started = Instant::now();
    let responses = futures_join(app, requests).await;
    for (status, retry_after, html, took) in responses {
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{html}");
        assert_eq!(retry_after.as_deref(), Some("30"));
        assert!(
            html.contains("Service momentanément indisponible")
                && html.contains("Vos réponses déjà enregistrées sont conservées")
                && html.contains("Réessayez dans quelques minutes"),
            "{html}"
        );
        assert!(took < Duration::from_secs(8), "a request waited {took:?}");
    }
    assert!(started.elapsed() < Duration::from_secs(10));
}

async fn futures_join(app: &TestApp, requests: usize) -> Vec<(StatusCode, Option<String>, String, Duration)> {
    let mut tasks = Vec::new();
    for _ in 0..requests {
        let client = app.client.clone();
        let url = app.url("/mes-dossiers");
        tasks.push(tokio::spawn(async move {
            let t = Instant::now();
            let r = client
                .get(url)
                .timeout(Duration::from_secs(30))
                .send()
                .await
                .unwrap();
            let status = r.status();
            let retry_after = r
                .headers()
                .get("retry-after")
                .map(|v| v.to_str().unwrap().to_owned());
            (status, retry_after, r.text().await.unwrap(), t.elapsed())
        }));
    }
    let mut out = Vec::new();
    for t in tasks {
        out.push(t.await.unwrap());
    }
    out
}

async fn wait_until_served(app: &TestApp, within: Duration) {
    let started = Instant::now();
    loop {
        let r = app
            .client
            .get(app.url("/mes-dossiers"))
            .timeout(Duration::from_secs(10))
            .send()
            .await;
        if r.is_ok_and(|r| r.status() == StatusCode::OK) {
            return;
        }
        assert!(started.elapsed() < within, "the server did not recover by itself");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// R4 and R7: PostgreSQL stops answering (connections open, silent, as in a network partition) for
/// 15 s. Requests get the French 503 page with `Retry-After` within seconds instead of hanging; when the
/// network comes back the server serves again by itself.
#[tokio::test]
async fn a_silent_database_gets_503_quickly_then_recovers() {
    let Some(base) = postgres_url() else { return };
    let proxy = TcpProxy::start(&url_authority(&base)).await;
    let Some(app) = logged_in_app_behind_proxy(&proxy).await else {
        return;
    };
    proxy.set(ProxyMode::Silent);
    let silent = Instant::now();
    // More requests than the pool has connections.
    assert_unavailable_quickly(&app, 12).await;
    // Emails keep being accepted into the queue later; meanwhile the delivery loop must not hang either.
    let remaining = Duration::from_secs(15).saturating_sub(silent.elapsed());
    tokio::time::sleep(remaining).await;
    proxy.set(ProxyMode::Forward);
    wait_until_served(&app, Duration::from_secs(20)).await;
    app.post_form(
        "/mot-de-passe-oublie",
        "/mot-de-passe-oublie",
        &[("email", "coupure@exemple.fr")],
    )
    .await;
    app.wait_for_email("coupure@exemple.fr", "mot de passe").await;
}

/// R7: PostgreSQL refuses connections (stopped): 503 with `Retry-After`, not 500; then recovery.
#[tokio::test]
async fn a_refused_database_gets_503_then_recovers() {
    let Some(base) = postgres_url() else { return };
    let proxy = TcpProxy::start(&url_authority(&base)).await;
    let Some(app) = logged_in_app_behind_proxy(&proxy).await else {
        return;
    };
    // The settings reach the server through the URL.
    #[derive(diesel::QueryableByName)]
    struct Setting {
        #[diesel(sql_type = diesel::sql_types::Text)]
        statement_timeout: String,
    }
    let shown = app
        .pool
        .run(|c| {
            use diesel::RunQueryDsl;
            diesel::sql_query("SHOW statement_timeout")
                .get_result::<Setting>(c)
                .map_err(guichet_db::DbError::from)
        })
        .await
        .unwrap();
    assert_eq!(shown.statement_timeout, "2s");
    proxy.set(ProxyMode::Cut);
    assert_unavailable_quickly(&app, 3).await;
    proxy.set(ProxyMode::Forward);
    wait_until_served(&app, Duration::from_secs(20)).await;
}

on_both_backends!(
    a_failed_pass_frees_its_claims_and_sends_nothing_twice,
    a_backlog_drains_without_waiting_for_the_poll,
    a_killed_server_delivers_everything_after_restart_with_stable_message_ids,
    two_processes_migrate_a_fresh_database_at_once,
);

/// R4: the delivery loop is bounded too: a pass against a silent PostgreSQL ends (with an error) within
/// seconds instead of hanging until the network comes back; the next pass after it delivers.
#[tokio::test]
async fn a_delivery_pass_against_a_silent_database_ends_in_bounded_time() {
    let Some(base) = postgres_url() else { return };
    let proxy = TcpProxy::start(&url_authority(&base)).await;
    let dir = tempfile::tempdir().unwrap();
    let db = TestDatabase::create(Backend::Postgres, dir.path()).unwrap();
    let options = PoolOptions {
        run_timeout: Some(Duration::from_secs(2)),
        connect_timeout: Duration::from_secs(2),
        ..PoolOptions::default()
    };
    // Blocking calls off the test's single thread, which also runs the proxy.
    let url = proxy.url_for(&db.url);
    let pool = tokio::task::spawn_blocking(move || DbPool::connect_and_migrate(&url, &options).unwrap())
        .await
        .unwrap();
    let p = pool.clone();
    tokio::task::spawn_blocking(move || queue(&p, ["silence@exemple.fr".to_owned()]))
        .await
        .unwrap();
    let outbox_dir = dir.path().join("outbox");
    let mailer = Mailer::files(outbox_dir.clone(), "Guichet <ne-pas-repondre@exemple.fr>").unwrap();
    let mut deliverer = Deliverer::new(pool, mailer, DeliveryOptions::default());
    proxy.set(ProxyMode::Silent);
    let pass = tokio::time::timeout(Duration::from_secs(10), deliverer.pass()).await;
    assert!(
        matches!(pass, Ok(Err(_))),
        "the pass gives up on its own: {pass:?}"
    );
    proxy.set(ProxyMode::Forward);
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Ok(Ok(p)) = tokio::time::timeout(Duration::from_secs(10), deliverer.pass()).await
            && p.sent == 1
        {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "never delivered after the network came back"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(std::fs::read_dir(&outbox_dir).unwrap().count(), 1);
}
