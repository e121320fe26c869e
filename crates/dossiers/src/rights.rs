//! The rights a dossier requests, each with its own proposal and decision (DESIGN.md, Rights and
//! decisions). The CDAPH decides each right of an MDPH request separately; the dossier is decided in the
//! transaction that decides its last undecided right, and its outcome is read from here.

use std::fmt;
use std::str::FromStr;

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use guichet_db::outbox::NewEmail;
use guichet_db::schema::{dossier_rights, dossiers};
use guichet_db::{AnyConnection, new_id, now};
use guichet_types::Euros;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::lifecycle::{self, Action, Actor, State};
use crate::store::{self, Dossier, DossierError, Result, insert_event};

/// Defines a closed set of stored codes with their French labels, parsed back with `FromStr`.
macro_rules! codes {
    ($(#[$m:meta])* $name:ident { $($variant:ident => $code:literal, $label:literal;)+ }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            pub const fn as_str(self) -> &'static str {
                match self { $($name::$variant => $code),+ }
            }
            pub const fn label(self) -> &'static str {
                match self { $($name::$variant => $label),+ }
            }
        }

        impl FromStr for $name {
            type Err = DossierError;
            fn from_str(s: &str) -> Result<$name> {
                $name::ALL
                    .iter()
                    .copied()
                    .find(|v| v.as_str() == s)
                    .ok_or_else(|| DossierError::Internal(format!("{} inconnu : {s}", stringify!($name))))
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

codes! {
    /// What was decided (or proposed) on one right.
    Outcome {
        Accord => "accord", "Accordé";
        Refus => "refus", "Refusé";
        SansObjet => "sans_objet", "Sans objet";
    }
}

codes! {
    /// Who decides a right: the CDAPH (CASF L241-6) or the président du conseil départemental (APA,
    /// CASF L232-12; CMI, L241-3; payment of the PCH, L245-2).
    Authority {
        Cdaph => "cdaph", "Commission des droits et de l’autonomie des personnes handicapées (CDAPH)";
        PresidentCd => "president_cd", "Président du conseil départemental";
    }
}

codes! {
    /// The unit of a granted amount.
    Unit {
        None => "none", "";
        PerMonth => "per_month", " par mois";
        PerYear => "per_year", " par an";
        OneOff => "one_off", " (versement unique)";
        Total => "total", " au total";
    }
}

codes! {
    /// The taux d'incapacité band the CDAPH sets, where the right has one (guide-barème, CASF annexe 2-4):
    /// below 50 %, 50 to 79 %, 80 % or more.
    Rate {
        Lt50 => "lt50", "inférieur à 50 %";
        From50To79 => "50_79", "égal ou supérieur à 50 % et inférieur à 80 %";
        Ge80 => "ge80", "égal ou supérieur à 80 %";
    }
}

/// A right to record on a dossier (from its definition, or added by an instructor).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewRight {
    pub code: String,
    pub label: String,
    pub authority: Authority,
    pub unit: Unit,
}

/// One right of a dossier.
#[derive(Debug, Clone, PartialEq)]
pub struct Right {
    pub id: String,
    pub dossier_id: String,
    pub code: String,
    pub label: String,
    pub position: i32,
    /// Added by an instructor rather than requested in the answers.
    pub added_by_instructor: bool,
    pub authority: Authority,
    pub unit: Unit,
    pub withdrawn_at: Option<NaiveDateTime>,
    pub withdrawn_reason: Option<String>,
    pub proposal: Option<Outcome>,
    pub proposal_note: Option<String>,
    pub proposed_at: Option<NaiveDateTime>,
    pub outcome: Option<Outcome>,
    pub amount: Option<Euros>,
    pub period_start: Option<NaiveDate>,
    pub period_end: Option<NaiveDate>,
    pub rate: Option<Rate>,
    pub motivation: Option<String>,
    pub legal_basis: Option<String>,
    pub decided_by: Option<String>,
    pub decided_at: Option<NaiveDateTime>,
    pub session_id: Option<String>,
}

impl Right {
    /// Still to decide: not withdrawn, no decision yet.
    pub fn is_open(&self) -> bool {
        self.withdrawn_at.is_none() && self.outcome.is_none()
    }
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = dossier_rights)]
struct Row {
    id: String,
    dossier_id: String,
    code: String,
    label: String,
    position: i32,
    origin: String,
    authority: String,
    unit: String,
    withdrawn_at: Option<NaiveDateTime>,
    withdrawn_reason: Option<String>,
    proposal: Option<String>,
    proposal_note: Option<String>,
    proposed_at: Option<NaiveDateTime>,
    outcome: Option<String>,
    amount_cents: Option<i64>,
    period_start: Option<NaiveDate>,
    period_end: Option<NaiveDate>,
    rate: Option<String>,
    motivation: Option<String>,
    legal_basis: Option<String>,
    decided_by: Option<String>,
    decided_at: Option<NaiveDateTime>,
    session_id: Option<String>,
}

