//! Visibility, requirement and validation of answers against a definition.
//!
//! Fields are evaluated in definition order; the checker guarantees a condition only refers to fields asked
//! before it, so one pass settles visibility, and a hidden field's stale answer never influences another
//! condition (it is evaluated as unanswered).

use std::collections::HashMap;
use std::sync::Arc;

use cel::Value as CelValue;
use chrono::NaiveDate;
use serde::Serialize;
use serde_json::{Map, Value};

use crate::Result;
use crate::definition::FieldType;
use crate::form::{CField, FormDefinition};
use crate::values::{ParseCtx, Parsed, parse_answer};

/// Answers of a draft or dossier: field id → value; repeating groups as arrays of objects.
pub type Answers = Map<String, Value>;

/// A validation error on one field, in French, GOV.UK style.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    /// Step holding the field.
    pub step: String,
    /// Field id (for a group sub-field, the sub-field id).
    pub field: String,
    /// For a group sub-field: the group id and item index.
    pub item: Option<(String, usize)>,
    /// HTML id / input name of the control: `date_naissance`, `enfants.0.prenom`.
    pub key: String,
    pub message: String,
}

#[derive(Debug, Clone)]
pub(crate) struct FState {
    pub visible: bool,
    pub required: bool,
    pub parsed: Parsed,
    /// Group items: one state per sub-field.
    pub items: Vec<Vec<FState>>,
    /// Computed value, as JSON.
    pub computed: Option<Value>,
}

pub(crate) struct State {
    pub step_visible: Vec<bool>,
    pub fields: Vec<Vec<FState>>,
    pub values: HashMap<String, CelValue>,
}

fn json_to_cel(v: &Value) -> CelValue {
    match v {
        Value::Null => CelValue::Null,
        Value::Bool(b) => CelValue::Bool(*b),
        Value::Number(n) => match n.as_i64() {
            Some(i) => CelValue::Int(i),
            None => CelValue::Float(n.as_f64().unwrap_or_default()),
        },
        Value::String(s) => CelValue::String(Arc::new(s.clone())),
        Value::Array(a) => CelValue::List(Arc::new(a.iter().map(json_to_cel).collect())),
        Value::Object(o) => {
            let m: HashMap<String, CelValue> = o.iter().map(|(k, v)| (k.clone(), json_to_cel(v))).collect();
            CelValue::from(m)
        }
    }
}

fn cel_to_json(v: &CelValue) -> Value {
    match v {
        CelValue::Bool(b) => Value::Bool(*b),
        CelValue::Int(i) => Value::from(*i),
        CelValue::UInt(u) => Value::from(*u),
        CelValue::Float(f) => serde_json::Number::from_f64(*f)
            .map(Value::Number)
            .unwrap_or(Value::Null),
        CelValue::String(s) => Value::String(s.to_string()),
        CelValue::List(l) => Value::Array(l.iter().map(cel_to_json).collect()),
        _ => Value::Null,
    }
}

/// What an unanswered or hidden field looks like to a condition.
fn absent(kind: FieldType) -> CelValue {
    match kind {
        FieldType::MultiChoice | FieldType::File | FieldType::Group => CelValue::List(Arc::new(Vec::new())),
        _ => CelValue::Null,
    }
}

