//! Simulators: one accessible page per aid, no account and no JavaScript needed. The result comes first
//! in one sentence, the calculation in a disclosure; "Faire la demande" creates a draft of the matching
//! procedure with the answers carried over.
//!
//! Nothing the person typed goes into a URL: the form, "Modifier mes réponses" and "Faire la demande"
//! are POST forms carrying the answers as hidden fields. An anonymous visitor who asks to file keeps
//! the answers in a short-lived cookie (`Path=/simulateurs`, HttpOnly) while logging in; the login's
//! `suite` is the bare result page, which reads it.

use actix_web::cookie::{Cookie, SameSite, time::Duration};
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use guichet_dossiers::store::{self, NewDraft};
use guichet_forms::Answers;
use guichet_simulation::{Aid, Parameters, SimulationError, care_plan, pch};
use guichet_usecases::deadlines::today;
use guichet_usecases::simulators::{self as cases, GIR_ANSWERS, GIR_QUESTIONS};
use serde_json::{Map, Value};

use super::{ok, render, see_other};
use crate::api::inputs::{self, Input, Kind, i as web_input};
use crate::app::AppState;
use crate::error::{WebError, WebResult};
use crate::form::{CsrfForm, FormData};
use crate::session::MaybeUser;
use crate::templates::{FieldError, Layout};

/// Routes of the simulators (`/simulateurs…`).
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/simulateurs", web::get().to(list_simulators))
        .route("/simulateurs/{aid}", web::get().to(show_simulator))
        .route("/simulateurs/{aid}", web::post().to(submit_simulator))
        .route("/simulateurs/{aid}/resultat", web::get().to(show_result))
        .route("/simulateurs/{aid}/demande", web::post().to(start_request));
}

/// The cookie that keeps an anonymous visitor's answers while they log in to file the request.
const PENDING_COOKIE: &str = "guichet_simulation";

/// The simulator's one name, on the home page, the list and its own page.
pub fn name(aid: Aid) -> &'static str {
    match aid {
        Aid::Apa => "Estimer l’APA à domicile",
        Aid::ApaEtablissement => "Estimer l’APA en établissement",
        Aid::Pch => "Estimer la PCH",
        Aid::Aah => "Estimer l’AAH",
        Aid::Amethyste => "Estimer le forfait Améthyste",
    }
}

/// One sentence per simulator, for the home page and the list.
pub fn summary(aid: Aid) -> &'static str {
    match aid {
        Aid::Apa => {
            "Allocation personnalisée d’autonomie, pour les personnes de 60 ans et plus qui vivent chez elles : ce que l’APA paierait chaque mois pour l’aide à domicile, et ce qui resterait à votre charge."
        }
        Aid::ApaEtablissement => {
            "Pour les personnes qui vivent en établissement (EHPAD) : ce que l’APA paierait du tarif dépendance, et ce qui resterait à votre charge."
        }
        Aid::Pch => {
            "Prestation de compensation du handicap : ce qu’elle pourrait payer chaque mois pour l’aide d’une personne, le matériel ou l’aménagement du logement."
        }
        Aid::Aah => "Allocation aux adultes handicapés : combien vous pourriez recevoir chaque mois.",
        Aid::Amethyste => {
            "Transports en Île-de-France : pourriez-vous avoir le forfait, et combien coûterait-il dans votre département ?"
        }
    }
}

/// Who decides, said on every result: APA by the département, PCH and AAH by the CDAPH.
fn notice(aid: Aid) -> &'static str {
    match aid {
        Aid::Apa | Aid::ApaEtablissement => {
            "Estimation : ce n’est pas une décision. Le département décide après étude de votre dossier."
        }
        Aid::Pch => {
            "Estimation : ce n’est pas une décision. La CDAPH, à la MDPH, décide après étude de votre dossier ; le département verse ensuite la PCH."
        }
        Aid::Aah => {
            "Estimation : ce n’est pas une décision. La CDAPH, à la MDPH, décide après étude de votre dossier ; la CAF ou la MSA verse ensuite l’AAH."
        }
        Aid::Amethyste => {
            "Estimation : ce n’est pas une décision. Le département où vous habitez décide après étude de votre dossier."
        }
    }
}

/// The procedure to file after a simulation (AAH is asked for with the MDPH request).
fn procedure_of(aid: Aid) -> Option<&'static str> {
    match aid {
        Aid::Apa => Some("apa"),
        Aid::Pch => Some("pch"),
        Aid::Aah => Some("mdph"),
        Aid::Amethyste => Some("amethyste"),
        Aid::ApaEtablissement => None,
    }
}

/// The official site of each Améthyste département, for a simulation made for another one than ours.
const AMETHYSTE_SITES: &[(&str, &str)] = &[
    ("75", "https://www.paris.fr"),
    ("91", "https://www.essonne.fr"),
    ("92", "https://www.hauts-de-seine.fr"),
    ("93", "https://seinesaintdenis.fr"),
    ("94", "https://www.valdemarne.fr"),
    ("95", "https://www.valdoise.fr"),
];

fn aid_of(path: &str) -> WebResult<Aid> {
    path.parse().map_err(|_| WebError::NotFound)
}

// ------------------------------------------------------------------------------------ web-only inputs

/// APA: the hours of help, for people who do not know the amount of their plan.
const HEURES_AIDE: Input = web_input(
    "heures_aide",
    Kind::Hours,
    "Si vous ne connaissez pas le montant du plan d’aide : combien d’heures d’aide à domicile vous faudrait-il par mois ?",
    "Par exemple 40 (environ 10 heures par semaine). Nous estimons le plan d’aide avec le tarif horaire de l’aide à domicile.",
    "heures par mois",
);

/// PCH hours asked per day, the unit of the request, converted to the simulation's hours per month.
const PCH_HOURS: [(&str, &str); 6] = [
    ("heures_prestataire", "Aide par un service d’aide à domicile"),
    (
        "heures_emploi_direct",
        "Aide par une personne que vous employez directement",
    ),
    (
        "heures_emploi_direct_soins",
        "Dont gestes de soins par une personne que vous employez directement",
    ),
    (
        "heures_mandataire",
        "Aide par une personne employée via un service mandataire",
    ),
    (
        "heures_mandataire_soins",
        "Dont gestes de soins par une personne employée via un service mandataire",
    ),
    ("heures_aidant_familial", "Aide par un proche (aidant familial)"),
];
const PCH_HOURS_REDUCED: (&str, &str) = (
    "heures_aidant_familial_activite_reduite",
    "Aide par un proche qui a réduit ou arrêté son travail pour vous aider",
);

fn per_day_name(name: &str) -> String {
    format!("{name}_jour")
}

