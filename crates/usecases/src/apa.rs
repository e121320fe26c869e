//! APA à domicile between the complete dossier and the decision (DESIGN.md, APA and MDPH instruction), for
//! every procedure whose legal clock starts at the complete dossier (`deadline.starts = "complete"`):
//!
//! 1. the instructor records the dossier complete: the two months of CASF L232-14 run from that day
//!    (R232-23), and the due date is counted again from it;
//! 2. the équipe médico-sociale's home evaluation: the AGGIR grid, from which
//!    `guichet_simulation::aggir` computes the GIR (never typed; CASF R232-3, annexes 2-1 and 2-2);
//! 3. the care plan proposed to the usager: the helps, costed by `guichet_simulation::care_plan` with the
//!    beneficiary's resources read from the answers (plan amount, participation, APA; CASF R232-10,
//!    R232-11);
//! 4. the usager's answer within ten days (CASF R232-7): accepted, changes asked (then a definitive
//!    proposal within eight days, accepted or refused), or refused; refusal or silence makes the request
//!    deemed refused: the right is refused by the platform (no agent decides it: `decided_by` stays
//!    empty, the events carry no actor) and the dossier settles as on any decision;
//! 5. after acceptance, the decision of the président, prefilled from the accepted plan.

use std::collections::BTreeMap;

use chrono::{Duration, NaiveDate, NaiveDateTime};
use guichet_db::AnyConnection;
use guichet_db::outbox::NewEmail;
use guichet_dossiers::State;
use guichet_dossiers::access::{self, Standing};
use guichet_dossiers::apa::{self, Answer, Evaluation, NewEvaluation, NewPlan, Plan, Response, Stage};
use guichet_dossiers::rights::{self, Outcome, RightDecision};
use guichet_dossiers::store::{self, Dossier};
use guichet_forms::{ClockStart, FormDefinition, RightDef, french_date};
use guichet_simulation::aggir::{self, GirResult, Grid, Modality};
use guichet_simulation::apa::{ApaDomicileInput, ApaResources};
use guichet_simulation::care_plan::{self, CarePlan, CarePlanResult, Help, HelpKind};
use guichet_simulation::{Parameters, SimulationError};
use guichet_types::{Euros, Gir};
use serde_json::Value;

use crate::catalogue::Procedures;
use crate::deadlines;
use crate::error::{CaseError, Invalid, Result};
use crate::instruction::{Links, Need, Staff, acting};

/// Days the usager has to answer a care plan, from its reception (CASF R232-7). The plan is proposed
/// online and by email the same day: the day of the proposal counts as its reception.
pub const ANSWER_DAYS: i64 = 10;
/// Days the équipe has to send the definitive plan after changes were asked (CASF R232-7).
pub const FINAL_PLAN_DAYS: i64 = 8;
/// Days after the home evaluation within which the plan is proposed (CASF R232-7 (!): the article was
/// not re-read; it may count the thirty days from the complete dossier rather than from the visit).
pub const PROPOSAL_DAYS: i64 = 30;

/// The motivation of the right refused on the usager's express refusal of the plan.
pub const REFUSAL_MOTIVATION: &str = "Refus du plan d’aide par le bénéficiaire (CASF R232-7)";
/// The motivation of the right refused when the ten days passed without an answer.
pub const SILENCE_MOTIVATION: &str = "Absence de réponse du bénéficiaire à la proposition de plan d’aide dans le délai de dix jours, qui vaut refus du plan d’aide (CASF R232-7)";
/// The legal basis of both.
pub const REFUSAL_BASIS: &str = "CASF L232-14 et R232-7";

/// Whether a procedure follows these stages: its clock starts at the complete dossier.
pub fn applies(def: &FormDefinition) -> bool {
    def.clock_start() == ClockStart::Complete
}

/// The right a care plan funds: the definition's right whose amount the simulation gives.
pub fn plan_right(def: &FormDefinition) -> Option<&RightDef> {
    def.rights().iter().find(|r| r.simulated)
}

fn params() -> Result<&'static Parameters> {
    Parameters::shared().map_err(|e| CaseError::Internal(e.to_string()))
}

fn at_midnight(d: NaiveDate) -> NaiveDateTime {
    d.and_time(chrono::NaiveTime::MIN)
}

// ---------------------------------------------------------------------------------------------- state

/// What the pages show of a dossier's APA stages.
#[derive(Debug, Clone, PartialEq)]
pub struct ApaState {
    pub stage: Option<Stage>,
    pub complete_at: Option<NaiveDateTime>,
    /// The latest home evaluation (health data).
    pub evaluation: Option<Evaluation>,
    /// The plans proposed, first proposal first.
    pub plans: Vec<Plan>,
}

