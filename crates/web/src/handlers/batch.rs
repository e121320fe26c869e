//! Batch actions from the queue: the form's parsing, the background run, the report
//! (`guichet_usecases::batch` does the work).

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use guichet_types::Grouped;
use guichet_usecases::batch::{self, ACTIONS, Action, MAX_ITEMS};

use super::instruction::{NOBODY, QueueQuery, Staff};
use super::{ok, render, see_other};
use crate::app::AppState;
use crate::error::{WebError, WebResult};
use crate::form::CsrfForm;
use crate::session::CurrentUser;
use crate::templates::{Layout, LotFields, LotFormPage, LotPage};

/// Items run per round trip to the database: progress shows between them, and other requests get a
/// connection in between.
const STEP: usize = 20;

/// What the batch form had chosen, to show it again.
#[derive(Debug, Clone, Default)]
pub(crate) struct Chosen<'a> {
    pub action: &'a str,
    pub agent: &'a str,
    pub texte: &'a str,
    pub decision: &'a str,
    pub seance: &'a str,
    pub portee: &'a str,
}

/// The batch fields of the queue (and of its error page), with what was chosen; `sittings`: the CDAPH
/// sittings not yet held of the agent's services, as (id, title).
pub(crate) fn fields(
    agents: &[(String, String)],
    sittings: &[(String, String)],
    chosen: &Chosen<'_>,
    vue: &str,
    recent: Vec<(String, String)>,
) -> LotFields {
    LotFields {
        actions: ACTIONS
            .iter()
            .filter(|(c, _)| *c != "seance" || !sittings.is_empty())
            .chain(std::iter::once(&batch::EXPORT))
            .map(|(c, l)| ((*c).to_owned(), (*l).to_owned(), *c == chosen.action))
            .collect(),
        agents: std::iter::once((NOBODY.to_owned(), "Personne (retirer l’affectation)".to_owned()))
            .chain(agents.iter().cloned())
            .map(|(id, label)| {
                let selected = id == chosen.agent;
                (id, label, selected)
            })
            .collect(),
        decisions: [
            ("accord", "Accordé"),
            ("refus", "Refusé"),
            ("sans_objet", "Sans objet"),
        ]
        .iter()
        .map(|(c, l)| ((*c).to_owned(), (*l).to_owned(), *c == chosen.decision))
        .collect(),
        sittings: sittings
            .iter()
            .map(|(id, label)| (id.clone(), label.clone(), id == chosen.seance))
            .collect(),
        texte: chosen.texte.to_owned(),
        portee: chosen.portee.to_owned(),
        vue: vue.to_owned(),
        checked_label: "Les dossiers cochés dans la liste".to_owned(),
        max: Grouped(MAX_ITEMS as i64).to_string(),
        recent,
    }
}

/// The CDAPH sittings not yet held that the agent may fill, as (id, title).
pub(crate) fn open_sittings(
    conn: &mut guichet_db::AnyConnection,
    staff: &guichet_usecases::instruction::Staff,
    procedures: &guichet_usecases::Procedures,
) -> Result<Vec<(String, String)>, WebError> {
    match guichet_usecases::commission::sessions(conn, staff, procedures) {
        Ok(list) => Ok(list
            .into_iter()
            .filter(|(s, _)| !s.is_held())
            .map(|(s, _)| {
                let title = guichet_usecases::commission::session_title(&s);
                (s.id, title)
            })
            .collect()),
        Err(guichet_usecases::CaseError::NotFound) => Ok(Vec::new()),
        Err(e) => Err(e.into()),
    }
}

/// The agent's latest batches, as links for the queue.
pub(crate) fn recent(
    conn: &mut guichet_db::AnyConnection,
    user_id: &str,
) -> Result<Vec<(String, String)>, WebError> {
    Ok(guichet_dossiers::batches::recent_of(conn, user_id, 3)?
        .into_iter()
        .map(|b| {
            let label = ACTIONS
                .iter()
                .find(|(c, _)| *c == b.action)
                .map_or("", |(_, l)| l);
            (
                format!("/instruction/lots/{}", b.id),
                format!(
                    "{label} ({} {}), le {}",
                    b.total,
                    if b.total > 1 { "dossiers" } else { "dossier" },
                    b.created_at.format("%d/%m/%Y à %H:%M")
                ),
            )
        })
        .collect())
}

