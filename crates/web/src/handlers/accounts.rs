//! Account pages: sign-up, email confirmation, login, logout, forgotten and changed passwords.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use guichet_accounts::users::{self, SignUp};
use guichet_accounts::{AccountsError, password};
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

// ---------------------------------------------------------------------------------------------- sign-up

fn signup_page(req: &HttpRequest, form: &FormData, errors: Vec<FieldError>) -> FormPage {
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
    p.links = vec![("/connexion".into(), "J’ai déjà un compte : me connecter".into())];
    p
}

pub async fn show_signup(req: HttpRequest, user: MaybeUser) -> WebResult<HttpResponse> {
    if user.0.is_some() {
        return Ok(see_other("/compte"));
    }
    ok(&signup_page(&req, &FormData::default(), Vec::new()))
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
    let input = SignUp {
        email,
        display_name: name,
        password: pw,
    };
    state
        .pool
        .run(move |c| users::sign_up(c, &input, &ip, &public_url).map_err(WebError::from))
        .await?;
    state.delivery.wake();
    Ok(see_other("/inscription/message-envoye"))
}

pub async fn signup_sent(req: HttpRequest) -> WebResult<HttpResponse> {
    ok(&message(
        Layout::new(&req, None, "Consultez votre messagerie"),
        true,
        &[
            "Nous vous avons envoyé un message. Ouvrez le lien qu’il contient pour activer votre compte.",
            "Vous ne le trouvez pas ? Regardez dans les courriers indésirables. Le lien est valable 7 jours.",
        ],
        &[("/connexion", "Aller à la page de connexion")],
    ))
}

#[derive(serde::Deserialize)]
pub struct TokenQuery {
    #[serde(default)]
    jeton: String,
}

pub async fn confirm_email(
    req: HttpRequest,
    state: web::Data<AppState>,
    q: web::Query<TokenQuery>,
) -> WebResult<HttpResponse> {
    let token = q.into_inner().jeton;
    let result = state
        .pool
        .run(move |c| Ok::<_, WebError>(users::verify_email(c, &token)))
        .await?;
    match result {
        Ok(_) => ok(&message(
            Layout::new(&req, None, "Adresse électronique confirmée"),
            true,
            &["Votre compte est activé. Vous pouvez vous connecter."],
            &[("/connexion", "Se connecter")],
        )),
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

fn login_page(req: &HttpRequest, form: &FormData, errors: Vec<FieldError>) -> FormPage {
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
        ("/inscription".into(), "Créer un compte".into()),
    ];
    p
}

#[derive(serde::Deserialize)]
pub struct NextQuery {
    #[serde(default)]
    suite: String,
}

pub async fn show_login(
    req: HttpRequest,
    user: MaybeUser,
    q: web::Query<NextQuery>,
) -> WebResult<HttpResponse> {
    if user.0.is_some() {
        return Ok(see_other("/compte"));
    }
    let mut form = FormData::default();
    if let Some(next) = safe_next(&q.suite) {
        form = FormData::parse(
            format!(
                "suite={}",
                form_urlencoded::byte_serialize(next.as_bytes()).collect::<String>()
            )
            .as_bytes(),
        );
    }
    ok(&login_page(&req, &form, Vec::new()))
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
        return render(StatusCode::UNPROCESSABLE_ENTITY, &login_page(&req, &form, errors));
    }
    let ip = client_ip(&req, &state);
    let public_url = state.settings.public_url.clone();
    let result = state
        .pool
        .run(move |c| Ok::<_, WebError>(users::authenticate(c, &email, &pw, &ip, &public_url)))
        .await?;
    let mut retry_after = None;
    let (status, message) = match result {
        Ok(user) => {
            let token = state.keys.issue(&user)?;
            let target = safe_next(form.get("suite")).unwrap_or_else(|| "/compte".to_owned());
            tracing::info!(user.id = %user.id, "Login");
            let mut res = see_other(&target);
            res.add_cookie(&session::cookie(token, &state))
                .and_then(|()| res.add_cookie(&crate::csrf::fresh_cookie(&state)))
                .map_err(|e| WebError::Internal(e.to_string()))?;
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
        Err(e) => return Err(e.into()),
    };
    let mut res = render(status, &login_page(&req, &form, vec![err("email", message)]))?;
    if let Some(secs) = retry_after
        && let Ok(v) = actix_web::http::header::HeaderValue::from_str(&secs.to_string())
    {
        res.headers_mut().insert(actix_web::http::header::RETRY_AFTER, v);
    }
    Ok(res)
}

pub async fn logout(state: web::Data<AppState>, user: MaybeUser, _form: CsrfForm) -> WebResult<HttpResponse> {
    if let Some(u) = user.0 {
        let id = u.user.id.clone();
        state
            .pool
            .run(move |c| users::logout(c, &id).map_err(WebError::from))
            .await?;
    }
    let mut res = see_other("/");
    res.add_cookie(&session::removal_cookie(&state))
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
    let public_url = state.settings.public_url.clone();
    let ip = client_ip(&req, &state);
    // The same answer whether an email left or not (unknown address, or hourly quota reached).
    state
        .pool
        .run(move |c| users::request_password_reset(c, &email, &ip, &public_url).map_err(WebError::from))
        .await?;
    state.delivery.wake();
    Ok(see_other("/mot-de-passe-oublie/message-envoye"))
}

pub async fn forgot_sent(req: HttpRequest) -> WebResult<HttpResponse> {
    ok(&message(
        Layout::new(&req, None, "Consultez votre messagerie"),
        true,
        &[
            "Si un compte existe avec cette adresse, vous allez recevoir un lien pour choisir un nouveau mot de passe. Il est valable 1 heure.",
            "Vous ne le trouvez pas ? Regardez dans les courriers indésirables.",
        ],
        &[("/connexion", "Revenir à la connexion")],
    ))
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

pub async fn submit_reset(
    req: HttpRequest,
    state: web::Data<AppState>,
    CsrfForm(form): CsrfForm,
) -> WebResult<HttpResponse> {
    let mut errors = Vec::new();
    let token = form.get("jeton").to_owned();
    let pw = text(&form, "mot_de_passe", &mut errors).to_owned();
    if errors.is_empty()
        && let Err(e) = password::check_policy(&pw, "")
    {
        errors.push(err("mot_de_passe", e.to_string()));
    }
    if !errors.is_empty() {
        return render(
            StatusCode::UNPROCESSABLE_ENTITY,
            &reset_page(&req, &token, errors),
        );
    }
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

pub async fn show_account(
    req: HttpRequest,
    state: web::Data<AppState>,
    CurrentUser(u): CurrentUser,
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
    ok(&AccountPage {
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

fn change_page(req: &HttpRequest, u: &session::SessionUser, errors: Vec<FieldError>) -> FormPage {
    let fields = vec![
        InputField::new("actuel", "Mot de passe actuel", "password", "current-password").error_from(&errors),
        InputField::new("mot_de_passe", "Nouveau mot de passe", "password", "new-password")
            .hint(PASSWORD_HINT)
            .error_from(&errors),
    ];
    let mut p = form_page(
        page(req, Some(u), "Changer de mot de passe", &errors),
        "/compte/mot-de-passe",
        fields,
        errors,
        "Enregistrer",
    );
    p.back = Some("/compte".into());
    p
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
            let mut res = see_other("/compte");
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
