//! The MDPH's stages in the back office (CASF L146-8, L241-3, L241-5 to L241-9): recevable and the
//! équipe pluridisciplinaire's proposals on the dossier page, the sittings of the CDAPH (list, agenda) and
//! the one screen where a sitting's decisions are entered. The rules are in
//! `guichet_usecases::commission`; the handlers parse, call, render.

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use guichet_dossiers::State;
use guichet_dossiers::commission::{Formation, Session};
use guichet_dossiers::rights::{Authority, Outcome, Rate, Right, Unit};
use guichet_forms::french_date;
use guichet_types::Euros;
use guichet_usecases::commission::{self as cases, SittingDossier};
use guichet_usecases::instruction::DecisionForm;
use guichet_usecases::{CaseError, Invalid};
use serde_json::Value;

use super::instruction::{Loaded, Staff, load, on_dossier_page, parse_date, run_case, version_of};
use super::{render, see_other};
use crate::app::AppState;
use crate::error::{WebError, WebResult};
use crate::form::{CsrfForm, FormData};
use crate::session::CurrentUser;
use crate::templates::Layout;

// ------------------------------------------------------------------------------------ shared wording

fn money_input(a: Euros) -> String {
    format!("{},{:02}", a.cents() / 100, a.cents() % 100)
}

fn day_input(d: chrono::NaiveDate) -> String {
    d.format("%d/%m/%Y").to_string()
}

fn outcome_word(o: Outcome) -> &'static str {
    match o {
        Outcome::Accord => "accord",
        Outcome::Refus => "refus",
        Outcome::SansObjet => "sans objet",
    }
}

/// « Accord, 1 033,32 € par mois, taux d’incapacité égal ou supérieur à 80 % ».
fn proposal_words(r: &Right, amount: Option<Euros>, rate: Option<Rate>) -> String {
    let Some(o) = r.proposal else {
        return "Pas encore de proposition".to_owned();
    };
    let mut parts = vec![outcome_word(o).to_owned()];
    if let Some(a) = amount {
        parts.push(format!("{a}{}", r.unit.label()));
    }
    if let Some(t) = rate {
        parts.push(format!("taux d’incapacité {}", t.label()));
    }
    let mut s = parts.join(", ");
    if let Some(first) = s.get(..1) {
        s = first.to_uppercase() + &s[1..];
    }
    s
}

fn amount_of(form: &FormData, key: &str, errors: &mut Vec<Invalid>, field: String) -> Option<Euros> {
    match form.get(key).trim() {
        "" => None,
        t => match Euros::parse(t) {
            Ok(a) if a.cents() >= 0 => Some(a),
            _ => {
                errors.push(Invalid::new(
                    field,
                    "Saisissez un montant en euros, par exemple 1 033,32",
                ));
                None
            }
        },
    }
}

fn date_of(form: &FormData, key: &str, what: &str, errors: &mut Vec<Invalid>) -> Option<chrono::NaiveDate> {
    match form.get(key).trim() {
        "" => None,
        t => parse_date(t).or_else(|| {
            errors.push(Invalid::new(
                key,
                format!(
                    "La date de {what} doit être une date réelle au format jj/mm/aaaa, par exemple 31/12/2028"
                ),
            ));
            None
        }),
    }
}

