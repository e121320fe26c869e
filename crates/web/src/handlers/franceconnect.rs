//! Logging in with FranceConnect v2 (`guichet_oidc`): the start sends the person to the provider with a
//! login under way kept against a cookie of this browser (state, nonce, PKCE verifier); the callback
//! verifies everything, then logs in the account joined to that identity, opens one for a person without
//! any, or, when the email already has an account, asks the person to log in to it first (never joined on
//! the email alone). Logging out also ends the FranceConnect session.

use actix_web::cookie::{Cookie, SameSite, time::Duration};
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use guichet_accounts::external::{self, ExternalLogin, Outcome, PendingLogin};
use guichet_accounts::tokens;
use guichet_oidc::{Callback, Identity, OidcError, Pending};

use super::{render, see_other};
use crate::app::AppState;
use crate::error::{WebError, WebResult};
use crate::session::safe_next;
use crate::templates::{Layout, MessagePage};

/// The provider's name in the accounts' table.
pub const PROVIDER: &str = "franceconnect";
/// The browser's side of a login under way (the record is kept by the platform).
pub const LOGIN_COOKIE: &str = "guichet_connexion";
/// The ID token of a FranceConnect session, sent back as `id_token_hint` when logging out.
pub const SESSION_COOKIE: &str = "guichet_franceconnect";

fn cookie(state: &AppState, name: &'static str, value: String, path: &'static str) -> Cookie<'static> {
    Cookie::build(name, value)
        .path(path)
        .http_only(true)
        // The provider sends the person back with a top-level GET from its own site.
        .same_site(SameSite::Lax)
        .secure(state.settings.secure_cookies)
        .max_age(Duration::minutes(external::LOGIN_MINUTES))
        .finish()
}

fn removal(state: &AppState, name: &'static str, path: &'static str) -> Cookie<'static> {
    let mut c = cookie(state, name, String::new(), path);
    c.make_removal();
    c
}

fn provider(state: &AppState) -> WebResult<&guichet_oidc::Provider> {
    state.franceconnect.as_deref().ok_or(WebError::NotFound)
}

/// The page that says why the login did not happen, with the way back; nothing of the account changed.
fn failed(req: &HttpRequest, status: StatusCode, why: &str) -> WebResult<HttpResponse> {
    render(
        status,
        &MessagePage {
            layout: Layout::new(req, None, "La connexion avec FranceConnect n’a pas abouti"),
            success: false,
            paragraphs: vec![why.to_owned()],
            links: vec![
                ("/connexion".into(), "Revenir à la page de connexion".into()),
                ("/".into(), "Aller à l’accueil".into()),
            ],
        },
    )
}

#[derive(serde::Deserialize)]
pub struct StartQuery {
    #[serde(default)]
    suite: String,
}

/// `GET /connexion/franceconnect`: off to the provider.
pub async fn start(
    req: HttpRequest,
    state: web::Data<AppState>,
    q: web::Query<StartQuery>,
) -> WebResult<HttpResponse> {
    let fc = provider(&state)?;
    let (url, pending) = match fc.start().await {
        Ok(x) => x,
        Err(e) => {
            tracing::warn!(error = %e, "FranceConnect unavailable");
            return failed(&req, StatusCode::BAD_GATEWAY, e.french());
        }
    };
    let token = tokens::random_token();
    let login = PendingLogin {
        provider: PROVIDER.into(),
        pending: serde_json::to_string(&pending).map_err(|e| WebError::Internal(e.to_string()))?,
        next: safe_next(&q.suite),
        identity: None,
    };
    let t = token.clone();
    state
        .pool
        .run(move |c| external::put_login(c, &t, &login).map_err(WebError::from))
        .await?;
    let mut res = see_other(&url);
    res.add_cookie(&cookie(&state, LOGIN_COOKIE, token, "/connexion"))
        .map_err(|e| WebError::Internal(e.to_string()))?;
    Ok(res)
}

