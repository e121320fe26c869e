//! Account pages: sign-up, email confirmation, login, logout, forgotten and changed passwords, and
//! « Mon compte » (name, address, password, emails, closing the account).
//!
//! Where the person was going (`suite`, a local path: a simulation's result, a procedure) follows them
//! through the login page, sign-up, the confirmation email and the login: nobody lands on « Mon compte »
//! by accident. Without a `suite`, a usager lands on « Mes dossiers » and staff on « Instruction ».

use actix_web::cookie::{Cookie, SameSite, time::Duration};
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use guichet_accounts::users::{self, SignUp};
use guichet_accounts::{AccountsError, User, password};
use guichet_dossiers::store;
use guichet_types::{Email, Role};

use super::{ok, render, see_other};
use crate::app::AppState;
use crate::error::{WebError, WebResult};
use crate::form::{CsrfForm, FormData};
use crate::session::{self, CurrentUser, MaybeUser, safe_next};
use crate::templates::{AccountPage, FieldError, FormPage, InputField, Layout, MessagePage};

const GARBLED: &str = "Ce champ contient des caractères non reconnus : saisissez-le à nouveau";

fn err(field: &str, message: impl Into<String>) -> FieldError {
    FieldError {
        field: field.to_owned(),
        message: message.into(),
    }
}

/// Reads a text field; records an error if it arrived garbled (invalid UTF-8).
fn text<'a>(form: &'a FormData, field: &str, errors: &mut Vec<FieldError>) -> &'a str {
    if form.is_garbled(field) {
        errors.push(err(field, GARBLED));
    }
    form.get(field)
}

fn page(
    req: &HttpRequest,
    user: Option<&session::SessionUser>,
    title: &str,
    errors: &[FieldError],
) -> Layout {
    Layout::new(req, user, title).with_errors(!errors.is_empty())
}

fn form_page(
    layout: Layout,
    action: &str,
    fields: Vec<InputField>,
    errors: Vec<FieldError>,
    submit: &'static str,
) -> FormPage {
    FormPage {
        layout,
        back: None,
        intro: Vec::new(),
        action: action.to_owned(),
        hidden: Vec::new(),
        fields,
        errors,
        submit,
        links: Vec::new(),
        franceconnect: None,
    }
}

fn message(layout: Layout, success: bool, paragraphs: &[&str], links: &[(&str, &str)]) -> MessagePage {
    MessagePage {
        layout,
        success,
        paragraphs: paragraphs.iter().map(|p| (*p).to_owned()).collect(),
        links: links
            .iter()
            .map(|(h, t)| ((*h).to_owned(), (*t).to_owned()))
            .collect(),
    }
}

/// The peer address, never a forwarded header (which anyone can set): the throttles key on it.
/// The client's address for throttles and rate limits (a trusted proxy's `X-Forwarded-For`, see
/// [`crate::telemetry::client_ip`]).
fn client_ip(req: &HttpRequest, state: &AppState) -> String {
    crate::telemetry::client_ip(
        req.peer_addr(),
        req.headers(),
        &state.settings.config.trusted_proxies,
    )
    .map_or_else(|| "inconnue".to_owned(), |a| a.to_string())
}

const PASSWORD_HINT: &str =
    "Au moins 12 caractères. Une phrase de quelques mots est facile à retenir et difficile à deviner.";

/// Where a login lands without a `suite`: the usager's requests, or the staff's queue.
pub fn landing(user: &User) -> &'static str {
    if user.role == Role::Usager {
        "/mes-dossiers"
    } else {
        "/instruction"
    }
}

/// The `suite` if it is a safe local path, else the landing page of this user.
pub(super) fn target_after_login(suite: &str, user: &User) -> String {
    safe_next(suite).unwrap_or_else(|| landing(user).to_owned())
}