impl TryFrom<Row> for Right {
    type Error = DossierError;
    fn try_from(r: Row) -> Result<Right> {
        Ok(Right {
            added_by_instructor: r.origin == ORIGIN_INSTRUCTOR,
            authority: r.authority.parse()?,
            unit: r.unit.parse()?,
            proposal: r.proposal.as_deref().map(str::parse).transpose()?,
            outcome: r.outcome.as_deref().map(str::parse).transpose()?,
            rate: r.rate.as_deref().map(str::parse).transpose()?,
            amount: r.amount_cents.map(Euros::from_cents),
            id: r.id,
            dossier_id: r.dossier_id,
            code: r.code,
            label: r.label,
            position: r.position,
            withdrawn_at: r.withdrawn_at,
            withdrawn_reason: r.withdrawn_reason,
            proposal_note: r.proposal_note,
            proposed_at: r.proposed_at,
            period_start: r.period_start,
            period_end: r.period_end,
            motivation: r.motivation,
            legal_basis: r.legal_basis,
            decided_by: r.decided_by,
            decided_at: r.decided_at,
            session_id: r.session_id,
        })
    }
}

const ORIGIN_REQUEST: &str = "demande";
const ORIGIN_INSTRUCTOR: &str = "instructeur";

/// The rights of a dossier, in their order (withdrawn ones included: they show how it was corrected).
pub fn of(conn: &mut AnyConnection, dossier_id: &str) -> Result<Vec<Right>> {
    dossier_rights::table
        .filter(dossier_rights::dossier_id.eq(dossier_id))
        .order((dossier_rights::position.asc(), dossier_rights::code.asc()))
        .select(Row::as_select())
        .load(conn)?
        .into_iter()
        .map(Right::try_from)
        .collect()
}

fn insert(
    conn: &mut AnyConnection,
    dossier_id: &str,
    r: &NewRight,
    position: i32,
    by: Option<&str>,
) -> Result<()> {
    diesel::insert_into(dossier_rights::table)
        .values((
            dossier_rights::id.eq(new_id()),
            dossier_rights::dossier_id.eq(dossier_id),
            dossier_rights::code.eq(&r.code),
            dossier_rights::label.eq(&r.label),
            dossier_rights::position.eq(position),
            dossier_rights::origin.eq(if by.is_some() {
                ORIGIN_INSTRUCTOR
            } else {
                ORIGIN_REQUEST
            }),
            dossier_rights::authority.eq(r.authority.as_str()),
            dossier_rights::unit.eq(r.unit.as_str()),
            dossier_rights::added_by.eq(by),
        ))
        .execute(conn)?;
    Ok(())
}

/// Records the requested rights the dossier does not have yet (at deposit, and when a complement's
/// answers request one more). A right is never removed here: only an instructor withdraws one.
pub(crate) fn add_missing(conn: &mut AnyConnection, dossier_id: &str, wanted: &[NewRight]) -> Result<()> {
    let have = of(conn, dossier_id)?;
    let mut position = have.iter().map(|r| r.position).max().unwrap_or(-1);
    for r in wanted {
        if have.iter().any(|h| h.code == r.code) {
            continue;
        }
        position += 1;
        insert(conn, dossier_id, r, position, None)?;
    }
    Ok(())
}

