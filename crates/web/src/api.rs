//! JSON API under `/api/v1`, documented by an OpenAPI document (`GET /api/v1/openapi.json`).
//!
//! `POST /api/v1/simulations/{aid}` runs one rights simulation: public, no account, and no CSRF token
//! because it changes nothing and only accepts `application/json` (a cross-site HTML form cannot send it).
//! [`inputs`] is the catalogue of simulation inputs as people type them (web forms, CLI flags, CSV
//! cells): it is shared by the web simulators and by `guichet simulate`.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, ContentType};
use actix_web::{HttpRequest, HttpResponse, web};
use guichet_simulation::{Aid, Parameters, SimulationError, simulate_json};
use serde::Serialize;
use serde_json::Value;
use utoipa::{OpenApi, ToSchema};

/// Routes of the JSON API.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/api/v1/simulations/{aid}", web::post().to(create_simulation))
        .route("/api/v1/openapi.json", web::get().to(openapi_document));
}

/// Largest accepted JSON body: a simulation input is a few hundred bytes.
const MAX_JSON: usize = 64 * 1024;

/// An API error: a stable code for programs and a plain-French message for people.
#[derive(Debug, Serialize, ToSchema)]
pub struct ApiError {
    /// `aide_inconnue`, `donnee_invalide`, `type_de_contenu` or `erreur_interne`.
    pub error: String,
    /// What went wrong, in French.
    pub message: String,
}

/// One line of the explanation of a result.
#[derive(Serialize, ToSchema)]
pub struct ExplanationStep {
    /// e.g. "Plafond du plan d'aide GIR 2".
    pub label: String,
    /// e.g. "1 682,30 € = 1,306 × MTP 1 288,13 €".
    pub value: String,
    /// Legal reference, e.g. "CASF R232-10".
    pub reference: String,
}

/// Eligibility verdict.
#[derive(Serialize, ToSchema)]
pub struct Verdict {
    pub eligible: bool,
    /// Why, in plain French, with the article.
    pub reasons: Vec<String>,
    /// Conditions the simulation could not check (residence, a missing age…).
    pub to_confirm: Vec<String>,
}

/// Result of a simulation. Every aid's result has these fields; the amounts depend on the aid
/// (APA: `plafond`, `participation`, `apa`…; PCH: `total_mensuel`, `elements`…; AAH: `aah`…;
/// Améthyste: `prix`, `categories`…). **Amounts are integer cents** (`120161` = 1 201,61 €).
#[derive(Serialize, ToSchema)]
pub struct SimulationResult {
    /// Simulation date used (`YYYY-MM-DD`).
    pub date: String,
    pub verdict: Verdict,
    /// Ordered steps of the computation.
    pub explanation: Vec<ExplanationStep>,
    /// Values used that may be out of date (a revalued amount used after the last date it was checked)
    /// or that no official text confirms, in plain French; only those that could change this result.
    pub warnings: Vec<String>,
    /// The aid's amounts and details (integer cents), as listed above.
    #[schema(value_type = Object)]
    #[serde(flatten)]
    pub amounts: Value,
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Guichet – API publique",
        description = "Simulation des droits (APA, PCH, AAH, forfait Améthyste). Estimation : ce n’est pas une décision.",
        version = "1"
    ),
    paths(create_simulation),
    components(schemas(ApiError, ExplanationStep, Verdict, SimulationResult))
)]
struct ApiDoc;

/// The OpenAPI 3.1 document of the API, as JSON. The inputs of each aid are listed in the operation's
/// description, generated from [`inputs::catalogue`] so that the document cannot drift from the code.
pub fn openapi_json() -> String {
    let mut doc = ApiDoc::openapi();
    if let Some(op) = doc
        .paths
        .paths
        .get_mut("/api/v1/simulations/{aid}")
        .and_then(|item| item.post.as_mut())
    {
        let mut text = op.description.clone().unwrap_or_default();
        text.push_str("\n\nDonnées acceptées, par aide (* : obligatoire) :\n");
        for aid in Aid::ALL {
            let names: Vec<String> = inputs::catalogue(aid)
                .iter()
                .map(|i| format!("`{}`{}", i.name, if i.required { " *" } else { "" }))
                .collect();
            text.push_str(&format!("\n- `{aid}` : {}", names.join(", ")));
        }
        op.description = Some(text);
    }
    doc.to_pretty_json().unwrap_or_else(|_| "{}".to_owned())
}

