//! A real `guichet serve`: what its access log holds after a whole journey (route patterns and statuses,
//! never a token, a password, a searched name or an address: security review M2, L6), and the modes of the
//! files it writes (M6).

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use guichet_test_support::{csrf_token, emails_in, find_link, free_port, get_text, hidden_value};
use reqwest::StatusCode;

struct Server {
    child: std::process::Child,
    base: String,
    data: tempfile::TempDir,
}

impl Server {
    fn start(envs: &[(&str, &str)]) -> Server {
        let data = tempfile::tempdir().unwrap();
        let port = free_port();
        // Started from a shell with the usual umask, as an operator would.
        let mut cmd = Command::new("sh");
        cmd.args([
            "-c",
            "umask 022; exec \"$0\" serve --demo",
            env!("CARGO_BIN_EXE_guichet"),
        ])
        .env("GUICHET_DATA_DIR", data.path())
        .env("GUICHET_BIND", format!("127.0.0.1:{port}"))
        .env("GUICHET_FORMS_DIR", guichet_test_support::forms_dir())
        .env("GUICHET_LOG_FORMAT", "json")
        .env("RUST_LOG", "info")
        .env_remove("GUICHET_DATABASE_URL")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
        for (k, v) in envs {
            cmd.env(k, v);
        }
        let child = cmd.spawn().unwrap();
        let deadline = Instant::now() + Duration::from_secs(60);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "server did not start");
            std::thread::sleep(Duration::from_millis(100));
        }
        Server {
            child,
            base: format!("http://127.0.0.1:{port}"),
            data,
        }
    }

    /// Stops the server and returns everything it wrote.
    fn stop(mut self) -> String {
        use std::io::Read;
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let _ = self.child.wait();
        let mut out = String::new();
        self.child
            .stdout
            .take()
            .unwrap()
            .read_to_string(&mut out)
            .unwrap();
        self.child
            .stderr
            .take()
            .unwrap()
            .read_to_string(&mut out)
            .unwrap();
        out
    }
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

async fn post(
    c: &reqwest::Client,
    base: &str,
    page: &str,
    action: &str,
    fields: &[(&str, &str)],
) -> reqwest::Response {
    let html = get_text(c, format!("{base}{page}")).await;
    let token = csrf_token(&html).unwrap();
    let mut body = vec![("csrf_token", token.as_str())];
    body.extend_from_slice(fields);
    c.post(format!("{base}{action}"))
        .form(&body)
        .send()
        .await
        .unwrap()
}

/// A new client logged in as `email`; panics unless the login succeeds.
async fn logged_in(base: &str, email: &str, password: &str) -> (reqwest::Client, reqwest::Response) {
    let c = client();
    let r = post(
        &c,
        base,
        "/connexion",
        "/connexion",
        &[("email", email), ("mot_de_passe", password)],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "login of {email}");
    (c, r)
}

