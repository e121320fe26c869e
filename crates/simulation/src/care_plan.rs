//! The care plan (plan d'aide) the équipe médico-sociale proposes after the evaluation (CASF L232-3,
//! L232-6): a list of helps, each a monthly quantity at a unit price. Its monthly cost is the plan amount
//! given to [`apa::simulate_domicile`], the same rules as the public simulator, which caps it at the GIR
//! ceiling and computes the participation and the APA.

use chrono::NaiveDate;
use guichet_types::{Euros, Gir};
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};

use crate::apa::{self, ApaDomicileInput, ApaResources};
use crate::explain::Step;
use crate::money::{fmt_eur, fmt_num};
use crate::{Parameters, Result, SimulationError};

/// Kind of help in a plan (the categories of the national evaluation framework's proposed helps).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HelpKind {
    /// Hours of a home-help service or an employee: hours × hourly tariff.
    AideHumaine,
    AccueilJour,
    Portage,
    Teleassistance,
    AideTechnique,
    AmenagementLogement,
    /// Respite of the carer (accueil temporaire, relais à domicile).
    Repit,
    Autre,
}

impl HelpKind {
    pub const ALL: [HelpKind; 8] = [
        HelpKind::AideHumaine,
        HelpKind::AccueilJour,
        HelpKind::Portage,
        HelpKind::Teleassistance,
        HelpKind::AideTechnique,
        HelpKind::AmenagementLogement,
        HelpKind::Repit,
        HelpKind::Autre,
    ];

    /// Plain-French name.
    pub const fn label(self) -> &'static str {
        match self {
            HelpKind::AideHumaine => "Aide humaine",
            HelpKind::AccueilJour => "Accueil de jour",
            HelpKind::Portage => "Portage de repas",
            HelpKind::Teleassistance => "Téléassistance",
            HelpKind::AideTechnique => "Aide technique",
            HelpKind::AmenagementLogement => "Aménagement du logement",
            HelpKind::Repit => "Répit de l’aidant",
            HelpKind::Autre => "Autre aide",
        }
    }

    /// Unit of the quantity, as written after it (`40 h`).
    const fn unit(self) -> &'static str {
        match self {
            HelpKind::AideHumaine => " h",
            HelpKind::AccueilJour => " j",
            HelpKind::Portage => " repas",
            _ => "",
        }
    }
}

/// One help of the plan. Monthly cost = quantity × unit price, rounded to the cent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Help {
    pub kind: HelpKind,
    /// What the help is, in the evaluator's words (« aide à la toilette », « service X »).
    pub label: String,
    /// Hours (aide humaine), days, meals or units per month.
    pub quantity_per_month: f64,
    /// Price of one hour or unit, in cents (24,58 € = 2458).
    pub unit_price_cents: i64,
}

impl Help {
    /// Quantity × unit price, rounded to the cent (half away from zero). A negative, infinite or NaN
    /// quantity, a negative price or an overflow is an `InvalidInput` error.
    pub fn monthly_cost_cents(&self) -> Result<i64> {
        let invalid =
            |what: &str| SimulationError::InvalidInput(format!("aide « {} » : {what}", self.display_label()));
        if !self.quantity_per_month.is_finite() || self.quantity_per_month < 0.0 {
            return Err(invalid("quantité invalide"));
        }
        if self.unit_price_cents < 0 {
            return Err(invalid("prix unitaire négatif"));
        }
        let quantity = self.quantity()?;
        quantity
            .checked_mul(Decimal::from(self.unit_price_cents))
            .map(|c| c.round_dp_with_strategy(0, RoundingStrategy::MidpointAwayFromZero))
            .and_then(|c| c.to_i64())
            .ok_or_else(|| invalid("montant trop grand"))
    }

