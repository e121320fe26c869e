//! Accounts as a person meets them (issue 13 « Accounts », UX walkthrough bug 9): where a login lands,
//! the `suite` through sign-up, the confirmation link (which logs in) and login, « message envoyé »
//! with its address and « Renvoyer », and « Mon compte »: name, address re-confirmed, emails, closing.

use guichet_test_support::{Backend, TestApp, find_link, on_both_backends};
use guichet_types::Role;
use reqwest::StatusCode;

const PASSWORD: &str = "une phrase de passe solide";
const SUITE: &str = "/simulateurs/apa/resultat";

fn location(r: &reqwest::Response) -> String {
    r.headers()
        .get("location")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default()
}

fn count_to(app: &TestApp, to: &str, subject: &str) -> usize {
    app.emails()
        .iter()
        .filter(|e| e.to.contains(to) && e.subject.contains(subject))
        .count()
}

async fn settle(app: &TestApp) {
    app.state.delivery.wake();
    tokio::time::sleep(std::time::Duration::from_millis(400)).await;
}

/// Signs up `email` (with a `suite` when given) and confirms it; ends logged in.
async fn sign_up_and_confirm(app: &TestApp, email: &str, suite: Option<&str>) -> reqwest::Response {
    let mut fields = vec![
        ("nom", "Hélène Dupré"),
        ("email", email),
        ("mot_de_passe", PASSWORD),
    ];
    if let Some(s) = suite {
        fields.push(("suite", s));
    }
    let r = app.post_form("/inscription", "/inscription", &fields).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let mail = app.wait_for_email(email, "Confirmez").await;
    let link = find_link(&mail.body, &app.url("/compte/confirmer?jeton=")).unwrap();
    app.client.get(&link).send().await.unwrap()
}

