//! Uploads: the CSRF token first and checked before anything is stored, bounded bodies (413), the file
//! collector, temp files, a failing store, client aborts, and clamd on every upload.

use std::path::PathBuf;
use std::time::Duration;

use guichet_db::Backend;
use guichet_test_support::{Clamd, EICAR, TestApp, csrf_token, on_both_backends};
use reqwest::StatusCode;
use serde_json::Value;

const PASSWORD: &str = "une phrase de passe solide";

fn pdf(tag: &str) -> Vec<u8> {
    format!("%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n% {tag}\n%%EOF\n").into_bytes()
}

/// A multipart body with a Content-Length, as browsers send forms (reqwest's own multipart is chunked).
#[derive(Default)]
struct Form(Vec<u8>);

struct Part(Vec<u8>, String);

fn pdf_part(bytes: Vec<u8>, name: &str) -> Part {
    Part(bytes, name.to_owned())
}

impl Form {
    fn new() -> Form {
        Form::default()
    }
    fn text(mut self, name: impl AsRef<str>, value: impl AsRef<str>) -> Form {
        self.0.extend_from_slice(
            format!(
                "--XbX\r\nContent-Disposition: form-data; name=\"{}\"\r\n\r\n{}\r\n",
                name.as_ref(),
                value.as_ref()
            )
            .as_bytes(),
        );
        self
    }
    fn part(mut self, name: &str, part: Part) -> Form {
        self.0.extend_from_slice(
            format!(
                "--XbX\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{}\"\r\nContent-Type: application/pdf\r\n\r\n",
                part.1
            )
            .as_bytes(),
        );
        self.0.extend_from_slice(&part.0);
        self.0.extend_from_slice(b"\r\n");
        self
    }
    fn body(mut self) -> Vec<u8> {
        self.0.extend_from_slice(b"--XbX--\r\n");
        self.0
    }
}

/// Stored files (not temp files) under the store.
fn stored_files(app: &TestApp) -> Vec<PathBuf> {
    let root = app.data_dir.path().join("fichiers");
    let mut out = Vec::new();
    for d in std::fs::read_dir(&root).unwrap().flatten() {
        if d.file_name() == "tmp" || !d.path().is_dir() {
            continue;
        }
        out.extend(std::fs::read_dir(d.path()).unwrap().flatten().map(|f| f.path()));
    }
    out
}

fn temp_files(app: &TestApp) -> usize {
    std::fs::read_dir(app.data_dir.path().join("fichiers").join("tmp"))
        .map(|r| r.count())
        .unwrap_or(0)
}

fn sha(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(bytes))
}

fn is_stored(app: &TestApp, bytes: &[u8]) -> bool {
    let s = sha(bytes);
    app.data_dir
        .path()
        .join("fichiers")
        .join(&s[..2])
        .join(&s)
        .exists()
}

/// A usager with a deposited APA dossier (messages need one), logged in.
async fn usager_with_dossier(app: &TestApp, email: &str) -> String {
    app.create_user(email, PASSWORD, guichet_types::Role::Usager, &[])
        .await;
    let answers: Value = serde_json::from_str(include_str!(
        "../../crates/forms/tests/fixtures/apa_complete.json"
    ))
    .unwrap();
    let (id, _) = app.deposit(email, "apa", answers).await;
    assert_eq!(app.login(email, PASSWORD).await.status(), StatusCode::SEE_OTHER);
    id
}

async fn token_of(app: &TestApp, page: &str) -> String {
    csrf_token(&app.get_html(page).await).unwrap()
}

async fn post(app: &TestApp, path: &str, form: Form) -> reqwest::Response {
    app.client
        .post(app.url(path))
        .header("content-type", "multipart/form-data; boundary=XbX")
        .body(form.body())
        .send()
        .await
        .unwrap()
}

async fn a_token_not_first_is_refused_before_any_file_is_stored(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let id = usager_with_dossier(&app, "premier@exemple.fr").await;
    let page = format!("/dossiers/{id}");
    let before = stored_files(&app).len();
    let token = token_of(&app, &page).await;
    let file = pdf("token-after");
    // The right token, but after the file.

    let form = Form::new()
        .text("message", "bonjour")
        .part("piece_jointe", pdf_part(file.clone(), "a.pdf"))
        .text("csrf_token", token.clone());
    let r = post(&app, &format!("{page}/messages"), form).await;

    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    // No token at all.
    let form = Form::new().part("piece_jointe", pdf_part(file.clone(), "a.pdf"));
    let r = post(&app, &format!("{page}/messages"), form).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        stored_files(&app).len(),
        before,
        "a refused request stores nothing"
    );
    assert!(!is_stored(&app, &file));
    assert_eq!(temp_files(&app), 0);
    // The same with the token first goes through.
    let form = Form::new()
        .text("csrf_token", token)
        .text("message", "bonjour")
        .part("piece_jointe", pdf_part(file.clone(), "a.pdf"));
    let r = post(&app, &format!("{page}/messages"), form).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(is_stored(&app, &file));
}

