//! An agent's own ways of working: queue views saved under a name, export columns per procedure.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use guichet_db::schema::{export_templates, saved_views};
use guichet_db::{AnyConnection, new_id, now};

use crate::{AccountsError, Result};

/// The most views an agent keeps (a short list above the queue, not a library).
pub const MAX_VIEWS: i64 = 20;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = saved_views)]
pub struct SavedView {
    pub id: String,
    pub user_id: String,
    pub name: String,
    pub query: String,
    pub created_at: NaiveDateTime,
}

pub fn views_of(conn: &mut AnyConnection, user_id: &str) -> Result<Vec<SavedView>> {
    Ok(saved_views::table
        .filter(saved_views::user_id.eq(user_id))
        .order(saved_views::name.asc())
        .select(SavedView::as_select())
        .load(conn)?)
}

/// Saves the view under its name (the same name replaces the older view); French errors for the page.
pub fn save_view(conn: &mut AnyConnection, user_id: &str, name: &str, query: &str) -> Result<()> {
    let name: String = name.trim().chars().take(60).collect();
    if name.is_empty() {
        return Err(AccountsError::InvalidInput(
            "Donnez un nom à cette vue, par exemple « APA à échéance proche »".into(),
        ));
    }
    guichet_db::write_transaction(conn, |conn| {
        let replaced = diesel::update(
            saved_views::table
                .filter(saved_views::user_id.eq(user_id))
                .filter(saved_views::name.eq(&name)),
        )
        .set(saved_views::query.eq(query))
        .execute(conn)?;
        if replaced > 0 {
            return Ok(());
        }
        let count: i64 = saved_views::table
            .filter(saved_views::user_id.eq(user_id))
            .count()
            .get_result(conn)?;
        if count >= MAX_VIEWS {
            return Err(AccountsError::InvalidInput(format!(
                "Vous avez déjà {MAX_VIEWS} vues enregistrées : supprimez-en une d’abord"
            )));
        }
        diesel::insert_into(saved_views::table)
            .values((
                saved_views::id.eq(new_id()),
                saved_views::user_id.eq(user_id),
                saved_views::name.eq(&name),
                saved_views::query.eq(query),
                saved_views::created_at.eq(now()),
            ))
            .execute(conn)?;
        Ok(())
    })
}

/// Deletes one of the agent's views (another's is left alone: ids reveal nothing).
pub fn delete_view(conn: &mut AnyConnection, user_id: &str, id: &str) -> Result<()> {
    diesel::delete(
        saved_views::table
            .filter(saved_views::user_id.eq(user_id))
            .filter(saved_views::id.eq(id)),
    )
    .execute(conn)?;
    Ok(())
}

/// The column keys the agent chose for a procedure's exports; empty when none were chosen.
pub fn export_columns(conn: &mut AnyConnection, user_id: &str, procedure: &str) -> Result<Vec<String>> {
    let stored: Option<String> = export_templates::table
        .find((user_id, procedure))
        .select(export_templates::column_keys)
        .first(conn)
        .optional()?;
    Ok(stored
        .and_then(|s| serde_json::from_str(&s).ok())
        .unwrap_or_default())
}

/// Records the columns (none: back to every column).
pub fn set_export_columns(
    conn: &mut AnyConnection,
    user_id: &str,
    procedure: &str,
    columns: &[String],
) -> Result<()> {
    guichet_db::write_transaction(conn, |conn| {
        diesel::delete(export_templates::table.find((user_id, procedure))).execute(conn)?;
        if !columns.is_empty() {
            diesel::insert_into(export_templates::table)
                .values((
                    export_templates::user_id.eq(user_id),
                    export_templates::procedure.eq(procedure),
                    export_templates::column_keys.eq(serde_json::to_string(columns).unwrap_or_default()),
                    export_templates::updated_at.eq(now()),
                ))
                .execute(conn)?;
        }
        Ok(())
    })
}
