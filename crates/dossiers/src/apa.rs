//! APA à domicile between the complete dossier and the decision (DESIGN.md, APA and MDPH instruction):
//! the dossier recorded complete (the legal clock starts, CASF L232-14 and R232-23), the home evaluation
//! of the équipe médico-sociale (`apa_evaluations`: the AGGIR grid and the GIR computed from it), the care
//! plans proposed to the usager and their answers (`care_plans`, CASF R232-7). Each write follows the
//! crate's rule: one transaction, the dossier's version checked and bumped, an event, the outbox rows.
//!
//! The rules of the procedure (which stage allows what, the deadlines, the amounts) are the use cases'
//! (`guichet_usecases::apa`); this module keeps the rows and refuses what would break them.

use std::fmt;
use std::str::FromStr;

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use guichet_db::outbox::NewEmail;
use guichet_db::schema::{apa_evaluations, care_plans, dossiers};
use guichet_db::{AnyConnection, new_id, now};
use serde_json::{Value, json};

use crate::lifecycle::{State, TransitionError};
use crate::rights::{self, RightDecision};
use crate::store::{self, Dossier, DossierError, Result, insert_event};

/// Where an APA request stands within `en_instruction` (`dossiers.stage`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Stage {
    /// The dossier is complete: the two months of CASF L232-14 run from here.
    Complet,
    /// The home evaluation is recorded (GIR known).
    Evaluation,
    /// A care plan waits for the usager's answer (ten days, CASF R232-7).
    PlanPropose,
    /// The usager asked for changes: a definitive plan is due within eight days (CASF R232-7).
    PlanModifie,
    /// The usager accepted the plan: the président decides.
    PlanAccepte,
    /// The plan was refused or left unanswered: the request is deemed refused (CASF R232-7).
    PlanRefuse,
}

impl Stage {
    pub const ALL: [Stage; 6] = [
        Stage::Complet,
        Stage::Evaluation,
        Stage::PlanPropose,
        Stage::PlanModifie,
        Stage::PlanAccepte,
        Stage::PlanRefuse,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            Stage::Complet => "complet",
            Stage::Evaluation => "evaluation",
            Stage::PlanPropose => "plan_propose",
            Stage::PlanModifie => "plan_modifie",
            Stage::PlanAccepte => "plan_accepte",
            Stage::PlanRefuse => "plan_refuse",
        }
    }

    /// The stage as the back office names it.
    pub const fn label(self) -> &'static str {
        match self {
            Stage::Complet => "Dossier complet : évaluation à domicile à faire",
            Stage::Evaluation => "Évaluation faite : plan d’aide à proposer",
            Stage::PlanPropose => "Plan d’aide proposé : en attente de la réponse de l’usager",
            Stage::PlanModifie => "Modifications demandées : plan d’aide définitif à proposer",
            Stage::PlanAccepte => "Plan d’aide accepté : décision à prendre",
            Stage::PlanRefuse => "Plan d’aide refusé ou sans réponse : demande réputée refusée",
        }
    }

    /// The stage of a dossier (`None`: not recorded complete yet, or a stage of another procedure).
    pub fn of(d: &Dossier) -> Option<Stage> {
        d.stage.as_deref().and_then(|s| s.parse().ok())
    }
}

impl FromStr for Stage {
    type Err = DossierError;
    fn from_str(s: &str) -> Result<Stage> {
        Stage::ALL
            .into_iter()
            .find(|st| st.as_str() == s)
            .ok_or_else(|| DossierError::Internal(format!("étape APA inconnue : {s}")))
    }
}

impl fmt::Display for Stage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The usager's answer to a care plan (`care_plans.response`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Response {
    Accepte,
    /// Changes asked (on the first proposal only): a definitive one follows.
    Modifications,
    /// Refused expressly: the request is deemed refused (CASF R232-7).
    Refuse,
    /// No answer within the ten days: deemed refused as well (CASF R232-7).
    Silence,
}

