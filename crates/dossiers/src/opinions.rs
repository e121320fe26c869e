//! Storage of expert opinions (avis) on a dossier: asked with a question and chosen documents, answered
//! once by the expert. Each is an event of the dossier that the usager never sees.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use guichet_db::schema::opinions;
use guichet_db::{AnyConnection, new_id, now};
use serde_json::json;

use crate::store::{DossierError, Result, insert_event};

pub const ASKED_KIND: &str = "opinion_asked";
pub const ANSWERED_KIND: &str = "opinion_answered";

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = opinions)]
pub struct Opinion {
    pub id: String,
    pub dossier_id: String,
    pub service_code: String,
    pub asked_by: String,
    pub expert_id: String,
    pub question: String,
    pub documents: String,
    pub asked_at: NaiveDateTime,
    pub due_on: NaiveDate,
    pub answer: Option<String>,
    pub answered_at: Option<NaiveDateTime>,
    pub reminded_at: Option<NaiveDateTime>,
}

impl Opinion {
    /// The digests of the files shared with the expert.
    pub fn shared(&self) -> Vec<String> {
        serde_json::from_str(&self.documents).unwrap_or_default()
    }

    pub fn is_open(&self) -> bool {
        self.answered_at.is_none()
    }
}

/// What an instructor asks.
#[derive(Debug, Clone)]
pub struct Ask<'a> {
    pub dossier_id: &'a str,
    pub service_code: &'a str,
    pub asked_by: &'a str,
    pub expert_id: &'a str,
    pub question: &'a str,
    pub documents: &'a [String],
    pub due_on: NaiveDate,
}

pub fn ask(conn: &mut AnyConnection, a: &Ask<'_>) -> Result<Opinion> {
    let id = new_id();
    guichet_db::write_transaction(conn, |conn| {
        diesel::insert_into(opinions::table)
            .values((
                opinions::id.eq(&id),
                opinions::dossier_id.eq(a.dossier_id),
                opinions::service_code.eq(a.service_code),
                opinions::asked_by.eq(a.asked_by),
                opinions::expert_id.eq(a.expert_id),
                opinions::question.eq(a.question),
                opinions::documents.eq(serde_json::to_string(a.documents).unwrap_or_else(|_| "[]".into())),
                opinions::asked_at.eq(now()),
                opinions::due_on.eq(a.due_on),
            ))
            .execute(conn)?;
        insert_event(
            conn,
            a.dossier_id,
            Some(a.asked_by),
            ASKED_KIND,
            None,
            None,
            &json!({ "avis": id, "expert": a.expert_id }),
            false,
        )?;
        find(conn, &id)?.ok_or(DossierError::NotFound)
    })
}

pub fn find(conn: &mut AnyConnection, id: &str) -> Result<Option<Opinion>> {
    Ok(opinions::table
        .find(id)
        .select(Opinion::as_select())
        .first(conn)
        .optional()?)
}

pub fn of_dossier(conn: &mut AnyConnection, dossier_id: &str) -> Result<Vec<Opinion>> {
    Ok(opinions::table
        .filter(opinions::dossier_id.eq(dossier_id))
        .order(opinions::asked_at.asc())
        .select(Opinion::as_select())
        .load(conn)?)
}

/// The opinions asked of an expert, open ones first, then by date.
pub fn of_expert(conn: &mut AnyConnection, expert_id: &str) -> Result<Vec<Opinion>> {
    let mut list: Vec<Opinion> = opinions::table
        .filter(opinions::expert_id.eq(expert_id))
        .order(opinions::asked_at.desc())
        .limit(500)
        .select(Opinion::as_select())
        .load(conn)?;
    list.sort_by_key(|o| (!o.is_open(), o.due_on));
    Ok(list)
}

/// Records the expert's answer, once; `Conflict` when already answered.
pub fn answer(conn: &mut AnyConnection, id: &str, expert_id: &str, text: &str) -> Result<Opinion> {
    guichet_db::write_transaction(conn, |conn| {
        let o = find(conn, id)?.ok_or(DossierError::NotFound)?;
        let n = diesel::update(
            opinions::table
                .filter(opinions::id.eq(id))
                .filter(opinions::expert_id.eq(expert_id))
                .filter(opinions::answered_at.is_null()),
        )
        .set((opinions::answer.eq(text), opinions::answered_at.eq(now())))
        .execute(conn)?;
        if n == 0 {
            return Err(DossierError::Conflict);
        }
        insert_event(
            conn,
            &o.dossier_id,
            Some(expert_id),
            ANSWERED_KIND,
            None,
            None,
            &json!({ "avis": id }),
            false,
        )?;
        find(conn, id)?.ok_or(DossierError::NotFound)
    })
}

/// Unanswered opinions past their date whose expert was not reminded yet.
pub fn late_unreminded(conn: &mut AnyConnection, today: NaiveDate) -> Result<Vec<Opinion>> {
    Ok(opinions::table
        .filter(opinions::answered_at.is_null())
        .filter(opinions::reminded_at.is_null())
        .filter(opinions::due_on.lt(today))
        .select(Opinion::as_select())
        .load(conn)?)
}

pub fn mark_reminded(conn: &mut AnyConnection, id: &str) -> Result<()> {
    diesel::update(opinions::table.find(id))
        .set(opinions::reminded_at.eq(now()))
        .execute(conn)?;
    Ok(())
}
