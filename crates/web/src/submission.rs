//! A form body that may carry files: URL-encoded or multipart, CSRF-checked before anything else is
//! read, bounded in parts and text bytes, files streamed to the file store as they arrive (see
//! [`crate::uploads`]).

use actix_web::http::header;
use actix_web::{HttpMessage, HttpRequest, web};
use futures_util::StreamExt;

use crate::app::AppState;
use crate::csrf::{self, CsrfToken};
use crate::error::{WebError, WebResult};
use crate::uploads::{ReceiveError, Received};

/// What a form sent: its fields as pairs, and the files it carried (already stored or refused).
pub struct Submission {
    pub pairs: Vec<(String, String)>,
    pub files: Vec<Received>,
}

impl Submission {
    pub fn get(&self, name: &str) -> &str {
        self.pairs
            .iter()
            .find(|(k, _)| k == name)
            .map_or("", |(_, v)| v.as_str())
    }
}

/// A file input's bounds: its size limit in MB and its accepted MIME types.
pub type FileRule = (u64, Vec<String>);

/// Largest text field in a multipart body.
const MAX_TEXT_PART: usize = 64 * 1024;

/// All the text fields of one multipart body together: what a URL-encoded form may carry.
pub const MAX_TEXT_BYTES: usize = crate::form::MAX_BODY;

/// Parts of one multipart body. The longest step (repeating groups included) has far fewer fields.
pub const MAX_PARTS: usize = 400;

/// The CSRF token part: a few dozen characters.
const MAX_TOKEN_PART: usize = 1024;

/// Reads the body and checks its CSRF token. `files` says, for a file input name, its size bound in MB
/// and accepted MIME types; file parts of other names are drained and dropped. At most `max_files`
/// files are stored; the others are refused unread.
///
/// A multipart body must start with the `csrf_token` part (our forms put the hidden input first): it is
/// checked before any other part is read, so a forged request costs one part, and stores nothing.
pub async fn read_submission(
    req: &HttpRequest,
    payload: web::Payload,
    state: &AppState,
    files: &dyn Fn(&str) -> Option<FileRule>,
    max_files: usize,
) -> WebResult<Submission> {
    let expected = req
        .extensions()
        .get::<CsrfToken>()
        .map(|t| t.0.clone())
        .unwrap_or_default();
    let is_multipart = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("multipart/form-data"));
    if !is_multipart {
        let body = read_body(payload).await?;
        let pairs: Vec<(String, String)> = form_urlencoded::parse(&body)
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        let sub = Submission {
            pairs,
            files: Vec::new(),
        };
        if !csrf::matches(&expected, sub.get(csrf::FIELD)) {
            return Err(WebError::Csrf);
        }
        return Ok(sub);
    }

    let mut mp = actix_multipart::Multipart::new(req.headers(), payload);
    let mut sub = Submission {
        pairs: Vec::new(),
        files: Vec::new(),
    };
    // The token first, and nothing else until it matches.
    let Some(first) = mp.next().await else {
        return Err(WebError::Csrf);
    };
    let mut first = first.map_err(client_error)?;
    let is_token = first.name() == Some(csrf::FIELD)
        && first
            .content_disposition()
            .and_then(|cd| cd.get_filename())
            .is_none();
    if !is_token {
        return Err(WebError::Csrf);
    }
    let token = read_text(&mut first, MAX_TOKEN_PART).await?;
    // actix-multipart hands out the next part only once this one is dropped.
    drop(first);
    if !csrf::matches(&expected, &token) {
        return Err(WebError::Csrf);
    }
    let mut text_bytes = token.len();
    sub.pairs.push((csrf::FIELD.to_owned(), token));

    let mut parts = 1;
    let mut total: u64 = 0;
    let mut stored = 0;
    while let Some(part) = mp.next().await {
        parts += 1;
        if parts > MAX_PARTS {
            return Err(WebError::TooLarge);
        }
        let mut part = part.map_err(client_error)?;
        let name = part.name().unwrap_or_default().to_owned();
        let file_name = part
            .content_disposition()
            .and_then(|cd| cd.get_filename())
            .map(str::to_owned);
        if let Some(file_name) = file_name {
            let Some((max_mb, accept)) = files(&name) else {
                drain(&mut part).await?;
                continue;
            };
            if stored >= max_files && !file_name.is_empty() {
                drain(&mut part).await?;
                sub.files.push(Received::Refused {
                    field: name,
                    message: format!(
                        "Le fichier « {} » n’a pas été ajouté : vous pouvez joindre au plus {max_files} fichiers à la fois",
                        crate::uploads::sanitize_name(&file_name)
                    ),
                });
                continue;
            }
            let budget = (state.settings.config.max_upload_mb * 1024 * 1024).saturating_sub(total);
            let mut received = state
                .files
                .receive(&name, part, (max_mb * 1024 * 1024).min(budget.max(1)), &accept)
                .await
                .map_err(|ReceiveError::Payload(e)| WebError::BadRequest(e))?;
            if let Received::Stored(s) = &received
                && s.pending
            {
                // Recorded before anything names the file, so it is never served unscanned.
                let sha = s.sha256.clone();
                let held = state
                    .pool
                    .run(move |c| guichet_dossiers::scans::hold(c, &sha).map_err(WebError::from))
                    .await;
                if let Err(e) = held {
                    tracing::error!(error = %e, "Held upload could not be recorded: refused");
                    received = Received::Refused {
                        field: name.clone(),
                        message: format!(
                            "Le fichier « {} » n’a pas été enregistré : l’analyse antivirus des documents est momentanément indisponible. Réessayez dans quelques minutes",
                            s.name
                        ),
                    };
                }
            }
            if let Received::Stored(s) = &received {
                total += s.size;
                stored += 1;
            }
            sub.files.push(received);
        } else {
            let room = (MAX_TEXT_BYTES - text_bytes).min(MAX_TEXT_PART);
            let value = read_text(&mut part, room).await?;
            text_bytes += value.len();
            sub.pairs.push((name, value));
        }
    }
    Ok(sub)
}

/// A text part, refused with 413 past `max` bytes (checked per chunk, so never buffered beyond it).
async fn read_text(part: &mut actix_multipart::Field, max: usize) -> WebResult<String> {
    let mut buf = Vec::new();
    while let Some(chunk) = part.next().await {
        let chunk = chunk.map_err(client_error)?;
        if buf.len() + chunk.len() > max {
            return Err(WebError::TooLarge);
        }
        buf.extend_from_slice(&chunk);
    }
    Ok(String::from_utf8_lossy(&buf).into_owned())
}

async fn drain(part: &mut actix_multipart::Field) -> WebResult<()> {
    while let Some(chunk) = part.next().await {
        chunk.map_err(client_error)?;
    }
    Ok(())
}

/// A broken or interrupted body is the client's doing: 400, logged as a client error.
fn client_error(e: actix_multipart::MultipartError) -> WebError {
    WebError::BadRequest(e.to_string())
}

async fn read_body(mut payload: web::Payload) -> WebResult<web::Bytes> {
    let mut body = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| WebError::BadRequest(e.to_string()))?;
        if body.len() + chunk.len() > crate::form::MAX_BODY {
            return Err(WebError::TooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}
