//! A small administration page: services and their members, the département's identity.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use guichet_accounts::{AccountsError, services, users};
use guichet_types::{Email, Role};

use super::{render, see_other};
use crate::app::AppState;
use crate::error::{WebError, WebResult};
use crate::form::CsrfForm;
use crate::session::{CurrentUser, SessionUser};
use crate::templates::{AdminPage, Layout};

fn admin(u: &SessionUser) -> WebResult<()> {
    if u.is(Role::Admin) {
        Ok(())
    } else {
        Err(WebError::Forbidden)
    }
}

async fn page(
    req: &HttpRequest,
    state: &web::Data<AppState>,
    u: &SessionUser,
    errors: Vec<(String, String)>,
    status: StatusCode,
) -> WebResult<HttpResponse> {
    page_with(req, state, u, errors, None, status).await
}

async fn page_with(
    req: &HttpRequest,
    state: &web::Data<AppState>,
    u: &SessionUser,
    errors: Vec<(String, String)>,
    confirm: Option<(String, String, String)>,
    status: StatusCode,
) -> WebResult<HttpResponse> {
    page_full(req, state, u, errors, confirm, IdentityForm::default(), status).await
}

/// What the identity form shows besides the current values.
#[derive(Debug, Default)]
struct IdentityForm {
    /// The values typed, by key, when they were refused.
    submitted: Option<std::collections::HashMap<String, String>>,
    saved: bool,
}

async fn page_full(
    req: &HttpRequest,
    state: &web::Data<AppState>,
    u: &SessionUser,
    errors: Vec<(String, String)>,
    confirm: Option<(String, String, String)>,
    identity_form: IdentityForm,
    status: StatusCode,
) -> WebResult<HttpResponse> {
    let list = state
        .pool
        .run(|c| {
            let mut out = Vec::new();
            for s in services::list(c)? {
                let members = services::members(c, &s.id)?
                    .into_iter()
                    .map(|m| format!("{} ({})", m.display_name, m.email))
                    .collect();
                out.push((s.code, s.name, members));
            }
            Ok::<_, WebError>(out)
        })
        .await?;
    let identity_groups = super::admin_identity::groups(
        &state.identity.get(),
        &list
            .iter()
            .map(|(code, name, _)| (code.clone(), name.clone()))
            .collect::<Vec<_>>(),
        identity_form.submitted.as_ref(),
    );
    render(
        status,
        &AdminPage {
            layout: Layout::new(req, Some(u), "Administration").with_errors(!errors.is_empty()),
            errors,
            services: list,
            confirm,
            identity_groups,
            identity_saved: identity_form.saved,
            mentions_missing: state.settings.config.mentions.missing_labelled(),
        },
    )
}

pub async fn show(
    req: HttpRequest,
    state: web::Data<AppState>,
    CurrentUser(u): CurrentUser,
) -> WebResult<HttpResponse> {
    admin(&u)?;
    let saved = req.query_string().split('&').any(|p| p == "identite=enregistree");
    page_full(
        &req,
        &state,
        &u,
        Vec::new(),
        None,
        IdentityForm {
            submitted: None,
            saved,
        },
        StatusCode::OK,
    )
    .await
}

