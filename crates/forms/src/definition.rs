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
    /// When to remind the person that a right granted with an end date should be renewed, and what a
    /// renewal asks to check again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub renewal: Option<Renewal>,
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
    /// The rights (prestations) a dossier may request, each with the CEL condition on the answers that
    /// requests it; the instructor decides on each one. Listed in the order decisions show them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rights: Vec<RightDef>,
    /// Appeal routes ("voies et délais de recours") that rights name with `appeal`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub appeals: Vec<AppealDef>,
    /// Which answers give the beneficiary's (and a legal representative's) civility, names and postal
    /// address, so letters can be addressed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parties: Option<Parties>,
    /// The steps (pages), in order. An entry may instead place a shared part's steps
    /// (`part = "pour_qui"`, `forms/parts/`), written out before the definition is read.
    #[serde(default)]
    #[schemars(with = "Vec<StepEntry>")]
    pub steps: Vec<Step>,
}

/// A `[[steps]]` entry as written: a step, or a shared part placed there (only the schema sees it: parts
/// are written out before the definition is deserialized).
#[derive(JsonSchema)]
#[serde(untagged)]
#[allow(dead_code)]
enum StepEntry {
    Step(Step),
    Part(PartPlacement),
}

/// `[[steps]] part = "…"`: the steps of a shared part (`forms/parts/<part>.toml`) placed here.
#[derive(JsonSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct PartPlacement {
    /// The shared part's id (`pour_qui`).
    part: String,
    /// The section the part's steps go in, when the definition has sections.
    #[serde(default)]
    section: Option<String>,
    /// Answers of the part's choices that this procedure leaves out (`["enfant"]` for the APA).
    #[serde(default)]
    omit_options: Vec<String>,
}

/// One right (prestation) a dossier can request (`[[rights]]`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RightDef {
    /// Stable identifier, snake_case (`aah`, `pch_aide_humaine`): stored with each decision, never reused.
    pub id: String,
    /// Name shown in decisions, in French (`Allocation aux adultes handicapés (AAH)`).
    #[serde(default)]
    #[schemars(length(min = 1))]
    pub label: String,
    /// Heading grouping several rights in a decision, in French (`Prestation de compensation du handicap
    /// (PCH)` for its elements).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    /// CEL condition over the answers (same language as `visible_if`) under which the dossier requests this
    /// right; `"true"` for a right every dossier requests.
    pub requested_if: String,
    /// Who decides on the right.
    pub authority: Authority,
    /// Unit of the amount granted; `none` for a card, a recognition or an orientation.
    #[serde(default, skip_serializing_if = "AmountUnit::is_none")]
    pub unit: AmountUnit,
    /// The decision states a band of the taux d'incapacité (less than 50 %, 50 to 79 %, at least 80 %).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub rate: bool,
    /// Usual length of a granted period, in years: prefills the end date of the decision.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_years: Option<u32>,
    /// Legal basis printed on the decision (codes and articles), e.g. `CSS L821-1 et L821-2`.
    #[serde(default)]
    #[schemars(length(min = 1))]
    pub legal_basis: String,
    /// Id of the `[[appeals]]` entry printed under « Voies et délais de recours » for this right.
    pub appeal: String,
    /// The amount can be prefilled from the procedure's linked simulation.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub simulated: bool,
}

/// The authority that decides on a right.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Authority {
    /// Commission des droits et de l'autonomie des personnes handicapées (CASF L146-9, L241-5).
    Cdaph,
    /// Président du conseil départemental (APA, CMI, the département's own aids).
    PresidentCd,
}

impl Authority {
    /// The authority's name as printed in a decision.
    pub fn label(self) -> &'static str {
        match self {
            Authority::Cdaph => "Commission des droits et de l’autonomie des personnes handicapées (CDAPH)",
            Authority::PresidentCd => "Président du conseil départemental",
        }
    }

    /// The snake_case name used in definition files.
    pub fn as_str(self) -> &'static str {
        match self {
            Authority::Cdaph => "cdaph",
            Authority::PresidentCd => "president_cd",
        }
    }
}

/// Unit of a granted amount.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum AmountUnit {
    /// No amount: a card, a recognition, an orientation.
    #[default]
    None,
    /// Monthly amount.
    PerMonth,
    /// Yearly amount.
    PerYear,
    /// Paid once.
    OneOff,
    /// Total over the granted period (e.g. a PCH element capped over 3 or 10 years).
    Total,
}

impl AmountUnit {
    /// Every unit, in the order forms list them.
    pub const ALL: [AmountUnit; 5] = [
        AmountUnit::None,
        AmountUnit::PerMonth,
        AmountUnit::PerYear,
        AmountUnit::OneOff,
        AmountUnit::Total,
    ];

