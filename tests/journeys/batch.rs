//! Batch actions from the queue: each dossier done or refused on its own with its reason, the report read
//! while the batch runs in the background, the same rules, events and emails as one dossier's page.

use guichet_test_support::{Backend, Browser, TestApp, fixture, on_both_backends};
use guichet_types::{Role, ServiceRole};
use reqwest::StatusCode;

const PASSWORD: &str = "une phrase de passe solide";

/// Sends the batch form of the queue; returns the response (303 to the report, or 422 with the form).
async fn launch(b: &Browser<'_>, fields: &[(&str, &str)]) -> reqwest::Response {
    b.post_form("/instruction", "/instruction/lots", fields).await
}

/// Follows a batch to its end; returns the report page.
async fn finished_report(b: &Browser<'_>, r: reqwest::Response) -> String {
    b.finished_batch(r).await
}

/// The emails sent since `before` were counted, once `wanted` arrived or after 5 s.
async fn emails_since(app: &TestApp, before: usize, wanted: usize) -> usize {
    let mut sent = 0;
    for _ in 0..50 {
        sent = app.emails().len() - before;
        if sent >= wanted {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    sent
}

/// The report's row of a dossier number: (result, reason).
fn row_of<'a>(page: &'a str, number: &str) -> &'a str {
    let start = page
        .find(&format!(">{number}</a>"))
        .unwrap_or_else(|| panic!("{number} not in the report"));
    let end = page[start..].find("</tr>").unwrap() + start;
    &page[start..end]
}

