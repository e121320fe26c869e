//! Simulators: one accessible page per aid, no account and no JavaScript needed. The result page offers
//! "Faire la demande", which creates a draft of the matching procedure with the answers carried over.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use guichet_dossiers::store::{self, NewDraft};
use guichet_forms::{Answers, FieldType, FormDefinition};
use guichet_simulation::{Aid, SimulationError};
use serde_json::{Map, Value};

use super::{ok, render, see_other};
use crate::api::inputs::{self, Input, Kind};
use crate::app::AppState;
use crate::error::{WebError, WebResult};
use crate::form::CsrfForm;
use crate::session::MaybeUser;
use crate::templates::{FieldError, Layout};
use guichet_usecases::deadlines::today;

/// Routes of the simulators (`/simulateurs…`).
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/simulateurs", web::get().to(list_simulators))
        .route("/simulateurs/{aid}", web::get().to(show_simulator))
        .route("/simulateurs/{aid}", web::post().to(submit_simulator))
        .route("/simulateurs/{aid}/resultat", web::get().to(show_result))
        .route("/simulateurs/{aid}/demande", web::post().to(start_request));
}

const NOTICE: &str =
    "Estimation : ce n’est pas une décision. Seul le département décide après étude de votre dossier.";

/// One sentence per simulator, for the list.
fn summary(aid: Aid) -> &'static str {
    match aid {
        Aid::Apa => {
            "Pour les personnes de 60 ans et plus qui vivent chez elles : plafond du plan d’aide selon le GIR, votre participation et le montant de l’APA."
        }
        Aid::ApaEtablissement => {
            "Pour les personnes qui vivent en établissement (EHPAD) : votre participation au tarif dépendance et le montant de l’APA."
        }
        Aid::Pch => {
            "Pour les personnes handicapées : taux de prise en charge et montants de la prestation de compensation, par élément."
        }
        Aid::Aah => {
            "Montant de l’allocation aux adultes handicapés selon votre taux d’incapacité et vos ressources."
        }
        Aid::Amethyste => {
            "Transports en Île-de-France : êtes-vous éligible au forfait, et combien coûte-t-il dans votre département ?"
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

fn aid_of(path: &str) -> WebResult<Aid> {
    path.parse().map_err(|_| WebError::NotFound)
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
    pub notice: &'static str,
}

/// One question of a simulator form.
pub struct SimField {
    pub name: &'static str,
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
}

#[derive(Template)]
#[template(path = "simulateurs/form.html")]
pub struct FormPage {
    pub layout: Layout,
    pub action: String,
    pub intro: &'static str,
    pub errors: Vec<FieldError>,
    pub fields: Vec<SimField>,
    /// Inputs given but not asked on the page (`date`), kept across a re-display.
    pub hidden: Vec<(String, String)>,
}

/// A step of the explanation.
pub struct ExplanationLine {
    pub label: String,
    pub value: String,
    pub reference: String,
}

#[derive(Template)]
#[template(path = "simulateurs/result.html")]
pub struct ResultPage {
    pub layout: Layout,
    pub aid: &'static str,
    pub eligible: bool,
    pub reasons: Vec<String>,
    pub to_confirm: Vec<String>,
    pub amounts: Vec<(String, String)>,
    pub details: Vec<(String, String)>,
    pub explanation: Vec<ExplanationLine>,
    pub warnings: Vec<String>,
    pub notice: &'static str,
    pub date: String,
    /// Inputs as typed, for "Faire la demande" and "Modifier mes réponses".
    pub hidden: Vec<(String, String)>,
    pub modify_href: String,
    /// Title of the procedure "Faire la demande" starts, when there is one.
    pub request: Option<String>,
}

fn web_inputs(aid: Aid) -> impl Iterator<Item = &'static Input> {
    inputs::catalogue(aid).iter().filter(|i| i.web)
}

fn sim_field(input: &Input, value: &str, errors: &[FieldError]) -> SimField {
    let yes_no = |v: &str| {
        vec![
            ("oui".to_owned(), "Oui".to_owned(), v == "oui"),
            ("non".to_owned(), "Non".to_owned(), v == "non"),
        ]
    };
    let (control, inputmode, options) = match input.kind {
        Kind::Money | Kind::Hours => ("text", "decimal", Vec::new()),
        Kind::Count => ("text", "numeric", Vec::new()),
        Kind::Date => ("text", "", Vec::new()),
        Kind::YesNo => ("radio", "", yes_no(value)),
        Kind::Gir => (
            "radio",
            "",
            (1..=6)
                .map(|g| (g.to_string(), format!("GIR {g}"), value == g.to_string()))
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
        name: input.name,
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
        error: errors
            .iter()
            .find(|e| e.field == input.name)
            .map(|e| e.message.clone()),
        options,
    }
}

fn intro(aid: Aid) -> &'static str {
    match aid {
        Aid::Apa => {
            "Répondez aux questions pour estimer le montant de l’APA à domicile et ce qui resterait à votre charge. Aucun compte n’est nécessaire ; vos réponses ne sont pas enregistrées."
        }
        _ => {
            "Répondez aux questions pour estimer vos droits. Aucun compte n’est nécessaire ; vos réponses ne sont pas enregistrées. Laissez vide ce qui ne vous concerne pas."
        }
    }
}

fn form_page(
    req: &HttpRequest,
    user: &MaybeUser,
    aid: Aid,
    values: &[(String, String)],
    errors: Vec<FieldError>,
) -> FormPage {
    let value = |name: &str| {
        values
            .iter()
            .find(|(n, _)| n == name)
            .map_or("", |(_, v)| v.as_str())
    };
    FormPage {
        layout: Layout::new(req, user.0.as_ref(), format!("Estimer : {}", title(aid)))
            .with_errors(!errors.is_empty()),
        action: format!("/simulateurs/{aid}"),
        intro: intro(aid),
        fields: web_inputs(aid)
            .map(|i| sim_field(i, value(i.name), &errors))
            .collect(),
        hidden: values
            .iter()
            .filter(|(n, _)| inputs::catalogue(aid).iter().any(|i| i.name == n && !i.web))
            .cloned()
            .collect(),
        errors,
    }
}

fn title(aid: Aid) -> &'static str {
    match aid {
        Aid::Apa => "allocation personnalisée d’autonomie (APA) à domicile",
        Aid::ApaEtablissement => "APA en établissement",
        Aid::Pch => "prestation de compensation du handicap (PCH)",
        Aid::Aah => "allocation aux adultes handicapés (AAH)",
        Aid::Amethyste => "forfait Améthyste",
    }
}