async fn too_many_parts_or_text_bytes_are_413(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let id = usager_with_dossier(&app, "gros@exemple.fr").await;
    let page = format!("/dossiers/{id}");
    let token = token_of(&app, &page).await;
    let mut form = Form::new().text("csrf_token", token.clone());
    for i in 0..1000 {
        form = form.text(format!("f{i}"), "a");
    }
    let r = post(&app, &format!("{page}/messages"), form).await;
    assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert!(r.text().await.unwrap().contains("Envoi trop volumineux"));
    let mut form = Form::new().text("csrf_token", token);
    for i in 0..10 {
        form = form.text(format!("f{i}"), "a".repeat(60_000));
    }
    let r = post(&app, &format!("{page}/messages"), form).await;
    assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
}

async fn attachments_are_bounded_in_number_and_count_in_the_quota(backend: Backend) {
    let Some(app) = TestApp::spawn_with(backend, |c| c.max_dossier_upload_mb = 3).await else {
        return;
    };
    let id = usager_with_dossier(&app, "quota@exemple.fr").await;
    let page = format!("/dossiers/{id}");
    // Six files on one message: the sixth is refused, unread.
    let mut form = Form::new()
        .text("csrf_token", token_of(&app, &page).await)
        .text("message", "six");
    for i in 0..6 {
        form = form.part(
            "piece_jointe",
            pdf_part(pdf(&format!("six-{i}")), &format!("{i}.pdf")),
        );
    }
    let r = post(&app, &format!("{page}/messages"), form).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("au plus 5 fichiers"));
    assert!(
        !is_stored(&app, &pdf("six-5")),
        "the file past the bound is not stored"
    );
    // The dossier's form files take 1.7 MB: 900 kB more fit, 900 kB again would pass its 3 MB.
    let big = |tag: &str| {
        let mut b = pdf(tag);
        b.extend(std::iter::repeat_n(b'x', 900_000));
        b
    };
    let form = Form::new()
        .text("csrf_token", token_of(&app, &page).await)
        .part("piece_jointe", pdf_part(big("one"), "one.pdf"));
    assert_eq!(
        post(&app, &format!("{page}/messages"), form).await.status(),
        StatusCode::SEE_OTHER
    );
    let form = Form::new()
        .text("csrf_token", token_of(&app, &page).await)
        .part("piece_jointe", pdf_part(big("two"), "two.pdf"));
    let r = post(&app, &format!("{page}/messages"), form).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("dépasseraient 3 Mo"));
    // The refused files go at the next collection; the sent one stays.
    guichet_web::uploads::collect_garbage(&app.pool, &app.state.files, Duration::ZERO)
        .await
        .unwrap();
    assert!(is_stored(&app, &big("one")));
    assert!(!is_stored(&app, &big("two")));
    assert!(!is_stored(&app, &pdf("six-0")));
}

/// Stores a file directly through a draft's documents step; returns the draft id.
async fn draft_with_file(app: &TestApp, bytes: &[u8], name: &str) -> String {
    let dossier = new_draft(app, "apa").await;
    let path = format!("/dossiers/{dossier}/etapes/pieces");
    let form = Form::new()
        .text("csrf_token", token_of(app, &path).await)
        .text("action", "televerser:piece_identite")
        .part("piece_identite", pdf_part(bytes.to_vec(), name));
    let r = post(app, &path, form).await;
    assert_eq!(r.status(), StatusCode::OK, "{}", r.text().await.unwrap());
    dossier
}