impl ApaState {
    /// The two months have started (the dossier was recorded complete).
    pub fn clock_started(&self) -> bool {
        self.complete_at.is_some()
    }

    /// The plan awaiting the usager's answer.
    pub fn pending_plan(&self) -> Option<&Plan> {
        self.plans
            .last()
            .filter(|p| p.response.is_none() && self.stage == Some(Stage::PlanPropose))
    }

    /// The plan the usager accepted.
    pub fn accepted_plan(&self) -> Option<&Plan> {
        self.plans
            .iter()
            .rev()
            .find(|p| p.response == Some(Response::Accepte))
    }

    /// The GIR of the latest evaluation.
    pub fn gir(&self) -> Option<u8> {
        self.evaluation.as_ref().map(|e| e.gir)
    }

    /// The evaluation's GIR opens the APA (1 to 4; CASF L232-2, R232-3).
    pub fn gir_opens_apa(&self) -> bool {
        self.gir()
            .and_then(|g| Gir::new(g).ok())
            .is_some_and(Gir::opens_apa)
    }

    /// The day by which the first plan is to be proposed (after the evaluation).
    pub fn proposal_due(&self) -> Option<NaiveDate> {
        let e = self.evaluation.as_ref()?;
        Some(e.visited_on + Duration::days(PROPOSAL_DAYS))
    }

    /// The day by which the definitive plan is due, once changes were asked.
    pub fn final_plan_due(&self) -> Option<NaiveDate> {
        let asked = self
            .plans
            .iter()
            .find(|p| p.response == Some(Response::Modifications))?;
        Some(asked.responded_at?.date() + Duration::days(FINAL_PLAN_DAYS))
    }

    /// The changes the usager asked for, in their words.
    pub fn changes_asked(&self) -> Option<&str> {
        self.plans
            .iter()
            .rev()
            .find(|p| p.response == Some(Response::Modifications))
            .and_then(|p| p.response_comment.as_deref())
    }
}

/// A dossier's APA stages as stored.
pub fn state_of(conn: &mut AnyConnection, d: &Dossier) -> Result<ApaState> {
    Ok(ApaState {
        stage: Stage::of(d),
        complete_at: d.complete_at,
        evaluation: apa::latest_evaluation(conn, &d.id)?,
        plans: apa::plans_of(conn, &d.id)?,
    })
}

/// The GIR of a stored evaluation computed again, with its explanation (for the page).
pub fn explain(e: &Evaluation) -> Result<GirResult> {
    let grid: Grid = serde_json::from_value(e.grid.clone())
        .map_err(|err| CaseError::Internal(format!("stored AGGIR grid: {err}")))?;
    aggir::compute(params()?, &grid).map_err(|err| CaseError::Internal(err.to_string()))
}

/// The helps of a stored plan.
pub fn helps_of(p: &Plan) -> Result<Vec<Help>> {
    serde_json::from_value(p.helps.clone()).map_err(|e| CaseError::Internal(format!("stored care plan: {e}")))
}