async fn a_batch_does_each_dossier_or_says_why_not(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    app.create_user("famille@exemple.fr", PASSWORD, Role::Usager, &[])
        .await;
    app.create_user("agent@departement.fr", PASSWORD, Role::Instructeur, &["apa"])
        .await;
    app.create_user("collegue@departement.fr", PASSWORD, Role::Instructeur, &["apa"])
        .await;
    let mut apa = Vec::new();
    for _ in 0..3 {
        apa.push(app.deposit("famille@exemple.fr", "apa", fixture("apa")).await);
    }
    let (mdph, _) = app.deposit("famille@exemple.fr", "mdph", fixture("mdph")).await;
    let agent = Browser::new(&app);
    agent.login("agent@departement.fr", PASSWORD).await;
    let queue = agent.get_html("/instruction").await;
    assert!(
        queue.contains("Lancer l’action groupée"),
        "the queue offers batch actions"
    );
    assert!(queue.contains(&format!("id=\"choisir-{}\"", apa[0].0)));

    // A colleague took the first one already: a second take of it is refused, with the reason.
    let colleague = Browser::new(&app);
    colleague.login("collegue@departement.fr", PASSWORD).await;
    let page = format!("/instruction/dossiers/{}", apa[0].0);
    let r = colleague
        .post_versioned(&page, &format!("{page}/actions/prendre"), &[])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);

    let r = launch(
        &agent,
        &[
            ("portee", "coches"),
            ("dossier", &apa[0].0),
            ("dossier", &apa[1].0),
            ("dossier", &apa[2].0),
            ("dossier", &apa[2].0),
            ("dossier", &mdph),
            ("dossier", "pas-un-dossier"),
            ("action", "prendre"),
        ],
    )
    .await;
    let report = finished_report(&agent, r).await;
    assert!(
        report.contains("Terminée : 2 dossiers faits, 3 refusés, sur 5"),
        "{report}"
    );
    assert!(row_of(&report, &apa[1].1).contains("Fait"));
    assert!(row_of(&report, &apa[2].1).contains("Fait"));
    assert!(
        row_of(&report, &apa[0].1).contains("Cette action n’est pas possible"),
        "{report}"
    );
    // Another service's dossier: not named, refused as not found, like a made-up id.
    assert_eq!(
        report.matches("Dossier introuvable dans vos services").count(),
        2,
        "{report}"
    );
    for (id, _) in &apa[1..] {
        let d = app.dossier(id).await;
        assert_eq!(d.state, guichet_dossiers::State::EnInstruction);
        assert!(d.assigned_to.is_some());
    }
    assert_eq!(app.dossier(&mdph).await.state, guichet_dossiers::State::Depose);

    // A message to every dossier of a whole view (all pages): one email per usager's dossier.
    let before = app.emails().len();
    let r = launch(
        &agent,
        &[
            ("portee", "vue"),
            ("vue", "onglet=en-instruction&procedure=apa&a_moi=1"),
            ("action", "message"),
            ("texte", "Votre dossier est en cours d’examen."),
        ],
    )
    .await;
    let report = finished_report(&agent, r).await;
    assert!(
        report.contains("Terminée : 2 dossiers faits, 0 refusé, sur 2"),
        "{report}"
    );
    for (id, _) in &apa[1..] {
        let html = agent
            .get_html(&format!("/instruction/dossiers/{id}?section=messagerie"))
            .await;
        assert!(html.contains("Votre dossier est en cours d’examen."));
    }
    assert_eq!(emails_since(&app, before, 2).await, 2, "one email per dossier");

    // The form sent without its action nor a dossier: both said, the text kept, nothing done.
    let r = launch(&agent, &[("portee", "coches"), ("texte", "gardé")]).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("Choisissez l’action à faire sur les dossiers"),
        "{html}"
    );
    assert!(html.contains("Cochez au moins un dossier"), "{html}");
    assert!(html.contains(">gardé</textarea>"), "{html}");
    // A message without its text: the checked dossiers are kept for the next try.
    let r = launch(
        &agent,
        &[
            ("portee", "coches"),
            ("dossier", &apa[1].0),
            ("action", "message"),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("Écrivez le message à envoyer à chaque usager"),
        "{html}"
    );
    assert!(
        html.contains(&format!("name=\"dossier\" value=\"{}\"", apa[1].0)),
        "{html}"
    );

    // Another agent's report does not exist for the colleague.
    let r = launch(
        &agent,
        &[
            ("portee", "coches"),
            ("dossier", &apa[1].0),
            ("action", "note"),
            ("texte", "Vu"),
        ],
    )
    .await;
    let location = r.headers()["location"].to_str().unwrap().to_owned();
    assert_eq!(colleague.get(&location).await.status(), StatusCode::NOT_FOUND);
    // The queue links the agent's latest batches.
    assert!(agent.get_html("/instruction").await.contains(&location));
}

async fn a_reader_batch_is_refused_dossier_by_dossier(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    app.create_user("famille@exemple.fr", PASSWORD, Role::Usager, &[])
        .await;
    app.member("lecteur@departement.fr", PASSWORD, "apa", ServiceRole::Lecteur)
        .await;
    let (id, number) = app.deposit("famille@exemple.fr", "apa", fixture("apa")).await;
    let reader = Browser::new(&app);
    reader.login("lecteur@departement.fr", PASSWORD).await;
    let queue = reader.get_html("/instruction").await;
    assert!(
        queue.contains(&number) && !queue.contains("Lancer l’action groupée"),
        "no batch form for a reader"
    );
    let r = launch(
        &reader,
        &[("portee", "coches"), ("dossier", &id), ("action", "prendre")],
    )
    .await;
    let report = finished_report(&reader, r).await;
    assert!(row_of(&report, &number).contains("consultation"), "{report}");
    assert_eq!(app.dossier(&id).await.state, guichet_dossiers::State::Depose);
}

