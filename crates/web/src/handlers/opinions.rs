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
use crate::templates::{Layout, MessagePage, OpinionListPage, OpinionPage};

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

/// The page of one opinion, for a member (`staff`) or on a one-time link (`link`: its token).
struct View<'a> {
    staff: Option<&'a Staff>,
    link: Option<&'a str>,
    errors: Vec<(String, String)>,
    typed: String,
    notice: Option<String>,
    spent: bool,
}

fn opinion_page(
    req: &HttpRequest,
    state: &web::Data<AppState>,
    e: &opinions::ForExpert,
    asker: String,
    v: View<'_>,
) -> OpinionPage {
    let number = e
        .dossier
        .number
        .as_ref()
        .map(ToString::to_string)
        .unwrap_or_default();
    let base = match v.link {
        Some(token) => format!("/avis/lien/{token}"),
        None => format!("/avis/{}", e.opinion.id),
    };
    OpinionPage {
        layout: Layout::new(
            req,
            v.staff.map(|s| &s.0),
            format!("Avis sur le dossier {number}"),
        )
        .with_errors(!v.errors.is_empty()),
        errors: v.errors,
        procedure: title_of(state, &e.dossier.procedure),
        beneficiary: e.dossier.applicant_name.clone(),
        asker,
        asked: guichet_forms::french_date(e.opinion.asked_at.date()),
        due: guichet_forms::french_date(e.opinion.due_on),
        question: e.opinion.question.clone(),
        files: e
            .files
            .iter()
            .map(|(sha, name)| (format!("{base}/fichiers/{sha}"), name.clone()))
            .collect(),
        answered: e.opinion.answered_at.map(|t| {
            (
                guichet_forms::french_date(t.date()),
                e.opinion.answer.clone().unwrap_or_default(),
            )
        }),
        action: base,
        typed: v.typed,
        back: v.staff.map(|_| "/avis".to_owned()),
        notice: v.notice,
        spent: v.spent,
    }
}

fn asker_of(c: &mut guichet_db::AnyConnection, e: &opinions::ForExpert) -> Result<String, WebError> {
    Ok(guichet_dossiers::store::staff_label(c, &e.opinion.asked_by)?)
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
            let asker = asker_of(c, &e)?;
            Ok::<_, WebError>((e, asker))
        })
        .await?;
    let view = View {
        staff: Some(staff),
        link: None,
        errors,
        typed,
        notice: None,
        spent: false,
    };
    render(status, &opinion_page(req, state, &e, asker, view))
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
            shared_file(c, &procedures, &e, &sha, |c, item| {
                Ok(access::trace_read(
                    c,
                    &e.dossier,
                    &viewer,
                    Standing::Service,
                    item,
                )?)
            })
        })
        .await?;
    crate::documents::send_file(&state, &file).await
}

/// A one-time link that no longer opens: said plainly, with what to do (no detail of why, for a guesser).
fn spent_link(req: &HttpRequest) -> WebResult<HttpResponse> {
    render(
        StatusCode::NOT_FOUND,
        &MessagePage {
            layout: Layout::new(req, None, "Ce lien ne s’ouvre plus"),
            success: false,
            paragraphs: vec![
                "Ce lien de demande d’avis ne s’ouvre plus : l’avis a déjà été donné, le lien a expiré, ou un rappel vous en a envoyé un nouveau (seul le plus récent s’ouvre).".into(),
                "Si vous devez encore donner votre avis, répondez au service qui vous l’a demandé : il vous enverra un nouveau lien.".into(),
            ],
            links: vec![("/".into(), "Aller à l’accueil".into())],
        },
    )
}

const LINK_NOTICE: &str = "Ce lien est personnel et ne sert qu’une fois : après l’envoi de votre avis, il ne s’ouvrira plus. Vous n’avez pas besoin de compte.";

async fn link_page(
    req: &HttpRequest,
    state: &web::Data<AppState>,
    token: &str,
    errors: Vec<(String, String)>,
    typed: String,
    status: StatusCode,
) -> WebResult<HttpResponse> {
    let t = token.to_owned();
    let found = state
        .pool
        .run(move |c| match opinions::by_link(c, &t) {
            Ok(e) => {
                let asker = asker_of(c, &e)?;
                Ok(Some((e, asker)))
            }
            Err(guichet_usecases::CaseError::NotFound) => Ok(None),
            Err(e) => Err(WebError::from(e)),
        })
        .await?;
    let Some((e, asker)) = found else {
        return spent_link(req);
    };
    let view = View {
        staff: None,
        link: Some(token),
        errors,
        typed,
        notice: Some(LINK_NOTICE.to_owned()),
        spent: false,
    };
    let mut res = render(status, &opinion_page(req, state, &e, asker, view))?;
    no_store(&mut res);
    Ok(res)
}