/// The code a help kind is stored and sent under (`aide_humaine`).
pub fn kind_code(k: HelpKind) -> String {
    serde_json::to_value(k)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

fn kind_of(code: &str) -> Option<HelpKind> {
    HelpKind::ALL.into_iter().find(|k| kind_code(*k) == code)
}

// ------------------------------------------------------------------------------------- 1. complete

/// The « dossier complet » form as typed.
#[derive(Debug, Clone, Default)]
pub struct CompleteForm {
    pub on: Option<NaiveDate>,
    /// What the edge could not read (a date typed wrong).
    pub unreadable: Vec<Invalid>,
}

/// The key of the date field of the « dossier complet » form.
pub const COMPLETE_FIELD: &str = "apa-complet-date";

/// Checks that the staff member may work the dossier's APA stages, and at which stage it is.
fn working(
    conn: &mut AnyConnection,
    staff: &Staff,
    def: &FormDefinition,
    id: &str,
    health: bool,
) -> Result<(Dossier, Standing)> {
    let (d, standing) = acting(conn, staff, id, Need::Act)?;
    if !applies(def) {
        return Err(CaseError::NotFound);
    }
    if health && !access::may_see_sensitive(standing) {
        return Err(CaseError::Denied(HEALTH_STEP));
    }
    if d.state != State::EnInstruction {
        return Err(CaseError::Refused(format!(
            "Cette étape n’est pas possible : le dossier est « {} ».",
            d.state.label()
        )));
    }
    if d.complement_demande {
        return Err(CaseError::Refused(
            "Le dossier attend le complément demandé à l’usager : il n’est pas complet.".into(),
        ));
    }
    Ok((d, standing))
}

/// Why someone outside the instructing service may not record the evaluation or the plan.
pub const HEALTH_STEP: &str = "L’évaluation à domicile et le plan d’aide contiennent des données de santé : seuls les agents du service qui instruit ce dossier peuvent les saisir.";

/// Records the dossier complete on the day typed (today by default): stage `complet`, `complete_at`,
/// and the due date counted from that day (CASF L232-14: two months from the complete dossier).
pub fn record_complete(
    conn: &mut AnyConnection,
    staff: &Staff,
    def: &FormDefinition,
    id: &str,
    expected_version: i32,
    form: &CompleteForm,
) -> Result<Dossier> {
    let (d, _) = working(conn, staff, def, id, false)?;
    if !matches!(Stage::of(&d), None | Some(Stage::Complet)) {
        return Err(CaseError::Refused(
            "L’évaluation à domicile est déjà enregistrée : la date du dossier complet ne change plus."
                .into(),
        ));
    }
    let mut errors = form.unreadable.clone();
    let today = deadlines::today();
    match form.on {
        None if errors.is_empty() => errors.push(Invalid::new(
            COMPLETE_FIELD,
            "Saisissez la date à laquelle le dossier est complet, par exemple 05/12/2026",
        )),
        Some(on) if on > today => errors.push(Invalid::new(
            COMPLETE_FIELD,
            "La date du dossier complet ne peut pas être dans le futur",
        )),
        Some(on) if d.deposited_at.is_some_and(|t| on < t.date()) => errors.push(Invalid::new(
            COMPLETE_FIELD,
            "La date du dossier complet ne peut pas être avant le dépôt de la demande",
        )),
        _ => {}
    }
    let Some(on) = form.on.filter(|_| errors.is_empty()) else {
        return Err(CaseError::Invalid(errors));
    };
    let complete_at = at_midnight(on);
    let due = deadlines::due_date(def, complete_at);
    Ok(apa::record_complete(
        conn,
        &d.id,
        expected_version,
        staff.id(),
        complete_at,
        due,
    )?)
}

// ----------------------------------------------------------------------------------- 2. evaluation

/// The evaluation form as typed: the visit, the evaluator, and a modality per sub-variable of the grid
/// (`toilette_haut` → `"B"`).
#[derive(Debug, Clone, Default)]
pub struct EvaluationForm {
    pub visited_on: Option<NaiveDate>,
    pub evaluator: String,
    pub grid: BTreeMap<String, String>,
    pub unreadable: Vec<Invalid>,
}

/// The field keys of the evaluation form.
pub const VISIT_FIELD: &str = "apa-visite";
pub const EVALUATOR_FIELD: &str = "apa-evaluateur";

/// The key of a sub-variable's radio group (`apa-toilette_haut`).
pub fn grid_field(key: &str) -> String {
    format!("apa-{key}")
}

/// A sub-variable as the grid's messages name it: « Transferts », « Toilette du haut », « Orientation :
/// dans le temps ».
pub fn grid_label(v: &aggir::Variable, sub: &str) -> String {
    if v.sub.len() == 1 {
        v.label.to_owned()
    } else if sub.to_lowercase().starts_with(&v.label.to_lowercase()) {
        sub.to_owned()
    } else {
        format!("{} : {}", v.label, sub.to_lowercase())
    }
}

/// The grid of a form, or each field's French error (nothing typed is lost: the caller keeps the form).
pub fn check_evaluation(form: &EvaluationForm, today: NaiveDate) -> Result<(Grid, GirResult)> {
    let mut errors = form.unreadable.clone();
    match form.visited_on {
        None if !errors.iter().any(|e| e.field == VISIT_FIELD) => errors.push(Invalid::new(
            VISIT_FIELD,
            "Saisissez la date de la visite à domicile, par exemple 05/12/2026",
        )),
        Some(v) if v > today => errors.push(Invalid::new(
            VISIT_FIELD,
            "La date de la visite ne peut pas être dans le futur",
        )),
        _ => {}
    }
    if form.evaluator.trim().is_empty() {
        errors.push(Invalid::new(
            EVALUATOR_FIELD,
            "Saisissez le nom de la personne de l’équipe médico-sociale qui a fait l’évaluation",
        ));
    }
    let mut grid = Grid::default();
    for v in aggir::variables() {
        for (key, label) in v.sub {
            let typed = form.grid.get(*key).map(String::as_str).unwrap_or("");
            match typed.parse::<Modality>() {
                Ok(m) if !typed.trim().is_empty() => {
                    aggir::set(&mut grid, key, m).map_err(|e| CaseError::Internal(e.to_string()))?;
                }
                _ => {
                    let name = grid_label(v, label);
                    errors.push(Invalid::new(
                        grid_field(key),
                        format!("Choisissez A, B ou C pour « {name} »"),
                    ));
                }
            }
        }
    }
    if !errors.is_empty() {
        return Err(CaseError::Invalid(errors));
    }
    let result = aggir::compute(params()?, &grid).map_err(|e| CaseError::Internal(e.to_string()))?;
    Ok((grid, result))
}

/// Records the home evaluation with the GIR computed from its grid (stage `evaluation`). Again, as long
/// as no plan was proposed, to correct it.
pub fn record_evaluation(
    conn: &mut AnyConnection,
    staff: &Staff,
    def: &FormDefinition,
    id: &str,
    expected_version: i32,
    form: &EvaluationForm,
) -> Result<Dossier> {
    let (d, _) = working(conn, staff, def, id, true)?;
    match Stage::of(&d) {
        Some(Stage::Complet | Stage::Evaluation) => {}
        None => {
            return Err(CaseError::Refused(
                "Enregistrez d’abord le dossier complet : l’évaluation à domicile vient après.".into(),
            ));
        }
        Some(_) => {
            return Err(CaseError::Refused(
                "Un plan d’aide a déjà été proposé : l’évaluation ne change plus.".into(),
            ));
        }
    }
    let (grid, result) = check_evaluation(form, deadlines::today())?;
    let e = NewEvaluation {
        visited_on: form
            .visited_on
            .ok_or_else(|| CaseError::Internal("checked".into()))?,
        evaluator: form.evaluator.trim().chars().take(200).collect(),
        grid: serde_json::to_value(&grid).map_err(|e| CaseError::Internal(e.to_string()))?,
        gir: result.gir,
    };
    Ok(apa::record_evaluation(
        conn,
        &d.id,
        expected_version,
        staff.id(),
        &e,
    )?)
}

// ----------------------------------------------------------------------------------------- 3. plan

/// A line of the care-plan form as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HelpRow {
    /// A [`kind_code`] (`aide_humaine`), or empty.
    pub kind: String,
    pub label: String,
    /// Per month, as typed (`40`, `2,5`).
    pub quantity: String,
    /// In euros, as typed (`24,58`).
    pub unit_price: String,
}