impl FormDefinition {
    pub(crate) fn lookup<'a>(
        &'a self,
        values: &'a HashMap<String, CelValue>,
        locals: Option<&'a HashMap<String, CelValue>>,
    ) -> impl Fn(&str) -> CelValue + 'a {
        move |name: &str| {
            if let Some(v) = locals.and_then(|l| l.get(name)) {
                return v.clone();
            }
            if let Some(v) = values.get(name) {
                return v.clone();
            }
            if name == "params"
                && let Some(p) = &self.params
            {
                return p.clone();
            }
            self.cfield(name)
                .map(|f| f.def.kind)
                .or_else(|| self.excluded.get(name).copied())
                .map(absent)
                .unwrap_or(CelValue::Null)
        }
    }

    /// Evaluates one field (top-level or in a group item, with `locals` the item's earlier sub-fields).
    #[expect(
        clippy::too_many_arguments,
        reason = "one field is evaluated from its parent, raw answer, both scopes and today: bundling them would only move the list"
    )]
    fn eval_field(
        &self,
        f: &CField,
        parent_visible: bool,
        raw: Option<&Value>,
        values: &HashMap<String, CelValue>,
        locals: Option<&HashMap<String, CelValue>>,
        postal_code: Option<&str>,
        today: NaiveDate,
    ) -> FState {
        let lookup = self.lookup(values, locals);
        let visible = parent_visible
            && f.visible_if
                .as_ref()
                .is_none_or(|c| c.truthy(&self.env, today, &lookup));
        if !visible {
            return FState {
                visible,
                required: false,
                parsed: Parsed::Empty,
                items: Vec::new(),
                computed: None,
            };
        }
        let required = f.takes_answer()
            && match &f.required_if {
                Some(c) => c.truthy(&self.env, today, &lookup),
                None => f.def.required.unwrap_or(true),
            };
        let computed = f
            .expr
            .as_ref()
            .and_then(|c| c.eval(&self.env, today, &lookup).ok())
            .map(|v| cel_to_json(&v));
        let parsed = if f.def.kind == FieldType::Group {
            Parsed::Empty
        } else {
            parse_answer(&f.def, &f.bounds, raw, &ParseCtx { today, postal_code })
        };
        FState {
            visible,
            required,
            parsed,
            items: Vec::new(),
            computed,
        }
    }

    /// Settles visibility and checks every answer, in definition order.
    pub(crate) fn evaluate(&self, answers: &Answers, today: NaiveDate) -> State {
        let mut values: HashMap<String, CelValue> = HashMap::with_capacity(answers.len() + 8);
        let mut section_visible: Vec<Option<bool>> = vec![None; self.sections.len()];
        let mut step_visible = Vec::with_capacity(self.steps.len());
        let mut fields = Vec::with_capacity(self.steps.len());
        for s in &self.steps {
            let visible = {
                let lookup = self.lookup(&values, None);
                let sec_ok = match s.section {
                    Some(i) => *section_visible[i].get_or_insert_with(|| {
                        self.sections[i]
                            .visible_if
                            .as_ref()
                            .is_none_or(|c| c.truthy(&self.env, today, &lookup))
                    }),
                    None => true,
                };
                sec_ok
                    && s.visible_if
                        .as_ref()
                        .is_none_or(|c| c.truthy(&self.env, today, &lookup))
            };
            step_visible.push(visible);
            let mut states = Vec::with_capacity(s.fields.len());
            for f in &s.fields {
                let raw = answers.get(f.id());
                let postal = f
                    .def
                    .postal_code_field
                    .as_deref()
                    .and_then(|p| answers.get(p))
                    .and_then(Value::as_str);
                let mut st = self.eval_field(f, visible, raw, &values, None, postal, today);
                if st.visible {
                    if f.def.kind == FieldType::Group {
                        let items = raw.and_then(Value::as_array).map(Vec::as_slice).unwrap_or(&[]);
                        let mut item_values = Vec::with_capacity(items.len());
                        for item in items {
                            let obj = item.as_object();
                            let mut locals: HashMap<String, CelValue> =
                                HashMap::with_capacity(f.children.len());
                            let mut item_states = Vec::with_capacity(f.children.len());
                            for c in &f.children {
                                let craw = obj.and_then(|o| o.get(c.id()));
                                let cpostal = c
                                    .def
                                    .postal_code_field
                                    .as_deref()
                                    .and_then(|p| obj.and_then(|o| o.get(p)))
                                    .and_then(Value::as_str);
                                let cs =
                                    self.eval_field(c, true, craw, &values, Some(&locals), cpostal, today);
                                let v = match (&cs.parsed, &cs.computed) {
                                    (Parsed::Valid(v), _) if cs.visible => json_to_cel(v),
                                    (_, Some(v)) if cs.visible => json_to_cel(v),
                                    _ => absent(c.def.kind),
                                };
                                if c.def.kind != FieldType::Static {
                                    locals.insert(c.id().to_string(), v);
                                }
                                item_states.push(cs);
                            }
                            item_values.push(CelValue::from(locals));
                            st.items.push(item_states);
                        }
                        values.insert(f.id().to_string(), CelValue::List(Arc::new(item_values)));
                    } else if let Parsed::Valid(v) = &st.parsed {
                        values.insert(f.id().to_string(), json_to_cel(v));
                    } else if let Some(v) = &st.computed {
                        values.insert(f.id().to_string(), json_to_cel(v));
                    }
                }
                states.push(st);
            }
            fields.push(states);
        }
        State {
            step_visible,
            fields,
            values,
        }
    }

    fn step_errors(&self, si: usize, state: &State, today: NaiveDate, out: &mut Vec<FieldError>) {
        if !state.step_visible[si] {
            return;
        }
        let step_id = &self.def.steps[si].id;
        let start = out.len();
        for (f, st) in self.steps[si].fields.iter().zip(&state.fields[si]) {
            if !st.visible || !f.takes_answer() {
                continue;
            }
            if f.def.kind == FieldType::Group {
                let n = st.items.len() as u32;
                let label = f.def.item_label.clone().unwrap_or_else(|| "élément".into());
                let min = f.def.min_items.unwrap_or(if st.required { 1 } else { 0 });
                if n < min {
                    let message = f.def.required_message.clone().unwrap_or_else(|| {
                        if min == 1 {
                            format!("Ajoutez au moins un {label}")
                        } else {
                            format!("Ajoutez au moins {min} éléments ({label})")
                        }
                    });
                    out.push(FieldError {
                        step: step_id.clone(),
                        field: f.id().into(),
                        item: None,
                        key: f.id().into(),
                        message,
                    });
                }
                if let Some(max) = f.def.max_items
                    && n > max
                {
                    out.push(FieldError {
                        step: step_id.clone(),
                        field: f.id().into(),
                        item: None,
                        key: f.id().into(),
                        message: format!("Vous pouvez ajouter {max} éléments au maximum ({label})"),
                    });
                }
                for (i, item) in st.items.iter().enumerate() {
                    for (c, cs) in f.children.iter().zip(item) {
                        if let Some(message) = field_message(c, cs) {
                            out.push(FieldError {
                                step: step_id.clone(),
                                field: c.id().into(),
                                item: Some((f.id().into(), i)),
                                key: format!("{}.{i}.{}", f.id(), c.id()),
                                message,
                            });
                        }
                    }
                }
                continue;
            }
            if let Some(message) = field_message(f, st) {
                out.push(FieldError {
                    step: step_id.clone(),
                    field: f.id().into(),
                    item: None,
                    key: f.id().into(),
                    message,
                });
            }
        }
        // Cross-field rules only run once each field is individually fine: a rule on a missing answer would
        // only repeat the "Saisissez…" message in a more confusing way.
        if out.len() == start {
            let lookup = self.lookup(&state.values, None);
            for r in &self.steps[si].rules {
                if !matches!(
                    r.compiled.eval(&self.env, today, &lookup),
                    Ok(CelValue::Bool(true)) | Err(_)
                ) {
                    out.push(FieldError {
                        step: step_id.clone(),
                        field: r.field.clone(),
                        item: None,
                        key: r.field.clone(),
                        message: r.message.clone(),
                    });
                }
            }
        }
    }

    /// Validates one step: only its visible fields, then its cross-field rules.
    pub fn validate_step(
        &self,
        step_id: &str,
        answers: &Answers,
        today: NaiveDate,
    ) -> Result<Vec<FieldError>> {
        let si = self.step_index(step_id)?;
        let state = self.evaluate(answers, today);
        let mut out = Vec::new();
        self.step_errors(si, &state, today, &mut out);
        Ok(out)
    }

    /// Validates the whole form, as on deposit: every visible step.
    pub fn validate_all(&self, answers: &Answers, today: NaiveDate) -> Vec<FieldError> {
        let state = self.evaluate(answers, today);
        let mut out = Vec::new();
        for si in 0..self.steps.len() {
            self.step_errors(si, &state, today, &mut out);
        }
        out
    }

    /// Removes answers of hidden fields (and of ids the definition does not know), and stores valid answers
    /// in their normalised form. Returns the ids dropped, so the caller can log or tell the usager.
    pub fn normalize_answers(&self, answers: &mut Answers, today: NaiveDate) -> Vec<String> {
        let state = self.evaluate(answers, today);
        let mut dropped = Vec::new();
        let mut keep = Answers::new();
        for (si, s) in self.steps.iter().enumerate() {
            for (f, st) in s.fields.iter().zip(&state.fields[si]) {
                let Some(raw) = answers.remove(f.id()) else {
                    continue;
                };
                if !st.visible || !f.takes_answer() {
                    dropped.push(f.id().to_string());
                    continue;
                }
                if f.def.kind == FieldType::Group {
                    let items = raw.as_array().cloned().unwrap_or_default();
                    let mut new_items = Vec::with_capacity(items.len());
                    for (item, states) in items.into_iter().zip(&st.items) {
                        let mut obj = item.as_object().cloned().unwrap_or_default();
                        let mut new_obj = Map::new();
                        for (c, cs) in f.children.iter().zip(states) {
                            if let Some(v) = obj.remove(c.id()) {
                                if cs.visible && c.takes_answer() {
                                    new_obj.insert(c.id().to_string(), normalized(&cs.parsed, v));
                                } else {
                                    dropped.push(format!("{}.{}", f.id(), c.id()));
                                }
                            }
                        }
                        new_items.push(Value::Object(new_obj));
                    }
                    keep.insert(f.id().to_string(), Value::Array(new_items));
                } else {
                    keep.insert(f.id().to_string(), normalized(&st.parsed, raw));
                }
            }
        }
        dropped.extend(answers.keys().cloned());
        *answers = keep;
        dropped
    }

    /// Applies what the usager submitted on a step (HTML form pairs), then normalises and validates.
    ///
    /// Every typed value is kept in `answers`, valid or not, so the draft can be saved whatever the outcome;
    /// an invalid one is kept as typed and reported. Inputs are named by field id; a date may come as three
    /// boxes `id.jour`, `id.mois`, `id.annee`; a group sub-field as `group.index.sub`; a multi-choice as
    /// repeated pairs. File fields are not read from `input`: the web crate sets them with [`FileRef`]s.
    ///
    /// [`FileRef`]: crate::FileRef
    pub fn submit_step(
        &self,
        step_id: &str,
        input: &[(String, String)],
        answers: &mut Answers,
        today: NaiveDate,
    ) -> Result<StepOutcome> {
        let si = self.step_index(step_id)?;
        for f in &self.steps[si].fields {
            if !f.takes_answer() || f.def.kind == FieldType::File {
                continue;
            }
            if f.def.kind == FieldType::Group {
                let prefix = format!("{}.", f.id());
                let mut items: Vec<Map<String, Value>> = Vec::new();
                let old_items = answers
                    .get(f.id())
                    .and_then(Value::as_array)
                    .cloned()
                    .unwrap_or_default();
                let count = input
                    .iter()
                    .filter_map(|(k, _)| k.strip_prefix(&prefix))
                    .filter_map(|rest| rest.split('.').next()?.parse::<usize>().ok())
                    .max()
                    .map_or(0, |m| m + 1);
                for i in 0..count.min(200) {
                    let item_prefix = format!("{prefix}{i}.");
                    let mut obj = old_items
                        .get(i)
                        .and_then(Value::as_object)
                        .cloned()
                        .unwrap_or_default();
                    for c in &f.children {
                        if !c.takes_answer() || c.def.kind == FieldType::File {
                            continue;
                        }
                        set_raw(
                            &mut obj,
                            c.id(),
                            c.def.kind,
                            &format!("{item_prefix}{}", c.id()),
                            input,
                        );
                    }
                    items.push(obj);
                }
                answers.insert(
                    f.id().to_string(),
                    Value::Array(items.into_iter().map(Value::Object).collect()),
                );
                continue;
            }
            set_raw(answers, f.id(), f.def.kind, f.id(), input);
        }
        let dropped = self.normalize_answers(answers, today);
        let errors = self.validate_step(step_id, answers, today)?;
        let next = if errors.is_empty() {
            self.next_step(step_id, answers, today)?.map(str::to_string)
        } else {
            None
        };
        Ok(StepOutcome {
            errors,
            dropped,
            next_step: next,
        })
    }

    /// Appends an empty item to a repeating group ("Ajouter un enfant"); returns its index, or `None` when
    /// the field is not a group or the group is full.
    pub fn add_group_item(&self, answers: &mut Answers, group_id: &str) -> Option<usize> {
        let f = self.cfield(group_id).filter(|f| f.def.kind == FieldType::Group)?;
        let entry = answers
            .entry(group_id.to_string())
            .or_insert_with(|| Value::Array(Vec::new()));
        if !entry.is_array() {
            *entry = Value::Array(Vec::new());
        }
        let items = entry.as_array_mut()?;
        if f.def.max_items.is_some_and(|max| items.len() >= max as usize) {
            return None;
        }
        items.push(Value::Object(Map::new()));
        Some(items.len() - 1)
    }

    /// Removes one item of a repeating group ("Supprimer"); returns whether something was removed.
    pub fn remove_group_item(&self, answers: &mut Answers, group_id: &str, index: usize) -> bool {
        match answers.get_mut(group_id).and_then(Value::as_array_mut) {
            Some(items) if index < items.len() => {
                items.remove(index);
                true
            }
            _ => false,
        }
    }

    /// Ids of the visible steps, in order.
    pub fn visible_steps(&self, answers: &Answers, today: NaiveDate) -> Vec<&str> {
        let state = self.evaluate(answers, today);
        self.def
            .steps
            .iter()
            .zip(&state.step_visible)
            .filter(|(_, v)| **v)
            .map(|(s, _)| s.id.as_str())
            .collect()
    }

    /// First visible step (normally the first one).
    pub fn first_step(&self, answers: &Answers, today: NaiveDate) -> Option<&str> {
        self.visible_steps(answers, today).first().copied()
    }

    /// Next visible step after `step_id`; `None` after the last one (go to check-your-answers).
    pub fn next_step(&self, step_id: &str, answers: &Answers, today: NaiveDate) -> Result<Option<&str>> {
        let si = self.step_index(step_id)?;
        let state = self.evaluate(answers, today);
        Ok(self
            .def
            .steps
            .iter()
            .enumerate()
            .skip(si + 1)
            .find(|(i, _)| state.step_visible[*i])
            .map(|(_, s)| s.id.as_str()))
    }

    /// Previous visible step before `step_id` (the back link); `None` on the first step.
    pub fn previous_step(&self, step_id: &str, answers: &Answers, today: NaiveDate) -> Result<Option<&str>> {
        let si = self.step_index(step_id)?;
        let state = self.evaluate(answers, today);
        Ok(self
            .def
            .steps
            .iter()
            .enumerate()
            .take(si)
            .rev()
            .find(|(i, _)| state.step_visible[*i])
            .map(|(_, s)| s.id.as_str()))
    }

    /// Whether a step is shown with these answers (an URL to a hidden step should redirect).
    pub fn is_step_visible(&self, step_id: &str, answers: &Answers, today: NaiveDate) -> Result<bool> {
        let si = self.step_index(step_id)?;
        Ok(self.evaluate(answers, today).step_visible[si])
    }

    /// Values of computed fields, by id (JSON), e.g. for the summary or the simulation.
    pub fn computed_values(&self, answers: &Answers, today: NaiveDate) -> Map<String, Value> {
        let state = self.evaluate(answers, today);
        let mut out = Map::new();
        for (si, s) in self.steps.iter().enumerate() {
            for (f, st) in s.fields.iter().zip(&state.fields[si]) {
                if let (true, Some(v)) = (st.visible, &st.computed) {
                    out.insert(f.id().to_string(), v.clone());
                }
            }
        }
        out
    }

    /// Inputs for the linked simulation: simulation input name → visible answer. Money (and computed values
    /// formatted as money) is given in euros as text (`"18500.00"`), which is how `guichet_simulation` reads
    /// amounts; dates are ISO, yes/no booleans, choices their values.
    pub fn simulation_values(&self, answers: &Answers, today: NaiveDate) -> Map<String, Value> {
        let state = self.evaluate(answers, today);
        let mut out = Map::new();
        for (si, s) in self.steps.iter().enumerate() {
            for (f, st) in s.fields.iter().zip(&state.fields[si]) {
                let Some(input) = &f.def.simulation_input else {
                    continue;
                };
                let v = match (&st.parsed, &st.computed) {
                    (Parsed::Valid(v), _) | (_, Some(v)) if st.visible => v.clone(),
                    _ => continue,
                };
                let is_money = f.def.kind == FieldType::Money
                    || f.def.format == Some(crate::definition::ComputedFormat::Money);
                let v = match (is_money, v.as_i64()) {
                    (true, Some(cents)) => Value::String(euros_text(cents)),
                    _ => v,
                };
                out.insert(input.clone(), v);
            }
        }
        out
    }
}

