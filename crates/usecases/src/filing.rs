//! What a usager does with a request: deposit it, and re-send it (amendments before it is taken, or the
//! complement asked). The answers arrive validated as a whole by the caller's form engine call.

use guichet_db::AnyConnection;
use guichet_dossiers::instruction::{self, Resubmission};
use guichet_dossiers::store::{self, Deposit, Dossier};
use guichet_forms::{Answers, FormDefinition};
use serde_json::{Value, json};

use crate::catalogue::Procedure;
use crate::deadlines;
use crate::error::Result;
use crate::instruction::{Links, requested};

/// The usager's name as typed in the definition's name fields (autocomplete given-name / family-name).
pub fn applicant_name(def: &FormDefinition, answers: &Answers) -> String {
    let mut given = None;
    let mut family = None;
    for step in def.steps() {
        for f in &step.fields {
            let value = answers
                .get(&f.id)
                .and_then(Value::as_str)
                .map(str::trim)
                .filter(|s| !s.is_empty());
            match (f.autocomplete.as_deref(), value) {
                (Some("given-name"), Some(v)) if given.is_none() => given = Some(v.to_owned()),
                (Some("family-name"), Some(v)) if family.is_none() => family = Some(v.to_owned()),
                _ => {}
            }
        }
    }
    match (given, family) {
        (Some(g), Some(f)) => format!("{g} {f}"),
        (Some(x), None) | (None, Some(x)) => x,
        (None, None) => String::new(),
    }
}

/// Deposits a draft whose answers passed the whole-form validation: number, due date, requested rights,
/// receipt email, all in one transaction.
pub fn deposit(
    conn: &mut AnyConnection,
    links: &Links,
    proc: &Procedure,
    def: &FormDefinition,
    draft: &Dossier,
    owner_email: &str,
    answers: Answers,
) -> Result<Dossier> {
    let now = guichet_db::now();
    let due = deadlines::due_date(def, now);
    let email = guichet_notify::emails::dossier_deposited(
        owner_email,
        def.title(),
        due.map(|d| guichet_forms::french_date(d.date())).as_deref(),
        deadlines::silence_sentence(def),
        &links.dossier(draft),
    );
    let routed_to = crate::routing::service_for(conn, proc, &answers, now.date())?;
    let input = Deposit {
        routed_to,
        applicant_name: applicant_name(def, &answers),
        rights: requested(def, &answers),
        answers: Value::Object(answers),
        prefix: proc.prefix.clone(),
        due_at: due,
        email: Some(email),
    };
    guichet_db::write_transaction(conn, |c| {
        let d = store::deposit(c, &draft.id, &draft.owner_id, &input)?;
        // The documents sent are kept in the filer's « Mes documents » for the next requests.
        crate::vault::keep_from_dossier(c, def, &d)?;
        Ok(d)
    })
}

/// What changed between two versions of the answers, for the instructor: each changed answer before →
/// after (by label, with the definition's display), and the files that are new.
pub fn changes(def: &FormDefinition, before: &Answers, after: &Answers, on: chrono::NaiveDate) -> Value {
    let show = |answers: &Answers| -> std::collections::HashMap<String, (String, String)> {
        def.summary(answers, on)
            .into_iter()
            .flat_map(|s| s.rows)
            .map(|r| (r.field.clone(), (r.label, r.value)))
            .collect()
    };
    let (old, new) = (show(before), show(after));
    let mut list = Vec::new();
    for step in def.steps() {
        for f in &step.fields {
            if f.kind == guichet_forms::FieldType::File {
                continue;
            }
            let (o, n) = (old.get(&f.id), new.get(&f.id));
            let (ov, nv) = (
                o.map(|x| x.1.as_str()).unwrap_or(""),
                n.map(|x| x.1.as_str()).unwrap_or(""),
            );
            if ov != nv {
                let label = n.or(o).map_or_else(|| f.label.clone(), |x| x.0.clone());
                list.push(json!({ "field": f.id, "label": label, "before": ov, "after": nv }));
            }
        }
    }
    let old_files: std::collections::HashSet<String> = file_ids(before);
    let new_files: Vec<String> = file_ids(after)
        .into_iter()
        .filter(|id| !old_files.contains(id))
        .collect();
    json!({ "changes": list, "new_files": new_files })
}

fn file_ids(answers: &Answers) -> std::collections::HashSet<String> {
    crate::files::files_of(&Value::Object(answers.clone()))
        .into_iter()
        .map(|f| f.id)
        .collect()
}

