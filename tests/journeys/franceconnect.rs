//! Logging in with FranceConnect v2, against the loopback provider of the test support: a new account with
//! the identity received, the same account at the next login, an existing account joined only after its
//! password, the errors a person or a provider can cause (each a French page, no session), and the logout
//! at the provider.

use guichet_test_support::franceconnect::{CLIENT_ID, CLIENT_SECRET, FakeFranceConnect, FcPerson, Next};
use guichet_test_support::{Backend, Browser, TestApp, on_both_backends};
use guichet_types::Role;
use reqwest::StatusCode;
use secrecy::SecretString;

const PASSWORD: &str = "une phrase de passe solide";

async fn app_with(fc: &FakeFranceConnect, backend: Backend) -> Option<TestApp> {
    let issuer = fc.issuer();
    let app = TestApp::spawn_with(backend, |c| {
        c.franceconnect_issuer = Some(issuer);
        c.franceconnect_client_id = Some(CLIENT_ID.into());
        c.franceconnect_client_secret = Some(SecretString::from(CLIENT_SECRET));
    })
    .await?;
    let config = app.state.settings.franceconnect().unwrap();
    fc.register(&config.redirect_uri);
    Some(app)
}

/// The location of a redirect, on the app when it names the app's configured public address (the tests'
/// app listens on a port chosen at start).
fn location(app: &TestApp, r: &reqwest::Response) -> String {
    assert!(r.status().is_redirection(), "{}", r.status());
    let to = r.headers()["location"].to_str().unwrap().to_owned();
    let public = app.state.settings.public_url.trim_end_matches('/').to_owned();
    match to.strip_prefix(&public) {
        Some(path) => app.url(path),
        None if to.starts_with('/') => app.url(&to),
        None => to,
    }
}

/// From « S’identifier avec FranceConnect » to the app's answer to the callback.
async fn franceconnect(app: &TestApp, b: &Browser<'_>) -> reqwest::Response {
    franceconnect_from(app, b, "/connexion/franceconnect").await
}

/// The same from a link that carries where to go after (`?suite=…`).
async fn franceconnect_from(app: &TestApp, b: &Browser<'_>, start: &str) -> reqwest::Response {
    let r = b.get(start).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let at_provider = location(app, &r);
    assert!(at_provider.contains("code_challenge_method=S256") && at_provider.contains("acr_values=eidas1"));
    let r = b.client.get(&at_provider).send().await.unwrap();
    let back = location(app, &r);
    b.client.get(&back).send().await.unwrap()
}