fn pch_hours() -> impl Iterator<Item = (&'static str, &'static str)> {
    PCH_HOURS.into_iter().chain([PCH_HOURS_REDUCED])
}

/// PCH activity answers: `activite_<key>` = `aucune` | `grave` | `absolue` (none given: no serious
/// difficulty).
fn activity_field(key: &str) -> String {
    format!("activite_{key}")
}

/// Names a page may post besides the simulation inputs.
fn extra_names(aid: Aid) -> Vec<String> {
    let mut names = Vec::new();
    match aid {
        Aid::Apa | Aid::ApaEtablissement => {
            if aid == Aid::Apa {
                names.push(HEURES_AIDE.name.to_owned());
            }
            names.extend(GIR_QUESTIONS.iter().map(|q| q.field.to_owned()));
        }
        Aid::Pch => {
            names.extend(pch_hours().map(|(n, _)| per_day_name(n)));
            names.extend(
                pch::ACTIVITIES
                    .iter()
                    .flat_map(|d| d.activities.iter().map(|(k, _)| activity_field(k))),
            );
        }
        _ => {}
    }
    names
}

/// What the page shows a simulation input as, when it differs from the catalogue (APA and PCH ask some
/// of them another way; they stay available to the API and the CLI as catalogued).
fn hidden_on_web(aid: Aid, name: &str) -> bool {
    aid == Aid::Pch
        && (name == "difficultes_absolues"
            || name == "difficultes_graves"
            || pch_hours().any(|(n, _)| n == name))
}

// ------------------------------------------------------------------------------------------------ pages

/// A simulator in the list.
pub struct SimulatorLink {
    pub href: String,
    pub title: &'static str,
    pub summary: &'static str,
}

#[derive(Template)]
#[template(path = "simulateurs/index.html")]
pub struct ListPage {
    pub layout: Layout,
    pub simulators: Vec<SimulatorLink>,
}

/// One question of a simulator form.
pub struct SimField {
    pub name: String,
    pub label: &'static str,
    pub hint: &'static str,
    pub unit: &'static str,
    pub required: bool,
    /// `text` or `radio`.
    pub control: &'static str,
    pub inputmode: &'static str,
    pub autocomplete: &'static str,
    pub value: String,
    pub error: Option<String>,
    /// Radio options: (value, label, checked).
    pub options: Vec<(String, String, bool)>,
}

impl SimField {
    pub fn described_by(&self) -> String {
        let mut ids = Vec::new();
        if !self.hint.is_empty() {
            ids.push(format!("{}-aide", self.name));
        }
        if self.error.is_some() {
            ids.push(format!("{}-erreur", self.name));
        }
        ids.join(" ")
    }

    /// The id of a radio option: the first one carries the field's name, for the error summary's link.
    pub fn option_id(&self, index: usize, value: &str) -> String {
        if index == 0 {
            self.name.clone()
        } else {
            format!("{}-{value}", self.name)
        }
    }
}

/// A group of questions under one legend.
pub struct Section {
    pub legend: &'static str,
    pub intro: &'static str,
    pub fields: Vec<SimField>,
}

#[derive(Template)]
#[template(path = "simulateurs/form.html")]
pub struct FormPage {
    pub layout: Layout,
    pub action: String,
    pub intro: &'static str,
    pub errors: Vec<FieldError>,
    pub sections: Vec<Section>,
    /// Answers given but not asked on this page, kept across a re-display.
    pub hidden: Vec<(String, String)>,
    pub button: &'static str,
    /// `aller` value of the submit button (the questionnaire sends `gir`).
    pub step: &'static str,
}

/// A step of the explanation.
pub struct ExplanationLine {
    pub label: String,
    pub value: String,
    pub reference: String,
}

/// Something else to ask for, when the aid simulated is not the right one.
pub struct Alternative {
    pub text: String,
    pub href: String,
    pub link: String,
}

#[derive(Template)]
#[template(path = "simulateurs/result.html")]
pub struct ResultPage {
    pub layout: Layout,
    pub aid: &'static str,
    pub eligible: bool,
    /// The result in plain sentences, first on the page.
    pub headline: Vec<String>,
    /// How answers were turned into inputs (GIR from the questionnaire, plan from the hours).
    pub estimates: Vec<String>,
    pub reasons: Vec<String>,
    pub alternatives: Vec<Alternative>,
    pub to_confirm: Vec<String>,
    pub amounts: Vec<(String, String)>,
    pub details: Vec<(String, String)>,
    pub explanation: Vec<ExplanationLine>,
    pub warnings: Vec<String>,
    pub notice: &'static str,
    pub date: String,
    /// Answers as typed, for "Faire la demande" and "Modifier mes réponses".
    pub hidden: Vec<(String, String)>,
    /// Title of the procedure "Faire la demande" starts, when it can succeed here.
    pub request: Option<String>,
}

fn yes_no_options(v: &str) -> Vec<(String, String, bool)> {
    vec![
        ("oui".to_owned(), "Oui".to_owned(), v == "oui"),
        ("non".to_owned(), "Non".to_owned(), v == "non"),
    ]
}

fn sim_field(input: &Input, value: &str, errors: &[FieldError]) -> SimField {
    let (control, inputmode, options) = match input.kind {
        Kind::Money | Kind::Hours => ("text", "decimal", Vec::new()),
        Kind::Count => ("text", "numeric", Vec::new()),
        Kind::Date => ("text", "", Vec::new()),
        Kind::YesNo => ("radio", "", yes_no_options(value)),
        Kind::Gir => (
            "radio",
            "",
            (1..=6)
                .map(|g| (g.to_string(), format!("GIR {g}"), value == g.to_string()))
                .chain([(
                    "inconnu".to_owned(),
                    "Je ne connais pas mon GIR : répondre à quelques questions".to_owned(),
                    value == "inconnu",
                )])
                .collect(),
        ),
        Kind::Departement => (
            "radio",
            "",
            inputs::DEPARTEMENTS
                .iter()
                .map(|(code, name)| ((*code).to_owned(), (*name).to_owned(), value == *code))
                .collect(),
        ),
    };
    SimField {
        name: input.name.to_owned(),
        label: input.label,
        hint: input.hint,
        unit: input.unit,
        required: input.required,
        control,
        inputmode,
        autocomplete: if input.name == "date_naissance" {
            "bday"
        } else {
            "off"
        },
        value: value.to_owned(),
        error: error_of(errors, input.name),
        options,
    }
}

fn error_of(errors: &[FieldError], name: &str) -> Option<String> {
    errors.iter().find(|e| e.field == name).map(|e| e.message.clone())
}

