//! The MDPH's stages and the sittings of the CDAPH (issue 12; CASF L146-8, L241-3, L241-5 to L241-9):
//! recevable, the équipe pluridisciplinaire's proposals, a dated sitting and the one screen where its
//! decisions are entered, the CMI signed apart by the président du conseil départemental, the letter.

use guichet_dossiers::rights::{self, Right};
use guichet_test_support::{Backend, Browser, TestApp, on_both_backends, pdftotext_layout as pdftotext};
use guichet_types::Role;
use reqwest::StatusCode;
use serde_json::{Value, json};

const PASSWORD: &str = "une phrase de passe solide";
const USAGER: &str = "famille@exemple.fr";
const AGENT: &str = "agent.mdph@departement.fr";

/// An adult's MDPH request for AAH, RQTH, CMI invalidité and PCH (not the « demande générique »).
fn mdph_answers() -> Value {
    let mut a: Value = serde_json::from_str(include_str!(
        "../../crates/forms/tests/fixtures/mdph_complete.json"
    ))
    .unwrap();
    a["demande_generique"] = json!("non");
    a["droits_adulte"] = json!(["aah", "rqth", "cmi_invalidite", "pch"]);
    a
}

fn location(r: &reqwest::Response) -> String {
    r.headers()
        .get("location")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default()
}

fn today() -> chrono::NaiveDate {
    chrono::Utc::now().date_naive()
}

fn jj_mm_aaaa(d: chrono::NaiveDate) -> String {
    d.format("%d/%m/%Y").to_string()
}

async fn rights_of(app: &TestApp, id: &str) -> Vec<Right> {
    let id = id.to_owned();
    app.pool.run(move |c| rights::of(c, &id)).await.unwrap()
}

/// Posts a form of the dossier page with the version the page shows.
async fn on_dossier(b: &Browser<'_>, id: &str, action: &str, fields: &[(&str, &str)]) -> reqwest::Response {
    let page = format!("/instruction/dossiers/{id}");
    b.post_versioned(&page, &format!("{page}/{action}"), fields).await
}

async fn propose(b: &Browser<'_>, id: &str, code: &str, fields: &[(&str, &str)]) -> reqwest::Response {
    on_dossier(b, id, &format!("droits/{code}/proposition"), fields).await
}

/// The équipe's proposals on the four rights: AAH and RQTH granted, PCH refused, the CMI granted.
async fn propose_all(b: &Browser<'_>, id: &str) {
    for (code, fields) in [
        (
            "aah",
            vec![
                ("decision", "accord"),
                ("montant", "1 033,32"),
                ("taux", "ge80"),
                ("note", "Votre taux d’incapacité est d’au moins 80 %."),
            ],
        ),
        (
            "rqth",
            vec![
                ("decision", "accord"),
                ("note", "Votre handicap limite votre accès à l’emploi."),
            ],
        ),
        (
            "pch",
            vec![
                ("decision", "refus"),
                (
                    "note",
                    "Aucune activité essentielle n’est réalisée avec une difficulté absolue.",
                ),
            ],
        ),
        (
            "cmi_invalidite",
            vec![
                ("decision", "accord"),
                ("taux", "ge80"),
                ("note", "Taux d’au moins 80 %."),
            ],
        ),
    ] {
        let r = propose(b, id, code, &fields).await;
        assert_eq!(
            r.status(),
            StatusCode::SEE_OTHER,
            "{code}: {}",
            r.text().await.unwrap()
        );
    }
}