impl HelpRow {
    fn is_blank(&self) -> bool {
        [&self.kind, &self.label, &self.quantity, &self.unit_price]
            .iter()
            .all(|s| s.trim().is_empty())
    }
}

/// The key of a field of the plan form's line `n` (from 1): `aide-2-quantite`.
pub fn help_field(n: usize, what: &str) -> String {
    format!("aide-{n}-{what}")
}

/// A quantity as typed, up to two decimals (`2,5` hours).
fn quantity(typed: &str) -> Option<f64> {
    let t = typed.trim().replace(',', ".");
    let (whole, frac) = t.split_once('.').unwrap_or((&t, ""));
    let digits = |s: &str| s.chars().all(|c| c.is_ascii_digit());
    if whole.is_empty() || !digits(whole) || !digits(frac) || frac.len() > 2 || whole.len() > 6 {
        return None;
    }
    t.parse::<f64>().ok().filter(|q| *q > 0.0)
}

/// The helps of the form (blank lines left out), or each field's French error.
pub fn check_helps(rows: &[HelpRow]) -> Result<Vec<Help>> {
    let mut errors = Vec::new();
    let mut helps = Vec::new();
    for (i, row) in rows.iter().enumerate() {
        if row.is_blank() {
            continue;
        }
        let n = i + 1;
        let kind = kind_of(row.kind.trim());
        if kind.is_none() {
            errors.push(Invalid::new(
                help_field(n, "type"),
                format!("Ligne {n} : choisissez le type d’aide"),
            ));
        }
        let q = quantity(&row.quantity);
        if q.is_none() {
            errors.push(Invalid::new(
                help_field(n, "quantite"),
                format!("Ligne {n} : saisissez la quantité par mois, par exemple 40 ou 2,5"),
            ));
        }
        let price = Euros::parse(&row.unit_price).ok().filter(|p| p.cents() > 0);
        if price.is_none() {
            errors.push(Invalid::new(
                help_field(n, "prix"),
                format!("Ligne {n} : saisissez le prix d’une unité en euros, par exemple 24,58"),
            ));
        }
        if let (Some(kind), Some(q), Some(p)) = (kind, q, price) {
            helps.push(Help {
                kind,
                label: row.label.trim().chars().take(200).collect(),
                quantity_per_month: q,
                unit_price_cents: p.cents(),
            });
        }
    }
    if errors.is_empty() && helps.is_empty() {
        errors.push(Invalid::new(
            help_field(1, "type"),
            "Ajoutez au moins une aide au plan d’aide",
        ));
    }
    if errors.is_empty() {
        Ok(helps)
    } else {
        Err(CaseError::Invalid(errors))
    }
}

