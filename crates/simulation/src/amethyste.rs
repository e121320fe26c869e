//! Forfait Améthyste (Île-de-France): eligibility categories, price and zones per département, all
//! as data (`parameters/amethyste/departements.toml`). No national rule exists.

use chrono::NaiveDate;
use guichet_types::Euros;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::explain::{Explain, Step, Trace, Verdict, step};
use crate::input::{de_opt_euros, effective_date, resolve_age};
use crate::money::{dec, fmt_dec_eur, fmt_eur, round_to_cents};
use crate::params::{AmethysteCategory, FiscalCondition};
use crate::{Parameters, Result};

/// Input of [`simulate`]. Rights held are plain yes/no fields so that a form or a CSV row can fill them.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AmethysteInput {
    /// Département code: "75", "91", "92", "93", "94", "95".
    pub departement: String,
    #[serde(default)]
    pub date: Option<NaiveDate>,
    #[serde(default)]
    pub date_naissance: Option<NaiveDate>,
    #[serde(default)]
    pub age: Option<u32>,
    /// Recognised unfit for work (inaptitude au travail).
    #[serde(default)]
    pub inapte_travail: bool,
    #[serde(default)]
    pub aah: bool,
    #[serde(default)]
    pub aspa: bool,
    #[serde(default)]
    pub asi: bool,
    /// Invalidity pension, 2nd or 3rd category.
    #[serde(default)]
    pub invalidite_2_3: bool,
    /// Carte d'invalidité / CMI invalidité (rate of at least 80 %).
    #[serde(default)]
    pub carte_invalidite_80: bool,
    #[serde(default)]
    pub aeeh: bool,
    /// Veteran, war widow, or similar status (ONAC card).
    #[serde(default)]
    pub ancien_combattant: bool,
    #[serde(default)]
    pub pch: bool,
    #[serde(default)]
    pub actp: bool,
    /// Liable to income tax (absent: unknown).
    #[serde(default)]
    pub imposable: Option<bool>,
    /// Income tax before credits, from the last tax notice (euros/year).
    #[serde(default, deserialize_with = "de_opt_euros")]
    pub impot_revenu: Option<Euros>,
    /// Months of residence in the département.
    #[serde(default)]
    pub residence_mois: Option<u32>,
}

impl AmethysteInput {
    fn holds(&self, right: &str) -> bool {
        match right {
            "aah" => self.aah,
            "aspa" => self.aspa,
            "asi" => self.asi,
            "invalidite_2_3" => self.invalidite_2_3,
            "carte_invalidite_80" => self.carte_invalidite_80,
            "aeeh" => self.aeeh,
            "ancien_combattant" => self.ancien_combattant,
            "pch" => self.pch,
            "actp" => self.actp,
            _ => false,
        }
    }
}

/// A category the person falls in (possibly subject to checks listed in the verdict).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AmethysteMatch {
    pub id: String,
    pub libelle: String,
    /// Yearly price; `None` when the département's price was not found.
    pub prix: Option<Euros>,
    /// Conditions to check for this category.
    pub to_confirm: Vec<String>,
}

/// Result of [`simulate`].
#[derive(Debug, Clone, Serialize)]
pub struct AmethysteResult {
    pub date: NaiveDate,
    pub departement: String,
    pub nom: String,
    pub produit: String,
    pub zones: Vec<String>,
    pub verdict: Verdict,
    /// Categories the person falls in, cheapest known price first.
    pub categories: Vec<AmethysteMatch>,
    /// Lowest known yearly price among the matching categories.
    pub prix: Option<Euros>,
    pub explanation: Vec<Step>,
    pub warnings: Vec<String>,
}

/// Plain-French name of a right id of the data file.
fn right_label(id: &str) -> &str {
    match id {
        "aah" => "l’AAH",
        "aspa" => "l’ASPA",
        "asi" => "l’ASI",
        "invalidite_2_3" => "une pension d’invalidité de 2e ou 3e catégorie",
        "carte_invalidite_80" => "une carte d’invalidité (taux d’au moins 80 %)",
        "aeeh" => "l’AEEH",
        "ancien_combattant" => "la carte d’ancien combattant ou un statut assimilé",
        "pch" => "la PCH",
        "actp" => "l’ACTP",
        other => other,
    }
}

