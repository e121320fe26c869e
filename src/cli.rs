use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{Args, Parser, Subcommand};
use guichet_accounts::{AccountsError, services, users};
use guichet_db::{DbPool, PoolOptions};
use guichet_types::{Email, Role, ServiceRole};
use guichet_web::{Application, Config};

#[derive(Parser)]
#[command(
    name = "guichet",
    version,
    about = "Téléprocédures d’aide sociale départementale (APA, PCH, MDPH, Améthyste)"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the web platform.
    Serve {
        /// Create the database if needed and add demo accounts (printed at start).
        #[arg(long)]
        demo: bool,
        /// With `--demo`: generated dossiers in every state, added once to an empty database (some owned by
        /// the demo usager) so that the back office is not empty. 0 for none (the browser tests).
        #[arg(long, default_value_t = 60, requires = "demo")]
        demo_dossiers: u64,
    },
    /// Apply pending database migrations, then exit.
    Migrate,
    /// Manage user accounts.
    #[command(subcommand)]
    User(UserCommand),
    /// Manage services (MDPH, APA, Améthyste…).
    #[command(subcommand)]
    Service(ServiceCommand),
    /// Check procedure definitions, or print the JSON Schema of their format.
    #[command(subcommand)]
    Forms(FormsCommand),
    /// Estimate an aid (APA, PCH, AAH, Améthyste) for one case or a CSV file of cases.
    Simulate(crate::simulate::SimulateArgs),
    /// Generate realistic dossiers (benchmarks, demonstrations): batched inserts, progress bar.
    Seed(crate::seed::SeedArgs),
    /// Apply the retention periods (RGPD): warn the owners of old drafts, delete old drafts and dossiers
    /// decided long ago (files included). The server does it daily; `--dry-run` only lists.
    Purge(PurgeArgs),
    /// Measure the platform on this machine (micro-benchmarks, HTTP under load, queue, export).
    Bench(crate::bench::BenchArgs),
    /// Show the département's identity (letters, receipts, pages), or change one value with `set`.
    Settings {
        #[command(subcommand)]
        action: Option<SettingsCommand>,
    },
    /// Record the implicit decisions whose due date has passed without a decision (the server does it
    /// hourly): event and email for each.
    Implicit(ImplicitArgs),
    /// Send the renewal reminders due (the server does it hourly): for each decided request whose rights
    /// end within its procedure's `[renewal]` months, an email once, and an event.
    Renewals(RenewalsArgs),
}

#[derive(Subcommand)]
enum SettingsCommand {
    /// Change one value: `guichet settings set telephone "01 43 93 93 93"`. Address lines are separated
    /// by « | ». An empty service signatory falls back to the default one.
    Set { key: String, value: String },
}

#[derive(Args)]
struct ImplicitArgs {
    /// Run as if it were this UTC date (`2030-01-01` or `2030-01-01T08:00:00`): tests, or checking ahead.
    #[arg(long, env = "GUICHET_IMPLICIT_NOW")]
    now: Option<String>,
}

#[derive(Args)]
struct RenewalsArgs {
    /// Run as if it were this day (`2030-01-01`): tests, or checking ahead.
    #[arg(long)]
    today: Option<String>,
}

#[derive(Args)]
struct PurgeArgs {
    /// List what would be warned and deleted, changing nothing.
    #[arg(long)]
    dry_run: bool,
    /// Run as if it were this UTC date (`2030-01-01` or `2030-01-01T08:00:00`): tests, or checking ahead.
    #[arg(long, env = "GUICHET_PURGE_NOW")]
    now: Option<String>,
}

#[derive(Subcommand)]
enum FormsCommand {
    /// Check definitions (default: every `*.toml` of the forms directory). Exits non-zero on any error.
    Check {
        /// Files or directories to check.
        paths: Vec<std::path::PathBuf>,
    },
    /// Print the JSON Schema of the definition format, for editors.
    Schema,
}

#[derive(Subcommand)]
enum UserCommand {
    /// Create an account (verified). Without --password, a strong one is generated and printed once.
    Add(UserAdd),
}