    /// Text after the amount in a decision (`1 033,32 € par mois`).
    pub fn suffix(self) -> &'static str {
        match self {
            AmountUnit::None => "",
            AmountUnit::PerMonth => " par mois",
            AmountUnit::PerYear => " par an",
            AmountUnit::OneOff => " (versement unique)",
            AmountUnit::Total => " au total",
        }
    }

    /// The snake_case name used in definition files and stored with decisions.
    pub fn as_str(self) -> &'static str {
        match self {
            AmountUnit::None => "none",
            AmountUnit::PerMonth => "per_month",
            AmountUnit::PerYear => "per_year",
            AmountUnit::OneOff => "one_off",
            AmountUnit::Total => "total",
        }
    }

    /// Whether the right carries no amount.
    pub fn is_none(&self) -> bool {
        *self == AmountUnit::None
    }
}

/// An unknown amount unit name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unité de montant inconnue « {0} » (none, per_month, per_year, one_off ou total)")]
pub struct UnknownAmountUnit(pub String);

impl std::str::FromStr for AmountUnit {
    type Err = UnknownAmountUnit;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        AmountUnit::ALL
            .into_iter()
            .find(|u| u.as_str() == s)
            .ok_or_else(|| UnknownAmountUnit(s.to_string()))
    }
}

impl std::fmt::Display for AmountUnit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One appeal route (`[[appeals]]`): the paragraphs printed under « Voies et délais de recours ».
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AppealDef {
    /// Identifier that rights name with `appeal` (`mdph`, `departement`).
    pub id: String,
    /// The prior administrative appeal (RAPO): to whom, how, within which time; plain French.
    #[serde(default)]
    #[schemars(length(min = 1))]
    pub administrative: String,
    /// The court to go to afterwards, and within which time; plain French.
    #[serde(default)]
    #[schemars(length(min = 1))]
    pub court: String,
    /// Legal references of both paragraphs (codes and articles).
    #[serde(default)]
    #[schemars(length(min = 1))]
    pub reference: String,
}

/// Who the dossier is about (`[parties]`): each value is the id of a top-level field of the definition.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Parties {
    /// The person who would receive the rights.
    pub beneficiary: PartyFields,
    /// A legal representative (tuteur, curateur…), when the answers name one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub representative: Option<RepresentativeFields>,
    /// The person filling the form in, when it may be someone else than the beneficiary (the shared part
    /// `pour_qui` declares it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filer: Option<FilerFields>,
}

/// Who fills the form in (`[parties.filer]`): the beneficiary, or a relative, a parent, a professional.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FilerFields {
    /// CEL condition over the answers: the person filling in is the beneficiary (FranceConnect's identity
    /// then prefills the beneficiary's, and « Mes dossiers » says « pour vous »).
    pub beneficiary_if: String,
    /// Field giving the filer's name, when it is someone else.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Field giving the filer's relation to the beneficiary (« fille », « agent France Services »).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub relation: Option<String>,
    /// Field giving the filer's phone number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
}

/// The fields giving one party's civility, names and postal address (field ids).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PartyFields {
    /// Field giving the civility (a choice whose labels are « Madame », « Monsieur »).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub civility: Option<String>,
    /// Field giving the last name (nom de naissance), or the whole name of an organisation.
    pub last_name: String,
    /// Field giving the usage name (nom d'usage), printed instead of `last_name` when answered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usage_name: Option<String>,
    /// Field giving the first names.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_names: Option<String>,
    /// Field giving the street address; a multi-line text gives one address line per line.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    /// Field giving the address complement (bâtiment, étage…), printed above the street line.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address_complement: Option<String>,
    /// Field giving the postal code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub postal_code: Option<String>,
    /// Field giving the commune (a `commune` field is shown by its name, not its INSEE code).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commune: Option<String>,
    /// Field giving the date of birth: the routing rules by age read it (the MDPH's child and adult teams).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub birth_date: Option<String>,
    /// Field giving the place of birth as text (« Lyon, France »): FranceConnect's identity prefills it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub birth_place: Option<String>,
}

/// A legal representative: when present, and the fields giving their name, address and quality.
///
/// In the file, the party fields sit next to `present_if` and `quality`: serde cannot flatten them under
/// `deny_unknown_fields`, so the file is read as a flat table and converted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "RawRepresentative", into = "RawRepresentative")]
pub struct RepresentativeFields {
    /// CEL condition over the answers: the dossier names a representative.
    pub present_if: String,
    /// The representative's civility, names and address.
    pub fields: PartyFields,
    /// Field giving the representative's quality (tutelle, curatelle…), shown by its label.
    pub quality: Option<String>,
}

/// `[parties.representative]` as written in the file.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "RepresentativeFields")]
struct RawRepresentative {
    /// CEL condition over the answers (same language as `visible_if`): the dossier names a representative.
    pub present_if: String,
    /// Field giving the representative's civility.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub civility: Option<String>,
    /// Field giving the representative's last name, or the name of the organisation (UDAF…).
    pub last_name: String,
    /// Field giving the representative's usage name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usage_name: Option<String>,
    /// Field giving the representative's first names.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_names: Option<String>,
    /// Field giving the representative's street address (a multi-line text: one line per address line).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    /// Field giving the representative's address complement.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address_complement: Option<String>,
    /// Field giving the representative's postal code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub postal_code: Option<String>,
    /// Field giving the representative's commune.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commune: Option<String>,
    /// Field giving the representative's quality (tutelle, curatelle, parent…), shown by its label.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quality: Option<String>,
}

