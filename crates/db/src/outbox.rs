//! The email outbox: rows are written in the same transaction as the event that causes them, and a
//! background task delivers them. Claiming is a compare-and-set on `locked_until`, which works the same on
//! SQLite and PostgreSQL: of several processes racing for a row, exactly one update matches.
//!
//! A claim names the process that holds it (`locked_by`, the instance name), so that a restarted process
//! frees the claims it held when it died instead of waiting for their lease to lapse. The lease is short
//! and renewed before each send; `sending_at` records that a send began.

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;

use crate::schema::outbox;
use crate::{AnyConnection, Result, new_id, now};

/// An email to send. Bodies are plain text (French); attachments are not queued.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewEmail {
    pub recipient: String,
    pub subject: String,
    pub body_text: String,
}

#[derive(Debug, Clone, Queryable, Selectable, PartialEq, Eq)]
#[diesel(table_name = outbox)]
pub struct OutboxEmail {
    pub id: String,
    pub recipient: String,
    pub subject: String,
    pub body_text: String,
    pub attempts: i32,
    pub next_try_at: NaiveDateTime,
    pub sent_at: Option<NaiveDateTime>,
    pub last_error: Option<String>,
    /// When the last send began; set while `sent_at` is not: that send may have reached the recipient.
    pub sending_at: Option<NaiveDateTime>,
}

/// Queues an email. Call it inside the transaction of the change it reports.
pub fn enqueue(conn: &mut AnyConnection, email: &NewEmail) -> Result<String> {
    let id = new_id();
    let t = now();
    diesel::insert_into(outbox::table)
        .values((
            outbox::id.eq(&id),
            outbox::recipient.eq(&email.recipient),
            outbox::subject.eq(&email.subject),
            outbox::body_text.eq(&email.body_text),
            outbox::attempts.eq(0),
            outbox::next_try_at.eq(t),
            outbox::created_at.eq(t),
        ))
        .execute(conn)?;
    Ok(id)
}

/// Claims up to `limit` due emails for `instance` during `lease` (another process may take them once it
/// lapses, e.g. if this one died mid-send).
pub fn claim_due(
    conn: &mut AnyConnection,
    instance: &str,
    limit: i64,
    lease: Duration,
) -> Result<Vec<OutboxEmail>> {
    let t = now();
    let candidates: Vec<String> = outbox::table
        .select(outbox::id)
        .filter(outbox::sent_at.is_null())
        .filter(outbox::next_try_at.le(t))
        .filter(outbox::locked_until.is_null().or(outbox::locked_until.lt(t)))
        .order(outbox::next_try_at.asc())
        .limit(limit)
        .load(conn)?;
    let mut claimed = Vec::with_capacity(candidates.len());
    for id in candidates {
        let won = diesel::update(
            outbox::table
                .filter(outbox::id.eq(&id))
                .filter(outbox::sent_at.is_null())
                .filter(outbox::locked_until.is_null().or(outbox::locked_until.lt(t))),
        )
        .set((outbox::locked_until.eq(t + lease), outbox::locked_by.eq(instance)))
        .execute(conn)?;
        if won == 1 {
            claimed.push(
                outbox::table
                    .find(&id)
                    .select(OutboxEmail::as_select())
                    .first(conn)?,
            );
        }
    }
    Ok(claimed)
}

/// Just before sending `id`: records that the send begins and renews its lease, and with `renew_all` the
/// lease of every claim `instance` holds. `false`: the claim was lost (its lease lapsed and another
/// process took it, or it was sent): do not send.
pub fn start_sending(
    conn: &mut AnyConnection,
    instance: &str,
    id: &str,
    lease: Duration,
    renew_all: bool,
) -> Result<bool> {
    let t = now();
    if renew_all {
        diesel::update(
            outbox::table
                .filter(outbox::locked_by.eq(instance))
                .filter(outbox::sent_at.is_null()),
        )
        .set(outbox::locked_until.eq(t + lease))
        .execute(conn)?;
    }
    let ours = diesel::update(
        outbox::table
            .filter(outbox::id.eq(id))
            .filter(outbox::locked_by.eq(instance))
            .filter(outbox::sent_at.is_null()),
    )
    .set((outbox::sending_at.eq(t), outbox::locked_until.eq(t + lease)))
    .execute(conn)?;
    Ok(ours == 1)
}

/// Frees every unsent claim `instance` holds: after a failed pass, and when a process starts (the claims
/// of its previous life, if it died). Returns how many were freed.
pub fn release_claims(conn: &mut AnyConnection, instance: &str) -> Result<usize> {
    Ok(diesel::update(
        outbox::table
            .filter(outbox::locked_by.eq(instance))
            .filter(outbox::sent_at.is_null()),
    )
    .set((
        outbox::locked_until.eq(None::<NaiveDateTime>),
        outbox::locked_by.eq(None::<String>),
    ))
    .execute(conn)?)
}

pub fn mark_sent(conn: &mut AnyConnection, id: &str) -> Result<()> {
    diesel::update(outbox::table.find(id).filter(outbox::sent_at.is_null()))
        .set((
            outbox::sent_at.eq(now()),
            outbox::locked_until.eq(None::<NaiveDateTime>),
            outbox::locked_by.eq(None::<String>),
        ))
        .execute(conn)?;
    Ok(())
}

/// Records a failed attempt and when to try again. Nothing is ever dropped: after many failures the
/// email keeps waiting at the longest delay for an operator to fix the SMTP settings.
pub fn mark_failed(conn: &mut AnyConnection, id: &str, error: &str, retry_in: Duration) -> Result<()> {
    let error: String = error.chars().take(1000).collect();
    diesel::update(outbox::table.find(id))
        .set((
            outbox::attempts.eq(outbox::attempts + 1),
            outbox::last_error.eq(Some(error)),
            outbox::next_try_at.eq(now() + retry_in),
            outbox::locked_until.eq(None::<NaiveDateTime>),
            outbox::locked_by.eq(None::<String>),
            outbox::sending_at.eq(None::<NaiveDateTime>),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn find(conn: &mut AnyConnection, id: &str) -> Result<Option<OutboxEmail>> {
    Ok(outbox::table
        .find(id)
        .select(OutboxEmail::as_select())
        .first(conn)
        .optional()?)
}

pub fn pending_count(conn: &mut AnyConnection) -> Result<i64> {
    Ok(outbox::table
        .filter(outbox::sent_at.is_null())
        .count()
        .get_result(conn)?)
}

/// Makes every unsent email due now (an operator's "retry now" after fixing the SMTP settings).
pub fn retry_now(conn: &mut AnyConnection) -> Result<usize> {
    Ok(diesel::update(outbox::table.filter(outbox::sent_at.is_null()))
        .set((
            outbox::next_try_at.eq(now()),
            outbox::locked_until.eq(None::<NaiveDateTime>),
            outbox::locked_by.eq(None::<String>),
        ))
        .execute(conn)?)
}

/// Unsent emails with their last error, oldest first (for operators and tests).
pub fn pending(conn: &mut AnyConnection) -> Result<Vec<OutboxEmail>> {
    Ok(outbox::table
        .filter(outbox::sent_at.is_null())
        .order(outbox::created_at.asc())
        .select(OutboxEmail::as_select())
        .load(conn)?)
}
