//! Prints the explanation of one case per aid, as a reader would see it:
//! `cargo run -p guichet_simulation --example explain`.

use guichet_simulation::{Parameters, Step, Verdict, aah, amethyste, apa, pch};

fn show(title: &str, verdict: &Verdict, steps: &[Step], warnings: &[String]) {
    println!("== {title} ==");
    println!("Éligible : {}", if verdict.eligible { "oui" } else { "non" });
    for r in &verdict.reasons {
        println!("  - {r}");
    }
    for c in &verdict.to_confirm {
        println!("  ? {c}");
    }
    for (i, s) in steps.iter().enumerate() {
        println!("{:>2}. {s}", i + 1);
    }
    for w in warnings {
        println!("  ! {w}");
    }
    println!();
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let p = Parameters::load()?;
    let input: apa::ApaDomicileInput = serde_json::from_str(
        r#"{"gir": 2, "plan": 1500, "ressources": 1800, "date": "2026-01-15", "age": 82}"#,
    )?;
    let r = apa::simulate_domicile(&p, &input)?;
    show("APA à domicile", &r.verdict, &r.explanation, &r.warnings);

    let input: apa::ApaEtablissementInput = serde_json::from_str(
        r#"{"gir": 1, "tarif_gir": 700, "tarif_gir_5_6": 250, "ressources": 3500,
            "date": "2026-03-01", "age": 88}"#,
    )?;
    let r = apa::simulate_etablissement(&p, &input)?;
    show("APA en établissement", &r.verdict, &r.explanation, &r.warnings);

    let input: pch::PchInput = serde_json::from_str(
        r#"{"age": 40, "difficultes_absolues": 1, "ressources_annuelles": 40000, "heures_emploi_direct": 60,
            "heures_aidant_familial": 100, "aides_techniques": 3000, "age_plus_jeune_enfant": 2,
            "date": "2026-11-23"}"#,
    )?;
    let r = pch::simulate(&p, &input)?;
    show("PCH", &r.verdict, &r.explanation, &r.warnings);

    let input: aah::AahInput = serde_json::from_str(
        r#"{"taux_incapacite": 80, "age": 40, "revenus_activite_mensuels": 1000, "date": "2026-07-01"}"#,
    )?;
    let r = aah::simulate(&p, &input)?;
    show("AAH", &r.verdict, &r.explanation, &r.warnings);

    let input: amethyste::AmethysteInput = serde_json::from_str(
        r#"{"departement": "94", "age": 70, "imposable": false, "date": "2026-03-01"}"#,
    )?;
    let r = amethyste::simulate(&p, &input)?;
    show("Améthyste", &r.verdict, &r.explanation, &r.warnings);
    Ok(())
}
