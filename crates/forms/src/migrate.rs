//! Moving a draft to a new version of its definition.

use std::collections::BTreeSet;

use chrono::NaiveDate;
use serde_json::Value;

use crate::definition::FieldType;
use crate::eval::Answers;
use crate::form::{CField, FormDefinition};

/// Whether an answer given for `old` still means the same thing for `new`.
fn compatible(old: &CField, new: &CField, value: &Value) -> bool {
    if old.def.kind != new.def.kind {
        return false;
    }
    match new.def.kind {
        FieldType::Choice => value
            .as_str()
            .is_some_and(|v| new.def.options.iter().any(|o| o.value == v)),
        FieldType::MultiChoice => value.as_array().is_some_and(|a| {
            a.iter().all(|v| {
                v.as_str()
                    .is_some_and(|v| new.def.options.iter().any(|o| o.value == v))
            })
        }),
        _ => true,
    }
}

/// Moves a draft's answers from `old` to `new`.
///
/// Answers whose field still exists with the same type (and, for choices, a value still offered) are kept;
/// others are dropped. Returns the new answers and the ids of fields the usager must look at again: dropped
/// answers whose field is still asked, and every field now invalid or missing (a new required question, a
/// tightened bound), sorted. An empty list means the draft moves silently.
pub fn migrate_answers(
    old: &FormDefinition,
    new: &FormDefinition,
    answers: &Answers,
    today: NaiveDate,
) -> (Answers, Vec<String>) {
    if old.hash() == new.hash() {
        return (answers.clone(), Vec::new());
    }
    let mut recheck = BTreeSet::new();
    let mut out = Answers::new();
    for (id, value) in answers {
        let (Some(of), Some(nf)) = (old.cfield(id), new.cfield(id)) else {
            if new.cfield(id).is_some() {
                recheck.insert(id.clone());
            }
            continue;
        };
        if nf.def.kind == FieldType::Group && of.def.kind == FieldType::Group {
            // Keep sub-answers that are still compatible, item by item.
            let items = value.as_array().cloned().unwrap_or_default();
            let mut new_items = Vec::with_capacity(items.len());
            for item in items {
                let mut obj = serde_json::Map::new();
                for (k, v) in item.as_object().cloned().unwrap_or_default() {
                    let oc = of.children.iter().find(|c| c.id() == k);
                    let nc = nf.children.iter().find(|c| c.id() == k);
                    match (oc, nc) {
                        (Some(oc), Some(nc)) if compatible(oc, nc, &v) => {
                            obj.insert(k, v);
                        }
                        (_, Some(_)) => {
                            recheck.insert(id.clone());
                        }
                        _ => {}
                    }
                }
                new_items.push(Value::Object(obj));
            }
            out.insert(id.clone(), Value::Array(new_items));
        } else if compatible(of, nf, value) {
            out.insert(id.clone(), value.clone());
        } else {
            recheck.insert(id.clone());
        }
    }
    new.normalize_answers(&mut out, today);
    let visible: BTreeSet<String> = new.visible_field_ids(&out, today).into_iter().collect();
    recheck.retain(|id| visible.contains(id));
    // New or tightened questions: only those of steps the usager had already reached matter, but the engine
    // does not know the journey, so every invalid visible field is listed.
    let old_errors: BTreeSet<String> = old
        .validate_all(answers, today)
        .into_iter()
        .map(|e| e.item.map(|(g, _)| g).unwrap_or(e.field))
        .collect();
    for e in new.validate_all(&out, today) {
        let id = e.item.map(|(g, _)| g).unwrap_or(e.field);
        if !old_errors.contains(&id) {
            recheck.insert(id);
        }
    }
    (out, recheck.into_iter().collect())
}

impl FormDefinition {
    /// Ids of the visible top-level fields for these answers.
    pub fn visible_field_ids(&self, answers: &Answers, today: NaiveDate) -> Vec<String> {
        let state = self.evaluate(answers, today);
        let mut out = Vec::new();
        for (si, s) in self.steps.iter().enumerate() {
            for (f, st) in s.fields.iter().zip(&state.fields[si]) {
                if st.visible {
                    out.push(f.id().to_string());
                }
            }
        }
        out
    }
}
