//! An agent's saved queue views and export columns (`guichet_accounts::preferences`).

use actix_web::{HttpRequest, HttpResponse, web};
use guichet_accounts::preferences;

use super::instruction::{QueueQuery, Staff};
use super::{ok, see_other};
use crate::app::AppState;
use crate::error::{WebError, WebResult};
use crate::form::CsrfForm;
use crate::session::CurrentUser;
use crate::templates::{AgentNotificationsPage, ExportColumnsPage, Layout};

/// A queue query as sent back by a form: re-read and re-written, so that only the queue's own parameters
/// are kept (never a foreign URL or markup).
fn clean_view(raw: &str) -> String {
    QueueQuery::parse(raw.trim_start_matches('?'))
        .link(None, None)
        .trim_start_matches("/instruction?")
        .to_owned()
}

/// `POST /instruction/vues`: the current view saved under a name.
pub async fn save_view(
    state: web::Data<AppState>,
    CurrentUser(u): CurrentUser,
    CsrfForm(form): CsrfForm,
) -> WebResult<HttpResponse> {
    let staff = Staff::from(u)?;
    let (me, name, vue) = (
        staff.0.user.id.clone(),
        form.get("nom").to_owned(),
        clean_view(form.get("vue")),
    );
    let query = vue.clone();
    let saved = state
        .pool
        .run(move |c| Ok::<_, WebError>(preferences::save_view(c, &me, &name, &query)))
        .await?;
    match saved {
        Ok(()) => Ok(see_other(&format!("/instruction?{vue}"))),
        Err(guichet_accounts::AccountsError::InvalidInput(why)) => Err(WebError::Refused(why)),
        Err(e) => Err(e.into()),
    }
}

/// `POST /instruction/vues/{id}/supprimer`.
pub async fn delete_view(
    state: web::Data<AppState>,
    CurrentUser(u): CurrentUser,
    path: web::Path<String>,
    CsrfForm(_form): CsrfForm,
) -> WebResult<HttpResponse> {
    let staff = Staff::from(u)?;
    let (me, id) = (staff.0.user.id.clone(), path.into_inner());
    state
        .pool
        .run(move |c| Ok::<_, WebError>(preferences::delete_view(c, &me, &id)?))
        .await?;
    Ok(see_other("/instruction"))
}

/// `GET /instruction/export/colonnes?procedure=…&vue=…`: every column of the procedure's exports, the
/// chosen ones checked (all when none were chosen).
pub async fn export_columns(
    req: HttpRequest,
    state: web::Data<AppState>,
    CurrentUser(u): CurrentUser,
    query: web::Query<std::collections::HashMap<String, String>>,
) -> WebResult<HttpResponse> {
    let staff = Staff::from(u)?;
    let procedure = query.get("procedure").cloned().unwrap_or_default();
    let viewer = staff.0.viewer();
    // Only a procedure of the agent's services: the others do not exist for them.
    let p = state
        .procedures
        .get(&procedure)
        .filter(|p| viewer.is_admin || viewer.services.contains(&p.service_code))
        .ok_or(WebError::NotFound)?;
    let def = p.def.clone();
    let (me, id) = (staff.0.user.id.clone(), procedure.clone());
    let chosen = state
        .pool
        .run(move |c| Ok::<_, WebError>(preferences::export_columns(c, &me, &id)?))
        .await?;
    let columns = guichet_usecases::exports::columns(Some(&def))
        .into_iter()
        .map(|c| {
            let checked = chosen.is_empty() || chosen.contains(&c.key);
            (c.key, c.header, checked)
        })
        .collect();
    let page = ExportColumnsPage {
        layout: Layout::new(
            &req,
            Some(&staff.0),
            format!("Colonnes des exports : {}", def.title()),
        ),
        procedure,
        vue: clean_view(query.get("vue").map_or("", String::as_str)),
        columns,
    };
    ok(&page)
}

