//! The instructors' back office and the usager's side of instruction.

use guichet_test_support::{
    Backend, Browser, SmtpServer, TestApp, hidden_value, on_both_backends, pdftotext,
};
use guichet_types::Role;
use reqwest::StatusCode;
use secrecy::SecretString;
use serde_json::{Value, json};

const PASSWORD: &str = "une phrase de passe solide";

fn apa_answers() -> Value {
    serde_json::from_str(include_str!(
        "../../crates/forms/tests/fixtures/apa_complete.json"
    ))
    .unwrap()
}

fn location(r: &reqwest::Response) -> String {
    r.headers()
        .get("location")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default()
}

/// The APA service's tab counts as the queue page reads them (à traiter, en instruction, complément,
/// traités), after checking that the trigger-kept counters equal a real count of the dossiers.
pub(crate) async fn apa_tabs(app: &TestApp) -> [i64; 4] {
    use guichet_dossiers::instruction::{self, Count, QueueFilter, Tab};
    counters_match(app).await;
    let f = QueueFilter::new(Some(vec!["apa".into()]), [Tab::ATraiter]);
    let counts = app
        .pool
        .run(move |c| instruction::tab_counts(c, &f))
        .await
        .unwrap();
    let mut out = [0; 4];
    for (i, (_, n)) in counts.iter().enumerate() {
        out[i] = match n {
            Count::Exact(n) => *n,
            Count::MoreThan(_) => panic!("counters are exact"),
        };
    }
    out
}

/// `queue_counts` (kept by triggers) holds exactly what counting the dossiers gives.
pub(crate) async fn counters_match(app: &TestApp) {
    use diesel::prelude::*;
    use guichet_db::schema::{dossiers, queue_counts};
    type Key = (String, String, String, bool, i64);
    let (mut kept, mut real) = app
        .pool
        .run(|c| {
            let kept: Vec<Key> = queue_counts::table
                .filter(queue_counts::n.ne(0))
                .select((
                    queue_counts::service_code,
                    queue_counts::procedure,
                    queue_counts::state,
                    queue_counts::complement_demande,
                    queue_counts::n,
                ))
                .load(c)?;
            let real: Vec<Key> = dossiers::table
                .filter(dossiers::state.ne("brouillon"))
                .group_by((
                    dossiers::service_code,
                    dossiers::procedure,
                    dossiers::state,
                    dossiers::complement_demande,
                ))
                .select((
                    dossiers::service_code,
                    dossiers::procedure,
                    dossiers::state,
                    dossiers::complement_demande,
                    diesel::dsl::count_star(),
                ))
                .load(c)?;
            Ok::<_, guichet_db::DbError>((kept, real))
        })
        .await
        .unwrap();
    kept.sort();
    real.sort();
    assert_eq!(kept, real, "trigger-kept counters against a real count");
}

/// Posts an action form of the instructor's dossier page (with the version the page showed).
async fn act(b: &Browser<'_>, id: &str, action: &str, fields: &[(&str, &str)]) -> reqwest::Response {
    let page = format!("/instruction/dossiers/{id}");
    b.post_versioned(&page, &format!("{page}/actions/{action}"), fields)
        .await
}

/// Decides one right of a dossier through its form on the dossier page.
async fn decide(b: &Browser<'_>, id: &str, code: &str, fields: &[(&str, &str)]) -> reqwest::Response {
    let page = format!("/instruction/dossiers/{id}");
    b.post_versioned(&page, &format!("{page}/droits/{code}/decision"), fields)
        .await
}

/// The codes of a dossier's rights still to decide.
async fn open_rights(app: &TestApp, id: &str) -> Vec<String> {
    let id = id.to_owned();
    app.pool
        .run(move |c| guichet_dossiers::rights::of(c, &id))
        .await
        .unwrap()
        .into_iter()
        .filter(guichet_dossiers::rights::Right::is_open)
        .map(|r| r.code)
        .collect()
}

