//! `guichet simulate <aid>`: one case from flags (human French output or `--json`), or a batch from a
//! CSV file (`--csv cases.csv > results.csv`) with a progress bar on standard error.
//!
//! Inputs are typed by the same catalogue as the web simulators (`guichet_web::api::inputs`), so a flag,
//! a `--set name=value`, a CSV cell and a web answer mean the same thing.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use clap::Args;
use guichet_simulation::Aid;
use guichet_web::api::{self, inputs};
use serde_json::{Map, Value};

/// `guichet simulate` arguments.
#[derive(Args)]
#[command(
    after_help = "Exemples :\n  guichet simulate apa --gir 2 --plan 1500 --ressources 1800 --date 2026-01-15\n  guichet simulate aah --set taux_incapacite=80 --set ressources_annuelles=\"6 000\" --json\n  guichet simulate apa --csv cas.csv > resultats.csv\n\nMontants saisis en euros ; résultats en centimes dans le JSON, en euros (colonnes *_eur) dans le CSV."
)]
pub struct SimulateArgs {
    /// Aide : apa, apa-etablissement, pch, aah ou amethyste.
    aid: String,
    /// GIR (1 à 6).
    #[arg(long)]
    gir: Option<String>,
    /// Montant mensuel du plan d'aide (€).
    #[arg(long)]
    plan: Option<String>,
    /// Ressources mensuelles du foyer déjà calculées (€).
    #[arg(long)]
    ressources: Option<String>,
    /// Date de la simulation (AAAA-MM-JJ ou JJ/MM/AAAA ; par défaut aujourd'hui).
    #[arg(long)]
    date: Option<String>,
    /// Date de naissance.
    #[arg(long = "date-naissance")]
    date_naissance: Option<String>,
    /// Âge (si la date de naissance n'est pas donnée).
    #[arg(long)]
    age: Option<String>,
    /// Vit en couple.
    #[arg(long)]
    couple: bool,
    /// Toute autre donnée, par son nom (répétable) : --set taux_incapacite=80.
    #[arg(long = "set", value_name = "NOM=VALEUR")]
    set: Vec<String>,
    /// Affiche le résultat complet en JSON (montants en centimes).
    #[arg(long)]
    json: bool,
    /// Simule chaque ligne d'un fichier CSV (en-tête : noms des données) ; le résultat CSV va sur la
    /// sortie standard.
    #[arg(long, value_name = "FICHIER")]
    csv: Option<PathBuf>,
}

