//! The APA stages (CASF L232-14, R232-7): dossier complet, home evaluation (AGGIR grid, GIR computed),
//! care plan proposed, the usager's answer online (accept, changes then a definitive plan, refusal, or
//! silence for ten days), and the decision prefilled from the accepted plan.

use chrono::{Duration, NaiveDate};
use guichet_dossiers::apa::{Response, Stage};
use guichet_dossiers::rights::Outcome;
use guichet_simulation::aggir::{self, Grid, Modality};
use guichet_simulation::apa::ApaResources;
use guichet_simulation::care_plan::{self, CarePlan, Help, HelpKind};
use guichet_test_support::{Backend, Browser, TestApp, on_both_backends, pdftotext};
use guichet_types::{Euros, Role};
use reqwest::StatusCode;
use serde_json::Value;

const PASSWORD: &str = "une phrase de passe solide";
const USAGER: &str = "famille@exemple.fr";
const AGENT: &str = "agent.apa@departement.fr";

/// The APA fixture; without the CMI when `cmi` is false (then the APA is the dossier's only right).
fn answers(cmi: bool) -> Value {
    let mut v: Value = serde_json::from_str(include_str!(
        "../../crates/forms/tests/fixtures/apa_complete.json"
    ))
    .unwrap();
    if !cmi {
        let o = v.as_object_mut().unwrap();
        o.insert("demande_cmi".into(), Value::from("non"));
        o.remove("cmi_mentions");
    }
    v
}

fn today() -> NaiveDate {
    chrono::Utc::now().date_naive()
}

fn fr(d: NaiveDate) -> String {
    d.format("%d/%m/%Y").to_string()
}

/// A grid of a person who needs help for most gestures: GIR 1 to 4 (asserted where used).
fn grid_modalities() -> Vec<(&'static str, Modality)> {
    use Modality::{B, C};
    vec![
        ("coherence_communication", B),
        ("coherence_comportement", B),
        ("orientation_temps", B),
        ("orientation_espace", B),
        ("toilette_haut", C),
        ("toilette_bas", C),
        ("habillage_haut", C),
        ("habillage_moyen", C),
        ("habillage_bas", C),
        ("alimentation_se_servir", B),
        ("alimentation_manger", B),
        ("elimination_urinaire", B),
        ("elimination_fecale", B),
        ("transferts", B),
        ("deplacements_interieur", B),
        ("deplacements_exterieur", C),
        ("alerter", B),
    ]
}

fn grid() -> Grid {
    let mut g = Grid::default();
    for (k, m) in grid_modalities() {
        aggir::set(&mut g, k, m).unwrap();
    }
    g
}

/// The helps of the first proposal, as the form types them and as the simulation takes them.
/// A line of the plan form: kind, label, quantity, unit price.
type Line = (&'static str, &'static str, &'static str, &'static str);

fn helps() -> (Vec<Line>, Vec<Help>) {
    let typed = vec![
        ("aide_humaine", "Aide à la toilette et aux repas", "40", "24,58"),
        ("teleassistance", "", "1", "30"),
        ("portage", "Repas du midi", "20", "8,50"),
    ];
    let simulated = vec![
        Help {
            kind: HelpKind::AideHumaine,
            label: "Aide à la toilette et aux repas".into(),
            quantity_per_month: 40.0,
            unit_price_cents: 2458,
        },
        Help {
            kind: HelpKind::Teleassistance,
            label: String::new(),
            quantity_per_month: 1.0,
            unit_price_cents: 3000,
        },
        Help {
            kind: HelpKind::Portage,
            label: "Repas du midi".into(),
            quantity_per_month: 20.0,
            unit_price_cents: 850,
        },
    ];
    (typed, simulated)
}

/// The fixture's resources read by hand (not through the definition): revenu fiscal 18 500 €, a flat
/// not let (valeur locative 1 200 €), savings of 25 000 €; a widow, so no couple.
fn fixture_resources() -> ApaResources {
    ApaResources {
        ressources: None,
        revenus_annuels: Some(Euros::parse("18500").unwrap()),
        valeur_locative_bati: Some(Euros::parse("1200").unwrap()),
        valeur_locative_non_bati: None,
        capitaux: Some(Euros::parse("25000").unwrap()),
    }
}

/// An amount as the decision field takes it (`1201,61`).
fn field_amount(cents: i64) -> String {
    format!("{},{:02}", cents / 100, cents % 100)
}

