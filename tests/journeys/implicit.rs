//! Implicit decisions at the due date (issue 12 « Deadlines »): the sweep records each once, the usager is
//! emailed and may ask the reasons of a rejection (CRPA L232-4) or download the attestation of an
//! acceptance (CRPA L232-3); a complement awaited pauses the clock. Every sweep takes a moved `now`.

use chrono::{Duration, NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use guichet_db::schema::{dossier_events, dossiers};
use guichet_test_support::{Backend, Browser, TestApp, on_both_backends};
use guichet_types::Role;
use reqwest::StatusCode;
use serde_json::Value;

use crate::settings::pdftotext;

const PASSWORD: &str = "une phrase de passe solide";

fn fixture(name: &str) -> Value {
    let text = match name {
        "apa" => include_str!("../../crates/forms/tests/fixtures/apa_complete.json"),
        _ => include_str!("../../crates/forms/tests/fixtures/mdph_complete.json"),
    };
    serde_json::from_str(text).unwrap()
}

async fn sweep(app: &TestApp, now: NaiveDateTime) -> Vec<String> {
    guichet_web::implicit::sweep_once(&app.state, now).await.unwrap()
}

async fn implicit_events(app: &TestApp, id: &str) -> i64 {
    let id = id.to_owned();
    app.pool
        .run(move |c| {
            dossier_events::table
                .filter(dossier_events::dossier_id.eq(id))
                .filter(dossier_events::kind.eq("implicit_decision"))
                .count()
                .get_result::<i64>(c)
                .map_err(guichet_db::DbError::from)
        })
        .await
        .unwrap()
}

/// Posts an action form of the instructor's dossier page (with the version the page showed).
async fn act(b: &Browser<'_>, id: &str, action: &str, fields: &[(&str, &str)]) -> reqwest::Response {
    let page = format!("/instruction/dossiers/{id}");
    b.post_versioned(&page, &format!("{page}/actions/{action}"), fields)
        .await
}

fn french(d: NaiveDate) -> String {
    guichet_forms::french_date(d)
}

async fn an_mdph_dossier_past_due_is_implicitly_rejected_once_and_its_reasons_can_be_asked(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    app.create_user("karim@exemple.fr", PASSWORD, Role::Usager, &[])
        .await;
    app.create_user(
        "agent.mdph@departement.fr",
        PASSWORD,
        Role::Instructeur,
        &["mdph"],
    )
    .await;
    let (id, number) = app.deposit("karim@exemple.fr", "mdph", fixture("mdph")).await;
    let due = app.dossier(&id).await.due_at.unwrap();

    assert!(
        sweep(&app, due - Duration::hours(1)).await.is_empty(),
        "not yet due"
    );
    assert_eq!(sweep(&app, due + Duration::days(1)).await, vec![id.clone()]);
    // Once: a second sweep, here or in another process, records nothing.
    assert!(sweep(&app, due + Duration::days(2)).await.is_empty());
    let cli = std::process::Command::new(env!("CARGO_BIN_EXE_guichet"))
        .args(["implicit", "--now"])
        .arg((due + Duration::days(3)).format("%Y-%m-%dT%H:%M:%S").to_string())
        .env("GUICHET_DATA_DIR", app.data_dir.path())
        .env("GUICHET_DATABASE_URL", app.pool_url())
        .env("GUICHET_FORMS_DIR", guichet_test_support::forms_dir())
        .output()
        .unwrap();
    assert!(cli.status.success(), "{}", String::from_utf8_lossy(&cli.stderr));
    assert!(
        String::from_utf8_lossy(&cli.stdout).contains("0 décision implicite enregistrée"),
        "{}",
        String::from_utf8_lossy(&cli.stdout)
    );
    assert_eq!(implicit_events(&app, &id).await, 1);
    let d = app.dossier(&id).await;
    assert_eq!(d.implicit_at, Some(due));
    assert_eq!(
        d.state,
        guichet_dossiers::State::Depose,
        "the dossier stays where it was"
    );

    let mail = app.wait_for_email("karim@exemple.fr", "réputée refusée").await;
    assert!(mail.subject.contains(&number), "{mail:?}");
    for words in [
        format!("au plus tard le {}", french(due.date())),
        "refus implicite".to_owned(),
        "R241-33".to_owned(),
        "Demander les motifs du refus".to_owned(),
        format!("/dossiers/{id}"),
    ] {
        assert!(mail.body.contains(&words), "{words}: {}", mail.body);
    }

    let usager = Browser::new(&app);
    usager.login("karim@exemple.fr", PASSWORD).await;
    let page = usager.get_html(&format!("/dossiers/{id}")).await;
    let headline = format!("Décision implicite de rejet le {}", french(due.date()));
    assert!(
        page.contains(&headline)
            && page.contains("réputée refusée")
            && page.contains("Demander les motifs du refus")
            && !page.contains("Réponse attendue")
            && !page.contains("attestation-decision-implicite"),
        "{page}"
    );
    // No attestation of a rejection.
    let r = usager
        .get(&format!("/dossiers/{id}/attestation-decision-implicite.pdf"))
        .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);

    // Someone else cannot ask for this dossier.
    app.create_user("autre@exemple.fr", PASSWORD, Role::Usager, &[])
        .await;
    let other = Browser::new(&app);
    other.login("autre@exemple.fr", PASSWORD).await;
    let r = other
        .post_form("/mes-dossiers", &format!("/dossiers/{id}/motifs"), &[])
        .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);

    let dossier_page = format!("/dossiers/{id}");
    let r = usager
        .post_form(&dossier_page, &format!("/dossiers/{id}/motifs"), &[])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let today = chrono::Utc::now().date_naive();
    let by = today.checked_add_months(chrono::Months::new(1)).unwrap();
    let page = usager.get_html(&dossier_page).await;
    assert!(
        page.contains(&format!(
            "Vous avez demandé les motifs du refus le {} : le service doit les communiquer au plus tard le {}",
            french(today),
            french(by)
        )) && !page.contains("Demander les motifs du refus</button>"),
        "{page}"
    );
    assert!(
        page.contains("Motifs du refus implicite demandés"),
        "timeline: {page}"
    );
    // Asked once.
    let r = usager
        .post_form(&dossier_page, &format!("/dossiers/{id}/motifs"), &[])
        .await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    assert!(r.text().await.unwrap().contains("déjà demandé les motifs"));

    // The request reaches the back office as a message; the instructor sees the implicit decision.
    let agent = Browser::new(&app);
    agent.login("agent.mdph@departement.fr", PASSWORD).await;
    let staff = agent.get_html(&format!("/instruction/dossiers/{id}")).await;
    assert!(
        staff.contains(&headline)
            && staff.contains("Je demande la communication des motifs du refus implicite")
            && staff.contains(&format!("au plus tard le {}", french(by)))
            && staff.contains("L232-4")
            && staff.contains("décision implicite enregistrée"),
        "{staff}"
    );
    let queue = agent.get_html("/instruction").await;
    assert!(queue.contains(&number) && queue.contains(&headline), "{queue}");
    // An explicit decision stays possible: the dossier can be taken and its rights proposed, then decided
    // at a CDAPH sitting (tests/journeys/cdaph.rs).
    assert_eq!(
        act(&agent, &id, "prendre", &[]).await.status(),
        StatusCode::SEE_OTHER
    );
    let staff = agent.get_html(&format!("/instruction/dossiers/{id}")).await;
    assert!(
        staff.contains("/proposition\"") || staff.contains("/recevable\""),
        "instruction forms: {staff}"
    );
}

