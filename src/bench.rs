//! `guichet bench [--quick]`: measures the platform on the machine it runs on and prints medians and
//! 95th/99th percentiles: rights simulation, form validation, PDFs (in process); the instructors' queue over
//! a seeded stock (117 000 dossiers on SQLite, 1 000 000 on PostgreSQL by default); then HTTP under load
//! with `wrk` (a second process, loopback only, bounded in time) against `guichet serve` started as a child
//! process on each backend and a bare actix-web "hello" server as the ceiling (`crates/web/examples/hello.rs`),
//! the streamed CSV export (time and the server's peak memory) and the server's resident memory.
//!
//! Nothing here asserts a time: figures depend on the machine and its load, and are meant for
//! `BENCHMARKS.md`. The seeded databases are kept between runs (seeding is skipped when they already hold
//! the stock), under `--dir` for SQLite and in the `guichet_bench` PostgreSQL database.

use std::collections::{BTreeMap, HashMap};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail};
use diesel::prelude::*;
use guichet_accounts::{AccountsError, users};
use guichet_db::schema::dossiers;
use guichet_db::{AnyConnection, DbPool, PoolOptions};
use guichet_dossiers::instruction::{self, Cursor, QueueFilter, Tab};
use guichet_forms::{Answers, FormDefinition};
use guichet_types::{Email, Role};
use guichet_usecases::Procedures;

#[path = "../crates/documents/tests/common/mod.rs"]
mod pdf_fixtures;

const ADMIN_EMAIL: &str = "bench.admin@seed.guichet.test";
const ADMIN_PASSWORD: &str = "bench administrateur guichet";
const USAGER_EMAIL: &str = "bench.usager@seed.guichet.test";
const USAGER_PASSWORD: &str = "bench usager guichet";
const INSTRUCTOR_EMAIL: &str = "instructeur.mdph.1@seed.guichet.test";

#[derive(clap::Args, Debug, Clone)]
pub struct BenchArgs {
    /// A short run (small stocks, 3-second load runs): checks that everything works, figures are rough.
    #[arg(long)]
    pub quick: bool,
    /// PostgreSQL database for the large stock (created if missing), or `none` to skip PostgreSQL.
    #[arg(long, default_value = "postgres://postgres@127.0.0.1:5432/guichet_bench")]
    pub postgres_url: String,
    /// Dossiers in the SQLite stock.
    #[arg(long)]
    pub sqlite_dossiers: Option<u64>,
    /// Dossiers in the PostgreSQL stock.
    #[arg(long)]
    pub postgres_dossiers: Option<u64>,
    /// Where the SQLite stock and the servers' data directories live.
    #[arg(long, default_value = "target/bench")]
    pub dir: PathBuf,
    /// The procedure definitions (default: `forms/` of this repository).
    #[arg(long)]
    pub forms_dir: Option<PathBuf>,
    /// Seconds per load run.
    #[arg(long)]
    pub duration: Option<u64>,
    /// Skip the in-process micro-benchmarks.
    #[arg(long)]
    pub skip_micro: bool,
    /// Skip HTTP under load (and the export).
    #[arg(long)]
    pub skip_http: bool,
    /// Also time the CSV export on the PostgreSQL stock (every tab: a million rows with the default stock).
    #[arg(long)]
    pub export_postgres: bool,
    /// Only these parts: any of micro, uploads, queue, http, exports (comma-separated).
    #[arg(long, value_delimiter = ',')]
    pub only: Vec<String>,
}

impl BenchArgs {
    fn wants(&self, part: &str) -> bool {
        (self.only.is_empty() || self.only.iter().any(|p| p == part))
            && !(part == "micro" && self.skip_micro)
            && !(part == "http" && self.skip_http)
    }
    fn sqlite_n(&self) -> u64 {
        self.sqlite_dossiers
            .unwrap_or(if self.quick { 3_000 } else { 117_000 })
    }
    fn pg_n(&self) -> u64 {
        self.postgres_dossiers
            .unwrap_or(if self.quick { 5_000 } else { 1_000_000 })
    }
    fn secs(&self) -> u64 {
        self.duration.unwrap_or(if self.quick { 3 } else { 10 })
    }
}

// --------------------------------------------------------------------------------------------- stats

fn pct(sorted: &[Duration], q: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() - 1) as f64 * q).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn fmt(d: Duration) -> String {
    let us = d.as_secs_f64() * 1e6;
    if us < 1000.0 {
        format!("{us:.1} µs")
    } else if us < 1e6 {
        format!("{:.2} ms", us / 1000.0)
    } else {
        format!("{:.2} s", us / 1e6)
    }
}

fn report(what: &str, mut times: Vec<Duration>) {
    times.sort();
    println!(
        "| {what} | {} | {} | {} | {} |",
        fmt(pct(&times, 0.5)),
        fmt(pct(&times, 0.95)),
        fmt(pct(&times, 0.99)),
        times.len()
    );
}

fn time_n<T>(n: usize, mut f: impl FnMut() -> T) -> Vec<Duration> {
    (0..n)
        .map(|_| {
            let t = Instant::now();
            std::hint::black_box(f());
            t.elapsed()
        })
        .collect()
}

fn table_head(first: &str) {
    println!("\n| {first} | median | p95 | p99 | runs |\n|---|---|---|---|---|");
}

// ------------------------------------------------------------------------------------------- machine

fn machine() -> String {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find_map(|l| {
            l.strip_prefix("model name")
                .map(|r| r.trim_start_matches([' ', '\t', ':']).to_owned())
        })
        .unwrap_or_else(|| "unknown".into());
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mem_kb = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|m| {
            m.lines().find_map(|l| {
                l.strip_prefix("MemTotal:")
                    .map(|r| r.trim().trim_end_matches(" kB").to_owned())
            })
        })
        .and_then(|v| v.parse::<u64>().ok())
        .unwrap_or(0);
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let load: Vec<&str> = load.split_whitespace().take(3).collect();
    format!(
        "{model}, {cores} logical cores, {:.1} GiB RAM, load average {}",
        mem_kb as f64 / 1024.0 / 1024.0,
        load.join(" ")
    )
}

// -------------------------------------------------------------------------------------------- micro

