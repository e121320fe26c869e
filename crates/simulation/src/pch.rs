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
    /// Element 2: technical aids, cost valued at the tariff, for the 10-year period (euros).
    #[serde(default, deserialize_with = "de_opt_euros")]
    pub aides_techniques: Option<Euros>,
    /// Element 3: housing adaptation valued at the tariff, for the 10-year period (euros).
    #[serde(default, deserialize_with = "de_opt_euros")]
    pub amenagement_logement: Option<Euros>,
    /// Element 3: vehicle adaptation and extra transport costs, for the 10-year period (euros).
    #[serde(default, deserialize_with = "de_opt_euros")]
    pub vehicule_transport: Option<Euros>,
    /// Element 4: specific charges per month, the expense (euros/month): 75 % of it is the tariff.
    #[serde(default, deserialize_with = "de_opt_euros")]
    pub charges_specifiques: Option<Euros>,
    /// Element 4: exceptional charges for the 10-year period, the expense (euros): 75 % of it is the
    /// tariff.
    #[serde(default, deserialize_with = "de_opt_euros")]
    pub charges_exceptionnelles: Option<Euros>,
    /// Element 5: animal aid (guide or assistance dog) for the 10-year period (euros).
    #[serde(default, deserialize_with = "de_opt_euros")]
    pub aide_animaliere: Option<Euros>,
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
    /// `charges_specifiques`, `charges_exceptionnelles`, `aide_animaliere`, `parentalite_aide_humaine`,
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

/// An element granted as rate × cost within a maximum (elements 2 to 5).
struct CappedElement<'a> {
    cost: Option<Euros>,
    id: &'static str,
    libelle: &'static str,
    maximum: (&'static str, &'a Param),
    /// The period parameter; `None` for a monthly amount.
    period: Option<(&'static str, &'a Param)>,
    /// Element 4: the tariff is 75 % of the expense, before the rate of cover.
    part_of_expense: bool,
}

fn value<'p>(t: &mut Trace, name: &str, param: &'p Param, date: NaiveDate) -> Result<(Decimal, &'p str)> {
    t.param(name, param, date)
}

fn months(d: Decimal) -> u32 {
    use rust_decimal::prelude::ToPrimitive;
    d.to_u32().unwrap_or(0)
}

/// A domain of the activities of the PCH eligibility (CASF annexe 2-5, chapitre 1, section 4): its name
/// and its activities (key, plain-French label).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ActivityDomain {
    pub label: &'static str,
    pub activities: &'static [(&'static str, &'static str)],
}

