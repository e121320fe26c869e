//! APA à domicile benchmark: one-case latency (median, p95, p99) and the throughput of a 100 000-case
//! batch. Run with `cargo run --release -p guichet_simulation --example bench`.

use std::hint::black_box;
use std::time::{Duration, Instant};

use guichet_simulation::Explain;
use guichet_simulation::Parameters;
use guichet_simulation::apa::{ApaDomicileInput, simulate_domicile_with};
use guichet_types::{Euros, Gir};

fn machine() -> String {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find_map(|l| {
            l.strip_prefix("model name")
                .map(|r| r.trim_start_matches([' ', '\t', ':']).to_owned())
        })
        .unwrap_or_else(|| "inconnu".to_owned());
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    format!("{model}, {cores} cœur(s) disponible(s)")
}

/// A deterministic spread of cases (GIR 1-4, plans and resources over the whole range, couples,
/// dates in 2024-2026), without a random-number dependency.
fn case(i: u64) -> Option<ApaDomicileInput> {
    let mix = i
        .wrapping_mul(6_364_136_223_846_793_005)
        .wrapping_add(1_442_695_040_888_963_407);
    let gir = Gir::new(u8::try_from(1 + mix % 4).ok()?).ok()?;
    let plan = i64::try_from((mix >> 8) % 250_000).ok()?;
    let ressources = i64::try_from((mix >> 24) % 500_000).ok()?;
    let day = (mix >> 40) % 1000;
    Some(ApaDomicileInput {
        gir,
        plan: Euros::from_cents(plan),
        ressources: Some(Euros::from_cents(ressources)),
        revenus_annuels: None,
        valeur_locative_bati: None,
        valeur_locative_non_bati: None,
        capitaux: None,
        couple: mix.is_multiple_of(3),
        date: chrono::NaiveDate::from_ymd_opt(2024, 1, 1).map(|d| d + chrono::Days::new(day)),
        date_naissance: None,
        age: Some(80),
    })
}

fn percentile(sorted: &[Duration], q: f64) -> Duration {
    let idx = ((sorted.len() as f64 - 1.0) * q).round() as usize;
    sorted[idx.min(sorted.len() - 1)]
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let load_start = Instant::now();
    let p = Parameters::load()?;
    let load = load_start.elapsed();
    println!("Machine : {}", machine());
    println!("Chargement des paramètres : {:.2} ms", load.as_secs_f64() * 1e3);

    // One-case latency: the worked example of the issue, repeated.
    let one = ApaDomicileInput {
        gir: Gir::new(2)?,
        plan: Euros::from_cents(150_000),
        ressources: Some(Euros::from_cents(180_000)),
        revenus_annuels: None,
        valeur_locative_bati: None,
        valeur_locative_non_bati: None,
        capitaux: None,
        couple: false,
        date: chrono::NaiveDate::from_ymd_opt(2026, 1, 15),
        date_naissance: None,
        age: Some(82),
    };
    for (mode, explain) in [
        ("explication comprise", Explain::Full),
        ("montants seuls, sans explication", Explain::AmountsOnly),
    ] {
        for _ in 0..1_000 {
            black_box(simulate_domicile_with(&p, black_box(&one), explain)?);
        }
        let mut samples = Vec::with_capacity(20_000);
        for _ in 0..20_000 {
            let t = Instant::now();
            black_box(simulate_domicile_with(&p, black_box(&one), explain)?);
            samples.push(t.elapsed());
        }
        samples.sort();
        println!(
            "Un cas APA (20 000 mesures, {mode}) : médiane {:.2} µs, p95 {:.2} µs, p99 {:.2} µs",
            percentile(&samples, 0.5).as_secs_f64() * 1e6,
            percentile(&samples, 0.95).as_secs_f64() * 1e6,
            percentile(&samples, 0.99).as_secs_f64() * 1e6,
        );
    }

    // Batch: 100 000 varied cases, one thread.
    let cases: Vec<ApaDomicileInput> = (0..100_000).filter_map(case).collect();
    for (mode, explain) in [
        ("explication comprise", Explain::Full),
        ("montants seuls", Explain::AmountsOnly),
    ] {
        let t = Instant::now();
        let mut total = 0i64;
        for c in &cases {
            total += simulate_domicile_with(&p, black_box(c), explain)?.apa.cents();
        }
        let elapsed = t.elapsed();
        println!(
            "Lot de {} cas APA (un fil, {mode}) : {:.3} s, {:.0} cas/s (somme de contrôle {} centimes)",
            cases.len(),
            elapsed.as_secs_f64(),
            cases.len() as f64 / elapsed.as_secs_f64(),
            total
        );
    }
    Ok(())
}