/// A request deposited, taken and declared recevable.
async fn recevable(app: &TestApp, agent: &Browser<'_>) -> (String, String) {
    let (id, number) = app.deposit(USAGER, "mdph", mdph_answers()).await;
    let r = on_dossier(agent, &id, "actions/prendre", &[]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let r = on_dossier(agent, &id, "recevable", &[]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "{}", r.text().await.unwrap());
    (id, number)
}

/// Creates a sitting dated `date`; returns its id.
async fn sitting(agent: &Browser<'_>, date: chrono::NaiveDate) -> String {
    let r = agent
        .post_form(
            "/instruction/commissions",
            "/instruction/commissions",
            &[
                ("service", "mdph"),
                ("date", &jj_mm_aaaa(date)),
                ("lieu", "Bobigny"),
                ("formation", "pleniere"),
                ("libelle", "Adultes"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "{}", r.text().await.unwrap());
    location(&r)
        .trim_start_matches("/instruction/commissions/")
        .to_owned()
}

async fn add_to(agent: &Browser<'_>, sid: &str, number: &str) -> reqwest::Response {
    let page = format!("/instruction/commissions/{sid}");
    agent
        .post_form(&page, &format!("{page}/dossiers"), &[("numero", number)])
        .await
}

/// The entry screen's fields for one dossier: its version and, per right, (field, value).
fn entry_fields(id: &str, version: i32, lines: &[(&str, &[(&str, &str)])]) -> Vec<(String, String)> {
    let mut out = vec![
        ("dossier".to_owned(), id.to_owned()),
        (format!("s-{id}-version"), version.to_string()),
    ];
    for (code, fields) in lines {
        out.push((format!("s-{id}-droits"), (*code).to_owned()));
        for (k, v) in *fields {
            out.push((format!("s-{id}-{code}-{k}"), (*v).to_owned()));
        }
    }
    out
}

async fn enter(
    agent: &Browser<'_>,
    sid: &str,
    fields: &[(String, String)],
    confirm: bool,
) -> reqwest::Response {
    let page = format!("/instruction/commissions/{sid}/saisie");
    let mut all: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    if confirm {
        all.push(("confirmation", "oui"));
    }
    agent.post_form(&page, &page, &all).await
}

const AAH_LINE: &[(&str, &str)] = &[
    ("decision", "accord"),
    ("montant", "1 033,32"),
    ("debut", "01/01/2027"),
    ("fin", "31/12/2031"),
    ("taux", "ge80"),
    ("motivation", "Votre taux d’incapacité est d’au moins 80 %."),
];
const RQTH_LINE: &[(&str, &str)] = &[
    ("decision", "accord"),
    ("debut", "01/01/2027"),
    ("fin", "31/12/2031"),
    ("motivation", "Votre handicap limite votre accès à l’emploi."),
];
const PCH_LINE: &[(&str, &str)] = &[
    ("decision", "refus"),
    (
        "motivation",
        "Aucune activité essentielle n’est réalisée avec une difficulté absolue (CASF annexe 2-5).",
    ),
];

async fn setup(backend: Backend) -> Option<TestApp> {
    let app = TestApp::spawn(backend).await?;
    app.create_user(USAGER, PASSWORD, Role::Usager, &[]).await;
    app.create_user(AGENT, PASSWORD, Role::Instructeur, &["mdph"])
        .await;
    Some(app)
}

async fn an_mdph_request_goes_through_the_cdaph_and_the_president(backend: Backend) {
    let Some(app) = setup(backend).await else {
        return;
    };
    let (id, number) = app.deposit(USAGER, "mdph", mdph_answers()).await;
    let mut codes: Vec<String> = rights_of(&app, &id).await.into_iter().map(|r| r.code).collect();
    codes.sort();
    assert_eq!(
        codes,
        ["aah", "cmi_invalidite", "pch", "rqth"],
        "the four rights at deposit"
    );

    let agent = Browser::new(&app);
    agent.login(AGENT, PASSWORD).await;
    let usager = Browser::new(&app);
    usager.login(USAGER, PASSWORD).await;
    let staff_page = format!("/instruction/dossiers/{id}");
    let own_page = format!("/dossiers/{id}");

    // The staff menu leads to the sittings; the per-right form is not for a CDAPH right.
    assert!(
        agent
            .get_html("/instruction")
            .await
            .contains("Commissions (CDAPH)")
    );
    assert_eq!(
        on_dossier(&agent, &id, "actions/prendre", &[]).await.status(),
        StatusCode::SEE_OTHER
    );
    let page = agent.get_html(&staff_page).await;
    assert!(page.contains("Déclarer la demande recevable"), "{page}");
    assert!(
        !page.contains("/droits/aah/decision"),
        "no decision form for the AAH: {page}"
    );
    assert!(page.contains("Décidé par la CDAPH en séance"), "{page}");
    assert!(
        page.contains("À signer par le président du conseil départemental"),
        "{page}"
    );
    let r = on_dossier(
        &agent,
        &id,
        "droits/aah/decision",
        &[
            ("decision", "accord"),
            ("motivation", "x"),
            ("confirmation", "oui"),
        ],
    )
    .await;
    assert_eq!(
        r.status(),
        StatusCode::CONFLICT,
        "a CDAPH right is not decided alone"
    );
    assert!(r.text().await.unwrap().contains("décidé par la CDAPH"));
    // A proposal before the request is recevable is refused.
    let r = propose(&agent, &id, "rqth", &[("decision", "accord"), ("note", "n")]).await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("Déclarez d’abord la demande recevable")
    );

    // 1. Recevable: the usager is told in plain words.
    assert_eq!(
        on_dossier(&agent, &id, "recevable", &[]).await.status(),
        StatusCode::SEE_OTHER
    );
    assert_eq!(app.dossier(&id).await.stage.as_deref(), Some("recevable"));
    let own = usager.get_html(&own_page).await;
    assert!(
        own.contains("Votre demande est complète : elle est étudiée par l’équipe pluridisciplinaire"),
        "{own}"
    );

    // A sitting today; the dossier cannot join it before its proposals.
    let sid = sitting(&agent, today()).await;
    let r = add_to(&agent, &sid, &number).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = r.text().await.unwrap();
    assert!(
        body.contains("ne peut pas encore être présenté à la commission")
            && body
                .contains("l’équipe pluridisciplinaire doit d’abord faire une proposition sur chaque droit")
            && body.contains("« Allocation aux adultes handicapés (AAH) »"),
        "{body}"
    );
    assert_eq!(
        app.dossier(&id).await.stage.as_deref(),
        Some("recevable"),
        "untouched"
    );

    // 2. Proposals: a missing motivation is named; then each right.
    let r = propose(&agent, &id, "aah", &[("decision", "accord"), ("taux", "ge80")]).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = r.text().await.unwrap();
    assert!(
        body.contains("Saisissez la motivation proposée pour « Allocation aux adultes handicapés (AAH) »")
            && body.contains("Saisissez le montant proposé")
            && body.contains("href=\"#proposer-aah-note\""),
        "{body}"
    );
    propose_all(&agent, &id).await;
    assert_eq!(app.dossier(&id).await.stage.as_deref(), Some("evaluation"));
    let page = agent.get_html(&staff_page).await;
    assert!(
        page.contains("Proposition de l’équipe pluridisciplinaire")
            && page.contains(
                "Accord, 1\u{202f}033,32\u{a0}€ par mois, taux d’incapacité égal ou supérieur à 80 %"
            ),
        "{page}"
    );
    let own = usager.get_html(&own_page).await;
    assert!(
        !own.contains("Aucune activité essentielle") && !own.contains("Proposition"),
        "proposals are internal: {own}"
    );

    // 3. On the sitting's agenda: the usager learns the date and place.
    let r = add_to(&agent, &sid, &number).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "{}", r.text().await.unwrap());
    assert_eq!(app.dossier(&id).await.stage.as_deref(), Some("commission"));
    let own = usager.get_html(&own_page).await;
    let day = guichet_forms::french_date(today());
    assert!(
        own.contains(&format!(
            "Votre demande sera examinée par la commission des droits et de l’autonomie des personnes handicapées (CDAPH) le {day} (lieu : Bobigny). Vous pouvez demander à la commission de vous écouter"
        )),
        "{own}"
    );
    let agenda = agent.get_html(&format!("/instruction/commissions/{sid}")).await;
    assert!(
        agenda.contains(&number) && agenda.contains("Saisir les décisions de la séance"),
        "{agenda}"
    );

    // The entry screen: the proposals prefill the decisions; the CMI is left to the president.
    let entry = agent
        .get_html(&format!("/instruction/commissions/{sid}/saisie"))
        .await;
    assert!(
        entry.contains("Les lignes sans erreur sont enregistrées"),
        "{entry}"
    );
    assert!(
        entry.contains(&format!(
            "name=\"s-{id}-aah-montant\" inputmode=\"decimal\" value=\"1033,32\""
        )),
        "{entry}"
    );
    assert!(
        entry.contains(&format!("name=\"s-{id}-pch-motivation\"")),
        "{entry}"
    );
    assert!(
        !entry.contains(&format!("s-{id}-cmi_invalidite-decision")),
        "{entry}"
    );
    assert!(
        entry.contains("À signer par le président du conseil départemental"),
        "{entry}"
    );

    // The sitting's decisions, mixed; the sitting is then held.
    let version = app.dossier(&id).await.lock_version;
    let fields = entry_fields(
        &id,
        version,
        &[("aah", AAH_LINE), ("rqth", RQTH_LINE), ("pch", PCH_LINE)],
    );
    let r = enter(&agent, &sid, &fields, true).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "{}", r.text().await.unwrap());
    assert_eq!(
        location(&r),
        format!("/instruction/commissions/{sid}?enregistres=1")
    );
    let agenda = agent.get_html(&location(&r)).await;
    assert!(agenda.contains("Tenue : décisions enregistrées"), "{agenda}");
    let rs = rights_of(&app, &id).await;
    for r in &rs {
        let expected = (r.code != "cmi_invalidite").then_some(sid.as_str());
        assert_eq!(r.session_id.as_deref(), expected, "{}", r.code);
    }
    let d = app.dossier(&id).await;
    assert_eq!(
        d.state,
        guichet_dossiers::State::EnInstruction,
        "the CMI is still to sign"
    );

    // 4. The président signs the CMI (refused) from the dossier page: the dossier is decided.
    let page = agent.get_html(&staff_page).await;
    assert!(page.contains("/droits/cmi_invalidite/decision"), "{page}");
    let r = on_dossier(
        &agent,
        &id,
        "droits/cmi_invalidite/decision",
        &[
            ("decision", "refus"),
            ("taux", "50_79"),
            (
                "motivation",
                "Votre station debout n’est pas pénible au sens de l’article L241-3.",
            ),
            ("confirmation", "oui"),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "{}", r.text().await.unwrap());
    assert_eq!(app.dossier(&id).await.state, guichet_dossiers::State::Decide);

    // The letter: each right with its decision, the sitting's date, two appeal routes.
    let r = usager.get(&format!("/dossiers/{id}/decision.pdf")).await;
    assert_eq!(r.status(), StatusCode::OK);
    if let Some(text) = pdftotext(&r.bytes().await.unwrap()) {
        let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
        for needle in [
            format!("réunie le {day}"),
            "et le président du conseil départemental, chacun pour ce qui le concerne".to_owned(),
            "Allocation aux adultes handicapés (AAH)".to_owned(),
            "1 033,32 € par mois".to_owned(),
            "égal ou supérieur à 80 %".to_owned(),
            "Reconnaissance de la qualité de travailleur handicapé (RQTH)".to_owned(),
            "Prestation de compensation du handicap (PCH)".to_owned(),
            "Aucune activité essentielle".to_owned(),
            "Carte mobilité inclusion".to_owned(),
            "pôle social du tribunal judiciaire".to_owned(),
            "tribunal administratif".to_owned(),
            "auprès du président du conseil départemental".to_owned(),
        ] {
            assert!(
                flat.contains(&needle),
                "« {needle} » missing from the letter:\n{text}"
            );
        }
        assert!(
            flat.matches("Décision : refus").count() >= 2,
            "PCH and CMI refused:\n{text}"
        );
        assert!(
            flat.matches("Décision : accord").count() >= 2,
            "AAH and RQTH granted:\n{text}"
        );
    }

    // The usager's page: each right in plain words.
    let own = usager.get_html(&own_page).await;
    assert!(
        own.contains("Accordée : 1\u{202f}033,32\u{a0}€ par mois du 1er janvier 2027 au 31 décembre 2031 (taux d’incapacité égal ou supérieur à 80 %)"),
        "{own}"
    );
    assert!(
        own.contains("Accordée : du 1er janvier 2027 au 31 décembre 2031"),
        "RQTH: {own}"
    );
    assert_eq!(own.matches("Refusée").count(), 2, "PCH and CMI: {own}");
    assert!(own.contains("votre demande est partiellement accordée"), "{own}");
}

async fn a_line_in_error_leaves_its_dossier_untouched_and_the_others_written(backend: Backend) {
    let Some(app) = setup(backend).await else {
        return;
    };
    let agent = Browser::new(&app);
    agent.login(AGENT, PASSWORD).await;
    let (a, _na) = recevable(&app, &agent).await;
    let (b, nb) = recevable(&app, &agent).await;
    propose_all(&agent, &a).await;
    propose_all(&agent, &b).await;
    let sid = sitting(&agent, today()).await;
    let page = format!("/instruction/commissions/{sid}");
    let r = agent
        .post_form(
            &page,
            &format!("{page}/dossiers"),
            &[("dossiers", &a), ("dossiers", &b)],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "{}", r.text().await.unwrap());

    let (va, vb) = (
        app.dossier(&a).await.lock_version,
        app.dossier(&b).await.lock_version,
    );
    let no_motivation: &[(&str, &str)] = &[("decision", "refus"), ("motivation", "  ")];
    let mut fields = entry_fields(
        &a,
        va,
        &[("aah", AAH_LINE), ("rqth", RQTH_LINE), ("pch", PCH_LINE)],
    );
    fields.extend(entry_fields(
        &b,
        vb,
        &[("aah", AAH_LINE), ("rqth", RQTH_LINE), ("pch", no_motivation)],
    ));

    // Without the confirmation: nothing written.
    let r = enter(&agent, &sid, &fields, false).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("Cochez la case pour confirmer"));
    assert!(rights_of(&app, &a).await.iter().all(|r| r.outcome.is_none()));

    let r = enter(&agent, &sid, &fields, true).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = r.text().await.unwrap();
    assert!(
        body.contains(&format!(
            "{nb} : Saisissez la motivation de la décision pour « Prestation de compensation du handicap (PCH) »"
        )) && body.contains(&format!("href=\"#s-{b}-pch-motivation\""))
            && body.contains("Les décisions d’un dossier sans erreur ont été enregistrées"),
        "{body}"
    );
    // What was typed comes back, the written dossier no longer has inputs.
    assert!(
        body.contains(&format!(
            "name=\"s-{b}-aah-montant\" inputmode=\"decimal\" value=\"1 033,32\""
        )),
        "{body}"
    );
    assert!(!body.contains(&format!("name=\"s-{a}-aah-montant\"")), "{body}");
    // A written, B untouched: no decision, same version.
    assert!(
        rights_of(&app, &a)
            .await
            .iter()
            .filter(|r| r.code != "cmi_invalidite")
            .all(|r| r.outcome.is_some())
    );
    assert!(
        rights_of(&app, &b)
            .await
            .iter()
            .all(|r| r.outcome.is_none() && r.session_id.is_none())
    );
    assert_eq!(app.dossier(&b).await.lock_version, vb);
    let agenda = agent.get_html(&page).await;
    assert!(
        agenda.contains("Décisions à saisir"),
        "not held while B waits: {agenda}"
    );

    // B corrected: written, the sitting held.
    let fields = entry_fields(
        &b,
        vb,
        &[("aah", AAH_LINE), ("rqth", RQTH_LINE), ("pch", PCH_LINE)],
    );
    let r = enter(&agent, &sid, &fields, true).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "{}", r.text().await.unwrap());
    assert!(
        rights_of(&app, &b)
            .await
            .iter()
            .filter(|r| r.code != "cmi_invalidite")
            .all(|r| r.outcome.is_some())
    );

    // A held sitting is not entered twice, nor does its agenda change.
    let r = enter(&agent, &sid, &fields, true).await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    assert!(r.text().await.unwrap().contains("on ne la saisit pas deux fois"));
    let (c, nc) = recevable(&app, &agent).await;
    propose_all(&agent, &c).await;
    let r = add_to(&agent, &sid, &nc).await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    assert!(r.text().await.unwrap().contains("La séance est tenue"));
}

