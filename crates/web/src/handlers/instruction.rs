//! The instructors' back office: queue, dossier page and actions, notes, messages, export.

use std::sync::Arc;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use guichet_dossiers::access::{self, SensitiveRead, Standing, Viewer};
use guichet_dossiers::instruction::{self, Command, Complement, Count, Cursor, QueueFilter, Sort, Tab};
use guichet_dossiers::store::{self, Dossier};
use guichet_dossiers::{Actor, State};
use guichet_forms::FormDefinition;
use guichet_types::{Euros, Grouped, Role};
use serde_json::Value;

use super::demarches::pdf_response;
use super::{ok, render, see_other};
use crate::app::AppState;
use crate::error::{WebError, WebResult};
use crate::form::{CsrfForm, FormData};
use crate::session::{CurrentUser, SessionUser};
use crate::templates::{
    DocumentLine, InstructionDossierPage, Layout, QueuePage, QueueRow, RightPanel, SummaryBlock,
};

/// An instructor or an administrator; anyone else gets 403.
pub struct Staff(pub SessionUser);

impl Staff {
    pub(super) fn from(u: SessionUser) -> WebResult<Staff> {
        if u.is(Role::Instructeur) || u.is(Role::Admin) {
            Ok(Staff(u))
        } else {
            Err(WebError::Forbidden)
        }
    }

    /// The services whose dossiers this person may see: `None` means every service (administrator).
    pub(crate) fn scope(&self) -> Option<Vec<String>> {
        if self.0.is(Role::Admin) {
            None
        } else {
            Some(self.0.services.iter().map(|s| s.code.clone()).collect())
        }
    }

    /// The same person, for the use cases.
    pub(crate) fn cases(&self) -> guichet_usecases::instruction::Staff {
        guichet_usecases::instruction::Staff {
            viewer: self.0.viewer(),
            actor: self.actor(),
        }
    }

    /// How this person acts on dossiers (the lifecycle's permissions).
    fn actor(&self) -> Actor {
        if self.0.is(Role::Admin) {
            Actor::Admin
        } else {
            Actor::Instructeur
        }
    }
}

pub(crate) fn fr_date(t: chrono::NaiveDateTime) -> String {
    guichet_forms::french_date(t.date())
}

// ------------------------------------------------------------------------------------------- queue

/// The queue's view as the query string says it. Filters take several values (`procedure=apa&procedure=mdph`),
/// which serde's URL decoder does not gather: the pairs are read here.
#[derive(Debug, Default, Clone)]
pub struct QueueQuery {
    onglet: String,
    /// Tabs shown together (`etat=a-traiter&etat=traites`): the « Tous » view.
    etats: Vec<String>,
    procedures: Vec<String>,
    /// Service codes (territorial services among them).
    services: Vec<String>,
    /// Agent ids, and `personne` for the dossiers assigned to nobody.
    agents: Vec<String>,
    a_moi: String,
    echeance: String,
    recherche: String,
    tri: String,
    ordre: String,
    page: i64,
    apres_date: String,
    apres_id: String,
}

/// The value that stands for « assigned to nobody » in the assignee filter.
pub(crate) const NOBODY: &str = "personne";

/// The tab that shows several states at once (those its « États » filter chooses, or all of them).
const ALL_TABS: &str = "tous";

impl QueueQuery {
    pub fn parse(query: &str) -> QueueQuery {
        let mut q = QueueQuery::default();
        for (k, v) in form_urlencoded::parse(query.as_bytes()) {
            let v: String = v.chars().take(100).collect();
            match k.as_ref() {
                "onglet" => q.onglet = v,
                "etat" if Tab::ALL.iter().any(|t| t.slug() == v) && !q.etats.contains(&v) => q.etats.push(v),
                "procedure" if !v.is_empty() && q.procedures.len() < 20 => q.procedures.push(v),
                "service" if !v.is_empty() && q.services.len() < 50 => q.services.push(v),
                "agent" if !v.is_empty() && q.agents.len() < 50 => q.agents.push(v),
                "a_moi" => q.a_moi = v,
                "echeance" => q.echeance = v,
                "recherche" => q.recherche = v,
                "tri" => q.tri = v,
                "ordre" => q.ordre = v,
                "page" => q.page = v.parse().unwrap_or(0).clamp(0, 10_000),
                "apres_date" => q.apres_date = v,
                "apres_id" => q.apres_id = v,
                _ => {}
            }
        }
        q
    }

    fn sort(&self) -> Sort {
        Sort::parse(&self.tri, &self.ordre)
    }

    /// Choosing states shows them together in « Tous », whichever tab the filters were sent from.
    fn all_tabs(&self) -> bool {
        self.onglet == ALL_TABS || !self.etats.is_empty()
    }

    /// The tabs of this view.
    fn tabs(&self) -> Vec<Tab> {
        if !self.all_tabs() {
            return vec![Tab::from_slug(&self.onglet)];
        }
        let chosen: Vec<Tab> = Tab::ALL
            .into_iter()
            .filter(|t| self.etats.iter().any(|e| e == t.slug()))
            .collect();
        if chosen.is_empty() {
            Tab::ALL.to_vec()
        } else {
            chosen
        }
    }

    /// The tab shown as current: one of the four, or `None` for « Tous ».
    fn current_tab(&self) -> Option<Tab> {
        (!self.all_tabs()).then(|| Tab::from_slug(&self.onglet))
    }

    pub(crate) fn filter(&self, staff: &Staff, limit: i64) -> QueueFilter {
        let mut f = QueueFilter::new(staff.scope(), self.tabs());
        f.procedures = self.procedures.clone();
        f.territories = self.services.clone();
        f.unassigned = self.agents.iter().any(|a| a == NOBODY);
        f.assignees = self.agents.iter().filter(|a| *a != NOBODY).cloned().collect();
        if self.a_moi == "1" {
            f.assigned_to = Some(staff.0.user.id.clone());
        }
        match self.echeance.as_str() {
            "depassee" => f.overdue_only = true,
            d => f.due_within_days = d.parse().ok().filter(|n: &i64| (1..=365).contains(n)),
        }
        f.search = Some(self.recherche.clone()).filter(|s| !s.trim().is_empty());
        f.sort = self.sort();
        f.offset = self.page * PAGE_SIZE;
        if !self.apres_id.is_empty() {
            f.after = Some(Cursor {
                due_at: chrono::NaiveDateTime::parse_from_str(&self.apres_date, "%Y-%m-%dT%H:%M:%S%.f").ok(),
                id: self.apres_id.chars().take(64).collect(),
            });
        }
        f.limit = limit;
        f
    }

    /// The query string of this view, without its position (page or cursor) nor its sort; with another
    /// tab (`Some`: one of the four, whose link drops the states chosen for « Tous »).
    fn base(&self, tab: Option<Tab>) -> form_urlencoded::Serializer<'static, String> {
        let mut s = form_urlencoded::Serializer::new(String::new());
        match tab {
            Some(t) => {
                s.append_pair("onglet", t.slug());
            }
            None if self.all_tabs() => {
                s.append_pair("onglet", ALL_TABS);
                for t in self.tabs().into_iter().filter(|_| !self.etats.is_empty()) {
                    s.append_pair("etat", t.slug());
                }
            }
            None => {
                s.append_pair("onglet", Tab::from_slug(&self.onglet).slug());
            }
        }
        for p in &self.procedures {
            s.append_pair("procedure", p);
        }
        for c in &self.services {
            s.append_pair("service", c);
        }
        for a in &self.agents {
            s.append_pair("agent", a);
        }
        for (k, v) in [
            ("a_moi", &self.a_moi),
            ("echeance", &self.echeance),
            ("recherche", &self.recherche),
        ] {
            if !v.is_empty() {
                s.append_pair(k, v);
            }
        }
        s
    }

    /// The query string of this view, with another tab or cursor (the sort kept).
    pub(crate) fn link(&self, tab: Option<Tab>, after: Option<&Cursor>) -> String {
        let mut s = self.base(tab);
        if !self.tri.is_empty() {
            s.append_pair("tri", &self.tri);
            s.append_pair("ordre", &self.ordre);
        }
        if let Some(c) = after {
            if let Some(d) = c.due_at {
                s.append_pair("apres_date", &d.format("%Y-%m-%dT%H:%M:%S%.f").to_string());
            }
            s.append_pair("apres_id", &c.id);
        }
        format!("/instruction?{}", s.finish())
    }

    /// The view sorted by another column: ascending first, descending when it is already ascending.
    fn sort_link(&self, column: &str) -> String {
        let current = self.sort();
        let desc = current.column() == column && !current.descending();
        let mut s = self.base(None);
        s.append_pair("tri", column);
        s.append_pair("ordre", if desc { "desc" } else { "asc" });
        format!("/instruction?{}", s.finish())
    }

    /// The next page of a view sorted other than by due date.
    fn page_link(&self, page: i64) -> String {
        let mut s = self.base(None);
        s.append_pair("tri", &self.tri);
        s.append_pair("ordre", &self.ordre);
        s.append_pair("page", &page.to_string());
        format!("/instruction?{}", s.finish())
    }
}

