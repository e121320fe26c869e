#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Each broken definition under `fixtures/broken/` is rejected with the right message, naming its step
//! and field; each shipped definition under `forms/` passes.

use std::path::{Path, PathBuf};

use guichet_forms::{CheckError, check_definition};

fn broken(name: &str) -> Vec<CheckError> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/broken")
        .join(format!("{name}.toml"));
    check_definition(&path)
}

/// Asserts exactly one error, at `step`/`field`, whose message contains `message`.
fn assert_rejected(name: &str, step: Option<&str>, field: Option<&str>, message: &str) {
    let errors = broken(name);
    assert_eq!(errors.len(), 1, "{name}: {errors:#?}");
    let e = &errors[0];
    assert_eq!(e.file, format!("{name}.toml"));
    assert_eq!(e.step.as_deref(), step, "{name}: {e}");
    assert_eq!(e.field.as_deref(), field, "{name}: {e}");
    assert!(
        e.message.contains(message),
        "{name}: expected « {message} » in « {e} »"
    );
}

#[test]
fn an_unknown_field_in_a_condition_is_named() {
    assert_rejected(
        "unknown_field",
        Some("a"),
        Some("detail"),
        "champ inconnu « revenu » dans l’expression",
    );
}

#[test]
fn comparing_a_yes_no_answer_with_text_is_a_type_error() {
    assert_rejected(
        "type_error",
        Some("a"),
        Some("adresse_bien"),
        "erreur de type dans l’expression : « proprietaire » est un booléen (oui/non) et ne peut pas être comparé à 'oui', qui est un texte",
    );
}

#[test]
fn a_duplicate_field_id_names_the_first_step() {
    assert_rejected(
        "duplicate_id",
        Some("b"),
        Some("nom"),
        "identifiant de champ en double (déjà utilisé à l’étape « a »)",
    );
}

#[test]
fn a_choice_value_used_in_a_condition_must_exist() {
    assert_rejected(
        "undefined_choice_value",
        Some("a"),
        Some("nom_conjoint"),
        "utilise la valeur « marie », qui n’est pas une option du champ « situation »",
    );
}

#[test]
fn a_step_whose_condition_is_always_false_is_refused() {
    assert_rejected(
        "unreachable_step",
        Some("b"),
        None,
        "l’étape ne peut jamais être affichée",
    );
}

#[test]
fn a_required_field_hidden_on_every_path_is_refused() {
    assert_rejected(
        "required_hidden",
        Some("b"),
        Some("nom_conjoint"),
        "champ obligatoire masqué dans tous les parcours",
    );
}

#[test]
fn a_file_field_needs_accepted_types() {
    assert_rejected(
        "file_without_accept",
        Some("pieces"),
        Some("avis_impot"),
        "champ fichier sans types acceptés (accept)",
    );
}

#[test]
fn a_field_without_french_label_is_refused() {
    assert_rejected(
        "missing_label",
        Some("a"),
        Some("nom"),
        "libellé en français manquant (label)",
    );
}

#[test]
fn a_condition_cannot_use_an_answer_asked_later() {
    assert_rejected(
        "later_field",
        Some("a"),
        None,
        "l’expression utilise le champ « revenus », qui n’est demandé qu’après",
    );
}

#[test]
fn a_cel_syntax_error_is_reported() {
    assert_rejected(
        "syntax_error",
        Some("a"),
        Some("detail"),
        "expression CEL invalide",
    );
}

#[test]
fn a_condition_must_be_boolean() {
    assert_rejected(
        "condition_not_boolean",
        Some("a"),
        Some("detail"),
        "doit donner vrai ou faux, pas un nombre entier",
    );
}

#[test]
fn a_misspelt_key_is_refused_by_the_toml_reader() {
    assert_rejected("unknown_key", None, None, "unknown field `visble_if`");
}

#[test]
fn a_duplicate_step_id_is_refused() {
    assert_rejected(
        "duplicate_step",
        Some("a"),
        None,
        "identifiant d’étape « a » en double",
    );
}

