//! `guichet seed`: generated dossiers are valid, numbered once, spread over states, and the instructors'
//! queue lists them.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::process::Command;

use diesel::prelude::*;
use guichet_db::schema::{dossier_events, dossier_sequences, dossiers};
use guichet_dossiers::instruction::{self, QueueFilter, Tab};
use guichet_test_support::{Backend, Browser, TestApp, on_both_backends};
use serde_json::Value;

const N: usize = 300;

fn seed(app: &TestApp, args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_guichet"))
        .arg("seed")
        .args(args)
        .env("GUICHET_DATABASE_URL", app.pool_url())
        .env("GUICHET_DATA_DIR", app.data_dir.path())
        .env("GUICHET_FORMS_DIR", guichet_test_support::forms_dir())
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "seed failed: {}\n{}",
        String::from_utf8_lossy(&out.stderr),
        String::from_utf8_lossy(&out.stdout)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

type Row = (
    String,
    Option<String>,
    String,
    String,
    String,
    Option<chrono::NaiveDateTime>,
    Option<chrono::NaiveDateTime>,
    Option<chrono::NaiveDateTime>,
    String,
    String,
);

async fn seeded_dossiers_are_valid_numbered_and_listed(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let n = N.to_string();
    let out = seed(&app, &["--dossiers", &n, "--batch", "128", "--quiet"]);
    assert!(out.contains(&format!("{N} dossiers générés")), "{out}");
    // Bulk inserts keep the queue's counters too.
    crate::instruction::counters_match(&app).await;

    let procedures = app.state.procedures.clone();
    let (rows, events, sequences) = app
        .pool
        .run(|c| {
            let rows: Vec<Row> = dossiers::table
                .select((
                    dossiers::id,
                    dossiers::number,
                    dossiers::procedure,
                    dossiers::state,
                    dossiers::answers,
                    dossiers::deposited_at,
                    dossiers::decided_at,
                    dossiers::due_at,
                    dossiers::applicant_name,
                    dossiers::search_key,
                ))
                .load(c)?;
            let events: Vec<(String, String)> = dossier_events::table
                .select((dossier_events::dossier_id, dossier_events::kind))
                .load(c)?;
            let sequences: Vec<(String, i32, i32)> = dossier_sequences::table
                .select((
                    dossier_sequences::prefix,
                    dossier_sequences::year,
                    dossier_sequences::last_value,
                ))
                .load(c)?;
            Ok::<_, guichet_db::DbError>((rows, events, sequences))
        })
        .await
        .unwrap();
    assert_eq!(rows.len(), N);

    // States spread: drafts aside, every state of the life cycle is present.
    let mut by_state: BTreeMap<&str, usize> = BTreeMap::new();
    for r in &rows {
        *by_state.entry(r.3.as_str()).or_default() += 1;
    }
    for state in ["depose", "en_instruction", "decide", "sans_suite"] {
        assert!(
            by_state.get(state).copied().unwrap_or(0) > 0,
            "no {state}: {by_state:?}"
        );
    }
    assert_eq!(by_state.values().sum::<usize>(), N);
    // The counts printed are the counts stored.
    for (state, count) in &by_state {
        assert!(
            out.contains(&format!("{state:<15} {count}")),
            "{state} {count} in {out}"
        );
    }

    // Numbers: unique, one per deposited dossier, and the sequences moved past them.
    let numbers: Vec<&str> = rows.iter().filter_map(|r| r.1.as_deref()).collect();
    let unique: HashSet<&&str> = numbers.iter().collect();
    assert_eq!(unique.len(), numbers.len(), "duplicate numbers");
    let seq: HashMap<(String, i32), i32> = sequences.into_iter().map(|(p, y, v)| ((p, y), v)).collect();
    for number in &numbers {
        let n = guichet_types::DossierNumber::parse(number).unwrap();
        let parts: Vec<&str> = number.split('-').collect();
        let year: i32 = parts[1].parse().unwrap();
        let value: i32 = parts[2].parse().unwrap();
        let last = seq.get(&(parts[0].to_owned(), year)).copied().unwrap_or(0);
        assert!(value <= last, "{n} beyond its sequence {last}");
    }

    // Every dossier passes the whole-form validation of its definition; dates are ordered; events exist.
    let today = chrono::Utc::now().date_naive();
    let kinds: HashMap<&str, Vec<&str>> = events.iter().fold(HashMap::new(), |mut m, (d, k)| {
        m.entry(d.as_str()).or_default().push(k.as_str());
        m
    });
    let mut names = HashSet::new();
    for (id, number, procedure, state, answers, deposited, decided, due, name, key) in &rows {
        let def = &procedures.get(procedure).unwrap().def;
        let Value::Object(answers) = serde_json::from_str::<Value>(answers).unwrap() else {
            panic!("answers of {id} are not an object");
        };
        let errors = def.validate_all(&answers, today);
        assert!(errors.is_empty(), "{procedure} dossier {id} invalid: {errors:?}");
        assert!(!name.is_empty());
        names.insert(name.clone());
        // The beneficiary and the number, then the filer's name when someone filed for them.
        let own = guichet_dossiers::store::search_key(
            name,
            number
                .as_deref()
                .map(|n| guichet_types::DossierNumber::parse(n).unwrap())
                .as_ref(),
            "",
        );
        assert!(key.starts_with(&own), "{key} / {own}");
        let k = &kinds[id.as_str()];
        assert!(k.contains(&"created"), "{id}");
        if state == "brouillon" {
            assert!(number.is_none() && deposited.is_none());
            continue;
        }
        assert!(
            number.is_some() && deposited.is_some() && k.contains(&"deposit"),
            "{id}"
        );
        if procedure != "amethyste" {
            assert!(due.is_some(), "{procedure} without a due date");
        }
        if ["decide", "sans_suite"].contains(&state.as_str()) {
            assert!(
                decided.unwrap() > deposited.unwrap(),
                "{id} decided before deposit"
            );
            assert!(k.contains(&"take"), "{id}");
        }
    }
    assert!(names.len() > N / 3, "names not varied: {}", names.len());
    // Every decided dossier has a decision on each of its rights; no other dossier has one.
    let rights: Vec<(String, Option<String>)> = app
        .pool
        .run(|c| {
            use guichet_db::schema::dossier_rights as r;
            r::table
                .select((r::dossier_id, r::outcome))
                .load(c)
                .map_err(guichet_db::DbError::from)
        })
        .await
        .unwrap();
    let state_of: HashMap<&str, &str> = rows.iter().map(|r| (r.0.as_str(), r.3.as_str())).collect();
    assert!(!rights.is_empty());
    for (dossier, outcome) in &rights {
        let state = state_of.get(dossier.as_str()).copied().unwrap_or("");
        assert_eq!(
            outcome.is_some(),
            state == "decide",
            "{dossier} ({state}): {outcome:?}"
        );
    }

    // The queue lists them for an instructor of the service.
    let first = app
        .pool
        .run(|c| {
            let f = QueueFilter::new(Some(vec!["mdph".into()]), [Tab::Traites]);
            instruction::queue(c, &f)
        })
        .await
        .unwrap();
    assert!(!first.is_empty());
    let browser = Browser::new(&app);
    browser
        .login("instructeur.mdph.1@seed.guichet.test", "seed instructeur guichet")
        .await;
    let html = browser.get_html("/instruction?onglet=traites").await;
    for d in first.iter().take(5) {
        assert!(html.contains(&d.number.as_ref().unwrap().to_string()), "{html}");
    }
    // The export of the tab lists every decided MDPH dossier once, in queue order.
    let decided: Vec<String> = app
        .pool
        .run(|c| {
            dossiers::table
                .filter(dossiers::service_code.eq("mdph"))
                .filter(dossiers::state.eq_any(["decide", "sans_suite"]))
                .select(dossiers::number.assume_not_null())
                .load(c)
                .map_err(guichet_db::DbError::from)
        })
        .await
        .unwrap();
    let csv = browser
        .get("/instruction/export.csv?onglet=traites")
        .await
        .text()
        .await
        .unwrap();
    let mut exported: Vec<String> = csv
        .lines()
        .skip(1)
        .map(|l| l.split(';').next().unwrap_or_default().to_owned())
        .collect();
    // In queue order: the export starts with the queue's first page.
    let first_page: Vec<String> = first
        .iter()
        .map(|d| d.number.as_ref().map(ToString::to_string).unwrap_or_default())
        .collect();
    assert_eq!(
        &exported[..first_page.len()],
        first_page.as_slice(),
        "queue order"
    );
    exported.sort();
    let mut decided = decided;
    decided.sort();
    assert!(!decided.is_empty());
    assert_eq!(exported, decided);

    // Read in pages of 7 rows (PostgreSQL) or one query (SQLite), the whole tab comes in queue order,
    // each dossier once, and stops when asked to.
    let (walked, streamed, stopped) = app
        .pool
        .run(|c| {
            let mut f = QueueFilter::new(Some(vec!["mdph".into()]), [Tab::Traites]);
            f.limit = 7;
            let mut walked = Vec::new();
            loop {
                let page = instruction::queue(c, &f)?;
                f.after = page.last().map(|d| d.cursor());
                let last = page.len() < 7;
                walked.extend(page.into_iter().map(|d| d.id));
                if last {
                    break;
                }
            }
            f.after = None;
            let mut streamed = Vec::new();
            instruction::each_item(c, &f, |d| {
                streamed.push(d.id);
                Ok(true)
            })?;
            let mut stopped = 0;
            instruction::each_item(c, &f, |_| {
                stopped += 1;
                Ok(stopped < 10)
            })?;
            Ok::<_, guichet_dossiers::DossierError>((walked, streamed, stopped))
        })
        .await
        .unwrap();
    assert!(walked.len() > 14, "more than two pages: {}", walked.len());
    assert_eq!(streamed, walked);
    assert_eq!(stopped, 10);

    // Seeding again adds dossiers after the existing numbers.
    seed(
        &app,
        &["--dossiers", "20", "--procedure", "apa", "--quiet", "--seed", "7"],
    );
    let total: i64 = app
        .pool
        .run(|c| {
            dossiers::table
                .count()
                .get_result(c)
                .map_err(guichet_db::DbError::from)
        })
        .await
        .unwrap();
    assert_eq!(total, (N + 20) as i64);
}

on_both_backends!(seeded_dossiers_are_valid_numbered_and_listed);
