//! Whole-form validation of a complete submission: `cargo run --release -p guichet_forms --example bench`.
//!
//! Prints median and p95 per validation for each shipped definition that has a complete fixture, and the
//! machine's CPU. Not a timed test: figures vary with the machine and its load.

use std::path::Path;
use std::time::Instant;

use guichet_forms::{Answers, FormDefinition};

fn cpu() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|m| m.trim().to_string())
        })
        .unwrap_or_else(|| "inconnu".into())
}

fn bench(name: &str, form: &FormDefinition, mut answers: Answers) {
    // Fixed so that the fixtures' document dates stay within their validity.
    let Some(today) = chrono::NaiveDate::from_ymd_opt(2026, 11, 23) else {
        return;
    };
    form.normalize_answers(&mut answers, today);
    let errors = form.validate_all(&answers, today);
    if !errors.is_empty() {
        eprintln!("{name}: the fixture is not a complete submission: {errors:?}");
        return;
    }
    for _ in 0..200 {
        std::hint::black_box(form.validate_all(&answers, today));
    }
    let runs = 3000;
    let mut times = Vec::with_capacity(runs);
    for _ in 0..runs {
        let start = Instant::now();
        std::hint::black_box(form.validate_all(std::hint::black_box(&answers), today));
        times.push(start.elapsed());
    }
    times.sort();
    let median = times[runs / 2];
    let p95 = times[runs * 95 / 100];
    let fields = answers.len();
    println!("{name}: validate_all, {fields} answers, {runs} runs: median {median:?}, p95 {p95:?}");
}

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    println!(
        "CPU: {} ({} threads available)",
        cpu(),
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    let cases = [
        (
            "apa",
            "../../forms/apa.toml",
            include_str!("../tests/fixtures/apa_complete.json"),
        ),
        (
            "mdph",
            "../../forms/mdph.toml",
            include_str!("../tests/fixtures/mdph_complete.json"),
        ),
    ];
    for (name, path, fixture) in cases {
        let form = match FormDefinition::load(&root.join(path)) {
            Ok(f) => f,
            Err(e) => {
                eprintln!("{name}: {e}");
                continue;
            }
        };
        match serde_json::from_str::<Answers>(fixture) {
            Ok(answers) => bench(name, &form, answers),
            Err(e) => eprintln!("{name}: fixture: {e}"),
        }
    }
}
