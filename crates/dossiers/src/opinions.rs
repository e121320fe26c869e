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
    /// `None` for an expert without an account, reached by a one-time link.
    pub expert_id: Option<String>,
    pub question: String,
    pub documents: String,
    pub asked_at: NaiveDateTime,
    pub due_on: NaiveDate,
    pub answer: Option<String>,
    pub answered_at: Option<NaiveDateTime>,
    pub reminded_at: Option<NaiveDateTime>,
    pub expert_name: Option<String>,
    pub expert_email: Option<String>,
    /// SHA-256 of the one-time link's token; cleared once the answer is given.
    pub link_hash: Option<String>,
    pub link_expires_at: Option<NaiveDateTime>,
}

impl Opinion {
    /// The digests of the files shared with the expert.
    pub fn shared(&self) -> Vec<String> {
        serde_json::from_str(&self.documents).unwrap_or_default()
    }

    pub fn is_open(&self) -> bool {
        self.answered_at.is_none()
    }

    /// Asked of someone outside the platform, by a link.
    pub fn is_external(&self) -> bool {
        self.expert_id.is_none()
    }

    /// How the history and the back office name an expert reached by link.
    pub fn external_label(&self) -> String {
        format!(
            "{} (expert extérieur, {})",
            self.expert_name.as_deref().unwrap_or("sans nom"),
            self.expert_email.as_deref().unwrap_or("sans adresse")
        )
    }
}

/// Who is asked: a member of the service, or someone without an account reached by a one-time link.
#[derive(Debug, Clone)]
pub enum Expert<'a> {
    Member(&'a str),
    External {
        name: &'a str,
        email: &'a str,
        link_hash: &'a str,
        expires_at: NaiveDateTime,
    },
}

/// What an instructor asks.
#[derive(Debug, Clone)]
pub struct Ask<'a> {
    pub dossier_id: &'a str,
    pub service_code: &'a str,
    pub asked_by: &'a str,
    pub expert: Expert<'a>,
    pub question: &'a str,
    pub documents: &'a [String],
    pub due_on: NaiveDate,
}

pub fn ask(conn: &mut AnyConnection, a: &Ask<'_>) -> Result<Opinion> {
    let id = new_id();
    let (expert_id, name, email, hash, expires) = match &a.expert {
        Expert::Member(uid) => (Some(*uid), None, None, None, None),
        Expert::External {
            name,
            email,
            link_hash,
            expires_at,
        } => (
            None,
            Some(*name),
            Some(*email),
            Some(*link_hash),
            Some(*expires_at),
        ),
    };
    guichet_db::write_transaction(conn, |conn| {
        diesel::insert_into(opinions::table)
            .values((
                opinions::id.eq(&id),
                opinions::dossier_id.eq(a.dossier_id),
                opinions::service_code.eq(a.service_code),
                opinions::asked_by.eq(a.asked_by),
                opinions::expert_id.eq(expert_id),
                opinions::expert_name.eq(name),
                opinions::expert_email.eq(email),
                opinions::link_hash.eq(hash),
                opinions::link_expires_at.eq(expires),
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
            &json!({ "avis": id, "expert": expert_id, "externe": email }),
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

/// The open opinion a one-time link opens, while the link is valid.
pub fn find_by_link(conn: &mut AnyConnection, link_hash: &str) -> Result<Option<Opinion>> {
    Ok(opinions::table
        .filter(opinions::link_hash.eq(link_hash))
        .filter(opinions::answered_at.is_null())
        .filter(opinions::link_expires_at.gt(now()))
        .select(Opinion::as_select())
        .first(conn)
        .optional()?)
}

/// Records the answer given through a one-time link and spends the link; `Conflict` when it was spent.
pub fn answer_by_link(conn: &mut AnyConnection, link_hash: &str, text: &str) -> Result<Opinion> {
    guichet_db::write_transaction(conn, |conn| {
        let o = find_by_link(conn, link_hash)?.ok_or(DossierError::Conflict)?;
        let n = diesel::update(
            opinions::table
                .filter(opinions::id.eq(&o.id))
                .filter(opinions::link_hash.eq(link_hash))
                .filter(opinions::answered_at.is_null()),
        )
        .set((
            opinions::answer.eq(text),
            opinions::answered_at.eq(now()),
            opinions::link_hash.eq(None::<String>),
        ))
        .execute(conn)?;
        if n == 0 {
            return Err(DossierError::Conflict);
        }
        crate::store::insert_event_as(
            conn,
            &o.dossier_id,
            &o.external_label(),
            ANSWERED_KIND,
            &json!({ "avis": o.id, "externe": o.expert_email }),
            false,
        )?;
        find(conn, &o.id)?.ok_or(DossierError::NotFound)
    })
}

/// A new link for an external expert (a reminder carries it: only digests are kept, so the old link cannot
/// be sent again); the old one stops working.
pub fn renew_link(
    conn: &mut AnyConnection,
    id: &str,
    link_hash: &str,
    expires_at: NaiveDateTime,
) -> Result<()> {
    diesel::update(
        opinions::table
            .filter(opinions::id.eq(id))
            .filter(opinions::expert_id.is_null())
            .filter(opinions::answered_at.is_null()),
    )
    .set((
        opinions::link_hash.eq(link_hash),
        opinions::link_expires_at.eq(expires_at),
    ))
    .execute(conn)?;
    Ok(())
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
