//! « Personnes qui ont accès à ce dossier »: the list, the invitation form, revoking an access, and the
//! invitation link a person opens from their email. The rules are `guichet_usecases::sharing`'s.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use guichet_dossiers::sharing::{Access, AccessRole};
use guichet_usecases::sharing::{self as cases, InviteForm};

use super::demarches::{Followed, load_followed};
use crate::app::AppState;
use crate::error::{WebError, WebResult};
use crate::form::CsrfForm;
use crate::handlers::{ok, render, see_other};
use crate::session::{CurrentUser, MaybeUser};
use crate::templates::Layout;

/// The block of the dossier page: who has access, and whether the reader may invite.
#[derive(Debug, Clone, Default)]
pub struct Summary {
    /// (who, role, status), the accesses that are not revoked.
    pub names: Vec<(String, String, String)>,
    pub can_invite: bool,
}

/// One line of the access page.
#[derive(Debug, Clone)]
pub struct PersonRow {
    pub who: String,
    pub role: &'static str,
    pub status: &'static str,
    /// Mandate reference and last day, for a professional helper.
    pub mandate: Option<String>,
    /// The revoke form's action, when the reader may revoke this access.
    pub revoke: Option<String>,
    /// The revoke button's words (« Retirer l’accès », or « Ne plus suivre ce dossier » for oneself).
    pub revoke_label: &'static str,
}

fn today() -> chrono::NaiveDate {
    guichet_usecases::deadlines::today()
}

/// Those who manage the accesses see each address and the invitations pending; the others see the
/// people who follow the dossier, by name.
fn names(list: &[(Access, Option<String>)], manages: bool) -> Vec<(String, String, String)> {
    let today = today();
    list.iter()
        .filter(|(a, _)| a.revoked_at.is_none())
        .filter_map(|(a, name)| {
            let who = match (name, manages) {
                (Some(n), true) => format!("{n} ({})", a.email),
                (Some(n), false) => n.clone(),
                (None, true) => a.email.clone(),
                (None, false) => return None,
            };
            Some((
                who,
                a.role().label().to_owned(),
                a.status(today).label().to_owned(),
            ))
        })
        .collect()
}

/// The accesses of the dossier, with the account's name of those accepted.
async fn accesses(state: &AppState, f: &Followed) -> WebResult<Vec<(Access, Option<String>)>> {
    let id = f.dossier.id.clone();
    state
        .pool
        .run(move |c| cases::with_names(c, &id).map_err(WebError::from))
        .await
}

pub(crate) async fn summary(state: &AppState, f: &Followed) -> WebResult<Summary> {
    let list = accesses(state, f).await?;
    let can_invite = cases::rights_of(f.standing).invite;
    Ok(Summary {
        names: names(&list, can_invite),
        can_invite,
    })
}

#[derive(Template)]
#[template(path = "sharing.html")]
struct AccessPage {
    layout: Layout,
    errors: Vec<(String, String)>,
    dossier_id: String,
    procedure: String,
    beneficiary: String,
    /// The account that filed the request.
    filer: String,
    people: Vec<PersonRow>,
    can_invite: bool,
    roles: Vec<(&'static str, &'static str, &'static str, bool)>,
    email: String,
    mandate_reference: String,
    mandate_until: String,
    /// Just sent to this address.
    sent: Option<String>,
}

fn role_hint(r: AccessRole) -> &'static str {
    match r {
        AccessRole::Beneficiary => {
            "Elle suit sa demande depuis son compte et peut retirer les accès des autres personnes."
        }
        AccessRole::Parent => "L’autre parent d’un enfant : il voit toute la demande, comme vous.",
        AccessRole::LegalRepresentative => {
            "Le service vérifie le jugement joint à la demande avant de lui écrire."
        }
        AccessRole::Helper => {
            "Un agent France Services ou un travailleur social : indiquez la référence et la fin du mandat Aidants Connect."
        }
        AccessRole::Relative => {
            "Il voit où en est la demande, mais ni les documents ni les données de santé."
        }
    }
}