fn intro(aid: Aid) -> &'static str {
    match aid {
        Aid::Apa => {
            "Répondez aux questions pour estimer ce que l’APA paierait chaque mois pour l’aide à domicile, et ce qui resterait à votre charge. Aucun compte n’est nécessaire ; vos réponses ne sont pas enregistrées."
        }
        _ => {
            "Répondez aux questions pour estimer vos droits. Aucun compte n’est nécessaire ; vos réponses ne sont pas enregistrées. Laissez vide ce qui ne vous concerne pas."
        }
    }
}

/// The page's sections: (legend, intro, input names). Inputs of the page left out of every section
/// are asked last.
fn layout_of(aid: Aid) -> Vec<(&'static str, &'static str, Vec<&'static str>)> {
    let resources = vec![
        "couple",
        "revenus_annuels",
        "valeur_locative_bati",
        "valeur_locative_non_bati",
        "capitaux",
    ];
    match aid {
        Aid::Apa => vec![
            ("La personne", "", vec!["date_naissance", "gir"]),
            (
                "Le plan d’aide",
                "Le plan d’aide liste les aides proposées après la visite à domicile : heures d’aide, portage de repas, téléassistance… Donnez son montant, ou sinon le nombre d’heures d’aide.",
                vec!["plan", "heures_aide"],
            ),
            ("Les ressources", "", resources),
        ],
        Aid::ApaEtablissement => vec![
            ("La personne", "", vec!["date_naissance", "gir"]),
            (
                "Les tarifs de l’établissement",
                "",
                vec!["tarif_gir", "tarif_gir_5_6"],
            ),
            ("Les ressources", "", resources),
        ],
        Aid::Pch => vec![
            (
                "Vous",
                "",
                vec![
                    "date_naissance",
                    "difficultes_avant_60_ans",
                    "en_activite",
                    "beneficiaire_aeeh",
                ],
            ),
            ("Vos ressources", "", vec!["ressources_annuelles"]),
            (
                "L’aide d’une personne",
                "En heures par jour, comme dans la demande. Nous comptons 30,4 jours par mois (365 jours ÷ 12). Laissez vide ce qui ne vous concerne pas.",
                vec!["tarif_prestataire", "aidant_familial_majore"],
            ),
            (
                "Le matériel, le logement, le véhicule, le chien d’assistance et les autres dépenses",
                "",
                vec![
                    "aides_techniques",
                    "amenagement_logement",
                    "vehicule_transport",
                    "charges_specifiques",
                    "charges_exceptionnelles",
                    "aide_animaliere",
                ],
            ),
            (
                "Si vous êtes parent",
                "",
                vec!["age_plus_jeune_enfant", "parent_isole"],
            ),
        ],
        Aid::Aah => vec![
            (
                "Votre situation",
                "",
                vec![
                    "date_naissance",
                    "taux_incapacite",
                    "rsdae",
                    "hors_charge_prestations_familiales",
                ],
            ),
            (
                "Vos ressources",
                "",
                vec![
                    "ressources_annuelles",
                    "revenus_activite_mensuels",
                    "enfants_a_charge",
                    "pension_invalidite",
                ],
            ),
        ],
        Aid::Amethyste => vec![
            ("Où vous habitez", "", vec!["departement", "residence_mois"]),
            (
                "Votre situation",
                "",
                // The rights that open a category, in the parameters' order.
                ["date_naissance", "inapte_travail"]
                    .into_iter()
                    .chain(guichet_simulation::KNOWN_RIGHTS.iter().copied())
                    .collect(),
            ),
            ("Vos impôts", "", vec!["imposable", "impot_revenu"]),
        ],
    }
}

fn value_in<'a>(values: &'a [(String, String)], name: &str) -> &'a str {
    values
        .iter()
        .find(|(n, _)| n == name)
        .map_or("", |(_, v)| v.as_str())
}

fn sections(aid: Aid, values: &[(String, String)], errors: &[FieldError]) -> Vec<Section> {
    let value = |name: &str| value_in(values, name);
    let input_of = |name: &str| -> Option<Input> {
        if name == HEURES_AIDE.name {
            return Some(HEURES_AIDE);
        }
        inputs::catalogue(aid)
            .iter()
            .find(|i| i.name == name && i.web && !hidden_on_web(aid, name))
            .copied()
    };
    let mut placed: Vec<&str> = Vec::new();
    let mut out = Vec::new();
    for (legend, intro, names) in layout_of(aid) {
        let mut fields: Vec<SimField> = Vec::new();
        if aid == Aid::Pch && legend == "L’aide d’une personne" {
            for (n, label) in pch_hours() {
                let day = per_day_name(n);
                let mut f = sim_field(
                    &web_input("", Kind::Hours, label, "", "heures par jour"),
                    value(&day),
                    errors,
                );
                f.error = error_of(errors, &day);
                f.name = day;
                fields.push(f);
            }
        }
        for n in names {
            if let Some(i) = input_of(n) {
                placed.push(n);
                fields.push(sim_field(&i, value(n), errors));
            }
        }
        out.push(Section {
            legend,
            intro,
            fields,
        });
        if aid == Aid::Pch && legend == "Vous" {
            out.extend(activity_sections(values));
        }
    }
    let rest: Vec<SimField> = inputs::catalogue(aid)
        .iter()
        .filter(|i| i.web && !hidden_on_web(aid, i.name) && !placed.contains(&i.name))
        .map(|i| sim_field(i, value(i.name), errors))
        .collect();
    if !rest.is_empty() {
        out.push(Section {
            legend: "Autres questions",
            intro: "",
            fields: rest,
        });
    }
    out
}

/// The PCH activities of the référentiel, one section per domain, one question per activity.
fn activity_sections(values: &[(String, String)]) -> Vec<Section> {
    pch::ACTIVITIES
        .iter()
        .enumerate()
        .map(|(n, d)| Section {
            legend: d.label,
            intro: if n == 0 {
                "Pour chaque activité, dites si vous la faites avec une difficulté grave (difficilement et pas entièrement) ou si vous ne pouvez pas la faire du tout, même avec une aide technique. Laissez sans réponse ce que vous faites sans grande difficulté."
            } else {
                ""
            },
            fields: d
                .activities
                .iter()
                .map(|(key, label)| {
                    let name = activity_field(key);
                    let v = value_in(values, &name);
                    SimField {
                        label,
                        hint: "",
                        unit: "",
                        required: false,
                        control: "radio",
                        inputmode: "",
                        autocomplete: "off",
                        value: v.to_owned(),
                        error: None,
                        options: vec![
                            // A way back from a wrong click: a radio cannot be unticked.
                            ("aucune".into(), "Sans difficulté grave".into(), v == "aucune"),
                            ("grave".into(), "Difficulté grave".into(), v == "grave"),
                            ("absolue".into(), "Ne peut pas du tout".into(), v == "absolue"),
                        ],
                        name,
                    }
                })
                .collect(),
        })
        .collect()
}

