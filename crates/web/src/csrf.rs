//! CSRF protection. Each browser gets a random *seed* in an HttpOnly `SameSite=Lax` cookie; the token put
//! in the hidden field of every state-changing form is `HMAC(secret, seed, login id)`, compared in
//! constant time. A cross-site page can neither read the cookie nor compute the token; a token is valid
//! only for the login it was made for (bound to the session's `sid`), and the seed is replaced at login
//! and logout, so a cookie-and-token pair planted in someone's browser (from a sibling sub-domain, say)
//! does not work for their session. Over https the cookie is `__Host-` prefixed.

use actix_web::body::MessageBody;
use actix_web::cookie::{Cookie, SameSite};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{Error, HttpMessage, web};
use base64::Engine;
use hmac::{Hmac, Mac};
use secrecy::ExposeSecret;
use subtle::ConstantTimeEq;

use crate::app::AppState;

pub const COOKIE: &str = "guichet_csrf";
pub const HOST_COOKIE: &str = "__Host-guichet_csrf";
pub const FIELD: &str = "csrf_token";

/// The token this request's forms carry, put in request extensions by [`ensure_cookie`].
#[derive(Debug, Clone)]
pub struct CsrfToken(pub String);

fn plausible(token: &str) -> bool {
    token.len() == 43
        && token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// The seed cookie's name for these settings.
pub fn cookie_name(state: &AppState) -> &'static str {
    if state.settings.secure_cookies {
        HOST_COOKIE
    } else {
        COOKIE
    }
}

/// A new seed cookie: given to a first visit, and at login and logout (rotation).
pub fn fresh_cookie(state: &AppState) -> Cookie<'static> {
    seed_cookie(state, guichet_accounts::tokens::random_token())
}

fn seed_cookie(state: &AppState, seed: String) -> Cookie<'static> {
    Cookie::build(cookie_name(state), seed)
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(state.settings.secure_cookies)
        .finish()
}

/// The form token for a seed and a login (`sid`, empty when not logged in).
fn form_token(state: &AppState, seed: &str, sid: &str) -> String {
    type HmacSha256 = Hmac<sha2::Sha256>;
    let key = state.settings.session_secret.expose_secret().as_bytes();
    let Ok(mut mac) = HmacSha256::new_from_slice(key) else {
        // HMAC takes keys of any length: this cannot happen; an empty token never matches.
        return String::new();
    };
    for part in ["guichet-csrf", seed, sid] {
        mac.update(part.as_bytes());
        mac.update(&[0]);
    }
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
}

/// Middleware: gives every visitor a seed cookie (so that the first form they see already works),
/// computes the token of this request's forms, and sets a re-issued session token (see
/// [`crate::session::Refreshed`]) unless the handler set the session cookie itself.
pub async fn ensure_cookie(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let Some(state) = req.app_data::<web::Data<AppState>>().cloned() else {
        return next.call(req).await;
    };
    let existing = req
        .cookie(cookie_name(&state))
        .map(|c| c.value().to_owned())
        .filter(|t| plausible(t));
    let (seed, fresh) = match existing {
        Some(t) => (t, false),
        None => (guichet_accounts::tokens::random_token(), true),
    };
    let sid = req
        .cookie(crate::session::cookie_name(&state))
        .and_then(|c| state.keys.verify(c.value()))
        .map(|c| c.sid)
        .unwrap_or_default();
    req.extensions_mut()
        .insert(CsrfToken(form_token(&state, &seed, &sid)));
    let mut res = next.call(req).await?;
    let sets = |res: &ServiceResponse<_>, name: &str| res.response().cookies().any(|c| c.name() == name);
    if fresh && !sets(&res, cookie_name(&state)) {
        res.response_mut().add_cookie(&seed_cookie(&state, seed))?;
    }
    let refreshed = res
        .request()
        .extensions()
        .get::<crate::session::Refreshed>()
        .map(|r| r.0.clone());
    if let Some(token) = refreshed
        && !sets(&res, crate::session::cookie_name(&state))
    {
        res.response_mut()
            .add_cookie(&crate::session::cookie(token, &state))?;
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
