//! Routing rules, administered from the web: a dossier deposited goes to a territorial service by the
//! beneficiary's postal code or commune, or to a team by their age, instead of its procedure's service
//! (`guichet_dossiers::routing`). The rules read the definition's `[parties.beneficiary]` fields.

use guichet_db::AnyConnection;
use guichet_dossiers::routing::{self, Beneficiary, NewRule, Rule};
use guichet_forms::{Answers, FormDefinition};

use crate::catalogue::Procedure;
use crate::error::{CaseError, Invalid, Result};

/// Ages a rule may name, in years.
const MAX_AGE: i32 = 130;

/// What the rules read of this dossier's beneficiary on `day`.
pub fn beneficiary(def: &FormDefinition, answers: &Answers, day: chrono::NaiveDate) -> Beneficiary {
    let facts = def.beneficiary_facts(answers);
    Beneficiary {
        age: facts.age_on(day),
        postal_code: facts.postal_code,
        commune: facts.commune,
    }
}

/// The service a rule sends this dossier to, when it is not the procedure's own; a rule naming a service
/// removed since is passed over (the dossier stays with its procedure's service rather than nobody's).
pub fn service_for(
    conn: &mut AnyConnection,
    proc: &Procedure,
    answers: &Answers,
    day: chrono::NaiveDate,
) -> Result<Option<String>> {
    let who = beneficiary(&proc.def, answers, day);
    for rule in routing::of_procedure(conn, proc.id())? {
        if rule.holds(&who) && guichet_accounts::services::find_by_code(conn, &rule.service_code)?.is_some() {
            return Ok(Some(rule.service_code).filter(|s| *s != proc.service_code));
        }
    }
    Ok(None)
}

/// A rule as typed on the administration page.
#[derive(Debug, Clone, Default)]
pub struct Input {
    pub procedure: String,
    pub postal_codes: String,
    pub communes: String,
    pub age_min: String,
    pub age_max: String,
    pub service: String,
}

