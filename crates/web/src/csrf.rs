//! CSRF protection: a random token in an HttpOnly `SameSite=Lax` cookie, repeated in a hidden field of
//! every state-changing form and compared in constant time. A cross-site page can neither read the cookie
//! nor guess the field.

use actix_web::body::MessageBody;
use actix_web::cookie::{Cookie, SameSite};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{Error, HttpMessage, web};
use subtle::ConstantTimeEq;

use crate::app::AppState;

pub const COOKIE: &str = "guichet_csrf";
pub const FIELD: &str = "csrf_token";

/// The token for this request, put in request extensions by [`ensure_cookie`].
#[derive(Debug, Clone)]
pub struct CsrfToken(pub String);

fn plausible(token: &str) -> bool {
    token.len() == 43
        && token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Middleware: gives every visitor a CSRF cookie, so that the first form they see already works.
pub async fn ensure_cookie(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let existing = req
        .cookie(COOKIE)
        .map(|c| c.value().to_owned())
        .filter(|t| plausible(t));
    let (token, fresh) = match existing {
        Some(t) => (t, false),
        None => (guichet_accounts::tokens::random_token(), true),
    };
    let secure = req
        .app_data::<web::Data<AppState>>()
        .is_some_and(|s| s.settings.secure_cookies);
    req.extensions_mut().insert(CsrfToken(token.clone()));
    let mut res = next.call(req).await?;
    if fresh {
        let cookie = Cookie::build(COOKIE, token)
            .path("/")
            .http_only(true)
            .same_site(SameSite::Lax)
            .secure(secure)
            .finish();
        res.response_mut().add_cookie(&cookie)?;
    }
    Ok(res)
}

/// True when the submitted token matches the cookie's.
pub fn matches(expected: &str, submitted: &str) -> bool {
    !expected.is_empty()
        && expected.len() == submitted.len()
        && bool::from(expected.as_bytes().ct_eq(submitted.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_match_only_exactly() {
        let t = guichet_accounts::tokens::random_token();
        assert!(plausible(&t));
        assert!(matches(&t, &t));
        assert!(!matches(&t, ""));
        assert!(!matches("", ""));
        assert!(!matches(&t, &t[1..]));
    }
}
