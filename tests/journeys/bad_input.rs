//! Bad input gets a French message on the page, the other values kept, a 4xx status, never a 500.

use guichet_test_support::{Backend, TestApp, on_both_backends};
use reqwest::StatusCode;

async fn signup_errors_are_french_and_keep_the_other_answers(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    // Malformed email, short password: both reported, the name kept.
    let r = app
        .post_form(
            "/inscription",
            "/inscription",
            &[
                ("nom", "Jean-Pierre Lefèvre"),
                ("email", "jp@@exemple"),
                ("mot_de_passe", "court"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(html.contains("<title>Erreur : Créer un compte"));
    assert!(html.contains("Il y a un problème"));
    assert!(html.contains("href=\"#email\">Saisissez une adresse électronique valide"));
    assert!(html.contains("href=\"#mot_de_passe\">Le mot de passe doit contenir au moins 12 caractères"));
    assert!(html.contains("value=\"Jean-Pierre Lefèvre\""));
    assert!(
        html.contains("value=\"jp@@exemple\""),
        "the wrong email is shown back for correction"
    );
    assert!(
        html.contains("aria-describedby=\"email-aide email-erreur\"")
            && html.contains("aria-invalid=\"true\"")
    );

    // Missing fields entirely.
    let r = app.post_form("/inscription", "/inscription", &[]).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    for msg in [
        "Saisissez vos prénom et nom",
        "Saisissez votre adresse électronique",
        "Saisissez un mot de passe",
    ] {
        assert!(html.contains(msg), "missing {msg}");
    }

    // Over-long values.
    let long_name = "N".repeat(500);
    let long_email = format!("{}@exemple.fr", "a".repeat(300));
    let long_password = "p".repeat(200);
    let r = app
        .post_form(
            "/inscription",
            "/inscription",
            &[
                ("nom", &long_name),
                ("email", &long_email),
                ("mot_de_passe", &long_password),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(html.contains("120 caractères au maximum"));
    assert!(html.contains("254 caractères au maximum"));
    assert!(html.contains("128 caractères au maximum"));
    // Nothing was created.
    assert!(app.emails().is_empty());
}

async fn invalid_utf8_is_a_field_error_not_a_crash(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let r = app
        .post_raw(
            "/inscription",
            "/inscription",
            b"nom=%FF%FEabc&email=marie%40exemple.fr&mot_de_passe=une+phrase+de+passe+solide",
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(html.contains("caractères non reconnus"));
    assert!(html.contains("value=\"marie@exemple.fr\""));

    // Raw non-UTF-8 bytes (not even percent-encoded) on the login form.
    let r = app
        .post_raw(
            "/connexion",
            "/connexion",
            b"email=\xff\xfe@x.fr&mot_de_passe=abc",
        )
        .await;
    assert!(r.status().is_client_error(), "{}", r.status());
    assert!(r.text().await.unwrap().contains("caractères non reconnus"));
}

async fn an_oversized_body_is_refused_cleanly(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let huge = format!("nom={}", "x".repeat(600 * 1024));
    let r = app
        .post_raw("/inscription", "/inscription", huge.as_bytes())
        .await;
    assert!(r.status().is_client_error(), "{}", r.status());
}

on_both_backends!(
    signup_errors_are_french_and_keep_the_other_answers,
    invalid_utf8_is_a_field_error_not_a_crash,
    an_oversized_body_is_refused_cleanly,
);
