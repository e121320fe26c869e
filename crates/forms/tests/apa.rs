#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The shipped APA definition: a complete submission validates, and its conditions route as the Cerfa says.

use std::path::Path;

use chrono::NaiveDate;
use guichet_forms::{Answers, FormDefinition};
use serde_json::json;

fn apa() -> FormDefinition {
    FormDefinition::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../../forms/apa.toml")).unwrap()
}

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 23).unwrap()
}

fn complete() -> Answers {
    serde_json::from_str(include_str!("fixtures/apa_complete.json")).unwrap()
}

#[test]
fn a_complete_apa_submission_is_valid_and_normalised() {
    let f = apa();
    let mut answers = complete();
    let dropped = f.normalize_answers(&mut answers, today());
    assert!(dropped.is_empty(), "{dropped:?}");
    assert_eq!(f.validate_all(&answers, today()), vec![]);
    assert_eq!(answers["commune"], json!("93066"));
    assert_eq!(answers["revenus_annuels"], json!(1_850_000));
    assert_eq!(answers["courriel"], json!("claire.martin@exemple.fr"));
    assert_eq!(answers["vit_seul"], json!(true));
}

#[test]
fn the_autonomy_questionnaire_routes_to_the_caisse_de_retraite_step_below_two_no() {
    let f = apa();
    let mut answers = complete();
    assert_eq!(
        f.next_step("autonomie", &answers, today()).unwrap(),
        Some("aides_actuelles")
    );
    answers.insert("seul_toilette".into(), json!("oui"));
    assert_eq!(
        f.next_step("autonomie", &answers, today()).unwrap(),
        Some("orientation")
    );
}

#[test]
fn the_spouse_step_appears_for_couples_only() {
    let f = apa();
    let mut answers = complete();
    assert!(!f.visible_steps(&answers, today()).contains(&"conjoint"));
    answers.insert("situation".into(), json!("pacse"));
    assert!(f.visible_steps(&answers, today()).contains(&"conjoint"));
    assert_eq!(f.simulation_values(&answers, today())["couple"], json!(true));
}

#[test]
fn an_applicant_under_60_is_told_so() {
    let f = apa();
    let mut answers = complete();
    answers.insert("date_naissance".into(), json!("01/01/1970"));
    let errors = f.validate_step("identite", &answers, today()).unwrap();
    assert_eq!(
        errors[0].message,
        "La personne doit avoir au moins 60 ans pour demander l’APA"
    );
}

#[test]
fn owners_must_send_their_property_tax_notice() {
    let f = apa();
    let mut answers = complete();
    answers.remove("taxe_fonciere");
    let errors = f.validate_step("pieces", &answers, today()).unwrap();
    assert_eq!(
        errors[0].message,
        "Ajoutez le document « Dernier avis de taxe foncière »"
    );
    answers.insert("statut_logement".into(), json!("locataire"));
    answers.insert("biens_non_loues".into(), json!("non"));
    assert!(f.validate_step("pieces", &answers, today()).unwrap().is_empty());
}

#[test]
fn unrented_property_needs_a_rental_value() {
    let f = apa();
    let mut answers = complete();
    answers.remove("valeur_locative_bati");
    let errors = f.validate_step("ressources", &answers, today()).unwrap();
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].field, "valeur_locative_bati");
}

#[test]
fn the_simulation_gets_its_inputs() {
    let f = apa();
    let mut answers = complete();
    f.normalize_answers(&mut answers, today());
    let v = f.simulation_values(&answers, today());
    assert_eq!(v["revenus_annuels"], json!("18500.00"));
    assert_eq!(v["capitaux"], json!("25000.00"));
    assert_eq!(v["date_naissance"], json!("1940-03-27"));
    assert_eq!(v["couple"], json!(false));
}

#[test]
fn the_summary_shows_the_commune_name_and_hides_nothing_typed() {
    let f = apa();
    let mut answers = complete();
    f.normalize_answers(&mut answers, today());
    let rows: Vec<_> = f
        .summary(&answers, today())
        .into_iter()
        .flat_map(|s| s.rows)
        .collect();
    let row = |id: &str| rows.iter().find(|r| r.field == id).unwrap();
    assert_eq!(row("commune").value, "Saint-Denis");
    assert_eq!(row("revenus_annuels").value, "18 500 €");
    assert!(row("seul_toilette").sensitive);
    assert_eq!(row("piece_identite").value, "cni.pdf");
}

#[test]
fn the_step_view_of_the_address_offers_the_communes_of_the_postal_code() {
    let f = apa();
    let mut answers = complete();
    f.normalize_answers(&mut answers, today());
    let view = f.step_view("coordonnees", &answers, &[], today()).unwrap();
    let commune = view.fields.iter().find(|x| x.id == "commune").unwrap();
    assert_eq!(commune.options.len(), 1);
    assert!(commune.options[0].checked);
    let tel = view.fields.iter().find(|x| x.id == "telephone").unwrap();
    assert_eq!(
        (tel.input_type, tel.inputmode, tel.value.as_str()),
        ("tel", Some("tel"), "01 48 00 00 00")
    );
    assert_eq!(view.previous_step.as_deref(), Some("identite"));
}

#[test]
fn the_commune_is_shown_by_name_and_chosen_in_the_postal_code_list() {
    let f = apa();
    let mut answers = complete();
    f.normalize_answers(&mut answers, today());
    let view = f.step_view("coordonnees", &answers, &[], today()).unwrap();
    let commune = view.fields.iter().find(|v| v.id == "commune").unwrap();
    assert_eq!(commune.input_type, "select");
    assert_eq!(commune.value, "Saint-Denis");
    assert_eq!(commune.postal_code_name.as_deref(), Some("code_postal"));
    let chosen: Vec<_> = commune.options.iter().filter(|o| o.checked).collect();
    assert_eq!(chosen.len(), 1);
    assert_eq!(
        (chosen[0].value.as_str(), chosen[0].label.as_str()),
        ("93066", "Saint-Denis")
    );
    // Before the postal code is known: a text input.
    answers.remove("code_postal");
    let view = f.step_view("coordonnees", &answers, &[], today()).unwrap();
    let commune = view.fields.iter().find(|v| v.id == "commune").unwrap();
    assert_eq!(commune.input_type, "text");
    assert_eq!(commune.value, "Saint-Denis");
}

#[test]
fn check_your_answers_has_no_computed_value() {
    let f = apa();
    let mut answers = complete();
    f.normalize_answers(&mut answers, today());
    let fields: Vec<String> = f
        .answers_summary(&answers, today())
        .into_iter()
        .flat_map(|s| s.rows)
        .map(|r| r.field)
        .collect();
    assert!(fields.iter().any(|r| r == "situation"));
    assert!(!fields.iter().any(|r| r == "couple"), "{fields:?}");
}