fn encoded(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// A link to `path` that keeps the `suite` (when there is a safe one).
fn with_suite(path: &str, suite: &str) -> String {
    match safe_next(suite) {
        Some(next) => format!("{path}?suite={}", encoded(&next)),
        None => path.to_owned(),
    }
}

/// Logs `user` in on this response: a new session cookie and a new CSRF token bound to it.
pub(super) fn log_in(res: &mut HttpResponse, user: &User, state: &AppState) -> WebResult<()> {
    let token = state.keys.issue(user)?;
    res.add_cookie(&session::cookie(token, state))
        .and_then(|()| res.add_cookie(&crate::csrf::fresh_cookie(state)))
        .map_err(|e| WebError::Internal(e.to_string()))
}

// ------------------------------------------------------------------- « message envoyé », and resending

/// The address an account email just went to, and the `suite`, kept for the « message envoyé » page
/// and its « Renvoyer » button. In a cookie scoped to that page's path (never in a URL: an address is
/// personal data), for one hour.
const SENT_COOKIE: &str = "guichet_envoi";

fn sent_cookie(state: &AppState, path: &'static str, email: &str, suite: &str) -> Cookie<'static> {
    let value = form_urlencoded::Serializer::new(String::new())
        .append_pair("email", email)
        .append_pair("suite", suite)
        .finish();
    Cookie::build(SENT_COOKIE, value)
        .path(path)
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(state.settings.secure_cookies)
        .max_age(Duration::hours(1))
        .finish()
}

/// (address, suite) from the cookie, if any.
fn sent_to(req: &HttpRequest) -> Option<(Email, String)> {
    let c = req.cookie(SENT_COOKIE)?;
    let mut email = None;
    let mut suite = String::new();
    for (k, v) in form_urlencoded::parse(c.value().as_bytes()) {
        match &*k {
            "email" => email = Email::parse(&v).ok(),
            "suite" => suite = safe_next(&v).unwrap_or_default(),
            _ => {}
        }
    }
    email.map(|e| (e, suite))
}

#[derive(Template)]
#[template(path = "account_sent.html")]
struct SentPage {
    layout: Layout,
    /// Shown after « Renvoyer le message ».
    resent: bool,
    paragraphs: Vec<String>,
    /// The resend form's action, when the address is known.
    resend: Option<&'static str>,
    links: Vec<(String, String)>,
}

#[derive(serde::Deserialize)]
pub struct SentQuery {
    #[serde(default)]
    renvoye: String,
}

// ---------------------------------------------------------------------------------------------- sign-up

fn signup_page(req: &HttpRequest, form: &FormData, errors: Vec<FieldError>) -> FormPage {
    let suite = form.get("suite");
    let fields = vec![
        InputField::new("nom", "Prénom et nom", "text", "name")
            .value(form.get("nom"))
            .error_from(&errors),
        InputField::new("email", "Adresse électronique", "email", "email")
            .hint("Nous y enverrons un lien pour activer votre compte, puis le suivi de vos demandes.")
            .value(form.get("email"))
            .error_from(&errors),
        InputField::new("mot_de_passe", "Mot de passe", "password", "new-password")
            .hint(PASSWORD_HINT)
            .error_from(&errors),
    ];
    let mut p = form_page(
        page(req, None, "Créer un compte", &errors),
        "/inscription",
        fields,
        errors,
        "Créer mon compte",
    );
    p.intro = vec!["Un compte vous permet de déposer une demande, de la reprendre plus tard et de suivre votre dossier. Pour estimer vos droits, aucun compte n’est nécessaire.".into()];
    if let Some(next) = safe_next(suite) {
        p.intro
            .push("Après avoir confirmé votre adresse, vous reprendrez là où vous en étiez.".into());
        p.hidden.push(("suite".into(), next));
    }
    p.links = vec![(
        with_suite("/connexion", suite),
        "J’ai déjà un compte : me connecter".into(),
    )];
    p
}

/// A form holding only `suite` (from the query string), for the pages that carry it.
fn suite_form(suite: &str) -> FormData {
    match safe_next(suite) {
        Some(next) => FormData::parse(format!("suite={}", encoded(&next)).as_bytes()),
        None => FormData::default(),
    }
}

pub async fn show_signup(
    req: HttpRequest,
    user: MaybeUser,
    q: web::Query<NextQuery>,
) -> WebResult<HttpResponse> {
    if let Some(u) = user.0 {
        return Ok(see_other(&target_after_login(&q.suite, &u.user)));
    }
    ok(&signup_page(&req, &suite_form(&q.suite), Vec::new()))
}

pub async fn submit_signup(
    req: HttpRequest,
    state: web::Data<AppState>,
    CsrfForm(form): CsrfForm,
) -> WebResult<HttpResponse> {
    let mut errors = Vec::new();
    let name = text(&form, "nom", &mut errors);
    let email_raw = text(&form, "email", &mut errors);
    let pw = text(&form, "mot_de_passe", &mut errors).to_owned();
    let name = match users::parse_display_name(name) {
        Ok(n) => Some(n),
        Err(e) => {
            if errors.iter().all(|x| x.field != "nom") {
                errors.push(err("nom", e.to_string()));
            }
            None
        }
    };
    let email = match Email::parse(email_raw) {
        Ok(e) => Some(e),
        Err(e) => {
            if errors.iter().all(|x| x.field != "email") {
                errors.push(err("email", e.to_string()));
            }
            None
        }
    };
    if let Err(e) = password::check_policy(&pw, email_raw) {
        errors.push(err("mot_de_passe", e.to_string()));
    }
    let (Some(name), Some(email), true) = (name, email, errors.is_empty()) else {
        return render(
            StatusCode::UNPROCESSABLE_ENTITY,
            &signup_page(&req, &form, errors),
        );
    };
    let public_url = state.settings.public_url.clone();
    let ip = client_ip(&req, &state);
    let suite = safe_next(form.get("suite")).unwrap_or_default();
    let cookie = sent_cookie(&state, "/inscription", email.as_str(), &suite);
    let input = SignUp {
        email,
        display_name: name,
        password: pw,
        suite: (!suite.is_empty()).then_some(suite),
    };
    state
        .pool
        .run(move |c| users::sign_up(c, &input, &ip, &public_url).map_err(WebError::from))
        .await?;
    state.delivery.wake();
    let mut res = see_other("/inscription/message-envoye");
    res.add_cookie(&cookie)
        .map_err(|e| WebError::Internal(e.to_string()))?;
    Ok(res)
}

pub async fn signup_sent(req: HttpRequest, q: web::Query<SentQuery>) -> WebResult<HttpResponse> {
    let sent = sent_to(&req);
    let first = match &sent {
        Some((email, _)) => format!(
            "Nous avons envoyé un message à {email}. Ouvrez le lien qu’il contient pour activer votre compte.",
            email = email.as_str()
        ),
        None => "Nous vous avons envoyé un message. Ouvrez le lien qu’il contient pour activer votre compte."
            .into(),
    };
    let mut paragraphs = vec![
        first,
        "Vous ne le trouvez pas ? Regardez dans les courriers indésirables. Le lien est valable 7 jours."
            .into(),
    ];
    if sent.is_some() {
        paragraphs.push(
            "Toujours rien après quelques minutes ? Vous pouvez demander un nouveau message. Si l’adresse est mal écrite, créez votre compte à nouveau avec la bonne adresse.".into(),
        );
    }
    let suite = sent.as_ref().map(|(_, s)| s.as_str()).unwrap_or_default();
    ok(&SentPage {
        layout: Layout::new(&req, None, "Consultez votre messagerie"),
        resent: q.renvoye == "1",
        paragraphs,
        resend: sent.is_some().then_some("/inscription/renvoyer"),
        links: vec![
            (
                with_suite("/inscription", suite),
                "Corriger mon adresse : créer mon compte à nouveau".into(),
            ),
            (
                with_suite("/connexion", suite),
                "Aller à la page de connexion".into(),
            ),
        ],
    })
}

/// « Renvoyer le message »: a new confirmation link to the address of the cookie, within the hourly
/// quotas; the answer is the same whatever happened (no enumeration).
pub async fn resend_signup(
    req: HttpRequest,
    state: web::Data<AppState>,
    _csrf: CsrfForm,
) -> WebResult<HttpResponse> {
    let Some((email, suite)) = sent_to(&req) else {
        return Ok(see_other("/inscription"));
    };
    let public_url = state.settings.public_url.clone();
    let ip = client_ip(&req, &state);
    state
        .pool
        .run(move |c| {
            let suite = (!suite.is_empty()).then_some(suite.as_str());
            users::resend_verification(c, &email, &ip, &public_url, suite).map_err(WebError::from)
        })
        .await?;
    state.delivery.wake();
    Ok(see_other("/inscription/message-envoye?renvoye=1"))
}

#[derive(serde::Deserialize)]
pub struct TokenQuery {
    #[serde(default)]
    jeton: String,
    /// Where the person was going when they signed up (checked again here).
    #[serde(default)]
    suite: String,
}

pub async fn confirm_email(
    req: HttpRequest,
    state: web::Data<AppState>,
    q: web::Query<TokenQuery>,
) -> WebResult<HttpResponse> {
    let TokenQuery { jeton: token, suite } = q.into_inner();
    let result = state
        .pool
        .run(move |c| Ok::<_, WebError>(users::verify_email(c, &token)))
        .await?;
    match result {
        // The link proves the address and comes from the sign-up the person just made: it logs them in
        // and takes them where they were going (a simulation's result, a procedure).
        Ok(user) => {
            tracing::info!(user.id = %user.id, "Email confirmed, logged in");
            let mut res = see_other(&target_after_login(&suite, &user));
            log_in(&mut res, &user, &state)?;
            Ok(res)
        }
        Err(AccountsError::InvalidToken) => render(
            StatusCode::BAD_REQUEST,
            &message(
                Layout::new(&req, None, "Ce lien n’est plus valide"),
                false,
                &[
                    "Ce lien a déjà servi ou il a expiré. Si votre adresse est déjà confirmée, connectez-vous.",
                    "Sinon, connectez-vous quand même : nous vous enverrons un nouveau lien.",
                ],
                &[("/connexion", "Se connecter")],
            ),
        ),
        Err(e) => Err(e.into()),
    }
}

// ------------------------------------------------------------------------------------------------ login

fn login_page(req: &HttpRequest, state: &AppState, form: &FormData, errors: Vec<FieldError>) -> FormPage {
    let fields = vec![
        InputField::new("email", "Adresse électronique", "email", "username")
            .value(form.get("email"))
            .error_from(&errors),
        InputField::new("mot_de_passe", "Mot de passe", "password", "current-password").error_from(&errors),
    ];
    let mut p = form_page(
        page(req, None, "Se connecter", &errors),
        "/connexion",
        fields,
        errors,
        "Se connecter",
    );
    if let Some(next) = safe_next(form.get("suite")) {
        p.hidden.push(("suite".into(), next));
    }
    p.links = vec![
        ("/mot-de-passe-oublie".into(), "Mot de passe oublié ?".into()),
        (
            with_suite("/inscription", form.get("suite")),
            "Créer un compte".into(),
        ),
    ];
    if let Some(label) = super::providers::joining(req, state) {
        p.intro = vec![
            format!("Un compte Guichet existe déjà avec l’adresse électronique transmise par {label}."),
            format!(
                "Connectez-vous à ce compte avec son mot de passe : il sera relié à {label}, et vous pourrez ensuite vous connecter de l’une ou l’autre façon."
            ),
        ];
    } else {
        if state.franceconnect.is_some() {
            p.franceconnect = Some(with_suite("/connexion/franceconnect", form.get("suite")));
        }
        if state.agents_oidc.is_some() {
            p.links.push((
                with_suite("/connexion/agents", form.get("suite")),
                format!(
                    "Agent du département : se connecter avec {}",
                    state.settings.config.agents_oidc_label
                ),
            ));
        }
    }
    p
}

#[derive(serde::Deserialize)]
pub struct NextQuery {
    #[serde(default)]
    suite: String,
}

pub async fn show_login(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: MaybeUser,
    q: web::Query<NextQuery>,
) -> WebResult<HttpResponse> {
    if let Some(u) = user.0 {
        return Ok(see_other(&target_after_login(&q.suite, &u.user)));
    }
    ok(&login_page(&req, &state, &suite_form(&q.suite), Vec::new()))
}

pub async fn submit_login(
    req: HttpRequest,
    state: web::Data<AppState>,
    CsrfForm(form): CsrfForm,
) -> WebResult<HttpResponse> {
    let mut errors = Vec::new();
    let email = text(&form, "email", &mut errors).trim().to_owned();
    let pw = text(&form, "mot_de_passe", &mut errors).to_owned();
    if email.is_empty() {
        errors.push(err("email", "Saisissez votre adresse électronique"));
    }
    if pw.is_empty() {
        errors.push(err("mot_de_passe", "Saisissez votre mot de passe"));
    }
    if !errors.is_empty() {
        return render(
            StatusCode::UNPROCESSABLE_ENTITY,
            &login_page(&req, &state, &form, errors),
        );
    }
    let ip = client_ip(&req, &state);
    let public_url = state.settings.public_url.clone();
    let suite = safe_next(form.get("suite"));
    let result = state
        .pool
        .run(move |c| {
            Ok::<_, WebError>(users::authenticate_then(
                c,
                &email,
                &pw,
                &ip,
                &public_url,
                suite.as_deref(),
            ))
        })
        .await?;
    let mut retry_after = None;
    let (status, message) = match result {
        Ok(user) => {
            let target = target_after_login(form.get("suite"), &user);
            tracing::info!(user.id = %user.id, "Login");
            // A FranceConnect identity waiting in this browser is joined to the account just entered.
            let joined = super::providers::join_after_login(&req, &state, &user.id).await?;
            let mut res = see_other(&target);
            log_in(&mut res, &user, &state)?;
            if let Some(c) = joined {
                res.add_cookie(&c)
                    .map_err(|e| WebError::Internal(e.to_string()))?;
            }
            return Ok(res);
        }
        Err(e @ AccountsError::Throttled { wait_secs }) => {
            retry_after = Some(wait_secs);
            (StatusCode::TOO_MANY_REQUESTS, e.to_string())
        }
        Err(AccountsError::InvalidCredentials) => (
            StatusCode::UNAUTHORIZED,
            AccountsError::InvalidCredentials.to_string(),
        ),
        Err(AccountsError::EmailNotVerified) => {
            state.delivery.wake();
            (StatusCode::FORBIDDEN, AccountsError::EmailNotVerified.to_string())
        }
        Err(AccountsError::Deactivated) => (StatusCode::FORBIDDEN, AccountsError::Deactivated.to_string()),
        Err(e) => return Err(e.into()),
    };
    let mut res = render(
        status,
        &login_page(&req, &state, &form, vec![err("email", message)]),
    )?;
    if let Some(secs) = retry_after
        && let Ok(v) = actix_web::http::header::HeaderValue::from_str(&secs.to_string())
    {
        res.headers_mut().insert(actix_web::http::header::RETRY_AFTER, v);
    }
    Ok(res)
}

pub async fn logout(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: MaybeUser,
    _form: CsrfForm,
) -> WebResult<HttpResponse> {
    if let Some(u) = user.0 {
        let id = u.user.id.clone();
        state
            .pool
            .run(move |c| users::logout(c, &id).map_err(WebError::from))
            .await?;
    }
    // A session opened with FranceConnect ends there too (its rule), then comes back to the home page.
    let target = super::providers::logout_target(&req, &state)
        .await
        .unwrap_or_else(|| "/".to_owned());
    let mut res = see_other(&target);
    res.add_cookie(&session::removal_cookie(&state))
        .and_then(|()| res.add_removal_cookie(&super::providers::session_removal(&state)))
        .and_then(|()| res.add_cookie(&crate::csrf::fresh_cookie(&state)))
        .map_err(|e| WebError::Internal(e.to_string()))?;
    Ok(res)
}

// ------------------------------------------------------------------------------------ forgotten password

fn forgot_page(req: &HttpRequest, form: &FormData, errors: Vec<FieldError>) -> FormPage {
    let fields = vec![
        InputField::new("email", "Adresse électronique de votre compte", "email", "email")
            .value(form.get("email"))
            .error_from(&errors),
    ];
    let mut p = form_page(
        page(req, None, "Mot de passe oublié", &errors),
        "/mot-de-passe-oublie",
        fields,
        errors,
        "Recevoir un lien",
    );
    p.back = Some("/connexion".into());
    p.intro = vec![
        "Nous vous enverrons un lien pour choisir un nouveau mot de passe. Il sera valable 1 heure.".into(),
    ];
    p
}

pub async fn show_forgot(req: HttpRequest) -> WebResult<HttpResponse> {
    ok(&forgot_page(&req, &FormData::default(), Vec::new()))
}

pub async fn submit_forgot(
    req: HttpRequest,
    state: web::Data<AppState>,
    CsrfForm(form): CsrfForm,
) -> WebResult<HttpResponse> {
    let mut errors = Vec::new();
    let raw = text(&form, "email", &mut errors);
    let email = match Email::parse(raw) {
        Ok(e) if errors.is_empty() => e,
        Ok(_) => {
            return render(
                StatusCode::UNPROCESSABLE_ENTITY,
                &forgot_page(&req, &form, errors),
            );
        }
        Err(e) => {
            return render(
                StatusCode::UNPROCESSABLE_ENTITY,
                &forgot_page(&req, &form, vec![err("email", e.to_string())]),
            );
        }
    };
    let cookie = sent_cookie(&state, "/mot-de-passe-oublie", email.as_str(), "");
    send_reset(&req, &state, email).await?;
    let mut res = see_other("/mot-de-passe-oublie/message-envoye");
    res.add_cookie(&cookie)
        .map_err(|e| WebError::Internal(e.to_string()))?;
    Ok(res)
}

/// The same answer whether an email left or not (unknown address, or hourly quota reached).
async fn send_reset(req: &HttpRequest, state: &web::Data<AppState>, email: Email) -> WebResult<()> {
    let public_url = state.settings.public_url.clone();
    let ip = client_ip(req, state);
    state
        .pool
        .run(move |c| users::request_password_reset(c, &email, &ip, &public_url).map_err(WebError::from))
        .await?;
    state.delivery.wake();
    Ok(())
}

pub async fn forgot_sent(req: HttpRequest, q: web::Query<SentQuery>) -> WebResult<HttpResponse> {
    let sent = sent_to(&req);
    // The address is the one the person typed: naming it tells nothing about whether it has an account.
    let first = match &sent {
        Some((email, _)) => format!(
            "Si un compte existe avec l’adresse {email}, vous allez recevoir un lien pour choisir un nouveau mot de passe. Il est valable 1 heure.",
            email = email.as_str()
        ),
        None => "Si un compte existe avec cette adresse, vous allez recevoir un lien pour choisir un nouveau mot de passe. Il est valable 1 heure.".into(),
    };
    ok(&SentPage {
        layout: Layout::new(&req, None, "Consultez votre messagerie"),
        resent: q.renvoye == "1",
        paragraphs: vec![
            first,
            "Vous ne le trouvez pas ? Regardez dans les courriers indésirables. Seul le dernier lien reçu fonctionne.".into(),
        ],
        resend: sent.is_some().then_some("/mot-de-passe-oublie/renvoyer"),
        links: vec![
            ("/mot-de-passe-oublie".into(), "Corriger l’adresse".into()),
            ("/connexion".into(), "Revenir à la connexion".into()),
        ],
    })
}

/// « Renvoyer le message » after a reset request: a new link (the earlier ones stop working).
pub async fn resend_forgot(
    req: HttpRequest,
    state: web::Data<AppState>,
    _csrf: CsrfForm,
) -> WebResult<HttpResponse> {
    let Some((email, _)) = sent_to(&req) else {
        return Ok(see_other("/mot-de-passe-oublie"));
    };
    send_reset(&req, &state, email).await?;
    Ok(see_other("/mot-de-passe-oublie/message-envoye?renvoye=1"))
}

fn reset_page(req: &HttpRequest, token: &str, errors: Vec<FieldError>) -> FormPage {
    let fields = vec![
        InputField::new("mot_de_passe", "Nouveau mot de passe", "password", "new-password")
            .hint(PASSWORD_HINT)
            .error_from(&errors),
    ];
    let mut p = form_page(
        page(req, None, "Choisir un nouveau mot de passe", &errors),
        "/mot-de-passe/nouveau",
        fields,
        errors,
        "Enregistrer",
    );
    p.hidden.push(("jeton".into(), token.to_owned()));
    p
}

pub async fn show_reset(req: HttpRequest, q: web::Query<TokenQuery>) -> WebResult<HttpResponse> {
    ok(&reset_page(&req, &q.jeton, Vec::new()))
}

fn invalid_link(req: &HttpRequest) -> WebResult<HttpResponse> {
    render(
        StatusCode::BAD_REQUEST,
        &message(
            Layout::new(req, None, "Ce lien n’est plus valide"),
            false,
            &["Ce lien a déjà servi ou il a expiré (il est valable 1 heure). Faites une nouvelle demande."],
            &[("/mot-de-passe-oublie", "Recevoir un nouveau lien")],
        ),
    )
}

/// The emailed token and the new password of a « choose a password » form (reset, invitation), the
/// password checked against the policy.
fn token_and_password(form: &FormData) -> Result<(String, String), Vec<FieldError>> {
    let mut errors = Vec::new();
    let pw = text(form, "mot_de_passe", &mut errors).to_owned();
    if errors.is_empty()
        && let Err(e) = password::check_policy(&pw, "")
    {
        errors.push(err("mot_de_passe", e.to_string()));
    }
    if errors.is_empty() {
        Ok((form.get("jeton").to_owned(), pw))
    } else {
        Err(errors)
    }
}

pub async fn submit_reset(
    req: HttpRequest,
    state: web::Data<AppState>,
    CsrfForm(form): CsrfForm,
) -> WebResult<HttpResponse> {
    let (token, pw) = match token_and_password(&form) {
        Ok(v) => v,
        Err(errors) => {
            return render(
                StatusCode::UNPROCESSABLE_ENTITY,
                &reset_page(&req, form.get("jeton"), errors),
            );
        }
    };
    let result = state
        .pool
        .run(move |c| Ok::<_, WebError>(users::reset_password(c, &token, &pw)))
        .await?;
    match result {
        Ok(_) => {
            state.delivery.wake();
            Ok(see_other("/mot-de-passe/change"))
        }
        Err(AccountsError::InvalidToken) => invalid_link(&req),
        Err(AccountsError::WeakPassword(e)) => render(
            StatusCode::UNPROCESSABLE_ENTITY,
            &reset_page(&req, form.get("jeton"), vec![err("mot_de_passe", e.to_string())]),
        ),
        Err(e) => Err(e.into()),
    }
}

/// The page an invited agent lands on: choose a first password.
fn invitation_page(req: &HttpRequest, token: &str, errors: Vec<FieldError>) -> FormPage {
    let fields = vec![
        InputField::new("mot_de_passe", "Votre mot de passe", "password", "new-password")
            .hint(PASSWORD_HINT)
            .error_from(&errors),
    ];
    let mut p = form_page(
        page(req, None, "Bienvenue : choisissez votre mot de passe", &errors),
        "/invitation",
        fields,
        errors,
        "Enregistrer et me connecter",
    );
    p.intro.push(
        "Un administrateur du département vous a ouvert un compte d’agent. Choisissez le mot de passe qui le protégera : vous seul le connaîtrez.".into(),
    );
    p.hidden.push(("jeton".into(), token.to_owned()));
    p
}

pub async fn show_invitation(req: HttpRequest, q: web::Query<TokenQuery>) -> WebResult<HttpResponse> {
    ok(&invitation_page(&req, &q.jeton, Vec::new()))
}

/// The invited agent's first password: the invitation is spent and the agent logged in.
pub async fn submit_invitation(
    req: HttpRequest,
    state: web::Data<AppState>,
    CsrfForm(form): CsrfForm,
) -> WebResult<HttpResponse> {
    let (token, pw) = match token_and_password(&form) {
        Ok(v) => v,
        Err(errors) => {
            return render(
                StatusCode::UNPROCESSABLE_ENTITY,
                &invitation_page(&req, form.get("jeton"), errors),
            );
        }
    };
    let result = state
        .pool
        .run(move |c| Ok::<_, WebError>(users::accept_invitation(c, &token, &pw)))
        .await?;
    match result {
        Ok(user) => {
            state.delivery.wake();
            let mut r = see_other(landing(&user));
            log_in(&mut r, &user, &state)?;
            Ok(r)
        }
        Err(AccountsError::InvalidToken) => render(
            StatusCode::BAD_REQUEST,
            &message(
                Layout::new(&req, None, "Ce lien n’est plus valide"),
                false,
                &[
                    "Ce lien d’invitation a déjà servi ou il a expiré (il est valable 7 jours). Demandez à l’administrateur de vous envoyer une nouvelle invitation ; si vous avez déjà choisi votre mot de passe, connectez-vous.",
                ],
                &[("/connexion", "Se connecter")],
            ),
        ),
        Err(AccountsError::WeakPassword(e)) => render(
            StatusCode::UNPROCESSABLE_ENTITY,
            &invitation_page(&req, form.get("jeton"), vec![err("mot_de_passe", e.to_string())]),
        ),
        Err(AccountsError::Deactivated) => Err(WebError::Denied(
            "Ce compte a été désactivé par un administrateur. Adressez-vous à votre service.",
        )),
        Err(e) => Err(e.into()),
    }
}

pub async fn password_changed(req: HttpRequest, user: MaybeUser) -> WebResult<HttpResponse> {
    ok(&message(
        Layout::new(&req, user.0.as_ref(), "Mot de passe changé"),
        true,
        &[
            "Votre nouveau mot de passe est enregistré. Par sécurité, vous avez été déconnecté de tous vos appareils.",
        ],
        &[("/connexion", "Se connecter")],
    ))
}

// ---------------------------------------------------------------------------------------------- account

#[derive(serde::Deserialize)]
pub struct DoneQuery {
    #[serde(default)]
    fait: String,
}

/// The confirmation shown on « Mon compte » after a change (fixed texts: nothing personal in the URL).
fn done_notice(done: &str) -> Option<&'static str> {
    Some(match done {
        "nom" => "Votre nom est enregistré.",
        "adresse" => {
            "Nous avons envoyé un lien à la nouvelle adresse. Elle remplacera l’ancienne quand vous aurez ouvert ce lien (valable 7 jours). Votre adresse actuelle a été prévenue."
        }
        "adresse-confirmee" => "Votre nouvelle adresse électronique est enregistrée.",
        "courriels" => "Vos choix de courriels sont enregistrés.",
        "mot-de-passe" => "Votre nouveau mot de passe est enregistré.",
        _ => return None,
    })
}

pub async fn show_account(
    req: HttpRequest,
    state: web::Data<AppState>,
    CurrentUser(u): CurrentUser,
    q: web::Query<DoneQuery>,
) -> WebResult<HttpResponse> {
    let relatives = if u.is(Role::Usager) {
        None
    } else {
        let id = u.user.id.clone();
        Some(
            state
                .pool
                .run(move |c| guichet_dossiers::access::declared_relatives(c, &id).map_err(WebError::from))
                .await?
                .into_iter()
                .map(|r| (r.folded_name, r.label))
                .collect(),
        )
    };
    let id = u.user.id.clone();
    let joined = state
        .pool
        .run(move |c| guichet_accounts::external::joined(c, &id).map_err(WebError::from))
        .await?;
    let franceconnect = joined
        .iter()
        .find(|(p, _)| p == super::providers::PROVIDER)
        .map(|(_, claims)| super::providers::shown_identity(claims));
    ok(&AccountPage {
        franceconnect,
        notice: done_notice(&q.fait),
        notify_messages: u.user.notify_messages,
        optional: guichet_notify::preferences::Optional::ALL
            .iter()
            .map(|o| (o.field(), o.label(), o.hint()))
            .collect(),
        mandatory: guichet_notify::preferences::MANDATORY.to_vec(),
        is_usager: u.is(Role::Usager),
        relatives,
        layout: Layout::new(&req, Some(&u), "Mon compte"),
        name: u.user.display_name.clone(),
        email: u.user.email.clone(),
        role: u.user.role.label().to_owned(),
        services: u
            .services
            .iter()
            .map(|s| s.name.as_str())
            .collect::<Vec<_>>()
            .join(", "),
    })
}

/// A « Mon compte » form page: one change, « Enregistrer », back to the account.
fn account_form(
    req: &HttpRequest,
    u: &session::SessionUser,
    title: &str,
    action: &str,
    fields: Vec<InputField>,
    errors: Vec<FieldError>,
) -> FormPage {
    let mut p = form_page(
        page(req, Some(u), title, &errors),
        action,
        fields,
        errors,
        "Enregistrer",
    );
    p.back = Some("/compte".into());
    p
}

fn change_page(req: &HttpRequest, u: &session::SessionUser, errors: Vec<FieldError>) -> FormPage {
    let fields = vec![
        InputField::new("actuel", "Mot de passe actuel", "password", "current-password").error_from(&errors),
        InputField::new("mot_de_passe", "Nouveau mot de passe", "password", "new-password")
            .hint(PASSWORD_HINT)
            .error_from(&errors),
    ];
    account_form(
        req,
        u,
        "Changer de mot de passe",
        "/compte/mot-de-passe",
        fields,
        errors,
    )
}

pub async fn show_change_password(req: HttpRequest, CurrentUser(u): CurrentUser) -> WebResult<HttpResponse> {
    ok(&change_page(&req, &u, Vec::new()))
}

pub async fn submit_change_password(
    req: HttpRequest,
    state: web::Data<AppState>,
    CurrentUser(u): CurrentUser,
    CsrfForm(form): CsrfForm,
) -> WebResult<HttpResponse> {
    let mut errors = Vec::new();
    let current = text(&form, "actuel", &mut errors).to_owned();
    let new = text(&form, "mot_de_passe", &mut errors).to_owned();
    if current.is_empty() {
        errors.push(err("actuel", "Saisissez votre mot de passe actuel"));
    }
    if let Err(e) = password::check_policy(&new, &u.user.email) {
        errors.push(err("mot_de_passe", e.to_string()));
    }
    if !errors.is_empty() {
        return render(StatusCode::UNPROCESSABLE_ENTITY, &change_page(&req, &u, errors));
    }
    let id = u.user.id.clone();
    let result = state
        .pool
        .run(move |c| Ok::<_, WebError>(users::change_password(c, &id, &current, &new)))
        .await?;
    match result {
        Ok(updated) => {
            state.delivery.wake();
            // The change revoked every session; this device gets a fresh one.
            let token = state.keys.issue(&updated)?;
            let mut res = see_other("/compte?fait=mot-de-passe");
            res.add_cookie(&session::cookie(token, &state))
                .map_err(|e| WebError::Internal(e.to_string()))?;
            Ok(res)
        }
        Err(AccountsError::InvalidCredentials) => render(
            StatusCode::UNPROCESSABLE_ENTITY,
            &change_page(
                &req,
                &u,
                vec![err("actuel", "Le mot de passe actuel est incorrect")],
            ),
        ),
        Err(e) => Err(e.into()),
    }
}

// ------------------------------------------------------------------------------- relatives (staff)

/// A member of staff declares a relative whose requests a colleague must instruct.
pub async fn add_relative(
    state: web::Data<AppState>,
    CurrentUser(u): CurrentUser,
    CsrfForm(form): CsrfForm,
) -> WebResult<HttpResponse> {
    if u.is(Role::Usager) {
        return Err(WebError::Forbidden);
    }
    let name = users::parse_display_name(form.get("nom")).ok();
    if let Some(name) = name {
        let id = u.user.id.clone();
        state
            .pool
            .run(move |c| guichet_dossiers::access::declare_relative(c, &id, &name).map_err(WebError::from))
            .await?;
    }
    Ok(see_other("/compte#proches"))
}

pub async fn remove_relative(
    state: web::Data<AppState>,
    CurrentUser(u): CurrentUser,
    CsrfForm(form): CsrfForm,
) -> WebResult<HttpResponse> {
    if u.is(Role::Usager) {
        return Err(WebError::Forbidden);
    }
    let (id, folded) = (u.user.id.clone(), form.get("nom_plie").to_owned());
    state
        .pool
        .run(move |c| guichet_dossiers::access::withdraw_relative(c, &id, &folded).map_err(WebError::from))
        .await?;
    Ok(see_other("/compte#proches"))
}

// ----------------------------------------------------------------------------------------- name

fn name_page(req: &HttpRequest, u: &session::SessionUser, value: &str, errors: Vec<FieldError>) -> FormPage {
    let fields = vec![
        InputField::new("nom", "Prénom et nom", "text", "name")
            .hint("Ce nom remplit d’avance « Vos coordonnées » dans vos nouvelles demandes : vous pourrez toujours le modifier.")
            .value(value)
            .error_from(&errors),
    ];
    account_form(req, u, "Changer de nom", "/compte/nom", fields, errors)
}

pub async fn show_name(req: HttpRequest, CurrentUser(u): CurrentUser) -> WebResult<HttpResponse> {
    let name = u.user.display_name.clone();
    ok(&name_page(&req, &u, &name, Vec::new()))
}

pub async fn submit_name(
    req: HttpRequest,
    state: web::Data<AppState>,
    CurrentUser(u): CurrentUser,
    CsrfForm(form): CsrfForm,
) -> WebResult<HttpResponse> {
    let mut errors = Vec::new();
    let name = text(&form, "nom", &mut errors).to_owned();
    if errors.is_empty()
        && let Err(e) = users::parse_display_name(&name)
    {
        errors.push(err("nom", e.to_string()));
    }
    if !errors.is_empty() {
        return render(
            StatusCode::UNPROCESSABLE_ENTITY,
            &name_page(&req, &u, form.get("nom"), errors),
        );
    }
    let id = u.user.id.clone();
    state
        .pool
        .run(move |c| users::set_display_name(c, &id, &name).map_err(WebError::from))
        .await?;
    Ok(see_other("/compte?fait=nom"))
}

// ------------------------------------------------------------------------------------------ address

fn address_page(
    req: &HttpRequest,
    u: &session::SessionUser,
    form: &FormData,
    errors: Vec<FieldError>,
) -> FormPage {
    let fields = vec![
        InputField::new("email", "Nouvelle adresse électronique", "email", "email")
            .hint("Nous y enverrons un lien. Elle remplacera l’ancienne quand vous l’aurez ouvert.")
            .value(form.get("email"))
            .error_from(&errors),
        InputField::new("actuel", "Votre mot de passe", "password", "current-password")
            .hint("Par sécurité, confirmez que c’est bien vous.")
            .error_from(&errors),
    ];
    let mut p = account_form(
        req,
        u,
        "Changer d’adresse électronique",
        "/compte/adresse",
        fields,
        errors,
    );
    p.submit = "Recevoir le lien de confirmation";
    p.intro = vec![format!(
        "Votre adresse actuelle est {}. Elle reste celle du compte tant que la nouvelle n’est pas confirmée, et elle sera prévenue du changement.",
        u.user.email
    )];
    p
}

pub async fn show_address(req: HttpRequest, CurrentUser(u): CurrentUser) -> WebResult<HttpResponse> {
    ok(&address_page(&req, &u, &FormData::default(), Vec::new()))
}

pub async fn submit_address(
    req: HttpRequest,
    state: web::Data<AppState>,
    CurrentUser(u): CurrentUser,
    CsrfForm(form): CsrfForm,
) -> WebResult<HttpResponse> {
    let mut errors = Vec::new();
    let raw = text(&form, "email", &mut errors).to_owned();
    let current = text(&form, "actuel", &mut errors).to_owned();
    let email = match Email::parse(&raw) {
        Ok(e) if e.as_str() == u.user.email => {
            errors.push(err(
                "email",
                "C’est déjà l’adresse de votre compte : saisissez la nouvelle adresse",
            ));
            None
        }
        Ok(e) => Some(e),
        Err(e) => {
            if errors.iter().all(|x| x.field != "email") {
                errors.push(err("email", e.to_string()));
            }
            None
        }
    };
    if current.is_empty() {
        errors.push(err("actuel", "Saisissez votre mot de passe"));
    }
    let (Some(email), true) = (email, errors.is_empty()) else {
        return render(
            StatusCode::UNPROCESSABLE_ENTITY,
            &address_page(&req, &u, &form, errors),
        );
    };
    let id = u.user.id.clone();
    let ip = client_ip(&req, &state);
    let public_url = state.settings.public_url.clone();
    let accepted = state
        .pool
        .run(move |c| {
            if !users::check_password(c, &id, &current)? {
                return Ok::<_, WebError>(false);
            }
            users::request_email_change(c, &id, &email, &ip, &public_url)?;
            Ok(true)
        })
        .await?;
    if !accepted {
        return render(
            StatusCode::UNPROCESSABLE_ENTITY,
            &address_page(
                &req,
                &u,
                &form,
                vec![err("actuel", "Le mot de passe est incorrect")],
            ),
        );
    }
    state.delivery.wake();
    Ok(see_other("/compte?fait=adresse"))
}

/// The link sent to the new address. It works without being logged in (opened on a phone, say).
pub async fn confirm_address(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: MaybeUser,
    q: web::Query<TokenQuery>,
) -> WebResult<HttpResponse> {
    let token = q.into_inner().jeton;
    let result = state
        .pool
        .run(move |c| Ok::<_, WebError>(users::confirm_email_change(c, &token)))
        .await?;
    match result {
        Ok(updated) => {
            state.delivery.wake();
            tracing::info!(user.id = %updated.id, "Email address changed");
            if user.0.as_ref().is_some_and(|u| u.user.id == updated.id) {
                return Ok(see_other("/compte?fait=adresse-confirmee"));
            }
            let text = format!(
                "L’adresse de votre compte est maintenant {}. Connectez-vous avec elle.",
                updated.email
            );
            ok(&message(
                Layout::new(&req, user.0.as_ref(), "Nouvelle adresse enregistrée"),
                true,
                &[text.as_str()],
                &[("/connexion", "Se connecter")],
            ))
        }
        Err(AccountsError::InvalidToken | AccountsError::InvalidEmail(_)) => render(
            StatusCode::BAD_REQUEST,
            &message(
                Layout::new(&req, user.0.as_ref(), "Ce lien n’est plus valide"),
                false,
                &[
                    "Ce lien a déjà servi, il a expiré, ou une demande plus récente l’a remplacé. Votre adresse n’a pas changé.",
                    "Vous pouvez refaire la demande depuis « Mon compte ».",
                ],
                &[("/compte/adresse", "Changer d’adresse électronique")],
            ),
        ),
        Err(e) => Err(e.into()),
    }
}

// -------------------------------------------------------------------------------------------- emails

pub async fn submit_notifications(
    state: web::Data<AppState>,
    CurrentUser(u): CurrentUser,
    CsrfForm(form): CsrfForm,
) -> WebResult<HttpResponse> {
    let messages = form.get(guichet_notify::preferences::Optional::NewMessage.field()) == "oui";
    let id = u.user.id.clone();
    state
        .pool
        .run(move |c| users::set_notifications(c, &id, messages).map_err(WebError::from))
        .await?;
    Ok(see_other("/compte?fait=courriels#courriels"))
}

// --------------------------------------------------------------------------------- closing an account

#[derive(Template)]
#[template(path = "account_delete.html")]
struct DeletePage {
    layout: Layout,
    errors: Vec<FieldError>,
    /// Staff cannot close their account here: why, in words.
    staff: bool,
    drafts: usize,
    /// Numbers (or procedures) of the deposited dossiers that are kept.
    kept: Vec<String>,
    password: InputField,
    /// The account is joined to FranceConnect: it may confirm there instead of with a password.
    franceconnect: Option<String>,
    /// Back from FranceConnect: the one-use proof the form sends instead of the password.
    proof: Option<String>,
}

async fn delete_page(
    req: &HttpRequest,
    state: &web::Data<AppState>,
    u: &session::SessionUser,
    errors: Vec<FieldError>,
    proof: Option<String>,
) -> WebResult<DeletePage> {
    let id = u.user.id.clone();
    let (own, joined) = state
        .pool
        .run(move |c| {
            Ok::<_, WebError>((
                store::list_for_owner(c, &id)?,
                guichet_accounts::external::is_joined(c, &id)?,
            ))
        })
        .await?;
    let titles = &state.procedures;
    let kept = own
        .iter()
        .filter(|d| !guichet_usecases::accounts::is_draft(d))
        .map(|d| {
            let title = titles
                .get(&d.procedure)
                .map_or_else(|| d.procedure.clone(), |p| p.def.title().to_owned());
            match &d.number {
                Some(n) => format!("{title}, dossier {n}"),
                None => title,
            }
        })
        .collect();
    Ok(DeletePage {
        layout: page(req, Some(u), "Supprimer mon compte", &errors),
        password: InputField::new("actuel", "Votre mot de passe", "password", "current-password")
            .hint(if joined && state.franceconnect.is_some() {
                "Par sécurité, confirmez que c’est bien vous : avec votre mot de passe si vous en avez choisi un, ou avec FranceConnect (plus bas)."
            } else if joined {
                "Par sécurité, confirmez que c’est bien vous. Votre compte est relié à FranceConnect : si vous n’avez jamais choisi de mot de passe, obtenez-en un avec « Mot de passe oublié ? » sur la page de connexion, puis revenez ici."
            } else {
                "Par sécurité, confirmez que c’est bien vous."
            })
            .error_from(&errors),
        errors,
        staff: !u.is(Role::Usager),
        franceconnect: (joined && state.franceconnect.is_some()).then(|| {
            format!(
                "/connexion/franceconnect?suite={}",
                form_urlencoded::byte_serialize(super::providers::CLOSE_ACCOUNT.as_bytes()).collect::<String>()
            )
        }),
        proof,
        drafts: own
            .iter()
            .filter(|d| guichet_usecases::accounts::is_draft(d))
            .count(),
        kept,
    })
}

#[derive(serde::Deserialize)]
pub struct DeleteQuery {
    /// Back from FranceConnect (`providers::CLOSE_ACCOUNT`): the one-use proof of the identification.
    #[serde(default)]
    franceconnect: String,
}

pub async fn show_delete(
    req: HttpRequest,
    state: web::Data<AppState>,
    CurrentUser(u): CurrentUser,
    q: web::Query<DeleteQuery>,
) -> WebResult<HttpResponse> {
    let proof = (!q.franceconnect.is_empty()).then(|| q.franceconnect.clone());
    ok(&delete_page(&req, &state, &u, Vec::new(), proof).await?)
}

/// Closes the usager's account: drafts deleted, deposited dossiers kept (each gets an event telling the
/// service the person no longer has an account and must be written to by post), sessions and links
/// revoked, a last email to the address. One transaction: nothing half done.
pub async fn submit_delete(
    req: HttpRequest,
    state: web::Data<AppState>,
    CurrentUser(u): CurrentUser,
    CsrfForm(form): CsrfForm,
) -> WebResult<HttpResponse> {
    if !u.is(Role::Usager) {
        // Decisions, assignments and notes name staff accounts: those are closed by an administrator.
        return Err(WebError::Refused(
            "Un compte d’agent ne se supprime pas ici : demandez à un administrateur de retirer vos droits."
                .into(),
        ));
    }
    let proof = form.get("franceconnect").to_owned();
    if !proof.is_empty() {
        let (account, p) = (u.user.clone(), proof.clone());
        let closed = state
            .pool
            .run(move |c| {
                guichet_usecases::accounts::close_account_after_franceconnect(c, &account, &p)
                    .map_err(WebError::from)
            })
            .await?;
        return match closed {
            Some(c) => account_closed(&state, &u, c),
            None => render(
                StatusCode::UNPROCESSABLE_ENTITY,
                &delete_page(
                    &req,
                    &state,
                    &u,
                    vec![err(
                        "actuel",
                        "La confirmation par FranceConnect a expiré (elle vaut dix minutes) : identifiez-vous à nouveau avec FranceConnect, ou saisissez votre mot de passe",
                    )],
                    None,
                )
                .await?,
            ),
        };
    }
    let mut errors = Vec::new();
    let current = text(&form, "actuel", &mut errors).to_owned();
    if current.is_empty() && errors.is_empty() {
        errors.push(err("actuel", "Saisissez votre mot de passe"));
    }
    if !errors.is_empty() {
        return render(
            StatusCode::UNPROCESSABLE_ENTITY,
            &delete_page(&req, &state, &u, errors, None).await?,
        );
    }
    let account = u.user.clone();
    let closed = state
        .pool
        .run(move |c| {
            guichet_usecases::accounts::close_account(c, &account, &current).map_err(WebError::from)
        })
        .await?;
    let Some(guichet_usecases::accounts::Closed {
        drafts_deleted: drafts,
        dossiers_kept: kept,
    }) = closed
    else {
        return render(
            StatusCode::UNPROCESSABLE_ENTITY,
            &delete_page(
                &req,
                &state,
                &u,
                vec![err("actuel", "Le mot de passe est incorrect")],
                None,
            )
            .await?,
        );
    };
    account_closed(
        &state,
        &u,
        guichet_usecases::accounts::Closed {
            drafts_deleted: drafts,
            dossiers_kept: kept,
        },
    )
}

/// After closing: the emails sent, the session ended, « Votre compte est supprimé ».
fn account_closed(
    state: &AppState,
    u: &session::SessionUser,
    closed: guichet_usecases::accounts::Closed,
) -> WebResult<HttpResponse> {
    let (drafts, kept) = (closed.drafts_deleted, closed.dossiers_kept);
    state.delivery.wake();
    tracing::info!(user.id = %u.user.id, drafts, kept, "Account closed by its owner");
    let mut res = see_other("/compte/supprime");
    res.add_cookie(&session::removal_cookie(state))
        .and_then(|()| res.add_cookie(&crate::csrf::fresh_cookie(state)))
        .map_err(|e| WebError::Internal(e.to_string()))?;
    Ok(res)
}

pub async fn deleted(req: HttpRequest) -> WebResult<HttpResponse> {
    ok(&message(
        Layout::new(&req, None, "Votre compte est supprimé"),
        true,
        &[
            "Vos brouillons sont effacés et vous êtes déconnecté. Un dernier courriel le confirme à votre adresse.",
            "Vos demandes déjà déposées restent au département, comme la loi l’exige : il pourra vous écrire par courrier.",
        ],
        &[("/", "Revenir à l’accueil")],
    ))
}
