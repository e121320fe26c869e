//! The APA stages in the pages (`guichet_usecases::apa`): on the back office's dossier page, the panel of
//! the stages (dossier complet, evaluation, plans and answers) and the « dossier complet » form; the
//! evaluation page (the AGGIR grid); the care-plan page (lines, « Ajouter une ligne » without JavaScript,
//! amounts computed before sending); on the usager's dossier page, the plan proposed in plain words and
//! its three answers.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use guichet_dossiers::Dossier;
use guichet_dossiers::State;
use guichet_dossiers::access::{self, SensitiveRead, Standing, Viewer};
use guichet_dossiers::apa::{Plan, Response, Stage};
use guichet_forms::{FormDefinition, french_date};
use guichet_simulation::aggir;
use guichet_simulation::care_plan::{CarePlanResult, Help, HelpKind};
use guichet_types::Euros;
use guichet_usecases::apa::{self as cases, ApaState, DecisionPrefill, HelpRow};
use guichet_usecases::deadlines::today;

use super::instruction::{Loaded, load, on_dossier_page, refused_or, run_case, version_of};
use super::{render, see_other};
use crate::app::AppState;
use crate::error::{WebError, WebResult};
use crate::form::{CsrfForm, FormData};
use crate::session::CurrentUser;
use crate::templates::Layout;

/// The hint of the grid, in easy-to-read words (annexe 2-1 of the CASF).
pub const GRID_HINT: &str =
    "A : fait seul, totalement, habituellement et correctement ; B : fait partiellement ; C : ne fait pas.";

/// Lines of the care-plan form before « Ajouter une ligne ».
const PLAN_ROWS: usize = 5;
/// More lines than any plan needs: a bound on what a form may ask the server to render.
const MAX_PLAN_ROWS: usize = 40;

fn day(t: chrono::NaiveDateTime) -> String {
    french_date(t.date())
}

/// An amount as a decision field takes it (`1201,61`).
pub(crate) fn amount_field(a: Euros) -> String {
    format!("{},{:02}", a.cents() / 100, a.cents().rem_euclid(100))
}

/// What a help's quantity counts, after the number.
fn unit_words(k: HelpKind) -> &'static str {
    match k {
        HelpKind::AideHumaine => "heures",
        HelpKind::AccueilJour => "jours",
        HelpKind::Portage => "repas",
        _ => "",
    }
}

/// `2.5` → `2,5`; `40.0` → `40`.
fn quantity_text(q: f64) -> String {
    let s = format!("{q}");
    s.replace('.', ",")
}

/// A help as the pages show it.
#[derive(Debug, Clone)]
pub struct HelpLine {
    pub kind: &'static str,
    pub label: String,
    pub quantity: String,
    pub unit_price: String,
    pub monthly: String,
}

fn help_lines(helps: &[Help]) -> Vec<HelpLine> {
    helps
        .iter()
        .map(|h| HelpLine {
            kind: h.kind.label(),
            label: h.label.clone(),
            quantity: format!("{} {}", quantity_text(h.quantity_per_month), unit_words(h.kind))
                .trim()
                .to_owned(),
            unit_price: Euros::from_cents(h.unit_price_cents).to_string(),
            monthly: h
                .monthly_cost_cents()
                .map(|c| Euros::from_cents(c).to_string())
                .unwrap_or_default(),
        })
        .collect()
}

// ----------------------------------------------------------------------------------- timelines

/// The usager's words for the events of the APA stages.
pub(crate) fn usager_event_label(kind: &str) -> &'static str {
    use guichet_dossiers::apa::events as k;
    match kind {
        k::COMPLETE => "Dossier complet : le délai de deux mois pour vous répondre commence",
        k::EVALUATION => "Visite à domicile de l’équipe médico-sociale",
        k::PLAN_PROPOSED => "Plan d’aide proposé : votre réponse est attendue",
        k::PLAN_FINAL => "Plan d’aide définitif proposé : votre réponse est attendue",
        k::PLAN_ACCEPTED => "Vous avez accepté le plan d’aide",
        k::PLAN_CHANGES => "Vous avez demandé des modifications du plan d’aide",
        k::PLAN_REFUSED => "Vous avez refusé le plan d’aide : la demande d’APA est refusée",
        k::PLAN_SILENCE => "Pas de réponse au plan d’aide dans les dix jours : la demande d’APA est refusée",
        _ => "Événement",
    }
}