pub async fn list_simulators(req: HttpRequest, user: MaybeUser) -> WebResult<HttpResponse> {
    ok(&ListPage {
        layout: Layout::new(&req, user.0.as_ref(), "Estimer vos droits"),
        simulators: Aid::ALL
            .into_iter()
            .map(|aid| SimulatorLink {
                href: format!("/simulateurs/{aid}"),
                title: aid.title(),
                summary: summary(aid),
            })
            .collect(),
        notice: NOTICE,
    })
}

/// The form; a query string (from "Modifier mes réponses") fills it in.
pub async fn show_simulator(
    req: HttpRequest,
    user: MaybeUser,
    path: web::Path<String>,
) -> WebResult<HttpResponse> {
    let aid = aid_of(&path)?;
    let values = query_pairs(&req, aid);
    ok(&form_page(&req, &user, aid, &values, Vec::new()))
}

pub async fn submit_simulator(
    req: HttpRequest,
    user: MaybeUser,
    path: web::Path<String>,
    CsrfForm(form): CsrfForm,
) -> WebResult<HttpResponse> {
    let aid = aid_of(&path)?;
    simulate_page(&req, &user, aid, posted_inputs(aid, &form))
}

/// The result page for inputs in the query string: where the login sends people back to after
/// "Faire la demande", without losing their answers.
pub async fn show_result(
    req: HttpRequest,
    user: MaybeUser,
    path: web::Path<String>,
) -> WebResult<HttpResponse> {
    let aid = aid_of(&path)?;
    let values = query_pairs(&req, aid);
    simulate_page(&req, &user, aid, values)
}

/// Known, non-empty inputs of a form. Inputs not asked on the page (`date`, `age`) are accepted too, so
/// that a link or a test can fix the simulation date; they are carried as hidden fields.
fn posted_inputs(aid: Aid, form: &crate::form::FormData) -> Vec<(String, String)> {
    inputs::catalogue(aid)
        .iter()
        .map(|i| (i.name.to_owned(), form.get(i.name).trim().to_owned()))
        .filter(|(_, v)| !v.is_empty())
        .collect()
}

