//! `guichet seed --dossiers N [--procedure apa|mdph|pch|amethyste|all]`: realistic generated dossiers for
//! benchmarks and demonstrations, written straight into the database with batched multi-row inserts.
//!
//! Every dossier carries answers that pass the whole-form validation of its definition (one valid answer
//! set per procedure, with varied names, birth days and document references), a state and a history spread
//! over five years (deposit, taking, complements, decision after deposit), a number unique per prefix and
//! year (`dossier_sequences` is moved past the numbers given), and the `search_key` of the instructors'
//! search. Owners are generated usagers (one per 20 dossiers); a few instructors per service are created
//! (or reused) with a fixed password, printed at the end. Runs on SQLite and PostgreSQL through the same
//! code; not meant to run against a database serving users (sequences are moved without locking).

use std::collections::{BTreeMap, HashMap};
use std::io::IsTerminal;

use anyhow::{Context, Result, bail};
use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use guichet_accounts::{AccountsError, password, services, users};
use guichet_db::schema::{dossier_events, dossier_sequences, dossiers, users as users_t};
use guichet_db::{AnyConnection, DbPool, PoolOptions, new_id, now};
use guichet_dossiers::{Action, State};
use guichet_forms::{Answers, FormDefinition};
use guichet_types::{DossierNumber, Email, Role};
use guichet_usecases::deadlines::due_date;
use guichet_usecases::{Procedure, Procedures};
use serde_json::{Value, json};

/// Password of the instructors created by `guichet seed` (generated data only, never real accounts).
pub const INSTRUCTOR_PASSWORD: &str = "seed instructeur guichet";
/// Password of the generated usagers.
pub const USAGER_PASSWORD: &str = "seed usager guichet";
/// Instructors created per service.
const INSTRUCTORS_PER_SERVICE: usize = 3;
/// Dossiers per generated usager.
const DOSSIERS_PER_USAGER: u64 = 20;

#[derive(clap::Args, Debug, Clone)]
pub struct SeedArgs {
    /// How many dossiers to generate.
    #[arg(long)]
    pub dossiers: u64,
    /// One procedure (apa, mdph, pch, amethyste) or `all` (a realistic mix).
    #[arg(long, default_value = "all")]
    pub procedure: String,
    /// Dossiers per INSERT statement (and per transaction).
    #[arg(long, default_value_t = 1000)]
    pub batch: usize,
    /// Seed of the generator: the same seed gives the same names, dates and states.
    #[arg(long, default_value_t = 2026)]
    pub seed: u64,
    /// Years over which deposits are spread, ending today.
    #[arg(long, default_value_t = 5)]
    pub years: u32,
    /// No progress bar.
    #[arg(long)]
    pub quiet: bool,
}

/// What a run created, for the caller (and the tests).
#[derive(Debug, Clone, Default)]
pub struct SeedReport {
    pub dossiers: u64,
    pub events: u64,
    pub usagers: u64,
    pub instructors: Vec<String>,
    pub by_state: BTreeMap<String, u64>,
    pub seconds: f64,
}

pub fn run(args: SeedArgs) -> Result<()> {
    let settings = guichet_web::Config::load()?.resolve()?;
    let pool = DbPool::connect_and_migrate(
        &settings.database_url,
        &PoolOptions {
            max_size: 2,
            ..PoolOptions::default()
        },
    )
    .with_context(|| format!("base de données {}", settings.database_label()))?;
    let mut conn = pool.get()?;
    let procedures = load_procedures(&settings, &mut conn)?;
    let report = seed(&mut conn, &procedures, &args)?;
    println!(
        "{} dossiers générés en {:.1} s ({:.0} dossiers/s), {} événements, {} usagers ; base : {}",
        report.dossiers,
        report.seconds,
        report.dossiers as f64 / report.seconds.max(1e-9),
        report.events,
        report.usagers,
        settings.database_label()
    );
    for (state, n) in &report.by_state {
        println!("  {state:<15} {n}");
    }
    println!(
        "Instructeurs (mot de passe « {INSTRUCTOR_PASSWORD} ») : {}",
        report.instructors.join(", ")
    );
    println!("Usagers générés : mot de passe « {USAGER_PASSWORD} »");
    Ok(())
}

fn load_procedures(settings: &guichet_web::Settings, conn: &mut AnyConnection) -> Result<Procedures> {
    Procedures::load(&settings.config.forms_dir, settings.procedure_variants(), conn)
}

/// `serve --demo`, on a database without routing rule: the MDPH's children's team as a service of its own,
/// the MDPH requests for someone under 20 routed to it, and a text at the end of the letters, so that the
/// administration page shows each of them in use; the demo usager's documents kept in « Mes documents »,
/// and her last request sent shared with her mother. Run once: a rule or a letter text already there is
/// kept.
pub fn demo_extras(
    pool: &DbPool,
    settings: &guichet_web::Settings,
    admin_email: &str,
    usager_email: &str,
    mother_email: &str,
) -> Result<()> {
    use guichet_usecases::{routing, settings as identity};
    let mut conn = pool.get()?;
    if !routing::rules(&mut conn)?.is_empty() {
        return Ok(());
    }
    let procedures = load_procedures(settings, &mut conn)?;
    let admin: String = users_t::table
        .filter(users_t::email.eq(admin_email))
        .select(users_t::id)
        .first(&mut conn)
        .context("compte administrateur de démonstration absent")?;
    let all: Vec<&Procedure> = procedures.all().collect();
    if all.iter().any(|p| p.id() == "mdph") {
        routing::add(
            &mut conn,
            &all,
            &routing::Input {
                procedure: "mdph".into(),
                postal_codes: String::new(),
                communes: String::new(),
                age_min: String::new(),
                age_max: "19".into(),
                service: DEMO_CHILDREN_SERVICE.into(),
            },
            &admin,
        )
        .map_err(|e| anyhow::anyhow!("règle d’orientation de démonstration : {e}"))?;
    }
    let stored = identity::stored(&mut conn)?;
    if !stored.iter().any(|s| s.key.starts_with("courrier.")) {
        identity::update(
            &mut conn,
            Some(&admin),
            &[(
                "courrier.fin".to_owned(),
                "Notre accueil vous répond du lundi au vendredi, de 9 h à 17 h (exemple de texte modifiable dans l’administration)."
                    .to_owned(),
            )],
        )
        .map_err(|e| anyhow::anyhow!("texte des courriers de démonstration : {e}"))?;
    }
    demo_family(&mut conn, &procedures, usager_email, mother_email)
}