async fn access_page(
    req: &HttpRequest,
    state: &AppState,
    u: &crate::session::SessionUser,
    f: &Followed,
    errors: Vec<(String, String)>,
    typed: &InviteForm,
    sent: Option<String>,
) -> WebResult<AccessPage> {
    // The accesses and the filer's name in one round trip.
    let (id, owner_id) = (f.dossier.id.clone(), f.dossier.owner_id.clone());
    let (list, filer) = state
        .pool
        .run(move |c| {
            let list = cases::with_names(c, &id)?;
            let filer = guichet_accounts::users::find(c, &owner_id)?.map(|u| u.display_name);
            Ok::<_, WebError>((list, filer.unwrap_or_default()))
        })
        .await?;
    let today = today();
    let manages = cases::rights_of(f.standing).invite;
    let people = list
        .iter()
        // Those who do not manage the accesses see who follows the dossier, not the invitations.
        .filter(|(a, name)| manages || (name.is_some() && a.revoked_at.is_none()))
        .map(|(a, name)| {
            let own = a.user_id.as_deref() == Some(u.user.id.as_str());
            PersonRow {
                who: match (name, manages || own) {
                    (Some(n), true) => format!("{n} ({})", a.email),
                    (Some(n), false) => n.clone(),
                    (None, _) => a.email.clone(),
                },
                role: a.role().label(),
                status: a.status(today).label(),
                mandate: cases::mandate_words(a),
                revoke: (a.revoked_at.is_none() && cases::may_revoke(f.standing, &u.user.id, a))
                    .then(|| format!("/dossiers/{}/acces/{}/retirer", f.dossier.id, a.id)),
                revoke_label: if own {
                    "Ne plus suivre ce dossier"
                } else {
                    "Retirer l’accès"
                },
            }
        })
        .collect();
    let can_invite = cases::rights_of(f.standing).invite;
    let roles = AccessRole::ALL
        .into_iter()
        .map(|r| {
            (
                r.as_str(),
                r.choice_label(),
                role_hint(r),
                typed.role == r.as_str(),
            )
        })
        .collect();
    Ok(AccessPage {
        layout: Layout::new(req, Some(u), "Personnes qui ont accès à ce dossier")
            .with_errors(!errors.is_empty()),
        errors,
        dossier_id: f.dossier.id.clone(),
        procedure: f.def.title().to_owned(),
        beneficiary: f.dossier.beneficiary_words(),
        filer,
        people,
        can_invite,
        roles,
        email: typed.email.clone(),
        mandate_reference: typed.mandate_reference.clone(),
        mandate_until: typed.mandate_until.clone(),
        sent,
    })
}

#[derive(serde::Deserialize)]
pub struct SentQuery {
    #[serde(default)]
    invitation: String,
}

/// `GET /dossiers/{id}/acces`
pub async fn show(
    req: HttpRequest,
    state: web::Data<AppState>,
    CurrentUser(u): CurrentUser,
    path: web::Path<String>,
    q: web::Query<SentQuery>,
) -> WebResult<HttpResponse> {
    let f = load_followed(&state, &u, &path).await?;
    let sent = (!q.invitation.is_empty()).then(|| q.invitation.clone());
    ok(&access_page(&req, &state, &u, &f, Vec::new(), &InviteForm::default(), sent).await?)
}

/// `POST /dossiers/{id}/acces`: invites a person.
pub async fn invite(
    req: HttpRequest,
    state: web::Data<AppState>,
    CurrentUser(u): CurrentUser,
    path: web::Path<String>,
    CsrfForm(form): CsrfForm,
) -> WebResult<HttpResponse> {
    let f = load_followed(&state, &u, &path).await?;
    let typed = InviteForm {
        email: form.get("acces-email").trim().to_owned(),
        role: form.get("acces-role").to_owned(),
        mandate_reference: form.get("acces-mandat").to_owned(),
        mandate_until: form.get("acces-fin").to_owned(),
    };
    let (links, standing, d, def, inviter, t) = (
        state.links(),
        f.standing,
        f.dossier.clone(),
        f.def.clone(),
        u.user.clone(),
        typed.clone(),
    );
    let done = state
        .pool
        .run(move |c| cases::invite(c, &links, standing, &d, &def, &inviter, &t, today()))
        .await;
    match done {
        Ok(a) => Ok(see_other(&format!(
            "/dossiers/{}/acces?invitation={}",
            f.dossier.id,
            form_urlencoded::byte_serialize(a.email.as_bytes()).collect::<String>()
        ))),
        Err(guichet_usecases::CaseError::Invalid(errors)) => {
            let errors = errors.into_iter().map(|e| (e.field, e.message)).collect();
            render(
                StatusCode::UNPROCESSABLE_ENTITY,
                &access_page(&req, &state, &u, &f, errors, &typed, None).await?,
            )
        }
        Err(e) => Err(e.into()),
    }
}