async fn deposit_take_complement_answer_accept(backend: Backend) {
    let Some(smtp) = SmtpServer::start(0) else { return };
    let Some(app) = TestApp::spawn_with(backend, |c| c.smtp_url = Some(SecretString::from(smtp.url()))).await
    else {
        return;
    };
    app.create_user("famille@exemple.fr", PASSWORD, Role::Usager, &[])
        .await;
    app.create_user("agent.apa@departement.fr", PASSWORD, Role::Instructeur, &["apa"])
        .await;
    let (id, number) = app.deposit("famille@exemple.fr", "apa", apa_answers()).await;
    let mail = smtp.wait_for("famille@exemple.fr", &number).await;
    assert!(mail.subject.contains("Demande reçue"), "{mail:?}");
    assert_eq!(apa_tabs(&app).await, [1, 0, 0, 0], "deposited: à traiter");

    let agent = Browser::new(&app);
    agent.login("agent.apa@departement.fr", PASSWORD).await;
    let queue = agent.get_html("/instruction").await;
    assert!(
        queue.contains(&number) && queue.contains("Jeanne Marie Durand"),
        "{queue}"
    );

    // Take, then ask for a complement.
    assert_eq!(
        act(&agent, &id, "prendre", &[]).await.status(),
        StatusCode::SEE_OTHER
    );
    let r = act(
        &agent,
        &id,
        "complement",
        &[
            ("pieces", "piece_identite"),
            ("message", "La copie est illisible."),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(apa_tabs(&app).await, [0, 0, 1, 0], "complement asked");
    let mail = smtp.wait_for("famille@exemple.fr", "à compléter").await;
    // The items, but not the instructor's words: those are read in the usager's space (review I4).
    assert!(
        mail.body.contains("Pièce d’identité")
            && !mail.body.contains("illisible")
            && mail.body.contains("lisez-le dans votre dossier")
            && mail.body.contains(&number),
        "{}",
        mail.body
    );

    // The usager sees exactly what is missing, adds a new document and sends it.
    let usager = Browser::new(&app);
    usager.login("famille@exemple.fr", PASSWORD).await;
    let page = usager.get_html(&format!("/dossiers/{id}")).await;
    assert!(
        page.contains("Pièce d’identité")
            && page.contains("illisible")
            && page.contains("Compléter mon dossier")
    );
    // « Compléter mon dossier » leads to a page listing only what was asked, not the whole form again.
    let asked = usager.get_html(&format!("/dossiers/{id}/complement")).await;
    assert!(
        asked.contains("Ajouter le document : Pièce d’identité")
            && asked.contains("À faire")
            && asked.contains("La copie est illisible.")
            && !asked.contains("Avis d’imposition"),
        "{asked}"
    );
    assert!(page.contains(&format!("/dossiers/{id}/complement")), "{page}");
    assert!(
        page.contains("Action requise : votre dossier est incomplet"),
        "{page}"
    );
    let step = format!("/dossiers/{id}/etapes/pieces");
    let html = usager.get_html(&step).await;
    let token = guichet_test_support::csrf_token(&html).unwrap();
    let pdf = reqwest::multipart::Part::bytes(b"%PDF-1.4\n%%EOF\n".to_vec())
        .file_name("cni-lisible.pdf")
        .mime_str("application/pdf")
        .unwrap();
    let form = reqwest::multipart::Form::new()
        .text("csrf_token", token)
        .text("action", "supprimer:piece_identite:sha256-1");
    assert_eq!(
        usager
            .client
            .post(app.url(&step))
            .multipart(form)
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
    let html = usager.get_html(&step).await;
    let token = guichet_test_support::csrf_token(&html).unwrap();
    let form = reqwest::multipart::Form::new()
        .text("csrf_token", token)
        .text("action", "continuer")
        .part("piece_identite", pdf);
    let r = usager
        .client
        .post(app.url(&step))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "{}", r.text().await.unwrap());
    let asked = usager.get_html(&format!("/dossiers/{id}/complement")).await;
    assert!(asked.contains("Fait") && !asked.contains("À faire"), "{asked}");
    // The usager opens the new document to check it before sending it (it is in the changes not yet
    // sent, not in the deposited answers).
    let sha = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(b"%PDF-1.4\n%%EOF\n"));
    let href = format!("/dossiers/{id}/fichiers/{sha}");
    let html = usager.get_html(&step).await;
    assert!(
        html.contains(&format!(
            "href=\"{href}\">Voir le fichier cni-lisible.pdf (PDF, 1 Ko)"
        )),
        "{html}"
    );
    let file = usager.get(&href).await;
    assert_eq!(file.status(), StatusCode::OK);
    assert!(
        file.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("inline")
    );
    // Not visible to the instructor before it is sent.
    assert!(
        !agent
            .get_html(&format!("/instruction/dossiers/{id}"))
            .await
            .contains("cni-lisible.pdf")
    );
    let r = usager
        .post_form(
            &format!("/dossiers/{id}/verifier"),
            &format!("/dossiers/{id}/renvoyer"),
            &[],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);

    // The dossier stays with its instructor, en instruction, flagged: no second « take » (review bug 3).
    assert_eq!(
        apa_tabs(&app).await,
        [0, 1, 0, 0],
        "complement answered: back en instruction, never « à traiter »"
    );
    let page = agent.get_html(&format!("/instruction/dossiers/{id}")).await;
    assert!(page.contains("cni-lisible.pdf"), "{page}");
    assert!(page.contains("complément reçu"), "{page}");
    assert!(
        page.contains("Complément reçu : ce qui a changé")
            && page.contains("nouveau document « cni-lisible.pdf »"),
        "new documents are marked new: {page}"
    );
    assert!(!page.contains("Prendre en charge ce dossier"), "{page}");
    let own = usager.get_html(&format!("/dossiers/{id}")).await;
    assert!(
        own.contains("En cours d’examen") && !own.contains("pas encore été prise en charge"),
        "{own}"
    );
    let rights = open_rights(&app, &id).await;
    assert_eq!(
        rights.first().map(String::as_str),
        Some("apa_domicile"),
        "{rights:?}"
    );
    let r = decide(
        &agent,
        &id,
        "apa_domicile",
        &[
            ("decision", "accord"),
            ("montant", "1 201,61"),
            ("fin", "2027-11-30"),
            ("confirmation", "oui"),
        ],
    )
    .await;
    assert_eq!(
        r.status(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "a decision needs its motivation"
    );
    let page = r.text().await.unwrap();
    assert!(
        page.contains("value=\"1 201,61\"") && page.contains("value=\"2027-11-30\""),
        "typed values are kept"
    );
    assert!(
        !page.contains("missing field"),
        "no developer error (review bug 4)"
    );
    // Health data (APA marks some answers sensitive) was shown several times to the same agent today:
    // one trace for the usager, not one per page load.
    let own = usager.get_html(&format!("/dossiers/{id}")).await;
    assert_eq!(own.matches("a consulté votre dossier").count(), 1, "{own}");
    assert!(
        own.contains("Qui a consulté vos données de santé") && own.contains("Camille Test"),
        "the reader is named"
    );
    // Without the confirmation box, nothing is decided.
    let r = decide(
        &agent,
        &id,
        "apa_domicile",
        &[
            ("decision", "accord"),
            ("montant", "1 201,61"),
            ("debut", "2026-12-01"),
            ("motivation", "GIR 2."),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(open_rights(&app, &id).await.len(), rights.len());
    let r = decide(
        &agent,
        &id,
        "apa_domicile",
        &[
            ("decision", "accord"),
            ("montant", "1 201,61"),
            ("debut", "2026-12-01"),
            ("fin", "2028-12-31"),
            (
                "motivation",
                "Perte d’autonomie GIR 2 confirmée par l’évaluation à domicile.",
            ),
            ("confirmation", "oui"),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    // Any other right the answers requested (the CMI asked on the APA form) is decided too.
    for code in open_rights(&app, &id).await {
        let r = decide(
            &agent,
            &id,
            &code,
            &[
                ("decision", "sans_objet"),
                ("motivation", "Carte déjà détenue."),
                ("confirmation", "oui"),
            ],
        )
        .await;
        assert_eq!(
            r.status(),
            StatusCode::SEE_OTHER,
            "{code}: {}",
            r.text().await.unwrap()
        );
    }
    assert_eq!(apa_tabs(&app).await, [0, 0, 0, 1], "decided: traités");
    let mail = smtp.wait_for("famille@exemple.fr", "décision").await;
    assert!(mail.body.contains("rendue"), "{}", mail.body);

    // The usager sees the decision and downloads the letter.
    let page = usager.get_html(&format!("/dossiers/{id}")).await;
    assert!(
        page.contains("Accordée : 1\u{202f}201,61\u{a0}€ par mois du 1er décembre 2026 au 31 décembre 2028")
            && page.contains("encart--succes")
            && !page.contains("Réponse attendue"),
        "{page}"
    );
    // The letter's text is on the page too, for screen readers.
    assert!(
        page.contains("Lire le courrier de décision sur cette page")
            && page.contains("Voies et délais de recours"),
        "{page}"
    );
    let r = usager.get(&format!("/dossiers/{id}/decision.pdf")).await;
    assert_eq!(r.status(), StatusCode::OK);
    if let Some(text) = pdftotext(&r.bytes().await.unwrap()) {
        assert!(text.contains("201,61") && text.contains(&number), "{text}");
        assert!(text.to_lowercase().contains("recours"), "{text}");
        // Review bug 5: the addressee has a postal address and the place line a place.
        assert!(
            text.contains("12 rue de la République") && text.contains("93200 Saint-Denis"),
            "postal address: {text}"
        );
        assert!(text.contains("Démoville, le "), "place and date: {text}");
        assert!(
            !text.lines().any(|l| l.trim_start().starts_with(", le")),
            "{text}"
        );
        assert!(
            text.contains("Madame,") && text.contains("Camille Martin"),
            "civility and signatory: {text}"
        );
    }
    // The timeline shows every step to both sides; the complement paused the clock.
    let page = usager.get_html(&format!("/dossiers/{id}")).await;
    for e in [
        "Demande envoyée",
        "Complément demandé",
        "Complément envoyé",
        "Décision rendue",
    ] {
        assert!(page.contains(e), "{e}");
    }
}

/// Reviews a document through its form on the dossier page.
async fn review(b: &Browser<'_>, id: &str, file: &str, avis: &str) -> reqwest::Response {
    let page = format!("/instruction/dossiers/{id}");
    b.post_form(
        &page,
        &format!("/instruction/dossiers/{id}/pieces/{file}/avis"),
        &[("avis", avis)],
    )
    .await
}

async fn documents_are_reviewed_and_only_missing_or_rejected_ones_are_asked(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    app.create_user("famille@exemple.fr", PASSWORD, Role::Usager, &[])
        .await;
    app.create_user("agent.apa@departement.fr", PASSWORD, Role::Instructeur, &["apa"])
        .await;
    let (id, _) = app.deposit("famille@exemple.fr", "apa", apa_answers()).await;
    let agent = Browser::new(&app);
    agent.login("agent.apa@departement.fr", PASSWORD).await;
    assert_eq!(
        act(&agent, &id, "prendre", &[]).await.status(),
        StatusCode::SEE_OTHER
    );
    // The identity card is unreadable, the tax notice fine.
    assert_eq!(
        review(&agent, &id, "sha256-1", "illisible").await.status(),
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        review(&agent, &id, "sha256-2", "accepte").await.status(),
        StatusCode::SEE_OTHER
    );
    // A file the dossier does not hold, or no verdict: refused.
    assert_eq!(
        review(&agent, &id, "sha256-999", "accepte").await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        review(&agent, &id, "sha256-3", "peut-etre").await.status(),
        StatusCode::UNPROCESSABLE_ENTITY
    );
    let page = agent.get_html(&format!("/instruction/dossiers/{id}")).await;
    assert!(
        page.contains("Rejeté : illisible") && page.contains("Accepté"),
        "{page}"
    );
    // The complement form: the rejected one ticked with its reason, the accepted one not offered.
    let form_start = page.find("Documents manquants").unwrap();
    let form = &page[form_start..];
    assert!(form.contains("value=\"piece_identite\" checked"), "{form}");
    assert!(form.contains("Pièce d’identité (illisible)"), "{form}");
    assert!(
        !form.contains("value=\"avis_imposition\""),
        "an accepted document is offered again"
    );
    // Asking it anyway (a stale form) is refused in French.
    let r = act(&agent, &id, "complement", &[("pieces", "avis_imposition")]).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("a déjà été accepté"));
    // The usager never sees the review.
    let usager = Browser::new(&app);
    usager.login("famille@exemple.fr", PASSWORD).await;
    let own = usager.get_html(&format!("/dossiers/{id}")).await;
    assert!(!own.contains("illisible") && !own.contains("Rejeté"), "{own}");
    // The review is traced in the back office's history.
    assert!(
        agent
            .get_html(&format!("/instruction/dossiers/{id}"))
            .await
            .contains("Avis sur un document")
    );
}

async fn a_complement_awaited_moves_the_due_date_on_both_sides(backend: Backend) {
    use diesel::prelude::*;
    use guichet_db::schema::dossiers as t;
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    app.create_user("famille@exemple.fr", PASSWORD, Role::Usager, &[])
        .await;
    app.create_user("agent.apa@departement.fr", PASSWORD, Role::Instructeur, &["apa"])
        .await;
    let (id, number) = app.deposit("famille@exemple.fr", "apa", apa_answers()).await;
    let agent = Browser::new(&app);
    agent.login("agent.apa@departement.fr", PASSWORD).await;
    assert_eq!(
        act(&agent, &id, "prendre", &[]).await.status(),
        StatusCode::SEE_OTHER
    );
    // APA: the two months run from the complete dossier (CASF L232-14).
    let html = agent.get_html(&format!("/instruction/dossiers/{id}")).await;
    let version = hidden_value(&html, "version").unwrap();
    let today = chrono::Utc::now().date_naive().format("%d/%m/%Y").to_string();
    let r = agent
        .post_form(
            &format!("/instruction/dossiers/{id}"),
            &format!("/instruction/dossiers/{id}/apa/complet"),
            &[("version", version.as_str()), ("date", today.as_str())],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "{}", r.text().await.unwrap());
    let r = act(
        &agent,
        &id,
        "complement",
        &[("pieces", "rib"), ("message", "RIB illisible.")],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    // The request was made ten days ago: the clock has been paused since.
    let i2 = id.clone();
    let due = app
        .pool
        .run(move |c| {
            let ago = guichet_db::now() - chrono::Duration::days(10);
            diesel::update(t::table.find(&i2))
                .set(t::clock_paused_at.eq(Some(ago)))
                .execute(c)?;
            t::table
                .find(&i2)
                .select(t::due_at)
                .first::<Option<chrono::NaiveDateTime>>(c)
                .map_err(guichet_db::DbError::from)
        })
        .await
        .unwrap()
        .unwrap();
    let moved = guichet_forms::french_date((due + chrono::Duration::days(10)).date());
    let stored = guichet_forms::french_date(due.date());
    let usager = Browser::new(&app);
    usager.login("famille@exemple.fr", PASSWORD).await;
    let own = usager.get_html(&format!("/dossiers/{id}")).await;
    assert!(
        // Whole cells: « 12 février » contains « 2 février ».
        own.contains(&format!("<dd>{moved}</dd>")) && !own.contains(&format!("<dd>{stored}</dd>")),
        "usager: {moved} expected: {own}"
    );
    let back = agent.get_html(&format!("/instruction/dossiers/{id}")).await;
    assert!(
        back.contains(&moved) && back.contains("délai suspendu depuis le"),
        "back office: {back}"
    );
    let queue = agent.get_html("/instruction?onglet=complement-demande").await;
    assert!(
        queue.contains(&number) && queue.contains(&moved),
        "queue: {queue}"
    );
    assert!(queue.contains("Complément demandé le"), "the date asked: {queue}");
    // Answered: the stored due date moves by the wait, and the dossier stays with its instructor.
    let r = usager
        .post_form(
            &format!("/dossiers/{id}/complement"),
            &format!("/dossiers/{id}/renvoyer"),
            &[],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let i3 = id.clone();
    let (new_due, state, assigned, paused) = app
        .pool
        .run(move |c| {
            t::table
                .find(&i3)
                .select((t::due_at, t::state, t::assigned_to, t::clock_paused_at))
                .first::<(
                    Option<chrono::NaiveDateTime>,
                    String,
                    Option<String>,
                    Option<chrono::NaiveDateTime>,
                )>(c)
                .map_err(guichet_db::DbError::from)
        })
        .await
        .unwrap();
    let shift = new_due.unwrap() - due;
    assert!(
        shift >= chrono::Duration::days(10)
            && shift < chrono::Duration::days(10) + chrono::Duration::minutes(5),
        "{shift}"
    );
    assert_eq!(state, "en_instruction");
    assert!(assigned.is_some() && paused.is_none());
    assert_eq!(apa_tabs(&app).await, [0, 1, 0, 0]);
}

/// A request made by a legal representative: the letter goes to them, with their quality, and a copy to
/// the beneficiary; an unassigned dossier says « Personne »; private notes are listed (review bugs 12, 13).
async fn the_letter_goes_to_the_representative_with_a_copy(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    app.create_user("famille@exemple.fr", PASSWORD, Role::Usager, &[])
        .await;
    app.create_user("agent.apa@departement.fr", PASSWORD, Role::Instructeur, &["apa"])
        .await;
    let mut answers = apa_answers();
    answers["mesure_protection"] = json!("tutelle");
    answers["representant_nom"] = json!("Association tutélaire du 93");
    answers["representant_adresse"] = json!("5 avenue Jean Jaurès\n93100 Montreuil");
    answers["representant_telephone"] = json!("0148000001");
    answers["jugement_protection"] = json!([{ "id": "sha256-9", "name": "jugement.pdf", "size": 90000, "content_type": "application/pdf" }]);
    let (id, _) = app.deposit("famille@exemple.fr", "apa", answers).await;
    let agent = Browser::new(&app);
    agent.login("agent.apa@departement.fr", PASSWORD).await;
    let page = agent.get_html(&format!("/instruction/dossiers/{id}")).await;
    assert!(
        page.contains("<dt>Affecté à</dt><dd>Personne</dd>"),
        "bug 12: {page}"
    );
    let r = agent
        .post_form(
            &format!("/instruction/dossiers/{id}"),
            &format!("/instruction/dossiers/{id}/notes"),
            &[("note", "Fille très présente, appeler le matin.")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let page = agent.get_html(&format!("/instruction/dossiers/{id}")).await;
    let notes = &page[page.find("Notes internes").unwrap()..];
    assert!(
        notes.contains("Fille très présente, appeler le matin."),
        "bug 13: {notes}"
    );
    assert_eq!(
        act(&agent, &id, "prendre", &[]).await.status(),
        StatusCode::SEE_OTHER
    );
    for code in open_rights(&app, &id).await {
        let r = decide(
            &agent,
            &id,
            &code,
            &[
                ("decision", "refus"),
                ("taux", "lt50"),
                ("motivation", "GIR 5 : pas de droit à l’APA (CASF L232-2)."),
                ("confirmation", "oui"),
            ],
        )
        .await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{}", r.text().await.unwrap());
    }
    let r = agent
        .get(&format!("/instruction/dossiers/{id}/decision.pdf"))
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    if let Some(text) = pdftotext(&r.bytes().await.unwrap()) {
        assert!(text.contains("Association tutélaire du 93"), "{text}");
        assert!(
            text.contains("5 avenue Jean Jaurès") && text.contains("93100 Montreuil"),
            "{text}"
        );
        assert!(text.contains("en qualité de"), "quality: {text}");
        assert!(
            text.contains("Copie") && text.contains("12 rue de la République"),
            "copy: {text}"
        );
        assert!(text.contains("Décision : refus"), "{text}");
    }
}

/// The instructor corrects the rights a request asks: adds one the équipe found fitting, withdraws one
/// recorded by mistake (with a reason, traced for both sides); the last one cannot be withdrawn.
async fn an_instructor_adds_and_withdraws_a_right_with_a_trace(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    app.create_user("famille@exemple.fr", PASSWORD, Role::Usager, &[])
        .await;
    app.create_user(
        "agent.mdph@departement.fr",
        PASSWORD,
        Role::Instructeur,
        &["mdph"],
    )
    .await;
    let mut answers: Value = serde_json::from_str(include_str!(
        "../../crates/forms/tests/fixtures/mdph_complete.json"
    ))
    .unwrap();
    answers["droits_adulte"] = json!(["aah"]);
    let (id, _) = app.deposit("famille@exemple.fr", "mdph", answers).await;
    assert_eq!(
        open_rights(&app, &id).await,
        ["aah"],
        "the answers request the AAH only"
    );
    let agent = Browser::new(&app);
    agent.login("agent.mdph@departement.fr", PASSWORD).await;
    assert_eq!(
        act(&agent, &id, "prendre", &[]).await.status(),
        StatusCode::SEE_OTHER
    );
    let page = format!("/instruction/dossiers/{id}");
    // Add the RQTH.
    let r = agent
        .post_versioned(&page, &format!("{page}/droits"), &[("droit", "rqth")])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(open_rights(&app, &id).await, ["aah", "rqth"]);
    // A right the procedure does not have: a French error, nothing added.
    let r = agent
        .post_versioned(&page, &format!("{page}/droits"), &[("droit", "inconnu")])
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    // Withdraw the AAH: a reason is needed.
    let r = agent
        .post_versioned(&page, &format!("{page}/droits/aah/retirer"), &[("motif", " ")])
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let r = agent
        .post_versioned(
            &page,
            &format!("{page}/droits/aah/retirer"),
            &[("motif", "Demande faite par erreur, confirmé par téléphone.")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(open_rights(&app, &id).await, ["rqth"]);
    // The last right cannot be withdrawn: the dossier would be closed instead.
    let r = agent
        .post_versioned(
            &page,
            &format!("{page}/droits/rqth/retirer"),
            &[("motif", "Plus de demande.")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    assert!(r.text().await.unwrap().contains("classez le dossier sans suite"));
    // Both sides see the corrections.
    let html = agent.get_html(&page).await;
    assert!(
        html.contains("Droit ajouté : Reconnaissance") && html.contains("Droit retiré : Allocation"),
        "{html}"
    );
    let usager = Browser::new(&app);
    usager.login("famille@exemple.fr", PASSWORD).await;
    let own = usager.get_html(&format!("/dossiers/{id}")).await;
    assert!(own.contains("Droit ajouté à la demande par le service"), "{own}");
    assert!(own.contains("Droit retiré de la demande par le service"), "{own}");
    // The RQTH is the CDAPH's: it is decided at a sitting (tests/journeys/cdaph.rs), not from this form.
    let r = decide(
        &agent,
        &id,
        "rqth",
        &[
            ("decision", "accord"),
            ("debut", "01/01/2027"),
            ("motivation", "Capacités de travail réduites."),
            ("confirmation", "oui"),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("Ce droit est décidé par la CDAPH")
    );
    assert_eq!(open_rights(&app, &id).await, ["rqth"], "nothing was decided");
}

async fn two_instructors_cannot_both_win(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    app.create_user("famille@exemple.fr", PASSWORD, Role::Usager, &[])
        .await;
    app.create_user("a@departement.fr", PASSWORD, Role::Instructeur, &["apa"])
        .await;
    app.create_user("b@departement.fr", PASSWORD, Role::Instructeur, &["apa"])
        .await;
    let (id, _) = app.deposit("famille@exemple.fr", "apa", apa_answers()).await;
    let (a, b) = (Browser::new(&app), Browser::new(&app));
    a.login("a@departement.fr", PASSWORD).await;
    b.login("b@departement.fr", PASSWORD).await;
    // Both open the page, then both act on what they saw.
    let page = format!("/instruction/dossiers/{id}");
    let (ha, hb) = (a.get_html(&page).await, b.get_html(&page).await);
    let (va, vb) = (
        hidden_value(&ha, "version").unwrap(),
        hidden_value(&hb, "version").unwrap(),
    );
    let ta = guichet_test_support::csrf_token(&ha).unwrap();
    let tb = guichet_test_support::csrf_token(&hb).unwrap();
    let ra = a
        .client
        .post(app.url(&format!("{page}/actions/prendre")))
        .form(&[("csrf_token", ta.as_str()), ("version", va.as_str())])
        .send()
        .await
        .unwrap();
    let rb = b
        .client
        .post(app.url(&format!("{page}/actions/prendre")))
        .form(&[("csrf_token", tb.as_str()), ("version", vb.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(ra.status(), StatusCode::SEE_OTHER);
    assert_eq!(rb.status(), StatusCode::CONFLICT);
    assert!(rb.text().await.unwrap().contains("modifié par quelqu’un d’autre"));
}

/// A POST case of the matrix: path, form fields, expected status per role.
type PostCase<'a> = (String, Vec<(&'a str, &'a str)>, [u16; 6]);

/// Every route that touches a dossier or a role × every role: nothing leaks, and a guessed id finds
/// nothing. Public pages (home, sign-up, simulators…) answer everybody alike and are covered elsewhere.
async fn authorization_matrix(backend: Backend) {
    use sha2::Digest;
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    app.create_user("owner@exemple.fr", PASSWORD, Role::Usager, &[])
        .await;
    app.create_user("other@exemple.fr", PASSWORD, Role::Usager, &[])
        .await;
    app.create_user("apa@departement.fr", PASSWORD, Role::Instructeur, &["apa"])
        .await;
    app.create_user("mdph@departement.fr", PASSWORD, Role::Instructeur, &["mdph"])
        .await;
    app.create_user("admin@departement.fr", PASSWORD, Role::Admin, &[])
        .await;
    // A real stored file behind the identity document of the dossier.
    let bytes = b"%PDF-1.4\nmatrice\n%%EOF\n".to_vec();
    let sha = hex::encode(sha2::Sha256::digest(&bytes));
    let dir = app.data_dir.path().join("fichiers").join(&sha[..2]);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(&sha), &bytes).unwrap();
    let mut answers = apa_answers();
    answers["piece_identite"][0]["id"] = Value::String(sha.clone());
    let (id, number) = app.deposit("owner@exemple.fr", "apa", answers).await;

    let roles = ["anonymous", "owner", "other", "apa", "mdph", "admin"];
    let mut browsers = Vec::new();
    for r in roles {
        let b = Browser::new(&app);
        if r != "anonymous" {
            let email = match r {
                "owner" | "other" => format!("{r}@exemple.fr"),
                _ => format!("{r}@departement.fr"),
            };
            b.login(&email, PASSWORD).await;
        }
        browsers.push(b);
    }
    let guess = "00000000-0000-4000-8000-000000000000";
    // (path, expected status per role in the order above)
    let gets: Vec<(String, [u16; 6])> = vec![
        ("/mes-dossiers".into(), [303, 200, 200, 200, 200, 200]),
        (format!("/dossiers/{id}"), [303, 200, 404, 404, 404, 404]),
        (
            format!("/dossiers/{id}/confirmation"),
            [303, 200, 404, 404, 404, 404],
        ),
        (
            format!("/dossiers/{id}/recepisse.pdf"),
            [303, 200, 404, 404, 404, 404],
        ),
        (
            format!("/dossiers/{id}/decision.pdf"),
            [303, 404, 404, 404, 404, 404],
        ),
        (
            format!("/dossiers/{id}/fichiers/{sha}"),
            [303, 200, 404, 404, 404, 404],
        ),
        (format!("/dossiers/{id}/verifier"), [303, 200, 404, 404, 404, 404]),
        (format!("/dossiers/{id}/taches"), [303, 303, 404, 404, 404, 404]),
        (
            format!("/dossiers/{id}/etapes/identite"),
            [303, 200, 404, 404, 404, 404],
        ),
        ("/instruction".into(), [303, 403, 403, 200, 200, 200]),
        ("/instruction/export.csv".into(), [303, 403, 403, 200, 200, 200]),
        ("/instruction/export.xlsx".into(), [303, 403, 403, 200, 200, 200]),
        ("/instruction/export.ods".into(), [303, 403, 403, 200, 200, 200]),
        ("/instruction/statistiques".into(), [303, 403, 403, 200, 200, 200]),
        (
            format!("/instruction/dossiers/{id}"),
            [303, 403, 403, 200, 404, 200],
        ),
        (
            format!("/instruction/dossiers/{id}/recepisse.pdf"),
            [303, 403, 403, 200, 404, 200],
        ),
        (
            format!("/instruction/dossiers/{id}/decision.pdf"),
            [303, 403, 403, 404, 404, 404],
        ),
        (
            format!("/instruction/dossiers/{id}/fichiers/{sha}"),
            [303, 403, 403, 200, 404, 200],
        ),
        (
            format!("/instruction/dossiers/{id}/pieces.zip"),
            [303, 403, 403, 200, 404, 200],
        ),
        (
            "/instruction/export/colonnes?procedure=apa".into(),
            [303, 403, 403, 200, 404, 200],
        ),
        (
            "/instruction/notifications".into(),
            [303, 403, 403, 200, 200, 200],
        ),
        ("/avis".into(), [303, 403, 403, 200, 200, 200]),
        ("/instruction/exports".into(), [303, 403, 403, 200, 200, 200]),
        (
            format!("/instruction/exports/{guess}"),
            [303, 403, 403, 404, 404, 404],
        ),
        (format!("/avis/{guess}"), [303, 403, 403, 404, 404, 404]),
        (
            format!("/instruction/lots/{guess}"),
            [303, 403, 403, 404, 404, 404],
        ),
        ("/admin".into(), [303, 403, 403, 403, 403, 200]),
        (
            "/admin/identite/apercu.pdf".into(),
            [303, 403, 403, 403, 403, 200],
        ),
        // A guessed one-time link opens nothing, whoever holds it (the page needs no account).
        (format!("/avis/lien/{guess}"), [404, 404, 404, 404, 404, 404]),
        (
            format!("/avis/lien/{guess}/fichiers/{sha}"),
            [404, 404, 404, 404, 404, 404],
        ),
        // A guessed id: nothing, for everyone.
        (format!("/dossiers/{guess}"), [303, 404, 404, 404, 404, 404]),
        (
            format!("/dossiers/{guess}/recepisse.pdf"),
            [303, 404, 404, 404, 404, 404],
        ),
        (
            format!("/instruction/dossiers/{guess}"),
            [303, 403, 403, 404, 404, 404],
        ),
    ];
    for (path, expected) in &gets {
        for (i, b) in browsers.iter().enumerate() {
            let r = b.get(path).await;
            let status = r.status().as_u16();
            assert_eq!(status, expected[i], "GET {path} as {}", roles[i]);
            let body = r.bytes().await.unwrap();
            let body = String::from_utf8_lossy(&body);
            if status != 200 || roles[i] == "mdph" || roles[i] == "other" {
                assert!(
                    !body.contains(&number) && !body.contains("Jeanne Marie Durand"),
                    "GET {path} as {} leaks the dossier",
                    roles[i]
                );
            }
        }
    }
    // State-changing routes. Each form is sent incomplete on purpose where the role may act (422/400/409),
    // so that one role's success does not change what the next one sees.
    let posts: Vec<PostCase<'_>> = vec![
        (
            format!("/instruction/dossiers/{id}/actions/classer"),
            vec![("version", "0")],
            [303, 403, 403, 422, 404, 422],
        ),
        (
            format!("/instruction/dossiers/{id}/droits/apa_domicile/decision"),
            vec![("version", "0")],
            [303, 403, 403, 422, 404, 422],
        ),
        (
            format!("/instruction/dossiers/{id}/affecter"),
            vec![("version", "pas un nombre")],
            [303, 403, 403, 400, 404, 400],
        ),
        (
            format!("/instruction/dossiers/{guess}/actions/prendre"),
            vec![("version", "0")],
            [303, 403, 403, 404, 404, 404],
        ),
        (
            format!("/instruction/dossiers/{id}/notes"),
            vec![("note", "x")],
            [303, 403, 403, 303, 404, 303],
        ),
        (
            format!("/instruction/dossiers/{id}/messages"),
            vec![("message", "x")],
            [303, 403, 403, 303, 404, 303],
        ),
        (
            format!("/dossiers/{id}/messages"),
            vec![("message", "x")],
            [303, 303, 404, 404, 404, 404],
        ),
        (
            format!("/dossiers/{id}/etapes/identite"),
            vec![("action", "continuer")],
            [303, 422, 404, 404, 404, 404],
        ),
        (
            format!("/dossiers/{id}/deposer"),
            vec![],
            [303, 409, 404, 404, 404, 404],
        ),
        (
            format!("/dossiers/{guess}/deposer"),
            vec![],
            [303, 404, 404, 404, 404, 404],
        ),
        (
            "/admin/services".into(),
            vec![("code", ""), ("nom", "")],
            [303, 403, 403, 403, 403, 422],
        ),
        (
            "/admin/membres".into(),
            vec![("email", "x"), ("service", "apa")],
            [303, 403, 403, 403, 403, 422],
        ),
        (
            "/admin/orientation".into(),
            vec![("demarche", "apa")],
            [303, 403, 403, 403, 403, 422],
        ),
        (
            "/admin/orientation/retirer".into(),
            vec![("regle", guess)],
            [303, 403, 403, 403, 403, 404],
        ),
        (
            "/admin/orientation/monter".into(),
            vec![("regle", guess)],
            [303, 403, 403, 403, 403, 404],
        ),
        (
            "/admin/identite/apercu".into(),
            vec![("nom", " ")],
            [303, 403, 403, 403, 403, 422],
        ),
    ];
    for (path, fields, expected) in &posts {
        for (i, b) in browsers.iter().enumerate() {
            // Any page with a form gives the token: the login form, or the logout button once logged in.
            let form_page = if roles[i] == "anonymous" {
                "/connexion"
            } else {
                "/mentions-legales"
            };
            let r = b.post_form(form_page, path, fields).await;
            assert_eq!(r.status().as_u16(), expected[i], "POST {path} as {}", roles[i]);
            if roles[i] == "anonymous" {
                assert!(location(&r).starts_with("/connexion"));
            }
            let body = r.text().await.unwrap();
            if roles[i] == "mdph" || roles[i] == "other" {
                assert!(
                    !body.contains(&number),
                    "POST {path} as {} leaks the dossier",
                    roles[i]
                );
            }
        }
    }
    // An answer to a guessed one-time link: refused for everyone, anonymous included.
    for (i, b) in browsers.iter().enumerate() {
        let form_page = if roles[i] == "anonymous" {
            "/connexion"
        } else {
            "/mentions-legales"
        };
        let r = b
            .post_form(form_page, &format!("/avis/lien/{guess}"), &[("reponse", "x")])
            .await;
        assert_eq!(r.status().as_u16(), 404, "POST a guessed link as {}", roles[i]);
    }
    // The notes posted by staff never reach the usager's page.
    let owner_page = browsers[1].get_html(&format!("/dossiers/{id}")).await;
    assert!(!owner_page.contains("Note interne"));
}

async fn keyset_pages_walk_the_whole_queue(backend: Backend) {
    use guichet_dossiers::instruction::{self, Cursor, QueueFilter, Tab};
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    app.create_user("famille@exemple.fr", PASSWORD, Role::Usager, &[])
        .await;
    let mut ids = Vec::new();
    for _ in 0..5 {
        ids.push(app.deposit("famille@exemple.fr", "apa", apa_answers()).await.0);
    }
    // One dossier without a legal deadline: it comes last.
    let last = ids[2].clone();
    let l2 = last.clone();
    app.pool
        .run(move |c| {
            use diesel::prelude::*;
            diesel::update(guichet_db::schema::dossiers::table.find(&l2))
                .set(guichet_db::schema::dossiers::due_at.eq(None::<chrono::NaiveDateTime>))
                .execute(c)
                .map_err(guichet_db::DbError::from)
        })
        .await
        .unwrap();
    let mut seen: Vec<String> = Vec::new();
    let mut after: Option<Cursor> = None;
    for _ in 0..10 {
        let mut f = QueueFilter::new(Some(vec!["apa".into()]), [Tab::ATraiter]);
        f.limit = 2;
        f.after = after.clone();
        let page = app.pool.run(move |c| instruction::queue(c, &f)).await.unwrap();
        if page.is_empty() {
            break;
        }
        after = page.last().map(|d| d.cursor());
        seen.extend(page.into_iter().map(|d| d.id));
    }
    assert_eq!(seen.len(), 5, "every dossier once: {seen:?}");
    let mut unique = seen.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), 5);
    assert_eq!(seen.last(), Some(&last), "no deadline sorts last");
}

async fn statistics_and_open_data(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    app.create_user("famille@exemple.fr", PASSWORD, Role::Usager, &[])
        .await;
    app.create_user("agent@departement.fr", PASSWORD, Role::Instructeur, &["apa"])
        .await;
    // 12 deposited APA requests: above the publication threshold; 1 decided.
    let mut ids = Vec::new();
    for _ in 0..12 {
        ids.push(app.deposit("famille@exemple.fr", "apa", apa_answers()).await.0);
    }
    let agent = Browser::new(&app);
    agent.login("agent@departement.fr", PASSWORD).await;
    assert_eq!(
        act(&agent, &ids[0], "prendre", &[]).await.status(),
        StatusCode::SEE_OTHER
    );
    for code in open_rights(&app, &ids[0]).await {
        let r = decide(
            &agent,
            &ids[0],
            &code,
            &[
                ("decision", "refus"),
                // Asked only by the rights that have one (the CMI).
                ("taux", "lt50"),
                ("motivation", "GIR 5 : pas de droit à l’APA (CASF L232-2)."),
                ("confirmation", "oui"),
            ],
        )
        .await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{}", r.text().await.unwrap());
    }

    let page = agent.get_html("/instruction/statistiques").await;
    assert!(
        page.contains("Statistiques") && page.contains("<td>11</td>"),
        "11 deposited, 1 decided: {page}"
    );
    assert!(page.contains("0 jours"), "a same-day decision: {page}");

    // Public, anonymous: 11 deposited shown, the single refusal suppressed.
    let anon = Browser::new(&app);
    let csv = anon.get_html("/donnees.csv").await;
    let month = chrono::Utc::now().format("%Y-%m").to_string();
    assert!(csv.contains(&format!("{month};Demande d’allocation personnalisée d’autonomie (APA) à domicile;Envoyé : en attente de prise en charge;11")), "{csv}");
    assert!(csv.contains("Décision rendue;<11"), "{csv}");
    assert!(!csv.contains("Durand"));
    let html = anon.get_html("/donnees").await;
    assert!(html.contains("moins de 11"));
    // People read the month in words (« juin 2026 »), machines the CSV's `2026-06`.
    let words = guichet_documents::french::month(&month);
    assert!(
        html.contains(&format!("<td data-label=\"Mois de dépôt\">{words}</td>")),
        "{html}"
    );
    // The statistics page is for staff only.
    assert_eq!(
        anon.get("/instruction/statistiques").await.status(),
        StatusCode::SEE_OTHER
    );
}

async fn the_streamed_export_lists_the_queue(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    app.create_user("famille@exemple.fr", PASSWORD, Role::Usager, &[])
        .await;
    app.create_user("agent@departement.fr", PASSWORD, Role::Instructeur, &["apa"])
        .await;
    let mut numbers = Vec::new();
    for _ in 0..3 {
        numbers.push(app.deposit("famille@exemple.fr", "apa", apa_answers()).await.1);
    }
    let agent = Browser::new(&app);
    agent.login("agent@departement.fr", PASSWORD).await;
    let r = agent.get("/instruction/export.csv?onglet=a-traiter").await;
    assert_eq!(r.status(), StatusCode::OK);
    let csv = r.text().await.unwrap();
    assert_eq!(csv.lines().count(), 4, "{csv}");
    for n in &numbers {
        assert!(csv.contains(n.as_str()));
    }
    // Search by number and by name without accents or case.
    let page = agent
        .get_html(&format!("/instruction?recherche={}", numbers[1]))
        .await;
    assert!(page.contains(&numbers[1]) && !page.contains(&numbers[0]));
    let page = agent.get_html("/instruction?recherche=JEANNE%20marie").await;
    assert!(page.contains(&numbers[0]) && page.contains(&numbers[2]));
    // A search's tab counts are those of its matches.
    for (search, expected) in [
        (numbers[1].clone(), 1),
        ("jeanne MARIE".to_owned(), 3),
        ("Zorglub".to_owned(), 0),
    ] {
        use guichet_dossiers::instruction::{self, Count, QueueFilter, Tab};
        let mut f = QueueFilter::new(Some(vec!["apa".into()]), [Tab::ATraiter]);
        f.search = Some(search.clone());
        let counts = app
            .pool
            .run(move |c| instruction::tab_counts(c, &f))
            .await
            .unwrap();
        let counts: Vec<Count> = counts.into_iter().map(|(_, n)| n).collect();
        assert_eq!(counts, [expected, 0, 0, 0].map(Count::Exact).to_vec(), "{search}");
    }
}

async fn an_admin_adds_an_agent_to_a_service(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    app.create_user("admin@departement.fr", PASSWORD, Role::Admin, &["apa"])
        .await;
    app.create_user("nouvel.agent@departement.fr", PASSWORD, Role::Usager, &[])
        .await;
    let admin = Browser::new(&app);
    admin.login("admin@departement.fr", PASSWORD).await;
    let r = admin
        .post_form(
            "/admin",
            "/admin/services",
            &[
                ("code", "mdph"),
                ("nom", "Maison départementale des personnes handicapées"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let r = admin
        .post_form(
            "/admin",
            "/admin/membres",
            &[("email", "nouvel.agent@departement.fr"), ("service", "mdph")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let r = admin
        .post_form(
            "/admin",
            "/admin/membres",
            &[("email", "personne@departement.fr"), ("service", "mdph")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let agent = Browser::new(&app);
    agent.login("nouvel.agent@departement.fr", PASSWORD).await;
    assert_eq!(agent.get("/instruction").await.status(), StatusCode::OK);
    assert_eq!(agent.get("/admin").await.status(), StatusCode::FORBIDDEN);
}

async fn messages_with_attachments_go_both_ways(backend: Backend) {
    let Some(smtp) = SmtpServer::start(0) else { return };
    let Some(app) = TestApp::spawn_with(backend, |c| c.smtp_url = Some(SecretString::from(smtp.url()))).await
    else {
        return;
    };
    app.create_user("famille@exemple.fr", PASSWORD, Role::Usager, &[])
        .await;
    app.create_user("agent@departement.fr", PASSWORD, Role::Instructeur, &["apa"])
        .await;
    let (id, number) = app.deposit("famille@exemple.fr", "apa", apa_answers()).await;
    let (agent, usager) = (Browser::new(&app), Browser::new(&app));
    agent.login("agent@departement.fr", PASSWORD).await;
    usager.login("famille@exemple.fr", PASSWORD).await;

    let send = |b: &Browser<'_>,
                page: String,
                action: String,
                text: &'static str,
                file: Option<(&'static str, Vec<u8>)>| {
        let client = b.client.clone();
        let app_url = app.address.clone();
        async move {
            let html = guichet_test_support::get_text(&client, format!("{app_url}{page}")).await;
            let token = guichet_test_support::csrf_token(&html).unwrap();
            let mut form = reqwest::multipart::Form::new()
                .text("csrf_token", token)
                .text("message", text);
            if let Some((name, bytes)) = file {
                form = form.part(
                    "piece_jointe",
                    reqwest::multipart::Part::bytes(bytes).file_name(name),
                );
            }
            client
                .post(format!("{app_url}{action}"))
                .multipart(form)
                .send()
                .await
                .unwrap()
        }
    };
    let staff_page = format!("/instruction/dossiers/{id}");
    let own_page = format!("/dossiers/{id}");
    let r = send(
        &agent,
        staff_page.clone(),
        format!("{staff_page}/messages"),
        "Voici le modèle d’attestation à signer.",
        Some(("modele.pdf", b"%PDF-1.4\n%%EOF\n".to_vec())),
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let mail = smtp.wait_for("famille@exemple.fr", "nouveau message").await;
    assert!(
        mail.body.contains(&number) && !mail.body.contains("attestation"),
        "the text stays on the platform"
    );

    let page = usager.get_html(&own_page).await;
    assert!(page.contains("Voici le modèle") && page.contains("modele.pdf"));
    let href = page
        .split("href=\"")
        .find(|h| h.contains("/pieces-jointes/"))
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_owned();
    let r = usager.get(&href).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.bytes().await.unwrap().starts_with(b"%PDF"));
    // Another usager cannot fetch it.
    app.create_user("autre@exemple.fr", PASSWORD, Role::Usager, &[])
        .await;
    let other = Browser::new(&app);
    other.login("autre@exemple.fr", PASSWORD).await;
    assert_eq!(other.get(&href).await.status(), StatusCode::NOT_FOUND);

    // A refused file keeps the text typed.
    let r = send(
        &usager,
        own_page.clone(),
        format!("{own_page}/messages"),
        "Je joins l’attestation signée.",
        Some(("signee.exe", b"MZ\x90\0program".to_vec())),
    )
    .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("signee.exe") && html.contains("Je joins l’attestation signée."),
        "{html}"
    );
    let r = send(
        &usager,
        own_page.clone(),
        format!("{own_page}/messages"),
        "Je joins l’attestation signée.",
        Some(("signee.png", b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec())),
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let page = agent.get_html(&staff_page).await;
    assert!(page.contains("Je joins l’attestation signée.") && page.contains("signee.png"));
}

on_both_backends!(
    messages_with_attachments_go_both_ways,
    deposit_take_complement_answer_accept,
    documents_are_reviewed_and_only_missing_or_rejected_ones_are_asked,
    a_complement_awaited_moves_the_due_date_on_both_sides,
    the_letter_goes_to_the_representative_with_a_copy,
    an_instructor_adds_and_withdraws_a_right_with_a_trace,
    two_instructors_cannot_both_win,
    authorization_matrix,
    statistics_and_open_data,
    keyset_pages_walk_the_whole_queue,
    the_streamed_export_lists_the_queue,
    an_admin_adds_an_agent_to_a_service,
);
