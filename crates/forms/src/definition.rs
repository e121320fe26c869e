//! The definition format, as written by département agents in `forms/*.toml`.
//!
//! These structs are the raw, deserialized file: nothing here is checked beyond what serde enforces
//! (`deny_unknown_fields` catches typos such as `visble_if`). The checker (`check.rs`) turns them into a
//! [`crate::FormDefinition`] or a list of errors that name the file, step and field.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// One procedure (téléprocédure): metadata, then steps with fields.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Definition {
    /// Stable identifier, lower-case (`apa`, `mdph`): used in URLs and dossier numbers.
    pub id: String,
    /// Human version of the definition (the content hash is what dossiers are stamped with).
    pub version: String,
    /// Title shown to the usager, in French.
    #[serde(default)]
    #[schemars(length(min = 1))]
    pub title: String,
    /// Short description for the start page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Official form reference, e.g. `16301*01`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cerfa: Option<String>,
    /// Service of the département that instructs the request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service: Option<String>,
    /// Legal deadline for the decision.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deadline: Option<Deadline>,
    /// How long the platform keeps drafts and decided dossiers (RGPD art. 5.1.e); without it, nothing is
    /// ever purged for this procedure.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retention: Option<Retention>,
    /// Linked simulation (aid name in `guichet_simulation`); fields map to its inputs with `simulation_input`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub simulation: Option<String>,
    /// Département variants of the procedure (e.g. Améthyste in 93, 92, 94…): one is chosen by configuration
    /// at load; conditions read its `params`, and steps, fields and options may be limited to some variants.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub variants: Vec<Variant>,
    /// Optional sections grouping steps: when present, the web journey shows a task list.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sections: Vec<Section>,
    /// The steps (pages), in order.
    #[serde(default)]
    pub steps: Vec<Step>,
}

/// One département variant: its parameters are the CEL variable `params` (`age(date_naissance) >= params.age_min`).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Variant {
    /// Identifier used in configuration and in `variants = [...]` lists, e.g. the département number `93`.
    pub id: String,
    /// Name shown to agents, in French.
    #[serde(default)]
    #[schemars(length(min = 1))]
    pub label: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Parameters; every variant must define the same names with the same types.
    #[serde(default)]
    pub params: std::collections::BTreeMap<String, ParamValue>,
}

/// A variant parameter value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum ParamValue {
    Bool(bool),
    Integer(i64),
    Decimal(f64),
    Text(String),
    List(Vec<String>),
}

/// Legal deadline for the administration's answer.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Deadline {
    /// Deadline in days (use either days or months).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub days: Option<u32>,
    /// Deadline in months.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub months: Option<u32>,
    /// What silence means when the deadline passes.
    pub silence: Silence,
    /// When the deadline starts, in French (e.g. "à compter du dépôt du dossier complet").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    /// Legal reference, e.g. "CASF R232-23".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
}

/// Retention periods of a procedure's data on the platform (storage limitation, RGPD art. 5.1.e).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Retention {
    /// A draft untouched for this many months is deleted; its owner is warned by email a month before.
    #[schemars(range(min = 1))]
    pub draft_months: u32,
    /// A decided dossier (accepté, refusé, sans suite) is deleted, files included, this many years after
    /// its decision; an anonymous statistics row is kept.
    #[schemars(range(min = 1))]
    pub decided_years: u32,
    /// Legal basis of the periods (texts and articles), for the record of processing activities.
    #[serde(default)]
    #[schemars(length(min = 1))]
    pub basis: String,
}

/// Meaning of the administration's silence at the deadline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Silence {
    /// Silence vaut acceptation (SVA).
    Acceptation,
    /// Silence vaut rejet (SVR).
    Rejet,
}

/// A group of steps shown as one task in the task list.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Section {
    pub id: String,
    /// Task title, in French.
    #[serde(default)]
    #[schemars(length(min = 1))]
    pub title: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// CEL condition: the whole section is skipped when false.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub visible_if: Option<String>,
}

/// One page of the journey.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Step {
    pub id: String,
    /// Page title (h1 when the step holds several questions), in French.
    #[serde(default)]
    #[schemars(length(min = 1))]
    pub title: String,
    /// Section id, when the definition uses sections.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub section: Option<String>,
    /// Introductory text under the title.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub intro: Option<String>,
    /// CEL condition: the step is skipped (and its answers dropped) when false.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub visible_if: Option<String>,
    /// Only in these variants (all when empty).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub variants: Vec<String>,
    #[serde(default)]
    pub fields: Vec<Field>,
    /// Cross-field checks run when the step is submitted.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rules: Vec<Rule>,
}

/// A cross-field check: `expr` must be true, else `message` is shown on `field`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    /// CEL expression that must hold.
    pub expr: String,
    /// French error message, GOV.UK style.
    #[serde(default)]
    #[schemars(length(min = 1))]
    pub message: String,
    /// Field the error is attached to (its id on this step).
    pub field: String,
    /// Only in these variants (all when empty).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub variants: Vec<String>,
}