fn codes(text: &str) -> Vec<String> {
    text.split([',', ';', ' ', '\n'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_uppercase)
        .collect()
}

fn age(text: &str, field: &str, errors: &mut Vec<Invalid>) -> Option<i32> {
    let t = text.trim();
    if t.is_empty() {
        return None;
    }
    match t.parse::<i32>() {
        Ok(n) if (0..=MAX_AGE).contains(&n) => Some(n),
        _ => {
            errors.push(Invalid::new(
                field,
                format!("Saisissez un âge en années, entre 0 et {MAX_AGE}"),
            ));
            None
        }
    }
}

/// Checks and adds a rule after the procedure's others. `procedures`: the procedures that exist.
pub fn add(conn: &mut AnyConnection, procedures: &[&Procedure], input: &Input, by: &str) -> Result<Rule> {
    let mut errors = Vec::new();
    let Some(proc) = procedures.iter().find(|p| p.id() == input.procedure.trim()) else {
        return Err(CaseError::Invalid(vec![Invalid::new(
            "regle-demarche",
            "Choisissez la démarche dont les dossiers sont orientés",
        )]));
    };
    let postal_codes = codes(&input.postal_codes);
    if postal_codes
        .iter()
        .any(|c| !(2..=5).contains(&c.len()) || !c.chars().all(|x| x.is_ascii_digit()))
    {
        errors.push(Invalid::new(
            "regle-codes-postaux",
            "Saisissez des codes postaux ou leurs premiers chiffres (2 à 5 chiffres), séparés par des virgules, par exemple 93100, 932",
        ));
    }
    let communes = codes(&input.communes);
    let unknown: Vec<&str> = communes
        .iter()
        .filter(|c| guichet_forms::commune_name(c).is_none())
        .map(String::as_str)
        .collect();
    if !unknown.is_empty() {
        errors.push(Invalid::new(
            "regle-communes",
            format!(
                "Code INSEE inconnu : {}. Saisissez le code INSEE de la commune (5 caractères, par exemple 93066 pour Saint-Denis), pas son code postal",
                unknown.join(", ")
            ),
        ));
    }
    let age_min = age(&input.age_min, "regle-age-min", &mut errors);
    let age_max = age(&input.age_max, "regle-age-max", &mut errors);
    if let (Some(a), Some(b)) = (age_min, age_max)
        && a > b
    {
        errors.push(Invalid::new(
            "regle-age-max",
            "L’âge maximum doit être supérieur ou égal à l’âge minimum",
        ));
    }
    let no_condition = postal_codes.is_empty()
        && communes.is_empty()
        && input.age_min.trim().is_empty()
        && input.age_max.trim().is_empty();
    if no_condition {
        errors.push(Invalid::new(
            "regle-codes-postaux",
            "Donnez au moins une condition : des codes postaux, des communes ou un âge",
        ));
    }
    let service = input.service.trim();
    if guichet_accounts::services::find_by_code(conn, service)?.is_none() {
        errors.push(Invalid::new(
            "regle-service",
            "Choisissez le service qui reçoit ces dossiers",
        ));
    } else if service == proc.service_code {
        errors.push(Invalid::new(
            "regle-service",
            "Ces dossiers vont déjà à ce service : choisissez un autre service (territorial, équipe enfants…)",
        ));
    }
    if !errors.is_empty() {
        return Err(CaseError::Invalid(errors));
    }
    let rule = routing::add(
        conn,
        &NewRule {
            procedure: proc.id().to_owned(),
            postal_codes,
            communes,
            age_min,
            age_max,
            service_code: service.to_owned(),
        },
        Some(by),
    )?;
    tracing::info!(rule.id = %rule.id, user.id = by, "Règle d’orientation ajoutée");
    Ok(rule)
}

pub fn remove(conn: &mut AnyConnection, id: &str, by: &str) -> Result<()> {
    if !routing::remove(conn, id)? {
        return Err(CaseError::NotFound);
    }
    tracing::info!(rule.id = id, user.id = by, "Règle d’orientation retirée");
    Ok(())
}

/// Moves a rule one place up among its procedure's (the first stays first).
pub fn move_up(conn: &mut AnyConnection, id: &str) -> Result<()> {
    if routing::find(conn, id)?.is_none() {
        return Err(CaseError::NotFound);
    }
    routing::move_up(conn, id)?;
    Ok(())
}

pub fn rules(conn: &mut AnyConnection) -> Result<Vec<Rule>> {
    Ok(routing::all(conn)?)
}

/// A rule's conditions in French: « code postal commençant par 931 ; âge de 0 à 19 ans ».
pub fn describe(rule: &Rule) -> String {
    let mut parts = Vec::new();
    let postal = rule.postal_code_list();
    if !postal.is_empty() {
        let shown: Vec<String> = postal
            .iter()
            .map(|p| {
                if p.len() < 5 {
                    format!("commençant par {p}")
                } else {
                    (*p).to_owned()
                }
            })
            .collect();
        parts.push(format!("code postal {}", shown.join(" ou ")));
    }
    let communes = rule.commune_list();
    if !communes.is_empty() {
        let shown: Vec<String> = communes
            .iter()
            .map(|c| match guichet_forms::commune_name(c) {
                Some(n) => format!("{n} ({c})"),
                None => (*c).to_owned(),
            })
            .collect();
        parts.push(format!("commune : {}", shown.join(", ")));
    }
    match (rule.age_min, rule.age_max) {
        (Some(a), Some(b)) => parts.push(format!("âge de {a} à {b} ans")),
        (Some(a), None) => parts.push(format!("âge de {a} ans ou plus")),
        (None, Some(b)) => parts.push(format!("âge de {b} ans ou moins")),
        (None, None) => {}
    }
    parts.join(" ; ")
}
