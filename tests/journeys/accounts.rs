use guichet_accounts::throttle::{EMAILS_PER_ADDRESS_PER_HOUR, PER_IP, PER_PAIR};
use guichet_test_support::{Backend, Browser, TEST_SECRET, TestApp, find_link, on_both_backends};
use guichet_types::Role;
use reqwest::StatusCode;

const PASSWORD: &str = "une phrase de passe solide";

fn location(r: &reqwest::Response) -> String {
    r.headers()
        .get("location")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default()
}

async fn is_logged_in(app: &TestApp) -> bool {
    let r = app.get("/compte").await;
    r.status() == StatusCode::OK
}

async fn sign_up_verify_login_logout(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    // Before verification, login is refused and a new link is sent.
    let r = app
        .post_form(
            "/inscription",
            "/inscription",
            &[
                ("nom", "Hélène Dupré"),
                ("email", "Helene@Exemple.fr"),
                ("mot_de_passe", PASSWORD),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&r), "/inscription/message-envoye");
    let first = app.wait_for_email("helene@exemple.fr", "Confirmez").await;
    let r = app.login("helene@exemple.fr", PASSWORD).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(r.text().await.unwrap().contains("confirmer votre adresse"));
    assert!(!is_logged_in(&app).await);

    let link = find_link(&first.body, &app.url("/compte/confirmer?jeton=")).unwrap();
    // Confirming logs in and, without a `suite`, lands a usager on « Mes dossiers ».
    let r = app.client.get(&link).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&r), "/mes-dossiers");
    assert!(is_logged_in(&app).await, "confirming the address logs in");
    let r = app.post_form("/compte", "/deconnexion", &[]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    // The link is single-use.
    assert_eq!(
        app.client.get(&link).send().await.unwrap().status(),
        StatusCode::BAD_REQUEST
    );

    let r = app.login("helene@exemple.fr", PASSWORD).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        location(&r),
        "/mes-dossiers",
        "a usager lands on « Mes dossiers »"
    );
    let cookie = r
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .find(|c| c.starts_with("guichet_session="))
        .expect("session cookie");
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    assert!(!cookie.contains("Secure"), "plain http in tests: no Secure flag");
    let page = app.get_html("/compte").await;
    assert!(page.contains("helene@exemple.fr") && page.contains("Se déconnecter"));

    let r = app.post_form("/compte", "/deconnexion", &[]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(!is_logged_in(&app).await);
    assert_eq!(location(&app.get("/compte").await), "/connexion?suite=%2Fcompte");
}

