//! The instructor's review of each document received: accepted, or rejected with a reason. Rejected and
//! missing documents prefill the complement request; accepted ones are never asked again.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use guichet_db::schema::document_reviews;
use guichet_db::{AnyConnection, now};
use serde_json::json;

use crate::store::{Result, insert_event};

/// Why a document is rejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    Illisible,
    Perime,
    Incomplet,
    MauvaisDocument,
}

impl Reason {
    pub const ALL: [Reason; 4] = [
        Reason::Illisible,
        Reason::Perime,
        Reason::Incomplet,
        Reason::MauvaisDocument,
    ];
    pub const fn as_str(self) -> &'static str {
        match self {
            Reason::Illisible => "illisible",
            Reason::Perime => "perime",
            Reason::Incomplet => "incomplet",
            Reason::MauvaisDocument => "mauvais_document",
        }
    }
    /// As the usager reads it after the document's name.
    pub const fn label(self) -> &'static str {
        match self {
            Reason::Illisible => "illisible",
            Reason::Perime => "périmé",
            Reason::Incomplet => "incomplet",
            Reason::MauvaisDocument => "ce n’est pas le document demandé",
        }
    }
    pub fn parse(s: &str) -> Option<Reason> {
        Reason::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

/// The verdict on one document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Accepted,
    Rejected(Reason),
}

/// One document's review.
#[derive(Debug, Clone, PartialEq)]
pub struct Review {
    pub file_id: String,
    pub field: String,
    pub verdict: Verdict,
    pub comment: Option<String>,
    pub reviewed_by: String,
    pub reviewed_at: NaiveDateTime,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = document_reviews)]
struct Row {
    file_id: String,
    field: String,
    verdict: String,
    reason: Option<String>,
    comment: Option<String>,
    reviewed_by: String,
    reviewed_at: NaiveDateTime,
}

/// The reviews of a dossier's documents.
pub fn of(conn: &mut AnyConnection, dossier_id: &str) -> Result<Vec<Review>> {
    Ok(document_reviews::table
        .filter(document_reviews::dossier_id.eq(dossier_id))
        .select(Row::as_select())
        .load(conn)?
        .into_iter()
        .map(|r| Review {
            verdict: match r.reason.as_deref().and_then(Reason::parse) {
                Some(reason) if r.verdict == "rejete" => Verdict::Rejected(reason),
                _ => Verdict::Accepted,
            },
            file_id: r.file_id,
            field: r.field,
            comment: r.comment,
            reviewed_by: r.reviewed_by,
            reviewed_at: r.reviewed_at,
        })
        .collect())
}

/// Records (or changes) the review of one document, with an internal event.
pub fn record(
    conn: &mut AnyConnection,
    dossier_id: &str,
    actor_id: &str,
    file_id: &str,
    field: &str,
    verdict: Verdict,
    comment: Option<&str>,
) -> Result<()> {
    let (v, reason) = match verdict {
        Verdict::Accepted => ("accepte", None),
        Verdict::Rejected(r) => ("rejete", Some(r.as_str())),
    };
    let t = now();
    guichet_db::write_transaction(conn, |conn| {
        diesel::delete(
            document_reviews::table
                .filter(document_reviews::dossier_id.eq(dossier_id))
                .filter(document_reviews::file_id.eq(file_id)),
        )
        .execute(conn)?;
        diesel::insert_into(document_reviews::table)
            .values((
                document_reviews::dossier_id.eq(dossier_id),
                document_reviews::file_id.eq(file_id),
                document_reviews::field.eq(field),
                document_reviews::verdict.eq(v),
                document_reviews::reason.eq(reason),
                document_reviews::comment.eq(comment),
                document_reviews::reviewed_by.eq(actor_id),
                document_reviews::reviewed_at.eq(t),
            ))
            .execute(conn)?;
        insert_event(
            conn,
            dossier_id,
            Some(actor_id),
            "document_reviewed",
            None,
            None,
            &json!({ "file": file_id, "field": field, "verdict": v, "reason": reason }),
            false,
        )
    })
}