/// `POST /dossiers/{id}/acces/{access}/retirer`
pub async fn revoke(
    state: web::Data<AppState>,
    CurrentUser(u): CurrentUser,
    path: web::Path<(String, String)>,
    _csrf: CsrfForm,
) -> WebResult<HttpResponse> {
    let (id, access) = path.into_inner();
    let f = load_followed(&state, &u, &id).await?;
    let (standing, d, by) = (f.standing, f.dossier.clone(), u.user.id.clone());
    let a = state
        .pool
        .run(move |c| cases::revoke(c, standing, &d, &access, &by).map_err(WebError::from))
        .await?;
    // Leaving a dossier: it is no longer there to go back to.
    if a.user_id.as_deref() == Some(u.user.id.as_str()) {
        return Ok(see_other("/mes-dossiers"));
    }
    Ok(see_other(&format!("/dossiers/{}/acces#personnes", f.dossier.id)))
}

#[derive(Template)]
#[template(path = "invitation.html")]
struct InvitationPage {
    layout: Layout,
    procedure: String,
    beneficiary: String,
    inviter: String,
    role: &'static str,
    email: String,
    /// Logged in: the accept form; else the links to log in or sign up, back here after.
    logged_in: bool,
    login_href: String,
    signup_href: String,
    action: String,
}

/// `GET /invitations/{token}`: what the invitation gives, then « Accepter ».
pub async fn show_invitation(
    req: HttpRequest,
    state: web::Data<AppState>,
    MaybeUser(u): MaybeUser,
    path: web::Path<String>,
) -> WebResult<HttpResponse> {
    let token = path.into_inner();
    let t = token.clone();
    let st = state.clone();
    let (a, procedure, beneficiary, inviter) = state
        .pool
        .run(move |c| {
            let a = cases::invitation(c, &t)?;
            let d = guichet_dossiers::store::find(c, &a.dossier_id)?.ok_or(WebError::NotFound)?;
            let procedure = st
                .procedures
                .get(&d.procedure)
                .map_or_else(|| d.procedure.clone(), |p| p.def.title().to_owned());
            let inviter =
                guichet_accounts::users::find(c, &a.invited_by)?.map_or_else(String::new, |u| u.display_name);
            Ok::<_, WebError>((a, procedure, d.beneficiary_words(), inviter))
        })
        .await?;
    let here = format!("/invitations/{token}");
    let suite: String = form_urlencoded::byte_serialize(here.as_bytes()).collect();
    ok(&InvitationPage {
        layout: Layout::new(&req, u.as_ref(), "Invitation à suivre une demande"),
        procedure,
        beneficiary,
        inviter,
        role: a.role().label(),
        email: a.email,
        logged_in: u.is_some(),
        login_href: format!("/connexion?suite={suite}"),
        signup_href: format!("/inscription?suite={suite}"),
        action: here,
    })
}

/// `POST /invitations/{token}`: joins the invitation to the logged-in account.
pub async fn accept_invitation(
    state: web::Data<AppState>,
    CurrentUser(u): CurrentUser,
    path: web::Path<String>,
    _csrf: CsrfForm,
) -> WebResult<HttpResponse> {
    let (token, user) = (path.into_inner(), u.user.clone());
    let dossier = state
        .pool
        .run(move |c| cases::accept(c, &token, &user).map_err(WebError::from))
        .await?;
    Ok(see_other(&format!("/dossiers/{dossier}")))
}