/// `1850000` cents → `"18500.00"`.
fn euros_text(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let abs = cents.unsigned_abs();
    format!("{sign}{}.{:02}", abs / 100, abs % 100)
}

fn normalized(parsed: &Parsed, raw: Value) -> Value {
    match parsed {
        Parsed::Valid(v) => v.clone(),
        _ => raw,
    }
}

fn set_raw(
    target: &mut Map<String, Value>,
    id: &str,
    kind: FieldType,
    name: &str,
    input: &[(String, String)],
) {
    let value = match kind {
        FieldType::MultiChoice => {
            let values: Vec<Value> = input
                .iter()
                .filter(|(k, v)| k == name && !v.is_empty())
                .map(|(_, v)| Value::String(v.clone()))
                .collect();
            if values.is_empty() {
                None
            } else {
                Some(Value::Array(values))
            }
        }
        FieldType::Date => {
            let part = |p: &str| {
                input
                    .iter()
                    .find(|(k, _)| *k == format!("{name}.{p}"))
                    .map(|(_, v)| v.trim().to_string())
            };
            match (part("jour"), part("mois"), part("annee")) {
                (None, None, None) => input
                    .iter()
                    .find(|(k, _)| k == name)
                    .map(|(_, v)| Value::String(v.clone())),
                (d, m, y) => {
                    let (d, m, y) = (
                        d.unwrap_or_default(),
                        m.unwrap_or_default(),
                        y.unwrap_or_default(),
                    );
                    if d.is_empty() && m.is_empty() && y.is_empty() {
                        None
                    } else {
                        Some(Value::String(format!("{d}/{m}/{y}")))
                    }
                }
            }
        }
        _ => input
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| Value::String(v.clone())),
    };
    match value {
        Some(Value::String(s)) if s.trim().is_empty() => {
            target.remove(id);
        }
        Some(v) => {
            target.insert(id.to_string(), v);
        }
        None => {
            target.remove(id);
        }
    }
}

