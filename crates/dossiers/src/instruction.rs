//! The instructors' side: the queue (filters, search, keyset pagination), actions on a dossier with
//! their events and emails, messages and private notes.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use guichet_db::outbox::NewEmail;
use guichet_db::schema::{attachments, dossiers, messages, queue_counts};
use guichet_db::{AnyConnection, new_id, now};
use guichet_types::DossierNumber;
use serde_json::{Value, json};

use crate::lifecycle::{self, Action, Actor, State};
use crate::store::{self, Dossier, DossierError, Result, fold, insert_event};

/// The queue's tabs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tab {
    /// Deposited, waiting to be taken.
    ATraiter,
    EnInstruction,
    /// Waiting for the usager's complement.
    ComplementDemande,
    /// Decided or closed.
    Traites,
}

impl Tab {
    pub const ALL: [Tab; 4] = [
        Tab::ATraiter,
        Tab::EnInstruction,
        Tab::ComplementDemande,
        Tab::Traites,
    ];

    pub fn slug(self) -> &'static str {
        match self {
            Tab::ATraiter => "a-traiter",
            Tab::EnInstruction => "en-instruction",
            Tab::ComplementDemande => "complement-demande",
            Tab::Traites => "traites",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Tab::ATraiter => "À traiter",
            Tab::EnInstruction => "En instruction",
            Tab::ComplementDemande => "Complément demandé",
            Tab::Traites => "Traités",
        }
    }

    pub fn from_slug(s: &str) -> Tab {
        Tab::ALL
            .into_iter()
            .find(|t| t.slug() == s)
            .unwrap_or(Tab::ATraiter)
    }
}

/// Where a page of the queue starts: after this (due date, id).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    pub due_at: Option<NaiveDateTime>,
    pub id: String,
}

/// The order of the queue. The default (soonest due date first) pages by keyset over its index; the others,
/// chosen by clicking a column header, page by offset (an agent rarely goes past a few pages of a re-sorted
/// view, and each is bounded by the page size).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Sort {
    #[default]
    DueAsc,
    DueDesc,
    DepositedAsc,
    DepositedDesc,
    NumberAsc,
    NumberDesc,
    ApplicantAsc,
    ApplicantDesc,
}

impl Sort {
    pub const fn column(self) -> &'static str {
        match self {
            Sort::DueAsc | Sort::DueDesc => "echeance",
            Sort::DepositedAsc | Sort::DepositedDesc => "depot",
            Sort::NumberAsc | Sort::NumberDesc => "numero",
            Sort::ApplicantAsc | Sort::ApplicantDesc => "beneficiaire",
        }
    }

    pub const fn descending(self) -> bool {
        matches!(
            self,
            Sort::DueDesc | Sort::DepositedDesc | Sort::NumberDesc | Sort::ApplicantDesc
        )
    }

    /// From the query string's `tri` (column) and `ordre` (`desc` or anything else).
    pub fn parse(column: &str, order: &str) -> Sort {
        let desc = order == "desc";
        match (column, desc) {
            ("echeance", true) => Sort::DueDesc,
            ("depot", false) => Sort::DepositedAsc,
            ("depot", true) => Sort::DepositedDesc,
            ("numero", false) => Sort::NumberAsc,
            ("numero", true) => Sort::NumberDesc,
            ("beneficiaire", false) => Sort::ApplicantAsc,
            ("beneficiaire", true) => Sort::ApplicantDesc,
            _ => Sort::DueAsc,
        }
    }
}

#[derive(Debug, Clone)]
pub struct QueueFilter {
    /// The services the instructor may see; `None` for an administrator (every service).
    pub services: Option<Vec<String>>,
    /// The tabs shown: one, or several together (the « Tous » view with its « États » filter).
    pub tabs: Vec<Tab>,
    /// Procedures to show (several may be chosen); empty: all of the services'.
    pub procedures: Vec<String>,
    /// Services (territorial ones included) to show, within `services`; empty: all of them.
    pub territories: Vec<String>,
    /// Only these dossiers (a selection exported): `None`, no such restriction.
    pub ids: Option<Vec<String>>,
    /// Assigned to one of these agents…
    pub assignees: Vec<String>,
    /// …or (also) to nobody.
    pub unassigned: bool,
    pub assigned_to: Option<String>,
    /// Due within this many days (overdue included).
    pub due_within_days: Option<i64>,
    pub overdue_only: bool,
    /// A dossier number, or part of the applicant's name.
    pub search: Option<String>,
    pub after: Option<Cursor>,
    pub sort: Sort,
    /// Rows to skip (the sorts other than the default; the default pages by `after`).
    pub offset: i64,
    pub limit: i64,
    /// Dossiers this person filed are left out (separation of duties): set only for staff who filed some,
    /// since the condition costs the index-only scans of everyone else.
    pub exclude_owner: Option<String>,
}

impl QueueFilter {
    /// The view of `tabs` (one, or several together) within `services`, with no other restriction.
    pub fn new(services: Option<Vec<String>>, tabs: impl IntoIterator<Item = Tab>) -> QueueFilter {
        QueueFilter {
            services,
            tabs: tabs.into_iter().collect(),
            procedures: Vec::new(),
            territories: Vec::new(),
            ids: None,
            assignees: Vec::new(),
            unassigned: false,
            assigned_to: None,
            due_within_days: None,
            overdue_only: false,
            search: None,
            after: None,
            sort: Sort::DueAsc,
            offset: 0,
            limit: 50,
            exclude_owner: None,
        }
    }
}

type Boxed<'a> = dossiers::BoxedQuery<'a, guichet_db::MultiBackend>;

impl Tab {
    /// This tab's rows as SQL: constants only, and the decided tab spelt as its partial indexes' condition.
    const fn condition(self) -> &'static str {
        match self {
            Tab::ATraiter => "state = 'depose'",
            Tab::EnInstruction => "(state = 'en_instruction' AND NOT complement_demande)",
            Tab::ComplementDemande => "(state = 'en_instruction' AND complement_demande)",
            Tab::Traites => DECIDED_SQL,
        }
    }
}

impl QueueFilter {
    /// The tab of a view that shows one.
    fn single(&self) -> Option<Tab> {
        match self.tabs.as_slice() {
            [t] => Some(*t),
            _ => None,
        }
    }

    /// The same view restricted to one of its tabs.
    fn only(&self, tab: Tab) -> QueueFilter {
        QueueFilter {
            tabs: vec![tab],
            ..self.clone()
        }
    }

    /// The rows of every tab of the view, in one condition (the tabs of the view, in their order).
    fn union(&self) -> Boxed<'_> {
        let tabs: Vec<&str> = Tab::ALL
            .into_iter()
            .filter(|t| self.tabs.contains(t))
            .map(Tab::condition)
            .collect();
        let cond = if tabs.is_empty() {
            "1 = 0".to_owned()
        } else {
            format!("({})", tabs.join(" OR "))
        };
        filtered(self, None).filter(diesel::dsl::sql::<diesel::sql_types::Bool>(&cond))
    }
}

