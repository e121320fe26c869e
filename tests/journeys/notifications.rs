//! An agent's notification emails: news of their dossiers gathered into one email per quarter of an
//! hour, or one digest a day with the deadlines 15 and 7 days ahead; each news sent once.

use guichet_test_support::{Backend, Browser, TestApp, fixture, on_both_backends};
use guichet_types::Role;
use reqwest::StatusCode;
use serde_json::Value;

const PASSWORD: &str = "une phrase de passe solide";

fn apa_answers() -> Value {
    fixture("apa")
}

async fn send(app: &TestApp, now: chrono::NaiveDateTime) -> usize {
    let links = app.state.links();
    let n = app
        .pool
        .run(move |c| guichet_usecases::notifications::send_due(c, &links, now))
        .await
        .unwrap();
    app.state.delivery.wake();
    n
}

async fn usager_writes(app: &TestApp, id: &str, text: &str) {
    let (id, text) = (id.to_owned(), text.to_owned());
    let owner = app.dossier(&id).await.owner_id;
    app.pool
        .run(move |c| guichet_dossiers::instruction::post_message(c, &id, &owner, false, &text, &[], None))
        .await
        .unwrap();
}

async fn an_agent_gets_news_once_and_a_daily_digest(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    app.create_user("famille@exemple.fr", PASSWORD, Role::Usager, &[])
        .await;
    app.create_user("agent@departement.fr", PASSWORD, Role::Instructeur, &["apa"])
        .await;
    let (id, number) = app.deposit("famille@exemple.fr", "apa", apa_answers()).await;
    let agent = Browser::new(&app);
    agent.login("agent@departement.fr", PASSWORD).await;
    let page = format!("/instruction/dossiers/{id}");
    agent
        .post_versioned(&page, &format!("{page}/actions/prendre"), &[])
        .await;

    // The settings page says the defaults; the first run only starts the clock.
    let html = agent.get_html("/instruction/notifications").await;
    assert!(
        html.contains("id=\"notif-message\" name=\"message\" value=\"1\" checked"),
        "{html}"
    );
    assert!(!html.contains("id=\"notif-nouveau\" name=\"nouveau\" value=\"1\" checked"));
    let t0 = guichet_db::now();
    assert_eq!(send(&app, t0).await, 0);

    // A message from the usager: one email with the dossier's number, never its words; then nothing more.
    usager_writes(&app, &id, "Voici la précision demandée sur mon état de santé").await;
    let t1 = guichet_db::now();
    assert_eq!(send(&app, t1).await, 1);
    let mail = app
        .wait_for_email("agent@departement.fr", "Du nouveau sur vos dossiers")
        .await;
    assert!(
        mail.body.contains("Messages reçus de l’usager") && mail.body.contains(&number),
        "{}",
        mail.body
    );
    assert!(!mail.body.contains("état de santé"));
    assert_eq!(send(&app, guichet_db::now()).await, 0, "each news once");

    // The daily digest: nothing before 7 o'clock, then the day's news and the deadline 15 days ahead.
    let r = agent
        .post_form(
            "/instruction/notifications",
            "/instruction/notifications",
            &[("message", "1"), ("echeance", "1"), ("rythme", "resume")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(
        agent
            .get_html("/instruction/notifications?enregistre=1")
            .await
            .contains("Vos choix sont enregistrés")
    );
    let tomorrow = (t1 + chrono::Duration::days(1)).date();
    let due = (tomorrow + chrono::Duration::days(15))
        .and_hms_opt(12, 0, 0)
        .unwrap();
    let did = id.clone();
    app.pool
        .run(move |c| {
            use diesel::prelude::*;
            use guichet_db::schema::dossiers;
            diesel::update(dossiers::table.find(&did))
                .set(dossiers::due_at.eq(Some(due)))
                .execute(c)
                .map_err(guichet_db::DbError::from)
        })
        .await
        .unwrap();
    usager_writes(&app, &id, "Un autre message").await;
    assert_eq!(
        send(&app, tomorrow.and_hms_opt(6, 0, 0).unwrap()).await,
        0,
        "the digest waits for 7 o'clock"
    );
    assert_eq!(send(&app, tomorrow.and_hms_opt(7, 5, 0).unwrap()).await, 1);
    let mail = app
        .wait_for_email("agent@departement.fr", "Votre résumé du jour")
        .await;
    assert!(
        mail.body.contains("Échéance dans 15 jours") && mail.body.contains("Messages reçus"),
        "{}",
        mail.body
    );
    assert_eq!(
        send(&app, tomorrow.and_hms_opt(7, 20, 0).unwrap()).await,
        0,
        "one digest a day"
    );
    // Nothing asked for, nothing sent; a usager has no such page.
    let usager = Browser::new(&app);
    usager.login("famille@exemple.fr", PASSWORD).await;
    assert_eq!(
        usager.get("/instruction/notifications").await.status(),
        StatusCode::FORBIDDEN
    );
}

on_both_backends!(an_agent_gets_news_once_and_a_daily_digest);