enum Outcome {
    No(String),
    Yes(Vec<String>),
}

fn check_category(cat: &AmethysteCategory, input: &AmethysteInput, age: Option<u32>) -> Outcome {
    let mut to_confirm = Vec::new();
    if cat.age_min.is_some() || cat.age_max.is_some() {
        match age {
            None => to_confirm.push("âge non renseigné".to_owned()),
            Some(a) => {
                let min = match (cat.age_min, cat.age_min_inapte) {
                    (Some(m), Some(mi)) if input.inapte_travail => Some(m.min(mi)),
                    (m, _) => m,
                };
                if let Some(m) = min.filter(|m| a < *m) {
                    return Outcome::No(format!("il faut avoir au moins {m} ans"));
                }
                if let Some(m) = cat.age_max.filter(|m| a > *m) {
                    return Outcome::No(format!("il faut avoir au plus {m} ans"));
                }
            }
        }
    }
    if !cat.droits.is_empty() && !cat.droits.iter().any(|d| input.holds(d)) {
        let labels: Vec<&str> = cat.droits.iter().map(|d| right_label(d)).collect();
        return Outcome::No(format!("il faut être titulaire de {}", labels.join(" ou ")));
    }
    match cat.fiscal {
        FiscalCondition::Aucune => {}
        FiscalCondition::NonImposable => match input.imposable {
            Some(false) => {}
            Some(true) => return Outcome::No("il faut être non imposable".to_owned()),
            None => to_confirm.push("être non imposable".to_owned()),
        },
        FiscalCondition::ImpotInferieurA => {
            let limit = cat.impot_inferieur_a.unwrap_or(Decimal::ZERO);
            match (input.impot_revenu, input.imposable) {
                (Some(i), _) if dec(i) < limit => {}
                (Some(_), _) => {
                    return Outcome::No(format!("il faut un impôt sur le revenu inférieur à {} €", limit));
                }
                (None, Some(false)) => {}
                (None, _) => to_confirm.push(format!("impôt sur le revenu inférieur à {limit} €")),
            }
        }
        FiscalCondition::NonDocumentee => to_confirm
            .push("condition de ressources fixée par le département (montants non repris ici)".to_owned()),
    }
    if let Some(note) = &cat.a_confirmer {
        to_confirm.push(note.clone());
    }
    Outcome::Yes(to_confirm)
}