/// The beneficiary's resources and couple status, from the answers through the definition's simulation
/// inputs (the same reading as the public simulator's: revenu fiscal, patrimoine, couple; CASF R232-5).
pub fn resources(def: &FormDefinition, d: &Dossier, on: NaiveDate) -> Result<(ApaResources, bool)> {
    let answers = d.answers.as_object().cloned().unwrap_or_default();
    let mut values = def.simulation_values(&answers, on);
    // The GIR and the plan are the simulation's other inputs; only the resources are read here.
    values.insert("gir".into(), Value::from(1));
    values.insert("plan".into(), Value::from("0"));
    let input: ApaDomicileInput = serde_json::from_value(Value::Object(values)).map_err(|e| {
        tracing::warn!(dossier.id = %d.id, error = %e, "APA resources unreadable from the answers");
        CaseError::Refused(
            "Les ressources déclarées dans le dossier ne permettent pas de calculer la participation : demandez un complément sur les ressources.".into(),
        )
    })?;
    Ok((
        ApaResources {
            ressources: input.ressources,
            revenus_annuels: input.revenus_annuels,
            valeur_locative_bati: input.valeur_locative_bati,
            valeur_locative_non_bati: input.valeur_locative_non_bati,
            capitaux: input.capitaux,
        },
        input.couple,
    ))
}

/// Costs a plan for the GIR with the dossier's resources on `on` (plan amount, participation, APA).
pub fn evaluate(
    def: &FormDefinition,
    d: &Dossier,
    gir: u8,
    helps: &[Help],
    on: NaiveDate,
) -> Result<CarePlanResult> {
    let (res, couple) = resources(def, d, on)?;
    let plan = CarePlan {
        gir,
        helps: helps.to_vec(),
    };
    care_plan::evaluate_plan(params()?, on, &plan, &res, couple).map_err(|e| match e {
        SimulationError::InvalidInput(m) => CaseError::Invalid(vec![Invalid::new(help_field(1, "type"), m)]),
        other => CaseError::Internal(other.to_string()),
    })
}

/// The stage and GIR a plan may be proposed at: after the evaluation (GIR 1 to 4), or after changes
/// were asked. Returns the GIR.
fn plan_allowed(state: &ApaState) -> Result<u8> {
    match state.stage {
        Some(Stage::Evaluation | Stage::PlanModifie) => {}
        None | Some(Stage::Complet) => {
            return Err(CaseError::Refused(
                "Enregistrez d’abord l’évaluation à domicile : le plan d’aide se fonde sur le GIR.".into(),
            ));
        }
        Some(Stage::PlanPropose) => {
            return Err(CaseError::Refused(
                "Un plan d’aide attend déjà la réponse de l’usager.".into(),
            ));
        }
        Some(Stage::PlanAccepte | Stage::PlanRefuse) => {
            return Err(CaseError::Refused(
                "L’usager a déjà répondu au plan d’aide : il n’y a plus de plan à proposer.".into(),
            ));
        }
    }
    let gir = state
        .gir()
        .ok_or_else(|| CaseError::Internal("evaluation without GIR".into()))?;
    if !state.gir_opens_apa() {
        return Err(CaseError::Refused(format!(
            "Avec le GIR {gir}, l’APA ne peut pas être accordée (CASF L232-2 et R232-3) : refusez le droit avec sa motivation."
        )));
    }
    Ok(gir)
}

/// Where a plan may be prepared: the dossier, its APA state and the GIR. For the plan page.
pub fn plan_context(
    conn: &mut AnyConnection,
    staff: &Staff,
    def: &FormDefinition,
    id: &str,
) -> Result<(Dossier, ApaState, u8)> {
    let (d, _) = working(conn, staff, def, id, true)?;
    let state = state_of(conn, &d)?;
    let gir = plan_allowed(&state)?;
    Ok((d, state, gir))
}