async fn a_batch_decides_alike_and_exports_the_selection(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    app.create_user("famille@exemple.fr", PASSWORD, Role::Usager, &[])
        .await;
    app.create_user("agent@departement.fr", PASSWORD, Role::Instructeur, &["apa"])
        .await;
    let mut apa = Vec::new();
    for _ in 0..3 {
        apa.push(app.deposit("famille@exemple.fr", "apa", fixture("apa")).await);
    }
    let agent = Browser::new(&app);
    agent.login("agent@departement.fr", PASSWORD).await;
    let r = launch(
        &agent,
        &[
            ("portee", "coches"),
            ("dossier", &apa[0].0),
            ("dossier", &apa[1].0),
            ("action", "prendre"),
        ],
    )
    .await;
    finished_report(&agent, r).await;

    // Unconfirmed, without a decision: each said, nothing decided.
    let r = launch(
        &agent,
        &[
            ("portee", "coches"),
            ("dossier", &apa[0].0),
            ("action", "decider"),
            ("texte", "Vos ressources dépassent le plafond."),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("Choisissez la décision à prendre")
            && html.contains("Cochez la case pour confirmer ces décisions"),
        "{html}"
    );
    assert_eq!(
        app.dossier(&apa[0].0).await.state,
        guichet_dossiers::State::EnInstruction
    );

    // Two taken are refused alike; the third, not taken, is refused by the rules, with its reason.
    let before = app.emails().len();
    let r = launch(
        &agent,
        &[
            ("portee", "coches"),
            ("dossier", &apa[0].0),
            ("dossier", &apa[1].0),
            ("dossier", &apa[2].0),
            ("action", "decider"),
            ("decision", "refus"),
            ("texte", "Vos ressources dépassent le plafond."),
            ("confirmation", "1"),
        ],
    )
    .await;
    let report = finished_report(&agent, r).await;
    assert!(
        report.contains("Terminée : 2 dossiers faits, 1 refusé, sur 3"),
        "{report}"
    );
    assert!(!row_of(&report, &apa[2].1).contains("Fait"), "{report}");
    for (id, _) in &apa[..2] {
        let d = app.dossier(id).await;
        assert_eq!(d.state, guichet_dossiers::State::Decide);
        let id = id.clone();
        let rights = app
            .pool
            .run(move |c| guichet_dossiers::rights::of(c, &id))
            .await
            .unwrap();
        assert!(
            rights
                .iter()
                .all(|r| r.outcome == Some(guichet_dossiers::rights::Outcome::Refus)
                    && r.motivation.as_deref() == Some("Vos ressources dépassent le plafond."))
        );
    }
    assert_eq!(
        app.dossier(&apa[2].0).await.state,
        guichet_dossiers::State::Depose
    );
    // The same decision email as one dossier's page sends.
    assert_eq!(emails_since(&app, before, 2).await, 2);

    // « Exporter la sélection »: a spreadsheet of the ticked dossiers only (of the current tab).
    let r = agent
        .post_form(
            "/instruction?onglet=traites",
            "/instruction/lots",
            &[
                ("portee", "coches"),
                ("vue", "onglet=traites"),
                ("dossier", &apa[1].0),
                ("action", "exporter"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(
        r.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains(".xlsx")
    );
    let bytes = r.bytes().await.unwrap().to_vec();
    let mut book = calamine::Xlsx::new(std::io::Cursor::new(bytes)).unwrap();
    use calamine::Reader;
    let rows: Vec<Vec<calamine::Data>> = book
        .worksheet_range_at(0)
        .unwrap()
        .unwrap()
        .rows()
        .map(<[calamine::Data]>::to_vec)
        .collect();
    assert_eq!(rows.len(), 2, "a header and the one dossier ticked: {rows:?}");
    assert!(rows[1].iter().any(|c| *c == apa[1].1.as_str()), "{rows:?}");
    // Nothing ticked: said, no file.
    let r = launch(&agent, &[("portee", "coches"), ("action", "exporter")]).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
}

on_both_backends!(
    a_batch_does_each_dossier_or_says_why_not,
    a_reader_batch_is_refused_dossier_by_dossier,
    a_batch_decides_alike_and_exports_the_selection
);
