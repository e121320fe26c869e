//! The attestation of an implicit decision. When the administration stays silent past the legal
//! time limit, some requests are deemed accepted (CRPA L231-1) and the usager may ask for an
//! attestation of it (CRPA L232-3). APA at home is deemed granted at a flat amount until the
//! explicit decision (CASF L232-14).

use chrono::{Months, NaiveDate};
use guichet_types::{DossierNumber, Euros};
use serde::{Deserialize, Serialize};

use crate::decision::{Recipient, Signature};
use crate::letter::{self, Layout, LetterSection, LetterText};
use crate::{DocumentError, Letterhead, french};

/// Everything printed on an attestation of implicit decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attestation {
    /// The authority that stayed silent, with its postal address and contact lines.
    pub letterhead: Letterhead,
    /// The usager or their legal representative.
    pub recipient: Recipient,
    /// The person the request is for: `Mme Hélène Dupré-Lefèvre`.
    pub beneficiary_name: String,
    pub dossier_number: DossierNumber,
    /// Where the attestation is signed; empty prints « Le 1er décembre 2026 ».
    #[serde(default)]
    pub place: String,
    /// The date the attestation is issued.
    pub date: NaiveDate,
    /// `Forfait Améthyste`, `Allocation personnalisée d’autonomie (APA) à domicile`.
    pub procedure_title: String,
    /// The day the request was received.
    pub deposited_on: NaiveDate,
    /// The day the file became complete, when it was not complete on deposit (the time limit runs
    /// from then, CRPA L114-5).
    #[serde(default)]
    pub complete_on: Option<NaiveDate>,
    /// The date of the implicit decision: the end of the time limit.
    pub deemed_on: NaiveDate,
    pub kind: ImplicitKind,
    /// The rule that makes silence an acceptance, as printed: `article L231-1 du code des relations
    /// entre le public et l’administration`, `article L232-14 du code de l’action sociale et des
    /// familles`.
    pub legal_basis: String,
    /// Who signs.
    pub signature: Signature,
    /// The département's paragraphs before and after the facts.
    #[serde(default)]
    pub texts: crate::LetterTexts,
}

/// What the silence gave.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ImplicitKind {
    /// The request is deemed accepted as made.
    Acceptance,
    /// The aid is deemed granted provisionally at a flat monthly amount until the explicit
    /// decision (APA at home, CASF L232-14).
    FlatAmount {
        /// The monthly flat amount.
        amount: Euros,
        /// The text that sets the amount, printed « Montant fixé par : … »; may be empty.
        reference: String,
    },
}

/// `deux mois` when `deemed_on` falls a whole number of months (or that plus one day) after `from`.
fn time_limit(from: NaiveDate, deemed_on: NaiveDate) -> Option<String> {
    const WORDS: [&str; 12] = [
        "un", "deux", "trois", "quatre", "cinq", "six", "sept", "huit", "neuf", "dix", "onze", "douze",
    ];
    (1..=12u32).find_map(|n| {
        let end = from.checked_add_months(Months::new(n))?;
        // The limit ends on the same date n months later; the decision is born that day or the next.
        (deemed_on == end || end.succ_opt() == Some(deemed_on))
            .then(|| format!("{} mois", WORDS[n as usize - 1]))
    })
}

