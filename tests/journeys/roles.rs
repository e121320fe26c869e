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

on_both_backends!(each_role_does_what_it_may);
