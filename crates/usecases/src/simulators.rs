//! The public simulators' use cases, shared by the web pages and the tests: the short AGGIR
//! questionnaire for people who do not know their GIR (the same `guichet_simulation::aggir` code as the
//! home evaluation), the plan estimated from hours of help, and the answers a simulation carries into
//! a request ("Faire la demande").

use chrono::{Datelike, Months, NaiveDate};
use guichet_forms::{Answers, FieldType, FormDefinition};
use guichet_simulation::aggir::{self, GirResult, Grid, Modality};
use guichet_simulation::{Aid, Parameters};
use serde_json::{Map, Value};

// ------------------------------------------------------------------------------ AGGIR questionnaire

/// One question of the short questionnaire: one per discriminant variable of the AGGIR grid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GirQuestion {
    /// The variable's key in `aggir::variables()`.
    pub variable: &'static str,
    /// Form field name (`aggir_toilette`).
    pub field: &'static str,
    pub label: &'static str,
}

/// The ten discriminant variables of the grid (CASF annexe 2-1), asked in plain words.
pub const GIR_QUESTIONS: [GirQuestion; 10] = [
    GirQuestion {
        variable: "coherence",
        field: "aggir_coherence",
        label: "Se faire comprendre et se conduire de façon adaptée",
    },
    GirQuestion {
        variable: "orientation",
        field: "aggir_orientation",
        label: "Se repérer dans le temps (le jour, le moment de la journée) et dans les lieux",
    },
    GirQuestion {
        variable: "toilette",
        field: "aggir_toilette",
        label: "Faire sa toilette",
    },
    GirQuestion {
        variable: "habillage",
        field: "aggir_habillage",
        label: "S’habiller et se déshabiller",
    },
    GirQuestion {
        variable: "alimentation",
        field: "aggir_alimentation",
        label: "Se servir et manger un repas déjà préparé",
    },
    GirQuestion {
        variable: "elimination",
        field: "aggir_elimination",
        label: "Aller aux toilettes et assurer son hygiène",
    },
    GirQuestion {
        variable: "transferts",
        field: "aggir_transferts",
        label: "Se lever, se coucher, s’asseoir",
    },
    GirQuestion {
        variable: "deplacements_interieur",
        field: "aggir_deplacements_interieur",
        label: "Se déplacer dans le logement",
    },
    GirQuestion {
        variable: "deplacements_exterieur",
        field: "aggir_deplacements_exterieur",
        label: "Sortir et se déplacer dehors",
    },
    GirQuestion {
        variable: "alerter",
        field: "aggir_alerter",
        label: "Appeler à l’aide en cas de besoin (téléphone, alarme)",
    },
];

/// The three answers of every question, as the grid's modalities A, B and C.
pub const GIR_ANSWERS: [(Modality, &str); 3] = [
    (Modality::A, "Seul ou seule, sans aide"),
    (Modality::B, "En partie, ou avec de l’aide ou des rappels"),
    (Modality::C, "Non : quelqu’un doit le faire à sa place"),
];

/// The GIR of the questionnaire's answers (`get` reads a field by name). Each answer is given to all
/// the sub-variables of its variable, then the evaluation's own algorithm computes the GIR. Missing
/// answers are returned as (field, French message), every one of them.
pub fn gir_from_answers(get: impl Fn(&str) -> Option<String>) -> Result<GirResult, Vec<(String, String)>> {
    let mut grid = Grid::default();
    let mut missing = Vec::new();
    for q in GIR_QUESTIONS {
        let Some(m) = get(q.field).and_then(|v| v.parse::<Modality>().ok()) else {
            missing.push((
                q.field.to_owned(),
                format!("Répondez à la question « {} »", q.label),
            ));
            continue;
        };
        let variable = aggir::variables().iter().find(|v| v.key == q.variable);
        for (key, _) in variable.map(|v| v.sub).unwrap_or_default() {
            if let Err(e) = aggir::set(&mut grid, key, m) {
                missing.push((q.field.to_owned(), e.to_string()));
            }
        }
    }
    if !missing.is_empty() {
        return Err(missing);
    }
    let params = Parameters::shared().map_err(|e| vec![(String::new(), e.to_string())])?;
    aggir::compute(params, &grid).map_err(|e| vec![(String::new(), e.to_string())])
}

// ----------------------------------------------------------------------------------- carry-over

/// Days in a month on average, to turn hours per day (the request's unit) into hours per month (the
/// simulation's): 365 / 12.
pub const DAYS_PER_MONTH: f64 = 365.0 / 12.0;