fn form_page(
    req: &HttpRequest,
    user: &MaybeUser,
    aid: Aid,
    values: &[(String, String)],
    errors: Vec<FieldError>,
) -> FormPage {
    let sections = sections(aid, values, &errors);
    let shown: Vec<String> = sections
        .iter()
        .flat_map(|s| s.fields.iter().map(|f| f.name.clone()))
        .collect();
    FormPage {
        layout: Layout::new(req, user.0.as_ref(), name(aid)).with_errors(!errors.is_empty()),
        action: format!("/simulateurs/{aid}"),
        intro: intro(aid),
        hidden: values
            .iter()
            .filter(|(n, _)| !shown.contains(n))
            .cloned()
            .collect(),
        sections,
        errors,
        button: "Estimer",
        step: "estimer",
    }
}

/// The short AGGIR questionnaire, a page of its own (no script): the other answers ride along hidden.
fn questionnaire_page(
    req: &HttpRequest,
    user: &MaybeUser,
    aid: Aid,
    values: &[(String, String)],
    errors: Vec<FieldError>,
) -> FormPage {
    let fields: Vec<SimField> = GIR_QUESTIONS
        .iter()
        .map(|q| {
            let v = value_in(values, q.field);
            SimField {
                name: q.field.to_owned(),
                label: q.label,
                hint: "",
                unit: "",
                required: true,
                control: "radio",
                inputmode: "",
                autocomplete: "off",
                value: v.to_owned(),
                error: error_of(&errors, q.field),
                options: GIR_ANSWERS
                    .iter()
                    .map(|(m, label)| (m.to_string(), (*label).to_owned(), v == m.to_string()))
                    .collect(),
            }
        })
        .collect();
    FormPage {
        layout: Layout::new(
            req,
            user.0.as_ref(),
            "Estimer le GIR : ce que la personne fait seule",
        )
        .with_errors(!errors.is_empty()),
        action: format!("/simulateurs/{aid}"),
        intro: "Le GIR mesure la perte d’autonomie, de 1 (la plus forte) à 6. Il est fixé par l’équipe du département lors d’une visite à domicile. Pour l’estimer, dites pour chaque activité ce que la personne fait seule, habituellement et correctement.",
        hidden: values
            .iter()
            .filter(|(n, _)| !n.starts_with("aggir_"))
            .cloned()
            .collect(),
        sections: vec![Section {
            legend: "Les activités de la vie quotidienne",
            intro: "",
            fields,
        }],
        errors,
        button: "Estimer le GIR et continuer",
        step: "gir",
    }
}

pub async fn list_simulators(req: HttpRequest, user: MaybeUser) -> WebResult<HttpResponse> {
    ok(&ListPage {
        layout: Layout::new(&req, user.0.as_ref(), "Estimer vos droits"),
        simulators: Aid::ALL
            .into_iter()
            .map(|aid| SimulatorLink {
                href: format!("/simulateurs/{aid}"),
                title: name(aid),
                summary: summary(aid),
            })
            .collect(),
    })
}

/// The empty form. Answers are never read from the query string: they would end up in the history
/// and in logs.
pub async fn show_simulator(
    req: HttpRequest,
    user: MaybeUser,
    path: web::Path<String>,
) -> WebResult<HttpResponse> {
    let aid = aid_of(&path)?;
    ok(&form_page(&req, &user, aid, &[], Vec::new()))
}

/// The form posted: `aller=modifier` shows it again with the answers ("Modifier mes réponses"); else
/// the GIR questionnaire when the GIR is not known, the result, or the form with its errors.
pub async fn submit_simulator(
    req: HttpRequest,
    user: MaybeUser,
    path: web::Path<String>,
    CsrfForm(form): CsrfForm,
) -> WebResult<HttpResponse> {
    let aid = aid_of(&path)?;
    let values = posted(aid, &form);
    if form.get("aller") == "modifier" {
        return ok(&form_page(&req, &user, aid, &values, Vec::new()));
    }
    simulate_page(&req, &user, aid, values, form.get("aller") == "gir")
}

/// Back from the login: the answers kept in the cookie by an anonymous "Faire la demande". Without
/// them (expired, another browser), the empty form.
pub async fn show_result(
    req: HttpRequest,
    user: MaybeUser,
    path: web::Path<String>,
) -> WebResult<HttpResponse> {
    let aid = aid_of(&path)?;
    let values = pending(&req, aid);
    if values.is_empty() {
        return Ok(see_other(&format!("/simulateurs/{aid}")));
    }
    simulate_page(&req, &user, aid, values, false)
}