impl Response {
    pub const ALL: [Response; 4] = [
        Response::Accepte,
        Response::Modifications,
        Response::Refuse,
        Response::Silence,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            Response::Accepte => "accepte",
            Response::Modifications => "modifications",
            Response::Refuse => "refuse",
            Response::Silence => "silence",
        }
    }
}

impl FromStr for Response {
    type Err = DossierError;
    fn from_str(s: &str) -> Result<Response> {
        Response::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| DossierError::Internal(format!("réponse au plan d’aide inconnue : {s}")))
    }
}

/// The event kinds of this module, shown to both sides (their words: the web crate's timelines).
pub mod events {
    pub const COMPLETE: &str = "apa_complete";
    pub const EVALUATION: &str = "apa_evaluation";
    pub const PLAN_PROPOSED: &str = "apa_plan_proposed";
    /// The definitive plan, after changes were asked.
    pub const PLAN_FINAL: &str = "apa_plan_final";
    pub const PLAN_ACCEPTED: &str = "apa_plan_accepted";
    pub const PLAN_CHANGES: &str = "apa_plan_changes";
    pub const PLAN_REFUSED: &str = "apa_plan_refused";
    pub const PLAN_SILENCE: &str = "apa_plan_silence";
}

// ------------------------------------------------------------------------------------------ evaluations

/// A home evaluation as recorded.
#[derive(Debug, Clone, PartialEq)]
pub struct Evaluation {
    pub id: String,
    pub dossier_id: String,
    pub visited_on: NaiveDate,
    pub evaluator: String,
    /// The AGGIR grid as filled: `{ "toilette_haut": "B", … }` (health data).
    pub grid: Value,
    pub gir: u8,
    pub recorded_by: String,
    pub recorded_at: NaiveDateTime,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = apa_evaluations)]
struct EvaluationRow {
    id: String,
    dossier_id: String,
    visited_on: NaiveDate,
    evaluator: String,
    grid: String,
    gir: i32,
    recorded_by: String,
    recorded_at: NaiveDateTime,
}

impl TryFrom<EvaluationRow> for Evaluation {
    type Error = DossierError;
    fn try_from(r: EvaluationRow) -> Result<Evaluation> {
        Ok(Evaluation {
            grid: store::json(&r.grid)?,
            gir: u8::try_from(r.gir).map_err(|e| DossierError::Internal(e.to_string()))?,
            id: r.id,
            dossier_id: r.dossier_id,
            visited_on: r.visited_on,
            evaluator: r.evaluator,
            recorded_by: r.recorded_by,
            recorded_at: r.recorded_at,
        })
    }
}

/// What an evaluation records; the GIR was computed from the grid by the caller.
#[derive(Debug, Clone, PartialEq)]
pub struct NewEvaluation {
    pub visited_on: NaiveDate,
    pub evaluator: String,
    pub grid: Value,
    pub gir: u8,
}

/// The evaluation that counts: the latest recorded.
pub fn latest_evaluation(conn: &mut AnyConnection, dossier_id: &str) -> Result<Option<Evaluation>> {
    apa_evaluations::table
        .filter(apa_evaluations::dossier_id.eq(dossier_id))
        .order((apa_evaluations::recorded_at.desc(), apa_evaluations::id.desc()))
        .select(EvaluationRow::as_select())
        .first(conn)
        .optional()?
        .map(Evaluation::try_from)
        .transpose()
}

// ---------------------------------------------------------------------------------------------- plans

