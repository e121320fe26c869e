//! The web shell: layout, security headers, static assets, health, error pages.

use guichet_test_support::{Backend, TestApp, on_both_backends};
use reqwest::StatusCode;

async fn pages_carry_security_headers_and_the_accessible_layout(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    for path in [
        "/",
        "/connexion",
        "/inscription",
        "/mentions-legales",
        "/accessibilite",
        "/mot-de-passe-oublie",
    ] {
        let r = app.get(path).await;
        assert_eq!(r.status(), StatusCode::OK, "{path}");
        let h = r.headers().clone();
        let csp = h
            .get("content-security-policy")
            .unwrap()
            .to_str()
            .unwrap()
            .to_owned();
        assert!(
            csp.contains("script-src 'self'")
                && !csp.contains("unsafe-inline")
                && csp.contains("frame-ancestors 'none'"),
            "{csp}"
        );
        assert_eq!(h.get("x-content-type-options").unwrap(), "nosniff");
        assert_eq!(h.get("referrer-policy").unwrap(), "same-origin");
        let html = r.text().await.unwrap();
        assert!(html.contains("<html lang=\"fr\">"), "{path}");
        assert!(
            html.contains("href=\"#contenu\">Aller au contenu</a>"),
            "{path}: skip link"
        );
        assert!(html.contains("<main id=\"contenu\""), "{path}");
        assert!(!html.contains("<script"), "{path}: no script needed, none inline");
        assert!(!html.contains(" style=\""), "{path}: no inline style (CSP)");
    }
    let home = app.get_html("/").await;
    for p in [
        "Allocation personnalisée d’autonomie",
        "MDPH",
        "Prestation de compensation du handicap",
        "Améthyste",
        "Estimer l’APA",
    ] {
        assert!(home.contains(p), "home lists {p}");
    }
}

async fn css_is_cached_and_errors_are_french(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let home = app.get_html("/").await;
    let start = home.find("/static/guichet.css?v=").unwrap();
    let href = &home[start..start + home[start..].find('"').unwrap()];
    let r = app.get(href).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(
        r.headers()
            .get("cache-control")
            .unwrap()
            .to_str()
            .unwrap()
            .contains("max-age=31536000")
    );
    assert!(
        r.headers()
            .get("content-type")
            .unwrap()
            .to_str()
            .unwrap()
            .starts_with("text/css")
    );

    let r = app.get("/cette-page-n-existe-pas").await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let html = r.text().await.unwrap();
    assert!(html.contains("Page non trouvée") && html.contains("lang=\"fr\""));

    let r = app.get("/healthz").await;
    assert_eq!(r.status(), StatusCode::OK);
    let v: serde_json::Value = r.json().await.unwrap();
    assert_eq!(v["database"], "ok");
}

async fn the_login_page_redirects_back_only_locally(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    app.create_user(
        "local@exemple.fr",
        "une phrase de passe solide",
        guichet_types::Role::Usager,
        &[],
    )
    .await;
    let r = app
        .post_form(
            "/connexion?suite=/compte/mot-de-passe",
            "/connexion",
            &[
                ("email", "local@exemple.fr"),
                ("mot_de_passe", "une phrase de passe solide"),
                ("suite", "https://evil.example/"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    // A foreign `suite` is ignored: the usager lands on « Mes dossiers ».
    assert_eq!(r.headers().get("location").unwrap(), "/mes-dossiers");
}

/// Errors the framework answers by itself come as the French page (security review I2), and `HEAD` is
/// answered wherever `GET` is (I5).
async fn framework_errors_are_french_and_head_is_answered(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    app.create_user(
        "agent@departement.fr",
        "une phrase de passe solide",
        guichet_types::Role::Instructeur,
        &["apa"],
    )
    .await;
    let anon = [
        "/compte/confirmer?jeton=a&jeton=b",
        "/mot-de-passe/nouveau?jeton=a&jeton=b",
    ];
    for path in anon {
        let r = app.get(path).await;
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{path}");
        let html = r.text().await.unwrap();
        assert!(
            html.contains("lang=\"fr\"")
                && html.contains("Demande incorrecte")
                && !html.contains("deserialize"),
            "{path}: {html}"
        );
    }
    // A wrong method on a real route.
    let r = app.client.put(app.url("/connexion")).send().await.unwrap();
    // Routes are resources per method: another method falls through to the French "not found" page.
    assert!(matches!(
        r.status(),
        StatusCode::NOT_FOUND | StatusCode::METHOD_NOT_ALLOWED
    ));
    assert!(r.text().await.unwrap().contains("lang=\"fr\""));
    let r = app
        .login("agent@departement.fr", "une phrase de passe solide")
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    // The queue reads repeated keys itself (several values per filter); a page whose query serde
    // decodes still refuses a repeated key in French.
    let r = app
        .get("/instruction?onglet=a&onglet=b&procedure=apa&procedure=apa")
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let r = app.get("/connexion?suite=/a&suite=/b").await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(r.text().await.unwrap().contains("Demande incorrecte"));
    // The JSON API keeps answering JSON.
    let r = app
        .client
        .post(app.url("/api/v1/simulations/apa"))
        .header("content-type", "application/json")
        .body("{pas du json")
        .send()
        .await
        .unwrap();
    assert!(r.status().is_client_error());
    assert!(!r.text().await.unwrap().contains("<html"));

    let visitor = guichet_test_support::Browser::new(&app);
    for path in ["/", "/healthz", "/connexion", "/mentions-legales"] {
        let r = visitor.client.head(app.url(path)).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK, "HEAD {path}");
        assert!(r.text().await.unwrap().is_empty(), "HEAD {path} has no body");
    }
}

on_both_backends!(
    framework_errors_are_french_and_head_is_answered,
    pages_carry_security_headers_and_the_accessible_layout,
    css_is_cached_and_errors_are_french,
    the_login_page_redirects_back_only_locally,
);