fn filtered(f: &QueueFilter, tab: Option<Tab>) -> Boxed<'_> {
    let mut q = dossiers::table
        .into_boxed()
        .filter(dossiers::state.ne(State::Brouillon.as_str()));
    if let Some(services) = &f.services {
        q = q.filter(dossiers::service_code.eq_any(services.clone()));
    }
    // Literal, not bound: SQLite uses a partial index only when the query repeats the index's condition,
    // constants included (`dossiers_decided_order_idx`, migration 000005); with bound values each export
    // page sorted every decided dossier (5 s for the export of 117 000).
    if let Some(tab) = tab {
        q = q.filter(diesel::dsl::sql::<diesel::sql_types::Bool>(tab.condition()));
    }
    if !f.procedures.is_empty() {
        q = q.filter(dossiers::procedure.eq_any(f.procedures.clone()));
    }
    if !f.territories.is_empty() {
        q = q.filter(dossiers::service_code.eq_any(f.territories.clone()));
    }
    if let Some(ids) = &f.ids {
        q = q.filter(dossiers::id.eq_any(ids.clone()));
    }
    if let Some(owner) = &f.exclude_owner {
        q = q.filter(dossiers::owner_id.ne(owner.clone()));
    }
    if let Some(a) = &f.assigned_to {
        q = q.filter(dossiers::assigned_to.eq(a.clone()));
    }
    match (f.assignees.is_empty(), f.unassigned) {
        (true, false) => {}
        (true, true) => q = q.filter(dossiers::assigned_to.is_null()),
        (false, false) => q = q.filter(dossiers::assigned_to.eq_any(f.assignees.clone())),
        (false, true) => {
            q = q.filter(
                dossiers::assigned_to
                    .is_null()
                    .or(dossiers::assigned_to.eq_any(f.assignees.clone())),
            )
        }
    }
    let t = now();
    if f.overdue_only {
        q = q.filter(dossiers::due_at.lt(t));
    } else if let Some(days) = f.due_within_days {
        q = q.filter(dossiers::due_at.le(t + chrono::Duration::days(days)));
    }
    if let Some(s) = f.search.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        match DossierNumber::parse(s) {
            Ok(n) => q = q.filter(dossiers::number.eq(n.to_string())),
            // Every word, in any order: « Durand Jeanne » finds Jeanne Durand.
            Err(_) => {
                for word in fold(s).replace(['%', '_'], "").split_whitespace().take(6) {
                    q = q.filter(dossiers::search_key.like(format!("%{word}%")));
                }
            }
        }
    }
    q
}

/// One line of the queue or of its CSV export: only the columns they show. Loading whole dossiers here
/// (answers JSON of about 2 kB parsed into a tree, per row) made the export of 117 000 dossiers take
/// 6-10 s and the back office's resident memory grow past 150 MB.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueItem {
    pub id: String,
    pub number: Option<DossierNumber>,
    pub procedure: String,
    pub applicant_name: String,
    /// The account that filed it (the beneficiary's or a relative's, a professional's).
    pub owner_id: String,
    pub state: State,
    pub deposited_at: Option<NaiveDateTime>,
    pub due_at: Option<NaiveDateTime>,
    pub assigned_to: Option<String>,
    pub complement_demande: bool,
    pub complement_recu: bool,
    /// Since when a complement is awaited (the clock is paused).
    pub clock_paused_at: Option<NaiveDateTime>,
    /// The implicit decision born at the due date, if any (`implicit`).
    pub implicit_at: Option<NaiveDateTime>,
    /// Withdrawn by the usager (« Demande retirée par le demandeur »).
    pub withdrawn: bool,
    /// What the sort by name orders (names and number folded): the merge of several tabs compares it.
    sort_key: String,
}

impl QueueItem {
    /// Where the page after this one starts.
    pub fn cursor(&self) -> Cursor {
        Cursor {
            due_at: self.due_at,
            id: self.id.clone(),
        }
    }
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = dossiers)]
struct ItemRow {
    id: String,
    number: Option<String>,
    procedure: String,
    applicant_name: String,
    owner_id: String,
    state: String,
    deposited_at: Option<NaiveDateTime>,
    due_at: Option<NaiveDateTime>,
    assigned_to: Option<String>,
    complement_demande: bool,
    complement_recu: bool,
    clock_paused_at: Option<NaiveDateTime>,
    implicit_at: Option<NaiveDateTime>,
    closing_reason: Option<String>,
    search_key: String,
}

impl TryFrom<ItemRow> for QueueItem {
    type Error = DossierError;
    fn try_from(r: ItemRow) -> Result<QueueItem> {
        Ok(QueueItem {
            number: store::stored_number(r.number.as_deref())?,
            state: r.state.parse()?,
            id: r.id,
            procedure: r.procedure,
            applicant_name: r.applicant_name,
            owner_id: r.owner_id,
            deposited_at: r.deposited_at,
            due_at: r.due_at,
            assigned_to: r.assigned_to,
            complement_demande: r.complement_demande,
            complement_recu: r.complement_recu,
            clock_paused_at: r.clock_paused_at,
            implicit_at: r.implicit_at,
            withdrawn: r.state == State::SansSuite.as_str()
                && r.closing_reason.as_deref() == Some(WITHDRAWN_REASON),
            sort_key: r.search_key,
        })
    }
}

/// The id breaks ties of the other sorts, in their direction.
fn by_id(q: Boxed<'_>, desc: bool) -> Boxed<'_> {
    if desc {
        q.then_order_by(dossiers::id.desc())
    } else {
        q.then_order_by(dossiers::id.asc())
    }
}

/// The rows of the view from its cursor on, in page order: by due date (soonest first; dossiers without a
/// deadline last), then id.
fn ordered(f: &QueueFilter) -> Boxed<'_> {
    let mut q = match f.single() {
        Some(tab) => filtered(f, Some(tab)),
        None => f.union(),
    };
    match f.sort {
        Sort::DueAsc => {}
        Sort::DueDesc => {
            return by_id(
                q.order((dossiers::due_at.is_null().asc(), dossiers::due_at.desc())),
                true,
            );
        }
        Sort::DepositedAsc => return by_id(q.order(dossiers::deposited_at.asc()), false),
        Sort::DepositedDesc => return by_id(q.order(dossiers::deposited_at.desc()), true),
        Sort::NumberAsc => return by_id(q.order(dossiers::number.asc()), false),
        Sort::NumberDesc => return by_id(q.order(dossiers::number.desc()), true),
        Sort::ApplicantAsc => return by_id(q.order(dossiers::search_key.asc()), false),
        Sort::ApplicantDesc => return by_id(q.order(dossiers::search_key.desc()), true),
    }
    if let Some(c) = &f.after {
        q = match c.due_at {
            // A row-value comparison in the order of the index (`dossiers_tab_order_idx`): both databases
            // turn it into an index range, where the equivalent OR of three terms made PostgreSQL filter
            // every earlier row (3.5 s for a middle page of 1 000 000, 0.1 ms this way).
            Some(d) => q.filter(
                diesel::dsl::sql::<diesel::sql_types::Bool>("((due_at IS NULL), due_at, id) > (")
                    .bind::<diesel::sql_types::Bool, _>(false)
                    .sql(", ")
                    .bind::<diesel::sql_types::Timestamp, _>(d)
                    .sql(", ")
                    .bind::<diesel::sql_types::Text, _>(c.id.clone())
                    .sql(")"),
            ),
            None => q.filter(dossiers::due_at.is_null().and(dossiers::id.gt(c.id.clone()))),
        };
    }
    q.order((
        dossiers::due_at.is_null().asc(),
        dossiers::due_at.asc(),
        dossiers::id.asc(),
    ))
}

