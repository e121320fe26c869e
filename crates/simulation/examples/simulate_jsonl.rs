//! Batch simulation over JSON lines: one input object per line on standard input, one result object per
//! line on standard output (`null` and a message on standard error for an invalid line).
//! `cargo run --release -p guichet_simulation --example simulate_jsonl -- apa < cases.jsonl`

use std::io::{BufRead, Write};

use guichet_simulation::{Aid, Parameters, simulate_json};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let aid: Aid = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "apa".to_owned())
        .parse()?;
    let p = Parameters::load()?;
    let stdin = std::io::stdin();
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let mut busy = std::time::Duration::ZERO;
    let mut count = 0usize;
    for (n, line) in stdin.lock().lines().enumerate() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        let start = std::time::Instant::now();
        let result = serde_json::from_str(&line)
            .map_err(|e| guichet_simulation::SimulationError::InvalidInput(e.to_string()))
            .and_then(|input| simulate_json(&p, aid, input));
        busy += start.elapsed();
        count += 1;
        match result {
            Ok(v) => writeln!(out, "{v}")?,
            Err(e) => {
                eprintln!("ligne {}: {e}", n + 1);
                writeln!(out, "null")?;
            }
        }
    }
    // Parse + simulate + build the JSON result, without the reading and writing of lines.
    eprintln!("simulation : {count} cas en {:.3} s", busy.as_secs_f64());
    Ok(())
}
