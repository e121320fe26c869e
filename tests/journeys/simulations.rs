//! Rights simulation through its interfaces: JSON API and OpenAPI document, web simulators and
//! "Faire la demande", command line (one case and a CSV batch).
//!
//! The amounts asserted come from the worked example of the rules notes (APA à domicile on
//! 2026-01-15, GIR 2, plan 1 500 €, resources 1 800 € a month, single: participation 298,39 €,
//! APA 1 201,61 €), or are read back from the API so that no other figure is hard-coded here.

use guichet_test_support::{Backend, TestApp, on_both_backends};
use reqwest::StatusCode;
use serde_json::{Value, json};

const PASSWORD: &str = "une phrase de passe solide";

fn worked_example() -> Value {
    json!({"gir": 2, "plan": 1500, "ressources": 1800, "date": "2026-01-15"})
}

fn location(r: &reqwest::Response) -> String {
    r.headers()
        .get("location")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default()
}

async fn post_json(app: &TestApp, path: &str, body: &Value) -> reqwest::Response {
    app.client.post(app.url(path)).json(body).send().await.unwrap()
}

// -------------------------------------------------------------------------------------------- JSON API

#[tokio::test]
async fn the_api_returns_the_worked_example_in_cents_with_its_explanation() {
    let Some(app) = TestApp::spawn(Backend::Sqlite).await else {
        return;
    };
    let r = post_json(&app, "/api/v1/simulations/apa", &worked_example()).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json")
    );
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["participation"], 29_839);
    assert_eq!(v["apa"], 120_161);
    assert_eq!(v["verdict"]["eligible"], true);
    let steps = v["explanation"].as_array().unwrap();
    assert!(!steps.is_empty());
    assert!(
        steps.iter().all(|s| !s["reference"].as_str().unwrap().is_empty()),
        "every step has a legal reference"
    );
    // Same inputs as French text give the same result.
    let text = json!({"gir": "GIR 2", "plan": "1 500", "ressources": "1 800,00", "date": "2026-01-15"});
    let again: Value = post_json(&app, "/api/v1/simulations/apa", &text)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(again["apa"], v["apa"]);
}

/// The warnings of a result name, in words and without dates, only the values that could change it:
/// on 2 December 2026 a PCH case with direct employment and resources near the 100 % threshold warns
/// about the hourly tariff (last checked in 2025) and the April 2026 MTP (secondary sources), not about
/// ages, rates or maxima;
/// a refused AAH warns about nothing. The web result page shows the same sentences.
#[tokio::test]
async fn warnings_are_plain_words_about_what_can_change_the_result() {
    let Some(app) = TestApp::spawn(Backend::Sqlite).await else {
        return;
    };
    let pch = json!({"age": 30, "difficultes_absolues": 1, "heures_emploi_direct": 10,
        "ressources_annuelles": 30000, "aides_techniques": 8000, "date": "2026-12-02"});
    let v: Value = post_json(&app, "/api/v1/simulations/pch", &pch)
        .await
        .json()
        .await
        .unwrap();
    let warnings: Vec<&str> = v["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w.as_str().unwrap())
        .collect();
    assert_eq!(warnings.len(), 2, "{warnings:#?}");
    assert!(
        warnings
            .iter()
            .any(|w| w.contains("emploi direct") && w.contains("la dernière que nous avons pu vérifier"))
    );
    assert!(
        warnings
            .iter()
            .any(|w| w.contains("tierce personne") && w.contains("n’a pas pu être vérifiée"))
    );
    for w in &warnings {
        assert!(
            !w.contains("confirmée que jusqu") && !w.contains("/20") && !w.contains("2026"),
            "{w}"
        );
    }
    // Technical aids of 8 000 € are under the 13 200 € maximum over 10 years.
    let aids = v["elements"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["id"] == "aides_techniques")
        .unwrap();
    assert_eq!(
        (aids["montant"].as_i64(), aids["periode_mois"].as_i64()),
        (Some(800_000), Some(120))
    );

    let aah = json!({"taux_incapacite": 60, "rsdae": true, "age": 62, "date": "2026-12-02"});
    let v: Value = post_json(&app, "/api/v1/simulations/aah", &aah)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(v["verdict"]["eligible"], false, "the 50-79 % AAH stops at 62");
    assert_eq!(v["warnings"], json!([]));

    let page = app
        .post_form(
            "/simulateurs/pch",
            "/simulateurs/pch",
            &[
                ("date_naissance", "12/05/1996"),
                ("activite_marcher", "absolue"),
                ("heures_emploi_direct_jour", "1"),
                ("ressources_annuelles", "30000"),
            ],
        )
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("la dernière que nous avons pu vérifier"), "{page}");
    assert!(!page.contains("confirmée que jusqu"));
}

