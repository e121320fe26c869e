//! « Mes documents »: the documents a person sent with a request, kept with their kind and date and
//! offered again (« utiliser un document déjà fourni ») to a later request asking for that kind while the
//! document is still valid under that procedure's rule; each reuse is recorded in the answer.

use chrono::{Months, NaiveDate};
use guichet_db::AnyConnection;
use guichet_dossiers::store::Dossier;
use guichet_dossiers::vault::{self, NewDocument, VaultDocument};
use guichet_forms::{Answers, FieldType, FileRef, FormDefinition};
use serde_json::Value;

use crate::error::Result;

/// Keeps, in the filer's documents, every file of a known kind the dossier was sent with.
pub fn keep_from_dossier(conn: &mut AnyConnection, def: &FormDefinition, d: &Dossier) -> Result<()> {
    for step in def.steps() {
        for f in step.fields.iter().filter(|f| f.kind == FieldType::File) {
            let Some(kind) = f.document_kind.as_deref() else {
                continue;
            };
            let Some(Value::Array(items)) = d.answers.get(&f.id) else {
                continue;
            };
            for item in items {
                let Ok(file) = serde_json::from_value::<FileRef>(item.clone()) else {
                    continue;
                };
                vault::keep(
                    conn,
                    &NewDocument {
                        user_id: &d.owner_id,
                        kind,
                        file_id: &file.id,
                        name: &file.name,
                        size_bytes: i64::try_from(file.size).unwrap_or(i64::MAX),
                        content_type: &file.content_type,
                        document_date: file
                            .document_date
                            .as_deref()
                            .and_then(|s| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()),
                        beneficiary: &d.applicant_name,
                        source_dossier_id: Some(&d.id),
                    },
                )?;
            }
        }
    }
    Ok(())
}

/// Whether a kept document is still valid for a field asking `months` at most (none: always).
fn valid_for(doc: &VaultDocument, months: Option<u32>, today: NaiveDate) -> bool {
    match (months, doc.document_date) {
        (None, _) => true,
        (Some(_), None) => false,
        (Some(m), Some(d)) => {
            today
                .checked_sub_months(Months::new(m))
                .is_none_or(|oldest| d >= oldest)
                && d <= today
        }
    }
}

/// Whether a kept document is past its kind's usual validity (flagged « périmé » in « Mes documents »).
pub fn expired(doc: &VaultDocument, today: NaiveDate) -> bool {
    let usual = guichet_forms::DOCUMENT_KINDS
        .iter()
        .find(|(k, _, _)| *k == doc.kind)
        .and_then(|(_, _, m)| *m);
    usual.is_some() && !valid_for(doc, usual, today)
}

/// What the person's documents offer for a field: those of its kind, valid under its rule, not attached
/// already; nothing when the field is full.
pub fn offers_for(
    docs: &[VaultDocument],
    def: &FormDefinition,
    field: &str,
    answers: &Answers,
    today: NaiveDate,
) -> Vec<VaultDocument> {
    let Some(f) = def.field(field) else {
        return Vec::new();
    };
    let Some(kind) = f.document_kind.as_deref() else {
        return Vec::new();
    };
    let attached: Vec<String> = match answers.get(field) {
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(|i| i.get("id").and_then(Value::as_str).map(str::to_owned))
            .collect(),
        _ => Vec::new(),
    };
    if attached.len() >= f.max_files.unwrap_or(1) as usize {
        return Vec::new();
    }
    docs.iter()
        .filter(|d| d.kind == kind && !attached.contains(&d.file_id))
        .filter(|d| valid_for(d, f.validity_months, today))
        .cloned()
        .collect()
}

/// Attaches one of the person's documents to a field of the answers (« Utiliser ce document »). The
/// message says, in French, why it cannot be (nothing is changed then).
pub fn reuse(
    conn: &mut AnyConnection,
    user_id: &str,
    def: &FormDefinition,
    field: &str,
    document_id: &str,
    answers: &mut Answers,
    today: NaiveDate,
) -> Result<std::result::Result<(), String>> {
    let Some(doc) = vault::find(conn, user_id, document_id)? else {
        return Ok(Err(
            "Ce document ne se trouve plus dans « Mes documents » : ajoutez le fichier.".into(),
        ));
    };
    let offered = offers_for(std::slice::from_ref(&doc), def, field, answers, today);
    if offered.is_empty() {
        return Ok(Err(format!(
            "Le document « {} » ne convient pas ici (trop ancien pour cette demande, ou déjà joint) : ajoutez un document plus récent.",
            doc.name
        )));
    }
    attach(answers, field, &doc);
    Ok(Ok(()))
}

/// Adds a kept document to a field's files, saying where it comes from.
pub(crate) fn attach(answers: &mut Answers, field: &str, doc: &VaultDocument) {
    let file = FileRef {
        id: doc.file_id.clone(),
        name: doc.name.clone(),
        size: u64::try_from(doc.size_bytes).unwrap_or(0),
        content_type: doc.content_type.clone(),
        document_date: doc.document_date.map(|d| d.format("%Y-%m-%d").to_string()),
        vault: Some(doc.id.clone()),
    };
    let list = answers
        .entry(field.to_owned())
        .or_insert_with(|| Value::Array(Vec::new()));
    if !list.is_array() {
        *list = Value::Array(Vec::new());
    }
    if let (Some(items), Ok(v)) = (list.as_array_mut(), serde_json::to_value(file)) {
        items.push(v);
    }
}

/// The person's documents, each with whether it is past its usual validity.
pub fn list(conn: &mut AnyConnection, user_id: &str, today: NaiveDate) -> Result<Vec<(VaultDocument, bool)>> {
    Ok(vault::of_user(conn, user_id)?
        .into_iter()
        .map(|d| {
            let old = expired(&d, today);
            (d, old)
        })
        .collect())
}

/// Deletes one of the person's documents from their space (the copies in sent requests stay).
pub fn delete(conn: &mut AnyConnection, user_id: &str, id: &str) -> Result<()> {
    if vault::delete(conn, user_id, id)? {
        Ok(())
    } else {
        Err(crate::error::CaseError::NotFound)
    }
}