async fn the_collector_removes_only_unreferenced_files(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    app.create_user("gc@exemple.fr", PASSWORD, guichet_types::Role::Usager, &[])
        .await;
    app.login("gc@exemple.fr", PASSWORD).await;
    let shared = pdf("shared");
    let removed = pdf("removed");
    let a = draft_with_file(&app, &shared, "commun.pdf").await;
    let _b = draft_with_file(&app, &shared, "commun.pdf").await;
    let c = draft_with_file(&app, &removed, "erreur.pdf").await;
    assert!(is_stored(&app, &shared) && is_stored(&app, &removed));
    // « Supprimer » on both: `shared` is still named by draft b, `removed` by nothing.
    for (d, bytes) in [(&a, &shared), (&c, &removed)] {
        let path = format!("/dossiers/{d}/etapes/pieces");
        let form = Form::new()
            .text("csrf_token", token_of(&app, &path).await)
            .text("action", format!("supprimer:piece_identite:{}", sha(bytes)));
        assert_eq!(post(&app, &path, form).await.status(), StatusCode::OK);
    }
    let before = stored_files(&app).len();
    // Within the grace period nothing goes.
    let n = guichet_web::uploads::collect_garbage(&app.pool, &app.state.files, Duration::from_secs(3600))
        .await
        .unwrap();
    assert_eq!(n, 0);
    let n = guichet_web::uploads::collect_garbage(&app.pool, &app.state.files, Duration::ZERO)
        .await
        .unwrap();
    assert_eq!(n, 1);
    assert_eq!(stored_files(&app).len(), before - 1);
    assert!(is_stored(&app, &shared), "a file another dossier names is kept");
    assert!(!is_stored(&app, &removed), "a removed document is deleted");
}

async fn a_failing_store_keeps_the_typed_answers(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    logged_in_usager(&app, "panne@exemple.fr").await;
    let dossier = new_draft(&app, "pch").await;
    let elements = format!("/dossiers/{dossier}/etapes/elements");
    let r = app
        .post_form(
            &elements,
            &elements,
            &[("elements", "logement"), ("action", "continuer")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "{}", r.text().await.unwrap());
    let path = format!("/dossiers/{dossier}/etapes/logement");
    let token = token_of(&app, &path).await;
    // Root ignores permission bits, so a read-only directory would not fail here: replace the store's
    // temp directory by a plain file. Creating a file "inside" it fails with ENOTDIR, for root too.
    let tmp = app.data_dir.path().join("fichiers").join("tmp");
    std::fs::remove_dir_all(&tmp).unwrap();
    std::fs::write(&tmp, b"not a directory").unwrap();
    let form = Form::new()
        .text("csrf_token", token)
        .text("action", "televerser:devis_logement")
        .text("logement_travaux", "Élargir la porte de la salle de bains")
        .part("devis_logement", pdf_part(pdf("devis"), "devis.pdf"));
    let r = post(&app, &path, form).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = r.text().await.unwrap();
    assert!(
        page.contains("« devis.pdf » n’a pas pu être enregistré")
            && page.contains("autres réponses de cette page sont enregistrées"),
        "{page}"
    );
    std::fs::remove_file(&tmp).unwrap();
    std::fs::create_dir(&tmp).unwrap();
    let d = app
        .pool
        .run(move |c| guichet_dossiers::store::find(c, &dossier))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        d.answers["logement_travaux"], "Élargir la porte de la salle de bains",
        "the typed answer is saved: {}",
        d.answers
    );
    assert!(
        d.answers
            .get("devis_logement")
            .is_none_or(|v| v == &serde_json::json!([]))
    );
}

