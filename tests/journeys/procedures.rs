//! Filing a request from the first step to deposit, through the real pages.

use std::collections::BTreeSet;

use guichet_test_support::{Backend, TestApp, on_both_backends, pdftotext_layout as pdftotext};
use reqwest::StatusCode;
use serde_json::Value;

const PASSWORD: &str = "une phrase de passe solide";

/// A complete, valid APA request (the form engine's own fixture).
fn apa_answers() -> serde_json::Map<String, Value> {
    serde_json::from_str(include_str!(
        "../../crates/forms/tests/fixtures/apa_complete.json"
    ))
    .unwrap()
}

/// The smallest files whose first bytes say what they are.
fn file_bytes(content_type: &str) -> Vec<u8> {
    match content_type {
        "image/png" => b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x02\0\0\0\x90wS\xde".to_vec(),
        "image/jpeg" => b"\xff\xd8\xff\xe0\0\x10JFIF\0\x01\x01\0\0\x01\0\x01\0\0\xff\xd9".to_vec(),
        _ => b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n".to_vec(),
    }
}

fn location(r: &reqwest::Response) -> String {
    r.headers()
        .get("location")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default()
}

/// Control names on a page, without the plumbing ones.
fn control_names(html: &str) -> BTreeSet<String> {
    html.split("name=\"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .filter(|n| !matches!(*n, "csrf_token" | "action" | "retour"))
        .map(str::to_owned)
        .collect()
}

/// Text pairs and files (field id, file description) of a step's form.
type StepForm = (Vec<(String, String)>, Vec<(String, Value)>);

/// The form a person would send for this page, from the answers they mean to give.
fn step_submission(html: &str, answers: &serde_json::Map<String, Value>) -> StepForm {
    let mut pairs = Vec::new();
    let mut files = Vec::new();
    let names = control_names(html);
    let mut done = BTreeSet::new();
    for name in &names {
        let base = name.split('.').next().unwrap().to_owned();
        if !done.insert(base.clone()) {
            continue;
        }
        let Some(v) = answers.get(&base) else { continue };
        let is_file = html.contains(&format!("type=\"file\" id=\"{base}\""));
        match v {
            Value::String(s) => pairs.push((base, s.clone())),
            Value::Array(items) if is_file => files.extend(items.iter().map(|i| (base.clone(), i.clone()))),
            Value::Array(items) => pairs.extend(
                items
                    .iter()
                    .filter_map(Value::as_str)
                    .map(|s| (base.clone(), s.to_owned())),
            ),
            other => pairs.push((base, other.to_string())),
        }
    }
    (pairs, files)
}

async fn post_step(
    app: &TestApp,
    path: &str,
    html: &str,
    pairs: &[(String, String)],
    files: &[(String, Value)],
) -> reqwest::Response {
    let token = guichet_test_support::csrf_token(html).unwrap();
    if html.contains("multipart/form-data") {
        let mut form = reqwest::multipart::Form::new()
            .text("csrf_token", token)
            .text("action", "continuer");
        for (k, v) in pairs {
            form = form.text(k.clone(), v.clone());
        }
        for (field, f) in files {
            let ct = f["content_type"].as_str().unwrap().to_owned();
            let part = reqwest::multipart::Part::bytes(file_bytes(&ct))
                .file_name(f["name"].as_str().unwrap().to_owned())
                .mime_str(&ct)
                .unwrap();
            form = form.part(field.clone(), part);
        }
        app.client
            .post(app.url(path))
            .multipart(form)
            .send()
            .await
            .unwrap()
    } else {
        let mut body: Vec<(String, String)> = vec![
            ("csrf_token".into(), token),
            ("action".into(), "continuer".into()),
        ];
        body.extend_from_slice(pairs);
        app.client.post(app.url(path)).form(&body).send().await.unwrap()
    }
}

async fn an_apa_request_goes_from_first_step_to_deposit(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    app.create_user(
        "claire.martin@exemple.fr",
        PASSWORD,
        guichet_types::Role::Usager,
        &[],
    )
    .await;
    assert_eq!(
        app.login("claire.martin@exemple.fr", PASSWORD).await.status(),
        StatusCode::SEE_OTHER
    );
    let answers = apa_answers();
    let mut path = app.start_draft("apa").await;
    assert!(path.contains("/etapes/"), "{path}");
    let dossier = path.split('/').nth(2).unwrap().to_owned();

    let mut saw_error = false;
    let mut steps = 0;
    while path.contains("/etapes/") {
        steps += 1;
        assert!(steps < 40, "the journey does not end");
        let html = app.get_html(&path).await;
        assert!(html.contains("<form method=\"post\""), "{path}: {html}");
        let (pairs, files) = step_submission(&html, &answers);
        if !saw_error && pairs.iter().any(|(k, _)| k == "nir") {
            // A wrong social security number: French error, focusable summary, the other answers kept.
            let wrong: Vec<(String, String)> = pairs
                .iter()
                .map(|(k, v)| {
                    if k == "nir" {
                        (k.clone(), "2 40 03 69 123 456 31".into())
                    } else {
                        (k.clone(), v.clone())
                    }
                })
                .collect();
            let r = post_step(&app, &path, &html, &wrong, &files).await;
            assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
            let page = r.text().await.unwrap();
            assert!(page.contains("<title>Erreur : "), "{page}");
            assert!(page.contains("href=\"#nir\""), "error summary links to the field");
            assert!(page.contains("value=\"Jeanne Marie\""), "other answers kept");
            saw_error = true;
        }
        let r = post_step(&app, &path, &html, &pairs, &files).await;
        let status = r.status();
        let next = location(&r);
        assert_eq!(
            status,
            StatusCode::SEE_OTHER,
            "{path}: {}",
            r.text().await.unwrap()
        );
        path = next;
    }
    assert!(saw_error, "the identity step was reached");
    assert_eq!(path, format!("/dossiers/{dossier}/verifier"));

    let check = app.get_html(&path).await;
    assert!(check.contains("Vérifiez vos réponses"));
    assert!(check.contains("Durand") && check.contains("Modifier"));
    let r = app
        .post_form(&path, &format!("/dossiers/{dossier}/deposer"), &[])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "{}", r.text().await.unwrap());
    assert_eq!(location(&r), format!("/dossiers/{dossier}/confirmation"));

    let year = chrono::Utc::now().format("%Y").to_string();
    let number = format!("APA-{year}-000001");
    let confirmation = app.get_html(&format!("/dossiers/{dossier}/confirmation")).await;
    assert!(confirmation.contains(&number), "{confirmation}");

    // The receipt email, with the number.
    let mail = app.wait_for_email("claire.martin@exemple.fr", &number).await;
    assert!(mail.body.contains(&number) && mail.body.contains(&format!("/dossiers/{dossier}")));

    // The receipt PDF, read back.
    let r = app.get(&format!("/dossiers/{dossier}/recepisse.pdf")).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers().get("content-type").unwrap(), "application/pdf");
    let pdf = r.bytes().await.unwrap();
    if let Some(text) = pdftotext(&pdf) {
        assert!(text.contains(&number), "{text}");
        assert!(text.contains("Jeanne Marie Durand"), "{text}");
        assert!(text.contains("cni.pdf"), "documents received are listed: {text}");
    }

    // My dossiers shows it, deposited; the draft can no longer be edited.
    let mine = app.get_html("/mes-dossiers").await;
    assert!(mine.contains(&number) && mine.contains("Envoyé"));
    // Until an instructor takes it, the usager may still amend it; changes wait until sent again.
    assert_eq!(
        app.get(&format!("/dossiers/{dossier}/etapes/identite"))
            .await
            .status(),
        StatusCode::OK
    );
    assert!(
        app.get_html(&format!("/dossiers/{dossier}/verifier"))
            .await
            .contains("Envoyer mes modifications")
    );
    // An uploaded file can be downloaded by its owner.
    let html = app.get_html(&format!("/dossiers/{dossier}")).await;
    assert!(html.contains(&number));
}

