#![doc = include_str!("../README.md")]
// Test helpers panic on purpose: a failed setup must stop the test with its cause.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

pub mod franceconnect;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use diesel::Connection;
use diesel::connection::SimpleConnection;
pub use guichet_db::Backend;
use guichet_db::DbPool;
/// For journeys that drive email delivery themselves (the root package does not depend on it).
pub use guichet_notify;
use guichet_web::{Application, Config};
use secrecy::SecretString;

pub const TEST_SECRET: &str = "test-secret-test-secret-test-secret-0123456789";

/// The repository's procedure definitions.
/// The complete answers of a procedure's test fixture (`apa`, `mdph`), as a draft holds them.
pub fn fixture(procedure: &str) -> serde_json::Value {
    let text = match procedure {
        "apa" => include_str!("../../forms/tests/fixtures/apa_complete.json"),
        "mdph" => include_str!("../../forms/tests/fixtures/mdph_complete.json"),
        other => panic!("no fixture for {other}"),
    };
    serde_json::from_str(text).unwrap()
}

pub fn forms_dir() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../forms"))
}

/// Generates a `sqlite` and a `postgres` test for each named `async fn(Backend)`.
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $( #[tokio::test] async fn $name() { super::$name($crate::Backend::Sqlite).await } )*
        }
        mod postgres {
            $( #[tokio::test] async fn $name() { super::$name($crate::Backend::Postgres).await } )*
        }
    };
}

/// The PostgreSQL server for tests, or `None` (skip) when not configured outside CI.
pub fn postgres_url() -> Option<String> {
    match std::env::var("GUICHET_TEST_POSTGRES_URL") {
        Ok(u) if !u.is_empty() => Some(u),
        _ if std::env::var_os("CI").is_some() => {
            panic!(
                "CI is set but GUICHET_TEST_POSTGRES_URL is not: database tests must run on PostgreSQL too"
            )
        }
        _ => {
            eprintln!("note: GUICHET_TEST_POSTGRES_URL unset: PostgreSQL variant skipped");
            None
        }
    }
}

/// A fresh, empty database: a SQLite file or a PostgreSQL schema, with its URL.
pub struct TestDatabase {
    pub url: String,
    pg_schema: Option<(String, String)>,
}

impl TestDatabase {
    pub fn create(backend: Backend, dir: &std::path::Path) -> Option<TestDatabase> {
        match backend {
            Backend::Sqlite => Some(TestDatabase {
                url: dir.join("test.db").to_string_lossy().into_owned(),
                pg_schema: None,
            }),
            Backend::Postgres => {
                let base = postgres_url()?;
                let schema = format!("t_{}", uuid::Uuid::new_v4().simple());
                let mut admin = diesel::PgConnection::establish(&base)
                    .unwrap_or_else(|e| panic!("cannot reach PostgreSQL at GUICHET_TEST_POSTGRES_URL: {e}"));
                admin.batch_execute(&format!("CREATE SCHEMA {schema}")).unwrap();
                let sep = if base.contains('?') { '&' } else { '?' };
                let url = format!("{base}{sep}options=-csearch_path%3D{schema}");
                Some(TestDatabase {
                    url,
                    pg_schema: Some((base, schema)),
                })
            }
        }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if let Some((base, schema)) = &self.pg_schema
            && let Ok(mut c) = diesel::PgConnection::establish(base)
        {
            let _ = c.batch_execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"));
        }
    }
}

/// The application running on a random port, with an HTTP client that keeps cookies and does not
/// follow redirects (so tests see the 303s).
pub struct TestApp {
    pub address: String,
    pub state: guichet_web::AppState,
    pub client: reqwest::Client,
    pub pool: DbPool,
    pub data_dir: tempfile::TempDir,
    pub backend: Backend,
    _db: TestDatabase,
}

/// A received email, decoded.
#[derive(Debug, Clone)]
pub struct ReceivedEmail {
    pub to: String,
    pub subject: String,
    pub body: String,
    /// Without the angle brackets.
    pub message_id: Option<String>,
}

impl TestApp {
    pub async fn spawn(backend: Backend) -> Option<TestApp> {
        Self::spawn_with(backend, |_| {}).await
    }

