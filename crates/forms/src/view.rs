//! View-models for the web crate: a step's fields ready for templates, the task list, and the summary
//! used by check-your-answers and the receipt PDF.

use chrono::NaiveDate;
use serde::Serialize;
use serde_json::Value;

use crate::Result;
use crate::communes;
use crate::definition::{ComputedFormat, FieldType};
use crate::eval::{Answers, FState, FieldError};
use crate::form::{CField, FormDefinition};
use crate::values::{FileRef, Parsed, display_value, french_money, input_value};

/// One option of a radio/checkbox/select control.
#[derive(Debug, Clone, Serialize)]
pub struct OptionView {
    pub value: String,
    pub label: String,
    pub hint: Option<String>,
    pub checked: bool,
    /// Checking it unchecks the others ("Aucune de ces réponses").
    pub exclusive: bool,
}

/// Day, month and year boxes of a date input, as typed.
#[derive(Debug, Clone, Default, Serialize)]
pub struct DateParts {
    pub jour: String,
    pub mois: String,
    pub annee: String,
}

/// One item of a repeating group.
#[derive(Debug, Clone, Serialize)]
pub struct ItemView {
    pub index: usize,
    /// "Enfant 1".
    pub title: String,
    pub fields: Vec<FieldView>,
}

/// A field ready for a template. Names follow the input naming of [`FormDefinition::submit_step`].
#[derive(Debug, Clone, Serialize)]
pub struct FieldView {
    pub id: String,
    /// Input name and HTML id (`date_naissance`, `enfants.0.prenom`).
    pub name: String,
    #[serde(rename = "type")]
    pub kind: FieldType,
    /// HTML input type: `text`, `email`, `tel`, `file`, `textarea`, `radio`, `checkbox`, `select`, `group`,
    /// `date` (three boxes), `static`, `computed`, `select` (a commune once its postal code is known). Numbers are `text` with an `inputmode`, as GOV.UK advises.
    pub input_type: &'static str,
    pub inputmode: Option<&'static str>,
    pub label: String,
    pub hint: Option<String>,
    pub hint_falc: Option<String>,
    pub autocomplete: Option<String>,
    /// Show "(facultatif)" when false.
    pub required: bool,
    pub sensitive: bool,
    /// Shown to the usager (a condition may hide a field after its controlling answer changes).
    pub visible: bool,
    /// The field's display depends on an answer on this same page: render it (without JavaScript the
    /// page cannot react) and let validation ignore it when hidden.
    pub conditional_on_same_step: bool,
    /// Value for a text-like input, as typed or normalised.
    pub value: String,
    pub date: Option<DateParts>,
    pub options: Vec<OptionView>,
    pub error: Option<String>,
    pub unit: Option<String>,
    pub max_length: Option<u32>,
    pub spellcheck: bool,
    pub accept: Vec<String>,
    pub max_size_mb: Option<u32>,
    pub max_files: Option<u32>,
    pub validity_months: Option<u32>,
    /// file: the blank official form to have filled in (a Cerfa for the doctor).
    pub blank_form_url: Option<String>,
    pub files: Vec<FileRef>,
    pub items: Vec<ItemView>,
    pub item_label: Option<String>,
    pub min_items: Option<u32>,
    pub max_items: Option<u32>,
    /// Static block paragraphs.
    pub text: Vec<String>,
    /// Computed value, formatted.
    pub computed: Option<String>,
    /// commune: the input name of its postal code (`code_postal`, `parents.0.code_postal`).
    pub postal_code_name: Option<String>,
}

/// A step ready for a template.
#[derive(Debug, Clone, Serialize)]
pub struct StepView {
    pub id: String,
    pub title: String,
    pub intro: Option<String>,
    pub section_title: Option<String>,
    /// Only one question: its label is the page heading (GOV.UK one-question pages).
    pub single_question: bool,
    pub fields: Vec<FieldView>,
    /// Errors in page order, for the error summary (link to `#key`).
    pub errors: Vec<FieldError>,
    pub previous_step: Option<String>,
    pub next_step: Option<String>,
    /// 1-based position among visible steps, and their count.
    pub position: usize,
    pub visible_count: usize,
}

/// Task status for the task list (GOV.UK "complete multiple tasks").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TaskStatus {
    NotStarted,
    InProgress,
    Completed,
}