async fn an_apa_dossier_past_due_gets_the_flat_amount_and_its_attestation(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    app.create_user("famille@exemple.fr", PASSWORD, Role::Usager, &[])
        .await;
    app.create_user("agent.apa@departement.fr", PASSWORD, Role::Instructeur, &["apa"])
        .await;
    let (id, number) = app.deposit("famille@exemple.fr", "apa", fixture("apa")).await;
    // A dossier of this autumn: deposited on 20 September 2026, complete on the 25th, due two months
    // later (CASF L232-14: from the complete file).
    let at = |m, d| {
        NaiveDate::from_ymd_opt(2026, m, d)
            .unwrap()
            .and_hms_opt(10, 0, 0)
            .unwrap()
    };
    let (deposited, complete, due) = (at(9, 20), at(9, 25), at(11, 25));
    let did = id.clone();
    app.pool
        .run(move |c| {
            diesel::update(dossiers::table.find(did))
                .set((
                    dossiers::deposited_at.eq(Some(deposited)),
                    dossiers::due_at.eq(Some(due)),
                ))
                .execute(c)
                .map_err(guichet_db::DbError::from)
        })
        .await
        .unwrap();
    // The APA clock starts at the complete file: not recorded complete, nothing is due.
    assert!(sweep(&app, due + Duration::days(3)).await.is_empty());
    let did = id.clone();
    app.pool
        .run(move |c| {
            diesel::update(dossiers::table.find(did))
                .set(dossiers::complete_at.eq(Some(complete)))
                .execute(c)
                .map_err(guichet_db::DbError::from)
        })
        .await
        .unwrap();
    assert_eq!(sweep(&app, due + Duration::days(3)).await, vec![id.clone()]);
    assert!(sweep(&app, due + Duration::days(4)).await.is_empty());

    let mail = app
        .wait_for_email("famille@exemple.fr", "accordée à titre provisoire")
        .await;
    let body = mail.body.replace(['\u{a0}', '\u{202f}'], " ");
    assert!(
        body.contains("montant forfaitaire de 1 040,17 € par mois")
            && body.contains("au plus tard le 25 novembre 2026")
            && body.contains("attestation"),
        "{body}"
    );

    let usager = Browser::new(&app);
    usager.login("famille@exemple.fr", PASSWORD).await;
    let page = usager.get_html(&format!("/dossiers/{id}")).await;
    assert!(
        page.contains("Télécharger l’attestation de décision implicite (PDF)")
            && page.contains("Décision implicite d’acceptation le 25 novembre 2026")
            && !page.contains("Demander les motifs du refus"),
        "{page}"
    );
    let r = usager
        .get(&format!("/dossiers/{id}/attestation-decision-implicite.pdf"))
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["content-type"], "application/pdf");
    let pdf = r.bytes().await.unwrap();
    if let Some(text) = pdftotext(&pdf) {
        for words in [
            "attestation de décision implicite",
            "Attribution provisoire depuis le 25 novembre 2026",
            "Montant forfaitaire : 1 040,17 € par mois",
            "Demande déposée le 20 septembre 2026",
            "Dossier complet le 25 septembre 2026",
            "dans le délai de deux mois",
            "L232-14",
            "L232-3",
            number.as_str(),
            "Département de démonstration",
            "Camille Martin",
        ] {
            assert!(text.contains(words), "{words}: {text}");
        }
    }
    // No reasons to ask of an acceptance.
    let r = usager
        .post_form(&format!("/dossiers/{id}"), &format!("/dossiers/{id}/motifs"), &[])
        .await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    // Another usager gets nothing.
    app.create_user("autre@exemple.fr", PASSWORD, Role::Usager, &[])
        .await;
    let other = Browser::new(&app);
    other.login("autre@exemple.fr", PASSWORD).await;
    let r = other
        .get(&format!("/dossiers/{id}/attestation-decision-implicite.pdf"))
        .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);

    // The instructor is told what deciding now means.
    let agent = Browser::new(&app);
    agent.login("agent.apa@departement.fr", PASSWORD).await;
    let staff = agent.get_html(&format!("/instruction/dossiers/{id}")).await;
    assert!(
        staff.contains("Décision implicite d’acceptation le 25 novembre 2026")
            && staff.contains("encart--important")
            && staff.contains("L232-14"),
        "{staff}"
    );
}