fn micro(args: &BenchArgs, forms_dir: &Path) -> Result<()> {
    use guichet_simulation::apa::{ApaDomicileInput, simulate_domicile, simulate_domicile_with};
    use guichet_simulation::{Explain, Parameters};
    use guichet_types::{Euros, Gir};

    let q = args.quick;
    println!("\n## In process (one thread)");
    table_head("measure");
    let p = Parameters::load()?;
    let one = ApaDomicileInput {
        gir: Gir::new(2)?,
        plan: Euros::from_cents(150_000),
        ressources: Some(Euros::from_cents(180_000)),
        revenus_annuels: None,
        valeur_locative_bati: None,
        valeur_locative_non_bati: None,
        capitaux: None,
        couple: false,
        date: chrono::NaiveDate::from_ymd_opt(2026, 1, 15),
        date_naissance: None,
        age: Some(82),
    };
    time_n(1000, || simulate_domicile(&p, &one).is_ok());
    report(
        "APA simulation, one case (with explanation)",
        time_n(if q { 2_000 } else { 20_000 }, || {
            simulate_domicile(&p, std::hint::black_box(&one)).is_ok()
        }),
    );
    // What OpenFisca computes (amounts, no explanation): the like-for-like comparison.
    time_n(1000, || {
        simulate_domicile_with(&p, &one, Explain::AmountsOnly).is_ok()
    });
    report(
        "APA simulation, one case (amounts only)",
        time_n(if q { 2_000 } else { 20_000 }, || {
            simulate_domicile_with(&p, std::hint::black_box(&one), Explain::AmountsOnly).is_ok()
        }),
    );
    // A batch of 100 000 varied cases (GIR 1-4, plans, resources, couples, dates 2024-2026).
    let cases: Vec<ApaDomicileInput> = (0..100_000u64)
        .filter_map(|i| {
            let mix = i
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            Some(ApaDomicileInput {
                gir: Gir::new(u8::try_from(1 + mix % 4).ok()?).ok()?,
                plan: Euros::from_cents(i64::try_from((mix >> 8) % 250_000).ok()?),
                ressources: Some(Euros::from_cents(i64::try_from((mix >> 24) % 500_000).ok()?)),
                couple: mix.is_multiple_of(3),
                date: chrono::NaiveDate::from_ymd_opt(2024, 1, 1)
                    .map(|d| d + chrono::Days::new((mix >> 40) % 1000)),
                ..one.clone()
            })
        })
        .collect();
    let batches = if q { 1 } else { 5 };
    let mut per_case = Vec::with_capacity(cases.len());
    let mut totals = Vec::new();
    for b in 0..batches {
        let t = Instant::now();
        for c in &cases {
            if b == 0 {
                let s = Instant::now();
                std::hint::black_box(simulate_domicile(&p, c).is_ok());
                per_case.push(s.elapsed());
            } else {
                std::hint::black_box(simulate_domicile(&p, c).is_ok());
            }
        }
        totals.push(t.elapsed());
    }
    report("APA simulation, each case of the 100 000 batch", per_case);
    report("APA simulation, whole 100 000-case batch", totals.clone());
    totals.sort();
    println!(
        "| → batch throughput (median batch) | {:.0} cases/s | | | |",
        100_000.0 / pct(&totals, 0.5).as_secs_f64()
    );

    // Whole-form validation of complete submissions.
    let today = chrono::Utc::now().date_naive();
    for (id, fixture) in [
        (
            "mdph",
            include_str!("../crates/forms/tests/fixtures/mdph_complete.json"),
        ),
        (
            "apa",
            include_str!("../crates/forms/tests/fixtures/apa_complete.json"),
        ),
    ] {
        let form = FormDefinition::load(&forms_dir.join(format!("{id}.toml")))?;
        let mut answers: Answers = serde_json::from_str(fixture)?;
        form.normalize_answers(&mut answers, today);
        let errors = form.validate_all(&answers, today);
        if !errors.is_empty() {
            println!(
                "| {id}: fixture not complete ({} errors), skipped | | | | |",
                errors.len()
            );
            continue;
        }
        time_n(200, || form.validate_all(&answers, today).len());
        report(
            &format!(
                "validate_all, full {} submission ({} answers)",
                id.to_uppercase(),
                answers.len()
            ),
            time_n(if q { 300 } else { 3000 }, || {
                form.validate_all(std::hint::black_box(&answers), today).len()
            }),
        );
    }

    // PDFs (the first render parses the fonts, excluded).
    let receipt = pdf_fixtures::typical_receipt();
    let decision = pdf_fixtures::mdph_decision();
    guichet_documents::render_receipt(&receipt)?;
    let n = if q { 30 } else { 300 };
    report(
        "receipt PDF (40 answers)",
        time_n(n, || {
            guichet_documents::render_receipt(&receipt)
                .map(|b| b.len())
                .unwrap_or(0)
        }),
    );
    report(
        "decision letter PDF",
        time_n(n, || {
            guichet_documents::render_decision(&decision)
                .map(|b| b.len())
                .unwrap_or(0)
        }),
    );
    Ok(())
}

// -------------------------------------------------------------------------------------- stock (seed)

fn pool(url: &str) -> Result<DbPool> {
    DbPool::connect_and_migrate(
        url,
        &PoolOptions {
            max_size: 2,
            ..PoolOptions::default()
        },
    )
    .with_context(|| format!("base {}", redact(url)))
}

fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(a)) if a > s => format!("{}://…@{}", &url[..s], &url[a + 1..]),
        _ => url.to_owned(),
    }
}

/// Creates the PostgreSQL database if it does not exist yet.
fn create_pg_database(url: &str) -> Result<()> {
    let (server, name) = url.rsplit_once('/').context("URL PostgreSQL sans nom de base")?;
    if !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        bail!("nom de base inattendu : {name}");
    }
    let mut c = diesel::pg::PgConnection::establish(&format!("{server}/postgres"))?;
    let exists: i64 = diesel::sql_query(format!(
        "SELECT count(*) AS n FROM pg_database WHERE datname = '{name}'"
    ))
    .get_result::<Count>(&mut c)?
    .n;
    if exists == 0 {
        diesel::connection::SimpleConnection::batch_execute(&mut c, &format!("CREATE DATABASE {name}"))?;
        println!("Base PostgreSQL {name} créée.");
    }
    Ok(())
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

fn ensure_account(conn: &mut AnyConnection, email: &str, password: &str, role: Role) -> Result<String> {
    let e = Email::parse(email)?;
    match users::create(conn, &e, password, "Compte de mesure", role, true) {
        Ok(u) => Ok(u.id),
        Err(AccountsError::UserExists) => Ok(users::find_by_email(conn, &e)?.context("compte disparu")?.id),
        Err(err) => Err(err.into()),
    }
}