async fn a_dropped_upload_leaves_no_temp_file_and_is_a_client_error(backend: Backend) {
    use tokio::io::AsyncWriteExt;
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let id = usager_with_dossier(&app, "coupe@exemple.fr").await;
    let page = format!("/dossiers/{id}");
    let cookies = {
        let url: reqwest::Url = app.url("/").parse().unwrap();
        use reqwest::cookie::CookieStore;
        // The client's jar is private: sign in again on a jar we can read.
        let jar = std::sync::Arc::new(reqwest::cookie::Jar::default());
        let client = reqwest::Client::builder()
            .cookie_provider(jar.clone())
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let b = guichet_test_support::Browser { app: &app, client };
        b.login("coupe@exemple.fr", PASSWORD).await;
        let html = b.get_html(&page).await;
        let t = csrf_token(&html).unwrap();
        (jar.cookies(&url).unwrap().to_str().unwrap().to_owned(), t)
    };
    let (cookie, token) = cookies;
    let head = format!(
        "--b\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\n{token}\r\n\
         --b\r\nContent-Disposition: form-data; name=\"piece_jointe\"; filename=\"gros.pdf\"\r\n\
         Content-Type: application/pdf\r\n\r\n%PDF-1.4\n"
    );
    let send = |declared: usize, body: Vec<u8>, close: bool| {
        let (addr, path, cookie) = (
            app.address.trim_start_matches("http://").to_owned(),
            format!("{page}/messages"),
            cookie.clone(),
        );
        async move {
            let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
            let req = format!(
                "POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: {cookie}\r\n\
                 Content-Type: multipart/form-data; boundary=b\r\nContent-Length: {declared}\r\n\r\n"
            );
            s.write_all(req.as_bytes()).await.unwrap();
            s.write_all(&body).await.unwrap();
            if close {
                tokio::time::sleep(Duration::from_millis(300)).await;
                drop(s);
                return String::new();
            }
            s.shutdown().await.unwrap();
            let mut out = Vec::new();
            use tokio::io::AsyncReadExt;
            let _ = s.read_to_end(&mut out).await;
            String::from_utf8_lossy(&out).into_owned()
        }
    };
    // Half of a 2 MB body, then the connection is dropped.
    let mut body = head.clone().into_bytes();
    body.extend(std::iter::repeat_n(b'x', 1_000_000));
    send(2_000_000 + head.len(), body.clone(), true).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(temp_files(&app), 0, "the dropped upload's temp file is removed");
    // A body that ends before its closing boundary: the client's fault, 400 (not 500).
    let answer = send(body.len(), body, false).await;
    assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");
    assert_eq!(temp_files(&app), 0);
}

async fn uploads_are_scanned_by_clamd(backend: Backend) {
    let Some(mut clamd) = Clamd::start() else { return };
    let url = clamd.url();
    let Some(app) = TestApp::spawn_with(backend, |c| c.clamd = Some(url)).await else {
        return;
    };
    let id = usager_with_dossier(&app, "virus@exemple.fr").await;
    let page = format!("/dossiers/{id}");
    let mut infected = b"%PDF-1.4\n".to_vec();
    infected.extend_from_slice(EICAR);
    infected.extend_from_slice(b"\n%%EOF\n");
    let form = Form::new()
        .text("csrf_token", token_of(&app, &page).await)
        .text("message", "voici")
        .part("piece_jointe", pdf_part(infected.clone(), "facture.pdf"));
    let r = post(&app, &format!("{page}/messages"), form).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("Le fichier « facture.pdf » contient un virus : il n’a pas été enregistré"),
        "{html}"
    );
    assert!(!is_stored(&app, &infected));
    assert_eq!(temp_files(&app), 0);
    // A clean PDF goes through.
    let clean = pdf("sain");
    let form = Form::new()
        .text("csrf_token", token_of(&app, &page).await)
        .part("piece_jointe", pdf_part(clean.clone(), "sain.pdf"));
    assert_eq!(
        post(&app, &format!("{page}/messages"), form).await.status(),
        StatusCode::SEE_OTHER
    );
    assert!(is_stored(&app, &clean));
    // clamd down: refused with a message, nothing stored.
    clamd.stop();
    let other = pdf("pendant-la-panne");
    let form = Form::new()
        .text("csrf_token", token_of(&app, &page).await)
        .part("piece_jointe", pdf_part(other.clone(), "autre.pdf"));
    let r = post(&app, &format!("{page}/messages"), form).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("l’analyse antivirus des documents est momentanément indisponible")
    );
    assert!(!is_stored(&app, &other));
}

/// The link of the first attachment on a dossier page.
fn attachment_link(html: &str, dossier: &str) -> String {
    let prefix = format!("/dossiers/{dossier}/pieces-jointes/");
    let start = html
        .find(&prefix)
        .unwrap_or_else(|| panic!("no attachment link: {html}"));
    let end = start + html[start..].find('"').unwrap();
    html[start..end].to_owned()
}