pub const PAGE_SIZE: i64 = 50;

/// Separation of duties: the queue and the export of someone who filed dossiers leave them out.
fn leave_out_own(c: &mut guichet_db::AnyConnection, filter: &mut QueueFilter, me: &str) -> WebResult<()> {
    if instruction::has_filed(c, me, filter.services.as_deref())? {
        filter.exclude_owner = Some(me.to_owned());
    }
    Ok(())
}

/// « J-7 », « J-15 » or « Dépassée » beside a due date that comes near.
fn due_badge(due: Option<chrono::NaiveDateTime>, now: chrono::NaiveDateTime) -> &'static str {
    match due.map(|d| (d.date() - now.date()).num_days()) {
        Some(n) if n < 0 => "Dépassée",
        Some(n) if n <= 7 => "J-7",
        Some(n) if n <= 15 => "J-15",
        _ => "",
    }
}

pub async fn queue(
    req: HttpRequest,
    state: web::Data<AppState>,
    CurrentUser(u): CurrentUser,
) -> WebResult<HttpResponse> {
    let q = QueueQuery::parse(req.query_string());
    let staff = Staff::from(u)?;
    // An expert and nothing else has no queue: only the opinions asked of them.
    if !staff.0.is(Role::Admin)
        && !staff.0.memberships.is_empty()
        && staff
            .0
            .memberships
            .iter()
            .all(|m| m.role == guichet_types::ServiceRole::Expert)
    {
        return Ok(see_other("/avis"));
    }
    let mut filter = q.filter(&staff, PAGE_SIZE + 1);
    let me = staff.0.user.id.clone();
    let scope = staff.scope();
    let (lot_cases, procedures) = (staff.cases(), state.procedures.clone());
    let (mut rows, counts, (details, flags), (agents, services), (recent, sittings), views) = state
        .pool
        .run(move |c| {
            leave_out_own(c, &mut filter, &me)?;
            let rows = instruction::queue(c, &filter)?;
            let counts = instruction::tab_counts(c, &filter)?;
            let details = instruction::row_details(c, &rows)?;
            let flags = instruction::row_flags(c, &rows)?;
            let details = (details, flags);
            let agents = (
                instruction::agents_of(c, scope.as_deref())?,
                guichet_accounts::services::list(c)?,
            );
            let recent = (
                super::batch::recent(c, &me)?,
                super::batch::open_sittings(c, &lot_cases, &procedures)?,
            );
            let views = guichet_accounts::preferences::views_of(c, &me)?;
            Ok::<_, WebError>((rows, counts, details, agents, recent, views))
        })
        .await?;
    let has_more = rows.len() as i64 > PAGE_SIZE;
    rows.truncate(PAGE_SIZE as usize);
    let next = if !has_more {
        None
    } else if q.sort() == Sort::DueAsc {
        rows.last().map(|d| q.link(None, Some(&d.cursor())))
    } else {
        Some(q.page_link(q.page + 1))
    };
    // Requests for the agent or a relative they declared are left out of their page (a page may then
    // hold a row or two fewer; the cursor above still starts the next one after the last row read).
    let viewer = staff.0.viewer();
    rows.retain(|d| !viewer.conflicts_with(&d.applicant_name));
    let now = guichet_db::now();
    let tab = q.current_tab();
    let sort = q.sort();
    let columns = [
        ("numero", "Numéro"),
        ("beneficiaire", "Bénéficiaire"),
        ("depot", "Déposé le"),
        ("echeance", "Échéance"),
    ];
    let agents_for_lot = agents.clone();
    let vue = q.link(None, None).trim_start_matches("/instruction?").to_owned();
    let page = QueuePage {
        layout: Layout::new(&req, Some(&staff.0), "Dossiers à instruire"),
        tabs: {
            let shown = |n: &Count| match n {
                Count::MoreThan(cap) => format!("plus de {}", Grouped(*cap)),
                Count::Exact(n) => Grouped(*n).to_string(),
            };
            let chosen = q.tabs();
            let all = counts
                .iter()
                .filter(|(t, _)| tab.is_some() || chosen.contains(t))
                .fold(Count::Exact(0), |sum, (_, n)| match (sum, *n) {
                    (Count::Exact(a), Count::Exact(b)) => Count::Exact(a + b),
                    (Count::Exact(a) | Count::MoreThan(a), Count::MoreThan(b))
                    | (Count::MoreThan(a), Count::Exact(b)) => Count::MoreThan(a + b),
                });
            let mut all_link = q.clone();
            all_link.onglet = ALL_TABS.to_owned();
            all_link.etats.clear();
            counts
                .iter()
                .map(|(t, n)| {
                    (
                        t.label().to_owned(),
                        shown(n),
                        q.link(Some(*t), None),
                        Some(*t) == tab,
                    )
                })
                .chain(std::iter::once((
                    "Tous".to_owned(),
                    shown(&all),
                    all_link.link(None, None),
                    tab.is_none(),
                )))
                .collect()
        },
        states: Tab::ALL
            .iter()
            .map(|t| {
                let checked = tab.is_none() && !q.etats.is_empty() && q.etats.iter().any(|e| e == t.slug());
                (t.slug().to_owned(), t.label().to_owned(), checked)
            })
            .collect(),
        // Only the procedures of the agent's services: the others' dossiers do not exist for them.
        procedures: state
            .procedures
            .all()
            .filter(|p| viewer.is_admin || viewer.services.contains(&p.service_code))
            .map(|p| {
                let id = p.id().to_owned();
                let selected = q.procedures.contains(&id);
                (id, p.def.title().to_owned(), selected)
            })
            .collect(),
        agents: std::iter::once((NOBODY.to_owned(), "Personne (non affecté)".to_owned()))
            .chain(agents.iter().cloned())
            .map(|(id, label)| {
                let selected = q.agents.contains(&id);
                (id, label, selected)
            })
            .collect(),
        services: services
            .iter()
            .filter(|sv| viewer.is_admin || viewer.services.contains(&sv.code))
            .map(|sv| (sv.code.clone(), sv.name.clone(), q.services.contains(&sv.code)))
            .collect(),
        filtered: !q.etats.is_empty()
            || !q.procedures.is_empty()
            || !q.services.is_empty()
            || !q.agents.is_empty()
            || !q.echeance.is_empty()
            || q.a_moi == "1",
        a_moi: q.a_moi == "1",
        echeance: q.echeance.clone(),
        recherche: q.recherche.clone(),
        onglet: tab.map_or(ALL_TABS, Tab::slug).to_owned(),
        tri: q.tri.clone(),
        ordre: q.ordre.clone(),
        headers: columns
            .iter()
            .map(|(col, label)| {
                let aria = if sort.column() == *col {
                    if sort.descending() {
                        "descending"
                    } else {
                        "ascending"
                    }
                } else {
                    ""
                };
                ((*label).to_owned(), q.sort_link(col), aria.to_owned())
            })
            .collect(),
        rows: rows
            .iter()
            .map(|d| {
                let due = guichet_usecases::deadlines::moved_due(d.due_at, d.clock_paused_at, now)
                    .filter(|_| !d.state.is_decided());
                let filer = details
                    .filers
                    .get(&d.id)
                    .filter(|f| access::person_key(f) != access::person_key(&d.applicant_name))
                    .cloned()
                    .unwrap_or_default();
                QueueRow {
                    href: format!("/instruction/dossiers/{}", d.id),
                    id: d.id.clone(),
                    number: d.number.as_ref().map(ToString::to_string).unwrap_or_default(),
                    applicant: d.applicant_name.clone(),
                    filer,
                    procedure: state
                        .procedures
                        .get(&d.procedure)
                        .map_or_else(|| d.procedure.clone(), |p| p.def.title().to_owned()),
                    rights: details.rights.get(&d.id).cloned().unwrap_or_default(),
                    deposited: d.deposited_at.map(fr_date).unwrap_or_default(),
                    // While a complement is awaited the clock is paused: the date moves with the wait.
                    due: due.map(fr_date).unwrap_or_else(|| "—".into()),
                    overdue: due.is_some_and(|due| due < now),
                    badge: if d.complement_demande {
                        ""
                    } else {
                        due_badge(due, now)
                    },
                    state: match (d.complement_demande, d.complement_recu, d.clock_paused_at) {
                        (true, _, Some(asked)) => {
                            format!("Complément demandé le {} (délai suspendu)", fr_date(asked))
                        }
                        (true, _, None) => "Complément demandé".to_owned(),
                        (false, true, _) => "Complément reçu".to_owned(),
                        _ if d.withdrawn => "Demande retirée par le demandeur".to_owned(),
                        _ => d.state.label().to_owned(),
                    },
                    complement_recu: d.complement_recu && !d.complement_demande,
                    new_message: flags.new_message.contains(&d.id),
                    opinion_received: flags.opinion_received.contains(&d.id),
                    assignee: d
                        .assigned_to
                        .as_ref()
                        .map(|a| details.agents.get(a).cloned().unwrap_or_default())
                        .filter(|l| !l.is_empty())
                        .unwrap_or_else(|| "personne".to_owned()),
                    assigned: d.assigned_to.as_deref() == Some(staff.0.user.id.as_str()),
                    implicit: super::implicit::queue_flag(&state, &d.procedure, d.implicit_at),
                }
            })
            .collect(),
        next,
        one_procedure: q.procedures.len() == 1,
        lot: (viewer.is_admin || staff.0.memberships.iter().any(|m| m.role.acts())).then(|| {
            super::batch::fields(
                &agents_for_lot,
                &sittings,
                &super::batch::Chosen {
                    portee: "coches",
                    ..super::batch::Chosen::default()
                },
                &vue,
                recent,
            )
        }),
        views: views
            .into_iter()
            .map(|v| {
                let current = v.query == vue;
                (format!("/instruction?{}", v.query), v.name, v.id, current)
            })
            .collect(),
        columns_href: (q.procedures.len() == 1).then(|| {
            let mut s = form_urlencoded::Serializer::new(String::new());
            s.append_pair("procedure", &q.procedures[0]);
            s.append_pair("vue", &vue);
            format!("/instruction/export/colonnes?{}", s.finish())
        }),
        vue: vue.clone(),
        expert: staff
            .0
            .memberships
            .iter()
            .any(|m| m.role == guichet_types::ServiceRole::Expert),
        errors: Vec::new(),
        exports: ["xlsx", "ods", "csv"]
            .into_iter()
            .map(|ext| {
                let href =
                    q.link(None, None)
                        .replacen("/instruction?", &format!("/instruction/export.{ext}?"), 1);
                (ext.to_uppercase(), href)
            })
            .collect(),
    };
    ok(&page)
}