/// Whether the view (its tab, filters and selection) holds more than `n` dossiers: read up to `n + 1`
/// constants, never a count of the whole tab.
pub fn more_than(conn: &mut AnyConnection, f: &QueueFilter, n: i64) -> Result<bool> {
    let mut total = 0;
    for tab in &f.tabs {
        total += counted_to(conn, f, *tab, n)?;
        if total > n {
            return Ok(true);
        }
    }
    Ok(false)
}

/// The dossiers of the view's `tab`, counted up to `n + 1` at most. A constant per row, not the ids: 10 001
/// strings allocated four times per page view showed in the server's memory under load.
fn counted_to(conn: &mut AnyConnection, f: &QueueFilter, tab: Tab, n: i64) -> Result<i64> {
    let ones: Vec<i32> = filtered(f, Some(tab))
        .select(diesel::dsl::sql::<diesel::sql_types::Integer>("1"))
        .limit(n + 1)
        .load(conn)?;
    Ok(i64::try_from(ones.len()).unwrap_or(i64::MAX))
}

/// One page of the queue (`f.limit` rows after `f.after`).
///
/// A view of several tabs reads each tab's first rows through that tab's index, in page order, and merges
/// them: no index orders a union of states, and sorting one (150 000 rows at 1 000 000 dossiers) costs
/// hundreds of milliseconds per page. The merge takes at most `offset + limit` rows of each tab, so every
/// page is the same slice of one merged order.
pub fn queue(conn: &mut AnyConnection, f: &QueueFilter) -> Result<Vec<QueueItem>> {
    let offset = if f.sort == Sort::DueAsc {
        0
    } else {
        f.offset.max(0)
    };
    if f.single().is_none() {
        let mut runs = Vec::with_capacity(f.tabs.len());
        for tab in Tab::ALL.into_iter().filter(|t| f.tabs.contains(t)) {
            let mut one = f.only(tab);
            one.offset = 0;
            one.limit = offset + f.limit.max(0);
            runs.push(queue(conn, &one)?);
        }
        return Ok(merged(runs, f.sort)
            .skip(usize::try_from(offset).unwrap_or(0))
            .take(usize::try_from(f.limit).unwrap_or(0))
            .collect());
    }
    ordered(f)
        .limit(f.limit)
        .offset(offset)
        .select(ItemRow::as_select())
        .load(conn)?
        .into_iter()
        .map(QueueItem::try_from)
        .collect()
}

/// Whether `a` comes before `b` in the view's order (as `ordered` sorts).
fn before(a: &QueueItem, b: &QueueItem, sort: Sort) -> bool {
    use std::cmp::Ordering;
    // As stored: the text the number column sorts.
    let number = |d: &QueueItem| d.number.as_ref().map(ToString::to_string);
    let key = match sort {
        Sort::DueAsc => (a.due_at.is_none(), a.due_at)
            .cmp(&(b.due_at.is_none(), b.due_at))
            .then_with(|| a.id.cmp(&b.id)),
        Sort::DueDesc => (a.due_at.is_none().cmp(&b.due_at.is_none()))
            .then_with(|| b.due_at.cmp(&a.due_at))
            .then_with(|| b.id.cmp(&a.id)),
        Sort::DepositedAsc => (a.deposited_at, &a.id).cmp(&(b.deposited_at, &b.id)),
        Sort::DepositedDesc => (b.deposited_at, &b.id).cmp(&(a.deposited_at, &a.id)),
        Sort::NumberAsc => (number(a), &a.id).cmp(&(number(b), &b.id)),
        Sort::NumberDesc => (number(b), &b.id).cmp(&(number(a), &a.id)),
        Sort::ApplicantAsc => (&a.sort_key, &a.id).cmp(&(&b.sort_key, &b.id)),
        Sort::ApplicantDesc => (&b.sort_key, &b.id).cmp(&(&a.sort_key, &a.id)),
    };
    key != Ordering::Greater
}

/// Runs each in the view's order, merged into that order: always the head that comes first, so the first
/// n rows merged use at most the first n of each run.
fn merged(runs: Vec<Vec<QueueItem>>, sort: Sort) -> impl Iterator<Item = QueueItem> {
    let mut runs: Vec<std::collections::VecDeque<QueueItem>> = runs.into_iter().map(Into::into).collect();
    std::iter::from_fn(move || {
        let i = first_head(runs.iter().map(|r| r.front()), sort)?;
        runs[i].pop_front()
    })
}

/// Which run's head comes first (the earliest run on a tie); `None` when all are empty.
fn first_head<'a>(heads: impl Iterator<Item = Option<&'a QueueItem>>, sort: Sort) -> Option<usize> {
    let mut best: Option<(usize, &QueueItem)> = None;
    for (i, head) in heads.enumerate() {
        let Some(head) = head else { continue };
        match best {
            Some((_, current)) if before(current, head, sort) => {}
            _ => best = Some((i, head)),
        }
    }
    best.map(|(i, _)| i)
}

/// Every row of the view from its cursor on, in page order, handed one at a time to `each` until it
/// returns `false`: the CSV export of a whole tab. One pooled connection is held until the last row is
/// handed over, so a slow reader of the export keeps it that long.
///
/// SQLite reads the rows of one query one by one (one sort at most for the whole tab; a page per query
/// sorted the 93 000 decided dossiers again for each of its 186 pages: 5 s for the export of 117 000).
/// PostgreSQL's driver would buffer a whole result, so there the rows come by keyset pages of `f.limit`
/// rows (the export uses [`EXPORT_PAGE`]), each an index range: memory stays bounded on a million dossiers.
pub fn each_item(
    conn: &mut AnyConnection,
    f: &QueueFilter,
    mut each: impl FnMut(QueueItem) -> Result<bool>,
) -> Result<()> {
    if conn.backend() == guichet_db::Backend::Sqlite {
        let rows = ordered(f)
            .select(ItemRow::as_select())
            .load_iter::<ItemRow, diesel::connection::DefaultLoadingMode>(conn)?;
        for row in rows {
            if !each(QueueItem::try_from(row?)?)? {
                break;
            }
        }
        return Ok(());
    }
    // Several tabs: each tab paged on its own (its index's order), the pages merged as they come, so no
    // page reads the rows of the pages before it again.
    let mut runs: Vec<Pages> = Tab::ALL
        .into_iter()
        .filter(|t| f.tabs.contains(t))
        .map(|t| Pages::new(f.only(t)))
        .collect();
    loop {
        for run in &mut runs {
            run.fill(conn)?;
        }
        let Some(i) = first_head(runs.iter().map(|r| r.rows.front()), f.sort) else {
            return Ok(());
        };
        let Some(item) = runs[i].rows.pop_front() else {
            return Ok(());
        };
        if !each(item)? {
            return Ok(());
        }
    }
}