async fn with_hold_uploads_wait_for_clamd_and_infected_ones_are_removed(backend: Backend) {
    let Some(mut clamd) = Clamd::start() else { return };
    let url = clamd.url();
    let Some(app) = TestApp::spawn_with(backend, |c| {
        c.clamd = Some(url);
        c.clamd_unavailable = "hold".into();
    })
    .await
    else {
        return;
    };
    let id = usager_with_dossier(&app, "attente@exemple.fr").await;
    app.create_user(
        "agent.apa@departement.fr",
        PASSWORD,
        guichet_types::Role::Instructeur,
        &["apa"],
    )
    .await;
    clamd.stop();

    // A clean PDF in a draft's step: kept, and the usager is told it waits for the antivirus.
    let clean = pdf("sain-en-attente");
    let draft = new_draft(&app, "apa").await;
    let step = format!("/dossiers/{draft}/etapes/pieces");
    let form = Form::new()
        .text("csrf_token", token_of(&app, &step).await)
        .text("action", "televerser:piece_identite")
        .part("piece_identite", pdf_part(clean.clone(), "identite.pdf"));
    let r = post(&app, &step, form).await;
    assert_eq!(r.status(), StatusCode::OK);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("Le document « identite.pdf » a bien été reçu. Il sera vérifié par notre antivirus"),
        "{html}"
    );
    assert!(is_stored(&app, &clean));

    // An infected PDF attached to a message of the deposited dossier: kept too, pending.
    let mut infected = b"%PDF-1.4\n".to_vec();
    infected.extend_from_slice(EICAR);
    infected.extend_from_slice(b"\n%% en attente\n%%EOF\n");
    let page = format!("/dossiers/{id}");
    let form = Form::new()
        .text("csrf_token", token_of(&app, &page).await)
        .text("message", "voici la facture")
        .part("piece_jointe", pdf_part(infected.clone(), "facture.pdf"));
    assert_eq!(
        post(&app, &format!("{page}/messages"), form).await.status(),
        StatusCode::SEE_OTHER
    );
    assert!(is_stored(&app, &infected));
    let attachment = attachment_link(&app.get_html(&page).await, &id);

    // Nobody may open either while they wait: the usager, nor the service.
    let staff = guichet_test_support::Browser::new(&app);
    staff.login("agent.apa@departement.fr", PASSWORD).await;
    let waiting = "Ce document est en cours d’analyse antivirus : réessayez dans quelques minutes";
    for r in [
        app.get(&format!("/dossiers/{draft}/fichiers/{}", sha(&clean)))
            .await,
        app.get(&attachment).await,
        staff.get(&format!("/instruction{attachment}")).await,
    ] {
        assert_eq!(r.status(), StatusCode::LOCKED);
        let body = r.text().await.unwrap();
        assert!(body.contains(waiting), "{body}");
    }

    // clamd still down: the rescan leaves them waiting.
    let r = guichet_web::uploads::rescan_pending(&app.state).await.unwrap();
    assert_eq!((r.clean, r.infected, r.still_pending), (0, 0, 2));

    // clamd answers again (a new one; the setting points at it): the rescan settles both.
    let clamd = Clamd::start().unwrap();
    let mut state = app.state.clone();
    state.files = guichet_web::uploads::FileStore::new(
        app.data_dir.path(),
        guichet_web::uploads::Clamd::parse(&clamd.url()),
    )
    .unwrap()
    .with_hold(true);
    let r = guichet_web::uploads::rescan_pending(&state).await.unwrap();
    assert_eq!((r.clean, r.infected, r.still_pending), (1, 1, 0));

    let r = app
        .get(&format!("/dossiers/{draft}/fichiers/{}", sha(&clean)))
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.bytes().await.unwrap().to_vec(), clean);
    assert!(!is_stored(&app, &infected), "the infected bytes are deleted");
    let r = staff.get(&format!("/instruction{attachment}")).await;
    assert_eq!(r.status(), StatusCode::GONE);
    assert!(r.text().await.unwrap().contains("un virus a été détecté"));
    let html = app.get_html(&page).await;
    assert!(
        html.contains("Document supprimé : un virus a été détecté"),
        "{html}"
    );
    let mail = app
        .wait_for_email(
            "attente@exemple.fr",
            "Un de vos documents a été supprimé : virus détecté",
        )
        .await;
    assert!(mail.body.contains(&format!("/dossiers/{id}")), "{}", mail.body);
    // A second run has nothing left to do.
    let r = guichet_web::uploads::rescan_pending(&state).await.unwrap();
    assert_eq!((r.clean, r.infected, r.still_pending), (0, 0, 0));
}

// ------------------------------------------------------------------------------------ documents

fn today() -> chrono::NaiveDate {
    guichet_usecases::deadlines::today()
}

/// The date `d` typed in the boxes named `<prefix>.jour|mois|annee`.
fn date_boxes(form: Form, prefix: &str, d: chrono::NaiveDate) -> Form {
    use chrono::Datelike;
    form.text(format!("{prefix}.jour"), d.day().to_string())
        .text(format!("{prefix}.mois"), d.month().to_string())
        .text(format!("{prefix}.annee"), d.year().to_string())
}

