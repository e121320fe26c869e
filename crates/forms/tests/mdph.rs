#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The shipped MDPH definition: task list, child and adult paths, documents.

use std::path::Path;

use chrono::NaiveDate;
use guichet_forms::{Answers, FormDefinition, TaskStatus};
use serde_json::json;

fn mdph() -> FormDefinition {
    FormDefinition::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../../forms/mdph.toml")).unwrap()
}

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 23).unwrap()
}

fn adult() -> Answers {
    serde_json::from_str(include_str!("fixtures/mdph_complete.json")).unwrap()
}

#[test]
fn a_complete_adult_request_is_valid_and_every_task_is_completed() {
    let f = mdph();
    let mut answers = adult();
    assert!(f.normalize_answers(&mut answers, today()).is_empty());
    assert_eq!(f.validate_all(&answers, today()), vec![]);
    assert!(f.has_task_list());
    let tasks = f.task_list(&answers, today());
    let ids: Vec<&str> = tasks.iter().map(|t| t.section.as_str()).collect();
    assert_eq!(
        ids,
        vec!["a", "b", "d", "e", "f", "pieces"],
        "no schooling part for this adult"
    );
    assert!(
        tasks.iter().all(|t| t.status == TaskStatus::Completed),
        "{tasks:?}"
    );
}

#[test]
fn a_child_gets_the_parents_and_schooling_parts_and_no_work_part() {
    let f = mdph();
    let mut answers = adult();
    answers.insert("date_naissance".into(), json!("2016-02-01"));
    answers.insert("scolarise".into(), json!(true));
    let steps = f.visible_steps(&answers, today());
    assert!(steps.contains(&"a_parents"));
    assert!(steps.contains(&"c_scolarite"));
    assert!(!steps.contains(&"a_protection"));
    assert!(!steps.contains(&"d_situation"));
    f.normalize_answers(&mut answers, today());
    assert!(
        !answers.contains_key("protection"),
        "the adult-only answers are dropped"
    );
    assert!(!answers.contains_key("jugement_protection"));
    let errors = f.validate_step("a_parents", &answers, today()).unwrap();
    assert_eq!(errors[0].message, "Ajoutez au moins un parent");
}

#[test]
fn a_medical_certificate_older_than_12_months_is_refused() {
    let f = mdph();
    let mut answers = adult();
    answers.insert(
        "certificat_medical".into(),
        json!([{"id": "x", "name": "certificat.pdf", "size": 1000, "content_type": "application/pdf", "document_date": "2025-10-01"}]),
    );
    let errors = f.validate_step("pieces", &answers, today()).unwrap();
    assert_eq!(
        errors[0].message,
        "Le justificatif doit dater de moins de 12 mois, c’est-à-dire du 23 novembre 2025 ou après."
    );
}

#[test]
fn rights_must_be_chosen_unless_the_request_is_generic() {
    let f = mdph();
    let mut answers = adult();
    answers.remove("droits_adulte");
    let errors = f.validate_step("e_demandes", &answers, today()).unwrap();
    assert_eq!(errors[0].message, "Sélectionnez au moins une réponse");
    answers.insert("demande_generique".into(), json!(true));
    assert!(
        f.validate_step("e_demandes", &answers, today())
            .unwrap()
            .is_empty()
    );
}

#[test]
fn health_answers_are_flagged_sensitive() {
    let f = mdph();
    let sensitive = f.sensitive_fields();
    for id in ["besoins", "projet_de_vie", "certificat_medical"] {
        assert!(sensitive.contains(&id), "{id}");
    }
}

fn pch() -> FormDefinition {
    FormDefinition::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../../forms/pch.toml")).unwrap()
}

#[test]
fn pch_asks_only_the_elements_requested() {
    let f = pch();
    let answers: Answers = json!({"demande_pour": "moi", "elements": ["aides_techniques", "parentalite"]})
        .as_object()
        .unwrap()
        .clone();
    let steps = f.visible_steps(&answers, today());
    assert_eq!(
        steps,
        vec![
            "pour_qui",
            "identite",
            "elements",
            "aides_techniques",
            "parentalite",
            "pieces",
            "engagements"
        ]
    );
}

#[test]
fn pch_parenting_help_is_for_children_under_7() {
    let f = pch();
    let answers: Answers = json!({
        "elements": ["parentalite"],
        "enfants": [{"enfant_prenom": "Lou", "enfant_naissance": "2018-01-01"}],
        "parentalite_besoins": "Le bain"
    })
    .as_object()
    .unwrap()
    .clone();
    let errors = f.validate_step("parentalite", &answers, today()).unwrap();
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].key, "enfants.0.enfant_naissance");
    assert_eq!(
        errors[0].message,
        "L’aide à la parentalité concerne les enfants de moins de 7 ans"
    );
}

#[test]
fn pch_technical_aids_are_a_repeating_group_with_quotes() {
    let f = pch();
    let mut answers: Answers = json!({"elements": ["aides_techniques"]})
        .as_object()
        .unwrap()
        .clone();
    let input = vec![
        (
            "aides_techniques_liste.0.aide_technique_nom".to_string(),
            "Fauteuil roulant électrique".to_string(),
        ),
        (
            "aides_techniques_liste.0.aide_technique_montant".to_string(),
            "12 500".to_string(),
        ),
    ];
    let out = f
        .submit_step("aides_techniques", &input, &mut answers, today())
        .unwrap();
    assert_eq!(
        answers["aides_techniques_liste"][0]["aide_technique_montant"],
        json!(1_250_000)
    );
    assert_eq!(out.errors.len(), 1);
    assert_eq!(
        out.errors[0].message,
        "Ajoutez le document « Devis des aides techniques »"
    );
}

#[test]
fn the_start_page_lists_the_judgment_only_with_a_protection_measure() {
    let docs = mdph().documents_to_prepare();
    let certificate = docs
        .everyone
        .iter()
        .find(|d| d.label.starts_with("Certificat médical"));
    assert_eq!(
        certificate.and_then(|d| d.blank_form_url.as_deref()),
        Some("https://www.formulaires.service-public.fr/gf/cerfa_15695.do")
    );
    assert!(
        !docs.everyone.iter().any(|d| d.label.contains("jugement")),
        "{docs:?}"
    );
    assert!(
        docs.depending
            .iter()
            .any(|(when, d)| when.contains("mesure de protection")
                && d.iter().any(|d| d.label.contains("jugement"))),
        "{docs:?}"
    );
}

/// Review 2026-12 bug 6: the rights step offers the list of the person's age only (the other list's
/// condition reads the age from part A, which no answer on the page can change).
#[test]
fn the_rights_step_shows_the_list_of_the_persons_age_only() {
    let f = mdph();
    let shown = |birth: &str| -> Vec<String> {
        let mut answers = Answers::new();
        answers.insert("date_naissance".into(), json!(birth));
        let view = f.step_view("e_demandes", &answers, &[], today()).unwrap();
        view.fields
            .into_iter()
            .filter(|v| v.visible || v.conditional_on_same_step)
            .map(|v| v.id)
            .collect()
    };
    assert_eq!(shown("1958-04-12"), ["demande_generique", "droits_adulte"]);
    assert_eq!(shown("2016-04-12"), ["demande_generique", "droits_enfant"]);
}