/// The current queue view as a file: `/instruction/export.csv`, `.xlsx` or `.ods`, with the queue's columns
/// and, for a view of one procedure, every answer (`guichet_usecases::exports`). CSV is streamed: the
/// database side writes chunks into a bounded channel while the client reads them, so a client that goes
/// away stops the query. The spreadsheets are written row by row to temporary files and sent when done.
pub async fn export(
    req: HttpRequest,
    path: web::Path<String>,
    state: web::Data<AppState>,
    CurrentUser(u): CurrentUser,
) -> WebResult<HttpResponse> {
    let format = guichet_usecases::exports::Format::parse(&path.into_inner()).ok_or(WebError::NotFound)?;
    let q = QueueQuery::parse(req.query_string());
    let staff = Staff::from(u)?;
    let filter = q.filter(&staff, guichet_usecases::exports::BATCH);
    // A long view is written in the background and offered on « Mes exports » when ready.
    let (probe, limit) = (filter.clone(), state.settings.config.export_background_rows);
    let long = state
        .pool
        .run(move |c| Ok::<_, WebError>(guichet_dossiers::instruction::more_than(c, &probe, limit)?))
        .await?;
    if long {
        return super::export_jobs::start(&state, &staff, format, req.query_string(), filter).await;
    }
    send_export(&state, &staff, format, filter).await
}

/// What an export reads besides the connection: who asks, the columns (the agent's template for a view of
/// one procedure), the procedures' titles.
pub(crate) struct ExportPlan {
    pub filter: QueueFilter,
    pub viewer: guichet_dossiers::access::Viewer,
    pub columns: Vec<guichet_usecases::exports::Column>,
    pub titles: std::collections::HashMap<String, String>,
    pub now: chrono::NaiveDateTime,
}

impl ExportPlan {
    pub fn export(&self) -> guichet_usecases::exports::Export<'_> {
        guichet_usecases::exports::Export {
            filter: self.filter.clone(),
            viewer: &self.viewer,
            columns: &self.columns,
            titles: &self.titles,
            now: self.now,
        }
    }
}

pub(crate) async fn export_plan(
    state: &web::Data<AppState>,
    staff: &Staff,
    filter: QueueFilter,
) -> WebResult<ExportPlan> {
    use guichet_usecases::exports;
    let viewer = staff.0.viewer();
    // Answer columns only for a view of one procedure: other procedures ask other questions.
    let def = match filter.procedures.as_slice() {
        [one] => state.procedures.get(one).map(|p| p.def.clone()),
        _ => None,
    };
    let template = match filter.procedures.as_slice() {
        [one] if def.is_some() => {
            let (me, one) = (staff.0.user.id.clone(), one.clone());
            state
                .pool
                .run(move |c| Ok::<_, WebError>(guichet_accounts::preferences::export_columns(c, &me, &one)?))
                .await?
        }
        _ => Vec::new(),
    };
    Ok(ExportPlan {
        columns: exports::chosen(exports::columns(def.as_deref()), &template),
        titles: state
            .procedures
            .all()
            .map(|p| (p.id().to_owned(), p.def.title().to_owned()))
            .collect(),
        now: guichet_db::now(),
        viewer,
        filter,
    })
}

/// The dossiers of `filter` as a spreadsheet: the queue's export links and « Exporter la sélection ».
pub(crate) async fn send_export(
    state: &web::Data<AppState>,
    staff: &Staff,
    format: guichet_usecases::exports::Format,
    filter: QueueFilter,
) -> WebResult<HttpResponse> {
    use guichet_usecases::exports::{self, CsvSink, Format, OdsSink, XlsxSink};
    let plan = export_plan(state, staff, filter).await?;
    let disposition = (
        "Content-Disposition",
        format!("attachment; filename=\"dossiers.{}\"", format.extension()),
    );
    let pool = state.pool.clone();
    let run = move |c: &mut guichet_db::AnyConnection, sink: &mut dyn exports::Sink| {
        exports::write(c, &plan.export(), sink)
    };
    if format != Format::Csv {
        // Unbounded: a long export holds its connection; each statement is still bounded by the server.
        let bytes = pool
            .run_unbounded(move |c| -> WebResult<Vec<u8>> {
                if format == Format::Xlsx {
                    let mut sink = XlsxSink::new()?;
                    run(c, &mut sink)?;
                    Ok(sink.finish()?)
                } else {
                    let mut sink = OdsSink::new()?;
                    run(c, &mut sink)?;
                    Ok(sink.finish()?)
                }
            })
            .await?;
        return Ok(HttpResponse::Ok()
            .content_type(format.content_type())
            .insert_header(disposition)
            .body(bytes));
    }
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<web::Bytes, std::io::Error>>(4);
    actix_web::rt::spawn(async move {
        let failed = tx.clone();
        let written = pool
            .run_unbounded(move |c| -> WebResult<()> {
                let mut sink = CsvSink::new(|chunk| tx.blocking_send(Ok(web::Bytes::from(chunk))).is_ok());
                run(c, &mut sink)?;
                sink.finish();
                Ok(())
            })
            .await;
        if let Err(e) = written {
            tracing::error!(error = %e, "CSV export interrupted");
            let _ = failed.send(Err(std::io::Error::other("export interrompu"))).await;
        }
    });
    let stream =
        futures_util::stream::unfold(
            rx,
            |mut rx| async move { rx.recv().await.map(|chunk| (chunk, rx)) },
        );
    Ok(HttpResponse::Ok()
        .content_type(format.content_type())
        .insert_header(disposition)
        .streaming(stream))
}

// ------------------------------------------------------------------------------------ dossier page

pub(crate) struct Loaded {
    pub(crate) staff: Staff,
    pub(crate) actor: Actor,
    pub(crate) viewer: Viewer,
    pub(crate) standing: Standing,
    pub(crate) dossier: Dossier,
    pub(crate) def: Arc<FormDefinition>,
}

impl Loaded {
    pub(crate) fn sees_sensitive(&self) -> bool {
        access::may_see_sensitive(self.standing)
    }

    /// Traces a read of health data (no-op for those who cannot see it).
    pub(crate) async fn trace(&self, state: &AppState, item: SensitiveRead) -> WebResult<()> {
        let (d, viewer, standing) = (self.dossier.clone(), self.viewer.clone(), self.standing);
        state
            .pool
            .run(move |c| access::trace_read(c, &d, &viewer, standing, &item).map_err(WebError::from))
            .await
    }
}

pub(crate) async fn load(state: &web::Data<AppState>, u: SessionUser, id: &str) -> WebResult<Loaded> {
    let staff = Staff::from(u)?;
    let cases_staff = staff.cases();
    let id = id.to_owned();
    let st = state.clone();
    let (dossier, standing, def) = state
        .pool
        .run(move |c| {
            let (d, standing) = guichet_usecases::instruction::visible(c, &cases_staff, &id)?;
            let def = st.procedures.definition_of_version(c, &d.form_version_id)?;
            Ok::<_, WebError>((d, standing, def))
        })
        .await?;
    Ok(Loaded {
        actor: staff.actor(),
        viewer: staff.0.viewer(),
        staff,
        standing,
        dossier,
        def,
    })
}

/// Shown instead of a message of a health procedure to staff outside the instructing service.
const HEALTH_MAIL: &str =
    "Message réservé au service instructeur (la correspondance peut contenir des données de santé).";