/// A care plan proposed to the usager, with their answer once given.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    pub id: String,
    pub dossier_id: String,
    /// 1: the proposal; 2: the definitive proposal after changes were asked.
    pub version: i32,
    /// The right the plan funds.
    pub right_code: String,
    /// The helps, as `guichet_simulation::care_plan::Help` serialises them (health data: what the person
    /// needs help for).
    pub helps: Value,
    pub plan_cents: i64,
    pub participation_cents: i64,
    pub apa_cents: i64,
    pub gir: u8,
    pub proposed_by: String,
    pub proposed_at: NaiveDateTime,
    /// The last day of the usager's ten days.
    pub answer_by: NaiveDate,
    pub response: Option<Response>,
    pub response_comment: Option<String>,
    pub responded_at: Option<NaiveDateTime>,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = care_plans)]
struct PlanRow {
    id: String,
    dossier_id: String,
    version: i32,
    right_code: String,
    helps: String,
    plan_cents: i64,
    participation_cents: i64,
    apa_cents: i64,
    gir: i32,
    proposed_by: String,
    proposed_at: NaiveDateTime,
    answer_by: NaiveDate,
    response: Option<String>,
    response_comment: Option<String>,
    responded_at: Option<NaiveDateTime>,
}

impl TryFrom<PlanRow> for Plan {
    type Error = DossierError;
    fn try_from(r: PlanRow) -> Result<Plan> {
        Ok(Plan {
            helps: store::json(&r.helps)?,
            gir: u8::try_from(r.gir).map_err(|e| DossierError::Internal(e.to_string()))?,
            response: r.response.as_deref().map(str::parse).transpose()?,
            id: r.id,
            dossier_id: r.dossier_id,
            version: r.version,
            right_code: r.right_code,
            plan_cents: r.plan_cents,
            participation_cents: r.participation_cents,
            apa_cents: r.apa_cents,
            proposed_by: r.proposed_by,
            proposed_at: r.proposed_at,
            answer_by: r.answer_by,
            response_comment: r.response_comment,
            responded_at: r.responded_at,
        })
    }
}

/// A plan to propose, costed by the caller.
#[derive(Debug, Clone, PartialEq)]
pub struct NewPlan {
    pub right_code: String,
    pub helps: Value,
    pub plan_cents: i64,
    pub participation_cents: i64,
    pub apa_cents: i64,
    pub gir: u8,
    pub answer_by: NaiveDate,
}

/// The plans of a dossier, first proposal first.
pub fn plans_of(conn: &mut AnyConnection, dossier_id: &str) -> Result<Vec<Plan>> {
    care_plans::table
        .filter(care_plans::dossier_id.eq(dossier_id))
        .order(care_plans::version.asc())
        .select(PlanRow::as_select())
        .load(conn)?
        .into_iter()
        .map(Plan::try_from)
        .collect()
}

/// Plans still awaited whose last day to answer is before `day` (the ten days are over). Those of dossiers
/// that left the stage (closed, decided otherwise) are not awaited any more: the hourly task skips them.
pub fn unanswered_before(conn: &mut AnyConnection, day: NaiveDate) -> Result<Vec<Plan>> {
    care_plans::table
        .inner_join(dossiers::table)
        .filter(care_plans::response.is_null())
        .filter(care_plans::answer_by.lt(day))
        .filter(dossiers::state.eq(State::EnInstruction.as_str()))
        .filter(dossiers::stage.eq(Stage::PlanPropose.as_str()))
        .order((care_plans::answer_by.asc(), care_plans::id.asc()))
        .select(PlanRow::as_select())
        .load(conn)?
        .into_iter()
        .map(Plan::try_from)
        .collect()
}

// --------------------------------------------------------------------------------------------- writes

/// Staff changing an APA dossier: not their own, the version they saw, en instruction, no complement
/// awaited (the dossier is not complete meanwhile), and at one of the stages the step follows.
fn staff_may_change(
    d: &Dossier,
    actor_id: &str,
    expected_version: i32,
    from: &[Option<Stage>],
) -> Result<()> {
    if d.owner_id == actor_id {
        return Err(DossierError::OwnDossier);
    }
    if d.lock_version != expected_version {
        return Err(DossierError::Conflict);
    }
    if d.state != State::EnInstruction {
        return Err(TransitionError::NotAllowedInState(d.state).into());
    }
    if d.complement_demande {
        return Err(TransitionError::AwaitingComplement.into());
    }
    if !from.contains(&Stage::of(d)) {
        return Err(DossierError::Internal(format!(
            "APA step not allowed at stage {:?}",
            d.stage
        )));
    }
    Ok(())
}