/// Sets a draft's answers as earlier steps would have.
async fn save(app: &TestApp, id: &str, answers: &serde_json::Map<String, Value>) {
    let owner = app.dossier(id).await.owner_id;
    let (id, answers) = (id.to_owned(), Value::Object(answers.clone()));
    app.pool
        .run(move |c| guichet_dossiers::store::save_answers(c, &id, &owner, &answers, None, ""))
        .await
        .unwrap();
}

async fn new_draft(app: &TestApp, procedure: &str) -> String {
    let first = app.start_draft(procedure).await;
    first.split('/').nth(2).unwrap().to_owned()
}

async fn logged_in_usager(app: &TestApp, email: &str) {
    app.logged_in_usager(email, PASSWORD).await;
}

/// A new usager's new draft of `procedure`: its id and the path of its documents step.
async fn documents_step(app: &TestApp, email: &str, procedure: &str) -> (String, String) {
    logged_in_usager(app, email).await;
    let id = new_draft(app, procedure).await;
    let path = format!("/dossiers/{id}/etapes/pieces");
    (id, path)
}

/// Adds one file with the date boxes of the file being added; returns the status and the page.
async fn add_dated(
    app: &TestApp,
    path: &str,
    field: &str,
    bytes: &[u8],
    name: &str,
    date: Option<(&str, &str, &str)>,
) -> (StatusCode, String) {
    let mut form = Form::new()
        .text("csrf_token", token_of(app, path).await)
        .text("action", format!("televerser:{field}"));
    if let Some((j, m, a)) = date {
        form = form
            .text(format!("{field}.date_document.jour"), j)
            .text(format!("{field}.date_document.mois"), m)
            .text(format!("{field}.date_document.annee"), a);
    }
    let r = post(app, path, form.part(field, pdf_part(bytes.to_vec(), name))).await;
    (r.status(), r.text().await.unwrap())
}

/// Review bug 8: a proof of address too old, or dated 15/13/2026, is refused as it is added, with the
/// limit date in words; the date typed stays in the boxes; a good one shows « daté du … » in words.
async fn a_document_date_is_checked_when_the_file_is_added(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let (id, path) = documents_step(&app, "date@exemple.fr", "mdph").await;
    let old = today() - chrono::Months::new(4);
    let limit = guichet_forms::french_date(today() - chrono::Months::new(3));
    let (j, m, a) = (
        old.format("%-d").to_string(),
        old.format("%-m").to_string(),
        old.format("%Y").to_string(),
    );
    let file = pdf("facture-ancienne");
    let (status, html) = add_dated(
        &app,
        &path,
        "justificatif_domicile",
        &file,
        "facture.pdf",
        Some((&j, &m, &a)),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        html.contains(&format!(
            "Le justificatif doit dater de moins de 3 mois, c’est-à-dire du {limit} ou après."
        )),
        "{html}"
    );
    assert!(
        !html.contains("Voir le fichier facture.pdf"),
        "refused, so not attached"
    );
    assert!(html.contains(&format!("value=\"{a}\"")), "the typed year is kept");

    let (status, html) = add_dated(
        &app,
        &path,
        "justificatif_domicile",
        &file,
        "facture.pdf",
        Some(("15", "13", "2026")),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        html.contains("Date du document : la date doit être une vraie date"),
        "{html}"
    );
    assert!(
        html.contains("value=\"13\""),
        "the impossible month is shown back, not dropped"
    );

    let good = today() - chrono::Days::new(10);
    let (status, html) = add_dated(
        &app,
        &path,
        "justificatif_domicile",
        &file,
        "facture.pdf",
        Some((
            &good.format("%-d").to_string(),
            &good.format("%-m").to_string(),
            &good.format("%Y").to_string(),
        )),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(
        html.contains(&format!("daté du {}", guichet_forms::french_date(good))),
        "{html}"
    );
    assert!(
        !html.contains(&format!("daté du {}", good.format("%Y-%m-%d"))),
        "no ISO date shown"
    );
    // The recap says it in words too.
    let recap = app.get_html(&format!("/dossiers/{id}/verifier")).await;
    assert!(
        recap.contains(&format!("daté du {}", guichet_forms::french_date(good))),
        "{recap}"
    );
}

/// Review bug 7: a certificate added without a date is kept and its date asked at once; the date is
/// then given in the boxes under the file, with « Enregistrer la date » or with « Continuer », without
/// adding the file again; a wrong date there is explained and shown back.
async fn a_missing_date_is_given_later_without_adding_the_file_again(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let (id, path) = documents_step(&app, "sansdate@exemple.fr", "mdph").await;
    let file = pdf("certificat");
    let (status, html) = add_dated(&app, &path, "certificat_medical", &file, "certificat.pdf", None).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        html.contains("Indiquez la date du document « certificat.pdf »"),
        "{html}"
    );
    assert!(html.contains("Voir le fichier certificat.pdf"), "kept: {html}");
    let prefix = format!("certificat_medical.date.{}", sha(&file));

    // « Enregistrer la date » with an impossible date: said at once, shown back.
    let form = Form::new()
        .text("csrf_token", token_of(&app, &path).await)
        .text(format!("{prefix}.jour"), "15")
        .text(format!("{prefix}.mois"), "13")
        .text(format!("{prefix}.annee"), "2026")
        .text("action", format!("dater:certificat_medical:{}", sha(&file)));
    let r = post(&app, &path, form).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("« certificat.pdf » : Date du document : la date doit être une vraie date"),
        "{html}"
    );
    assert!(html.contains("value=\"13\""), "{html}");

    // « Continuer » with the right date in the same boxes: the certificate's error is gone.
    let good = today() - chrono::Days::new(30);
    let form = date_boxes(
        Form::new().text("csrf_token", token_of(&app, &path).await),
        &prefix,
        good,
    )
    .text("action", "continuer");
    let r = post(&app, &path, form).await;
    let html = r.text().await.unwrap();
    assert!(
        !html.contains("certificat.pdf » :")
            && !html.contains("Indiquez la date du document « certificat.pdf »"),
        "{html}"
    );
    assert!(
        html.contains(&format!("daté du {}", guichet_forms::french_date(good))),
        "{html}"
    );
    let dossier = app.dossier(&id).await;
    assert_eq!(
        dossier.answers["certificat_medical"][0]["document_date"],
        Value::String(good.format("%Y-%m-%d").to_string())
    );
}