    /// Like [`TestApp::spawn`], with a chance to change the configuration first.
    pub async fn spawn_with(backend: Backend, tweak: impl FnOnce(&mut Config)) -> Option<TestApp> {
        let data_dir = tempfile::tempdir().unwrap();
        let db = TestDatabase::create(backend, data_dir.path())?;
        let mut config = Config {
            database_url: Some(db.url.clone()),
            data_dir: data_dir.path().to_owned(),
            bind: "127.0.0.1:0".into(),
            session_secret: Some(SecretString::from(TEST_SECRET)),
            workers: 1,
            forms_dir: forms_dir(),
            ..Config::default()
        };
        tweak(&mut config);
        let settings = config.resolve().unwrap();
        let app = Application::build(settings).await.unwrap();
        let address = format!("http://127.0.0.1:{}", app.port());
        let pool = app.state().pool.clone();
        let state = app.state().clone();
        tokio::spawn(app.run_until_stopped());
        let client = reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        Some(TestApp {
            address,
            state,
            client,
            pool,
            data_dir,
            backend,
            _db: db,
        })
    }

    /// The database URL the app runs on (for the CLI in tests).
    pub fn pool_url(&self) -> String {
        self._db.url.clone()
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    /// The app's own client seen as a browser (the helpers below share [`Browser`]'s code).
    fn own_browser(&self) -> Browser<'_> {
        Browser {
            app: self,
            client: self.client.clone(),
        }
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.own_browser().get(path).await
    }

    pub async fn get_html(&self, path: &str) -> String {
        self.own_browser().get_html(path).await
    }

    /// Posts a form the way a browser does: reads the CSRF token from the page that shows the form.
    pub async fn post_form(
        &self,
        form_page: &str,
        action: &str,
        fields: &[(&str, &str)],
    ) -> reqwest::Response {
        self.own_browser().post_form(form_page, action, fields).await
    }

    /// Posts a raw body (bytes that need not be UTF-8) with the CSRF token taken from `form_page`.
    pub async fn post_raw(&self, form_page: &str, action: &str, raw: &[u8]) -> reqwest::Response {
        let html = self.get_html(form_page).await;
        let token = csrf_token(&html).unwrap();
        let mut body = format!("csrf_token={token}&").into_bytes();
        body.extend_from_slice(raw);
        self.client
            .post(self.url(action))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .unwrap()
    }

    pub fn outbox_dir(&self) -> PathBuf {
        self.data_dir.path().join("outbox")
    }

    /// Every email written so far.
    pub fn emails(&self) -> Vec<ReceivedEmail> {
        emails_in(&self.outbox_dir())
    }

