//! Storage of the back office's batch actions: a batch and its items, each item done or refused on its
//! own (`usecases::batch` runs them). The rows are the report: what was asked, what each dossier became.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use guichet_db::schema::{batch_items, batches};
use guichet_db::{AnyConnection, new_id, now};

use crate::store::Result;

pub const PENDING: &str = "en_attente";
pub const DONE: &str = "fait";
pub const REFUSED: &str = "refuse";

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = batches)]
pub struct Batch {
    pub id: String,
    pub user_id: String,
    pub action: String,
    pub params: String,
    pub total: i32,
    pub created_at: NaiveDateTime,
    pub finished_at: Option<NaiveDateTime>,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = batch_items)]
pub struct Item {
    pub batch_id: String,
    pub position: i32,
    pub dossier_id: String,
    pub dossier_number: String,
    pub status: String,
    pub reason: String,
    pub done_at: Option<NaiveDateTime>,
}

/// A new batch of these dossiers (id, number), every item pending; returns its id.
pub fn create(
    conn: &mut AnyConnection,
    user_id: &str,
    action: &str,
    params: &str,
    dossiers: &[(String, String)],
) -> Result<String> {
    let id = new_id();
    let at = now();
    guichet_db::write_transaction(conn, |conn| {
        diesel::insert_into(batches::table)
            .values((
                batches::id.eq(&id),
                batches::user_id.eq(user_id),
                batches::action.eq(action),
                batches::params.eq(params),
                batches::total.eq(i32::try_from(dossiers.len()).unwrap_or(i32::MAX)),
                batches::created_at.eq(at),
            ))
            .execute(conn)?;
        // One row per statement: the multi-backend connection has no multi-row insert; one transaction.
        for (i, (dossier, number)) in dossiers.iter().enumerate() {
            diesel::insert_into(batch_items::table)
                .values((
                    batch_items::batch_id.eq(&id),
                    batch_items::position.eq(i32::try_from(i).unwrap_or(i32::MAX)),
                    batch_items::dossier_id.eq(dossier),
                    batch_items::dossier_number.eq(number),
                ))
                .execute(conn)?;
        }
        Ok(id.clone())
    })
}

pub fn find(conn: &mut AnyConnection, id: &str) -> Result<Option<Batch>> {
    Ok(batches::table
        .find(id)
        .select(Batch::as_select())
        .first(conn)
        .optional()?)
}

/// The items in their order.
pub fn items(conn: &mut AnyConnection, id: &str) -> Result<Vec<Item>> {
    Ok(batch_items::table
        .filter(batch_items::batch_id.eq(id))
        .order(batch_items::position.asc())
        .select(Item::as_select())
        .load(conn)?)
}

/// The items still to do, in their order.
pub fn pending(conn: &mut AnyConnection, id: &str) -> Result<Vec<Item>> {
    Ok(batch_items::table
        .filter(batch_items::batch_id.eq(id))
        .filter(batch_items::status.eq(PENDING))
        .order(batch_items::position.asc())
        .select(Item::as_select())
        .load(conn)?)
}

/// Records what became of one item (only once: a pending item).
pub fn settle(
    conn: &mut AnyConnection,
    batch: &str,
    position: i32,
    status: &str,
    reason: &str,
) -> Result<()> {
    diesel::update(
        batch_items::table
            .filter(batch_items::batch_id.eq(batch))
            .filter(batch_items::position.eq(position))
            .filter(batch_items::status.eq(PENDING)),
    )
    .set((
        batch_items::status.eq(status),
        batch_items::reason.eq(reason),
        batch_items::done_at.eq(now()),
    ))
    .execute(conn)?;
    Ok(())
}

pub fn finish(conn: &mut AnyConnection, id: &str) -> Result<()> {
    diesel::update(batches::table.find(id))
        .set(batches::finished_at.eq(now()))
        .execute(conn)?;
    Ok(())
}

/// The batches left unfinished (the server stopped while they ran), oldest first.
pub fn unfinished(conn: &mut AnyConnection) -> Result<Vec<Batch>> {
    Ok(batches::table
        .filter(batches::finished_at.is_null())
        .order(batches::created_at.asc())
        .select(Batch::as_select())
        .load(conn)?)
}

/// The agent's latest batches, newest first.
pub fn recent_of(conn: &mut AnyConnection, user_id: &str, limit: i64) -> Result<Vec<Batch>> {
    Ok(batches::table
        .filter(batches::user_id.eq(user_id))
        .order(batches::created_at.desc())
        .limit(limit)
        .select(Batch::as_select())
        .load(conn)?)
}