/// The answers of the pending cookie, when it is this aid's.
fn pending(req: &HttpRequest, aid: Aid) -> Vec<(String, String)> {
    let Some(c) = req.cookie(PENDING_COOKIE) else {
        return Vec::new();
    };
    let mut pairs: Vec<(String, String)> = form_urlencoded::parse(c.value().as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    if pairs.first().is_none_or(|(k, v)| k != "aide" || v != aid.name()) {
        return Vec::new();
    }
    pairs.remove(0);
    let known = known_names(aid);
    pairs.retain(|(k, v)| known.contains(k) && !v.trim().is_empty());
    pairs
}

fn known_names(aid: Aid) -> Vec<String> {
    inputs::catalogue(aid)
        .iter()
        .map(|i| i.name.to_owned())
        .chain(extra_names(aid))
        .collect()
}

/// Known, non-empty answers of a form: the simulation's inputs and the page's own questions.
/// Inputs not asked on the page (`date`) are accepted too, so that a test can fix the simulation date.
fn posted(aid: Aid, form: &FormData) -> Vec<(String, String)> {
    known_names(aid)
        .into_iter()
        .map(|n| {
            let v = form.get(&n).trim().to_owned();
            (n, v)
        })
        .filter(|(_, v)| !v.is_empty())
        .collect()
}

/// The simulation's inputs from the page's answers, and what was estimated on the way.
struct Prepared {
    pairs: Vec<(String, String)>,
    estimates: Vec<String>,
    plan_step: Option<ExplanationLine>,
}

enum Preparation {
    Ready(Prepared),
    /// The GIR is not known: the questionnaire, with its errors once it was sent.
    Questionnaire(Vec<FieldError>),
    Invalid(Vec<FieldError>),
}

fn field_errors(errors: Vec<(String, String)>) -> Vec<FieldError> {
    errors
        .into_iter()
        .map(|(field, message)| FieldError { field, message })
        .collect()
}

fn prepare(aid: Aid, values: &[(String, String)], questionnaire_sent: bool) -> Preparation {
    let value = |n: &str| value_in(values, n).to_owned();
    let extras = extra_names(aid);
    let mut pairs: Vec<(String, String)> = values
        .iter()
        .filter(|(n, _)| !extras.contains(n))
        .cloned()
        .collect();
    let mut estimates = Vec::new();
    let mut plan_step = None;
    let mut errors = Vec::new();
    if matches!(aid, Aid::Apa | Aid::ApaEtablissement) && value("gir") == "inconnu" {
        let answered = values.iter().any(|(n, _)| n.starts_with("aggir_"));
        match cases::gir_from_answers(|f| Some(value(f)).filter(|v| !v.is_empty())) {
            Ok(r) => {
                pairs.retain(|(n, _)| n != "gir");
                pairs.push(("gir".into(), r.gir.to_string()));
                estimates.push(format!(
                    "D’après vos réponses au questionnaire, le GIR serait le GIR {}. Seule l’évaluation à domicile par l’équipe du département le fixera.",
                    r.gir
                ));
            }
            Err(missing) if answered || questionnaire_sent => {
                return Preparation::Questionnaire(field_errors(missing));
            }
            Err(_) => return Preparation::Questionnaire(Vec::new()),
        }
    }
    if aid == Aid::Apa && value("plan").is_empty() {
        let hours = value(HEURES_AIDE.name);
        if hours.is_empty() {
            errors.push((
                "plan".to_owned(),
                "Saisissez le montant mensuel du plan d’aide, ou sinon le nombre d’heures d’aide par mois"
                    .to_owned(),
            ));
        } else {
            match inputs::value_of(&HEURES_AIDE, &hours)
                .ok()
                .flatten()
                .and_then(|v| v.as_str().and_then(|s| s.parse::<f64>().ok()))
                .ok_or_else(|| "Saisissez un nombre d’heures, par exemple 40 ou 12,5".to_owned())
                .and_then(|h| {
                    let p = Parameters::shared().map_err(|e| e.to_string())?;
                    care_plan::estimate_from_hours(p, simulation_date(aid, values), h)
                        .map_err(|e| e.to_string())
                }) {
                Ok(e) => {
                    pairs.push(("plan".into(), inputs::euros(e.plan_cents)));
                    estimates.push(format!(
                        "Nous avons estimé le plan d’aide à {} par mois : {} heures à {} de l’heure, le tarif de l’aide à domicile. Le département fixera le plan après la visite à domicile.",
                        inputs::euros(e.plan_cents),
                        hours,
                        inputs::euros(e.tariff_cents)
                    ));
                    plan_step = Some(ExplanationLine {
                        label: e.step.label,
                        value: e.step.value,
                        reference: e.step.reference,
                    });
                }
                Err(m) => errors.push((HEURES_AIDE.name.to_owned(), m)),
            }
        }
    }
    if aid == Aid::Pch {
        let answers: Vec<String> = pch::ACTIVITIES
            .iter()
            .flat_map(|d| d.activities.iter().map(|(k, _)| value(&activity_field(k))))
            .collect();
        if answers.iter().any(|a| !a.is_empty()) {
            let count = |what: &str| answers.iter().filter(|a| *a == what).count().to_string();
            pairs.retain(|(n, _)| n != "difficultes_absolues" && n != "difficultes_graves");
            pairs.push(("difficultes_absolues".into(), count("absolue")));
            pairs.push(("difficultes_graves".into(), count("grave")));
        }
        for (n, _) in pch_hours() {
            let day = per_day_name(n);
            let text = value(&day);
            if text.is_empty() {
                continue;
            }
            let per_day = text
                .replace([' ', '\u{a0}', '\u{202f}'], "")
                .replace(',', ".")
                .parse::<f64>()
                .ok()
                .filter(|h| h.is_finite() && (0.0..=24.0).contains(h));
            match per_day {
                Some(h) => {
                    pairs.retain(|(x, _)| x != n);
                    pairs.push((n.to_owned(), format!("{:.2}", h * cases::DAYS_PER_MONTH)));
                }
                None => errors.push((
                    day,
                    "Saisissez un nombre d’heures par jour, entre 0 et 24, par exemple 2 ou 1,5".into(),
                )),
            }
        }
    }
    if errors.is_empty() {
        Preparation::Ready(Prepared {
            pairs,
            estimates,
            plan_step,
        })
    } else {
        // Every error of the page at once (GOV.UK error summary), in the page's order: the inputs'
        // own checks too, not only the ones made here.
        if let Err(more) = inputs::from_text(aid, pairs.iter().map(|(k, v)| (k.as_str(), v.as_str()))) {
            for (field, message) in more {
                if field != "plan" && !errors.iter().any(|(f, _)| *f == field) {
                    errors.push((field, message));
                }
            }
        }
        let order: Vec<String> = sections(aid, &[], &[])
            .into_iter()
            .flat_map(|s| s.fields.into_iter().map(|f| f.name))
            .collect();
        errors.sort_by_key(|(f, _)| order.iter().position(|n| n == f).unwrap_or(usize::MAX));
        Preparation::Invalid(field_errors(errors))
    }
}

fn simulation_date(aid: Aid, values: &[(String, String)]) -> chrono::NaiveDate {
    inputs::catalogue(aid)
        .iter()
        .find(|i| i.name == "date")
        .and_then(|i| inputs::value_of(i, value_in(values, "date")).ok().flatten())
        .and_then(|v| {
            v.as_str()
                .and_then(|s| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").ok())
        })
        .unwrap_or_else(today)
}

fn simulate(aid: Aid, pairs: &[(String, String)]) -> Result<(Map<String, Value>, Value), Vec<FieldError>> {
    let first = sections(aid, &[], &[])
        .into_iter()
        .flat_map(|s| s.fields.into_iter().map(|f| f.name))
        .next()
        .unwrap_or_default();
    let on_page = |field: &str| known_names(aid).iter().any(|n| n == field) && !hidden_on_web(aid, field);
    let to_errors = |errors: Vec<(String, String)>| {
        errors
            .into_iter()
            .map(|(field, message)| {
                // An input that is not on the page is reported at the top of the form.
                if on_page(&field) {
                    FieldError { field, message }
                } else {
                    FieldError {
                        message: format!("{field} : {message}"),
                        field: first.clone(),
                    }
                }
            })
            .collect::<Vec<_>>()
    };
    let input =
        inputs::from_text(aid, pairs.iter().map(|(k, v)| (k.as_str(), v.as_str()))).map_err(to_errors)?;
    let result = crate::api::run(aid, Value::Object(input.clone())).map_err(|e| {
        let message = match e {
            SimulationError::InvalidInput(m) => inputs::french_serde_message(&m),
            other => other.to_string(),
        };
        // Not tied to one question: the summary links to the first one.
        vec![FieldError {
            field: first.clone(),
            message,
        }]
    })?;
    Ok((input, result))
}

fn simulate_page(
    req: &HttpRequest,
    user: &MaybeUser,
    aid: Aid,
    values: Vec<(String, String)>,
    questionnaire_sent: bool,
) -> WebResult<HttpResponse> {
    let prepared = match prepare(aid, &values, questionnaire_sent) {
        Preparation::Ready(p) => p,
        Preparation::Questionnaire(errors) => {
            let status = if errors.is_empty() {
                StatusCode::OK
            } else {
                StatusCode::UNPROCESSABLE_ENTITY
            };
            return render(status, &questionnaire_page(req, user, aid, &values, errors));
        }
        Preparation::Invalid(errors) => {
            return render(
                StatusCode::UNPROCESSABLE_ENTITY,
                &form_page(req, user, aid, &values, errors),
            );
        }
    };
    match simulate(aid, &prepared.pairs) {
        Ok((_, result)) => {
            let state = req.app_data::<web::Data<AppState>>();
            let here = state.and_then(|s| amethyste_departement(s));
            let request = procedure_of(aid)
                .and_then(|p| state.and_then(|s| s.procedures.get(p)))
                .map(|p| p.def.title().to_owned());
            ok(&result_page(
                req, user, aid, &result, values, prepared, request, here,
            ))
        }
        Err(errors) => render(
            StatusCode::UNPROCESSABLE_ENTITY,
            &form_page(req, user, aid, &values, errors),
        ),
    }
}

/// The département of this platform's Améthyste procedure (its variant).
fn amethyste_departement(state: &AppState) -> Option<String> {
    state
        .procedures
        .get("amethyste")
        .and_then(|p| p.def.variant().map(str::to_owned))
}

fn cents(v: &Value) -> Option<i64> {
    v.as_i64()
}

/// `122 367` cents → `1 224 €`: « environ », a whole number of euros.
fn about(cents: i64) -> String {
    let euros = (cents + 50).div_euclid(100);
    format!(
        "{} €",
        guichet_forms::french_money(euros * 100).trim_end_matches(",00")
    )
}

fn percent(v: &Value) -> Option<String> {
    let s = v.as_str()?;
    let d: f64 = s.parse().ok()?;
    let p = format!("{:.2}", d * 100.0);
    let p = p.trim_end_matches('0').trim_end_matches('.');
    Some(format!("{} %", p.replace('.', ",")))
}

fn period(months: u64) -> &'static str {
    match months {
        0 => " en une fois",
        1 => " par mois",
        _ => "",
    }
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| a.iter().filter_map(Value::as_str).map(str::to_owned).collect())
        .unwrap_or_default()
}