async fn a_refused_upload_keeps_the_other_answers(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    app.create_user("upload@exemple.fr", PASSWORD, guichet_types::Role::Usager, &[])
        .await;
    app.login("upload@exemple.fr", PASSWORD).await;
    let first = app.start_draft("apa").await;
    let dossier = first.split('/').nth(2).unwrap().to_owned();
    // Jump to the documents step: find it by walking the check page's edit links is overkill; the step id is stable.
    let path = format!("/dossiers/{dossier}/etapes/pieces");
    let html = app.get_html(&path).await;
    assert!(html.contains("multipart/form-data"), "{html}");
    let token = guichet_test_support::csrf_token(&html).unwrap();
    let exe = reqwest::multipart::Part::bytes(b"MZ\x90\0\x03\0\0\0this is a program".to_vec())
        .file_name("virus.exe")
        .mime_str("application/pdf")
        .unwrap();
    let good = reqwest::multipart::Part::bytes(file_bytes("application/pdf"))
        .file_name("avis.pdf")
        .mime_str("application/pdf")
        .unwrap();
    let form = reqwest::multipart::Form::new()
        .text("csrf_token", token)
        .text("action", "continuer")
        .part("piece_identite", exe)
        .part("avis_imposition", good);
    let r = app
        .client
        .post(app.url(&path))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = r.text().await.unwrap();
    assert!(
        page.contains("virus.exe") && page.contains("format accepté"),
        "{page}"
    );
    assert!(
        page.contains("avis.pdf"),
        "the accepted file of the same form is kept: {page}"
    );
    // It was saved in the draft, not only echoed.
    let again = app.get_html(&path).await;
    assert!(again.contains("avis.pdf"));
    assert!(!again.contains("virus.exe"));
}

