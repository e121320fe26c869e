//! Emails through a real SMTP server on loopback.

use guichet_db::outbox;
use guichet_test_support::{Backend, SmtpServer, TestApp, find_link, free_port, on_both_backends};
use reqwest::StatusCode;
use secrecy::SecretString;

const PASSWORD: &str = "une phrase de passe solide";

async fn sign_up_emails_reach_the_smtp_server(backend: Backend) {
    let Some(smtp) = SmtpServer::start(0) else { return };
    let Some(app) = TestApp::spawn_with(backend, |c| c.smtp_url = Some(SecretString::from(smtp.url()))).await
    else {
        return;
    };
    let r = app
        .post_form(
            "/inscription",
            "/inscription",
            &[
                ("nom", "Élodie Fabre"),
                ("email", "elodie@exemple.fr"),
                ("mot_de_passe", PASSWORD),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let mail = smtp
        .wait_for("elodie@exemple.fr", "Confirmez votre adresse électronique")
        .await;
    assert!(mail.body.contains("Bonjour Élodie Fabre"));
    let link = find_link(&mail.body, &app.url("/compte/confirmer?jeton=")).expect("link in the email");
    // Confirming logs in and redirects (to « Mes dossiers » without a `suite`).
    assert_eq!(
        app.client.get(&link).send().await.unwrap().status(),
        StatusCode::SEE_OTHER
    );
    assert!(app.emails().is_empty(), "no .eml files when SMTP is configured");
}

async fn an_smtp_outage_delays_emails_but_loses_none(backend: Backend) {
    let port = free_port();
    let url = format!("smtp://127.0.0.1:{port}");
    let Some(app) = TestApp::spawn_with(backend, |c| c.smtp_url = Some(SecretString::from(url))).await else {
        return;
    };
    let r = app
        .post_form(
            "/mot-de-passe-oublie",
            "/mot-de-passe-oublie",
            &[("email", "absent@exemple.fr")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    app.create_user("panne@exemple.fr", PASSWORD, guichet_types::Role::Usager, &[])
        .await;
    app.post_form(
        "/mot-de-passe-oublie",
        "/mot-de-passe-oublie",
        &[("email", "panne@exemple.fr")],
    )
    .await;

    // The server is down: the attempt fails and the email waits, with its error recorded.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let pending = app.pool.run(outbox::pending).await.unwrap();
        if pending.iter().any(|e| e.attempts >= 1) {
            assert_eq!(pending.len(), 1);
            assert!(pending[0].last_error.is_some());
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "delivery was never attempted"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }

    // The server comes back; the operator asks for a retry (otherwise the backoff would, later).
    let Some(smtp) = SmtpServer::start(port) else {
        return;
    };
    app.pool.run(outbox::retry_now).await.unwrap();
    app.state.delivery.wake();
    let mail = smtp.wait_for("panne@exemple.fr", "nouveau mot de passe").await;
    assert!(mail.body.contains("/mot-de-passe/nouveau?jeton="));
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while app.pool.run(outbox::pending_count).await.unwrap() > 0 {
        assert!(
            std::time::Instant::now() < deadline,
            "the sent email stayed pending"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

on_both_backends!(
    sign_up_emails_reach_the_smtp_server,
    an_smtp_outage_delays_emails_but_loses_none
);