/// The demo usager's documents in « Mes documents », and her last request sent followed by her mother
/// (an access accepted, as through the emailed invitation).
fn demo_family(
    conn: &mut AnyConnection,
    procedures: &Procedures,
    usager_email: &str,
    mother_email: &str,
) -> Result<()> {
    use guichet_dossiers::sharing;
    let find = |conn: &mut AnyConnection, email: &str| -> Result<String> {
        users_t::table
            .filter(users_t::email.eq(email))
            .select(users_t::id)
            .first(conn)
            .with_context(|| format!("compte de démonstration {email} absent"))
    };
    let (usager, mother) = (find(conn, usager_email)?, find(conn, mother_email)?);
    let own = guichet_dossiers::store::list_for_owner(conn, &usager)?;
    for d in own.iter().filter(|d| d.number.is_some()) {
        if let Some(p) = procedures.get(&d.procedure) {
            guichet_usecases::vault::keep_from_dossier(conn, &p.def, d)
                .map_err(|e| anyhow::anyhow!("documents de démonstration : {e}"))?;
        }
    }
    // Her oldest request sent: « Mes dossiers » of the mother shows it as shared with her.
    if let Some(d) = own.iter().rev().find(|d| d.number.is_some()) {
        let a = sharing::invite(
            conn,
            &sharing::Invitation {
                dossier_id: &d.id,
                role: sharing::AccessRole::Beneficiary,
                email: mother_email,
                invited_by: &usager,
                token_hash: &guichet_db::new_id(),
                mandate_reference: None,
                mandate_until: None,
            },
        )?;
        sharing::accept(conn, &a, &mother)?;
    }
    Ok(())
}

/// The demo's territorial service: the MDPH's children's team.
pub const DEMO_CHILDREN_SERVICE: &str = "mdph-enfance";

/// `serve --demo`: a living back office from the first start. Generates `count` dossiers over the last
/// year, once (a database that already holds dossiers is left as it is), and hands `for_usager` of them,
/// one per state where it can, to the demo usager so that « Mes dossiers » shows a draft, a request
/// waiting, one being examined, decided ones and one closed.
pub fn demo_dossiers(
    pool: &DbPool,
    settings: &guichet_web::Settings,
    count: u64,
    usager_email: &str,
    for_usager: i64,
) -> Result<()> {
    if count == 0 {
        return Ok(());
    }
    let mut conn = pool.get()?;
    let existing: i64 = dossiers::table.count().get_result(&mut conn)?;
    if existing > 0 {
        return Ok(());
    }
    let procedures = load_procedures(settings, &mut conn)?;
    let args = SeedArgs {
        dossiers: count,
        procedure: "all".into(),
        batch: 1000,
        seed: 2026,
        years: 1,
        quiet: true,
    };
    let report = seed(&mut conn, &procedures, &args)?;
    let usager: String = users_t::table
        .filter(users_t::email.eq(usager_email))
        .select(users_t::id)
        .first(&mut conn)
        .context("compte usager de démonstration absent")?;
    // The newest dossier of each state first, then the newest others, up to `for_usager`.
    let rows: Vec<(String, String)> = dossiers::table
        .select((dossiers::id, dossiers::state))
        .order(dossiers::created_at.desc())
        .load(&mut conn)?;
    let mut picked: Vec<&str> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for (id, state) in &rows {
        if seen.insert(state.as_str()) {
            picked.push(id);
        }
    }
    for (id, _) in &rows {
        if picked.len() as i64 >= for_usager {
            break;
        }
        if !picked.contains(&id.as_str()) {
            picked.push(id);
        }
    }
    picked.truncate(usize::try_from(for_usager).unwrap_or(0));
    diesel::update(dossiers::table.filter(dossiers::id.eq_any(&picked)))
        .set(dossiers::owner_id.eq(&usager))
        .execute(&mut conn)?;
    let states: Vec<String> = report.by_state.iter().map(|(s, n)| format!("{s} {n}")).collect();
    println!(
        "Dossiers de démonstration : {} ({}), dont {} à l’usager de démonstration",
        report.dossiers,
        states.join(", "),
        picked.len()
    );
    Ok(())
}

// ------------------------------------------------------------------------------------------ generator

/// A small deterministic generator (SplitMix64): reproducible data without a dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in [0, 1).
    fn f64(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
    fn below(&mut self, n: u64) -> u64 {
        if n == 0 { 0 } else { self.next() % n }
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        let i = usize::try_from(self.below(items.len() as u64)).unwrap_or(0);
        &items[i.min(items.len().saturating_sub(1))]
    }
    fn hex(&mut self, bytes: usize) -> String {
        (0..bytes.div_ceil(8))
            .map(|_| format!("{:016x}", self.next()))
            .collect::<String>()
            .chars()
            .take(bytes * 2)
            .collect()
    }
}

