//! Concurrent writes over real HTTP (security review 2026-12, M4): 30 parallel sign-ups, reset requests,
//! step saves and deposits. None may fail with a 5xx; on SQLite, deferred transactions used to fail with
//! 500 « database is locked » when another connection committed between their read and their write.

use guichet_test_support::{Backend, TestApp, csrf_token, get_text, on_both_backends};
use reqwest::StatusCode;
use serde_json::Value;

const PASSWORD: &str = "une phrase de passe solide";
const N: usize = 30;

/// A form to post: the browser that sends it, the address and the fields.
type Post = (reqwest::Client, String, Vec<(String, String)>);

/// Sends every form at once; returns their statuses.
async fn all_at_once(posts: Vec<Post>) -> Vec<StatusCode> {
    let tasks: Vec<_> = posts
        .into_iter()
        .map(|(client, url, form)| {
            tokio::spawn(async move { client.post(url).form(&form).send().await.unwrap().status() })
        })
        .collect();
    let mut statuses = Vec::new();
    for t in tasks {
        statuses.push(t.await.unwrap());
    }
    statuses
}

fn assert_all(statuses: &[StatusCode], expected: StatusCode, what: &str) {
    let server_errors = statuses.iter().filter(|s| s.is_server_error()).count();
    assert_eq!(server_errors, 0, "{what}: {statuses:?}");
    assert!(statuses.iter().all(|s| *s == expected), "{what}: {statuses:?}");
}

fn field(k: &str, v: &str) -> (String, String) {
    (k.to_owned(), v.to_owned())
}

async fn parallel_sign_ups_all_succeed(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let token = csrf_token(&app.get_html("/inscription").await).unwrap();
    let sign_ups = (0..N)
        .map(|i| {
            (
                app.client.clone(),
                app.url("/inscription"),
                vec![
                    field("csrf_token", &token),
                    field("nom", "Personne Pressée"),
                    field("email", &format!("para{i}@exemple.fr")),
                    field("mot_de_passe", PASSWORD),
                ],
            )
        })
        .collect();
    assert_all(&all_at_once(sign_ups).await, StatusCode::SEE_OTHER, "sign-ups");
    // Every account was created once.
    for i in 0..N {
        let email = guichet_types::Email::parse(&format!("para{i}@exemple.fr")).unwrap();
        let found = app
            .pool
            .run(move |c| guichet_accounts::users::find_by_email(c, &email))
            .await
            .unwrap();
        assert!(found.is_some(), "para{i}");
    }
}

async fn parallel_reset_requests_for_one_address_all_succeed(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    app.create_user("oubli@exemple.fr", PASSWORD, guichet_types::Role::Usager, &[])
        .await;
    let token = csrf_token(&app.get_html("/mot-de-passe-oublie").await).unwrap();
    let resets = (0..N)
        .map(|_| {
            (
                app.client.clone(),
                app.url("/mot-de-passe-oublie"),
                vec![field("csrf_token", &token), field("email", "oubli@exemple.fr")],
            )
        })
        .collect();
    assert_all(
        &all_at_once(resets).await,
        StatusCode::SEE_OTHER,
        "reset requests",
    );
}

/// Creates complete APA drafts for the usager directly, as if every step had been filled.
async fn complete_drafts(app: &TestApp, owner_email: &str, n: usize) -> Vec<String> {
    let proc = app.state.procedures.get("apa").unwrap().clone();
    let mut answers = serde_json::from_str::<serde_json::Map<String, Value>>(include_str!(
        "../../crates/forms/tests/fixtures/apa_complete.json"
    ))
    .unwrap();
    proc.def
        .normalize_answers(&mut answers, chrono::Utc::now().date_naive());
    let email = guichet_types::Email::parse(owner_email).unwrap();
    app.pool
        .run(move |c| {
            let owner = guichet_accounts::users::find_by_email(c, &email)
                .unwrap()
                .unwrap();
            let mut ids = Vec::new();
            for _ in 0..n {
                let d = guichet_dossiers::store::create_draft(
                    c,
                    &guichet_dossiers::store::NewDraft {
                        owner_id: owner.id.clone(),
                        procedure: proc.id().to_owned(),
                        service_code: proc.service_code.clone(),
                        form_version_id: proc.version_id.clone(),
                        answers: Value::Object(answers.clone()),
                        applicant_name: String::new(),
                    },
                )?;
                ids.push(d.id);
            }
            Ok::<_, guichet_dossiers::store::DossierError>(ids)
        })
        .await
        .unwrap()
}

async fn parallel_step_saves_and_deposits_all_succeed(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    // Two usagers, fifteen drafts each.
    let mut drafts = Vec::new();
    for who in ["une@exemple.fr", "deux@exemple.fr"] {
        app.create_user(who, PASSWORD, guichet_types::Role::Usager, &[])
            .await;
        let b = guichet_test_support::Browser::new(&app);
        b.login(who, PASSWORD).await;
        for id in complete_drafts(&app, who, N / 2).await {
            drafts.push((b.client.clone(), id));
        }
    }
    let mut saves = Vec::new();
    for (client, id) in &drafts {
        let path = format!("/dossiers/{id}/etapes/pour_qui");
        let html = get_text(client, app.url(&path)).await;
        let token = csrf_token(&html).unwrap();
        saves.push((
            client.clone(),
            app.url(&path),
            vec![
                field("csrf_token", &token),
                field("action", "continuer"),
                field("demande_pour", "proche"),
            ],
        ));
    }
    let deposits: Vec<_> = saves
        .iter()
        .zip(&drafts)
        .map(|((client, _, form), (_, id))| {
            (
                client.clone(),
                app.url(&format!("/dossiers/{id}/deposer")),
                vec![form[0].clone()],
            )
        })
        .collect();
    assert_all(&all_at_once(saves).await, StatusCode::SEE_OTHER, "step saves");
    assert_all(&all_at_once(deposits).await, StatusCode::SEE_OTHER, "deposits");
    // Thirty numbers, all different.
    let mut numbers = std::collections::BTreeSet::new();
    for (client, id) in &drafts {
        let html = get_text(client, app.url(&format!("/dossiers/{id}/confirmation"))).await;
        let start = html.find("APA-").unwrap();
        numbers.insert(html[start..start + 15].to_owned());
    }
    assert_eq!(numbers.len(), N, "{numbers:?}");
}

on_both_backends!(
    parallel_sign_ups_all_succeed,
    parallel_reset_requests_for_one_address_all_succeed,
    parallel_step_saves_and_deposits_all_succeed,
);