fn owner_email(conn: &mut AnyConnection, d: &Dossier) -> Result<String> {
    Ok(guichet_accounts::users::find(conn, &d.owner_id)?
        .ok_or(CaseError::NotFound)?
        .email)
}

fn number(d: &Dossier) -> String {
    d.number.as_ref().map(ToString::to_string).unwrap_or_default()
}

/// Proposes the care plan of these lines (the first, or the definitive one after changes were asked):
/// costed with the dossier's resources, ten days to answer, an email to the usager.
#[allow(clippy::too_many_arguments)]
pub fn propose_plan(
    conn: &mut AnyConnection,
    links: &Links,
    staff: &Staff,
    def: &FormDefinition,
    id: &str,
    expected_version: i32,
    rows: &[HelpRow],
) -> Result<Dossier> {
    let (d, state, gir) = plan_context(conn, staff, def, id)?;
    let right = plan_right(def).ok_or_else(|| CaseError::Internal("no simulated right".into()))?;
    if !rights::of(conn, &d.id)?
        .iter()
        .any(|r| r.code == right.id && r.is_open())
    {
        return Err(CaseError::Refused(format!(
            "Le droit « {} » n’est plus à décider : il n’y a pas de plan d’aide à proposer.",
            right.label
        )));
    }
    let helps = check_helps(rows)?;
    let today = deadlines::today();
    let result = evaluate(def, &d, gir, &helps, today)?;
    let answer_by = today + Duration::days(ANSWER_DAYS);
    let definitive = state.stage == Some(Stage::PlanModifie);
    let (plan, participation, apa_amount) = (
        Euros::from_cents(result.plan_cents).to_string(),
        Euros::from_cents(result.participation_cents).to_string(),
        Euros::from_cents(result.apa_cents).to_string(),
    );
    let email = guichet_notify::emails::care_plan_proposed(
        &owner_email(conn, &d)?,
        &number(&d),
        def.title(),
        definitive,
        guichet_notify::emails::PlanAmounts {
            plan: &plan,
            participation: &participation,
            apa: &apa_amount,
        },
        &french_date(answer_by),
        &links.dossier(&d),
    );
    let new = NewPlan {
        right_code: right.id.clone(),
        helps: serde_json::to_value(&helps).map_err(|e| CaseError::Internal(e.to_string()))?,
        plan_cents: result.plan_cents,
        participation_cents: result.participation_cents,
        apa_cents: result.apa_cents,
        gir,
        answer_by,
    };
    Ok(apa::propose_plan(
        conn,
        &d.id,
        expected_version,
        staff.id(),
        &new,
        Some(&email),
    )?)
}

// ---------------------------------------------------------------------------------- 4. the answer

/// What the usager answers to a plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UsagerAnswer {
    Accept,
    /// Changes asked, in their words (first proposal only).
    Changes(String),
    Refuse,
}

/// The key of the text box of « Je demande des modifications ».
pub const CHANGES_FIELD: &str = "apa-modifications";

/// The decision a rule takes on the plan's right (express refusal or silence; CASF R232-7).
fn deemed_refusal(motivation: &str) -> RightDecision {
    RightDecision {
        outcome: Outcome::Refus,
        amount: None,
        period_start: None,
        period_end: None,
        rate: None,
        motivation: motivation.to_owned(),
        legal_basis: REFUSAL_BASIS.to_owned(),
        session_id: None,
    }
}

fn decision_email(
    conn: &mut AnyConnection,
    links: &Links,
    d: &Dossier,
    def: &FormDefinition,
) -> Result<NewEmail> {
    Ok(guichet_notify::emails::decision(
        &owner_email(conn, d)?,
        &number(d),
        def.title(),
        "rendue",
        &links.dossier(d),
    ))
}