/// The line of an event in the history; the free texts (motivation, reasons, notes) are left out for
/// those who may not read the dossier's health data, since an instructor's words can carry them.
fn event_text(kind: &str, payload: &str, private: bool) -> String {
    let p: Value = serde_json::from_str(payload).unwrap_or(Value::Null);
    let base = match kind {
        "created" => "Brouillon créé",
        "deposit" => "Demande déposée",
        "take" => "Prise en charge",
        "assign" => "Affectation modifiée",
        "ask_complement" => "Complément demandé",
        "answer_complement" => "Complément reçu",
        "amend" => "Demande modifiée par l’usager",
        "accept" => "Demande acceptée",
        "refuse" => "Demande refusée",
        "right_decided" => "Décision sur un droit",
        "document_reviewed" => "Avis sur un document",
        "right_added" => "Droit ajouté",
        "right_withdrawn" => "Droit retiré",
        "right_proposed" => "Proposition sur un droit",
        // --- commission (handlers/commission.rs)
        guichet_dossiers::commission::RECEVABLE_KIND => "Demande déclarée recevable",
        guichet_dossiers::commission::ADDED_KIND => "Inscrite à la séance de la CDAPH",
        guichet_dossiers::commission::REMOVED_KIND => "Retirée de la séance de la CDAPH",
        "decide" => "Décision rendue",
        "close" => "Classée sans suite",
        "withdraw" => "Demande retirée par le demandeur",
        "reopen" => "Dossier rouvert",
        "message" => "Message",
        "note" => "Note interne",
        guichet_dossiers::opinions::ASKED_KIND => "Avis demandé à un expert",
        guichet_dossiers::opinions::ANSWERED_KIND => "Avis d’expert reçu",
        "sensitive_read" => "Consultation des données de santé",
        "renewal_reminder" => "Rappel de renouvellement envoyé à l’usager",
        "renewal_of" => "Renouvellement d’une demande précédente",
        "access_invited" => "Accès au dossier : invitation envoyée",
        "access_granted" => "Accès au dossier : invitation acceptée",
        "access_revoked" => "Accès au dossier retiré",
        "representative_checked" => "Jugement du représentant légal vérifié",
        "form_version_changed" => "Formulaire mis à jour",
        guichet_dossiers::implicit::DECISION_KIND => {
            "Délai dépassé sans décision : décision implicite enregistrée"
        }
        guichet_dossiers::implicit::MOTIFS_KIND => "L’usager demande les motifs du refus implicite",
        guichet_dossiers::scans::INFECTED_KIND => "Document supprimé : un virus a été détecté",
        k if k.starts_with("apa_") => super::apa::staff_event_label(k),
        _ => "Événement",
    };
    if kind.starts_with("right_") {
        let label = p.get("label").and_then(Value::as_str).unwrap_or("");
        let outcome = p
            .get("outcome")
            .or_else(|| p.get("proposal"))
            .and_then(Value::as_str)
            .and_then(|o| o.parse::<guichet_dossiers::rights::Outcome>().ok())
            .map(|o| format!(" ({})", o.label().to_lowercase()))
            .unwrap_or_default();
        return format!("{base} : {label}{outcome}");
    }
    let detail = p
        .get("text")
        .or_else(|| p.get("reason"))
        .or_else(|| p.get("motivation"))
        .or_else(|| p.get("message_text"))
        .and_then(Value::as_str);
    match detail {
        Some(d) if !d.is_empty() && !private => format!("{base} : {d}"),
        _ => base.to_owned(),
    }
}

/// The amount the simulation gives for the dossier's answers, to prefill the decision (when possible).
fn simulated_amount(def: &FormDefinition, d: &Dossier) -> (Option<Euros>, String) {
    let Some(aid_name) = def.definition().simulation.clone() else {
        return (None, String::new());
    };
    let Ok(aid) = aid_name.parse::<guichet_simulation::Aid>() else {
        return (None, String::new());
    };
    let Ok(params) = guichet_simulation::Parameters::shared() else {
        return (None, String::new());
    };
    let answers = d.answers.as_object().cloned().unwrap_or_default();
    let values = def.simulation_values(&answers, guichet_usecases::deadlines::today());
    match guichet_simulation::simulate_json(params, aid, Value::Object(values)) {
        Ok(result) => {
            let key = match aid_name.as_str() {
                "apa" | "apa-etablissement" => "apa",
                "pch" => "total_mensuel",
                "aah" => "aah",
                _ => "prix",
            };
            let amount = result.get(key).and_then(Value::as_i64).map(Euros::from_cents);
            let note = amount.map_or_else(String::new, |a| {
                format!("Estimation d’après les réponses du dossier : {a}.")
            });
            (amount, note)
        }
        // The simulator's own message names its inputs (« missing field `gir` »): not for an instructor.
        Err(e) => {
            tracing::debug!(error = %e, "No estimate from the dossier's answers");
            (
                None,
                "Pas d’estimation automatique avec les seules réponses du dossier (pour l’APA, le GIR n’est connu qu’après l’évaluation à domicile) : saisissez le montant décidé.".to_owned(),
            )
        }
    }
}

pub async fn show_dossier(
    req: HttpRequest,
    state: web::Data<AppState>,
    CurrentUser(u): CurrentUser,
    path: web::Path<String>,
) -> WebResult<HttpResponse> {
    let l = load(&state, u, &path).await?;
    render_dossier(&req, &state, l, Vec::new(), Default::default(), StatusCode::OK).await
}

