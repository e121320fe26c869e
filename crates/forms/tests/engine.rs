#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Journeys through a small definition: conditions, validation, dropping hidden answers, navigation,
//! view-models, summary and version migration.

use chrono::NaiveDate;
use guichet_forms::{Answers, FormDefinition, TaskStatus, migrate_answers};
use serde_json::json;

const SAMPLE: &str = include_str!("fixtures/sample.toml");

fn form() -> FormDefinition {
    FormDefinition::from_toml(SAMPLE, "sample.toml").unwrap_or_else(|e| panic!("{e:#?}"))
}

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 23).unwrap()
}

fn pairs(p: &[(&str, &str)]) -> Vec<(String, String)> {
    p.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

fn complete() -> Answers {
    json!({
        "nom": "Martin",
        "date_naissance": "1950-03-27",
        "situation_familiale": "couple",
        "nom_conjoint": "Durand",
        "proprietaire": true,
        "revenus": 120000,
        "revenus_conjoint": 80000,
        "taxe_fonciere": [{"id": "h1", "name": "taxe.pdf", "size": 1000, "content_type": "application/pdf"}]
    })
    .as_object()
    .unwrap()
    .clone()
}

#[test]
fn a_complete_submission_is_valid() {
    let f = form();
    assert_eq!(f.validate_all(&complete(), today()), vec![]);
}

#[test]
fn a_step_validates_only_its_visible_fields_with_gov_uk_messages() {
    let f = form();
    let mut answers = Answers::new();
    let out = f
        .submit_step(
            "identite",
            &pairs(&[
                ("nom", ""),
                ("date_naissance.jour", "27"),
                ("date_naissance.mois", "3"),
                ("date_naissance.annee", "2090"),
            ]),
            &mut answers,
            today(),
        )
        .unwrap();
    let msgs: Vec<(&str, &str)> = out
        .errors
        .iter()
        .map(|e| (e.field.as_str(), e.message.as_str()))
        .collect();
    assert_eq!(
        msgs,
        vec![
            ("nom", "Saisissez votre nom de naissance"),
            ("date_naissance", "La date doit être dans le passé")
        ]
    );
    // What was typed is kept for redisplay.
    assert_eq!(answers["date_naissance"], json!("27/3/2090"));
    let view = f.step_view("identite", &answers, &out.errors, today()).unwrap();
    let date = view.fields[1].date.as_ref().unwrap();
    assert_eq!(
        (date.jour.as_str(), date.mois.as_str(), date.annee.as_str()),
        ("27", "3", "2090")
    );
    assert_eq!(
        view.fields[1].error.as_deref(),
        Some("La date doit être dans le passé")
    );
    assert_eq!(
        view.fields[1].hint_falc.as_deref(),
        Some("Le jour, le mois et l’année où vous êtes né.")
    );
    assert_eq!(view.fields[1].autocomplete.as_deref(), Some("bday"));
    assert!(!view.fields[2].required, "the NIR is optional");
}

#[test]
fn a_valid_step_is_normalised_and_points_to_the_next_visible_step() {
    let f = form();
    let mut answers = Answers::new();
    let out = f
        .submit_step(
            "identite",
            &pairs(&[("nom", " Martin "), ("date_naissance", "27/03/1950"), ("nir", "")]),
            &mut answers,
            today(),
        )
        .unwrap();
    assert!(out.errors.is_empty(), "{:?}", out.errors);
    assert_eq!(answers["date_naissance"], json!("1950-03-27"));
    assert_eq!(answers["nom"], json!("Martin"));
    assert_eq!(out.next_step.as_deref(), Some("situation"));
}

#[test]
fn a_conditional_field_is_required_only_when_shown() {
    let f = form();
    let mut answers = complete();
    let out = f
        .submit_step(
            "situation",
            &pairs(&[("situation_familiale", "couple"), ("proprietaire", "non")]),
            &mut answers,
            today(),
        )
        .unwrap();
    assert_eq!(out.errors.len(), 1);
    assert_eq!(out.errors[0].message, "Saisissez le nom de votre conjoint");
    let out = f
        .submit_step(
            "situation",
            &pairs(&[("situation_familiale", "seul"), ("proprietaire", "non")]),
            &mut answers,
            today(),
        )
        .unwrap();
    assert!(out.errors.is_empty());
}

#[test]
fn answers_hidden_by_a_changed_condition_are_dropped() {
    let f = form();
    let mut answers = complete();
    let input = pairs(&[
        ("situation_familiale", "seul"),
        ("nom_conjoint", "Durand"),
        ("proprietaire", "oui"),
    ]);
    let out = f.submit_step("situation", &input, &mut answers, today()).unwrap();
    assert!(out.dropped.contains(&"nom_conjoint".to_string()));
    assert!(out.dropped.contains(&"revenus_conjoint".to_string()));
    assert!(!answers.contains_key("revenus_conjoint"));
    assert!(!answers.contains_key("nom_conjoint"));
    assert_eq!(f.computed_values(&answers, today())["total"], json!(120000));
}

#[test]
fn a_step_hidden_by_age_is_skipped_by_navigation() {
    let f = form();
    let answers = complete();
    assert_eq!(
        f.next_step("situation", &answers, today()).unwrap(),
        Some("ressources")
    );
    assert_eq!(
        f.previous_step("ressources", &answers, today()).unwrap(),
        Some("situation")
    );
    let mut young = complete();
    young.insert("date_naissance".into(), json!("1990-01-01"));
    assert_eq!(
        f.next_step("situation", &young, today()).unwrap(),
        Some("enfants_etape")
    );
}

#[test]
fn repeating_groups_validate_each_item_and_item_conditions() {
    let f = form();
    let mut answers = complete();
    answers.insert("date_naissance".into(), json!("1990-01-01"));
    let input = pairs(&[
        ("enfants.0.prenom_enfant", "Léa"),
        ("enfants.0.scolarise", "oui"),
        ("enfants.0.ecole", ""),
        ("enfants.1.prenom_enfant", "Tom"),
        ("enfants.1.scolarise", "non"),
        ("enfants.1.ecole", "École fantôme"),
    ]);
    let out = f
        .submit_step("enfants_etape", &input, &mut answers, today())
        .unwrap();
    assert_eq!(out.errors.len(), 1);
    assert_eq!(out.errors[0].key, "enfants.0.ecole");
    assert_eq!(out.errors[0].message, "Saisissez nom de l’école");
    // The hidden school of the second child is dropped.
    assert_eq!(
        answers["enfants"][1],
        json!({"prenom_enfant": "Tom", "scolarise": false})
    );
    let view = f
        .step_view("enfants_etape", &answers, &out.errors, today())
        .unwrap();
    assert_eq!(view.fields[0].items.len(), 2);
    assert_eq!(view.fields[0].items[0].title, "Enfant 1");
    assert_eq!(
        view.fields[0].items[0].fields[2].error.as_deref(),
        Some("Saisissez nom de l’école")
    );
}

#[test]
fn a_group_above_its_maximum_is_refused() {
    let f = form();
    let mut answers = complete();
    answers.insert("date_naissance".into(), json!("1990-01-01"));
    let item = json!({"prenom_enfant": "A", "scolarise": false});
    answers.insert("enfants".into(), json!([item, item, item, item]));
    let errors = f.validate_step("enfants_etape", &answers, today()).unwrap();
    assert_eq!(
        errors[0].message,
        "Vous pouvez ajouter 3 éléments au maximum (enfant)"
    );
}

#[test]
fn cross_field_rules_show_their_message_on_their_field() {
    let f = form();
    let mut answers = complete();
    let out = f
        .submit_step(
            "ressources",
            &pairs(&[("revenus", "1200"), ("revenus_conjoint", "200000")]),
            &mut answers,
            today(),
        )
        .unwrap();
    assert_eq!(out.errors.len(), 1);
    assert_eq!(out.errors[0].field, "revenus_conjoint");
    assert_eq!(
        out.errors[0].message,
        "Les revenus du conjoint semblent trop élevés : vérifiez le montant"
    );
}

#[test]
fn a_file_is_required_only_for_owners() {
    let f = form();
    let mut answers = complete();
    answers.remove("taxe_fonciere");
    let errors = f.validate_step("documents", &answers, today()).unwrap();
    assert_eq!(
        errors[0].message,
        "Ajoutez le document « Votre dernier avis de taxe foncière »"
    );
    answers.insert("proprietaire".into(), json!(false));
    assert!(
        f.validate_step("documents", &answers, today())
            .unwrap()
            .is_empty()
    );
}

#[test]
fn the_summary_groups_rows_by_section_with_french_formats() {
    let f = form();
    let summary = f.summary(&complete(), today());
    let titles: Vec<&str> = summary.iter().map(|s| s.title.as_str()).collect();
    assert_eq!(titles, vec!["Vous", "Votre foyer", "Pièces justificatives"]);
    let row = |label: &str| {
        summary
            .iter()
            .flat_map(|s| &s.rows)
            .find(|r| r.label == label)
            .unwrap()
            .value
            .clone()
    };
    assert_eq!(row("Votre date de naissance"), "27 mars 1950");
    assert_eq!(row("Vos revenus mensuels"), "1 200 €");
    assert_eq!(row("Total des revenus du foyer"), "2 000 €");
    assert_eq!(row("Votre numéro de sécurité sociale"), "Non renseigné");
    assert_eq!(row("Quelle est votre situation familiale ?"), "En couple");
    assert_eq!(row("Êtes-vous propriétaire de votre logement ?"), "Oui");
}

#[test]
fn the_task_list_reports_statuses() {
    let f = form();
    let mut answers = complete();
    answers.remove("revenus");
    let tasks = f.task_list(&answers, today());
    let status: Vec<(&str, TaskStatus)> = tasks.iter().map(|t| (t.section.as_str(), t.status)).collect();
    assert_eq!(
        status,
        vec![
            ("vous", TaskStatus::Completed),
            ("foyer", TaskStatus::InProgress),
            ("pieces", TaskStatus::Completed)
        ]
    );
    assert!(
        f.task_list(&Answers::new(), today())
            .iter()
            .all(|t| t.status == TaskStatus::NotStarted)
    );
}

#[test]
fn simulation_inputs_follow_the_mapping() {
    let f = form();
    let values = f.simulation_values(&complete(), today());
    assert_eq!(values["date_naissance"], json!("1950-03-27"));
    assert_eq!(values["revenus_foyer"], json!("2000.00"));
}

#[test]
fn a_compatible_new_version_keeps_the_draft() {
    let old = form();
    let new = FormDefinition::from_toml(
        &SAMPLE.replace("version = \"1\"", "version = \"2\""),
        "sample.toml",
    )
    .unwrap();
    assert_ne!(old.hash(), new.hash());
    let (answers, recheck) = migrate_answers(&old, &new, &complete(), today());
    assert_eq!(answers, complete());
    assert!(recheck.is_empty(), "{recheck:?}");
}

#[test]
fn a_removed_option_and_a_new_required_question_are_to_be_rechecked() {
    let old = form();
    let text = SAMPLE
        .replace(
            "  { value = \"couple\", label = \"En couple\" },\n",
            "  { value = \"marie\", label = \"Marié\" },\n",
        )
        .replace(
            "situation_familiale == 'couple'",
            "situation_familiale == 'marie'",
        )
        .replace(
            "situation_familiale != 'couple'",
            "situation_familiale != 'marie'",
        )
        + "\n[[steps.fields]]\nid = \"nouvelle\"\ntype = \"text\"\nlabel = \"Une nouvelle question\"\n";
    let new = FormDefinition::from_toml(&text, "sample.toml").unwrap_or_else(|e| panic!("{e:#?}"));
    let (answers, recheck) = migrate_answers(&old, &new, &complete(), today());
    assert!(!answers.contains_key("situation_familiale"));
    assert!(
        !answers.contains_key("nom_conjoint"),
        "hidden once the situation is unknown"
    );
    assert_eq!(
        recheck,
        vec!["nouvelle".to_string(), "situation_familiale".to_string()]
    );
}

#[test]
fn the_content_hash_is_the_sha256_of_the_text() {
    assert_eq!(form().hash(), guichet_forms::content_hash(SAMPLE));
    assert_eq!(form().hash().len(), 64);
}

#[test]
fn the_json_schema_describes_the_format() {
    let schema: serde_json::Value = serde_json::from_str(&guichet_forms::definition_json_schema()).unwrap();
    assert!(schema["properties"]["steps"].is_object());
    let required = schema["required"].as_array().unwrap();
    assert!(required.contains(&json!("title")), "{required:?}");
    let step_required = schema["$defs"]["Step"]["required"].as_array().unwrap();
    assert!(step_required.contains(&json!("title")));
    assert!(step_required.contains(&json!("id")));
    assert!(schema.to_string().contains("visible_if"));
}

#[test]
fn definitions_can_be_shared_between_threads() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<FormDefinition>();
}

#[test]
fn group_items_are_added_up_to_the_maximum_and_removed() {
    let f = form();
    let mut answers = Answers::new();
    for i in 0..3 {
        assert_eq!(f.add_group_item(&mut answers, "enfants"), Some(i));
    }
    assert_eq!(f.add_group_item(&mut answers, "enfants"), None, "max_items = 3");
    assert_eq!(f.add_group_item(&mut answers, "nom"), None, "not a group");
    assert!(f.remove_group_item(&mut answers, "enfants", 1));
    assert_eq!(answers["enfants"].as_array().unwrap().len(), 2);
    assert!(!f.remove_group_item(&mut answers, "enfants", 5));
}

#[test]
fn the_expected_decision_date_follows_the_legal_deadline() {
    let filed = NaiveDate::from_ymd_opt(2026, 12, 31).unwrap();
    assert_eq!(
        form().expected_decision_date(filed),
        NaiveDate::from_ymd_opt(2027, 2, 28)
    );
}