/// The owner answers the plan of `version` (the one their page showed). Once only, within the ten days;
/// changes only on the first proposal. A refusal refuses the plan's right (the dossier is decided when it
/// was its last open right).
#[allow(clippy::too_many_arguments)]
pub fn answer_plan(
    conn: &mut AnyConnection,
    links: &Links,
    owner_id: &str,
    def: &FormDefinition,
    id: &str,
    version: i32,
    answer: &UsagerAnswer,
    today: NaiveDate,
) -> Result<Dossier> {
    // Someone else's dossier does not exist for them (404), as everywhere on the usager's side.
    let d = store::find(conn, id)?
        .filter(|d| d.owner_id == owner_id)
        .ok_or(CaseError::NotFound)?;
    if !applies(def) {
        return Err(CaseError::NotFound);
    }
    let state = state_of(conn, &d)?;
    let plan = state
        .plans
        .iter()
        .find(|p| p.version == version)
        .ok_or(CaseError::NotFound)?;
    if plan.response.is_some() || state.plans.last().is_some_and(|p| p.version != version) {
        return Err(CaseError::Refused(
            "Vous avez déjà répondu à cette proposition de plan d’aide.".into(),
        ));
    }
    if d.state != State::EnInstruction || state.stage != Some(Stage::PlanPropose) {
        return Err(CaseError::Refused(
            "Cette proposition de plan d’aide n’attend plus de réponse.".into(),
        ));
    }
    if today > plan.answer_by {
        return Err(CaseError::Refused(format!(
            "Le délai pour répondre à cette proposition s’est terminé le {} : sans réponse, elle vaut refus (CASF R232-7).",
            french_date(plan.answer_by)
        )));
    }
    let answer = match answer {
        UsagerAnswer::Accept => Answer::Accept,
        UsagerAnswer::Changes(_) if plan.version > 1 => {
            return Err(CaseError::Refused(
                "Ce plan d’aide est la proposition définitive : vous pouvez l’accepter ou le refuser.".into(),
            ));
        }
        UsagerAnswer::Changes(text) => {
            let comment: String = text.trim().chars().take(2000).collect();
            if comment.is_empty() {
                return Err(CaseError::Invalid(vec![Invalid::new(
                    CHANGES_FIELD,
                    "Écrivez ce que vous voulez changer dans le plan d’aide",
                )]));
            }
            Answer::Changes { comment }
        }
        UsagerAnswer::Refuse => Answer::Refuse {
            refusal: deemed_refusal(REFUSAL_MOTIVATION),
            email_if_decided: Some(decision_email(conn, links, &d, def)?),
        },
    };
    Ok(apa::answer_plan(conn, &d.id, owner_id, version, &answer)?)
}

// ---------------------------------------------------------------------------------- 5. the silence

/// Records the silence on every plan whose ten days ended before `now`'s day, and refuses its right
/// (CASF R232-7; the dossier is decided when that was its last open right, with the decision email).
/// Returns the dossiers changed. A plan answered meanwhile is left alone; a dossier that fails is logged
/// and the others still go.
pub fn expire_proposals(
    conn: &mut AnyConnection,
    links: &Links,
    procedures: &Procedures,
    now: NaiveDateTime,
) -> Result<Vec<String>> {
    let mut changed = Vec::new();
    for plan in apa::unanswered_before(conn, now.date())? {
        let done = (|| -> Result<Option<Dossier>> {
            let Some(d) = store::find(conn, &plan.dossier_id)? else {
                return Ok(None);
            };
            let def = procedures.definition_of_version(conn, &d.form_version_id)?;
            let email = decision_email(conn, links, &d, &def)?;
            Ok(apa::expire(
                conn,
                &plan,
                &deemed_refusal(SILENCE_MOTIVATION),
                Some(&email),
            )?)
        })();
        match done {
            Ok(Some(d)) => {
                tracing::info!(dossier.id = %d.id, plan.version = plan.version, "Care plan unanswered: request deemed refused (CASF R232-7)");
                changed.push(d.id);
            }
            Ok(None) => {}
            Err(e) => {
                tracing::error!(dossier.id = %plan.dossier_id, error = %e, "Care plan expiry failed");
            }
        }
    }
    Ok(changed)
}

// ------------------------------------------------------------------------------------ 6. decision

/// What the decision form of the plan's right starts with: the amount and the motivation (the
/// instructor may change both).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecisionPrefill {
    pub right_code: String,
    pub amount: Option<Euros>,
    pub motivation: String,
}