impl TaskStatus {
    pub fn label(self) -> &'static str {
        match self {
            TaskStatus::NotStarted => "Pas commencé",
            TaskStatus::InProgress => "En cours",
            TaskStatus::Completed => "Terminé",
        }
    }
}

/// One task (section) of the task list.
#[derive(Debug, Clone, Serialize)]
pub struct TaskView {
    pub section: String,
    pub title: String,
    pub description: Option<String>,
    pub first_step: String,
    pub status: TaskStatus,
}

/// One row of the summary.
#[derive(Debug, Clone, Serialize)]
pub struct SummaryRow {
    pub field: String,
    pub label: String,
    /// Display value; "Non renseigné" for a skipped optional answer.
    pub value: String,
    /// Step to come back to with a "Modifier" link.
    pub step: String,
    pub sensitive: bool,
    /// A document field's files, for links to open them (none when the reader may not see them).
    pub files: Vec<FileRef>,
}

/// What a reader of a summary may see in full.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Disclosure {
    /// Answers of fields flagged `sensitive` (health data).
    pub sensitive: bool,
    /// The NIR in full rather than its last digits.
    pub nir_in_full: bool,
}

/// Shown instead of a health answer to those who may not read it (staff outside the service, a relative
/// the dossier is shared with): the same words for both, since neither is told more.
pub const SENSITIVE_MASK: &str = "Donnée de santé : non communiquée";

impl Disclosure {
    pub const FULL: Disclosure = Disclosure {
        sensitive: true,
        nir_in_full: true,
    };

    fn apply(self, field: &crate::definition::Field, value: String) -> String {
        if field.sensitive && !self.sensitive {
            return SENSITIVE_MASK.to_owned();
        }
        if field.kind == FieldType::Nir && !self.nir_in_full {
            return guichet_types::Nir::parse(&value).map_or(value, |n| n.masked());
        }
        value
    }
}

/// A block of the summary: a section (task list) or a step.
#[derive(Debug, Clone, Serialize)]
pub struct SummarySection {
    pub title: String,
    pub rows: Vec<SummaryRow>,
}

fn input_type(kind: FieldType) -> (&'static str, Option<&'static str>) {
    match kind {
        FieldType::Text | FieldType::Commune => ("text", None),
        FieldType::Textarea => ("textarea", None),
        FieldType::Integer | FieldType::PostalCode | FieldType::Nir => ("text", Some("numeric")),
        FieldType::Decimal | FieldType::Money => ("text", Some("decimal")),
        FieldType::Date => ("date", Some("numeric")),
        FieldType::Email => ("email", Some("email")),
        FieldType::Phone => ("tel", Some("tel")),
        FieldType::Iban => ("text", None),
        FieldType::Choice | FieldType::YesNo => ("radio", None),
        FieldType::MultiChoice => ("checkbox", None),
        FieldType::File => ("file", None),
        FieldType::Group => ("group", None),
        FieldType::Computed => ("computed", None),
        FieldType::Static => ("static", None),
    }
}

fn format_computed(f: &CField, v: &Value) -> String {
    match (f.def.format, v) {
        (Some(ComputedFormat::Money), Value::Number(n)) => n
            .as_i64()
            .map(|c| format!("{} €", french_money(c)))
            .unwrap_or_default(),
        (Some(ComputedFormat::YesNo), Value::Bool(b)) | (None, Value::Bool(b)) => {
            if *b { "Oui" } else { "Non" }.to_string()
        }
        (_, Value::String(s)) => s.clone(),
        (_, Value::Number(n)) => n.to_string().replace('.', ","),
        _ => String::new(),
    }
}

