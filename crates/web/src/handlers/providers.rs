//! Logging in through an identity provider (`guichet_oidc`): FranceConnect v2 for usagers, and the agents'
//! provider (ProConnect or another OpenID Connect provider of the département). The start sends the person
//! to the provider with a login under way kept against a cookie of this browser (state, nonce, PKCE
//! verifier); the callback verifies everything, then logs in the account joined to that identity, opens one
//! for a usager without any (never for an agent: agents are invited), or, when the email already has an
//! account, asks the person to log in to it first (never joined on the email alone). Logging out also ends
//! the provider's session.

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

/// The browser's side of a login under way (the record is kept by the platform).
pub const LOGIN_COOKIE: &str = "guichet_connexion";
/// The provider and ID token of a session opened through it (`<door> <id_token>`), sent back as
/// `id_token_hint` when logging out.
pub const SESSION_COOKIE: &str = "guichet_fournisseur";

/// The two doors through an identity provider.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Door {
    /// FranceConnect v2, for usagers.
    FranceConnect,
    /// The agents' provider (ProConnect-compatible).
    Agents,
}

impl Door {
    /// The provider's name in the accounts' table and in the paths.
    pub const fn name(self) -> &'static str {
        match self {
            Door::FranceConnect => guichet_accounts::external::FRANCECONNECT,
            Door::Agents => "agents",
        }
    }

    fn parse(name: &str) -> Option<Door> {
        [Door::FranceConnect, Door::Agents]
            .into_iter()
            .find(|d| d.name() == name)
    }

    /// What the person reads: « FranceConnect », « ProConnect ».
    pub fn label(self, state: &AppState) -> String {
        match self {
            Door::FranceConnect => "FranceConnect".into(),
            Door::Agents => state.settings.config.agents_oidc_label.clone(),
        }
    }

    fn provider(self, state: &AppState) -> Option<&guichet_oidc::Provider> {
        match self {
            Door::FranceConnect => state.franceconnect.as_deref(),
            Door::Agents => state.agents_oidc.as_deref(),
        }
    }

    /// Usagers without an account get one; agents are invited by an administrator first.
    const fn opens_accounts(self) -> bool {
        matches!(self, Door::FranceConnect)
    }
}

/// The provider's name in the accounts' table (FranceConnect's).
pub const PROVIDER: &str = Door::FranceConnect.name();

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