/// The back office's words for the events of the APA stages.
pub(crate) fn staff_event_label(kind: &str) -> &'static str {
    use guichet_dossiers::apa::events as k;
    match kind {
        k::COMPLETE => "Dossier complet enregistré (début du délai de deux mois)",
        k::EVALUATION => "Évaluation à domicile enregistrée",
        k::PLAN_PROPOSED => "Plan d’aide proposé à l’usager",
        k::PLAN_FINAL => "Plan d’aide définitif proposé à l’usager",
        k::PLAN_ACCEPTED => "Plan d’aide accepté par l’usager",
        k::PLAN_CHANGES => "Modifications du plan d’aide demandées par l’usager",
        k::PLAN_REFUSED => "Plan d’aide refusé par l’usager (demande réputée refusée, CASF R232-7)",
        k::PLAN_SILENCE => {
            "Plan d’aide sans réponse dans les dix jours (demande réputée refusée, CASF R232-7)"
        }
        _ => "Événement",
    }
}

// ------------------------------------------------------------------------ back office: the panel

/// The evaluation in the panel.
#[derive(Debug, Clone)]
pub struct EvaluationView {
    pub visited: String,
    pub evaluator: String,
    pub gir: u8,
    /// GIR 1 to 4.
    pub opens: bool,
    pub explanation: Vec<String>,
}

/// A plan in the panel.
#[derive(Debug, Clone)]
pub struct PlanView {
    pub title: String,
    pub helps: Vec<HelpLine>,
    pub plan: String,
    pub participation: String,
    pub apa: String,
    /// The answer in words, or that it is awaited until when.
    pub response: String,
    pub comment: String,
}

/// The APA stages on the back office's dossier page.
#[derive(Debug, Clone)]
pub struct ApaPanel {
    /// Deposited or en instruction: the stages to come are worth saying.
    pub active: bool,
    pub stage: String,
    pub clock_started: bool,
    pub complete: String,
    pub can_complete: bool,
    /// The viewer may read the evaluation and the plans (the instructing service).
    pub sensitive: bool,
    pub evaluation: Option<EvaluationView>,
    pub can_evaluate: bool,
    pub proposal_due: String,
    pub changes: Option<String>,
    pub final_due: String,
    pub plans: Vec<PlanView>,
    /// Why there is no plan yet, when there is none to show.
    pub plan_status: String,
    pub can_propose: bool,
    pub definitive: bool,
    pub accepted: bool,
    /// The decision form's start for the plan's right.
    pub prefill: Option<DecisionPrefill>,
}

impl ApaPanel {
    /// The amount the decision form of this right starts with, when the plan gives one.
    pub(crate) fn amount_for(&self, code: &str) -> Option<String> {
        self.prefill
            .as_ref()
            .filter(|p| p.right_code == code)
            .and_then(|p| p.amount)
            .map(amount_field)
    }

    /// The motivation the decision form of this right starts with.
    pub(crate) fn motivation_for(&self, code: &str) -> String {
        self.prefill
            .as_ref()
            .filter(|p| p.right_code == code)
            .map(|p| p.motivation.clone())
            .unwrap_or_default()
    }

    /// The note above the rights once the evaluation is recorded (in place of the simulation's, which
    /// cannot know the GIR).
    pub(crate) fn amount_note(&self) -> Option<String> {
        let ev = self.evaluation.as_ref().filter(|_| self.sensitive)?;
        Some(match self.prefill.as_ref().and_then(|p| p.amount) {
            Some(a) => format!(
                "Montant prérempli : l’APA du plan d’aide accepté par l’usager, {a} par mois. La motivation reprend le GIR et le plan."
            ),
            None if !ev.opens => format!(
                "Avec le GIR {}, l’APA ne peut pas être accordée : la motivation du refus est préremplie.",
                ev.gir
            ),
            None => {
                "Le montant et la motivation seront préremplis quand l’usager aura accepté le plan d’aide."
                    .to_owned()
            }
        })
    }
}

