//! `guichet settings` (the département's identity) and `guichet implicit` (implicit decisions at the due
//! date), on the use cases the server runs.

use anyhow::{Context, Result};
use guichet_usecases::CaseError;
use guichet_usecases::settings::{self, Key};

/// Shows every key with its value and where it comes from, or sets one.
pub fn run(set: Option<(String, String)>) -> Result<()> {
    let s = crate::cli::settings()?;
    let pool = crate::cli::pool(&s)?;
    let mut conn = pool.get()?;
    if let Some((key, value)) = set {
        match settings::update(&mut conn, None, &[(key, value)]) {
            Ok(keys) => {
                println!("Enregistré : {}", keys.join(", "));
                println!(
                    "Les serveurs en marche l’utilisent dans les {} secondes (`guichet settings` pour tout revoir).",
                    guichet_web::identity::REFRESH_EVERY.as_secs()
                );
                return Ok(());
            }
            Err(CaseError::Invalid(list)) => {
                let why: Vec<String> = list.into_iter().map(|i| i.message).collect();
                anyhow::bail!("{}", why.join("\n"));
            }
            Err(e) => return Err(e.into()),
        }
    }
    let defaults = guichet_web::identity::defaults(&s);
    let identity = settings::identity(&mut conn, &defaults)?;
    let stored = settings::stored(&mut conn)?;
    let services = settings::service_codes(&mut conn)?;
    println!("Identité du département ({}) :", s.database_label());
    for key in settings::known_keys(&services) {
        let text = key.as_text();
        let value = match &key {
            Key::Address => identity.address_lines.join(" | "),
            // A service without its own signatory: the default one signs.
            Key::SignatoryName(Some(sv)) | Key::SignatoryTitle(Some(sv))
                if key.value_in(&identity).is_empty() =>
            {
                let fallback = identity.signatory_for(sv);
                let v = if matches!(key, Key::SignatoryName(_)) {
                    fallback.name
                } else {
                    fallback.title
                };
                format!("{} (par défaut)", v.unwrap_or_default())
            }
            k => k.value_in(&identity),
        };
        let source = match stored.iter().find(|r| r.key == text) {
            Some(r) => format!(
                "modifié le {} {}",
                r.updated_at.format("%Y-%m-%d %H:%M"),
                match &r.updated_by {
                    Some(_) => "sur la page d’administration",
                    None => "en ligne de commande",
                }
            ),
            None => "configuration".to_owned(),
        };
        println!(
            "{text}\t{}\t({source})",
            if value.is_empty() { "—" } else { &value }
        );
    }
    Ok(())
}

/// Records the implicit decisions due at `now` (default: now) and lists them.
/// What the jobs run from the command line need: a connection, the procedures, the links of emails.
fn jobs_context() -> Result<(
    guichet_db::PooledConnection,
    guichet_usecases::Procedures,
    guichet_usecases::instruction::Links,
)> {
    let s = crate::cli::settings()?;
    let pool = crate::cli::pool(&s)?;
    let mut conn = pool.get()?;
    let variants: std::collections::BTreeMap<String, String> = s
        .config
        .departement_code
        .iter()
        .map(|code| ("amethyste".to_owned(), code.clone()))
        .collect();
    let procedures = guichet_usecases::Procedures::load(&s.config.forms_dir, variants, &mut conn)
        .context("définitions des démarches")?;
    let links = guichet_usecases::instruction::Links {
        public_url: s.public_url.clone(),
    };
    Ok((conn, procedures, links))
}

/// `guichet renewals`: the renewal reminders due on `today`.
pub fn renewals(today: Option<chrono::NaiveDateTime>) -> Result<()> {
    let today = today.map_or_else(guichet_usecases::deadlines::today, |t| t.date());
    let (mut conn, procedures, links) = jobs_context()?;
    let sent = guichet_usecases::renewals::send_due(&mut conn, &links, &procedures, today)?;
    println!(
        "Au {} : {}. Les courriels partent avec le serveur.",
        today.format("%Y-%m-%d"),
        crate::cli::plural(
            sent,
            "rappel de renouvellement envoyé",
            "rappels de renouvellement envoyés"
        )
    );
    Ok(())
}

pub fn implicit(now: Option<chrono::NaiveDateTime>) -> Result<()> {
    let now = now.unwrap_or_else(guichet_db::now);
    let (mut conn, procedures, links) = jobs_context()?;
    let ids = guichet_usecases::implicit::sweep(&mut conn, &procedures, &links, now)?;
    for id in &ids {
        let number = guichet_dossiers::store::find(&mut conn, id)?
            .and_then(|d| d.number)
            .map_or_else(|| id.clone(), |n| n.to_string());
        println!("décision implicite\t{number}");
    }
    println!(
        "Au {} : {}. Les courriels partent avec le serveur.",
        now.format("%Y-%m-%d %H:%M"),
        crate::cli::plural(
            ids.len(),
            "décision implicite enregistrée",
            "décisions implicites enregistrées"
        )
    );
    Ok(())
}
