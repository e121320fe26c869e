//! Prestation de compensation du handicap (PCH): eligibility, rate of cover (100 % or 80 %), the five
//! elements and the parenting forfaits. Amounts per month (elements 1, 4 specific charges, parenting
//! human help) and per attribution period (elements 2, 3, 4 exceptional charges).

use chrono::NaiveDate;
use guichet_types::Euros;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::explain::{Explain, Step, Trace, Verdict, step};
use crate::input::{de_opt_decimal, de_opt_euros, effective_date, resolve_age};
use crate::money::{dec, fmt_dec_eur, fmt_eur, fmt_num, fmt_pct, round_to_cents};
use crate::{Param, Parameters, Result};

/// Input of [`simulate`]. Money in euros, hours per month (decimals allowed). All fields optional.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PchInput {
    /// Simulation date (default: today).
    #[serde(default)]
    pub date: Option<NaiveDate>,
    #[serde(default)]
    pub date_naissance: Option<NaiveDate>,
    #[serde(default)]
    pub age: Option<u32>,
    /// Number of activities of the référentiel (annexe 2-5) the person cannot do at all.
    #[serde(default)]
    pub difficultes_absolues: u32,
    /// Number of activities the person does only with great difficulty.
    #[serde(default)]
    pub difficultes_graves: u32,
    /// For people of 60 or more: the difficulties already met the criteria before 60.
    #[serde(default)]
    pub difficultes_avant_60_ans: bool,
    /// For people of 60 or more: still in work.
    #[serde(default)]
    pub en_activite: bool,
    /// For people under 20: entitled to the AEEH.
    #[serde(default)]
    pub beneficiaire_aeeh: bool,
    /// Yearly resources counted for the rate of cover (CASF R245-46: most earned income, pensions and
    /// replacement income excluded). Absent: 100 % assumed and flagged.
    #[serde(default, deserialize_with = "de_opt_euros")]
    pub ressources_annuelles: Option<Euros>,
    /// Element 1, monthly hours: direct employment.
    #[serde(default, deserialize_with = "de_opt_decimal")]
    pub heures_emploi_direct: Option<Decimal>,
    /// Direct employment with care gestures or endotracheal suction.
    #[serde(default, deserialize_with = "de_opt_decimal")]
    pub heures_emploi_direct_soins: Option<Decimal>,
    #[serde(default, deserialize_with = "de_opt_decimal")]
    pub heures_mandataire: Option<Decimal>,
    #[serde(default, deserialize_with = "de_opt_decimal")]
    pub heures_mandataire_soins: Option<Decimal>,
    #[serde(default, deserialize_with = "de_opt_decimal")]
    pub heures_prestataire: Option<Decimal>,
    /// Hourly tariff of the service set by the département, if any (else the national minimum tariff).
    #[serde(default, deserialize_with = "de_opt_euros")]
    pub tarif_prestataire: Option<Euros>,
    /// Monthly hours of a family carer (50 % of the net SMIC), one carer.
    #[serde(default, deserialize_with = "de_opt_decimal")]
    pub heures_aidant_familial: Option<Decimal>,
    /// Monthly hours of a family carer who stopped or reduced work (75 % of the net SMIC), one carer.
    #[serde(default, deserialize_with = "de_opt_decimal")]
    pub heures_aidant_familial_activite_reduite: Option<Decimal>,
    /// The carer has no activity and the person needs total help and constant presence: cap + 20 %.
    #[serde(default)]
    pub aidant_familial_majore: bool,
    /// Element 2: technical aids, cost valued at the tariff, for the 3-year period (euros).
    #[serde(default, deserialize_with = "de_opt_euros")]
    pub aides_techniques: Option<Euros>,
    /// Element 3: housing adaptation valued at the tariff, for the 10-year period (euros).
    #[serde(default, deserialize_with = "de_opt_euros")]
    pub amenagement_logement: Option<Euros>,
    /// Element 3: vehicle adaptation and extra transport costs, for the 5-year period (euros).
    #[serde(default, deserialize_with = "de_opt_euros")]
    pub vehicule_transport: Option<Euros>,
    /// Element 4: specific charges per month (euros/month).
    #[serde(default, deserialize_with = "de_opt_euros")]
    pub charges_specifiques: Option<Euros>,
    /// Element 4: exceptional charges for the 3-year period (euros).
    #[serde(default, deserialize_with = "de_opt_euros")]
    pub charges_exceptionnelles: Option<Euros>,
    /// Parenting: age in years of the youngest child, if the person is a parent.
    #[serde(default)]
    pub age_plus_jeune_enfant: Option<u32>,
    /// Parenting: single parent (forfait × 1,5).
    #[serde(default)]
    pub parent_isole: bool,
}