/// Moves the dossier to a stage with the version the actor saw, bumping it.
fn set_stage(conn: &mut AnyConnection, d: &Dossier, stage: Stage) -> Result<()> {
    let n = diesel::update(
        dossiers::table
            .filter(dossiers::id.eq(&d.id))
            .filter(dossiers::lock_version.eq(d.lock_version)),
    )
    .set((
        dossiers::stage.eq(Some(stage.as_str())),
        dossiers::lock_version.eq(d.lock_version + 1),
        dossiers::updated_at.eq(now()),
    ))
    .execute(conn)?;
    if n == 0 {
        return Err(DossierError::Conflict);
    }
    Ok(())
}

/// Records the dossier complete on `complete_at` with the due date counted from it. Allowed before the
/// evaluation only (a date typed wrong is corrected the same way).
pub fn record_complete(
    conn: &mut AnyConnection,
    dossier_id: &str,
    expected_version: i32,
    actor_id: &str,
    complete_at: NaiveDateTime,
    due_at: Option<NaiveDateTime>,
) -> Result<Dossier> {
    guichet_db::write_transaction(conn, |conn| {
        let d = store::find(conn, dossier_id)?.ok_or(DossierError::NotFound)?;
        staff_may_change(&d, actor_id, expected_version, &[None, Some(Stage::Complet)])?;
        set_stage(conn, &d, Stage::Complet)?;
        diesel::update(dossiers::table.find(dossier_id))
            .set((
                dossiers::complete_at.eq(Some(complete_at)),
                dossiers::due_at.eq(due_at),
            ))
            .execute(conn)?;
        insert_event(
            conn,
            dossier_id,
            Some(actor_id),
            events::COMPLETE,
            None,
            None,
            &json!({ "on": complete_at.date(), "due": due_at.map(|t| t.date()) }),
            true,
        )?;
        store::find(conn, dossier_id)?.ok_or(DossierError::NotFound)
    })
}

/// Records a home evaluation (again, as long as no plan was proposed: a correction adds a row, the
/// latest counts). The event says a visit took place, never the GIR: the usager's timeline is read
/// beyond the service (an administrator's history view hides free texts, not kinds).
pub fn record_evaluation(
    conn: &mut AnyConnection,
    dossier_id: &str,
    expected_version: i32,
    actor_id: &str,
    e: &NewEvaluation,
) -> Result<Dossier> {
    guichet_db::write_transaction(conn, |conn| {
        let d = store::find(conn, dossier_id)?.ok_or(DossierError::NotFound)?;
        staff_may_change(
            &d,
            actor_id,
            expected_version,
            &[Some(Stage::Complet), Some(Stage::Evaluation)],
        )?;
        set_stage(conn, &d, Stage::Evaluation)?;
        diesel::insert_into(apa_evaluations::table)
            .values((
                apa_evaluations::id.eq(new_id()),
                apa_evaluations::dossier_id.eq(dossier_id),
                apa_evaluations::visited_on.eq(e.visited_on),
                apa_evaluations::evaluator.eq(&e.evaluator),
                apa_evaluations::grid.eq(e.grid.to_string()),
                apa_evaluations::gir.eq(i32::from(e.gir)),
                apa_evaluations::recorded_by.eq(actor_id),
                apa_evaluations::recorded_at.eq(now()),
            ))
            .execute(conn)?;
        insert_event(
            conn,
            dossier_id,
            Some(actor_id),
            events::EVALUATION,
            None,
            None,
            &json!({ "visited_on": e.visited_on }),
            true,
        )?;
        store::find(conn, dossier_id)?.ok_or(DossierError::NotFound)
    })
}

