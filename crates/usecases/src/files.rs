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

/// One file of an archive: its name inside the ZIP and where its bytes are.
#[derive(Debug, Clone)]
pub struct ArchiveEntry {
    pub name: String,
    pub path: std::path::PathBuf,
}

/// A name safe in any unzip tool: no folder, no parent, no control character, at most 120 characters.
fn archive_name(name: &str) -> String {
    let clean: String = name
        .chars()
        .map(|c| {
            if c.is_control() || matches!(c, '/' | '\\' | ':') {
                '_'
            } else {
                c
            }
        })
        .collect();
    let clean = clean.trim_start_matches(['.', ' ']).trim();
    let clean: String = clean.chars().take(120).collect();
    if clean.is_empty() {
        "document".to_owned()
    } else {
        clean
    }
}

/// A ZIP of these files (deflated, built in a temporary file), each under a unique name, with a
/// `LISEZMOI.txt` in front when `readme` says something (the files left out and why).
pub fn archive(entries: &[ArchiveEntry], readme: &str) -> std::io::Result<Vec<u8>> {
    use std::io::{Read, Seek, Write};
    let mut zip = zip::ZipWriter::new(tempfile::tempfile()?);
    let options = zip::write::SimpleFileOptions::default();
    let mut taken = std::collections::HashSet::new();
    if !readme.is_empty() {
        zip.start_file("LISEZMOI.txt", options)
            .map_err(std::io::Error::other)?;
        zip.write_all(readme.as_bytes())?;
        taken.insert("lisezmoi.txt".to_owned());
    }
    for e in entries {
        let base = archive_name(&e.name);
        let mut name = base.clone();
        let mut n = 2;
        while !taken.insert(name.to_lowercase()) {
            name = match base.rsplit_once('.') {
                Some((stem, ext)) => format!("{stem} ({n}).{ext}"),
                None => format!("{base} ({n})"),
            };
            n += 1;
        }
        zip.start_file(name, options).map_err(std::io::Error::other)?;
        std::io::copy(&mut std::fs::File::open(&e.path)?, &mut zip)?;
    }
    let mut file = zip.finish().map_err(std::io::Error::other)?;
    file.rewind()?;
    let mut out = Vec::new();
    file.read_to_end(&mut out)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_archive_names_each_file_once_and_never_outside_its_folder() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a");
        let b = dir.path().join("b");
        std::fs::write(&a, b"premier").unwrap();
        std::fs::write(&b, b"second").unwrap();
        let entries = [
            ArchiveEntry {
                name: "Pièce d’identité - cni.pdf".into(),
                path: a.clone(),
            },
            ArchiveEntry {
                name: "Pièce d’identité - cni.pdf".into(),
                path: b,
            },
            ArchiveEntry {
                name: "../../etc/passwd".into(),
                path: a,
            },
        ];
        let bytes = archive(&entries, "Un fichier en attente d’analyse n’est pas inclus.").unwrap();
        let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
        let names: Vec<String> = zip.file_names().map(|n| n.unwrap().into_owned()).collect();
        assert_eq!(names.len(), 4, "{names:?}");
        assert!(names.contains(&"LISEZMOI.txt".to_owned()));
        assert!(names.contains(&"Pièce d’identité - cni.pdf".to_owned()));
        assert!(names.contains(&"Pièce d’identité - cni (2).pdf".to_owned()));
        assert!(
            names.iter().all(|n| !n.contains('/') && !n.starts_with('.')),
            "{names:?}"
        );
        let mut second = String::new();
        std::io::Read::read_to_string(
            &mut zip.by_name("Pièce d’identité - cni (2).pdf").unwrap(),
            &mut second,
        )
        .unwrap();
        assert_eq!(second, "second");
    }
}
