//! A loaded, checked definition: the type the web crate holds (behind an `Arc`) for each procedure.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::Arc;

use sha2::{Digest, Sha256};

use crate::check::{CheckError, build, build_variant};
use crate::definition::{
    AppealDef, ClockStart, Definition, Field, FieldType, PartyFields, RightDef, Section, Step,
};
use crate::eval::{Answers, State};
use crate::expr::{Compiled, Ty};
use crate::values::DateBounds;
use crate::{FormsError, Result};

/// A procedure definition that passed the checker, with its conditions compiled.
///
/// It is immutable: a changed file is a new `FormDefinition` with a new [`hash`](Self::hash), and a dossier
/// keeps rendering with the version it was filed with.
pub struct FormDefinition {
    pub(crate) def: Definition,
    pub(crate) hash: String,
    /// The text the definition was built from, shared parts written out: what a version stores.
    pub(crate) text: String,
    pub(crate) source_name: String,
    pub(crate) env: Arc<cel::Env>,
    pub(crate) sections: Vec<CSection>,
    pub(crate) steps: Vec<CStep>,
    pub(crate) index: HashMap<String, FieldLoc>,
    pub(crate) variant: Option<String>,
    /// The chosen variant's parameters, the CEL variable `params`.
    pub(crate) params: Option<cel::Value>,
    /// Fields of other variants: known to expressions, never answered.
    pub(crate) excluded: HashMap<String, FieldType>,
    /// `requested_if` of each right, by index in `def.rights`.
    pub(crate) rights_if: Vec<Option<Compiled>>,
    /// `present_if` of the legal representative, when the definition declares one.
    pub(crate) representative_if: Option<Compiled>,
    /// `beneficiary_if` of the filer, when the definition declares one.
    pub(crate) filer_if: Option<Compiled>,
}

/// The beneficiary's place and date of birth, as routing rules read them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BeneficiaryFacts {
    /// Five digits: `93200`.
    pub postal_code: Option<String>,
    /// INSEE code of the commune: `93066`.
    pub commune: Option<String>,
    pub birth_date: Option<chrono::NaiveDate>,
}

impl BeneficiaryFacts {
    /// Age in whole years on `day`.
    pub fn age_on(&self, day: chrono::NaiveDate) -> Option<u32> {
        use chrono::Datelike;
        let b = self.birth_date?;
        let mut years = day.year() - b.year();
        if (day.month(), day.day()) < (b.month(), b.day()) {
            years -= 1;
        }
        u32::try_from(years).ok()
    }
}

/// Who a dossier is about, as on an envelope (see [`FormDefinition::parties_of`]).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PartiesView {
    /// The person who would receive the rights.
    pub beneficiary: Party,
    /// The legal representative, when the answers name one.
    pub representative: Option<Party>,
}

/// One addressee: what a letter prints above the address, then the address.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Party {
    /// Civility as shown (`Madame`), not the stored code.
    pub civility: Option<String>,
    /// First names then name (`Hélène Dupré`), or an organisation's name.
    pub name: String,
    /// Address lines, the postal code and commune last (`["12 rue des Lilas", "93100 Montreuil"]`).
    pub address_lines: Vec<String>,
    /// The representative's quality as shown (`Tutelle`); `None` for the beneficiary.
    pub quality: Option<String>,
}

impl std::fmt::Debug for FormDefinition {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FormDefinition")
            .field("id", &self.def.id)
            .field("version", &self.def.version)
            .field("hash", &self.hash)
            .finish_non_exhaustive()
    }
}

pub(crate) struct CSection {
    pub visible_if: Option<Compiled>,
}

pub(crate) struct CStep {
    pub section: Option<usize>,
    pub visible_if: Option<Compiled>,
    pub fields: Vec<CField>,
    pub rules: Vec<CRule>,
}

pub(crate) struct CField {
    pub def: Field,
    pub bounds: DateBounds,
    pub visible_if: Option<Compiled>,
    pub required_if: Option<Compiled>,
    pub expr: Option<Compiled>,
    pub children: Vec<CField>,
    pub ty: Ty,
}

