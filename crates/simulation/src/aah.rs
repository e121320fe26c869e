//! Allocation aux adultes handicapés (AAH), déconjugalisée (resources of the person alone since
//! 1 October 2023). The legacy conjugalised calculation kept for some people paid on 1 October 2023 is
//! not modelled (see the crate README).

use chrono::{Datelike, NaiveDate};
use guichet_types::Euros;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::explain::{Explain, Step, Trace, Verdict, step};
use crate::input::{de_opt_euros, effective_date, resolve_age};
use crate::money::{dec, fmt_dec_eur, fmt_eur, fmt_num, fmt_pct, round_to_cents};
use crate::{Parameters, Result};

/// Input of [`simulate`]. Money in euros.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AahInput {
    /// Simulation date (default: today).
    #[serde(default)]
    pub date: Option<NaiveDate>,
    #[serde(default)]
    pub date_naissance: Option<NaiveDate>,
    #[serde(default)]
    pub age: Option<u32>,
    /// Incapacity rate set by the CDAPH, in percent (80 = 80 %).
    pub taux_incapacite: u32,
    /// Restriction substantielle et durable pour l'accès à l'emploi recognised by the CDAPH.
    #[serde(default)]
    pub rsdae: bool,
    /// For people aged 16 to 19: `true` if no longer a dependent child for family benefits (AAH open
    /// from 16), `false` if still one (AAH from 20). Absent: the AAH is computed and the condition is
    /// listed in `to_confirm`.
    #[serde(default)]
    pub hors_charge_prestations_familiales: Option<bool>,
    /// Yearly resources of the person other than ordinary-employment earnings (net catégoriel, year
    /// N-2 as on the tax return) (euros/year).
    #[serde(default, deserialize_with = "de_opt_euros")]
    pub ressources_annuelles: Option<Euros>,
    /// Average monthly net earnings from ordinary employment over the reference quarter (euros/month):
    /// switches to the quarterly evaluation with the 80 % / 40 % allowances (CSS D821-9).
    #[serde(default, deserialize_with = "de_opt_euros")]
    pub revenus_activite_mensuels: Option<Euros>,
    /// Dependent children (ceiling + 50 % each).
    #[serde(default)]
    pub enfants_a_charge: u32,
    /// Monthly invalidity pension, old-age pension or work-accident annuity received: the AAH only
    /// tops it up (CSS L821-1).
    #[serde(default, deserialize_with = "de_opt_euros")]
    pub pension_invalidite: Option<Euros>,
}

/// Result of [`simulate`]. Monthly amounts unless stated.
#[derive(Debug, Clone, Serialize)]
pub struct AahResult {
    pub date: NaiveDate,
    pub verdict: Verdict,
    /// AAH at full rate on the date.
    pub montant_maximum: Euros,
    /// Yearly resource ceiling.
    pub plafond_annuel: Euros,
    /// Yearly resources counted after allowances.
    pub ressources_retenues: Euros,
    /// Monthly AAH before the pension top-up rule.
    pub aah_avant_pension: Euros,
    /// Monthly AAH paid.
    pub aah: Euros,
    pub explanation: Vec<Step>,
    pub warnings: Vec<String>,
}

