//! Rendering time of a typical receipt (40 answers) and a decision letter (an MDPH letter with four
//! rights, two pages).
//!
//! `cargo run --release -p guichet_documents --example bench [iterations]`
//!
//! Prints the median and 95th percentile per document, the first call apart (it parses the fonts),
//! and the machine it ran on. The aim is at most 5 ms per PDF.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../tests/common/mod.rs"]
mod common;

use std::time::{Duration, Instant};

fn main() {
    let iterations: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(300);
    let (cpu, cores) = machine();
    println!("CPU: {cpu}, {cores} logical cores");
    if cfg!(debug_assertions) {
        println!("warning: debug build; use --release for meaningful figures");
    }

    let receipt = common::typical_receipt();
    let answers: usize = receipt.sections.iter().map(|s| s.answers.len()).sum();
    let decision = common::mdph_decision();

    // The first render pays for parsing the two embedded fonts (once per process).
    let start = Instant::now();
    let first = guichet_documents::render_receipt(&receipt).unwrap();
    println!("first receipt (includes font parsing): {}", ms(start.elapsed()));

    let receipt_bytes = first.len();
    let receipt_times = time(iterations, || {
        guichet_documents::render_receipt(&receipt).unwrap().len()
    });
    let decision_bytes = guichet_documents::render_decision(&decision).unwrap().len();
    let decision_times = time(iterations, || {
        guichet_documents::render_decision(&decision).unwrap().len()
    });

    report(
        &format!("receipt, {answers} answers, {receipt_bytes} bytes"),
        receipt_times,
    );
    report(
        &format!("decision letter, {decision_bytes} bytes"),
        decision_times,
    );
}

fn time(iterations: usize, mut f: impl FnMut() -> usize) -> Vec<Duration> {
    let mut times: Vec<Duration> = (0..iterations)
        .map(|_| {
            let start = Instant::now();
            std::hint::black_box(f());
            start.elapsed()
        })
        .collect();
    times.sort();
    times
}

fn report(what: &str, sorted: Vec<Duration>) {
    let at = |q: f64| sorted[((sorted.len() - 1) as f64 * q).round() as usize];
    println!(
        "{what}: median {}, p95 {}, min {}, max {} over {} runs",
        ms(at(0.5)),
        ms(at(0.95)),
        ms(sorted[0]),
        ms(sorted[sorted.len() - 1]),
        sorted.len()
    );
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

fn machine() -> (String, usize) {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find(|l| l.starts_with("model name"))
        .and_then(|l| l.split_once(':'))
        .map_or_else(|| "unknown".to_owned(), |(_, m)| m.trim().to_owned());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    (model, cores)
}