async fn a_file_input_left_empty_is_no_file(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    app.create_user("vide@exemple.fr", PASSWORD, guichet_types::Role::Usager, &[])
        .await;
    app.login("vide@exemple.fr", PASSWORD).await;
    let first = app.start_draft("apa").await;
    let dossier = first.split('/').nth(2).unwrap().to_owned();
    let path = format!("/dossiers/{dossier}/etapes/pieces");
    let html = app.get_html(&path).await;
    let token = guichet_test_support::csrf_token(&html).unwrap();
    // What a browser sends for an untouched file input: an empty file name and no bytes.
    let empty = reqwest::multipart::Part::bytes(Vec::new())
        .file_name("")
        .mime_str("application/octet-stream")
        .unwrap();
    let form = reqwest::multipart::Form::new()
        .text("csrf_token", token)
        .text("action", "continuer")
        .part("piece_identite", empty);
    let r = app
        .client
        .post(app.url(&path))
        .multipart(form)
        .send()
        .await
        .unwrap();
    let page = r.text().await.unwrap();
    assert!(!page.contains("est vide"), "{page}");
    assert!(
        page.contains("Ajoutez") || page.contains("Saisissez") || page.contains("Il y a un problème"),
        "required documents are reported as missing, not as empty files"
    );
}

async fn another_users_dossier_is_not_found(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    app.create_user("a@exemple.fr", PASSWORD, guichet_types::Role::Usager, &[])
        .await;
    app.create_user("b@exemple.fr", PASSWORD, guichet_types::Role::Usager, &[])
        .await;
    app.login("a@exemple.fr", PASSWORD).await;
    let first = app.start_draft("apa").await;
    app.post_form("/compte", "/deconnexion", &[]).await;
    app.login("b@exemple.fr", PASSWORD).await;
    for path in [
        first.clone(),
        first
            .replace("/etapes/", "/x/")
            .split("/x/")
            .next()
            .unwrap()
            .to_owned(),
    ] {
        let r = app.get(&path).await;
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "{path}");
    }
}

on_both_backends!(
    an_apa_request_goes_from_first_step_to_deposit,
    a_refused_upload_keeps_the_other_answers,
    another_users_dossier_is_not_found,
    a_file_input_left_empty_is_no_file,
    a_definition_change_between_two_steps_is_told_to_the_usager,
);

async fn a_definition_change_between_two_steps_is_told_to_the_usager(backend: Backend) {
    // Version 1 of the procedures, in a directory of their own.
    let v1 = tempfile::tempdir().unwrap();
    for f in ["apa.toml", "amethyste.toml", "mdph.toml", "pch.toml"] {
        std::fs::copy(guichet_test_support::forms_dir().join(f), v1.path().join(f)).unwrap();
    }
    let dir1 = v1.path().to_owned();
    let Some(app) = TestApp::spawn_with(backend, |c| c.forms_dir = dir1).await else {
        return;
    };
    app.create_user("lente@exemple.fr", PASSWORD, guichet_types::Role::Usager, &[])
        .await;
    app.login("lente@exemple.fr", PASSWORD).await;
    let first = app.start_draft("apa").await;
    let r = post_step(
        &app,
        &first,
        &app.get_html(&first).await,
        &[("demande_pour".into(), "professionnel".into())],
        &[],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);

    // The département publishes version 2: the option chosen no longer exists.
    let v2 = tempfile::tempdir().unwrap();
    for f in ["amethyste.toml", "mdph.toml", "pch.toml"] {
        std::fs::copy(v1.path().join(f), v2.path().join(f)).unwrap();
    }
    let text = std::fs::read_to_string(v1.path().join("apa.toml")).unwrap();
    // The answer belongs to the shared part « pour qui »: this procedure now leaves it out.
    let changed: String = text
        .lines()
        .map(|l| {
            if l.starts_with("version = ") {
                "version = \"2099-1\"".to_owned()
            } else if l.starts_with("omit_options = ") {
                "omit_options = [\"enfant\", \"professionnel\"]".to_owned()
            } else {
                l.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    assert_ne!(changed, text);
    std::fs::write(v2.path().join("apa.toml"), changed).unwrap();
    let (db, dir2) = (app.pool_url(), v2.path().to_owned());
    let Some(app2) = TestApp::spawn_with(backend, |c| {
        c.database_url = Some(db);
        c.forms_dir = dir2;
    })
    .await
    else {
        return;
    };
    app2.login("lente@exemple.fr", PASSWORD).await;
    let html = app2.get_html(&first).await;
    assert!(html.contains("Le formulaire a été mis à jour"), "{html}");
    assert!(
        html.contains("Pour qui faites-vous cette demande"),
        "the field to re-check is named: {html}"
    );
    // The draft moved to version 2 and says so in its history.
    let dossier = first.split('/').nth(2).unwrap().to_owned();
    let page = app2.get_html(&format!("/dossiers/{dossier}")).await;
    assert!(page.contains("Formulaire mis à jour"));
}