#[tokio::test]
async fn the_api_answers_every_aid() {
    let Some(app) = TestApp::spawn(Backend::Sqlite).await else {
        return;
    };
    let cases = [
        (
            "apa-etablissement",
            json!({"gir": 2, "tarif_gir": 700, "tarif_gir_5_6": 200, "ressources": 1800}),
        ),
        (
            "pch",
            json!({"age": 40, "difficultes_absolues": 1, "heures_prestataire": 30}),
        ),
        ("aah", json!({"taux_incapacite": 80, "age": 40})),
        ("amethyste", json!({"departement": "93", "age": 70})),
    ];
    for (aid, body) in cases {
        let r = post_json(&app, &format!("/api/v1/simulations/{aid}"), &body).await;
        assert_eq!(r.status(), StatusCode::OK, "{aid}");
        let v: Value = r.json().await.unwrap();
        assert!(v["verdict"]["eligible"].is_boolean(), "{aid}: {v}");
        assert!(v["explanation"].is_array(), "{aid}");
    }
}

#[tokio::test]
async fn the_api_refuses_bad_input_unknown_aids_and_other_content_types() {
    let Some(app) = TestApp::spawn(Backend::Sqlite).await else {
        return;
    };
    // A misspelt field: 400, in French, naming the field.
    let r = post_json(&app, "/api/v1/simulations/apa", &json!({"gir": 2, "plann": 1500})).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let e: Value = r.json().await.unwrap();
    assert_eq!(e["error"], "donnee_invalide");
    assert!(e["message"].as_str().unwrap().contains("plann"), "{e}");
    assert!(e["message"].as_str().unwrap().contains("inconnu"), "{e}");
    // A wrong type.
    let r = post_json(
        &app,
        "/api/v1/simulations/apa",
        &json!({"gir": 2, "plan": 1500, "couple": "peut-être"}),
    )
    .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    // Not an object, and not JSON at all.
    assert_eq!(
        post_json(&app, "/api/v1/simulations/apa", &json!([1, 2]))
            .await
            .status(),
        StatusCode::BAD_REQUEST
    );
    let r = app
        .client
        .post(app.url("/api/v1/simulations/apa"))
        .header("content-type", "application/json")
        .body("{gir: 2")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    // An unknown aid.
    let r = post_json(&app, "/api/v1/simulations/rsa", &worked_example()).await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let e: Value = r.json().await.unwrap();
    assert_eq!(e["error"], "aide_inconnue");
    // A form post (what a cross-site page could send) is refused.
    let r = app
        .client
        .post(app.url("/api/v1/simulations/apa"))
        .form(&[("gir", "2"), ("plan", "1500")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
}

#[tokio::test]
async fn the_openapi_document_describes_the_simulation_endpoint() {
    let Some(app) = TestApp::spawn(Backend::Sqlite).await else {
        return;
    };
    let r = app.get("/api/v1/openapi.json").await;
    assert_eq!(r.status(), StatusCode::OK);
    let doc: Value = r.json().await.unwrap();
    assert!(
        doc["openapi"].as_str().unwrap().starts_with("3.1"),
        "{}",
        doc["openapi"]
    );
    let op = &doc["paths"]["/api/v1/simulations/{aid}"]["post"];
    assert!(op.is_object(), "{doc}");
    for status in ["200", "400", "404", "415"] {
        assert!(op["responses"][status].is_object(), "response {status}");
    }
    assert!(doc["components"]["schemas"]["SimulationResult"].is_object());
}

// ------------------------------------------------------------------------------------------ web pages

#[tokio::test]
async fn the_simulators_are_listed_and_linked_from_home() {
    let Some(app) = TestApp::spawn(Backend::Sqlite).await else {
        return;
    };
    let home = app.get_html("/").await;
    assert!(home.contains("href=\"/simulateurs\""), "nav link");
    assert!(home.contains("href=\"/simulateurs/apa\""));
    assert!(home.contains("href=\"/demarches/apa\""));
    let list = app.get_html("/simulateurs").await;
    for aid in ["apa", "apa-etablissement", "pch", "aah", "amethyste"] {
        assert!(list.contains(&format!("href=\"/simulateurs/{aid}\"")), "{aid}");
        let r = app.get(&format!("/simulateurs/{aid}")).await;
        assert_eq!(r.status(), StatusCode::OK, "{aid}");
        let page = r.text().await.unwrap();
        assert!(page.contains("<form method=\"post\""), "{aid}");
        assert!(
            page.contains("<legend class=\"groupe__legende groupe__legende--section\">"),
            "{aid}: questions grouped"
        );
    }
    // One name per simulator: the home page and the list agree, and the page has it as its title.
    for name in [
        "Estimer l’APA à domicile",
        "Estimer la PCH",
        "Estimer l’AAH",
        "Estimer le forfait Améthyste",
    ] {
        assert!(home.contains(name), "home: {name}");
        assert!(list.contains(name), "list: {name}");
    }
    assert!(
        app.get_html("/simulateurs/apa")
            .await
            .contains("<h1>Estimer l’APA à domicile</h1>")
    );
    assert_eq!(app.get("/simulateurs/rsa").await.status(), StatusCode::NOT_FOUND);
}

const WORKED: [(&str, &str); 5] = [
    ("gir", "2"),
    ("plan", "1 500"),
    ("revenus_annuels", "21 600"),
    ("couple", "non"),
    ("date", "2026-01-15"),
];

#[tokio::test]
async fn the_apa_simulator_shows_errors_then_the_result_in_one_sentence() {
    let Some(app) = TestApp::spawn(Backend::Sqlite).await else {
        return;
    };
    // Missing GIR, garbled plan: 422, error summary linked to the fields, values kept.
    let r = app
        .post_form(
            "/simulateurs/apa",
            "/simulateurs/apa",
            &[
                ("plan", "douze cents"),
                ("revenus_annuels", "21 600"),
                ("couple", "non"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = r.text().await.unwrap();
    assert!(page.contains("<title>Erreur : "), "{page}");
    assert!(page.contains("class=\"resume-erreurs\""));
    assert!(
        page.contains("href=\"#gir\""),
        "summary links to the GIR question"
    );
    assert!(page.contains("href=\"#plan\""));
    assert!(page.contains("id=\"plan-erreur\""), "inline error");
    assert!(page.contains("value=\"21 600\""), "other answers kept");
    // Nothing at all: both missing answers at once, in the page's order (review: one error at a time).
    let r = app.post_form("/simulateurs/apa", "/simulateurs/apa", &[]).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = r.text().await.unwrap();
    let (gir, plan) = (page.find("href=\"#gir\""), page.find("href=\"#plan\""));
    assert!(gir.is_some() && plan.is_some() && gir < plan, "{page}");

    // The worked example: the result first, in words, then the calculation in a disclosure.
    let r = app
        .post_form("/simulateurs/apa", "/simulateurs/apa", &WORKED)
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let page = r.text().await.unwrap();
    let sentence = page
        .find("Vous pourriez recevoir environ 1")
        .expect("result sentence");
    assert!(
        page.contains("202 € par mois pour payer l’aide à domicile."),
        "{page}"
    );
    assert!(page.contains("Il resterait environ 298 € par mois à votre charge."));
    let details = page
        .find("<details class=\"detail-calcul\">")
        .expect("disclosure");
    assert!(sentence < details, "the sentence comes before the detail");
    assert!(
        page[details..].contains("1 201,61"),
        "exact APA amount in the detail"
    );
    assert!(page[details..].contains("<ol class=\"explication\""));
    assert!(page.contains("R232-11"), "legal references shown");
    assert!(page.contains("Le département décide après étude de votre dossier."));
    assert!(page.contains("Faire la demande"));
}

#[tokio::test]
async fn answers_never_go_into_a_url() {
    let Some(app) = TestApp::spawn(Backend::Sqlite).await else {
        return;
    };
    // The old links are not read any more: a result is only the answer to a POST.
    let r = app
        .get("/simulateurs/apa/resultat?gir=2&plan=1500&ressources=1800&date=2026-01-15")
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&r), "/simulateurs/apa");
    let form = app
        .get_html("/simulateurs/apa?date_naissance=27%2F03%2F1940&revenus_annuels=21000")
        .await;
    assert!(!form.contains("27/03/1940") && !form.contains("21000"), "{form}");

    let mut inputs = WORKED.to_vec();
    inputs.push(("date_naissance", "27/03/1940"));
    let result = app
        .post_form("/simulateurs/apa", "/simulateurs/apa", &inputs)
        .await
        .text()
        .await
        .unwrap();
    assert!(
        !result.contains("href=\"/simulateurs/apa?"),
        "no link carrying the answers"
    );
    assert!(
        result.contains("name=\"aller\" value=\"modifier\""),
        "« Modifier mes réponses » is a POST button"
    );
    // « Modifier mes réponses »: the form again, filled in.
    let token = guichet_test_support::csrf_token(&result).unwrap();
    let mut body: Vec<(&str, &str)> = vec![("csrf_token", token.as_str()), ("aller", "modifier")];
    body.extend_from_slice(&inputs);
    let r = app
        .client
        .post(app.url("/simulateurs/apa"))
        .form(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let again = r.text().await.unwrap();
    assert!(
        again.contains("value=\"27/03/1940\"") && again.contains("value=\"21 600\""),
        "{again}"
    );
    assert!(
        again.contains("<button type=\"submit\" class=\"bouton\" name=\"aller\" value=\"estimer\">Estimer")
    );
}

const AGGIR_GIR_3: [(&str, &str); 10] = [
    ("aggir_coherence", "A"),
    ("aggir_orientation", "A"),
    ("aggir_toilette", "C"),
    ("aggir_habillage", "C"),
    ("aggir_alimentation", "B"),
    ("aggir_elimination", "B"),
    ("aggir_transferts", "B"),
    ("aggir_deplacements_interieur", "B"),
    ("aggir_deplacements_exterieur", "C"),
    ("aggir_alerter", "A"),
];

#[tokio::test]
async fn an_unknown_gir_is_estimated_with_the_evaluation_s_algorithm_and_the_plan_from_hours() {
    let Some(app) = TestApp::spawn(Backend::Sqlite).await else {
        return;
    };
    let base = [
        ("gir", "inconnu"),
        ("heures_aide", "40"),
        ("revenus_annuels", "21 600"),
        ("date", "2026-01-15"),
    ];
    // « Je ne connais pas mon GIR »: the questionnaire, the other answers kept hidden.
    let r = app.post_form("/simulateurs/apa", "/simulateurs/apa", &base).await;
    assert_eq!(r.status(), StatusCode::OK);
    let q = r.text().await.unwrap();
    assert!(q.contains("Estimer le GIR"), "{q}");
    assert_eq!(
        q.matches("type=\"radio\"").count(),
        30,
        "ten questions, three answers each"
    );
    assert!(q.contains("type=\"hidden\" name=\"heures_aide\" value=\"40\""));
    // Half answered: every missing question is named, the answers given are kept.
    let mut partial = base.to_vec();
    partial.extend_from_slice(&AGGIR_GIR_3[..4]);
    partial.push(("aller", "gir"));
    let r = app
        .post_form("/simulateurs/apa", "/simulateurs/apa", &partial)
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let q = r.text().await.unwrap();
    assert_eq!(
        q.matches("Répondez à la question").count(),
        12,
        "6 in the summary, 6 at the questions"
    );
    assert!(q.contains("value=\"C\" checked"), "answers kept");
    // All answered: GIR 3, the same as the evaluation's computation; the plan estimated from 40 hours.
    let mut full = base.to_vec();
    full.extend_from_slice(&AGGIR_GIR_3);
    full.push(("aller", "gir"));
    let r = app.post_form("/simulateurs/apa", "/simulateurs/apa", &full).await;
    assert_eq!(r.status(), StatusCode::OK);
    let page = r.text().await.unwrap();
    let expected = guichet_usecases::simulators::gir_from_answers(|f| {
        AGGIR_GIR_3
            .iter()
            .find(|(n, _)| *n == f)
            .map(|(_, v)| (*v).to_owned())
    })
    .unwrap()
    .gir;
    assert_eq!(expected, 3);
    assert!(page.contains("le GIR serait le GIR 3"), "{page}");
    // The 2026 national minimum tariff of home-help services (25,00 € from 2026-01-01).
    assert!(page.contains("40 h × 25,00"), "40 h × 25,00 €: {page}");
    assert!(page.contains("Plan d’aide estimé à partir des heures d’aide"));
    assert!(page.contains("Vous pourriez recevoir environ"));

    // Neither the plan nor the hours: one message says both ways.
    let r = app
        .post_form("/simulateurs/apa", "/simulateurs/apa", &[("gir", "2")])
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("ou sinon le nombre d’heures d’aide par mois")
    );
}

#[tokio::test]
async fn an_ineligible_result_says_why_and_what_else_to_ask_for() {
    let Some(app) = TestApp::spawn(Backend::Sqlite).await else {
        return;
    };
    let page = app
        .post_form(
            "/simulateurs/apa",
            "/simulateurs/apa",
            &[("gir", "5"), ("plan", "1 500"), ("revenus_annuels", "21 600")],
        )
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("l’APA ne pourrait pas être accordée"), "{page}");
    assert!(page.contains("GIR 5"));
    assert!(page.contains("caisse de retraite"), "what else to ask for");
    assert!(!page.contains("<dd class=\"montant\">"), "no table of zeros");
    assert!(
        !page.contains("/simulateurs/apa/demande"),
        "no request that cannot succeed"
    );

    // Améthyste: a failed condition is never listed as a reason to have the forfait; 0 € said in words.
    let page = app
        .post_form(
            "/simulateurs/amethyste",
            "/simulateurs/amethyste",
            &[
                ("departement", "93"),
                ("date_naissance", "01/01/1950"),
                ("imposable", "non"),
                ("residence_mois", "48"),
            ],
        )
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("il serait gratuit"), "{page}");
    assert!(!page.contains(": non, il faut"), "failed conditions left out");
    // AAH: who decides and who pays, without contradiction.
    let page = app
        .post_form(
            "/simulateurs/aah",
            "/simulateurs/aah",
            &[("taux_incapacite", "80")],
        )
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("décidée par la CDAPH, à la MDPH, puis versée par la CAF ou la MSA"));
    assert!(!page.contains("Seul le département décide"));
}