async fn a_complement_awaited_pauses_the_clock_and_moves_the_due_date(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    app.create_user("karim@exemple.fr", PASSWORD, Role::Usager, &[])
        .await;
    app.create_user(
        "agent.mdph@departement.fr",
        PASSWORD,
        Role::Instructeur,
        &["mdph"],
    )
    .await;
    let (id, _) = app.deposit("karim@exemple.fr", "mdph", fixture("mdph")).await;
    let due = app.dossier(&id).await.due_at.unwrap();
    let agent = Browser::new(&app);
    agent.login("agent.mdph@departement.fr", PASSWORD).await;
    assert_eq!(
        act(&agent, &id, "prendre", &[]).await.status(),
        StatusCode::SEE_OTHER
    );
    let r = act(
        &agent,
        &id,
        "complement",
        &[("message", "Merci de joindre le dernier avis d’imposition.")],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    // Awaiting the usager: never swept, however late.
    assert!(sweep(&app, due + Duration::days(100)).await.is_empty());

    // The usager answers 20 days after the request.
    let did = id.clone();
    app.pool
        .run(move |c| {
            diesel::update(dossiers::table.find(did))
                .set(dossiers::clock_paused_at.eq(Some(guichet_db::now() - Duration::days(20))))
                .execute(c)
                .map_err(guichet_db::DbError::from)
        })
        .await
        .unwrap();
    let d = app.dossier(&id).await;
    let input = guichet_dossiers::instruction::Resubmission {
        answers: d.answers.clone(),
        applicant_name: d.applicant_name.clone(),
        payload: serde_json::json!({}),
        rights: Vec::new(),
    };
    let (did, owner) = (d.id.clone(), d.owner_id.clone());
    app.pool
        .run(move |c| guichet_dossiers::instruction::resubmit(c, &did, &owner, &input, None))
        .await
        .unwrap();
    let moved = app.dossier(&id).await.due_at.unwrap();
    let shift = moved - due;
    assert!(
        shift >= Duration::days(20) && shift < Duration::days(20) + Duration::minutes(5),
        "{shift:?}"
    );

    assert!(
        sweep(&app, due + Duration::days(10)).await.is_empty(),
        "within the moved date"
    );
    assert_eq!(sweep(&app, due + Duration::days(21)).await, vec![id.clone()]);
    let d = app.dossier(&id).await;
    assert_eq!(d.implicit_at, Some(moved));
    assert_eq!(d.state, guichet_dossiers::State::EnInstruction);
    let staff = agent.get_html(&format!("/instruction/dossiers/{id}")).await;
    assert!(
        staff.contains(&format!(
            "Décision implicite de rejet le {}",
            french(moved.date())
        )),
        "{staff}"
    );
}

on_both_backends!(
    an_mdph_dossier_past_due_is_implicitly_rejected_once_and_its_reasons_can_be_asked,
    an_apa_dossier_past_due_gets_the_flat_amount_and_its_attestation,
    a_complement_awaited_pauses_the_clock_and_moves_the_due_date,
);
