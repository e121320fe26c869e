//! Retention (RGPD art. 5.1.e): drafts left untouched and dossiers decided long ago are deleted.
//!
//! The periods come from each procedure's definition (`[retention]`, read by the caller into
//! [`Policy`]). Every function takes `now`, so that tests and operators (`guichet purge --now …`) can move
//! the clock.
//!
//! - A draft untouched for `draft_months` is deleted, but only after its owner was warned by email (a
//!   month before, and at least [`MIN_NOTICE_DAYS`] before the deletion, should the job have been stopped
//!   for a while). The warning is recorded once (`retention_warnings`, with the draft's `updated_at` at
//!   that time): a draft changed after the warning is kept and the warning forgotten.
//! - A decided dossier (accepté, refusé, sans suite) is deleted `decided_years` after its decision, with
//!   its events, messages, attachments rows and notes; an anonymous row (`purged_dossier_stats`) keeps it
//!   in the statistics ([`crate::stats`] adds these rows to its counts).
//! - Every deletion writes a `purge_log` row (kind, procedure, dossier id and number, reason, reference
//!   date): the record that the deletion happened, with no personal data.
//!
//! Files are the caller's: [`run`] returns the SHA-256 of every file a purged dossier held that no
//! remaining dossier or attachment references, for the caller to remove from the file store.

use std::collections::{BTreeSet, HashMap};

use chrono::{Datelike, Months, NaiveDateTime};
use diesel::prelude::*;
use guichet_db::outbox::{self, NewEmail};
use guichet_db::schema::{
    attachments, dossier_events, dossiers, messages, purge_log, purged_dossier_stats, retention_warnings,
    users,
};
use guichet_db::{AnyConnection, new_id};
use serde_json::Value;

use crate::lifecycle::State;
use crate::store::{DossierError, Result, insert_event};

/// A deletion is never announced for less than this many days ahead.
pub const MIN_NOTICE_DAYS: i64 = 14;

/// The retention periods of one procedure, from its definition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    pub procedure: String,
    /// Title shown in the warning email.
    pub title: String,
    pub draft_months: u32,
    pub decided_years: u32,
}

/// What is purged: a draft, or a decided dossier.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PurgeKind {
    Draft,
    Decided,
}

impl PurgeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            PurgeKind::Draft => "brouillon",
            PurgeKind::Decided => "dossier",
        }
    }
}

/// A draft or dossier that is (or would be, in a dry run) deleted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Purge {
    pub kind: PurgeKind,
    pub dossier_id: String,
    pub number: Option<String>,
    pub procedure: String,
    pub state: State,
    /// The draft's last change, or the dossier's decision.
    pub reference_at: NaiveDateTime,
    /// Why, in French (also written to the purge log).
    pub reason: String,
}

/// A draft whose owner is (or would be) warned of its deletion.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    pub dossier_id: String,
    pub procedure: String,
    pub title: String,
    pub owner_email: String,
    pub draft_months: u32,
    pub last_change: NaiveDateTime,
    /// The announced date of deletion (not before it).
    pub purge_from: NaiveDateTime,
}

/// What a run would do; [`plan`] computes it without changing anything.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Plan {
    pub warnings: Vec<Warning>,
    pub purges: Vec<Purge>,
}

/// What a run did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Outcome {
    pub warned: Vec<Warning>,
    pub purged: Vec<Purge>,
    /// Warnings forgotten because their draft changed since.
    pub forgotten_warnings: usize,
    /// SHA-256 of the files of purged dossiers that nothing references any more: remove them from the
    /// file store.
    pub unreferenced_files: Vec<String>,
}

/// One line of the purge log.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = purge_log)]
pub struct PurgeRecord {
    pub id: String,
    pub kind: String,
    pub procedure: String,
    pub dossier_id: String,
    pub dossier_number: Option<String>,
    pub reason: String,
    pub reference_at: NaiveDateTime,
    pub files: i32,
    pub purged_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = dossiers)]
struct Candidate {
    id: String,
    number: Option<String>,
    procedure: String,
    owner_id: String,
    state: String,
    updated_at: NaiveDateTime,
    decided_at: Option<NaiveDateTime>,
}

fn months_before(t: NaiveDateTime, months: u32) -> Result<NaiveDateTime> {
    t.checked_sub_months(Months::new(months))
        .ok_or_else(|| DossierError::Internal(format!("date out of range: {t} - {months} months")))
}