/// The page that says why the login did not happen, with the way back; nothing of the account changed.
fn failed(req: &HttpRequest, label: &str, status: StatusCode, why: &str) -> WebResult<HttpResponse> {
    render(
        status,
        &MessagePage {
            layout: Layout::new(req, None, format!("La connexion avec {label} n’a pas abouti")),
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

/// `GET /connexion/{franceconnect|agents}`: off to the provider.
pub async fn start(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
    q: web::Query<StartQuery>,
) -> WebResult<HttpResponse> {
    let door = Door::parse(&path).ok_or(WebError::NotFound)?;
    let fc = door.provider(&state).ok_or(WebError::NotFound)?;
    let (url, pending) = match fc.start().await {
        Ok(x) => x,
        Err(e) => {
            tracing::warn!(error = %e, provider = door.name(), "Identity provider unavailable");
            return failed(&req, &door.label(&state), StatusCode::BAD_GATEWAY, e.french());
        }
    };
    let token = tokens::random_token();
    let login = PendingLogin {
        provider: door.name().into(),
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

fn login_of<'a>(
    door: Door,
    identity: &'a Identity,
    claims: &'a serde_json::Value,
    name: &'a str,
) -> ExternalLogin<'a> {
    ExternalLogin {
        provider: door.name(),
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

/// The `suite` of a FranceConnect login that confirms closing the account (« Supprimer mon compte »).
pub const CLOSE_ACCOUNT: &str = "/compte/supprimer/franceconnect";

/// `GET /connexion/{franceconnect|agents}/retour`: the provider's answer.
pub async fn callback(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> WebResult<HttpResponse> {
    let door = Door::parse(&path).ok_or(WebError::NotFound)?;
    let fc = door.provider(&state).ok_or(WebError::NotFound)?;
    let label = door.label(&state);
    // Every callback ends the login under way, whatever it says.
    let cb: Callback = web::Query::<Callback>::from_query(req.query_string())
        .map(web::Query::into_inner)
        .unwrap_or_default();
    let Some(token) = req.cookie(LOGIN_COOKIE).map(|c| c.value().to_owned()) else {
        return failed(&req, &label, StatusCode::BAD_REQUEST, OidcError::State.french());
    };
    let login = state
        .pool
        .run(move |c| external::take_login(c, &token).map_err(WebError::from))
        .await?;
    let Some(login) = login.filter(|l| l.provider == door.name() && l.identity.is_none()) else {
        return failed(&req, &label, StatusCode::BAD_REQUEST, OidcError::State.french());
    };
    let pending: Pending =
        serde_json::from_str(&login.pending).map_err(|e| WebError::Internal(e.to_string()))?;
    let identity = match fc.finish(&pending, &cb).await {
        Ok(i) => i,
        Err(e) => {
            tracing::warn!(error = %e, provider = door.name(), "Login through an identity provider refused");
            let status = match e {
                OidcError::Provider(_) => StatusCode::BAD_GATEWAY,
                OidcError::Refused { .. } => StatusCode::OK,
                _ => StatusCode::BAD_REQUEST,
            };
            let mut res = failed(&req, &label, status, e.french())?;
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
        .run(move |conn| {
            Ok::<_, WebError>(external::login(
                conn,
                &login_of(door, &i, &c, &n),
                door.opens_accounts(),
            ))
        })
        .await?;
    let user = match outcome {
        Ok(Outcome::Known(u) | Outcome::Created(u)) => u,
        Ok(Outcome::EmailTaken) => return ask_to_join(&state, door, &identity, login.next).await,
        Ok(Outcome::Unknown) if identity.email.is_none() => {
            return failed(
                &req,
                &label,
                StatusCode::BAD_REQUEST,
                &format!(
                    "{label} n’a pas transmis d’adresse électronique : elle est nécessaire pour vous écrire. Connectez-vous avec votre adresse électronique et votre mot de passe."
                ),
            );
        }
        Ok(Outcome::Unknown) => {
            return failed(
                &req,
                &label,
                StatusCode::FORBIDDEN,
                "Aucun compte d’agent n’existe pour l’adresse électronique transmise. Demandez à l’administrateur de Guichet de votre département de vous inviter.",
            );
        }
        Err(guichet_accounts::AccountsError::Deactivated) => {
            return failed(
                &req,
                &label,
                StatusCode::FORBIDDEN,
                &guichet_accounts::AccountsError::Deactivated.to_string(),
            );
        }
        Err(e) => return Err(e.into()),
    };
    tracing::info!(user.id = %user.id, provider = door.name(), amr = ?identity.amr, "Login through an identity provider");
    let target = if door == Door::FranceConnect && login.next.as_deref() == Some(CLOSE_ACCOUNT) {
        // Identified again to close the account: a one-use proof, asked back by the closing form.
        let id = user.id.clone();
        let proof = state
            .pool
            .run(move |c| tokens::issue(c, &id, tokens::Purpose::CloseAccount).map_err(WebError::from))
            .await?;
        format!("/compte/supprimer?franceconnect={proof}")
    } else {
        super::accounts::target_after_login(login.next.as_deref().unwrap_or_default(), &user)
    };
    let mut res = see_other(&target);
    super::accounts::log_in(&mut res, &user, &state)?;
    res.add_cookie(&session_cookie(&state, door, &identity.id_token))
        .and_then(|()| res.add_removal_cookie(&removal(&state, LOGIN_COOKIE, "/connexion")))
        .map_err(|e| WebError::Internal(e.to_string()))?;
    Ok(res)
}

/// The email has an account: the identity is kept for fifteen minutes, and the login page asks for that
/// account's password; once logged in, the account is joined ([`join_after_login`]).
async fn ask_to_join(
    state: &AppState,
    door: Door,
    identity: &Identity,
    next: Option<String>,
) -> WebResult<HttpResponse> {
    let token = tokens::random_token();
    let kept = serde_json::json!({ "identity": identity, "claims": claims_of(identity) });
    let login = PendingLogin {
        provider: door.name().into(),
        pending: String::new(),
        next: next.clone(),
        identity: Some(kept.to_string()),
    };
    let t = token.clone();
    state
        .pool
        .run(move |c| external::put_login(c, &t, &login).map_err(WebError::from))
        .await?;
    let mut target = format!("/connexion?relier={}", door.name());
    if let Some(n) = next {
        target.push_str("&suite=");
        target.extend(form_urlencoded::byte_serialize(n.as_bytes()));
    }
    let mut res = see_other(&target);
    res.add_cookie(&cookie(state, LOGIN_COOKIE, token, "/connexion"))
        .map_err(|e| WebError::Internal(e.to_string()))?;
    Ok(res)
}

/// After a password login: the provider's identity waiting in this browser, if any, joined to the account;
/// the session's cookie to keep for the provider's logout.
pub async fn join_after_login(
    req: &HttpRequest,
    state: &AppState,
    user_id: &str,
) -> WebResult<Option<Cookie<'static>>> {
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
            let Some(door) = Door::parse(&login.provider) else {
                return Ok(None);
            };
            let name = identity.display_name();
            external::join(c, &user_id, &login_of(door, &identity, &kept["claims"], &name))?;
            Ok::<_, WebError>(Some((door, identity.id_token)))
        })
        .await
        .map(|joined| joined.map(|(door, id_token)| session_cookie(state, door, &id_token)))
}

/// The provider whose identity this browser holds, waiting to be joined (the login page says so).
pub fn joining(req: &HttpRequest, state: &AppState) -> Option<String> {
    let door = form_urlencoded::parse(req.query_string().as_bytes())
        .find(|(k, _)| k == "relier")
        .and_then(|(_, v)| Door::parse(&v))?;
    req.cookie(LOGIN_COOKIE)?;
    Some(door.label(state))
}

/// The cookie that keeps the provider and ID token of a session opened through it.
fn session_cookie(state: &AppState, door: Door, id_token: &str) -> Cookie<'static> {
    let mut c = cookie(state, SESSION_COOKIE, format!("{} {id_token}", door.name()), "/");
    // As long as the browser session, as the login's own cookie.
    c.set_max_age(None);
    c
}

/// Where logging out sends the person: the provider's logout when the session came through one.
pub async fn logout_target(req: &HttpRequest, state: &AppState) -> Option<String> {
    let value = req.cookie(SESSION_COOKIE)?.value().to_owned();
    let (name, hint) = value.split_once(' ')?;
    let provider = Door::parse(name)?.provider(state)?;
    match provider.logout_url(hint).await {
        Ok(url) => url,
        Err(e) => {
            tracing::warn!(error = %e, provider = name, "Identity provider logout unavailable");
            None
        }
    }
}

/// The removal of the FranceConnect session's cookie.
pub fn session_removal(state: &AppState) -> Cookie<'static> {
    removal(state, SESSION_COOKIE, "/")
}

/// The identity FranceConnect transmitted, as « Mon compte » shows it: (label, value), in French.
pub fn shown_identity(claims: &serde_json::Value) -> Vec<(&'static str, String)> {
    let text = |k: &str| claims[k].as_str().unwrap_or_default().trim().to_owned();
    let mut out = Vec::new();
    for (label, key) in [
        ("Prénoms", "given_name"),
        ("Nom de naissance", "family_name"),
        ("Nom d’usage", "preferred_username"),
    ] {
        let v = text(key);
        if !v.is_empty() {
            out.push((label, v));
        }
    }
    if let Ok(d) = chrono::NaiveDate::parse_from_str(&text("birthdate"), "%Y-%m-%d") {
        out.push(("Date de naissance", guichet_forms::french_date(d)));
    }
    let place = text("birthplace");
    let country = text("birthcountry");
    if let Some(name) = guichet_forms::commune_name(&place) {
        out.push(("Lieu de naissance", name.to_owned()));
    } else if !country.is_empty() && country != "99100" {
        out.push(("Lieu de naissance", "à l’étranger".to_owned()));
    }
    match text("gender").as_str() {
        "female" => out.push(("Sexe", "féminin".to_owned())),
        "male" => out.push(("Sexe", "masculin".to_owned())),
        _ => {}
    }
    out
}

/// `GET /deconnexion/{franceconnect|agents}`: back from the provider's logout.
pub async fn logged_out() -> HttpResponse {
    see_other("/")
}