/// One tab of a view read by pages of `limit` rows (keyset for the default order, offset for the others).
struct Pages {
    filter: QueueFilter,
    rows: std::collections::VecDeque<QueueItem>,
    done: bool,
}

impl Pages {
    fn new(mut filter: QueueFilter) -> Pages {
        filter.limit = filter.limit.max(1);
        Pages {
            filter,
            rows: std::collections::VecDeque::new(),
            done: false,
        }
    }

    /// Reads the next page when this one is used up.
    fn fill(&mut self, conn: &mut AnyConnection) -> Result<()> {
        if self.rows.is_empty() && !self.done {
            let rows = queue(conn, &self.filter)?;
            self.done = (rows.len() as i64) < self.filter.limit;
            self.filter.after = rows.last().map(QueueItem::cursor);
            self.filter.offset += self.filter.limit;
            self.rows.extend(rows);
        }
        Ok(())
    }
}

/// Rows per query of the export on PostgreSQL.
pub const EXPORT_PAGE: i64 = 2_000;

/// How many dossiers a tab holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Count {
    Exact(i64),
    /// Counting stopped here.
    MoreThan(i64),
}

/// How many dossiers each tab holds under the same filters.
///
/// Without filters other than the services and the procedure, from the counters the triggers keep
/// (`queue_counts`, migration 000006): a few rows, whatever the stock. Filtered by assignee, deadline or
/// search, by counting the matching index entries, stopping past [`COUNT_CAP`].
pub fn tab_counts(conn: &mut AnyConnection, f: &QueueFilter) -> Result<Vec<(Tab, Count)>> {
    let searching = f.search.as_deref().is_some_and(|s| !s.trim().is_empty());
    if f.assigned_to.is_none()
        && f.assignees.is_empty()
        && !f.unassigned
        && f.due_within_days.is_none()
        && !f.overdue_only
        && !searching
    {
        return counted(conn, f);
    }
    if searching {
        // A search matches few dossiers in every tab at once: one query reads them all (one trigram index
        // lookup on PostgreSQL, where four counts did it four times: 26-37 ms at 1 000 000 dossiers). A
        // broad search that reaches the limit is counted tab by tab, capped, below.
        let found: Vec<(String, bool)> = filtered(f, None)
            .select((dossiers::state, dossiers::complement_demande))
            .limit(SEARCH_COUNT_LIMIT)
            .load(conn)?;
        if (found.len() as i64) < SEARCH_COUNT_LIMIT {
            return sum_by_tab(found.into_iter().map(|(s, c)| (s, c, 1)));
        }
    }
    let mut out = Vec::with_capacity(4);
    for tab in Tab::ALL {
        // Counting stops past the cap: an exact "84 312" costs a scan of the whole tab on every page view
        // (about 60 ms per tab at 1 000 000 dossiers on PostgreSQL), where "plus de 1 000" tells as much for
        // a filtered view (the unfiltered ones read exact counters).
        let n = counted_to(conn, f, tab, COUNT_CAP)?;
        out.push((
            tab,
            if n > COUNT_CAP {
                Count::MoreThan(COUNT_CAP)
            } else {
                Count::Exact(n)
            },
        ));
    }
    Ok(out)
}

/// The tab counts from the counters, summed here (SQL's `sum` of a BIGINT is NUMERIC on PostgreSQL).
fn counted(conn: &mut AnyConnection, f: &QueueFilter) -> Result<Vec<(Tab, Count)>> {
    let mut q = queue_counts::table
        .select((
            queue_counts::state,
            queue_counts::complement_demande,
            queue_counts::n,
        ))
        .into_boxed();
    if let Some(services) = &f.services {
        q = q.filter(queue_counts::service_code.eq_any(services.clone()));
    }
    if !f.procedures.is_empty() {
        q = q.filter(queue_counts::procedure.eq_any(f.procedures.clone()));
    }
    let mut rows = q.load::<(String, bool, i64)>(conn)?;
    if let Some(owner) = &f.exclude_owner {
        // The counters include the viewer's own dossiers: take away those few, counted one by one.
        let mut own = dossiers::table
            .filter(dossiers::owner_id.eq(owner.clone()))
            .filter(dossiers::state.ne(State::Brouillon.as_str()))
            .select((dossiers::state, dossiers::complement_demande))
            .into_boxed();
        if let Some(services) = &f.services {
            own = own.filter(dossiers::service_code.eq_any(services.clone()));
        }
        if !f.procedures.is_empty() {
            own = own.filter(dossiers::procedure.eq_any(f.procedures.clone()));
        }
        rows.extend(
            own.load::<(String, bool)>(conn)?
                .into_iter()
                .map(|(s, c)| (s, c, -1)),
        );
    }
    sum_by_tab(rows)
}

/// True when the person filed at least one dossier (drafts aside) in these services.
pub fn has_filed(conn: &mut AnyConnection, user_id: &str, services: Option<&[String]>) -> Result<bool> {
    let mut q = dossiers::table
        .filter(dossiers::owner_id.eq(user_id))
        .filter(dossiers::state.ne(State::Brouillon.as_str()))
        .select(dossiers::id)
        .into_boxed();
    if let Some(services) = services {
        q = q.filter(dossiers::service_code.eq_any(services.to_vec()));
    }
    Ok(q.first::<String>(conn).optional()?.is_some())
}

/// Adds up (state, complement flag, number) into the four tabs; drafts belong to none.
fn sum_by_tab(rows: impl IntoIterator<Item = (String, bool, i64)>) -> Result<Vec<(Tab, Count)>> {
    let mut sums = [0i64; 4];
    for (state, complement, n) in rows {
        let tab = match state.parse::<State>()? {
            State::Depose => Tab::ATraiter,
            State::EnInstruction if complement => Tab::ComplementDemande,
            State::EnInstruction => Tab::EnInstruction,
            s if s.is_decided() => Tab::Traites,
            _ => continue,
        };
        if let Some(i) = Tab::ALL.iter().position(|t| *t == tab) {
            sums[i] += n;
        }
    }
    Ok(Tab::ALL
        .iter()
        .zip(sums)
        .map(|(t, n)| (*t, Count::Exact(n)))
        .collect())
}

/// Matches of a search read at once for its counts; more are counted tab by tab.
const SEARCH_COUNT_LIMIT: i64 = 20_000;

/// The "traités" tab, written as the partial indexes' condition (both migrations) spell it.
const DECIDED_SQL: &str = "state IN ('decide', 'sans_suite')";

/// Filtered tab counts above this are shown as "plus de 1 000". At 10 000 the four capped counts of a
/// search by a common name took 38 ms at 1 000 000 dossiers on PostgreSQL.
pub const COUNT_CAP: i64 = 1_000;

// ------------------------------------------------------------------------------------------------ actions

/// A complement request: what is missing, and why.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Complement {
    /// Labels of the missing documents.
    pub documents: Vec<String>,
    /// Labels of answers to correct or complete.
    pub answers: Vec<String>,
    /// Ids of the fields asked (documents and answers): the usager's focused page shows only these.
    #[serde(default)]
    pub fields: Vec<String>,
    pub message: String,
}