fn plan_view(p: &Plan, sensitive: bool) -> PlanView {
    let title = if p.version == 1 {
        format!("Proposition du {}", day(p.proposed_at))
    } else {
        format!("Proposition définitive du {}", day(p.proposed_at))
    };
    let when = p.responded_at.map(day).unwrap_or_default();
    let response = match p.response {
        None => format!(
            "En attente de la réponse de l’usager, au plus tard le {}",
            french_date(p.answer_by)
        ),
        Some(Response::Accepte) => format!("Acceptée par l’usager le {when}"),
        Some(Response::Modifications) => format!("Modifications demandées par l’usager le {when}"),
        Some(Response::Refuse) => {
            format!("Refusée par l’usager le {when} : demande réputée refusée (CASF R232-7)")
        }
        Some(Response::Silence) => format!(
            "Sans réponse au {} : demande réputée refusée (CASF R232-7)",
            french_date(p.answer_by)
        ),
    };
    PlanView {
        title,
        helps: if sensitive {
            cases::helps_of(p).map(|h| help_lines(&h)).unwrap_or_default()
        } else {
            Vec::new()
        },
        plan: Euros::from_cents(p.plan_cents).to_string(),
        participation: Euros::from_cents(p.participation_cents).to_string(),
        apa: Euros::from_cents(p.apa_cents).to_string(),
        response,
        comment: if sensitive {
            p.response_comment.clone().unwrap_or_default()
        } else {
            String::new()
        },
    }
}

/// The panel of an APA dossier (none for other procedures). Reading the evaluation is a read of health
/// data: traced for staff of the service, not shown to others.
pub(crate) async fn panel(
    state: &web::Data<AppState>,
    def: &FormDefinition,
    d: &Dossier,
    standing: Standing,
    viewer: &Viewer,
) -> WebResult<Option<ApaPanel>> {
    if !cases::applies(def) {
        return Ok(None);
    }
    let sensitive = access::may_see_sensitive(standing);
    let (dd, viewer) = (d.clone(), viewer.clone());
    let apa: ApaState = state
        .pool
        .run(move |c| {
            let s = cases::state_of(c, &dd)?;
            if s.evaluation.is_some() {
                access::trace_read(c, &dd, &viewer, standing, &SensitiveRead::Evaluation)?;
            }
            Ok::<_, WebError>(s)
        })
        .await?;
    let open = d.state == State::EnInstruction && !d.complement_demande;
    let evaluation = apa.evaluation.as_ref().map(|e| EvaluationView {
        visited: french_date(e.visited_on),
        evaluator: if sensitive {
            e.evaluator.clone()
        } else {
            String::new()
        },
        gir: if sensitive { e.gir } else { 0 },
        opens: apa.gir_opens_apa(),
        explanation: if sensitive {
            cases::explain(e).map(|r| r.explanation).unwrap_or_default()
        } else {
            Vec::new()
        },
    });
    let stage = apa.stage;
    let active = matches!(d.state, State::Depose | State::EnInstruction);
    let plan_status = match (&apa.evaluation, apa.plans.is_empty()) {
        (_, false) => "",
        (Some(_), true) if sensitive && !apa.gir_opens_apa() => {
            "Pas de plan d’aide : avec ce GIR, l’APA ne peut pas être accordée."
        }
        // The date limit says it for those who read the evaluation.
        (Some(_), true) if active && sensitive => "",
        (Some(_), true) if active => "Plan d’aide pas encore proposé.",
        (None, true) if active => "Après l’évaluation à domicile.",
        (_, true) => "Pas de plan d’aide proposé.",
    }
    .to_owned();
    Ok(Some(ApaPanel {
        plan_status,
        active,
        stage: match stage {
            Some(s) => s.label(),
            None if active => "Dossier pas encore enregistré comme complet",
            None => "Aucune étape de l’APA enregistrée",
        }
        .to_owned(),
        clock_started: apa.clock_started(),
        complete: apa.complete_at.map(day).unwrap_or_default(),
        can_complete: open && matches!(stage, None | Some(Stage::Complet)),
        sensitive,
        can_evaluate: open && sensitive && matches!(stage, Some(Stage::Complet | Stage::Evaluation)),
        proposal_due: if stage == Some(Stage::Evaluation) && apa.gir_opens_apa() {
            apa.proposal_due().map(french_date).unwrap_or_default()
        } else {
            String::new()
        },
        changes: (stage == Some(Stage::PlanModifie)).then(|| {
            if sensitive {
                apa.changes_asked().unwrap_or_default().to_owned()
            } else {
                String::new()
            }
        }),
        final_due: apa.final_plan_due().map(french_date).unwrap_or_default(),
        plans: apa.plans.iter().map(|p| plan_view(p, sensitive)).collect(),
        can_propose: open
            && sensitive
            && match stage {
                Some(Stage::Evaluation) => apa.gir_opens_apa(),
                Some(Stage::PlanModifie) => true,
                _ => false,
            },
        definitive: stage == Some(Stage::PlanModifie),
        accepted: apa.accepted_plan().is_some(),
        prefill: if sensitive {
            cases::decision_prefill(def, &apa)
        } else {
            None
        },
        evaluation,
    }))
}