async fn sittings_stay_within_their_service(backend: Backend) {
    let Some(app) = setup(backend).await else {
        return;
    };
    app.create_user("agent.apa@departement.fr", PASSWORD, Role::Instructeur, &["apa"])
        .await;
    app.create_user("admin@departement.fr", PASSWORD, Role::Admin, &[])
        .await;
    let agent = Browser::new(&app);
    agent.login(AGENT, PASSWORD).await;
    // A sitting tomorrow: its decisions cannot be entered yet.
    let sid = sitting(&agent, today() + chrono::Duration::days(1)).await;
    let (id, number) = recevable(&app, &agent).await;
    propose_all(&agent, &id).await;
    assert_eq!(
        add_to(&agent, &sid, &number).await.status(),
        StatusCode::SEE_OTHER
    );
    let version = app.dossier(&id).await.lock_version;
    let fields = entry_fields(
        &id,
        version,
        &[("aah", AAH_LINE), ("rqth", RQTH_LINE), ("pch", PCH_LINE)],
    );
    let r = enter(&agent, &sid, &fields, true).await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    assert!(r.text().await.unwrap().contains("n’a pas encore eu lieu"));
    assert!(rights_of(&app, &id).await.iter().all(|r| r.outcome.is_none()));

    // Neither an instructor of another service nor an administrator outside the MDPH sees them.
    for who in ["agent.apa@departement.fr", "admin@departement.fr"] {
        let other = Browser::new(&app);
        other.login(who, PASSWORD).await;
        assert!(
            !other
                .get_html("/instruction")
                .await
                .contains("Commissions (CDAPH)"),
            "{who}"
        );
        for path in [
            "/instruction/commissions".to_owned(),
            format!("/instruction/commissions/{sid}"),
            format!("/instruction/commissions/{sid}/saisie"),
        ] {
            assert_eq!(
                other.get(&path).await.status(),
                StatusCode::NOT_FOUND,
                "{who} GET {path}"
            );
        }
        let r = other
            .post_form(
                "/instruction",
                &format!("/instruction/commissions/{sid}/dossiers"),
                &[("numero", &number)],
            )
            .await;
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "{who}");
    }
    // Taken off the agenda: back to evaluation, the usager told.
    let page = format!("/instruction/commissions/{sid}");
    let version = app.dossier(&id).await.lock_version.to_string();
    let r = agent
        .post_form(
            &page,
            &format!("{page}/dossiers/{id}/retirer"),
            &[("version", &version)],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(app.dossier(&id).await.stage.as_deref(), Some("evaluation"));
    let usager = Browser::new(&app);
    usager.login(USAGER, PASSWORD).await;
    let own = usager.get_html(&format!("/dossiers/{id}")).await;
    assert!(
        own.contains("ne sera pas examinée à la séance de la commission prévue"),
        "{own}"
    );
}