/// Runs the batch in the background, a few items at a time, until it is finished. A stop of the process
/// leaves the rest pending: [`spawn_stalled_sweep`] settles it.
fn spawn_run(state: web::Data<AppState>, staff: guichet_usecases::instruction::Staff, id: String) {
    actix_web::rt::spawn(async move {
        loop {
            let (links, procedures, staff, batch_id) =
                (state.links(), state.procedures.clone(), staff.clone(), id.clone());
            let step = state
                .pool
                .run_unbounded(move |c| {
                    batch::run_some(c, &links, &staff, &procedures, &batch_id, STEP).map_err(WebError::from)
                })
                .await;
            state.delivery.wake();
            match step {
                Ok(false) => {}
                Ok(true) => break,
                Err(e) => {
                    tracing::error!(error = %e, batch = %id, "batch stopped");
                    break;
                }
            }
        }
    });
}

/// Every few minutes: batches whose process stopped are settled (their pending items refused with the
/// reason), so that no report stays « en cours ».
pub fn spawn_stalled_sweep(state: AppState) -> tokio::task::JoinHandle<()> {
    use std::time::Duration;
    crate::tasks::periodic(
        "stalled batches",
        Duration::from_secs(60),
        Duration::from_secs(5 * 60),
        move || {
            let state = state.clone();
            async move {
                state
                    .pool
                    .run(|c| batch::settle_stalled(c, chrono::Duration::minutes(10)).map_err(WebError::from))
                    .await
            }
        },
    )
}

/// `POST /instruction/lots`: the batch is recorded, started in the background, and the agent sent to its
/// report. Sent without what it needs, the form comes back with the choice kept.
pub async fn start(
    req: HttpRequest,
    state: web::Data<AppState>,
    CurrentUser(u): CurrentUser,
    CsrfForm(form): CsrfForm,
) -> WebResult<HttpResponse> {
    let staff = Staff::from(u)?;
    let cases = staff.cases();
    let (code, agent, texte) = (form.get("action"), form.get("agent"), form.get("texte"));
    let (decision, seance) = (form.get("decision"), form.get("seance"));
    let portee = if form.get("portee") == "vue" {
        "vue"
    } else {
        "coches"
    };
    let vue = form.get("vue").trim_start_matches('?').to_owned();
    let checked: Vec<String> = form.all("dossier").to_vec();
    let q = QueueQuery::parse(&vue);
    let filter = q.filter(&staff, guichet_usecases::exports::BATCH);
    let viewer = staff.0.viewer();
    if code == batch::EXPORT.0 {
        return export_selection(&req, &state, &staff, filter, portee, checked).await;
    }
    let parsed = Action::parse(
        code,
        &batch::Params {
            agent,
            text: texte,
            outcome: decision,
            confirmed: form.get("confirmation") == "1",
            sitting: seance,
        },
    );
    let (scope_cases, action) = (cases.clone(), parsed.as_ref().ok().cloned());
    let result = state
        .pool
        .run(move |c| {
            let ids = if portee == "vue" {
                batch::ids_in_view(c, &filter, &viewer)?
            } else {
                checked.clone()
            };
            let started = match &action {
                Some(a) => batch::start(c, &scope_cases, a, &ids).map(Some),
                None => Ok(None),
            };
            Ok::<_, WebError>((ids, started))
        })
        .await?;
    let (ids, started) = result;
    let mut errors: Vec<(String, String)> = Vec::new();
    if let Err(guichet_usecases::CaseError::Invalid(list)) = &parsed {
        errors.extend(list.iter().map(|i| (i.field.clone(), i.message.clone())));
    }
    match started {
        Ok(Some(id)) => {
            // The first items in the request: a batch of a page is done when its report shows; a longer one
            // goes on in the background.
            let (links, procedures, run_cases, batch_id) =
                (state.links(), state.procedures.clone(), cases.clone(), id.clone());
            let finished = state
                .pool
                .run(move |c| {
                    batch::run_some(c, &links, &run_cases, &procedures, &batch_id, STEP)
                        .map_err(WebError::from)
                })
                .await?;
            state.delivery.wake();
            if !finished {
                spawn_run(state.clone(), cases, id.clone());
            }
            return Ok(see_other(&format!("/instruction/lots/{id}")));
        }
        Ok(None) => {}
        Err(guichet_usecases::CaseError::Invalid(list)) => {
            errors.extend(list.into_iter().map(|i| (i.field, i.message)));
        }
        Err(e) => return Err(e.into()),
    }
    // The selection is checked too when the action is what was missing: both errors at once.
    if ids.is_empty() && !errors.iter().any(|(f, _)| f == "lot-dossiers") {
        errors.push((
            "lot-dossiers".to_owned(),
            "Cochez au moins un dossier dans la liste, ou choisissez « tous les dossiers de la liste »"
                .to_owned(),
        ));
    }
    // In the order of the fields on the page.
    let order = [
        "lot-dossiers",
        "lot-action",
        "lot-agent",
        "lot-decision",
        "lot-seance",
        "lot-texte",
        "lot-confirmation",
    ];
    errors.sort_by_key(|(f, _)| order.iter().position(|o| o == f).unwrap_or(order.len()));
    let (scope, procedures, lot_cases) = (staff.scope(), state.procedures.clone(), cases.clone());
    let (agents, sittings) = state
        .pool
        .run(move |c| {
            Ok::<_, WebError>((
                guichet_dossiers::instruction::agents_of(c, scope.as_deref())?,
                open_sittings(c, &lot_cases, &procedures)?,
            ))
        })
        .await?;
    let chosen = Chosen {
        action: code,
        agent,
        texte,
        decision,
        seance,
        portee,
    };
    let mut lot = fields(&agents, &sittings, &chosen, &vue, Vec::new());
    lot.checked_label = match ids.len() {
        0 => "Les dossiers cochés dans la liste (aucun n’est coché)".to_owned(),
        1 => "Le dossier coché dans la liste".to_owned(),
        n => format!("Les {} dossiers cochés dans la liste", Grouped(n as i64)),
    };
    let page = LotFormPage {
        layout: Layout::new(&req, Some(&staff.0), "Action groupée : à compléter")
            .with_errors(!errors.is_empty()),
        errors,
        lot,
        dossiers: if portee == "vue" { Vec::new() } else { ids },
        back: format!("/instruction?{vue}"),
    };
    render(StatusCode::UNPROCESSABLE_ENTITY, &page)
}

