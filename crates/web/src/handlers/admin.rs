//! A small administration page: services and their members, the département's identity.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use guichet_accounts::{AccountsError, services};
use guichet_types::{Email, Role, ServiceRole};

use super::{render, see_other};
use crate::app::AppState;
use crate::error::{WebError, WebResult};
use crate::form::CsrfForm;
use crate::session::{CurrentUser, SessionUser};
use crate::templates::{AdminPage, Layout, MemberRow, RuleRow};

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
    page_full(req, state, u, errors, Extras::default(), status).await
}

/// What the identity form shows besides the current values.
#[derive(Debug, Default)]
struct IdentityForm {
    /// The values typed, by key, when they were refused.
    submitted: Option<std::collections::HashMap<String, String>>,
    saved: bool,
}

/// What the page shows besides the current state.
#[derive(Debug, Default)]
struct Extras {
    /// Adding this account needs a confirmation: (email, service code, what to know).
    confirm: Option<(String, String, String)>,
    identity: IdentityForm,
    notice: String,
    /// (email, name, service, role) of a refused « Ajouter un agent ».
    typed: (String, String, String, String),
    /// A refused routing rule, as typed.
    rule: guichet_usecases::routing::Input,
}

/// The notices of `?fait=…` after an action on agents.
fn notice_of(query: &str) -> String {
    let fait = query
        .split('&')
        .find_map(|p| p.strip_prefix("fait="))
        .unwrap_or_default();
    match fait {
        "invitation" => "Invitation envoyée : l’agent a 7 jours pour choisir son mot de passe.",
        "ajout" => "L’agent a été ajouté au service.",
        "role" => "Le rôle a été changé. Il s’applique dès la prochaine page de l’agent.",
        "retrait" => {
            "L’agent a été retiré du service ; ses dossiers de ce service ne sont plus affectés à personne."
        }
        "desactive" => {
            "Le compte a été désactivé : ses sessions sont fermées et il ne peut plus se connecter."
        }
        "reactive" => "Le compte a été réactivé.",
        "reinvitation" => "Une nouvelle invitation a été envoyée ; le lien précédent ne fonctionne plus.",
        "regle-ajoutee" => {
            "La règle d’orientation a été ajoutée : elle s’applique aux dossiers déposés désormais."
        }
        "regle-retiree" => "La règle d’orientation a été retirée.",
        "regle-deplacee" => "La règle a été remontée d’un rang.",
        _ => "",
    }
    .to_owned()
}