/// The history line of a stage event, with its sitting's date and place (both sides of the dossier).
pub fn with_detail(text: String, kind: &str, payload: &str, for_usager: bool) -> String {
    use guichet_dossiers::commission::{ADDED_KIND, REMOVED_KIND};
    if kind != ADDED_KIND && kind != REMOVED_KIND {
        return text;
    }
    let p: Value = serde_json::from_str(payload).unwrap_or(Value::Null);
    let date = p
        .get("date")
        .and_then(Value::as_str)
        .and_then(|d| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
        .map(french_date)
        .unwrap_or_default();
    let place = p.get("place").and_then(Value::as_str).unwrap_or("");
    match (kind, for_usager) {
        // CASF L241-7: the person may be heard by the commission, assisted or represented (the notice of
        // the date and place, R241-30 (!) not re-read on Légifrance).
        (ADDED_KIND, true) => format!(
            "{text} le {date} (lieu : {place}). Vous pouvez demander à la commission de vous écouter ; une personne de votre choix peut vous accompagner ou vous représenter. Écrivez-nous par la messagerie de ce dossier."
        ),
        (ADDED_KIND, false) => format!("{text} du {date} (lieu : {place})"),
        (_, true) => format!("{text} le {date} : une nouvelle date vous sera indiquée."),
        _ => format!("{text} du {date}"),
    }
}

// --------------------------------------------------------------------------------- the dossier page

/// What the dossier page shows of the MDPH stages (procedures whose rights the CDAPH decides).
#[derive(Debug, Clone)]
pub struct DossierPanel {
    /// « Évaluation par l’équipe pluridisciplinaire », or empty.
    pub stage: String,
    pub can_mark_recevable: bool,
    /// The sittings the dossier was put before: (title, link, held).
    pub sittings: Vec<(String, String, bool)>,
    pub rights: Vec<RightProposal>,
}

/// One right's proposal (and what the page says instead of its decision form).
#[derive(Debug, Clone)]
pub struct RightProposal {
    pub code: String,
    /// Words of the current proposal, or « Pas encore de proposition ».
    pub words: String,
    pub note: String,
    pub proposed: bool,
    pub can_propose: bool,
    /// Decided by the président du conseil départemental (CMI).
    pub president: bool,
    /// Shown instead of the decision form when the form is not for this right now; empty otherwise.
    pub gate: String,
    pub has_amount: bool,
    pub unit: String,
    pub has_rate: bool,
    pub keys: ProposalKeys,
    pub outcome_value: String,
    pub amount_value: String,
    pub rate_value: String,
    pub note_value: String,
}

/// Field ids of a proposal form (`proposer-aah-note`), precomputed for the templates' macros.
#[derive(Debug, Clone)]
pub struct ProposalKeys {
    pub prefix: String,
    pub decision: String,
    pub montant: String,
    pub taux: String,
    pub note: String,
}

impl ProposalKeys {
    fn new(code: &str) -> ProposalKeys {
        let p = cases::proposal_prefix(code);
        ProposalKeys {
            prefix: format!("{p}-"),
            decision: format!("{p}-decision"),
            montant: format!("{p}-montant"),
            taux: format!("{p}-taux"),
            note: format!("{p}-note"),
        }
    }
}

/// The panel of the dossier page, for procedures that go to the CDAPH (none for the others).
pub(super) async fn panel(
    state: &web::Data<AppState>,
    l: &Loaded,
    rights: &[Right],
    submitted: &HashMap<String, String>,
) -> WebResult<Option<DossierPanel>> {
    if !cases::uses_commission(&l.def) {
        return Ok(None);
    }
    let d = l.dossier.clone();
    let (sittings, terms, examined) = state
        .pool
        .run(move |c| {
            let sittings = guichet_dossiers::commission::sessions_of(c, &d.id)?;
            let terms = guichet_dossiers::rights::proposed_terms(c, &d.id)?;
            let examined = sittings.iter().any(Session::is_held);
            Ok::<_, WebError>((sittings, terms, examined))
        })
        .await?;
    let d = &l.dossier;
    let pending_sitting = sittings.iter().any(|s| !s.is_held());
    let working = d.state == State::EnInstruction;
    let can_propose = working
        && match d.stage.as_deref() {
            Some(
                guichet_dossiers::commission::STAGE_RECEVABLE
                | guichet_dossiers::commission::STAGE_EVALUATION,
            ) => true,
            Some(guichet_dossiers::commission::STAGE_COMMISSION) => !pending_sitting,
            _ => false,
        };
    let typed = |k: &str, default: String| submitted.get(k).cloned().unwrap_or(default);
    Ok(Some(DossierPanel {
        stage: if working {
            cases::stage_label(d.stage.as_deref()).unwrap_or("").to_owned()
        } else {
            String::new()
        },
        can_mark_recevable: working && !d.complement_demande && d.stage.is_none(),
        sittings: sittings
            .iter()
            .map(|s| {
                (
                    cases::session_title(s),
                    format!("/instruction/commissions/{}", s.id),
                    s.is_held(),
                )
            })
            .collect(),
        rights: rights
            .iter()
            .map(|r| {
                let (amount, rate) = terms
                    .iter()
                    .find(|(c, _, _)| c == &r.code)
                    .map_or((None, None), |(_, a, t)| (*a, *t));
                let keys = ProposalKeys::new(&r.code);
                let president = r.authority == Authority::PresidentCd;
                let gate = match r.authority {
                    Authority::Cdaph => "Décidé par la CDAPH en séance : inscrivez le dossier à une séance une fois chaque droit proposé, puis saisissez la décision sur l’écran de la séance.",
                    Authority::PresidentCd if !examined => "À signer par le président du conseil départemental, au vu de l’appréciation de la CDAPH : le formulaire de décision s’ouvre une fois le dossier examiné en séance (CASF L241-3).",
                    Authority::PresidentCd => "",
                };
                RightProposal {
                    code: r.code.clone(),
                    words: proposal_words(r, amount, rate),
                    note: r.proposal_note.clone().unwrap_or_default(),
                    proposed: r.proposal.is_some(),
                    can_propose: can_propose && r.is_open(),
                    president,
                    gate: gate.to_owned(),
                    has_amount: r.unit != Unit::None,
                    unit: r.unit.label().trim().to_owned(),
                    has_rate: l.def.right(&r.code).is_some_and(|s| s.rate),
                    outcome_value: typed(
                        &format!("{}.decision", keys.prefix),
                        r.proposal.map(|o| o.as_str().to_owned()).unwrap_or_default(),
                    ),
                    amount_value: typed(
                        &format!("{}.montant", keys.prefix),
                        amount.map(money_input).unwrap_or_default(),
                    ),
                    rate_value: typed(
                        &format!("{}.taux", keys.prefix),
                        rate.map(|t| t.as_str().to_owned()).unwrap_or_default(),
                    ),
                    note_value: typed(
                        &format!("{}.note", keys.prefix),
                        r.proposal_note.clone().unwrap_or_default(),
                    ),
                    keys,
                }
            })
            .collect(),
    }))
}

/// The MDPH declares the request recevable.
pub async fn mark_recevable(
    req: HttpRequest,
    state: web::Data<AppState>,
    CurrentUser(u): CurrentUser,
    path: web::Path<String>,
    CsrfForm(form): CsrfForm,
) -> WebResult<HttpResponse> {
    let l = load(&state, u, &path).await?;
    let version = version_of(&form)?;
    let (staff, def, did) = (l.staff.cases(), l.def.clone(), l.dossier.id.clone());
    let result = run_case(&state, move |c| {
        cases::mark_recevable(c, &staff, &def, &did, version)
    })
    .await;
    on_dossier_page(&req, &state, l, "#droits", Default::default(), result).await
}

/// The équipe pluridisciplinaire's proposal on one right.
pub async fn propose(
    req: HttpRequest,
    state: web::Data<AppState>,
    CurrentUser(u): CurrentUser,
    path: web::Path<(String, String)>,
    CsrfForm(form): CsrfForm,
) -> WebResult<HttpResponse> {
    let (id, code) = path.into_inner();
    let l = load(&state, u, &id).await?;
    let keys = ProposalKeys::new(&code);
    let typed: HashMap<String, String> = ["decision", "montant", "taux", "note"]
        .iter()
        .map(|k| (format!("{}.{k}", keys.prefix), form.get(k).to_owned()))
        .collect();
    let mut unreadable = Vec::new();
    let amount = amount_of(&form, "montant", &mut unreadable, keys.montant.clone());
    let input = cases::ProposalForm {
        outcome: form.get("decision").parse::<Outcome>().ok(),
        amount,
        rate: form.get("taux").parse::<Rate>().ok(),
        note: form.get("note").to_owned(),
        unreadable,
    };
    let version = version_of(&form)?;
    let (staff, def, did) = (l.staff.cases(), l.def.clone(), l.dossier.id.clone());
    let result = run_case(&state, move |c| {
        cases::propose_right(c, &staff, &def, &did, version, &code, &input)
    })
    .await;
    on_dossier_page(&req, &state, l, "#droits", typed, result).await
}

// ------------------------------------------------------------------------------------- sittings list

/// One sitting in the list.
#[derive(Debug, Clone)]
pub struct SessionRow {
    pub href: String,
    pub date: String,
    pub formation: String,
    pub place: String,
    pub label: String,
    pub service: String,
    pub dossiers: i64,
    pub status: String,
}

#[derive(Template)]
#[template(path = "instruction/commission_list.html")]
pub struct SessionsPage {
    pub layout: Layout,
    pub errors: Vec<(String, String)>,
    pub rows: Vec<SessionRow>,
    /// (code, title, selected) of the services a sitting may be created for.
    pub services: Vec<(String, String, bool)>,
    pub date: String,
    pub place: String,
    pub formation: String,
    pub label: String,
}

fn service_title(state: &AppState, code: &str) -> String {
    state
        .procedures
        .all()
        .find(|p| p.service_code == code)
        .map_or_else(|| code.to_owned(), |p| p.def.title().to_owned())
}

fn status_of(s: &Session, today: chrono::NaiveDate) -> String {
    match s.held_at {
        Some(t) => format!("Tenue : décisions enregistrées le {}", french_date(t.date())),
        None if s.date > today => "À venir".to_owned(),
        None => "Décisions à saisir".to_owned(),
    }
}

async fn sessions_page(
    req: &HttpRequest,
    state: &web::Data<AppState>,
    staff: Staff,
    errors: Vec<(String, String)>,
    typed: &FormData,
    status: StatusCode,
) -> WebResult<HttpResponse> {
    let cases_staff = staff.cases();
    let st = state.clone();
    let list = state
        .pool
        .run(move |c| cases::sessions(c, &cases_staff, &st.procedures).map_err(WebError::from))
        .await?;
    let today = guichet_usecases::deadlines::today();
    let services = cases::services_of(&staff.cases(), &state.procedures);
    let page = SessionsPage {
        layout: Layout::new(req, Some(&staff.0), "Commissions (CDAPH)").with_errors(!errors.is_empty()),
        errors,
        rows: list
            .iter()
            .map(|(s, n)| SessionRow {
                href: format!("/instruction/commissions/{}", s.id),
                date: french_date(s.date),
                formation: s.formation.label().to_owned(),
                place: s.place.clone(),
                label: s.label.clone(),
                service: service_title(state, &s.service_code),
                dossiers: *n,
                status: status_of(s, today),
            })
            .collect(),
        services: services
            .iter()
            .map(|c| (c.clone(), service_title(state, c), typed.get("service") == c))
            .collect(),
        date: typed.get("date").to_owned(),
        place: typed.get("lieu").to_owned(),
        formation: typed.get("formation").to_owned(),
        label: typed.get("libelle").to_owned(),
    };
    render(status, &page)
}

pub async fn list(
    req: HttpRequest,
    state: web::Data<AppState>,
    CurrentUser(u): CurrentUser,
) -> WebResult<HttpResponse> {
    let staff = Staff::from(u)?;
    sessions_page(
        &req,
        &state,
        staff,
        Vec::new(),
        &FormData::default(),
        StatusCode::OK,
    )
    .await
}

pub async fn create(
    req: HttpRequest,
    state: web::Data<AppState>,
    CurrentUser(u): CurrentUser,
    CsrfForm(form): CsrfForm,
) -> WebResult<HttpResponse> {
    let staff = Staff::from(u)?;
    let mut unreadable = Vec::new();
    let date = match form.get("date").trim() {
        "" => None,
        t => parse_date(t).or_else(|| {
            unreadable.push(Invalid::new(
                "seance-date",
                "La date de la séance doit être une date réelle au format jj/mm/aaaa, par exemple 12/01/2027",
            ));
            None
        }),
    };
    let input = cases::SessionForm {
        service_code: form.get("service").to_owned(),
        date,
        place: form.get("lieu").to_owned(),
        formation: Formation::parse(form.get("formation")),
        label: form.get("libelle").to_owned(),
        unreadable,
    };
    let (cases_staff, st) = (staff.cases(), state.clone());
    match run_case(&state, move |c| {
        cases::create_session(c, &cases_staff, &st.procedures, &input)
    })
    .await?
    {
        Ok(s) => {
            tracing::info!(session.id = %s.id, "CDAPH sitting created");
            Ok(see_other(&format!("/instruction/commissions/{}", s.id)))
        }
        Err(errors) => {
            sessions_page(
                &req,
                &state,
                staff,
                errors,
                &form,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
    }
}

// ------------------------------------------------------------------------------------ a sitting's page

/// A dossier on the agenda.
#[derive(Debug, Clone)]
pub struct AgendaRow {
    pub id: String,
    pub href: String,
    pub number: String,
    pub applicant: String,
    pub version: i32,
    /// Each right with its proposal or decision in words: (label, words).
    pub rights: Vec<(String, String)>,
    pub status: String,
    pub removable: bool,
}

#[derive(Template)]
#[template(path = "instruction/commission_session.html")]
pub struct SessionPage {
    pub layout: Layout,
    pub errors: Vec<(String, String)>,
    pub id: String,
    pub service: String,
    pub date: String,
    pub place: String,
    pub formation: String,
    pub label: String,
    pub status: String,
    pub held: bool,
    /// Shown after a submit of the entry screen.
    pub notice: String,
    /// Entering its decisions is possible now (a link to the screen); else why not.
    pub can_enter: bool,
    pub why_not_enter: String,
    pub rows: Vec<AgendaRow>,
    /// Dossiers ready for the agenda: (id, « MDPH-2026-000003 – Jeanne Martin »).
    pub ready: Vec<(String, String)>,
    pub typed_number: String,
}

fn right_words(r: &Right, line: &SittingDossier) -> String {
    if r.outcome.is_some() || r.withdrawn_at.is_some() {
        return guichet_usecases::decisions::plain_words(r);
    }
    let (amount, rate) = line.terms_of(&r.code);
    let mut w = format!("Proposition : {}", proposal_words(r, amount, rate).to_lowercase());
    if r.authority == Authority::PresidentCd {
        w.push_str(" (à signer par le président du conseil départemental)");
    }
    w
}

#[derive(Debug, Default, serde::Deserialize)]
pub struct SessionQuery {
    #[serde(default)]
    enregistres: String,
}

/// What a sitting's page shows back: the errors of a refused form, a notice, the number typed.
#[derive(Default)]
struct Shown {
    errors: Vec<(String, String)>,
    notice: String,
    typed_number: String,
}

async fn session_page(
    req: &HttpRequest,
    state: &web::Data<AppState>,
    staff: Staff,
    id: &str,
    shown: Shown,
    status: StatusCode,
) -> WebResult<HttpResponse> {
    let Shown {
        errors,
        notice,
        typed_number,
    } = shown;
    let (cases_staff, st, sid) = (staff.cases(), state.clone(), id.to_owned());
    let (s, agenda, ready) = state
        .pool
        .run(move |c| {
            let s = cases::session(c, &cases_staff, &st.procedures, &sid)?;
            let agenda = cases::agenda(c, &cases_staff, &st.procedures, &s)?;
            let ready = if s.is_held() {
                Vec::new()
            } else {
                cases::ready_dossiers(c, &cases_staff, &s)?
            };
            Ok::<_, WebError>((s, agenda, ready))
        })
        .await?;
    let today = guichet_usecases::deadlines::today();
    let (can_enter, why_not_enter) = if s.is_held() {
        (false, String::new())
    } else if agenda.is_empty() {
        (false, "Inscrivez d’abord des dossiers à la séance.".to_owned())
    } else if s.date > today {
        (
            false,
            format!(
                "Les décisions se saisissent à partir du jour de la séance, le {}.",
                french_date(s.date)
            ),
        )
    } else {
        (true, String::new())
    };
    let page = SessionPage {
        layout: Layout::new(req, Some(&staff.0), cases::session_title(&s)).with_errors(!errors.is_empty()),
        errors,
        id: s.id.clone(),
        service: service_title(state, &s.service_code),
        date: french_date(s.date),
        place: s.place.clone(),
        formation: s.formation.label().to_owned(),
        label: s.label.clone(),
        status: status_of(&s, today),
        held: s.is_held(),
        notice,
        can_enter,
        why_not_enter,
        rows: agenda
            .iter()
            .map(|line| {
                let d = &line.dossier;
                let decided_here = line
                    .rights
                    .iter()
                    .any(|r| r.session_id.as_deref() == Some(s.id.as_str()));
                AgendaRow {
                    id: d.id.clone(),
                    href: format!("/instruction/dossiers/{}", d.id),
                    number: d.number.as_ref().map(ToString::to_string).unwrap_or_default(),
                    applicant: if line.barred.is_some() {
                        "Dossier confié à un ou une collègue".to_owned()
                    } else {
                        d.applicant_name.clone()
                    },
                    version: d.lock_version,
                    rights: line
                        .rights
                        .iter()
                        .filter(|r| r.withdrawn_at.is_none())
                        .map(|r| (r.label.clone(), right_words(r, line)))
                        .collect(),
                    status: if line.pending() {
                        "Décisions à saisir".to_owned()
                    } else {
                        guichet_usecases::decisions::staff_state(d).to_owned()
                    },
                    removable: !s.is_held()
                        && !decided_here
                        && line.barred.is_none()
                        && d.state == State::EnInstruction,
                }
            })
            .collect(),
        ready: ready
            .iter()
            .map(|d| {
                (
                    d.id.clone(),
                    format!(
                        "{} – {}",
                        d.number.as_ref().map(ToString::to_string).unwrap_or_default(),
                        d.applicant_name
                    ),
                )
            })
            .collect(),
        typed_number,
    };
    render(status, &page)
}

pub async fn show(
    req: HttpRequest,
    state: web::Data<AppState>,
    CurrentUser(u): CurrentUser,
    path: web::Path<String>,
    q: web::Query<SessionQuery>,
) -> WebResult<HttpResponse> {
    let staff = Staff::from(u)?;
    let notice = match q.enregistres.parse::<usize>() {
        Ok(0) | Err(_) => String::new(),
        Ok(1) => "Les décisions d’un dossier ont été enregistrées.".to_owned(),
        Ok(n) => format!("Les décisions de {n} dossiers ont été enregistrées."),
    };
    session_page(
        &req,
        &state,
        staff,
        &path,
        Shown {
            notice,
            ..Shown::default()
        },
        StatusCode::OK,
    )
    .await
}

/// Puts dossiers on the agenda.
pub async fn add(
    req: HttpRequest,
    state: web::Data<AppState>,
    CurrentUser(u): CurrentUser,
    path: web::Path<String>,
    CsrfForm(form): CsrfForm,
) -> WebResult<HttpResponse> {
    let staff = Staff::from(u)?;
    let ids: Vec<String> = form.all("dossiers").to_vec();
    let number = form.get("numero").to_owned();
    let (cases_staff, st, sid, typed) = (staff.cases(), state.clone(), path.clone(), number.clone());
    match run_case(&state, move |c| {
        cases::add_dossiers(c, &cases_staff, &st.procedures, &sid, &ids, &number)
    })
    .await
    {
        Ok(Ok(_)) => Ok(see_other(&format!(
            "/instruction/commissions/{path}#ordre-du-jour"
        ))),
        Ok(Err(errors)) => {
            session_page(
                &req,
                &state,
                staff,
                &path,
                Shown {
                    errors,
                    typed_number: typed,
                    ..Shown::default()
                },
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(WebError::Refused(why)) => {
            session_page(
                &req,
                &state,
                staff,
                &path,
                Shown {
                    errors: vec![("ajouter-dossiers".into(), why)],
                    typed_number: typed,
                    ..Shown::default()
                },
                StatusCode::CONFLICT,
            )
            .await
        }
        Err(e) => Err(e),
    }
}

/// Takes a dossier off the agenda (before its decisions).
pub async fn remove(
    req: HttpRequest,
    state: web::Data<AppState>,
    CurrentUser(u): CurrentUser,
    path: web::Path<(String, String)>,
    CsrfForm(form): CsrfForm,
) -> WebResult<HttpResponse> {
    let staff = Staff::from(u)?;
    let (sid, did) = path.into_inner();
    let version = version_of(&form)?;
    let (cases_staff, st, s2) = (staff.cases(), state.clone(), sid.clone());
    match run_case(&state, move |c| {
        cases::remove_dossier(c, &cases_staff, &st.procedures, &s2, &did, version)
    })
    .await
    {
        Ok(Ok(_)) => Ok(see_other(&format!(
            "/instruction/commissions/{sid}#ordre-du-jour"
        ))),
        Ok(Err(errors)) => {
            session_page(
                &req,
                &state,
                staff,
                &sid,
                Shown {
                    errors,
                    ..Shown::default()
                },
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(WebError::Refused(why)) => {
            session_page(
                &req,
                &state,
                staff,
                &sid,
                Shown {
                    errors: vec![("ordre-du-jour".into(), why)],
                    ..Shown::default()
                },
                StatusCode::CONFLICT,
            )
            .await
        }
        Err(WebError::Conflict) => {
            session_page(
                &req,
                &state,
                staff,
                &sid,
                Shown {
                    errors: vec![("ordre-du-jour".into(), CaseError::Conflict.to_string())],
                    ..Shown::default()
                },
                StatusCode::CONFLICT,
            )
            .await
        }
        Err(e) => Err(e),
    }
}

// ---------------------------------------------------------------------------------- the entry screen

/// One CDAPH right's line on the entry screen, with its values (typed, or the proposal's).
#[derive(Debug, Clone)]
pub struct EntryRight {
    pub code: String,
    pub label: String,
    pub proposal: String,
    /// « Allocation aux adultes handicapés (AAH), dossier MDPH-2026-000001 »: ends each hidden label.
    pub context: String,
    pub has_amount: bool,
    pub unit: String,
    pub has_rate: bool,
    pub k_decision: String,
    pub k_montant: String,
    pub k_debut: String,
    pub k_fin: String,
    pub k_taux: String,
    pub k_motivation: String,
    pub outcome: String,
    pub amount: String,
    pub start: String,
    pub end: String,
    pub rate: String,
    pub motivation: String,
}

/// One dossier of the sitting on the entry screen.
#[derive(Debug, Clone)]
pub struct EntryDossier {
    pub id: String,
    /// `s-{id}`: its version's field, and the anchor of what concerns it as a whole.
    pub key: String,
    pub k_version: String,
    pub href: String,
    pub number: String,
    pub applicant: String,
    pub version: i32,
    /// Still to enter: the lines below are inputs.
    pub pending: bool,
    /// Why not, when it is not (decided, closed, a colleague's).
    pub status: String,
    pub rights: Vec<EntryRight>,
    /// The rights the président du conseil départemental signs apart: (label, proposal).
    pub to_sign: Vec<(String, String)>,
}

#[derive(Template)]
#[template(path = "instruction/commission_entry.html")]
pub struct EntryPage {
    pub layout: Layout,
    pub errors: Vec<(String, String)>,
    pub id: String,
    pub title: String,
    pub date: String,
    pub dossiers: Vec<EntryDossier>,
    pub any_pending: bool,
    pub confirmed: bool,
    /// After a submit with errors: how many dossiers were written.
    pub notice: String,
}

fn entry_dossier(s: &Session, line: &SittingDossier, typed: &HashMap<String, String>) -> EntryDossier {
    let d = &line.dossier;
    let number = d.number.as_ref().map(ToString::to_string).unwrap_or_default();
    let pending = line.pending() && line.barred.is_none();
    let val = |k: &str, default: String| typed.get(k).cloned().unwrap_or(default);
    let rights = if pending {
        line.to_decide()
            .map(|r| {
                let p = cases::line_prefix(&d.id, &r.code);
                let spec = line.def.right(&r.code);
                let (amount, rate) = line.terms_of(&r.code);
                let start = s.date;
                let end = spec
                    .and_then(|sp| sp.default_years)
                    .and_then(|y| start.checked_add_months(chrono::Months::new(12 * y)))
                    .and_then(|e| e.pred_opt());
                let granted = r.proposal == Some(Outcome::Accord);
                EntryRight {
                    code: r.code.clone(),
                    label: r.label.clone(),
                    proposal: proposal_words(r, amount, rate),
                    context: format!("{}, dossier {number}", r.label),
                    has_amount: r.unit != Unit::None,
                    unit: r.unit.label().trim().to_owned(),
                    has_rate: spec.is_some_and(|sp| sp.rate),
                    outcome: val(
                        &format!("{p}-decision"),
                        r.proposal.map(|o| o.as_str().to_owned()).unwrap_or_default(),
                    ),
                    amount: val(
                        &format!("{p}-montant"),
                        amount.map(money_input).unwrap_or_default(),
                    ),
                    start: val(
                        &format!("{p}-debut"),
                        if granted { day_input(start) } else { String::new() },
                    ),
                    end: val(
                        &format!("{p}-fin"),
                        if granted {
                            end.map(day_input).unwrap_or_default()
                        } else {
                            String::new()
                        },
                    ),
                    rate: val(
                        &format!("{p}-taux"),
                        rate.map(|t| t.as_str().to_owned()).unwrap_or_default(),
                    ),
                    motivation: val(
                        &format!("{p}-motivation"),
                        r.proposal_note.clone().unwrap_or_default(),
                    ),
                    k_decision: format!("{p}-decision"),
                    k_montant: format!("{p}-montant"),
                    k_debut: format!("{p}-debut"),
                    k_fin: format!("{p}-fin"),
                    k_taux: format!("{p}-taux"),
                    k_motivation: format!("{p}-motivation"),
                }
            })
            .collect()
    } else {
        Vec::new()
    };
    let key = cases::dossier_key(&d.id);
    EntryDossier {
        id: d.id.clone(),
        k_version: format!("{key}-version"),
        key,
        href: format!("/instruction/dossiers/{}", d.id),
        applicant: if line.barred.is_some() {
            "Dossier confié à un ou une collègue".to_owned()
        } else {
            d.applicant_name.clone()
        },
        number,
        version: d.lock_version,
        pending,
        status: match &line.barred {
            Some(m) => m.clone(),
            None if pending => String::new(),
            None if d.state == State::EnInstruction => "Décisions de la commission enregistrées".to_owned(),
            None => guichet_usecases::decisions::staff_state(d).to_owned(),
        },
        rights,
        to_sign: line
            .to_sign()
            .map(|r| {
                let (amount, rate) = line.terms_of(&r.code);
                (r.label.clone(), proposal_words(r, amount, rate))
            })
            .collect(),
    }
}

#[allow(clippy::too_many_arguments)]
async fn entry_page(
    req: &HttpRequest,
    state: &web::Data<AppState>,
    staff: Staff,
    id: &str,
    errors: Vec<(String, String)>,
    typed: HashMap<String, String>,
    notice: String,
    status: StatusCode,
) -> WebResult<HttpResponse> {
    let (cases_staff, st, sid) = (staff.cases(), state.clone(), id.to_owned());
    let (s, agenda) = state
        .pool
        .run(move |c| {
            let s = cases::session(c, &cases_staff, &st.procedures, &sid)?;
            let agenda = cases::agenda(c, &cases_staff, &st.procedures, &s)?;
            Ok::<_, WebError>((s, agenda))
        })
        .await?;
    let dossiers: Vec<EntryDossier> = agenda.iter().map(|l| entry_dossier(&s, l, &typed)).collect();
    let page = EntryPage {
        layout: Layout::new(
            req,
            Some(&staff.0),
            format!("Décisions de la séance du {}", french_date(s.date)),
        )
        .with_errors(!errors.is_empty()),
        errors,
        id: s.id.clone(),
        title: cases::session_title(&s),
        date: french_date(s.date),
        any_pending: !s.is_held() && dossiers.iter().any(|d| d.pending),
        confirmed: typed.get("confirmation").is_some_and(|v| v == "oui"),
        dossiers,
        notice,
    };
    render(status, &page)
}

pub async fn show_entry(
    req: HttpRequest,
    state: web::Data<AppState>,
    CurrentUser(u): CurrentUser,
    path: web::Path<String>,
) -> WebResult<HttpResponse> {
    let staff = Staff::from(u)?;
    entry_page(
        &req,
        &state,
        staff,
        &path,
        Vec::new(),
        HashMap::new(),
        String::new(),
        StatusCode::OK,
    )
    .await
}

/// Reads the entry screen: one [`cases::DossierEntry`] per dossier line sent.
fn entries_from(form: &FormData) -> Vec<cases::DossierEntry> {
    let mut out = Vec::new();
    for dossier_id in form.all("dossier") {
        let key = cases::dossier_key(dossier_id);
        let version = form.get(&format!("{key}-version")).parse().unwrap_or(-1);
        let mut rights = Vec::new();
        for code in form.all(&format!("{key}-droits")) {
            let p = cases::line_prefix(dossier_id, code);
            let mut unreadable = Vec::new();
            let amount = amount_of(
                form,
                &format!("{p}-montant"),
                &mut unreadable,
                format!("{p}-montant"),
            );
            let start = date_of(form, &format!("{p}-debut"), "début", &mut unreadable);
            let end = date_of(form, &format!("{p}-fin"), "fin", &mut unreadable);
            rights.push((
                code.clone(),
                DecisionForm {
                    outcome: form.get(&format!("{p}-decision")).parse::<Outcome>().ok(),
                    amount,
                    period_start: start,
                    period_end: end,
                    rate: form.get(&format!("{p}-taux")).parse::<Rate>().ok(),
                    motivation: form.get(&format!("{p}-motivation")).to_owned(),
                    session_id: None,
                    confirmed: false,
                    unreadable,
                },
            ));
        }
        out.push(cases::DossierEntry {
            dossier_id: dossier_id.clone(),
            version,
            rights,
        });
    }
    out
}

/// Records the sitting's decisions: the lines without error are written, the others come back with their
/// errors and what was typed.
pub async fn record(
    req: HttpRequest,
    state: web::Data<AppState>,
    CurrentUser(u): CurrentUser,
    path: web::Path<String>,
    CsrfForm(form): CsrfForm,
) -> WebResult<HttpResponse> {
    let staff = Staff::from(u)?;
    let entries = entries_from(&form);
    // What was typed, by field name, to show back on error.
    let mut typed: HashMap<String, String> = HashMap::new();
    for e in &entries {
        for (code, _) in &e.rights {
            let p = cases::line_prefix(&e.dossier_id, code);
            for k in ["decision", "montant", "debut", "fin", "taux", "motivation"] {
                let name = format!("{p}-{k}");
                typed.insert(name.clone(), form.get(&name).to_owned());
            }
        }
    }
    typed.insert("confirmation".into(), form.get("confirmation").to_owned());
    let confirmed = form.get("confirmation") == "oui";
    let numbers: HashMap<String, String> = HashMap::new();
    let (cases_staff, st, sid, links) = (staff.cases(), state.clone(), path.clone(), state.links());
    let result = run_case(&state, move |c| {
        let out = cases::record_sitting(c, &links, &cases_staff, &st.procedures, &sid, confirmed, &entries)?;
        // The dossiers' numbers, to name each error in the summary.
        let mut numbers = numbers;
        for (id, _) in &out.errors {
            if let Some(d) = guichet_dossiers::store::find(c, id)? {
                numbers.insert(
                    id.clone(),
                    d.number.as_ref().map(ToString::to_string).unwrap_or_default(),
                );
            }
        }
        Ok((out, numbers))
    })
    .await;
    match result {
        Ok(Ok((out, numbers))) => {
            state.delivery.wake();
            tracing::info!(
                session.id = %path,
                written = out.written.len(),
                refused = out.errors.len(),
                held = out.held,
                "CDAPH sitting entered"
            );
            if out.errors.is_empty() {
                return Ok(see_other(&format!(
                    "/instruction/commissions/{path}?enregistres={}",
                    out.written.len()
                )));
            }
            let errors: Vec<(String, String)> = out
                .errors
                .iter()
                .flat_map(|(id, list)| {
                    let n = numbers.get(id).cloned().unwrap_or_default();
                    list.iter().map(move |i| {
                        let message = if i.message.starts_with(&n) {
                            i.message.clone()
                        } else {
                            format!("{n} : {}", i.message)
                        };
                        (i.field.clone(), message)
                    })
                })
                .collect();
            let notice = match out.written.len() {
                0 => "Aucun dossier n’a été enregistré : corrigez les lignes signalées.".to_owned(),
                1 => "Les décisions d’un dossier sans erreur ont été enregistrées ; corrigez les lignes signalées.".to_owned(),
                n => format!("Les décisions de {n} dossiers sans erreur ont été enregistrées ; corrigez les lignes signalées."),
            };
            entry_page(
                &req,
                &state,
                staff,
                &path,
                errors,
                typed,
                notice,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Ok(Err(errors)) => {
            entry_page(
                &req,
                &state,
                staff,
                &path,
                errors,
                typed,
                String::new(),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(WebError::Refused(why)) => {
            entry_page(
                &req,
                &state,
                staff,
                &path,
                vec![("saisie".into(), why)],
                HashMap::new(),
                String::new(),
                StatusCode::CONFLICT,
            )
            .await
        }
        Err(e) => Err(e),
    }
}

/// The sittings that decided a dossier's rights, for its letter.
pub fn letter_sittings(c: &mut guichet_db::AnyConnection, rights: &[Right]) -> WebResult<Vec<Session>> {
    Ok(cases::sittings_of_rights(c, rights)?)
}