/// Proposes a care plan: the first after the evaluation, or the definitive one after changes were asked.
/// The email to the usager is queued in the same transaction.
pub fn propose_plan(
    conn: &mut AnyConnection,
    dossier_id: &str,
    expected_version: i32,
    actor_id: &str,
    p: &NewPlan,
    email: Option<&NewEmail>,
) -> Result<Dossier> {
    guichet_db::write_transaction(conn, |conn| {
        let d = store::find(conn, dossier_id)?.ok_or(DossierError::NotFound)?;
        staff_may_change(
            &d,
            actor_id,
            expected_version,
            &[Some(Stage::Evaluation), Some(Stage::PlanModifie)],
        )?;
        let version = if Stage::of(&d) == Some(Stage::PlanModifie) {
            2
        } else {
            1
        };
        set_stage(conn, &d, Stage::PlanPropose)?;
        diesel::insert_into(care_plans::table)
            .values((
                care_plans::id.eq(new_id()),
                care_plans::dossier_id.eq(dossier_id),
                care_plans::version.eq(version),
                care_plans::right_code.eq(&p.right_code),
                care_plans::helps.eq(p.helps.to_string()),
                care_plans::plan_cents.eq(p.plan_cents),
                care_plans::participation_cents.eq(p.participation_cents),
                care_plans::apa_cents.eq(p.apa_cents),
                care_plans::gir.eq(i32::from(p.gir)),
                care_plans::proposed_by.eq(actor_id),
                care_plans::proposed_at.eq(now()),
                care_plans::answer_by.eq(p.answer_by),
            ))
            .execute(conn)?;
        insert_event(
            conn,
            dossier_id,
            Some(actor_id),
            if version == 1 {
                events::PLAN_PROPOSED
            } else {
                events::PLAN_FINAL
            },
            None,
            None,
            &json!({ "version": version, "answer_by": p.answer_by }),
            true,
        )?;
        if let Some(e) = email {
            crate::sharing::enqueue(conn, dossier_id, e)?;
        }
        store::find(conn, dossier_id)?.ok_or(DossierError::NotFound)
    })
}

/// The usager's answer to a plan, as the use case checked it.
#[derive(Debug, Clone)]
pub enum Answer {
    Accept,
    /// Changes asked, in the usager's words (health details, possibly: shown to the service only).
    Changes {
        comment: String,
    },
    /// Refused: the right the plan funds is deemed refused, and the dossier decided when it was its last
    /// open right (the decision email then).
    Refuse {
        refusal: RightDecision,
        email_if_decided: Option<NewEmail>,
    },
}

/// Writes the answer to a plan once: a second answer (or one racing with the hourly expiry) finds the
/// plan answered and gets [`DossierError::Conflict`].
fn answer_once(
    conn: &mut AnyConnection,
    plan: &Plan,
    response: Response,
    comment: Option<&str>,
) -> Result<()> {
    let n = diesel::update(
        care_plans::table
            .filter(care_plans::id.eq(&plan.id))
            .filter(care_plans::response.is_null()),
    )
    .set((
        care_plans::response.eq(Some(response.as_str())),
        care_plans::response_comment.eq(comment),
        care_plans::responded_at.eq(Some(now())),
    ))
    .execute(conn)?;
    if n == 0 {
        return Err(DossierError::Conflict);
    }
    Ok(())
}