impl CField {
    pub fn id(&self) -> &str {
        &self.def.id
    }

    /// Static blocks and computed values take no answer.
    pub fn takes_answer(&self) -> bool {
        !matches!(self.def.kind, FieldType::Static | FieldType::Computed)
    }
}

pub(crate) struct CRule {
    pub compiled: Compiled,
    pub message: String,
    pub field: String,
}

/// Where a field sits: step index, index in the step, and index in its group for a group's sub-field.
#[derive(Debug, Clone, Copy)]
pub(crate) struct FieldLoc {
    pub step: usize,
    pub index: usize,
    pub child: Option<usize>,
}

/// sha256 of the definition text, hex: the version stamped on dossiers (`form_versions`).
pub fn content_hash(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

impl FormDefinition {
    /// Loads and checks a definition from TOML text; `file_name` is used in error messages.
    pub fn from_toml(text: &str, file_name: &str) -> std::result::Result<Self, Vec<CheckError>> {
        build(text, file_name)
    }

    /// Loads a definition for one of its département variants (`None`: the first variant, if any).
    pub fn from_toml_variant(
        text: &str,
        file_name: &str,
        variant: Option<&str>,
    ) -> std::result::Result<Self, Vec<CheckError>> {
        build_variant(text, file_name, variant)
    }

    /// Loads and checks one definition file.
    pub fn load(path: &Path) -> Result<Self> {
        Self::load_variant(path, None)
    }

    /// Loads one definition file for a variant (`None`: the first variant, if any).
    pub fn load_variant(path: &Path, variant: Option<&str>) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|e| FormsError::Io {
            path: path.display().to_string(),
            source: e,
        })?;
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        build_variant(&text, &name, variant).map_err(FormsError::Invalid)
    }

    /// The chosen département variant, for definitions that have some.
    pub fn variant(&self) -> Option<&str> {
        self.variant.as_deref()
    }

    /// Procedure id (`apa`).
    pub fn id(&self) -> &str {
        &self.def.id
    }

    /// Human version from the file.
    pub fn version(&self) -> &str {
        &self.def.version
    }

    pub fn title(&self) -> &str {
        &self.def.title
    }

    /// Content hash (sha256 hex of the file text).
    pub fn hash(&self) -> &str {
        &self.hash
    }

    /// The definition as one self-contained text (shared parts written out): stored with each version, so
    /// that a dossier always reads with the steps it was filed with.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// File name the definition was loaded from.
    pub fn source_name(&self) -> &str {
        &self.source_name
    }

    /// The raw definition (metadata, deadline, simulation name, sections, steps).
    pub fn definition(&self) -> &Definition {
        &self.def
    }

    /// Whether the journey is a task list (the definition has sections).
    pub fn has_task_list(&self) -> bool {
        !self.def.sections.is_empty()
    }

    pub fn sections(&self) -> &[Section] {
        &self.def.sections
    }

    pub fn steps(&self) -> &[Step] {
        &self.def.steps
    }

    pub fn step(&self, step_id: &str) -> Option<&Step> {
        self.def.steps.iter().find(|s| s.id == step_id)
    }

    pub(crate) fn step_index(&self, step_id: &str) -> Result<usize> {
        self.def
            .steps
            .iter()
            .position(|s| s.id == step_id)
            .ok_or_else(|| FormsError::UnknownStep(step_id.to_string()))
    }

    /// The field definition for an id (top-level or inside a group).
    pub fn field(&self, field_id: &str) -> Option<&Field> {
        self.cfield(field_id).map(|f| &f.def)
    }

    pub(crate) fn cfield(&self, field_id: &str) -> Option<&CField> {
        let loc = self.index.get(field_id)?;
        let f = self.steps.get(loc.step)?.fields.get(loc.index)?;
        match loc.child {
            Some(c) => f.children.get(c),
            None => Some(f),
        }
    }

    /// Step holding a field (for "Modifier" links).
    pub fn step_of_field(&self, field_id: &str) -> Option<&str> {
        let loc = self.index.get(field_id)?;
        self.def.steps.get(loc.step).map(|s| s.id.as_str())
    }

    /// Date by which the administration must answer a dossier filed (complete) on `filed`, from the
    /// definition's legal deadline; `None` without a deadline.
    pub fn expected_decision_date(&self, filed: chrono::NaiveDate) -> Option<chrono::NaiveDate> {
        let d = self.def.deadline.as_ref()?;
        match (d.months, d.days) {
            (Some(m), _) => filed.checked_add_months(chrono::Months::new(m)),
            (None, Some(days)) => filed.checked_add_days(chrono::Days::new(u64::from(days))),
            (None, None) => None,
        }
    }

    /// When the legal deadline starts; the deposit when the definition has no deadline.
    pub fn clock_start(&self) -> ClockStart {
        self.def.deadline.as_ref().map(|d| d.starts).unwrap_or_default()
    }

    /// Every right the procedure can grant, in definition order.
    pub fn rights(&self) -> &[RightDef] {
        &self.def.rights
    }

    /// The right with this id.
    pub fn right(&self, id: &str) -> Option<&RightDef> {
        self.def.rights.iter().find(|r| r.id == id)
    }

    /// The appeal route with this id.
    pub fn appeal(&self, id: &str) -> Option<&AppealDef> {
        self.def.appeals.iter().find(|a| a.id == id)
    }

    /// The rights the answers request, in definition order, as of today (UTC, like the web crate).
    pub fn requested_rights(&self, answers: &Answers) -> Vec<&RightDef> {
        self.requested_rights_on(answers, chrono::Utc::now().date_naive())
    }

    /// The rights the answers request on `today` (conditions on ages depend on it). `requested_if` is
    /// evaluated like a `visible_if` placed after the last step: a hidden field counts as unanswered.
    pub fn requested_rights_on(&self, answers: &Answers, today: chrono::NaiveDate) -> Vec<&RightDef> {
        let state = self.evaluate(answers, today);
        let lookup = self.lookup(&state.values, None);
        self.def
            .rights
            .iter()
            .zip(&self.rights_if)
            .filter(|(_, c)| c.as_ref().is_some_and(|c| c.truthy(&self.env, today, &lookup)))
            .map(|(r, _)| r)
            .collect()
    }

    /// Beneficiary and representative as on an envelope, from the answers, as of today (UTC). `None` when
    /// the definition declares no `[parties]` or the beneficiary's name is not answered.
    pub fn parties_of(&self, answers: &Answers) -> Option<PartiesView> {
        self.parties_of_on(answers, chrono::Utc::now().date_naive())
    }

    /// Where the beneficiary lives and when they were born, from the answers as stored (normalised, or as
    /// typed: « 93 200 », a commune's name, « 27/03/1940 »): what routing rules read.
    pub fn beneficiary_facts(&self, answers: &Answers) -> BeneficiaryFacts {
        let Some(p) = self.def.parties.as_ref().map(|p| &p.beneficiary) else {
            return BeneficiaryFacts::default();
        };
        let text = |id: Option<&String>| {
            id.and_then(|id| answers.get(id))
                .and_then(serde_json::Value::as_str)
                .map(str::trim)
                .filter(|s| !s.is_empty())
        };
        let postal_code = text(p.postal_code.as_ref())
            .and_then(|v| guichet_types::PostalCode::parse(v).ok())
            .map(|c| c.as_str().to_owned());
        let commune = match (text(p.commune.as_ref()), postal_code.as_deref()) {
            (Some(v), Some(cp)) => crate::communes::commune_by_insee(cp, v)
                .or_else(|| crate::communes::find_commune(cp, v))
                .map(|c| c.insee.to_owned()),
            _ => None,
        };
        BeneficiaryFacts {
            postal_code,
            commune,
            birth_date: text(p.birth_date.as_ref()).and_then(|v| crate::values::parse_date(v).ok()),
        }
    }

    /// [`parties_of`](Self::parties_of) on `today`. Only visible, valid answers are used; a part without
    /// an answer is left out (no civility, no complement line…); a commune is shown by its name.
    pub fn parties_of_on(&self, answers: &Answers, today: chrono::NaiveDate) -> Option<PartiesView> {
        let parties = self.def.parties.as_ref()?;
        let state = self.evaluate(answers, today);
        let beneficiary = self.party(&state, &parties.beneficiary, None)?;
        let representative = parties.representative.as_ref().and_then(|rep| {
            let lookup = self.lookup(&state.values, None);
            let present = self
                .representative_if
                .as_ref()
                .is_some_and(|c| c.truthy(&self.env, today, &lookup));
            if !present {
                return None;
            }
            self.party(&state, &rep.fields, rep.quality.as_deref())
        });
        Some(PartiesView {
            beneficiary,
            representative,
        })
    }

    fn party(&self, state: &State, p: &PartyFields, quality: Option<&str>) -> Option<Party> {
        let text = |id: Option<&String>| id.and_then(|id| self.shown_answer(state, id));
        let surname = text(p.usage_name.as_ref()).or_else(|| text(Some(&p.last_name)))?;
        let name = match text(p.first_names.as_ref()) {
            Some(first) => format!("{first} {surname}"),
            None => surname,
        };
        let mut address_lines: Vec<String> = Vec::new();
        // La Poste's order (NF Z10-011): flat, floor and building come above the street line.
        for id in [p.address_complement.as_ref(), p.address.as_ref()] {
            if let Some(v) = text(id) {
                address_lines.extend(
                    v.lines()
                        .map(str::trim)
                        .filter(|l| !l.is_empty())
                        .map(str::to_string),
                );
            }
        }
        let town: Vec<String> = [text(p.postal_code.as_ref()), text(p.commune.as_ref())]
            .into_iter()
            .flatten()
            .collect();
        if !town.is_empty() {
            address_lines.push(town.join(" "));
        }
        Some(Party {
            civility: text(p.civility.as_ref()),
            name,
            address_lines,
            quality: quality.and_then(|q| self.shown_answer(state, q)),
        })
    }

    /// A top-level answer as shown to people (choice label, commune name), when visible and valid.
    fn shown_answer(&self, state: &State, field_id: &str) -> Option<String> {
        let loc = self.index.get(field_id).filter(|l| l.child.is_none())?;
        let f = self.steps.get(loc.step)?.fields.get(loc.index)?;
        let st = state.fields.get(loc.step)?.get(loc.index)?;
        if !st.visible {
            return None;
        }
        let value = match (&st.parsed, &st.computed) {
            (crate::values::Parsed::Valid(v), _) | (_, Some(v)) => v,
            _ => return None,
        };
        let shown = match (f.def.kind, value.as_str()) {
            (FieldType::Commune, Some(insee)) => {
                crate::communes::commune_name(insee).unwrap_or(insee).to_string()
            }
            _ => crate::values::display_value(&f.def, value),
        };
        let shown = shown.trim();
        (!shown.is_empty()).then(|| shown.to_string())
    }

    /// Fields that feed the linked simulation: field id → simulation input name.
    pub fn simulation_inputs(&self) -> BTreeMap<&str, &str> {
        self.steps
            .iter()
            .flat_map(|s| s.fields.iter())
            .filter_map(|f| f.def.simulation_input.as_deref().map(|i| (f.id(), i)))
            .collect()
    }

    /// True when some field holds health data: the dossier's correspondence (messages and their files)
    /// is then treated as health data too, since nobody can tell what a letter or an attached report says.
    pub fn handles_health_data(&self) -> bool {
        !self.sensitive_fields().is_empty()
    }

    /// The documents the procedure asks for, as its start page lists them before any answer: those
    /// everyone provides, then the others grouped by when they are asked (`asked_when`, in words).
    pub fn documents_to_prepare(&self) -> DocumentsToPrepare {
        let mut out = DocumentsToPrepare::default();
        for step in &self.def.steps {
            let section_if = step
                .section
                .as_ref()
                .and_then(|id| self.def.sections.iter().find(|s| &s.id == id))
                .is_some_and(|s| s.visible_if.is_some());
            for f in step.fields.iter().filter(|f| f.kind == FieldType::File) {
                let conditional = section_if
                    || step.visible_if.is_some()
                    || f.visible_if.is_some()
                    || f.required_if.is_some()
                    || f.asked_when.is_some();
                let doc = DocumentToPrepare {
                    label: f.label.clone(),
                    blank_form_url: f.blank_form_url.clone(),
                };
                if !conditional {
                    out.everyone.push(doc);
                    continue;
                }
                let when = f
                    .asked_when
                    .clone()
                    .unwrap_or_else(|| "selon vos réponses".to_owned());
                match out.depending.iter_mut().find(|(w, _)| *w == when) {
                    Some((_, docs)) => docs.push(doc),
                    None => out.depending.push((when, vec![doc])),
                }
            }
        }
        out
    }

    /// Ids of fields flagged `sensitive` (health data).
    pub fn sensitive_fields(&self) -> Vec<&str> {
        self.steps
            .iter()
            .flat_map(|s| s.fields.iter())
            .flat_map(|f| std::iter::once(f).chain(f.children.iter()))
            .filter(|f| f.def.sensitive)
            .map(CField::id)
            .collect()
    }
}