#[derive(Args)]
struct UserAdd {
    #[arg(long)]
    email: String,
    #[arg(long, default_value = "usager")]
    role: Role,
    /// Service code the user joins (repeatable), e.g. --service apa.
    #[arg(long = "service")]
    services: Vec<String>,
    /// Role within those services: instructeur, evaluateur, lecteur or expert.
    #[arg(long, default_value = "instructeur")]
    service_role: guichet_types::ServiceRole,
    #[arg(long, default_value = "Agent du département")]
    name: String,
    #[arg(long, env = "GUICHET_NEW_USER_PASSWORD", hide_env_values = true)]
    password: Option<String>,
}

#[derive(Subcommand)]
enum ServiceCommand {
    /// Create a service.
    Add {
        /// Short code, e.g. apa, mdph, amethyste.
        #[arg(long)]
        code: String,
        #[arg(long)]
        name: String,
    },
    /// List services.
    List,
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("Erreur : {e:#}");
            ExitCode::FAILURE
        }
    }
}

pub(crate) fn settings() -> Result<guichet_web::Settings> {
    Ok(Config::load()?.resolve()?)
}

pub(crate) fn pool(settings: &guichet_web::Settings) -> Result<DbPool> {
    DbPool::connect_and_migrate(
        &settings.database_url,
        &PoolOptions {
            max_size: 2,
            ..PoolOptions::default()
        },
    )
    .with_context(|| format!("base de données {}", settings.database_label()))
}

fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Serve { demo, demo_dossiers } => serve(demo, demo_dossiers),
        Command::Migrate => {
            let s = settings()?;
            guichet_web::telemetry::init(s.config.log_format);
            pool(&s)?;
            println!("Migrations appliquées : {}", s.database_label());
            Ok(())
        }
        Command::User(UserCommand::Add(args)) => {
            let s = settings()?;
            let pool = pool(&s)?;
            let mut conn = pool.get()?;
            let email = Email::parse(&args.email)?;
            let (password, generated) = match args.password {
                Some(p) => (p, false),
                None => (guichet_accounts::tokens::random_token(), true),
            };
            for code in &args.services {
                // Checked first so that a typo creates nothing.
                services::find_by_code(&mut conn, code)?
                    .ok_or_else(|| AccountsError::UnknownService(code.clone()))?;
            }
            let user = users::create(&mut conn, &email, &password, &args.name, args.role, true)?;
            for code in &args.services {
                services::set_role(&mut conn, &user.id, code, args.service_role)?;
            }
            println!("Compte créé : {} ({})", user.email, user.role);
            if !args.services.is_empty() {
                println!("Services : {}", args.services.join(", "));
            }
            if generated {
                println!("Mot de passe (affiché une seule fois) : {password}");
            }
            Ok(())
        }
        Command::Service(ServiceCommand::Add { code, name }) => {
            let pool = pool(&settings()?)?;
            let s = services::create(&mut *pool.get()?, &code, &name)?;
            println!("Service créé : {} – {}", s.code, s.name);
            Ok(())
        }
        Command::Forms(FormsCommand::Schema) => {
            println!("{}", guichet_forms::definition_json_schema());
            Ok(())
        }
        Command::Forms(FormsCommand::Check { paths }) => check_forms(paths),
        Command::Simulate(args) => crate::simulate::run(args),
        Command::Seed(args) => crate::seed::run(args),
        Command::Bench(args) => crate::bench::run(args),
        Command::Purge(args) => purge(&args),
        Command::Settings { action } => {
            crate::settings::run(action.map(|SettingsCommand::Set { key, value }| (key, value)))
        }
        Command::Implicit(args) => crate::settings::implicit(args.now.as_deref().map(parse_now).transpose()?),
        Command::Renewals(args) => {
            crate::settings::renewals(args.today.as_deref().map(parse_now).transpose()?)
        }
        Command::Service(ServiceCommand::List) => {
            let pool = pool(&settings()?)?;
            for s in services::list(&mut *pool.get()?)? {
                println!("{}\t{}", s.code, s.name);
            }
            Ok(())
        }
    }
}