/// « Dossier complet »: the date typed (today by default).
pub async fn record_complete(
    req: HttpRequest,
    state: web::Data<AppState>,
    CurrentUser(u): CurrentUser,
    path: web::Path<String>,
    CsrfForm(form): CsrfForm,
) -> WebResult<HttpResponse> {
    let l = load(&state, u, &path).await?;
    let typed = form.get("date").to_owned();
    let mut unreadable = Vec::new();
    let on = match typed.trim() {
        "" => None,
        t => super::instruction::parse_date(t).or_else(|| {
            unreadable.push(guichet_usecases::Invalid::new(
                cases::COMPLETE_FIELD,
                "La date du dossier complet doit être une date réelle, par exemple 05/12/2026",
            ));
            None
        }),
    };
    let input = cases::CompleteForm { on, unreadable };
    let version = version_of(&form)?;
    let (staff, def, did) = (l.staff.cases(), l.def.clone(), l.dossier.id.clone());
    let kept = [("apa.complet".to_owned(), typed.clone())];
    let result = run_case(&state, move |c| {
        cases::record_complete(c, &staff, &def, &did, version, &input)
    })
    .await;
    on_dossier_page(&req, &state, l, "#apa", kept.into_iter().collect(), result).await
}

// ------------------------------------------------------------------- back office: the evaluation

/// A sub-variable's radio group.
#[derive(Debug, Clone)]
pub struct SubView {
    /// `apa-toilette_haut`: the group's key, the first radio's id.
    pub field: String,
    pub legend: String,
    pub checked: String,
}

#[derive(Debug, Clone)]
pub struct VariableView {
    pub label: &'static str,
    pub subs: Vec<SubView>,
}

#[derive(Template)]
#[template(path = "instruction/apa_evaluation.html")]
pub struct EvaluationPage {
    pub layout: Layout,
    pub errors: Vec<(String, String)>,
    pub id: String,
    pub version: i32,
    pub visited: String,
    pub evaluator: String,
    pub variables: Vec<VariableView>,
    pub hint: &'static str,
    pub correction: bool,
}

fn variable_views(checked: &dyn Fn(&str) -> String) -> Vec<VariableView> {
    aggir::variables()
        .iter()
        .map(|v| VariableView {
            label: v.label,
            subs: v
                .sub
                .iter()
                .map(|(key, label)| SubView {
                    field: cases::grid_field(key),
                    legend: if v.sub.len() > 1 {
                        (*label).to_owned()
                    } else {
                        v.label.to_owned()
                    },
                    checked: checked(key),
                })
                .collect(),
        })
        .collect()
}

fn title_of(l: &Loaded, what: &str) -> String {
    format!(
        "{what} – dossier {}",
        l.dossier
            .number
            .as_ref()
            .map(ToString::to_string)
            .unwrap_or_default()
    )
}

/// Only the instructing service opens the evaluation and plan pages (health data).
fn health_only(l: &Loaded) -> WebResult<()> {
    if !cases::applies(&l.def) {
        return Err(WebError::NotFound);
    }
    if !l.sees_sensitive() {
        return Err(WebError::Denied(cases::HEALTH_STEP));
    }
    Ok(())
}