#[tokio::test]
async fn the_pch_simulator_counts_the_activities_ticked_from_the_referentiel() {
    let Some(app) = TestApp::spawn(Backend::Sqlite).await else {
        return;
    };
    let form = app.get_html("/simulateurs/pch").await;
    assert_eq!(
        form.matches("name=\"activite_").count(),
        57,
        "19 activities, three answers each"
    );
    assert!(
        form.contains("Mobilité") && form.contains("Entretien personnel") && form.contains("Communication")
    );
    assert!(
        form.contains("heures par jour") && !form.contains("heures par mois"),
        "one unit: per day"
    );
    // One grave difficulty only: not eligible, no request offered.
    let page = app
        .post_form(
            "/simulateurs/pch",
            "/simulateurs/pch",
            &[("date_naissance", "12/05/1980"), ("activite_marcher", "grave")],
        )
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("la PCH ne pourrait pas être accordée"), "{page}");
    assert!(page.contains("0 grave") || page.contains("1 grave"), "{page}");
    assert!(!page.contains("/simulateurs/pch/demande"));
    // Two graves: eligible; 2 h a day by a service = 2 × 365 / 12 = 60,83 h a month.
    let page = app
        .post_form(
            "/simulateurs/pch",
            "/simulateurs/pch",
            &[
                ("date_naissance", "12/05/1980"),
                ("activite_marcher", "grave"),
                ("activite_se_laver", "grave"),
                ("heures_prestataire_jour", "2"),
            ],
        )
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("Vous pourriez recevoir environ"), "{page}");
    assert!(page.contains("60,83"), "hours per month in the detail: {page}");
    assert!(page.contains("/simulateurs/pch/demande"));
    // A wrong number of hours: the error at the field, the ticks kept.
    let r = app
        .post_form(
            "/simulateurs/pch",
            "/simulateurs/pch",
            &[("activite_marcher", "grave"), ("heures_prestataire_jour", "30")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = r.text().await.unwrap();
    assert!(page.contains("id=\"heures_prestataire_jour-erreur\""));
    assert!(page.contains("value=\"grave\" checked"));
}

/// Posts "Faire la demande" from a result page.
async fn file_from(app: &TestApp, aid: &str, inputs: &[(&str, &str)]) -> reqwest::Response {
    let path = format!("/simulateurs/{aid}");
    let result = app.post_form(&path, &path, inputs).await;
    assert_eq!(result.status(), StatusCode::OK);
    let html = result.text().await.unwrap();
    let token = guichet_test_support::csrf_token(&html).unwrap();
    let mut body: Vec<(&str, &str)> = vec![("csrf_token", token.as_str())];
    body.extend_from_slice(inputs);
    app.client
        .post(app.url(&format!("{path}/demande")))
        .form(&body)
        .send()
        .await
        .unwrap()
}

/// « Faire la demande » as a logged-in usager: the id of the draft it opened.
async fn draft_from(app: &TestApp, aid: &str, inputs: &[(&str, &str)]) -> String {
    let r = file_from(app, aid, inputs).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    dossier_of(&location(&r))
}

fn dossier_of(location: &str) -> String {
    assert!(location.starts_with("/dossiers/"), "{location}");
    location.split('/').nth(2).unwrap().to_owned()
}

/// Anonymous "Faire la demande" goes through the login and back to the result without putting the
/// answers in any URL; then it creates an APA draft whose steps show the answers already given.
async fn faire_la_demande_creates_a_draft_with_the_answers_carried_over(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    app.create_user(
        "helene.dupre@exemple.fr",
        PASSWORD,
        guichet_types::Role::Usager,
        &[],
    )
    .await;
    let inputs = [
        ("gir", "2"),
        ("plan", "1 500"),
        ("revenus_annuels", "21 600"),
        ("capitaux", "12 000"),
        ("date_naissance", "27/03/1941"),
        ("couple", "non"),
        ("date", "2026-01-15"),
    ];
    let result_html = app
        .post_form("/simulateurs/apa", "/simulateurs/apa", &inputs)
        .await
        .text()
        .await
        .unwrap();
    assert!(
        result_html.contains("name=\"revenus_annuels\" value=\"21 600\""),
        "inputs carried as hidden fields"
    );

    // Anonymous: to the login page, whose `suite` is the bare result page.
    let r = file_from(&app, "apa", &inputs).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let login = location(&r);
    assert!(login.starts_with("/connexion?suite="), "{login}");
    assert!(
        !login.contains("21") && !login.contains("1941"),
        "no answer in the URL: {login}"
    );
    let suite: String = reqwest::Url::parse(&app.url(&login))
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == "suite")
        .map(|(_, v)| v.into_owned())
        .unwrap();
    assert_eq!(suite, "/simulateurs/apa/resultat");
    let r = app
        .post_form(
            &login,
            "/connexion",
            &[
                ("email", "helene.dupre@exemple.fr"),
                ("mot_de_passe", PASSWORD),
                ("suite", &suite),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&r), suite, "back to the result after login");
    let back = app.get_html(&suite).await;
    assert_eq!(amounts(&back), amounts(&result_html), "same result after login");
    assert!(!amounts(&back).is_empty());

    // Logged in: the draft is created and opened.
    let r = app.post_form(&suite, "/simulateurs/apa/demande", &inputs).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let first = location(&r);
    let id = dossier_of(&first);
    assert_eq!(app.get(&first).await.status(), StatusCode::OK);
    // The pending answers are forgotten once filed.
    assert_eq!(app.get(&suite).await.status(), StatusCode::SEE_OTHER);

    let identity = app.get_html(&format!("/dossiers/{id}/etapes/identite")).await;
    assert!(
        identity.contains("value=\"1941\""),
        "birth year carried over: {identity}"
    );
    let resources = app.get_html(&format!("/dossiers/{id}/etapes/ressources")).await;
    assert!(
        resources.contains("value=\"21600\""),
        "income carried over: {resources}"
    );
    assert!(
        resources.contains("value=\"12000\""),
        "savings carried over (and their yes/no gate)"
    );
}