/// One element of the result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PchElement {
    /// Stable id: `aide_humaine`, `aides_techniques`, `amenagement_logement`, `vehicule_transport`,
    /// `charges_specifiques`, `charges_exceptionnelles`, `parentalite_aide_humaine`,
    /// `parentalite_aide_technique`.
    pub id: &'static str,
    pub libelle: &'static str,
    /// Amount granted for the period.
    pub montant: Euros,
    /// Length of the period in months (1 for monthly amounts, 0 for a one-off amount).
    pub periode_mois: u32,
}

/// Result of [`simulate`].
#[derive(Debug, Clone, Serialize)]
pub struct PchResult {
    pub date: NaiveDate,
    pub verdict: Verdict,
    /// Rate of cover: 1 (100 %) or 0.8 (80 %).
    pub taux_prise_en_charge: Decimal,
    /// Yearly resource threshold for the 100 % rate (24 × MTP).
    pub seuil_ressources: Euros,
    /// Element 1 per month, after the rate of cover.
    pub aide_humaine_mensuelle: Euros,
    /// Every monthly amount together (human help, specific charges, parenting human help).
    pub total_mensuel: Euros,
    /// Every element with its amount and period.
    pub elements: Vec<PchElement>,
    pub explanation: Vec<Step>,
    pub warnings: Vec<String>,
}

/// Cost, id, label, maximum parameter (name, value), and the period parameter when there is one.
type CappedElement<'a> = (
    Option<Euros>,
    &'static str,
    &'static str,
    &'static str,
    &'a Param,
    Option<(&'static str, &'a Param)>,
);

fn value<'p>(t: &mut Trace, name: &str, param: &'p Param, date: NaiveDate) -> Result<(Decimal, &'p str)> {
    t.param(name, param, date)
}

fn months(d: Decimal) -> u32 {
    use rust_decimal::prelude::ToPrimitive;
    d.to_u32().unwrap_or(0)
}