fn lower_first(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_lowercase().chain(c).collect(),
        None => String::new(),
    }
}

/// The message for one field state, if any.
fn field_message(f: &CField, st: &FState) -> Option<String> {
    if !st.visible {
        return None;
    }
    match &st.parsed {
        Parsed::Invalid(m) => Some(m.clone()),
        Parsed::Empty if st.required => Some(
            f.def
                .required_message
                .clone()
                .unwrap_or_else(|| required_message(f)),
        ),
        _ => None,
    }
}

fn required_message(f: &CField) -> String {
    let label = f.def.label.trim().trim_end_matches(['?', ' ', '\u{a0}', ':']);
    match f.def.kind {
        FieldType::Choice | FieldType::YesNo => format!("Répondez à la question « {} »", f.def.label.trim()),
        FieldType::MultiChoice => "Sélectionnez au moins une réponse".to_string(),
        FieldType::File => format!("Ajoutez le document « {label} »"),
        FieldType::Commune => "Sélectionnez votre commune".to_string(),
        _ if f.def.label.trim_end().ends_with('?') => {
            format!("Répondez à la question « {} »", f.def.label.trim())
        }
        _ => format!("Saisissez {}", lower_first(label)),
    }
}

/// Result of submitting a step.
#[derive(Debug, Clone, Serialize)]
pub struct StepOutcome {
    /// Errors to show (empty: go to `next_step`).
    pub errors: Vec<FieldError>,
    /// Answers dropped because their field is now hidden.
    pub dropped: Vec<String>,
    /// Next visible step when there is no error; `None` with no error means check-your-answers.
    pub next_step: Option<String>,
}