/// `POST /instruction/export/colonnes`: the chosen columns kept for the procedure's next exports.
pub async fn save_export_columns(
    state: web::Data<AppState>,
    CurrentUser(u): CurrentUser,
    CsrfForm(form): CsrfForm,
) -> WebResult<HttpResponse> {
    let staff = Staff::from(u)?;
    let viewer = staff.0.viewer();
    let procedure = form.get("procedure").to_owned();
    let p = state
        .procedures
        .get(&procedure)
        .filter(|p| viewer.is_admin || viewer.services.contains(&p.service_code))
        .ok_or(WebError::NotFound)?;
    // Only keys of the procedure's columns are kept.
    let known: Vec<String> = guichet_usecases::exports::columns(Some(&p.def))
        .into_iter()
        .map(|c| c.key)
        .collect();
    let picked: Vec<String> = form
        .all("colonne")
        .iter()
        .filter(|k| known.contains(k))
        .cloned()
        .collect();
    // Every column ticked is the same as none: no template.
    let picked = if picked.len() == known.len() {
        Vec::new()
    } else {
        picked
    };
    let (me, id) = (staff.0.user.id.clone(), procedure.clone());
    state
        .pool
        .run(move |c| Ok::<_, WebError>(preferences::set_export_columns(c, &me, &id, &picked)?))
        .await?;
    let vue = clean_view(form.get("vue"));
    Ok(see_other(&format!("/instruction?{vue}")))
}

/// `GET /instruction/notifications`: which news the agent wants by email, at once or as a daily digest.
pub async fn notifications(
    req: HttpRequest,
    state: web::Data<AppState>,
    CurrentUser(u): CurrentUser,
) -> WebResult<HttpResponse> {
    let staff = Staff::from(u)?;
    let me = staff.0.user.id.clone();
    let (s, _) = state
        .pool
        .run(move |c| Ok::<_, WebError>(preferences::notifications_of(c, &me)?))
        .await?;
    let page = AgentNotificationsPage {
        layout: Layout::new(&req, Some(&staff.0), "Mes notifications"),
        kinds: vec![
            (
                "message",
                "un usager m’écrit sur un dossier qui m’est affecté",
                s.message,
            ),
            (
                "complement",
                "un usager envoie le complément demandé sur un dossier qui m’est affecté",
                s.complement,
            ),
            ("avis", "un expert donne l’avis que j’ai demandé", s.opinion),
            (
                "echeance",
                "l’échéance d’un dossier qui m’est affecté est dans 15 jours, puis dans 7 jours",
                s.deadline,
            ),
            (
                "nouveau",
                "un nouveau dossier est déposé dans un de mes services",
                s.new_dossier,
            ),
        ],
        digest: s.digest,
        saved: req.query_string().contains("enregistre=1"),
    };
    ok(&page)
}

pub async fn save_notifications(
    state: web::Data<AppState>,
    CurrentUser(u): CurrentUser,
    CsrfForm(form): CsrfForm,
) -> WebResult<HttpResponse> {
    let staff = Staff::from(u)?;
    let me = staff.0.user.id.clone();
    let on = |k: &str| form.get(k) == "1";
    let s = preferences::Notifications {
        message: on("message"),
        complement: on("complement"),
        opinion: on("avis"),
        deadline: on("echeance"),
        new_dossier: on("nouveau"),
        digest: form.get("rythme") == "resume",
    };
    state
        .pool
        .run(move |c| Ok::<_, WebError>(preferences::set_notifications(c, &me, &s)?))
        .await?;
    Ok(see_other("/instruction/notifications?enregistre=1#enregistre"))
}

/// Every quarter of an hour: the agents' notification emails (`usecases::notifications`).
pub fn spawn_agent_news(state: AppState) -> tokio::task::JoinHandle<()> {
    use std::time::Duration;
    crate::tasks::periodic(
        "agent notifications",
        Duration::from_secs(90),
        Duration::from_secs(15 * 60),
        move || {
            let state = state.clone();
            async move {
                let links = state.links();
                let n = state
                    .pool
                    .run_unbounded(move |c| {
                        guichet_usecases::notifications::send_due(c, &links, guichet_db::now())
                            .map_err(WebError::from)
                    })
                    .await?;
                if n > 0 {
                    state.delivery.wake();
                }
                Ok::<_, WebError>(n)
            }
        },
    )
}
