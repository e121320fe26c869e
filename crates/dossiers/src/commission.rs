//! The MDPH stages of a dossier en instruction and the sittings of the CDAPH (CASF L241-5 to L241-9,
//! R241-24 to R241-35; DESIGN.md, APA and MDPH instruction):
//!
//! ```text
//! en_instruction ── recevable ──▶ evaluation ── added to a sitting ──▶ commission ── decided in it ──▶ decide
//!   (stage none)    (complete)   (proposals of the        ▲                │ removed (not yet decided)
//!                                 équipe pluridisciplinaire)└──────────────┘
//! ```
//! A sitting (`commission_sessions`) belongs to one service, has a date, a place and a formation, and lists
//! the dossiers presented (`commission_dossiers`). Its decisions are recorded per right by
//! [`crate::rights::decide`] with the sitting named; the sitting is held once none of its dossiers has a
//! CDAPH right left to decide.

use std::collections::HashMap;

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use guichet_db::schema::{commission_dossiers, commission_sessions, dossier_rights, dossiers};
use guichet_db::{AnyConnection, new_id, now};
use serde_json::json;

use crate::lifecycle::{State, TransitionError};
use crate::store::{self, Dossier, DossierError, Result, insert_event};

/// Declared complete by the MDPH: the équipe pluridisciplinaire studies it (CASF L146-8).
pub const STAGE_RECEVABLE: &str = "recevable";
/// At least one proposal of the équipe pluridisciplinaire recorded.
pub const STAGE_EVALUATION: &str = "evaluation";
/// On the agenda of a sitting of the CDAPH.
pub const STAGE_COMMISSION: &str = "commission";

/// History events of the stages (the usager sees them, in plain words).
pub const RECEVABLE_KIND: &str = "mdph_recevable";
pub const ADDED_KIND: &str = "commission_added";
pub const REMOVED_KIND: &str = "commission_removed";

/// How the CDAPH sits: in plenary, or in a restricted formation (a section, with the simplified procedure
/// the commission may adopt: CASF L241-5 and R241-28).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Formation {
    Pleniere,
    Restreinte,
}

impl Formation {
    pub const ALL: [Formation; 2] = [Formation::Pleniere, Formation::Restreinte];

    pub const fn as_str(self) -> &'static str {
        match self {
            Formation::Pleniere => "pleniere",
            Formation::Restreinte => "restreinte",
        }
    }

    /// « plénière », « restreinte ».
    pub const fn label(self) -> &'static str {
        match self {
            Formation::Pleniere => "plénière",
            Formation::Restreinte => "restreinte",
        }
    }

    pub fn parse(s: &str) -> Option<Formation> {
        Formation::ALL.into_iter().find(|f| f.as_str() == s)
    }
}

/// A sitting of the CDAPH.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub id: String,
    /// The service whose dossiers it examines (`mdph`, `pch`).
    pub service_code: String,
    pub date: NaiveDate,
    pub place: String,
    pub formation: Formation,
    /// A free label (« Adultes », « Section PCH »…), may be empty.
    pub label: String,
    pub created_by: String,
    pub created_at: NaiveDateTime,
    /// When the last of its decisions was recorded.
    pub held_at: Option<NaiveDateTime>,
    pub lock_version: i32,
}

impl Session {
    pub fn is_held(&self) -> bool {
        self.held_at.is_some()
    }
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = commission_sessions)]
struct Row {
    id: String,
    service_code: String,
    session_date: NaiveDate,
    place: String,
    formation: String,
    label: String,
    created_by: String,
    created_at: NaiveDateTime,
    held_at: Option<NaiveDateTime>,
    lock_version: i32,
}

impl TryFrom<Row> for Session {
    type Error = DossierError;
    fn try_from(r: Row) -> Result<Session> {
        Ok(Session {
            formation: Formation::parse(&r.formation)
                .ok_or_else(|| DossierError::Internal(format!("formation inconnue : {}", r.formation)))?,
            id: r.id,
            service_code: r.service_code,
            date: r.session_date,
            place: r.place,
            label: r.label,
            created_by: r.created_by,
            created_at: r.created_at,
            held_at: r.held_at,
            lock_version: r.lock_version,
        })
    }
}

/// What a new sitting needs (checked by the use case).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSession {
    pub service_code: String,
    pub date: NaiveDate,
    pub place: String,
    pub formation: Formation,
    pub label: String,
}

