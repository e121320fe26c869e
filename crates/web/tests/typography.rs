//! The words people read follow one typography: the typographic apostrophe (« l’APA », never « l'APA »)
//! and real plural forms (never « partie(s) »), in the templates and in the procedures' labels
//! (`forms/*.toml`). Code stays out of the scan: template tags, TOML comments and condition expressions.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};

use regex::Regex;

/// A French elision written with a straight apostrophe: `l'`, `qu'`, `aujourd'`… before a letter.
fn elision() -> Regex {
    Regex::new(r"\b([lLdDnNsScCjJmMtT]|qu|Qu|jusqu|lorsqu|puisqu|quelqu|aujourd)'\p{L}").unwrap()
}

/// « partie(s) », « terminée(s) », « an(s) ».
fn bracket_plural() -> Regex {
    Regex::new(r"\p{L}\((s|e|es|x)\)").unwrap()
}

fn files(dir: &Path, ext: &str, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            files(&p, ext, out);
        } else if p.extension().is_some_and(|x| x == ext) {
            out.push(p);
        }
    }
}

/// A template line as shown: askama tags and expressions blanked.
fn template_text(line: &str) -> String {
    let tags = Regex::new(r"\{%.*?%\}|\{\{.*?\}\}|\{#.*?#\}").unwrap();
    tags.replace_all(line, " ").into_owned()
}

/// A definition line as shown: comments and condition expressions are code, blanked.
fn toml_text(line: &str) -> String {
    let t = line.trim_start();
    let code = t.starts_with('#')
        || [
            "visible_if",
            "present_if",
            "required_if",
            "value_if",
            "when",
            "condition",
            "expr",
            "compute",
        ]
        .iter()
        .any(|k| t.strip_prefix(k).is_some_and(|r| r.trim_start().starts_with('=')));
    if code { String::new() } else { line.to_owned() }
}

/// Every offending line, as `file:line: text`.
fn offences(re: &Regex) -> Vec<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut found = Vec::new();
    let mut scan = |path: &Path, shown: fn(&str) -> String| {
        let src = std::fs::read_to_string(path).unwrap();
        for (i, line) in src.lines().enumerate() {
            let text = shown(line);
            if re.is_match(&text) {
                found.push(format!("{}:{}: {}", path.display(), i + 1, line.trim()));
            }
        }
    };
    let mut templates = Vec::new();
    files(&root.join("templates"), "html", &mut templates);
    assert!(templates.len() > 10, "templates not found");
    for p in &templates {
        scan(p, template_text);
    }
    let mut forms = Vec::new();
    files(&root.join("../../forms"), "toml", &mut forms);
    assert!(forms.len() >= 4, "forms not found");
    for p in &forms {
        scan(p, toml_text);
    }
    found
}

#[test]
fn french_text_uses_the_typographic_apostrophe() {
    let found = offences(&elision());
    assert!(found.is_empty(), "write ’ instead of ':\n{}", found.join("\n"));
}

/// A Rust or parameter line as it can reach people: comments blanked (English, for developers).
fn code_text(line: &str) -> String {
    let t = line.trim_start();
    if t.starts_with("//") || t.starts_with('#') || t.starts_with('*') {
        String::new()
    } else {
        line.to_owned()
    }
}

/// Rust strings are shown too (simulators' explanations, emails, letters, errors): the same rule for
/// every crate's sources and the simulation parameters' texts.
#[test]
fn rust_strings_and_parameters_use_the_typographic_apostrophe() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut paths = Vec::new();
    for entry in std::fs::read_dir(root.join("crates")).unwrap() {
        let src = entry.unwrap().path().join("src");
        if src.is_dir() {
            files(&src, "rs", &mut paths);
        }
    }
    files(&root.join("src"), "rs", &mut paths);
    files(&root.join("crates/simulation/parameters"), "toml", &mut paths);
    assert!(paths.len() > 50, "sources not found");
    let re = elision();
    let mut found = Vec::new();
    for p in &paths {
        let src = std::fs::read_to_string(p).unwrap();
        for (i, line) in src.lines().enumerate() {
            if re.is_match(&code_text(line)) {
                found.push(format!("{}:{}: {}", p.display(), i + 1, line.trim()));
            }
        }
    }
    assert!(found.is_empty(), "write ’ instead of ':\n{}", found.join("\n"));
}

#[test]
fn plurals_are_written_out_never_with_brackets() {
    let found = offences(&bracket_plural());
    assert!(
        found.is_empty(),
        "write the singular and the plural (if n > 1), not « (s) »:\n{}",
        found.join("\n")
    );
}

#[test]
fn the_patterns_catch_what_they_are_for() {
    assert!(elision().is_match("Allocation personnalisée d'autonomie"));
    assert!(elision().is_match("aujourd'hui, jusqu'au 1er juin"));
    assert!(!elision().is_match("Allocation personnalisée d’autonomie"));
    assert!(!elision().is_match("protection != 'aucune'"));
    assert!(bracket_plural().is_match("0 partie(s) terminée(s)"));
    assert!(!bracket_plural().is_match("(CASF L232-2)"));
    assert_eq!(template_text("{% if let Some(s) = x %}a{% endif %}").trim(), "a");
    assert_eq!(toml_text("visible_if = \"l'x\""), "");
    assert_eq!(toml_text("# l'APA"), "");
}