const FIRST_NAMES: &[&str] = &[
    "Hélène",
    "Jeanne",
    "Marie",
    "Françoise",
    "Monique",
    "Odette",
    "Geneviève",
    "Yvette",
    "Aminata",
    "Fatima",
    "Nadia",
    "Sylvie",
    "Chloé",
    "Léa",
    "Inès",
    "Zoé",
    "Maëlle",
    "Océane",
    "Josiane",
    "Thérèse",
    "Jean",
    "Pierre",
    "Michel",
    "André",
    "René",
    "Marcel",
    "Gérard",
    "Lucien",
    "Karim",
    "Mohamed",
    "Mamadou",
    "Thomas",
    "Hugo",
    "Lucas",
    "Noé",
    "Éric",
    "Jérôme",
    "François",
    "Raphaël",
    "Loïc",
    "Anne-Sophie",
    "Jean-Pierre",
    "Marie-Claire",
    "Jean-Baptiste",
    "Noëlle",
    "Bernadette",
    "Yasmine",
    "Samir",
    "Paulette",
    "Émile",
];

const LAST_NAMES: &[&str] = &[
    "Martin",
    "Bernard",
    "Dubois",
    "Thomas",
    "Robert",
    "Richard",
    "Petit",
    "Durand",
    "Leroy",
    "Moreau",
    "Simon",
    "Laurent",
    "Lefèvre",
    "Michel",
    "Garcia",
    "David",
    "Bertrand",
    "Roux",
    "Vincent",
    "Fournier",
    "Morel",
    "Girard",
    "André",
    "Lefèbvre",
    "Mercier",
    "Dupont",
    "Lambert",
    "Bonnet",
    "François",
    "Martinez",
    "Legrand",
    "Garnier",
    "Faure",
    "Rousseau",
    "Blanc",
    "Guérin",
    "Muller",
    "Henry",
    "Roussel",
    "Nicolas",
    "Perrin",
    "Morin",
    "Mathieu",
    "Clément",
    "Gauthier",
    "Dumont",
    "Lopez",
    "Fontaine",
    "Chevalier",
    "Robin",
    "Masson",
    "Sanchez",
    "Gérard",
    "Nguyen",
    "Boyer",
    "Denis",
    "Lemaire",
    "Duval",
    "Joly",
    "Gautier",
    "Roger",
    "Roche",
    "Roy",
    "Noël",
    "Meyer",
    "Lucas",
    "Meunier",
    "Jean",
    "Pérez",
    "Marchand",
    "Dufour",
    "Blanchard",
    "Marie",
    "Barbier",
    "Brun",
    "Dumas",
    "Brunet",
    "Schmitt",
    "Leroux",
    "Colin",
    "Fernandez",
    "Pierre",
    "Renard",
    "Arnaud",
    "Rolland",
    "Caron",
    "Aubert",
    "Giraud",
    "Leclerc",
    "Vidal",
    "Bourgeois",
    "Renaud",
    "Lemoine",
    "Picard",
    "Gaillard",
    "Philippe",
    "Leclercq",
    "Lacroix",
    "Fabre",
    "Dupuis",
    "Olivier",
    "Rodriguez",
    "Da Silva",
    "Hubert",
    "Louis",
    "Charles",
    "Guillot",
    "Rivière",
    "Le Gall",
    "Guillaume",
    "Adam",
    "Rey",
    "Moulin",
    "Gonzalez",
    "Berger",
    "Lecomte",
    "Ménard",
    "Fleury",
    "Deschamps",
    "Carpentier",
    "Julien",
    "Benoît",
    "Paris",
    "Maillard",
    "Marchal",
    "Aubry",
    "Vasseur",
    "Le Roux",
    "Renault",
    "Jacquet",
    "Collet",
    "Prévost",
    "Poirier",
    "Charpentier",
    "Royer",
    "Huet",
    "Baron",
    "Dupuy",
    "Pons",
    "Paul",
    "Laine",
    "Carré",
    "Breton",
    "Rémy",
    "Schneider",
    "Perrot",
    "Guyot",
    "Barré",
    "Marty",
    "Cousin",
    "Diallo",
    "Traoré",
    "Benali",
    "Haddad",
    "Dupré-Lefèvre",
    "Saint-Martin",
    "Ben Amar",
    "Kowalski",
    "Ferreira",
];

const MOTIVATIONS_ACCEPT: &[&str] = &[
    "Les conditions d’attribution sont remplies au vu des pièces du dossier.",
    "Accord après évaluation à domicile par l’équipe médico-sociale.",
    "Accord conforme au plan d’aide proposé.",
];
const MOTIVATIONS_REFUSE: &[&str] = &[
    "Les ressources dépassent le plafond applicable.",
    "Le degré de perte d’autonomie évalué ne permet pas l’attribution de l’aide.",
    "Les conditions de résidence ne sont pas remplies.",
];
const REASONS_CLOSE: &[&str] = &[
    "Demande retirée par l’usager.",
    "Doublon d’une demande déjà en cours.",
    "Pièces demandées non reçues dans le délai.",
];

/// One valid answer set per procedure, the starting point of every generated dossier of it.
struct Template {
    proc: Procedure,
    base: Answers,
    given_fields: Vec<String>,
    family_fields: Vec<String>,
    /// Share of the mix when seeding every procedure.
    weight: f64,
    /// The rights the template's answers request.
    rights: Vec<guichet_dossiers::rights::NewRight>,
}

fn file(name: &str, content_type: &str, size: u64, date: Option<NaiveDate>) -> Value {
    let mut v = json!({ "id": "x", "name": name, "size": size, "content_type": content_type });
    if let (Some(d), Some(o)) = (date, v.as_object_mut()) {
        o.insert("document_date".into(), json!(d.format("%Y-%m-%d").to_string()));
    }
    v
}