/// PCH: eligibility (CASF L245-1, D245-4, annexe 2-5), rate (L245-6), elements (L245-3) and parenting.
pub fn simulate(p: &Parameters, input: &PchInput) -> Result<PchResult> {
    let mut t = Trace::new(Explain::Full);
    let pp = &p.pch;
    let date = effective_date(input.date);
    let mut verdict = Verdict {
        eligible: true,
        ..Verdict::default()
    };

    // Eligibility: the handicap criterion.
    if input.difficultes_absolues >= 1 || input.difficultes_graves >= 2 {
        verdict.reasons.push(format!(
            "Difficultés : {} absolue(s), {} grave(s) ; il faut une difficulté absolue ou deux difficultés \
             graves (CASF D245-4 et annexe 2-5, chapitre 1).",
            input.difficultes_absolues, input.difficultes_graves
        ));
    } else {
        verdict.eligible = false;
        verdict.reasons.push(format!(
            "Difficultés : {} absolue(s), {} grave(s). La PCH demande une difficulté absolue pour au \
             moins une activité ou une difficulté grave pour au moins deux (CASF D245-4 et annexe 2-5, \
             chapitre 1).",
            input.difficultes_absolues, input.difficultes_graves
        ));
    }
    // Eligibility: age.
    let (age_limite, ref_limite) = value(&mut t, "pch.age_limite", &pp.age_limite, date)?;
    let (age_adulte, ref_adulte) = value(&mut t, "pch.age_adulte", &pp.age_adulte, date)?;
    match resolve_age(input.date_naissance, input.age, date) {
        None => verdict.to_confirm.push(format!(
            "Âge non renseigné : la demande doit être faite avant {age_limite} ans, sauf difficultés \
             antérieures à cet âge ou activité professionnelle ({ref_limite})."
        )),
        Some(a) if Decimal::from(a) >= age_limite => {
            if input.difficultes_avant_60_ans || input.en_activite {
                verdict.reasons.push(format!(
                    "Âge : {a} ans ; la demande reste possible car {} ({ref_limite}).",
                    if input.difficultes_avant_60_ans {
                        "les difficultés existaient avant 60 ans"
                    } else {
                        "vous exercez une activité professionnelle"
                    }
                ));
            } else {
                verdict.eligible = false;
                verdict.reasons.push(format!(
                    "Âge : {a} ans. Après {age_limite} ans, la PCH n'est ouverte que si les difficultés \
                     existaient avant cet âge ou si vous travaillez encore ({ref_limite}) ; l'APA peut \
                     convenir."
                ));
            }
        }
        Some(a) if Decimal::from(a) < age_adulte => {
            if input.beneficiaire_aeeh {
                verdict.reasons.push(format!(
                    "Âge : {a} ans ; bénéficiaire de l'AEEH, la PCH est ouverte par droit d'option \
                     ({ref_adulte})."
                ));
            } else {
                verdict.eligible = false;
                verdict.reasons.push(format!(
                    "Âge : {a} ans. Avant {age_adulte} ans, la PCH n'est ouverte qu'aux enfants \
                     ouvrant droit à l'AEEH ({ref_adulte})."
                ));
            }
        }
        Some(a) => verdict.reasons.push(format!("Âge : {a} ans ({ref_limite}).")),
    }
    verdict.to_confirm.push(
        "Résidence stable et régulière en France et durée prévisible des difficultés d'au moins un an, \
         appréciées par la MDPH (CASF L245-1, annexe 2-5)."
            .into(),
    );

    // Rate of cover: 100 % up to two years of MTP, else 80 %. The MTP is the one in force on the date.
    let (mtp, mtp_ref) = value(&mut t, "common.mtp", &p.common.mtp, date)?;
    let (coef, seuil_ref) = value(&mut t, "pch.seuil_ressources", &pp.seuil_ressources, date)?;
    let seuil = round_to_cents(coef * mtp)?;
    step!(
        t,
        "Seuil de ressources annuelles pour le taux de 100 %",
        format!(
            "{} = {} × MTP {}",
            fmt_eur(seuil),
            fmt_num(coef),
            fmt_dec_eur(mtp)
        ),
        format!("{seuil_ref} ; {mtp_ref}"),
    );
    let (plein, ref_plein) = value(&mut t, "pch.taux_plein", &pp.taux_plein, date)?;
    let (reduit, ref_reduit) = value(&mut t, "pch.taux_reduit", &pp.taux_reduit, date)?;
    let taux = match input.ressources_annuelles {
        Some(r) if r <= seuil => {
            step!(
                t,
                "Taux de prise en charge",
                format!("{} car {} ≤ {}", fmt_pct(plein), fmt_eur(r), fmt_eur(seuil)),
                ref_plein,
            );
            plein
        }
        Some(r) => {
            step!(
                t,
                "Taux de prise en charge",
                format!("{} car {} > {}", fmt_pct(reduit), fmt_eur(r), fmt_eur(seuil)),
                ref_reduit,
            );
            reduit
        }
        None => {
            verdict.to_confirm.push(format!(
                "Ressources non renseignées : taux de 100 % supposé ; il est de 80 % au-dessus de {} par an.",
                fmt_eur(seuil)
            ));
            step!(
                t,
                "Taux de prise en charge (ressources non renseignées)",
                fmt_pct(plein),
                ref_plein,
            );
            plein
        }
    };

    let mut elements = Vec::new();
    if !verdict.eligible {
        return Ok(PchResult {
            date,
            verdict,
            taux_prise_en_charge: taux,
            seuil_ressources: seuil,
            aide_humaine_mensuelle: Euros::ZERO,
            total_mensuel: Euros::ZERO,
            elements,
            explanation: t.steps,
            warnings: t.warnings,
        });
    }

    // Element 1: human help, hours × tariff per status; each family carer capped per month.
    let mut humaine = Decimal::ZERO;
    let paid: [(Option<Decimal>, &str, &Param, &str); 4] = [
        (
            input.heures_emploi_direct,
            "pch.tarif_emploi_direct",
            &pp.tarif_emploi_direct,
            "en emploi direct",
        ),
        (
            input.heures_emploi_direct_soins,
            "pch.tarif_emploi_direct_soins",
            &pp.tarif_emploi_direct_soins,
            "en emploi direct avec gestes de soins",
        ),
        (
            input.heures_mandataire,
            "pch.tarif_mandataire",
            &pp.tarif_mandataire,
            "par un service mandataire",
        ),
        (
            input.heures_mandataire_soins,
            "pch.tarif_mandataire_soins",
            &pp.tarif_mandataire_soins,
            "par un service mandataire avec gestes de soins",
        ),
    ];
    for (hours, name, param, label) in paid {
        if let Some(h) = hours.filter(|h| *h > Decimal::ZERO) {
            let (tarif, reference) = value(&mut t, name, param, date)?;
            let amount = round_to_cents(h * tarif)?;
            humaine += dec(amount);
            step!(
                t,
                format!("Aide humaine {label}"),
                format!(
                    "{} = {} h × {} de l'heure",
                    fmt_eur(amount),
                    fmt_num(h),
                    fmt_dec_eur(tarif)
                ),
                reference,
            );
        }
    }
    if let Some(h) = input.heures_prestataire.filter(|h| *h > Decimal::ZERO) {
        let (tarif, reference) = match input.tarif_prestataire {
            Some(tp) => (
                dec(tp),
                "CASF L314-1 et L245-3 1° : tarif fixé par le département",
            ),
            None => value(&mut t, "pch.tarif_prestataire", &pp.tarif_prestataire, date)?,
        };
        let amount = round_to_cents(h * tarif)?;
        humaine += dec(amount);
        step!(
            t,
            "Aide humaine par un service prestataire",
            format!(
                "{} = {} h × {} de l'heure",
                fmt_eur(amount),
                fmt_num(h),
                fmt_dec_eur(tarif)
            ),
            reference,
        );
    }
    let carers: [(Option<Decimal>, &str, &Param, &str); 2] = [
        (
            input.heures_aidant_familial,
            "pch.tarif_aidant_familial",
            &pp.tarif_aidant_familial,
            "par un aidant familial",
        ),
        (
            input.heures_aidant_familial_activite_reduite,
            "pch.tarif_aidant_familial_activite_reduite",
            &pp.tarif_aidant_familial_activite_reduite,
            "par un aidant familial ayant réduit ou cessé son activité",
        ),
    ];
    for (hours, name, param, label) in carers {
        if let Some(h) = hours.filter(|h| *h > Decimal::ZERO) {
            let (tarif, reference) = value(&mut t, name, param, date)?;
            let (cap, cap_ref) = value(
                &mut t,
                "pch.plafond_aidant_familial",
                &pp.plafond_aidant_familial,
                date,
            )?;
            let cap = if input.aidant_familial_majore {
                let (maj, _) = value(
                    &mut t,
                    "pch.majoration_plafond_aidant_familial",
                    &pp.majoration_plafond_aidant_familial,
                    date,
                )?;
                cap * (Decimal::ONE + maj)
            } else {
                cap
            };
            let raw = round_to_cents(h * tarif)?;
            let cap_e = round_to_cents(cap)?;
            let amount = raw.min(cap_e);
            humaine += dec(amount);
            step!(
                t,
                format!("Aide humaine {label}"),
                format!(
                    "{} = {} h × {} de l'heure{}",
                    fmt_eur(amount),
                    fmt_num(h),
                    fmt_dec_eur(tarif),
                    if raw > cap_e {
                        format!(", limité au plafond mensuel de {}", fmt_eur(cap_e))
                    } else {
                        String::new()
                    }
                ),
                format!("{reference} ; {cap_ref}"),
            );
        }
    }
    let aide_humaine_mensuelle = round_to_cents(humaine * taux)?;
    if humaine > Decimal::ZERO {
        step!(
            t,
            "Élément 1 (aide humaine), par mois",
            format!(
                "{} = {} × {}",
                fmt_eur(aide_humaine_mensuelle),
                fmt_dec_eur(humaine),
                fmt_pct(taux)
            ),
            "CASF L245-3 1° et L245-6",
        );
        elements.push(PchElement {
            id: "aide_humaine",
            libelle: "Aide humaine",
            montant: aide_humaine_mensuelle,
            periode_mois: 1,
        });
    }

    // Elements 2 to 4: rate × cost, within the maximum of the period.
    let capped: [CappedElement; 5] = [
        (
            input.aides_techniques,
            "aides_techniques",
            "Aides techniques",
            "pch.aides_techniques_maximum",
            &pp.aides_techniques_maximum,
            Some(("pch.aides_techniques_duree", &pp.aides_techniques_duree)),
        ),
        (
            input.amenagement_logement,
            "amenagement_logement",
            "Aménagement du logement",
            "pch.amenagement_logement_maximum",
            &pp.amenagement_logement_maximum,
            Some(("pch.amenagement_logement_duree", &pp.amenagement_logement_duree)),
        ),
        (
            input.vehicule_transport,
            "vehicule_transport",
            "Aménagement du véhicule et surcoûts de transport",
            "pch.vehicule_transport_maximum",
            &pp.vehicule_transport_maximum,
            Some(("pch.vehicule_transport_duree", &pp.vehicule_transport_duree)),
        ),
        (
            input.charges_specifiques,
            "charges_specifiques",
            "Charges spécifiques (par mois)",
            "pch.charges_specifiques_maximum",
            &pp.charges_specifiques_maximum,
            None,
        ),
        (
            input.charges_exceptionnelles,
            "charges_exceptionnelles",
            "Charges exceptionnelles",
            "pch.charges_exceptionnelles_maximum",
            &pp.charges_exceptionnelles_maximum,
            Some((
                "pch.charges_exceptionnelles_duree",
                &pp.charges_exceptionnelles_duree,
            )),
        ),
    ];
    let mut mensuel_autres = Euros::ZERO;
    for (cost, id, libelle, name, param, duration) in capped {
        let Some(cost) = cost.filter(|c| *c > Euros::ZERO) else {
            continue;
        };
        let (max, reference) = value(&mut t, name, param, date)?;
        let periode_mois = match duration {
            Some((dname, dparam)) => months(value(&mut t, dname, dparam, date)?.0),
            None => 1,
        };
        let covered = round_to_cents(dec(cost) * taux)?;
        let max_e = round_to_cents(max)?;
        let montant = covered.min(max_e);
        step!(
            t,
            libelle,
            format!(
                "{} = {} × {}{}{}",
                fmt_eur(montant),
                fmt_eur(cost),
                fmt_pct(taux),
                if covered > max_e {
                    format!(", limité au maximum de {}", fmt_eur(max_e))
                } else {
                    String::new()
                },
                if periode_mois > 1 {
                    format!(" pour {periode_mois} mois")
                } else {
                    " par mois".to_owned()
                }
            ),
            reference,
        );
        if periode_mois == 1 {
            mensuel_autres = mensuel_autres + montant;
        }
        elements.push(PchElement {
            id,
            libelle,
            montant,
            periode_mois,
        });
    }

    // Parenting (décret 2020-1826): forfaits by the youngest child's age, × 1,5 for a single parent.
    if let Some(age_enfant) = input.age_plus_jeune_enfant {
        let forfait = if age_enfant < 3 {
            Some(value(
                &mut t,
                "pch.parentalite_forfait_moins_3_ans",
                &pp.parentalite_forfait_moins_3_ans,
                date,
            )?)
        } else if age_enfant < 7 {
            Some(value(
                &mut t,
                "pch.parentalite_forfait_3_7_ans",
                &pp.parentalite_forfait_3_7_ans,
                date,
            )?)
        } else {
            None
        };
        if let Some((base, reference)) = forfait {
            let (coef, _) = if input.parent_isole {
                value(
                    &mut t,
                    "pch.parentalite_majoration_monoparentale",
                    &pp.parentalite_majoration_monoparentale,
                    date,
                )?
            } else {
                (Decimal::ONE, "")
            };
            let montant = round_to_cents(base * coef)?;
            step!(
                t,
                "Parentalité : forfait d'aide humaine, par mois",
                format!(
                    "{} (plus jeune enfant de {age_enfant} an(s){})",
                    fmt_eur(montant),
                    if input.parent_isole {
                        format!(", parent isolé : {} × {}", fmt_dec_eur(base), fmt_num(coef))
                    } else {
                        String::new()
                    }
                ),
                reference,
            );
            mensuel_autres = mensuel_autres + montant;
            elements.push(PchElement {
                id: "parentalite_aide_humaine",
                libelle: "Parentalité : aide humaine",
                montant,
                periode_mois: 1,
            });
        }
        let one_off = match age_enfant {
            0 => Some(value(
                &mut t,
                "pch.parentalite_aide_technique_naissance",
                &pp.parentalite_aide_technique_naissance,
                date,
            )?),
            3 => Some(value(
                &mut t,
                "pch.parentalite_aide_technique_3_ans",
                &pp.parentalite_aide_technique_3_ans,
                date,
            )?),
            6 => Some(value(
                &mut t,
                "pch.parentalite_aide_technique_6_ans",
                &pp.parentalite_aide_technique_6_ans,
                date,
            )?),
            _ => None,
        };
        if let Some((amount, reference)) = one_off {
            let montant = round_to_cents(amount)?;
            step!(
                t,
                "Parentalité : forfait d'aides techniques (versement unique)",
                format!("{} (enfant de {age_enfant} an(s))", fmt_eur(montant)),
                reference,
            );
            elements.push(PchElement {
                id: "parentalite_aide_technique",
                libelle: "Parentalité : aides techniques",
                montant,
                periode_mois: 0,
            });
        }
    }

    let total_mensuel = aide_humaine_mensuelle + mensuel_autres;
    step!(
        t,
        "Total des montants mensuels",
        fmt_eur(total_mensuel),
        "CASF L245-3",
    );
    Ok(PchResult {
        date,
        verdict,
        taux_prise_en_charge: taux,
        seuil_ressources: seuil,
        aide_humaine_mensuelle,
        total_mensuel,
        elements,
        explanation: t.steps,
        warnings: t.warnings,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(json: &str) -> PchResult {
        let p = Parameters::load().unwrap();
        simulate(&p, &serde_json::from_str(json).unwrap()).unwrap()
    }

    #[test]
    fn one_absolute_or_two_serious_difficulties_open_the_right() {
        assert!(
            run(r#"{"age": 30, "difficultes_absolues": 1, "date": "2026-01-15"}"#)
                .verdict
                .eligible
        );
        assert!(
            run(r#"{"age": 30, "difficultes_graves": 2, "date": "2026-01-15"}"#)
                .verdict
                .eligible
        );
        assert!(
            !run(r#"{"age": 30, "difficultes_graves": 1, "date": "2026-01-15"}"#)
                .verdict
                .eligible
        );
    }

    #[test]
    fn the_request_must_be_made_before_60_unless_difficulties_predate_it_or_the_person_works() {
        let born = r#""date_naissance": "1966-03-15", "difficultes_absolues": 1"#;
        let before = run(&format!(r#"{{{born}, "date": "2026-03-14"}}"#));
        let on_birthday = run(&format!(r#"{{{born}, "date": "2026-03-15"}}"#));
        let working = run(&format!(
            r#"{{{born}, "date": "2026-03-15", "en_activite": true}}"#
        ));
        assert!(before.verdict.eligible);
        assert!(!on_birthday.verdict.eligible);
        assert!(working.verdict.eligible);
    }

    #[test]
    fn without_resources_the_full_rate_is_assumed_and_flagged() {
        let r = run(r#"{"age": 30, "difficultes_absolues": 1, "date": "2026-01-15"}"#);
        assert_eq!(r.taux_prise_en_charge, Decimal::ONE);
        assert!(
            r.verdict
                .to_confirm
                .iter()
                .any(|c| c.contains("Ressources non renseignées"))
        );
    }

    #[test]
    fn tariffs_used_after_their_confirmation_date_carry_a_warning() {
        let r = run(
            r#"{"age": 30, "difficultes_absolues": 1, "heures_emploi_direct": 10, "date": "2026-11-23"}"#,
        );
        assert!(r.warnings.iter().any(|w| w.contains("emploi direct")));
    }
}