/// Checks the version the actor saw and bumps it: every change to a right is a change to its dossier,
/// so two instructors deciding at once cannot both win.
fn claim(conn: &mut AnyConnection, d: &Dossier, expected_version: i32) -> Result<()> {
    let n = diesel::update(
        dossiers::table
            .filter(dossiers::id.eq(&d.id))
            .filter(dossiers::lock_version.eq(expected_version)),
    )
    .set((
        dossiers::lock_version.eq(expected_version + 1),
        dossiers::updated_at.eq(now()),
        dossiers::complement_recu.eq(false),
    ))
    .execute(conn)?;
    if n == 0 {
        return Err(DossierError::Conflict);
    }
    Ok(())
}

fn staff_may_change(d: &Dossier, actor_id: &str, expected_version: i32) -> Result<()> {
    if d.owner_id == actor_id {
        return Err(DossierError::OwnDossier);
    }
    if d.lock_version != expected_version {
        return Err(DossierError::Conflict);
    }
    if d.state != State::EnInstruction {
        return Err(lifecycle::TransitionError::NotAllowedInState(d.state).into());
    }
    Ok(())
}

/// An instructor adds a right the answers did not request (the équipe found it fits the situation).
pub fn add(
    conn: &mut AnyConnection,
    dossier_id: &str,
    expected_version: i32,
    actor_id: &str,
    right: &NewRight,
) -> Result<Dossier> {
    guichet_db::write_transaction(conn, |conn| {
        let d = store::find(conn, dossier_id)?.ok_or(DossierError::NotFound)?;
        staff_may_change(&d, actor_id, expected_version)?;
        let have = of(conn, dossier_id)?;
        if let Some(existing) = have.iter().find(|h| h.code == right.code) {
            if existing.withdrawn_at.is_none() {
                return Err(DossierError::Internal(format!(
                    "right {} already on the dossier",
                    right.code
                )));
            }
            // Withdrawn earlier by mistake: it comes back, undecided.
            diesel::update(dossier_rights::table.find(&existing.id))
                .set((
                    dossier_rights::withdrawn_at.eq(None::<NaiveDateTime>),
                    dossier_rights::withdrawn_reason.eq(None::<String>),
                ))
                .execute(conn)?;
        } else {
            let position = have.iter().map(|r| r.position).max().unwrap_or(-1) + 1;
            insert(conn, dossier_id, right, position, Some(actor_id))?;
        }
        claim(conn, &d, expected_version)?;
        insert_event(
            conn,
            dossier_id,
            Some(actor_id),
            "right_added",
            None,
            None,
            &json!({ "code": right.code, "label": right.label }),
            true,
        )?;
        store::find(conn, dossier_id)?.ok_or(DossierError::NotFound)
    })
}

/// An instructor withdraws a right recorded by mistake (or that the usager no longer asks), with a reason.
/// When it was the last undecided right, the dossier is decided.
pub fn withdraw(
    conn: &mut AnyConnection,
    dossier_id: &str,
    expected_version: i32,
    actor_id: &str,
    code: &str,
    reason: &str,
    email_if_decided: Option<&NewEmail>,
) -> Result<Dossier> {
    guichet_db::write_transaction(conn, |conn| {
        let d = store::find(conn, dossier_id)?.ok_or(DossierError::NotFound)?;
        staff_may_change(&d, actor_id, expected_version)?;
        let rights = of(conn, dossier_id)?;
        let r = rights
            .iter()
            .find(|r| r.code == code && r.is_open())
            .ok_or(DossierError::NotFound)?;
        if rights.iter().filter(|r| r.withdrawn_at.is_none()).count() == 1 {
            return Err(DossierError::Internal(
                "the last right of a dossier cannot be withdrawn: close the dossier instead".into(),
            ));
        }
        diesel::update(dossier_rights::table.find(&r.id))
            .set((
                dossier_rights::withdrawn_at.eq(Some(now())),
                dossier_rights::withdrawn_reason.eq(Some(reason)),
            ))
            .execute(conn)?;
        claim(conn, &d, expected_version)?;
        insert_event(
            conn,
            dossier_id,
            Some(actor_id),
            "right_withdrawn",
            None,
            None,
            &json!({ "code": code, "label": r.label, "reason": reason }),
            true,
        )?;
        settle(conn, &d, Some(actor_id), email_if_decided)?;
        store::find(conn, dossier_id)?.ok_or(DossierError::NotFound)
    })
}