/// The owner opens a file to check it (inline, typed, nosniff) from the step, the recap and the
/// dossier page; anyone else gets « not found ». A renamed text file and a duplicate are explained.
async fn the_owner_opens_a_file_and_odd_files_are_explained(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let (id, path) = documents_step(&app, "voir@exemple.fr", "apa").await;
    let file = pdf("identite");
    let (status, html) = add_dated(&app, &path, "piece_identite", &file, "identite.pdf", None).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    let href = format!("/dossiers/{id}/fichiers/{}", sha(&file));
    assert!(
        html.contains(&format!(
            "href=\"{href}\">Voir le fichier identite.pdf (PDF, 1 Ko)"
        )),
        "{html}"
    );
    let recap = app.get_html(&format!("/dossiers/{id}/verifier")).await;
    assert!(
        recap.contains(&format!("href=\"{href}\">Voir le fichier identite.pdf")),
        "{recap}"
    );
    let dossier_page = app.get_html(&format!("/dossiers/{id}")).await;
    assert!(
        dossier_page.contains(&format!("href=\"{href}\">Voir le fichier identite.pdf")),
        "{dossier_page}"
    );

    let r = app.get(&href).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["content-type"], "application/pdf");
    assert!(
        r.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("inline")
    );
    assert_eq!(r.headers()["x-content-type-options"], "nosniff");
    assert_eq!(r.bytes().await.unwrap().as_ref(), file.as_slice());

    // The same bytes again: said, not silently merged.
    let (status, html) = add_dated(&app, &path, "piece_identite", &file, "copie.pdf", None).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        html.contains("Le fichier « copie.pdf » est déjà joint à ce document (sous le nom « identite.pdf »)"),
        "{html}"
    );
    // A text file renamed .pdf: its content is named, not « format accepté ».
    let (status, html) = add_dated(
        &app,
        &path,
        "avis_imposition",
        b"juste du texte",
        "avis.pdf",
        None,
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("mais son contenu n’est pas un PDF"), "{html}");
    assert!(!html.contains("n’est pas d’un format accepté"), "{html}");

    // Someone else: not found, on the same rule as the dossier itself.
    let other = guichet_test_support::Browser::new(&app);
    app.create_user("autre@exemple.fr", PASSWORD, guichet_types::Role::Usager, &[])
        .await;
    other.login("autre@exemple.fr", PASSWORD).await;
    assert_eq!(other.get(&href).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        other.get(&format!("/dossiers/{id}")).await.status(),
        StatusCode::NOT_FOUND
    );
}