pub async fn show_evaluation(
    req: HttpRequest,
    state: web::Data<AppState>,
    CurrentUser(u): CurrentUser,
    path: web::Path<String>,
) -> WebResult<HttpResponse> {
    let l = load(&state, u, &path).await?;
    health_only(&l)?;
    let d = l.dossier.clone();
    let latest = state
        .pool
        .run(move |c| guichet_dossiers::apa::latest_evaluation(c, &d.id).map_err(WebError::from))
        .await?;
    if latest.is_some() {
        l.trace(&state, SensitiveRead::Evaluation).await?;
    }
    let grid = latest.as_ref().map(|e| e.grid.clone()).unwrap_or_default();
    let page = EvaluationPage {
        layout: Layout::new(&req, Some(&l.staff.0), title_of(&l, "Évaluation à domicile")),
        errors: Vec::new(),
        id: l.dossier.id.clone(),
        version: l.dossier.lock_version,
        visited: latest.as_ref().map_or_else(
            || today().format("%d/%m/%Y").to_string(),
            |e| e.visited_on.format("%d/%m/%Y").to_string(),
        ),
        evaluator: latest.as_ref().map(|e| e.evaluator.clone()).unwrap_or_default(),
        variables: variable_views(&|key| {
            grid.get(key)
                .and_then(serde_json::Value::as_str)
                .unwrap_or("")
                .to_owned()
        }),
        hint: GRID_HINT,
        correction: latest.is_some(),
    };
    render(StatusCode::OK, &page)
}

pub async fn submit_evaluation(
    req: HttpRequest,
    state: web::Data<AppState>,
    CurrentUser(u): CurrentUser,
    path: web::Path<String>,
    CsrfForm(form): CsrfForm,
) -> WebResult<HttpResponse> {
    let l = load(&state, u, &path).await?;
    health_only(&l)?;
    let typed_visit = form.get("visite").trim().to_owned();
    let mut unreadable = Vec::new();
    let visited_on = match typed_visit.as_str() {
        "" => None,
        t => super::instruction::parse_date(t).or_else(|| {
            unreadable.push(guichet_usecases::Invalid::new(
                cases::VISIT_FIELD,
                "La date de la visite doit être une date réelle, par exemple 05/12/2026",
            ));
            None
        }),
    };
    let grid: std::collections::BTreeMap<String, String> = aggir::variables()
        .iter()
        .flat_map(|v| v.sub.iter())
        .map(|(key, _)| ((*key).to_owned(), form.get(&cases::grid_field(key)).to_owned()))
        .collect();
    let input = cases::EvaluationForm {
        visited_on,
        evaluator: form.get("evaluateur").to_owned(),
        grid: grid.clone(),
        unreadable,
    };
    let evaluator = input.evaluator.clone();
    let version = version_of(&form)?;
    let (staff, def, did) = (l.staff.cases(), l.def.clone(), l.dossier.id.clone());
    match run_case(&state, move |c| {
        cases::record_evaluation(c, &staff, &def, &did, version, &input)
    })
    .await
    {
        Ok(Ok(d)) => {
            tracing::info!(dossier.id = %d.id, "APA home evaluation recorded");
            Ok(see_other(&format!("/instruction/dossiers/{}#apa", d.id)))
        }
        Ok(Err(errors)) => {
            let page = EvaluationPage {
                layout: Layout::new(&req, Some(&l.staff.0), title_of(&l, "Évaluation à domicile"))
                    .with_errors(true),
                errors,
                id: l.dossier.id.clone(),
                version,
                visited: typed_visit,
                evaluator,
                variables: variable_views(&|key| grid.get(key).cloned().unwrap_or_default()),
                hint: GRID_HINT,
                correction: false,
            };
            render(StatusCode::UNPROCESSABLE_ENTITY, &page)
        }
        Err(e) => refused_or(&req, &state, l, e).await,
    }
}

// ------------------------------------------------------------------------- back office: the plan

/// A line of the plan form, with its fields' keys.
#[derive(Debug, Clone)]
pub struct RowView {
    pub n: usize,
    pub row: HelpRow,
    pub type_key: String,
    pub label_key: String,
    pub quantity_key: String,
    pub price_key: String,
}

/// The amounts computed before sending.
#[derive(Debug, Clone)]
pub struct PreviewView {
    pub plan: String,
    pub ceiling: String,
    pub capped: bool,
    pub participation: String,
    pub apa: String,
    pub explanation: Vec<String>,
    pub warnings: Vec<String>,
}

