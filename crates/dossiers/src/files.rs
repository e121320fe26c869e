//! Which stored files are still referenced: the `file_refs` rows kept from dossiers' answers and pending
//! answers (repeating groups included), and message attachments. The file collector asks here before it
//! deletes anything.

use std::collections::BTreeSet;

use diesel::prelude::*;
use guichet_db::AnyConnection;
use guichet_db::schema::{attachments, dossiers, file_refs};
use serde_json::Value;

use crate::store::Result;

/// The SHA-256 ids of the files an answers document names, at any depth: a file reference is an object
/// with a 64-hex `id` and a `content_type` (see `guichet_forms::FileRef`).
pub fn file_ids(answers: &Value) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut stack = vec![answers];
    while let Some(v) = stack.pop() {
        match v {
            Value::Array(items) => stack.extend(items),
            Value::Object(map) => {
                if let (Some(Value::String(id)), true) = (map.get("id"), map.contains_key("content_type"))
                    && id.len() == 64
                    && id.bytes().all(|b| b.is_ascii_hexdigit())
                {
                    out.insert(id.clone());
                }
                stack.extend(map.values());
            }
            _ => {}
        }
    }
    out
}

/// Rewrites the `file_refs` of one dossier from its stored answers and pending answers. Call it in the
/// transaction that wrote them.
pub fn refresh_refs(conn: &mut AnyConnection, dossier_id: &str) -> Result<()> {
    let row: Option<(String, Option<String>)> = dossiers::table
        .find(dossier_id)
        .select((dossiers::answers, dossiers::pending_answers))
        .first(conn)
        .optional()?;
    diesel::delete(file_refs::table.filter(file_refs::dossier_id.eq(dossier_id))).execute(conn)?;
    let Some((answers, pending)) = row else {
        return Ok(());
    };
    let mut ids = BTreeSet::new();
    for text in std::iter::once(answers).chain(pending) {
        if let Ok(v) = serde_json::from_str::<Value>(&text) {
            ids.extend(file_ids(&v));
        }
    }
    for sha in ids {
        diesel::insert_into(file_refs::table)
            .values((file_refs::dossier_id.eq(dossier_id), file_refs::sha256.eq(&sha)))
            .execute(conn)?;
    }
    Ok(())
}

/// Of `candidates`, the ones something still references. Indexed lookups first; the few that no
/// `file_refs` row nor attachment names are then searched in the answers text itself, so a reference
/// written before `file_refs` existed (or by a path that forgot to refresh it) still keeps its file.
pub fn referenced(conn: &mut AnyConnection, candidates: &[String]) -> Result<BTreeSet<String>> {
    let mut found = BTreeSet::new();
    for chunk in candidates.chunks(500) {
        let a: Vec<String> = file_refs::table
            .filter(file_refs::sha256.eq_any(chunk))
            .select(file_refs::sha256)
            .distinct()
            .load(conn)?;
        let b: Vec<String> = attachments::table
            .filter(attachments::sha256.eq_any(chunk))
            .select(attachments::sha256)
            .distinct()
            .load(conn)?;
        found.extend(a);
        found.extend(b);
    }
    let unindexed: Vec<&String> = candidates.iter().filter(|s| !found.contains(*s)).collect();
    for sha in unindexed {
        // Only hex digits reach here: no LIKE wildcard can hide in the pattern.
        if !sha.bytes().all(|b| b.is_ascii_hexdigit()) {
            found.insert(sha.clone());
            continue;
        }
        let pattern = format!("%{sha}%");
        let n: i64 = dossiers::table
            .filter(
                dossiers::answers
                    .like(&pattern)
                    .or(dossiers::pending_answers.like(&pattern)),
            )
            .count()
            .get_result(conn)?;
        if n > 0 {
            found.insert(sha.clone());
        }
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_ids_are_found_at_any_depth() {
        let a = "a".repeat(64);
        let b = "b".repeat(64);
        let v = serde_json::json!({
            "piece": [{"id": a, "name": "x.pdf", "size": 1, "content_type": "application/pdf"}],
            "aidants": [{"nom": "X", "justif": [{"id": b, "name": "y.pdf", "size": 1, "content_type": "image/png"}]}],
            "other": {"id": "c".repeat(64)},
        });
        let ids = file_ids(&v);
        assert_eq!(ids, [a, b].into_iter().collect());
    }
}
