//! Glue between dossiers and the PDF and file outputs.

use actix_web::HttpResponse;
use actix_web::http::header::{ContentDisposition, DispositionParam, DispositionType};
use guichet_documents::{Answer, ExpectedAnswer, Letterhead, Receipt, Silence, SummarySection};
use guichet_dossiers::Dossier;
use guichet_forms::{FileRef, FormDefinition};
use guichet_types::DossierNumber;
use serde_json::Value;

use crate::app::AppState;
use crate::error::{WebError, WebResult};
use crate::procedures::today;

pub fn letterhead(state: &AppState, def: &FormDefinition) -> Letterhead {
    Letterhead {
        name: state.settings.config.departement.clone(),
        service: def.definition().service.clone(),
        address_lines: Vec::new(),
        contact_lines: vec![state.settings.public_url.clone()],
    }
}

/// Every file the answers reference (top-level file fields and files inside repeating groups).
pub fn files_of(answers: &Value) -> Vec<FileRef> {
    let mut out = Vec::new();
    let mut visit = |v: &Value| {
        if let Value::Array(items) = v {
            for item in items {
                if let Ok(f) = serde_json::from_value::<FileRef>(item.clone()) {
                    out.push(f);
                }
            }
        }
    };
    if let Value::Object(map) = answers {
        for v in map.values() {
            visit(v);
            if let Value::Array(items) = v {
                for item in items.iter().filter_map(Value::as_object) {
                    for sub in item.values() {
                        visit(sub);
                    }
                }
            }
        }
    }
    out
}

pub fn referenced_file(answers: &Value, sha: &str) -> Option<FileRef> {
    files_of(answers).into_iter().find(|f| f.id == sha)
}

pub fn send_file(state: &AppState, file: &FileRef) -> WebResult<HttpResponse> {
    let path = state.files.path_of(&file.id).ok_or(WebError::NotFound)?;
    let bytes = std::fs::read(path).map_err(|_| WebError::NotFound)?;
    Ok(HttpResponse::Ok()
        .content_type(file.content_type.clone())
        .insert_header(ContentDisposition {
            disposition: DispositionType::Attachment,
            parameters: vec![DispositionParam::Filename(file.name.clone())],
        })
        .body(bytes))
}

/// The deposit receipt of a dossier, rendered from its stored answers with the version it was filed with.
pub fn receipt(
    state: &AppState,
    d: &Dossier,
    def: &FormDefinition,
    number: DossierNumber,
) -> WebResult<Vec<u8>> {
    let answers = d.answers.as_object().cloned().unwrap_or_default();
    let sections = def
        .summary(&answers, d.deposited_at.map_or_else(today, |t| t.date()))
        .into_iter()
        .map(|s| {
            SummarySection::new(
                s.title,
                s.rows
                    .into_iter()
                    .map(|r| Answer::new(r.label, r.value))
                    .collect(),
            )
        })
        .collect();
    let receipt = Receipt {
        letterhead: letterhead(state, def),
        dossier_number: number,
        deposited_at: d.deposited_at.unwrap_or_else(guichet_db::now),
        procedure_title: def.title().to_owned(),
        applicant_name: d.applicant_name.clone(),
        sections,
        documents: files_of(&d.answers).into_iter().map(|f| f.name).collect(),
        expected_answer: d.due_at.map(|due| ExpectedAnswer {
            by: due.date(),
            silence: Silence::for_procedure(&d.procedure),
        }),
    };
    guichet_documents::render_receipt(&receipt).map_err(|e| WebError::Internal(e.to_string()))
}
