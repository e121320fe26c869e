//! The logged-in user, from the session cookie. A token is accepted only if its signature and expiry
//! check out and its version equals the user's current `session_version` (logout and password changes
//! bump it, revoking older tokens).

use std::future::Future;
use std::pin::Pin;

use actix_web::cookie::{Cookie, SameSite};
use actix_web::{FromRequest, HttpMessage, HttpRequest, dev::Payload, web};
use guichet_accounts::{Service, User};
use guichet_types::Role;

use crate::app::AppState;
use crate::error::WebError;

pub const COOKIE: &str = "guichet_session";
/// Over https the cookie is `__Host-` prefixed: browsers then refuse it unless it is `Secure`, for the
/// whole site and set by this very host (no sibling sub-domain can plant or overwrite it).
pub const HOST_COOKIE: &str = "__Host-guichet_session";

/// The session cookie's name for these settings.
pub fn cookie_name(state: &AppState) -> &'static str {
    if state.settings.secure_cookies {
        HOST_COOKIE
    } else {
        COOKIE
    }
}

/// How often an active login's token is re-issued (its `iat` moves, keeping the inactivity timeout away).
const REFRESH_AFTER_SECONDS: i64 = 60;

/// A re-issued session token, set on the response by [`crate::csrf::ensure_cookie`].
#[derive(Debug, Clone)]
pub struct Refreshed(pub String);

#[derive(Debug, Clone)]
pub struct SessionUser {
    pub user: User,
    /// Services whose dossiers the user may open (the scope of an instructor): every membership but
    /// `expert`.
    pub services: Vec<Service>,
    /// Every membership with its role (experts included).
    pub memberships: Vec<guichet_accounts::services::Membership>,
    /// Staff: folded names of the relatives they declared (their requests go to a colleague).
    pub relatives: Vec<String>,
}

impl SessionUser {
    pub fn is(&self, role: Role) -> bool {
        self.user.role == role
    }

    /// The person as the access rules see them (`guichet_dossiers::access`).
    pub fn viewer(&self) -> guichet_dossiers::access::Viewer {
        guichet_dossiers::access::Viewer {
            user_id: self.user.id.clone(),
            is_staff: self.is(Role::Instructeur) || self.is(Role::Admin),
            is_admin: self.is(Role::Admin),
            services: self.services.iter().map(|s| s.code.clone()).collect(),
            roles: self
                .memberships
                .iter()
                .map(|m| (m.service.code.clone(), m.role))
                .collect(),
            conflicts: std::iter::once(guichet_dossiers::access::person_key(&self.user.display_name))
                .chain(self.relatives.iter().cloned())
                .collect(),
        }
    }
}

/// The session cookie for a freshly issued token. No `Max-Age`: a browser-session cookie, gone when the
/// browser closes (a France Services or library computer must not stay logged in); the token's own
/// `exp` and inactivity timeout bound it otherwise.
pub fn cookie(token: String, state: &AppState) -> Cookie<'static> {
    Cookie::build(cookie_name(state), token)
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(state.settings.secure_cookies)
        .finish()
}

/// A cookie that tells the browser to forget the session.
pub fn removal_cookie(state: &AppState) -> Cookie<'static> {
    let mut c = Cookie::build(cookie_name(state), "")
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(state.settings.secure_cookies)
        .finish();
    c.make_removal();
    c
}

#[derive(Debug, Clone)]
struct Resolved(Option<SessionUser>);

async fn resolve(req: &HttpRequest) -> Result<Option<SessionUser>, WebError> {
    if let Some(r) = req.extensions().get::<Resolved>() {
        return Ok(r.0.clone());
    }
    let state = req
        .app_data::<web::Data<AppState>>()
        .ok_or_else(|| WebError::Internal("no app state".into()))?
        .clone();
    let claims = req
        .cookie(cookie_name(&state))
        .and_then(|c| state.keys.verify(c.value()));
    let stale = claims
        .clone()
        .filter(|c| chrono::Utc::now().timestamp() - c.iat > REFRESH_AFTER_SECONDS);
    let found = match claims {
        None => None,
        Some(claims) => {
            state
                .pool
                .run(move |conn| {
                    let Some(user) = guichet_accounts::users::find(conn, &claims.sub)? else {
                        return Ok::<_, WebError>(None);
                    };
                    if user.session_version != claims.ver {
                        return Ok(None);
                    }
                    let memberships = guichet_accounts::services::memberships_of(conn, &user.id)?;
                    let services = memberships
                        .iter()
                        .filter(|m| m.role.opens_dossiers())
                        .map(|m| m.service.clone())
                        .collect();
                    let relatives = if user.role == Role::Usager {
                        Vec::new()
                    } else {
                        guichet_dossiers::access::declared_relatives(conn, &user.id)?
                            .into_iter()
                            .map(|r| r.folded_name)
                            .collect()
                    };
                    Ok(Some(SessionUser {
                        user,
                        services,
                        memberships,
                        relatives,
                    }))
                })
                .await?
        }
    };
    // Activity keeps a valid login alive: re-issued now and then, never for a revoked token.
    if found.is_some()
        && let Some(c) = stale
        && let Ok(token) = state.keys.refresh(&c)
    {
        req.extensions_mut().insert(Refreshed(token));
    }
    req.extensions_mut().insert(Resolved(found.clone()));
    Ok(found)
}

/// The user if logged in.
#[derive(Debug, Clone)]
pub struct MaybeUser(pub Option<SessionUser>);

impl FromRequest for MaybeUser {
    type Error = WebError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move { resolve(&req).await.map(MaybeUser) })
    }
}

/// A logged-in user; anyone else is sent to the login page, then back.
#[derive(Debug, Clone)]
pub struct CurrentUser(pub SessionUser);

impl FromRequest for CurrentUser {
    type Error = WebError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            match resolve(&req).await? {
                Some(u) => Ok(CurrentUser(u)),
                None => Err(WebError::LoginRequired {
                    next: req.uri().path().to_owned(),
                }),
            }
        })
    }
}

/// Where to go after login: only a local path, never another site (no open redirect).
pub fn safe_next(next: &str) -> Option<String> {
    let ok =
        next.starts_with('/') && !next.starts_with("//") && !next.starts_with("/\\") && !next.contains("://");
    (ok && next.len() < 500 && !next.chars().any(char::is_control)).then(|| next.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_local_paths_are_followed_after_login() {
        assert_eq!(safe_next("/compte").as_deref(), Some("/compte"));
        assert_eq!(safe_next("//evil.example"), None);
        assert_eq!(safe_next("https://evil.example"), None);
        assert_eq!(safe_next("/\\evil.example"), None);
        assert_eq!(safe_next(""), None);
    }
}