/// Known, non-empty inputs of the query string.
fn query_pairs(req: &HttpRequest, aid: Aid) -> Vec<(String, String)> {
    form_urlencoded::parse(req.query_string().as_bytes())
        .filter(|(k, v)| !v.trim().is_empty() && inputs::catalogue(aid).iter().any(|i| i.name == k))
        .map(|(k, v)| (k.into_owned(), v.trim().to_owned()))
        .collect()
}

fn simulate(aid: Aid, values: &[(String, String)]) -> Result<Value, Vec<FieldError>> {
    let first = web_inputs(aid).next().map_or("", |i| i.name);
    let to_errors = |errors: Vec<(String, String)>| {
        errors
            .into_iter()
            .map(|(field, message)| {
                // An input that is not on the page (a hand-made link) is reported at the top of the form.
                if web_inputs(aid).any(|i| i.name == field) {
                    FieldError { field, message }
                } else {
                    FieldError {
                        message: format!("{field} : {message}"),
                        field: first.to_owned(),
                    }
                }
            })
            .collect::<Vec<_>>()
    };
    let input =
        inputs::from_text(aid, values.iter().map(|(k, v)| (k.as_str(), v.as_str()))).map_err(to_errors)?;
    crate::api::run(aid, Value::Object(input)).map_err(|e| {
        let message = match e {
            SimulationError::InvalidInput(m) => inputs::french_serde_message(&m),
            other => other.to_string(),
        };
        // Not tied to one question: the summary links to the first one.
        vec![FieldError {
            field: first.to_owned(),
            message,
        }]
    })
}

fn simulate_page(
    req: &HttpRequest,
    user: &MaybeUser,
    aid: Aid,
    values: Vec<(String, String)>,
) -> WebResult<HttpResponse> {
    match simulate(aid, &values) {
        Ok(result) => {
            let state = req.app_data::<web::Data<AppState>>();
            let request = procedure_of(aid)
                .and_then(|p| state.and_then(|s| s.procedures.get(p)))
                .map(|p| p.def.title().to_owned());
            ok(&result_page(req, user, aid, &result, values, request))
        }
        Err(errors) => render(
            StatusCode::UNPROCESSABLE_ENTITY,
            &form_page(req, user, aid, &values, errors),
        ),
    }
}