/// The start pages list what everyone provides, then the documents « selon votre situation » with the
/// condition in words; the steps ask only the documents whose condition holds.
async fn start_pages_and_steps_ask_only_the_documents_that_apply(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let mdph = app.get_html("/demarches/mdph").await;
    let (everyone, depending) = mdph.split_once("Selon votre situation").expect("two lists");
    assert!(everyone.contains("Certificat médical (Cerfa 15695*01)"), "{mdph}");
    assert!(
        everyone.contains("href=\"https://www.formulaires.service-public.fr/gf/cerfa_15695.do\""),
        "{mdph}"
    );
    assert!(!everyone.contains("Copie du jugement"), "{mdph}");
    assert!(
        depending.contains("Si la personne a une mesure de protection juridique (tutelle, curatelle…) :"),
        "{mdph}"
    );
    assert!(
        depending.contains("Copie du jugement de la mesure de protection"),
        "{mdph}"
    );
    let pch = app.get_html("/demarches/pch").await;
    let (everyone, depending) = pch.split_once("Selon votre situation").expect("two lists");
    assert!(
        !everyone.contains("Permis de conduire") && !everyone.contains("chien"),
        "{pch}"
    );
    for when in [
        "Si vous demandez des aides techniques :",
        "Si vous demandez l’aménagement du véhicule et le conduisez vous-même :",
        "Si vous demandez l’aide animalière :",
    ] {
        assert!(depending.contains(when), "{when}: {pch}");
    }
    let amethyste = app.get_html("/demarches/amethyste").await;
    let (everyone, _) = amethyste.split_once("Selon votre situation").expect("two lists");
    assert!(
        !everyone.contains("Photo d’identité") && !everyone.contains("Justificatif de vos droits"),
        "{amethyste}"
    );

    // Améthyste, older person with a Navigo pass: neither the photo nor the proof of rights is asked.
    logged_in_usager(&app, "senior@exemple.fr").await;
    let id = new_draft(&app, "amethyste").await;
    let mut answers = serde_json::Map::new();
    answers.insert("categorie".into(), "seniors".into());
    answers.insert("passe_navigo".into(), true.into());
    save(&app, &id, &answers).await;
    let step = app.get_html(&format!("/dossiers/{id}/etapes/pieces")).await;
    assert!(step.contains("Pièce d’identité"), "{step}");
    assert!(
        !step.contains("Photo d’identité") && !step.contains("Justificatif de vos droits"),
        "{step}"
    );
    // Without a pass, the photo to make one is asked.
    answers.insert("passe_navigo".into(), false.into());
    save(&app, &id, &answers).await;
    let step = app.get_html(&format!("/dossiers/{id}/etapes/pieces")).await;
    assert!(step.contains("Photo d’identité récente"), "{step}");

    // « Depuis quand… même approximative »: a month and a year are enough.
    let adresse = format!("/dossiers/{id}/etapes/adresse");
    let r = app
        .post_form(
            &adresse,
            &adresse,
            &[
                ("date_arrivee.jour", ""),
                ("date_arrivee.mois", "9"),
                ("date_arrivee.annee", "2015"),
            ],
        )
        .await;
    let html = r.text().await.unwrap();
    assert!(!html.contains("La date doit comporter un jour"), "{html}");
    assert_eq!(app.dossier(&id).await.answers["date_arrivee"], "2015-09-01");
}

on_both_backends!(
    a_document_date_is_checked_when_the_file_is_added,
    a_missing_date_is_given_later_without_adding_the_file_again,
    the_owner_opens_a_file_and_odd_files_are_explained,
    start_pages_and_steps_ask_only_the_documents_that_apply,
    a_token_not_first_is_refused_before_any_file_is_stored,
    too_many_parts_or_text_bytes_are_413,
    attachments_are_bounded_in_number_and_count_in_the_quota,
    the_collector_removes_only_unreferenced_files,
    a_failing_store_keeps_the_typed_answers,
    a_dropped_upload_leaves_no_temp_file_and_is_a_client_error,
    uploads_are_scanned_by_clamd,
    with_hold_uploads_wait_for_clamd_and_infected_ones_are_removed
);