async fn logout_revokes_the_token_itself(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    app.create_user("agent@exemple.fr", PASSWORD, Role::Usager, &[])
        .await;
    let r = app.login("agent@exemple.fr", PASSWORD).await;
    let token = r
        .cookies()
        .find(|c| c.name() == "guichet_session")
        .unwrap()
        .value()
        .to_owned();
    app.post_form("/compte", "/deconnexion", &[]).await;
    // Replaying the old token (e.g. stolen before logout) no longer works.
    let r = app
        .client
        .get(app.url("/compte"))
        .header("cookie", format!("guichet_session={token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
}

async fn wrong_password_and_unknown_account_look_the_same(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    app.create_user("connu@exemple.fr", PASSWORD, Role::Usager, &[])
        .await;
    let wrong = app.login("connu@exemple.fr", "pas le bon mot de passe").await;
    let (s1, b1) = (wrong.status(), wrong.text().await.unwrap());
    let unknown = app.login("inconnu@exemple.fr", "pas le bon mot de passe").await;
    let (s2, b2) = (unknown.status(), unknown.text().await.unwrap());
    assert_eq!(s1, StatusCode::UNAUTHORIZED);
    assert_eq!(s1, s2);
    let msg = "Adresse électronique ou mot de passe incorrect";
    assert!(b1.contains(msg) && b2.contains(msg));
    assert!(b1.contains("<title>Erreur : Se connecter"));
    // The typed address is kept, the password is not.
    assert!(b1.contains("value=\"connu@exemple.fr\""));
    assert!(!b1.contains("pas le bon mot de passe"));

    // Sign-up with a taken address answers as for a new one, and tells the owner by email.
    let r = app
        .post_form(
            "/inscription",
            "/inscription",
            &[
                ("nom", "Intrus"),
                ("email", "connu@exemple.fr"),
                ("mot_de_passe", PASSWORD),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&r), "/inscription/message-envoye");
    app.wait_for_email("connu@exemple.fr", "Vous avez déjà un compte")
        .await;

    // A reset request answers the same for known and unknown addresses.
    let a = app
        .post_form(
            "/mot-de-passe-oublie",
            "/mot-de-passe-oublie",
            &[("email", "connu@exemple.fr")],
        )
        .await;
    let b = app
        .post_form(
            "/mot-de-passe-oublie",
            "/mot-de-passe-oublie",
            &[("email", "inconnu@exemple.fr")],
        )
        .await;
    assert_eq!((a.status(), location(&a)), (b.status(), location(&b)));
}

async fn repeated_failures_are_throttled(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    app.create_user("cible@exemple.fr", PASSWORD, Role::Usager, &[])
        .await;
    for _ in 0..PER_PAIR.free {
        assert_eq!(
            app.login("cible@exemple.fr", "mauvais mot de passe")
                .await
                .status(),
            StatusCode::UNAUTHORIZED
        );
    }
    // From the same place, even the right password waits, and the page says how long.
    let r = app.login("cible@exemple.fr", PASSWORD).await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(r.headers().get("retry-after").unwrap(), "30");
    let page = r.text().await.unwrap();
    assert!(
        page.contains("Trop de tentatives de connexion. Réessayez dans 30 secondes."),
        "{page}"
    );
    // Another account from the same IP is not slowed down.
    app.create_user("autre@exemple.fr", PASSWORD, Role::Usager, &[])
        .await;
    assert_eq!(
        app.login("autre@exemple.fr", PASSWORD).await.status(),
        StatusCode::SEE_OTHER
    );
}

/// A browser whose connections come from another loopback address (the server sees it as the peer).
fn browser_from(app: &TestApp, last_octet: u8) -> Browser<'_> {
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .local_address(std::net::IpAddr::from([127, 0, 0, last_octet]))
        .build()
        .unwrap();
    Browser { app, client }
}

async fn try_login(b: &Browser<'_>, email: &str, password: &str) -> reqwest::Response {
    b.post_form(
        "/connexion",
        "/connexion",
        &[("email", email), ("mot_de_passe", password)],
    )
    .await
}

/// Moves every rate counter's last hit `secs` into the past, as if the person had waited.
async fn wait_as_if(app: &TestApp, secs: i64) {
    app.pool
        .run(move |c| {
            use diesel::prelude::*;
            use guichet_db::schema::rate_counters as rc;
            let rows: Vec<(String, chrono::NaiveDateTime)> =
                rc::table.select((rc::bucket, rc::last_hit_at)).load(c)?;
            for (bucket, last) in rows {
                diesel::update(rc::table.find(bucket))
                    .set(rc::last_hit_at.eq(last - chrono::Duration::seconds(secs)))
                    .execute(c)?;
            }
            Ok::<_, guichet_db::DbError>(())
        })
        .await
        .unwrap();
}

/// Security review 2026-12, L9: 5 failures from anywhere locked any account for 15 minutes.
async fn failures_from_one_place_slow_down_that_place_only(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    app.create_user("victime@exemple.fr", PASSWORD, Role::Usager, &[])
        .await;
    let attacker = browser_from(&app, 2);
    for _ in 0..PER_PAIR.free {
        let r = try_login(&attacker, "victime@exemple.fr", "devine devine devine").await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    }
    assert_eq!(
        try_login(&attacker, "victime@exemple.fr", "devine devine devine")
            .await
            .status(),
        StatusCode::TOO_MANY_REQUESTS
    );
    // The owner, elsewhere, logs in at once.
    let owner = browser_from(&app, 3);
    assert_eq!(
        try_login(&owner, "victime@exemple.fr", PASSWORD).await.status(),
        StatusCode::SEE_OTHER
    );
    // The attacker's waits grow: 30 s, then 1 minute, then 2 minutes.
    wait_as_if(&app, 31).await;
    assert_eq!(
        try_login(&attacker, "victime@exemple.fr", "devine encore une fois")
            .await
            .status(),
        StatusCode::UNAUTHORIZED
    );
    let r = try_login(&attacker, "victime@exemple.fr", "devine encore une fois").await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(r.text().await.unwrap().contains("Réessayez dans 1 minute."));
    wait_as_if(&app, 61).await;
    assert_eq!(
        try_login(&attacker, "victime@exemple.fr", "devine encore une fois")
            .await
            .status(),
        StatusCode::UNAUTHORIZED
    );
    let r = try_login(&attacker, "victime@exemple.fr", "devine encore une fois").await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(r.text().await.unwrap().contains("Réessayez dans 2 minutes."));
    // An unknown address is slowed down exactly the same way (no enumeration).
    for _ in 0..PER_PAIR.free {
        let r = try_login(&attacker, "personne@exemple.fr", "devine devine devine").await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    }
    let r = try_login(&attacker, "personne@exemple.fr", "devine devine devine").await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(r.text().await.unwrap().contains("Réessayez dans 30 secondes."));
}

/// Security review 2026-12, L9: 30 failures from one IP locked everyone behind it (a France Services
/// desk). Now the IP is only slowed down, and only past a much higher ceiling.
async fn a_shared_ip_is_slowed_only_past_a_high_ceiling(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    app.create_user("honnete@exemple.fr", PASSWORD, Role::Usager, &[])
        .await;
    app.create_user("voisine@exemple.fr", PASSWORD, Role::Usager, &[])
        .await;
    // A new browser for each person at the desk: they share the IP, not the cookies.
    let desk = || browser_from(&app, 4);
    for i in 0..30 {
        let r = try_login(&desk(), &format!("essai{i}@exemple.fr"), "mauvais mot de passe").await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    }
    assert_eq!(
        try_login(&desk(), "honnete@exemple.fr", PASSWORD).await.status(),
        StatusCode::SEE_OTHER
    );
    for i in 30..PER_IP.free {
        let r = try_login(&desk(), &format!("essai{i}@exemple.fr"), "mauvais mot de passe").await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "failure {i}");
    }
    // Past the ceiling, the desk waits 30 seconds; other places do not.
    let r = try_login(&desk(), "voisine@exemple.fr", PASSWORD).await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(r.text().await.unwrap().contains("Réessayez dans 30 secondes."));
    assert_eq!(
        try_login(&browser_from(&app, 5), "voisine@exemple.fr", PASSWORD)
            .await
            .status(),
        StatusCode::SEE_OTHER
    );
    wait_as_if(&app, 31).await;
    assert_eq!(
        try_login(&desk(), "voisine@exemple.fr", PASSWORD).await.status(),
        StatusCode::SEE_OTHER
    );
}