/// The équipe pluridisciplinaire's (or the evaluator's) proposal on one right, before the decision.
pub fn propose(
    conn: &mut AnyConnection,
    dossier_id: &str,
    expected_version: i32,
    actor_id: &str,
    code: &str,
    proposal: Outcome,
    note: &str,
) -> Result<Dossier> {
    let p = Proposal {
        outcome: proposal,
        note: note.to_owned(),
        amount: None,
        rate: None,
    };
    propose_with(conn, dossier_id, expected_version, actor_id, code, &p)
}

/// A proposal with the terms it proposes: the rate band and the amount prefill the decision the authority
/// takes (the CDAPH decides on the basis of the équipe pluridisciplinaire's evaluation, CASF L146-8 and
/// L241-6 I). Stored in `proposal_amount_cents` and `proposal_rate` (migration 2026-12-02-000030).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Proposal {
    pub outcome: Outcome,
    /// The proposed motivation, written for the usager: it prefills the decision's.
    pub note: String,
    pub amount: Option<Euros>,
    pub rate: Option<Rate>,
}

/// Records a proposal with its terms (a new one replaces the previous).
pub fn propose_with(
    conn: &mut AnyConnection,
    dossier_id: &str,
    expected_version: i32,
    actor_id: &str,
    code: &str,
    proposal: &Proposal,
) -> Result<Dossier> {
    guichet_db::write_transaction(conn, |conn| {
        let d = store::find(conn, dossier_id)?.ok_or(DossierError::NotFound)?;
        staff_may_change(&d, actor_id, expected_version)?;
        let r = of(conn, dossier_id)?
            .into_iter()
            .find(|r| r.code == code && r.is_open())
            .ok_or(DossierError::NotFound)?;
        let granted = proposal.outcome == Outcome::Accord;
        diesel::update(dossier_rights::table.find(&r.id))
            .set((
                dossier_rights::proposal.eq(Some(proposal.outcome.as_str())),
                dossier_rights::proposal_note.eq(Some(&proposal.note)),
                dossier_rights::proposed_by.eq(Some(actor_id)),
                dossier_rights::proposed_at.eq(Some(now())),
                dossier_rights::proposal_amount_cents
                    .eq(proposal.amount.filter(|_| granted).map(Euros::cents)),
                dossier_rights::proposal_rate.eq(proposal.rate.map(Rate::as_str)),
            ))
            .execute(conn)?;
        claim(conn, &d, expected_version)?;
        // Internal: the usager learns the decision, not the working proposal.
        insert_event(
            conn,
            dossier_id,
            Some(actor_id),
            "right_proposed",
            None,
            None,
            &json!({ "code": code, "label": r.label, "proposal": proposal.outcome.as_str() }),
            false,
        )?;
        store::find(conn, dossier_id)?.ok_or(DossierError::NotFound)
    })
}

/// A proposal's terms: (right code, amount, rate band).
pub type ProposedTerms = (String, Option<Euros>, Option<Rate>);

/// The amount and rate band proposed for each right of a dossier that has a proposal.
pub fn proposed_terms(conn: &mut AnyConnection, dossier_id: &str) -> Result<Vec<ProposedTerms>> {
    let rows: Vec<(String, Option<i64>, Option<String>)> = dossier_rights::table
        .filter(dossier_rights::dossier_id.eq(dossier_id))
        .filter(dossier_rights::proposal.is_not_null())
        .select((
            dossier_rights::code,
            dossier_rights::proposal_amount_cents,
            dossier_rights::proposal_rate,
        ))
        .load(conn)?;
    rows.into_iter()
        .map(|(code, cents, rate)| {
            Ok((
                code,
                cents.map(Euros::from_cents),
                rate.as_deref().map(str::parse).transpose()?,
            ))
        })
        .collect()
}

/// The decision on one right, as the authority took it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RightDecision {
    pub outcome: Outcome,
    pub amount: Option<Euros>,
    pub period_start: Option<NaiveDate>,
    pub period_end: Option<NaiveDate>,
    pub rate: Option<Rate>,
    pub motivation: String,
    pub legal_basis: String,
    /// The CDAPH session that decided it.
    pub session_id: Option<String>,
}

