//! Property tests: invariants the law guarantees, checked on random cases.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::OnceLock;

use chrono::NaiveDate;
use guichet_simulation::{Parameters, aah, apa, pch};
use guichet_types::{Euros, Gir};
use proptest::prelude::*;
use rust_decimal::Decimal;

fn params() -> &'static Parameters {
    static P: OnceLock<Parameters> = OnceLock::new();
    P.get_or_init(|| Parameters::load().unwrap())
}

fn date_strategy() -> impl Strategy<Value = NaiveDate> {
    (0u64..1058).prop_map(|d| NaiveDate::from_ymd_opt(2024, 1, 1).unwrap() + chrono::Days::new(d))
}

fn apa_input(gir: u8, plan: i64, ressources: i64, couple: bool, date: NaiveDate) -> apa::ApaDomicileInput {
    serde_json::from_value(serde_json::json!({
        "gir": gir,
        "plan": format!("{},{:02}", plan / 100, plan % 100),
        "ressources": format!("{},{:02}", ressources / 100, ressources % 100),
        "couple": couple,
        "date": date.to_string(),
        "age": 75,
    }))
    .unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn apa_participation_never_decreases_when_resources_grow(
        gir in 1u8..=4, plan in 0i64..300_000, r1 in 0i64..600_000, extra in 0i64..200_000,
        couple in any::<bool>(), date in date_strategy(),
    ) {
        let p = params();
        let low = apa::simulate_domicile(p, &apa_input(gir, plan, r1, couple, date)).unwrap();
        let high = apa::simulate_domicile(p, &apa_input(gir, plan, r1 + extra, couple, date)).unwrap();
        prop_assert!(high.participation >= low.participation);
        prop_assert!(high.montant_calcule <= low.montant_calcule);
    }

    #[test]
    fn apa_participation_stays_between_zero_and_90_percent_of_the_plan(
        gir in 1u8..=4, plan in 0i64..300_000, r in 0i64..800_000, couple in any::<bool>(),
        date in date_strategy(),
    ) {
        let res = apa::simulate_domicile(params(), &apa_input(gir, plan, r, couple, date)).unwrap();
        prop_assert!(res.participation >= Euros::ZERO);
        // 90 % of the plan retained, rounded to the cent like the participation itself.
        let cap = (res.plan_retenu.cents() * 9 + 5) / 10;
        prop_assert!(res.participation.cents() <= cap, "{:?} > {cap}", res.participation);
    }

    #[test]
    fn apa_never_exceeds_the_gir_ceiling_nor_the_plan(
        gir in 1u8..=6, plan in 0i64..400_000, r in 0i64..800_000, date in date_strategy(),
    ) {
        let res = apa::simulate_domicile(params(), &apa_input(gir, plan, r, false, date)).unwrap();
        prop_assert!(res.apa <= res.plafond);
        prop_assert!(res.apa.cents() <= plan);
        prop_assert!(res.apa >= Euros::ZERO);
        if !Gir::new(gir).unwrap().opens_apa() {
            prop_assert_eq!(res.apa, Euros::ZERO);
        }
    }

    #[test]
    fn apa_etablissement_participation_is_at_least_the_gir_5_6_tariff(
        t56 in 0i64..60_000, extra in 0i64..80_000, r in 0i64..800_000, date in date_strategy(),
    ) {
        let input: apa::ApaEtablissementInput = serde_json::from_value(serde_json::json!({
            "gir": 1, "tarif_gir": (t56 + extra) as f64 / 100.0, "tarif_gir_5_6": t56 as f64 / 100.0,
            "ressources": r as f64 / 100.0, "date": date.to_string(), "age": 85,
        })).unwrap();
        let res = apa::simulate_etablissement(params(), &input).unwrap();
        prop_assert!(res.participation.cents() >= t56);
        prop_assert!(res.apa.cents() <= extra);
    }

    #[test]
    fn pch_rate_is_80_or_100_percent(
        ressources in proptest::option::of(0i64..10_000_000), date in date_strategy(),
        heures in 0u32..400, abs in 0u32..3, graves in 0u32..4,
    ) {
        let input: pch::PchInput = serde_json::from_value(serde_json::json!({
            "age": 40, "difficultes_absolues": abs, "difficultes_graves": graves,
            "ressources_annuelles": ressources.map(|r| r as f64 / 100.0),
            "heures_emploi_direct": heures, "date": date.to_string(),
        })).unwrap();
        let res = pch::simulate(params(), &input).unwrap();
        let rate = res.taux_prise_en_charge;
        prop_assert!(rate == Decimal::ONE || rate == Decimal::new(8, 1), "{rate}");
        if !res.verdict.eligible {
            prop_assert_eq!(res.total_mensuel, Euros::ZERO);
        }
    }

    #[test]
    fn aah_never_exceeds_the_full_rate_and_falls_as_resources_grow(
        r1 in 0i64..3_000_000, extra in 0i64..1_000_000, earnings in 0i64..300_000,
        taux in 50u32..100, enfants in 0u32..4, date in date_strategy(),
    ) {
        let make = |r: i64| -> aah::AahInput {
            serde_json::from_value(serde_json::json!({
                "taux_incapacite": taux, "rsdae": true, "age": 40, "enfants_a_charge": enfants,
                "ressources_annuelles": r as f64 / 100.0,
                "revenus_activite_mensuels": earnings as f64 / 100.0,
                "date": date.to_string(),
            })).unwrap()
        };
        let low = aah::simulate(params(), &make(r1)).unwrap();
        let high = aah::simulate(params(), &make(r1 + extra)).unwrap();
        prop_assert!(low.aah <= low.montant_maximum);
        prop_assert!(high.aah <= low.aah);
        prop_assert!(high.aah >= Euros::ZERO);
    }
}