/// Turns a simulation into form answers, as the usager would have typed them: the definition's
/// `simulation_input` declarations inverted, then what each aid's request asks in its own words
/// (Améthyste: the category the simulation found and the arrival date; PCH: the elements, the helpers
/// and the hours per day).
pub fn answers_from_simulation(
    def: &FormDefinition,
    aid: Aid,
    input: &Map<String, Value>,
    result: Option<&Value>,
    today: NaiveDate,
) -> Answers {
    let mut answers = declared_answers(def, input);
    match aid {
        Aid::Amethyste => amethyste_answers(def, input, result, today, &mut answers),
        Aid::Pch => pch_answers(def, input, &mut answers),
        _ => {}
    }
    open_gates(def, &mut answers);
    def.normalize_answers(&mut answers, today);
    answers
}

/// The inputs a definition declares (`simulation_input`), or for a definition without a linked
/// simulation (the MDPH request for the AAH) the inputs named like one of its fields.
///
/// Computed fields cannot be answered; those of the form `'x' in choices` are inverted by ticking `x`.
fn declared_answers(def: &FormDefinition, input: &Map<String, Value>) -> Answers {
    let mut mapping: Vec<(String, String)> = def
        .simulation_inputs()
        .into_iter()
        .map(|(f, i)| (f.to_owned(), i.to_owned()))
        .collect();
    if def.definition().simulation.is_none() {
        mapping = input
            .keys()
            .filter(|k| def.field(k).is_some_and(|f| f.kind != FieldType::Computed))
            .map(|k| (k.clone(), k.clone()))
            .collect();
    }
    let mut answers = Answers::new();
    for (field_id, input_name) in &mapping {
        let (Some(field), Some(v)) = (def.field(field_id), input.get(input_name)) else {
            continue;
        };
        if field.kind == FieldType::Computed {
            if let (Some((choice, target)), Some(true)) = (membership(field.expr.as_deref()), v.as_bool()) {
                tick(def, &mut answers, &target, &choice);
            }
            continue;
        }
        let raw = match v {
            Value::String(s) => Value::String(s.clone()),
            Value::Number(n) => Value::String(n.to_string()),
            Value::Bool(b) => Value::String(if *b { "oui" } else { "non" }.into()),
            _ => continue,
        };
        answers.insert(field_id.clone(), raw);
    }
    answers
}

/// Ticks `choice` in the multi-choice `target` when the definition offers it.
fn tick(def: &FormDefinition, answers: &mut Answers, target: &str, choice: &str) {
    if !def
        .field(target)
        .is_some_and(|t| t.kind == FieldType::MultiChoice && offers(def, t, choice))
    {
        return;
    }
    let list = answers
        .entry(target.to_owned())
        .or_insert_with(|| Value::Array(Vec::new()));
    if let Value::Array(a) = list
        && !a.iter().any(|v| v == choice)
    {
        a.push(Value::String(choice.to_owned()));
    }
}

/// Whether a choice field offers `value` in the definition's variant.
fn offers(def: &FormDefinition, field: &guichet_forms::Field, value: &str) -> bool {
    field.options.iter().any(|o| {
        o.value == value
            && (o.variants.is_empty() || def.variant().is_some_and(|v| o.variants.iter().any(|x| x == v)))
    })
}

fn amethyste_answers(
    def: &FormDefinition,
    input: &Map<String, Value>,
    result: Option<&Value>,
    today: NaiveDate,
    answers: &mut Answers,
) {
    let category = result
        .and_then(|r| r["categories"].as_array())
        .into_iter()
        .flatten()
        .filter_map(|c| c["id"].as_str())
        .find(|id| def.field("categorie").is_some_and(|f| offers(def, f, id)));
    if let Some(id) = category {
        answers.insert("categorie".into(), Value::String(id.to_owned()));
    }
    // The request asks when the person arrived, « même approximative »; the simulation asked how many
    // months ago: the first of that month.
    if let Some(months) = input.get("residence_mois").and_then(Value::as_u64)
        && def.field("date_arrivee").is_some()
        && let Some(date) = u32::try_from(months)
            .ok()
            .and_then(|m| today.checked_sub_months(Months::new(m)))
            .and_then(|d| d.with_day0(0))
    {
        answers.insert(
            "date_arrivee".into(),
            Value::String(date.format("%Y-%m-%d").to_string()),
        );
    }
}

