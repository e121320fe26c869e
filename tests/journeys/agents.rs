//! Agents managed from the administration page: invited by email (a one-time link to choose a
//! password), their role changed, taken out of a service (their dossiers back to nobody), deactivated.

use guichet_test_support::{Backend, Browser, TestApp, find_link, fixture, on_both_backends};
use guichet_types::Role;
use reqwest::StatusCode;
use serde_json::Value;

const PASSWORD: &str = "une phrase de passe solide";

fn apa_answers() -> Value {
    fixture("apa")
}

async fn an_admin_invites_manages_and_deactivates_an_agent(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    app.create_user("admin@departement.fr", PASSWORD, Role::Admin, &["apa"])
        .await;
    app.create_user("famille@exemple.fr", PASSWORD, Role::Usager, &[])
        .await;
    let admin = Browser::new(&app);
    admin.login("admin@departement.fr", PASSWORD).await;

    // A new address without a name: refused, what was typed kept.
    let r = admin
        .post_form(
            "/admin",
            "/admin/membres",
            &[
                ("email", "nouvelle.agente@departement.fr"),
                ("service", "apa"),
                ("role", "evaluateur"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(html.contains("saisissez le nom de l’agent"), "{html}");
    assert!(html.contains("value=\"nouvelle.agente@departement.fr\""));

    // Invited: an account with no usable password, an email with a one-time link.
    let r = admin
        .post_form(
            "/admin",
            "/admin/membres",
            &[
                ("email", "nouvelle.agente@departement.fr"),
                ("nom", "Inès Roussel"),
                ("service", "apa"),
                ("role", "evaluateur"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let page = admin.get_html("/admin?fait=invitation").await;
    assert!(page.contains("Invitation envoyée : l’agent a 7 jours"), "{page}");
    assert!(page.contains("Invitation envoyée, mot de passe pas encore choisi"));
    let mail = app
        .wait_for_email("nouvelle.agente@departement.fr", "choisissez votre mot de passe")
        .await;
    assert!(mail.body.contains("Évaluation (sans décision)"), "{}", mail.body);
    let link = find_link(&mail.body, &app.url("/invitation?jeton=")).unwrap();
    let jeton = link.split("jeton=").nth(1).unwrap().to_owned();
    let path = link.trim_start_matches(&app.address).to_owned();
    // Nobody logs in before the invitation is accepted.
    let stranger = Browser::new(&app);
    let r = stranger
        .post_form(
            "/connexion",
            "/connexion",
            &[("email", "nouvelle.agente@departement.fr"), ("mot_de_passe", "")],
        )
        .await;
    assert_ne!(r.status(), StatusCode::SEE_OTHER);

    // The agent chooses a password (a weak one first) and lands in the back office, logged in.
    let agent = Browser::new(&app);
    let r = agent
        .post_form(
            &path,
            "/invitation",
            &[("jeton", &jeton), ("mot_de_passe", "court")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let r = agent
        .post_form(
            &path,
            "/invitation",
            &[
                ("jeton", &jeton),
                ("mot_de_passe", "mon secret d’agente départementale"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()["location"], "/instruction");
    assert_eq!(agent.get("/instruction").await.status(), StatusCode::OK);
    // The link served once.
    let r = stranger
        .post_form(
            &path,
            "/invitation",
            &[("jeton", &jeton), ("mot_de_passe", "un autre secret assez long")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(r.text().await.unwrap().contains("n’est plus valide"));

    // An evaluator takes a dossier but may not close it; made « lecteur », they may not even take one.
    let (id, apa_number) = app.deposit("famille@exemple.fr", "apa", apa_answers()).await;
    // They see their service only: the APA dossier, not an MDPH one, nor the MDPH procedure offered.
    let (mdph, mdph_number) = app
        .deposit(
            "famille@exemple.fr",
            "mdph",
            guichet_test_support::fixture("mdph"),
        )
        .await;
    let queue = agent.get_html("/instruction").await;
    assert!(
        queue.contains(&apa_number) && !queue.contains(&mdph_number),
        "{queue}"
    );
    assert!(!queue.contains("value=\"mdph\""), "{queue}");
    assert_eq!(
        agent.get(&format!("/instruction/dossiers/{mdph}")).await.status(),
        StatusCode::NOT_FOUND
    );
    let dossier = format!("/instruction/dossiers/{id}");
    let r = agent
        .post_versioned(&dossier, &format!("{dossier}/actions/prendre"), &[])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let agent_id = app.dossier(&id).await.assigned_to.unwrap();
    let r = admin
        .post_form(
            "/admin",
            "/admin/membres/role",
            &[
                ("utilisateur", &agent_id),
                ("service", "apa"),
                ("role", "lecteur"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (other, _) = app.deposit("famille@exemple.fr", "apa", apa_answers()).await;
    let other_page = format!("/instruction/dossiers/{other}");
    let r = agent
        .post_versioned(&other_page, &format!("{other_page}/actions/prendre"), &[])
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(r.text().await.unwrap().contains("consultation"));

    // Taken out of the service: the dossier they held goes back to nobody, with an event.
    let r = admin
        .post_form(
            "/admin",
            "/admin/membres/retirer",
            &[("utilisateur", &agent_id), ("service", "apa")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(app.dossier(&id).await.assigned_to, None);
    let history = admin.get_html(&format!("{dossier}?section=historique")).await;
    // The history (its timeline only, not the summary's « Affecté à ») has the unassignment.
    let timeline = &history[history.find("<ol class=\"frise\">").expect("a timeline")..];
    assert!(timeline.contains("Affectation modifiée"), "{timeline}");
    assert_eq!(agent.get(&dossier).await.status(), StatusCode::NOT_FOUND);

    // Deactivated: the session ends, login is refused with the reason; reactivated, it works again.
    let r = admin
        .post_form(
            "/admin",
            "/admin/comptes/activation",
            &[("utilisateur", &agent_id), ("actif", "0")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        agent.get("/compte").await.status(),
        StatusCode::SEE_OTHER,
        "the session is over"
    );
    let again = Browser::new(&app);
    let r = again
        .post_form(
            "/connexion",
            "/connexion",
            &[
                ("email", "nouvelle.agente@departement.fr"),
                ("mot_de_passe", "mon secret d’agente départementale"),
            ],
        )
        .await;
    assert_ne!(r.status(), StatusCode::SEE_OTHER);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("désactivé par un administrateur")
    );
    admin
        .post_form(
            "/admin",
            "/admin/comptes/activation",
            &[("utilisateur", &agent_id), ("actif", "1")],
        )
        .await;
    again
        .login(
            "nouvelle.agente@departement.fr",
            "mon secret d’agente départementale",
        )
        .await;

    // Never one's own account; never by someone who is not an administrator.
    let me = {
        let email = guichet_types::Email::parse("admin@departement.fr").unwrap();
        app.pool
            .run(move |c| guichet_accounts::users::find_by_email(c, &email))
            .await
            .unwrap()
            .unwrap()
            .id
    };
    let r = admin
        .post_form(
            "/admin",
            "/admin/comptes/activation",
            &[("utilisateur", &me), ("actif", "0")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    let r = again
        .post_form(
            "/compte",
            "/admin/comptes/activation",
            &[("utilisateur", &me), ("actif", "0")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
}

on_both_backends!(an_admin_invites_manages_and_deactivates_an_agent);