/// Améthyste carries the category, the tax status and the arrival date; a simulation for another
/// département is not filed here.
async fn the_amethyste_request_gets_the_category_tax_status_and_residence(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    app.logged_in_usager("marc.l@exemple.fr", PASSWORD).await;
    let inputs = [
        ("departement", "93"),
        ("date_naissance", "01/01/1950"),
        ("imposable", "non"),
        ("residence_mois", "48"),
    ];
    let id = draft_from(&app, "amethyste", &inputs).await;
    let category = app.get_html(&format!("/dossiers/{id}/etapes/categorie")).await;
    assert!(category.contains("value=\"seniors\" checked"), "{category}");
    let taxes = app.get_html(&format!("/dossiers/{id}/etapes/impots")).await;
    assert!(taxes.contains("value=\"non\" checked"), "{taxes}");
    let address = app.get_html(&format!("/dossiers/{id}/etapes/adresse")).await;
    let arrival = guichet_usecases::deadlines::today()
        .checked_sub_months(chrono::Months::new(48))
        .unwrap();
    assert!(
        address.contains(&format!("value=\"{}\"", chrono::Datelike::year(&arrival))),
        "{address}"
    );

    // Paris: the result sends to Paris's own site, and the request is refused here.
    let mut paris = inputs;
    paris[0] = ("departement", "75");
    let page = app
        .post_form("/simulateurs/amethyste", "/simulateurs/amethyste", &paris)
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("href=\"https://www.paris.fr\""), "{page}");
    assert!(!page.contains("/simulateurs/amethyste/demande"));
    let token = guichet_test_support::csrf_token(&page).unwrap();
    let mut body: Vec<(&str, &str)> = vec![("csrf_token", token.as_str())];
    body.extend_from_slice(&paris);
    let r = app
        .client
        .post(app.url("/simulateurs/amethyste/demande"))
        .form(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CONFLICT);
}