fn alternative(text: &str, href: &str, link: &str) -> Alternative {
    Alternative {
        text: text.to_owned(),
        href: href.to_owned(),
        link: link.to_owned(),
    }
}

/// What the result says first, and what else to ask for when this aid cannot be had.
struct Outcome {
    eligible: bool,
    headline: Vec<String>,
    reasons: Vec<String>,
    alternatives: Vec<Alternative>,
    /// "Faire la demande" can succeed here.
    can_file: bool,
}

fn outcome(aid: Aid, r: &Value, here: Option<&str>) -> Outcome {
    let eligible = r["verdict"]["eligible"].as_bool().unwrap_or(false);
    let reasons = strings(&r["verdict"]["reasons"]);
    let amount = |f: &str| cents(&r[f]).unwrap_or(0);
    let mut o = Outcome {
        eligible,
        headline: Vec::new(),
        reasons: reasons.clone(),
        alternatives: Vec::new(),
        can_file: eligible,
    };
    let retirement = alternative(
        "L’aide à domicile de votre caisse de retraite (aide ménagère, portage de repas, aménagement du logement) : demandez-la à votre caisse de retraite (CARSAT, MSA ou autre). Le centre communal d’action sociale (CCAS) de votre mairie peut aussi vous aider.",
        "https://www.lassuranceretraite.fr",
        "L’Assurance retraite : aides pour bien vieillir chez soi",
    );
    let mdph = alternative(
        "D’autres droits liés au handicap (AAH, carte mobilité inclusion, orientation…) se demandent aussi à la MDPH.",
        "/demarches/mdph",
        "Faire une demande à la MDPH",
    );
    match aid {
        Aid::Apa | Aid::ApaEtablissement if eligible && amount("apa") > 0 => {
            let (apa, part) = (about(amount("apa")), about(amount("participation")));
            o.headline.push(if aid == Aid::Apa {
                format!("Vous pourriez recevoir environ {apa} par mois pour payer l’aide à domicile.")
            } else {
                format!("L’APA pourrait payer environ {apa} par mois du tarif dépendance de l’établissement.")
            });
            o.headline.push(if amount("participation") > 0 {
                format!("Il resterait environ {part} par mois à votre charge.")
            } else {
                "Rien ne resterait à votre charge.".to_owned()
            });
            if amount("depassement") > 0 {
                o.headline.push(format!(
                    "Le plan d’aide dépasse de {} par mois le plafond de l’APA pour ce GIR ({} par mois) : si vous gardez toutes ces aides, cette somme resterait aussi à votre charge.",
                    about(amount("depassement")),
                    about(amount("plafond"))
                ));
            }
            if aid == Aid::Apa {
                o.headline.push(
                    "L’APA n’est pas versée comme un revenu : elle paie les heures d’aide et les services prévus dans le plan d’aide."
                        .to_owned(),
                );
            }
        }
        Aid::Apa | Aid::ApaEtablissement if eligible => {
            o.headline.push(format!(
                "D’après vos réponses, l’APA ne serait pas versée : son montant serait inférieur à {} par mois.",
                about(amount("seuil_versement"))
            ));
            o.can_file = false;
            o.alternatives.push(retirement);
        }
        Aid::Apa | Aid::ApaEtablissement => {
            o.headline
                .push("D’après vos réponses, l’APA ne pourrait pas être accordée.".to_owned());
            if reasons
                .iter()
                .any(|x| x.starts_with("GIR 5") || x.starts_with("GIR 6"))
            {
                o.alternatives.push(retirement);
            } else {
                o.alternatives.push(alternative(
                    "Si vous avez moins de 60 ans et un handicap, la prestation de compensation du handicap (PCH) peut payer l’aide à domicile.",
                    "/simulateurs/pch",
                    name(Aid::Pch),
                ));
            }
        }
        Aid::Pch if eligible => {
            let total = amount("total_mensuel");
            if total > 0 {
                o.headline.push(format!(
                    "Vous pourriez recevoir environ {} par mois de PCH.",
                    about(total)
                ));
                if amount("aide_humaine_mensuelle") > 0 && amount("aide_humaine_mensuelle") != total {
                    o.headline.push(format!(
                        "Dont environ {} par mois pour l’aide d’une personne.",
                        about(amount("aide_humaine_mensuelle"))
                    ));
                }
            } else {
                o.headline.push(
                    "Vous pourriez avoir droit à la PCH. Indiquez vos besoins (heures d’aide, matériel…) pour estimer un montant."
                        .to_owned(),
                );
            }
            o.headline.push(
                "La PCH paie les aides dont vous avez besoin : l’aide d’une personne, le matériel, l’aménagement du logement ou du véhicule."
                    .to_owned(),
            );
        }
        Aid::Pch => {
            o.headline
                .push("D’après vos réponses, la PCH ne pourrait pas être accordée.".to_owned());
            o.alternatives.push(mdph);
            o.alternatives.push(alternative(
                "À partir de 60 ans, l’allocation personnalisée d’autonomie (APA) peut payer l’aide à domicile.",
                "/simulateurs/apa",
                name(Aid::Apa),
            ));
        }
        Aid::Aah if eligible && amount("aah") > 0 => {
            o.headline.push(format!(
                "Vous pourriez recevoir environ {} par mois d’AAH.",
                about(amount("aah"))
            ));
            o.headline.push(
                "L’AAH est décidée par la CDAPH, à la MDPH, puis versée par la CAF ou la MSA.".to_owned(),
            );
        }
        Aid::Aah if eligible => {
            o.headline.push(
                "D’après vos réponses, vos ressources dépassent le plafond : l’AAH ne serait pas versée."
                    .to_owned(),
            );
            o.can_file = false;
            o.alternatives.push(mdph);
        }
        Aid::Aah => {
            o.headline
                .push("D’après vos réponses, l’AAH ne pourrait pas être accordée.".to_owned());
            o.alternatives.push(mdph);
            o.alternatives.push(alternative(
                "Le revenu de solidarité active (RSA) ou la prime d’activité se demandent à la CAF ou à la MSA.",
                "https://www.caf.fr",
                "caf.fr",
            ));
        }
        Aid::Amethyste => {
            let product = r["produit"].as_str().unwrap_or("forfait Améthyste");
            let place = r["nom"].as_str().unwrap_or_default();
            let code = r["departement"].as_str().unwrap_or_default();
            // Only the conditions met, never a failed one, under « vous pourriez ».
            o.reasons = if eligible {
                reasons
                    .iter()
                    .filter(|x| x.ends_with(": oui."))
                    .cloned()
                    .collect()
            } else {
                reasons
                    .iter()
                    .filter(|x| !x.ends_with(": oui."))
                    .cloned()
                    .collect()
            };
            if eligible {
                let price = r["categories"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|c| cents(&c["prix"]))
                    .min();
                o.headline.push(match price {
                    Some(0) => format!("Vous pourriez avoir « {product} » : il serait gratuit."),
                    Some(p) => format!(
                        "Vous pourriez avoir « {product} » : il coûterait environ {} par an.",
                        about(p)
                    ),
                    None => format!(
                        "Vous pourriez avoir « {product} » ; son prix n’est pas connu ici : le département vous le dira."
                    ),
                });
            } else {
                o.headline.push(format!(
                    "D’après vos réponses, vous ne pourriez pas avoir « {product} »."
                ));
                o.alternatives.push(alternative(
                    "La tarification solidarité d’Île-de-France Mobilités offre des réductions aux personnes aux revenus modestes.",
                    "https://www.iledefrance-mobilites.fr",
                    "iledefrance-mobilites.fr",
                ));
            }
            if here.is_some_and(|h| h != code) {
                o.can_file = false;
                if let Some((_, site)) = AMETHYSTE_SITES.iter().find(|(c, _)| *c == code) {
                    o.headline.push(format!(
                        "La demande se fait auprès de {place}, pas sur ce site : ce département ne peut pas l’enregistrer."
                    ));
                    o.alternatives.insert(
                        0,
                        alternative(
                            &format!("Pour « {product} », adressez-vous à {place} : cherchez ce nom sur son site officiel."),
                            site,
                            &format!("Site officiel : {place}"),
                        ),
                    );
                }
            }
        }
    }
    o
}