/// Demo accounts: (email, password, name, role, services, role within them). Only ever created by
/// `serve --demo`. Every agent has their own name, so that history lines and the usager's health-data read
/// log tell them apart; the roles within a service each have an account to try.
type DemoAccount = (
    &'static str,
    &'static str,
    &'static str,
    Role,
    &'static [&'static str],
    ServiceRole,
);
const DEMO_ACCOUNTS: &[DemoAccount] = &[
    (
        "usager@demo.guichet.test",
        "demo usager guichet",
        "Hélène Dupré",
        Role::Usager,
        &[],
        ServiceRole::Instructeur,
    ),
    // A family to share dossiers with (« Personnes qui ont accès à ce dossier »).
    (
        "famille.mere@demo.guichet.test",
        "demo mere guichet",
        "Jeanne Durand",
        Role::Usager,
        &[],
        ServiceRole::Instructeur,
    ),
    (
        "famille.frere@demo.guichet.test",
        "demo frere guichet",
        "Paul Durand",
        Role::Usager,
        &[],
        ServiceRole::Instructeur,
    ),
    (
        "instructeur.apa@demo.guichet.test",
        "demo instructeur apa",
        "Karim Benali",
        Role::Instructeur,
        &["apa", "amethyste"],
        ServiceRole::Instructeur,
    ),
    (
        "instructeur.mdph@demo.guichet.test",
        "demo instructeur mdph",
        "Nadia Roussel",
        Role::Instructeur,
        &["mdph", "pch", crate::seed::DEMO_CHILDREN_SERVICE],
        ServiceRole::Instructeur,
    ),
    (
        "evaluateur.mdph@demo.guichet.test",
        "demo evaluateur mdph",
        "Dr Julien Moreau",
        Role::Instructeur,
        &["mdph"],
        ServiceRole::Evaluateur,
    ),
    (
        "expert.mdph@demo.guichet.test",
        "demo expert mdph",
        "Dr Anne Girard",
        Role::Instructeur,
        &["mdph"],
        ServiceRole::Expert,
    ),
    (
        "lecteur.apa@demo.guichet.test",
        "demo lecteur apa",
        "Sophie Lefèvre",
        Role::Instructeur,
        &["apa"],
        ServiceRole::Lecteur,
    ),
    (
        "admin@demo.guichet.test",
        "demo admin guichet",
        "Claire Martin",
        Role::Admin,
        &["apa", "mdph", "pch", "amethyste"],
        ServiceRole::Instructeur,
    ),
];

/// Generated dossiers handed to the demo usager, so that « Mes dossiers » shows several states.
const DEMO_USAGER_DOSSIERS: i64 = 6;

const DEMO_SERVICES: &[(&str, &str)] = &[
    ("amethyste", "Forfait Améthyste"),
    ("apa", "Allocation personnalisée d’autonomie"),
    ("mdph", "Maison départementale des personnes handicapées"),
    ("pch", "Prestation de compensation du handicap"),
    (
        crate::seed::DEMO_CHILDREN_SERVICE,
        "MDPH – équipe enfance (moins de 20 ans)",
    ),
];

fn seed_demo(pool: &DbPool) -> Result<()> {
    let mut conn = pool.get()?;
    for (code, name) in DEMO_SERVICES {
        match services::create(&mut conn, code, name) {
            Ok(_) | Err(AccountsError::ServiceExists(_)) => {}
            Err(e) => return Err(e.into()),
        }
    }
    println!("Comptes de démonstration :");
    for (email, password, name, role, codes, service_role) in DEMO_ACCOUNTS {
        let parsed = Email::parse(email)?;
        let user = match users::create(&mut conn, &parsed, password, name, *role, true) {
            Ok(u) => u,
            Err(AccountsError::UserExists) => {
                users::find_by_email(&mut conn, &parsed)?.context("demo user vanished")?
            }
            Err(e) => return Err(e.into()),
        };
        for code in *codes {
            services::set_role(&mut conn, &user.id, code, *service_role)?;
        }
        let shown = if *service_role == ServiceRole::Instructeur {
            role.as_str()
        } else {
            service_role.as_str()
        };
        println!("  {shown:<12} {email:<38} mot de passe : {password}");
    }
    Ok(())
}