fn months_after(t: NaiveDateTime, months: u32) -> Result<NaiveDateTime> {
    t.checked_add_months(Months::new(months))
        .ok_or_else(|| DossierError::Internal(format!("date out of range: {t} + {months} months")))
}

/// When an untouched draft may be deleted: its expiry, and never sooner than the notice after warning.
fn draft_purge_from(
    updated_at: NaiveDateTime,
    months: u32,
    warned_at: NaiveDateTime,
) -> Result<NaiveDateTime> {
    Ok(months_after(updated_at, months)?.max(warned_at + chrono::Duration::days(MIN_NOTICE_DAYS)))
}

fn load_warnings(conn: &mut AnyConnection) -> Result<HashMap<String, (NaiveDateTime, NaiveDateTime)>> {
    let rows: Vec<(String, NaiveDateTime, NaiveDateTime)> = retention_warnings::table
        .select((
            retention_warnings::dossier_id,
            retention_warnings::draft_updated_at,
            retention_warnings::warned_at,
        ))
        .load(conn)?;
    Ok(rows.into_iter().map(|(id, u, w)| (id, (u, w))).collect())
}

fn candidates(
    conn: &mut AnyConnection,
    policies: &[Policy],
    now: NaiveDateTime,
) -> Result<Vec<(Policy, Candidate)>> {
    let decided = [State::Decide.as_str(), State::SansSuite.as_str()];
    let mut out = Vec::new();
    for p in policies {
        // A draft enters the scan once it is due for its warning, a month before its expiry.
        let warn_before = months_before(now, p.draft_months.saturating_sub(1))?;
        let drafts: Vec<Candidate> = dossiers::table
            .filter(dossiers::procedure.eq(&p.procedure))
            .filter(dossiers::state.eq(State::Brouillon.as_str()))
            .filter(dossiers::updated_at.le(warn_before))
            .order(dossiers::updated_at.asc())
            .select(Candidate::as_select())
            .load(conn)?;
        let decided_before = months_before(now, p.decided_years.saturating_mul(12))?;
        let old: Vec<Candidate> = dossiers::table
            .filter(dossiers::procedure.eq(&p.procedure))
            .filter(dossiers::state.eq_any(decided))
            .filter(
                dossiers::decided_at.le(decided_before).or(dossiers::decided_at
                    .is_null()
                    .and(dossiers::updated_at.le(decided_before))),
            )
            .order(dossiers::decided_at.asc())
            .select(Candidate::as_select())
            .load(conn)?;
        out.extend(drafts.into_iter().chain(old).map(|c| (p.clone(), c)));
    }
    Ok(out)
}

fn owner_email(conn: &mut AnyConnection, owner_id: &str) -> Result<String> {
    Ok(users::table.find(owner_id).select(users::email).first(conn)?)
}

/// What happens to one candidate now.
enum Step {
    Warn(Warning),
    Purge(Purge),
    /// The draft changed after its warning: forget the warning (and maybe warn again later).
    Forget,
    Wait,
}

fn decide(
    conn: &mut AnyConnection,
    policy: &Policy,
    c: &Candidate,
    warnings: &HashMap<String, (NaiveDateTime, NaiveDateTime)>,
    now: NaiveDateTime,
) -> Result<Step> {
    let state: State = c.state.parse()?;
    if state == State::Brouillon {
        let valid_warning = match warnings.get(&c.id) {
            Some((updated, warned)) if *updated == c.updated_at => Some(*warned),
            Some(_) => return Ok(Step::Forget),
            None => None,
        };
        let expiry = months_after(c.updated_at, policy.draft_months)?;
        return Ok(match valid_warning {
            Some(warned) if now >= draft_purge_from(c.updated_at, policy.draft_months, warned)? => {
                Step::Purge(Purge {
                    kind: PurgeKind::Draft,
                    dossier_id: c.id.clone(),
                    number: None,
                    procedure: c.procedure.clone(),
                    state,
                    reference_at: c.updated_at,
                    reason: format!(
                        "brouillon sans modification depuis {} mois (averti le {})",
                        policy.draft_months,
                        warned.format("%Y-%m-%d")
                    ),
                })
            }
            Some(_) => Step::Wait,
            None => Step::Warn(Warning {
                dossier_id: c.id.clone(),
                procedure: c.procedure.clone(),
                title: policy.title.clone(),
                owner_email: owner_email(conn, &c.owner_id)?,
                draft_months: policy.draft_months,
                last_change: c.updated_at,
                purge_from: expiry.max(now + chrono::Duration::days(MIN_NOTICE_DAYS)),
            }),
        });
    }
    let decided = c.decided_at.unwrap_or(c.updated_at);
    Ok(Step::Purge(Purge {
        kind: PurgeKind::Decided,
        dossier_id: c.id.clone(),
        number: c.number.clone(),
        procedure: c.procedure.clone(),
        state,
        reference_at: decided,
        reason: format!(
            "dossier {} décidé il y a plus de {} {}",
            state.as_str(),
            policy.decided_years,
            if policy.decided_years > 1 { "ans" } else { "an" }
        ),
    }))
}

