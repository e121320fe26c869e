#![doc = include_str!("../README.md")]

mod check;
mod communes;
mod definition;
mod eval;
mod expr;
mod form;
mod identity;
mod migrate;
mod parts;
mod values;
mod view;

pub use check::{CheckError, check_definition, check_definition_text};
pub use communes::{Commune, commune_by_insee, commune_name, communes_for_postal_code, find_commune};
pub use definition::{
    AmountUnit, AppealDef, Authority, ChoiceOption, ClockStart, ComputedFormat, DOCUMENT_KINDS, Deadline,
    Definition, Field, FieldType, FilerFields, ParamValue, Parties, PartyFields, Renewal,
    RepresentativeFields, Retention, RightDef, Rule, Section, Silence, Step, UnknownAmountUnit, Variant,
    definition_json_schema, document_kind_label,
};
pub use eval::{Answers, FieldError, StepOutcome};
pub use form::{
    BeneficiaryFacts, DocumentsToPrepare, FormDefinition, PartiesView, Party, content_hash, load_dir,
    load_dir_with_variants,
};
pub use identity::{PivotIdentity, Prefill};
pub use migrate::migrate_answers;
pub use parts::part_ids;
pub use values::{FileRef, check_document_date, display_value, french_date, french_money, parse_date};
pub use view::{
    DateParts, Disclosure, FieldView, ItemView, OptionView, SENSITIVE_MASK, StepView, SummaryRow,
    SummarySection, TaskStatus, TaskView,
};

/// Errors of the form engine that a caller can act on.
#[derive(Debug, thiserror::Error)]
pub enum FormsError {
    /// A definition failed the checker; each error names file, step and field.
    #[error("définition invalide :\n{}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))]
    Invalid(Vec<CheckError>),
    #[error("lecture de {path} impossible : {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    /// A step id that the definition does not have (a stale URL).
    #[error("étape inconnue « {0} »")]
    UnknownStep(String),
}

/// Result alias of this crate.
pub type Result<T, E = FormsError> = std::result::Result<T, E>;