#[expect(
    clippy::too_many_arguments,
    reason = "one view-model built from the whole simulation"
)]
fn result_page(
    req: &HttpRequest,
    user: &MaybeUser,
    aid: Aid,
    r: &Value,
    hidden: Vec<(String, String)>,
    prepared: Prepared,
    request: Option<String>,
    here: Option<String>,
) -> ResultPage {
    let o = outcome(aid, r, here.as_deref());
    let mut amounts = Vec::new();
    let mut details = Vec::new();
    // No table of zeros when the aid cannot be had: the sentence says why.
    if o.eligible {
        amounts = inputs::main_amounts(aid)
            .iter()
            .map(|(field, label)| {
                let text = cents(&r[*field]).map_or_else(|| "non connu".to_owned(), inputs::euros);
                ((*label).to_owned(), text)
            })
            .collect();
        if let Some(p) = percent(&r["taux_participation"]) {
            amounts.push(("Taux de participation".into(), p));
        }
        if let Some(p) = percent(&r["taux_prise_en_charge"]) {
            amounts.push(("Taux de prise en charge".into(), p));
        }
        for e in r["elements"].as_array().into_iter().flatten() {
            let months = e["periode_mois"].as_u64().unwrap_or(1);
            let amount = cents(&e["montant"]).map_or_else(|| "non connu".to_owned(), inputs::euros);
            let when = if months > 1 {
                format!("{amount} sur {months} mois")
            } else {
                format!("{amount}{}", period(months))
            };
            details.push((e["libelle"].as_str().unwrap_or_default().to_owned(), when));
        }
        for c in r["categories"].as_array().into_iter().flatten() {
            let price = match cents(&c["prix"]) {
                Some(0) => "gratuit".to_owned(),
                Some(p) => format!("{} par an", inputs::euros(p)),
                None => "prix non connu".to_owned(),
            };
            details.push((c["libelle"].as_str().unwrap_or_default().to_owned(), price));
        }
    }
    let mut explanation: Vec<ExplanationLine> = prepared.plan_step.into_iter().collect();
    explanation.extend(
        r["explanation"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|s| ExplanationLine {
                label: s["label"].as_str().unwrap_or_default().to_owned(),
                value: s["value"].as_str().unwrap_or_default().to_owned(),
                reference: s["reference"].as_str().unwrap_or_default().to_owned(),
            }),
    );
    ResultPage {
        layout: Layout::new(req, user.0.as_ref(), format!("Résultat : {}", name(aid))),
        aid: aid.name(),
        eligible: o.eligible,
        headline: o.headline,
        estimates: prepared.estimates,
        reasons: o.reasons,
        alternatives: o.alternatives,
        to_confirm: strings(&r["verdict"]["to_confirm"]),
        amounts,
        details,
        explanation,
        warnings: strings(&r["warnings"]),
        notice: notice(aid),
        date: r["date"]
            .as_str()
            .and_then(|d| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
            .map(guichet_forms::french_date)
            .unwrap_or_default(),
        hidden,
        request: request.filter(|_| o.can_file),
    }
}

// ------------------------------------------------------------------------------------ "Faire la demande"

/// Creates a draft of the matching procedure with the simulation's answers, then opens it. Anonymous
/// visitors keep their answers in a short-lived cookie, log in, and come back to the result page.
pub async fn start_request(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: MaybeUser,
    path: web::Path<String>,
    CsrfForm(form): CsrfForm,
) -> WebResult<HttpResponse> {
    let aid = aid_of(&path)?;
    let proc = procedure_of(aid)
        .and_then(|p| state.procedures.get(p))
        .ok_or(WebError::NotFound)?
        .clone();
    let values = posted(aid, &form);
    let Some(u) = user.0 else {
        let kept = form_urlencoded::Serializer::new(String::new())
            .append_pair("aide", aid.name())
            .extend_pairs(values.iter())
            .finish();
        let next = format!("/simulateurs/{aid}/resultat");
        let login = format!(
            "/connexion?suite={}",
            form_urlencoded::byte_serialize(next.as_bytes()).collect::<String>()
        );
        let mut r = see_other(&login);
        r.add_cookie(&pending_cookie(&state, kept, Duration::hours(1)))
            .map_err(|e| WebError::Internal(e.to_string()))?;
        return Ok(r);
    };
    let (input, result) = match prepare(aid, &values, false) {
        Preparation::Ready(p) => match simulate(aid, &p.pairs) {
            Ok((input, result)) => (input, Some(result)),
            // Inputs that do not parse are simply not carried over: the usager answers them in the form.
            Err(_) => (valid_only(aid, &p.pairs), None),
        },
        _ => (valid_only(aid, &values), None),
    };
    // An Améthyste simulation for another département is not filed here.
    if aid == Aid::Amethyste
        && let (Some(here), Some(code)) = (
            amethyste_departement(&state),
            input.get("departement").and_then(Value::as_str),
        )
        && here != code
    {
        return Err(WebError::Refused(
            "Cette demande se fait auprès du département où vous habitez, pas sur ce site.".into(),
        ));
    }
    let mut answers = cases::answers_from_simulation(&proc.def, aid, &input, result.as_ref(), today());
    guichet_usecases::accounts::prefill_identity(&proc.def, &u.user, &mut answers);
    let draft = NewDraft {
        owner_id: u.user.id.clone(),
        procedure: proc.id().to_owned(),
        service_code: proc.service_code.clone(),
        form_version_id: proc.version_id.clone(),
        answers: Value::Object(answers),
        applicant_name: String::new(),
    };
    let d = state
        .pool
        .run(move |c| store::create_draft(c, &draft).map_err(WebError::from))
        .await?;
    tracing::info!(dossier.id = %d.id, form.id = %proc.id(), simulation = %aid, "Draft created from a simulation");
    let first = if proc.def.has_task_list() {
        format!("/dossiers/{}/taches", d.id)
    } else {
        match proc.def.first_step(&answers_of(&d.answers), today()) {
            Some(step) => format!("/dossiers/{}/etapes/{step}", d.id),
            None => format!("/dossiers/{}/verifier", d.id),
        }
    };
    let mut r = see_other(&first);
    if req.cookie(PENDING_COOKIE).is_some() {
        r.add_cookie(&pending_cookie(&state, String::new(), Duration::ZERO))
            .map_err(|e| WebError::Internal(e.to_string()))?;
    }
    Ok(r)
}

fn pending_cookie(state: &AppState, value: String, max_age: Duration) -> Cookie<'static> {
    Cookie::build(PENDING_COOKIE, value)
        .path("/simulateurs")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(state.settings.secure_cookies)
        .max_age(max_age)
        .finish()
}