pub fn create(conn: &mut AnyConnection, new: &NewSession, actor_id: &str) -> Result<Session> {
    let id = new_id();
    diesel::insert_into(commission_sessions::table)
        .values((
            commission_sessions::id.eq(&id),
            commission_sessions::service_code.eq(&new.service_code),
            commission_sessions::session_date.eq(new.date),
            commission_sessions::place.eq(&new.place),
            commission_sessions::formation.eq(new.formation.as_str()),
            commission_sessions::label.eq(&new.label),
            commission_sessions::created_by.eq(actor_id),
            commission_sessions::created_at.eq(now()),
            commission_sessions::lock_version.eq(0),
        ))
        .execute(conn)?;
    find(conn, &id)?.ok_or(DossierError::NotFound)
}

pub fn find(conn: &mut AnyConnection, id: &str) -> Result<Option<Session>> {
    commission_sessions::table
        .find(id)
        .select(Row::as_select())
        .first(conn)
        .optional()?
        .map(Session::try_from)
        .transpose()
}

/// The sittings of these services, the most recent first, each with how many dossiers it lists.
pub fn list(conn: &mut AnyConnection, services: &[String]) -> Result<Vec<(Session, i64)>> {
    let sessions: Vec<Session> = commission_sessions::table
        .filter(commission_sessions::service_code.eq_any(services.to_vec()))
        .order((
            commission_sessions::session_date.desc(),
            commission_sessions::created_at.desc(),
        ))
        .select(Row::as_select())
        .load(conn)?
        .into_iter()
        .map(Session::try_from)
        .collect::<Result<_>>()?;
    let ids: Vec<String> = sessions.iter().map(|s| s.id.clone()).collect();
    let counts: HashMap<String, i64> = commission_dossiers::table
        .filter(commission_dossiers::session_id.eq_any(ids))
        .group_by(commission_dossiers::session_id)
        .select((commission_dossiers::session_id, diesel::dsl::count_star()))
        .load::<(String, i64)>(conn)?
        .into_iter()
        .collect();
    Ok(sessions
        .into_iter()
        .map(|s| {
            let n = counts.get(&s.id).copied().unwrap_or(0);
            (s, n)
        })
        .collect())
}

/// The dossiers a sitting lists, in agenda order.
pub fn dossiers_of(conn: &mut AnyConnection, session_id: &str) -> Result<Vec<String>> {
    Ok(commission_dossiers::table
        .filter(commission_dossiers::session_id.eq(session_id))
        .order((
            commission_dossiers::position.asc(),
            commission_dossiers::dossier_id.asc(),
        ))
        .select(commission_dossiers::dossier_id)
        .load(conn)?)
}

/// The sittings a dossier was presented at, the earliest first.
pub fn sessions_of(conn: &mut AnyConnection, dossier_id: &str) -> Result<Vec<Session>> {
    commission_sessions::table
        .inner_join(commission_dossiers::table)
        .filter(commission_dossiers::dossier_id.eq(dossier_id))
        .order((
            commission_sessions::session_date.asc(),
            commission_sessions::created_at.asc(),
        ))
        .select(Row::as_select())
        .load(conn)?
        .into_iter()
        .map(Session::try_from)
        .collect()
}

/// The sittings named by these ids (those that exist).
pub fn find_many(conn: &mut AnyConnection, ids: &[String]) -> Result<Vec<Session>> {
    commission_sessions::table
        .filter(commission_sessions::id.eq_any(ids.to_vec()))
        .order(commission_sessions::session_date.asc())
        .select(Row::as_select())
        .load(conn)?
        .into_iter()
        .map(Session::try_from)
        .collect()
}