async fn wait_link(server: &Server, to: &str, prefix: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let found = emails_in(&server.data.path().join("outbox"))
            .into_iter()
            .rev()
            .find(|e| e.to == to)
            .and_then(|e| find_link(&e.body, &format!("{}{prefix}", server.base)));
        if let Some(l) = found {
            return l;
        }
        assert!(Instant::now() < deadline, "no email to {to} with {prefix}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn a_whole_journey_leaves_no_secret_in_the_access_log() {
    let server = Server::start(&[]);
    let base = server.base.clone();
    let mut secrets: Vec<String> = Vec::new();

    // Sign-up and confirmation through the emailed link (a token in the query string).
    let anon = client();
    let email = "journal.test@exemple.fr";
    let password = "un long mot de passe pour le journal";
    let r = post(
        &anon,
        &base,
        "/inscription",
        "/inscription",
        &[
            ("nom", "Paulette Journal"),
            ("email", email),
            ("mot_de_passe", password),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let confirm = wait_link(&server, email, "/compte/confirmer?jeton=").await;
    secrets.push(confirm.split("jeton=").nth(1).unwrap().to_owned());
    // Confirming logs in and continues (303).
    assert_eq!(
        anon.get(&confirm).send().await.unwrap().status(),
        StatusCode::SEE_OTHER
    );

    // A reset link opened (GET with the token), then used.
    let r = post(
        &anon,
        &base,
        "/mot-de-passe-oublie",
        "/mot-de-passe-oublie",
        &[("email", email)],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let reset = wait_link(&server, email, "/mot-de-passe/nouveau?jeton=").await;
    let token = reset.split("jeton=").nth(1).unwrap().to_owned();
    secrets.push(token.clone());
    let html = get_text(&anon, &reset).await;
    assert_eq!(hidden_value(&html, "jeton").as_deref(), Some(token.as_str()));
    let new_password = "encore une phrase pour le journal";
    let r = post(
        &anon,
        &base,
        &reset.replace(&base, ""),
        "/mot-de-passe/nouveau",
        &[("jeton", &token), ("mot_de_passe", new_password)],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    secrets.extend([password.to_owned(), new_password.to_owned(), email.to_owned()]);

    // An instructor searches the queue by name; a spoofed X-Forwarded-For is not believed.
    let (agent, r) = logged_in(&base, "instructeur.apa@demo.guichet.test", "demo instructeur apa").await;
    let session = r
        .cookies()
        .find(|c| c.name().contains("guichet_session"))
        .map(|c| c.value().to_owned())
        .unwrap();
    secrets.extend([session, "demo instructeur apa".to_owned()]);
    let r = agent
        .get(format!(
            "{base}/instruction?recherche=Zebulon%20Quidam&onglet=traites"
        ))
        .header("X-Forwarded-For", "203.0.113.99")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let csrf = csrf_token(&r.text().await.unwrap()).unwrap();
    secrets.extend([
        csrf,
        "Zebulon".to_owned(),
        "Quidam".to_owned(),
        "203.0.113.99".to_owned(),
    ]);

    // The log proper: the JSON lines (`--demo` also prints its demo accounts on the console, by design).
    let output = server.stop();
    let logs: String = output
        .lines()
        .filter(|l| l.starts_with('{'))
        .collect::<Vec<_>>()
        .join("\n");
    let requests: Vec<&str> = logs.lines().filter(|l| l.contains("http.route")).collect();
    assert!(requests.len() >= 10, "{logs}");
    for needle in [
        "\"http.route\":\"/compte/confirmer\"",
        "\"http.route\":\"/mot-de-passe/nouveau\"",
        "\"http.route\":\"/instruction\"",
    ] {
        assert!(logs.contains(needle), "{needle} not logged: {logs}");
    }
    for s in &secrets {
        assert!(!logs.contains(s.as_str()), "the log carries {s:?}: {logs}");
    }
    assert!(!logs.contains("jeton=") && !logs.contains("recherche="), "{logs}");
}

#[tokio::test]
async fn the_data_directory_is_private_whatever_the_umask() {
    use std::os::unix::fs::PermissionsExt;
    let server = Server::start(&[]);
    let anon = client();
    let r = post(
        &anon,
        &server.base,
        "/inscription",
        "/inscription",
        &[
            ("nom", "Paulette Mode"),
            ("email", "mode@exemple.fr"),
            ("mot_de_passe", "un long mot de passe pour les modes"),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    wait_link(&server, "mode@exemple.fr", "/compte/confirmer?jeton=").await;
    let dir = server.data.path().to_owned();
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    let mut checked = Vec::new();
    for entry in walk(&dir) {
        let m = mode(&entry);
        let expected = if entry.is_dir() { 0o700 } else { 0o600 };
        assert_eq!(m, expected, "{} is {m:o}", entry.display());
        checked.push(entry.strip_prefix(&dir).unwrap().to_string_lossy().into_owned());
    }
    for must in [
        "guichet.db",
        "guichet.db-wal",
        "session_secret",
        "outbox",
        "fichiers",
        "fichiers/tmp",
    ] {
        assert!(
            checked.iter().any(|c| c == must),
            "{must} not found in {checked:?}"
        );
    }
    assert!(checked.iter().any(|c| c.ends_with(".eml")), "{checked:?}");
    assert_eq!(mode(&dir) & 0o077, 0, "the data directory itself");
    server.stop();
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().filter_map(Result::ok) {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
        }
        out.push(p);
    }
    out
}

/// README: « the demo should show something ». `serve --demo` starts with generated dossiers in every state,
/// some of them the demo usager's, and a queue for each demo instructor (review §2.1: the queues were empty).
#[tokio::test]
async fn the_demo_starts_with_dossiers_in_every_state() {
    let server = Server::start(&[]);
    let base = server.base.clone();
    let (usager, _) = logged_in(&base, "usager@demo.guichet.test", "demo usager guichet").await;
    let mine = get_text(&usager, format!("{base}/mes-dossiers")).await;
    let listed = mine.matches("href=\"/dossiers/").count();
    assert!(
        listed >= 5,
        "the demo usager has dossiers in several states: {mine}"
    );
    for agent in [
        ("instructeur.apa@demo.guichet.test", "demo instructeur apa"),
        ("instructeur.mdph@demo.guichet.test", "demo instructeur mdph"),
    ] {
        let (c, _) = logged_in(&base, agent.0, agent.1).await;
        let queue = get_text(&c, format!("{base}/instruction")).await;
        assert!(
            queue.matches("href=\"/instruction/dossiers/").count() >= 3,
            "{} has a queue: {queue}",
            agent.0
        );
    }
    let out = server.stop();
    assert!(out.contains("Dossiers de démonstration : 60"), "{out}");
}