/// What a run at `now` would do, changing nothing (`guichet purge --dry-run`).
pub fn plan(conn: &mut AnyConnection, policies: &[Policy], now: NaiveDateTime) -> Result<Plan> {
    let warnings = load_warnings(conn)?;
    let mut out = Plan::default();
    for (policy, c) in candidates(conn, policies, now)? {
        match decide(conn, &policy, &c, &warnings, now)? {
            Step::Warn(w) => out.warnings.push(w),
            Step::Purge(p) => out.purges.push(p),
            // A changed draft loses its warning; it is warned again at once if it is still old enough.
            Step::Forget => {
                let mut fresh = warnings.clone();
                fresh.remove(&c.id);
                match decide(conn, &policy, &c, &fresh, now)? {
                    Step::Warn(w) => out.warnings.push(w),
                    Step::Purge(p) => out.purges.push(p),
                    Step::Forget | Step::Wait => {}
                }
            }
            Step::Wait => {}
        }
    }
    Ok(out)
}

/// Warns the owners of drafts due for it (`email` writes the message), purges what is due, and returns
/// what it did. Each warning and each purge is its own transaction, which checks again that the row is
/// unchanged: a draft saved meanwhile, or a dossier reopened, is left alone.
pub fn run(
    conn: &mut AnyConnection,
    policies: &[Policy],
    now: NaiveDateTime,
    email: &dyn Fn(&Warning) -> NewEmail,
) -> Result<Outcome> {
    let mut out = Outcome {
        forgotten_warnings: forget_stale_warnings(conn)?,
        ..Outcome::default()
    };
    let warnings = load_warnings(conn)?;
    let mut files = BTreeSet::new();
    for (policy, c) in candidates(conn, policies, now)? {
        let mut step = decide(conn, &policy, &c, &warnings, now)?;
        if matches!(step, Step::Forget) {
            if forget_warning(conn, &c.id)? {
                out.forgotten_warnings += 1;
            }
            let mut fresh = warnings.clone();
            fresh.remove(&c.id);
            step = decide(conn, &policy, &c, &fresh, now)?;
        }
        match step {
            Step::Warn(w) => {
                if warn(conn, &w, now, &email(&w))? {
                    out.warned.push(w);
                }
            }
            Step::Purge(p) => {
                if let Some(shas) = purge(conn, &p, c.updated_at, now)? {
                    files.extend(shas);
                    out.purged.push(p);
                }
            }
            Step::Forget | Step::Wait => {}
        }
    }
    for sha in files {
        if !file_referenced(conn, &sha)? {
            out.unreferenced_files.push(sha);
        }
    }
    Ok(out)
}

/// A draft changed after its warning is kept: its warning is forgotten (it gets a new one if it is left
/// untouched again).
fn forget_stale_warnings(conn: &mut AnyConnection) -> Result<usize> {
    let mut forgotten = 0;
    for (id, (updated, _)) in load_warnings(conn)? {
        let current: Option<NaiveDateTime> = dossiers::table
            .find(&id)
            .select(dossiers::updated_at)
            .first(conn)
            .optional()?;
        if current != Some(updated) && forget_warning(conn, &id)? {
            forgotten += 1;
        }
    }
    Ok(forgotten)
}

fn forget_warning(conn: &mut AnyConnection, dossier_id: &str) -> Result<bool> {
    let n = diesel::delete(retention_warnings::table.filter(retention_warnings::dossier_id.eq(dossier_id)))
        .execute(conn)?;
    Ok(n > 0)
}