/// The form « Identité du département »: every field is sent; only the changed ones are written (the
/// others keep following the configuration), all or nothing.
pub async fn update_identity(
    req: HttpRequest,
    state: web::Data<AppState>,
    CurrentUser(u): CurrentUser,
    CsrfForm(form): CsrfForm,
) -> WebResult<HttpResponse> {
    use guichet_usecases::settings;
    admin(&u)?;
    // Compared with the freshest values: another process or the command line may have changed them.
    let current = state.identity.refresh(&state.pool).await?;
    let codes = state
        .pool
        .run(|c| settings::service_codes(c).map_err(WebError::from))
        .await?;
    let submitted: Vec<(String, String)> = settings::known_keys(&codes)
        .iter()
        .map(|k| k.as_text())
        .filter(|k| !form.all(k).is_empty())
        .map(|k| {
            let v = form.get(&k).to_owned();
            (k, v)
        })
        .collect();
    let changes = settings::changed(&current, &submitted);
    let actor = u.user.id.clone();
    let result = state
        .pool
        .run(move |c| Ok::<_, WebError>(settings::update(c, Some(&actor), &changes)))
        .await?;
    match result {
        Ok(_) => {
            state.identity.refresh(&state.pool).await?;
            Ok(see_other("/admin?identite=enregistree"))
        }
        Err(guichet_usecases::CaseError::Invalid(list)) => {
            let errors = list
                .into_iter()
                .map(|i| (super::admin_identity::field_id(&i.field), i.message))
                .collect();
            page_full(
                &req,
                &state,
                &u,
                errors,
                None,
                IdentityForm {
                    submitted: Some(submitted.into_iter().collect()),
                    saved: false,
                },
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn add_service(
    req: HttpRequest,
    state: web::Data<AppState>,
    CurrentUser(u): CurrentUser,
    CsrfForm(form): CsrfForm,
) -> WebResult<HttpResponse> {
    admin(&u)?;
    let (code, name) = (form.get("code").to_owned(), form.get("nom").to_owned());
    let result = state
        .pool
        .run(move |c| Ok::<_, WebError>(services::create(c, &code, &name)))
        .await?;
    match result {
        Ok(_) => Ok(see_other("/admin")),
        Err(e @ (AccountsError::InvalidInput(_) | AccountsError::ServiceExists(_))) => {
            page(
                &req,
                &state,
                &u,
                vec![("code".into(), e.to_string())],
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

/// Adds an existing account to a service, making it an instructor if it was a usager.
pub async fn add_member(
    req: HttpRequest,
    state: web::Data<AppState>,
    CurrentUser(u): CurrentUser,
    CsrfForm(form): CsrfForm,
) -> WebResult<HttpResponse> {
    admin(&u)?;
    let email = match Email::parse(form.get("email")) {
        Ok(e) => e,
        Err(e) => {
            return page(
                &req,
                &state,
                &u,
                vec![("email".into(), e.to_string())],
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
        }
    };
    let service = form.get("service").to_owned();
    let confirmed = form.get("confirmer") == "1";
    let (email_text, service_code) = (email.as_str().to_owned(), service.clone());
    let result = state
        .pool
        .run(move |c| {
            let Some(user) = users::find_by_email(c, &email)? else {
                return Ok(Err("Aucun compte n’a cette adresse : l’agent doit d’abord créer son compte, ou utilisez « guichet user add »".to_owned()));
            };
            // Separation of duties: someone who filed requests with this service becomes its agent only
            // knowingly; the back office will keep those requests out of their reach.
            if !confirmed
                && guichet_dossiers::instruction::has_filed(c, &user.id, Some(std::slice::from_ref(&service)))
                    .map_err(WebError::from)?
            {
                return Ok(Ok(false));
            }
            match services::add_member(c, &user.id, &service) {
                Ok(()) => {
                    if user.role == Role::Usager {
                        users::set_role(c, &user.id, Role::Instructeur)?;
                    }
                    Ok(Ok(true))
                }
                Err(AccountsError::UnknownService(s)) => Ok(Err(format!("Service inconnu : {s}"))),
                Err(e) => Err(WebError::from(e)),
            }
        })
        .await?;
    match result {
        Ok(true) => Ok(see_other("/admin")),
        Ok(false) => {
            let why = "Ce compte a déposé au moins une demande auprès de ce service. S’il en devient agent, il ne pourra ni voir ni instruire ces demandes ni celles qu’il déposera : elles seront traitées par ses collègues. Chaque action reste tracée dans l’historique des dossiers.".to_owned();
            page_with(
                &req,
                &state,
                &u,
                Vec::new(),
                Some((email_text, service_code, why)),
                StatusCode::CONFLICT,
            )
            .await
        }
        Err(message) => {
            page(
                &req,
                &state,
                &u,
                vec![("email".into(), message)],
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
    }
}
