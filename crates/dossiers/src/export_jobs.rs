//! Exports run in the background: a row per export asked, its status, and how many dossiers it holds. The
//! file itself lives in the data directory (the web layer writes and serves it).

use chrono::NaiveDateTime;
use diesel::prelude::*;
use guichet_db::schema::export_jobs;
use guichet_db::{AnyConnection, new_id, now};

use crate::store::Result;

pub const RUNNING: &str = "en_cours";
pub const READY: &str = "pret";
pub const FAILED: &str = "echec";

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = export_jobs)]
pub struct Job {
    pub id: String,
    pub user_id: String,
    /// `csv`, `xlsx` or `ods`.
    pub format: String,
    pub query: String,
    pub status: String,
    pub row_count: Option<i64>,
    pub error: Option<String>,
    pub created_at: NaiveDateTime,
    pub finished_at: Option<NaiveDateTime>,
}

pub fn create(conn: &mut AnyConnection, user_id: &str, format: &str, query: &str) -> Result<Job> {
    let id = new_id();
    diesel::insert_into(export_jobs::table)
        .values((
            export_jobs::id.eq(&id),
            export_jobs::user_id.eq(user_id),
            export_jobs::format.eq(format),
            export_jobs::query.eq(query),
            export_jobs::status.eq(RUNNING),
            export_jobs::created_at.eq(now()),
        ))
        .execute(conn)?;
    find(conn, &id)?.ok_or(crate::store::DossierError::NotFound)
}

pub fn find(conn: &mut AnyConnection, id: &str) -> Result<Option<Job>> {
    Ok(export_jobs::table
        .find(id)
        .select(Job::as_select())
        .first(conn)
        .optional()?)
}

/// The person's latest exports, newest first.
pub fn of_user(conn: &mut AnyConnection, user_id: &str, limit: i64) -> Result<Vec<Job>> {
    Ok(export_jobs::table
        .filter(export_jobs::user_id.eq(user_id))
        .order(export_jobs::created_at.desc())
        .limit(limit)
        .select(Job::as_select())
        .load(conn)?)
}

/// The export is written: `rows` dossiers.
pub fn finish(conn: &mut AnyConnection, id: &str, rows: i64) -> Result<()> {
    diesel::update(export_jobs::table.find(id))
        .set((
            export_jobs::status.eq(READY),
            export_jobs::row_count.eq(Some(rows)),
            export_jobs::finished_at.eq(Some(now())),
        ))
        .execute(conn)?;
    Ok(())
}

/// The export stopped; `why` is what the agent reads.
pub fn fail(conn: &mut AnyConnection, id: &str, why: &str) -> Result<()> {
    diesel::update(export_jobs::table.find(id))
        .set((
            export_jobs::status.eq(FAILED),
            export_jobs::error.eq(Some(why)),
            export_jobs::finished_at.eq(Some(now())),
        ))
        .execute(conn)?;
    Ok(())
}

/// Exports asked before `before` (their files are removed with them), and those still running since then
/// (their process stopped).
pub fn older_than(conn: &mut AnyConnection, before: NaiveDateTime) -> Result<Vec<Job>> {
    Ok(export_jobs::table
        .filter(export_jobs::created_at.lt(before))
        .select(Job::as_select())
        .load(conn)?)
}

pub fn delete(conn: &mut AnyConnection, id: &str) -> Result<()> {
    diesel::delete(export_jobs::table.find(id)).execute(conn)?;
    Ok(())
}
