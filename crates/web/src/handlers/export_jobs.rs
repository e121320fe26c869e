//! Long exports in the background: past `export_background_rows` dossiers (configuration, 20 000 by
//! default: an XLSX of 20 000 takes about a second on the bench machine, a request held longer is a browser
//! left waiting; Démarche Numérique needed this past 24 000) the queue's export link records a job,
//! writes the file under `<data_dir>/exports/` in a background task and sends the agent to « Mes exports »,
//! which says when it is ready (the page refreshes itself) and offers the file to that agent alone for
//! [`KEPT_HOURS`] hours.

use std::path::PathBuf;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use guichet_dossiers::export_jobs::{self, FAILED, Job, READY, RUNNING};
use guichet_dossiers::instruction::QueueFilter;
use guichet_types::Grouped;
use guichet_usecases::exports::{self, CsvSink, Format, OdsSink, XlsxSink};

use super::instruction::Staff;
use super::{render, see_other};
use crate::app::AppState;
use crate::error::{WebError, WebResult};
use crate::session::CurrentUser;
use crate::templates::{ExportsPage, Layout};

/// How long a file stays offered.
pub const KEPT_HOURS: i64 = 24;

fn dir(state: &AppState) -> PathBuf {
    state.settings.config.data_dir.join("exports")
}

fn path_of(state: &AppState, job: &Job) -> PathBuf {
    dir(state).join(format!("{}.{}", job.id, job.format))
}

/// Writes the whole view to `path` (through a temporary name, so a half-written file is never offered).
fn write_file(
    c: &mut guichet_db::AnyConnection,
    plan: &super::instruction::ExportPlan,
    format: Format,
    path: &std::path::Path,
) -> WebResult<u64> {
    use std::io::Write;
    let partial = path.with_extension("partiel");
    let rows = match format {
        Format::Csv => {
            let mut file = std::io::BufWriter::new(std::fs::File::create(&partial)?);
            let mut failed = None;
            let rows = {
                let mut sink = CsvSink::new(|chunk| match file.write_all(&chunk) {
                    Ok(()) => true,
                    Err(e) => {
                        failed = Some(e);
                        false
                    }
                });
                let rows = exports::write(c, &plan.export(), &mut sink)?;
                sink.finish();
                rows
            };
            if let Some(e) = failed {
                return Err(e.into());
            }
            file.flush()?;
            rows
        }
        Format::Xlsx => {
            let mut sink = XlsxSink::new()?;
            let rows = exports::write(c, &plan.export(), &mut sink)?;
            std::fs::write(&partial, sink.finish()?)?;
            rows
        }
        Format::Ods => {
            let mut sink = OdsSink::new()?;
            let rows = exports::write(c, &plan.export(), &mut sink)?;
            std::fs::write(&partial, sink.finish()?)?;
            rows
        }
    };
    std::fs::rename(&partial, path)?;
    Ok(rows)
}

/// Records the job and writes its file in the background; the agent goes to « Mes exports ».
pub async fn start(
    state: &web::Data<AppState>,
    staff: &Staff,
    format: Format,
    query: &str,
    filter: QueueFilter,
) -> WebResult<HttpResponse> {
    let plan = super::instruction::export_plan(state, staff, filter).await?;
    let (me, ext, q) = (
        staff.0.user.id.clone(),
        format.extension().to_owned(),
        query.to_owned(),
    );
    let job = state
        .pool
        .run(move |c| Ok::<_, WebError>(export_jobs::create(c, &me, &ext, &q)?))
        .await?;
    tokio::fs::create_dir_all(dir(state)).await?;
    let (path, id, st) = (path_of(state, &job), job.id.clone(), state.clone());
    actix_web::rt::spawn(async move {
        let written = st
            .pool
            .run_unbounded(move |c| {
                let outcome = write_file(c, &plan, format, &path);
                match &outcome {
                    Ok(rows) => export_jobs::finish(c, &id, i64::try_from(*rows).unwrap_or(i64::MAX))?,
                    Err(e) => {
                        tracing::error!(error = %e, export = %id, "background export failed");
                        let _ = std::fs::remove_file(path.with_extension("partiel"));
                        export_jobs::fail(
                            c,
                            &id,
                            "Erreur technique pendant l’écriture du fichier : relancez l’export.",
                        )?;
                    }
                }
                Ok::<_, WebError>(())
            })
            .await;
        if let Err(e) = written {
            tracing::error!(error = %e, "background export not recorded");
        }
    });
    Ok(see_other(&format!("/instruction/exports?nouveau={}", job.id)))
}