/// What an instructor (or admin) does to a dossier.
#[derive(Debug, Clone)]
pub enum Command {
    Take,
    AskComplement(Complement),
    Close { reason: String },
    Reopen { reason: String },
}

impl Command {
    pub fn action(&self) -> Action {
        match self {
            Command::Take => Action::Take,
            Command::AskComplement(_) => Action::AskComplement,
            Command::Close { .. } => Action::Close,
            Command::Reopen { .. } => Action::Reopen,
        }
    }
}

/// Applies a command: transition check, guarded update (the version the actor saw), event and email,
/// in one transaction. Two instructors acting at once: the second gets [`DossierError::Conflict`].
pub fn act(
    conn: &mut AnyConnection,
    id: &str,
    expected_version: i32,
    actor: Actor,
    actor_id: &str,
    command: &Command,
    email: Option<&NewEmail>,
) -> Result<Dossier> {
    let d = store::find(conn, id)?.ok_or(DossierError::NotFound)?;
    if d.owner_id == actor_id {
        return Err(DossierError::OwnDossier);
    }
    if d.lock_version != expected_version {
        return Err(DossierError::Conflict);
    }
    let to = lifecycle::transition(d.position(), command.action(), actor)?;
    let t = now();
    guichet_db::write_transaction(conn, |conn| {
        let target = dossiers::table
            .filter(dossiers::id.eq(id))
            .filter(dossiers::lock_version.eq(expected_version));
        let n = diesel::update(target)
            .set((
                dossiers::state.eq(to.state.as_str()),
                dossiers::complement_demande.eq(to.complement_demande),
                // The instructor has seen the complement once they act again.
                dossiers::complement_recu.eq(false),
                dossiers::lock_version.eq(expected_version + 1),
                dossiers::updated_at.eq(t),
            ))
            .execute(conn)?;
        if n == 0 {
            return Err(DossierError::Conflict);
        }
        let row = dossiers::table.find(id);
        let payload = match command {
            Command::Take => {
                if d.assigned_to.is_none() {
                    diesel::update(row)
                        .set(dossiers::assigned_to.eq(Some(actor_id)))
                        .execute(conn)?;
                }
                Value::Null
            }
            Command::AskComplement(c) => {
                // The legal clock stops until the usager answers.
                diesel::update(row)
                    .set(dossiers::clock_paused_at.eq(Some(t)))
                    .execute(conn)?;
                serde_json::to_value(c).unwrap_or(Value::Null)
            }
            Command::Close { reason } => {
                diesel::update(row)
                    .set((
                        dossiers::decided_at.eq(Some(t)),
                        dossiers::closing_reason.eq(Some(reason)),
                        dossiers::clock_paused_at.eq(None::<NaiveDateTime>),
                    ))
                    .execute(conn)?;
                json!({ "reason": reason })
            }
            Command::Reopen { reason } => {
                diesel::update(row)
                    .set((
                        dossiers::decided_at.eq(None::<NaiveDateTime>),
                        dossiers::closing_reason.eq(None::<String>),
                    ))
                    .execute(conn)?;
                // The rights are decided again; the events keep what was decided before.
                let cleared = crate::rights::clear_decisions(conn, id)?;
                json!({ "reason": reason, "cleared": cleared })
            }
        };
        insert_event(
            conn,
            id,
            Some(actor_id),
            command.action().as_str(),
            Some(d.state),
            Some(to.state),
            &payload,
            true,
        )?;
        if let Some(e) = email {
            crate::sharing::enqueue(conn, id, e)?;
        }
        store::find(conn, id)?.ok_or(DossierError::NotFound)
    })
}

/// `closing_reason` of a request its owner withdrew; [`Dossier::is_withdrawn`] reads it.
pub const WITHDRAWN_REASON: &str = "Demande retirée par le demandeur";

/// The usager withdraws a request sent and not yet decided: `sans_suite` with [`WITHDRAWN_REASON`], the
/// legal clock stopped, the event `withdraw` (« Demande retirée ») visible to both sides, and the
/// pending changes never sent dropped. `expected_version` is the version the usager confirmed on.
pub fn withdraw(
    conn: &mut AnyConnection,
    id: &str,
    owner_id: &str,
    expected_version: i32,
) -> Result<Dossier> {
    guichet_db::write_transaction(conn, |conn| {
        let d = store::find(conn, id)?
            .filter(|d| d.owner_id == owner_id)
            .ok_or(DossierError::NotFound)?;
        let to = lifecycle::transition(d.position(), Action::Withdraw, Actor::Owner)?;
        if d.lock_version != expected_version {
            return Err(DossierError::Conflict);
        }
        let t = now();
        let n = diesel::update(
            dossiers::table
                .filter(dossiers::id.eq(id))
                .filter(dossiers::lock_version.eq(expected_version)),
        )
        .set((
            dossiers::state.eq(to.state.as_str()),
            dossiers::complement_demande.eq(false),
            dossiers::decided_at.eq(Some(t)),
            dossiers::closing_reason.eq(Some(WITHDRAWN_REASON)),
            dossiers::clock_paused_at.eq(None::<NaiveDateTime>),
            dossiers::pending_answers.eq(None::<String>),
            dossiers::lock_version.eq(expected_version + 1),
            dossiers::updated_at.eq(t),
        ))
        .execute(conn)?;
        if n == 0 {
            return Err(DossierError::Conflict);
        }
        insert_event(
            conn,
            id,
            Some(owner_id),
            Action::Withdraw.as_str(),
            Some(d.state),
            Some(to.state),
            &json!({ "reason": WITHDRAWN_REASON }),
            true,
        )?;
        crate::files::refresh_refs(conn, id)?;
        store::find(conn, id)?.ok_or(DossierError::NotFound)
    })
}

/// Assigns the dossier to an instructor (or nobody).
pub fn assign(
    conn: &mut AnyConnection,
    id: &str,
    expected_version: i32,
    actor_id: &str,
    assignee: Option<&str>,
) -> Result<Dossier> {
    let d = store::find(conn, id)?.ok_or(DossierError::NotFound)?;
    if d.owner_id == actor_id || assignee == Some(d.owner_id.as_str()) {
        return Err(DossierError::OwnDossier);
    }
    guichet_db::write_transaction(conn, |conn| {
        let n = diesel::update(
            dossiers::table
                .filter(dossiers::id.eq(id))
                .filter(dossiers::lock_version.eq(expected_version)),
        )
        .set((
            dossiers::assigned_to.eq(assignee),
            dossiers::lock_version.eq(expected_version + 1),
            dossiers::updated_at.eq(now()),
        ))
        .execute(conn)?;
        if n == 0 {
            return Err(DossierError::Conflict);
        }
        insert_event(
            conn,
            id,
            Some(actor_id),
            "assign",
            None,
            None,
            &json!({ "to": assignee }),
            false,
        )?;
        store::find(conn, id)?.ok_or(DossierError::NotFound)
    })
}