async fn plans(app: &TestApp, id: &str) -> Vec<guichet_dossiers::apa::Plan> {
    let id = id.to_owned();
    app.pool
        .run(move |c| guichet_dossiers::apa::plans_of(c, &id))
        .await
        .unwrap()
}

async fn apa_right(app: &TestApp, id: &str) -> guichet_dossiers::rights::Right {
    let id = id.to_owned();
    app.pool
        .run(move |c| guichet_dossiers::rights::of(c, &id))
        .await
        .unwrap()
        .into_iter()
        .find(|r| r.code == "apa_domicile")
        .unwrap()
}

async fn event_kinds(app: &TestApp, id: &str) -> Vec<(String, Option<String>)> {
    let id = id.to_owned();
    app.pool
        .run(move |c| guichet_dossiers::store::events(c, &id, false))
        .await
        .unwrap()
        .into_iter()
        .map(|e| (e.kind, e.actor_id))
        .collect()
}

struct Setup {
    app: TestApp,
    id: String,
    number: String,
}

/// A deposited APA request, taken by the APA instructor.
async fn taken(backend: Backend, cmi: bool) -> Option<Setup> {
    let app = TestApp::spawn(backend).await?;
    app.create_user(USAGER, PASSWORD, Role::Usager, &[]).await;
    app.create_user(AGENT, PASSWORD, Role::Instructeur, &["apa"])
        .await;
    let (id, number) = app.deposit(USAGER, "apa", answers(cmi)).await;
    Some(Setup { app, id, number })
}

async fn take(agent: &Browser<'_>, id: &str) {
    let page = format!("/instruction/dossiers/{id}");
    let r = agent
        .post_versioned(&page, &format!("{page}/actions/prendre"), &[])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
}

async fn record_complete(agent: &Browser<'_>, id: &str, on: NaiveDate) -> reqwest::Response {
    let page = format!("/instruction/dossiers/{id}");
    agent
        .post_versioned(&page, &format!("{page}/apa/complet"), &[("date", &fr(on))])
        .await
}

/// The evaluation form's fields for a grid (some sub-variables may be left out).
fn evaluation_fields(visit: &str, evaluator: &str, leave_out: &[&str]) -> Vec<(String, String)> {
    let mut f = vec![
        ("visite".to_owned(), visit.to_owned()),
        ("evaluateur".to_owned(), evaluator.to_owned()),
    ];
    for (k, m) in grid_modalities() {
        if !leave_out.contains(&k) {
            f.push((format!("apa-{k}"), m.letter().to_string()));
        }
    }
    f
}

async fn record_evaluation(agent: &Browser<'_>, id: &str, fields: &[(String, String)]) -> reqwest::Response {
    let page = format!("/instruction/dossiers/{id}/apa/evaluation");
    let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    agent.post_versioned(&page, &page, &fields).await
}

/// The plan form's fields for these lines, with its button.
fn plan_fields(lines: &[(&str, &str, &str, &str)], action: &str) -> Vec<(String, String)> {
    let mut f = vec![
        ("lignes".to_owned(), lines.len().max(5).to_string()),
        ("action".to_owned(), action.to_owned()),
    ];
    for (i, (kind, label, q, p)) in lines.iter().enumerate() {
        let n = i + 1;
        f.push((format!("aide-{n}-type"), (*kind).to_owned()));
        f.push((format!("aide-{n}-libelle"), (*label).to_owned()));
        f.push((format!("aide-{n}-quantite"), (*q).to_owned()));
        f.push((format!("aide-{n}-prix"), (*p).to_owned()));
    }
    f
}

async fn submit_plan(agent: &Browser<'_>, id: &str, fields: &[(String, String)]) -> reqwest::Response {
    let page = format!("/instruction/dossiers/{id}/apa/plan");
    let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    agent.post_versioned(&page, &page, &fields).await
}

async fn answer(b: &Browser<'_>, id: &str, version: i32, fields: &[(&str, &str)]) -> reqwest::Response {
    b.post_form(
        &format!("/dossiers/{id}"),
        &format!("/dossiers/{id}/apa/plan/{version}/reponse"),
        fields,
    )
    .await
}

