//! Routing rules and the département's letter preview, from the administration page: a dossier deposited
//! goes to a territorial service by its beneficiary's postal code, to the children's team by their age;
//! a sample letter shows the identity typed before it is saved.

use diesel::prelude::*;
use guichet_test_support::{Backend, Browser, TestApp, fixture, on_both_backends, pdf_text};
use guichet_types::Role;
use reqwest::StatusCode;

const PASSWORD: &str = "une phrase de passe solide";

async fn service_of(app: &TestApp, id: &str) -> String {
    let id = id.to_owned();
    app.pool
        .run(move |c| {
            use guichet_db::schema::dossiers as d;
            Ok::<_, guichet_db::DbError>(d::table.find(&id).select(d::service_code).first::<String>(c)?)
        })
        .await
        .unwrap()
}

/// The rule id of the first form posting to `action` on the administration page.
fn rule_in(html: &str, action: &str) -> String {
    let at = html
        .find(action)
        .unwrap_or_else(|| panic!("no {action} in {html}"));
    let key = "name=\"regle\" value=\"";
    let start = html[at..].find(key).unwrap() + at + key.len();
    html[start..start + html[start..].find('"').unwrap()].to_owned()
}

async fn rules_route_dossiers_by_postal_code_and_age(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    app.create_user("admin@departement.fr", PASSWORD, Role::Admin, &["apa", "mdph"])
        .await;
    app.create_user("famille@exemple.fr", PASSWORD, Role::Usager, &[])
        .await;
    app.create_user(
        "agent.est@departement.fr",
        PASSWORD,
        Role::Instructeur,
        &["apa-est"],
    )
    .await;
    app.create_user("agent.apa@departement.fr", PASSWORD, Role::Instructeur, &["apa"])
        .await;
    app.create_user(
        "agent.nord@departement.fr",
        PASSWORD,
        Role::Instructeur,
        &["apa-nord"],
    )
    .await;
    app.create_user(
        "agent.enfants@departement.fr",
        PASSWORD,
        Role::Instructeur,
        &["mdph-enfants"],
    )
    .await;
    let admin = Browser::new(&app);
    admin.login("admin@departement.fr", PASSWORD).await;
    let html = admin.get_html("/admin").await;
    assert!(html.contains("Aucune règle"), "{html}");

    // No condition, no service, a postal code given for a commune: each named, what was typed kept.
    let r = admin
        .post_form(
            "/admin",
            "/admin/orientation",
            &[("demarche", "apa"), ("communes", "93200"), ("age_min", "deux")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("Code INSEE inconnu : 93200")
            && html.contains("Saisissez un âge en années")
            && html.contains("Choisissez le service qui reçoit"),
        "{html}"
    );
    assert!(html.contains("value=\"93200\""));
    let r = admin
        .post_form(
            "/admin",
            "/admin/orientation",
            &[("demarche", "apa"), ("service_regle", "apa-est")],
        )
        .await;
    assert!(r.text().await.unwrap().contains("Donnez au moins une condition"));
    let r = admin
        .post_form(
            "/admin",
            "/admin/orientation",
            &[
                ("demarche", "apa"),
                ("codes_postaux", "932, 93100"),
                ("service_regle", "apa"),
            ],
        )
        .await;
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("Ces dossiers vont déjà à ce service")
    );

    // The eastern territory receives the APA of 932xx and 93100; the children's team the MDPH under 20.
    for fields in [
        [
            ("demarche", "apa"),
            ("codes_postaux", "932, 93100"),
            ("age_min", ""),
            ("age_max", ""),
            ("service_regle", "apa-est"),
        ],
        [
            ("demarche", "mdph"),
            ("codes_postaux", ""),
            ("age_min", "0"),
            ("age_max", "19"),
            ("service_regle", "mdph-enfants"),
        ],
    ] {
        let r = admin.post_form("/admin", "/admin/orientation", &fields).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
    }
    let html = admin.get_html("/admin?fait=regle-ajoutee").await;
    assert!(
        html.contains("code postal commençant par 932 ou 93100")
            && html.contains("âge de 0 à 19 ans")
            && html.contains("La règle d’orientation a été ajoutée"),
        "{html}"
    );

    // The fixture lives in 93 200: the eastern territory's, not the APA service's.
    let (east, east_number) = app.deposit("famille@exemple.fr", "apa", fixture("apa")).await;
    assert_eq!(service_of(&app, &east).await, "apa-est");
    let mut paris = fixture("apa");
    paris["code_postal"] = "75011".into();
    paris["commune"] = "Paris".into();
    let (central, central_number) = app.deposit("famille@exemple.fr", "apa", paris).await;
    assert_eq!(service_of(&app, &central).await, "apa");
    let est = Browser::new(&app);
    est.login("agent.est@departement.fr", PASSWORD).await;
    let queue = est.get_html("/instruction").await;
    assert!(
        queue.contains(&east_number) && !queue.contains(&central_number),
        "{queue}"
    );
    let apa = Browser::new(&app);
    apa.login("agent.apa@departement.fr", PASSWORD).await;
    let queue = apa.get_html("/instruction").await;
    assert!(
        !queue.contains(&east_number) && queue.contains(&central_number),
        "{queue}"
    );
    assert_eq!(
        apa.get(&format!("/instruction/dossiers/{east}")).await.status(),
        StatusCode::NOT_FOUND,
        "the central service does not open the territory's dossier"
    );

    // An adult stays with the MDPH; a child of eleven goes to the children's team (read from the answers
    // as the deposit reads them: a child's whole request needs parts this fixture does not fill).
    let (adult, _) = app.deposit("famille@exemple.fr", "mdph", fixture("mdph")).await;
    assert_eq!(service_of(&app, &adult).await, "mdph");
    let procedures = app.state.procedures.clone();
    let routed = app
        .pool
        .run(move |c| {
            let proc = procedures.get("mdph").unwrap();
            let mut child = fixture("mdph").as_object().unwrap().clone();
            child.insert("date_naissance".into(), "2015-05-12".into());
            let today = chrono::NaiveDate::from_ymd_opt(2026, 12, 3).unwrap();
            let kid = guichet_usecases::routing::service_for(c, proc, &child, today)?;
            // Twenty on the day after their birthday: an adult again.
            child.insert("date_naissance".into(), "2006-12-02".into());
            let twenty = guichet_usecases::routing::service_for(c, proc, &child, today)?;
            Ok::<_, guichet_usecases::CaseError>((kid, twenty))
        })
        .await
        .unwrap();
    assert_eq!(routed, (Some("mdph-enfants".to_owned()), None));

    // A second APA rule comes after the first: 93200 still goes east, until it is moved up.
    let r = admin
        .post_form(
            "/admin",
            "/admin/orientation",
            &[
                ("demarche", "apa"),
                ("codes_postaux", "93200"),
                ("service_regle", "apa-nord"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (second, _) = app.deposit("famille@exemple.fr", "apa", fixture("apa")).await;
    assert_eq!(service_of(&app, &second).await, "apa-est");
    let html = admin.get_html("/admin").await;
    let rule = rule_in(&html, "/admin/orientation/monter");
    let r = admin
        .post_form("/admin", "/admin/orientation/monter", &[("regle", &rule)])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (third, _) = app.deposit("famille@exemple.fr", "apa", fixture("apa")).await;
    assert_eq!(service_of(&app, &third).await, "apa-nord");

    // Taken out, the APA rules route nothing more (the dossiers already routed stay where they are).
    for _ in 0..2 {
        let html = admin.get_html("/admin").await;
        let rule = rule_in(&html, "/admin/orientation/retirer");
        let r = admin
            .post_form("/admin", "/admin/orientation/retirer", &[("regle", &rule)])
            .await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
    }
    assert!(
        admin.get_html("/admin").await.contains("âge de 0 à 19 ans"),
        "the MDPH's rule stays"
    );
    let (later, _) = app.deposit("famille@exemple.fr", "apa", fixture("apa")).await;
    assert_eq!(service_of(&app, &later).await, "apa");
    assert_eq!(service_of(&app, &east).await, "apa-est");

    // Nobody but an administrator adds rules.
    let r = est
        .post_form(
            "/instruction",
            "/admin/orientation",
            &[
                ("demarche", "apa"),
                ("codes_postaux", "93"),
                ("service_regle", "apa-est"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
}

async fn the_letter_preview_shows_the_identity_typed_before_saving(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    app.create_user("admin@departement.fr", PASSWORD, Role::Admin, &["apa"])
        .await;
    let admin = Browser::new(&app);
    admin.login("admin@departement.fr", PASSWORD).await;
    let r = admin.get("/admin/identite/apercu.pdf?service=apa").await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["content-type"], "application/pdf");
    let saved = pdf_text(&r.bytes().await.unwrap(), false);

    let r = admin
        .post_form(
            "/admin",
            "/admin/identite/apercu",
            &[
                ("nom", "Département d’Essai-sur-Aperçu"),
                ("signataire.apa.nom", "Odile Aperçu"),
                ("signataire.apa.titre", "Directrice de l’essai"),
                ("courrier.apa.introduction", "Texte d’ouverture à l’essai."),
                ("courrier.fin", "Texte de fin à l’essai."),
                ("apercu_service", "apa"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(
        r.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("inline")
    );
    if let (Some(saved), Some(typed)) = (saved, pdf_text(&r.bytes().await.unwrap(), false)) {
        assert!(saved.contains("Mme Jeanne Exemple"), "{saved}");
        assert!(!saved.contains("Essai-sur-Aperçu"));
        assert!(
            typed.contains("Essai-sur-Aperçu")
                && typed.contains("Odile Aperçu")
                && typed.contains("Directrice de l’essai"),
            "{typed}"
        );
        // The département's own paragraphs: the opening after the salutation, the ending before the
        // closing formula.
        let at = |w: &str| typed.find(w).unwrap_or_else(|| panic!("{w}: {typed}"));
        assert!(at("Madame, Monsieur,") < at("Texte d’ouverture à l’essai."));
        assert!(at("Voies et délais de recours") < at("Texte de fin à l’essai."));
        assert!(at("Texte de fin à l’essai.") < at("Je vous prie d’agréer"));
        assert!(!saved.contains("à l’essai"));
    }
    // Not saved: the page still shows the configured name.
    assert!(!admin.get_html("/admin").await.contains("Essai-sur-Aperçu"));
    // A value refused is named on the page, as when saving.
    let r = admin
        .post_form(
            "/admin",
            "/admin/identite/apercu",
            &[("nom", "  "), ("apercu_service", "apa")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("Saisissez le nom du département")
    );
}

on_both_backends!(
    rules_route_dossiers_by_postal_code_and_age,
    the_letter_preview_shows_the_identity_typed_before_saving
);
