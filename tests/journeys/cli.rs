//! The command line, run as a process.

use std::process::Command;

fn guichet(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_guichet"))
        .args(args)
        .env("GUICHET_DATA_DIR", std::env::temp_dir())
        .output()
        .unwrap()
}

#[test]
fn forms_check_accepts_the_shipped_definitions() {
    let dir = guichet_test_support::forms_dir();
    let out = guichet(&["forms", "check", dir.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8_lossy(&out.stdout);
    for f in ["apa.toml", "mdph.toml", "pch.toml", "amethyste.toml"] {
        assert!(stdout.contains(f), "{stdout}");
    }
}

#[test]
fn forms_check_rejects_a_broken_definition_naming_its_field() {
    let fixture = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/crates/forms/tests/fixtures/broken/unknown_field.toml"
    );
    let out = guichet(&["forms", "check", fixture]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("unknown_field.toml") && stderr.contains("champ"),
        "{stderr}"
    );
}

#[test]
fn forms_schema_prints_a_json_schema() {
    let out = guichet(&["forms", "schema"]);
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(v["properties"]["steps"].is_object(), "{v}");
}
