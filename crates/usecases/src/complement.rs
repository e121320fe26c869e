//! The complement loop (DESIGN.md, Dossier states): the instructor reviews each document, asks only for
//! what is missing or rejected (and relevant to the answers), the usager answers on a page listing only
//! what was asked, and the instructor sees what changed, before → after.

use guichet_db::AnyConnection;
use guichet_dossiers::Dossier;
use guichet_dossiers::instruction::Complement;
use guichet_dossiers::reviews::{self, Reason, Review, Verdict};
use guichet_forms::{FieldType, FormDefinition};
use serde_json::Value;

use crate::error::{CaseError, Invalid, Result};
use crate::files;
use crate::instruction::{Need, Staff, acting};

/// Where a document the procedure asks for stands, for the complement form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DocumentStatus {
    /// None received.
    Missing,
    /// At least one file rejected: asked again.
    Rejected(Reason),
    /// Received, not reviewed yet.
    Received,
    /// Every file accepted: never asked again.
    Accepted,
}

/// One document field of the procedure that the answers make relevant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentItem {
    pub field: String,
    pub label: String,
    pub status: DocumentStatus,
}

impl DocumentItem {
    /// What the complement form offers, ticked for what is missing or rejected.
    pub fn askable(&self) -> bool {
        self.status != DocumentStatus::Accepted
    }
    pub fn ticked(&self) -> bool {
        matches!(self.status, DocumentStatus::Missing | DocumentStatus::Rejected(_))
    }
    /// The label with the reason of a rejection: « Pièce d’identité (illisible) ».
    pub fn label_with_reason(&self) -> String {
        match self.status {
            DocumentStatus::Rejected(r) => format!("{} ({})", self.label, r.label()),
            DocumentStatus::Missing => format!("{} (manquant)", self.label),
            _ => self.label.clone(),
        }
    }
}

/// The document fields the answers make visible, each with its review status.
pub fn documents(
    def: &FormDefinition,
    d: &Dossier,
    reviews: &[Review],
    on: chrono::NaiveDate,
) -> Vec<DocumentItem> {
    let answers = d.answers.as_object().cloned().unwrap_or_default();
    let visible = def.visible_field_ids(&answers, on);
    def.steps()
        .iter()
        .flat_map(|s| s.fields.iter())
        .filter(|f| f.kind == FieldType::File && visible.contains(&f.id))
        .map(|f| {
            let ids = files::ids_in(&d.answers, &f.id);
            let mine: Vec<&Review> = reviews.iter().filter(|r| ids.contains(&r.file_id)).collect();
            let rejected = mine.iter().find_map(|r| match r.verdict {
                Verdict::Rejected(reason) => Some(reason),
                Verdict::Accepted => None,
            });
            let status = match (ids.is_empty(), rejected) {
                (true, _) => DocumentStatus::Missing,
                (false, Some(reason)) => DocumentStatus::Rejected(reason),
                (false, None) if mine.len() == ids.len() => DocumentStatus::Accepted,
                (false, None) => DocumentStatus::Received,
            };
            DocumentItem {
                field: f.id.clone(),
                label: f.label.clone(),
                status,
            }
        })
        .collect()
}

/// The instructor reviews one received document.
pub fn review_document(
    conn: &mut AnyConnection,
    staff: &Staff,
    id: &str,
    file_id: &str,
    verdict: Verdict,
    comment: Option<&str>,
) -> Result<()> {
    let (d, _) = acting(conn, staff, id, Need::Act)?;
    let (field, _) = files::referenced_file(&d.answers, file_id).ok_or(CaseError::NotFound)?;
    let comment = comment.map(str::trim).filter(|c| !c.is_empty());
    Ok(reviews::record(
        conn,
        &d.id,
        staff.id(),
        file_id,
        &field,
        verdict,
        comment,
    )?)
}

/// Checks a complement request against the documents' reviews: an accepted document is never asked again.
pub fn check_request(
    def: &FormDefinition,
    d: &Dossier,
    reviews: &[Review],
    c: &Complement,
    on: chrono::NaiveDate,
) -> Result<()> {
    let docs = documents(def, d, reviews, on);
    for f in &c.fields {
        if let Some(doc) = docs.iter().find(|x| &x.field == f)
            && !doc.askable()
        {
            return Err(CaseError::Invalid(vec![Invalid::new(
                "complement-pieces",
                format!(
                    "« {} » a déjà été accepté : il ne peut pas être redemandé",
                    doc.label
                ),
            )]));
        }
    }
    Ok(())
}

/// One item the service asked for, as the usager's complement page lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AskedItem {
    pub field: String,
    pub label: String,
    /// The step where it is answered.
    pub step: String,
    pub is_document: bool,
    /// Already changed or added in the answers being prepared.
    pub done: bool,
}

/// What a pending complement request asks for, and whether each item is done in the answers being
/// prepared (`pending`).
pub fn asked_items(def: &FormDefinition, d: &Dossier, c: &Complement, pending: &Value) -> Vec<AskedItem> {
    c.fields
        .iter()
        .filter_map(|f| {
            let field = def.field(f)?;
            let step = def.step_of_field(f)?.to_owned();
            let is_document = field.kind == FieldType::File;
            let done = if is_document {
                let before = files::ids_in(&d.answers, f);
                files::ids_in(pending, f).iter().any(|id| !before.contains(id))
            } else {
                d.answers.get(f) != pending.get(f)
            };
            Some(AskedItem {
                field: f.clone(),
                label: field.label.clone(),
                step,
                is_document,
                done,
            })
        })
        .collect()
}

/// What the last complement answer changed: (label, before, after) and the ids of the new files.
pub fn last_changes(events: &[guichet_dossiers::Event]) -> (Vec<(String, String, String)>, Vec<String>) {
    let Some(e) = events.iter().rev().find(|e| e.kind == "answer_complement") else {
        return (Vec::new(), Vec::new());
    };
    let p: Value = serde_json::from_str(&e.payload).unwrap_or(Value::Null);
    let text = |v: &Value, k: &str| v.get(k).and_then(Value::as_str).unwrap_or("").to_owned();
    let changes = p
        .get("changes")
        .and_then(Value::as_array)
        .map(|list| {
            list.iter()
                .map(|c| (text(c, "label"), text(c, "before"), text(c, "after")))
                .collect()
        })
        .unwrap_or_default();
    let new_files = p
        .get("new_files")
        .and_then(Value::as_array)
        .map(|l| l.iter().filter_map(Value::as_str).map(str::to_owned).collect())
        .unwrap_or_default();
    (changes, new_files)
}