/// Named so as not to clash with the `OpenApi` derive (STACK.md §7).
async fn openapi_document() -> HttpResponse {
    HttpResponse::Ok()
        .content_type(ContentType::json())
        .body(openapi_json())
}

fn api_error(status: StatusCode, error: &str, message: impl Into<String>) -> HttpResponse {
    HttpResponse::build(status).json(ApiError {
        error: error.to_owned(),
        message: message.into(),
    })
}

/// Simulates one aid.
///
/// The body is a JSON object of inputs named as in the simulation crate (money in euros, as a number or
/// a French string such as `"1 500,50"`; dates `YYYY-MM-DD`); an unknown or misspelt field is refused.
/// Example for the APA à domicile: `{"gir": 2, "plan": 1500, "ressources": 1800, "date": "2026-01-15"}`.
#[utoipa::path(
    post,
    path = "/api/v1/simulations/{aid}",
    tag = "simulations",
    summary = "Simuler une aide",
    description = "Estimation d’une aide à partir d’un objet JSON. Montants saisis en euros (nombre, ou texte à la française comme \"1 500,50\") ; dates au format AAAA-MM-JJ ; un champ inconnu ou mal orthographié est refusé. Dans le résultat, **les montants sont en centimes** (120161 = 1 201,61 €). Estimation : ce n’est pas une décision.",
    params(("aid" = String, Path, description = "apa, apa-etablissement, pch, aah ou amethyste")),
    request_body(content = Object, content_type = "application/json",
        description = "Données de la simulation (voir la liste par aide ci-dessus)",
        example = json!({"gir": 2, "plan": 1500, "ressources": 1800, "date": "2026-01-15"})),
    responses(
        (status = 200, description = "Résultat (montants en centimes)", body = SimulationResult),
        (status = 400, description = "Donnée invalide", body = ApiError),
        (status = 404, description = "Aide inconnue", body = ApiError),
        (status = 415, description = "Le corps doit être du JSON", body = ApiError),
    )
)]
async fn create_simulation(req: HttpRequest, path: web::Path<String>, body: web::Bytes) -> HttpResponse {
    let Ok(aid) = path.parse::<Aid>() else {
        return api_error(
            StatusCode::NOT_FOUND,
            "aide_inconnue",
            format!(
                "Aide inconnue « {} ». Aides disponibles : apa, apa-etablissement, pch, aah, amethyste.",
                path.as_str()
            ),
        );
    };
    let is_json = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|m| {
            let m = m.trim().to_ascii_lowercase();
            m == "application/json" || (m.starts_with("application/") && m.ends_with("+json"))
        });
    if !is_json {
        return api_error(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "type_de_contenu",
            "Envoyez les données en JSON (en-tête Content-Type: application/json).",
        );
    }
    if body.len() > MAX_JSON {
        return api_error(
            StatusCode::PAYLOAD_TOO_LARGE,
            "donnee_invalide",
            "Données trop volumineuses.",
        );
    }
    let input: Value = match serde_json::from_slice(&body) {
        Ok(v @ Value::Object(_)) => v,
        Ok(_) => {
            return api_error(
                StatusCode::BAD_REQUEST,
                "donnee_invalide",
                "Le corps doit être un objet JSON, par exemple {\"gir\": 2, \"plan\": 1500}.",
            );
        }
        Err(e) => {
            return api_error(
                StatusCode::BAD_REQUEST,
                "donnee_invalide",
                format!("JSON illisible : {e}"),
            );
        }
    };
    match run(aid, input) {
        Ok(result) => HttpResponse::Ok().json(result),
        Err(SimulationError::InvalidInput(m)) => api_error(
            StatusCode::BAD_REQUEST,
            "donnee_invalide",
            format!("Donnée invalide : {}", inputs::french_serde_message(&m)),
        ),
        Err(e @ SimulationError::NoValue { .. }) => {
            api_error(StatusCode::BAD_REQUEST, "donnee_invalide", e.to_string())
        }
        Err(e) => {
            tracing::error!(error = %e, "Simulation failed");
            api_error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "erreur_interne",
                "Erreur technique : réessayez plus tard.",
            )
        }
    }
}