/// The base answers of a procedure (fixtures of the forms crate for APA and MDPH, written here for the
/// others), before normalisation.
fn base_answers(id: &str, today: NaiveDate) -> Option<Value> {
    let recent = Some(today - Duration::days(20));
    match id {
        "apa" => serde_json::from_str(include_str!("../crates/forms/tests/fixtures/apa_complete.json")).ok(),
        "mdph" => {
            serde_json::from_str(include_str!("../crates/forms/tests/fixtures/mdph_complete.json")).ok()
        }
        "pch" => Some(json!({
            "demande_pour": "moi",
            "nom": "Durand",
            "prenoms": "Jeanne",
            "date_naissance": "1978-04-12",
            "adresse": "12 rue de la République",
            "code_postal": "93200",
            "commune": "93066",
            "telephone": "0148000000",
            "apa_percue": false,
            "elements": ["aides_techniques"],
            "aides_techniques_liste": [
                {"aide_technique_nom": "Fauteuil roulant électrique", "aide_technique_montant": "12 500"}
            ],
            "devis_aides_techniques": [file("devis-fauteuil.pdf", "application/pdf", 180_000, recent)],
            "certificat_medical": [file("certificat-medical.pdf", "application/pdf", 320_000, recent)],
            "piece_identite": [file("cni.pdf", "application/pdf", 250_000, recent)],
            "justificatif_domicile": [file("facture-edf.pdf", "application/pdf", 90_000, recent)],
            "rib": [file("rib.png", "image/png", 50_000, recent)],
            "certification": ["exact"]
        })),
        "amethyste" => Some(json!({
            "demande_pour": "moi",
            "categorie": "seniors",
            "nom": "Diallo",
            "prenoms": "Aminata",
            "date_naissance": "1955-05-01",
            "imposable": false,
            "adresse": "3 place de la Mairie",
            "code_postal": "93200",
            "commune": "93066",
            "date_arrivee": "2001-09-01",
            "zones": "1-5",
            "passe_navigo": true,
            "numero_navigo": "1234567890",
            "telephone": "0148000000",
            "piece_identite": [file("cni.pdf", "application/pdf", 250_000, None)],
            "justificatif_domicile": [file("edf.pdf", "application/pdf", 90_000, recent)],
            "avis_imposition": [file("avis.pdf", "application/pdf", 400_000, None)],
            "certification": ["exact"]
        })),
        _ => None,
    }
}

fn name_fields(def: &FormDefinition, token: &str) -> Vec<String> {
    def.steps()
        .iter()
        .flat_map(|s| s.fields.iter())
        .filter(|f| f.autocomplete.as_deref() == Some(token))
        .map(|f| f.id.clone())
        .collect()
}

fn templates(procedures: &Procedures, wanted: &str, today: NaiveDate) -> Result<Vec<Template>> {
    let mut out = Vec::new();
    for proc in procedures.all() {
        let id = proc.id();
        if wanted != "all" && wanted != id {
            continue;
        }
        let Some(Value::Object(mut base)) = base_answers(id, today) else {
            if wanted == id {
                bail!("pas de réponses types pour la démarche « {id} »");
            }
            continue;
        };
        proc.def.normalize_answers(&mut base, today);
        let errors = proc.def.validate_all(&base, today);
        if !errors.is_empty() {
            bail!("les réponses types de « {id} » ne sont plus valides pour sa définition : {errors:?}");
        }
        let weight = match id {
            "mdph" => 0.45,
            "apa" => 0.30,
            "pch" => 0.15,
            _ => 0.10,
        };
        out.push(Template {
            given_fields: name_fields(&proc.def, "given-name"),
            family_fields: name_fields(&proc.def, "family-name"),
            rights: guichet_usecases::instruction::requested(&proc.def, &base),
            proc: proc.clone(),
            base,
            weight,
        });
    }
    if out.is_empty() {
        bail!("démarche inconnue : « {wanted} » (apa, mdph, pch, amethyste ou all)");
    }
    Ok(out)
}

/// Changes the day of a date answer (`YYYY-MM-DD` or `DD/MM/YYYY`), keeping month and year (the NIR
/// encodes them).
fn vary_day(v: &Value, day: u32) -> Option<Value> {
    let s = v.as_str()?;
    let d = NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .ok()
        .map(|d| (d, "%Y-%m-%d"))
        .or_else(|| {
            NaiveDate::parse_from_str(s, "%d/%m/%Y")
                .ok()
                .map(|d| (d, "%d/%m/%Y"))
        })?;
    let new = d.0.with_day(day)?;
    Some(json!(new.format(d.1).to_string()))
}

/// Gives every file reference of the answers its own fake content hash.
fn vary_files(v: &mut Value, rng: &mut Rng) {
    match v {
        Value::Array(items) => items.iter_mut().for_each(|i| vary_files(i, rng)),
        Value::Object(o) => {
            if o.contains_key("content_type") && o.contains_key("id") {
                o.insert("id".into(), json!(rng.hex(32)));
            } else {
                o.values_mut().for_each(|i| vary_files(i, rng));
            }
        }
        _ => {}
    }
}

struct GenDossier {
    id: String,
    number: Option<String>,
    procedure: String,
    service_code: String,
    form_version_id: String,
    owner_id: String,
    state: &'static str,
    complement_demande: bool,
    answers: String,
    current_step: Option<String>,
    applicant_name: String,
    deposited_at: Option<NaiveDateTime>,
    due_at: Option<NaiveDateTime>,
    clock_paused_at: Option<NaiveDateTime>,
    assigned_to: Option<String>,
    decided_at: Option<NaiveDateTime>,
    closing_reason: Option<String>,
    lock_version: i32,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
    search_key: String,
    complement_recu: bool,
    rights: Vec<GenRight>,
}

/// One right of a generated dossier, decided or not.
struct GenRight {
    code: String,
    label: String,
    authority: &'static str,
    unit: &'static str,
    outcome: Option<&'static str>,
    amount_cents: Option<i64>,
    period_start: Option<NaiveDate>,
    period_end: Option<NaiveDate>,
    motivation: Option<String>,
    decided_at: Option<NaiveDateTime>,
}

struct GenEvent {
    id: String,
    dossier_id: String,
    actor_id: Option<String>,
    kind: &'static str,
    from_state: Option<&'static str>,
    to_state: Option<&'static str>,
    payload: String,
    created_at: NaiveDateTime,
}