/// Moves the dossier to `stage` after checking the version the actor saw (and bumping it).
fn claim_stage(conn: &mut AnyConnection, d: &Dossier, expected_version: i32, stage: &str) -> Result<()> {
    let n = diesel::update(
        dossiers::table
            .filter(dossiers::id.eq(&d.id))
            .filter(dossiers::lock_version.eq(expected_version)),
    )
    .set((
        dossiers::stage.eq(Some(stage)),
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

/// The checks every stage change makes: staff other than the owner, the version seen, en instruction.
fn staff_may_move(d: &Dossier, actor_id: &str, expected_version: i32) -> Result<()> {
    if d.owner_id == actor_id {
        return Err(DossierError::OwnDossier);
    }
    if d.lock_version != expected_version {
        return Err(DossierError::Conflict);
    }
    if d.state != State::EnInstruction {
        return Err(TransitionError::NotAllowedInState(d.state).into());
    }
    Ok(())
}

/// The MDPH records the request complete: the équipe pluridisciplinaire evaluates it (CASF L146-8). The
/// usager is told so.
pub fn mark_recevable(
    conn: &mut AnyConnection,
    dossier_id: &str,
    expected_version: i32,
    actor_id: &str,
) -> Result<Dossier> {
    guichet_db::write_transaction(conn, |conn| {
        let d = store::find(conn, dossier_id)?.ok_or(DossierError::NotFound)?;
        staff_may_move(&d, actor_id, expected_version)?;
        if d.complement_demande {
            return Err(TransitionError::AwaitingComplement.into());
        }
        if d.stage.is_some() {
            return Err(DossierError::Conflict);
        }
        claim_stage(conn, &d, expected_version, STAGE_RECEVABLE)?;
        insert_event(
            conn,
            dossier_id,
            Some(actor_id),
            RECEVABLE_KIND,
            None,
            None,
            &serde_json::Value::Null,
            true,
        )?;
        store::find(conn, dossier_id)?.ok_or(DossierError::NotFound)
    })
}

/// Records a proposal of the équipe pluridisciplinaire ([`crate::rights::propose_with`]); the first one
/// moves a recevable dossier to `evaluation`, in the same transaction.
pub fn propose(
    conn: &mut AnyConnection,
    dossier_id: &str,
    expected_version: i32,
    actor_id: &str,
    code: &str,
    proposal: &crate::rights::Proposal,
) -> Result<Dossier> {
    guichet_db::write_transaction(conn, |conn| {
        let d = crate::rights::propose_with(conn, dossier_id, expected_version, actor_id, code, proposal)?;
        if d.stage.as_deref() != Some(STAGE_RECEVABLE) {
            return Ok(d);
        }
        diesel::update(dossiers::table.find(dossier_id))
            .set(dossiers::stage.eq(Some(STAGE_EVALUATION)))
            .execute(conn)?;
        store::find(conn, dossier_id)?.ok_or(DossierError::NotFound)
    })
}

/// The sitting not yet held where the dossier is listed, if any.
pub fn pending_session_of(conn: &mut AnyConnection, dossier_id: &str) -> Result<Option<Session>> {
    Ok(sessions_of(conn, dossier_id)?.into_iter().find(|s| !s.is_held()))
}

/// True when a held sitting examined the dossier (its assessment is given: the président du conseil
/// départemental may sign the CMI, CASF L241-3).
pub fn examined(conn: &mut AnyConnection, dossier_id: &str) -> Result<bool> {
    Ok(sessions_of(conn, dossier_id)?.iter().any(Session::is_held))
}

/// Puts the dossier on the agenda of a sitting not yet held (the use case checks its proposals). The usager
/// is told the date and place (CASF L241-7: they may be heard by the commission).
pub fn add_dossier(
    conn: &mut AnyConnection,
    session_id: &str,
    dossier_id: &str,
    expected_version: i32,
    actor_id: &str,
) -> Result<Dossier> {
    guichet_db::write_transaction(conn, |conn| {
        let s = find(conn, session_id)?.ok_or(DossierError::NotFound)?;
        let d = store::find(conn, dossier_id)?.ok_or(DossierError::NotFound)?;
        if s.is_held() || d.service_code != s.service_code {
            return Err(DossierError::Conflict);
        }
        staff_may_move(&d, actor_id, expected_version)?;
        if pending_session_of(conn, dossier_id)?.is_some() {
            return Err(DossierError::Conflict);
        }
        let last: Option<i32> = commission_dossiers::table
            .filter(commission_dossiers::session_id.eq(session_id))
            .select(diesel::dsl::max(commission_dossiers::position))
            .first(conn)?;
        diesel::insert_into(commission_dossiers::table)
            .values((
                commission_dossiers::session_id.eq(session_id),
                commission_dossiers::dossier_id.eq(dossier_id),
                commission_dossiers::position.eq(last.map_or(0, |p| p + 1)),
                commission_dossiers::added_by.eq(actor_id),
                commission_dossiers::added_at.eq(now()),
            ))
            .execute(conn)?;
        claim_stage(conn, &d, expected_version, STAGE_COMMISSION)?;
        bump(conn, &s)?;
        insert_event(
            conn,
            dossier_id,
            Some(actor_id),
            ADDED_KIND,
            None,
            None,
            &json!({
                "session_id": s.id,
                "date": s.date.format("%Y-%m-%d").to_string(),
                "place": s.place,
            }),
            true,
        )?;
        store::find(conn, dossier_id)?.ok_or(DossierError::NotFound)
    })
}

/// Takes the dossier off the agenda of a sitting not yet held, before any of its decisions there: it goes
/// back to evaluation. The usager is told.
pub fn remove_dossier(
    conn: &mut AnyConnection,
    session_id: &str,
    dossier_id: &str,
    expected_version: i32,
    actor_id: &str,
) -> Result<Dossier> {
    guichet_db::write_transaction(conn, |conn| {
        let s = find(conn, session_id)?.ok_or(DossierError::NotFound)?;
        let d = store::find(conn, dossier_id)?.ok_or(DossierError::NotFound)?;
        if s.is_held() {
            return Err(DossierError::Conflict);
        }
        staff_may_move(&d, actor_id, expected_version)?;
        let decided_here: i64 = dossier_rights::table
            .filter(dossier_rights::dossier_id.eq(dossier_id))
            .filter(dossier_rights::session_id.eq(session_id))
            .count()
            .get_result(conn)?;
        if decided_here > 0 {
            return Err(DossierError::Conflict);
        }
        let n = diesel::delete(
            commission_dossiers::table
                .filter(commission_dossiers::session_id.eq(session_id))
                .filter(commission_dossiers::dossier_id.eq(dossier_id)),
        )
        .execute(conn)?;
        if n == 0 {
            return Err(DossierError::NotFound);
        }
        claim_stage(conn, &d, expected_version, STAGE_EVALUATION)?;
        bump(conn, &s)?;
        insert_event(
            conn,
            dossier_id,
            Some(actor_id),
            REMOVED_KIND,
            None,
            None,
            &json!({ "session_id": s.id, "date": s.date.format("%Y-%m-%d").to_string() }),
            true,
        )?;
        store::find(conn, dossier_id)?.ok_or(DossierError::NotFound)
    })
}

/// A change of the agenda changes the sitting: its entry, read before, must not mark it held.
fn bump(conn: &mut AnyConnection, s: &Session) -> Result<()> {
    diesel::update(commission_sessions::table.find(&s.id))
        .set(commission_sessions::lock_version.eq(commission_sessions::lock_version + 1))
        .execute(conn)?;
    Ok(())
}

/// Dossiers of a service that may be put on a sitting's agenda, as far as their stage tells (the use case
/// checks their proposals): en instruction, no complement awaited, evaluated, on no sitting not yet held.
/// The oldest deposits first, at most `limit`.
pub fn candidates(conn: &mut AnyConnection, service_code: &str, limit: i64) -> Result<Vec<Dossier>> {
    let pending: Vec<String> = commission_dossiers::table
        .inner_join(commission_sessions::table)
        .filter(commission_sessions::held_at.is_null())
        .filter(commission_sessions::service_code.eq(service_code))
        .select(commission_dossiers::dossier_id)
        .load(conn)?;
    dossiers::table
        .filter(dossiers::service_code.eq(service_code))
        .filter(dossiers::state.eq(State::EnInstruction.as_str()))
        .filter(dossiers::complement_demande.eq(false))
        .filter(dossiers::stage.eq_any([STAGE_EVALUATION, STAGE_COMMISSION]))
        .filter(dossiers::id.ne_all(pending))
        .order((dossiers::deposited_at.asc(), dossiers::id.asc()))
        .limit(limit)
        .select(store::Row::as_select())
        .load(conn)?
        .into_iter()
        .map(Dossier::try_from)
        .collect()
}

/// Marks the sitting held (once its last decision is recorded), guarded by the version read.
pub fn mark_held(
    conn: &mut AnyConnection,
    session_id: &str,
    expected_version: i32,
    actor_id: &str,
) -> Result<Session> {
    let n = diesel::update(
        commission_sessions::table
            .filter(commission_sessions::id.eq(session_id))
            .filter(commission_sessions::lock_version.eq(expected_version))
            .filter(commission_sessions::held_at.is_null()),
    )
    .set((
        commission_sessions::held_at.eq(Some(now())),
        commission_sessions::held_by.eq(Some(actor_id)),
        commission_sessions::lock_version.eq(expected_version + 1),
    ))
    .execute(conn)?;
    if n == 0 {
        return Err(DossierError::Conflict);
    }
    find(conn, session_id)?.ok_or(DossierError::NotFound)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formations_round_trip() {
        for f in Formation::ALL {
            assert_eq!(Formation::parse(f.as_str()), Some(f));
        }
        assert_eq!(Formation::parse("pleniere"), Some(Formation::Pleniere));
        assert_eq!(Formation::parse("autre"), None);
    }
}
