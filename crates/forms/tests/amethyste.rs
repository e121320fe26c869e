#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Améthyste: one definition, a variant per département chosen at load.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use guichet_forms::{Answers, FormDefinition};
use serde_json::json;

fn path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../forms/amethyste.toml")
}

fn variant(v: &str) -> FormDefinition {
    FormDefinition::load_variant(&path(), Some(v)).unwrap()
}

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 23).unwrap()
}

fn options(f: &FormDefinition, field: &str) -> Vec<String> {
    f.field(field)
        .unwrap()
        .options
        .iter()
        .map(|o| o.value.clone())
        .collect()
}

fn senior_93() -> Answers {
    json!({
        "demande_pour": "moi",
        "categorie": "seniors",
        "nom": "Diallo",
        "prenoms": "Aminata",
        "date_naissance": "1960-05-01",
        "imposable": false,
        "adresse": "3 place de la Mairie",
        "code_postal": "93200",
        "commune": "93066",
        "date_arrivee": "2001-09-01",
        "zones": "1-5",
        "passe_navigo": true,
        "numero_navigo": "1234567890",
        "telephone": "0148000000",
        "piece_identite": [{"id": "h", "name": "cni.pdf", "size": 1, "content_type": "application/pdf"}],
        "justificatif_domicile": [{"id": "h2", "name": "edf.pdf", "size": 1, "content_type": "application/pdf", "document_date": "2026-10-02"}],
        "avis_imposition": [{"id": "h3", "name": "avis.pdf", "size": 1, "content_type": "application/pdf"}],
        "certification": ["exact"]
    })
    .as_object()
    .unwrap()
    .clone()
}

#[test]
fn each_departement_offers_its_own_categories_and_zones() {
    assert_eq!(
        options(&variant("93"), "categorie"),
        vec!["seniors", "handicap", "anciens_combattants"]
    );
    assert_eq!(
        options(&variant("94"), "categorie"),
        vec!["seniors", "handicap", "aeeh"]
    );
    assert_eq!(
        options(&variant("91"), "categorie"),
        vec!["seniors", "allocataires", "anciens_combattants"]
    );
    assert_eq!(options(&variant("92"), "zones"), vec!["1-5"]);
    assert_eq!(options(&variant("91"), "zones"), vec!["1-5", "3-5"]);
    assert_eq!(variant("95").variant(), Some("95"));
}

#[test]
fn a_complete_93_senior_request_is_valid() {
    let f = variant("93");
    assert_eq!(f.validate_all(&senior_93(), today()), vec![]);
    assert_eq!(
        f.simulation_values(&senior_93(), today())["residence_mois"],
        json!(302)
    );
}

#[test]
fn the_age_threshold_comes_from_the_variant() {
    // 66 years old: fine everywhere; 62: only in 93 (60), or in 92 when unfit for work.
    let mut answers = senior_93();
    answers.insert("date_naissance".into(), json!("1964-01-01"));
    assert!(
        variant("93")
            .validate_step("identite", &answers, today())
            .unwrap()
            .is_empty()
    );
    let f92 = variant("92");
    let mut a92 = answers.clone();
    a92.insert("code_postal".into(), json!("92240"));
    let errors = f92.validate_step("identite", &a92, today()).unwrap();
    assert_eq!(
        errors[0].field, "inapte_travail",
        "the unfit-for-work question is asked first"
    );
    a92.insert("inapte_travail".into(), json!(true));
    assert!(f92.validate_step("identite", &a92, today()).unwrap().is_empty());
    a92.insert("inapte_travail".into(), json!(false));
    let errors = f92.validate_step("identite", &a92, today()).unwrap();
    assert!(
        errors[0]
            .message
            .starts_with("Vous n’avez pas encore l’âge demandé")
    );
}

#[test]
fn the_residence_duration_and_postal_code_follow_the_departement() {
    let f = variant("93");
    let mut answers = senior_93();
    answers.insert("date_arrivee".into(), json!("2026-06-01"));
    let errors = f.validate_step("adresse", &answers, today()).unwrap();
    assert_eq!(
        errors[0].message,
        "Il faut habiter le département depuis au moins un an pour demander le forfait"
    );
    answers.insert("date_arrivee".into(), json!("2001-06-01"));
    answers.insert("code_postal".into(), json!("75011"));
    answers.insert("commune".into(), json!("75056"));
    let errors = f.validate_step("adresse", &answers, today()).unwrap();
    assert_eq!(errors[0].field, "code_postal");
    // 94 asks no residence duration.
    assert!(variant("94").field("date_arrivee").is_none());
}

#[test]
fn the_variant_is_chosen_by_configuration_in_load_dir() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../forms");
    let config = BTreeMap::from([("amethyste".to_string(), "94".to_string())]);
    let forms = guichet_forms::load_dir_with_variants(&dir, &config).unwrap();
    let a = forms.iter().find(|f| f.id() == "amethyste").unwrap();
    assert_eq!(a.variant(), Some("94"));
    let err = FormDefinition::load_variant(&path(), Some("77")).unwrap_err();
    assert!(err.to_string().contains("variante inconnue « 77 »"), "{err}");
}