fn login_of<'a>(identity: &'a Identity, claims: &'a serde_json::Value, name: &'a str) -> ExternalLogin<'a> {
    ExternalLogin {
        provider: PROVIDER,
        subject: &identity.subject,
        email: identity.email.as_deref(),
        display_name: name,
        claims,
    }
}

/// The identity pivot and what else FranceConnect sent, as kept with the account (never the tokens).
fn claims_of(identity: &Identity) -> serde_json::Value {
    serde_json::json!({
        "given_name": identity.given_name,
        "family_name": identity.family_name,
        "preferred_username": identity.preferred_username,
        "birthdate": identity.birthdate,
        "birthplace": identity.birthplace,
        "birthcountry": identity.birthcountry,
        "gender": identity.gender,
        "email": identity.email,
        "acr": identity.acr,
        "amr": identity.amr,
    })
}

/// `GET /connexion/franceconnect/retour`: the provider's answer.
pub async fn callback(req: HttpRequest, state: web::Data<AppState>) -> WebResult<HttpResponse> {
    let fc = provider(&state)?;
    // Every callback ends the login under way, whatever it says.
    let cb: Callback = web::Query::<Callback>::from_query(req.query_string())
        .map(web::Query::into_inner)
        .unwrap_or_default();
    let Some(token) = req.cookie(LOGIN_COOKIE).map(|c| c.value().to_owned()) else {
        return failed(&req, StatusCode::BAD_REQUEST, OidcError::State.french());
    };
    let login = state
        .pool
        .run(move |c| external::take_login(c, &token).map_err(WebError::from))
        .await?;
    let Some(login) = login.filter(|l| l.provider == PROVIDER && l.identity.is_none()) else {
        return failed(&req, StatusCode::BAD_REQUEST, OidcError::State.french());
    };
    let pending: Pending =
        serde_json::from_str(&login.pending).map_err(|e| WebError::Internal(e.to_string()))?;
    let identity = match fc.finish(&pending, &cb).await {
        Ok(i) => i,
        Err(e) => {
            tracing::warn!(error = %e, "FranceConnect login refused");
            let status = match e {
                OidcError::Provider(_) => StatusCode::BAD_GATEWAY,
                OidcError::Refused { .. } => StatusCode::OK,
                _ => StatusCode::BAD_REQUEST,
            };
            let mut res = failed(&req, status, e.french())?;
            res.add_removal_cookie(&removal(&state, LOGIN_COOKIE, "/connexion"))
                .map_err(|e| WebError::Internal(e.to_string()))?;
            return Ok(res);
        }
    };
    let claims = claims_of(&identity);
    let name = identity.display_name();
    let (i, c, n) = (identity.clone(), claims.clone(), name.clone());
    let outcome = state
        .pool
        .run(move |conn| Ok::<_, WebError>(external::login(conn, &login_of(&i, &c, &n), true)))
        .await?;
    let user = match outcome {
        Ok(Outcome::Known(u) | Outcome::Created(u)) => u,
        Ok(Outcome::EmailTaken) => return ask_to_join(&state, &identity, login.next).await,
        Ok(Outcome::Unknown) => {
            return failed(
                &req,
                StatusCode::BAD_REQUEST,
                "FranceConnect n’a pas transmis d’adresse électronique : elle est nécessaire pour vous écrire au sujet de vos demandes. Connectez-vous avec votre adresse électronique et votre mot de passe.",
            );
        }
        Err(guichet_accounts::AccountsError::Deactivated) => {
            return failed(
                &req,
                StatusCode::FORBIDDEN,
                &guichet_accounts::AccountsError::Deactivated.to_string(),
            );
        }
        Err(e) => return Err(e.into()),
    };
    tracing::info!(user.id = %user.id, "Login through FranceConnect");
    let target = super::accounts::target_after_login(login.next.as_deref().unwrap_or_default(), &user);
    let mut res = see_other(&target);
    super::accounts::log_in(&mut res, &user, &state)?;
    res.add_cookie(&cookie(&state, SESSION_COOKIE, identity.id_token, "/"))
        .and_then(|()| res.add_removal_cookie(&removal(&state, LOGIN_COOKIE, "/connexion")))
        .map_err(|e| WebError::Internal(e.to_string()))?;
    Ok(res)
}