fn cents(v: &Value) -> Option<i64> {
    v.as_i64()
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

fn result_page(
    req: &HttpRequest,
    user: &MaybeUser,
    aid: Aid,
    r: &Value,
    hidden: Vec<(String, String)>,
    request: Option<String>,
) -> ResultPage {
    let strings = |v: &Value| -> Vec<String> {
        v.as_array()
            .map(|a| a.iter().filter_map(Value::as_str).map(str::to_owned).collect())
            .unwrap_or_default()
    };
    let mut amounts: Vec<(String, String)> = inputs::main_amounts(aid)
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
    let mut details = Vec::new();
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
        let price = cents(&c["prix"]).map_or_else(
            || "prix non connu".to_owned(),
            |p| format!("{} par an", inputs::euros(p)),
        );
        details.push((c["libelle"].as_str().unwrap_or_default().to_owned(), price));
    }
    let query = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(hidden.iter())
        .finish();
    ResultPage {
        layout: Layout::new(
            req,
            user.0.as_ref(),
            format!("Résultat de l’estimation : {}", title(aid)),
        ),
        aid: aid.name(),
        eligible: r["verdict"]["eligible"].as_bool().unwrap_or(false),
        reasons: strings(&r["verdict"]["reasons"]),
        to_confirm: strings(&r["verdict"]["to_confirm"]),
        amounts,
        details,
        explanation: r["explanation"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|s| ExplanationLine {
                label: s["label"].as_str().unwrap_or_default().to_owned(),
                value: s["value"].as_str().unwrap_or_default().to_owned(),
                reference: s["reference"].as_str().unwrap_or_default().to_owned(),
            })
            .collect(),
        warnings: strings(&r["warnings"]),
        notice: NOTICE,
        date: r["date"]
            .as_str()
            .and_then(|d| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
            .map(guichet_forms::french_date)
            .unwrap_or_default(),
        modify_href: format!("/simulateurs/{aid}?{query}"),
        hidden,
        request,
    }
}

// ------------------------------------------------------------------------------------ "Faire la demande"

/// Creates a draft of the matching procedure with the simulation's answers, then opens it. Anonymous
/// visitors log in first and come back to the result page (inputs in its query string), so nothing is lost.
pub async fn start_request(
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
    let values = posted_inputs(aid, &form);
    let Some(u) = user.0 else {
        let query = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(values.iter())
            .finish();
        return Err(WebError::LoginRequired {
            next: format!("/simulateurs/{aid}/resultat?{query}"),
        });
    };
    // Inputs that do not parse are simply not carried over: the usager answers them in the form.
    let input = inputs::from_text(aid, values.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .unwrap_or_else(|_| valid_only(aid, &values));
    let answers = answers_from_simulation(&proc.def, &input);
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
    Ok(see_other(&first))
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

/// Turns simulation inputs into form answers, as the usager would have typed them, by inverting the
/// definition's `simulation_input` declarations. A definition without a linked simulation (the MDPH
/// request for the AAH) takes the inputs whose name is one of its field ids (`date_naissance`).
///
/// Computed fields cannot be answered; those of the form `'x' in choices` are inverted by ticking `x`.
/// A field shown only after a yes/no gate (`a_capitaux == true`) gets its gate answered "oui".
pub fn answers_from_simulation(def: &FormDefinition, input: &Map<String, Value>) -> Answers {
    let mut mapping: Vec<(String, String)> = def
        .simulation_inputs()
        .into_iter()
        .map(|(f, i)| (f.to_owned(), i.to_owned()))
        .collect();
    if def.definition().simulation.is_none() {
        mapping = input
            .keys()
            .filter(|k| def.field(k).is_some_and(|f| f.kind != FieldType::Computed))
            .map(|k| (k.clone(), k.clone()))
            .collect();
    }
    let mut answers = Answers::new();
    for (field_id, input_name) in &mapping {
        let (Some(field), Some(v)) = (def.field(field_id), input.get(input_name)) else {
            continue;
        };
        if field.kind == FieldType::Computed {
            if let (Some((choice, target)), Some(true)) = (membership(field.expr.as_deref()), v.as_bool())
                && def
                    .field(&target)
                    .is_some_and(|t| t.kind == FieldType::MultiChoice)
            {
                let list = answers.entry(target).or_insert_with(|| Value::Array(Vec::new()));
                if let Value::Array(a) = list {
                    a.push(Value::String(choice));
                }
            }
            continue;
        }
        let raw = match (field.kind, v) {
            (FieldType::YesNo, Value::Bool(b)) => Value::String(if *b { "oui" } else { "non" }.into()),
            (_, Value::String(s)) => Value::String(s.clone()),
            (_, Value::Number(n)) => Value::String(n.to_string()),
            (_, Value::Bool(b)) => Value::String(if *b { "oui" } else { "non" }.into()),
            _ => continue,
        };
        answers.insert(field_id.clone(), raw);
    }
    open_gates(def, &mut answers);
    def.normalize_answers(&mut answers, today());
    answers
}

/// `'aah' in droits_percus` → (`aah`, `droits_percus`).
fn membership(expr: Option<&str>) -> Option<(String, String)> {
    let (choice, target) = expr?.split_once(" in ")?;
    let choice = choice.trim().strip_prefix('\'')?.strip_suffix('\'')?;
    let target = target.trim();
    target
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '_')
        .then(|| (choice.to_owned(), target.to_owned()))
}

/// Answers "oui" to the yes/no questions that only reveal an answered field (`visible_if = "x == true"`).
fn open_gates(def: &FormDefinition, answers: &mut Answers) {
    for _ in 0..3 {
        let gates: Vec<String> = answers
            .keys()
            .filter_map(|id| def.field(id)?.visible_if.as_deref())
            .filter_map(|cond| cond.trim().strip_suffix("== true").map(|g| g.trim().to_owned()))
            .filter(|g| !answers.contains_key(g) && def.field(g).is_some_and(|f| f.kind == FieldType::YesNo))
            .collect();
        if gates.is_empty() {
            return;
        }
        for g in gates {
            answers.insert(g, Value::String("oui".into()));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_membership_expression_is_inverted() {
        assert_eq!(
            membership(Some("'aah' in droits_percus")),
            Some(("aah".into(), "droits_percus".into()))
        );
        assert_eq!(membership(Some("situation in ['marie', 'pacse']")), None);
        assert_eq!(membership(None), None);
    }

    #[test]
    fn rates_are_shown_as_percentages() {
        assert_eq!(percent(&Value::from("0.1989")).as_deref(), Some("19,89 %"));
        assert_eq!(percent(&Value::from("0.8")).as_deref(), Some("80 %"));
        assert_eq!(percent(&Value::from("1")).as_deref(), Some("100 %"));
    }
}