/// The kind of answer a field takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum FieldType {
    Text,
    Textarea,
    Integer,
    Decimal,
    /// Amount in euros, stored as integer cents.
    Money,
    /// Date, stored as `YYYY-MM-DD`.
    Date,
    Email,
    Phone,
    PostalCode,
    /// Commune chosen among those of the postal code given in `postal_code_field`; stored as its INSEE code.
    Commune,
    Nir,
    Iban,
    Choice,
    MultiChoice,
    YesNo,
    File,
    /// Repeating group of sub-fields (`fields`), stored as an array of objects.
    Group,
    /// Value computed from other answers with the CEL `expr`; not typed by the usager.
    Computed,
    /// Static text block (`text`); no answer.
    Static,
}

/// One question (or static block) of a step.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Field {
    /// Identifier, unique in the whole definition; the CEL variable name. Letters, digits and `_`.
    pub id: String,
    #[serde(rename = "type")]
    pub kind: FieldType,
    /// Question or label, in French (required for every field but static blocks).
    #[serde(default)]
    pub label: String,
    /// Hint under the label, from the official notice where it gives one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
    /// Easy-read (FALC, "facile à lire et à comprendre") version of the hint.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hint_falc: Option<String>,
    /// HTML `autocomplete` token (e.g. `bday`, `family-name`, `tel`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub autocomplete: Option<String>,
    /// Health or otherwise sensitive data: narrower visibility for agents, reads logged.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub sensitive: bool,
    /// Whether an answer is required (default true). Use `required_if` for a conditional requirement.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub required: Option<bool>,
    /// CEL condition: the field is required only when true.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub required_if: Option<String>,
    /// CEL condition: the field is shown (and kept) only when true.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub visible_if: Option<String>,
    /// Message when a required answer is missing, replacing the generic one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub required_message: Option<String>,
    /// Name of the linked simulation's input fed by this answer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub simulation_input: Option<String>,
    /// Only in these variants (all when empty).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub variants: Vec<String>,

    /// text/textarea: minimum length in characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_length: Option<u32>,
    /// text/textarea: maximum length in characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_length: Option<u32>,

    /// integer/decimal: lower bound; money: lower bound in euros.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<f64>,
    /// integer/decimal: upper bound; money: upper bound in euros.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<f64>,
    /// Unit shown after the input (`ans`, `m²`, `€ par mois`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,

    /// date: earliest date, `YYYY-MM-DD` or relative: `today`, `today-12m`, `today+3m`, `today-60y`, `today-10d`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_date: Option<String>,
    /// date: latest date, same syntax (`today-60y` = "at least 60 years old").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_date: Option<String>,
    /// Message when the date is before `min_date`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_date_message: Option<String>,
    /// Message when the date is after `max_date`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_date_message: Option<String>,

    /// choice/multi_choice: the options.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<ChoiceOption>,

    /// commune: id of the postal code field it depends on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub postal_code_field: Option<String>,

    /// file: accepted MIME types (`application/pdf`, `image/jpeg`, `image/png`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub accept: Vec<String>,
    /// file: maximum size of one file, in megabytes (default 10).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_size_mb: Option<u32>,
    /// file: maximum number of files (default 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_files: Option<u32>,
    /// file: the document must be dated less than this many months ago.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub validity_months: Option<u32>,

    /// group: the sub-fields of one item.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<Field>,
    /// group: minimum number of items.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_items: Option<u32>,
    /// group: maximum number of items.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_items: Option<u32>,
    /// group: name of one item (`enfant`), used in "Ajouter un enfant".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub item_label: Option<String>,

    /// computed: CEL expression giving the value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expr: Option<String>,
    /// computed: how to show the value (`money` shows cents as euros).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format: Option<ComputedFormat>,

    /// static: the text (paragraphs separated by blank lines).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
}

/// Display format of a computed value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ComputedFormat {
    Text,
    Number,
    Money,
    YesNo,
}

/// One option of a choice or multi-choice field.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ChoiceOption {
    /// Stored value, used in conditions (`situation == 'marie'`).
    pub value: String,
    /// Label shown, in French.
    #[serde(default)]
    #[schemars(length(min = 1))]
    pub label: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
    /// multi_choice: choosing this option excludes the others ("Aucune de ces aides").
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub exclusive: bool,
    /// Only in these variants (all when empty).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub variants: Vec<String>,
}

/// JSON Schema of the definition format, for editors (`guichet forms schema`).
pub fn definition_json_schema() -> String {
    let schema = schemars::schema_for!(Definition);
    let mut value = serde_json::to_value(&schema).unwrap_or_default();
    // French texts default to "" so that the checker, not serde, reports them missing with the step and
    // field named; editors should still flag them, so the schema lists them as required.
    let texts = [
        (None, "title"),
        (Some("Step"), "title"),
        (Some("Section"), "title"),
        (Some("Rule"), "message"),
        (Some("ChoiceOption"), "label"),
        (Some("Variant"), "label"),
        (Some("Retention"), "basis"),
    ];
    for (def, key) in texts {
        let target = match def {
            None => Some(&mut value),
            Some(name) => value.get_mut("$defs").and_then(|d| d.get_mut(name)),
        };
        if let Some(serde_json::Value::Object(obj)) = target {
            let required = obj
                .entry("required")
                .or_insert_with(|| serde_json::Value::Array(Vec::new()));
            if let serde_json::Value::Array(list) = required {
                list.push(serde_json::Value::String(key.to_string()));
            }
        }
    }
    serde_json::to_string_pretty(&value).unwrap_or_default()
}