/// The 19 activities of the référentiel (CASF annexe 2-5), in its 4 domains. A person is eligible with
/// one activity they cannot do at all (difficulté absolue) or two done with great difficulty
/// (difficulté grave): the simulator counts the ticks into `difficultes_absolues` and
/// `difficultes_graves`.
pub const ACTIVITIES: [ActivityDomain; 4] = [
    ActivityDomain {
        label: "Mobilité",
        activities: &[
            ("se_mettre_debout", "Se mettre debout"),
            (
                "transferts",
                "Faire ses transferts (passer du lit au fauteuil, s’asseoir, se coucher)",
            ),
            ("marcher", "Marcher"),
            ("se_deplacer", "Se déplacer, dans le logement et à l’extérieur"),
            (
                "prehension_dominante",
                "Prendre et tenir un objet avec la main dominante",
            ),
            (
                "prehension_non_dominante",
                "Prendre et tenir un objet avec l’autre main",
            ),
            (
                "motricite_fine",
                "Faire des gestes fins (boutonner, écrire, ramasser un petit objet)",
            ),
        ],
    },
    ActivityDomain {
        label: "Entretien personnel",
        activities: &[
            ("se_laver", "Se laver"),
            ("elimination", "Aller aux toilettes et assurer son hygiène"),
            ("s_habiller", "S’habiller"),
            ("repas", "Prendre ses repas"),
        ],
    },
    ActivityDomain {
        label: "Communication",
        activities: &[
            ("parler", "Parler"),
            ("entendre", "Entendre (percevoir les sons et comprendre)"),
            ("voir", "Voir (distinguer et identifier)"),
            (
                "appareils_communication",
                "Utiliser le téléphone et les autres moyens de communication",
            ),
        ],
    },
    ActivityDomain {
        label: "Tâches générales et relations avec les autres",
        activities: &[
            ("orientation_temps", "Se repérer dans le temps"),
            ("orientation_espace", "Se repérer dans l’espace"),
            ("securite", "Assurer sa sécurité"),
            ("comportement", "Maîtriser son comportement avec les autres"),
        ],
    },
];

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
                    "Âge : {a} ans. Après {age_limite} ans, la PCH n’est ouverte que si les difficultés \
                     existaient avant cet âge ou si vous travaillez encore ({ref_limite}) ; l’APA peut \
                     convenir."
                ));
            }
        }
        Some(a) if Decimal::from(a) < age_adulte => {
            if input.beneficiaire_aeeh {
                verdict.reasons.push(format!(
                    "Âge : {a} ans ; bénéficiaire de l’AEEH, la PCH est ouverte par droit d’option \
                     ({ref_adulte})."
                ));
            } else {
                verdict.eligible = false;
                verdict.reasons.push(format!(
                    "Âge : {a} ans. Avant {age_adulte} ans, la PCH n’est ouverte qu’aux enfants \
                     ouvrant droit à l’AEEH ({ref_adulte})."
                ));
            }
        }
        Some(a) => verdict.reasons.push(format!("Âge : {a} ans ({ref_limite}).")),
    }
    verdict.to_confirm.push(
        "Résidence stable et régulière en France et durée prévisible des difficultés d’au moins un an, \
         appréciées par la MDPH (CASF L245-1, annexe 2-5)."
            .into(),
    );

    // Rate of cover: 100 % up to two years of MTP, else 80 %. The MTP is the one in force on the date.
    let mtp_value = p.common.mtp.at("common.mtp", date)?;
    let (mtp, mtp_ref) = (mtp_value.value, mtp_value.reference.as_str());
    let (coef, seuil_ref) = value(&mut t, "pch.seuil_ressources", &pp.seuil_ressources, date)?;
    let seuil = round_to_cents(coef * mtp)?;
    // An unsure MTP can change the rate only when the resources are known and near the threshold: within
    // 10 %, more than any yearly revaluation of the MTP (the largest in the parameters is 4,6 %).
    if let Some(r) = input.ressources_annuelles {
        let gap = (dec(r) - dec(seuil)).abs();
        if gap * Decimal::TEN <= dec(seuil) {
            t.warn_if_unsure(&p.common.mtp, mtp_value, date);
        }
    }
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
        // The refusal depends on the difficulties and the age, never on an amount.
        t.clear_warnings();
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
                    "{} = {} h × {} de l’heure",
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
                "{} = {} h × {} de l’heure",
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
            // The cap changes the amount only when it limits it: warn about it only then.
            let cap_value = pp
                .plafond_aidant_familial
                .at("pch.plafond_aidant_familial", date)?;
            let (cap, cap_ref) = (cap_value.value, cap_value.reference.as_str());
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
            if raw > cap_e {
                t.warn_if_unsure(&pp.plafond_aidant_familial, cap_value, date);
            }
            humaine += dec(amount);
            step!(
                t,
                format!("Aide humaine {label}"),
                format!(
                    "{} = {} h × {} de l’heure{}",
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

    // Elements 2 to 5: rate × tariff, within the maximum of the period. Element 4's tariff is 75 % of
    // the expense; the other costs are given already valued at the tariff.
    let capped = [
        CappedElement {
            cost: input.aides_techniques,
            id: "aides_techniques",
            libelle: "Aides techniques",
            maximum: ("pch.aides_techniques_maximum", &pp.aides_techniques_maximum),
            period: Some(("pch.aides_techniques_duree", &pp.aides_techniques_duree)),
            part_of_expense: false,
        },
        CappedElement {
            cost: input.amenagement_logement,
            id: "amenagement_logement",
            libelle: "Aménagement du logement",
            maximum: (
                "pch.amenagement_logement_maximum",
                &pp.amenagement_logement_maximum,
            ),
            period: Some(("pch.amenagement_logement_duree", &pp.amenagement_logement_duree)),
            part_of_expense: false,
        },
        CappedElement {
            cost: input.vehicule_transport,
            id: "vehicule_transport",
            libelle: "Aménagement du véhicule et surcoûts de transport",
            maximum: ("pch.vehicule_transport_maximum", &pp.vehicule_transport_maximum),
            period: Some(("pch.vehicule_transport_duree", &pp.vehicule_transport_duree)),
            part_of_expense: false,
        },
        CappedElement {
            cost: input.charges_specifiques,
            id: "charges_specifiques",
            libelle: "Charges spécifiques (par mois)",
            maximum: ("pch.charges_specifiques_maximum", &pp.charges_specifiques_maximum),
            period: None,
            part_of_expense: true,
        },
        CappedElement {
            cost: input.charges_exceptionnelles,
            id: "charges_exceptionnelles",
            libelle: "Charges exceptionnelles",
            maximum: (
                "pch.charges_exceptionnelles_maximum",
                &pp.charges_exceptionnelles_maximum,
            ),
            period: Some((
                "pch.charges_exceptionnelles_duree",
                &pp.charges_exceptionnelles_duree,
            )),
            part_of_expense: true,
        },
        CappedElement {
            cost: input.aide_animaliere,
            id: "aide_animaliere",
            libelle: "Aide animalière",
            maximum: ("pch.aide_animaliere_maximum", &pp.aide_animaliere_maximum),
            period: Some(("pch.aide_animaliere_duree", &pp.aide_animaliere_duree)),
            part_of_expense: false,
        },
    ];
    let mut mensuel_autres = Euros::ZERO;
    for element in capped {
        let Some(cost) = element.cost.filter(|c| *c > Euros::ZERO) else {
            continue;
        };
        let (name, param) = element.maximum;
        let (max, max_ref) = value(&mut t, name, param, date)?;
        let periode_mois = match element.period {
            Some((dname, dparam)) => months(value(&mut t, dname, dparam, date)?.0),
            None => 1,
        };
        let (part, reference) = if element.part_of_expense {
            let (part, part_ref) = value(
                &mut t,
                "pch.charges_part_depenses",
                &pp.charges_part_depenses,
                date,
            )?;
            (Some(part), format!("{max_ref} ; {part_ref}"))
        } else {
            (None, max_ref.to_owned())
        };
        let covered = round_to_cents(dec(cost) * part.unwrap_or(Decimal::ONE) * taux)?;
        let max_e = round_to_cents(max)?;
        let montant = covered.min(max_e);
        step!(
            t,
            element.libelle,
            format!(
                "{} = {}{} × {}{}{}",
                fmt_eur(montant),
                fmt_eur(cost),
                part.map(|p| format!(" × {} de la dépense", fmt_pct(p)))
                    .unwrap_or_default(),
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
            id: element.id,
            libelle: element.libelle,
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
                "Parentalité : forfait d’aide humaine, par mois",
                format!(
                    "{} (plus jeune enfant de {age_enfant} {}{})",
                    fmt_eur(montant),
                    if age_enfant > 1 { "ans" } else { "an" },
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
                "Parentalité : forfait d’aides techniques (versement unique)",
                format!(
                    "{} (enfant de {age_enfant} {})",
                    fmt_eur(montant),
                    if age_enfant > 1 { "ans" } else { "an" }
                ),
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

    #[test]
    fn on_2_december_2026_only_the_values_that_can_change_the_amount_warn() {
        // Before the audit this case listed 11 warnings (ages, rates, maxima…) with raw dates.
        // 10 h of direct employment: the 19,34 € tariff is confirmed only until 1 April 2025 (it may have
        // been raised since); resources of 30 000 € are within 10 % of the threshold 24 × 1 298,44 =
        // 31 162,56 € set by the MTP of April 2026 (secondary sources only). The ages, the rates and the
        // 13 200 € maximum are fixed by texts.
        let r = run(
            r#"{"age": 30, "difficultes_absolues": 1, "heures_emploi_direct": 10,
            "ressources_annuelles": 30000, "aides_techniques": 8000, "date": "2026-12-02"}"#,
        );
        assert_eq!(r.warnings.len(), 2, "{:#?}", r.warnings);
        assert!(r.warnings.iter().any(
            |w| w.starts_with("Tarif horaire de l’aide humaine en emploi direct")
                && w.contains("(19,34\u{a0}€ de l’heure) est la dernière que nous avons pu vérifier")
        ));
        assert!(
            r.warnings
                .iter()
                .any(|w| w.contains("(1\u{202f}298,44\u{a0}€ par mois) n’a pas pu être vérifiée"))
        );
        for w in &r.warnings {
            assert!(
                !w.contains("/20") && !w.contains("2025") && !w.contains("2026"),
                "a date in {w}"
            );
        }
        // Without resources the rate is assumed, the MTP cannot change it: one warning.
        let r = run(
            r#"{"age": 30, "difficultes_absolues": 1, "heures_emploi_direct": 10, "date": "2026-12-02"}"#,
        );
        assert_eq!(r.warnings.len(), 1, "{:#?}", r.warnings);
        // With 10 000 € the rate stays 100 % whatever the MTP within 10 %: only the tariff warns.
        let r = run(
            r#"{"age": 30, "difficultes_absolues": 1, "heures_emploi_direct": 10,
            "ressources_annuelles": 10000, "date": "2026-12-02"}"#,
        );
        assert_eq!(r.warnings.len(), 1, "{:#?}", r.warnings);
        // Refused (one serious difficulty): nothing can change that, no warning.
        let r = run(
            r#"{"age": 30, "difficultes_graves": 1, "heures_emploi_direct": 10,
            "ressources_annuelles": 10000, "date": "2026-12-02"}"#,
        );
        assert!(!r.verdict.eligible);
        assert!(r.warnings.is_empty(), "{:#?}", r.warnings);
    }

    #[test]
    fn technical_aids_are_capped_at_13_200_euros_over_ten_years_since_2022() {
        // 8 000 € of technical aids: capped at 13 200 € → 8 000 € (before: 3 960 € over 3 years).
        let r = run(
            r#"{"age": 30, "difficultes_absolues": 1, "ressources_annuelles": 10000,
            "aides_techniques": 8000, "date": "2026-02-01"}"#,
        );
        let e = r.elements.iter().find(|e| e.id == "aides_techniques").unwrap();
        assert_eq!((e.montant, e.periode_mois), (Euros::from_cents(800_000), 120));
        // 15 000 € × 80 % = 12 000 € (under 13 200 €); 20 000 € × 80 % = 16 000 € → 13 200 €.
        let at_80 = |cost: u32| {
            let r = run(&format!(
                r#"{{"age": 30, "difficultes_absolues": 1, "ressources_annuelles": 50000,
                "aides_techniques": {cost}, "date": "2026-02-01"}}"#
            ));
            r.elements
                .iter()
                .find(|e| e.id == "aides_techniques")
                .unwrap()
                .montant
        };
        assert_eq!(at_80(15_000), Euros::from_cents(1_200_000));
        assert_eq!(at_80(20_000), Euros::from_cents(1_320_000));
    }

    #[test]
    fn element_4_is_75_percent_of_the_expense_then_the_rate_within_the_maximum() {
        // Specific charges 120 €/month at 80 %: 120 × 75 % × 80 % = 72 € (under 100 €/month).
        // Exceptional charges 9 000 € at 100 %: 9 000 × 75 % = 6 750 € → 6 000 € over 120 months.
        let r = run(
            r#"{"age": 30, "difficultes_absolues": 1, "ressources_annuelles": 50000,
            "charges_specifiques": 120, "date": "2026-02-01"}"#,
        );
        let e = r.elements.iter().find(|e| e.id == "charges_specifiques").unwrap();
        assert_eq!((e.montant, e.periode_mois), (Euros::from_cents(7_200), 1));
        assert_eq!(r.total_mensuel, Euros::from_cents(7_200));
        let step = r
            .explanation
            .iter()
            .find(|s| s.label.starts_with("Charges spécifiques"))
            .unwrap();
        assert!(
            step.value.contains("× 75\u{a0}% de la dépense × 80\u{a0}%"),
            "{}",
            step.value
        );
        let r = run(
            r#"{"age": 30, "difficultes_absolues": 1, "ressources_annuelles": 10000,
            "charges_exceptionnelles": 9000, "date": "2026-02-01"}"#,
        );
        let e = r
            .elements
            .iter()
            .find(|e| e.id == "charges_exceptionnelles")
            .unwrap();
        assert_eq!((e.montant, e.periode_mois), (Euros::from_cents(600_000), 120));
    }

    #[test]
    fn the_animal_aid_is_element_5_up_to_6_000_euros_over_ten_years() {
        // 4 500 € at 100 %: 4 500 €; 8 000 €: capped at 6 000 €.
        let aid = |cost: u32| {
            let r = run(&format!(
                r#"{{"age": 30, "difficultes_absolues": 1, "ressources_annuelles": 10000,
                "aide_animaliere": {cost}, "date": "2026-02-01"}}"#
            ));
            let e = r
                .elements
                .iter()
                .find(|e| e.id == "aide_animaliere")
                .cloned()
                .unwrap();
            (e.montant, e.periode_mois)
        };
        assert_eq!(aid(4_500), (Euros::from_cents(450_000), 120));
        assert_eq!(aid(8_000), (Euros::from_cents(600_000), 120));
    }

    #[test]
    fn the_2024_tariffs_take_effect_on_their_true_dates() {
        let ed = |date: &str| {
            run(&format!(
                r#"{{"age": 30, "difficultes_absolues": 1, "ressources_annuelles": 10000,
                "heures_emploi_direct": 10, "date": "{date}"}}"#
            ))
        };
        // 10 h × 17,35 € on 30 April 2024 (start date of 17,35 € not found: the result says so);
        // 10 h × 17,70 € from 1 May 2024; 10 h × 18,96 € from 1 June 2024.
        let april = ed("2024-04-30");
        assert_eq!(april.aide_humaine_mensuelle, Euros::from_cents(17_350));
        assert!(
            april
                .warnings
                .iter()
                .any(|w| w.contains("(17,35\u{a0}€ de l’heure) n’a pas pu être vérifiée"))
        );
        let may = ed("2024-05-01");
        assert_eq!(may.aide_humaine_mensuelle, Euros::from_cents(17_700));
        assert!(may.warnings.is_empty(), "{:?}", may.warnings);
        assert_eq!(ed("2024-06-01").aide_humaine_mensuelle, Euros::from_cents(18_960));
    }

    #[test]
    fn the_family_carer_cap_warns_only_when_it_limits_the_amount() {
        // 2026-12-02: the cap of 1 231,15 € a month was last checked in 2025. 100 h × 4,69 € = 469 €
        // stays under it (a higher cap would change nothing); 300 h × 7,04 € = 2 112 € is cut to it.
        let under = run(
            r#"{"age": 30, "difficultes_absolues": 1, "ressources_annuelles": 10000,
            "heures_aidant_familial": 100, "date": "2026-12-02"}"#,
        );
        assert_eq!(under.aide_humaine_mensuelle, Euros::from_cents(46_900));
        assert!(
            under
                .warnings
                .iter()
                .all(|w| !w.contains("maximum de chaque aidant")),
            "{:#?}",
            under.warnings
        );
        let capped = run(
            r#"{"age": 30, "difficultes_absolues": 1, "ressources_annuelles": 10000,
            "heures_aidant_familial_activite_reduite": 300, "date": "2026-12-02"}"#,
        );
        assert_eq!(capped.aide_humaine_mensuelle, Euros::from_cents(123_115));
        assert!(
            capped
                .warnings
                .iter()
                .any(|w| w.contains("maximum de chaque aidant")
                    && w.contains("(1\u{202f}231,15\u{a0}€ par mois)")),
            "{:#?}",
            capped.warnings
        );
    }

    #[test]
    fn the_referentiel_lists_19_activities_in_4_domains_with_unique_keys() {
        let keys: Vec<&str> = ACTIVITIES
            .iter()
            .flat_map(|d| d.activities.iter().map(|a| a.0))
            .collect();
        assert_eq!((ACTIVITIES.len(), keys.len()), (4, 19));
        let unique: std::collections::BTreeSet<&str> = keys.iter().copied().collect();
        assert_eq!(unique.len(), 19);
    }
}