/// Somewhere between `from` and `to`, at fraction `u` (clamped so that events stay ordered).
fn between(from: NaiveDateTime, to: NaiveDateTime, u: f64) -> NaiveDateTime {
    let span = (to - from).num_seconds().max(0) as f64;
    from + Duration::seconds((span * u.clamp(0.0, 1.0)) as i64)
}

struct Ctx<'a> {
    now: NaiveDateTime,
    start: NaiveDateTime,
    /// (id, display name) of the generated usagers: the filers, whose name the search key carries.
    usagers: &'a [(String, String)],
    instructors: &'a HashMap<String, Vec<String>>,
    sequences: HashMap<(String, i32), i32>,
}

/// One dossier and its history.
fn generate(
    rng: &mut Rng,
    i: u64,
    t: &Template,
    ctx: &mut Ctx<'_>,
    events: &mut Vec<GenEvent>,
) -> Result<GenDossier> {
    let now = ctx.now;
    let given = (*rng.pick(FIRST_NAMES)).to_owned();
    let family = (*rng.pick(LAST_NAMES)).to_owned();
    let mut answers = t.base.clone();
    for f in &t.given_fields {
        answers.insert(f.clone(), json!(given));
    }
    for f in &t.family_fields {
        answers.insert(f.clone(), json!(family));
    }
    let day = 1 + u32::try_from(rng.below(28)).unwrap_or(0);
    if let Some(v) = answers.get("date_naissance").and_then(|v| vary_day(v, day)) {
        answers.insert("date_naissance".into(), v);
    }
    let mut answers = Value::Object(answers);
    vary_files(&mut answers, rng);
    let applicant_name = format!("{given} {family}");
    let usager_idx = usize::try_from(i / DOSSIERS_PER_USAGER).unwrap_or(0) % ctx.usagers.len().max(1);
    let (owner_id, filer) = ctx.usagers.get(usager_idx).cloned().context("aucun usager")?;
    let staff = ctx
        .instructors
        .get(&t.proc.service_code)
        .filter(|v| !v.is_empty())
        .context("aucun instructeur pour le service")?;
    let instructor = rng.pick(staff).clone();
    let id = new_id();

    // Drafts (2 %): no number, no deposit.
    if rng.f64() < 0.02 {
        let created = between(now - Duration::days(90), now, rng.f64());
        events.push(event(
            &id,
            Some(&owner_id),
            "created",
            None,
            Some(State::Brouillon),
            "{}",
            created,
        ));
        return Ok(GenDossier {
            number: None,
            procedure: t.proc.id().to_owned(),
            service_code: t.proc.service_code.clone(),
            form_version_id: t.proc.version_id.clone(),
            owner_id,
            state: State::Brouillon.as_str(),
            complement_demande: false,
            answers: answers.to_string(),
            current_step: t.proc.def.steps().last().map(|s| s.id.clone()),
            search_key: guichet_dossiers::store::search_key(&applicant_name, None, ""),
            applicant_name,
            deposited_at: None,
            due_at: None,
            clock_paused_at: None,
            assigned_to: None,
            decided_at: None,
            closing_reason: None,
            complement_recu: false,
            rights: Vec::new(),
            lock_version: 1,
            created_at: created,
            updated_at: created,
            id,
        });
    }

    // Deposits spread over the period, a little denser in recent years.
    let u = rng.f64().sqrt();
    let deposited = between(ctx.start, now - Duration::hours(1), u);
    let created = deposited - Duration::minutes(i64::try_from(rng.below(14 * 24 * 60)).unwrap_or(0));
    let year = deposited.year();
    let seq = ctx
        .sequences
        .entry((t.proc.prefix.clone(), year))
        .and_modify(|v| *v += 1)
        .or_insert(1);
    let number = DossierNumber::new(&t.proc.prefix, u16::try_from(year)?, u32::try_from(*seq)?)
        .map_err(|e| anyhow::anyhow!("numéro de dossier : {e}"))?;
    let due = due_date(&t.proc.def, deposited);
    let age_days = (now - deposited).num_days();

    #[derive(PartialEq)]
    enum Fate {
        Deposited,
        Taken,
        Complement,
        /// Granted (`Some(true)`), refused (`Some(false)`) or closed without follow-up (`None`).
        Decided(Option<bool>),
    }
    let r = rng.f64();
    let decided = |rng: &mut Rng| {
        let d = rng.f64();
        Fate::Decided(if d < 0.65 {
            Some(true)
        } else if d < 0.90 {
            Some(false)
        } else {
            None
        })
    };
    let fate = if age_days > 120 {
        match r {
            r if r < 0.02 => Fate::Deposited,
            r if r < 0.07 => Fate::Taken,
            r if r < 0.10 => Fate::Complement,
            _ => decided(rng),
        }
    } else {
        match r {
            r if r < 0.35 => Fate::Deposited,
            r if r < 0.70 => Fate::Taken,
            r if r < 0.82 => Fate::Complement,
            _ => decided(rng),
        }
    };

    let mut ev = vec![
        event(
            &id,
            Some(&owner_id),
            "created",
            None,
            Some(State::Brouillon),
            "{}",
            created,
        ),
        event(
            &id,
            Some(&owner_id),
            Action::Deposit.as_str(),
            Some(State::Brouillon),
            Some(State::Depose),
            &json!({ "number": number.to_string() }).to_string(),
            deposited,
        ),
    ];
    let mut d = GenDossier {
        number: Some(number.to_string()),
        procedure: t.proc.id().to_owned(),
        service_code: t.proc.service_code.clone(),
        form_version_id: t.proc.version_id.clone(),
        owner_id: owner_id.clone(),
        state: State::Depose.as_str(),
        complement_demande: false,
        answers: answers.to_string(),
        current_step: None,
        search_key: guichet_dossiers::store::search_key(&applicant_name, Some(&number), &filer),
        applicant_name,
        deposited_at: Some(deposited),
        due_at: due,
        clock_paused_at: None,
        assigned_to: None,
        decided_at: None,
        closing_reason: None,
        complement_recu: false,
        rights: t
            .rights
            .iter()
            .map(|r| GenRight {
                code: r.code.clone(),
                label: r.label.clone(),
                authority: r.authority.as_str(),
                unit: r.unit.as_str(),
                outcome: None,
                amount_cents: None,
                period_start: None,
                period_end: None,
                motivation: None,
                decided_at: None,
            })
            .collect(),
        lock_version: 1,
        created_at: created,
        updated_at: deposited,
        id: id.clone(),
    };
    if fate != Fate::Deposited {
        // Taken within the first weeks (or before now for recent deposits).
        let horizon = (deposited + Duration::days(30)).min(now);
        let mut at = between(deposited, horizon, rng.f64());
        ev.push(event(
            &id,
            Some(&instructor),
            Action::Take.as_str(),
            Some(State::Depose),
            Some(State::EnInstruction),
            "{}",
            at,
        ));
        d.assigned_to = Some(instructor.clone());
        d.state = State::EnInstruction.as_str();
        let complement_json = json!({
            "documents": ["Justificatif de domicile de moins de trois mois"],
            "answers": [],
            "message": "Merci d’envoyer un justificatif de domicile récent."
        })
        .to_string();
        // A complete complement cycle for some of the dossiers that went on: it stays with its instructor.
        if fate != Fate::Complement && rng.f64() < 0.15 {
            let asked = between(at, (at + Duration::days(20)).min(now), rng.f64());
            let answered = between(asked, (asked + Duration::days(20)).min(now), rng.f64());
            ev.push(event(
                &id,
                Some(&instructor),
                Action::AskComplement.as_str(),
                Some(State::EnInstruction),
                Some(State::EnInstruction),
                &complement_json,
                asked,
            ));
            ev.push(event(
                &id,
                Some(&owner_id),
                Action::AnswerComplement.as_str(),
                Some(State::EnInstruction),
                Some(State::EnInstruction),
                "{}",
                answered,
            ));
            d.due_at = d.due_at.map(|due| due + (answered - asked));
            d.complement_recu = true;
            at = answered;
        }
        match fate {
            Fate::Complement => {
                let asked = between(at, (at + Duration::days(20)).min(now), rng.f64());
                ev.push(event(
                    &id,
                    Some(&instructor),
                    Action::AskComplement.as_str(),
                    Some(State::EnInstruction),
                    Some(State::EnInstruction),
                    &complement_json,
                    asked,
                ));
                d.complement_demande = true;
                d.clock_paused_at = Some(asked);
            }
            Fate::Decided(granted) => {
                let when = between(
                    at,
                    (at + Duration::days(10 + rng.below(110) as i64)).min(now),
                    rng.f64(),
                );
                d.complement_recu = false;
                match granted {
                    Some(granted) => {
                        for r in &mut d.rights {
                            // A mix, as the CDAPH decides: most rights follow the dossier's fate.
                            let accord = if rng.f64() < 0.85 { granted } else { !granted };
                            let motivation = if accord {
                                *rng.pick(MOTIVATIONS_ACCEPT)
                            } else {
                                *rng.pick(MOTIVATIONS_REFUSE)
                            };
                            r.outcome = Some(if accord { "accord" } else { "refus" });
                            r.motivation = Some(motivation.to_owned());
                            r.decided_at = Some(when);
                            if accord {
                                r.period_start = Some(when.date());
                                r.period_end =
                                    Some(when.date() + Duration::days(365 * (1 + rng.below(5) as i64)));
                                if r.unit != "none" {
                                    r.amount_cents =
                                        Some(i64::try_from(5_000 + rng.below(180_000)).unwrap_or(10_000));
                                }
                            }
                            ev.push(event(
                                &id,
                                Some(&instructor),
                                "right_decided",
                                None,
                                None,
                                &json!({ "code": r.code, "label": r.label, "outcome": r.outcome, "amount_cents": r.amount_cents }).to_string(),
                                when,
                            ));
                        }
                        ev.push(event(
                            &id,
                            Some(&instructor),
                            Action::Decide.as_str(),
                            Some(State::EnInstruction),
                            Some(State::Decide),
                            "null",
                            when,
                        ));
                        d.state = State::Decide.as_str();
                    }
                    None => {
                        let reason = *rng.pick(REASONS_CLOSE);
                        d.closing_reason = Some(reason.to_owned());
                        ev.push(event(
                            &id,
                            Some(&instructor),
                            Action::Close.as_str(),
                            Some(State::EnInstruction),
                            Some(State::SansSuite),
                            &json!({ "reason": reason }).to_string(),
                            when,
                        ));
                        d.state = State::SansSuite.as_str();
                    }
                }
                d.decided_at = Some(when);
            }
            _ => {}
        }
    }
    d.lock_version = i32::try_from(ev.len())?;
    d.updated_at = ev.last().map_or(deposited, |e| e.created_at);
    events.extend(ev);
    Ok(d)
}

