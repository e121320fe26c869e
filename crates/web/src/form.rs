//! URL-encoded form bodies, decoded leniently and checked for the CSRF token.
//!
//! actix's `web::Form` answers a bare 400 on invalid UTF-8 or a missing field; we want the page back with
//! a French message and the other values kept, so fields are read as text and checked by the handler.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;

use actix_web::{FromRequest, HttpMessage, HttpRequest, dev::Payload, web};

use crate::csrf::{self, CsrfToken};
use crate::error::WebError;

/// Largest accepted form body. Ample for any text form; uploads use multipart with their own limits.
pub const MAX_BODY: usize = 256 * 1024;

/// A submitted form whose CSRF token has been checked.
#[derive(Debug, Default, Clone)]
pub struct FormData {
    fields: HashMap<String, Vec<String>>,
    invalid_utf8: bool,
}

impl FormData {
    pub fn parse(body: &[u8]) -> FormData {
        let mut fields: HashMap<String, Vec<String>> = HashMap::new();
        let mut invalid_utf8 = false;
        // form_urlencoded decodes lossily: bytes that are not UTF-8 become U+FFFD, which nobody types.
        for (k, v) in form_urlencoded::parse(body) {
            invalid_utf8 |= k.contains('\u{FFFD}') || v.contains('\u{FFFD}');
            fields.entry(k.into_owned()).or_default().push(v.into_owned());
        }
        FormData { fields, invalid_utf8 }
    }

    /// The field's text as sent (trimming is the caller's); empty when absent.
    pub fn get(&self, name: &str) -> &str {
        self.fields
            .get(name)
            .and_then(|v| v.first())
            .map_or("", String::as_str)
    }

    /// Every (name, value) pair, repeated names once per value (the order of names is not kept).
    pub fn pairs(&self) -> Vec<(String, String)> {
        self.fields
            .iter()
            .flat_map(|(k, vs)| vs.iter().map(move |v| (k.clone(), v.clone())))
            .collect()
    }

    pub fn all(&self, name: &str) -> &[String] {
        self.fields.get(name).map_or(&[], Vec::as_slice)
    }

    /// True when some bytes were not UTF-8 (they were replaced by U+FFFD).
    pub fn had_invalid_utf8(&self) -> bool {
        self.invalid_utf8
    }

    /// True when this field's value was damaged by invalid UTF-8.
    pub fn is_garbled(&self, name: &str) -> bool {
        self.get(name).contains('\u{FFFD}')
    }
}

/// Extractor: the body as [`FormData`], refused with 403 unless it carries the visitor's CSRF token.
#[derive(Debug)]
pub struct CsrfForm(pub FormData);

impl FromRequest for CsrfForm {
    type Error = WebError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let expected = req
            .extensions()
            .get::<CsrfToken>()
            .map(|t| t.0.clone())
            .unwrap_or_default();
        let body = web::Bytes::from_request(req, payload);
        Box::pin(async move {
            let bytes = body.await.map_err(|e| WebError::BadRequest(e.to_string()))?;
            if bytes.len() > MAX_BODY {
                return Err(WebError::BadRequest("form body too large".into()));
            }
            let form = FormData::parse(&bytes);
            if !csrf::matches(&expected, form.get(csrf::FIELD)) {
                return Err(WebError::Csrf);
            }
            Ok(CsrfForm(form))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_decoded_and_repeated_ones_kept() {
        let f = FormData::parse(b"nom=H%C3%A9l%C3%A8ne+Dupr%C3%A9&choix=a&choix=b");
        assert_eq!(f.get("nom"), "Hélène Dupré");
        assert_eq!(f.all("choix"), ["a", "b"]);
        assert_eq!(f.get("absent"), "");
        assert!(!f.had_invalid_utf8());
    }

    #[test]
    fn invalid_utf8_is_flagged_not_fatal() {
        let f = FormData::parse(b"nom=%FF%FE&email=a%40b.fr");
        assert!(f.had_invalid_utf8());
        assert!(f.is_garbled("nom"));
        assert_eq!(f.get("email"), "a@b.fr");
    }
}