/// Records the warning and queues its email, once: false if the draft changed or was warned meanwhile.
fn warn(conn: &mut AnyConnection, w: &Warning, now: NaiveDateTime, email: &NewEmail) -> Result<bool> {
    guichet_db::write_transaction(conn, |conn| {
        let unchanged: i64 = dossiers::table
            .filter(dossiers::id.eq(&w.dossier_id))
            .filter(dossiers::state.eq(State::Brouillon.as_str()))
            .filter(dossiers::updated_at.eq(w.last_change))
            .count()
            .get_result(conn)?;
        let already: i64 = retention_warnings::table
            .filter(retention_warnings::dossier_id.eq(&w.dossier_id))
            .count()
            .get_result(conn)?;
        if unchanged == 0 || already > 0 {
            return Ok(false);
        }
        diesel::insert_into(retention_warnings::table)
            .values((
                retention_warnings::dossier_id.eq(&w.dossier_id),
                retention_warnings::draft_updated_at.eq(w.last_change),
                retention_warnings::warned_at.eq(now),
            ))
            .execute(conn)?;
        insert_event(
            conn,
            &w.dossier_id,
            None,
            "retention_warning",
            None,
            None,
            &serde_json::json!({ "purge_from": w.purge_from.format("%Y-%m-%d").to_string() }),
            true,
        )?;
        outbox::enqueue(conn, email)?;
        Ok(true)
    })
}

/// What a purge reads of the dossier it deletes.
#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = dossiers)]
struct Doomed {
    answers: String,
    state: String,
    pending_answers: Option<String>,
    deposited_at: Option<NaiveDateTime>,
    decided_at: Option<NaiveDateTime>,
    updated_at: NaiveDateTime,
    service_code: String,
}

/// Deletes one dossier with everything it holds, in one transaction; returns the SHA-256 of its files, or
/// `None` if it changed since it was chosen (saved, reopened, already purged by another process).
fn purge(
    conn: &mut AnyConnection,
    p: &Purge,
    updated_at: NaiveDateTime,
    now: NaiveDateTime,
) -> Result<Option<BTreeSet<String>>> {
    guichet_db::write_transaction(conn, |conn| {
        let row: Option<Doomed> = dossiers::table
            .find(&p.dossier_id)
            .select(Doomed::as_select())
            .first(conn)
            .optional()?;
        let Some(Doomed {
            answers,
            state,
            pending_answers: pending,
            deposited_at,
            decided_at,
            updated_at: now_updated,
            service_code: service,
        }) = row
        else {
            return Ok(None);
        };
        if state != p.state.as_str() || (p.kind == PurgeKind::Draft && now_updated != updated_at) {
            return Ok(None);
        }
        let mut shas = BTreeSet::new();
        for text in std::iter::once(&answers).chain(pending.as_ref()) {
            if let Ok(v) = serde_json::from_str::<Value>(text) {
                files_in(&v, &mut shas);
            }
        }
        let attached: Vec<String> = attachments::table
            .filter(attachments::dossier_id.eq(&p.dossier_id))
            .select(attachments::sha256)
            .load(conn)?;
        shas.extend(attached);
        if p.kind == PurgeKind::Decided {
            // The largest amount granted on one right stands for the dossier in the anonymous bands.
            let amount: Option<i64> = guichet_db::schema::dossier_rights::table
                .filter(guichet_db::schema::dossier_rights::dossier_id.eq(&p.dossier_id))
                .select(diesel::dsl::max(guichet_db::schema::dossier_rights::amount_cents))
                .first(conn)?;
            diesel::insert_into(purged_dossier_stats::table)
                .values((
                    purged_dossier_stats::id.eq(new_id()),
                    purged_dossier_stats::procedure.eq(&p.procedure),
                    purged_dossier_stats::service_code.eq(&service),
                    purged_dossier_stats::state.eq(&state),
                    purged_dossier_stats::deposit_month.eq(deposited_at.map(month)),
                    purged_dossier_stats::decision_month.eq(decided_at.map(month)),
                    purged_dossier_stats::decision_delay_seconds
                        .eq(deposited_at.zip(decided_at).map(|(a, b)| (b - a).num_seconds())),
                    purged_dossier_stats::amount_band.eq(amount.map(amount_band)),
                    purged_dossier_stats::purged_at.eq(now),
                ))
                .execute(conn)?;
        }
        // Children first: SQLite enforces the foreign keys, and nothing relies on the cascades.
        diesel::delete(retention_warnings::table.filter(retention_warnings::dossier_id.eq(&p.dossier_id)))
            .execute(conn)?;
        diesel::delete(attachments::table.filter(attachments::dossier_id.eq(&p.dossier_id))).execute(conn)?;
        diesel::delete(messages::table.filter(messages::dossier_id.eq(&p.dossier_id))).execute(conn)?;
        diesel::delete(dossier_events::table.filter(dossier_events::dossier_id.eq(&p.dossier_id)))
            .execute(conn)?;
        diesel::delete(dossiers::table.find(&p.dossier_id)).execute(conn)?;
        diesel::insert_into(purge_log::table)
            .values((
                purge_log::id.eq(new_id()),
                purge_log::kind.eq(p.kind.as_str()),
                purge_log::procedure.eq(&p.procedure),
                purge_log::dossier_id.eq(&p.dossier_id),
                purge_log::dossier_number.eq(&p.number),
                purge_log::reason.eq(&p.reason),
                purge_log::reference_at.eq(p.reference_at),
                purge_log::files.eq(i32::try_from(shas.len()).unwrap_or(i32::MAX)),
                purge_log::purged_at.eq(now),
            ))
            .execute(conn)?;
        Ok(Some(shas))
    })
}