/// The attestation's content as plain text blocks; [`render_attestation`] prints exactly these.
pub fn attestation_text(attestation: &Attestation) -> LetterText {
    let a = attestation;
    let number = a.dossier_number.to_string();
    let beneficiary = a.beneficiary_name.trim();
    let whose = if beneficiary.is_empty() {
        String::new()
    } else {
        format!(" de {beneficiary}")
    };
    let object = format!(
        "Objet : attestation de décision implicite – {}{whose} (dossier n° {number})",
        a.procedure_title.trim()
    );
    let representative = a
        .recipient
        .quality
        .as_deref()
        .is_some_and(|q| !q.trim().is_empty())
        && !beneficiary.is_empty();
    let title = letter::quoted(a.procedure_title.trim());
    let request = if representative {
        format!("la demande {title} présentée pour {beneficiary}")
    } else {
        format!("votre demande {title}")
    };
    let complete = a
        .complete_on
        .map(|d| format!(", complète le {}", french::date(d)))
        .unwrap_or_default();
    let limit = match time_limit(a.complete_on.unwrap_or(a.deposited_on), a.deemed_on) {
        Some(months) => format!("dans le délai de {months}"),
        None => "dans le délai prévu".to_owned(),
    };
    let basis = a.legal_basis.trim();
    let basis_paren = if basis.is_empty() {
        String::new()
    } else {
        format!(" ({basis})")
    };
    let issued = "Cette attestation est délivrée en application de l’article L232-3 du code des relations entre \
                  le public et l’administration.";
    let deposited = format!(
        "Nous attestons que {request}, déposée le {}{complete},",
        french::date(a.deposited_on)
    );

    // The key fact first (it is set in bold), then what identifies the request.
    let mut facts = Vec::new();
    match &a.kind {
        ImplicitKind::Acceptance => {
            facts.push(format!(
                "Demande réputée acceptée le {}",
                french::date(a.deemed_on)
            ));
        }
        ImplicitKind::FlatAmount { amount, reference } => {
            facts.push(format!(
                "Attribution provisoire depuis le {}",
                french::date(a.deemed_on)
            ));
            facts.push(format!("Montant forfaitaire : {amount} par mois"));
            if !reference.trim().is_empty() {
                facts.push(letter::prefixed("Montant fixé par : ", "montant", reference));
            }
        }
    }
    if !beneficiary.is_empty() {
        facts.push(format!("Personne concernée : {beneficiary}"));
    }
    facts.push(format!("Dossier n° {number}"));
    facts.push(format!("Demande déposée le {}", french::date(a.deposited_on)));
    if let Some(d) = a.complete_on {
        facts.push(format!("Dossier complet le {}", french::date(d)));
    }

    let intro = match &a.kind {
        ImplicitKind::Acceptance => {
            vec![
                format!(
                    "{deposited} est réputée acceptée depuis le {} en l’absence de réponse de l’administration \
                     {limit}{basis_paren}.",
                    french::date(a.deemed_on)
                ),
                format!("{issued} Conservez-la : elle prouve la décision dont vous bénéficiez."),
            ]
        }
        ImplicitKind::FlatAmount { amount, .. } => {
            let to_whom = if representative {
                format!("est accordée à {beneficiary}")
            } else {
                "vous est accordée".to_owned()
            };
            vec![
                format!("{deposited} n’a pas reçu de décision {limit}."),
                format!(
                    "En conséquence, l’aide demandée {to_whom} à titre provisoire, depuis le {}, pour un montant \
                     forfaitaire de {amount} par mois, jusqu’à la décision{basis_paren}.",
                    french::date(a.deemed_on)
                ),
                format!(
                    "Le montant définitif sera fixé par la décision, qui vous sera notifiée avec les voies et délais \
                     de recours. {issued}"
                ),
            ]
        }
    };
    if !basis.is_empty() {
        facts.push(letter::prefixed("Références : ", "référence", basis));
    }

    LetterText {
        heading: letter::heading(&a.letterhead),
        addressee: letter::addressee(&a.recipient),
        place_date: letter::place_date(&a.place, a.date),
        object,
        salutation: letter::salutation(&a.recipient),
        intro: a.texts.opening().into_iter().chain(intro).collect(),
        sections: vec![LetterSection {
            title: if representative {
                "La demande"
            } else {
                "Votre demande"
            }
            .to_owned(),
            lines: facts,
        }],
        appeals: Vec::new(),
        closing: a.texts.closing(&a.recipient),
        signature: letter::signature(&a.signature).0,
        copy: None,
    }
}

fn check(a: &Attestation) -> Result<(), DocumentError> {
    let start = a.complete_on.unwrap_or(a.deposited_on);
    if start < a.deposited_on || a.deemed_on < start {
        return Err(DocumentError::Incomplete(
            "dates incohérentes : le dépôt, le dossier complet et la décision implicite doivent se suivre"
                .to_owned(),
        ));
    }
    if a.date < a.deemed_on {
        return Err(DocumentError::Incomplete(
            "une décision implicite ne peut être attestée avant d’être acquise".to_owned(),
        ));
    }
    if let ImplicitKind::FlatAmount { amount, .. } = &a.kind
        && *amount <= Euros::from_cents(0)
    {
        return Err(DocumentError::Incomplete("montant forfaitaire nul".to_owned()));
    }
    Ok(())
}

/// Renders the attestation as PDF bytes (tagged, in French), printed from [`attestation_text`].
///
/// Fails with [`DocumentError::Incomplete`] when the dates do not follow each other (deposit,
/// complete file, implicit decision, issue) or a flat amount is not positive.
pub fn render_attestation(attestation: &Attestation) -> Result<Vec<u8>, DocumentError> {
    check(attestation)?;
    let text = attestation_text(attestation);
    let facts = text.sections.iter().map(|s| s.lines.len()).collect();
    let (_, signature_name, signature_on_behalf) = letter::signature(&attestation.signature);
    let number = attestation.dossier_number.to_string();
    letter::render(
        &text,
        &Layout {
            heading_strong: letter::heading_strong(&attestation.letterhead),
            facts,
            signature_name,
            signature_on_behalf,
            footer: format!("Attestation – dossier n° {number}"),
            title: format!(
                "Attestation de décision implicite {number} – {}",
                attestation.procedure_title
            ),
            author: attestation.letterhead.name.clone(),
            subject: attestation.procedure_title.clone(),
            date: attestation.date,
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn whole_months_are_written_out_and_other_spans_are_not_guessed() {
        assert_eq!(
            time_limit(date(2026, 10, 5), date(2026, 12, 5)).as_deref(),
            Some("deux mois")
        );
        assert_eq!(
            time_limit(date(2026, 10, 5), date(2026, 12, 6)).as_deref(),
            Some("deux mois")
        );
        assert_eq!(
            time_limit(date(2026, 8, 31), date(2026, 10, 31)).as_deref(),
            Some("deux mois")
        );
        assert_eq!(time_limit(date(2026, 10, 5), date(2026, 12, 20)), None);
        assert_eq!(
            time_limit(date(2026, 7, 1), date(2026, 11, 1)).as_deref(),
            Some("quatre mois")
        );
    }
}