/// The decision prefilled from the accepted plan (the GIR, the plan, the participation, the APA), or the
/// refusal's motivation when the GIR does not open the APA. The letter carries the motivation: plain
/// words, the articles named.
pub fn decision_prefill(def: &FormDefinition, state: &ApaState) -> Option<DecisionPrefill> {
    let right = plan_right(def)?;
    let e = state.evaluation.as_ref()?;
    let visit = format!(
        "Évaluation de l’autonomie à domicile du {} : GIR {}.",
        french_date(e.visited_on),
        e.gir
    );
    if !state.gir_opens_apa() {
        return Some(DecisionPrefill {
            right_code: right.id.clone(),
            amount: None,
            motivation: format!(
                "{visit} L’allocation personnalisée d’autonomie est réservée aux personnes classées dans les GIR 1 à 4 (CASF L232-2 et R232-3)."
            ),
        });
    }
    let p = state.accepted_plan()?;
    let accepted = p.responded_at.map(|t| french_date(t.date())).unwrap_or_default();
    Some(DecisionPrefill {
        right_code: right.id.clone(),
        amount: Some(Euros::from_cents(p.apa_cents)),
        motivation: format!(
            "{visit} Plan d’aide accepté le {accepted} : {} par mois (CASF L232-3 et R232-10). Votre participation : {} par mois, selon vos ressources (CASF R232-11). Allocation versée : {} par mois, à compter de la notification de cette décision (CASF L232-14).",
            Euros::from_cents(p.plan_cents),
            Euros::from_cents(p.participation_cents),
            Euros::from_cents(p.apa_cents),
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn full_form(m: &str) -> EvaluationForm {
        let mut grid = BTreeMap::new();
        for v in aggir::variables() {
            for (key, _) in v.sub {
                grid.insert((*key).to_owned(), m.to_owned());
            }
        }
        EvaluationForm {
            visited_on: NaiveDate::from_ymd_opt(2026, 12, 1),
            evaluator: "Inès Martin".into(),
            grid,
            unreadable: Vec::new(),
        }
    }

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 12, 10).unwrap_or_default()
    }

    #[test]
    fn the_gir_is_computed_from_the_grid_never_typed() {
        let (grid, result) = check_evaluation(&full_form("C"), today()).unwrap_or_else(|e| panic!("{e:?}"));
        let direct = aggir::compute(Parameters::shared().unwrap_or_else(|e| panic!("{e}")), &grid)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(result, direct);
        assert_eq!(result.gir, 1);
        let (_, result) = check_evaluation(&full_form("A"), today()).unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(result.gir, 6);
    }

    #[test]
    fn an_incomplete_grid_names_each_missing_sub_variable() {
        let mut form = full_form("B");
        form.grid.remove("toilette_haut");
        form.grid.insert("transferts".into(), "D".into());
        form.evaluator = "  ".into();
        form.visited_on = NaiveDate::from_ymd_opt(2026, 12, 11);
        let Err(CaseError::Invalid(errors)) = check_evaluation(&form, today()) else {
            panic!("an incomplete grid must be refused");
        };
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                VISIT_FIELD,
                EVALUATOR_FIELD,
                "apa-toilette_haut",
                "apa-transferts"
            ]
        );
        assert!(errors[2].message.contains("« Toilette du haut »"), "{errors:?}");
        assert!(errors[3].message.contains("« Transferts »"), "{errors:?}");
        assert!(errors[0].message.contains("futur"));
    }

    #[test]
    fn blank_lines_are_left_out_and_partial_ones_say_what_is_missing() {
        let row = |k: &str, q: &str, p: &str| HelpRow {
            kind: k.into(),
            label: String::new(),
            quantity: q.into(),
            unit_price: p.into(),
        };
        let helps = check_helps(&[
            row("aide_humaine", "40", "24,58"),
            HelpRow::default(),
            row("teleassistance", "1", "30"),
        ])
        .unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(helps.len(), 2);
        assert_eq!(helps[0].kind, HelpKind::AideHumaine);
        assert_eq!(helps[0].unit_price_cents, 2458);
        assert!((helps[0].quantity_per_month - 40.0).abs() < f64::EPSILON);
        let Err(CaseError::Invalid(errors)) = check_helps(&[HelpRow::default(), row("", "2,555", "-3")])
        else {
            panic!("a partial line must be refused");
        };
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["aide-2-type", "aide-2-quantite", "aide-2-prix"]);
        assert!(errors[0].message.starts_with("Ligne 2 :"));
        let Err(CaseError::Invalid(errors)) = check_helps(&[HelpRow::default()]) else {
            panic!("an empty plan must be refused");
        };
        assert_eq!(errors[0].field, "aide-1-type");
    }

    #[test]
    fn quantities_take_a_comma_and_two_decimals_at_most() {
        assert_eq!(quantity("2,5"), Some(2.5));
        assert_eq!(quantity(" 40 "), Some(40.0));
        assert_eq!(quantity("0"), None);
        assert_eq!(quantity("1,234"), None);
        assert_eq!(quantity("-1"), None);
        assert_eq!(quantity("abc"), None);
        assert_eq!(quantity(""), None);
    }

    #[test]
    fn help_kinds_round_trip_through_their_codes() {
        for k in HelpKind::ALL {
            assert_eq!(kind_of(&kind_code(k)), Some(k));
        }
        assert_eq!(kind_of("jardinage"), None);
    }
}