/// « Exporter la sélection »: the dossiers ticked (or the whole view) as a spreadsheet, through the same
/// export as the queue's links.
async fn export_selection(
    req: &HttpRequest,
    state: &web::Data<AppState>,
    staff: &Staff,
    mut filter: guichet_dossiers::instruction::QueueFilter,
    portee: &str,
    checked: Vec<String>,
) -> WebResult<HttpResponse> {
    if portee != "vue" {
        if checked.is_empty() || checked.len() > MAX_ITEMS {
            let page = LotFormPage {
                layout: Layout::new(req, Some(&staff.0), "Export de la sélection : à compléter").with_errors(true),
                errors: vec![(
                    "lot-dossiers".to_owned(),
                    "Cochez au moins un dossier dans la liste, ou choisissez « tous les dossiers de la liste »"
                        .to_owned(),
                )],
                lot: fields(
                    &[],
                    &[],
                    &Chosen {
                        action: batch::EXPORT.0,
                        portee,
                        ..Chosen::default()
                    },
                    "",
                    Vec::new(),
                ),
                dossiers: Vec::new(),
                back: "/instruction".to_owned(),
            };
            return render(StatusCode::UNPROCESSABLE_ENTITY, &page);
        }
        filter.ids = Some(checked);
    }
    super::instruction::send_export(state, staff, guichet_usecases::exports::Format::Xlsx, filter).await
}

/// `GET /instruction/lots/{id}`: the report, dossier by dossier, while it runs and after.
pub async fn report(
    req: HttpRequest,
    state: web::Data<AppState>,
    CurrentUser(u): CurrentUser,
    path: web::Path<String>,
) -> WebResult<HttpResponse> {
    let staff = Staff::from(u)?;
    let cases = staff.cases();
    let id = path.into_inner();
    let rid = id.clone();
    let r = state
        .pool
        .run(move |c| batch::report(c, &cases, &rid).map_err(WebError::from))
        .await?;
    let action = Action::of(&r.batch);
    let texte = match &action {
        Some(
            Action::Message(t)
            | Action::Complement(t)
            | Action::Note(t)
            | Action::Close(t)
            | Action::Decide(_, t),
        ) => t.clone(),
        _ => String::new(),
    };
    let page = LotPage {
        layout: Layout::new(
            &req,
            Some(&staff.0),
            format!(
                "Action groupée : {} ({} {})",
                r.label,
                r.items.len(),
                if r.items.len() > 1 { "dossiers" } else { "dossier" }
            ),
        ),
        finished: r.finished(),
        total: r.items.len(),
        settled: r.settled(),
        done: r.done,
        refused: r.refused,
        texte,
        self_href: format!("/instruction/lots/{id}"),
        script: crate::assets::js_url(),
        items: r
            .items
            .iter()
            .map(|i| {
                let number = if i.dossier_number.is_empty() {
                    "Dossier introuvable".to_owned()
                } else {
                    i.dossier_number.clone()
                };
                let href = if i.dossier_number.is_empty() {
                    String::new()
                } else {
                    format!("/instruction/dossiers/{}", i.dossier_id)
                };
                let result = match i.status.as_str() {
                    guichet_dossiers::batches::DONE => "Fait",
                    guichet_dossiers::batches::REFUSED => "Refusé",
                    _ => "En attente",
                };
                (number, href, result.to_owned(), i.reason.clone())
            })
            .collect(),
    };
    ok(&page)
}
