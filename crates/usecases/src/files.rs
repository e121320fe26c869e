//! The files a dossier's answers reference.

use guichet_forms::FileRef;
use serde_json::Value;

/// Every file the answers reference (top-level file fields and files inside repeating groups).
pub fn files_of(answers: &Value) -> Vec<FileRef> {
    files_with_fields(answers).into_iter().map(|(_, f)| f).collect()
}

/// Every file the answers reference, with the id of the field that holds it (whose definition says
/// whether it is health data).
pub fn files_with_fields(answers: &Value) -> Vec<(String, FileRef)> {
    let mut out = Vec::new();
    let mut visit = |field: &str, v: &Value| {
        if let Value::Array(items) = v {
            for item in items {
                if let Ok(f) = serde_json::from_value::<FileRef>(item.clone()) {
                    out.push((field.to_owned(), f));
                }
            }
        }
    };
    if let Value::Object(map) = answers {
        for (k, v) in map {
            visit(k, v);
            if let Value::Array(items) = v {
                for item in items.iter().filter_map(Value::as_object) {
                    for (sk, sub) in item {
                        visit(sk, sub);
                    }
                }
            }
        }
    }
    out
}

/// A file the answers reference, with its field; `None` for any other digest (ids reveal nothing).
pub fn referenced_file(answers: &Value, sha: &str) -> Option<(String, FileRef)> {
    files_with_fields(answers).into_iter().find(|(_, f)| f.id == sha)
}

/// True when the field holding a file is flagged as health data.
/// The ids of the files a field holds.
pub fn ids_in(answers: &Value, field: &str) -> Vec<String> {
    files_with_fields(answers)
        .into_iter()
        .filter(|(f, _)| f == field)
        .map(|(_, r)| r.id)
        .collect()
}
