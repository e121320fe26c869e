#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Properties of normalisation: what the engine stores reads back the same, and checked identifiers
//! accept exactly the numbers whose key is right.

use chrono::NaiveDate;
use guichet_forms::{Answers, FormDefinition};
use guichet_types::{Euros, Iban, Nir, Phone};
use proptest::prelude::*;
use serde_json::json;

const FORM: &str = r#"
id = "p"
version = "1"
title = "Propriétés"

[[steps]]
id = "a"
title = "A"

[[steps.fields]]
id = "montant"
type = "money"
label = "Montant"

[[steps.fields]]
id = "date"
type = "date"
label = "Date"

[[steps.fields]]
id = "telephone"
type = "phone"
label = "Téléphone"
"#;

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 23).unwrap()
}

proptest! {
    #[test]
    fn money_shown_in_french_parses_back_to_the_same_cents(cents in 0i64..10_000_000_000) {
        let shown = guichet_forms::french_money(cents);
        prop_assert_eq!(Euros::parse(&shown).unwrap().cents(), cents);
    }

    #[test]
    fn normalising_twice_changes_nothing(cents in 0i64..1_000_000_000, days in 0i64..40_000, digits in 100_000_000u32..999_999_999) {
        let form = FormDefinition::from_toml(FORM, "p.toml").unwrap();
        let date = NaiveDate::from_ymd_opt(1910, 1, 1).unwrap() + chrono::Duration::days(days);
        let mut answers: Answers = json!({
            "montant": guichet_forms::french_money(cents),
            "date": date.format("%d/%m/%Y").to_string(),
            "telephone": format!("+33 6 {digits:08}").chars().take(15).collect::<String>(),
        }).as_object().unwrap().clone();
        form.normalize_answers(&mut answers, today());
        let once = answers.clone();
        form.normalize_answers(&mut answers, today());
        prop_assert_eq!(&once, &answers);
        prop_assert_eq!(&answers["montant"], &json!(cents));
        prop_assert_eq!(&answers["date"], &json!(date.format("%Y-%m-%d").to_string()));
    }

    #[test]
    fn a_nir_is_accepted_with_its_key_only(sex in prop::sample::select(vec![1u64, 2]), rest in 0u64..1_000_000_000_000, wrong in 1u64..97) {
        let body = sex * 1_000_000_000_000 + rest;
        let key = 97 - body % 97;
        let good = format!("{body:013}{key:02}");
        prop_assert!(Nir::parse(&good).is_ok());
        let bad_key = (key + wrong - 1) % 97 + 1;
        if bad_key != key {
            let bad = format!("{body:013}{bad_key:02}");
            prop_assert!(Nir::parse(&bad).is_err());
        }
    }

    #[test]
    fn french_ibans_built_with_their_check_digits_are_accepted(bban in "[0-9]{23}") {
        // ISO 13616: check digits = 98 - (BBAN + "FR00" as digits) mod 97.
        let numeric = format!("{bban}152700");
        let rem = numeric.bytes().fold(0u32, |r, b| (r * 10 + u32::from(b - b'0')) % 97);
        let iban = format!("FR{:02}{bban}", 98 - rem);
        prop_assert!(Iban::parse(&iban).is_ok(), "{}", iban);
    }

    #[test]
    fn phones_are_stored_in_national_form(n in 100_000_000u32..999_999_999) {
        let national = format!("0{n}");
        prop_assume!(!national.starts_with("00"));
        let international = format!("+33 {}", &national[1..]);
        let phone = Phone::parse(&international).unwrap();
        prop_assert_eq!(phone.as_str(), national.as_str());
    }
}