#[test]
fn a_date_bound_must_be_readable() {
    assert_rejected(
        "bad_date_bound",
        Some("a"),
        Some("date_naissance"),
        "max_date « hier » invalide",
    );
}

#[test]
fn a_choice_needs_options() {
    assert_rejected(
        "choice_without_options",
        Some("a"),
        Some("situation"),
        "champ à choix sans options",
    );
}

#[test]
fn a_step_in_an_unknown_section_is_refused() {
    assert_rejected("unknown_section", Some("a"), None, "section inconnue « vos »");
}

#[test]
fn an_unknown_function_is_refused() {
    assert_rejected(
        "unknown_function",
        Some("a"),
        Some("detail"),
        "fonction inconnue « age_of »",
    );
}

#[test]
fn a_rule_needs_a_french_message() {
    assert_rejected(
        "rule_without_message",
        Some("a"),
        Some("revenus"),
        "règle sans message d’erreur en français",
    );
}

#[test]
fn a_commune_needs_its_postal_code_field() {
    assert_rejected(
        "commune_without_postal_code",
        Some("a"),
        Some("commune"),
        "champ commune sans postal_code_field",
    );
}

#[test]
fn a_variant_list_must_name_declared_variants() {
    assert_rejected(
        "unknown_variant",
        Some("a"),
        Some("nom"),
        "variante inconnue « 39 » (déclarez-la dans [[variants]])",
    );
}

#[test]
fn variant_parameters_must_have_the_same_types() {
    assert_rejected(
        "variant_param_mismatch",
        None,
        None,
        "variante « 92 » : le paramètre « age_min » n’a pas le même type que dans « 93 »",
    );
}

#[test]
fn a_retention_needs_its_legal_basis() {
    assert_rejected(
        "retention_without_basis",
        None,
        None,
        "la base légale de la durée de conservation manque (retention.basis)",
    );
}

#[test]
fn a_retention_of_zero_is_refused() {
    assert_rejected(
        "retention_zero",
        None,
        None,
        "la durée de conservation (retention) doit être d’au moins 1 mois",
    );
}

#[test]
fn every_shipped_definition_states_its_retention_and_its_basis() {
    for p in shipped_definitions() {
        let def = guichet_forms::FormDefinition::load(&p).unwrap();
        let r = def
            .definition()
            .retention
            .clone()
            .unwrap_or_else(|| panic!("{}: no [retention]", p.display()));
        assert!(r.draft_months >= 1 && r.decided_years >= 1, "{}", p.display());
        assert!(r.basis.contains("5.1.e"), "{}: {}", p.display(), r.basis);
    }
}

#[test]
fn the_json_schema_describes_the_retention_section() {
    let v: serde_json::Value = serde_json::from_str(&guichet_forms::definition_json_schema()).unwrap();
    let r = &v["$defs"]["Retention"];
    assert!(r["properties"]["draft_months"].is_object(), "{r}");
    assert!(r["properties"]["decided_years"].is_object(), "{r}");
    let required: Vec<&str> = r["required"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|x| x.as_str())
        .collect();
    assert!(
        required.contains(&"basis") && required.contains(&"draft_months"),
        "{r}"
    );
}

#[test]
fn every_broken_fixture_has_a_test() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/broken");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| {
            e.unwrap()
                .path()
                .file_stem()
                .unwrap()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    names.sort();
    let this = include_str!("checker.rs");
    for n in &names {
        assert!(this.contains(&format!("\"{n}\"")), "fixture {n}.toml has no test");
        assert!(!broken(n).is_empty(), "{n}.toml passes the checker");
    }
    assert!(names.len() >= 12);
}

fn shipped_definitions() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../forms");
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    paths.sort();
    paths
}

#[test]
fn every_shipped_definition_passes_the_checker() {
    let paths = shipped_definitions();
    assert!(!paths.is_empty());
    for p in paths {
        let errors = check_definition(&p);
        assert!(
            errors.is_empty(),
            "{}:\n{}",
            p.display(),
            errors
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("\n")
        );
    }
}