/// The PCH inputs in the request's words: each element with a cost is ticked, the helpers with hours
/// are ticked, and the hours per month (the simulation's unit) become the request's hours per day.
fn pch_answers(def: &FormDefinition, input: &Map<String, Value>, answers: &mut Answers) {
    let number = |name: &str| -> f64 {
        match input.get(name) {
            Some(Value::String(s)) => guichet_types::Euros::parse(s)
                .map(|e| e.cents() as f64 / 100.0)
                .or_else(|_| s.replace(',', ".").parse::<f64>())
                .unwrap_or(0.0),
            Some(Value::Number(n)) => n.as_f64().unwrap_or(0.0),
            _ => 0.0,
        }
    };
    let helpers = [
        ("heures_prestataire", "prestataire"),
        ("heures_emploi_direct", "emploi_direct"),
        ("heures_mandataire", "mandataire"),
        ("heures_aidant_familial", "aidant_familial"),
        ("heures_aidant_familial_activite_reduite", "aidant_familial"),
    ];
    let monthly: f64 = helpers.iter().map(|(name, _)| number(name)).sum();
    if monthly > 0.0 {
        tick(def, answers, "elements", "aide_humaine");
        for (name, mode) in helpers {
            if number(name) > 0.0 {
                tick(def, answers, "mode_aide", mode);
            }
        }
        if number("heures_aidant_familial_activite_reduite") > 0.0
            && def.field("aidant_familial_cessation").is_some()
        {
            answers.insert("aidant_familial_cessation".into(), Value::String("oui".into()));
        }
        if def.field("heures_par_jour").is_some() {
            let per_day = (monthly / DAYS_PER_MONTH * 10.0).round() / 10.0;
            answers.insert(
                "heures_par_jour".into(),
                Value::String(per_day.to_string().replace('.', ",")),
            );
        }
    }
    for (name, element) in [
        ("aides_techniques", "aides_techniques"),
        ("amenagement_logement", "logement"),
        ("vehicule_transport", "vehicule"),
        ("charges_specifiques", "charges_specifiques"),
        ("charges_exceptionnelles", "charges_exceptionnelles"),
        ("aide_animaliere", "aide_animaliere"),
    ] {
        if number(name) > 0.0 {
            tick(def, answers, "elements", element);
        }
    }
}

/// `'aah' in droits_percus` → (`aah`, `droits_percus`).
fn membership(expr: Option<&str>) -> Option<(String, String)> {
    let (choice, target) = expr?.split_once(" in ")?;
    let choice = choice.trim().strip_prefix('\'')?.strip_suffix('\'')?;
    let target = target.trim();
    target
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '_')
        .then(|| (choice.to_owned(), target.to_owned()))
}

/// Answers "oui" to the yes/no questions that only reveal an answered field (`visible_if = "x == true"`).
fn open_gates(def: &FormDefinition, answers: &mut Answers) {
    for _ in 0..3 {
        let gates: Vec<String> = answers
            .keys()
            .filter_map(|id| def.field(id)?.visible_if.as_deref())
            .filter_map(|cond| cond.trim().strip_suffix("== true").map(|g| g.trim().to_owned()))
            .filter(|g| !answers.contains_key(g) && def.field(g).is_some_and(|f| f.kind == FieldType::YesNo))
            .collect();
        if gates.is_empty() {
            return;
        }
        for g in gates {
            answers.insert(g, Value::String("oui".into()));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_membership_expression_is_inverted() {
        assert_eq!(
            membership(Some("'aah' in droits_percus")),
            Some(("aah".into(), "droits_percus".into()))
        );
        assert_eq!(membership(Some("situation in ['marie', 'pacse']")), None);
        assert_eq!(membership(None), None);
    }

    #[test]
    fn the_questionnaire_gives_the_evaluation_s_gir() {
        // Everything done alone: GIR 6; nothing done alone: GIR 1 (the algorithm's two ends).
        let all = |m: &'static str| move |_: &str| Some(m.to_owned());
        assert_eq!(gir_from_answers(all("A")).unwrap().gir, 6);
        assert_eq!(gir_from_answers(all("C")).unwrap().gir, 1);
        // The same answers given to the grid directly give the same GIR as the evaluation computes.
        let answers = |f: &str| {
            Some(
                match f {
                    "aggir_toilette" | "aggir_habillage" | "aggir_deplacements_exterieur" => "C",
                    "aggir_transferts" | "aggir_alimentation" => "B",
                    _ => "A",
                }
                .to_owned(),
            )
        };
        let mut grid = Grid::default();
        for v in aggir::variables() {
            let q = GIR_QUESTIONS.iter().find(|q| q.variable == v.key).unwrap();
            let m: Modality = answers(q.field).unwrap().parse().unwrap();
            for (key, _) in v.sub {
                aggir::set(&mut grid, key, m).unwrap();
            }
        }
        let direct = aggir::compute(Parameters::shared().unwrap(), &grid).unwrap();
        assert_eq!(gir_from_answers(answers).unwrap().gir, direct.gir);
    }

    #[test]
    fn one_question_per_discriminant_variable() {
        let keys: Vec<&str> = aggir::variables().iter().map(|v| v.key).collect();
        let asked: Vec<&str> = GIR_QUESTIONS.iter().map(|q| q.variable).collect();
        assert_eq!(keys, asked);
    }

    #[test]
    fn every_unanswered_question_is_reported() {
        let errors = gir_from_answers(|f| (f == "aggir_toilette").then(|| "B".to_owned())).unwrap_err();
        assert_eq!(errors.len(), 9);
        assert!(
            errors
                .iter()
                .all(|(f, m)| f.starts_with("aggir_") && m.starts_with("Répondez"))
        );
    }
}