/// The email has an account: the identity is kept for fifteen minutes, and the login page asks for that
/// account's password; once logged in, the account is joined ([`join_after_login`]).
async fn ask_to_join(state: &AppState, identity: &Identity, next: Option<String>) -> WebResult<HttpResponse> {
    let token = tokens::random_token();
    let kept = serde_json::json!({ "identity": identity, "claims": claims_of(identity) });
    let login = PendingLogin {
        provider: PROVIDER.into(),
        pending: String::new(),
        next: next.clone(),
        identity: Some(kept.to_string()),
    };
    let t = token.clone();
    state
        .pool
        .run(move |c| external::put_login(c, &t, &login).map_err(WebError::from))
        .await?;
    let mut target = "/connexion?relier=franceconnect".to_owned();
    if let Some(n) = next {
        target.push_str("&suite=");
        target.extend(form_urlencoded::byte_serialize(n.as_bytes()));
    }
    let mut res = see_other(&target);
    res.add_cookie(&cookie(state, LOGIN_COOKIE, token, "/connexion"))
        .map_err(|e| WebError::Internal(e.to_string()))?;
    Ok(res)
}

/// After a password login: the FranceConnect identity waiting in this browser, if any, joined to the
/// account; `Some(id_token)` to keep for the provider's logout.
pub async fn join_after_login(
    req: &HttpRequest,
    state: &AppState,
    user_id: &str,
) -> WebResult<Option<String>> {
    let Some(token) = req.cookie(LOGIN_COOKIE).map(|c| c.value().to_owned()) else {
        return Ok(None);
    };
    let user_id = user_id.to_owned();
    state
        .pool
        .run(move |c| {
            let Some(login) = external::take_login(c, &token)? else {
                return Ok(None);
            };
            let Some(kept) = login
                .identity
                .as_deref()
                .and_then(|k| serde_json::from_str::<serde_json::Value>(k).ok())
            else {
                return Ok(None);
            };
            let Ok(identity) = serde_json::from_value::<Identity>(kept["identity"].clone()) else {
                return Ok(None);
            };
            let name = identity.display_name();
            external::join(c, &user_id, &login_of(&identity, &kept["claims"], &name))?;
            Ok::<_, WebError>(Some(identity.id_token))
        })
        .await
}

/// Whether this browser holds a FranceConnect identity waiting to be joined (the login page says so).
pub fn joining(req: &HttpRequest) -> bool {
    req.query_string().split('&').any(|p| p == "relier=franceconnect") && req.cookie(LOGIN_COOKIE).is_some()
}

/// The cookie that keeps a FranceConnect session's ID token.
pub fn session_cookie(state: &AppState, id_token: String) -> Cookie<'static> {
    cookie(state, SESSION_COOKIE, id_token, "/")
}

/// Where logging out sends the person: the provider's logout when the session came from FranceConnect.
pub async fn logout_target(req: &HttpRequest, state: &AppState) -> Option<String> {
    let hint = req.cookie(SESSION_COOKIE)?.value().to_owned();
    let fc = state.franceconnect.as_deref()?;
    match fc.logout_url(&hint).await {
        Ok(url) => url,
        Err(e) => {
            tracing::warn!(error = %e, "FranceConnect logout unavailable");
            None
        }
    }
}

/// The removal of the FranceConnect session's cookie.
pub fn session_removal(state: &AppState) -> Cookie<'static> {
    removal(state, SESSION_COOKIE, "/")
}

/// `GET /deconnexion/franceconnect`: back from the provider's logout.
pub async fn logged_out() -> HttpResponse {
    see_other("/")
}