pub fn run(args: SimulateArgs) -> Result<()> {
    let aid: Aid = args.aid.parse().map_err(|_| {
        anyhow::anyhow!(
            "aide inconnue « {} » : choisissez apa, apa-etablissement, pch, aah ou amethyste",
            args.aid
        )
    })?;
    if let Some(path) = &args.csv {
        return batch(aid, path);
    }
    let pairs = flag_pairs(&args)?;
    let input = inputs::from_text(aid, pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .map_err(|errors| anyhow::anyhow!("{}", describe(&errors)))?;
    let result = api::run(aid, Value::Object(input)).map_err(|e| anyhow::anyhow!("{e}"))?;
    let text = if args.json {
        format!("{}\n", serde_json::to_string_pretty(&result)?)
    } else {
        human(aid, &result)
    };
    quiet_pipe(std::io::stdout().lock().write_all(text.as_bytes()))
}

/// `guichet simulate … | head` closes the pipe early: that is not an error.
fn quiet_pipe(r: std::io::Result<()>) -> Result<()> {
    match r {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => Ok(other?),
    }
}

fn flag_pairs(args: &SimulateArgs) -> Result<Vec<(String, String)>> {
    let mut pairs: Vec<(String, String)> = [
        ("gir", &args.gir),
        ("plan", &args.plan),
        ("ressources", &args.ressources),
        ("date", &args.date),
        ("date_naissance", &args.date_naissance),
        ("age", &args.age),
    ]
    .into_iter()
    .filter_map(|(k, v)| v.as_ref().map(|v| (k.to_owned(), v.clone())))
    .collect();
    if args.couple {
        pairs.push(("couple".into(), "oui".into()));
    }
    for s in &args.set {
        let (k, v) = s.split_once('=').with_context(|| {
            format!("--set {s} : écrivez NOM=VALEUR, par exemple --set taux_incapacite=80")
        })?;
        pairs.retain(|(name, _)| name != k.trim());
        pairs.push((k.trim().to_owned(), v.to_owned()));
    }
    Ok(pairs)
}

fn describe(errors: &[(String, String)]) -> String {
    errors
        .iter()
        .map(|(name, message)| format!("{name} : {message}"))
        .collect::<Vec<_>>()
        .join(" ; ")
}

/// Verdict, amounts, explanation with references, warnings: what a person reads.
fn human(aid: Aid, r: &Value) -> String {
    let mut s = String::new();
    let strings = |v: &Value| -> Vec<String> {
        v.as_array()
            .map(|a| a.iter().filter_map(Value::as_str).map(str::to_owned).collect())
            .unwrap_or_default()
    };
    let date = r["date"]
        .as_str()
        .and_then(|d| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
        .map(guichet_forms::french_date)
        .unwrap_or_default();
    s.push_str(&format!("{} – estimation au {date}\n\n", aid.title()));
    let eligible = r["verdict"]["eligible"].as_bool().unwrap_or(false);
    s.push_str(if eligible {
        "Éligible\n"
    } else {
        "Non éligible\n"
    });
    for reason in strings(&r["verdict"]["reasons"]) {
        s.push_str(&format!("  - {reason}\n"));
    }
    for c in strings(&r["verdict"]["to_confirm"]) {
        s.push_str(&format!("  ? À vérifier : {c}\n"));
    }
    s.push('\n');
    for (field, label) in inputs::main_amounts(aid) {
        let value = r[*field]
            .as_i64()
            .map_or_else(|| "non connu".to_owned(), inputs::euros);
        s.push_str(&format!("{label} : {value}\n"));
    }
    for e in r["elements"].as_array().into_iter().flatten() {
        let amount = e["montant"]
            .as_i64()
            .map_or_else(|| "non connu".to_owned(), inputs::euros);
        let months = e["periode_mois"].as_u64().unwrap_or(1);
        let period = match months {
            0 => " (une fois)".to_owned(),
            1 => " par mois".to_owned(),
            m => format!(" sur {m} mois"),
        };
        s.push_str(&format!(
            "  {} : {amount}{period}\n",
            e["libelle"].as_str().unwrap_or("")
        ));
    }
    for c in r["categories"].as_array().into_iter().flatten() {
        let price = c["prix"]
            .as_i64()
            .map_or_else(|| "prix non connu".to_owned(), inputs::euros);
        s.push_str(&format!("  {} : {price}\n", c["libelle"].as_str().unwrap_or("")));
    }
    s.push_str("\nDétail du calcul :\n");
    for (n, step) in r["explanation"].as_array().into_iter().flatten().enumerate() {
        s.push_str(&format!(
            "{:>3}. {} : {} ({})\n",
            n + 1,
            step["label"].as_str().unwrap_or(""),
            step["value"].as_str().unwrap_or(""),
            step["reference"].as_str().unwrap_or(""),
        ));
    }
    let warnings = strings(&r["warnings"]);
    if !warnings.is_empty() {
        s.push_str("\nAttention :\n");
        for w in warnings {
            s.push_str(&format!("  - {w}\n"));
        }
    }
    s.push_str("\nEstimation : ce n’est pas une décision. Seul le département décide après étude de votre dossier.\n");
    s
}

/// One CSV row in, one row out (inputs, then eligible, the main amounts in euros, the error). A bad row
/// is reported in its `erreur` column and the batch goes on.
fn batch(aid: Aid, path: &std::path::Path) -> Result<()> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .trim(csv::Trim::All)
        .from_path(path)
        .with_context(|| format!("lecture de {}", path.display()))?;
    let headers = reader.headers()?.clone();
    let known: Vec<&str> = inputs::catalogue(aid).iter().map(|i| i.name).collect();
    let unknown: Vec<&str> = headers.iter().filter(|h| !known.contains(h)).collect();
    if !unknown.is_empty() {
        bail!(
            "{} pour {aid} : {} ; colonnes possibles : {}",
            if unknown.len() > 1 {
                "colonnes inconnues"
            } else {
                "colonne inconnue"
            },
            unknown.join(", "),
            known.join(", ")
        );
    }
    let total =
        std::fs::read(path).map_or(0, |b| b.iter().filter(|c| **c == b'\n').count().saturating_sub(1));
    let bar = if std::io::stderr().is_terminal() {
        indicatif::ProgressBar::new(total as u64)
    } else {
        indicatif::ProgressBar::hidden()
    };
    bar.set_style(
        indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} cas ({per_sec}, reste {eta})")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let amounts = inputs::main_amounts(aid);
    let mut writer = csv::Writer::from_writer(std::io::BufWriter::new(std::io::stdout().lock()));
    let mut out_headers: Vec<&str> = headers.iter().collect();
    out_headers.push("eligible");
    // Named after the JSON fields, with the unit: the CSV gives euros, the JSON cents.
    let amount_headers: Vec<String> = amounts.iter().map(|(f, _)| format!("{f}_eur")).collect();
    out_headers.extend(amount_headers.iter().map(String::as_str));
    out_headers.push("erreur");
    writer.write_record(&out_headers)?;
    let (mut done, mut failed) = (0usize, 0usize);
    for record in reader.records() {
        let mut row: Vec<String> = Vec::with_capacity(out_headers.len());
        let outcome = match record {
            Ok(rec) => {
                row.extend(rec.iter().map(str::to_owned));
                row.resize(headers.len(), String::new());
                simulate_row(aid, &headers, &rec)
            }
            Err(e) => {
                row.resize(headers.len(), String::new());
                Err(format!("ligne illisible : {e}"))
            }
        };
        match outcome {
            Ok(r) => {
                row.push(
                    if r["verdict"]["eligible"].as_bool().unwrap_or(false) {
                        "oui"
                    } else {
                        "non"
                    }
                    .into(),
                );
                row.extend(
                    amounts
                        .iter()
                        .map(|(f, _)| r[*f].as_i64().map(euros_cell).unwrap_or_default()),
                );
                row.push(String::new());
            }
            Err(message) => {
                failed += 1;
                row.push(String::new());
                row.extend(amounts.iter().map(|_| String::new()));
                row.push(message);
            }
        }
        writer.write_record(&row)?;
        done += 1;
        bar.inc(1);
    }
    writer.flush()?;
    bar.finish_and_clear();
    eprintln!("{done} cas simulés, dont {failed} en erreur.");
    Ok(())
}

fn simulate_row(aid: Aid, headers: &csv::StringRecord, rec: &csv::StringRecord) -> Result<Value, String> {
    let input: Map<String, Value> =
        inputs::from_text(aid, headers.iter().zip(rec.iter())).map_err(|e| describe(&e))?;
    api::run(aid, Value::Object(input)).map_err(|e| e.to_string())
}

/// Cents → euros with a decimal point (`1201.61`): a spreadsheet-neutral number.
fn euros_cell(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let abs = cents.unsigned_abs();
    format!("{sign}{}.{:02}", abs / 100, abs % 100)
}