pub(crate) async fn render_dossier(
    req: &HttpRequest,
    state: &web::Data<AppState>,
    l: Loaded,
    errors: Vec<(String, String)>,
    submitted: std::collections::HashMap<String, String>,
    status: StatusCode,
) -> WebResult<HttpResponse> {
    let d = &l.dossier;
    // Health data only for members of the owning service; each such display is traced for the usager.
    let sees_sensitive = l.sees_sensitive();
    // Correspondence of a procedure holding health data is health data too.
    let private_mail = l.def.handles_health_data() && !sees_sensitive;
    let answers = d.answers.as_object().cloned().unwrap_or_default();
    let summary = l.def.summary_for(
        &answers,
        d.deposited_at
            .map_or_else(guichet_usecases::deadlines::today, |t| t.date()),
        crate::documents::disclosure(l.standing),
    );
    let has_sensitive = summary.iter().any(|s| s.rows.iter().any(|r| r.sensitive));
    let id = d.id.clone();
    let service = d.service_code.clone();
    let dd = d.clone();
    let (viewer, standing) = (l.viewer.clone(), l.standing);
    let (events, (messages, files), members, (complement, rights, reviews), (opinions, experts, people)) =
        state
            .pool
            .run(move |c| {
                if has_sensitive {
                    access::trace_read(c, &dd, &viewer, standing, &SensitiveRead::Page)?;
                }
                let events = store::events(c, &id, false)?;
                let messages = instruction::messages_of(c, &id)?;
                let files = instruction::attachments_of(c, &id)?;
                let members = match guichet_accounts::services::find_by_code(c, &service)? {
                    Some(s) => guichet_accounts::services::members_with_roles(c, &s.id)?,
                    None => Vec::new(),
                };
                let complement = instruction::pending_complement(c, &dd)?;
                let rights = guichet_dossiers::rights::of(c, &dd.id)?;
                let reviews = guichet_dossiers::reviews::of(c, &dd.id)?;
                let opinions = guichet_dossiers::opinions::of_dossier(c, &dd.id)?;
                let experts = guichet_usecases::opinions::experts_for(c, &dd.service_code, &viewer.user_id)?;
                let people = guichet_usecases::sharing::with_names(c, &dd.id)?;
                Ok::<_, WebError>((
                    events,
                    (messages, files),
                    members,
                    (complement, rights, reviews),
                    (opinions, experts, people),
                ))
            })
            .await?;
    let today = guichet_usecases::deadlines::today();
    let can_act = l.viewer.may_act(&d.service_code);
    let people: Vec<crate::templates::StaffPerson> = people
        .into_iter()
        .filter(|(a, _)| a.revoked_at.is_none())
        .map(|(a, name)| {
            let representative = a.role() == guichet_dossiers::sharing::AccessRole::LegalRepresentative;
            crate::templates::StaffPerson {
                who: name.map_or_else(|| a.email.clone(), |n| format!("{n} ({})", a.email)),
                role: a.role().label(),
                status: match (representative, a.judgment_checked_at.is_some()) {
                    (true, true) => format!("{} ; jugement vérifié", a.status(today).label()),
                    (true, false) => format!("{} ; jugement à vérifier", a.status(today).label()),
                    _ => a.status(today).label().to_owned(),
                },
                mandate: guichet_usecases::sharing::mandate_words(&a),
                check: (representative && a.judgment_checked_at.is_none() && can_act)
                    .then(|| format!("/instruction/dossiers/{}/acces/{}/jugement", d.id, a.id)),
            }
        })
        .collect();
    let name_of = |uid: &Option<String>| {
        uid.as_ref()
            .and_then(|u| {
                members
                    .iter()
                    .find(|(m, _)| &m.id == u)
                    .map(|(m, _)| m.display_name.clone())
            })
            .unwrap_or_else(|| {
                match uid.as_deref() {
                    Some(u) if u == d.owner_id => "Usager".into(),
                    Some(_) => "Agent".into(),
                    // Bug 12 of the review: an unassigned dossier said « Affecté à : Agent ».
                    None => "Personne".into(),
                }
            })
    };
    let label_of = |e: &guichet_dossiers::Event| {
        if e.actor_label.is_empty() || e.actor_id.as_deref() == Some(d.owner_id.as_str()) {
            name_of(&e.actor_id)
        } else {
            e.actor_label.clone()
        }
    };
    // --- commission: the MDPH stages, proposals and sittings (handlers/commission.rs).
    let commission = super::commission::panel(state, &l, &rights, &submitted).await?;
    let (amount, mut simulation_note) = simulated_amount(&l.def, d);
    let apa = super::apa::panel(state, &l.def, d, l.standing, &l.viewer).await?;
    if let Some(note) = apa.as_ref().and_then(super::apa::ApaPanel::amount_note) {
        simulation_note = note;
    }
    // A health document outside the service is listed without its link (the download refuses it too).
    let on = d
        .deposited_at
        .map_or_else(guichet_usecases::deadlines::today, |t| t.date());
    let (changes, new_files) = if d.complement_recu {
        guichet_usecases::complement::last_changes(&events)
    } else {
        (Vec::new(), Vec::new())
    };
    // A health document outside the service is listed without its link (the download refuses it too).
    let documents: Vec<DocumentLine> = crate::documents::files_with_fields(&d.answers)
        .into_iter()
        .map(|(field, f)| {
            let href = if sees_sensitive || !crate::documents::is_sensitive_file(&l.def, &field) {
                format!("/instruction/dossiers/{}/fichiers/{}", d.id, f.id)
            } else {
                String::new()
            };
            let review = reviews.iter().find(|r| r.file_id == f.id);
            DocumentLine {
                href,
                dated: f.date_words(),
                review_action: format!("/instruction/dossiers/{}/pieces/{}/avis", d.id, f.id),
                select_id: format!(
                    "avis-{}",
                    f.id.chars()
                        .filter(char::is_ascii_alphanumeric)
                        .collect::<String>()
                ),
                field_label: l
                    .def
                    .field(&field)
                    .map_or_else(|| field.clone(), |x| x.label.clone()),
                is_new: new_files.contains(&f.id),
                status: match review.map(|r| r.verdict) {
                    None => "À vérifier".to_owned(),
                    Some(guichet_dossiers::reviews::Verdict::Accepted) => "Accepté".to_owned(),
                    Some(guichet_dossiers::reviews::Verdict::Rejected(r)) => {
                        format!("Rejeté : {}", r.label())
                    }
                },
                current: match review.map(|r| r.verdict) {
                    None => String::new(),
                    Some(guichet_dossiers::reviews::Verdict::Accepted) => "accepte".to_owned(),
                    Some(guichet_dossiers::reviews::Verdict::Rejected(r)) => r.as_str().to_owned(),
                },
                name: f.name,
            }
        })
        .collect();
    // Only the documents the answers make relevant (no « titre de séjour » for a French national), never
    // one already accepted; the missing and rejected ones come ticked.
    let file_fields: Vec<(String, String, bool)> =
        guichet_usecases::complement::documents(&l.def, d, &reviews, on)
            .into_iter()
            .filter(guichet_usecases::complement::DocumentItem::askable)
            .map(|i| (i.field.clone(), i.label_with_reason(), i.ticked()))
            .collect();
    let answer_fields: Vec<(String, String)> = summary
        .iter()
        .flat_map(|s| s.rows.iter())
        .filter(|r| !r.sensitive || sees_sensitive)
        // Documents are asked in their own list, with their review.
        .filter(|r| {
            l.def
                .field(&r.field)
                .is_none_or(|f| f.kind != guichet_forms::FieldType::File)
        })
        .map(|r| (r.field.clone(), r.label.clone()))
        .collect();
    // Issue 12: the implicit decision recorded at the due date, and what deciding over it means.
    let implicit = super::implicit::staff_view(state, d).await?;
    let owner_id = d.owner_id.clone();
    let filer = state
        .pool
        .run(move |c| guichet_accounts::users::find(c, &owner_id))
        .await?
        .map(|u| u.display_name)
        .filter(|n| access::person_key(n) != access::person_key(&d.applicant_name))
        .unwrap_or_default();
    let section = form_urlencoded::parse(req.query_string().as_bytes())
        .find(|(k, _)| k == "section")
        .map(|(_, v)| v.into_owned())
        .filter(|v| crate::templates::DOSSIER_SECTIONS.iter().any(|(s, _)| s == v))
        .unwrap_or_default();
    let person = |uid: &str| {
        members
            .iter()
            .find(|(m, _)| m.id == uid)
            .map_or_else(|| "Agent".to_owned(), |(m, _)| m.display_name.clone())
    };
    let hide_words = l.def.handles_health_data() && !sees_sensitive;
    let today = guichet_usecases::deadlines::today();
    let opinion_lines: Vec<crate::templates::OpinionLine> = opinions
        .iter()
        .map(|o| crate::templates::OpinionLine {
            question: if hide_words {
                HEALTH_MAIL.to_owned()
            } else {
                o.question.clone()
            },
            expert: match &o.expert_id {
                Some(uid) => person(uid),
                None => o.external_label(),
            },
            asker: person(&o.asked_by),
            asked: guichet_forms::french_date(o.asked_at.date()),
            due: guichet_forms::french_date(o.due_on),
            late: o.is_open() && o.due_on < today,
            answered: o.answered_at.map(|t| guichet_forms::french_date(t.date())),
            answer: if hide_words {
                HEALTH_MAIL.to_owned()
            } else {
                o.answer.clone().unwrap_or_default()
            },
        })
        .collect();
    let shareable: Vec<(String, String)> = guichet_usecases::files::files_with_fields(&d.answers)
        .into_iter()
        .map(|(field, f)| {
            let label = l.def.field(&field).map_or(field, |x| x.label.clone());
            (f.id, format!("{label} : {}", f.name))
        })
        .collect();
    let page = InstructionDossierPage {
        people,
        opinions: opinion_lines,
        experts,
        shareable,
        implicit,
        section,
        filer,
        layout: Layout::new(
            req,
            Some(&l.staff.0),
            format!(
                "Dossier {}",
                d.number.as_ref().map(ToString::to_string).unwrap_or_default()
            ),
        )
        .with_errors(!errors.is_empty()),
        errors,
        id: d.id.clone(),
        version: d.lock_version,
        procedure: l.def.title().to_owned(),
        form_version: l.def.version().to_owned(),
        applicant: d.applicant_name.clone(),
        state: guichet_usecases::decisions::staff_state(d).to_owned(),
        complement: complement.map(|c: Complement| {
            let mut items = c.documents;
            items.extend(c.answers);
            // The instructor's words may carry health details, like any correspondence.
            let message = if private_mail && !c.message.is_empty() {
                HEALTH_MAIL.to_owned()
            } else {
                c.message
            };
            (items, message)
        }),
        deposited: d.deposited_at.map(fr_date).unwrap_or_default(),
        // While a complement is awaited the legal clock is paused: the date moves with the wait.
        due: guichet_usecases::deadlines::effective_due(d, guichet_db::now())
            .filter(|_| !d.state.is_decided())
            .map(fr_date)
            .unwrap_or_default(),
        paused: d.clock_paused_at.map(fr_date),
        assigned: name_of(&d.assigned_to),
        sections: summary
            .into_iter()
            .map(|s| SummaryBlock {
                title: s.title,
                rows: s.rows.into_iter().map(|r| (r.label, r.value)).collect(),
            })
            .collect(),
        documents,
        timeline: events
            .iter()
            .map(|e| {
                (
                    fr_date(e.created_at),
                    label_of(e),
                    super::commission::with_detail(
                        event_text(&e.kind, &e.payload, private_mail),
                        &e.kind,
                        &e.payload,
                        false,
                    ),
                    !e.visible_to_usager,
                )
            })
            .collect(),
        messages: super::messages::views(
            &messages,
            &files,
            |m| {
                if m.from_staff {
                    name_of(&Some(m.author_id.clone()))
                } else {
                    "Usager".into()
                }
            },
            |a| {
                if private_mail {
                    String::new()
                } else {
                    format!("/instruction/dossiers/{}/pieces-jointes/{a}", d.id)
                }
            },
        )
        .into_iter()
        .map(|mut m| {
            if private_mail && !m.body.is_empty() {
                m.body = HEALTH_MAIL.to_owned();
            }
            m
        })
        .collect(),
        // Only those who may act are offered; homonyms are told apart by their address.
        members: members
            .iter()
            .filter(|(m, role)| m.role != Role::Usager && role.acts())
            .map(|(m, _)| {
                let homonym = members
                    .iter()
                    .filter(|(o, _)| o.display_name == m.display_name)
                    .count()
                    > 1;
                let label = if homonym {
                    format!("{} – {}", m.display_name, m.email)
                } else {
                    m.display_name.clone()
                };
                (
                    m.id.clone(),
                    label,
                    d.assigned_to.as_deref() == Some(m.id.as_str()),
                )
            })
            .collect(),
        notes: events
            .iter()
            .filter(|e| e.kind == "note")
            .map(|e| {
                let text = serde_json::from_str::<Value>(&e.payload)
                    .ok()
                    .and_then(|p| p.get("text").and_then(Value::as_str).map(str::to_owned))
                    .unwrap_or_default();
                (
                    fr_date(e.created_at),
                    label_of(e),
                    if private_mail {
                        HEALTH_MAIL.to_owned()
                    } else {
                        text
                    },
                )
            })
            .collect(),
        rights: rights
            .iter()
            .map(|r| {
                let spec = l.def.right(&r.code);
                RightPanel {
                    code: r.code.clone(),
                    label: r.label.clone(),
                    authority: r.authority.label().to_owned(),
                    words: guichet_usecases::decisions::plain_words(r),
                    open: r.is_open(),
                    granted: r.outcome == Some(guichet_dossiers::rights::Outcome::Accord),
                    added: r.added_by_instructor,
                    has_amount: r.unit != guichet_dossiers::rights::Unit::None,
                    unit: r.unit.label().trim().to_owned(),
                    has_rate: spec.is_some_and(|s| s.rate),
                    amount_prefill: match apa.as_ref().and_then(|a| a.amount_for(&r.code)) {
                        Some(plan) => plan,
                        None if spec.is_some_and(|s| s.simulated) => amount
                            .map(|a| format!("{},{:02}", a.cents() / 100, a.cents() % 100))
                            .unwrap_or_default(),
                        None => String::new(),
                    },
                    motivation_prefill: apa
                        .as_ref()
                        .map(|a| a.motivation_for(&r.code))
                        .unwrap_or_default(),
                    end_prefill: spec
                        .and_then(|s| s.default_years)
                        .and_then(|y| {
                            guichet_usecases::deadlines::today()
                                .checked_add_months(chrono::Months::new(12 * y))
                        })
                        .and_then(|e| e.pred_opt())
                        .map(|e| e.format("%d/%m/%Y").to_string())
                        .unwrap_or_default(),
                    motivation: r.motivation.clone().unwrap_or_default(),
                    keys: crate::templates::RightKeys::new(&r.code),
                }
            })
            .collect(),
        addable: l
            .def
            .rights()
            .iter()
            .filter(|s| !rights.iter().any(|r| r.code == s.id && r.withdrawn_at.is_none()))
            .map(|s| (s.id.clone(), s.label.clone()))
            .collect(),
        can_take: d.state == State::Depose,
        can_decide: d.state == State::EnInstruction && !d.complement_demande,
        can_ask: d.state == State::EnInstruction && !d.complement_demande,
        can_close: matches!(d.state, State::Depose | State::EnInstruction),
        can_reopen: d.state.is_decided() && l.actor == Actor::Admin,
        decided: d.state.is_decided(),
        has_decision_letter: d.state.is_decided(),
        file_fields,
        answer_fields,
        changes,
        has_new_documents: !new_files.is_empty(),
        amount_prefill: amount
            .map(|a| format!("{},{:02}", a.cents() / 100, a.cents() % 100))
            .unwrap_or_default(),
        simulation_note,
        today: chrono::Utc::now().date_naive().format("%d/%m/%Y").to_string(),
        submitted,
        commission,
        apa,
    };
    render(status, &page)
}

