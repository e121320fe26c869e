//! Runs the hand-worked case files in `tests/cases/*.toml` (one per aid, like OpenFisca's YAML tests).
//! Each case gives an `input` (deserialized exactly as a form, a CSV row or a JSON body would be) and
//! `expected` result fields: amounts in euros, compared to the cent; `eligible` is the verdict;
//! `elements.<id>` is a PCH element.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use guichet_simulation::{Parameters, aah, amethyste, apa, pch};
use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::Value;

#[derive(Deserialize)]
struct CaseFile {
    cases: Vec<Case>,
}

#[derive(Deserialize)]
struct Case {
    name: String,
    input: toml::Table,
    expected: toml::Table,
}

fn decimal_of_toml(v: &toml::Value) -> Decimal {
    match v {
        toml::Value::Integer(i) => Decimal::from(*i),
        toml::Value::Float(f) => f.to_string().parse().unwrap(),
        other => panic!("expected a number, got {other}"),
    }
}

fn field<'a>(result: &'a Value, key: &str) -> Option<&'a Value> {
    if key == "eligible" {
        return result.get("verdict").and_then(|v| v.get("eligible"));
    }
    if let Some(id) = key.strip_prefix("elements.") {
        return result
            .get("elements")?
            .as_array()?
            .iter()
            .find(|e| e.get("id").and_then(Value::as_str) == Some(id))
            .and_then(|e| e.get("montant"));
    }
    result.get(key)
}

/// Compares one expected value. Money fields serialize as integer cents; rates as decimal strings.
fn check(case: &str, key: &str, expected: &toml::Value, result: &Value) -> Option<String> {
    let Some(actual) = field(result, key) else {
        return Some(format!("{case}: field `{key}` missing in {result}"));
    };
    let ok = match (expected, actual) {
        (toml::Value::Boolean(b), Value::Bool(a)) => a == b,
        (e, Value::Number(n)) => {
            let cents = decimal_of_toml(e) * Decimal::ONE_HUNDRED;
            n.as_i64().map(Decimal::from) == Some(cents)
        }
        (e, Value::String(s)) => s.parse::<Decimal>().ok() == Some(decimal_of_toml(e)),
        _ => false,
    };
    (!ok).then(|| format!("{case}: `{key}` expected {expected}, got {actual}"))
}

fn run<I, R>(file: &str, simulate: impl Fn(&Parameters, &I) -> guichet_simulation::Result<R>) -> usize
where
    I: serde::de::DeserializeOwned,
    R: serde::Serialize,
{
    let p = Parameters::load().unwrap();
    let path = format!("{}/tests/cases/{file}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap();
    let cases: CaseFile = toml::from_str(&text).unwrap();
    let mut failures = Vec::new();
    for case in &cases.cases {
        let input: I = toml::Value::Table(case.input.clone())
            .try_into()
            .unwrap_or_else(|e| panic!("{}: input does not deserialize: {e}", case.name));
        let result = simulate(&p, &input).unwrap_or_else(|e| panic!("{}: {e}", case.name));
        let json = serde_json::to_value(&result).unwrap();
        for (key, expected) in &case.expected {
            failures.extend(check(&case.name, key, expected, &json));
        }
    }
    assert!(
        failures.is_empty(),
        "{} failure(s):\n{}",
        failures.len(),
        failures.join("\n")
    );
    cases.cases.len()
}

#[test]
fn apa_domicile_cases() {
    assert!(run("apa_domicile.toml", apa::simulate_domicile) >= 15);
}

#[test]
fn apa_etablissement_cases() {
    assert!(run("apa_etablissement.toml", apa::simulate_etablissement) >= 5);
}

#[test]
fn pch_cases() {
    assert!(run("pch.toml", pch::simulate) >= 10);
}

#[test]
fn aah_cases() {
    assert!(run("aah.toml", aah::simulate) >= 10);
}

#[test]
fn amethyste_cases() {
    assert!(run("amethyste.toml", amethyste::simulate) >= 8);
}