impl From<RawRepresentative> for RepresentativeFields {
    fn from(r: RawRepresentative) -> Self {
        RepresentativeFields {
            present_if: r.present_if,
            fields: PartyFields {
                civility: r.civility,
                last_name: r.last_name,
                usage_name: r.usage_name,
                first_names: r.first_names,
                address: r.address,
                address_complement: r.address_complement,
                postal_code: r.postal_code,
                commune: r.commune,
                birth_date: None,
                birth_place: None,
            },
            quality: r.quality,
        }
    }
}

impl From<RepresentativeFields> for RawRepresentative {
    fn from(r: RepresentativeFields) -> Self {
        let f = r.fields;
        RawRepresentative {
            present_if: r.present_if,
            civility: f.civility,
            last_name: f.last_name,
            usage_name: f.usage_name,
            first_names: f.first_names,
            address: f.address,
            address_complement: f.address_complement,
            postal_code: f.postal_code,
            commune: f.commune,
            quality: r.quality,
        }
    }
}

impl JsonSchema for RepresentativeFields {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        RawRepresentative::schema_name()
    }

    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        RawRepresentative::json_schema(generator)
    }
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
    /// Event that starts the deadline: the deposit (default) or the day the instructor records the
    /// dossier complete (APA: CASF L232-14 and R232-23).
    #[serde(default, skip_serializing_if = "ClockStart::is_deposit")]
    pub starts: ClockStart,
}

/// The event that starts a procedure's legal deadline.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ClockStart {
    /// The dossier's deposit on the platform.
    #[default]
    Deposit,
    /// The day the instructor records the dossier complete (accusé de réception of the complete file).
    Complete,
}

impl ClockStart {
    /// Whether the deadline runs from the deposit.
    pub fn is_deposit(&self) -> bool {
        *self == ClockStart::Deposit
    }
}

/// Renewals (`[renewal]`): the reminder before a granted right ends, and the draft « Renouveler » opens.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Renewal {
    /// The reminder goes this many months before the first end date of the rights granted.
    pub months_before: u32,
    /// Why that moment (the text or the service's advice), as it should be cited.
    #[serde(default)]
    #[schemars(length(min = 1))]
    pub reference: String,
    /// The steps whose answers the renewal names to check again (the situation that may have changed).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub check_steps: Vec<String>,
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
    /// The right is deemed granted at a flat amount until the explicit decision is notified (APA à
    /// domicile: CASF L232-14).
    AcceptationForfaitaire,
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
    /// date: the day may be left out (« même approximative »): a month and a year mean the 1st of it.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub approximate: bool,
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
    /// file: when the document is asked, in words, for the start page that lists the documents before
    /// any answer (« si vous demandez l’aide humaine »). Required when the document is conditional;
    /// documents with the same text are listed together.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub asked_when: Option<String>,
    /// file: the blank official form the document is made from (the Cerfa the doctor fills in), linked
    /// from the start page and the step.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub blank_form_url: Option<String>,
    /// file: the document must be dated less than this many months ago.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub validity_months: Option<u32>,
    /// file: the kind of document (`identite`, `domicile`, `avis_imposition`, `rib`, `jugement`,
    /// `certificat_medical`): kept in the person's documents once the request is sent, and offered again
    /// to the next request that asks for that kind while it is still valid here.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub document_kind: Option<String>,

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
        (Some("RightDef"), "label"),
        (Some("RightDef"), "legal_basis"),
        (Some("AppealDef"), "administrative"),
        (Some("AppealDef"), "court"),
        (Some("AppealDef"), "reference"),
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

/// The kinds of documents a person's space keeps across requests (`document_kind` of a file field):
/// (kind, label, how long one is usually valid when no procedure says otherwise, in months).
///
/// The usual validities: a proof of address of less than 3 months (the forms' usual rule); the MDPH
/// medical certificate of less than one year (Cerfa 15695, « daté de moins d’un an »); a tax notice
/// replaced every year. An identity document, a RIB and a judgment have no such limit here (an identity
/// card's own expiry is the person's to say).
pub const DOCUMENT_KINDS: &[(&str, &str, Option<u32>)] = &[
    ("identite", "Pièce d’identité", None),
    ("domicile", "Justificatif de domicile", Some(3)),
    ("avis_imposition", "Avis d’imposition", Some(12)),
    ("rib", "Relevé d’identité bancaire (RIB)", None),
    ("jugement", "Jugement de mesure de protection", None),
    ("certificat_medical", "Certificat médical", Some(12)),
];

/// A kind of document's label, if the kind is known.
pub fn document_kind_label(kind: &str) -> Option<&'static str> {
    DOCUMENT_KINDS
        .iter()
        .find(|(k, _, _)| *k == kind)
        .map(|(_, l, _)| *l)
}