fn event(
    dossier_id: &str,
    actor: Option<&str>,
    kind: &'static str,
    from: Option<State>,
    to: Option<State>,
    payload: &str,
    at: NaiveDateTime,
) -> GenEvent {
    GenEvent {
        id: new_id(),
        dossier_id: dossier_id.to_owned(),
        actor_id: actor.map(str::to_owned),
        kind,
        from_state: from.map(State::as_str),
        to_state: to.map(State::as_str),
        payload: payload.to_owned(),
        created_at: at,
    }
}

// ------------------------------------------------------------------------------------------- writing

/// Multi-row inserts are not implemented for diesel's `MultiConnection`: run the statement on the
/// connection of the backend in use (the same generated SQL shape on both).
macro_rules! on_backend {
    ($conn:expr, |$c:ident| $body:expr) => {
        match $conn {
            AnyConnection::Sqlite($c) => $body,
            AnyConnection::Postgresql($c) => $body,
        }
    };
}

/// Instructor ids per service code.
type StaffByService = HashMap<String, Vec<String>>;

fn ensure_instructors(
    conn: &mut AnyConnection,
    templates: &[Template],
) -> Result<(StaffByService, Vec<String>)> {
    let mut by_service: HashMap<String, Vec<String>> = HashMap::new();
    let mut emails = Vec::new();
    for t in templates {
        let code = &t.proc.service_code;
        match services::create(conn, code, t.proc.def.title()) {
            Ok(_) | Err(AccountsError::ServiceExists(_)) => {}
            Err(e) => return Err(e.into()),
        }
        for k in 1..=INSTRUCTORS_PER_SERVICE {
            let address = format!("instructeur.{code}.{k}@seed.guichet.test");
            let email = Email::parse(&address)?;
            let name = format!(
                "{} {}",
                FIRST_NAMES[(k * 7) % FIRST_NAMES.len()],
                LAST_NAMES[k * 13]
            );
            let user = match users::create(conn, &email, INSTRUCTOR_PASSWORD, &name, Role::Instructeur, true)
            {
                Ok(u) => u,
                Err(AccountsError::UserExists) => {
                    users::find_by_email(conn, &email)?.context("instructeur disparu")?
                }
                Err(e) => return Err(e.into()),
            };
            services::add_member(conn, &user.id, code)?;
            by_service.entry(code.clone()).or_default().push(user.id);
            emails.push(address);
        }
    }
    Ok((by_service, emails))
}

