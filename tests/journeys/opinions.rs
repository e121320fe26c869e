//! Expert opinions: asked from the dossier page with a question and chosen documents, answered by an
//! expert who sees only that, never shown to the usager, reminded when late.

use guichet_test_support::{Backend, Browser, TestApp, fixture, on_both_backends};
use guichet_types::{Role, ServiceRole};
use reqwest::StatusCode;
use serde_json::Value;

const PASSWORD: &str = "une phrase de passe solide";

fn apa_answers() -> Value {
    fixture("apa")
}

async fn member(app: &TestApp, email: &str, role: ServiceRole) -> String {
    app.member(email, PASSWORD, "apa", role).await
}

/// The reminder task run twice the same day: one reminder, then none; the emails sent.
async fn reminded_once(app: &TestApp, today: chrono::NaiveDate) {
    let links = app.state.links();
    for expected in [1, 0] {
        let links = links.clone();
        let n = app
            .pool
            .run(move |c| guichet_usecases::opinions::remind_late(c, &links, today))
            .await
            .unwrap();
        assert_eq!(n, expected);
    }
    app.state.delivery.wake();
}

async fn an_expert_answers_what_was_asked_and_the_usager_never_sees_it(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    app.create_user("famille@exemple.fr", PASSWORD, Role::Usager, &[])
        .await;
    member(&app, "instructeur@departement.fr", ServiceRole::Instructeur).await;
    let expert_id = member(&app, "medecin@departement.fr", ServiceRole::Expert).await;
    let mut answers = apa_answers();
    answers["piece_identite"] = app.stored_file(&"d".repeat(64), "cni.pdf", b"%PDF-1.4 identite");
    answers["avis_imposition"] = app.stored_file(&"e".repeat(64), "impots.pdf", b"%PDF-1.4 impots");
    let (id, number) = app.deposit("famille@exemple.fr", "apa", answers).await;
    let page = format!("/instruction/dossiers/{id}");
    let instructor = Browser::new(&app);
    instructor.login("instructeur@departement.fr", PASSWORD).await;
    let html = instructor.get_html(&format!("{page}?section=avis")).await;
    assert!(
        html.contains("Aucun avis demandé") && html.contains("Demander l’avis"),
        "{html}"
    );

    // Sent without a question nor an expert: both named, the date typed kept.
    let r = instructor
        .post_form(
            &format!("{page}?section=avis"),
            &format!("{page}/avis"),
            &[("date", "31/12/2099")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("Choisissez l’expert") && html.contains("Écrivez la question"),
        "{html}"
    );
    assert!(html.contains("value=\"31/12/2099\""));

    // Asked, with one of the two documents.
    let r = instructor
        .post_form(
            &format!("{page}?section=avis"),
            &format!("{page}/avis"),
            &[
                ("expert", &expert_id),
                (
                    "question",
                    "La perte d’autonomie décrite justifie-t-elle un GIR 3 ?",
                ),
                ("document", &"d".repeat(64)),
                ("document", "pas-un-fichier-du-dossier"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let mail = app
        .wait_for_email("medecin@departement.fr", "Un avis vous est demandé")
        .await;
    assert!(!mail.body.contains("GIR 3"), "the question is not in the email");
    let html = instructor.get_html(&format!("{page}?section=avis")).await;
    assert!(html.contains("Avis (1 en attente, 0 reçu)"), "{html}");
    assert!(html.contains("En attente : attendu le"));

    // The expert: no dossier page, the opinion with the shared document only.
    let expert = Browser::new(&app);
    expert.login("medecin@departement.fr", PASSWORD).await;
    assert_eq!(expert.get(&page).await.status(), StatusCode::NOT_FOUND);
    let r = expert.get("/instruction").await;
    assert_eq!(
        r.status(),
        StatusCode::SEE_OTHER,
        "an expert's back office is the opinions asked"
    );
    assert_eq!(r.headers()["location"], "/avis");
    let list = expert.get_html("/avis").await;
    assert!(list.contains(&number), "{list}");
    let start = list.find("href=\"/avis/").unwrap() + "href=\"".len();
    let link = list[start..start + list[start..].find('"').unwrap()].to_owned();
    let html = expert.get_html(&link).await;
    assert!(
        html.contains("GIR 3") && html.contains("cni.pdf") && !html.contains("impots.pdf"),
        "{html}"
    );
    let r = expert.get(&format!("{link}/fichiers/{}", "d".repeat(64))).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.bytes().await.unwrap().as_ref(), b"%PDF-1.4 identite");
    assert_eq!(
        expert
            .get(&format!("{link}/fichiers/{}", "e".repeat(64)))
            .await
            .status(),
        StatusCode::NOT_FOUND,
        "a document not shared"
    );
    // An empty answer is refused; an answer is given once.
    let r = expert.post_form(&link, &link, &[("reponse", "  ")]).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let r = expert
        .post_form(
            &link,
            &link,
            &[(
                "reponse",
                "Oui : les transferts et la toilette demandent une aide partielle.",
            )],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let r = expert
        .post_form(&link, &link, &[("reponse", "Autre chose")])
        .await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    app.wait_for_email("instructeur@departement.fr", "Avis reçu")
        .await;
    // Nobody else reads the expert's page.
    assert_eq!(instructor.get(&link).await.status(), StatusCode::NOT_FOUND);

    // The instructor reads the answer with its author and date.
    let html = instructor.get_html(&format!("{page}?section=avis")).await;
    assert!(
        html.contains("aide partielle")
            && html.contains("Reçu le")
            && html.contains("Avis (0 en attente, 1 reçu)"),
        "{html}"
    );
    assert!(
        instructor
            .get_html(&format!("{page}?section=historique"))
            .await
            .contains("Avis d’expert reçu")
    );

    // The usager never sees it: not on the dossier page, not in its history.
    let usager = Browser::new(&app);
    usager.login("famille@exemple.fr", PASSWORD).await;
    let mine = usager.get_html(&format!("/dossiers/{id}")).await;
    assert!(
        !mine.contains("GIR 3") && !mine.contains("aide partielle") && !mine.contains("Avis d’expert"),
        "{mine}"
    );
    assert_eq!(usager.get(&link).await.status(), StatusCode::FORBIDDEN);
}

async fn a_late_opinion_is_reminded_once(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    app.create_user("famille@exemple.fr", PASSWORD, Role::Usager, &[])
        .await;
    let instructor_id = member(&app, "instructeur@departement.fr", ServiceRole::Instructeur).await;
    let expert_id = member(&app, "ergo@departement.fr", ServiceRole::Expert).await;
    let (id, _) = app.deposit("famille@exemple.fr", "apa", apa_answers()).await;
    let today = chrono::Utc::now().date_naive();
    app.pool
        .run(move |c| {
            guichet_dossiers::opinions::ask(
                c,
                &guichet_dossiers::opinions::Ask {
                    dossier_id: &id,
                    service_code: "apa",
                    asked_by: &instructor_id,
                    expert: guichet_dossiers::opinions::Expert::Member(&expert_id),
                    question: "Le logement est-il adaptable ?",
                    documents: &[],
                    due_on: today - chrono::Duration::days(1),
                },
            )
        })
        .await
        .unwrap();
    reminded_once(&app, today).await;
    app.wait_for_email("ergo@departement.fr", "Rappel : un avis attendu")
        .await;
}

/// The one-time link an email carries.
fn link_in(body: &str) -> String {
    let start = body.find("/avis/lien/").expect("a link in the email");
    body[start..]
        .split_whitespace()
        .next()
        .unwrap()
        .trim_end_matches(['.', ')'])
        .to_owned()
}

async fn an_expert_without_an_account_answers_once_through_a_link(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    app.create_user("famille@exemple.fr", PASSWORD, Role::Usager, &[])
        .await;
    member(&app, "instructeur@departement.fr", ServiceRole::Instructeur).await;
    let mut answers = apa_answers();
    answers["piece_identite"] = app.stored_file(&"d".repeat(64), "cni.pdf", b"%PDF-1.4 identite");
    answers["avis_imposition"] = app.stored_file(&"e".repeat(64), "impots.pdf", b"%PDF-1.4 impots");
    let (id, _) = app.deposit("famille@exemple.fr", "apa", answers).await;
    let page = format!("/instruction/dossiers/{id}");
    let instructor = Browser::new(&app);
    instructor.login("instructeur@departement.fr", PASSWORD).await;
    // No expert in the service: a person without an account can still be asked.
    let html = instructor.get_html(&format!("{page}?section=avis")).await;
    assert!(html.contains("Une personne sans compte"), "{html}");

    // Neither name nor a valid address: both named, what was typed kept.
    let r = instructor
        .post_form(
            &format!("{page}?section=avis"),
            &format!("{page}/avis"),
            &[
                ("expert", "externe"),
                ("externe_email", "dr.martin@"),
                ("question", "Le maintien à domicile est-il possible ?"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("Écrivez le nom et la qualité") && html.contains("adresse électronique valide"),
        "{html}"
    );
    assert!(html.contains("value=\"dr.martin@\"") && html.contains("maintien à domicile"));

    let r = instructor
        .post_form(
            &format!("{page}?section=avis"),
            &format!("{page}/avis"),
            &[
                ("expert", "externe"),
                ("externe_nom", "Dr Martin, médecin traitant"),
                ("externe_email", "Dr.Martin@Cabinet.fr"),
                ("question", "Le maintien à domicile est-il possible ?"),
                ("document", &"d".repeat(64)),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let mail = app
        .wait_for_email("dr.martin@cabinet.fr", "Un avis vous est demandé")
        .await;
    assert!(
        !mail.body.contains("maintien"),
        "the question is not in the email"
    );
    let link = link_in(&mail.body);

    // Anyone holding the link, without an account: the question and the shared document only.
    let expert = Browser::new(&app);
    let r = expert.get(&link).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["cache-control"], "no-store");
    let html = r.text().await.unwrap();
    assert!(
        html.contains("maintien à domicile")
            && html.contains("cni.pdf")
            && !html.contains("impots.pdf")
            && html.contains("ne sert qu’une fois"),
        "{html}"
    );
    let r = expert.get(&format!("{link}/fichiers/{}", "d".repeat(64))).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.bytes().await.unwrap().as_ref(), b"%PDF-1.4 identite");
    assert_eq!(
        expert
            .get(&format!("{link}/fichiers/{}", "e".repeat(64)))
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    // A guessed link opens nothing.
    let r = expert.get("/avis/lien/pas-un-jeton").await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert!(r.text().await.unwrap().contains("Ce lien ne s’ouvre plus"));

    // An empty answer keeps the link open; the answer spends it.
    let r = expert.post_form(&link, &link, &[("reponse", " ")]).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("Écrivez votre avis"));
    let r = expert
        .post_form(
            &link,
            &link,
            &[("reponse", "Oui, avec un passage infirmier le matin.")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("votre avis est transmis")
            && !html.contains("cni.pdf")
            && html.contains("les documents transmis ne s’ouvrent plus"),
        "{html}"
    );
    let r = expert.get(&link).await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert!(r.text().await.unwrap().contains("Ce lien ne s’ouvre plus"));
    assert_eq!(
        expert
            .get(&format!("{link}/fichiers/{}", "d".repeat(64)))
            .await
            .status(),
        StatusCode::NOT_FOUND,
        "a spent link opens no document"
    );
    app.wait_for_email("instructeur@departement.fr", "Avis reçu")
        .await;

    // The instructor reads it with its author; the history names the expert.
    let html = instructor.get_html(&format!("{page}?section=avis")).await;
    assert!(
        html.contains("passage infirmier")
            && html.contains("Dr Martin, médecin traitant (expert extérieur, dr.martin@cabinet.fr)")
            && html.contains("Avis (0 en attente, 1 reçu)"),
        "{html}"
    );
    let history = instructor.get_html(&format!("{page}?section=historique")).await;
    assert!(
        history.contains("Avis d’expert reçu") && history.contains("expert extérieur"),
        "{history}"
    );
    // The answer is never shown to the usager; the read of their document is, as every traced read.
    let usager = Browser::new(&app);
    usager.login("famille@exemple.fr", PASSWORD).await;
    let mine = usager.get_html(&format!("/dossiers/{id}")).await;
    assert!(!mine.contains("passage infirmier"), "{mine}");
    assert!(
        mine.contains("Dr Martin, médecin traitant (expert extérieur, dr.martin@cabinet.fr) a consulté le document « cni.pdf »"),
        "{mine}"
    );
}

async fn a_late_link_is_replaced_by_the_reminders(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    app.create_user("famille@exemple.fr", PASSWORD, Role::Usager, &[])
        .await;
    let instructor_id = member(&app, "instructeur@departement.fr", ServiceRole::Instructeur).await;
    let (id, _) = app.deposit("famille@exemple.fr", "apa", apa_answers()).await;
    let today = chrono::Utc::now().date_naive();
    let first = guichet_accounts::tokens::random_token();
    let hash = guichet_accounts::tokens::digest(&first);
    app.pool
        .run(move |c| {
            guichet_dossiers::opinions::ask(
                c,
                &guichet_dossiers::opinions::Ask {
                    dossier_id: &id,
                    service_code: "apa",
                    asked_by: &instructor_id,
                    expert: guichet_dossiers::opinions::Expert::External {
                        name: "Mme Roche, assistante sociale",
                        email: "roche@ccas.fr",
                        link_hash: &hash,
                        expires_at: chrono::Utc::now().naive_utc() + chrono::Duration::days(30),
                    },
                    question: "La famille peut-elle aider le soir ?",
                    documents: &[],
                    due_on: today - chrono::Duration::days(1),
                },
            )
        })
        .await
        .unwrap();
    let browser = Browser::new(&app);
    let first_link = format!("/avis/lien/{first}");
    assert_eq!(browser.get(&first_link).await.status(), StatusCode::OK);
    reminded_once(&app, today).await;
    let mail = app
        .wait_for_email("roche@ccas.fr", "Rappel : un avis attendu")
        .await;
    let second = link_in(&mail.body);
    assert_ne!(second, first_link);
    assert_eq!(
        browser.get(&first_link).await.status(),
        StatusCode::NOT_FOUND,
        "the first link no longer opens"
    );
    let html = browser.get_html(&second).await;
    assert!(html.contains("La famille peut-elle aider le soir"), "{html}");
}

on_both_backends!(
    an_expert_answers_what_was_asked_and_the_usager_never_sees_it,
    a_late_opinion_is_reminded_once,
    an_expert_without_an_account_answers_once_through_a_link,
    a_late_link_is_replaced_by_the_reminders
);
