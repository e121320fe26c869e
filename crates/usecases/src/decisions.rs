//! Decisions in plain words, the same on the usager's page, the back office and the emails.

use guichet_dossiers::rights::{Outcome, Right};
use guichet_forms::french_date;

/// Most rights are named by a feminine noun (allocation, prestation, carte, reconnaissance, orientation);
/// the few masculine ones take the masculine agreement.
fn feminine(label: &str) -> bool {
    let first = label.split_whitespace().next().unwrap_or("");
    !matches!(
        first,
        "Forfait" | "Renouvellement" | "Complément" | "Maintien" | "Plan"
    )
}

/// « Accordée : 1 223,67 € par mois du 1er décembre 2026 au 31 décembre 2028 », « Refusée », « Sans objet »,
/// « En cours d’examen ».
pub fn plain_words(r: &Right) -> String {
    let e = if feminine(&r.label) { "e" } else { "" };
    if r.withdrawn_at.is_some() {
        return format!("Retiré{e} de la demande");
    }
    match r.outcome {
        None => "En cours d’examen".to_owned(),
        Some(Outcome::Refus) => format!("Refusé{e}"),
        Some(Outcome::SansObjet) => "Sans objet".to_owned(),
        Some(Outcome::Accord) => {
            let mut s = format!("Accordé{e}");
            let mut rest = Vec::new();
            if let Some(a) = r.amount {
                rest.push(format!("{a}{}", r.unit.label()));
            }
            match (r.period_start, r.period_end) {
                (Some(a), Some(b)) => rest.push(format!("du {} au {}", french_date(a), french_date(b))),
                (Some(a), None) => rest.push(format!("à compter du {}", french_date(a))),
                _ => {}
            }
            if !rest.is_empty() {
                s.push_str(" : ");
                s.push_str(&rest.join(" "));
            }
            if let Some(rate) = r.rate {
                s.push_str(&format!(" (taux d’incapacité {})", rate.label()));
            }
            s
        }
    }
}

/// The dossier's state as the usager reads it: a complement awaited is an action for them.
pub fn usager_state(d: &guichet_dossiers::Dossier) -> &'static str {
    if d.is_withdrawn() {
        "Demande retirée"
    } else if d.complement_demande {
        "Action requise : votre dossier est incomplet"
    } else {
        d.state.label()
    }
}

/// The dossier's state as the back office reads it.
pub fn staff_state(d: &guichet_dossiers::Dossier) -> &'static str {
    if d.is_withdrawn() {
        return "Demande retirée par le demandeur";
    }
    match (d.complement_demande, d.complement_recu) {
        (true, _) => "En instruction : complément demandé, en attente de l’usager",
        (false, true) => "En instruction : complément reçu",
        _ => d.state.label(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;
    use guichet_dossiers::rights::{Authority, Rate, Unit};
    use guichet_types::Euros;

    fn right(label: &str) -> Right {
        Right {
            id: String::new(),
            dossier_id: String::new(),
            code: "x".into(),
            label: label.into(),
            position: 0,
            added_by_instructor: false,
            authority: Authority::PresidentCd,
            unit: Unit::PerMonth,
            withdrawn_at: None,
            withdrawn_reason: None,
            proposal: None,
            proposal_note: None,
            proposed_at: None,
            outcome: None,
            amount: None,
            period_start: None,
            period_end: None,
            rate: None,
            motivation: None,
            legal_basis: None,
            decided_by: None,
            decided_at: None,
            session_id: None,
        }
    }

    #[test]
    fn a_grant_says_amount_unit_and_period() {
        let mut r = right("Allocation personnalisée d’autonomie à domicile");
        r.outcome = Some(Outcome::Accord);
        r.amount = Some(Euros::from_cents(122_367));
        r.period_start = NaiveDate::from_ymd_opt(2026, 12, 1);
        r.period_end = NaiveDate::from_ymd_opt(2028, 12, 31);
        let s = plain_words(&r);
        assert!(s.starts_with("Accordée : 1"), "{s}");
        assert!(
            s.contains("223,67\u{a0}€ par mois du 1er décembre 2026 au 31 décembre 2028"),
            "{s}"
        );
        r.rate = Some(Rate::Ge80);
        assert!(plain_words(&r).ends_with("(taux d’incapacité égal ou supérieur à 80 %)"));
    }

    #[test]
    fn refusals_and_open_rights_agree_with_their_noun() {
        let mut r = right("Forfait Améthyste");
        r.outcome = Some(Outcome::Refus);
        assert_eq!(plain_words(&r), "Refusé");
        let mut r = right("Carte mobilité inclusion mention stationnement");
        assert_eq!(plain_words(&r), "En cours d’examen");
        r.outcome = Some(Outcome::Refus);
        assert_eq!(plain_words(&r), "Refusée");
    }
}