/// Runs one simulation with the shared parameters.
pub fn run(aid: Aid, input: Value) -> Result<Value, SimulationError> {
    simulate_json(Parameters::shared()?, aid, input)
}

/// The simulation inputs as people type them: one catalogue for the web simulators, the CLI flags and
/// the CSV columns, so that each input is typed once (text → the JSON the simulation crate reads).
pub mod inputs {
    use guichet_simulation::Aid;
    use guichet_types::{Euros, Gir};
    use serde_json::{Map, Value};

    /// How an input is typed.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum Kind {
        /// Euros, kept as typed (`1 500,50`): the simulation crate reads French amounts.
        Money,
        /// A whole number (a count, an age, a percentage).
        Count,
        /// Hours, possibly with a decimal comma.
        Hours,
        /// Yes or no.
        YesNo,
        /// A date, `jj/mm/aaaa` or `AAAA-MM-JJ`.
        Date,
        /// A GIR from 1 to 6.
        Gir,
        /// A département code of Île-de-France.
        Departement,
    }

    /// One input of a simulation.
    #[derive(Debug, Clone, Copy)]
    pub struct Input {
        /// Name in the simulation crate (JSON field, CSV column, `--set` name).
        pub name: &'static str,
        pub kind: Kind,
        pub label: &'static str,
        pub hint: &'static str,
        /// Unit shown after the box (`€ par mois`).
        pub unit: &'static str,
        pub required: bool,
        /// Message when a required input is missing.
        pub missing: &'static str,
        /// Asked on the web page (the others stay reachable through the API and the CLI).
        pub web: bool,
    }

    /// An optional input asked on the web page (also used for the web-only inputs of the simulator pages).
    pub(crate) const fn i(
        name: &'static str,
        kind: Kind,
        label: &'static str,
        hint: &'static str,
        unit: &'static str,
    ) -> Input {
        Input {
            name,
            kind,
            label,
            hint,
            unit,
            required: false,
            missing: "",
            web: true,
        }
    }

    const fn required(mut x: Input, missing: &'static str) -> Input {
        x.required = true;
        x.missing = missing;
        x
    }

    const fn cli_only(mut x: Input) -> Input {
        x.web = false;
        x
    }

    const DATE: Input = cli_only(i(
        "date",
        Kind::Date,
        "Date de la simulation",
        "Par défaut, aujourd’hui.",
        "",
    ));
    const AGE: Input = cli_only(i(
        "age",
        Kind::Count,
        "Âge",
        "Si la date de naissance n’est pas donnée.",
        "ans",
    ));
    const NAISSANCE: Input = i(
        "date_naissance",
        Kind::Date,
        "Date de naissance",
        "Par exemple 27/03/1950.",
        "",
    );
    const GIR: Input = required(
        i(
            "gir",
            Kind::Gir,
            "Degré de perte d’autonomie (GIR)",
            "Il figure sur le compte rendu de l’évaluation faite par l’équipe du département. Le GIR 1 correspond à la perte d’autonomie la plus forte ; les GIR 5 et 6 n’ouvrent pas droit à l’APA.",
            "",
        ),
        "Choisissez le GIR",
    );
    const RESSOURCES: Input = cli_only(i(
        "ressources",
        Kind::Money,
        "Ressources mensuelles du foyer, déjà calculées",
        "",
        "€ par mois",
    ));
    const REVENUS: Input = i(
        "revenus_annuels",
        Kind::Money,
        "Revenu fiscal de référence du dernier avis d’imposition",
        "En première page de l’avis d’imposition (ou de non-imposition). Pour un couple, le montant du foyer.",
        "€ par an",
    );
    const BATI: Input = i(
        "valeur_locative_bati",
        Kind::Money,
        "Valeur locative des maisons et appartements non loués",
        "Sur l’avis de taxe foncière. Laissez vide s’il n’y en a pas.",
        "€ par an",
    );
    const NON_BATI: Input = i(
        "valeur_locative_non_bati",
        Kind::Money,
        "Valeur locative des terrains non loués",
        "Sur l’avis de taxe foncière des propriétés non bâties. Laissez vide s’il n’y en a pas.",
        "€ par an",
    );
    const CAPITAUX: Input = i(
        "capitaux",
        Kind::Money,
        "Épargne et placements qui ne rapportent pas de revenus imposables",
        "Par exemple une assurance-vie. Laissez vide s’il n’y en a pas.",
        "€",
    );
    const COUPLE: Input = i(
        "couple",
        Kind::YesNo,
        "Vivez-vous en couple ?",
        "Marié, pacsé ou en concubinage.",
        "",
    );

    const APA: &[Input] = &[
        NAISSANCE,
        GIR,
        required(
            i(
                "plan",
                Kind::Money,
                "Montant mensuel du plan d’aide, si vous le connaissez",
                "Le coût par mois des aides proposées ou envisagées : heures d’aide à domicile, portage de repas, accueil de jour… Par exemple 1 500.",
                "€ par mois",
            ),
            "Saisissez le montant mensuel du plan d’aide",
        ),
        COUPLE,
        RESSOURCES,
        REVENUS,
        BATI,
        NON_BATI,
        CAPITAUX,
        AGE,
        DATE,
    ];

    const APA_ETABLISSEMENT: &[Input] = &[
        NAISSANCE,
        GIR,
        required(
            i(
                "tarif_gir",
                Kind::Money,
                "Tarif dépendance de votre GIR dans l’établissement",
                "Il figure sur les tarifs de l’établissement (tarif dépendance GIR 1-2 ou GIR 3-4).",
                "€ par mois",
            ),
            "Saisissez le tarif dépendance de votre GIR",
        ),
        required(
            i(
                "tarif_gir_5_6",
                Kind::Money,
                "Tarif dépendance GIR 5-6 de l’établissement",
                "Il figure aussi sur les tarifs de l’établissement.",
                "€ par mois",
            ),
            "Saisissez le tarif dépendance GIR 5-6",
        ),
        COUPLE,
        RESSOURCES,
        REVENUS,
        BATI,
        NON_BATI,
        CAPITAUX,
        AGE,
        DATE,
    ];

    const fn yes_no(name: &'static str, label: &'static str, hint: &'static str) -> Input {
        i(name, Kind::YesNo, label, hint, "")
    }

    const fn hours(name: &'static str, label: &'static str) -> Input {
        i(
            name,
            Kind::Hours,
            label,
            "Laissez vide si vous n’en avez pas besoin.",
            "heures par mois",
        )
    }

    const fn money(name: &'static str, label: &'static str, hint: &'static str, unit: &'static str) -> Input {
        i(name, Kind::Money, label, hint, unit)
    }

    const PCH: &[Input] = &[
        NAISSANCE,
        i(
            "difficultes_absolues",
            Kind::Count,
            "Nombre d’activités que vous ne pouvez pas faire du tout",
            "Par exemple se laver, s’habiller, se déplacer, parler, entendre. Une difficulté absolue : l’activité ne peut pas être faite du tout.",
            "",
        ),
        i(
            "difficultes_graves",
            Kind::Count,
            "Nombre d’activités que vous faites difficilement et de façon incomplète",
            "Une difficulté grave : l’activité est faite difficilement et pas entièrement.",
            "",
        ),
        yes_no(
            "difficultes_avant_60_ans",
            "Si vous avez 60 ans ou plus : ces difficultés existaient-elles avant vos 60 ans ?",
            "",
        ),
        yes_no(
            "en_activite",
            "Si vous avez 60 ans ou plus : travaillez-vous encore ?",
            "",
        ),
        yes_no(
            "beneficiaire_aeeh",
            "Pour un enfant : percevez-vous l’allocation d’éducation de l’enfant handicapé (AEEH) ?",
            "",
        ),
        money(
            "ressources_annuelles",
            "Ressources de l’année",
            "Revenus du patrimoine et placements. Les salaires, pensions et la plupart des allocations ne comptent pas.",
            "€ par an",
        ),
        hours("heures_prestataire", "Aide par un service d’aide à domicile"),
        money(
            "tarif_prestataire",
            "Tarif horaire du service d’aide à domicile",
            "Si vous le connaissez. Sinon, le tarif national minimal est utilisé.",
            "€ par heure",
        ),
        hours(
            "heures_emploi_direct",
            "Aide par une personne que vous employez directement",
        ),
        hours(
            "heures_emploi_direct_soins",
            "Dont gestes de soins par une personne que vous employez directement",
        ),
        hours(
            "heures_mandataire",
            "Aide par une personne employée via un service mandataire",
        ),
        hours(
            "heures_mandataire_soins",
            "Dont gestes de soins par une personne employée via un service mandataire",
        ),
        hours("heures_aidant_familial", "Aide par un proche (aidant familial)"),
        hours(
            "heures_aidant_familial_activite_reduite",
            "Aide par un proche qui a réduit ou arrêté son travail pour vous aider",
        ),
        yes_no(
            "aidant_familial_majore",
            "Votre aidant familial doit-il être présent en permanence ou presque ?",
            "Cela permet un plafond plus élevé pour le dédommagement de l’aidant familial.",
        ),
        money(
            "aides_techniques",
            "Coût des aides techniques",
            "Fauteuil roulant, lit médicalisé, appareils… sur 10 ans.",
            "€",
        ),
        money(
            "amenagement_logement",
            "Coût de l’aménagement du logement",
            "Sur 10 ans.",
            "€",
        ),
        money(
            "vehicule_transport",
            "Coût de l’aménagement du véhicule et des transports",
            "Sur 10 ans.",
            "€",
        ),
        money(
            "charges_specifiques",
            "Charges spécifiques",
            "Dépenses régulières liées au handicap (protections, entretien d’un appareil…).",
            "€ par mois",
        ),
        money(
            "charges_exceptionnelles",
            "Charges exceptionnelles",
            "Dépenses ponctuelles liées au handicap, sur 10 ans.",
            "€",
        ),
        money(
            "aide_animaliere",
            "Coût de l’aide animalière",
            "Chien guide ou chien d’assistance : achat et entretien, sur 10 ans.",
            "€",
        ),
        i(
            "age_plus_jeune_enfant",
            Kind::Count,
            "Si vous êtes parent : âge de votre plus jeune enfant",
            "Pour l’aide à la parentalité (enfant de moins de 7 ans).",
            "ans",
        ),
        yes_no("parent_isole", "Élevez-vous seul ou seule votre enfant ?", ""),
        AGE,
        DATE,
    ];

    const AAH: &[Input] = &[
        NAISSANCE,
        required(
            i(
                "taux_incapacite",
                Kind::Count,
                "Taux d’incapacité reconnu par la MDPH",
                "En pourcentage, par exemple 80. S’il n’est pas encore connu, faites l’essai avec 80 et avec 50.",
                "%",
            ),
            "Saisissez le taux d’incapacité",
        ),
        yes_no(
            "rsdae",
            "Si votre taux est entre 50 et 79 % : la MDPH a-t-elle reconnu une restriction substantielle et durable d’accès à l’emploi ?",
            "",
        ),
        yes_no(
            "hors_charge_prestations_familiales",
            "Si vous avez moins de 20 ans : êtes-vous hors de la charge de vos parents pour les allocations familiales ?",
            "",
        ),
        money(
            "ressources_annuelles",
            "Revenus de l’avant-dernière année, hors salaires actuels",
            "Revenu net catégoriel de votre avis d’imposition de l’avant-dernière année, sans les revenus d’un travail en milieu ordinaire que vous avez encore.",
            "€ par an",
        ),
        money(
            "revenus_activite_mensuels",
            "Salaire mensuel net actuel",
            "Si vous travaillez en milieu ordinaire.",
            "€ par mois",
        ),
        i(
            "enfants_a_charge",
            Kind::Count,
            "Nombre d’enfants à charge",
            "",
            "",
        ),
        money(
            "pension_invalidite",
            "Pension d’invalidité ou rente",
            "Si vous en percevez une.",
            "€ par mois",
        ),
        AGE,
        DATE,
    ];

    const AMETHYSTE: &[Input] = &[
        required(
            i(
                "departement",
                Kind::Departement,
                "Département où vous habitez",
                "",
                "",
            ),
            "Choisissez votre département",
        ),
        NAISSANCE,
        yes_no(
            "inapte_travail",
            "Avez-vous été reconnu inapte au travail ?",
            "Retraite pour inaptitude.",
        ),
        yes_no(
            "aah",
            "Percevez-vous l’allocation aux adultes handicapés (AAH) ?",
            "",
        ),
        yes_no(
            "aspa",
            "Percevez-vous l’allocation de solidarité aux personnes âgées (ASPA) ?",
            "",
        ),
        yes_no(
            "asi",
            "Percevez-vous l’allocation supplémentaire d’invalidité (ASI) ?",
            "",
        ),
        yes_no(
            "invalidite_2_3",
            "Percevez-vous une pension d’invalidité de 2e ou 3e catégorie ?",
            "",
        ),
        yes_no(
            "carte_invalidite_80",
            "Avez-vous une carte d’invalidité ou une CMI mention invalidité (taux d’au moins 80 %) ?",
            "",
        ),
        yes_no("aeeh", "Percevez-vous l’AEEH pour un enfant ?", ""),
        yes_no(
            "ancien_combattant",
            "Êtes-vous ancien combattant, veuve ou veuf de guerre ?",
            "Carte de l’ONAC.",
        ),
        yes_no(
            "pch",
            "Percevez-vous la prestation de compensation du handicap (PCH) ?",
            "",
        ),
        yes_no(
            "actp",
            "Percevez-vous l’allocation compensatrice pour tierce personne (ACTP) ?",
            "",
        ),
        yes_no(
            "imposable",
            "Êtes-vous imposable sur le revenu ?",
            "Voir votre dernier avis d’imposition.",
        ),
        money(
            "impot_revenu",
            "Montant de l’impôt sur le revenu",
            "Ligne « impôt sur le revenu net avant corrections » du dernier avis.",
            "€ par an",
        ),
        i(
            "residence_mois",
            Kind::Count,
            "Depuis combien de mois habitez-vous dans le département ?",
            "",
            "mois",
        ),
        AGE,
        DATE,
    ];

    /// Départements of the Améthyste simulation, with their names.
    pub const DEPARTEMENTS: &[(&str, &str)] = &[
        ("75", "Paris (75)"),
        ("91", "Essonne (91)"),
        ("92", "Hauts-de-Seine (92)"),
        ("93", "Seine-Saint-Denis (93)"),
        ("94", "Val-de-Marne (94)"),
        ("95", "Val-d’Oise (95)"),
    ];

    /// Every input of an aid, in the order of its web page.
    pub fn catalogue(aid: Aid) -> &'static [Input] {
        match aid {
            Aid::Apa => APA,
            Aid::ApaEtablissement => APA_ETABLISSEMENT,
            Aid::Pch => PCH,
            Aid::Aah => AAH,
            Aid::Amethyste => AMETHYSTE,
        }
    }

    /// The main amounts of a result (field, French label), for summaries and CSV columns.
    pub fn main_amounts(aid: Aid) -> &'static [(&'static str, &'static str)] {
        match aid {
            Aid::Apa => &[
                ("plafond", "Plafond du plan d’aide"),
                ("plan_retenu", "Plan d’aide retenu"),
                ("ressources_retenues", "Ressources retenues par mois"),
                ("participation", "Votre participation par mois"),
                ("apa", "APA versée par mois"),
            ],
            Aid::ApaEtablissement => &[
                ("ressources_retenues", "Ressources retenues par mois"),
                ("participation", "Votre participation par mois"),
                ("apa", "APA versée par mois"),
            ],
            Aid::Pch => &[
                ("aide_humaine_mensuelle", "Aide humaine par mois"),
                ("total_mensuel", "Total par mois"),
            ],
            Aid::Aah => &[
                ("plafond_annuel", "Plafond de ressources annuel"),
                ("ressources_retenues", "Ressources retenues"),
                ("aah", "AAH par mois"),
            ],
            Aid::Amethyste => &[("prix", "Prix annuel du forfait")],
        }
    }

    /// `120161` cents → `1 201,61 €`.
    pub fn euros(cents: i64) -> String {
        let s = guichet_forms::french_money(cents);
        if s.contains(',') {
            format!("{s} €")
        } else {
            format!("{s},00 €")
        }
    }

    fn parse_date(text: &str) -> Option<chrono::NaiveDate> {
        let t = text.trim();
        if let Ok(d) = chrono::NaiveDate::parse_from_str(t, "%Y-%m-%d") {
            return Some(d);
        }
        let parts: Vec<&str> = t.split(['/', ' ', '.', '-']).filter(|p| !p.is_empty()).collect();
        let [d, m, y] = parts.as_slice() else { return None };
        if y.len() != 4 {
            return None;
        }
        chrono::NaiveDate::from_ymd_opt(y.parse().ok()?, m.parse().ok()?, d.parse().ok()?)
    }

    /// Types one input typed as text: `Ok(None)` when empty (the input is left out).
    pub fn value_of(input: &Input, text: &str) -> Result<Option<Value>, String> {
        let t = text.trim();
        if t.is_empty() {
            return Ok(None);
        }
        let compact: String = t
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '\u{a0}' && *c != '\u{202f}')
            .collect();
        let v = match input.kind {
            Kind::Money => {
                Euros::parse(t).map_err(|e| e.to_string())?;
                Value::String(t.to_owned())
            }
            Kind::Count => Value::from(
                compact
                    .parse::<u32>()
                    .map_err(|_| "Saisissez un nombre entier, par exemple 3".to_owned())?,
            ),
            Kind::Hours => {
                let dec = compact.replace(',', ".");
                match dec.parse::<f64>() {
                    Ok(h) if h >= 0.0 && dec.chars().all(|c| c.is_ascii_digit() || c == '.') => {
                        Value::String(dec)
                    }
                    _ => return Err("Saisissez un nombre d’heures, par exemple 30 ou 12,5".into()),
                }
            }
            Kind::YesNo => match t.to_lowercase().as_str() {
                "oui" | "o" | "true" | "vrai" | "1" | "yes" => Value::Bool(true),
                "non" | "n" | "false" | "faux" | "0" | "no" => Value::Bool(false),
                _ => return Err("Répondez oui ou non".into()),
            },
            Kind::Date => Value::String(
                parse_date(t)
                    .ok_or_else(|| {
                        "Saisissez la date au format JJ/MM/AAAA, par exemple 27/03/1950".to_owned()
                    })?
                    .format("%Y-%m-%d")
                    .to_string(),
            ),
            Kind::Gir => {
                let g = Gir::parse(t).map_err(|e| e.to_string())?;
                Value::from(g.value())
            }
            Kind::Departement => {
                if !DEPARTEMENTS.iter().any(|(code, _)| *code == t) {
                    return Err("Choisissez un département : 75, 91, 92, 93, 94 ou 95".into());
                }
                Value::String(t.to_owned())
            }
        };
        Ok(Some(v))
    }

    /// Builds the JSON input of a simulation from (name, text) pairs; errors are (input name, French
    /// message), every one of them, so that a page can show them all at once.
    pub fn from_text<'a>(
        aid: Aid,
        pairs: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<Map<String, Value>, Vec<(String, String)>> {
        let catalogue = catalogue(aid);
        let mut out = Map::new();
        let mut errors = Vec::new();
        for (name, text) in pairs {
            let Some(input) = catalogue.iter().find(|i| i.name == name) else {
                let known: Vec<&str> = catalogue.iter().map(|i| i.name).collect();
                errors.push((
                    name.to_owned(),
                    format!(
                        "Donnée inconnue « {name} » ; données possibles : {}",
                        known.join(", ")
                    ),
                ));
                continue;
            };
            match value_of(input, text) {
                Ok(Some(v)) => {
                    out.insert(name.to_owned(), v);
                }
                Ok(None) => {}
                Err(m) => errors.push((name.to_owned(), m)),
            }
        }
        for input in catalogue.iter().filter(|i| i.required) {
            if !out.contains_key(input.name) && !errors.iter().any(|(n, _)| n == input.name) {
                errors.push((input.name.to_owned(), input.missing.to_owned()));
            }
        }
        if errors.is_empty() { Ok(out) } else { Err(errors) }
    }

    /// serde's messages, in French for the common cases (`unknown field`, `missing field`, types).
    pub fn french_serde_message(m: &str) -> String {
        if let Some(rest) = m.strip_prefix("unknown field `") {
            let name = rest.split('`').next().unwrap_or_default();
            let expected = rest.split("expected one of ").nth(1).unwrap_or_default();
            return format!(
                "champ inconnu « {name} » (champs possibles : {})",
                expected.replace('`', "")
            );
        }
        if let Some(rest) = m.strip_prefix("missing field `") {
            let name = rest.split('`').next().unwrap_or_default();
            return format!("champ obligatoire manquant « {name} »");
        }
        for (prefix, what) in [
            ("invalid type: ", "type incorrect"),
            ("invalid value: ", "valeur incorrecte"),
        ] {
            if let Some(rest) = m.strip_prefix(prefix) {
                let (got, expected) = rest.split_once(", expected ").unwrap_or((rest, ""));
                let got = [
                    ("boolean", "booléen"),
                    ("string", "texte"),
                    ("integer", "nombre entier"),
                    ("floating point", "nombre décimal"),
                    ("map", "objet"),
                    ("sequence", "liste"),
                ]
                .iter()
                .fold(got.to_owned(), |g, (en, fr)| g.replacen(en, fr, 1));
                let expected = match expected {
                    "a boolean" => "true ou false",
                    "u32" | "u8" => "un nombre entier positif",
                    "a string" => "un texte",
                    other => other,
                };
                return format!("{what} : {got} ; attendu : {expected}");
            }
        }
        m.to_owned()
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn text_inputs_become_the_json_the_simulation_reads() {
            let m = from_text(
                Aid::Apa,
                [
                    ("gir", "GIR 2"),
                    ("plan", "1 500"),
                    ("couple", "non"),
                    ("date", "15/01/2026"),
                ],
            )
            .unwrap();
            assert_eq!(m["gir"], 2);
            assert_eq!(m["plan"], "1 500");
            assert_eq!(m["couple"], false);
            assert_eq!(m["date"], "2026-01-15");
        }

        #[test]
        fn every_error_is_reported_with_its_input() {
            let errors = from_text(Aid::Apa, [("plan", "douze"), ("gri", "2")]).unwrap_err();
            let names: Vec<&str> = errors.iter().map(|(n, _)| n.as_str()).collect();
            assert_eq!(names, ["plan", "gri", "gir"]);
        }

        #[test]
        fn every_catalogued_input_is_known_to_the_simulation() {
            // A misspelt catalogue name would be refused by the crate's deny_unknown_fields.
            for aid in Aid::ALL {
                for input in catalogue(aid) {
                    let mut m = serde_json::Map::new();
                    m.insert(input.name.to_owned(), Value::Null);
                    let err = guichet_simulation::simulate_json(
                        guichet_simulation::Parameters::shared().unwrap(),
                        aid,
                        Value::Object(m),
                    )
                    .err()
                    .map(|e| e.to_string())
                    .unwrap_or_default();
                    assert!(!err.contains("unknown field"), "{aid} {}: {err}", input.name);
                }
            }
        }

        #[test]
        fn serde_messages_are_put_in_french() {
            assert_eq!(
                french_serde_message("invalid type: boolean `true`, expected a string"),
                "type incorrect : booléen `true` ; attendu : un texte"
            );
            assert!(
                french_serde_message("unknown field `plann`, expected one of `gir`, `plan`")
                    .contains("« plann »")
            );
        }

        #[test]
        fn amounts_are_written_the_french_way() {
            assert_eq!(euros(120_161), "1 201,61 €");
            assert_eq!(euros(150_000), "1 500,00 €");
        }
    }
}