/// Takes a member's dossiers of a service back to nobody (the member leaves the service): one event per
/// dossier, in one transaction. Returns how many.
pub fn unassign_member(
    conn: &mut AnyConnection,
    member_id: &str,
    service_code: &str,
    actor_id: &str,
) -> Result<usize> {
    guichet_db::write_transaction(conn, |conn| {
        let ids: Vec<String> = dossiers::table
            .filter(dossiers::assigned_to.eq(member_id))
            .filter(dossiers::service_code.eq(service_code))
            .select(dossiers::id)
            .load(conn)?;
        for id in &ids {
            diesel::update(dossiers::table.filter(dossiers::id.eq(id)))
                .set((
                    dossiers::assigned_to.eq(None::<String>),
                    dossiers::lock_version.eq(dossiers::lock_version + 1),
                    dossiers::updated_at.eq(now()),
                ))
                .execute(conn)?;
            insert_event(
                conn,
                id,
                Some(actor_id),
                "assign",
                None,
                None,
                &json!({ "to": null, "motif": "agent retiré du service" }),
                false,
            )?;
        }
        Ok(ids.len())
    })
}

/// The usager's re-sent answers, validated by the caller.
#[derive(Debug, Clone)]
pub struct Resubmission {
    pub answers: Value,
    pub applicant_name: String,
    /// What changed, for the instructor (`{"changes": [{field, label, before, after}], "new_files": [...]}`).
    pub payload: Value,
    /// The rights the new answers request (added ones are inserted; none is removed automatically).
    pub rights: Vec<crate::rights::NewRight>,
}

/// The usager sends the answers and documents asked for (or amends a dossier not yet taken): the pending
/// answers, already validated by the caller, replace the dossier's; a complement restarts the clock and
/// the dossier stays with its instructor, flagged « complément reçu ».
pub fn resubmit(
    conn: &mut AnyConnection,
    id: &str,
    owner_id: &str,
    input: &Resubmission,
    email: Option<&NewEmail>,
) -> Result<Dossier> {
    let (answers, applicant_name) = (&input.answers, input.applicant_name.as_str());
    let d = store::find(conn, id)?
        .filter(|d| d.owner_id == owner_id)
        .ok_or(DossierError::NotFound)?;
    let complement = d.complement_demande;
    let to = if complement {
        lifecycle::transition(d.position(), Action::AnswerComplement, Actor::Owner)?
    } else if d.state == State::Depose {
        d.position()
    } else {
        return Err(lifecycle::TransitionError::NotAllowedInState(d.state).into());
    };
    let t = now();
    // Days spent waiting for the usager do not count against the département's deadline.
    let due_at = match (d.due_at, d.clock_paused_at, complement) {
        (Some(due), Some(paused), true) => Some(due + (t - paused)),
        (due, _, _) => due,
    };
    guichet_db::write_transaction(conn, |conn| {
        let n = diesel::update(
            dossiers::table
                .filter(dossiers::id.eq(id))
                .filter(dossiers::lock_version.eq(d.lock_version)),
        )
        .set((
            dossiers::answers.eq(answers.to_string()),
            dossiers::pending_answers.eq(None::<String>),
            dossiers::applicant_name.eq(applicant_name),
            dossiers::search_key.eq(store::search_key(
                applicant_name,
                d.number.as_ref(),
                &store::filer_name(conn, &d.owner_id)?,
            )),
            dossiers::complement_demande.eq(to.complement_demande),
            dossiers::complement_recu.eq(complement || d.complement_recu),
            dossiers::due_at.eq(due_at),
            dossiers::clock_paused_at.eq(None::<NaiveDateTime>),
            dossiers::lock_version.eq(d.lock_version + 1),
            dossiers::updated_at.eq(t),
        ))
        .execute(conn)?;
        if n == 0 {
            return Err(DossierError::Conflict);
        }
        let kind = if complement {
            Action::AnswerComplement.as_str()
        } else {
            "amend"
        };
        insert_event(
            conn,
            id,
            Some(owner_id),
            kind,
            Some(d.state),
            Some(to.state),
            &input.payload,
            true,
        )?;
        crate::rights::add_missing(conn, id, &input.rights)?;
        if let Some(e) = email {
            crate::sharing::enqueue(conn, id, e)?;
        }
        crate::files::refresh_refs(conn, id)?;
        store::find(conn, id)?.ok_or(DossierError::NotFound)
    })
}

/// The last complement request of a dossier, if one is pending.
pub fn pending_complement(conn: &mut AnyConnection, d: &Dossier) -> Result<Option<Complement>> {
    if !d.complement_demande {
        return Ok(None);
    }
    Ok(store::latest_event(conn, &d.id, Action::AskComplement.as_str())?
        .and_then(|e| serde_json::from_str::<Complement>(&e.payload).ok()))
}

// ----------------------------------------------------------------------------------- messages and notes

#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = messages)]
pub struct Message {
    pub id: String,
    pub dossier_id: String,
    pub author_id: String,
    pub from_staff: bool,
    pub body: String,
    pub created_at: NaiveDateTime,
}

/// A file joined to a message, already stored under its SHA-256.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAttachment {
    pub filename: String,
    pub content_type: String,
    pub size: i64,
    pub sha256: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = attachments)]
pub struct Attachment {
    pub id: String,
    pub dossier_id: String,
    pub message_id: Option<String>,
    pub filename: String,
    pub content_type: String,
    pub size_bytes: i64,
    pub sha256: String,
}

/// A message and its files, in one transaction with its event and its email.
pub fn post_message(
    conn: &mut AnyConnection,
    dossier_id: &str,
    author_id: &str,
    from_staff: bool,
    body: &str,
    files: &[NewAttachment],
    email: Option<&NewEmail>,
) -> Result<Message> {
    let id = new_id();
    guichet_db::write_transaction(conn, |conn| {
        diesel::insert_into(messages::table)
            .values((
                messages::id.eq(&id),
                messages::dossier_id.eq(dossier_id),
                messages::author_id.eq(author_id),
                messages::from_staff.eq(from_staff),
                messages::body.eq(body),
                messages::created_at.eq(now()),
            ))
            .execute(conn)?;
        for f in files {
            diesel::insert_into(attachments::table)
                .values((
                    attachments::id.eq(new_id()),
                    attachments::dossier_id.eq(dossier_id),
                    attachments::message_id.eq(Some(&id)),
                    attachments::filename.eq(&f.filename),
                    attachments::content_type.eq(&f.content_type),
                    attachments::size_bytes.eq(f.size),
                    attachments::sha256.eq(&f.sha256),
                    attachments::uploaded_by.eq(author_id),
                    attachments::created_at.eq(now()),
                ))
                .execute(conn)?;
        }
        insert_event(
            conn,
            dossier_id,
            Some(author_id),
            "message",
            None,
            None,
            &json!({ "message": id }),
            true,
        )?;
        if let Some(e) = email {
            crate::sharing::enqueue(conn, dossier_id, e)?;
        }
        Ok(messages::table
            .find(&id)
            .select(Message::as_select())
            .first(conn)?)
    })
}

pub fn messages_of(conn: &mut AnyConnection, dossier_id: &str) -> Result<Vec<Message>> {
    Ok(messages::table
        .filter(messages::dossier_id.eq(dossier_id))
        .order((messages::created_at.asc(), messages::id.asc()))
        .select(Message::as_select())
        .load(conn)?)
}

