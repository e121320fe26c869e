//! Messages between the usager and the service, with attached files (both sides).

use guichet_dossiers::instruction::{Attachment, Message, NewAttachment};

use crate::submission::Submission;
use crate::uploads::Received;

/// The file input of the message forms.
pub const FILE_FIELD: &str = "piece_jointe";

/// Size bound (MB) and types of a message's attached files.
pub fn file_rule(name: &str) -> Option<crate::submission::FileRule> {
    (name == FILE_FIELD).then(|| {
        (
            10,
            vec!["application/pdf".into(), "image/jpeg".into(), "image/png".into()],
        )
    })
}

/// The stored files of a submission, and the French reasons of the refused ones.
pub fn attachments(sub: &Submission) -> (Vec<NewAttachment>, Vec<String>) {
    let mut ok = Vec::new();
    let mut refused = Vec::new();
    for f in &sub.files {
        match f {
            Received::Stored(s) => ok.push(NewAttachment {
                filename: s.name.clone(),
                content_type: s.content_type.clone(),
                size: i64::try_from(s.size).unwrap_or(i64::MAX),
                sha256: s.sha256.clone(),
            }),
            Received::Refused { message, .. } => refused.push(message.clone()),
            Received::Empty => {}
        }
    }
    (ok, refused)
}

/// A message as sent: its text and stored files, or (when refused) the errors to show with the text kept.
pub enum Incoming {
    Ok {
        body: String,
        files: Vec<NewAttachment>,
    },
    Refused {
        errors: Vec<(String, String)>,
        body: String,
    },
}

/// Bytes of the files already attached to a dossier's messages.
pub async fn attachment_bytes(
    state: &crate::app::AppState,
    dossier_id: &str,
) -> crate::error::WebResult<u64> {
    let id = dossier_id.to_owned();
    let files = state
        .pool
        .run(move |c| {
            guichet_dossiers::instruction::attachments_of(c, &id).map_err(crate::error::WebError::from)
        })
        .await?;
    Ok(files
        .iter()
        .map(|a| u64::try_from(a.size_bytes).unwrap_or(0))
        .sum())
}

/// Bytes a dossier's files take: its form files (answers and pending answers) and its attachments.
async fn dossier_bytes(state: &crate::app::AppState, dossier_id: &str) -> crate::error::WebResult<u64> {
    let id = dossier_id.to_owned();
    let d = state
        .pool
        .run(move |c| guichet_dossiers::store::find(c, &id).map_err(crate::error::WebError::from))
        .await?
        .ok_or(crate::error::WebError::NotFound)?;
    let form: u64 = std::iter::once(&d.answers)
        .chain(d.pending_answers.as_ref())
        .flat_map(crate::documents::files_of)
        .map(|f| f.size)
        .sum();
    Ok(form + attachment_bytes(state, dossier_id).await?)
}

/// Reads a message form (both sides use the same one) for a dossier: at most `max_message_files` files,
/// and within the dossier's quota together with its other files.
pub async fn read(
    req: &actix_web::HttpRequest,
    payload: actix_web::web::Payload,
    state: &crate::app::AppState,
    dossier_id: &str,
) -> crate::error::WebResult<Incoming> {
    let max_files = state.settings.config.max_message_files;
    let sub = crate::submission::read_submission(req, payload, state, &file_rule, max_files).await?;
    let body: String = sub.get("message").trim().chars().take(5000).collect();
    let (files, mut refused) = attachments(&sub);
    let quota = state.settings.config.max_dossier_upload_mb * 1024 * 1024;
    let used = dossier_bytes(state, dossier_id).await?;
    let sent: u64 = files.iter().map(|f| u64::try_from(f.size).unwrap_or(0)).sum();
    if !files.is_empty() && used + sent > quota {
        // The stored bytes stay unreferenced: the file collector removes them.
        refused.push(format!(
            "Vos documents n’ont pas été envoyés : les documents de ce dossier dépasseraient {} Mo au total. Envoyez des fichiers plus légers ou moins nombreux",
            quota / (1024 * 1024)
        ));
    }
    if refused.is_empty() && (!body.is_empty() || !files.is_empty()) {
        return Ok(Incoming::Ok { body, files });
    }
    let errors = if refused.is_empty() {
        vec![(
            "message".to_owned(),
            "Écrivez votre message ou joignez un document".to_owned(),
        )]
    } else {
        refused.into_iter().map(|m| (FILE_FIELD.to_owned(), m)).collect()
    };
    Ok(Incoming::Refused { errors, body })
}

/// A message ready for a template.
#[derive(Debug, Clone)]
pub struct MessageView {
    pub when: String,
    pub who: String,
    pub body: String,
    /// (download link, file name)
    pub files: Vec<(String, String)>,
}

/// Messages with their files; `link` makes the download URL of an attachment id.
pub fn views(
    messages: &[Message],
    files: &[Attachment],
    who: impl Fn(&Message) -> String,
    link: impl Fn(&str) -> String,
) -> Vec<MessageView> {
    messages
        .iter()
        .map(|m| MessageView {
            when: guichet_forms::french_date(m.created_at.date()),
            who: who(m),
            body: m.body.clone(),
            files: files
                .iter()
                .filter(|a| a.message_id.as_deref() == Some(m.id.as_str()))
                .map(|a| (link(&a.id), a.filename.clone()))
                .collect(),
        })
        .collect()
}

/// Sends an attachment's bytes, if it belongs to the dossier.
pub async fn send_attachment(
    state: &crate::app::AppState,
    files: &[Attachment],
    attachment_id: &str,
) -> crate::error::WebResult<actix_web::HttpResponse> {
    let a = files
        .iter()
        .find(|a| a.id == attachment_id)
        .ok_or(crate::error::WebError::NotFound)?;
    let file = guichet_forms::FileRef {
        vault: None,
        id: a.sha256.clone(),
        name: a.filename.clone(),
        size: u64::try_from(a.size_bytes).unwrap_or(0),
        content_type: a.content_type.clone(),
        document_date: None,
    };
    crate::documents::send_file(state, &file).await
}