    /// The quantity as the decimal the evaluator typed: the shortest form of the float (`2.5`, not
    /// `2.49999…`), so that 0,1 h × 25 € is exactly 2,50 €.
    fn quantity(&self) -> Result<Decimal> {
        self.quantity_per_month
            .to_string()
            .parse::<Decimal>()
            .map(|d| d.normalize())
            .map_err(|_| {
                SimulationError::InvalidInput(format!(
                    "aide « {} » : quantité trop grande",
                    self.display_label()
                ))
            })
    }

    fn display_label(&self) -> String {
        if self.label.trim().is_empty() {
            self.kind.label().to_owned()
        } else {
            format!("{} ({})", self.kind.label(), self.label.trim())
        }
    }
}

/// The plan proposed for a GIR.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CarePlan {
    /// GIR from the evaluation (1 to 4 open the APA).
    pub gir: u8,
    pub helps: Vec<Help>,
}

/// Result of [`evaluate_plan`]. Monthly amounts in cents.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CarePlanResult {
    /// Sum of the helps' monthly costs, before the ceiling.
    pub plan_cents: i64,
    /// Plan ceiling of the GIR (CASF R232-10).
    pub ceiling_cents: i64,
    /// The plan is above the ceiling: participation and APA are computed on the ceiling.
    pub capped: bool,
    /// Beneficiary's participation (CASF R232-11).
    pub participation_cents: i64,
    /// Monthly APA paid (zero below the D232-31 threshold).
    pub apa_cents: i64,
    /// Each help's cost, the plan total, the cap, then every step of the APA simulation.
    pub explanation: Vec<Step>,
    /// Values used that may be out of date or unconfirmed (plain words), and what the plan computation
    /// leaves out.
    pub warnings: Vec<String>,
}

/// Costs the plan and computes the participation and the APA with [`apa::simulate_domicile`] (MTP of
/// 1 January of `on`'s year). A plan above the GIR ceiling is capped and says so; GIR 5 or 6 is an
/// error (no APA to compute a plan for). `couple`: married, PACS or concubinage, both at home
/// (resources ÷ 1,7, CASF R232-5).
pub fn evaluate_plan(
    p: &Parameters,
    on: NaiveDate,
    plan: &CarePlan,
    resources: &ApaResources,
    couple: bool,
) -> Result<CarePlanResult> {
    let gir = Gir::new(plan.gir)
        .map_err(|_| SimulationError::InvalidInput(format!("GIR {} invalide : 1 à 6 attendu", plan.gir)))?;
    if !gir.opens_apa() {
        return Err(SimulationError::InvalidInput(
            "Le GIR 5 ou 6 n’ouvre pas droit à l’APA (CASF L232-2, R232-3) : pas de plan d’aide APA".into(),
        ));
    }
    let mut explanation = Vec::new();
    let mut warnings = Vec::new();
    let mut plan_cents: i64 = 0;
    for help in &plan.helps {
        let cost = help.monthly_cost_cents()?;
        plan_cents = plan_cents
            .checked_add(cost)
            .ok_or_else(|| SimulationError::InvalidInput("montant du plan d’aide trop grand".into()))?;
        explanation.push(Step {
            label: help.display_label(),
            value: format!(
                "{} = {}{} × {}",
                fmt_eur(Euros::from_cents(cost)),
                fmt_num(help.quantity()?),
                help.kind.unit(),
                fmt_eur(Euros::from_cents(help.unit_price_cents))
            ),
            reference: "CASF L232-3 (plan d’aide)".into(),
        });
    }
    if plan.helps.is_empty() {
        explanation.push(Step {
            label: "Plan d’aide vide".into(),
            value: "aucune aide proposée".into(),
            reference: "CASF L232-3".into(),
        });
    }
    explanation.push(Step {
        label: "Montant mensuel du plan d’aide proposé".into(),
        value: fmt_eur(Euros::from_cents(plan_cents)),
        reference: "CASF L232-3".into(),
    });
    if plan.helps.iter().any(|h| h.kind == HelpKind::Repit) {
        // The plan counts the respite under the GIR ceiling (which can only understate the APA); the
        // evaluator is told how much L232-3-2 allows above it.
        let extra = apa::carer_extra_ceilings(p, on)?;
        warnings.push(format!(
            "Le répit de l’aidant peut être financé au-delà du plafond du GIR, jusqu’à {} par an (CASF \
             L232-3-2 et D232-9-1) ; ce calcul le compte dans le plan d’aide, sous le plafond.",
            fmt_eur(extra.repit_annuel)
        ));
    }

    let input = ApaDomicileInput {
        gir,
        plan: Euros::from_cents(plan_cents),
        ressources: resources.ressources,
        revenus_annuels: resources.revenus_annuels,
        valeur_locative_bati: resources.valeur_locative_bati,
        valeur_locative_non_bati: resources.valeur_locative_non_bati,
        capitaux: resources.capitaux,
        couple,
        date: Some(on),
        date_naissance: None,
        age: None,
    };
    let sim = apa::simulate_domicile(p, &input)?;
    let ceiling_cents = sim.plafond.cents();
    let capped = plan_cents > ceiling_cents;
    if capped {
        explanation.push(Step {
            label: format!("Le plan dépasse le plafond du {gir}"),
            value: format!(
                "{} > {} ; l’APA est calculée sur le plafond",
                fmt_eur(Euros::from_cents(plan_cents)),
                fmt_eur(sim.plafond)
            ),
            reference: "CASF L232-3-1 et R232-10".into(),
        });
    }
    explanation.extend(sim.explanation);
    warnings.extend(sim.warnings);
    Ok(CarePlanResult {
        plan_cents,
        ceiling_cents,
        capped,
        participation_cents: sim.participation.cents(),
        apa_cents: sim.apa.cents(),
        explanation,
        warnings,
    })
}