/// The files joined to the dossier's messages.
pub fn attachments_of(conn: &mut AnyConnection, dossier_id: &str) -> Result<Vec<Attachment>> {
    Ok(attachments::table
        .filter(attachments::dossier_id.eq(dossier_id))
        .order((attachments::created_at.asc(), attachments::id.asc()))
        .select(Attachment::as_select())
        .load(conn)?)
}

/// A private note: an event never shown to the usager.
pub fn add_note(conn: &mut AnyConnection, dossier_id: &str, author_id: &str, text: &str) -> Result<()> {
    insert_event(
        conn,
        dossier_id,
        Some(author_id),
        "note",
        None,
        None,
        &json!({ "text": text }),
        false,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_decided_condition_names_the_decided_states_as_the_partial_indexes_do() {
        for st in State::ALL {
            assert_eq!(
                DECIDED_SQL.contains(&format!("'{}'", st.as_str())),
                st.is_decided(),
                "{st}"
            );
        }
        for up in [
            include_str!("../../../migrations/sqlite/2026-12-02-000010_rights/up.sql"),
            include_str!("../../../migrations/postgres/2026-12-02-000010_rights/up.sql"),
        ] {
            assert!(up.contains(&format!("WHERE {DECIDED_SQL}")), "{up}");
        }
    }

    fn item(i: usize, tab: usize) -> QueueItem {
        let day = |n: usize| {
            chrono::NaiveDate::from_ymd_opt(2026, 1, 1)
                .and_then(|d| d.and_hms_opt(0, 0, 0))
                .map(|t| t + chrono::Duration::days((n % 13) as i64))
        };
        QueueItem {
            id: format!("{i:04}"),
            number: DossierNumber::new("APA", 2026, (i * 7 % 31 + 1) as u32).ok(),
            procedure: "apa".into(),
            applicant_name: String::new(),
            owner_id: String::new(),
            state: State::Depose,
            deposited_at: day(i * 5),
            // Some without a deadline, several on one day: ties broken by the id.
            due_at: if i.is_multiple_of(9) { None } else { day(i) },
            assigned_to: None,
            complement_demande: tab == 1,
            complement_recu: false,
            clock_paused_at: None,
            implicit_at: None,
            withdrawn: false,
            sort_key: format!("nom {}", i * 11 % 17),
        }
    }

    #[test]
    fn a_page_of_several_tabs_is_the_same_slice_of_one_order() {
        let all: Vec<QueueItem> = (0..60).map(|i| item(i, i % 3)).collect();
        for sort in [
            Sort::DueAsc,
            Sort::DueDesc,
            Sort::DepositedAsc,
            Sort::DepositedDesc,
            Sort::NumberAsc,
            Sort::NumberDesc,
            Sort::ApplicantAsc,
            Sort::ApplicantDesc,
        ] {
            let sorted = |mut v: Vec<QueueItem>| {
                v.sort_by(|a, b| {
                    if before(a, b, sort) && before(b, a, sort) {
                        std::cmp::Ordering::Equal
                    } else if before(a, b, sort) {
                        std::cmp::Ordering::Less
                    } else {
                        std::cmp::Ordering::Greater
                    }
                });
                v
            };
            let whole = sorted(all.clone());
            let tabs: Vec<Vec<QueueItem>> = (0..3)
                .map(|t| {
                    sorted(
                        all.iter()
                            .filter(|d| d.id.parse::<usize>().unwrap() % 3 == t)
                            .cloned()
                            .collect(),
                    )
                })
                .collect();
            for (offset, limit) in [(0, 7), (7, 7), (14, 20), (50, 20)] {
                // Each tab gives its first offset + limit rows, as the database would.
                let runs = tabs
                    .iter()
                    .map(|r| r.iter().take(offset + limit).cloned().collect())
                    .collect();
                let page: Vec<String> = merged(runs, sort)
                    .skip(offset)
                    .take(limit)
                    .map(|d| d.id)
                    .collect();
                let want: Vec<String> = whole
                    .iter()
                    .skip(offset)
                    .take(limit)
                    .map(|d| d.id.clone())
                    .collect();
                assert_eq!(page, want, "{sort:?} from {offset}");
            }
        }
    }
}

/// What a page of the queue shows beside the rows' own columns, read once for the page's rows: who filed
/// each dossier, who is assigned (told apart by their services), and the rights requested.
#[derive(Debug, Clone, Default)]
pub struct RowDetails {
    /// dossier id → the filer's name.
    pub filers: std::collections::HashMap<String, String>,
    /// user id → « Name (SERVICE) ».
    pub agents: std::collections::HashMap<String, String>,
    /// dossier id → labels of the rights requested, in the definition's order.
    pub rights: std::collections::HashMap<String, Vec<String>>,
    /// dossier id → « Label : Accordé », « Label : en cours » per right, for exports.
    pub decisions: std::collections::HashMap<String, Vec<String>>,
}

pub fn row_details(conn: &mut AnyConnection, items: &[QueueItem]) -> Result<RowDetails> {
    use guichet_db::schema::{dossier_rights, users};
    let ids: Vec<String> = items.iter().map(|d| d.id.clone()).collect();
    let owners: Vec<String> = items.iter().map(|d| d.owner_id.clone()).collect();
    let names: std::collections::HashMap<String, String> = users::table
        .filter(users::id.eq_any(owners))
        .select((users::id, users::display_name))
        .load::<(String, String)>(conn)?
        .into_iter()
        .collect();
    let filers = items
        .iter()
        .filter_map(|d| names.get(&d.owner_id).map(|n| (d.id.clone(), n.clone())))
        .collect();
    let mut agents = std::collections::HashMap::new();
    for a in items.iter().filter_map(|d| d.assigned_to.clone()) {
        if let std::collections::hash_map::Entry::Vacant(e) = agents.entry(a) {
            let label = store::staff_label(conn, e.key())?;
            e.insert(label);
        }
    }
    let mut rights: std::collections::HashMap<String, Vec<String>> = std::collections::HashMap::new();
    let mut decisions: std::collections::HashMap<String, Vec<String>> = std::collections::HashMap::new();
    for (dossier, label, outcome) in dossier_rights::table
        .filter(dossier_rights::dossier_id.eq_any(ids))
        .order((dossier_rights::dossier_id.asc(), dossier_rights::position.asc()))
        .select((
            dossier_rights::dossier_id,
            dossier_rights::label,
            dossier_rights::outcome,
        ))
        .load::<(String, String, Option<String>)>(conn)?
    {
        let outcome = outcome
            .and_then(|o| o.parse::<crate::rights::Outcome>().ok())
            .map_or("en cours", |o| o.label());
        decisions
            .entry(dossier.clone())
            .or_default()
            .push(format!("{label} : {outcome}"));
        rights.entry(dossier).or_default().push(label);
    }
    Ok(RowDetails {
        filers,
        agents,
        rights,
        decisions,
    })
}

/// The queue's flags beside the complement: what came in that an agent has not acted on yet.
#[derive(Debug, Clone, Default)]
pub struct RowFlags {
    /// Dossiers whose last message is the usager's (nobody answered it yet).
    pub new_message: std::collections::HashSet<String>,
    /// Dossiers with an expert's answer that no agent acted on since: no event by anyone but the expert
    /// and the filer after it (opening the health data of the dossier, traced, counts as reading it).
    pub opinion_received: std::collections::HashSet<String>,
}

pub fn row_flags(conn: &mut AnyConnection, items: &[QueueItem]) -> Result<RowFlags> {
    use guichet_db::schema::{dossier_events, messages, opinions};
    let ids: Vec<String> = items.iter().map(|d| d.id.clone()).collect();
    let mut last: std::collections::HashMap<String, bool> = std::collections::HashMap::new();
    for (dossier, from_staff) in messages::table
        .filter(messages::dossier_id.eq_any(&ids))
        .order((messages::created_at.asc(), messages::id.asc()))
        .select((messages::dossier_id, messages::from_staff))
        .load::<(String, bool)>(conn)?
    {
        last.insert(dossier, from_staff);
    }
    let new_message = last
        .into_iter()
        .filter(|(_, from_staff)| !from_staff)
        .map(|(d, _)| d)
        .collect();
    let mut opinion_received = std::collections::HashSet::new();
    let answered: Vec<(String, Option<String>, Option<NaiveDateTime>)> = opinions::table
        .filter(opinions::dossier_id.eq_any(&ids))
        .filter(opinions::answered_at.is_not_null())
        .order(opinions::answered_at.desc())
        .select((opinions::dossier_id, opinions::expert_id, opinions::answered_at))
        .load(conn)?;
    for (dossier, expert, at) in answered {
        let (Some(at), Some(item)) = (at, items.iter().find(|i| i.id == dossier)) else {
            continue;
        };
        if opinion_received.contains(&dossier) {
            continue;
        }
        let mut q = dossier_events::table
            .filter(dossier_events::dossier_id.eq(&dossier))
            .filter(dossier_events::created_at.gt(at))
            .filter(dossier_events::actor_id.is_not_null())
            .filter(dossier_events::actor_id.ne(&item.owner_id))
            .into_boxed();
        if let Some(e) = expert {
            q = q.filter(dossier_events::actor_id.ne(e));
        }
        let since: i64 = q.count().get_result(conn)?;
        if since == 0 {
            opinion_received.insert(dossier);
        }
    }
    Ok(RowFlags {
        new_message,
        opinion_received,
    })
}

/// The agents of these services (every role that opens dossiers), for the queue's assignee filter:
/// (user id, « Name (SERVICE) »), by name.
pub fn agents_of(conn: &mut AnyConnection, services: Option<&[String]>) -> Result<Vec<(String, String)>> {
    use guichet_db::schema::{memberships, services as sv, users};
    let mut q = memberships::table
        .inner_join(users::table)
        .inner_join(sv::table)
        .filter(memberships::role.ne("expert"))
        .filter(users::role.ne("usager"))
        .select(users::id)
        .distinct()
        .into_boxed();
    if let Some(codes) = services {
        q = q.filter(sv::code.eq_any(codes.to_vec()));
    }
    let ids: Vec<String> = q.load(conn)?;
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        let label = store::staff_label(conn, &id)?;
        out.push((id, label));
    }
    out.sort_by(|a, b| a.1.cmp(&b.1));
    Ok(out)
}