/// PCH: the elements, the helpers and the hours per day, the request's unit.
async fn the_pch_request_gets_the_elements_and_the_hours_per_day(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    app.logged_in_usager("sofia.r@exemple.fr", PASSWORD).await;
    let inputs = [
        ("date_naissance", "12/05/1980"),
        ("activite_se_laver", "absolue"),
        ("heures_prestataire_jour", "2,5"),
        ("aides_techniques", "3 000"),
        ("aide_animaliere", "6 000"),
    ];
    let id = draft_from(&app, "pch", &inputs).await;
    let elements = app.get_html(&format!("/dossiers/{id}/etapes/elements")).await;
    assert!(elements.contains("value=\"aide_humaine\" checked"), "{elements}");
    assert!(
        elements.contains("value=\"aides_techniques\" checked"),
        "{elements}"
    );
    assert!(
        elements.contains("value=\"aide_animaliere\" checked"),
        "{elements}"
    );
    let help = app.get_html(&format!("/dossiers/{id}/etapes/aide_humaine")).await;
    assert!(help.contains("value=\"2,5\""), "same hours per day: {help}");
    assert!(help.contains("value=\"prestataire\" checked"), "{help}");
}

/// AAH is requested with the MDPH form, which has no linked simulation: the draft is still created.
async fn the_aah_request_opens_an_mdph_draft(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    app.logged_in_usager("karim.b@exemple.fr", PASSWORD).await;
    let inputs = [("taux_incapacite", "80"), ("date_naissance", "12/05/1985")];
    draft_from(&app, "aah", &inputs).await;
    let dossiers = app.get_html("/mes-dossiers").await;
    assert!(dossiers.contains("/dossiers/"), "{dossiers}");
}