#[derive(Template)]
#[template(path = "instruction/apa_plan.html")]
pub struct PlanPage {
    pub layout: Layout,
    pub errors: Vec<(String, String)>,
    pub id: String,
    pub version: i32,
    pub gir: u8,
    pub definitive: bool,
    pub due: String,
    pub changes: String,
    pub rows: Vec<RowView>,
    /// (code, label) of each kind of help.
    pub kinds: Vec<(String, &'static str)>,
    pub preview: Option<PreviewView>,
}

fn row_views(rows: Vec<HelpRow>) -> Vec<RowView> {
    rows.into_iter()
        .enumerate()
        .map(|(i, row)| {
            let n = i + 1;
            RowView {
                n,
                row,
                type_key: cases::help_field(n, "type"),
                label_key: cases::help_field(n, "libelle"),
                quantity_key: cases::help_field(n, "quantite"),
                price_key: cases::help_field(n, "prix"),
            }
        })
        .collect()
}

fn preview_of(r: &CarePlanResult) -> PreviewView {
    PreviewView {
        plan: Euros::from_cents(r.plan_cents).to_string(),
        ceiling: Euros::from_cents(r.ceiling_cents).to_string(),
        capped: r.capped,
        participation: Euros::from_cents(r.participation_cents).to_string(),
        apa: Euros::from_cents(r.apa_cents).to_string(),
        explanation: r.explanation.iter().map(ToString::to_string).collect(),
        warnings: r.warnings.clone(),
    }
}

/// The plan page's frame: the GIR, whether it is the definitive proposal, its deadline, the changes asked.
struct PlanFrame {
    gir: u8,
    definitive: bool,
    due: String,
    changes: String,
    /// The helps of the last plan, to start the definitive one from.
    last_helps: Vec<Help>,
}

async fn plan_frame(state: &web::Data<AppState>, l: &Loaded) -> WebResult<PlanFrame> {
    let (staff, def, did) = (l.staff.cases(), l.def.clone(), l.dossier.id.clone());
    let (_, apa, gir) = state
        .pool
        .run(move |c| cases::plan_context(c, &staff, &def, &did).map_err(WebError::from))
        .await?;
    let definitive = apa.stage == Some(Stage::PlanModifie);
    Ok(PlanFrame {
        gir,
        definitive,
        due: if definitive {
            apa.final_plan_due()
        } else {
            apa.proposal_due()
        }
        .map(french_date)
        .unwrap_or_default(),
        changes: apa.changes_asked().unwrap_or_default().to_owned(),
        last_helps: apa
            .plans
            .last()
            .map(|p| cases::helps_of(p).unwrap_or_default())
            .unwrap_or_default(),
    })
}

fn plan_page(
    req: &HttpRequest,
    l: &Loaded,
    frame: PlanFrame,
    rows: Vec<HelpRow>,
    errors: Vec<(String, String)>,
    preview: Option<PreviewView>,
) -> PlanPage {
    let what = if frame.definitive {
        "Plan d’aide définitif"
    } else {
        "Plan d’aide"
    };
    PlanPage {
        layout: Layout::new(req, Some(&l.staff.0), title_of(l, what)).with_errors(!errors.is_empty()),
        errors,
        id: l.dossier.id.clone(),
        version: l.dossier.lock_version,
        gir: frame.gir,
        definitive: frame.definitive,
        due: frame.due,
        changes: frame.changes,
        rows: row_views(rows),
        kinds: HelpKind::ALL
            .into_iter()
            .map(|k| (cases::kind_code(k), k.label()))
            .collect(),
        preview,
    }
}

pub async fn show_plan(
    req: HttpRequest,
    state: web::Data<AppState>,
    CurrentUser(u): CurrentUser,
    path: web::Path<String>,
) -> WebResult<HttpResponse> {
    let l = load(&state, u, &path).await?;
    health_only(&l)?;
    let frame = plan_frame(&state, &l).await?;
    l.trace(&state, SensitiveRead::Evaluation).await?;
    // The definitive plan starts from the first one, which the instructor changes as asked.
    let mut rows: Vec<HelpRow> = if frame.definitive {
        frame
            .last_helps
            .iter()
            .map(|h| HelpRow {
                kind: cases::kind_code(h.kind),
                label: h.label.clone(),
                quantity: quantity_text(h.quantity_per_month),
                unit_price: amount_field(Euros::from_cents(h.unit_price_cents)),
            })
            .collect()
    } else {
        Vec::new()
    };
    let blank = PLAN_ROWS.saturating_sub(rows.len()).max(1);
    rows.extend(std::iter::repeat_n(HelpRow::default(), blank));
    render(
        StatusCode::OK,
        &plan_page(&req, &l, frame, rows, Vec::new(), None),
    )
}

/// The lines sent (their count is the hidden `lignes`).
fn rows_of(form: &FormData) -> Vec<HelpRow> {
    let count = form
        .get("lignes")
        .parse::<usize>()
        .unwrap_or(PLAN_ROWS)
        .clamp(1, MAX_PLAN_ROWS);
    (1..=count)
        .map(|n| HelpRow {
            kind: form.get(&cases::help_field(n, "type")).to_owned(),
            label: form.get(&cases::help_field(n, "libelle")).to_owned(),
            quantity: form.get(&cases::help_field(n, "quantite")).to_owned(),
            unit_price: form.get(&cases::help_field(n, "prix")).to_owned(),
        })
        .collect()
}

/// The plan form's three buttons: « Ajouter une ligne » (the page again, one line more), « Calculer les
/// montants » (the amounts, nothing sent) and « Envoyer la proposition à l’usager ».
pub async fn submit_plan(
    req: HttpRequest,
    state: web::Data<AppState>,
    CurrentUser(u): CurrentUser,
    path: web::Path<String>,
    CsrfForm(form): CsrfForm,
) -> WebResult<HttpResponse> {
    let l = load(&state, u, &path).await?;
    health_only(&l)?;
    let frame = match plan_frame(&state, &l).await {
        Ok(f) => f,
        Err(e) => return refused_or(&req, &state, l, e).await,
    };
    let mut rows = rows_of(&form);
    match form.get("action") {
        "ajouter" => {
            if rows.len() < MAX_PLAN_ROWS {
                rows.push(HelpRow::default());
            }
            render(
                StatusCode::OK,
                &plan_page(&req, &l, frame, rows, Vec::new(), None),
            )
        }
        "calculer" => {
            let (def, d, gir, typed) = (l.def.clone(), l.dossier.clone(), frame.gir, rows.clone());
            let computed = run_case(&state, move |_| {
                let helps = cases::check_helps(&typed)?;
                cases::evaluate(&def, &d, gir, &helps, today())
            })
            .await;
            match computed {
                Ok(Ok(r)) => {
                    let preview = preview_of(&r);
                    render(
                        StatusCode::OK,
                        &plan_page(&req, &l, frame, rows, Vec::new(), Some(preview)),
                    )
                }
                Ok(Err(errors)) => render(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    &plan_page(&req, &l, frame, rows, errors, None),
                ),
                Err(e) => refused_or(&req, &state, l, e).await,
            }
        }
        _ => {
            let version = version_of(&form)?;
            let (links, staff, def, did, typed) = (
                state.links(),
                l.staff.cases(),
                l.def.clone(),
                l.dossier.id.clone(),
                rows.clone(),
            );
            match run_case(&state, move |c| {
                cases::propose_plan(c, &links, &staff, &def, &did, version, &typed)
            })
            .await
            {
                Ok(Ok(d)) => {
                    state.delivery.wake();
                    tracing::info!(dossier.id = %d.id, "APA care plan proposed");
                    Ok(see_other(&format!("/instruction/dossiers/{}#apa", d.id)))
                }
                Ok(Err(errors)) => render(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    &plan_page(&req, &l, frame, rows, errors, None),
                ),
                Err(e) => refused_or(&req, &state, l, e).await,
            }
        }
    }
}

// --------------------------------------------------------------------------- the usager's side

/// The plan awaiting the usager's answer, in plain words.
#[derive(Debug, Clone)]
pub struct UsagerPlan {
    pub version: i32,
    pub definitive: bool,
    pub gir: u8,
    pub helps: Vec<HelpLine>,
    pub plan: String,
    pub participation: String,
    pub apa: String,
    pub answer_by: String,
}

/// The APA stages on the usager's dossier page.
#[derive(Debug, Clone)]
pub struct UsagerApa {
    /// The two months run (the dossier was recorded complete): the page shows the due date.
    pub clock_started: bool,
    /// Still waiting for the complete dossier: the page says from when the two months will run.
    pub waiting_complete: bool,
    pub visited: String,
    pub pending: Option<UsagerPlan>,
    /// What became of the last plan, in a sentence.
    pub outcome: String,
}

/// The usager's view of the APA stages (none for other procedures). Their own data: no trace.
pub(crate) async fn usager_view(
    state: &web::Data<AppState>,
    def: &FormDefinition,
    d: &Dossier,
) -> WebResult<Option<UsagerApa>> {
    if !cases::applies(def) || d.state == State::Brouillon {
        return Ok(None);
    }
    let dd = d.clone();
    let apa = state
        .pool
        .run(move |c| cases::state_of(c, &dd).map_err(WebError::from))
        .await?;
    let pending = apa.pending_plan().map(|p| UsagerPlan {
        version: p.version,
        definitive: p.version > 1,
        gir: p.gir,
        helps: cases::helps_of(p).map(|h| help_lines(&h)).unwrap_or_default(),
        plan: Euros::from_cents(p.plan_cents).to_string(),
        participation: Euros::from_cents(p.participation_cents).to_string(),
        apa: Euros::from_cents(p.apa_cents).to_string(),
        answer_by: french_date(p.answer_by),
    });
    let outcome = match apa.plans.last() {
        Some(p) if pending.is_none() => {
            let when = p.responded_at.map(day).unwrap_or_default();
            match p.response {
                Some(Response::Accepte) => format!(
                    "Vous avez accepté le plan d’aide le {when}. Le département va maintenant prendre sa décision sur l’APA."
                ),
                Some(Response::Modifications) => format!(
                    "Vous avez demandé des modifications du plan d’aide le {when}. Le département vous envoie un plan d’aide définitif au plus tard le {}.",
                    apa.final_plan_due().map(french_date).unwrap_or_default()
                ),
                Some(Response::Refuse) => format!(
                    "Vous avez refusé le plan d’aide le {when}. Votre demande d’APA est donc refusée (article R232-7 du code de l’action sociale et des familles)."
                ),
                Some(Response::Silence) => format!(
                    "Vous n’avez pas répondu au plan d’aide avant le {}. Votre demande d’APA est donc refusée (article R232-7 du code de l’action sociale et des familles).",
                    french_date(p.answer_by)
                ),
                None => String::new(),
            }
        }
        _ => String::new(),
    };
    Ok(Some(UsagerApa {
        clock_started: apa.clock_started(),
        waiting_complete: !apa.clock_started() && matches!(d.state, State::Depose | State::EnInstruction),
        visited: apa
            .evaluation
            .as_ref()
            .map(|e| french_date(e.visited_on))
            .unwrap_or_default(),
        pending,
        outcome,
    }))
}

/// The usager answers the plan their page showed: « J’accepte ce plan d’aide », « Je demande des
/// modifications » (with what to change), « Je refuse ».
pub async fn answer_plan(
    req: HttpRequest,
    state: web::Data<AppState>,
    CurrentUser(u): CurrentUser,
    path: web::Path<(String, i32)>,
    CsrfForm(form): CsrfForm,
) -> WebResult<HttpResponse> {
    let (id, version) = path.into_inner();
    // Someone else's dossier: 404, before anything is read from the form.
    let (d, def) = super::demarches::load_own(&state, &u, &id).await?;
    let answer = match form.get("reponse") {
        "accepte" => cases::UsagerAnswer::Accept,
        "modifications" => cases::UsagerAnswer::Changes(form.get("modifications").to_owned()),
        "refuse" => cases::UsagerAnswer::Refuse,
        _ => return Err(WebError::BadRequest("reponse".into())),
    };
    let (links, owner, did) = (state.links(), u.user.id.clone(), d.id.clone());
    let result = state
        .pool
        .run(move |c| {
            Ok::<_, WebError>(cases::answer_plan(
                c,
                &links,
                &owner,
                &def,
                &did,
                version,
                &answer,
                today(),
            ))
        })
        .await?;
    let errors = match result {
        Ok(d) => {
            state.delivery.wake();
            tracing::info!(dossier.id = %d.id, plan.version = version, "Care plan answered");
            return Ok(see_other(&format!("/dossiers/{}#apa", d.id)));
        }
        Err(guichet_usecases::CaseError::Invalid(list)) => {
            list.into_iter().map(|i| (i.field, i.message)).collect()
        }
        Err(guichet_usecases::CaseError::Refused(why)) => vec![("apa".to_owned(), why)],
        Err(e) => return Err(e.into()),
    };
    let status = if errors.iter().any(|(f, _)| f == "apa") {
        StatusCode::CONFLICT
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    super::demarches::render_own(&req, &state, &u, &id, errors, String::new(), status).await
}
