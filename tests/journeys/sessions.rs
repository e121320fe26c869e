//! Sessions and CSRF tokens (security review L4, L5): a token valid only for its login, rotated at login
//! and logout, `__Host-` cookies over https, browser-session cookies and an inactivity timeout.

use guichet_accounts::session::{SessionClaims, SessionKeys};
use guichet_test_support::{Backend, TEST_SECRET, TestApp, csrf_token, on_both_backends};
use guichet_types::Role;
use reqwest::StatusCode;

const PASSWORD: &str = "une phrase de passe solide";

/// The value a response sets for a cookie, and the whole `Set-Cookie` line.
fn set_cookie(r: &reqwest::Response, name: &str) -> Option<(String, String)> {
    r.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with(&format!("{name}=")))
        .map(|c| {
            let value = c[name.len() + 1..].split(';').next().unwrap_or("").to_owned();
            (value, c.to_owned())
        })
}

/// A browser without a cookie jar: every cookie is sent by hand.
fn bare() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// A fresh visitor: (seed cookie, form token).
async fn visitor(app: &TestApp, cookie: &str) -> (String, String) {
    let r = bare().get(app.url("/connexion")).send().await.unwrap();
    let (seed, _) = set_cookie(&r, cookie).unwrap();
    let token = csrf_token(&r.text().await.unwrap()).unwrap();
    (seed, token)
}

async fn login(app: &TestApp, seed: &str, token: &str, prefix: &str) -> reqwest::Response {
    bare()
        .post(app.url("/connexion"))
        .header("cookie", format!("{prefix}guichet_csrf={seed}"))
        .form(&[
            ("csrf_token", token),
            ("email", "a@exemple.fr"),
            ("mot_de_passe", PASSWORD),
        ])
        .send()
        .await
        .unwrap()
}

/// Posts the logout form with these cookies and this token.
async fn logout(app: &TestApp, cookies: &str, token: &str) -> reqwest::Response {
    bare()
        .post(app.url("/deconnexion"))
        .header("cookie", cookies)
        .form(&[("csrf_token", token)])
        .send()
        .await
        .unwrap()
}

async fn the_csrf_token_belongs_to_one_login_and_is_rotated(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    app.create_user("a@exemple.fr", PASSWORD, Role::Usager, &[]).await;
    let (seed0, token0) = visitor(&app, "guichet_csrf").await;
    let r = login(&app, &seed0, &token0, "").await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (session, _) = set_cookie(&r, "guichet_session").unwrap();
    let (seed1, _) = set_cookie(&r, "guichet_csrf").expect("a new seed at login");
    assert_ne!(seed1, seed0);
    let cookies = format!("guichet_session={session}; guichet_csrf={seed1}");
    let page = bare()
        .get(app.url("/compte"))
        .header("cookie", &cookies)
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let token1 = csrf_token(&page.text().await.unwrap()).unwrap();
    assert_ne!(token1, token0, "the login's forms carry a token of their own");

    // Another visitor's cookie-and-token pair, planted in A's browser, does not work for A's session.
    let (planted_seed, planted_token) = visitor(&app, "guichet_csrf").await;
    let r = logout(
        &app,
        &format!("guichet_session={session}; guichet_csrf={planted_seed}"),
        planted_token.as_str(),
    )
    .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    // Nor does the pre-login token after login.
    let r = logout(
        &app,
        &format!("guichet_session={session}; guichet_csrf={seed0}"),
        token0.as_str(),
    )
    .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    // A's own token does; logging out gives yet another seed.
    let r = logout(&app, &cookies, token1.as_str()).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (seed2, _) = set_cookie(&r, "guichet_csrf").expect("a new seed at logout");
    assert!(seed2 != seed1 && seed2 != seed0);
}

async fn cookies_are_host_prefixed_over_https(backend: Backend) {
    let Some(app) = TestApp::spawn_with(backend, |c| {
        c.public_url = Some("https://guichet.example.fr".into());
    })
    .await
    else {
        return;
    };
    app.create_user("a@exemple.fr", PASSWORD, Role::Usager, &[]).await;
    let (seed, token) = visitor(&app, "__Host-guichet_csrf").await;
    let r = login(&app, &seed, &token, "__Host-").await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    for name in ["__Host-guichet_session", "__Host-guichet_csrf"] {
        let (_, line) = set_cookie(&r, name).unwrap_or_else(|| panic!("{name} not set: {r:?}"));
        assert!(
            line.contains("Secure") && line.contains("Path=/") && !line.contains("Domain"),
            "{line}"
        );
    }
    assert!(set_cookie(&r, "guichet_session").is_none());
}

async fn a_login_ends_with_the_browser_and_after_thirty_idle_minutes(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    app.create_user("a@exemple.fr", PASSWORD, Role::Usager, &[]).await;
    let (seed, token) = visitor(&app, "guichet_csrf").await;
    let r = login(&app, &seed, &token, "").await;
    let (_, line) = set_cookie(&r, "guichet_session").unwrap();
    assert!(!line.contains("Max-Age") && !line.contains("Expires"), "{line}");

    let user = app
        .pool
        .run(|c| {
            let e = guichet_types::Email::parse("a@exemple.fr").unwrap();
            guichet_accounts::users::find_by_email(c, &e).map(|u| u.unwrap())
        })
        .await
        .unwrap();
    let keys = SessionKeys::new(
        &TEST_SECRET.to_owned().into(),
        chrono::Duration::hours(8),
        chrono::Duration::minutes(30),
    );
    let now = chrono::Utc::now().timestamp();
    let token_at = |idle_minutes: i64| {
        keys.sign(&SessionClaims {
            sub: user.id.clone(),
            ver: user.session_version,
            iat: now - idle_minutes * 60,
            exp: now + 3600,
            sid: "login".into(),
        })
        .unwrap()
    };
    let url = app.url("/compte");
    let get = |t: String| {
        let url = url.clone();
        async move {
            bare()
                .get(url)
                .header("cookie", format!("guichet_session={t}"))
                .send()
                .await
                .unwrap()
        }
    };
    let r = get(token_at(31)).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "31 idle minutes: logged out");
    let r = get(token_at(10)).await;
    assert_eq!(r.status(), StatusCode::OK, "10 idle minutes: still logged in");
    let (fresh, _) = set_cookie(&r, "guichet_session").expect("activity re-issues the token");
    let claims = keys.verify(&fresh).unwrap();
    assert!(claims.iat >= now && claims.sid == "login" && claims.exp == now + 3600);
}

on_both_backends!(
    the_csrf_token_belongs_to_one_login_and_is_rotated,
    cookies_are_host_prefixed_over_https,
    a_login_ends_with_the_browser_and_after_thirty_idle_minutes,
);
