//! Glue between dossiers and the PDF and file outputs.

use actix_web::HttpResponse;
use actix_web::http::header::{ContentDisposition, DispositionParam, DispositionType};
use guichet_documents::{Answer, ExpectedAnswer, Letterhead, Receipt, Silence, SummarySection};
use guichet_dossiers::Dossier;
use guichet_forms::{FileRef, FormDefinition};
use guichet_types::DossierNumber;

use crate::app::AppState;
use crate::error::{WebError, WebResult};
use guichet_usecases::deadlines::today;

/// The letterhead of the département's documents (its identity: settings over the configuration).
pub fn letterhead(state: &AppState, def: &FormDefinition) -> Letterhead {
    identity(state).letterhead(def.definition().service.clone())
}

pub use guichet_usecases::files::{files_of, files_with_fields, referenced_file};

pub fn is_sensitive_file(def: &FormDefinition, field: &str) -> bool {
    def.field(field).is_some_and(|f| f.sensitive)
}

/// What a reader of this standing may see of the answers (the one rule is in `guichet_dossiers::access`).
pub fn disclosure(standing: guichet_dossiers::access::Standing) -> guichet_forms::Disclosure {
    use guichet_dossiers::access;
    guichet_forms::Disclosure {
        sensitive: access::may_see_sensitive(standing),
        nir_in_full: access::may_see_full_nir(standing),
    }
}

/// Sends a stored file. Read with tokio's file API: a 10 MB document must not hold an executor thread.
pub async fn send_file(state: &AppState, file: &FileRef) -> WebResult<HttpResponse> {
    let path = state.files.path_of(&file.id).ok_or(WebError::NotFound)?;
    // Every download passes here: a file held unscanned, or found infected, is served to nobody.
    let sha = file.id.clone();
    let scan = state
        .pool
        .run(move |c| guichet_dossiers::scans::status(c, &sha).map_err(WebError::from))
        .await?;
    match scan.as_deref() {
        Some(guichet_dossiers::scans::PENDING) => return Err(WebError::ScanPending),
        Some(guichet_dossiers::scans::INFECTED) => return Err(WebError::Infected),
        _ => {}
    }
    let bytes = tokio::fs::read(path).await.map_err(|_| WebError::NotFound)?;
    // PDFs and pictures open in the browser to be checked; the type is the one sniffed at upload and
    // the response is `nosniff` (app.rs), so nothing else can be rendered as a page.
    let inline = matches!(
        file.content_type.as_str(),
        "application/pdf" | "image/jpeg" | "image/png" | "image/webp"
    );
    Ok(HttpResponse::Ok()
        .content_type(file.content_type.clone())
        .insert_header(ContentDisposition {
            disposition: if inline {
                DispositionType::Inline
            } else {
                DispositionType::Attachment
            },
            parameters: vec![DispositionParam::Filename(file.name.clone())],
        })
        .body(bytes))
}

/// The deposit receipt of a dossier, rendered from its stored answers with the version it was filed with.
///
/// The receipt travels (printed, emailed, forwarded): it shows the NIR masked for everyone, and the health
/// answers only to those who may see them.
pub fn receipt(
    state: &AppState,
    d: &Dossier,
    def: &FormDefinition,
    number: DossierNumber,
    standing: guichet_dossiers::access::Standing,
) -> WebResult<Vec<u8>> {
    let answers = d.answers.as_object().cloned().unwrap_or_default();
    let disclosure = guichet_forms::Disclosure {
        nir_in_full: false,
        ..disclosure(standing)
    };
    let sections = def
        .summary_for(
            &answers,
            d.deposited_at.map_or_else(today, |t| t.date()),
            disclosure,
        )
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

/// The département's identity (letters, receipts, pages): the `settings` table over the configuration.
pub fn identity(state: &AppState) -> guichet_usecases::letters::Identity {
    state.identity.get()
}

/// The decision letter of a decided dossier: one section per right, with the CDAPH sittings that decided
/// them (« réunie le … »; none for the other procedures).
pub fn decision_at_sittings(
    state: &AppState,
    d: &Dossier,
    def: &FormDefinition,
    rights: &[guichet_dossiers::rights::Right],
    sittings: &[guichet_dossiers::commission::Session],
) -> WebResult<Vec<u8>> {
    if !d.state.is_decided() {
        return Err(WebError::NotFound);
    }
    let letter = guichet_usecases::letters::decision_at_sittings(&identity(state), def, d, rights, sittings)?;
    guichet_documents::render_decision(&letter).map_err(|e| WebError::Internal(e.to_string()))
}