async fn a_new_account_then_the_same_one(backend: Backend) {
    let fc = FakeFranceConnect::start().await;
    let Some(app) = app_with(&fc, backend).await else {
        return;
    };
    let b = Browser::new(&app);
    let login = b.get_html("/connexion").await;
    assert!(
        login.contains("S’identifier avec</span> <span class=\"franceconnect__marque\">FranceConnect"),
        "{login}"
    );

    fc.set_next(Next::Login(FcPerson::angela("angela.dubois@exemple.fr")));
    let r = franceconnect(&app, &b).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "{}", r.text().await.unwrap());
    let account = b.get_html("/compte").await;
    assert!(
        account.contains("Angela DUBOIS") && account.contains("angela.dubois@exemple.fr"),
        "{account}"
    );
    // « Mon compte » shows the identity received, said to come from FranceConnect.
    assert!(
        account.contains("Votre identité transmise par FranceConnect")
            && account.contains("Angela Claire Louise")
            && account.contains("24 août 1962"),
        "{account}"
    );

    // The identity received is kept with the account (the pivot, never the tokens).
    let (id, joined) = {
        let pool = app.pool.clone();
        pool.run(|c| {
            let e = guichet_types::Email::parse("angela.dubois@exemple.fr").unwrap();
            let u = guichet_accounts::users::find_by_email(c, &e)?.unwrap();
            let j = guichet_accounts::external::joined(c, &u.id)?;
            Ok::<_, guichet_accounts::AccountsError>((u.id, j))
        })
        .await
        .unwrap()
    };
    assert_eq!(joined.len(), 1);
    assert_eq!(joined[0].1["birthdate"], "1962-08-24");
    assert_eq!(joined[0].1["birthplace"], "75120");
    assert!(joined[0].1.get("id_token").is_none());

    // Logging out ends the FranceConnect session too, with the ID token as hint.
    let account = b.get_html("/compte").await;
    let token = guichet_test_support::csrf_token(&account).unwrap();
    let r = b
        .client
        .post(app.url("/deconnexion"))
        .form(&[("csrf_token", token.as_str())])
        .send()
        .await
        .unwrap();
    let to_provider = location(&app, &r);
    assert!(
        to_provider.starts_with(&fc.issuer()) && to_provider.contains("id_token_hint="),
        "{to_provider}"
    );
    let r = b.client.get(&to_provider).send().await.unwrap();
    assert!(location(&app, &r).contains("/deconnexion/franceconnect"));
    assert_eq!(fc.logouts().len(), 1);
    assert_eq!(
        b.get("/compte").await.status(),
        StatusCode::SEE_OTHER,
        "logged out"
    );

    // The next login finds the same account by its FranceConnect identifier, whatever the email says now.
    let mut moved = FcPerson::angela("nouvelle.adresse@exemple.fr");
    moved.preferred_username = "MARTIN".into();
    fc.set_next(Next::Login(moved));
    let r = franceconnect(&app, &b).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let same = app
        .pool
        .run(move |c| guichet_accounts::users::find(c, &id))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(same.email, "angela.dubois@exemple.fr");
    assert!(b.get_html("/compte").await.contains("angela.dubois@exemple.fr"));
    // The closing page tells a person without a password how to get one.
    assert!(
        b.get_html("/compte/supprimer")
            .await
            .contains("Votre compte est relié à FranceConnect")
    );

    // A closed account is not entered again through FranceConnect: the next login opens a new one.
    let closed = same.id.clone();
    app.pool
        .run(move |c| guichet_accounts::users::close(c, &closed))
        .await
        .unwrap();
    let b = Browser::new(&app);
    fc.set_next(Next::Login(FcPerson::angela("angela.dubois@exemple.fr")));
    assert_eq!(franceconnect(&app, &b).await.status(), StatusCode::SEE_OTHER);
    let now = app
        .pool
        .run(|c| {
            let e = guichet_types::Email::parse("angela.dubois@exemple.fr").unwrap();
            guichet_accounts::users::find_by_email(c, &e)
        })
        .await
        .unwrap()
        .unwrap();
    assert_ne!(now.id, same.id);
}