/// The amounts shown on a result page.
fn amounts(html: &str) -> Vec<String> {
    html.split("<dd class=\"montant\">")
        .skip(1)
        .filter_map(|rest| rest.split('<').next())
        .map(str::to_owned)
        .collect()
}

on_both_backends!(
    faire_la_demande_creates_a_draft_with_the_answers_carried_over,
    the_amethyste_request_gets_the_category_tax_status_and_residence,
    the_pch_request_gets_the_elements_and_the_hours_per_day,
    the_aah_request_opens_an_mdph_draft,
);

// ------------------------------------------------------------------------------------------------- CLI

fn guichet() -> std::process::Command {
    std::process::Command::new(env!("CARGO_BIN_EXE_guichet"))
}

#[test]
fn the_cli_explains_one_case_in_french_or_json() {
    let out = guichet()
        .args([
            "simulate",
            "apa",
            "--gir",
            "2",
            "--plan",
            "1500",
            "--ressources",
            "1800",
        ])
        .args(["--date", "2026-01-15"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("1 201,61 €"), "{text}");
    assert!(text.contains("298,39 €"));
    assert!(text.contains("CASF R232-10"), "references in the explanation");
    assert!(text.contains("ce n’est pas une décision"));

    let out = guichet()
        .args([
            "simulate",
            "apa",
            "--gir",
            "2",
            "--plan",
            "1500",
            "--ressources",
            "1800",
        ])
        .args(["--date", "2026-01-15", "--json"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["apa"], 120_161);
    assert_eq!(v["participation"], 29_839);

    // Any input through --set, and a French error for a bad one.
    let out = guichet()
        .args([
            "simulate",
            "aah",
            "--set",
            "taux_incapacite=80",
            "--age",
            "40",
            "--json",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let out = guichet()
        .args(["simulate", "apa", "--gir", "2", "--plan", "douze"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("plan"));
}

#[test]
fn the_cli_batch_simulates_every_row_and_reports_bad_ones() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cas.csv");
    std::fs::write(
        &path,
        "gir,plan,ressources,date,couple\n\
         2,1500,1800,2026-01-15,non\n\
         2,douze,1800,2026-01-15,non\n\
         4,\"1 000,50\",900,2026-01-15,oui\n",
    )
    .unwrap();
    let out = guichet()
        .args(["simulate", "apa", "--csv"])
        .arg(&path)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let mut reader = csv::Reader::from_reader(out.stdout.as_slice());
    let headers = reader.headers().unwrap().clone();
    let col = |name: &str| {
        headers
            .iter()
            .position(|h| h == name)
            .unwrap_or_else(|| panic!("{name}"))
    };
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 3, "one output row per input row");
    assert_eq!(&rows[0][col("apa_eur")], "1201.61");
    assert_eq!(&rows[0][col("participation_eur")], "298.39");
    assert_eq!(&rows[0][col("eligible")], "oui");
    assert_eq!(&rows[0][col("erreur")], "");
    assert!(
        rows[1][col("erreur")].contains("plan"),
        "bad row reported: {:?}",
        rows[1]
    );
    assert_eq!(&rows[1][col("apa_eur")], "");
    // The row after the bad one is simulated, and agrees with the API's one-case result.
    let one = guichet()
        .args([
            "simulate",
            "apa",
            "--gir",
            "4",
            "--plan",
            "1 000,50",
            "--ressources",
            "900",
        ])
        .args(["--date", "2026-01-15", "--couple", "--json"])
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&one.stdout).unwrap();
    let cents = v["apa"].as_i64().unwrap();
    assert_eq!(
        rows[2][col("apa_eur")],
        format!("{}.{:02}", cents / 100, cents % 100)
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("dont 1 en erreur"));
}