fn serve(demo: bool, demo_dossiers: u64) -> Result<()> {
    release_large_blocks();
    let mut settings = settings()?;
    guichet_web::telemetry::init(settings.config.log_format);
    if demo {
        // The demo's legal notice is complete, with values that say they are examples.
        settings.config.mentions = settings.config.mentions.clone().or_demo();
    }
    let missing = settings.config.mentions.missing();
    if !missing.is_empty() {
        tracing::warn!(
            keys = %missing.join(", "),
            "Legal notice incomplete: these settings are shown as « non renseigné »"
        );
    }
    if demo {
        let pool = pool(&settings)?;
        seed_demo(&pool)?;
        crate::seed::demo_dossiers(
            &pool,
            &settings,
            demo_dossiers,
            DEMO_ACCOUNTS[0].0,
            DEMO_USAGER_DOSSIERS,
        )?;
        crate::seed::demo_extras(
            &pool,
            &settings,
            DEMO_ACCOUNTS[DEMO_ACCOUNTS.len() - 1].0,
            DEMO_ACCOUNTS[0].0,
            DEMO_ACCOUNTS[1].0,
        )?;
    }
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    rt.block_on(async move {
        let label = settings.database_label();
        let app = Application::build(settings).await?;
        let url = app.state().settings.public_url.clone();
        tracing::info!(database = %label, "Guichet started");
        println!("Guichet est prêt : {url}  (base : {label} ; Ctrl+C pour arrêter)");
        app.run_until_stopped().await?;
        Ok(())
    })
}

/// Every login computes an argon2id hash in 19 MiB (OWASP's setting). glibc serves a block that large with
/// `mmap` and gives it back when freed, but then raises its mmap threshold to that size (and its trim
/// threshold to twice it): the next hashes come from the thread's heap arena and stay resident once freed,
/// 19 MiB per thread that ever hashed (the server went from 21 to 40 MB after three logins). A fixed
/// threshold of 1 MiB keeps large blocks mmapped, so they return to the system when the hash is done.
/// `MALLOC_MMAP_THRESHOLD_` in the environment, when set, wins.
fn release_large_blocks() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    if std::env::var_os("MALLOC_MMAP_THRESHOLD_").is_none() {
        #[allow(unsafe_code)]
        // SAFETY: mallopt only changes the allocator's tuning; it is called before the server's threads
        // start and takes no pointer.
        unsafe {
            libc::mallopt(libc::M_MMAP_THRESHOLD, 1024 * 1024);
        }
    }
}

/// `guichet forms check`: every error names file, step and field; the exit code says whether any was found.
fn check_forms(paths: Vec<std::path::PathBuf>) -> Result<()> {
    let paths = if paths.is_empty() {
        vec![Config::load()?.forms_dir]
    } else {
        paths
    };
    let mut files = Vec::new();
    for p in paths {
        if p.is_dir() {
            let mut found: Vec<_> = std::fs::read_dir(&p)
                .with_context(|| format!("{}", p.display()))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|f| f.extension().is_some_and(|x| x == "toml"))
                .collect();
            found.sort();
            files.extend(found);
        } else {
            files.push(p);
        }
    }
    let mut errors = 0;
    for f in &files {
        let found = guichet_forms::check_definition(f);
        if found.is_empty() {
            println!("{} : correct", f.display());
        }
        for e in &found {
            eprintln!("{e}");
        }
        errors += found.len();
    }
    if errors > 0 {
        anyhow::bail!(
            "{} dans {}",
            plural(errors, "erreur", "erreurs"),
            plural(files.len(), "fichier vérifié", "fichiers vérifiés")
        );
    }
    Ok(())
}