    /// Waits (up to 10 s) for an email to `to` whose subject contains `subject`.
    pub async fn wait_for_email(&self, to: &str, subject: &str) -> ReceivedEmail {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(e) = self
                .emails()
                .into_iter()
                .rev()
                .find(|e| e.to == to && e.subject.contains(subject))
            {
                return e;
            }
            assert!(
                Instant::now() < deadline,
                "no email to {to} with subject containing {subject:?}: {:?}",
                self.emails()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Creates an account directly (verified), as the CLI does.
    /// The usual cast of a journey: a family (`famille@exemple.fr`) and an instructor of `services`
    /// (`agent@departement.fr`), both with `password`.
    pub async fn family_and_agent(&self, password: &str, services: &[&str]) {
        self.create_user("famille@exemple.fr", password, guichet_types::Role::Usager, &[])
            .await;
        self.create_user(
            "agent@departement.fr",
            password,
            guichet_types::Role::Instructeur,
            services,
        )
        .await;
    }

    pub async fn create_user(
        &self,
        email: &str,
        password: &str,
        role: guichet_types::Role,
        services: &[&str],
    ) {
        let (email, password) = (email.to_owned(), password.to_owned());
        let services: Vec<String> = services.iter().map(|s| (*s).to_owned()).collect();
        self.pool
            .run(move |c| {
                let e = guichet_types::Email::parse(&email).unwrap();
                let u = guichet_accounts::users::create(c, &e, &password, "Camille Test", role, true)?;
                for s in &services {
                    if guichet_accounts::services::find_by_code(c, s)?.is_none() {
                        guichet_accounts::services::create(c, s, &s.to_uppercase())?;
                    }
                    guichet_accounts::services::add_member(c, &u.id, s)?;
                }
                Ok::<_, guichet_accounts::AccountsError>(())
            })
            .await
            .unwrap();
    }

    /// An agent of `service` with this role in it (created verified); returns their id.
    pub async fn member(
        &self,
        email: &str,
        password: &str,
        service: &str,
        role: guichet_types::ServiceRole,
    ) -> String {
        self.create_user(email, password, guichet_types::Role::Instructeur, &[service])
            .await;
        let (email, service) = (guichet_types::Email::parse(email).unwrap(), service.to_owned());
        self.pool
            .run(move |c| {
                let u = guichet_accounts::users::find_by_email(c, &email)?.unwrap();
                guichet_accounts::services::set_role(c, &u.id, &service, role)?;
                Ok::<_, guichet_accounts::AccountsError>(u.id)
            })
            .await
            .unwrap()
    }

    /// Writes `bytes` into the file store under `sha` (64 hex digits) and returns the answer value a
    /// file field holds for it.
    pub fn stored_file(&self, sha: &str, name: &str, bytes: &[u8]) -> serde_json::Value {
        let path = self.state.files.path_of(sha).unwrap();
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, bytes).unwrap();
        serde_json::json!([{ "id": sha, "name": name, "size": bytes.len(), "content_type": "application/pdf" }])
    }

    /// Files a dossier directly through the domain (no pages): a draft with these answers, deposited.
    /// Returns its id and number.
    pub async fn deposit(
        &self,
        owner_email: &str,
        procedure: &str,
        answers: serde_json::Value,
    ) -> (String, String) {
        let proc = self
            .state
            .procedures
            .get(procedure)
            .unwrap_or_else(|| panic!("no procedure {procedure}"))
            .clone();
        let today = chrono::Utc::now().date_naive();
        let mut answers = answers.as_object().cloned().unwrap();
        proc.def.normalize_answers(&mut answers, today);
        let errors = proc.def.validate_all(&answers, today);
        assert!(errors.is_empty(), "fixture answers invalid: {errors:?}");
        let email = guichet_types::Email::parse(owner_email).unwrap();
        let public_url = self.state.settings.public_url.clone();
        let (d, n) = self
            .pool
            .run(move |c| {
                let owner = guichet_accounts::users::find_by_email(c, &email)
                    .unwrap()
                    .unwrap();
                let draft = guichet_dossiers::store::create_draft(
                    c,
                    &guichet_dossiers::store::NewDraft {
                        owner_id: owner.id.clone(),
                        procedure: proc.id().to_owned(),
                        service_code: proc.service_code.clone(),
                        form_version_id: proc.version_id.clone(),
                        answers: serde_json::Value::Object(answers.clone()),
                        applicant_name: String::new(),
                    },
                )
                .unwrap();
                // The same receipt email as a deposit through the pages.
                let email = guichet_notify::emails::dossier_deposited(
                    &owner.email,
                    proc.def.title(),
                    None,
                    None,
                    &format!("{public_url}/dossiers/{}", draft.id),
                );
                // Routed as a deposit through the pages is.
                let routed_to = guichet_usecases::routing::service_for(
                    c,
                    &proc,
                    &answers,
                    chrono::Utc::now().date_naive(),
                )
                .unwrap();
                let deposit = guichet_dossiers::store::Deposit {
                    routed_to,
                    rights: guichet_usecases::instruction::requested(&proc.def, &answers),
                    answers: serde_json::Value::Object(answers),
                    applicant_name: "Jeanne Marie Durand".into(),
                    prefix: proc.prefix.clone(),
                    due_at: Some(guichet_db::now() + chrono::Duration::days(60)),
                    email: Some(email),
                };
                let d = guichet_dossiers::store::deposit(c, &draft.id, &owner.id, &deposit).unwrap();
                // Its documents kept in « Mes documents », as a deposit through the pages does.
                guichet_usecases::vault::keep_from_dossier(c, &proc.def, &d).unwrap();
                let n = d.number.unwrap().to_string();
                Ok::<_, guichet_db::DbError>((d.id, n))
            })
            .await
            .unwrap();
        self.state.delivery.wake();
        (d, n)
    }

    /// Logs in through the login form; returns the response (303 on success).
    pub async fn login(&self, email: &str, password: &str) -> reqwest::Response {
        self.post_form(
            "/connexion",
            "/connexion",
            &[("email", email), ("mot_de_passe", password)],
        )
        .await
    }

    /// A dossier as stored; panics when there is none.
    pub async fn dossier(&self, id: &str) -> guichet_dossiers::Dossier {
        let owned = id.to_owned();
        self.pool
            .run(move |c| guichet_dossiers::store::find(c, &owned))
            .await
            .unwrap()
            .unwrap_or_else(|| panic!("no dossier {id}"))
    }

    /// Starts a draft of `procedure` from its start page, as the logged-in usager; returns where the
    /// start page sends (the first step, `/dossiers/{id}/etapes/…`).
    pub async fn start_draft(&self, procedure: &str) -> String {
        let r = self
            .post_form(
                &format!("/demarches/{procedure}"),
                &format!("/demarches/{procedure}/commencer"),
                &[],
            )
            .await;
        assert_eq!(r.status(), reqwest::StatusCode::SEE_OTHER, "start of {procedure}");
        r.headers()["location"].to_str().unwrap().to_owned()
    }

    /// Creates a usager account with `password` and logs this app's client in as that usager; panics
    /// unless the login succeeds.
    pub async fn logged_in_usager(&self, email: &str, password: &str) {
        self.create_user(email, password, guichet_types::Role::Usager, &[])
            .await;
        self.own_browser().login(email, password).await;
    }
}

/// Another person's browser on the same app: its own cookies.
pub struct Browser<'a> {
    pub app: &'a TestApp,
    pub client: reqwest::Client,
}

