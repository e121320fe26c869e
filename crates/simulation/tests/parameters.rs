//! Parameter checks, as in OpenFisca's test_parameters.py: every parameter resolves on every day from
//! 2024-01-01 to today, every value carries a reference, and every change of value takes effect exactly
//! on its `since` date.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::{Days, NaiveDate};
use guichet_simulation::Parameters;

const FIRST_DAY: (i32, u32, u32) = (2024, 1, 1);
/// "Today" for this release of the parameters; move it when the parameters are reviewed.
const LAST_DAY: (i32, u32, u32) = (2026, 11, 23);

fn day((y, m, d): (i32, u32, u32)) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

#[test]
fn every_parameter_resolves_on_every_day_from_2024_to_today() {
    let p = Parameters::load().unwrap();
    let mut missing = Vec::new();
    for (name, param) in p.all() {
        let mut d = day(FIRST_DAY);
        while d <= day(LAST_DAY) {
            if param.at(&name, d).is_err() {
                missing.push(format!("{name} au {d}"));
                break;
            }
            d = d + Days::new(1);
        }
    }
    assert!(missing.is_empty(), "sans valeur : {missing:?}");
}

#[test]
fn every_value_has_a_reference_a_description_and_a_unit() {
    let p = Parameters::load().unwrap();
    for (name, param) in p.all() {
        assert!(!param.description.trim().is_empty(), "{name}: description");
        assert!(!param.unit.trim().is_empty(), "{name}: unit");
        for v in &param.values {
            assert!(
                !v.reference.trim().is_empty(),
                "{name} au {}: référence manquante",
                v.since
            );
        }
    }
    for dep in &p.amethyste.departements {
        assert!(!dep.reference.trim().is_empty(), "{}", dep.code);
    }
}

#[test]
fn each_value_takes_effect_on_its_since_date_and_not_the_day_before() {
    let p = Parameters::load().unwrap();
    for (name, param) in p.all() {
        for pair in param.values.windows(2) {
            let (old, new) = (&pair[0], &pair[1]);
            let before = new.since.pred_opt().unwrap();
            assert_eq!(
                param.at(&name, before).unwrap().value,
                old.value,
                "{name} la veille du {}",
                new.since
            );
            assert_eq!(
                param.at(&name, new.since).unwrap().value,
                new.value,
                "{name} le {}",
                new.since
            );
        }
    }
}

#[test]
fn the_validity_date_is_never_before_the_last_value() {
    let p = Parameters::load().unwrap();
    for (name, param) in p.all() {
        let last = param.values.last().unwrap();
        assert!(param.last_value_still_valid_on >= last.since, "{name}");
    }
}

/// Not a failure: the list of parameters whose latest value is not confirmed up to today, so that a
/// reviewer sees them in the test output (`cargo test -- --nocapture`). The crate README lists them too.
#[test]
fn parameters_not_confirmed_up_to_today_are_listed() {
    let p = Parameters::load().unwrap();
    let stale: Vec<String> = p
        .all()
        .into_iter()
        .filter(|(_, param)| param.revalued && param.is_unconfirmed_on(day(LAST_DAY)))
        .map(|(name, param)| format!("{name} (confirmé jusqu’au {})", param.last_value_still_valid_on))
        .collect();
    println!(
        "Paramètres non confirmés au {:?} :\n{}",
        LAST_DAY,
        stale.join("\n")
    );
    // Guard against silently growing the list: update this bound only with a README change.
    assert!(stale.len() <= 18, "{stale:?}");
}

#[test]
fn only_amounts_are_revalued_and_every_unconfirmed_value_says_why() {
    // The warning « peut-être revalorisée depuis » only makes sense for an amount that moves (MTP, SMIC,
    // AAH, tariffs, prices); ages, rates and coefficients change only with a new text.
    let p = Parameters::load().unwrap();
    for (name, param) in p.all() {
        if param.revalued {
            assert!(
                param.unit.starts_with("EUR"),
                "{name}: revalued but unit {}",
                param.unit
            );
        }
        if ["ans", "mois", "/1", "%"].contains(&param.unit.as_str()) || param.unit.starts_with('×') {
            assert!(
                !param.revalued,
                "{name}: an age, a period, a rate or a coefficient is not revalued"
            );
        }
        for v in param.values.iter().filter(|v| v.unconfirmed) {
            assert!(
                v.notes.as_deref().is_some_and(|n| !n.trim().is_empty()),
                "{name} au {}: valeur non confirmée sans explication",
                v.since
            );
        }
    }
    for name in [
        "common.mtp",
        "common.smic_horaire_brut",
        "aah.montant_maximum",
        "pch.tarif_emploi_direct",
    ] {
        assert!(
            p.all().iter().any(|(n, param)| n == name && param.revalued),
            "{name}"
        );
    }
    for name in [
        "aah.age_fin_taux_partiel",
        "pch.age_limite",
        "apa_domicile.plafond_gir_1",
        "pch.taux_reduit",
    ] {
        assert!(
            p.all().iter().any(|(n, param)| n == name && !param.revalued),
            "{name}"
        );
    }
}

#[test]
fn a_misspelt_parameter_fails_at_load() {
    // The loader uses deny_unknown_fields and no defaults: a renamed key in a file is an error.
    let text = include_str!("../parameters/apa/etablissement.toml").replace("[seuil_bas]", "[seuil_bass]");
    assert!(toml::from_str::<guichet_simulation::ApaEtablissementParams>(&text).is_err());
}

#[test]
fn amounts_used_by_apa_match_the_published_2026_tables() {
    // CNSA table "Tarifs APA au 1er janvier 2026": GIR 1 ceiling 2 080,33, GIR 4 811,52.
    use guichet_simulation::apa::{ApaDomicileInput, simulate_domicile};
    let p = Parameters::load().unwrap();
    for (gir, ceiling) in [(1u8, 208_033i64), (2, 168_230), (3, 121_599), (4, 81_152)] {
        let input: ApaDomicileInput = serde_json::from_value(serde_json::json!({
            "gir": gir, "plan": 5000, "ressources": 0, "date": "2026-01-01", "age": 80
        }))
        .unwrap();
        let r = simulate_domicile(&p, &input).unwrap();
        assert_eq!(r.plafond.cents(), ceiling, "GIR {gir}");
    }
}