impl FormDefinition {
    #[expect(
        clippy::too_many_arguments,
        reason = "a field view needs its state, name, raw value, postal code, errors and siblings; a struct would only rename them"
    )]
    fn field_view(
        &self,
        f: &CField,
        st: &FState,
        name: String,
        raw: Option<&Value>,
        postal: Option<&str>,
        errors: &[FieldError],
        same_step_ids: &[&str],
    ) -> FieldView {
        let (input_type, inputmode) = input_type(f.def.kind);
        let error = errors.iter().find(|e| e.key == name).map(|e| e.message.clone());
        let value_json = match &st.parsed {
            Parsed::Valid(v) => Some(v.clone()),
            _ => raw.cloned(),
        };
        let value = value_json
            .as_ref()
            .map(|v| input_value(&f.def, v))
            .unwrap_or_default();
        let date = (f.def.kind == FieldType::Date).then(|| {
            let mut parts = value.split('/').map(str::to_string);
            DateParts {
                jour: parts.next().unwrap_or_default(),
                mois: parts.next().unwrap_or_default(),
                annee: parts.next().unwrap_or_default(),
            }
        });
        let selected: Vec<String> = match &value_json {
            Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).map(str::to_string).collect(),
            Some(Value::String(s)) => vec![s.clone()],
            Some(Value::Bool(b)) => vec![if *b { "oui" } else { "non" }.to_string()],
            _ => Vec::new(),
        };
        let mut options: Vec<OptionView> = f
            .def
            .options
            .iter()
            .map(|o| OptionView {
                value: o.value.clone(),
                label: o.label.clone(),
                hint: o.hint.clone(),
                checked: selected.contains(&o.value),
                exclusive: o.exclusive,
            })
            .collect();
        if f.def.kind == FieldType::YesNo {
            options = ["oui", "non"]
                .iter()
                .map(|v| OptionView {
                    value: (*v).to_string(),
                    label: if *v == "oui" { "Oui" } else { "Non" }.to_string(),
                    hint: None,
                    checked: selected.iter().any(|s| s == v),
                    exclusive: false,
                })
                .collect();
        }
        let mut input_type = input_type;
        let mut value = value;
        let mut postal_code_name = None;
        if f.def.kind == FieldType::Commune {
            // Shown by its name, never its INSEE code, whatever else on the page was wrong.
            if let Some(name) = value_json
                .as_ref()
                .and_then(Value::as_str)
                .and_then(communes::commune_name)
            {
                value = name.to_string();
            }
            // The postal code's input, for the script that lists its communes as it is typed.
            postal_code_name = f
                .def
                .postal_code_field
                .as_ref()
                .map(|p| match name.rsplit_once('.') {
                    Some((prefix, _)) => format!("{prefix}.{p}"),
                    None => p.clone(),
                });
            // Once the postal code is known (the page sent once, or coming back to it), the commune is
            // chosen in the official list of that postal code: a select, which works without JavaScript.
            let list = postal
                .and_then(|c| guichet_types::PostalCode::parse(c).ok())
                .map(|cp| communes::communes_for_postal_code(cp.as_str()))
                .unwrap_or(&[]);
            if !list.is_empty() {
                input_type = "select";
                options = list
                    .iter()
                    .map(|c| OptionView {
                        value: c.insee.to_string(),
                        label: c.name.to_string(),
                        hint: None,
                        checked: selected.iter().any(|s| s == c.insee),
                        exclusive: false,
                    })
                    .collect();
            }
        }
        let files: Vec<FileRef> = match (&f.def.kind, &value_json) {
            (FieldType::File, Some(v)) => serde_json::from_value(v.clone()).unwrap_or_default(),
            _ => Vec::new(),
        };
        let conditional_on_same_step = [&f.visible_if, &f.required_if]
            .iter()
            .filter_map(|c| c.as_ref())
            .any(|c| c.vars.iter().any(|v| same_step_ids.contains(&v.as_str())));
        FieldView {
            id: f.id().to_string(),
            name,
            kind: f.def.kind,
            input_type,
            inputmode,
            label: f.def.label.clone(),
            hint: f.def.hint.clone(),
            hint_falc: f.def.hint_falc.clone(),
            autocomplete: f.def.autocomplete.clone(),
            required: st.required
                || (!st.visible && f.def.required != Some(false) && f.required_if.is_none()),
            sensitive: f.def.sensitive,
            visible: st.visible,
            conditional_on_same_step,
            value,
            date,
            options,
            error,
            unit: f.def.unit.clone(),
            max_length: f.def.max_length,
            spellcheck: matches!(f.def.kind, FieldType::Text | FieldType::Textarea),
            accept: f.def.accept.clone(),
            max_size_mb: (f.def.kind == FieldType::File).then(|| f.def.max_size_mb.unwrap_or(10)),
            max_files: (f.def.kind == FieldType::File).then(|| f.def.max_files.unwrap_or(1)),
            validity_months: f.def.validity_months,
            blank_form_url: f.def.blank_form_url.clone(),
            files,
            items: Vec::new(),
            item_label: f.def.item_label.clone(),
            min_items: f.def.min_items,
            max_items: f.def.max_items,
            text: f
                .def
                .text
                .as_deref()
                .map(|t| {
                    t.split("\n\n")
                        .map(|p| p.trim().to_string())
                        .filter(|p| !p.is_empty())
                        .collect()
                })
                .unwrap_or_default(),
            computed: st.computed.as_ref().map(|v| format_computed(f, v)),
            postal_code_name,
        }
    }

    /// The view-model of a step. `errors` are those returned by [`submit_step`](Self::submit_step) or
    /// [`validate_step`](Self::validate_step) (pass an empty slice on first display).
    pub fn step_view(
        &self,
        step_id: &str,
        answers: &Answers,
        errors: &[FieldError],
        today: NaiveDate,
    ) -> Result<StepView> {
        let si = self.step_index(step_id)?;
        let state = self.evaluate(answers, today);
        let step = &self.def.steps[si];
        let same_step_ids: Vec<&str> = self.steps[si].fields.iter().map(CField::id).collect();
        let mut fields = Vec::with_capacity(self.steps[si].fields.len());
        for (f, st) in self.steps[si].fields.iter().zip(&state.fields[si]) {
            let raw = answers.get(f.id());
            let postal = f
                .def
                .postal_code_field
                .as_deref()
                .and_then(|p| answers.get(p))
                .and_then(Value::as_str);
            let mut view = self.field_view(f, st, f.id().to_string(), raw, postal, errors, &same_step_ids);
            // A follow-up that no answer on this page can reveal (the MDPH child list for an adult: its
            // condition also reads the age given earlier) is not shown at all, with or without JavaScript.
            if view.conditional_on_same_step
                && !st.visible
                && !self.could_be_revealed(si, f, answers, today, &same_step_ids)
            {
                view.conditional_on_same_step = false;
            }
            if f.def.kind == FieldType::Group {
                let raw_items = raw.and_then(Value::as_array).cloned().unwrap_or_default();
                let item_label = f.def.item_label.clone().unwrap_or_else(|| "Élément".into());
                for (i, item_state) in st.items.iter().enumerate() {
                    let obj = raw_items.get(i).and_then(Value::as_object);
                    let child_ids: Vec<&str> = f.children.iter().map(CField::id).collect();
                    let children = f
                        .children
                        .iter()
                        .zip(item_state)
                        .map(|(c, cs)| {
                            let craw = obj.and_then(|o| o.get(c.id()));
                            let cpostal = c
                                .def
                                .postal_code_field
                                .as_deref()
                                .and_then(|p| obj.and_then(|o| o.get(p)))
                                .and_then(Value::as_str);
                            self.field_view(
                                c,
                                cs,
                                format!("{}.{i}.{}", f.id(), c.id()),
                                craw,
                                cpostal,
                                errors,
                                &child_ids,
                            )
                        })
                        .collect();
                    let mut title = item_label.clone();
                    if let Some(first) = title.get(0..1) {
                        title = first.to_uppercase() + &title[1..];
                    }
                    view.items.push(ItemView {
                        index: i,
                        title: format!("{title} {}", i + 1),
                        fields: children,
                    });
                }
            }
            fields.push(view);
        }
        let visible = self.visible_steps(answers, today);
        let position = visible.iter().position(|s| *s == step_id).map_or(0, |p| p + 1);
        let questions = fields
            .iter()
            .filter(|f| !matches!(f.kind, FieldType::Static | FieldType::Computed))
            .count();
        let mut sorted_errors: Vec<FieldError> = Vec::with_capacity(errors.len());
        for f in &fields {
            for e in errors
                .iter()
                .filter(|e| e.key == f.name || e.item.as_ref().is_some_and(|(g, _)| *g == f.id))
            {
                if !sorted_errors.contains(e) {
                    sorted_errors.push(e.clone());
                }
            }
        }
        Ok(StepView {
            id: step.id.clone(),
            title: step.title.clone(),
            intro: step.intro.clone(),
            section_title: self.steps[si].section.map(|i| self.def.sections[i].title.clone()),
            single_question: questions == 1,
            fields,
            errors: sorted_errors,
            previous_step: self.previous_step(step_id, answers, today)?.map(str::to_string),
            next_step: self.next_step(step_id, answers, today)?.map(str::to_string),
            position,
            visible_count: visible.len(),
        })
    }

    /// Whether some answers to the questions of step `si` that `f`'s condition reads would show `f`. Only
    /// yes/no and single-choice questions have few enough answers to try them all; a condition that reads
    /// another kind, or too many combinations, is taken as possibly true.
    fn could_be_revealed(
        &self,
        si: usize,
        f: &CField,
        answers: &Answers,
        today: NaiveDate,
        same_step_ids: &[&str],
    ) -> bool {
        let Some(cond) = &f.visible_if else {
            return true;
        };
        let mut domains: Vec<(&str, Vec<Value>)> = Vec::new();
        for v in cond.vars.iter().filter(|v| same_step_ids.contains(&v.as_str())) {
            let Some(c) = self.steps[si].fields.iter().find(|c| c.id() == v) else {
                return true;
            };
            let mut values = vec![Value::Null];
            match c.def.kind {
                FieldType::YesNo => values.extend([Value::Bool(true), Value::Bool(false)]),
                FieldType::Choice => {
                    values.extend(c.def.options.iter().map(|o| Value::String(o.value.clone())))
                }
                _ => return true,
            }
            domains.push((c.id(), values));
        }
        let combinations = domains.iter().map(|(_, d)| d.len()).product::<usize>();
        if domains.is_empty() || combinations > 256 {
            return true;
        }
        let fi = self.steps[si].fields.iter().position(|c| c.id() == f.id());
        for n in 0..combinations {
            let mut trial = answers.clone();
            let mut rest = n;
            for (id, values) in &domains {
                let v = values[rest % values.len()].clone();
                rest /= values.len();
                if v.is_null() {
                    trial.remove(*id);
                } else {
                    trial.insert((*id).to_string(), v);
                }
            }
            let state = self.evaluate(&trial, today);
            if fi.is_some_and(|i| state.fields[si][i].visible) {
                return true;
            }
        }
        false
    }

    /// The answers as the usager gave them, for check-your-answers: the summary without the values the
    /// platform computes (they are no question, and have nothing to « Modifier »).
    pub fn answers_summary(&self, answers: &Answers, today: NaiveDate) -> Vec<SummarySection> {
        let computed: Vec<&str> = self
            .steps
            .iter()
            .flat_map(|s| &s.fields)
            .flat_map(|f| std::iter::once(f).chain(&f.children))
            .filter(|f| f.def.kind == FieldType::Computed)
            .map(CField::id)
            .collect();
        let mut out = self.summary(answers, today);
        for s in &mut out {
            s.rows.retain(|r| !computed.contains(&r.field.as_str()));
        }
        out.retain(|s| !s.rows.is_empty());
        out
    }

    /// The task list: one task per visible section, with its status.
    pub fn task_list(&self, answers: &Answers, today: NaiveDate) -> Vec<TaskView> {
        let state = self.evaluate(answers, today);
        let mut out = Vec::new();
        for (sec_i, sec) in self.def.sections.iter().enumerate() {
            let steps: Vec<usize> = (0..self.steps.len())
                .filter(|i| self.steps[*i].section == Some(sec_i) && state.step_visible[*i])
                .collect();
            let Some(&first) = steps.first() else { continue };
            let answered = steps
                .iter()
                .any(|&si| self.steps[si].fields.iter().any(|f| answers.contains_key(f.id())));
            let mut errors = Vec::new();
            for &si in &steps {
                if let Ok(mut e) = self.validate_step(&self.def.steps[si].id, answers, today) {
                    errors.append(&mut e);
                }
            }
            let status = match (answered, errors.is_empty()) {
                (false, _) => TaskStatus::NotStarted,
                (true, true) => TaskStatus::Completed,
                (true, false) => TaskStatus::InProgress,
            };
            out.push(TaskView {
                section: sec.id.clone(),
                title: sec.title.clone(),
                description: sec.description.clone(),
                first_step: self.def.steps[first].id.clone(),
                status,
            });
        }
        out
    }

    /// Summary of the visible answers by section (or by step without sections), for check-your-answers and
    /// the receipt PDF. Static blocks are left out; computed values are included.
    pub fn summary(&self, answers: &Answers, today: NaiveDate) -> Vec<SummarySection> {
        self.summary_for(answers, today, Disclosure::FULL)
    }

    /// [`FormDefinition::summary`] as one reader may see it: health answers replaced by a notice unless
    /// `disclosure.sensitive`, the NIR reduced to its last digits unless `disclosure.nir_in_full`. Who
    /// gets which disclosure is decided elsewhere, once (`guichet_dossiers::access`).
    pub fn summary_for(
        &self,
        answers: &Answers,
        today: NaiveDate,
        disclosure: Disclosure,
    ) -> Vec<SummarySection> {
        let state = self.evaluate(answers, today);
        let mut out: Vec<SummarySection> = Vec::new();
        let mut current_key: Option<String> = None;
        for (si, s) in self.steps.iter().enumerate() {
            if !state.step_visible[si] {
                continue;
            }
            let step = &self.def.steps[si];
            let (key, title) = match s.section {
                Some(i) => (format!("section:{i}"), self.def.sections[i].title.clone()),
                None => (format!("step:{si}"), step.title.clone()),
            };
            if current_key.as_ref() != Some(&key) {
                out.push(SummarySection {
                    title,
                    rows: Vec::new(),
                });
                current_key = Some(key);
            }
            let Some(section) = out.last_mut() else { continue };
            for (f, st) in s.fields.iter().zip(&state.fields[si]) {
                if !st.visible || f.def.kind == FieldType::Static {
                    continue;
                }
                let row = |field: &CField, label: String, value: String| SummaryRow {
                    field: field.id().to_string(),
                    label,
                    value: disclosure.apply(&field.def, value),
                    step: step.id.clone(),
                    sensitive: field.def.sensitive,
                    files: Vec::new(),
                };
                match f.def.kind {
                    FieldType::Computed => {
                        if let Some(v) = &st.computed {
                            section
                                .rows
                                .push(row(f, f.def.label.clone(), format_computed(f, v)));
                        }
                    }
                    FieldType::Group => {
                        let items = answers
                            .get(f.id())
                            .and_then(Value::as_array)
                            .cloned()
                            .unwrap_or_default();
                        if st.items.is_empty() {
                            section
                                .rows
                                .push(row(f, f.def.label.clone(), "Aucun".to_string()));
                        }
                        let item_label = f.def.item_label.clone().unwrap_or_else(|| "élément".into());
                        for (i, item_state) in st.items.iter().enumerate() {
                            let obj = items.get(i).and_then(Value::as_object);
                            for (c, cs) in f.children.iter().zip(item_state) {
                                if !cs.visible || c.def.kind == FieldType::Static {
                                    continue;
                                }
                                let value = summary_value(c, cs, obj.and_then(|o| o.get(c.id())));
                                section.rows.push(row(
                                    c,
                                    format!("{} {} – {}", capitalise(&item_label), i + 1, c.def.label),
                                    value,
                                ));
                            }
                        }
                    }
                    _ => {
                        let value = summary_value(f, st, answers.get(f.id()));
                        let mut r = row(f, f.def.label.clone(), value);
                        if f.def.kind == FieldType::File && (disclosure.sensitive || !f.def.sensitive) {
                            r.files = answers
                                .get(f.id())
                                .and_then(|v| serde_json::from_value::<Vec<FileRef>>(v.clone()).ok())
                                .unwrap_or_default();
                        }
                        section.rows.push(r);
                    }
                }
            }
        }
        out.retain(|s| !s.rows.is_empty());
        out
    }
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

fn summary_value(f: &CField, st: &FState, raw: Option<&Value>) -> String {
    match &st.parsed {
        Parsed::Valid(v) => {
            if f.def.kind == FieldType::Commune
                && let Some(insee) = v.as_str()
            {
                return communes::commune_name(insee).unwrap_or(insee).to_string();
            }
            display_value(&f.def, v)
        }
        Parsed::Invalid(_) => raw.map(|r| display_value(&f.def, r)).unwrap_or_default(),
        Parsed::Empty => "Non renseigné".to_string(),
    }
}