async fn a_batch_puts_the_ready_dossiers_on_a_sitting(backend: Backend) {
    let Some(app) = setup(backend).await else {
        return;
    };
    let agent = Browser::new(&app);
    agent.login(AGENT, PASSWORD).await;
    let sid = sitting(&agent, today()).await;
    let (ready, ready_number) = recevable(&app, &agent).await;
    propose_all(&agent, &ready).await;
    let (early, early_number) = recevable(&app, &agent).await;
    // The batch form offers the open sitting.
    let queue = agent.get_html("/instruction?onglet=en-instruction").await;
    assert!(
        queue.contains("Inscrire à une séance de la CDAPH") && queue.contains(&format!("value=\"{sid}\"")),
        "{queue}"
    );
    let r = agent
        .post_form(
            "/instruction",
            "/instruction/lots",
            &[
                ("portee", "coches"),
                ("dossier", &ready),
                ("dossier", &early),
                ("action", "seance"),
                ("seance", &sid),
            ],
        )
        .await;
    let report = agent.finished_batch(r).await;
    assert!(
        report.contains("Terminée : 1 dossier fait, 1 refusé, sur 2"),
        "{report}"
    );
    let early_row = &report[report.find(&early_number).unwrap()..];
    assert!(
        early_row[..early_row.find("</tr>").unwrap()].contains("propos"),
        "{report}"
    );
    let agenda = agent.get_html(&format!("/instruction/commissions/{sid}")).await;
    assert!(
        agenda.contains(&ready_number) && !agenda.contains(&early_number),
        "{agenda}"
    );

    // A decision alike is refused on CDAPH rights, with the reason: they are decided at the sitting.
    let r = agent
        .post_form(
            "/instruction",
            "/instruction/lots",
            &[
                ("portee", "coches"),
                ("dossier", &early),
                ("action", "decider"),
                ("decision", "refus"),
                ("texte", "Motif"),
                ("confirmation", "1"),
            ],
        )
        .await;
    let report = agent.finished_batch(r).await;
    assert!(report.contains("décidé par la CDAPH"), "{report}");
    assert!(rights_of(&app, &early).await.iter().all(|r| r.outcome.is_none()));
}

on_both_backends!(
    an_mdph_request_goes_through_the_cdaph_and_the_president,
    a_line_in_error_leaves_its_dossier_untouched_and_the_others_written,
    sittings_stay_within_their_service,
    a_batch_puts_the_ready_dossiers_on_a_sitting,
);
