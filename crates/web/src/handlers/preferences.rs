//! An agent's saved queue views and export columns (`guichet_accounts::preferences`).

use actix_web::{HttpRequest, HttpResponse, web};
use guichet_accounts::preferences;

use super::instruction::{QueueQuery, Staff};
use super::{ok, see_other};
use crate::app::AppState;
use crate::error::{WebError, WebResult};
use crate::form::CsrfForm;
use crate::session::CurrentUser;
use crate::templates::{ExportColumnsPage, Layout};

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
