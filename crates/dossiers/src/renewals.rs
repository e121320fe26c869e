//! Renewals: the decided dossiers whose granted rights end soon, and the reminder sent once per dossier
//! (an event `renewal_reminder`, in the same transaction as its email).

use chrono::NaiveDate;
use diesel::prelude::*;
use guichet_db::AnyConnection;
use guichet_db::schema::{dossier_events, dossier_rights, dossiers};

use crate::store::{Dossier, Result, insert_event};

/// The event of a reminder sent.
pub const REMINDER_KIND: &str = "renewal_reminder";
/// The event, on a new draft, of the request it renews.
pub const RENEWAL_OF_KIND: &str = "renewal_of";

/// The first end date of each decided dossier's granted rights ending between `from` and `to`, for the
/// dossiers no reminder was sent for: (dossier id, procedure, end).
pub fn ending(
    conn: &mut AnyConnection,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<(String, String, NaiveDate)>> {
    let rows: Vec<(String, String, Option<NaiveDate>)> = dossier_rights::table
        .inner_join(dossiers::table)
        .filter(dossier_rights::outcome.eq("accord"))
        .filter(dossier_rights::withdrawn_at.is_null())
        .filter(dossier_rights::period_end.ge(from))
        .filter(dossier_rights::period_end.le(to))
        .filter(
            dossiers::id.ne_all(
                dossier_events::table
                    .filter(dossier_events::kind.eq(REMINDER_KIND))
                    .select(dossier_events::dossier_id),
            ),
        )
        .select((dossiers::id, dossiers::procedure, dossier_rights::period_end))
        .load(conn)?;
    let mut out: Vec<(String, String, NaiveDate)> = Vec::new();
    for (id, procedure, end) in rows {
        let Some(end) = end else { continue };
        match out.iter_mut().find(|(d, _, _)| *d == id) {
            Some(e) if end < e.2 => e.2 = end,
            Some(_) => {}
            None => out.push((id, procedure, end)),
        }
    }
    Ok(out)
}

/// The first end date of a dossier's granted rights, if any right has one.
pub fn first_end(conn: &mut AnyConnection, dossier_id: &str) -> Result<Option<NaiveDate>> {
    Ok(dossier_rights::table
        .filter(dossier_rights::dossier_id.eq(dossier_id))
        .filter(dossier_rights::outcome.eq("accord"))
        .filter(dossier_rights::withdrawn_at.is_null())
        .select(diesel::dsl::min(dossier_rights::period_end))
        .first::<Option<NaiveDate>>(conn)?)
}

/// Records the reminder of a dossier (its email is queued by the caller in the same transaction).
pub fn record_reminder(conn: &mut AnyConnection, d: &Dossier, end: NaiveDate) -> Result<()> {
    insert_event(
        conn,
        &d.id,
        None,
        REMINDER_KIND,
        None,
        None,
        &serde_json::json!({ "end": end }),
        true,
    )
}

/// Records, on a renewal's new draft, the request it renews.
pub fn record_renewal(conn: &mut AnyConnection, draft: &Dossier, of: &Dossier, by: &str) -> Result<()> {
    insert_event(
        conn,
        &draft.id,
        Some(by),
        RENEWAL_OF_KIND,
        None,
        None,
        &serde_json::json!({ "dossier": of.id, "number": of.number.as_ref().map(ToString::to_string) }),
        true,
    )
}