impl<'a> Browser<'a> {
    /// Follows a batch action's 303 to its report until it says « Terminée »; returns the report page.
    pub async fn finished_batch(&self, r: reqwest::Response) -> String {
        if r.status() != reqwest::StatusCode::SEE_OTHER {
            panic!("{}: {}", r.status(), r.text().await.unwrap_or_default());
        }
        let location = r.headers()["location"].to_str().unwrap().to_owned();
        assert!(location.starts_with("/instruction/lots/"), "{location}");
        for _ in 0..100 {
            let page = self.get_html(&location).await;
            if page.contains("Terminée") {
                return page;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        panic!("the batch {location} did not finish");
    }

    pub fn new(app: &'a TestApp) -> Browser<'a> {
        let client = reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        Browser { app, client }
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(self.app.url(path)).send().await.unwrap()
    }

    pub async fn get_html(&self, path: &str) -> String {
        get_text(&self.client, self.app.url(path)).await
    }

    pub async fn post_form(
        &self,
        form_page: &str,
        action: &str,
        fields: &[(&str, &str)],
    ) -> reqwest::Response {
        let html = self.get_html(form_page).await;
        let token = csrf_token(&html).unwrap_or_else(|| panic!("no CSRF token on {form_page}: {html}"));
        let mut body: Vec<(&str, &str)> = vec![("csrf_token", token.as_str())];
        body.extend_from_slice(fields);
        self.client
            .post(self.app.url(action))
            .form(&body)
            .send()
            .await
            .unwrap()
    }

    /// Posts a form of `form_page` with the CSRF token and the record's version (`version`) that page
    /// shows, as the person's browser would after reading it.
    pub async fn post_versioned(
        &self,
        form_page: &str,
        action: &str,
        fields: &[(&str, &str)],
    ) -> reqwest::Response {
        let html = self.get_html(form_page).await;
        let version =
            hidden_value(&html, "version").unwrap_or_else(|| panic!("no version on {form_page}: {html}"));
        let mut all = vec![("version", version.as_str())];
        all.extend_from_slice(fields);
        self.post_form(form_page, action, &all).await
    }

    /// Logs in; panics unless it succeeds.
    pub async fn login(&self, email: &str, password: &str) {
        let r = self
            .post_form(
                "/connexion",
                "/connexion",
                &[("email", email), ("mot_de_passe", password)],
            )
            .await;
        assert_eq!(r.status(), reqwest::StatusCode::SEE_OTHER, "login of {email}");
    }
}

/// The body of a GET, for tests that drive their own client (a server started as a process, a client per
/// person in a concurrency test).
pub async fn get_text(client: &reqwest::Client, url: impl reqwest::IntoUrl) -> String {
    client.get(url).send().await.unwrap().text().await.unwrap()
}

/// A PDF's text read back with poppler's `pdftotext` (`-layout` keeps columns apart). `None` when the tool
/// is missing outside CI; in CI it is required (scripts/test installs poppler-utils).
pub fn pdf_text(pdf: &[u8], layout: bool) -> Option<String> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("doc.pdf");
    std::fs::write(&path, pdf).unwrap();
    let mut cmd = std::process::Command::new("pdftotext");
    if layout {
        cmd.arg("-layout");
    }
    match cmd.arg(&path).arg("-").output() {
        Ok(out) if out.status.success() => Some(String::from_utf8_lossy(&out.stdout).into_owned()),
        _ if std::env::var_os("CI").is_some() => panic!("pdftotext is required in CI (poppler-utils)"),
        _ => {
            eprintln!("note: pdftotext missing: PDF content not checked");
            None
        }
    }
}

/// [`pdf_text`] in reading order.
pub fn pdftotext(pdf: &[u8]) -> Option<String> {
    pdf_text(pdf, false)
}

/// [`pdf_text`] with the page's layout.
pub fn pdftotext_layout(pdf: &[u8]) -> Option<String> {
    pdf_text(pdf, true)
}

/// The value of a hidden input on a page.
pub fn hidden_value(html: &str, name: &str) -> Option<String> {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker)? + marker.len();
    let end = html[start..].find('"')? + start;
    Some(html[start..end].to_owned())
}

/// A real SMTP server on loopback (Python's aiosmtpd, storing messages in a maildir), killed on drop.
pub struct SmtpServer {
    pub port: u16,
    maildir: tempfile::TempDir,
    child: std::process::Child,
}

impl SmtpServer {
    /// Starts aiosmtpd on `port` (0: a free one). `None` when aiosmtpd is not installed (outside CI).
    pub fn start(port: u16) -> Option<SmtpServer> {
        let port = if port == 0 { free_port() } else { port };
        let maildir = tempfile::tempdir().unwrap();
        let child = std::process::Command::new("python3")
            .args([
                "-m",
                "aiosmtpd",
                "-n",
                "-l",
                &format!("127.0.0.1:{port}"),
                "-c",
                "aiosmtpd.handlers.Mailbox",
            ])
            .arg(maildir.path().join("mail"))
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn();
        let Ok(child) = child else { return Self::missing() };
        let mut server = SmtpServer { port, maildir, child };
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            if server.child.try_wait().ok().flatten().is_some() {
                return Self::missing();
            }
            assert!(Instant::now() < deadline, "aiosmtpd did not start on port {port}");
            std::thread::sleep(Duration::from_millis(50));
        }
        Some(server)
    }