/// Records the decision of one right. When no right is left undecided the dossier is decided in the same
/// transaction (event `decide`, the decision email queued).
pub fn decide(
    conn: &mut AnyConnection,
    dossier_id: &str,
    expected_version: i32,
    actor_id: &str,
    code: &str,
    decision: &RightDecision,
    email_if_decided: Option<&NewEmail>,
) -> Result<Dossier> {
    guichet_db::write_transaction(conn, |conn| {
        let d = store::find(conn, dossier_id)?.ok_or(DossierError::NotFound)?;
        staff_may_change(&d, actor_id, expected_version)?;
        if d.complement_demande {
            return Err(lifecycle::TransitionError::AwaitingComplement.into());
        }
        let r = of(conn, dossier_id)?
            .into_iter()
            .find(|r| r.code == code && r.is_open())
            .ok_or(DossierError::NotFound)?;
        write_decision(conn, &r, Some(actor_id), decision)?;
        claim(conn, &d, expected_version)?;
        settle(conn, &d, Some(actor_id), email_if_decided)?;
        store::find(conn, dossier_id)?.ok_or(DossierError::NotFound)
    })
}

/// A decision no person takes: the right is deemed decided by a rule, inside the caller's transaction
/// (which has claimed the dossier's version). CASF R232-7: a care plan refused, or left ten days without
/// an answer, makes the APA request deemed refused. `decided_by` stays empty and the events carry no
/// actor: the platform records what the text decides. When no right is left open the dossier is decided.
pub(crate) fn deem(
    conn: &mut AnyConnection,
    d: &Dossier,
    code: &str,
    decision: &RightDecision,
    email_if_decided: Option<&NewEmail>,
) -> Result<()> {
    let r = of(conn, &d.id)?
        .into_iter()
        .find(|r| r.code == code && r.is_open())
        .ok_or(DossierError::NotFound)?;
    write_decision(conn, &r, None, decision)?;
    settle(conn, d, None, email_if_decided)
}

/// Writes a right's decision and its event (`decided_by`: `None` for a decision deemed by a rule).
fn write_decision(
    conn: &mut AnyConnection,
    r: &Right,
    decided_by: Option<&str>,
    decision: &RightDecision,
) -> Result<()> {
    let granted = decision.outcome == Outcome::Accord;
    diesel::update(dossier_rights::table.find(&r.id))
        .set((
            dossier_rights::outcome.eq(Some(decision.outcome.as_str())),
            dossier_rights::amount_cents.eq(decision.amount.filter(|_| granted).map(Euros::cents)),
            dossier_rights::period_start.eq(decision.period_start.filter(|_| granted)),
            dossier_rights::period_end.eq(decision.period_end.filter(|_| granted)),
            dossier_rights::rate.eq(decision.rate.map(Rate::as_str)),
            dossier_rights::motivation.eq(Some(&decision.motivation)),
            dossier_rights::legal_basis.eq(Some(&decision.legal_basis)),
            dossier_rights::decided_by.eq(decided_by),
            dossier_rights::decided_at.eq(Some(now())),
            dossier_rights::session_id.eq(decision.session_id.as_deref()),
        ))
        .execute(conn)?;
    insert_event(
        conn,
        &r.dossier_id,
        decided_by,
        "right_decided",
        None,
        None,
        &json!({
            "code": r.code,
            "label": r.label,
            "outcome": decision.outcome.as_str(),
            "amount_cents": decision.amount.filter(|_| granted).map(Euros::cents),
        }),
        true,
    )
}

/// Moves the dossier to `decide` once no right is open (inside the caller's transaction). Without an
/// actor, the platform settles it (a right deemed decided by a rule: [`deem`]).
fn settle(
    conn: &mut AnyConnection,
    d: &Dossier,
    actor_id: Option<&str>,
    email: Option<&NewEmail>,
) -> Result<()> {
    if of(conn, &d.id)?.iter().any(Right::is_open) {
        return Ok(());
    }
    let actor = if actor_id.is_some() {
        Actor::Instructeur
    } else {
        Actor::System
    };
    let to = lifecycle::transition(d.position(), Action::Decide, actor)?;
    let t = now();
    diesel::update(dossiers::table.find(&d.id))
        .set((
            dossiers::state.eq(to.state.as_str()),
            dossiers::decided_at.eq(Some(t)),
            dossiers::clock_paused_at.eq(None::<NaiveDateTime>),
        ))
        .execute(conn)?;
    insert_event(
        conn,
        &d.id,
        actor_id,
        Action::Decide.as_str(),
        Some(d.state),
        Some(to.state),
        &serde_json::Value::Null,
        true,
    )?;
    if let Some(e) = email {
        crate::sharing::enqueue(conn, &d.id, e)?;
    }
    Ok(())
}