/// Taken, complete, evaluated with the full grid, the first plan proposed.
async fn to_proposal(agent: &Browser<'_>, id: &str) {
    take(agent, id).await;
    assert_eq!(
        record_complete(agent, id, today()).await.status(),
        StatusCode::SEE_OTHER
    );
    let r = record_evaluation(agent, id, &evaluation_fields(&fr(today()), "Inès Martin", &[])).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let r = submit_plan(agent, id, &plan_fields(&helps().0, "proposer")).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "{}", r.text().await.unwrap());
}

// ------------------------------------------------------------------------------------------ journeys

async fn apa_plan_accepted_then_decided_with_its_amount(backend: Backend) {
    let Some(Setup { app, id, number }) = taken(backend, false).await else {
        return;
    };
    let agent = Browser::new(&app);
    agent.login(AGENT, PASSWORD).await;
    let usager = Browser::new(&app);
    usager.login(USAGER, PASSWORD).await;
    take(&agent, &id).await;

    // Before the dossier is complete, the usager reads from when the two months run, and no date.
    let own = usager.get_html(&format!("/dossiers/{id}")).await;
    assert!(
        own.contains("Le délai de deux mois court à partir du jour où votre dossier est complet"),
        "{own}"
    );
    assert!(!own.contains("Réponse attendue au plus tard le"), "{own}");

    // No plan before the evaluation, whatever the door.
    let r = agent.get(&format!("/instruction/dossiers/{id}/apa/plan")).await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    let r = agent
        .post_versioned(
            &format!("/instruction/dossiers/{id}"),
            &format!("/instruction/dossiers/{id}/apa/plan"),
            &[
                ("lignes", "1"),
                ("action", "proposer"),
                ("aide-1-type", "portage"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    let page = r.text().await.unwrap();
    assert!(page.contains("Enregistrez d’abord l’évaluation"), "{page}");
    assert!(plans(&app, &id).await.is_empty());
    // Nor an evaluation before the dossier is complete.
    let r = record_evaluation(&agent, &id, &evaluation_fields(&fr(today()), "Inès Martin", &[])).await;
    assert_eq!(r.status(), StatusCode::CONFLICT);

    // Dossier complet: not in the future; then three days ago, and the two months run from that day.
    let r = record_complete(&agent, &id, today() + Duration::days(1)).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = r.text().await.unwrap();
    assert!(page.contains("ne peut pas être dans le futur") && page.contains("href=\"#apa-complet-date\""));
    // Filed ten days ago: a date before that is refused too.
    let did = id.clone();
    app.pool
        .run(move |c| {
            use diesel::prelude::*;
            use guichet_db::schema::dossiers;
            diesel::update(dossiers::table.find(&did))
                .set(dossiers::deposited_at.eq(Some(guichet_db::now() - Duration::days(10))))
                .execute(c)
                .map_err(guichet_db::DbError::from)
        })
        .await
        .unwrap();
    let r = record_complete(&agent, &id, today() - Duration::days(11)).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("avant le dépôt"));
    let complete_on = today() - Duration::days(3);
    assert_eq!(
        record_complete(&agent, &id, complete_on).await.status(),
        StatusCode::SEE_OTHER
    );
    let d = app.dossier(&id).await;
    let def = app.state.procedures.get("apa").unwrap().def.clone();
    let complete_at = complete_on.and_hms_opt(0, 0, 0).unwrap();
    assert_eq!(d.stage.as_deref(), Some(Stage::Complet.as_str()));
    assert_eq!(d.complete_at, Some(complete_at));
    assert_eq!(d.due_at, guichet_usecases::deadlines::due_date(&def, complete_at));
    assert_eq!(
        d.due_at.map(|t| t.date()),
        complete_on.checked_add_months(chrono::Months::new(2)),
        "two months from the complete dossier (CASF L232-14)"
    );
    let own = usager.get_html(&format!("/dossiers/{id}")).await;
    let due = guichet_forms::french_date(d.due_at.unwrap().date());
    assert!(
        own.contains("Réponse attendue au plus tard le") && own.contains(&due),
        "{own}"
    );
    assert!(!own.contains("Le délai de deux mois court"), "{own}");

    // The evaluation: an incomplete grid is refused field by field, with what was typed kept.
    let r = record_evaluation(
        &agent,
        &id,
        &evaluation_fields(
            &fr(today()),
            "",
            &["orientation_temps", "toilette_haut", "alerter"],
        ),
    )
    .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = r.text().await.unwrap();
    for part in [
        "Erreur :",
        "href=\"#apa-evaluateur\"",
        "href=\"#apa-toilette_haut\"",
        "href=\"#apa-alerter\"",
        "Choisissez A, B ou C pour « Toilette du haut »",
        "Choisissez A, B ou C pour « Orientation : dans le temps »",
        "id=\"apa-toilette_haut-erreur\"",
        // Kept: the date, and each modality chosen.
        &format!("value=\"{}\"", fr(today())),
        "id=\"apa-toilette_bas-C\" name=\"apa-toilette_bas\" value=\"C\" checked",
        "id=\"apa-coherence_communication-B\" name=\"apa-coherence_communication\" value=\"B\" checked",
    ] {
        assert!(page.contains(part), "{part}: {page}");
    }
    assert!(
        !page.contains("name=\"apa-toilette_haut\" value=\"A\" checked"),
        "nothing invented"
    );
    assert!(app.dossier(&id).await.stage.as_deref() == Some("complet"));

    // The full grid: the GIR is the one aggir::compute gives for the same grid, never typed.
    let r = record_evaluation(&agent, &id, &evaluation_fields(&fr(today()), "Inès Martin", &[])).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let params = guichet_simulation::Parameters::shared().unwrap();
    let expected = aggir::compute(params, &grid()).unwrap();
    assert!(
        (1..=4).contains(&expected.gir),
        "the fixture grid opens the APA: {expected:?}"
    );
    let d = app.dossier(&id).await;
    assert_eq!(d.stage.as_deref(), Some("evaluation"));
    let ev = {
        let id = id.clone();
        app.pool
            .run(move |c| guichet_dossiers::apa::latest_evaluation(c, &id))
            .await
            .unwrap()
            .unwrap()
    };
    assert_eq!(ev.gir, expected.gir);
    assert_eq!(ev.evaluator, "Inès Martin");
    let page = agent.get_html(&format!("/instruction/dossiers/{id}")).await;
    assert!(
        page.contains(&format!("<strong>GIR {}</strong>", expected.gir)),
        "{page}"
    );
    assert!(
        page.contains(&format!("Rang {} → GIR {}", expected.rank, expected.gir)),
        "the explanation: {page}"
    );
    let limit = guichet_forms::french_date(today() + Duration::days(30));
    assert!(page.contains(&limit), "the plan's date limit: {page}");

    // The plan: « Ajouter une ligne » gives one more line and keeps what was typed (no JavaScript).
    let (typed, simulated) = helps();
    let r = submit_plan(&agent, &id, &plan_fields(&typed, "ajouter")).await;
    assert_eq!(r.status(), StatusCode::OK);
    let page = r.text().await.unwrap();
    assert!(
        page.contains("id=\"aide-6-type\"") && !page.contains("id=\"aide-7-type\""),
        "{page}"
    );
    assert!(
        page.contains("value=\"Repas du midi\"") && page.contains("value=\"24,58\""),
        "{page}"
    );
    // A half-filled line says what is missing.
    let mut partial = typed.clone();
    partial.push(("", "Ménage", "", ""));
    let r = submit_plan(&agent, &id, &plan_fields(&partial, "proposer")).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = r.text().await.unwrap();
    assert!(
        page.contains("Ligne 4 : choisissez le type d’aide") && page.contains("href=\"#aide-4-prix\""),
        "{page}"
    );
    assert!(plans(&app, &id).await.is_empty(), "nothing proposed");

    // The amounts are care_plan::evaluate_plan's, called directly with the fixture's resources.
    let direct = care_plan::evaluate_plan(
        params,
        today(),
        &CarePlan {
            gir: expected.gir,
            helps: simulated,
        },
        &fixture_resources(),
        false,
    )
    .unwrap();
    let r = submit_plan(&agent, &id, &plan_fields(&typed, "calculer")).await;
    assert_eq!(r.status(), StatusCode::OK);
    let page = r.text().await.unwrap();
    assert!(
        page.contains(&Euros::from_cents(direct.apa_cents).to_string()),
        "{page}"
    );
    assert!(plans(&app, &id).await.is_empty(), "« Calculer » sends nothing");
    let r = submit_plan(&agent, &id, &plan_fields(&typed, "proposer")).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "{}", r.text().await.unwrap());
    let proposed = plans(&app, &id).await;
    assert_eq!(proposed.len(), 1);
    let p = &proposed[0];
    assert_eq!(
        (p.version, p.plan_cents, p.participation_cents, p.apa_cents, p.gir),
        (
            1,
            direct.plan_cents,
            direct.participation_cents,
            direct.apa_cents,
            expected.gir
        )
    );
    assert_eq!(
        p.answer_by,
        today() + Duration::days(10),
        "ten days (CASF R232-7)"
    );
    assert_eq!(app.dossier(&id).await.stage.as_deref(), Some("plan_propose"));
    let answer_by = guichet_forms::french_date(p.answer_by);
    let mail = app.wait_for_email(USAGER, "plan d’aide").await;
    assert!(
        mail.subject.contains(&number) && mail.subject.contains(&answer_by),
        "{mail:?}"
    );
    for part in [
        format!(
            "Votre participation : {} par mois",
            Euros::from_cents(direct.participation_cents)
        ),
        format!(
            "L’APA versée par le département : {} par mois",
            Euros::from_cents(direct.apa_cents)
        ),
        answer_by.clone(),
    ] {
        assert!(mail.body.contains(&part), "{part}: {}", mail.body);
    }
    assert!(
        !mail.body.contains("toilette"),
        "the helps stay on the platform: {}",
        mail.body
    );

    // The usager reads the proposal in plain words, with its three answers.
    let own = usager.get_html(&format!("/dossiers/{id}")).await;
    for part in [
        "Aide humaine : Aide à la toilette et aux repas",
        "40 heures",
        "Portage de repas : Repas du midi",
        &format!(
            "Total du plan d’aide : <strong>{} par mois</strong>",
            Euros::from_cents(direct.plan_cents)
        ),
        &format!(
            "Votre participation : <strong>{}</strong>, l’APA versée : <strong>{}</strong> par mois",
            Euros::from_cents(direct.participation_cents),
            Euros::from_cents(direct.apa_cents)
        ),
        "J’accepte ce plan d’aide",
        "Je demande des modifications",
        "Je refuse",
        &answer_by,
        "Plan d’aide proposé : votre réponse est attendue",
    ] {
        assert!(own.contains(part), "{part}: {own}");
    }

    // Another usager cannot answer: the dossier does not exist for them.
    app.create_user("voisin@exemple.fr", PASSWORD, Role::Usager, &[])
        .await;
    let other = Browser::new(&app);
    other.login("voisin@exemple.fr", PASSWORD).await;
    let r = other
        .post_form(
            "/mes-dossiers",
            &format!("/dossiers/{id}/apa/plan/1/reponse"),
            &[("reponse", "refuse")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert_eq!(plans(&app, &id).await[0].response, None);

    // The owner accepts; a second answer is refused.
    let r = answer(&usager, &id, 1, &[("reponse", "accepte")]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(plans(&app, &id).await[0].response, Some(Response::Accepte));
    assert_eq!(app.dossier(&id).await.stage.as_deref(), Some("plan_accepte"));
    let r = answer(&usager, &id, 1, &[("reponse", "refuse")]).await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    assert!(r.text().await.unwrap().contains("déjà répondu"));
    assert_eq!(plans(&app, &id).await[0].response, Some(Response::Accepte));
    assert!(apa_right(&app, &id).await.is_open());

    // The decision form starts with the plan's APA and a motivation with the GIR, the plan, the
    // participation.
    let page = agent.get_html(&format!("/instruction/dossiers/{id}")).await;
    let amount = field_amount(direct.apa_cents);
    assert!(page.contains(&format!("value=\"{amount}\"")), "{amount}: {page}");
    for part in [
        format!("GIR {}", expected.gir),
        format!("Plan d’aide accepté le {}", guichet_forms::french_date(today())),
        format!(
            "Votre participation : {} par mois",
            Euros::from_cents(direct.participation_cents)
        ),
    ] {
        assert!(page.contains(&part), "{part}: {page}");
    }
    let motivation = format!(
        "Évaluation de l’autonomie à domicile : GIR {}. Plan d’aide accepté : {} par mois ; votre participation : {} par mois.",
        expected.gir,
        Euros::from_cents(direct.plan_cents),
        Euros::from_cents(direct.participation_cents)
    );
    let r = agent
        .post_versioned(
            &format!("/instruction/dossiers/{id}"),
            &format!("/instruction/dossiers/{id}/droits/apa_domicile/decision"),
            &[
                ("decision", "accord"),
                ("montant", &amount),
                ("debut", &fr(today())),
                ("motivation", &motivation),
                ("confirmation", "oui"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "{}", r.text().await.unwrap());
    let d = app.dossier(&id).await;
    assert_eq!(d.state, guichet_dossiers::State::Decide, "its only right decided");
    let right = apa_right(&app, &id).await;
    assert_eq!(right.amount, Some(Euros::from_cents(direct.apa_cents)));

    // The letter shows the amount.
    let r = usager.get(&format!("/dossiers/{id}/decision.pdf")).await;
    assert_eq!(r.status(), StatusCode::OK);
    if let Some(text) = pdftotext(&r.bytes().await.unwrap()) {
        let cents = direct.apa_cents;
        let tail = format!("{:03},{:02}", (cents / 100) % 1000, cents % 100);
        let tail = if cents < 100_000 {
            field_amount(cents)
        } else {
            tail
        };
        assert!(text.contains(&tail), "{tail}: {text}");
        assert!(text.contains(&format!("GIR {}", expected.gir)), "{text}");
    }

    // Each stage is on both timelines, in plain words; the reads of the evaluation are listed.
    let own = usager.get_html(&format!("/dossiers/{id}")).await;
    for part in [
        "Dossier complet : le délai de deux mois pour vous répondre commence",
        "Visite à domicile de l’équipe médico-sociale",
        "Vous avez accepté le plan d’aide",
        "Décision rendue",
        "l’évaluation de votre autonomie (grille AGGIR)",
    ] {
        assert!(own.contains(part), "{part}: {own}");
    }
    let page = agent.get_html(&format!("/instruction/dossiers/{id}")).await;
    for part in [
        "Dossier complet enregistré",
        "Évaluation à domicile enregistrée",
        "Plan d’aide proposé à l’usager",
        "Plan d’aide accepté par l’usager",
    ] {
        assert!(page.contains(part), "{part}: {page}");
    }
}

async fn apa_silence_for_ten_days_refuses_the_request(backend: Backend) {
    let Some(Setup { app, id, .. }) = taken(backend, false).await else {
        return;
    };
    let agent = Browser::new(&app);
    agent.login(AGENT, PASSWORD).await;
    to_proposal(&agent, &id).await;
    let proposed_at = plans(&app, &id).await[0].proposed_at;
    // Another request with a plan, then closed without follow-up: its plan is not awaited any more.
    let (closed, _) = app.deposit(USAGER, "apa", answers(false)).await;
    to_proposal(&agent, &closed).await;
    let page = format!("/instruction/dossiers/{closed}");
    let r = agent
        .post_versioned(
            &page,
            &format!("{page}/actions/classer"),
            &[("motif", "Demande retirée par la famille.")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (links, procedures) = (app.state.links(), app.state.procedures.clone());
    let expire = |days: i64| {
        let (links, procedures) = (links.clone(), procedures.clone());
        app.pool.run(move |c| {
            guichet_usecases::apa::expire_proposals(
                c,
                &links,
                &procedures,
                proposed_at + Duration::days(days),
            )
        })
    };

    // Nine days on, and on the tenth (the last day to answer): nothing happens.
    assert!(expire(9).await.unwrap().is_empty());
    assert!(expire(10).await.unwrap().is_empty());
    assert_eq!(plans(&app, &id).await[0].response, None);
    assert!(apa_right(&app, &id).await.is_open());

    // Eleven days on: the silence is recorded and the request deemed refused, once.
    assert_eq!(expire(11).await.unwrap(), vec![id.clone()]);
    assert!(expire(12).await.unwrap().is_empty(), "a plan expires once");
    assert_eq!(
        plans(&app, &closed).await[0].response,
        None,
        "the closed dossier is left alone"
    );
    assert_eq!(
        app.dossier(&closed).await.state,
        guichet_dossiers::State::SansSuite
    );
    let p = &plans(&app, &id).await[0];
    assert_eq!(p.response, Some(Response::Silence));
    let right = apa_right(&app, &id).await;
    assert_eq!(right.outcome, Some(Outcome::Refus));
    let motivation = right.motivation.clone().unwrap_or_default();
    assert!(
        motivation.contains("CASF R232-7") && motivation.contains("dix jours"),
        "{motivation}"
    );
    assert_eq!(
        right.decided_by, None,
        "no agent decided it: the platform recorded the rule"
    );
    let d = app.dossier(&id).await;
    assert_eq!(
        d.state,
        guichet_dossiers::State::Decide,
        "its only right: the dossier is decided"
    );
    assert_eq!(d.stage.as_deref(), Some("plan_refuse"));
    let events = event_kinds(&app, &id).await;
    for kind in ["apa_plan_silence", "right_decided", "decide"] {
        let e = events
            .iter()
            .rev()
            .find(|(k, _)| k == kind)
            .unwrap_or_else(|| panic!("{kind}: {events:?}"));
        assert_eq!(e.1, None, "{kind} has no actor: {events:?}");
    }
    app.wait_for_email(USAGER, "décision").await;

    // The usager reads what happened; answering now is too late.
    let usager = Browser::new(&app);
    usager.login(USAGER, PASSWORD).await;
    let own = usager.get_html(&format!("/dossiers/{id}")).await;
    assert!(
        own.contains("Pas de réponse au plan d’aide dans les dix jours")
            && own.contains("Vous n’avez pas répondu au plan d’aide avant le"),
        "{own}"
    );
    let r = answer(&usager, &id, 1, &[("reponse", "accepte")]).await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    assert_eq!(plans(&app, &id).await[0].response, Some(Response::Silence));
}

async fn apa_changes_asked_then_the_definitive_plan_refused(backend: Backend) {
    // With the CMI asked too: refusing the plan refuses the APA alone, the dossier stays en instruction.
    let Some(Setup { app, id, .. }) = taken(backend, true).await else {
        return;
    };
    let agent = Browser::new(&app);
    agent.login(AGENT, PASSWORD).await;
    to_proposal(&agent, &id).await;
    let usager = Browser::new(&app);
    usager.login(USAGER, PASSWORD).await;

    // Changes need their words.
    let r = answer(
        &usager,
        &id,
        1,
        &[("reponse", "modifications"), ("modifications", "  ")],
    )
    .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = r.text().await.unwrap();
    assert!(
        page.contains("Écrivez ce que vous voulez changer") && page.contains("href=\"#apa-modifications\""),
        "{page}"
    );
    assert_eq!(plans(&app, &id).await[0].response, None);
    let r = answer(
        &usager,
        &id,
        1,
        &[
            ("reponse", "modifications"),
            (
                "modifications",
                "Je voudrais l’aide le matin plutôt que le portage de repas.",
            ),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let first = &plans(&app, &id).await[0];
    assert_eq!(first.response, Some(Response::Modifications));
    assert_eq!(app.dossier(&id).await.stage.as_deref(), Some("plan_modifie"));

    // The instructor sees the words and the eight days; the definitive plan starts from the first.
    let page = agent.get_html(&format!("/instruction/dossiers/{id}")).await;
    let final_due = guichet_forms::french_date(first.responded_at.unwrap().date() + Duration::days(8));
    assert!(
        page.contains("plutôt que le portage de repas")
            && page.contains(&final_due)
            && page.contains("Proposer le plan d’aide définitif"),
        "{page}"
    );
    let form = agent
        .get_html(&format!("/instruction/dossiers/{id}/apa/plan"))
        .await;
    assert!(
        form.contains("value=\"Repas du midi\"") && form.contains("value=\"24,58\""),
        "{form}"
    );
    let mut typed = helps().0;
    typed.truncate(2);
    typed[0].2 = "55";
    let r = submit_plan(&agent, &id, &plan_fields(&typed, "proposer")).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "{}", r.text().await.unwrap());
    let all = plans(&app, &id).await;
    assert_eq!(all.len(), 2);
    assert_eq!(all[1].version, 2);
    assert!(
        all[1].plan_cents > all[0].plan_cents,
        "55 hours instead of 40, no meals"
    );
    app.wait_for_email(USAGER, "plan d’aide définitif").await;

    // The definitive plan: accept or refuse, no more changes.
    let own = usager.get_html(&format!("/dossiers/{id}")).await;
    assert!(
        own.contains("Votre plan d’aide définitif") && !own.contains("Je demande des modifications"),
        "{own}"
    );
    let r = answer(
        &usager,
        &id,
        2,
        &[("reponse", "modifications"), ("modifications", "Encore")],
    )
    .await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    let r = answer(&usager, &id, 1, &[("reponse", "accepte")]).await;
    assert_eq!(
        r.status(),
        StatusCode::CONFLICT,
        "the first plan was answered already"
    );
    let r = answer(&usager, &id, 2, &[("reponse", "refuse")]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let right = apa_right(&app, &id).await;
    assert_eq!(right.outcome, Some(Outcome::Refus));
    assert_eq!(
        right.motivation.as_deref(),
        Some(guichet_usecases::apa::REFUSAL_MOTIVATION)
    );
    assert_eq!(right.decided_by, None);
    assert_eq!(plans(&app, &id).await[1].response, Some(Response::Refuse));
    let d = app.dossier(&id).await;
    assert_eq!(
        d.state,
        guichet_dossiers::State::EnInstruction,
        "the CMI is still to decide"
    );
    assert_eq!(d.stage.as_deref(), Some("plan_refuse"));
    let own = usager.get_html(&format!("/dossiers/{id}")).await;
    assert!(own.contains("Vous avez refusé le plan d’aide"), "{own}");
    let page = agent.get_html(&format!("/instruction/dossiers/{id}")).await;
    assert!(page.contains("Plan d’aide refusé par l’usager"), "{page}");
    assert!(!page.contains("Proposer le plan d’aide"), "{page}");
}

async fn apa_stages_stay_with_the_service(backend: Backend) {
    let Some(Setup { app, id, .. }) = taken(backend, false).await else {
        return;
    };
    app.create_user(
        "agent.mdph@departement.fr",
        PASSWORD,
        Role::Instructeur,
        &["mdph"],
    )
    .await;
    app.create_user("admin@departement.fr", PASSWORD, Role::Admin, &[])
        .await;
    let agent = Browser::new(&app);
    agent.login(AGENT, PASSWORD).await;
    take(&agent, &id).await;
    assert_eq!(
        record_complete(&agent, &id, today()).await.status(),
        StatusCode::SEE_OTHER
    );
    // Another service does not see the dossier; an administrator outside the service may not open the
    // evaluation (health data).
    let mdph = Browser::new(&app);
    mdph.login("agent.mdph@departement.fr", PASSWORD).await;
    let r = mdph
        .get(&format!("/instruction/dossiers/{id}/apa/evaluation"))
        .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let admin = Browser::new(&app);
    admin.login("admin@departement.fr", PASSWORD).await;
    let r = admin
        .get(&format!("/instruction/dossiers/{id}/apa/evaluation"))
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = agent
        .get(&format!("/instruction/dossiers/{id}/apa/evaluation"))
        .await;
    assert_eq!(r.status(), StatusCode::OK);

    // A person who does everything alone (all A): GIR 6, no APA. The page says so, no plan can be
    // proposed, and the refusal's motivation is ready.
    let mut all_a = vec![
        ("visite".to_owned(), fr(today())),
        ("evaluateur".to_owned(), "Inès Martin".to_owned()),
    ];
    for (k, _) in grid_modalities() {
        all_a.push((format!("apa-{k}"), "A".to_owned()));
    }
    let r = record_evaluation(&agent, &id, &all_a).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let page = agent.get_html(&format!("/instruction/dossiers/{id}")).await;
    assert!(
        page.contains("<strong>GIR 6</strong>")
            && page.contains("Avec le GIR 6, l’APA ne peut pas être accordée"),
        "{page}"
    );
    assert!(
        page.contains("réservée aux personnes classées dans les GIR 1 à 4"),
        "the motivation: {page}"
    );
    assert!(!page.contains("Proposer le plan d’aide"), "{page}");
    let r = agent.get(&format!("/instruction/dossiers/{id}/apa/plan")).await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    // The administrator outside the service sees the stages, not the GIR.
    let page = admin.get_html(&format!("/instruction/dossiers/{id}")).await;
    assert!(
        page.contains("Instruction de l’APA") && !page.contains("GIR 6"),
        "{page}"
    );
    assert!(
        page.contains("données de santé : réservé au service instructeur"),
        "{page}"
    );
}

on_both_backends!(
    apa_plan_accepted_then_decided_with_its_amount,
    apa_silence_for_ten_days_refuses_the_request,
    apa_changes_asked_then_the_definitive_plan_refused,
    apa_stages_stay_with_the_service,
);