async fn the_suite_survives_sign_up_confirmation_and_login(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    // The login page's « Créer un compte » keeps the suite, and so does the sign-up form.
    let login = app
        .get_html("/connexion?suite=%2Fsimulateurs%2Fapa%2Fresultat")
        .await;
    assert!(
        login.contains("href=\"/inscription?suite=%2Fsimulateurs%2Fapa%2Fresultat\""),
        "{login}"
    );
    let signup = app
        .get_html("/inscription?suite=%2Fsimulateurs%2Fapa%2Fresultat")
        .await;
    assert!(signup.contains("name=\"suite\" value=\"/simulateurs/apa/resultat\""));

    // The confirmation link carries it, logs in, and goes there.
    let r = sign_up_and_confirm(&app, "helene@exemple.fr", Some(SUITE)).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&r), SUITE);
    assert_eq!(app.get("/compte").await.status(), StatusCode::OK, "logged in");

    // Login itself: to the suite, else « Mes dossiers »; another site is never followed.
    app.post_form("/compte", "/deconnexion", &[]).await;
    let r = app
        .post_form(
            "/connexion",
            "/connexion",
            &[
                ("email", "helene@exemple.fr"),
                ("mot_de_passe", PASSWORD),
                ("suite", SUITE),
            ],
        )
        .await;
    assert_eq!(location(&r), SUITE);
    app.post_form("/compte", "/deconnexion", &[]).await;
    let r = app
        .post_form(
            "/connexion",
            "/connexion",
            &[
                ("email", "helene@exemple.fr"),
                ("mot_de_passe", PASSWORD),
                ("suite", "https://exemple.invalid/"),
            ],
        )
        .await;
    assert_eq!(location(&r), "/mes-dossiers");
    // Logged in, the login and sign-up pages send there too.
    assert_eq!(location(&app.get("/connexion").await), "/mes-dossiers");
    assert_eq!(
        location(&app.get("/inscription?suite=%2Fdemarches%2Fapa").await),
        "/demarches/apa"
    );

    // An unsafe suite in a confirmation link is dropped.
    app.post_form("/compte", "/deconnexion", &[]).await;
    let r = app
        .post_form(
            "/inscription",
            "/inscription",
            &[
                ("nom", "Autre"),
                ("email", "autre@exemple.fr"),
                ("mot_de_passe", PASSWORD),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let mail = app.wait_for_email("autre@exemple.fr", "Confirmez").await;
    let link = find_link(&mail.body, &app.url("/compte/confirmer?jeton=")).unwrap();
    assert!(!link.contains("suite"), "no suite: {link}");
    let r = app
        .client
        .get(format!("{link}&suite=//exemple.invalid"))
        .send()
        .await
        .unwrap();
    assert_eq!(location(&r), "/mes-dossiers");

    // Staff land on « Instruction ».
    app.post_form("/compte", "/deconnexion", &[]).await;
    app.create_user("agent@exemple.fr", PASSWORD, Role::Instructeur, &["apa"])
        .await;
    let r = app.login("agent@exemple.fr", PASSWORD).await;
    assert_eq!(location(&r), "/instruction");
}

async fn message_sent_names_the_address_and_resends(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    // Without a sign-up, the page is generic and offers no resend.
    let page = app.get_html("/inscription/message-envoye").await;
    assert!(!page.contains("Renvoyer le message"));
    assert_eq!(
        location(&app.post_form("/inscription", "/inscription/renvoyer", &[]).await),
        "/inscription"
    );

    let r = app
        .post_form(
            "/inscription",
            "/inscription",
            &[
                ("nom", "Paul"),
                ("email", "paul@exemple.fr"),
                ("mot_de_passe", PASSWORD),
            ],
        )
        .await;
    assert_eq!(
        location(&r),
        "/inscription/message-envoye",
        "no address in the URL"
    );
    let page = app.get_html("/inscription/message-envoye").await;
    assert!(
        page.contains("Nous avons envoyé un message à paul@exemple.fr"),
        "{page}"
    );
    assert!(page.contains("Renvoyer le message"));
    app.wait_for_email("paul@exemple.fr", "Confirmez").await;

    let r = app
        .post_form("/inscription/message-envoye", "/inscription/renvoyer", &[])
        .await;
    assert_eq!(location(&r), "/inscription/message-envoye?renvoye=1");
    settle(&app).await;
    assert_eq!(count_to(&app, "paul@exemple.fr", "Confirmez"), 2);
    // The quota (3 an hour per address) holds, without a visible difference.
    for _ in 0..3 {
        let r = app
            .post_form("/inscription/message-envoye", "/inscription/renvoyer", &[])
            .await;
        assert_eq!(location(&r), "/inscription/message-envoye?renvoye=1");
    }
    settle(&app).await;
    assert_eq!(count_to(&app, "paul@exemple.fr", "Confirmez"), 3);

    // After a reset request, the page names the address typed, known or not.
    let r = app
        .post_form(
            "/mot-de-passe-oublie",
            "/mot-de-passe-oublie",
            &[("email", "inconnu@exemple.fr")],
        )
        .await;
    assert_eq!(location(&r), "/mot-de-passe-oublie/message-envoye");
    let page = app.get_html("/mot-de-passe-oublie/message-envoye").await;
    assert!(page.contains("Si un compte existe avec l’adresse inconnu@exemple.fr"));
    let r = app
        .post_form(
            "/mot-de-passe-oublie/message-envoye",
            "/mot-de-passe-oublie/renvoyer",
            &[],
        )
        .await;
    assert_eq!(location(&r), "/mot-de-passe-oublie/message-envoye?renvoye=1");
}

async fn mon_compte_changes_name_address_and_emails(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    sign_up_and_confirm(&app, "nadia@exemple.fr", None).await;
    let r = app
        .post_form("/compte/nom", "/compte/nom", &[("nom", "  ")])
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let r = app
        .post_form("/compte/nom", "/compte/nom", &[("nom", "Nadia Nouveau")])
        .await;
    assert_eq!(location(&r), "/compte?fait=nom");
    assert!(app.get_html("/compte").await.contains("Nadia Nouveau"));

    // The address: the password is asked, the new address confirmed by a link, the old one told.
    let r = app
        .post_form(
            "/compte/adresse",
            "/compte/adresse",
            &[
                ("email", "nadia.nouvelle@exemple.fr"),
                ("actuel", "mauvais mot de passe"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let r = app
        .post_form(
            "/compte/adresse",
            "/compte/adresse",
            &[("email", "nadia.nouvelle@exemple.fr"), ("actuel", PASSWORD)],
        )
        .await;
    assert_eq!(location(&r), "/compte?fait=adresse");
    assert!(
        app.get_html("/compte").await.contains("nadia@exemple.fr"),
        "unchanged until confirmed"
    );
    let told = app
        .wait_for_email("nadia@exemple.fr", "Demande de changement")
        .await;
    assert!(told.body.contains("nadia.nouvelle@exemple.fr"));
    let mail = app
        .wait_for_email("nadia.nouvelle@exemple.fr", "Confirmez votre nouvelle")
        .await;
    let link = find_link(&mail.body, &app.url("/compte/adresse/confirmer?jeton=")).unwrap();
    let r = app.client.get(&link).send().await.unwrap();
    assert_eq!(location(&r), "/compte?fait=adresse-confirmee");
    assert!(
        app.get_html("/compte")
            .await
            .contains("nadia.nouvelle@exemple.fr")
    );
    app.wait_for_email("nadia@exemple.fr", "a été changée").await;
    // Single use.
    assert_eq!(
        app.client.get(&link).send().await.unwrap().status(),
        StatusCode::BAD_REQUEST
    );
    // The new address logs in, the old one no more.
    app.post_form("/compte", "/deconnexion", &[]).await;
    assert_eq!(
        app.login("nadia@exemple.fr", PASSWORD).await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.login("nadia.nouvelle@exemple.fr", PASSWORD).await.status(),
        StatusCode::SEE_OTHER
    );

    // An address that has an account is not taken (and the page says the same).
    app.create_user("prise@exemple.fr", PASSWORD, Role::Usager, &[])
        .await;
    let r = app
        .post_form(
            "/compte/adresse",
            "/compte/adresse",
            &[("email", "prise@exemple.fr"), ("actuel", PASSWORD)],
        )
        .await;
    assert_eq!(location(&r), "/compte?fait=adresse");
    app.wait_for_email("prise@exemple.fr", "déjà un compte").await;

    // Emails: the optional one can be turned off; the mandatory ones are listed.
    let page = app.get_html("/compte").await;
    assert!(page.contains("toujours envoyés") && page.contains("checked"));
    let r = app.post_form("/compte", "/compte/courriels", &[]).await;
    assert_eq!(location(&r), "/compte?fait=courriels#courriels");
    let page = app.get_html("/compte").await;
    assert!(!page.contains(" checked"), "unticked");
    let off = app
        .pool
        .run(|c| {
            let e = guichet_types::Email::parse("nadia.nouvelle@exemple.fr").unwrap();
            Ok::<_, guichet_accounts::AccountsError>(
                !guichet_accounts::users::find_by_email(c, &e)?
                    .unwrap()
                    .notify_messages,
            )
        })
        .await
        .unwrap();
    assert!(off);
}

async fn closing_an_account_deletes_drafts_and_keeps_deposits(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    sign_up_and_confirm(&app, "lucien@exemple.fr", None).await;
    let r = app
        .post_form("/demarches/apa", "/demarches/apa/commencer", &[])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let complete: serde_json::Value = serde_json::from_str(include_str!(
        "../../crates/forms/tests/fixtures/apa_complete.json"
    ))
    .unwrap();
    let (kept_id, number) = app.deposit("lucien@exemple.fr", "apa", complete).await;
    let page = app.get_html("/compte/supprimer").await;
    assert!(page.contains("Votre brouillon sera effacé"), "{page}");
    assert!(page.contains(&number), "the kept request is named");
    let r = app
        .post_form("/compte/supprimer", "/compte/supprimer", &[("actuel", "faux")])
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let r = app
        .post_form("/compte/supprimer", "/compte/supprimer", &[("actuel", PASSWORD)])
        .await;
    assert_eq!(location(&r), "/compte/supprime");
    assert_eq!(
        app.get("/compte").await.status(),
        StatusCode::SEE_OTHER,
        "logged out"
    );
    assert_eq!(
        app.login("lucien@exemple.fr", PASSWORD).await.status(),
        StatusCode::UNAUTHORIZED
    );
    app.wait_for_email("lucien@exemple.fr", "supprimé").await;
    let (left, event) = app
        .pool
        .run(move |c| {
            let d = guichet_dossiers::store::find(c, &kept_id)?.unwrap();
            let left = guichet_dossiers::store::list_for_owner(c, &d.owner_id)?;
            let ev = guichet_dossiers::store::latest_event(c, &d.id, "account_closed")?;
            Ok::<_, guichet_dossiers::DossierError>((left.len(), ev.is_some()))
        })
        .await
        .unwrap();
    assert_eq!(left, 1, "the draft is deleted, the deposited request kept");
    assert!(event, "the service is told on the kept dossier");
    // The address can sign up again.
    let r = app
        .post_form(
            "/inscription",
            "/inscription",
            &[
                ("nom", "Lucien"),
                ("email", "lucien@exemple.fr"),
                ("mot_de_passe", PASSWORD),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);

    // Staff cannot close their account here.
    app.create_user("agent@exemple.fr", PASSWORD, Role::Instructeur, &["apa"])
        .await;
    app.login("agent@exemple.fr", PASSWORD).await;
    assert!(
        app.get_html("/compte/supprimer")
            .await
            .contains("Un compte d’agent ne se supprime pas ici")
    );
    let r = app
        .post_form("/compte/supprimer", "/compte/supprimer", &[("actuel", PASSWORD)])
        .await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
}

async fn a_new_draft_is_prefilled_from_the_account(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    sign_up_and_confirm(&app, "odile@exemple.fr", None).await;
    let r = app
        .post_form("/demarches/apa", "/demarches/apa/commencer", &[])
        .await;
    let id = location(&r).split('/').nth(2).unwrap().to_owned();
    let answers = app
        .pool
        .run(move |c| {
            Ok::<_, guichet_dossiers::DossierError>(guichet_dossiers::store::find(c, &id)?.unwrap().answers)
        })
        .await
        .unwrap();
    assert_eq!(answers["remplisseur_nom"], "Hélène Dupré");
    assert_eq!(answers["courriel"], "odile@exemple.fr");
}

/// « Nouveau message » emails follow the choice made in « Mon compte »; the message itself is still there.
async fn new_message_emails_follow_the_choice(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    sign_up_and_confirm(&app, "celine@exemple.fr", None).await;
    let complete: serde_json::Value = serde_json::from_str(include_str!(
        "../../crates/forms/tests/fixtures/apa_complete.json"
    ))
    .unwrap();
    let (id, _) = app.deposit("celine@exemple.fr", "apa", complete).await;
    app.create_user("agent@exemple.fr", PASSWORD, Role::Instructeur, &["apa"])
        .await;
    let agent = guichet_test_support::Browser::new(&app);
    agent.login("agent@exemple.fr", PASSWORD).await;
    let page = format!("/instruction/dossiers/{id}");
    let send = |text: &'static str| {
        let (agent, page) = (&agent, page.clone());
        async move {
            let html = agent.get_html(&page).await;
            let token = guichet_test_support::csrf_token(&html).unwrap();
            let form = reqwest::multipart::Form::new()
                .text("csrf_token", token)
                .text("message", text);
            agent
                .client
                .post(agent.app.url(&format!("{page}/messages")))
                .multipart(form)
                .send()
                .await
                .unwrap()
        }
    };
    assert_eq!(send("Premier message").await.status(), StatusCode::SEE_OTHER);
    app.wait_for_email("celine@exemple.fr", "nouveau message").await;
    // Turned off: the next message is posted, and no email goes.
    assert_eq!(
        location(&app.post_form("/compte", "/compte/courriels", &[]).await),
        "/compte?fait=courriels#courriels"
    );
    assert_eq!(send("Second message").await.status(), StatusCode::SEE_OTHER);
    settle(&app).await;
    assert_eq!(count_to(&app, "celine@exemple.fr", "nouveau message"), 1);
    assert!(
        app.get_html(&format!("/dossiers/{id}"))
            .await
            .contains("Second message")
    );
}

on_both_backends!(
    new_message_emails_follow_the_choice,
    the_suite_survives_sign_up_confirmation_and_login,
    message_sent_names_the_address_and_resends,
    mon_compte_changes_name_address_and_emails,
    closing_an_account_deletes_drafts_and_keeps_deposits,
    a_new_draft_is_prefilled_from_the_account,
);