/// Generated usagers, inserted in batches; they all share one password hash.
fn insert_usagers(conn: &mut AnyConnection, count: u64, rng: &mut Rng) -> Result<Vec<(String, String)>> {
    let hash = password::hash(USAGER_PASSWORD)?;
    let tag = rng.hex(4);
    let t = now();
    let mut ids = Vec::new();
    let all: Vec<(String, String, String)> = (0..count)
        .map(|i| {
            let name = format!("{} {}", rng.pick(FIRST_NAMES), rng.pick(LAST_NAMES));
            (new_id(), format!("usager.{tag}.{i}@seed.guichet.test"), name)
        })
        .collect();
    for chunk in all.chunks(1000) {
        let rows: Vec<_> = chunk
            .iter()
            .map(|(id, email, name)| {
                (
                    users_t::id.eq(id),
                    users_t::email.eq(email),
                    users_t::password_hash.eq(&hash),
                    users_t::display_name.eq(name),
                    users_t::role.eq(Role::Usager.as_str()),
                    users_t::email_verified_at.eq(Some(t)),
                    users_t::session_version.eq(0),
                    users_t::created_at.eq(t),
                    users_t::updated_at.eq(t),
                )
            })
            .collect();
        on_backend!(conn, |c| diesel::insert_into(users_t::table)
            .values(&rows)
            .execute(c))?;
        ids.extend(chunk.iter().map(|(id, _, name)| (id.clone(), name.clone())));
    }
    Ok(ids)
}

fn insert_dossiers(conn: &mut AnyConnection, batch: &[GenDossier]) -> QueryResult<usize> {
    let rows: Vec<_> = batch
        .iter()
        .map(|d| {
            (
                (
                    dossiers::id.eq(&d.id),
                    dossiers::number.eq(&d.number),
                    dossiers::procedure.eq(&d.procedure),
                    dossiers::service_code.eq(&d.service_code),
                    dossiers::form_version_id.eq(&d.form_version_id),
                    dossiers::owner_id.eq(&d.owner_id),
                    dossiers::state.eq(d.state),
                    dossiers::complement_demande.eq(d.complement_demande),
                    dossiers::answers.eq(&d.answers),
                    dossiers::current_step.eq(&d.current_step),
                    dossiers::applicant_name.eq(&d.applicant_name),
                    dossiers::deposited_at.eq(d.deposited_at),
                ),
                (
                    dossiers::due_at.eq(d.due_at),
                    dossiers::clock_paused_at.eq(d.clock_paused_at),
                    dossiers::assigned_to.eq(&d.assigned_to),
                    dossiers::decided_at.eq(d.decided_at),
                    dossiers::closing_reason.eq(&d.closing_reason),
                    dossiers::complement_recu.eq(d.complement_recu),
                    dossiers::lock_version.eq(d.lock_version),
                    dossiers::created_at.eq(d.created_at),
                    dossiers::updated_at.eq(d.updated_at),
                    dossiers::search_key.eq(&d.search_key),
                ),
            )
        })
        .collect();
    on_backend!(conn, |c| diesel::insert_into(dossiers::table)
        .values(&rows)
        .execute(c))
}

fn insert_rights(conn: &mut AnyConnection, batch: &[GenDossier]) -> QueryResult<usize> {
    use guichet_db::schema::dossier_rights as r;
    let rows: Vec<_> = batch
        .iter()
        .flat_map(|d| {
            d.rights.iter().enumerate().map(move |(i, g)| {
                (
                    (
                        r::id.eq(new_id()),
                        r::dossier_id.eq(&d.id),
                        r::code.eq(&g.code),
                        r::label.eq(&g.label),
                        r::position.eq(i32::try_from(i).unwrap_or(0)),
                        r::origin.eq("demande"),
                        r::authority.eq(g.authority),
                        r::unit.eq(g.unit),
                    ),
                    (
                        r::outcome.eq(g.outcome),
                        r::amount_cents.eq(g.amount_cents),
                        r::period_start.eq(g.period_start),
                        r::period_end.eq(g.period_end),
                        r::motivation.eq(&g.motivation),
                        r::decided_at.eq(g.decided_at),
                    ),
                )
            })
        })
        .collect();
    let mut n = 0;
    // 14 columns: 2 000 rows stay under SQLite's 32 766 bound parameters.
    for chunk in rows.chunks(2000) {
        n += on_backend!(conn, |c| diesel::insert_into(r::table).values(chunk).execute(c))?;
    }
    Ok(n)
}

