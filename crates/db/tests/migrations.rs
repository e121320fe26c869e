//! Schema invariants that hold for both backends.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;
use std::path::Path;

fn names(dir: &str) -> BTreeSet<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../migrations")
        .join(dir);
    std::fs::read_dir(&root)
        .unwrap_or_else(|e| panic!("{}: {e}", root.display()))
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect()
}

#[test]
fn twin_migration_folders_have_identical_names() {
    let sqlite = names("sqlite");
    let postgres = names("postgres");
    assert!(!sqlite.is_empty());
    assert_eq!(
        sqlite, postgres,
        "migrations/sqlite and migrations/postgres must hold the same folder names"
    );
}

#[test]
fn every_migration_has_up_and_down() {
    for dir in ["sqlite", "postgres"] {
        for name in names(dir) {
            let base = Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../../migrations")
                .join(dir)
                .join(&name);
            assert!(base.join("up.sql").is_file(), "{dir}/{name}/up.sql missing");
            assert!(base.join("down.sql").is_file(), "{dir}/{name}/down.sql missing");
        }
    }
}