/// A plan estimated from the hours of home help a person thinks they need, for someone who does not
/// know the amount of their plan yet (the public simulator): hours per month × the home-help tariff
/// (`pch.tarif_prestataire`: the minimum tariff of home-help services, CASF L314-2-1, that the
/// département applies when it has no tariff of its own). Same costing as a plan's help.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlanEstimate {
    /// Estimated monthly plan, in cents.
    pub plan_cents: i64,
    /// Hourly tariff used, in cents.
    pub tariff_cents: i64,
    /// The costing, with the tariff's reference.
    pub step: Step,
}

/// Estimates a monthly plan from `hours` of home help per month on `on`.
pub fn estimate_from_hours(p: &Parameters, on: NaiveDate, hours: f64) -> Result<PlanEstimate> {
    let tariff = p.pch.tarif_prestataire.at("pch.tarif_prestataire", on)?;
    let tariff_cents = (tariff.value * Decimal::from(100))
        .round_dp_with_strategy(0, RoundingStrategy::MidpointAwayFromZero)
        .to_i64()
        .ok_or_else(|| SimulationError::InvalidParameter {
            parameter: "pch.tarif_prestataire".into(),
            msg: "tarif trop grand".into(),
        })?;
    let help = Help {
        kind: HelpKind::AideHumaine,
        label: String::new(),
        quantity_per_month: hours,
        unit_price_cents: tariff_cents,
    };
    let plan_cents = help.monthly_cost_cents()?;
    Ok(PlanEstimate {
        plan_cents,
        tariff_cents,
        step: Step {
            label: "Plan d’aide estimé à partir des heures d’aide".into(),
            value: format!(
                "{} = {} h × {}",
                fmt_eur(Euros::from_cents(plan_cents)),
                fmt_num(help.quantity()?),
                fmt_eur(Euros::from_cents(tariff_cents))
            ),
            reference: tariff.reference.clone(),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn help(kind: HelpKind, quantity: f64, price_cents: i64) -> Help {
        Help {
            kind,
            label: String::new(),
            quantity_per_month: quantity,
            unit_price_cents: price_cents,
        }
    }

    fn single(ressources_euros: i64) -> ApaResources {
        ApaResources {
            ressources: Some(Euros::from_cents(ressources_euros * 100)),
            ..ApaResources::default()
        }
    }

    /// `apa::simulate_domicile` called directly with the same plan amount, as the public simulator does.
    fn direct(
        gir: u8,
        plan_cents: i64,
        ressources_euros: i64,
        couple: bool,
        on: &str,
    ) -> apa::ApaDomicileResult {
        let p = Parameters::load().unwrap();
        let input = ApaDomicileInput {
            gir: Gir::new(gir).unwrap(),
            plan: Euros::from_cents(plan_cents),
            ressources: Some(Euros::from_cents(ressources_euros * 100)),
            revenus_annuels: None,
            valeur_locative_bati: None,
            valeur_locative_non_bati: None,
            capitaux: None,
            couple,
            date: Some(d(on)),
            date_naissance: None,
            age: None,
        };
        apa::simulate_domicile(&p, &input).unwrap()
    }

    #[test]
    fn a_gir_2_plan_of_40_hours_at_the_national_minimum_tariff() {
        // 40 h × 24,58 € (national minimum SAD tariff 2025, rules README §1.2) = 983,20 €, plus téléassistance
        // 1 × 25,00 € and 12 meals × 8,50 € = 102,00 €: plan 1 110,20 € under the GIR 2 ceiling 1 682,30 €
        // (2026). Resources 1 800 €: x = (1 800 − 933,89)/(3 439,31 − 933,89) = 0,345694; A1 = 408,34,
        // A2 = 233,15, A3 = 468,71; P = 0,9 x [A1 + A2 (0,6 x + 0,4) + A3 (0,8 x + 0,2)] = 240,60 €;
        // APA = 1 110,20 − 240,60 = 869,60 € (R232-11, computed by hand with exact thresholds).
        let p = Parameters::load().unwrap();
        let plan = CarePlan {
            gir: 2,
            helps: vec![
                Help {
                    label: "aide à la toilette et aux repas".into(),
                    ..help(HelpKind::AideHumaine, 40.0, 2458)
                },
                help(HelpKind::Teleassistance, 1.0, 2500),
                help(HelpKind::Portage, 12.0, 850),
            ],
        };
        let r = evaluate_plan(&p, d("2026-03-10"), &plan, &single(1800), false).unwrap();
        assert_eq!(r.plan_cents, 111_020);
        assert_eq!(r.ceiling_cents, 168_230);
        assert!(!r.capped);
        let expected = direct(2, 111_020, 1800, false, "2026-03-10");
        assert_eq!(r.participation_cents, expected.participation.cents());
        assert_eq!(r.apa_cents, expected.apa.cents());
        assert_eq!((r.participation_cents, r.apa_cents), (24_060, 86_960));
        assert_eq!(
            r.explanation
                .first()
                .map(|s| (s.label.as_str(), s.value.as_str())),
            Some((
                "Aide humaine (aide à la toilette et aux repas)",
                "983,20\u{a0}€ = 40 h × 24,58\u{a0}€"
            ))
        );
        assert!(
            r.explanation
                .iter()
                .any(|s| s.label.starts_with("Plafond du plan d’aide GIR 2"))
        );
    }

    #[test]
    fn the_worked_example_of_the_simulator_is_found_again_through_a_plan() {
        // README example: GIR 2, plan 1 500 €, resources 1 800 €, 2026 → participation 298,39 €, APA
        // 1 201,61 €. Here 60 h × 25,00 € = 1 500,00 €.
        let p = Parameters::load().unwrap();
        let plan = CarePlan {
            gir: 2,
            helps: vec![help(HelpKind::AideHumaine, 60.0, 2500)],
        };
        let r = evaluate_plan(&p, d("2026-01-15"), &plan, &single(1800), false).unwrap();
        assert_eq!(
            (r.plan_cents, r.participation_cents, r.apa_cents),
            (150_000, 29_839, 120_161)
        );
    }

    #[test]
    fn a_plan_above_the_ceiling_is_capped_and_says_so() {
        // GIR 3 in 2026: ceiling 0,944 × 1 288,13 = 1 215,99 €. 60 h × 24,58 € = 1 474,80 € > ceiling.
        let p = Parameters::load().unwrap();
        let plan = CarePlan {
            gir: 3,
            helps: vec![help(HelpKind::AideHumaine, 60.0, 2458)],
        };
        let r = evaluate_plan(&p, d("2026-05-01"), &plan, &single(2500), true).unwrap();
        assert_eq!(
            (r.plan_cents, r.ceiling_cents, r.capped),
            (147_480, 121_599, true)
        );
        // Couple, 2 500 € ÷ 1,7 = 1 470,59 €: x = 0,214214; on A = 1 215,99 €, P = 143,61 €, APA 1 072,38 €.
        assert_eq!((r.participation_cents, r.apa_cents), (14_361, 107_238));
        // Same amounts as the simulator given the uncapped plan (it caps), and as given the ceiling itself.
        let expected = direct(3, 147_480, 2500, true, "2026-05-01");
        assert_eq!(
            (r.participation_cents, r.apa_cents),
            (expected.participation.cents(), expected.apa.cents())
        );
        let at_ceiling = direct(3, 121_599, 2500, true, "2026-05-01");
        assert_eq!(r.apa_cents, at_ceiling.apa.cents());
        let cap = r
            .explanation
            .iter()
            .find(|s| s.label.starts_with("Le plan dépasse"))
            .unwrap();
        assert_eq!(
            cap.to_string(),
            "Le plan dépasse le plafond du GIR 3 : 1\u{202f}474,80\u{a0}€ > 1\u{202f}215,99\u{a0}€ ; \
             l’APA est calculée sur le plafond (CASF L232-3-1 et R232-10)"
        );
    }

    #[test]
    fn gir_5_or_6_is_refused_with_a_french_message() {
        let p = Parameters::load().unwrap();
        for gir in [5, 6] {
            let plan = CarePlan {
                gir,
                helps: vec![help(HelpKind::AideHumaine, 10.0, 2458)],
            };
            let err = evaluate_plan(&p, d("2026-01-15"), &plan, &single(1000), false).unwrap_err();
            assert!(
                err.to_string()
                    .contains("Le GIR 5 ou 6 n’ouvre pas droit à l’APA"),
                "{err}"
            );
        }
        let plan = CarePlan {
            gir: 7,
            helps: vec![],
        };
        assert!(evaluate_plan(&p, d("2026-01-15"), &plan, &single(1000), false).is_err());
    }

    #[test]
    fn an_empty_plan_costs_nothing_and_pays_nothing() {
        let p = Parameters::load().unwrap();
        let plan = CarePlan {
            gir: 1,
            helps: vec![],
        };
        let r = evaluate_plan(&p, d("2026-01-15"), &plan, &single(900), false).unwrap();
        assert_eq!(
            (r.plan_cents, r.capped, r.participation_cents, r.apa_cents),
            (0, false, 0, 0)
        );
        assert_eq!(r.ceiling_cents, 208_033);
        assert_eq!(
            r.explanation.first().map(|s| s.label.as_str()),
            Some("Plan d’aide vide")
        );
    }

    #[test]
    fn costs_are_rounded_to_the_cent_from_the_typed_quantity() {
        // 2,5 h × 24,58 € = 61,45 €; 0,1 × 25 € = 2,50 € exactly; 1/3 h × 24,58 € = 8,1933… → 8,19 €.
        assert_eq!(
            help(HelpKind::AideHumaine, 2.5, 2458)
                .monthly_cost_cents()
                .unwrap(),
            6145
        );
        assert_eq!(
            help(HelpKind::Autre, 0.1, 2500).monthly_cost_cents().unwrap(),
            250
        );
        assert_eq!(
            help(HelpKind::AideHumaine, 1.0 / 3.0, 2458)
                .monthly_cost_cents()
                .unwrap(),
            819
        );
        // 0,5 × 1 cent = 0,5 cent → 1 cent (half away from zero).
        assert_eq!(help(HelpKind::Autre, 0.5, 1).monthly_cost_cents().unwrap(), 1);
    }

    #[test]
    fn impossible_helps_are_errors() {
        for bad in [
            help(HelpKind::AideHumaine, -1.0, 2458),
            help(HelpKind::AideHumaine, f64::NAN, 2458),
            help(HelpKind::AideHumaine, f64::INFINITY, 2458),
            help(HelpKind::AideHumaine, 10.0, -5),
            help(HelpKind::AideHumaine, 1e300, 2458),
            help(HelpKind::AideHumaine, 1e20, i64::MAX),
        ] {
            assert!(bad.monthly_cost_cents().is_err(), "{bad:?}");
        }
        let p = Parameters::load().unwrap();
        let plan = CarePlan {
            gir: 2,
            helps: vec![
                help(HelpKind::Autre, 1.0, i64::MAX),
                help(HelpKind::Autre, 1.0, i64::MAX),
            ],
        };
        assert!(evaluate_plan(&p, d("2026-01-15"), &plan, &single(900), false).is_err());
    }

    #[test]
    fn a_respite_help_is_counted_under_the_ceiling_with_a_warning() {
        let p = Parameters::load().unwrap();
        let plan = CarePlan {
            gir: 4,
            helps: vec![
                help(HelpKind::AideHumaine, 20.0, 2458),
                help(HelpKind::Repit, 2.0, 6000),
            ],
        };
        let r = evaluate_plan(&p, d("2026-01-15"), &plan, &single(900), false).unwrap();
        // 491,60 + 120,00 = 611,60 € under the GIR 4 ceiling 811,52 €; resources ≤ 933,89 €: no participation.
        assert_eq!(
            (r.plan_cents, r.participation_cents, r.apa_cents),
            (61_160, 0, 61_160)
        );
        // The respite extra of 2026: 0,453 × 1 288,13 = 583,52 € a year.
        assert!(
            r.warnings
                .iter()
                .any(|w| w.contains("L232-3-2") && w.contains("583,52\u{a0}€ par an")),
            "{:?}",
            r.warnings
        );
    }

    #[test]
    fn a_plan_round_trips_through_json() {
        let json = r#"{"gir": 2, "helps": [{"kind": "aide_humaine", "label": "toilette",
            "quantity_per_month": 40, "unit_price_cents": 2458}]}"#;
        let plan: CarePlan = serde_json::from_str(json).unwrap();
        assert_eq!(plan.helps.first().map(|h| h.kind), Some(HelpKind::AideHumaine));
        assert_eq!(
            serde_json::from_str::<CarePlan>(&serde_json::to_string(&plan).unwrap()).unwrap(),
            plan
        );
        assert!(serde_json::from_str::<CarePlan>(r#"{"gir": 2, "helps": [], "total": 1}"#).is_err());
    }

    #[test]
    fn a_plan_is_estimated_from_hours_at_the_home_help_tariff() {
        // 40 h × 24,58 € (2025 tariff, pch.toml) = 983,20 €; a typo in the hours is refused.
        let p = Parameters::load().unwrap();
        let e = estimate_from_hours(&p, d("2025-06-01"), 40.0).unwrap();
        assert_eq!((e.plan_cents, e.tariff_cents), (98_320, 2458));
        assert!(e.step.value.contains("40 h"), "{}", e.step.value);
        assert!(e.step.reference.contains("L314-2-1"));
        assert!(estimate_from_hours(&p, d("2025-06-01"), -1.0).is_err());
    }
}