fn insert_events(conn: &mut AnyConnection, events: &[GenEvent]) -> QueryResult<usize> {
    let mut n = 0;
    // 9 columns: 3 000 rows stay under SQLite's 32 766 bound parameters.
    for chunk in events.chunks(3000) {
        let rows: Vec<_> = chunk
            .iter()
            .map(|e| {
                (
                    dossier_events::id.eq(&e.id),
                    dossier_events::dossier_id.eq(&e.dossier_id),
                    dossier_events::actor_id.eq(&e.actor_id),
                    dossier_events::kind.eq(e.kind),
                    dossier_events::from_state.eq(e.from_state),
                    dossier_events::to_state.eq(e.to_state),
                    dossier_events::payload.eq(&e.payload),
                    dossier_events::visible_to_usager.eq(true),
                    dossier_events::created_at.eq(e.created_at),
                )
            })
            .collect();
        n += on_backend!(conn, |c| diesel::insert_into(dossier_events::table)
            .values(&rows)
            .execute(c))?;
    }
    Ok(n)
}

fn save_sequences(conn: &mut AnyConnection, seqs: &HashMap<(String, i32), i32>) -> QueryResult<()> {
    for ((prefix, year), last) in seqs {
        let target = dossier_sequences::table
            .filter(dossier_sequences::prefix.eq(prefix))
            .filter(dossier_sequences::year.eq(year));
        let n = diesel::update(target)
            .set(dossier_sequences::last_value.eq(last))
            .execute(conn)?;
        if n == 0 {
            diesel::insert_into(dossier_sequences::table)
                .values((
                    dossier_sequences::prefix.eq(prefix),
                    dossier_sequences::year.eq(year),
                    dossier_sequences::last_value.eq(last),
                ))
                .execute(conn)?;
        }
    }
    Ok(())
}

/// Generates and writes `args.dossiers` dossiers with the loaded procedures.
pub fn seed(conn: &mut AnyConnection, procedures: &Procedures, args: &SeedArgs) -> Result<SeedReport> {
    let started = std::time::Instant::now();
    let now = now();
    let today = now.date();
    let templates = templates(procedures, &args.procedure, today)?;
    let mut rng = Rng(args.seed);
    let (instructors, instructor_emails) = ensure_instructors(conn, &templates)?;
    let usager_count = args.dossiers.div_ceil(DOSSIERS_PER_USAGER).max(1);
    let usagers = insert_usagers(conn, usager_count, &mut rng)?;
    let sequences: HashMap<(String, i32), i32> = dossier_sequences::table
        .select((
            dossier_sequences::prefix,
            dossier_sequences::year,
            dossier_sequences::last_value,
        ))
        .load::<(String, i32, i32)>(conn)?
        .into_iter()
        .map(|(p, y, v)| ((p, y), v))
        .collect();
    let mut ctx = Ctx {
        now,
        start: now - Duration::days(365 * i64::from(args.years.max(1))),
        usagers: &usagers,
        instructors: &instructors,
        sequences,
    };
    let total_weight: f64 = templates.iter().map(|t| t.weight).sum();

    let bar = if args.quiet || !std::io::stderr().is_terminal() {
        indicatif::ProgressBar::hidden()
    } else {
        indicatif::ProgressBar::new(args.dossiers)
    };
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{elapsed_precise} [{bar:40}] {human_pos}/{human_len} dossiers · {per_sec} · reste {eta}",
        )?
        .progress_chars("=> "),
    );
    let mut report = SeedReport {
        usagers: usager_count,
        instructors: instructor_emails,
        ..SeedReport::default()
    };
    let batch = args.batch.clamp(1, 1000);
    let mut done = 0u64;
    while done < args.dossiers {
        let n = (args.dossiers - done).min(batch as u64);
        let mut rows = Vec::with_capacity(batch);
        let mut events = Vec::with_capacity(batch * 4);
        for i in done..done + n {
            let mut pick = rng.f64() * total_weight;
            let mut t = &templates[0];
            for cand in &templates {
                t = cand;
                if pick < cand.weight {
                    break;
                }
                pick -= cand.weight;
            }
            rows.push(generate(&mut rng, i, t, &mut ctx, &mut events)?);
        }
        let seqs = &ctx.sequences;
        guichet_db::write_transaction(conn, |conn| {
            insert_dossiers(conn, &rows)?;
            insert_rights(conn, &rows)?;
            insert_events(conn, &events)?;
            save_sequences(conn, seqs)
        })?;
        for r in &rows {
            *report.by_state.entry(r.state.to_owned()).or_default() += 1;
        }
        report.events += events.len() as u64;
        done += n;
        bar.set_position(done);
    }
    bar.finish_and_clear();
    // After a bulk load PostgreSQL needs fresh statistics (to plan with the real sizes) and a visibility
    // map (without it an index-only scan reads the heap for every row: the queue's four counts took
    // 170 ms instead of 20-30 ms on a freshly seeded million). Autovacuum would get there later, in its
    // own time. SQLite needs statistics too once the queue has an index per sort: without them it took an
    // index by name for the deep page of « traités » (18 → 248 ms at 117 000).
    match conn {
        AnyConnection::Postgresql(c) => diesel::connection::SimpleConnection::batch_execute(
            c,
            "VACUUM (ANALYZE) dossiers, dossier_events, users",
        )?,
        AnyConnection::Sqlite(c) => {
            diesel::connection::SimpleConnection::batch_execute(c, guichet_db::SQLITE_ANALYZE)?;
        }
    }
    report.dossiers = done;
    report.seconds = started.elapsed().as_secs_f64();
    Ok(report)
}