async fn an_existing_account_is_joined_only_after_its_password(backend: Backend) {
    let fc = FakeFranceConnect::start().await;
    let Some(app) = app_with(&fc, backend).await else {
        return;
    };
    app.create_user("angela.dubois@exemple.fr", PASSWORD, Role::Usager, &[])
        .await;
    let b = Browser::new(&app);
    fc.set_next(Next::Login(FcPerson::angela("angela.dubois@exemple.fr")));
    let r = franceconnect(&app, &b).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let to = location(&app, &r);
    assert!(to.ends_with("/connexion?relier=franceconnect"), "{to}");
    // Not logged in on the email alone.
    assert_eq!(b.get("/compte").await.status(), StatusCode::SEE_OTHER);
    let page = b.client.get(&to).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("Un compte Guichet existe déjà"), "{page}");

    // A wrong password joins nothing; the right one joins and logs in.
    let r = b
        .post_form(
            "/connexion?relier=franceconnect",
            "/connexion",
            &[
                ("email", "angela.dubois@exemple.fr"),
                ("mot_de_passe", "pas le bon mot de passe"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let r = b
        .post_form(
            "/connexion?relier=franceconnect",
            "/connexion",
            &[("email", "angela.dubois@exemple.fr"), ("mot_de_passe", PASSWORD)],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let joined = app
        .pool
        .run(|c| {
            let e = guichet_types::Email::parse("angela.dubois@exemple.fr").unwrap();
            let u = guichet_accounts::users::find_by_email(c, &e)?.unwrap();
            guichet_accounts::external::joined(c, &u.id)
        })
        .await
        .unwrap();
    assert_eq!(joined.len(), 1, "joined after the password");

    // From now on FranceConnect goes straight in.
    let other = Browser::new(&app);
    fc.set_next(Next::Login(FcPerson::angela("angela.dubois@exemple.fr")));
    let r = franceconnect(&app, &other).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(!location(&app, &r).contains("relier"));
    assert_eq!(other.get("/compte").await.status(), StatusCode::OK);
}

async fn every_failure_is_a_french_page_and_no_session(backend: Backend) {
    let fc = FakeFranceConnect::start().await;
    let Some(app) = app_with(&fc, backend).await else {
        return;
    };
    let angela = || FcPerson::angela("angela.dubois@exemple.fr");
    for (next, words) in [
        (Next::Error("access_denied"), "Vous avez annulé la connexion"),
        (Next::WrongNonce(angela()), "n’a pas pu être vérifiée"),
        (Next::ForeignKey(angela()), "n’a pas pu être vérifiée"),
        (Next::UnsignedUserinfo(angela()), "n’a pas pu être vérifiée"),
        (Next::Acr(angela(), "eidas0"), "niveau de sécurité"),
    ] {
        let b = Browser::new(&app);
        let label = format!("{next:?}");
        fc.set_next(next);
        let r = franceconnect(&app, &b).await;
        assert!(
            r.status() != StatusCode::SEE_OTHER && r.status() != StatusCode::INTERNAL_SERVER_ERROR,
            "{label}"
        );
        let page = r.text().await.unwrap();
        assert!(
            page.contains("La connexion avec FranceConnect n’a pas abouti") && page.contains(words),
            "{label}: {page}"
        );
        assert_eq!(
            b.get("/compte").await.status(),
            StatusCode::SEE_OTHER,
            "{label}: no session"
        );
    }
    // No account was opened by any of them.
    let found = app
        .pool
        .run(|c| {
            let e = guichet_types::Email::parse("angela.dubois@exemple.fr").unwrap();
            guichet_accounts::users::find_by_email(c, &e)
        })
        .await
        .unwrap();
    assert!(found.is_none());

    // A callback without the login under way (another browser, or replayed) is refused.
    let b = Browser::new(&app);
    let r = b.get("/connexion/franceconnect/retour?code=x&state=y").await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(r.text().await.unwrap().contains("a expiré ou a déjà servi"));
    // The same callback twice: the second is refused (one use).
    fc.set_next(Next::Login(angela()));
    let r = b.get("/connexion/franceconnect").await;
    let r = b.client.get(location(&app, &r)).send().await.unwrap();
    let back = location(&app, &r);
    assert_eq!(
        b.client.get(&back).send().await.unwrap().status(),
        StatusCode::SEE_OTHER
    );
    let again = Browser::new(&app);
    assert_eq!(
        again.client.get(&back).send().await.unwrap().status(),
        StatusCode::BAD_REQUEST
    );
}

async fn without_configuration_there_is_no_button(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    assert!(!app.get_html("/connexion").await.contains("FranceConnect"));
    assert_eq!(
        app.get("/connexion/franceconnect").await.status(),
        StatusCode::NOT_FOUND
    );
}

async fn agents_log_in_with_their_provider_once_invited(backend: Backend) {
    let fc = FakeFranceConnect::start().await;
    let issuer = fc.issuer();
    let Some(app) = TestApp::spawn_with(backend, |c| {
        c.agents_oidc_issuer = Some(issuer);
        c.agents_oidc_client_id = Some(CLIENT_ID.into());
        c.agents_oidc_client_secret = Some(SecretString::from(CLIENT_SECRET));
    })
    .await
    else {
        return;
    };
    fc.register(&app.state.settings.agents_oidc().unwrap().redirect_uri);
    app.create_user("agent@departement.fr", PASSWORD, Role::Instructeur, &["apa"])
        .await;
    let via = |b: &Browser<'_>| {
        let app = &app;
        let client = b.client.clone();
        async move {
            let r = client.get(app.url("/connexion/agents")).send().await.unwrap();
            let r = client.get(location(app, &r)).send().await.unwrap();
            client.get(location(app, &r)).send().await.unwrap()
        }
    };
    let login = app.get_html("/connexion").await;
    assert!(
        login.contains("Agent du département : se connecter avec ProConnect"),
        "{login}"
    );
    assert!(
        !login.contains("franceconnect__bouton"),
        "no FranceConnect configured"
    );

    // Somebody the platform does not know: no account is opened for an agent.
    let b = Browser::new(&app);
    fc.set_next(Next::Login(FcPerson::angela("inconnu@departement.fr")));
    let r = via(&b).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let page = r.text().await.unwrap();
    assert!(
        page.contains("La connexion avec ProConnect n’a pas abouti")
            && page.contains("Demandez à l’administrateur"),
        "{page}"
    );

    // The invited agent joins once with the password, then comes straight in; how they authenticated
    // (`amr`) is kept with the identity.
    let mut agent = FcPerson::angela("agent@departement.fr");
    agent.sub = "agent-sub-1".into();
    fc.set_next(Next::Login(agent.clone()));
    let r = via(&b).await;
    assert!(location(&app, &r).ends_with("/connexion?relier=agents"));
    let page = b.get_html("/connexion?relier=agents").await;
    assert!(page.contains("transmise par ProConnect"), "{page}");
    let r = b
        .post_form(
            "/connexion?relier=agents",
            "/connexion",
            &[("email", "agent@departement.fr"), ("mot_de_passe", PASSWORD)],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let other = Browser::new(&app);
    fc.set_next(Next::Login(agent));
    let r = via(&other).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(
        location(&app, &r).ends_with("/instruction"),
        "{}",
        location(&app, &r)
    );
    let joined = app
        .pool
        .run(|c| {
            let e = guichet_types::Email::parse("agent@departement.fr").unwrap();
            let u = guichet_accounts::users::find_by_email(c, &e)?.unwrap();
            guichet_accounts::external::joined(c, &u.id)
        })
        .await
        .unwrap();
    assert_eq!(joined[0].0, "agents");
    assert_eq!(joined[0].1["amr"], serde_json::json!(["pwd"]));
}

/// A person logged in with FranceConnect who files for herself finds her identity on the form, said to
/// come from FranceConnect; filing for her mother, the mother's identity is left for her to type.
async fn the_identity_prefills_the_form_only_for_oneself(backend: Backend) {
    let fc = FakeFranceConnect::start().await;
    let Some(app) = app_with(&fc, backend).await else {
        return;
    };
    let b = Browser::new(&app);
    fc.set_next(Next::Login(FcPerson::angela("angela.dubois@exemple.fr")));
    assert_eq!(franceconnect(&app, &b).await.status(), StatusCode::SEE_OTHER);
    let r = b
        .post_form("/demarches/apa", "/demarches/apa/commencer", &[])
        .await;
    let first = r.headers()["location"].to_str().unwrap().to_owned();
    assert!(first.ends_with("/etapes/pour_qui"), "{first}");
    let dossier = first.split('/').nth(2).unwrap().to_owned();
    // « Pour qui » offers no child for the APA (the procedure leaves that answer out of the shared part).
    let pour_qui = b.get_html(&first).await;
    assert!(
        pour_qui.contains("Pour un proche") && !pour_qui.contains("Pour mon enfant"),
        "{pour_qui}"
    );

    let identity = format!("/dossiers/{dossier}/etapes/identite");
    let r = b
        .post_form(
            &first,
            &first,
            &[("action", "continuer"), ("demande_pour", "moi")],
        )
        .await;
    assert_eq!(r.headers()["location"].to_str().unwrap(), identity);
    let page = b.get_html(&identity).await;
    for value in [
        "value=\"DUBOIS\"",
        "value=\"Angela Claire Louise\"",
        "value=\"Paris, France\"",
        "value=\"1962\"",
    ] {
        assert!(page.contains(value), "{value}: {page}");
    }
    assert!(page.contains("value=\"madame\" checked"), "{page}");
    assert_eq!(page.matches("Transmis par FranceConnect").count(), 5, "{page}");
    assert!(
        page.contains("aria-describedby=\"nom_naissance-source"),
        "the mention is read with the question: {page}"
    );
    // Shown, not yet saved: the draft holds nothing until the person continues.
    assert!(app.dossier(&dossier).await.answers.get("nom_naissance").is_none());

    // A name changed by the person is theirs: kept, and no longer said to come from FranceConnect.
    let r = b
        .post_form(
            &identity,
            &identity,
            &[
                ("action", "continuer"),
                ("civilite", "madame"),
                ("nom_naissance", "DUBOIS"),
                ("nom_usage", "MARTIN"),
                ("prenoms", "Angela"),
                ("date_naissance.jour", "24"),
                ("date_naissance.mois", "8"),
                ("date_naissance.annee", "1962"),
                ("lieu_naissance", "Paris, France"),
                ("nationalite", "francaise"),
                ("nir", "2 62 08 75 120 456 27"),
                ("caisse_retraite", "regime_general"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "{}", r.text().await.unwrap());
    let page = b.get_html(&identity).await;
    assert!(page.contains("value=\"Angela\""), "{page}");
    assert_eq!(page.matches("Transmis par FranceConnect").count(), 4, "{page}");

    assert_eq!(app.dossier(&dossier).await.answers["nom_usage"], "MARTIN");

    // For her mother: the mother's identity is not hers, and is left for her to type.
    let fresh = b
        .post_form("/demarches/apa", "/demarches/apa/commencer", &[])
        .await;
    let other = fresh.headers()["location"].to_str().unwrap().to_owned();
    let r = b
        .post_form(
            &other,
            &other,
            &[("action", "continuer"), ("demande_pour", "proche")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let other_id = other.split('/').nth(2).unwrap();
    let page = b.get_html(&format!("/dossiers/{other_id}/etapes/identite")).await;
    assert!(
        !page.contains("value=\"DUBOIS\"") && !page.contains("Transmis par FranceConnect"),
        "{page}"
    );
}

/// An account opened through FranceConnect has no password: it is closed after identifying again with
/// FranceConnect, whose login leaves a one-use proof the closing form sends (a forged one is refused).
async fn an_account_without_password_is_closed_after_franceconnect_again(backend: Backend) {
    let fc = FakeFranceConnect::start().await;
    let Some(app) = app_with(&fc, backend).await else {
        return;
    };
    let b = Browser::new(&app);
    fc.set_next(Next::Login(FcPerson::angela("angela.dubois@exemple.fr")));
    assert_eq!(franceconnect(&app, &b).await.status(), StatusCode::SEE_OTHER);
    let page = b.get_html("/compte/supprimer").await;
    let href = "/connexion/franceconnect?suite=%2Fcompte%2Fsupprimer%2Ffranceconnect";
    assert!(
        page.contains("Confirmer avec FranceConnect") && page.contains(href),
        "{page}"
    );
    // A forged proof closes nothing.
    let r = b
        .post_form(
            "/compte/supprimer",
            "/compte/supprimer",
            &[("franceconnect", "pas-une-preuve")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("La confirmation par FranceConnect a expiré")
    );

    fc.set_next(Next::Login(FcPerson::angela("angela.dubois@exemple.fr")));
    let r = franceconnect_from(&app, &b, href).await;
    let confirm = location(&app, &r);
    assert!(confirm.contains("/compte/supprimer?franceconnect="), "{confirm}");
    let page = b.client.get(&confirm).send().await.unwrap().text().await.unwrap();
    assert!(
        page.contains("Vous vous êtes identifié à nouveau avec FranceConnect"),
        "{page}"
    );
    let proof = confirm.split("franceconnect=").nth(1).unwrap().to_owned();
    let r = b
        .client
        .post(app.url("/compte/supprimer"))
        .form(&[
            (
                "csrf_token",
                guichet_test_support::csrf_token(&page).unwrap().as_str(),
            ),
            ("franceconnect", proof.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()["location"], "/compte/supprime");
    let closed = app
        .pool
        .run(|c| {
            let e = guichet_types::Email::parse("angela.dubois@exemple.fr").unwrap();
            guichet_accounts::users::find_by_email(c, &e)
        })
        .await
        .unwrap();
    assert!(closed.is_none(), "the account is closed: {closed:?}");
}

on_both_backends!(
    an_account_without_password_is_closed_after_franceconnect_again,
    the_identity_prefills_the_form_only_for_oneself,
    a_new_account_then_the_same_one,
    an_existing_account_is_joined_only_after_its_password,
    every_failure_is_a_french_page_and_no_session,
    without_configuration_there_is_no_button,
    agents_log_in_with_their_provider_once_invited
);