    fn missing() -> Option<SmtpServer> {
        if std::env::var_os("CI").is_some() {
            panic!(
                "CI is set but `python3 -m aiosmtpd` cannot run: scripts/test installs it (pip install aiosmtpd)"
            );
        }
        eprintln!("note: aiosmtpd not installed: SMTP test skipped");
        None
    }

    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// Messages received so far.
    pub fn messages(&self) -> Vec<ReceivedEmail> {
        let dir = self.maildir.path().join("mail").join("new");
        let Ok(entries) = std::fs::read_dir(dir) else {
            return Vec::new();
        };
        entries
            .filter_map(Result::ok)
            .filter_map(|e| std::fs::read(e.path()).ok())
            .filter_map(|raw| parse_email(&raw))
            .collect()
    }

    /// Waits (up to 10 s) for a message to `to` whose subject contains `subject`.
    pub async fn wait_for(&self, to: &str, subject: &str) -> ReceivedEmail {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(m) = self
                .messages()
                .into_iter()
                .find(|m| m.to == to && m.subject.contains(subject))
            {
                return m;
            }
            assert!(
                Instant::now() < deadline,
                "SMTP server got no email to {to} about {subject:?}: {:?}",
                self.messages()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Every `.eml` file of an outbox directory (the file mailer's), oldest first, decoded.
pub fn emails_in(dir: &std::path::Path) -> Vec<ReceivedEmail> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut paths: Vec<(std::time::SystemTime, PathBuf)> = entries
        .filter_map(Result::ok)
        .filter(|e| e.path().extension().is_some_and(|x| x == "eml"))
        .map(|e| {
            (
                e.metadata()
                    .and_then(|m| m.modified())
                    .unwrap_or(std::time::UNIX_EPOCH),
                e.path(),
            )
        })
        .collect();
    paths.sort();
    paths
        .into_iter()
        .filter_map(|(_, p)| std::fs::read(p).ok())
        .filter_map(|raw| parse_email(&raw))
        .collect()
}

/// A port nobody listens on right now.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The CSRF token in a page's first form.
pub fn csrf_token(html: &str) -> Option<String> {
    let start = html.find("name=\"csrf_token\" value=\"")? + "name=\"csrf_token\" value=\"".len();
    let end = html[start..].find('"')? + start;
    Some(html[start..end].to_owned())
}

fn parse_email(raw: &[u8]) -> Option<ReceivedEmail> {
    let msg = mail_parser::MessageParser::default().parse(raw)?;
    let to = msg.to()?.first()?.address()?.to_owned();
    Some(ReceivedEmail {
        to,
        subject: msg.subject().unwrap_or_default().to_owned(),
        body: msg.body_text(0).map(|b| b.into_owned()).unwrap_or_default(),
        message_id: msg.message_id().map(str::to_owned),
    })
}

/// The first link in a text that starts with `prefix`.
pub fn find_link(text: &str, prefix: &str) -> Option<String> {
    let start = text.find(prefix)?;
    let end = text[start..]
        .find(|c: char| c.is_whitespace())
        .map_or(text.len(), |e| start + e);
    Some(text[start..end].to_owned())
}

/// What a [`TcpProxy`] does with its connections.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProxyMode {
    /// Bytes flow both ways.
    Forward,
    /// Connections stay open, nothing goes through (a network partition): bytes are held, not lost.
    Silent,
    /// Every connection is closed and new ones are refused (the database is down).
    Cut,
}

/// A TCP proxy on loopback between the application and a real server, to inject network faults.
pub struct TcpProxy {
    pub port: u16,
    mode: tokio::sync::watch::Sender<ProxyMode>,
}

impl TcpProxy {
    /// Listens on a free loopback port and forwards to `target` (`host:port`).
    pub async fn start(target: &str) -> TcpProxy {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let (mode, rx) = tokio::sync::watch::channel(ProxyMode::Forward);
        tokio::spawn(accept_loop(Some(listener), port, target.to_owned(), rx));
        TcpProxy { port, mode }
    }

    pub fn set(&self, mode: ProxyMode) {
        self.mode.send_replace(mode);
    }

    /// The URL with its `host:port` replaced by the proxy's.
    pub fn url_for(&self, url: &str) -> String {
        let (scheme, rest) = url.split_once("://").unwrap();
        let (auth, tail) = match rest.split_once('@') {
            Some((user, tail)) => (format!("{user}@"), tail),
            None => (String::new(), rest),
        };
        let path = tail.find(['/', '?']).map_or("", |i| &tail[i..]);
        format!("{scheme}://{auth}127.0.0.1:{}{path}", self.port)
    }
}

impl Drop for TcpProxy {
    fn drop(&mut self) {
        self.mode.send_replace(ProxyMode::Cut);
    }
}

/// The `host:port` of a URL such as `postgres://user@host:port/db?…`.
pub fn url_authority(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let tail = rest.split_once('@').map_or(rest, |(_, t)| t);
    let end = tail.find(['/', '?']).unwrap_or(tail.len());
    let hostport = &tail[..end];
    if hostport.contains(':') {
        hostport.to_owned()
    } else {
        format!("{hostport}:5432")
    }
}

async fn accept_loop(
    mut listener: Option<tokio::net::TcpListener>,
    port: u16,
    target: String,
    mut mode: tokio::sync::watch::Receiver<ProxyMode>,
) {
    loop {
        if *mode.borrow() == ProxyMode::Cut {
            // Closing the listener makes new connections fail with "connection refused".
            listener = None;
            if mode.changed().await.is_err() {
                return;
            }
            continue;
        }
        let l = match listener.take() {
            Some(l) => l,
            None => match tokio::net::TcpListener::bind(("127.0.0.1", port)).await {
                Ok(l) => l,
                Err(_) => {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        tokio::select! {
            accepted = l.accept() => {
                if let Ok((client, _)) = accepted
                    && let Ok(server) = tokio::net::TcpStream::connect(&target).await
                {
                    let (cr, cw) = client.into_split();
                    let (sr, sw) = server.into_split();
                    tokio::spawn(pump(cr, sw, mode.clone()));
                    tokio::spawn(pump(sr, cw, mode.clone()));
                }
                listener = Some(l);
            }
            changed = mode.changed() => {
                if changed.is_err() {
                    return;
                }
                listener = Some(l);
            }
        }
    }
}

async fn pump(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    mut mode: tokio::sync::watch::Receiver<ProxyMode>,
) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        let n = tokio::select! {
            read = from.read(&mut buf) => match read {
                Ok(0) | Err(_) => return,
                Ok(n) => n,
            },
            _ = mode.wait_for(|m| *m == ProxyMode::Cut) => return,
        };
        // Held while silent; dropped with the connection when cut.
        match mode.wait_for(|m| *m != ProxyMode::Silent).await {
            Ok(m) if *m == ProxyMode::Forward => {}
            _ => return,
        }
        if to.write_all(&buf[..n]).await.is_err() {
            return;
        }
    }
}

/// The EICAR anti-virus test string: harmless, and detected by every antivirus as a test virus.
pub const EICAR: &[u8] = br"X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*";

/// A real clamd on loopback (Debian's `clamav-daemon`), with its own config and a signature database
/// made here (a body signature of [`EICAR`] found at any offset, so a PDF carrying it is detected; no
/// download), killed on drop.
pub struct Clamd {
    pub port: u16,
    _dir: tempfile::TempDir,
    child: std::process::Child,
}

impl Clamd {
    /// Starts clamd on a free port and waits for it to answer PING. `None` when clamd is not installed
    /// (outside CI).
    pub fn start() -> Option<Clamd> {
        let clamd = ["/usr/sbin/clamd", "/usr/bin/clamd"]
            .into_iter()
            .find(|p| std::path::Path::new(p).exists());
        let Some(clamd) = clamd else {
            return Self::missing();
        };
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("db");
        std::fs::create_dir(&db).unwrap();
        let hex: String = EICAR.iter().map(|b| format!("{b:02x}")).collect();
        std::fs::write(
            db.join("guichet-test.ndb"),
            format!("Guichet.Test.EICAR:0:*:{hex}\n"),
        )
        .unwrap();
        let port = free_port();
        let conf = dir.path().join("clamd.conf");
        std::fs::write(
            &conf,
            format!(
                "Foreground yes\nTCPSocket {port}\nTCPAddr 127.0.0.1\nDatabaseDirectory {}\n\
                 LogFile {}\nPidFile {}\nStreamMaxLength 100M\nUser root\n",
                db.display(),
                dir.path().join("clamd.log").display(),
                dir.path().join("clamd.pid").display(),
            ),
        )
        .unwrap();
        let child = std::process::Command::new(clamd)
            .arg("-c")
            .arg(&conf)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn();
        let Ok(child) = child else { return Self::missing() };
        let mut server = Clamd {
            port,
            _dir: dir,
            child,
        };
        // Loading signatures takes a moment: wait for its socket to answer.
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if server.ping() {
                return Some(server);
            }
            if let Some(status) = server.child.try_wait().ok().flatten() {
                let log = std::fs::read_to_string(server._dir.path().join("clamd.log")).unwrap_or_default();
                panic!("clamd exited ({status}): {log}");
            }
            assert!(Instant::now() < deadline, "clamd did not answer on port {port}");
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn ping(&self) -> bool {
        use std::io::{Read, Write};
        let Ok(mut s) = std::net::TcpStream::connect(("127.0.0.1", self.port)) else {
            return false;
        };
        let mut answer = String::new();
        s.write_all(b"zPING\0").is_ok() && s.read_to_string(&mut answer).is_ok() && answer.starts_with("PONG")
    }

    fn missing() -> Option<Clamd> {
        if std::env::var_os("CI").is_some() {
            panic!(
                "CI is set but clamd is not installed: scripts/test installs it (apt-get install clamav-daemon)"
            );
        }
        eprintln!("note: clamd not installed: antivirus test skipped");
        None
    }

    /// The address for `GUICHET_CLAMD`.
    pub fn url(&self) -> String {
        format!("tcp://127.0.0.1:{}", self.port)
    }

    /// Stops clamd (to test uploads while it is down).
    pub fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Clamd {
    fn drop(&mut self) {
        self.stop();
    }
}
