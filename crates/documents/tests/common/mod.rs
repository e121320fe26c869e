//! Realistic inputs shared by the integration tests and the bench example
//! (`#[path]`-included there, so keep it free of test-only dependencies).
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use chrono::NaiveDate;
use guichet_documents::{
    AmountFrequency, Answer, Appeal, Decision, ExpectedAnswer, Letterhead, Outcome, Receipt, Recipient,
    Signature, Silence, SummarySection,
};
use guichet_types::{DossierNumber, Euros};

pub fn letterhead() -> Letterhead {
    Letterhead {
        name: "Département de la Seine-Saint-Denis".into(),
        service: Some("Direction de la population âgée et des personnes handicapées".into()),
        address_lines: vec!["Hôtel du Département".into(), "93006 Bobigny Cedex".into()],
        contact_lines: vec!["Téléphone : 01 43 93 93 93".into()],
    }
}

pub fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

/// A receipt with `sections` sections of `answers_per_section` answers each; the last answer of
/// the last section is `Dernière réponse : fin du récapitulatif`.
pub fn receipt(sections: usize, answers_per_section: usize) -> Receipt {
    let sections = (1..=sections)
        .map(|s| {
            let answers = (1..=answers_per_section)
                .map(|a| {
                    if s == sections && a == answers_per_section {
                        return Answer::new("Dernière réponse", "fin du récapitulatif");
                    }
                    match a % 4 {
                        0 => Answer::new(
                            format!("Question {s}.{a} : décrivez votre situation au quotidien"),
                            "Je vis seule dans un appartement au troisième étage sans ascenseur. \
                             Ma fille passe deux fois par semaine pour les courses ; une aide à domicile \
                             vient le matin pour la toilette et l’habillage.",
                        ),
                        1 => Answer::new(format!("Question {s}.{a} : date de naissance"), "12 mars 1941"),
                        2 => Answer::new(
                            format!("Question {s}.{a} : revenus mensuels du foyer"),
                            "1\u{202f}682,30\u{a0}€",
                        ),
                        _ => Answer::new(format!("Question {s}.{a} : vivez-vous seule ?"), "Oui"),
                    }
                })
                .collect();
            SummarySection::new(format!("Partie {s} – Situation familiale et logement"), answers)
        })
        .collect();
    Receipt {
        letterhead: letterhead(),
        dossier_number: DossierNumber::parse("APA-2026-000123").unwrap(),
        deposited_at: date(2026, 11, 23).and_hms_opt(14, 5, 0).unwrap(),
        procedure_title: "Allocation personnalisée d’autonomie (APA) à domicile".into(),
        applicant_name: "Hélène Dupré-Lefèvre".into(),
        sections,
        documents: vec![
            "Pièce d’identité : carte-identite-recto-verso.pdf".into(),
            "Dernier avis d’imposition : avis-impot-2026.pdf".into(),
            "Relevé d’identité bancaire : rib-la-banque-postale.pdf".into(),
        ],
        expected_answer: Some(ExpectedAnswer {
            by: date(2027, 1, 23),
            silence: Silence::Rejection,
        }),
    }
}

/// The typical receipt: 5 sections of 8 answers, 40 in all.
pub fn typical_receipt() -> Receipt {
    receipt(5, 8)
}

pub fn granted_decision() -> Decision {
    Decision {
        letterhead: letterhead(),
        recipient: Recipient {
            name: "Mme Hélène Dupré-Lefèvre".into(),
            address_lines: vec!["12 rue des Lilas".into(), "Bâtiment B, 3e étage".into(), "93100 Montreuil".into()],
        },
        dossier_number: DossierNumber::parse("APA-2026-000123").unwrap(),
        place: "Bobigny".into(),
        date: date(2026, 12, 15),
        procedure_title: "Allocation personnalisée d’autonomie (APA) à domicile".into(),
        outcome: Outcome::Granted {
            amount: Some(Euros::from_cents(168_230)),
            frequency: AmountFrequency::Monthly,
            start: date(2027, 1, 1),
            end: Some(date(2028, 12, 31)),
        },
        motivation: "L’évaluation réalisée à votre domicile le 3 décembre 2026 par l’équipe médico-sociale \
                     classe votre perte d’autonomie en GIR 2.\n\n\
                     Le plan d’aide retenu comprend 45 heures d’aide à domicile par mois, la téléassistance et \
                     un accueil de jour une fois par semaine. Votre participation est calculée d’après vos \
                     ressources déclarées."
            .into(),
        appeal: Appeal::for_procedure("apa"),
        signature: Signature {
            on_behalf: Some("Pour le président du conseil départemental et par délégation,".into()),
            title: "La directrice de l’autonomie".into(),
            name: Some("Claire Martin".into()),
        },
    }
}

pub fn refused_decision() -> Decision {
    Decision {
        outcome: Outcome::Refused,
        motivation: "Votre perte d’autonomie, évaluée en GIR 5, ne relève pas de l’allocation personnalisée \
                     d’autonomie, réservée aux GIR 1 à 4 (article R232-4 du code de l’action sociale et des \
                     familles). Votre caisse de retraite peut vous proposer une aide à domicile."
            .into(),
        ..granted_decision()
    }
}