/// Brings the stock to `n` deposited-or-drafted dossiers (seeding only what is missing).
fn prepare_stock(url: &str, n: u64, forms_dir: &Path) -> Result<()> {
    let pool = pool(url)?;
    let mut conn = pool.get()?;
    let procs = Procedures::load(forms_dir, BTreeMap::new(), &mut conn)?;
    let have: i64 = dossiers::table.count().get_result(&mut conn)?;
    let have = u64::try_from(have)?;
    if have + n / 50 < n {
        let missing = n - have;
        println!(
            "Seeding {missing} dossiers into {} ({have} present)…",
            redact(url)
        );
        let r = crate::seed::seed(
            &mut conn,
            &procs,
            &crate::seed::SeedArgs {
                dossiers: missing,
                procedure: "all".into(),
                batch: 1000,
                seed: 2026 + have,
                years: 5,
                quiet: false,
            },
        )?;
        println!(
            "Seeded {} dossiers and {} events in {:.1} s ({:.0} dossiers/s).",
            r.dossiers,
            r.events,
            r.seconds,
            r.dossiers as f64 / r.seconds.max(1e-9)
        );
    } else {
        println!(
            "Stock of {} already holds {have} dossiers: not seeded again.",
            redact(url)
        );
    }
    ensure_account(&mut conn, ADMIN_EMAIL, ADMIN_PASSWORD, Role::Admin)?;
    ensure_account(&mut conn, USAGER_EMAIL, USAGER_PASSWORD, Role::Usager)?;
    Ok(())
}

// -------------------------------------------------------------------------------------------- queue

