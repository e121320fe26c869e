//! A person's documents kept across requests (« Mes documents »): what the use cases need to keep, list,
//! offer again and delete them. The bytes stay in the content-addressed file store; an entry here is only
//! the person's way back to a file they already sent.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use guichet_db::schema::vault_documents as vd;
use guichet_db::{AnyConnection, new_id, now};

use crate::store::Result;

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = vd)]
pub struct VaultDocument {
    pub id: String,
    pub user_id: String,
    /// `identite`, `domicile`… (`guichet_forms::DOCUMENT_KINDS`).
    pub kind: String,
    /// The file store's key (content hash).
    pub file_id: String,
    pub name: String,
    pub size_bytes: i64,
    pub content_type: String,
    pub document_date: Option<NaiveDate>,
    /// For whom it was given (the beneficiary's name then).
    pub beneficiary: String,
    pub source_dossier_id: Option<String>,
    pub created_at: NaiveDateTime,
}

/// A document to keep.
#[derive(Debug, Clone)]
pub struct NewDocument<'a> {
    pub user_id: &'a str,
    pub kind: &'a str,
    pub file_id: &'a str,
    pub name: &'a str,
    pub size_bytes: i64,
    pub content_type: &'a str,
    pub document_date: Option<NaiveDate>,
    pub beneficiary: &'a str,
    pub source_dossier_id: Option<&'a str>,
}

/// Keeps a document, once per person and file: the same file sent again keeps its first entry.
pub fn keep(conn: &mut AnyConnection, doc: &NewDocument<'_>) -> Result<()> {
    let exists: i64 = vd::table
        .filter(vd::user_id.eq(doc.user_id))
        .filter(vd::file_id.eq(doc.file_id))
        .count()
        .get_result(conn)?;
    if exists > 0 {
        return Ok(());
    }
    diesel::insert_into(vd::table)
        .values((
            vd::id.eq(new_id()),
            vd::user_id.eq(doc.user_id),
            vd::kind.eq(doc.kind),
            vd::file_id.eq(doc.file_id),
            vd::name.eq(doc.name),
            vd::size_bytes.eq(doc.size_bytes),
            vd::content_type.eq(doc.content_type),
            vd::document_date.eq(doc.document_date),
            vd::beneficiary.eq(doc.beneficiary),
            vd::source_dossier_id.eq(doc.source_dossier_id),
            vd::created_at.eq(now()),
        ))
        .execute(conn)?;
    Ok(())
}

/// The person's documents, newest first.
pub fn of_user(conn: &mut AnyConnection, user_id: &str) -> Result<Vec<VaultDocument>> {
    Ok(vd::table
        .filter(vd::user_id.eq(user_id))
        .order((vd::created_at.desc(), vd::id.desc()))
        .select(VaultDocument::as_select())
        .load(conn)?)
}

/// One of the person's documents (another person's is not found).
pub fn find(conn: &mut AnyConnection, user_id: &str, id: &str) -> Result<Option<VaultDocument>> {
    Ok(vd::table
        .filter(vd::user_id.eq(user_id))
        .filter(vd::id.eq(id))
        .select(VaultDocument::as_select())
        .first(conn)
        .optional()?)
}

/// Removes a document from the person's space; the copies attached to dossiers stay. Returns whether
/// there was one.
pub fn delete(conn: &mut AnyConnection, user_id: &str, id: &str) -> Result<bool> {
    Ok(diesel::delete(vd::table.filter(vd::user_id.eq(user_id)).filter(vd::id.eq(id))).execute(conn)? > 0)
}

/// Every document of the person (their account is closed).
pub fn delete_all(conn: &mut AnyConnection, user_id: &str) -> Result<usize> {
    Ok(diesel::delete(vd::table.filter(vd::user_id.eq(user_id))).execute(conn)?)
}