/// Security review 2026-12, L1: 40 parallel wrong passwords got 7–8 checked against a limit of 5.
async fn parallel_wrong_passwords_get_no_more_checks_than_the_limit(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    app.create_user("course@exemple.fr", PASSWORD, Role::Usager, &[])
        .await;
    let html = app.get_html("/connexion").await;
    let token = guichet_test_support::csrf_token(&html).unwrap();
    let attempts = (0..40).map(|i| {
        let (client, url, token) = (app.client.clone(), app.url("/connexion"), token.clone());
        tokio::spawn(async move {
            client
                .post(url)
                .form(&[
                    ("csrf_token", token.as_str()),
                    ("email", "course@exemple.fr"),
                    ("mot_de_passe", &format!("mauvais mot de passe {i}")),
                ])
                .send()
                .await
                .unwrap()
                .status()
        })
    });
    let mut checked = 0;
    let mut refused = 0;
    for a in attempts.collect::<Vec<_>>() {
        match a.await.unwrap() {
            StatusCode::UNAUTHORIZED => checked += 1,
            StatusCode::TOO_MANY_REQUESTS => refused += 1,
            other => panic!("unexpected {other}"),
        }
    }
    assert_eq!((checked, refused), (PER_PAIR.free, 40 - PER_PAIR.free));
}