/// AAH: eligibility (CSS L821-1, L821-2, R821-1), resources (R821-4, D821-9), amount (L821-3, D821-2).
pub fn simulate(p: &Parameters, input: &AahInput) -> Result<AahResult> {
    let mut t = Trace::new(Explain::Full);
    let ap = &p.aah;
    let date = effective_date(input.date);
    let mut verdict = Verdict {
        eligible: true,
        ..Verdict::default()
    };

    // Incapacity.
    let (plein, ref_plein) = t.param("aah.taux_incapacite_plein", &ap.taux_incapacite_plein, date)?;
    let (minimum, ref_min) = t.param("aah.taux_incapacite_minimum", &ap.taux_incapacite_minimum, date)?;
    let taux = Decimal::from(input.taux_incapacite);
    let partiel = taux < plein;
    if taux >= plein {
        verdict.reasons.push(format!(
            "Taux d’incapacité de {} %, au moins {} % ({ref_plein}).",
            input.taux_incapacite, plein
        ));
    } else if taux >= minimum && input.rsdae {
        verdict.reasons.push(format!(
            "Taux d’incapacité de {} %, entre {} et {} %, avec une restriction substantielle et durable pour \
             l’accès à l’emploi ({ref_min}).",
            input.taux_incapacite, minimum, plein
        ));
    } else if taux >= minimum {
        verdict.eligible = false;
        verdict.reasons.push(format!(
            "Taux d’incapacité de {} % : entre {} et {} %, l’AAH demande une restriction substantielle et \
             durable pour l’accès à l’emploi reconnue par la CDAPH ({ref_min}).",
            input.taux_incapacite, minimum, plein
        ));
    } else {
        verdict.eligible = false;
        verdict.reasons.push(format!(
            "Taux d’incapacité de {} % : l’AAH demande au moins {} % ({ref_min}).",
            input.taux_incapacite, minimum
        ));
    }

    // Age: minimum, and the end of the 50-79 % AAH at the legal retirement age.
    let (age_min, ref_age) = t.param("aah.age_minimum", &ap.age_minimum, date)?;
    let (age_min_hc, ref_age_hc) =
        t.param("aah.age_minimum_hors_charge", &ap.age_minimum_hors_charge, date)?;
    match resolve_age(input.date_naissance, input.age, date) {
        None => verdict.to_confirm.push(format!(
            "Âge non renseigné : l’AAH est ouverte à partir de {age_min} ans ({age_min_hc} ans si vous \
             n’êtes plus à charge pour les prestations familiales) ({ref_age} ; {ref_age_hc})."
        )),
        Some(a) if Decimal::from(a) >= age_min => {
            verdict
                .reasons
                .push(format!("Âge : {a} ans, au moins {age_min} ans ({ref_age})."));
            // With a rate under 80 %, the AAH stops at the age at which the person is deemed unfit for
            // work (62, CSS L821-2 → L821-1 → L351-1-5, D351-1-14), not at the generation's legal
            // retirement age: an age in whole years is enough to decide.
            let (fin, ref_fin) = t.param("aah.age_fin_taux_partiel", &ap.age_fin_taux_partiel, date)?;
            if partiel && verdict.eligible && Decimal::from(a) >= fin {
                verdict.eligible = false;
                verdict.reasons.push(format!(
                    "Avec un taux d’incapacité inférieur à {plein} %, l’AAH cesse à {fin} ans, l’âge auquel \
                     vous êtes réputé inapte au travail : la retraite pour inaptitude prend le relais \
                     ({ref_fin})."
                ));
            }
        }
        Some(a) if Decimal::from(a) >= age_min_hc => match input.hors_charge_prestations_familiales {
            Some(true) => verdict.reasons.push(format!(
                "Âge : {a} ans ; plus à charge pour les prestations familiales, l’AAH est ouverte dès \
                 {age_min_hc} ans ({ref_age_hc})."
            )),
            Some(false) => {
                verdict.eligible = false;
                verdict.reasons.push(format!(
                    "Âge : {a} ans ; encore à charge pour les prestations familiales, l’AAH n’est ouverte \
                     qu’à partir de {age_min} ans ({ref_age})."
                ));
            }
            None => verdict.to_confirm.push(format!(
                "Âge : {a} ans ; avant {age_min} ans, l’AAH n’est ouverte que si vous n’êtes plus à charge \
                 pour les prestations familiales ({ref_age_hc})."
            )),
        },
        Some(a) => {
            verdict.eligible = false;
            verdict.reasons.push(format!(
                "Âge : {a} ans ; l’AAH est ouverte au plus tôt à {age_min_hc} ans ({ref_age_hc})."
            ));
        }
    }
    verdict.to_confirm.push(
        "Résidence permanente en France et, pour les personnes étrangères, titre de séjour (CSS L821-1), \
         vérifiés par la CAF ou la MSA."
            .into(),
    );

    let (max, ref_max) = t.param("aah.montant_maximum", &ap.montant_maximum, date)?;
    let montant_maximum = round_to_cents(max)?;
    step!(
        t,
        "Montant de l’AAH à taux plein",
        fmt_eur(montant_maximum),
        ref_max
    );
    let (maj, ref_maj) = t.param(
        "aah.majoration_plafond_par_enfant",
        &ap.majoration_plafond_par_enfant,
        date,
    )?;
    let enfants = Decimal::from(input.enfants_a_charge);
    let plafond = round_to_cents(Decimal::from(12) * max * (Decimal::ONE + maj * enfants))?;
    step!(
        t,
        "Plafond annuel de ressources",
        if input.enfants_a_charge > 0 {
            format!(
                "{} = 12 × {} × (1 + {} × {} {})",
                fmt_eur(plafond),
                fmt_eur(montant_maximum),
                fmt_num(maj),
                input.enfants_a_charge,
                if input.enfants_a_charge > 1 {
                    "enfants"
                } else {
                    "enfant"
                }
            )
        } else {
            format!("{} = 12 × {}", fmt_eur(plafond), fmt_eur(montant_maximum))
        },
        ref_maj,
    );

    // Resources of the person alone.
    let mut resources = input.ressources_annuelles.map(dec).unwrap_or(Decimal::ZERO);
    if let Some(r) = input.ressources_annuelles {
        step!(
            t,
            "Ressources annuelles hors revenus d’activité en milieu ordinaire",
            fmt_eur(r),
            "CSS R821-4",
        );
    }
    if let Some(e) = input.revenus_activite_mensuels.filter(|e| *e > Euros::ZERO) {
        // The AAH of a quarter uses the earnings of the previous quarter, with the SMIC in force on the
        // last day of that reference quarter (CSS D821-9).
        let quarter_start =
            NaiveDate::from_ymd_opt(date.year(), (date.month0() / 3) * 3 + 1, 1).unwrap_or(date);
        let reference_end = quarter_start.pred_opt().unwrap_or(quarter_start);
        let (smic, ref_smic) = t.param(
            "common.smic_horaire_brut",
            &p.common.smic_horaire_brut,
            reference_end,
        )?;
        let (heures, _) = t.param(
            "common.heures_mensuelles_smic",
            &p.common.heures_mensuelles_smic,
            date,
        )?;
        let (part, ref_seuil) = t.param("aah.abattement_seuil", &ap.abattement_seuil, date)?;
        let (bas, _) = t.param(
            "aah.abattement_taux_bas_revenus",
            &ap.abattement_taux_bas_revenus,
            date,
        )?;
        let (haut, _) = t.param(
            "aah.abattement_taux_hauts_revenus",
            &ap.abattement_taux_hauts_revenus,
            date,
        )?;
        // Kept exact: the text sets the threshold on the SMIC of 151,67 hours without rounding it.
        let smic_mensuel = smic * heures;
        let seuil = smic_mensuel * part;
        let earned = dec(e);
        let abattement = bas * earned.min(seuil) + haut * (earned - seuil).max(Decimal::ZERO);
        let retenu = earned - abattement;
        step!(
            t,
            "Abattement sur les revenus d’activité, par mois",
            format!(
                "{} = {} × {} + {} × {} (seuil : {} × SMIC mensuel brut {} = {})",
                fmt_dec_eur(abattement),
                fmt_pct(bas),
                fmt_dec_eur(earned.min(seuil)),
                fmt_pct(haut),
                fmt_dec_eur((earned - seuil).max(Decimal::ZERO)),
                fmt_pct(part),
                fmt_dec_eur(smic_mensuel),
                fmt_dec_eur(seuil)
            ),
            format!("{ref_seuil} ; {ref_smic}"),
        );
        step!(
            t,
            "Revenus d’activité retenus sur un an (évaluation trimestrielle)",
            format!(
                "{} = 12 × ({} − {})",
                fmt_dec_eur(retenu * Decimal::from(12)),
                fmt_eur(e),
                fmt_dec_eur(abattement)
            ),
            "CSS R821-4-1 et D821-9",
        );
        resources += retenu * Decimal::from(12);
    }
    let ressources_retenues = round_to_cents(resources)?;
    step!(
        t,
        "Ressources annuelles retenues (personne seule, sans le conjoint)",
        fmt_eur(ressources_retenues),
        "CSS L821-3 ; loi n° 2022-1158 du 16 août 2022, art. 10",
    );

    if !verdict.eligible {
        t.clear_warnings();
        return Ok(AahResult {
            date,
            verdict,
            montant_maximum,
            plafond_annuel: plafond,
            ressources_retenues,
            aah_avant_pension: Euros::ZERO,
            aah: Euros::ZERO,
            explanation: t.steps,
            warnings: t.warnings,
        });
    }

    let differential = ((dec(plafond) - resources) / Decimal::from(12)).max(Decimal::ZERO);
    let aah_avant_pension = round_to_cents(differential.min(max))?;
    step!(
        t,
        "AAH mensuelle",
        format!(
            "{} = le plus petit de {} et ({} − {}) / 12",
            fmt_eur(aah_avant_pension),
            fmt_eur(montant_maximum),
            fmt_eur(plafond),
            fmt_dec_eur(resources)
        ),
        "CSS L821-3 et D821-2",
    );
    if aah_avant_pension == Euros::ZERO {
        verdict.reasons.push(format!(
            "Ressources de {} par an au moins égales au plafond de {} : pas d’AAH (CSS L821-3).",
            fmt_eur(ressources_retenues),
            fmt_eur(plafond)
        ));
    }
    let aah = match input.pension_invalidite.filter(|p| *p > Euros::ZERO) {
        Some(pension) => {
            // The AAH only tops the pension up to the full-rate amount (and stays within the resource test).
            let complement = (montant_maximum - pension).max(Euros::ZERO);
            let a = aah_avant_pension.min(complement);
            step!(
                t,
                "AAH après pension d’invalidité, de vieillesse ou rente d’accident du travail",
                format!(
                    "{} = le plus petit de {} et {} − {}",
                    fmt_eur(a),
                    fmt_eur(aah_avant_pension),
                    fmt_eur(montant_maximum),
                    fmt_eur(pension)
                ),
                "CSS L821-1 (subsidiarité)",
            );
            a
        }
        None => aah_avant_pension,
    };
    Ok(AahResult {
        date,
        verdict,
        montant_maximum,
        plafond_annuel: plafond,
        ressources_retenues,
        aah_avant_pension,
        aah,
        explanation: t.steps,
        warnings: t.warnings,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(json: &str) -> AahResult {
        let p = Parameters::load().unwrap();
        simulate(&p, &serde_json::from_str(json).unwrap()).unwrap()
    }

    #[test]
    fn the_spouse_income_is_not_an_input_since_deconjugalisation() {
        // deny_unknown_fields: there is no field for the spouse's resources.
        let p = Parameters::load().unwrap();
        let parsed: Result<AahInput, _> =
            serde_json::from_str(r#"{"taux_incapacite": 80, "ressources_conjoint": 30000}"#);
        assert!(parsed.is_err());
        assert!(p.aah.montant_maximum.values.len() > 3);
    }

    #[test]
    fn a_pension_is_topped_up_to_the_full_rate_only() {
        let r =
            run(r#"{"taux_incapacite": 85, "age": 50, "pension_invalidite": 1200, "date": "2026-07-01"}"#);
        assert_eq!(r.aah, Euros::ZERO);
    }

    #[test]
    fn earnings_allowance_is_80_percent_up_to_30_percent_of_the_smic_then_40() {
        // 2026-07: 30 % × 1 867,0577 = 560,117; 500 € of earnings are all in the first slice: 100 € counted.
        let r = run(
            r#"{"taux_incapacite": 80, "age": 40, "revenus_activite_mensuels": 500, "date": "2026-07-01"}"#,
        );
        assert_eq!(r.ressources_retenues, Euros::from_cents(120_000));
    }

    #[test]
    fn with_a_60_percent_rate_the_aah_stops_at_62_whatever_the_generation() {
        // CSS L821-2: the AAH of a 50-79 % rate ends at the age of L351-1-5, 62 (D351-1-14), not at the
        // 62 y 9 m legal retirement age of someone born in 1963 or 1964.
        let at = |age: u32| {
            run(&format!(
                r#"{{"taux_incapacite": 60, "rsdae": true, "age": {age}, "date": "2026-07-01"}}"#
            ))
        };
        // 61: paid, 1 041,59 € (full rate of April 2026, no resources).
        let r61 = at(61);
        assert!(r61.verdict.eligible);
        assert_eq!(r61.aah, Euros::from_cents(104_159));
        assert!(r61.verdict.to_confirm.iter().all(|c| !c.contains("retraite")));
        // 62: not paid, and the reason gives the age and the articles.
        let r62 = at(62);
        assert!(!r62.verdict.eligible);
        assert_eq!(r62.aah, Euros::ZERO);
        assert!(
            r62.verdict
                .reasons
                .iter()
                .any(|r| r.contains("cesse à 62 ans") && r.contains("D351-1-14"))
        );
        // Born on 1 February 1964: 62 on 1 February 2026 (the loi 2023-270 table said 63).
        let born = r#""taux_incapacite": 60, "rsdae": true, "date_naissance": "1964-02-01""#;
        assert!(
            run(&format!(r#"{{{born}, "date": "2026-01-31"}}"#))
                .verdict
                .eligible
        );
        assert!(
            !run(&format!(r#"{{{born}, "date": "2026-02-01"}}"#))
                .verdict
                .eligible
        );
        // An 80 % rate keeps the AAH after 62.
        let full = run(r#"{"taux_incapacite": 80, "age": 63, "date": "2026-07-01"}"#);
        assert!(full.verdict.eligible);
    }

    #[test]
    fn an_ineligible_result_carries_no_warning() {
        // The AAH amount is only confirmed until 23 November 2026; a refusal does not depend on it.
        let r = run(r#"{"taux_incapacite": 60, "rsdae": true, "age": 62, "date": "2026-12-02"}"#);
        assert!(!r.verdict.eligible);
        assert!(r.warnings.is_empty(), "{:?}", r.warnings);
        let paid = run(r#"{"taux_incapacite": 80, "age": 40, "date": "2026-12-02"}"#);
        assert_eq!(paid.warnings.len(), 1, "{:?}", paid.warnings);
        assert!(
            paid.warnings[0].contains("1\u{202f}041,59"),
            "{}",
            paid.warnings[0]
        );
    }
}