/// Reopening a decided dossier puts its rights back to decide (the events keep the earlier decisions).
/// Returns how many decisions were cleared.
pub(crate) fn clear_decisions(conn: &mut AnyConnection, dossier_id: &str) -> Result<usize> {
    Ok(diesel::update(
        dossier_rights::table
            .filter(dossier_rights::dossier_id.eq(dossier_id))
            .filter(dossier_rights::outcome.is_not_null()),
    )
    .set((
        dossier_rights::outcome.eq(None::<String>),
        dossier_rights::amount_cents.eq(None::<i64>),
        dossier_rights::period_start.eq(None::<NaiveDate>),
        dossier_rights::period_end.eq(None::<NaiveDate>),
        dossier_rights::rate.eq(None::<String>),
        dossier_rights::motivation.eq(None::<String>),
        dossier_rights::decided_by.eq(None::<String>),
        dossier_rights::decided_at.eq(None::<NaiveDateTime>),
        dossier_rights::session_id.eq(None::<String>),
    ))
    .execute(conn)?)
}

/// The dossier's outcome in words, read from its rights (never stored): « accordée », « refusée »,
/// « partiellement accordée ».
pub fn outcome_words(rights: &[Right]) -> &'static str {
    let decided: Vec<Outcome> = rights
        .iter()
        .filter(|r| r.withdrawn_at.is_none())
        .filter_map(|r| r.outcome)
        .collect();
    let granted = decided.iter().filter(|o| **o == Outcome::Accord).count();
    let refused = decided.iter().filter(|o| **o == Outcome::Refus).count();
    match (granted, refused) {
        (0, 0) => "sans objet",
        (_, 0) => "accordée",
        (0, _) => "refusée",
        _ => "partiellement accordée",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn right(outcome: Option<Outcome>, withdrawn: bool) -> Right {
        Right {
            id: String::new(),
            dossier_id: String::new(),
            code: "x".into(),
            label: "X".into(),
            position: 0,
            added_by_instructor: false,
            authority: Authority::Cdaph,
            unit: Unit::None,
            withdrawn_at: withdrawn.then(now),
            withdrawn_reason: None,
            proposal: None,
            proposal_note: None,
            proposed_at: None,
            outcome,
            amount: None,
            period_start: None,
            period_end: None,
            rate: None,
            motivation: None,
            legal_basis: None,
            decided_by: None,
            decided_at: None,
            session_id: None,
        }
    }

    #[test]
    fn the_outcome_is_read_from_the_rights() {
        use Outcome::*;
        assert_eq!(outcome_words(&[right(Some(Accord), false)]), "accordée");
        assert_eq!(outcome_words(&[right(Some(Refus), false)]), "refusée");
        assert_eq!(
            outcome_words(&[right(Some(Accord), false), right(Some(Refus), false)]),
            "partiellement accordée"
        );
        // A withdrawn right does not count, whatever it says.
        assert_eq!(
            outcome_words(&[right(Some(Accord), false), right(Some(Refus), true)]),
            "accordée"
        );
        assert_eq!(outcome_words(&[right(Some(SansObjet), false)]), "sans objet");
        assert!(right(None, false).is_open());
        assert!(!right(None, true).is_open());
    }

    #[test]
    fn codes_round_trip() {
        for o in Outcome::ALL {
            assert_eq!(o.as_str().parse::<Outcome>().ok(), Some(*o));
        }
        for r in Rate::ALL {
            assert_eq!(r.as_str().parse::<Rate>().ok(), Some(*r));
        }
        for u in Unit::ALL {
            assert_eq!(u.as_str().parse::<Unit>().ok(), Some(*u));
        }
        assert!("maybe".parse::<Outcome>().is_err());
    }
}