async fn posts_without_a_valid_csrf_token_are_refused(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    app.create_user("agent@exemple.fr", PASSWORD, Role::Usager, &[])
        .await;
    app.get("/connexion").await; // the browser has a CSRF cookie
    let no_token = app
        .client
        .post(app.url("/connexion"))
        .form(&[("email", "agent@exemple.fr"), ("mot_de_passe", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(no_token.status(), StatusCode::FORBIDDEN);
    assert!(no_token.text().await.unwrap().contains("Formulaire expiré"));
    let forged = app
        .client
        .post(app.url("/connexion"))
        .form(&[
            ("csrf_token", "A".repeat(43).as_str()),
            ("email", "agent@exemple.fr"),
            ("mot_de_passe", PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    // A client with no cookie at all (a cross-site form) is refused too.
    let fresh = reqwest::Client::new();
    let r = fresh
        .post(app.url("/deconnexion"))
        .form(&[("csrf_token", "x")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(!is_logged_in(&app).await);
}

async fn expired_or_tampered_tokens_log_out(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    app.create_user("agent@exemple.fr", PASSWORD, Role::Usager, &[])
        .await;
    let r = app.login("agent@exemple.fr", PASSWORD).await;
    let good = r
        .cookies()
        .find(|c| c.name() == "guichet_session")
        .unwrap()
        .value()
        .to_owned();
    let plain = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let with = |t: String| {
        plain
            .get(app.url("/compte"))
            .header("cookie", format!("guichet_session={t}"))
            .send()
    };
    assert_eq!(with(good.clone()).await.unwrap().status(), StatusCode::OK);

    let mut tampered = good.clone();
    let last = tampered.pop().unwrap();
    tampered.push(if last == 'A' { 'B' } else { 'A' });
    assert_eq!(with(tampered).await.unwrap().status(), StatusCode::SEE_OTHER);

    // Same user and version, signed with the real secret, but expired.
    let user_id = app
        .pool
        .run(|c| {
            guichet_accounts::users::find_by_email(
                c,
                &guichet_types::Email::parse("agent@exemple.fr").unwrap(),
            )
        })
        .await
        .unwrap()
        .unwrap();
    let keys = guichet_accounts::session::SessionKeys::new(
        &TEST_SECRET.to_owned().into(),
        chrono::Duration::hours(1),
        chrono::Duration::minutes(30),
    );
    let now = chrono::Utc::now().timestamp();
    let expired = keys
        .sign(&guichet_accounts::session::SessionClaims {
            sub: user_id.id,
            ver: user_id.session_version,
            iat: now - 7200,
            exp: now - 10,
            sid: String::new(),
        })
        .unwrap();
    assert_eq!(with(expired).await.unwrap().status(), StatusCode::SEE_OTHER);
}

async fn a_reset_token_works_once_and_revokes_sessions(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    app.create_user("oubli@exemple.fr", PASSWORD, Role::Usager, &[])
        .await;
    let other_device = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let html = other_device
        .get(app.url("/connexion"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let token = guichet_test_support::csrf_token(&html).unwrap();
    let r = other_device
        .post(app.url("/connexion"))
        .form(&[
            ("csrf_token", token.as_str()),
            ("email", "oubli@exemple.fr"),
            ("mot_de_passe", PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);

    let r = app
        .post_form(
            "/mot-de-passe-oublie",
            "/mot-de-passe-oublie",
            &[("email", "oubli@exemple.fr")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let mail = app
        .wait_for_email("oubli@exemple.fr", "nouveau mot de passe")
        .await;
    let link = find_link(&mail.body, &app.url("/mot-de-passe/nouveau?jeton=")).unwrap();
    let jeton = link.split("jeton=").nth(1).unwrap().to_owned();
    let path = link.trim_start_matches(&app.address).to_owned();

    let r = app
        .post_form(
            &path,
            "/mot-de-passe/nouveau",
            &[("jeton", &jeton), ("mot_de_passe", "un tout nouveau secret")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    app.wait_for_email("oubli@exemple.fr", "a été changé").await;
    let again = app
        .post_form(
            &path,
            "/mot-de-passe/nouveau",
            &[("jeton", &jeton), ("mot_de_passe", "encore un autre secret")],
        )
        .await;
    assert_eq!(again.status(), StatusCode::BAD_REQUEST);
    assert!(again.text().await.unwrap().contains("plus valide"));

    // The session opened before the reset is gone; the new password works, the old one does not.
    assert_eq!(
        other_device
            .get(app.url("/compte"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        app.login("oubli@exemple.fr", PASSWORD).await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.login("oubli@exemple.fr", "un tout nouveau secret")
            .await
            .status(),
        StatusCode::SEE_OTHER
    );
}

async fn an_expired_reset_token_is_refused(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    app.create_user("lent@exemple.fr", PASSWORD, Role::Usager, &[])
        .await;
    app.post_form(
        "/mot-de-passe-oublie",
        "/mot-de-passe-oublie",
        &[("email", "lent@exemple.fr")],
    )
    .await;
    let mail = app
        .wait_for_email("lent@exemple.fr", "nouveau mot de passe")
        .await;
    let jeton = find_link(&mail.body, &app.url("/mot-de-passe/nouveau?jeton="))
        .unwrap()
        .split("jeton=")
        .nth(1)
        .unwrap()
        .to_owned();
    let j = jeton.clone();
    // One hour and one minute later:
    app.pool
        .run(move |c| {
            guichet_accounts::tokens::set_expiry(c, &j, guichet_db::now() - chrono::Duration::minutes(1))
        })
        .await
        .unwrap();
    let r = app
        .post_form(
            "/mot-de-passe-oublie",
            "/mot-de-passe/nouveau",
            &[("jeton", &jeton), ("mot_de_passe", "un tout nouveau secret")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
}

async fn changing_the_password_keeps_this_device_and_drops_others(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    app.create_user("change@exemple.fr", PASSWORD, Role::Usager, &[])
        .await;
    let r = app.login("change@exemple.fr", PASSWORD).await;
    let old = r
        .cookies()
        .find(|c| c.name() == "guichet_session")
        .unwrap()
        .value()
        .to_owned();
    let r = app
        .post_form(
            "/compte/mot-de-passe",
            "/compte/mot-de-passe",
            &[
                ("actuel", "faux mot de passe"),
                ("mot_de_passe", "nouvelle phrase secrète"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("Le mot de passe actuel est incorrect")
    );
    let r = app
        .post_form(
            "/compte/mot-de-passe",
            "/compte/mot-de-passe",
            &[("actuel", PASSWORD), ("mot_de_passe", "nouvelle phrase secrète")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(is_logged_in(&app).await);
    let plain = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let r = plain
        .get(app.url("/compte"))
        .header("cookie", format!("guichet_session={old}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
}

async fn an_instructor_created_by_the_cli_can_log_in(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let db_url = app.pool_url();
    let run = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_guichet"))
            .args(args)
            .env("GUICHET_DATABASE_URL", &db_url)
            .env("GUICHET_DATA_DIR", app.data_dir.path())
            .env("GUICHET_SESSION_SECRET", TEST_SECRET)
            .output()
            .unwrap()
    };
    let out = run(&[
        "service",
        "add",
        "--code",
        "apa",
        "--name",
        "Allocation personnalisée d’autonomie",
    ]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let out = run(&[
        "user",
        "add",
        "--email",
        "Agent.APA@departement.fr",
        "--role",
        "instructeur",
        "--service",
        "apa",
        "--name",
        "Karim Benali",
    ]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let password = stdout
        .lines()
        .find_map(|l| l.strip_prefix("Mot de passe (affiché une seule fois) : "))
        .expect("generated password printed")
        .to_owned();

    let r = app.login("agent.apa@departement.fr", &password).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let page = app.get_html("/compte").await;
    assert!(
        page.contains("Instructeur") && page.contains("Allocation personnalisée d’autonomie"),
        "{page}"
    );

    // A bad role or an unknown service is a clear error, not a panic.
    let out = run(&["user", "add", "--email", "x@departement.fr", "--role", "chef"]);
    assert!(!out.status.success());
    let out = run(&[
        "user",
        "add",
        "--email",
        "y@departement.fr",
        "--role",
        "instructeur",
        "--service",
        "inconnu",
        "--password",
        "phrase de passe assez longue",
    ]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("Service inconnu"));
}

/// Asks for a reset link and returns the reset page's path and token from the email.
async fn reset_link(app: &TestApp, email: &str) -> (String, String) {
    let before = app
        .emails()
        .iter()
        .filter(|e| e.to == email && e.subject.contains("nouveau mot de passe"))
        .count();
    let r = app
        .post_form(
            "/mot-de-passe-oublie",
            "/mot-de-passe-oublie",
            &[("email", email)],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let mail = loop {
        let mails: Vec<_> = app
            .emails()
            .into_iter()
            .filter(|e| e.to == email && e.subject.contains("nouveau mot de passe"))
            .collect();
        if mails.len() > before {
            break mails.last().unwrap().clone();
        }
        assert!(std::time::Instant::now() < deadline, "no new reset email");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    let link = find_link(&mail.body, &app.url("/mot-de-passe/nouveau?jeton=")).unwrap();
    let jeton = link.split("jeton=").nth(1).unwrap().to_owned();
    (link.trim_start_matches(&app.address).to_owned(), jeton)
}

async fn use_reset_link(app: &TestApp, (path, jeton): &(String, String), new: &str) -> StatusCode {
    app.post_form(
        path,
        "/mot-de-passe/nouveau",
        &[("jeton", jeton), ("mot_de_passe", new)],
    )
    .await
    .status()
}

/// Security review 2026-12, L2: a reset link stayed valid after another link was used and after the
/// password was changed.
async fn a_newer_link_or_a_password_change_revokes_older_reset_links(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    app.create_user("liens@exemple.fr", PASSWORD, Role::Usager, &[])
        .await;
    let t1 = reset_link(&app, "liens@exemple.fr").await;
    let t2 = reset_link(&app, "liens@exemple.fr").await;
    assert_eq!(
        use_reset_link(&app, &t2, "un tout nouveau secret").await,
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        use_reset_link(&app, &t1, "encore un autre secret").await,
        StatusCode::BAD_REQUEST
    );

    let t3 = reset_link(&app, "liens@exemple.fr").await;
    app.login("liens@exemple.fr", "un tout nouveau secret").await;
    let r = app
        .post_form(
            "/compte/mot-de-passe",
            "/compte/mot-de-passe",
            &[
                ("actuel", "un tout nouveau secret"),
                ("mot_de_passe", "nouvelle phrase secrète"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        use_reset_link(&app, &t3, "encore un autre secret").await,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        try_login(&Browser::new(&app), "liens@exemple.fr", "nouvelle phrase secrète")
            .await
            .status(),
        StatusCode::SEE_OTHER
    );
}

/// Waits until the delivery worker has written every queued email.
async fn settled_emails(app: &TestApp) -> Vec<guichet_test_support::ReceivedEmail> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let pending: i64 = app
            .pool
            .run(|c| {
                use diesel::prelude::*;
                use guichet_db::schema::outbox;
                Ok::<_, guichet_db::DbError>(
                    outbox::table
                        .filter(outbox::sent_at.is_null())
                        .count()
                        .get_result(c)?,
                )
            })
            .await
            .unwrap();
        if pending == 0 {
            return app.emails();
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{pending} emails never sent"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

fn count_to(emails: &[guichet_test_support::ReceivedEmail], to: &str, subject: &str) -> usize {
    emails
        .iter()
        .filter(|e| e.to == to && e.subject.contains(subject))
        .count()
}

/// Security review 2026-12, L7: 16 reset requests sent 15–16 emails to one address.
async fn account_emails_are_rate_limited_without_a_visible_difference(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    app.create_user("boite@exemple.fr", PASSWORD, Role::Usager, &[])
        .await;
    for _ in 0..16 {
        let r = app
            .post_form(
                "/mot-de-passe-oublie",
                "/mot-de-passe-oublie",
                &[("email", "boite@exemple.fr")],
            )
            .await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        assert_eq!(location(&r), "/mot-de-passe-oublie/message-envoye");
    }
    for _ in 0..5 {
        let r = app
            .post_form(
                "/inscription",
                "/inscription",
                &[
                    ("nom", "Intrus"),
                    ("email", "boite@exemple.fr"),
                    ("mot_de_passe", PASSWORD),
                ],
            )
            .await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        assert_eq!(location(&r), "/inscription/message-envoye");
    }
    let emails = settled_emails(&app).await;
    let limit = usize::try_from(EMAILS_PER_ADDRESS_PER_HOUR).unwrap();
    assert_eq!(
        count_to(&emails, "boite@exemple.fr", "nouveau mot de passe"),
        limit
    );
    assert_eq!(
        count_to(&emails, "boite@exemple.fr", "Vous avez déjà un compte"),
        limit
    );

    // Per IP: new sign-ups from one place get their emails up to the hourly bound, then none; another
    // place is not affected. The answer never changes.
    let place = browser_from(&app, 6);
    // Someone at that place hammering an address that gets no more emails uses none of the place's.
    for _ in 0..16 {
        place
            .post_form(
                "/mot-de-passe-oublie",
                "/mot-de-passe-oublie",
                &[("email", "boite@exemple.fr")],
            )
            .await;
    }
    let per_ip = usize::try_from(guichet_accounts::throttle::EMAILS_PER_IP_PER_HOUR).unwrap();
    for i in 0..=per_ip {
        let r = place
            .post_form(
                "/inscription",
                "/inscription",
                &[
                    ("nom", "Nouvelle Personne"),
                    ("email", &format!("nouveau{i}@exemple.fr")),
                    ("mot_de_passe", PASSWORD),
                ],
            )
            .await;
        assert_eq!(location(&r), "/inscription/message-envoye");
    }
    let r = browser_from(&app, 7)
        .post_form(
            "/inscription",
            "/inscription",
            &[
                ("nom", "Autre Personne"),
                ("email", "ailleurs@exemple.fr"),
                ("mot_de_passe", PASSWORD),
            ],
        )
        .await;
    assert_eq!(location(&r), "/inscription/message-envoye");
    let emails = settled_emails(&app).await;
    let confirmations = (0..=per_ip)
        .filter(|i| count_to(&emails, &format!("nouveau{i}@exemple.fr"), "Confirmez") == 1)
        .count();
    assert_eq!(confirmations, per_ip);
    assert_eq!(count_to(&emails, "ailleurs@exemple.fr", "Confirmez"), 1);
}

on_both_backends!(
    sign_up_verify_login_logout,
    logout_revokes_the_token_itself,
    wrong_password_and_unknown_account_look_the_same,
    repeated_failures_are_throttled,
    failures_from_one_place_slow_down_that_place_only,
    a_shared_ip_is_slowed_only_past_a_high_ceiling,
    parallel_wrong_passwords_get_no_more_checks_than_the_limit,
    a_newer_link_or_a_password_change_revokes_older_reset_links,
    account_emails_are_rate_limited_without_a_visible_difference,
    posts_without_a_valid_csrf_token_are_refused,
    expired_or_tampered_tokens_log_out,
    a_reset_token_works_once_and_revokes_sessions,
    an_expired_reset_token_is_refused,
    changing_the_password_keeps_this_device_and_drops_others,
    an_instructor_created_by_the_cli_can_log_in,
);
