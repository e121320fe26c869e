//! The expert's side of opinions (avis): the list of what is asked of them, one opinion with its
//! question and shared documents, the answer (`guichet_usecases::opinions`).

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use guichet_dossiers::access::{self, SensitiveRead, Standing};
use guichet_usecases::opinions;

use super::instruction::Staff;
use super::{ok, render, see_other};
use crate::app::AppState;
use crate::error::{WebError, WebResult};
use crate::form::CsrfForm;
use crate::session::CurrentUser;
use crate::templates::{Layout, OpinionListPage, OpinionPage};

fn title_of(state: &AppState, procedure: &str) -> String {
    state
        .procedures
        .get(procedure)
        .map_or_else(|| procedure.to_owned(), |p| p.def.title().to_owned())
}

pub async fn list(
    req: HttpRequest,
    state: web::Data<AppState>,
    CurrentUser(u): CurrentUser,
) -> WebResult<HttpResponse> {
    let staff = Staff::from(u)?;
    let viewer = staff.0.viewer();
    let items = state
        .pool
        .run(move |c| opinions::list_for_expert(c, &viewer).map_err(WebError::from))
        .await?;
    let today = guichet_usecases::deadlines::today();
    let page = OpinionListPage {
        layout: Layout::new(&req, Some(&staff.0), "Avis qui vous sont demandés"),
        items: items
            .into_iter()
            .map(|(o, number)| {
                let status = match o.answered_at {
                    Some(t) => format!("Donné le {}", guichet_forms::french_date(t.date())),
                    None if o.due_on < today => "À donner : la date est passée".to_owned(),
                    None => "À donner".to_owned(),
                };
                (
                    format!("/avis/{}", o.id),
                    number,
                    guichet_forms::french_date(o.asked_at.date()),
                    guichet_forms::french_date(o.due_on),
                    status,
                )
            })
            .collect(),
    };
    ok(&page)
}

async fn show_page(
    req: &HttpRequest,
    state: &web::Data<AppState>,
    staff: &Staff,
    id: &str,
    errors: Vec<(String, String)>,
    typed: String,
    status: StatusCode,
) -> WebResult<HttpResponse> {
    let (viewer, oid) = (staff.0.viewer(), id.to_owned());
    let (e, asker) = state
        .pool
        .run(move |c| {
            let e = opinions::for_expert(c, &viewer, &oid)?;
            let asker = guichet_accounts::users::find(c, &e.opinion.asked_by)?
                .map(|u| u.display_name)
                .unwrap_or_default();
            Ok::<_, WebError>((e, asker))
        })
        .await?;
    let number = e
        .dossier
        .number
        .as_ref()
        .map(ToString::to_string)
        .unwrap_or_default();
    let page = OpinionPage {
        layout: Layout::new(req, Some(&staff.0), format!("Avis sur le dossier {number}"))
            .with_errors(!errors.is_empty()),
        errors,
        procedure: title_of(state, &e.dossier.procedure),
        beneficiary: e.dossier.applicant_name.clone(),
        asker,
        asked: guichet_forms::french_date(e.opinion.asked_at.date()),
        due: guichet_forms::french_date(e.opinion.due_on),
        question: e.opinion.question.clone(),
        files: e
            .files
            .iter()
            .map(|(sha, name)| (format!("/avis/{id}/fichiers/{sha}"), name.clone()))
            .collect(),
        answered: e.opinion.answered_at.map(|t| {
            (
                guichet_forms::french_date(t.date()),
                e.opinion.answer.clone().unwrap_or_default(),
            )
        }),
        action: format!("/avis/{id}"),
        typed,
    };
    render(status, &page)
}

pub async fn show(
    req: HttpRequest,
    state: web::Data<AppState>,
    CurrentUser(u): CurrentUser,
    path: web::Path<String>,
) -> WebResult<HttpResponse> {
    let staff = Staff::from(u)?;
    show_page(
        &req,
        &state,
        &staff,
        &path,
        Vec::new(),
        String::new(),
        StatusCode::OK,
    )
    .await
}

pub async fn answer(
    req: HttpRequest,
    state: web::Data<AppState>,
    CurrentUser(u): CurrentUser,
    path: web::Path<String>,
    CsrfForm(form): CsrfForm,
) -> WebResult<HttpResponse> {
    let staff = Staff::from(u)?;
    let id = path.into_inner();
    let text = form.get("reponse").to_owned();
    let (viewer, links, oid, words) = (staff.0.viewer(), state.links(), id.clone(), text.clone());
    let procedures = state.procedures.clone();
    let result = state
        .pool
        .run(move |c| {
            let procedure = opinions::for_expert(c, &viewer, &oid)?.dossier.procedure;
            let title = procedures
                .get(&procedure)
                .map_or_else(|| procedure.clone(), |p| p.def.title().to_owned());
            Ok::<_, WebError>(opinions::answer(c, &links, &viewer, &title, &oid, &words))
        })
        .await?;
    match result {
        Ok(_) => {
            state.delivery.wake();
            Ok(see_other(&format!("/avis/{id}")))
        }
        Err(guichet_usecases::CaseError::Invalid(list)) => {
            let errors = list.into_iter().map(|i| (i.field, i.message)).collect();
            show_page(
                &req,
                &state,
                &staff,
                &id,
                errors,
                text,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

/// A document shared with the expert (only those): health documents traced as every read.
pub async fn file(
    state: web::Data<AppState>,
    CurrentUser(u): CurrentUser,
    path: web::Path<(String, String)>,
) -> WebResult<HttpResponse> {
    let staff = Staff::from(u)?;
    let (id, sha) = path.into_inner();
    let viewer = staff.0.viewer();
    let procedures = state.procedures.clone();
    let file = state
        .pool
        .run(move |c| {
            let e = opinions::for_expert(c, &viewer, &id)?;
            if !e.files.iter().any(|(s, _)| *s == sha) {
                return Err(WebError::NotFound);
            }
            let (field, file) = guichet_usecases::files::referenced_file(&e.dossier.answers, &sha)
                .ok_or(WebError::NotFound)?;
            let def = procedures.definition_of_version(c, &e.dossier.form_version_id)?;
            if crate::documents::is_sensitive_file(&def, &field) || def.handles_health_data() {
                access::trace_read(
                    c,
                    &e.dossier,
                    &viewer,
                    Standing::Service,
                    &SensitiveRead::File {
                        name: file.name.clone(),
                    },
                )?;
            }
            Ok(file)
        })
        .await?;
    crate::documents::send_file(&state, &file).await
}

/// Hourly: experts whose opinion is late get one reminder.
pub fn spawn_reminders(state: AppState) -> tokio::task::JoinHandle<()> {
    use std::time::Duration;
    crate::tasks::periodic(
        "late opinions",
        Duration::from_secs(3 * 60),
        Duration::from_secs(60 * 60),
        move || {
            let state = state.clone();
            async move {
                let links = state.links();
                let n = state
                    .pool
                    .run(move |c| {
                        opinions::remind_late(c, &links, guichet_usecases::deadlines::today())
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