/// The owner answers the plan of this version.
pub fn answer_plan(
    conn: &mut AnyConnection,
    dossier_id: &str,
    owner_id: &str,
    version: i32,
    answer: &Answer,
) -> Result<Dossier> {
    guichet_db::write_transaction(conn, |conn| {
        let d = store::find(conn, dossier_id)?
            .filter(|d| d.owner_id == owner_id)
            .ok_or(DossierError::NotFound)?;
        if d.state != State::EnInstruction {
            return Err(TransitionError::NotAllowedInState(d.state).into());
        }
        if Stage::of(&d) != Some(Stage::PlanPropose) {
            return Err(DossierError::Conflict);
        }
        let plan = plans_of(conn, dossier_id)?
            .into_iter()
            .find(|p| p.version == version)
            .ok_or(DossierError::NotFound)?;
        let (response, comment, stage, kind) = match answer {
            Answer::Accept => (Response::Accepte, None, Stage::PlanAccepte, events::PLAN_ACCEPTED),
            Answer::Changes { comment } => (
                Response::Modifications,
                Some(comment.as_str()),
                Stage::PlanModifie,
                events::PLAN_CHANGES,
            ),
            Answer::Refuse { .. } => (Response::Refuse, None, Stage::PlanRefuse, events::PLAN_REFUSED),
        };
        answer_once(conn, &plan, response, comment)?;
        set_stage(conn, &d, stage)?;
        insert_event(
            conn,
            dossier_id,
            Some(owner_id),
            kind,
            None,
            None,
            &json!({ "version": version }),
            true,
        )?;
        if let Answer::Refuse {
            refusal,
            email_if_decided,
        } = answer
        {
            rights::deem(conn, &d, &plan.right_code, refusal, email_if_decided.as_ref())?;
        }
        store::find(conn, dossier_id)?.ok_or(DossierError::NotFound)
    })
}

/// Records the silence on a plan whose ten days are over, and the refusal it is deemed to be. `None`
/// when the plan was answered meanwhile, or its dossier left instruction (closed, decided otherwise): the
/// hourly task then has nothing to do for it.
pub fn expire(
    conn: &mut AnyConnection,
    plan: &Plan,
    refusal: &RightDecision,
    email_if_decided: Option<&NewEmail>,
) -> Result<Option<Dossier>> {
    guichet_db::write_transaction(conn, |conn| {
        let d = store::find(conn, &plan.dossier_id)?.ok_or(DossierError::NotFound)?;
        if d.state != State::EnInstruction || Stage::of(&d) != Some(Stage::PlanPropose) {
            return Ok(None);
        }
        match answer_once(conn, plan, Response::Silence, None) {
            Err(DossierError::Conflict) => return Ok(None),
            other => other?,
        }
        set_stage(conn, &d, Stage::PlanRefuse)?;
        insert_event(
            conn,
            &d.id,
            None,
            events::PLAN_SILENCE,
            None,
            None,
            &json!({ "version": plan.version, "answer_by": plan.answer_by }),
            true,
        )?;
        if rights::of(conn, &d.id)?
            .iter()
            .any(|r| r.code == plan.right_code && r.is_open())
        {
            rights::deem(conn, &d, &plan.right_code, refusal, email_if_decided)?;
        }
        store::find(conn, &d.id)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stages_and_responses_round_trip() {
        for s in Stage::ALL {
            assert_eq!(s.as_str().parse::<Stage>().ok(), Some(s));
            assert!(!s.label().is_empty());
        }
        for r in Response::ALL {
            assert_eq!(r.as_str().parse::<Response>().ok(), Some(r));
        }
        assert!("recevable".parse::<Stage>().is_err());
        assert!("peut-etre".parse::<Response>().is_err());
    }

    #[test]
    fn the_stored_responses_are_the_migrations_check() {
        for up in [
            include_str!("../../../migrations/sqlite/2026-12-02-000020_apa/up.sql"),
            include_str!("../../../migrations/postgres/2026-12-02-000020_apa/up.sql"),
        ] {
            let list: Vec<String> = Response::ALL
                .iter()
                .map(|r| format!("'{}'", r.as_str()))
                .collect();
            assert!(up.contains(&list.join(", ")), "{up}");
        }
    }
}