fn answers_of(v: &Value) -> Answers {
    v.as_object().cloned().unwrap_or_default()
}

fn valid_only(aid: Aid, values: &[(String, String)]) -> Map<String, Value> {
    values
        .iter()
        .filter_map(|(k, v)| {
            let input = inputs::catalogue(aid).iter().find(|i| i.name == k)?;
            inputs::value_of(input, v).ok().flatten().map(|x| (k.clone(), x))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_are_shown_as_percentages() {
        assert_eq!(percent(&Value::from("0.1989")).as_deref(), Some("19,89 %"));
        assert_eq!(percent(&Value::from("0.8")).as_deref(), Some("80 %"));
        assert_eq!(percent(&Value::from("1")).as_deref(), Some("100 %"));
    }

    #[test]
    fn amounts_in_sentences_are_whole_euros() {
        let digits = |s: String| s.chars().filter(char::is_ascii_digit).collect::<String>();
        assert_eq!(digits(about(122_367)), "1224");
        assert_eq!(digits(about(27_633)), "276");
        assert!(about(122_367).ends_with(" €"));
        assert_eq!(about(0), "0 €");
    }

    /// A plan above the GIR's ceiling: the sentence says what the APA does not pay (GIR 4, 2026: ceiling
    /// 0,63 × 1 288,13 = 811,52 €; a plan of 1 000 € leaves 188,48 € above it).
    #[test]
    fn a_plan_above_the_ceiling_is_said_in_the_result() {
        let pairs = |plan: &str| {
            [
                ("gir", "4"),
                ("plan", plan),
                ("revenus_annuels", "18000"),
                ("date", "2026-12-01"),
            ]
            .map(|(n, v)| (n.to_owned(), v.to_owned()))
        };
        let (_, over) = simulate(Aid::Apa, &pairs("1000")).unwrap();
        let said = outcome(Aid::Apa, &over, None).headline.join(" ");
        assert!(said.contains("dépasse de 188"), "{said}");
        assert!(said.contains("812"), "{said}");
        let (_, within) = simulate(Aid::Apa, &pairs("800")).unwrap();
        let said = outcome(Aid::Apa, &within, None).headline.join(" ");
        assert!(!said.contains("dépasse"), "{said}");
    }

    #[test]
    fn every_question_of_a_page_is_in_a_section() {
        for aid in Aid::ALL {
            let placed: Vec<String> = layout_of(aid)
                .into_iter()
                .flat_map(|(_, _, n)| n)
                .map(str::to_owned)
                .collect();
            for i in inputs::catalogue(aid)
                .iter()
                .filter(|i| i.web && !hidden_on_web(aid, i.name))
            {
                assert!(placed.iter().any(|p| p == i.name), "{aid} {}", i.name);
            }
        }
    }
}