/// Améthyste: which categories of the département's scheme the person falls in, and the yearly price.
pub fn simulate(p: &Parameters, input: &AmethysteInput) -> Result<AmethysteResult> {
    let mut t = Trace::new(Explain::Full);
    let date = effective_date(input.date);
    let code = input.departement.trim().to_owned();
    let Some(dep) = p.amethyste.departements.iter().find(|d| d.code == code) else {
        let known: Vec<&str> = p.amethyste.departements.iter().map(|d| d.code.as_str()).collect();
        return Ok(AmethysteResult {
            date,
            departement: code.clone(),
            nom: String::new(),
            produit: String::new(),
            zones: Vec::new(),
            verdict: Verdict {
                eligible: false,
                reasons: vec![format!(
                    "Département {code} : le simulateur ne couvre que {} ; renseignez-vous auprès de votre \
                     département.",
                    known.join(", ")
                )],
                to_confirm: Vec::new(),
            },
            categories: Vec::new(),
            prix: None,
            explanation: t.steps,
            warnings: t.warnings,
        });
    };
    let age = resolve_age(input.date_naissance, input.age, date);
    let mut verdict = Verdict::default();
    step!(
        t,
        format!("Dispositif du département {} ({})", dep.code, dep.nom),
        dep.produit.clone(),
        dep.reference.clone(),
    );
    let mut residence_ok = true;
    if let Some(min) = dep.residence_min_mois {
        match input.residence_mois {
            Some(m) if m >= min => verdict.reasons.push(format!(
                "Résidence dans le département depuis {m} mois (au moins {min})."
            )),
            Some(m) => {
                residence_ok = false;
                verdict.reasons.push(format!(
                    "Résidence dans le département depuis {m} mois : il en faut au moins {min} ({}).",
                    dep.reference
                ));
            }
            None => verdict.to_confirm.push(format!(
                "Résidence dans le département depuis au moins {min} mois."
            )),
        }
    } else {
        verdict
            .to_confirm
            .push(format!("Domicile dans le département ({}).", dep.nom));
    }

    let mut categories = Vec::new();
    for cat in &dep.categories {
        match check_category(cat, input, age) {
            Outcome::No(why) => {
                verdict.reasons.push(format!("{} : non, {why}.", cat.libelle));
            }
            Outcome::Yes(to_confirm) => {
                let prix = match &cat.prix {
                    Some(param) => {
                        let (v, reference) =
                            t.param(&format!("amethyste.{}.{}.prix", dep.code, cat.id), param, date)?;
                        let prix = round_to_cents(v)?;
                        step!(
                            t,
                            format!("Prix annuel, {}", cat.libelle),
                            fmt_eur(prix),
                            reference
                        );
                        Some(prix)
                    }
                    None => {
                        step!(
                            t,
                            format!("Prix annuel, {}", cat.libelle),
                            "non connu : à demander au département",
                            dep.reference.clone(),
                        );
                        None
                    }
                };
                verdict.reasons.push(if to_confirm.is_empty() {
                    format!("{} : oui.", cat.libelle)
                } else {
                    format!(
                        "{} : oui, sous réserve de : {}.",
                        cat.libelle,
                        to_confirm.join(" ; ")
                    )
                });
                categories.push(AmethysteMatch {
                    id: cat.id.clone(),
                    libelle: cat.libelle.clone(),
                    prix,
                    to_confirm,
                });
            }
        }
    }
    // Cheapest known price first; unknown prices last.
    categories.sort_by_key(|c| c.prix.map(|p| p.cents()).unwrap_or(i64::MAX));
    verdict.eligible = residence_ok && !categories.is_empty();
    let prix = categories.iter().filter_map(|c| c.prix).min();
    if verdict.eligible {
        step!(
            t,
            "Zones",
            dep.zones
                .iter()
                .map(|z| format!("zones {z}"))
                .collect::<Vec<_>>()
                .join(" ou "),
            dep.reference.clone(),
        );
        if let Some(pr) = prix {
            step!(
                t,
                "Prix annuel le plus avantageux",
                fmt_dec_eur(dec(pr)),
                dep.reference.clone(),
            );
        }
    }
    Ok(AmethysteResult {
        date,
        departement: dep.code.clone(),
        nom: dep.nom.clone(),
        produit: dep.produit.clone(),
        zones: dep.zones.clone(),
        verdict,
        categories,
        prix,
        explanation: t.steps,
        warnings: t.warnings,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(json: &str) -> AmethysteResult {
        let p = Parameters::load().unwrap();
        simulate(&p, &serde_json::from_str(json).unwrap()).unwrap()
    }

    #[test]
    fn paris_passes_are_free() {
        let r = run(r#"{"departement": "75", "aah": true, "age": 35, "date": "2026-01-15"}"#);
        assert!(r.verdict.eligible);
        assert_eq!(r.prix, Some(Euros::ZERO));
        assert_eq!(r.categories[0].id, "access");
    }

    #[test]
    fn an_unknown_tax_status_is_listed_to_confirm_not_refused() {
        let r = run(r#"{"departement": "93", "age": 70, "residence_mois": 24, "date": "2026-01-15"}"#);
        assert!(r.verdict.eligible);
        assert!(
            r.categories[0]
                .to_confirm
                .iter()
                .any(|c| c.contains("non imposable"))
        );
    }

    #[test]
    fn a_missing_price_is_reported_as_unknown() {
        let r = run(r#"{"departement": "91", "age": 70, "imposable": false, "residence_mois": 24}"#);
        assert!(r.verdict.eligible);
        assert_eq!(r.prix, None);
        assert!(r.explanation.iter().any(|s| s.value.contains("non connu")));
    }

    #[test]
    fn every_right_named_in_the_data_is_one_the_input_can_express() {
        let p = Parameters::load().unwrap();
        for dep in &p.amethyste.departements {
            for cat in &dep.categories {
                for d in &cat.droits {
                    assert!(crate::params::KNOWN_RIGHTS.contains(&d.as_str()), "{d}");
                }
            }
        }
    }
}