async fn page_full(
    req: &HttpRequest,
    state: &web::Data<AppState>,
    u: &SessionUser,
    errors: Vec<(String, String)>,
    extras: Extras,
    status: StatusCode,
) -> WebResult<HttpResponse> {
    let me = u.user.id.clone();
    let list = state
        .pool
        .run(move |c| {
            let mut out = Vec::new();
            for s in services::list(c)? {
                let members = services::members_with_roles(c, &s.id)?
                    .into_iter()
                    .map(|(m, role)| MemberRow {
                        is_me: m.id == me,
                        user_id: m.id,
                        name: m.display_name,
                        email: m.email,
                        role: role.as_str(),
                        status: if m.deactivated {
                            "Désactivé"
                        } else if !m.email_verified {
                            "Invitation envoyée, mot de passe pas encore choisi"
                        } else {
                            "Actif"
                        },
                        invited: !m.email_verified && !m.deactivated,
                        deactivated: m.deactivated,
                    })
                    .collect();
                out.push((s.code, s.name, members));
            }
            let rules = guichet_usecases::routing::rules(c)?;
            Ok::<_, WebError>((out, rules))
        })
        .await?;
    let (list, rules) = list;
    let service_name = |code: &str| {
        list.iter()
            .find(|(c, _, _)| c == code)
            .map_or_else(|| code.to_owned(), |(_, n, _)| n.clone())
    };
    let title_of = |id: &str| {
        state
            .procedures
            .get(id)
            .map_or_else(|| id.to_owned(), |p| p.def.title().to_owned())
    };
    let rule_rows: Vec<RuleRow> = rules
        .iter()
        .enumerate()
        .map(|(i, r)| RuleRow {
            id: r.id.clone(),
            procedure: title_of(&r.procedure),
            rank: 1 + rules[..i].iter().filter(|x| x.procedure == r.procedure).count(),
            first: !rules[..i].iter().any(|x| x.procedure == r.procedure),
            conditions: guichet_usecases::routing::describe(r),
            service: service_name(&r.service_code),
        })
        .collect();
    let identity_groups = super::admin_identity::groups(
        &state.identity.get(),
        &list
            .iter()
            .map(|(code, name, _)| (code.clone(), name.clone()))
            .collect::<Vec<_>>(),
        extras.identity.submitted.as_ref(),
    );
    render(
        status,
        &AdminPage {
            layout: Layout::new(req, Some(u), "Administration").with_errors(!errors.is_empty()),
            errors,
            services: list,
            roles: ServiceRole::ALL.iter().map(|r| (r.as_str(), r.label())).collect(),
            notice: extras.notice,
            typed: extras.typed,
            confirm: extras.confirm,
            identity_groups,
            identity_saved: extras.identity.saved,
            mentions_missing: state.settings.config.mentions.missing_labelled(),
            rules: rule_rows,
            rule_procedures: state
                .procedures
                .all()
                .map(|p| (p.id().to_owned(), p.def.title().to_owned()))
                .collect(),
            rule: extras.rule,
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
        Extras {
            identity: IdentityForm {
                submitted: None,
                saved,
            },
            notice: notice_of(req.query_string()),
            ..Extras::default()
        },
        StatusCode::OK,
    )
    .await
}

/// The identity form as sent: the current identity (the freshest: another process or the command line may
/// have changed it), the fields sent, and those that differ from the current values.
async fn identity_form(
    state: &web::Data<AppState>,
    form: &crate::form::FormData,
) -> WebResult<(
    guichet_usecases::letters::Identity,
    Vec<(String, String)>,
    Vec<(String, String)>,
)> {
    use guichet_usecases::settings;
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
    Ok((current, submitted, changes))
}

/// The identity form refused: each value named by its field, what was typed kept.
async fn identity_refused(
    req: &HttpRequest,
    state: &web::Data<AppState>,
    u: &SessionUser,
    list: Vec<guichet_usecases::Invalid>,
    submitted: Vec<(String, String)>,
) -> WebResult<HttpResponse> {
    let errors = list
        .into_iter()
        .map(|i| (super::admin_identity::field_id(&i.field), i.message))
        .collect();
    page_full(
        req,
        state,
        u,
        errors,
        Extras {
            identity: IdentityForm {
                submitted: Some(submitted.into_iter().collect()),
                saved: false,
            },
            ..Extras::default()
        },
        StatusCode::UNPROCESSABLE_ENTITY,
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
    let (_, submitted, changes) = identity_form(&state, &form).await?;
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
            identity_refused(&req, &state, &u, list, submitted).await
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

fn acting_admin(u: &SessionUser) -> guichet_usecases::agents::Admin {
    guichet_usecases::agents::Admin {
        id: u.user.id.clone(),
        name: u.user.display_name.clone(),
    }
}

/// Adds an account to a service with a role (a usager becomes an agent), or invites a new address.
pub async fn add_member(
    req: HttpRequest,
    state: web::Data<AppState>,
    CurrentUser(u): CurrentUser,
    CsrfForm(form): CsrfForm,
) -> WebResult<HttpResponse> {
    use guichet_usecases::agents::{self, Added};
    admin(&u)?;
    let typed = (
        form.get("email").trim().to_owned(),
        form.get("nom").trim().to_owned(),
        form.get("service").to_owned(),
        form.get("role").to_owned(),
    );
    let refused = |errors: Vec<(String, String)>, typed| async {
        page_full(
            &req,
            &state,
            &u,
            errors,
            Extras {
                typed,
                ..Extras::default()
            },
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await
    };
    let email = match Email::parse(&typed.0) {
        Ok(e) => e,
        Err(e) => return refused(vec![("email".into(), e.to_string())], typed.clone()).await,
    };
    let role = typed.3.parse::<ServiceRole>().unwrap_or(ServiceRole::Instructeur);
    let confirmed = form.get("confirmer") == "1";
    let (who, name, service, url) = (
        acting_admin(&u),
        typed.1.clone(),
        typed.2.clone(),
        state.settings.public_url.clone(),
    );
    let result = state
        .pool
        .run(move |c| {
            Ok::<_, WebError>(agents::add(
                c, &who, &email, &name, &service, role, confirmed, &url,
            ))
        })
        .await?;
    match result {
        Ok(Added::Invited) => {
            state.delivery.wake();
            Ok(see_other("/admin?fait=invitation#fait"))
        }
        Ok(Added::Joined) => Ok(see_other("/admin?fait=ajout#fait")),
        Ok(Added::NeedsConfirmation) => {
            let why = "Ce compte a déposé au moins une demande auprès de ce service. S’il en devient agent, il ne pourra ni voir ni instruire ces demandes ni celles qu’il déposera : elles seront traitées par ses collègues. Chaque action reste tracée dans l’historique des dossiers.".to_owned();
            page_full(
                &req,
                &state,
                &u,
                Vec::new(),
                Extras {
                    confirm: Some((typed.0.clone(), typed.2.clone(), why)),
                    typed: typed.clone(),
                    ..Extras::default()
                },
                StatusCode::CONFLICT,
            )
            .await
        }
        Err(guichet_usecases::CaseError::Invalid(list)) => {
            refused(
                list.into_iter().map(|i| (i.field, i.message)).collect(),
                typed.clone(),
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

/// The member and service a row's form names.
fn member_of(form: &crate::form::FormData) -> (String, String) {
    (form.get("utilisateur").to_owned(), form.get("service").to_owned())
}

pub async fn change_role(
    state: web::Data<AppState>,
    CurrentUser(u): CurrentUser,
    CsrfForm(form): CsrfForm,
) -> WebResult<HttpResponse> {
    admin(&u)?;
    let (user, service) = member_of(&form);
    let role = form
        .get("role")
        .parse::<ServiceRole>()
        .map_err(|_| WebError::Refused("Choisissez un rôle de la liste".into()))?;
    state
        .pool
        .run(move |c| guichet_usecases::agents::change_role(c, &user, &service, role).map_err(WebError::from))
        .await?;
    Ok(see_other("/admin?fait=role#fait"))
}

pub async fn remove_member(
    state: web::Data<AppState>,
    CurrentUser(u): CurrentUser,
    CsrfForm(form): CsrfForm,
) -> WebResult<HttpResponse> {
    admin(&u)?;
    let (user, service) = member_of(&form);
    let who = acting_admin(&u);
    state
        .pool
        .run(move |c| guichet_usecases::agents::remove(c, &who, &user, &service).map_err(WebError::from))
        .await?;
    Ok(see_other("/admin?fait=retrait#fait"))
}

pub async fn reinvite(
    state: web::Data<AppState>,
    CurrentUser(u): CurrentUser,
    CsrfForm(form): CsrfForm,
) -> WebResult<HttpResponse> {
    admin(&u)?;
    let (user, service) = member_of(&form);
    let (who, url) = (acting_admin(&u), state.settings.public_url.clone());
    state
        .pool
        .run(move |c| {
            guichet_usecases::agents::reinvite(c, &who, &user, &service, &url).map_err(WebError::from)
        })
        .await?;
    state.delivery.wake();
    Ok(see_other("/admin?fait=reinvitation#fait"))
}

pub async fn set_active(
    state: web::Data<AppState>,
    CurrentUser(u): CurrentUser,
    CsrfForm(form): CsrfForm,
) -> WebResult<HttpResponse> {
    admin(&u)?;
    let user = form.get("utilisateur").to_owned();
    let active = form.get("actif") == "1";
    let who = acting_admin(&u);
    state
        .pool
        .run(move |c| guichet_usecases::agents::set_active(c, &who, &user, active).map_err(WebError::from))
        .await?;
    Ok(see_other(if active {
        "/admin?fait=reactive#fait"
    } else {
        "/admin?fait=desactive#fait"
    }))
}

/// Adds a routing rule (`guichet_usecases::routing`); a refused one comes back with what was typed.
pub async fn add_rule(
    req: HttpRequest,
    state: web::Data<AppState>,
    CurrentUser(u): CurrentUser,
    CsrfForm(form): CsrfForm,
) -> WebResult<HttpResponse> {
    use guichet_usecases::routing;
    admin(&u)?;
    let input = routing::Input {
        procedure: form.get("demarche").to_owned(),
        postal_codes: form.get("codes_postaux").to_owned(),
        communes: form.get("communes").to_owned(),
        age_min: form.get("age_min").to_owned(),
        age_max: form.get("age_max").to_owned(),
        service: form.get("service_regle").to_owned(),
    };
    let (typed, me, procedures) = (input.clone(), u.user.id.clone(), state.procedures.clone());
    let result = state
        .pool
        .run(move |c| {
            let all: Vec<_> = procedures.all().collect();
            Ok::<_, WebError>(routing::add(c, &all, &input, &me))
        })
        .await?;
    match result {
        Ok(_) => Ok(see_other("/admin?fait=regle-ajoutee#orientation")),
        Err(guichet_usecases::CaseError::Invalid(list)) => {
            page_full(
                &req,
                &state,
                &u,
                list.into_iter().map(|i| (i.field, i.message)).collect(),
                Extras {
                    rule: typed,
                    ..Extras::default()
                },
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn remove_rule(
    state: web::Data<AppState>,
    CurrentUser(u): CurrentUser,
    CsrfForm(form): CsrfForm,
) -> WebResult<HttpResponse> {
    admin(&u)?;
    let (id, me) = (form.get("regle").to_owned(), u.user.id.clone());
    state
        .pool
        .run(move |c| guichet_usecases::routing::remove(c, &id, &me).map_err(WebError::from))
        .await?;
    Ok(see_other("/admin?fait=regle-retiree#orientation"))
}

pub async fn move_rule_up(
    state: web::Data<AppState>,
    CurrentUser(u): CurrentUser,
    CsrfForm(form): CsrfForm,
) -> WebResult<HttpResponse> {
    admin(&u)?;
    let id = form.get("regle").to_owned();
    state
        .pool
        .run(move |c| guichet_usecases::routing::move_up(c, &id).map_err(WebError::from))
        .await?;
    Ok(see_other("/admin?fait=regle-deplacee#orientation"))
}

/// A sample letter of a service, as the saved identity prints it (`?service=`; default: the first
/// service with a procedure).
pub async fn letter_preview(
    req: HttpRequest,
    state: web::Data<AppState>,
    CurrentUser(u): CurrentUser,
) -> WebResult<HttpResponse> {
    admin(&u)?;
    let service = form_urlencoded::parse(req.query_string().as_bytes())
        .find(|(k, _)| k == "service")
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default();
    let identity = state.identity.refresh(&state.pool).await?;
    sample_pdf(&state, &identity, &service)
}

/// The same sample with the values typed in the identity form, checked but not saved.
pub async fn letter_preview_typed(
    req: HttpRequest,
    state: web::Data<AppState>,
    CurrentUser(u): CurrentUser,
    CsrfForm(form): CsrfForm,
) -> WebResult<HttpResponse> {
    use guichet_usecases::settings;
    admin(&u)?;
    let (current, submitted, changes) = identity_form(&state, &form).await?;
    let base = current.clone();
    let result = state
        .pool
        .run(move |c| Ok::<_, WebError>(settings::preview(c, &base, &changes)))
        .await?;
    match result {
        Ok(identity) => sample_pdf(&state, &identity, form.get("apercu_service")),
        Err(guichet_usecases::CaseError::Invalid(list)) => {
            identity_refused(&req, &state, &u, list, submitted).await
        }
        Err(e) => Err(e.into()),
    }
}

fn sample_pdf(
    state: &AppState,
    identity: &guichet_usecases::letters::Identity,
    service: &str,
) -> WebResult<HttpResponse> {
    let mut procedures = state.procedures.all();
    let proc = state
        .procedures
        .all()
        .find(|p| p.service_code == service)
        .or_else(|| procedures.next())
        .ok_or(WebError::NotFound)?;
    let code = if service.is_empty() {
        proc.service_code.as_str()
    } else {
        service
    };
    let letter = guichet_usecases::letters::sample(identity, &proc.def, code)?;
    let pdf = guichet_documents::render_decision(&letter).map_err(|e| WebError::Internal(e.to_string()))?;
    let mut res = super::demarches::pdf_response(pdf, "courrier-exemple.pdf");
    // Opened in the browser's viewer beside the form, not saved.
    res.headers_mut().insert(
        actix_web::http::header::CONTENT_DISPOSITION,
        actix_web::http::header::HeaderValue::from_static("inline; filename=\"courrier-exemple.pdf\""),
    );
    Ok(res)
}