fn month(t: NaiveDateTime) -> String {
    format!("{:04}-{:02}", t.year(), t.month())
}

/// A range instead of the amount: statistics need the order of magnitude, not the person's figure.
pub fn amount_band(cents: i64) -> String {
    let euros = cents / 100;
    match euros {
        i64::MIN..=0 => "0 €",
        1..=99 => "1 à 99 €",
        100..=499 => "100 à 499 €",
        500..=999 => "500 à 999 €",
        1000..=1999 => "1 000 à 1 999 €",
        _ => "2 000 € ou plus",
    }
    .to_owned()
}

/// The files an answers document references: every object with a 64-hex `id` and a `name` (a stored file
/// reference, at the top level or inside a repeating group).
pub fn files_in(v: &Value, out: &mut BTreeSet<String>) {
    match v {
        Value::Object(map) => {
            if let (Some(Value::String(id)), Some(Value::String(_))) = (map.get("id"), map.get("name"))
                && id.len() == 64
                && id.bytes().all(|b| b.is_ascii_hexdigit())
            {
                out.insert(id.clone());
            }
            for child in map.values() {
                files_in(child, out);
            }
        }
        Value::Array(items) => {
            for item in items {
                files_in(item, out);
            }
        }
        _ => {}
    }
}

/// Whether any remaining dossier (answers or pending answers) or attachment still holds this file.
pub fn file_referenced(conn: &mut AnyConnection, sha: &str) -> Result<bool> {
    // The same check as the upload collector: indexed `file_refs` and attachments first, the answers text
    // only for what they do not name.
    Ok(!crate::files::referenced(conn, &[sha.to_owned()])?.is_empty())
}

/// The purge log, most recent first.
pub fn purge_log(conn: &mut AnyConnection, limit: i64) -> Result<Vec<PurgeRecord>> {
    Ok(purge_log::table
        .order((purge_log::purged_at.desc(), purge_log::id.desc()))
        .limit(limit)
        .select(PurgeRecord::as_select())
        .load(conn)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_references_are_found_at_the_top_level_and_in_groups() {
        let a = "a".repeat(64);
        let b = "b".repeat(64);
        let v = serde_json::json!({
            "piece": [{ "id": a, "name": "avis.pdf", "size": 3, "content_type": "application/pdf" }],
            "enfants": [{ "prenom": "Léa", "certificat": [{ "id": b, "name": "c.pdf", "size": 1, "content_type": "application/pdf" }] }],
            "commune": { "id": "93066", "name": "Saint-Denis" },
        });
        let mut out = BTreeSet::new();
        files_in(&v, &mut out);
        assert_eq!(out.into_iter().collect::<Vec<_>>(), vec![a, b]);
    }

    #[test]
    fn amounts_become_bands() {
        assert_eq!(amount_band(0), "0 €");
        assert_eq!(amount_band(45_000), "100 à 499 €");
        assert_eq!(amount_band(150_000), "1 000 à 1 999 €");
    }

    #[test]
    fn a_late_warning_still_gives_the_notice() {
        let t = |s: &str| NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap_or_default();
        let updated = t("2026-01-01 10:00");
        assert_eq!(
            draft_purge_from(updated, 6, t("2026-06-01 10:00")).ok(),
            Some(t("2026-07-01 10:00"))
        );
        assert_eq!(
            draft_purge_from(updated, 6, t("2026-09-01 10:00")).ok(),
            Some(t("2026-09-15 10:00"))
        );
    }
}