#[test]
fn load_dir_loads_the_shipped_definitions_and_refuses_a_broken_one() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../forms");
    let forms = guichet_forms::load_dir(&dir).unwrap();
    assert!(forms.iter().any(|f| f.id() == "apa"));
    let tmp = tempfile::tempdir().unwrap();
    std::fs::copy(shipped_definitions()[0].clone(), tmp.path().join("ok.toml")).unwrap();
    std::fs::write(tmp.path().join("casse.toml"), "id = \"x\"\n").unwrap();
    let err = guichet_forms::load_dir(tmp.path()).unwrap_err();
    assert!(err.to_string().contains("casse.toml"), "{err}");
}

#[test]
fn the_sample_fixture_passes() {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/sample.toml");
    assert_eq!(check_definition(&p), vec![]);
}

#[test]
fn every_question_of_the_shipped_definitions_has_an_easy_read_hint() {
    for p in shipped_definitions() {
        let def = guichet_forms::FormDefinition::load(&p).unwrap();
        for step in def.steps() {
            for f in step
                .fields
                .iter()
                .flat_map(|f| std::iter::once(f).chain(f.fields.iter()))
            {
                let question = !matches!(
                    f.kind,
                    guichet_forms::FieldType::Static
                        | guichet_forms::FieldType::Computed
                        | guichet_forms::FieldType::Group
                );
                if question {
                    assert!(
                        f.hint_falc.as_deref().is_some_and(|h| !h.trim().is_empty()),
                        "{}: « {} » has no hint_falc",
                        p.display(),
                        f.id
                    );
                }
            }
        }
    }
}

#[test]
fn a_right_condition_naming_an_unknown_field_names_the_right() {
    assert_rejected(
        "right_unknown_field",
        None,
        None,
        "droit « repas » : la condition requested_if : champ inconnu « aides_demandees » dans l’expression",
    );
}

#[test]
fn a_right_condition_must_be_boolean() {
    assert_rejected(
        "right_not_boolean",
        None,
        None,
        "droit « repas » : la condition requested_if doit donner vrai ou faux",
    );
}

#[test]
fn a_duplicate_right_id_is_refused() {
    assert_rejected(
        "right_duplicate_id",
        None,
        None,
        "identifiant de droit « repas » en double",
    );
}

#[test]
fn a_right_must_name_a_declared_appeal() {
    assert_rejected(
        "right_unknown_appeal",
        None,
        None,
        "droit « repas » : voie de recours inconnue « mdph » (déclarez-la dans [[appeals]])",
    );
}

#[test]
fn a_party_must_name_fields_of_the_definition() {
    assert_rejected(
        "party_unknown_field",
        None,
        None,
        "parties.beneficiary.commune : le champ « ville » n’est pas un champ de la démarche",
    );
}

#[test]
fn a_conditional_document_says_in_words_when_it_is_asked() {
    assert_rejected(
        "conditional_document_without_asked_when",
        Some("pieces"),
        Some("taxe_fonciere"),
        "document demandé sous condition sans asked_when",
    );
}

#[test]
fn the_json_schema_describes_a_shared_part_placed_among_the_steps() {
    let v: serde_json::Value = serde_json::from_str(&guichet_forms::definition_json_schema()).unwrap();
    let p = &v["$defs"]["PartPlacement"];
    for key in ["part", "section", "omit_options"] {
        assert!(p["properties"][key].is_object(), "{key}: {p}");
    }
    assert!(
        v.to_string().contains("#/$defs/PartPlacement"),
        "the steps accept a placement"
    );
}

#[test]
fn every_procedure_asks_for_whom_through_the_shared_part() {
    for p in shipped_definitions() {
        let def = guichet_forms::FormDefinition::load(&p).unwrap();
        assert!(def.field("demande_pour").is_some(), "{}", p.display());
        let filer = def.definition().parties.as_ref().and_then(|x| x.filer.as_ref());
        assert_eq!(
            filer.map(|f| f.beneficiary_if.as_str()),
            Some("demande_pour == 'moi'"),
            "{}",
            p.display()
        );
        assert!(
            !def.text().contains("part = "),
            "{}: the stored text is self-contained",
            p.display()
        );
    }
}
