//! Implicit decisions: the dossiers whose due date passed without a decision, the guarded write that
//! records one (once, whatever the number of processes sweeping), and the usager's request for the
//! reasons of an implicit rejection (CRPA L232-4). What silence means is the definition's business: the
//! use case (`guichet_usecases::implicit`) passes it in the event's payload.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use guichet_db::outbox::NewEmail;
use guichet_db::schema::dossiers;
use guichet_db::{AnyConnection, now};
use serde_json::Value;

use crate::lifecycle::State;
use crate::store::{self, DossierError, Event, Result, insert_event};

/// The event recording an implicit decision (visible to both sides).
pub const DECISION_KIND: &str = "implicit_decision";
/// The event recording the usager's request for the reasons of an implicit rejection.
pub const MOTIFS_KIND: &str = "implicit_motifs_requested";

/// The sweep's condition, written as the partial index `dossiers_implicit_sweep_idx` (migration
/// 2026-12-02-000050, both backends) spells it: SQLite uses the index only when the query repeats it.
const PENDING_SQL: &str = "implicit_at IS NULL AND state IN ('depose', 'en_instruction')";

/// A dossier the sweep may have to record: its stored due date passed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub id: String,
    pub procedure: String,
    pub due_at: NaiveDateTime,
}

/// Dossiers déposés or en instruction, not awaiting a complement (the clock is paused: CRPA L114-5),
/// without an implicit decision yet, whose due date is before `now`; those of the procedures in
/// `needs_complete` only once recorded complete (APA: the clock starts then, CASF L232-14, R232-23).
/// Soonest due first.
pub fn candidates(
    conn: &mut AnyConnection,
    now: NaiveDateTime,
    needs_complete: &[String],
) -> Result<Vec<Candidate>> {
    let mut q = dossiers::table
        .filter(diesel::dsl::sql::<diesel::sql_types::Bool>(PENDING_SQL))
        .filter(dossiers::complement_demande.eq(false))
        .filter(dossiers::due_at.lt(now))
        .into_boxed();
    if !needs_complete.is_empty() {
        q = q.filter(
            dossiers::procedure
                .ne_all(needs_complete.to_vec())
                .or(dossiers::complete_at.is_not_null()),
        );
    }
    let rows: Vec<(String, String, Option<NaiveDateTime>)> = q
        .order((dossiers::due_at.asc(), dossiers::id.asc()))
        .select((dossiers::id, dossiers::procedure, dossiers::due_at))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .filter_map(|(id, procedure, due)| {
            due.map(|due_at| Candidate {
                id,
                procedure,
                due_at,
            })
        })
        .collect())
}

/// Records the implicit decision born on `deemed_at`: sets `implicit_at`, writes the event (payload from
/// the caller) and queues the email, in one transaction. The guarded `UPDATE … WHERE implicit_at IS NULL`
/// (and still pending, no complement awaited) makes it idempotent: of two sweeps racing, or a sweep
/// racing an explicit decision or a complement request, one wins; `false` when nothing was recorded.
///
/// The dossier keeps its state: the administration may still decide explicitly.
pub fn record(
    conn: &mut AnyConnection,
    id: &str,
    deemed_at: NaiveDateTime,
    payload: &Value,
    email: Option<&NewEmail>,
) -> Result<bool> {
    guichet_db::write_transaction(conn, |conn| {
        let n = diesel::update(
            dossiers::table
                .filter(dossiers::id.eq(id))
                .filter(diesel::dsl::sql::<diesel::sql_types::Bool>(PENDING_SQL))
                .filter(dossiers::complement_demande.eq(false)),
        )
        .set((
            dossiers::implicit_at.eq(Some(deemed_at)),
            // Forms opened before it carry the old version: their next action is refused and the page,
            // reloaded, shows the implicit decision before anyone decides over it.
            dossiers::lock_version.eq(dossiers::lock_version + 1),
            dossiers::updated_at.eq(now()),
        ))
        .execute(conn)?;
        if n == 0 {
            return Ok(false);
        }
        insert_event(conn, id, None, DECISION_KIND, None, None, payload, true)?;
        if let Some(e) = email {
            crate::sharing::enqueue(conn, id, e)?;
        }
        Ok(true)
    })
}

/// The implicit decision's event, if one was recorded.
pub fn decision_event(conn: &mut AnyConnection, dossier_id: &str) -> Result<Option<Event>> {
    store::latest_event(conn, dossier_id, DECISION_KIND)
}

/// The usager's request for the reasons of the implicit rejection, if made.
pub fn motifs_event(conn: &mut AnyConnection, dossier_id: &str) -> Result<Option<Event>> {
    store::latest_event(conn, dossier_id, MOTIFS_KIND)
}

/// The usager asks the service for the reasons of the implicit rejection: their message (the messaging
/// of `instruction::post_message`, so the back office reads it with the others) and the event, in one
/// transaction; refused when already asked.
pub fn request_motifs(
    conn: &mut AnyConnection,
    dossier_id: &str,
    owner_id: &str,
    body: &str,
    payload: &Value,
    email: Option<&NewEmail>,
) -> Result<crate::instruction::Message> {
    guichet_db::write_transaction(conn, |conn| {
        let d = store::find(conn, dossier_id)?
            .filter(|d| d.owner_id == owner_id)
            .ok_or(DossierError::NotFound)?;
        if d.implicit_at.is_none() || !matches!(d.state, State::Depose | State::EnInstruction) {
            return Err(DossierError::Internal(
                "no implicit rejection to ask the reasons of".into(),
            ));
        }
        if motifs_event(conn, dossier_id)?.is_some() {
            return Err(DossierError::Conflict);
        }
        let m = crate::instruction::post_message(conn, dossier_id, owner_id, false, body, &[], email)?;
        insert_event(
            conn,
            dossier_id,
            Some(owner_id),
            MOTIFS_KIND,
            None,
            None,
            payload,
            true,
        )?;
        Ok(m)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sweep_condition_is_the_partial_indexs_on_both_backends() {
        for up in [
            include_str!("../../../migrations/sqlite/2026-12-02-000050_implicit/up.sql"),
            include_str!("../../../migrations/postgres/2026-12-02-000050_implicit/up.sql"),
        ] {
            assert!(up.contains(&format!("WHERE {PENDING_SQL}")), "{up}");
        }
        for st in [State::Depose, State::EnInstruction] {
            assert!(PENDING_SQL.contains(&format!("'{}'", st.as_str())));
        }
    }
}