// ------------------------------------------------------------------------------------------ actions

pub(crate) fn version_of(form: &FormData) -> WebResult<i32> {
    form.get("version")
        .parse()
        .map_err(|_| WebError::BadRequest("version".into()))
}

/// Reads the action form into a command, or the French errors to show.
fn command_from(
    action: &str,
    form: &FormData,
    def: &FormDefinition,
) -> Result<Command, Vec<(String, String)>> {
    let text = |k: &str| form.get(k).trim().to_owned();
    let mut errors = Vec::new();
    let cmd = match action {
        "prendre" => Command::Take,
        "complement" => {
            // Checkboxes carry field ids; the request keeps their labels for the usager and the email.
            let label = |id: &String| def.field(id).map_or_else(|| id.clone(), |f| f.label.clone());
            let documents: Vec<String> = form.all("pieces").to_vec();
            let answers: Vec<String> = form.all("reponses").to_vec();
            Command::AskComplement(Complement {
                documents: documents.iter().map(label).collect(),
                answers: answers.iter().map(label).collect(),
                fields: documents.into_iter().chain(answers).collect(),
                message: text("message"),
            })
        }
        "classer" => {
            let reason = text("motif");
            if reason.is_empty() {
                errors.push((
                    "classer-motif".into(),
                    "Saisissez le motif du classement sans suite".into(),
                ));
            }
            Command::Close { reason }
        }
        "rouvrir" => {
            let reason = text("motif");
            if reason.is_empty() {
                errors.push((
                    "rouvrir-motif".into(),
                    "Saisissez la raison de la réouverture".into(),
                ));
            }
            Command::Reopen { reason }
        }
        _ => return Err(vec![("actions".into(), "Action inconnue".into())]),
    };
    if errors.is_empty() { Ok(cmd) } else { Err(errors) }
}

/// A conflict or a state rule shown on the fresh dossier page with why; anything else goes up.
pub(crate) async fn refused_or(
    req: &HttpRequest,
    state: &web::Data<AppState>,
    l: Loaded,
    err: WebError,
) -> WebResult<HttpResponse> {
    let submitted = std::collections::HashMap::new();
    let id = l.dossier.id.clone();
    match err {
        WebError::Conflict => {
            let fresh = load(state, l.staff.0, &id).await?;
            render_dossier(req, state, fresh, vec![("actions".into(), "Le dossier a été modifié par quelqu’un d’autre entre-temps : voici son état actuel. Refaites votre action si elle a encore lieu d’être.".into())], submitted, StatusCode::CONFLICT).await
        }
        WebError::Refused(why) => {
            let fresh = load(state, l.staff.0, &id).await?;
            render_dossier(
                req,
                state,
                fresh,
                vec![("actions".into(), why)],
                submitted,
                StatusCode::CONFLICT,
            )
            .await
        }
        other => Err(other),
    }
}

