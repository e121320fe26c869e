//! Roles within a service: a reader reads and never acts, an evaluator acts and never decides, an expert
//! sees no dossier of the service (only the opinions asked of them).

use guichet_test_support::{Backend, Browser, TestApp, on_both_backends};
use guichet_types::{Role, ServiceRole};
use reqwest::StatusCode;
use serde_json::Value;

const PASSWORD: &str = "une phrase de passe solide";

fn apa_answers() -> Value {
    serde_json::from_str(include_str!(
        "../../crates/forms/tests/fixtures/apa_complete.json"
    ))
    .unwrap()
}

async fn member(app: &TestApp, email: &str, role: ServiceRole) {
    app.create_user(email, PASSWORD, Role::Instructeur, &["apa"])
        .await;
    let email = guichet_types::Email::parse(email).unwrap();
    app.pool
        .run(move |c| {
            let u = guichet_accounts::users::find_by_email(c, &email)?.unwrap();
            guichet_accounts::services::set_role(c, &u.id, "apa", role)
        })
        .await
        .unwrap();
}

async fn act(b: &Browser<'_>, id: &str, action: &str, fields: &[(&str, &str)]) -> reqwest::Response {
    let page = format!("/instruction/dossiers/{id}");
    b.post_versioned(&page, &format!("{page}/actions/{action}"), fields)
        .await
}

async fn each_role_does_what_it_may(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    app.create_user("famille@exemple.fr", PASSWORD, Role::Usager, &[])
        .await;
    member(&app, "lecteur@departement.fr", ServiceRole::Lecteur).await;
    member(&app, "evaluateur@departement.fr", ServiceRole::Evaluateur).await;
    member(&app, "expert@departement.fr", ServiceRole::Expert).await;
    member(&app, "instructeur@departement.fr", ServiceRole::Instructeur).await;
    let (id, number) = app.deposit("famille@exemple.fr", "apa", apa_answers()).await;
    let page = format!("/instruction/dossiers/{id}");

    // The reader sees the queue and the dossier, and is refused every action with the reason.
    let reader = Browser::new(&app);
    reader.login("lecteur@departement.fr", PASSWORD).await;
    assert!(reader.get_html("/instruction").await.contains(&number));
    assert_eq!(reader.get(&page).await.status(), StatusCode::OK);
    let r = act(&reader, &id, "prendre", &[]).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(r.text().await.unwrap().contains("consultation"));
    assert_eq!(app.dossier(&id).await.state, guichet_dossiers::State::Depose);

    // The evaluator takes the dossier but may not close it (a decision).
    let evaluator = Browser::new(&app);
    evaluator.login("evaluateur@departement.fr", PASSWORD).await;
    assert_eq!(
        act(&evaluator, &id, "prendre", &[]).await.status(),
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        app.dossier(&id).await.state,
        guichet_dossiers::State::EnInstruction
    );
    let r = act(
        &evaluator,
        &id,
        "classer",
        &[("motif", "Doublon d’une autre demande")],
    )
    .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(r.text().await.unwrap().contains("évaluation"));
    assert_eq!(
        app.dossier(&id).await.state,
        guichet_dossiers::State::EnInstruction
    );

    // The expert has no queue and the dossier does not exist for them.
    let expert = Browser::new(&app);
    expert.login("expert@departement.fr", PASSWORD).await;
    assert!(!expert.get_html("/instruction").await.contains(&number));
    assert_eq!(expert.get(&page).await.status(), StatusCode::NOT_FOUND);

    // The instructor decides.
    let instructor = Browser::new(&app);
    instructor.login("instructeur@departement.fr", PASSWORD).await;
    let r = act(
        &instructor,
        &id,
        "classer",
        &[("motif", "Doublon d’une autre demande")],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(app.dossier(&id).await.state, guichet_dossiers::State::SansSuite);
}

/// The routes of the back office per role within the service (issue 14's matrix for the roles the main
/// matrix of `instruction.rs` does not hold): (path, [lecteur, évaluateur, expert, instructeur]).
async fn the_service_roles_matrix(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    app.create_user("famille@exemple.fr", PASSWORD, Role::Usager, &[])
        .await;
    let roles = [
        ("lecteur@departement.fr", ServiceRole::Lecteur),
        ("evaluateur@departement.fr", ServiceRole::Evaluateur),
        ("expert@departement.fr", ServiceRole::Expert),
        ("instructeur@departement.fr", ServiceRole::Instructeur),
    ];
    let mut browsers = Vec::new();
    for (email, role) in roles {
        member(&app, email, role).await;
        let b = Browser::new(&app);
        b.login(email, PASSWORD).await;
        browsers.push(b);
    }
    let (id, number) = app.deposit("famille@exemple.fr", "apa", apa_answers()).await;
    let gets: Vec<(String, [u16; 4])> = vec![
        (format!("/instruction/dossiers/{id}"), [200, 200, 404, 200]),
        (
            format!("/instruction/dossiers/{id}/pieces.zip"),
            [200, 200, 404, 200],
        ),
        ("/instruction/export.csv".into(), [200, 200, 200, 200]),
        ("/instruction/exports".into(), [200, 200, 200, 200]),
        ("/avis".into(), [200, 200, 200, 200]),
        ("/admin".into(), [403, 403, 403, 403]),
        ("/admin/identite/apercu.pdf".into(), [403, 403, 403, 403]),
    ];
    for (path, expected) in &gets {
        for (i, b) in browsers.iter().enumerate() {
            let r = b.get(path).await;
            assert_eq!(r.status().as_u16(), expected[i], "GET {path} as {}", roles[i].0);
        }
    }
    // The expert's export holds no dossier of the service; the others' hold it.
    for (i, b) in browsers.iter().enumerate() {
        let csv = b.get("/instruction/export.csv").await.text().await.unwrap();
        assert_eq!(csv.contains(&number), i != 2, "export as {}", roles[i].0);
    }
    // Asking an opinion is acting: the reader is refused, the evaluator may; the expert finds nothing.
    let page = format!("/instruction/dossiers/{id}");
    for (i, expected) in [(0, 403), (1, 422), (2, 404), (3, 422)] {
        let r = browsers[i]
            .post_form("/avis", &format!("{page}/avis"), &[("question", "")])
            .await;
        assert_eq!(r.status().as_u16(), expected, "ask an opinion as {}", roles[i].0);
        if i == 2 {
            assert!(!r.text().await.unwrap().contains(&number));
        }
    }
}

on_both_backends!(each_role_does_what_it_may, the_service_roles_matrix);