/// Re-sends a deposited dossier: the amendments (before it is taken) or the complement asked. A complement
/// answered keeps the dossier with its instructor, flagged « complément reçu », with what changed.
pub fn resubmit(
    conn: &mut AnyConnection,
    def: &FormDefinition,
    d: &Dossier,
    answers: Answers,
    on: chrono::NaiveDate,
) -> Result<Dossier> {
    let before = d.answers.as_object().cloned().unwrap_or_default();
    let input = Resubmission {
        payload: changes(def, &before, &answers, on),
        applicant_name: applicant_name(def, &answers),
        rights: requested(def, &answers),
        answers: Value::Object(answers),
    };
    guichet_db::write_transaction(conn, |c| {
        let d = instruction::resubmit(c, &d.id, &d.owner_id, &input, None)?;
        crate::vault::keep_from_dossier(c, def, &d)?;
        Ok(d)
    })
}

/// Starts a draft of the current version of a procedure for its owner.
pub fn start_draft(conn: &mut AnyConnection, owner_id: &str, proc: &Procedure) -> Result<Dossier> {
    Ok(store::create_draft(
        conn,
        &store::NewDraft {
            owner_id: owner_id.to_owned(),
            procedure: proc.id().to_owned(),
            service_code: proc.service_code.clone(),
            form_version_id: proc.version_id.clone(),
            answers: Value::Object(Answers::new()),
            applicant_name: String::new(),
        },
    )?)
}

/// Applies a step's button other than « Continuer » to the answers: add an item to a repeating group,
/// remove one, remove a file; an upload button only stays on the page. Returns true when the page is to
/// be shown again rather than left.
pub fn apply_step_action(def: &FormDefinition, answers: &mut Answers, action: &str) -> bool {
    if let Some(group) = action.strip_prefix("ajouter:") {
        if let Some(Value::Array(items)) = answers.get_mut(group) {
            items.push(Value::Object(serde_json::Map::new()));
        } else if def.field(group).is_some() {
            answers.insert(
                group.to_owned(),
                Value::Array(vec![Value::Object(serde_json::Map::new())]),
            );
        }
        true
    } else if let Some(rest) = action.strip_prefix("retirer:") {
        if let Some((group, index)) = rest.rsplit_once(':')
            && let (Some(Value::Array(items)), Ok(i)) = (answers.get_mut(group), index.parse::<usize>())
            && i < items.len()
        {
            items.remove(i);
        }
        true
    } else if let Some(rest) = action.strip_prefix("supprimer:") {
        if let Some((field, file_id)) = rest.split_once(':')
            && let Some(Value::Array(items)) = answers.get_mut(field)
        {
            items.retain(|v| v.get("id").and_then(Value::as_str) != Some(file_id));
        }
        true
    } else {
        // « Ajouter le fichier » and « Enregistrer la date » (the web layer reads the files and dates).
        action.starts_with("televerser:") || action.starts_with("dater:")
    }
}

/// Saves the answers of a step (a draft in place; after deposit, apart until re-sent), whatever the
/// page shows next: nothing typed is lost.
pub fn save_step(
    conn: &mut AnyConnection,
    owner_id: &str,
    dossier_id: &str,
    def: &FormDefinition,
    answers: &Answers,
    step: &str,
) -> Result<Dossier> {
    let name = applicant_name(def, answers);
    Ok(store::save_answers(
        conn,
        dossier_id,
        owner_id,
        &Value::Object(answers.clone()),
        Some(step),
        &name,
    )?)
}

/// Deletes a draft of its owner (recorded in the purge log, without personal data).
pub fn delete_draft(conn: &mut AnyConnection, owner_id: &str, dossier_id: &str) -> Result<()> {
    Ok(store::delete_draft(conn, dossier_id, owner_id)?)
}

/// The lifecycle's rule for « Retirer ma demande », for the pages that offer it: the same check as
/// [`withdraw`] makes.
pub fn can_withdraw(d: &Dossier) -> bool {
    guichet_dossiers::lifecycle::transition(
        d.position(),
        guichet_dossiers::lifecycle::Action::Withdraw,
        guichet_dossiers::lifecycle::Actor::Owner,
    )
    .is_ok()
}

/// The usager withdraws a request sent and not yet decided (« Demande retirée »): the instructor sees it
/// in the queue and on the dossier page. `expected_version` is the one the confirmation page showed.
pub fn withdraw(
    conn: &mut AnyConnection,
    owner_id: &str,
    dossier_id: &str,
    expected_version: i32,
) -> Result<Dossier> {
    Ok(instruction::withdraw(
        conn,
        dossier_id,
        owner_id,
        expected_version,
    )?)
}