fn queue_bench(label: &str, url: &str, runs: usize) -> Result<()> {
    let pool = pool(url)?;
    let mut conn = pool.get()?;
    let total: i64 = dossiers::table.count().get_result(&mut conn)?;
    println!("\n## Instructor queue, {label}, {total} dossiers (admin scope: every service; 50 + 1 rows)");
    table_head("query (what the page runs)");
    let view = |tabs: &[Tab]| {
        let mut f = QueueFilter::new(None, tabs.iter().copied());
        f.limit = 51;
        f
    };
    let base = |tab: Tab| view(&[tab]);
    // A deep page: the cursor of the row in the middle of the largest tab.
    let traites = base(Tab::Traites);
    // An exact count (tab_counts stops at its cap), to find the true middle.
    let n_traites: i64 = dossiers::table
        .filter(dossiers::state.eq_any(["decide", "sans_suite"]))
        .count()
        .get_result(&mut conn)?;
    let _ = &traites;
    let mut walk = base(Tab::Traites);
    walk.limit = 1;
    let mut deep = base(Tab::Traites);
    {
        // Found once with a plain OFFSET (not timed); the page itself uses the keyset cursor.
        let mid = n_traites / 2;
        let row: Option<(Option<chrono::NaiveDateTime>, String)> = dossiers::table
            .filter(dossiers::state.eq_any(["decide", "sans_suite"]))
            .order((
                dossiers::due_at.is_null().asc(),
                dossiers::due_at.asc(),
                dossiers::id.asc(),
            ))
            .offset(mid)
            .select((dossiers::due_at, dossiers::id))
            .first(&mut conn)
            .optional()?;
        if let Some((due_at, id)) = row {
            deep.after = Some(Cursor { due_at, id });
        }
    }
    let mut filtered = base(Tab::EnInstruction);
    filtered.procedures = vec!["apa".into()];
    filtered.due_within_days = Some(30);
    let mut search = base(Tab::Traites);
    search.search = Some("Dupont".into());
    let mut mdph = QueueFilter::new(Some(vec!["mdph".into()]), [Tab::ATraiter]);
    mdph.limit = 51;
    // Issue 14's filters: several procedures, several assignees or nobody, a sort by a header.
    use guichet_db::schema::users;
    // One agent of each procedure filtered (the first two by address were Améthyste's: nothing matched and
    // the page read the whole tab, a case no agent meets).
    let agents: Vec<String> = users::table
        .filter(users::email.eq_any([
            "instructeur.apa.1@seed.guichet.test",
            "instructeur.pch.1@seed.guichet.test",
        ]))
        .select(users::id)
        .load(&mut conn)?;
    let mut multi = base(Tab::EnInstruction);
    multi.procedures = vec!["apa".into(), "pch".into()];
    multi.assignees = agents;
    multi.unassigned = true;
    let mut by_name = base(Tab::Traites);
    by_name.procedures = vec!["mdph".into(), "amethyste".into()];
    by_name.sort = guichet_dossiers::instruction::Sort::ApplicantDesc;
    by_name.offset = 100;
    let mut by_deposit = base(Tab::ATraiter);
    by_deposit.sort = guichet_dossiers::instruction::Sort::DepositedDesc;
    // Several states at once (« Tous »): each tab read through its index and merged.
    let two_states = view(&[Tab::ATraiter, Tab::EnInstruction]);
    let mut all_states = view(&Tab::ALL);
    all_states.procedures = vec!["apa".into(), "mdph".into()];
    all_states.sort = guichet_dossiers::instruction::Sort::ApplicantAsc;
    all_states.offset = 50;
    let cases: Vec<(&str, QueueFilter)> = vec![
        ("first page, tab à traiter", base(Tab::ATraiter)),
        ("first page, MDPH instructor scope", mdph),
        ("filtered: APA, en instruction, due within 30 days", filtered),
        ("deep page via cursor (middle of traités)", deep),
        ("search by name « Dupont » (traités)", search),
        (
            "multi-value: APA + PCH, an APA and a PCH agent or nobody (en instruction)",
            multi,
        ),
        (
            "sorted by beneficiary, descending, page 3: MDPH + Améthyste (traités)",
            by_name,
        ),
        ("sorted by deposit date, newest first (à traiter)", by_deposit),
        (
            "several states: à traiter + en instruction, by due date",
            two_states,
        ),
        (
            "several states: all four, APA + MDPH, sorted by beneficiary, page 2",
            all_states,
        ),
    ];
    for (what, f) in &cases {
        let rows = instruction::queue(&mut conn, f)?.len();
        let q = time_n(runs, || {
            instruction::queue(&mut conn, f).map(|r| r.len()).unwrap_or(0)
        });
        report(&format!("{what}: queue() → {rows} rows"), q);
        let c = time_n(runs, || {
            instruction::tab_counts(&mut conn, f)
                .map(|r| r.len())
                .unwrap_or(0)
        });
        report(&format!("{what}: tab_counts() (4 counts)"), c);
        let both = time_n(runs, || {
            instruction::queue(&mut conn, f).map(|r| r.len()).unwrap_or(0)
                + instruction::tab_counts(&mut conn, f)
                    .map(|r| r.len())
                    .unwrap_or(0)
        });
        report(&format!("{what}: whole page query"), both);
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------- mini HTTP

struct Resp {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Resp {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// A cookie jar and a blocking HTTP/1.1 client for loopback set-up requests (not for measuring load).
#[derive(Default)]
struct Client {
    port: u16,
    cookies: BTreeMap<String, String>,
}

impl Client {
    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    fn send(&mut self, method: &str, path: &str, ctype: Option<&str>, body: &[u8]) -> Result<Resp> {
        let mut s = TcpStream::connect(("127.0.0.1", self.port))?;
        s.set_read_timeout(Some(Duration::from_secs(600)))?;
        let mut head = format!(
            "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nConnection: close\r\nContent-Length: {}\r\n",
            self.port,
            body.len()
        );
        let cookies = self.cookie_header();
        if !cookies.is_empty() {
            head.push_str(&format!("Cookie: {cookies}\r\n"));
        }
        if let Some(ct) = ctype {
            head.push_str(&format!("Content-Type: {ct}\r\n"));
        }
        head.push_str("\r\n");
        s.write_all(head.as_bytes())?;
        s.write_all(body)?;
        let mut raw = Vec::new();
        s.read_to_end(&mut raw)?;
        let split = raw
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .context("réponse HTTP sans en-têtes")?;
        let text = String::from_utf8_lossy(&raw[..split]).to_string();
        let mut lines = text.lines();
        let status: u16 = lines
            .next()
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|s| s.parse().ok())
            .context("ligne de statut")?;
        let headers: Vec<(String, String)> = lines
            .filter_map(|l| {
                l.split_once(':')
                    .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
            })
            .collect();
        let mut body = raw[split + 4..].to_vec();
        let r = Resp {
            status,
            headers,
            body: Vec::new(),
        };
        if r.header("transfer-encoding")
            .is_some_and(|v| v.eq_ignore_ascii_case("chunked"))
        {
            body = dechunk(&body);
        }
        for (k, v) in &r.headers {
            if k.eq_ignore_ascii_case("set-cookie")
                && let Some((name, value)) = v.split(';').next().and_then(|c| c.split_once('='))
            {
                if value.is_empty() {
                    self.cookies.remove(name);
                } else {
                    self.cookies.insert(name.to_owned(), value.to_owned());
                }
            }
        }
        Ok(Resp { body, ..r })
    }

    /// The token of this browser's forms, read from a page as a browser would (it is bound to the login,
    /// so it changes at login and logout).
    fn csrf(&mut self) -> Result<String> {
        let page = self.send("GET", "/mot-de-passe-oublie", None, b"")?;
        let html = String::from_utf8_lossy(&page.body);
        let marker = "name=\"csrf_token\" value=\"";
        let start = html.find(marker).context("pas de jeton CSRF")? + marker.len();
        let end = html[start..].find('"').context("pas de jeton CSRF")? + start;
        Ok(html[start..end].to_owned())
    }

    fn post_form(&mut self, path: &str, pairs: &[(&str, &str)]) -> Result<Resp> {
        let token = self.csrf()?;
        let mut s = form_urlencoded_pairs(&[("csrf_token", token.as_str())]);
        s.push('&');
        s.push_str(&form_urlencoded_pairs(pairs));
        self.send(
            "POST",
            path,
            Some("application/x-www-form-urlencoded"),
            s.as_bytes(),
        )
    }

    fn login(&mut self, email: &str, password: &str) -> Result<()> {
        let r = self.post_form("/connexion", &[("email", email), ("mot_de_passe", password)])?;
        if !self.cookies.contains_key("guichet_session") {
            bail!("connexion de {email} refusée (statut {})", r.status);
        }
        Ok(())
    }
}

fn form_urlencoded_pairs(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", urlencode(k), urlencode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            b' ' => "+".into(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn dechunk(mut b: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(eol) = b.windows(2).position(|w| w == b"\r\n") {
        let size = usize::from_str_radix(String::from_utf8_lossy(&b[..eol]).trim(), 16).unwrap_or(0);
        if size == 0 || b.len() < eol + 2 + size {
            break;
        }
        out.extend_from_slice(&b[eol + 2..eol + 2 + size]);
        b = &b[(eol + 4 + size).min(b.len())..];
    }
    out
}

// ----------------------------------------------------------------------------------------- servers

struct Server {
    child: Child,
    port: u16,
    name: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    fn status_kb(&self, key: &str) -> u64 {
        std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .ok()
            .and_then(|s| {
                s.lines().find_map(|l| {
                    l.strip_prefix(key)
                        .map(|r| r.trim().trim_end_matches(" kB").trim().to_owned())
                })
            })
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    }
    fn rss_mb(&self) -> f64 {
        self.status_kb("VmRSS:") as f64 / 1024.0
    }
    fn hwm_mb(&self) -> f64 {
        self.status_kb("VmHWM:") as f64 / 1024.0
    }
}

fn free_port() -> Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

fn wait_ready(port: u16, path: &str, child: &mut Child) -> Result<()> {
    let deadline = Instant::now() + Duration::from_secs(120);
    while Instant::now() < deadline {
        if let Some(status) = child.try_wait()? {
            bail!("le serveur s’est arrêté au démarrage ({status})");
        }
        let mut c = Client {
            port,
            ..Client::default()
        };
        if c.send("GET", path, None, b"").is_ok_and(|r| r.status == 200) {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    bail!("le serveur ne répond pas sur le port {port}")
}

fn start_guichet(name: &str, url: &str, data_dir: &Path, forms_dir: &Path) -> Result<Server> {
    std::fs::create_dir_all(data_dir)?;
    let port = free_port()?;
    let mut child = Command::new(std::env::current_exe()?)
        .arg("serve")
        .env("GUICHET_DATABASE_URL", url)
        .env("GUICHET_BIND", format!("127.0.0.1:{port}"))
        .env("GUICHET_DATA_DIR", data_dir)
        .env("GUICHET_FORMS_DIR", forms_dir)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()?;
    wait_ready(port, "/healthz", &mut child)?;
    Ok(Server {
        child,
        port,
        name: name.to_owned(),
    })
}

fn start_hello() -> Result<Option<Server>> {
    let exe = std::env::current_exe()?;
    let Some(hello) = exe.parent().map(|d| d.join("examples").join("hello")) else {
        return Ok(None);
    };
    if !hello.exists() {
        println!(
            "(ceiling server missing: build it with `cargo build --release -p guichet_web --example hello`)"
        );
        return Ok(None);
    }
    let port = free_port()?;
    let mut child = Command::new(hello)
        .env("HELLO_BIND", format!("127.0.0.1:{port}"))
        .stdout(Stdio::null())
        .spawn()?;
    wait_ready(port, "/", &mut child)?;
    Ok(Some(Server {
        child,
        port,
        name: "hello".into(),
    }))
}

// --------------------------------------------------------------------------------------------- wrk

#[derive(Debug, Clone, Default)]
struct WrkResult {
    requests: u64,
    rps: f64,
    p50_ms: f64,
    p95_ms: f64,
    p99_ms: f64,
    max_ms: f64,
    errors: u64,
    non_2xx_3xx: u64,
    peak_rss_mb: f64,
}

struct Load<'a> {
    method: &'a str,
    paths: Vec<String>,
    headers: Vec<(String, String)>,
    body: String,
}

fn lua_str(s: &str) -> String {
    format!(
        "\"{}\"",
        s.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
    )
}

/// Runs wrk against `server`: saturating (`paced_ms` None) or each connection waiting `paced_ms` between
/// requests. Samples the server's resident memory meanwhile.
fn wrk(
    server: &Server,
    load: &Load<'_>,
    secs: u64,
    conns: u32,
    paced_ms: Option<u32>,
    dir: &Path,
) -> Result<WrkResult> {
    let mut lua = String::new();
    lua.push_str(&format!("wrk.method = {}\n", lua_str(load.method)));
    lua.push_str(&format!("wrk.body = {}\n", lua_str(&load.body)));
    for (k, v) in &load.headers {
        lua.push_str(&format!("wrk.headers[{}] = {}\n", lua_str(k), lua_str(v)));
    }
    lua.push_str("paths = {");
    lua.push_str(
        &load
            .paths
            .iter()
            .map(|p| lua_str(p))
            .collect::<Vec<_>>()
            .join(","),
    );
    lua.push_str("}\ncounter = 0\n");
    lua.push_str(
        "request = function()\n  counter = counter + 1\n  return wrk.format(nil, paths[(counter % #paths) + 1])\nend\n",
    );
    if let Some(ms) = paced_ms {
        lua.push_str(&format!("delay = function() return {ms} end\n"));
    }
    lua.push_str(
        "done = function(s, lat, req)\n  local e = s.errors\n  io.write(string.format(\"RESULT %d %d %d %d %.1f %.1f %.1f %.1f\\n\", s.requests, s.duration, e.connect + e.read + e.write + e.timeout, e.status, lat:percentile(50), lat:percentile(95), lat:percentile(99), lat.max))\nend\n",
    );
    let script = dir.join("bench.lua");
    std::fs::write(&script, lua)?;
    let mut child = Command::new("wrk")
        .args([
            "-t2",
            &format!("-c{conns}"),
            &format!("-d{secs}s"),
            "--timeout",
            "5s",
            "-s",
        ])
        .arg(&script)
        .arg(format!("http://127.0.0.1:{}", server.port))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .context("wrk introuvable : apt-get install -y wrk")?;
    let mut peak: f64 = 0.0;
    let deadline = Instant::now() + Duration::from_secs(secs + 30);
    while child.try_wait()?.is_none() {
        peak = peak.max(server.rss_mb());
        if Instant::now() > deadline {
            let _ = child.kill();
            bail!("wrk ne s’est pas arrêté");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let mut out = String::new();
    child
        .stdout
        .take()
        .context("sortie de wrk")?
        .read_to_string(&mut out)?;
    let line = out
        .lines()
        .find(|l| l.starts_with("RESULT "))
        .ok_or_else(|| anyhow!("wrk sans résultat : {out}"))?;
    let f: Vec<f64> = line
        .split_whitespace()
        .skip(1)
        .filter_map(|x| x.parse().ok())
        .collect();
    if f.len() < 8 {
        bail!("résultat wrk illisible : {line}");
    }
    Ok(WrkResult {
        requests: f[0] as u64,
        rps: f[0] / (f[1] / 1e6).max(1e-9),
        errors: f[2] as u64,
        non_2xx_3xx: f[3] as u64,
        p50_ms: f[4] / 1000.0,
        p95_ms: f[5] / 1000.0,
        p99_ms: f[6] / 1000.0,
        max_ms: f[7] / 1000.0,
        peak_rss_mb: peak,
    })
}

fn print_wrk(what: &str, r: &WrkResult, ceiling: Option<&WrkResult>) {
    let ratio = ceiling.map_or_else(
        || "—".to_owned(),
        |c| {
            format!(
                "{:.2} × rps, {:.1} × p99",
                r.rps / c.rps.max(1e-9),
                r.p99_ms / c.p99_ms.max(1e-9)
            )
        },
    );
    println!(
        "| {what} | {:.0} | {:.2} | {:.2} | {:.2} | {:.1} | {}/{}{} | {:.1} | {ratio} |",
        r.rps,
        r.p50_ms,
        r.p95_ms,
        r.p99_ms,
        r.max_ms,
        r.errors,
        r.requests,
        if r.non_2xx_3xx > 0 {
            format!(" (+{} non-2xx/3xx)", r.non_2xx_3xx)
        } else {
            String::new()
        },
        r.peak_rss_mb
    );
}

fn wrk_head() {
    println!(
        "\n| load | req/s | p50 ms | p95 ms | p99 ms | max ms | errors/requests | server peak RSS MB | ratio to hello |\n|---|---|---|---|---|---|---|---|---|"
    );
}

/// Saturating run (16 connections) and a paced run of about 500 req/s (10 connections, 20 ms apart).
fn both_loads(
    server: &Server,
    what: &str,
    load: &Load<'_>,
    secs: u64,
    dir: &Path,
    ceiling: &HashMap<&'static str, WrkResult>,
) -> Result<()> {
    let sat = wrk(server, load, secs, 16, None, dir)?;
    print_wrk(
        &format!("{} · {what} · saturating, 16 conns", server.name),
        &sat,
        ceiling.get("sat"),
    );
    let paced = wrk(server, load, secs, 10, Some(20), dir)?;
    print_wrk(
        &format!("{} · {what} · paced ≈ 500 req/s", server.name),
        &paced,
        ceiling.get("paced"),
    );
    Ok(())
}

/// Times one export of every tab in `format` (4 requests, sequential), the server's memory sampled every
/// 20 ms; `extra` is added to each query (e.g. `&procedure=apa`: every answer of one procedure).
fn export_format(server: &Server, admin: &mut Client, format: &str, extra: &str) -> Result<()> {
    let rss_before = server.rss_mb();
    let sampler = RssSampler::start(server.child.id());
    let t = Instant::now();
    let mut rows = 0usize;
    let mut bytes = 0usize;
    for tab in Tab::ALL {
        let r = admin.send(
            "GET",
            &format!("/instruction/export.{format}?onglet={}{extra}", tab.slug()),
            None,
            b"",
        )?;
        if r.status != 200 {
            bail!("export {format} {}: statut {}", tab.slug(), r.status);
        }
        if format == "csv" {
            rows += r.body.iter().filter(|b| **b == b'\n').count().saturating_sub(1);
        }
        bytes += r.body.len();
    }
    let export = t.elapsed();
    let samples = sampler.stop();
    let peak = samples.iter().copied().fold(0.0, f64::max);
    let quarter = |q: usize| samples.get(samples.len() * q / 4).copied().unwrap_or(0.0);
    let rows = if format == "csv" {
        format!("{rows} rows, ")
    } else {
        String::new()
    };
    println!(
        "| {format}{extra} | {rows}{:.1} MB | {} | {rss_before:.1} → peak {peak:.1} MB (25/50/75 %: {:.1} / {:.1} / {:.1}) |",
        bytes as f64 / 1e6,
        fmt(export),
        quarter(1),
        quarter(2),
        quarter(3),
    );
    Ok(())
}

fn export_bench(server: &Server, admin: &mut Client) -> Result<()> {
    let hwm_before = server.hwm_mb();
    println!("\nExports of every tab as administrator (4 requests each, sequential):\n");
    println!("| format | size | time | server VmRSS |");
    println!("|---|---|---|---|");
    export_format(server, admin, "csv", "")?;
    println!(
        "Server VmHWM {hwm_before:.1} → {:.1} MB, VmRSS after {:.1} MB",
        server.hwm_mb(),
        server.rss_mb()
    );
    Ok(())
}

/// Spreadsheet exports (XLSX, ODS; the queue's columns, then every answer of one procedure) and a batch
/// action of 500 dossiers, on the SQLite stock.
fn exports_and_batch(url: &str, forms_dir: &Path, dir: &Path) -> Result<()> {
    let server = start_guichet("exports", url, &dir.join("data-exports"), forms_dir)?;
    std::thread::sleep(Duration::from_secs(1));
    let mut admin = Client {
        port: server.port,
        ..Client::default()
    };
    admin.login(ADMIN_EMAIL, ADMIN_PASSWORD)?;
    println!("\n## Exports and batch actions, SQLite ({})", redact(url));
    println!("\n| format | size | time | server VmRSS |");
    println!("|---|---|---|---|");
    for (format, extra) in [
        ("csv", ""),
        ("xlsx", ""),
        ("ods", ""),
        ("csv", "&procedure=apa"),
        ("xlsx", "&procedure=apa"),
        ("ods", "&procedure=apa"),
    ] {
        export_format(&server, &mut admin, format, extra)?;
    }
    println!("Server VmHWM after the exports: {:.1} MB", server.hwm_mb());

    // A batch of 500: a note on 500 dossiers of the stock, from the POST to the report saying « Terminée ».
    let ids = stock_ids(url, "")?;
    let mut pairs: Vec<(&str, &str)> = vec![
        ("portee", "coches"),
        ("action", "note"),
        ("texte", "Relu (banc d’essai)"),
    ];
    pairs.extend(ids.iter().map(|id| ("dossier", id.as_str())));
    let (first, total) = timed_batch(&mut admin, &pairs)?;
    println!(
        "\nBatch action « note » on {} dossiers: report shown after {} (first 20 items in the request), finished after {}",
        ids.len(),
        fmt(first),
        fmt(total)
    );
    // 500 decisions: every open right of 500 APA dossiers refused alike, each decision with its event and
    // its email, as on the dossier page. The stock keeps them: the next run decides 500 others.
    let ids = stock_ids(url, "apa")?;
    let mut pairs: Vec<(&str, &str)> = vec![
        ("portee", "coches"),
        ("action", "decider"),
        ("decision", "refus"),
        ("texte", "Ressources supérieures au plafond (banc d’essai)"),
        ("confirmation", "1"),
    ];
    pairs.extend(ids.iter().map(|id| ("dossier", id.as_str())));
    let (first, total) = timed_batch(&mut admin, &pairs)?;
    let decided: i64 = {
        let pool = pool(url)?;
        let mut conn = pool.get()?;
        dossiers::table
            .filter(dossiers::id.eq_any(&ids))
            .filter(dossiers::state.eq("decide"))
            .count()
            .get_result(&mut conn)?
    };
    println!(
        "Batch action « décider de la même façon » on {} APA dossiers: report shown after {}, finished after {} ({decided} decided)",
        ids.len(),
        fmt(first),
        fmt(total)
    );
    Ok(())
}

/// 500 dossiers « en instruction » of the stock (of one procedure, or any), without a complement awaited.
fn stock_ids(url: &str, procedure: &str) -> Result<Vec<String>> {
    let pool = pool(url)?;
    let mut conn = pool.get()?;
    let mut q = dossiers::table
        .filter(dossiers::state.eq("en_instruction"))
        .filter(dossiers::complement_demande.eq(false))
        .into_boxed();
    if !procedure.is_empty() {
        q = q.filter(dossiers::procedure.eq(procedure.to_owned()));
    }
    Ok(q.select(dossiers::id).limit(500).load(&mut conn)?)
}

/// Posts a batch and waits for its report to say « Terminée »: (time to the report, time to the end).
fn timed_batch(admin: &mut Client, pairs: &[(&str, &str)]) -> Result<(Duration, Duration)> {
    let t = Instant::now();
    let r = admin.post_form("/instruction/lots", pairs)?;
    let first = t.elapsed();
    let location = r
        .header("location")
        .context("le lot n’a pas été créé")?
        .to_owned();
    loop {
        let page = admin.send("GET", &location, None, b"")?;
        if String::from_utf8_lossy(&page.body).contains("Terminée") {
            break;
        }
        if t.elapsed() > Duration::from_secs(600) {
            bail!("le lot {location} n’a pas fini en 10 minutes");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Ok((first, t.elapsed()))
}

fn http_bench(
    args: &BenchArgs,
    name: &str,
    url: &str,
    forms_dir: &Path,
    ceiling: &HashMap<&'static str, WrkResult>,
    export: bool,
) -> Result<()> {
    let secs = args.secs();
    let data_dir = args.dir.join(format!("data-{name}"));
    let server = start_guichet(name, url, &data_dir, forms_dir)?;
    std::thread::sleep(Duration::from_secs(1));
    let idle = server.rss_mb();
    println!("\n## HTTP, guichet serve on {name} ({})", redact(url));
    println!("Server resident memory idle after start: {idle:.1} MB (VmRSS)");

    // Accounts: the seeded MDPH instructor, the bench administrator and usager.
    let mut staff = Client {
        port: server.port,
        ..Client::default()
    };
    staff.login(INSTRUCTOR_EMAIL, crate::seed::INSTRUCTOR_PASSWORD)?;
    let mut admin = Client {
        port: server.port,
        ..Client::default()
    };
    admin.login(ADMIN_EMAIL, ADMIN_PASSWORD)?;
    let mut usager = Client {
        port: server.port,
        ..Client::default()
    };
    usager.login(USAGER_EMAIL, USAGER_PASSWORD)?;

    // Export first, while the server's peak (VmHWM) is still the idle one.
    if export {
        export_bench(&server, &mut admin)?;
    } else {
        println!("CSV export not measured on this stock (see `--export-postgres`).");
    }
    // A few dossiers of the instructor's service for the dossier page.
    let pool = pool(url)?;
    let ids: Vec<String> = {
        let mut conn = pool.get()?;
        dossiers::table
            .filter(dossiers::service_code.eq("mdph"))
            .filter(dossiers::state.ne("brouillon"))
            .select(dossiers::id)
            .limit(64)
            .load(&mut conn)?
    };
    drop(pool);
    // Drafts of the usager for the step POST (several, so that concurrent saves rarely conflict).
    let mut drafts = Vec::new();
    for _ in 0..32 {
        let r = usager.post_form("/demarches/apa/commencer", &[])?;
        if let Some(loc) = r.header("location") {
            drafts.push(loc.to_owned());
        }
    }
    let step_body = format!(
        "csrf_token={}&action=continuer&demande_pour=proche",
        usager.cookies.get("guichet_csrf").cloned().unwrap_or_default()
    );
    let check = usager.send(
        "POST",
        drafts.first().map_or("/", String::as_str),
        Some("application/x-www-form-urlencoded"),
        step_body.as_bytes(),
    )?;
    println!("Step POST check: {} (303 = saved, next step)", check.status);

    let sim_body = r#"{"gir": "GIR 2", "plan": "1 500", "ressources": "1 800,00", "date": "2026-01-15"}"#;
    let mut anon = Client {
        port: server.port,
        ..Client::default()
    };
    let sim_ok = anon
        .send(
            "POST",
            "/api/v1/simulations/apa",
            Some("application/json"),
            sim_body.as_bytes(),
        )?
        .status
        == 200;

    wrk_head();
    let cookie = |c: &Client| vec![("Cookie".to_owned(), c.cookie_header())];
    if sim_ok {
        both_loads(
            &server,
            "POST /api/v1/simulations/apa",
            &Load {
                method: "POST",
                paths: vec!["/api/v1/simulations/apa".into()],
                headers: vec![("Content-Type".into(), "application/json".into())],
                body: sim_body.into(),
            },
            secs,
            &args.dir,
            ceiling,
        )?;
    } else {
        println!("| simulator POST: /api/v1/simulations/apa absent or failing, skipped | | | | | | | | |");
    }
    let mut h = cookie(&usager);
    h.push(("Content-Type".into(), "application/x-www-form-urlencoded".into()));
    both_loads(
        &server,
        "POST form step (draft saved)",
        &Load {
            method: "POST",
            paths: drafts,
            headers: h,
            body: step_body,
        },
        secs,
        &args.dir,
        ceiling,
    )?;
    both_loads(
        &server,
        "GET /instruction (queue, MDPH instructor)",
        &Load {
            method: "GET",
            paths: vec!["/instruction".into()],
            headers: cookie(&staff),
            body: String::new(),
        },
        secs,
        &args.dir,
        ceiling,
    )?;
    both_loads(
        &server,
        "GET /instruction/dossiers/{id}",
        &Load {
            method: "GET",
            paths: ids.iter().map(|i| format!("/instruction/dossiers/{i}")).collect(),
            headers: cookie(&staff),
            body: String::new(),
        },
        secs,
        &args.dir,
        ceiling,
    )?;
    println!(
        "Server resident memory: idle {idle:.1} MB, now {:.1} MB, peak since start (VmHWM) {:.1} MB",
        server.rss_mb(),
        server.hwm_mb()
    );
    Ok(())
}

// ------------------------------------------------------------------------------------------------ run

pub fn run(args: BenchArgs) -> Result<()> {
    let forms_dir = args
        .forms_dir
        .clone()
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("forms"));
    std::fs::create_dir_all(&args.dir)?;
    println!("# guichet bench{}", if args.quick { " --quick" } else { "" });
    println!("Date: {}", chrono::Utc::now().format("%Y-%m-%d %H:%M UTC"));
    println!("Machine: {}", machine());
    if cfg!(debug_assertions) {
        println!("WARNING: debug build; build with --release for meaningful figures");
    }
    if args.wants("micro") {
        micro(&args, &forms_dir)?;
    }
    if args.wants("uploads") {
        upload_memory(&args, &forms_dir)?;
    }
    let sqlite_path = args.dir.join(format!("stock-{}.db", args.sqlite_n()));
    let sqlite_url = sqlite_path.to_string_lossy().to_string();
    let pg_url = (args.postgres_url != "none").then(|| args.postgres_url.clone());
    if args.wants("queue") || args.wants("http") {
        let t = Instant::now();
        prepare_stock(&sqlite_url, args.sqlite_n(), &forms_dir)?;
        println!("SQLite stock ready in {:.1} s", t.elapsed().as_secs_f64());
        if let Some(url) = &pg_url {
            create_pg_database(url)?;
            let t = Instant::now();
            prepare_stock(url, args.pg_n(), &forms_dir)?;
            println!("PostgreSQL stock ready in {:.1} s", t.elapsed().as_secs_f64());
        }
    }
    if args.wants("exports") {
        if !(args.wants("queue") || args.wants("http")) {
            prepare_stock(&sqlite_url, args.sqlite_n(), &forms_dir)?;
        }
        exports_and_batch(&sqlite_url, &forms_dir, &args.dir)?;
    }
    let runs = if args.quick { 5 } else { 30 };
    if args.wants("queue") {
        queue_bench("SQLite", &sqlite_url, runs)?;
        if let Some(url) = &pg_url {
            queue_bench("PostgreSQL", url, runs)?;
        }
    }
    if args.wants("http") {
        let secs = args.secs();
        let mut ceiling = HashMap::new();
        if let Some(hello) = start_hello()? {
            println!("\n## HTTP ceiling: bare actix-web hello (GET /, 2 workers)");
            wrk_head();
            let load = Load {
                method: "GET",
                paths: vec!["/".into()],
                headers: Vec::new(),
                body: String::new(),
            };
            let sat = wrk(&hello, &load, secs, 16, None, &args.dir)?;
            print_wrk("hello · GET / · saturating, 16 conns", &sat, None);
            let paced = wrk(&hello, &load, secs, 10, Some(20), &args.dir)?;
            print_wrk("hello · GET / · paced ≈ 500 req/s", &paced, None);
            ceiling.insert("sat", sat);
            ceiling.insert("paced", paced);
        }
        http_bench(&args, "sqlite", &sqlite_url, &forms_dir, &ceiling, true)?;
        if let Some(url) = &pg_url {
            http_bench(&args, "postgres", url, &forms_dir, &ceiling, args.export_postgres)?;
        }
    }
    Ok(())
}

// ------------------------------------------------------------------------------- hostile upload memory

/// Sends a multipart body of `parts` text parts of 60 kB (the review's hostile body: 4 000 parts, 240 MB),
/// optionally after a valid CSRF token, streamed (never held in memory here). Returns the status, or 0
/// when the server closed the connection before answering.
fn send_hostile(c: &Client, path: &str, token: Option<&str>, parts: usize) -> Result<u16> {
    let mut s = TcpStream::connect(("127.0.0.1", c.port))?;
    s.set_read_timeout(Some(Duration::from_secs(120)))?;
    let part = {
        let mut p = b"--b\r\nContent-Disposition: form-data; name=\"f\"\r\n\r\n".to_vec();
        p.extend(std::iter::repeat_n(b'a', 60_000));
        p.extend_from_slice(b"\r\n");
        p
    };
    let first =
        token.map(|t| format!("--b\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\n{t}\r\n"));
    let tail = b"--b--\r\n";
    let len = first.as_ref().map_or(0, String::len) + part.len() * parts + tail.len();
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nConnection: close\r\nCookie: {}\r\n\
         Content-Type: multipart/form-data; boundary=b\r\nContent-Length: {len}\r\n\r\n",
        c.port,
        c.cookie_header()
    );
    // The server may answer and close early: a failed write is expected then, the answer is read anyway.
    let _ = (|| -> std::io::Result<()> {
        s.write_all(head.as_bytes())?;
        if let Some(f) = &first {
            s.write_all(f.as_bytes())?;
        }
        for _ in 0..parts {
            s.write_all(&part)?;
        }
        s.write_all(tail)
    })();
    let mut raw = Vec::new();
    let _ = s.read_to_end(&mut raw);
    Ok(String::from_utf8_lossy(&raw)
        .split_whitespace()
        .nth(1)
        .and_then(|v| v.parse().ok())
        .unwrap_or(0))
}

/// M3: the server's resident memory before, at its peak and after a 240 MB hostile multipart body, with
/// no CSRF token and with a valid one first (sampled every 20 ms from /proc/<pid>/status).
fn upload_memory(args: &BenchArgs, forms_dir: &Path) -> Result<()> {
    let dir = args.dir.join("uploads");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;
    let url = dir.join("guichet.db").to_string_lossy().to_string();
    {
        let pool = pool(&url)?;
        ensure_account(&mut *pool.get()?, USAGER_EMAIL, USAGER_PASSWORD, Role::Usager)?;
    }
    let server = start_guichet("uploads", &url, &dir.join("data"), forms_dir)?;
    let mut c = Client {
        port: server.port,
        ..Client::default()
    };
    c.login(USAGER_EMAIL, USAGER_PASSWORD)?;
    let r = c.post_form("/demarches/apa/commencer", &[])?;
    let first = r.header("location").context("pas de brouillon créé")?.to_owned();
    let draft = first
        .split('/')
        .nth(2)
        .context("adresse de brouillon")?
        .to_owned();
    let path = format!("/dossiers/{draft}/etapes/pieces");
    let token = c.csrf()?;
    let parts = if args.quick { 1_000 } else { 4_000 };
    println!(
        "\n## Hostile multipart body ({} MB of 60 kB text parts) to {path}: server RSS",
        parts * 60 / 1000
    );
    println!("| case | status | RSS before | peak | after |\n|---|---|---|---|---|");
    for (label, tok) in [
        ("no CSRF token", None),
        ("valid token first", Some(token.as_str())),
    ] {
        std::thread::sleep(Duration::from_millis(300));
        let before = server.rss_mb();
        let sampler = RssSampler::start(server.child.id());
        let status = send_hostile(&c, &path, tok, parts)?;
        std::thread::sleep(Duration::from_millis(500));
        let peak = sampler.stop().into_iter().fold(0.0, f64::max);
        let after = server.rss_mb();
        println!(
            "| {label} | {} | {before:.0} MB | {:.0} MB | {after:.0} MB |",
            if status == 0 {
                "closed".to_owned()
            } else {
                status.to_string()
            },
            peak.max(before)
        );
    }
    println!("(server {}; VmHWM {:.0} MB)", server.name, server.hwm_mb());
    Ok(())
}

/// A process's resident memory (VmRSS, MB) sampled every 20 ms on a thread of its own until stopped.
struct RssSampler {
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    thread: std::thread::JoinHandle<Vec<f64>>,
}

impl RssSampler {
    fn start(pid: u32) -> RssSampler {
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let flag = stop.clone();
        let thread = std::thread::spawn(move || {
            let mut samples = Vec::new();
            while !flag.load(std::sync::atomic::Ordering::Relaxed) {
                let kb = std::fs::read_to_string(format!("/proc/{pid}/status"))
                    .ok()
                    .and_then(|s| {
                        s.lines().find_map(|l| {
                            l.strip_prefix("VmRSS:")
                                .map(|r| r.trim().trim_end_matches(" kB").trim().to_owned())
                        })
                    })
                    .and_then(|v| v.parse::<f64>().ok())
                    .unwrap_or(0.0);
                samples.push(kb / 1024.0);
                std::thread::sleep(Duration::from_millis(20));
            }
            samples
        });
        RssSampler { stop, thread }
    }

    /// Every sample taken, in order.
    fn stop(self) -> Vec<f64> {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        self.thread.join().unwrap_or_default()
    }
}