/// How an action of the dossier page answers: once done, back to the page (at `anchor`); a refused input
/// shows the page again with its errors and what was typed; a conflict or a state rule, the fresh page
/// with why.
pub(crate) async fn on_dossier_page(
    req: &HttpRequest,
    state: &web::Data<AppState>,
    l: Loaded,
    anchor: &str,
    typed: std::collections::HashMap<String, String>,
    result: WebResult<Result<Dossier, Vec<(String, String)>>>,
) -> WebResult<HttpResponse> {
    match result {
        Ok(Ok(d)) => {
            // The action may have queued an email.
            state.delivery.wake();
            tracing::info!(dossier.id = %d.id, "Back-office action");
            Ok(see_other(&format!("/instruction/dossiers/{}{anchor}", d.id)))
        }
        Ok(Err(errors)) => {
            render_dossier(req, state, l, errors, typed, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(e) => refused_or(req, state, l, e).await,
    }
}

/// Runs a use case; its field errors come back on the page with what was typed.
pub(crate) async fn run_case<T: Send + 'static>(
    state: &web::Data<AppState>,
    f: impl FnOnce(&mut guichet_db::AnyConnection) -> guichet_usecases::Result<T> + Send + 'static,
) -> WebResult<Result<T, Vec<(String, String)>>> {
    let r = state.pool.run(move |c| Ok::<_, WebError>(f(c))).await?;
    match r {
        Ok(v) => Ok(Ok(v)),
        Err(guichet_usecases::CaseError::Invalid(list)) => {
            Ok(Err(list.into_iter().map(|i| (i.field, i.message)).collect()))
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn act(
    req: HttpRequest,
    state: web::Data<AppState>,
    CurrentUser(u): CurrentUser,
    path: web::Path<(String, String)>,
    CsrfForm(form): CsrfForm,
) -> WebResult<HttpResponse> {
    let (id, action) = path.into_inner();
    let l = load(&state, u, &id).await?;
    let typed: Vec<(&str, String)> = ["motif", "message"]
        .iter()
        .map(|k| (*k, form.get(k).to_owned()))
        .collect();
    let typed: Vec<(String, String)> = typed
        .into_iter()
        .map(|(k, v)| (format!("{action}.{k}"), v))
        .collect();
    let cmd = match command_from(&action, &form, &l.def) {
        Ok(c) => c,
        Err(errors) => {
            return render_dossier(
                &req,
                &state,
                l,
                errors,
                typed.into_iter().collect(),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
        }
    };
    let version = version_of(&form)?;
    let (staff, def, links, did) = (
        l.staff.cases(),
        l.def.clone(),
        state.links(),
        l.dossier.id.clone(),
    );
    let result = run_case(&state, move |c| {
        guichet_usecases::instruction::act(c, &links, &staff, &def, &did, version, &cmd)
    })
    .await;
    on_dossier_page(&req, &state, l, "", typed.into_iter().collect(), result).await
}

/// Reads a French date (`31/12/2028`, or the ISO form date inputs send).
pub(crate) fn parse_date(s: &str) -> Option<chrono::NaiveDate> {
    let s = s.trim();
    chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .ok()
        .or_else(|| chrono::NaiveDate::parse_from_str(s, "%d/%m/%Y").ok())
}

/// The decision on one right: parsed here, checked against the right's needs by the use case.
pub async fn decide_right(
    req: HttpRequest,
    state: web::Data<AppState>,
    CurrentUser(u): CurrentUser,
    path: web::Path<(String, String)>,
    CsrfForm(form): CsrfForm,
) -> WebResult<HttpResponse> {
    let (id, code) = path.into_inner();
    let l = load(&state, u, &id).await?;
    let prefix = format!("droit-{code}");
    let keys = [
        "decision",
        "montant",
        "debut",
        "fin",
        "taux",
        "motivation",
        "confirmation",
    ];
    let typed: std::collections::HashMap<String, String> = keys
        .iter()
        .map(|k| (format!("{prefix}.{k}"), form.get(k).to_owned()))
        .collect();
    let mut errors = Vec::new();
    let outcome = form
        .get("decision")
        .parse::<guichet_dossiers::rights::Outcome>()
        .ok();
    let amount = match form.get("montant").trim() {
        "" => None,
        t => match Euros::parse(t) {
            Ok(a) if a.cents() >= 0 => Some(a),
            _ => {
                errors.push((
                    format!("{prefix}-montant"),
                    "Saisissez un montant en euros, par exemple 1 201,61".to_owned(),
                ));
                None
            }
        },
    };
    let mut date = |key: &str, what: &str| match form.get(key).trim() {
        "" => None,
        t => parse_date(t).or_else(|| {
            errors.push((
                format!("{prefix}-{key}"),
                format!("La date de {what} doit être une date réelle, par exemple 31/12/2028"),
            ));
            None
        }),
    };
    let (start, end) = (date("debut", "début"), date("fin", "fin"));
    let rate = match form.get("taux") {
        "" => None,
        t => t.parse::<guichet_dossiers::rights::Rate>().ok(),
    };
    let input = guichet_usecases::instruction::DecisionForm {
        outcome,
        amount,
        period_start: start,
        period_end: end,
        rate,
        motivation: form.get("motivation").to_owned(),
        session_id: None,
        confirmed: form.get("confirmation") == "oui",
        unreadable: errors
            .into_iter()
            .map(|(f, m)| guichet_usecases::Invalid::new(f, m))
            .collect(),
    };
    let version = version_of(&form)?;
    let (staff, def, links, did) = (
        l.staff.cases(),
        l.def.clone(),
        state.links(),
        l.dossier.id.clone(),
    );
    let result = run_case(&state, move |c| {
        guichet_usecases::instruction::decide_right(c, &links, &staff, &def, &did, version, &code, &input)
    })
    .await;
    on_dossier_page(&req, &state, l, "#droits", typed, result).await
}

/// The instructor's review of one document: accepted, or rejected with a reason.
pub async fn review_document(
    req: HttpRequest,
    state: web::Data<AppState>,
    CurrentUser(u): CurrentUser,
    path: web::Path<(String, String)>,
    CsrfForm(form): CsrfForm,
) -> WebResult<HttpResponse> {
    use guichet_dossiers::reviews::{Reason, Verdict};
    let (id, file) = path.into_inner();
    let l = load(&state, u, &id).await?;
    let verdict = match form.get("avis") {
        "accepte" => Verdict::Accepted,
        other => match Reason::parse(other) {
            Some(r) => Verdict::Rejected(r),
            None => {
                let errors = vec![(
                    "documents".to_owned(),
                    "Choisissez un avis sur le document : accepté, ou la raison du rejet".to_owned(),
                )];
                return render_dossier(
                    &req,
                    &state,
                    l,
                    errors,
                    Default::default(),
                    StatusCode::UNPROCESSABLE_ENTITY,
                )
                .await;
            }
        },
    };
    let comment = form.get("commentaire").to_owned();
    let (staff, did) = (l.staff.cases(), l.dossier.id.clone());
    let d = l.dossier.clone();
    let result = run_case(&state, move |c| {
        guichet_usecases::complement::review_document(c, &staff, &did, &file, verdict, Some(&comment))
    })
    .await
    .map(|r| r.map(|()| d));
    on_dossier_page(&req, &state, l, "#documents", Default::default(), result).await
}

/// An instructor adds one of the procedure's rights to the dossier.
pub async fn add_right(
    req: HttpRequest,
    state: web::Data<AppState>,
    CurrentUser(u): CurrentUser,
    path: web::Path<String>,
    CsrfForm(form): CsrfForm,
) -> WebResult<HttpResponse> {
    let l = load(&state, u, &path).await?;
    let version = version_of(&form)?;
    let code = form.get("droit").to_owned();
    let (staff, def, did) = (l.staff.cases(), l.def.clone(), l.dossier.id.clone());
    let result = run_case(&state, move |c| {
        guichet_usecases::instruction::add_right(c, &staff, &def, &did, version, &code)
    })
    .await;
    on_dossier_page(&req, &state, l, "#droits", Default::default(), result).await
}

/// An instructor withdraws a right recorded by mistake, with a reason.
pub async fn withdraw_right(
    req: HttpRequest,
    state: web::Data<AppState>,
    CurrentUser(u): CurrentUser,
    path: web::Path<(String, String)>,
    CsrfForm(form): CsrfForm,
) -> WebResult<HttpResponse> {
    let (id, code) = path.into_inner();
    let l = load(&state, u, &id).await?;
    let version = version_of(&form)?;
    let reason = form.get("motif").to_owned();
    let (staff, def, links, did) = (
        l.staff.cases(),
        l.def.clone(),
        state.links(),
        l.dossier.id.clone(),
    );
    let result = run_case(&state, move |c| {
        guichet_usecases::instruction::withdraw_right(c, &links, &staff, &def, &did, version, &code, &reason)
    })
    .await;
    on_dossier_page(&req, &state, l, "#droits", Default::default(), result).await
}

pub async fn assign(
    req: HttpRequest,
    state: web::Data<AppState>,
    CurrentUser(u): CurrentUser,
    path: web::Path<String>,
    CsrfForm(form): CsrfForm,
) -> WebResult<HttpResponse> {
    let l = load(&state, u, &path).await?;
    let version = version_of(&form)?;
    let assignee = Some(form.get("agent").to_owned()).filter(|a| !a.is_empty());
    let (staff, did) = (l.staff.cases(), l.dossier.id.clone());
    let result = run_case(&state, move |c| {
        guichet_usecases::instruction::assign(c, &staff, &did, version, assignee.as_deref())
    })
    .await;
    on_dossier_page(&req, &state, l, "", Default::default(), result).await
}

pub async fn add_note(
    req: HttpRequest,
    state: web::Data<AppState>,
    CurrentUser(u): CurrentUser,
    path: web::Path<String>,
    CsrfForm(form): CsrfForm,
) -> WebResult<HttpResponse> {
    let l = load(&state, u, &path).await?;
    let text = form.get("note").to_owned();
    let (staff, did) = (l.staff.cases(), l.dossier.id.clone());
    let d = l.dossier.clone();
    let result = run_case(&state, move |c| {
        guichet_usecases::instruction::add_note(c, &staff, &did, &text)
    })
    .await
    .map(|r| r.map(|()| d));
    on_dossier_page(&req, &state, l, "#notes", Default::default(), result).await
}

/// `POST /instruction/dossiers/{id}/acces/{access}/jugement`: a legal representative's judgment checked.
pub async fn check_judgment(
    req: HttpRequest,
    state: web::Data<AppState>,
    CurrentUser(u): CurrentUser,
    path: web::Path<(String, String)>,
    _csrf: CsrfForm,
) -> WebResult<HttpResponse> {
    let (id, access) = path.into_inner();
    let l = load(&state, u, &id).await?;
    let (staff, did) = (l.staff.cases(), l.dossier.id.clone());
    let d = l.dossier.clone();
    let result = run_case(&state, move |c| {
        guichet_usecases::sharing::check_judgment(c, &staff, &did, &access)
    })
    .await
    .map(|r| r.map(|()| d));
    on_dossier_page(&req, &state, l, "#resume-titre", Default::default(), result).await
}

/// `POST /instruction/dossiers/{id}/avis`: an expert's opinion asked.
pub async fn ask_opinion(
    req: HttpRequest,
    state: web::Data<AppState>,
    CurrentUser(u): CurrentUser,
    path: web::Path<String>,
    CsrfForm(form): CsrfForm,
) -> WebResult<HttpResponse> {
    let l = load(&state, u, &path).await?;
    let request = guichet_usecases::opinions::Request {
        expert: form.get("expert").to_owned(),
        question: form.get("question").to_owned(),
        documents: form.all("document").to_vec(),
        due: form.get("date").to_owned(),
        external_name: form.get("externe_nom").to_owned(),
        external_email: form.get("externe_email").to_owned(),
    };
    let typed: std::collections::HashMap<String, String> = [
        ("avis.externe_nom".to_owned(), request.external_name.clone()),
        ("avis.externe_email".to_owned(), request.external_email.clone()),
        ("avis.expert".to_owned(), request.expert.clone()),
        ("avis.question".to_owned(), request.question.clone()),
        ("avis.date".to_owned(), request.due.clone()),
    ]
    .into_iter()
    .collect();
    let (staff, did, links, title) = (
        l.staff.cases(),
        l.dossier.id.clone(),
        state.links(),
        l.def.title().to_owned(),
    );
    let d = l.dossier.clone();
    let today = guichet_usecases::deadlines::today();
    let result = run_case(&state, move |c| {
        guichet_usecases::opinions::ask(c, &links, &staff, &title, &did, &request, today)
    })
    .await
    .map(|r| r.map(|_| d));
    on_dossier_page(&req, &state, l, "?section=avis#avis", typed, result).await
}

pub async fn send_message(
    req: HttpRequest,
    state: web::Data<AppState>,
    CurrentUser(u): CurrentUser,
    path: web::Path<String>,
    payload: web::Payload,
) -> WebResult<HttpResponse> {
    let l = load(&state, u, &path).await?;
    let (body, files) = match super::messages::read(&req, payload, &state, &l.dossier.id).await? {
        super::messages::Incoming::Ok { body, files } => (body, files),
        super::messages::Incoming::Refused { errors, body } => {
            let submitted = [("message".to_owned(), body)].into_iter().collect();
            return render_dossier(
                &req,
                &state,
                l,
                errors,
                submitted,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
        }
    };
    let (staff, def, links, id) = (
        l.staff.cases(),
        l.def.clone(),
        state.links(),
        l.dossier.id.clone(),
    );
    state
        .pool
        .run(move |c| {
            guichet_usecases::messages::from_staff(c, &links, &staff, &def, &id, &body, &files)
                .map_err(WebError::from)
        })
        .await?;
    state.delivery.wake();
    Ok(see_other(&format!(
        "/instruction/dossiers/{}#messages",
        l.dossier.id
    )))
}

pub async fn download_attachment(
    state: web::Data<AppState>,
    CurrentUser(u): CurrentUser,
    path: web::Path<(String, String)>,
) -> WebResult<HttpResponse> {
    let (id, attachment) = path.into_inner();
    let l = load(&state, u, &id).await?;
    let did = l.dossier.id.clone();
    let files = state
        .pool
        .run(move |c| instruction::attachments_of(c, &did).map_err(WebError::from))
        .await?;
    let a = files
        .iter()
        .find(|a| a.id == attachment)
        .ok_or(WebError::NotFound)?;
    if l.def.handles_health_data() {
        if !l.sees_sensitive() {
            return Err(WebError::Denied(super::demarches::HEALTH_DOCUMENT));
        }
        l.trace(
            &state,
            SensitiveRead::Attachment {
                name: a.filename.clone(),
            },
        )
        .await?;
    }
    super::messages::send_attachment(&state, &files, &attachment).await
}

pub async fn download_file(
    state: web::Data<AppState>,
    CurrentUser(u): CurrentUser,
    path: web::Path<(String, String)>,
) -> WebResult<HttpResponse> {
    let (id, sha) = path.into_inner();
    let l = load(&state, u, &id).await?;
    let (field, file) =
        crate::documents::referenced_file(&l.dossier.answers, &sha).ok_or(WebError::NotFound)?;
    if crate::documents::is_sensitive_file(&l.def, &field) {
        if !l.sees_sensitive() {
            return Err(WebError::Denied(super::demarches::HEALTH_DOCUMENT));
        }
        l.trace(
            &state,
            SensitiveRead::File {
                name: file.name.clone(),
            },
        )
        .await?;
    }
    crate::documents::send_file(&state, &file).await
}

/// Every document of the dossier the agent may open, in one ZIP named after the dossier. Health documents
/// follow the rule of one download (left out for those who may not see them, each read traced); a file
/// still being scanned or found infected is left out; `LISEZMOI.txt` says what was left out and why.
pub async fn documents_zip(
    state: web::Data<AppState>,
    CurrentUser(u): CurrentUser,
    path: web::Path<String>,
) -> WebResult<HttpResponse> {
    use guichet_usecases::files::{ArchiveEntry, archive, files_with_fields};
    let l = load(&state, u, &path).await?;
    let files = files_with_fields(&l.dossier.answers);
    let shas: Vec<String> = files.iter().map(|(_, f)| f.id.clone()).collect();
    let scans = state
        .pool
        .run(move |c| {
            shas.iter()
                .map(|sha| Ok((sha.clone(), guichet_dossiers::scans::status(c, sha)?)))
                .collect::<Result<std::collections::HashMap<_, _>, guichet_dossiers::DossierError>>()
                .map_err(WebError::from)
        })
        .await?;
    let (mut entries, mut left_out, mut health) = (Vec::new(), Vec::new(), Vec::new());
    for (field, file) in files {
        let label = l
            .def
            .field(&field)
            .map_or_else(|| field.clone(), |f| f.label.clone());
        let sensitive = crate::documents::is_sensitive_file(&l.def, &field);
        let why = match scans.get(&file.id).and_then(Option::as_deref) {
            _ if sensitive && !l.sees_sensitive() => {
                Some("données de santé, réservées au service instructeur")
            }
            Some(guichet_dossiers::scans::PENDING) => Some("en cours d’analyse antivirus"),
            Some(guichet_dossiers::scans::INFECTED) => Some("un virus a été détecté"),
            _ => None,
        };
        let Some(path) = state
            .files
            .path_of(&file.id)
            .filter(|p| why.is_none() && p.is_file())
        else {
            left_out.push(format!(
                "- {label} : {} ({})",
                file.name,
                why.unwrap_or("fichier introuvable")
            ));
            continue;
        };
        if sensitive {
            health.push(file.name.clone());
        }
        entries.push(ArchiveEntry {
            name: format!("{label} - {}", file.name),
            path,
        });
    }
    for name in health {
        l.trace(&state, SensitiveRead::File { name }).await?;
    }
    let number = l
        .dossier
        .number
        .as_ref()
        .map_or_else(|| l.dossier.id.clone(), ToString::to_string);
    let readme = if left_out.is_empty() {
        String::new()
    } else {
        format!(
            "Dossier {number} : ces documents ne sont pas dans l’archive.\r\n{}\r\n",
            left_out.join("\r\n")
        )
    };
    let bytes = web::block(move || archive(&entries, &readme))
        .await
        .map_err(|e| WebError::Internal(e.to_string()))?
        .map_err(|e| WebError::Internal(e.to_string()))?;
    Ok(HttpResponse::Ok()
        .content_type("application/zip")
        .insert_header((
            "Content-Disposition",
            format!("attachment; filename=\"pieces-{number}.zip\""),
        ))
        .body(bytes))
}

pub async fn receipt_pdf(
    state: web::Data<AppState>,
    CurrentUser(u): CurrentUser,
    path: web::Path<String>,
) -> WebResult<HttpResponse> {
    let l = load(&state, u, &path).await?;
    let number = l.dossier.number.clone().ok_or(WebError::NotFound)?;
    let pdf = crate::documents::receipt(&state, &l.dossier, &l.def, number.clone(), l.standing)?;
    if !l.def.sensitive_fields().is_empty() {
        l.trace(&state, SensitiveRead::Receipt).await?;
    }
    Ok(pdf_response(pdf, &format!("recepisse-{number}.pdf")))
}

pub async fn decision_pdf(
    state: web::Data<AppState>,
    CurrentUser(u): CurrentUser,
    path: web::Path<String>,
) -> WebResult<HttpResponse> {
    let l = load(&state, u, &path).await?;
    if !l.dossier.state.is_decided() {
        return Err(WebError::NotFound);
    }
    // A decision of a health procedure (a CDAPH decision, an APA plan) says as much as the answers.
    if l.def.handles_health_data() {
        if !l.sees_sensitive() {
            return Err(WebError::Denied(super::demarches::HEALTH_DOCUMENT));
        }
        l.trace(&state, SensitiveRead::Decision).await?;
    }
    let did = l.dossier.id.clone();
    let (rights, sittings) = state
        .pool
        .run(move |c| {
            let rights = guichet_dossiers::rights::of(c, &did)?;
            // --- commission: the sittings that decided them (« réunie le … »).
            let sittings = super::commission::letter_sittings(c, &rights)?;
            Ok::<_, WebError>((rights, sittings))
        })
        .await?;
    let pdf = crate::documents::decision_at_sittings(&state, &l.dossier, &l.def, &rights, &sittings)?;
    let number = l
        .dossier
        .number
        .as_ref()
        .map(ToString::to_string)
        .unwrap_or_default();
    Ok(pdf_response(pdf, &format!("decision-{number}.pdf")))
}
