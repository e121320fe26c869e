//! A form body that may carry files: URL-encoded or multipart, CSRF-checked, files streamed to the
//! file store as they arrive (see [`crate::uploads`]).

use actix_web::http::header;
use actix_web::{HttpMessage, HttpRequest, web};
use futures_util::StreamExt;

use crate::app::AppState;
use crate::csrf::{self, CsrfToken};
use crate::error::{WebError, WebResult};
use crate::uploads::Received;

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

/// Reads the body and checks its CSRF token. `files` says, for a file input name, its size bound in MB
/// and accepted MIME types; file parts of other names are drained and dropped.
pub async fn read_submission(
    req: &HttpRequest,
    payload: web::Payload,
    state: &AppState,
    files: &dyn Fn(&str) -> Option<FileRule>,
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
    let mut sub = Submission {
        pairs: Vec::new(),
        files: Vec::new(),
    };
    if is_multipart {
        let mut mp = actix_multipart::Multipart::new(req.headers(), payload);
        let mut total: u64 = 0;
        while let Some(part) = mp.next().await {
            let mut part = part.map_err(|e| WebError::BadRequest(e.to_string()))?;
            let name = part.name().unwrap_or_default().to_owned();
            let is_file = part
                .content_disposition()
                .and_then(|cd| cd.get_filename())
                .is_some();
            if is_file {
                let Some((max_mb, accept)) = files(&name) else {
                    while part.next().await.is_some() {}
                    continue;
                };
                let budget = (state.settings.config.max_upload_mb * 1024 * 1024).saturating_sub(total);
                let received = state
                    .files
                    .receive(&name, part, (max_mb * 1024 * 1024).min(budget.max(1)), &accept)
                    .await
                    .map_err(|e| WebError::Internal(e.to_string()))?;
                if let Received::Stored(s) = &received {
                    total += s.size;
                }
                sub.files.push(received);
            } else {
                let mut buf = Vec::new();
                while let Some(chunk) = part.next().await {
                    let chunk = chunk.map_err(|e| WebError::BadRequest(e.to_string()))?;
                    if buf.len() + chunk.len() > MAX_TEXT_PART {
                        return Err(WebError::BadRequest("field too large".into()));
                    }
                    buf.extend_from_slice(&chunk);
                }
                sub.pairs.push((name, String::from_utf8_lossy(&buf).into_owned()));
            }
        }
    } else {
        let body = read_body(payload).await?;
        sub.pairs = form_urlencoded::parse(&body)
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
    }
    if !csrf::matches(&expected, sub.get(csrf::FIELD)) {
        // Refused before anything is saved; the stored bytes of any file stay unreferenced and harmless.
        return Err(WebError::Csrf);
    }
    Ok(sub)
}

async fn read_body(mut payload: web::Payload) -> WebResult<web::Bytes> {
    let mut body = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| WebError::BadRequest(e.to_string()))?;
        if body.len() + chunk.len() > crate::form::MAX_BODY {
            return Err(WebError::BadRequest("form body too large".into()));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}