/// « Mes exports »: the agent's latest exports, each with its state and, when ready, its file.
pub async fn list(
    req: HttpRequest,
    state: web::Data<AppState>,
    CurrentUser(u): CurrentUser,
) -> WebResult<HttpResponse> {
    let staff = Staff::from(u)?;
    let me = staff.0.user.id.clone();
    let jobs = state
        .pool
        .run(move |c| Ok::<_, WebError>(export_jobs::of_user(c, &me, 10)?))
        .await?;
    let fresh = form_urlencoded::parse(req.query_string().as_bytes())
        .find(|(k, _)| k == "nouveau")
        .map(|(_, v)| v.into_owned());
    let fr = |t: chrono::NaiveDateTime| {
        let local = guichet_forms::french_date(t.date());
        format!("{local} à {}", t.format("%H:%M"))
    };
    let page = ExportsPage {
        layout: Layout::new(&req, Some(&staff.0), "Mes exports"),
        running: jobs.iter().any(|j| j.status == RUNNING),
        fresh: fresh.is_some_and(|id| jobs.iter().any(|j| j.id == id)),
        keep_hours: KEPT_HOURS,
        script: crate::assets::js_url(),
        rows: jobs
            .iter()
            .map(|j| {
                let status = match (j.status.as_str(), j.row_count) {
                    (READY, Some(n)) => format!(
                        "Prêt : {} {}",
                        Grouped(n),
                        if n > 1 { "dossiers" } else { "dossier" }
                    ),
                    (FAILED, _) => j.error.clone().unwrap_or_else(|| "Échec".into()),
                    _ => "En préparation".into(),
                };
                let href = (j.status == READY).then(|| format!("/instruction/exports/{}", j.id));
                (fr(j.created_at), j.format.to_uppercase(), status, href)
            })
            .collect(),
    };
    render(StatusCode::OK, &page)
}

/// The file of a ready export, to the agent who asked it only.
pub async fn download(
    state: web::Data<AppState>,
    CurrentUser(u): CurrentUser,
    path: web::Path<String>,
) -> WebResult<HttpResponse> {
    let staff = Staff::from(u)?;
    let (me, id) = (staff.0.user.id.clone(), path.into_inner());
    let job = state
        .pool
        .run(move |c| Ok::<_, WebError>(export_jobs::find(c, &id)?))
        .await?
        .filter(|j| j.user_id == me && j.status == READY)
        .ok_or(WebError::NotFound)?;
    let format = Format::parse(&job.format).ok_or(WebError::NotFound)?;
    // Off the executor: an export of 100 000 dossiers is tens of megabytes.
    let bytes = tokio::fs::read(path_of(&state, &job))
        .await
        .map_err(|_| WebError::NotFound)?;
    Ok(HttpResponse::Ok()
        .content_type(format.content_type())
        .insert_header((
            "Content-Disposition",
            format!(
                "attachment; filename=\"dossiers-{}.{}\"",
                job.created_at.format("%Y-%m-%d-%H%M"),
                format.extension()
            ),
        ))
        .body(bytes))
}

/// Hourly: files past [`KEPT_HOURS`] are removed with their job; a job still running after two hours had
/// its process stopped: it is said failed.
pub fn spawn_cleanup(state: AppState) -> tokio::task::JoinHandle<()> {
    use std::time::Duration;
    crate::tasks::periodic(
        "export files",
        Duration::from_secs(5 * 60),
        Duration::from_secs(60 * 60),
        move || {
            let state = state.clone();
            async move {
                let st = state.clone();
                state
                    .pool
                    .run(move |c| {
                        let now = guichet_db::now();
                        let mut removed = 0usize;
                        for j in export_jobs::older_than(c, now - chrono::Duration::hours(2))? {
                            if j.created_at < now - chrono::Duration::hours(KEPT_HOURS) {
                                let _ = std::fs::remove_file(path_of(&st, &j));
                                export_jobs::delete(c, &j.id)?;
                                removed += 1;
                            } else if j.status == RUNNING {
                                export_jobs::fail(
                                    c,
                                    &j.id,
                                    "Interrompu : le serveur s’est arrêté pendant l’export. Relancez-le.",
                                )?;
                            }
                        }
                        Ok::<_, WebError>(removed)
                    })
                    .await
            }
        },
    )
}
