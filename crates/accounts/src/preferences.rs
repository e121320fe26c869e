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

/// Which news an agent wants by email, and how.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Notifications {
    pub new_dossier: bool,
    pub message: bool,
    pub complement: bool,
    pub opinion: bool,
    pub deadline: bool,
    /// One email a day instead of one per quarter of an hour.
    pub digest: bool,
}

impl Default for Notifications {
    /// Everything about the agent's own dossiers, at once; no email per new dossier of the service.
    fn default() -> Self {
        Notifications {
            new_dossier: false,
            message: true,
            complement: true,
            opinion: true,
            deadline: true,
            digest: false,
        }
    }
}

impl Notifications {
    pub fn any(&self) -> bool {
        self.new_dossier || self.message || self.complement || self.opinion || self.deadline
    }
}

/// The agent's settings and when their last notification email was written.
pub fn notifications_of(
    conn: &mut AnyConnection,
    user_id: &str,
) -> Result<(Notifications, Option<NaiveDateTime>)> {
    use guichet_db::schema::agent_notifications as n;
    type Row = (bool, bool, bool, bool, bool, bool, Option<NaiveDateTime>);
    let row: Option<Row> = n::table
        .find(user_id)
        .select((
            n::new_dossier,
            n::message,
            n::complement,
            n::opinion,
            n::deadline,
            n::digest,
            n::last_sent_at,
        ))
        .first(conn)
        .optional()?;
    Ok(match row {
        Some((new_dossier, message, complement, opinion, deadline, digest, last)) => (
            Notifications {
                new_dossier,
                message,
                complement,
                opinion,
                deadline,
                digest,
            },
            last,
        ),
        None => (Notifications::default(), None),
    })
}

pub fn set_notifications(conn: &mut AnyConnection, user_id: &str, s: &Notifications) -> Result<()> {
    use guichet_db::schema::agent_notifications as n;
    guichet_db::write_transaction(conn, |conn| {
        let (_, last) = notifications_of(conn, user_id)?;
        diesel::delete(n::table.find(user_id)).execute(conn)?;
        // The first email after a change starts from now: no backlog of old news.
        insert_notifications(conn, user_id, s, last.unwrap_or_else(now))
    })
}

/// Records that the agent's news up to `at` were sent.
pub fn mark_notified(conn: &mut AnyConnection, user_id: &str, at: NaiveDateTime) -> Result<()> {
    use guichet_db::schema::agent_notifications as n;
    let updated = diesel::update(n::table.find(user_id))
        .set(n::last_sent_at.eq(at))
        .execute(conn)?;
    if updated == 0 {
        insert_notifications(conn, user_id, &Notifications::default(), at)?;
    }
    Ok(())
}

fn insert_notifications(
    conn: &mut AnyConnection,
    user_id: &str,
    s: &Notifications,
    last_sent_at: NaiveDateTime,
) -> Result<()> {
    use guichet_db::schema::agent_notifications as n;
    diesel::insert_into(n::table)
        .values((
            n::user_id.eq(user_id),
            n::new_dossier.eq(s.new_dossier),
            n::message.eq(s.message),
            n::complement.eq(s.complement),
            n::opinion.eq(s.opinion),
            n::deadline.eq(s.deadline),
            n::digest.eq(s.digest),
            n::last_sent_at.eq(last_sent_at),
        ))
        .execute(conn)?;
    Ok(())
}