/// The answers of these dossiers (for an export of one procedure), by id.
pub fn answers_of(
    conn: &mut AnyConnection,
    ids: &[String],
) -> Result<std::collections::HashMap<String, Value>> {
    let rows: Vec<(String, String)> = dossiers::table
        .filter(dossiers::id.eq_any(ids.to_vec()))
        .select((dossiers::id, dossiers::answers))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(id, a)| (id, serde_json::from_str(&a).unwrap_or(Value::Null)))
        .collect())
}

/// What happened for an agent since a moment: dossier numbers by kind of news.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct News {
    /// Deposited in one of the agent's services.
    pub new_dossiers: Vec<String>,
    /// A message from the usager on a dossier assigned to the agent.
    pub messages: Vec<String>,
    /// A complement sent back on a dossier assigned to the agent.
    pub complements: Vec<String>,
    /// An expert opinion the agent asked, answered.
    pub opinions: Vec<String>,
}

/// The news of dossiers assigned to `user_id` (and deposits in `services`) after `since` up to `until`.
pub fn news_for(
    conn: &mut AnyConnection,
    user_id: &str,
    services: &[String],
    since: NaiveDateTime,
    until: NaiveDateTime,
) -> Result<News> {
    use guichet_db::schema::{dossier_events, opinions};
    let mut news = News::default();
    let rows: Vec<(String, Option<String>, Option<String>, String)> = dossier_events::table
        .inner_join(dossiers::table)
        .filter(dossiers::assigned_to.eq(user_id))
        .filter(dossier_events::created_at.gt(since))
        .filter(dossier_events::created_at.le(until))
        .filter(dossier_events::kind.eq_any(["message", "answer_complement"]))
        .order(dossier_events::created_at.asc())
        .select((
            dossier_events::kind,
            dossier_events::actor_id,
            dossiers::number,
            dossiers::owner_id,
        ))
        .load(conn)?;
    for (kind, actor, number, owner) in rows {
        let Some(number) = number else { continue };
        let list = match kind.as_str() {
            "message" if actor.as_deref() == Some(owner.as_str()) => &mut news.messages,
            "answer_complement" => &mut news.complements,
            _ => continue,
        };
        if !list.contains(&number) {
            list.push(number);
        }
    }
    let answered: Vec<Option<String>> = opinions::table
        .inner_join(dossiers::table)
        .filter(opinions::asked_by.eq(user_id))
        .filter(opinions::answered_at.gt(since))
        .filter(opinions::answered_at.le(until))
        .select(dossiers::number)
        .load(conn)?;
    news.opinions = answered.into_iter().flatten().collect();
    if !services.is_empty() {
        let fresh: Vec<Option<String>> = dossiers::table
            .filter(dossiers::service_code.eq_any(services))
            .filter(dossiers::deposited_at.gt(since))
            .filter(dossiers::deposited_at.le(until))
            .filter(dossiers::owner_id.ne(user_id))
            .order(dossiers::deposited_at.asc())
            .limit(200)
            .select(dossiers::number)
            .load(conn)?;
        news.new_dossiers = fresh.into_iter().flatten().collect();
    }
    Ok(news)
}

/// The agent's dossiers (assigned to them, not decided) whose due date is exactly this day.
pub fn due_on(conn: &mut AnyConnection, user_id: &str, day: chrono::NaiveDate) -> Result<Vec<String>> {
    let start = day.and_hms_opt(0, 0, 0).unwrap_or_default();
    let end = start + chrono::Duration::days(1);
    let rows: Vec<Option<String>> = dossiers::table
        .filter(dossiers::assigned_to.eq(user_id))
        .filter(dossiers::due_at.ge(start))
        .filter(dossiers::due_at.lt(end))
        .filter(dossiers::clock_paused_at.is_null())
        .filter(dossiers::state.ne_all(["decide", "sans_suite", "brouillon"]))
        .select(dossiers::number)
        .load(conn)?;
    Ok(rows.into_iter().flatten().collect())
}