/// See [`FormDefinition::documents_to_prepare`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DocumentsToPrepare {
    /// The documents everyone provides.
    pub everyone: Vec<DocumentToPrepare>,
    /// When (« si vous demandez la PCH ») and the documents asked then, in form order.
    pub depending: Vec<(String, Vec<DocumentToPrepare>)>,
}

/// One document of a start page's list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentToPrepare {
    pub label: String,
    /// The blank official form to have filled in (a Cerfa for the doctor), when there is one.
    pub blank_form_url: Option<String>,
}

/// Loads every `*.toml` of a directory, sorted by file name. Refuses the whole set if any definition is
/// broken (start-up must not serve a half-checked procedure) or if two files share an id.
pub fn load_dir(dir: &Path) -> Result<Vec<Arc<FormDefinition>>> {
    load_dir_with_variants(dir, &BTreeMap::new())
}

/// Like [`load_dir`], with the variant to use per procedure id (e.g. `amethyste` → `93`); procedures not
/// listed use their first variant.
pub fn load_dir_with_variants(
    dir: &Path,
    variants: &BTreeMap<String, String>,
) -> Result<Vec<Arc<FormDefinition>>> {
    let entries = std::fs::read_dir(dir).map_err(|e| FormsError::Io {
        path: dir.display().to_string(),
        source: e,
    })?;
    let mut paths: Vec<_> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    paths.sort();
    let mut out: Vec<Arc<FormDefinition>> = Vec::with_capacity(paths.len());
    let mut errors = Vec::new();
    for p in &paths {
        let id = std::fs::read_to_string(p)
            .ok()
            .and_then(|t| toml::from_str::<toml::Table>(&t).ok())
            .and_then(|t| t.get("id").and_then(|v| v.as_str()).map(str::to_string));
        let variant = id.and_then(|id| variants.get(&id)).map(String::as_str);
        match FormDefinition::load_variant(p, variant) {
            Ok(f) => {
                if out.iter().any(|o| o.id() == f.id()) {
                    errors.push(CheckError {
                        file: f.source_name.clone(),
                        step: None,
                        field: None,
                        message: format!(
                            "l’identifiant de démarche « {} » est déjà utilisé par un autre fichier",
                            f.id()
                        ),
                    });
                } else {
                    out.push(Arc::new(f));
                }
            }
            Err(FormsError::Invalid(mut e)) => errors.append(&mut e),
            Err(e) => return Err(e),
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(FormsError::Invalid(errors))
    }
}