fn parse_now(text: &str) -> Result<chrono::NaiveDateTime> {
    if let Ok(t) = chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S") {
        return Ok(t);
    }
    chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .with_context(|| format!("date « {text} » illisible : AAAA-MM-JJ ou AAAA-MM-JJTHH:MM:SS attendu"))
}

/// `guichet purge`: one line per warning and deletion, then a summary.
fn purge(args: &PurgeArgs) -> Result<()> {
    use guichet_dossiers::retention::PurgeKind;
    let s = settings()?;
    let now = match &args.now {
        Some(t) => parse_now(t)?,
        None => guichet_db::now(),
    };
    let variants: std::collections::BTreeMap<String, String> = s
        .config
        .departement_code
        .iter()
        .map(|code| ("amethyste".to_owned(), code.clone()))
        .collect();
    let defs = guichet_forms::load_dir_with_variants(&s.config.forms_dir, &variants)?;
    let policies = guichet_web::retention::policies(defs.iter().map(|d| d.as_ref()));
    for d in defs.iter().filter(|d| d.definition().retention.is_none()) {
        eprintln!(
            "Attention : « {} » n’a pas de durée de conservation ([retention]) : rien n’est supprimé",
            d.id()
        );
    }
    let pool = pool(&s)?;
    let mut conn = pool.get()?;
    let day = |t: chrono::NaiveDateTime| t.format("%Y-%m-%d").to_string();
    let print_purge = |p: &guichet_dossiers::retention::Purge| {
        let what = match p.kind {
            PurgeKind::Draft => format!("brouillon {}", p.dossier_id),
            PurgeKind::Decided => p.number.clone().unwrap_or_else(|| p.dossier_id.clone()),
        };
        let since = match p.kind {
            PurgeKind::Draft => "modifié le",
            PurgeKind::Decided => "décidé le",
        };
        println!(
            "suppression\t{what}\t{}\t{since} {}\t{}",
            p.procedure,
            day(p.reference_at),
            p.reason
        );
    };
    let print_warning = |w: &guichet_dossiers::retention::Warning| {
        println!(
            "avertissement\tbrouillon {}\t{}\tmodifié le {}\tsuppression à partir du {}",
            w.dossier_id,
            w.procedure,
            day(w.last_change),
            day(w.purge_from)
        );
    };
    if args.dry_run {
        let plan = guichet_web::retention::dry_run(&mut conn, &policies, now)?;
        plan.warnings.iter().for_each(print_warning);
        plan.purges.iter().for_each(print_purge);
        println!(
            "Simulation au {} : {}, {}. Rien n’a été modifié.",
            day(now),
            plural(plan.warnings.len(), "avertissement", "avertissements"),
            plural(plan.purges.len(), "suppression", "suppressions")
        );
        return Ok(());
    }
    let files = guichet_web::uploads::FileStore::new(&s.config.data_dir, None)?;
    let report = guichet_web::retention::run(&mut conn, &policies, &files, &s.public_url, now)?;
    report.outcome.warned.iter().for_each(print_warning);
    report.outcome.purged.iter().for_each(print_purge);
    println!(
        "Au {} : {}, {}, {}, {} (brouillon repris).",
        day(now),
        plural(
            report.outcome.warned.len(),
            "avertissement envoyé",
            "avertissements envoyés"
        ),
        plural(report.outcome.purged.len(), "suppression", "suppressions"),
        plural(report.files_removed, "fichier effacé", "fichiers effacés"),
        plural(
            report.outcome.forgotten_warnings,
            "avertissement oublié",
            "avertissements oubliés"
        )
    );
    Ok(())
}

/// `0 erreur`, `1 erreur`, `2 erreurs`: French takes the singular below 2, and never « erreur(s) ».
pub(crate) fn plural(n: usize, one: &str, many: &str) -> String {
    if n > 1 {
        format!("{n} {many}")
    } else {
        format!("{n} {one}")
    }
}