/// The page carries a question about someone's health: never kept by a browser or a proxy.
fn no_store(res: &mut HttpResponse) {
    res.headers_mut().insert(
        actix_web::http::header::CACHE_CONTROL,
        actix_web::http::header::HeaderValue::from_static("no-store"),
    );
}

/// The question and the shared documents, opened by the one-time link of an expert without an account.
pub async fn link_show(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> WebResult<HttpResponse> {
    link_page(&req, &state, &path, Vec::new(), String::new(), StatusCode::OK).await
}

/// The answer through the link: recorded once, the link spent, the page says it was sent.
pub async fn link_answer(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
    CsrfForm(form): CsrfForm,
) -> WebResult<HttpResponse> {
    let token = path.into_inner();
    let text = form.get("reponse").to_owned();
    let (links, t, words) = (state.links(), token.clone(), text.clone());
    let procedures = state.procedures.clone();
    let result = state
        .pool
        .run(move |c| {
            let e = match opinions::by_link(c, &t) {
                Ok(e) => e,
                Err(guichet_usecases::CaseError::NotFound) => return Ok(None),
                Err(e) => return Err(WebError::from(e)),
            };
            let asker = asker_of(c, &e)?;
            let procedure = &e.dossier.procedure;
            let title = procedures
                .get(procedure)
                .map_or_else(|| procedure.clone(), |p| p.def.title().to_owned());
            Ok(Some(
                opinions::answer_by_link(c, &links, &title, &t, &words).map(|o| (o, e, asker)),
            ))
        })
        .await?;
    match result {
        None => spent_link(&req),
        Some(Ok((o, mut e, asker))) => {
            state.delivery.wake();
            e.opinion = o;
            // The link is spent: the documents are no longer offered, and the page says why.
            e.files.clear();
            let view = View {
                staff: None,
                link: Some(&token),
                errors: Vec::new(),
                typed: String::new(),
                notice: Some("Merci : votre avis est transmis au service. Ce lien ne s’ouvrira plus.".into()),
                spent: true,
            };
            let mut res = render(StatusCode::OK, &opinion_page(&req, &state, &e, asker, view))?;
            no_store(&mut res);
            Ok(res)
        }
        Some(Err(guichet_usecases::CaseError::Invalid(list))) => {
            let errors = list.into_iter().map(|i| (i.field, i.message)).collect();
            link_page(
                &req,
                &state,
                &token,
                errors,
                text,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Some(Err(guichet_usecases::CaseError::Refused(_))) => spent_link(&req),
        Some(Err(e)) => Err(e.into()),
    }
}

/// A document shared with an expert without an account, while the link opens; every read traced.
pub async fn link_file(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> WebResult<HttpResponse> {
    let (token, sha) = path.into_inner();
    let procedures = state.procedures.clone();
    let file = state
        .pool
        .run(move |c| {
            let e = match opinions::by_link(c, &token) {
                Ok(e) => e,
                Err(guichet_usecases::CaseError::NotFound) => return Ok(None),
                Err(e) => return Err(WebError::from(e)),
            };
            let label = e.opinion.external_label();
            shared_file(c, &procedures, &e, &sha, |c, item| {
                Ok(access::trace_external_read(c, &e.dossier, &label, item)?)
            })
            .map(Some)
        })
        .await?;
    match file {
        Some(f) => crate::documents::send_file(&state, &f).await,
        None => spent_link(&req),
    }
}

/// A file shared with the expert (only those), its read traced by `trace` when it is health data.
fn shared_file(
    c: &mut guichet_db::AnyConnection,
    procedures: &guichet_usecases::Procedures,
    e: &opinions::ForExpert,
    sha: &str,
    trace: impl FnOnce(&mut guichet_db::AnyConnection, &SensitiveRead) -> Result<(), WebError>,
) -> Result<guichet_forms::FileRef, WebError> {
    if !e.files.iter().any(|(s, _)| s == sha) {
        return Err(WebError::NotFound);
    }
    let (field, file) =
        guichet_usecases::files::referenced_file(&e.dossier.answers, sha).ok_or(WebError::NotFound)?;
    let def = procedures.definition_of_version(c, &e.dossier.form_version_id)?;
    if crate::documents::is_sensitive_file(&def, &field) || def.handles_health_data() {
        trace(
            c,
            &SensitiveRead::File {
                name: file.name.clone(),
            },
        )?;
    }
    Ok(file)
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
