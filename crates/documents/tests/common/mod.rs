//! Realistic inputs shared by the integration tests and the bench example
//! (`#[path]`-included there, so keep it free of test-only dependencies).
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use chrono::NaiveDate;
use guichet_documents::{
    Answer, AppealRoute, Attestation, Decision, ExpectedAnswer, ImplicitKind, Letterhead, Receipt, Recipient,
    RightDecision, RightOutcome, Signature, Silence, SummarySection,
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

/// The letterhead of a letter: with postal address and the three contact lines.
pub fn letter_letterhead() -> Letterhead {
    Letterhead {
        name: "Maison départementale des personnes handicapées de la Seine-Saint-Denis".into(),
        service: Some("Pôle prestations".into()),
        address_lines: vec!["7-11 rue Erik Satie".into(), "93000 Bobigny".into()],
        contact_lines: vec![
            "Téléphone : 01 43 93 93 93".into(),
            "Courriel : mdph@seinesaintdenis.fr".into(),
            "www.mdph93.fr".into(),
        ],
    }
}

pub fn jeanne() -> Recipient {
    Recipient {
        name: "Mme Jeanne Martin".into(),
        address_lines: vec![
            "3 rue des Écoles".into(),
            "Escalier B".into(),
            "93100 Montreuil".into(),
        ],
        civility: Some("Madame".into()),
        quality: None,
    }
}

fn right(label: &str, outcome: RightOutcome, appeal: &str) -> RightDecision {
    RightDecision {
        label: label.into(),
        outcome,
        amount: None,
        unit_suffix: String::new(),
        start: None,
        end: None,
        rate: None,
        motivation: String::new(),
        legal_basis: String::new(),
        authority: "la CDAPH".into(),
        appeal: appeal.into(),
    }
}

pub const AAH: &str = "Allocation aux adultes handicapés (AAH)";
pub const RQTH: &str = "Reconnaissance de la qualité de travailleur handicapé (RQTH)";
pub const CMI: &str = "Carte mobilité inclusion (CMI) mention invalidité";
pub const PCH: &str = "Prestation de compensation du handicap (PCH) – aide humaine";

/// An MDPH request decided right by right: AAH granted with amount, period and rate, RQTH granted
/// for five years, CMI refused by the président du conseil départemental, PCH without object.
pub fn mdph_decision() -> Decision {
    let aah = RightDecision {
        amount: Some(Euros::from_cents(103_332)),
        unit_suffix: " par mois".into(),
        start: Some(date(2027, 1, 1)),
        end: Some(date(2031, 12, 31)),
        rate: Some("égal ou supérieur à 80 %".into()),
        motivation: "Votre taux d’incapacité, évalué par l’équipe pluridisciplinaire, est égal ou supérieur à 80 %.\n\n\
                     Le montant tient compte des ressources que vous avez déclarées."
            .into(),
        legal_basis: "CSS L821-1 et L821-2".into(),
        ..right(AAH, RightOutcome::Accord, "cdaph")
    };
    let rqth = RightDecision {
        start: Some(date(2027, 1, 1)),
        end: Some(date(2031, 12, 31)),
        motivation: "Votre état de santé réduit vos possibilités d’obtenir ou de conserver un emploi.".into(),
        legal_basis: "Code du travail L5213-1 et L5213-2".into(),
        ..right(RQTH, RightOutcome::Accord, "cdaph")
    };
    let cmi = RightDecision {
        rate: Some("inférieur à 80 %".into()),
        motivation:
            "La mention invalidité est réservée aux personnes dont le taux d’incapacité est d’au moins \
                     80 % ; le vôtre est inférieur."
                .into(),
        legal_basis: "CASF L241-3".into(),
        authority: "le président du conseil départemental".into(),
        ..right(CMI, RightOutcome::Refus, "president")
    };
    let pch = RightDecision {
        motivation:
            "Vous bénéficiez déjà de l’aide humaine de la PCH jusqu’au 30 juin 2028 ; aucune nouvelle \
                     décision n’est nécessaire."
                .into(),
        legal_basis: "CASF L245-1".into(),
        ..right(PCH, RightOutcome::SansObjet, "cdaph")
    };
    Decision {
        letterhead: letter_letterhead(),
        recipient: jeanne(),
        copy_to: None,
        beneficiary_name: "Mme Jeanne Martin".into(),
        dossier_number: DossierNumber::parse("MDPH-2026-000042").unwrap(),
        place: "Bobigny".into(),
        date: date(2026, 12, 4),
        procedure_title: "Demande à la MDPH".into(),
        authority_sentence:
            "La Commission des droits et de l’autonomie des personnes handicapées (CDAPH), réunie \
                             le 3 décembre 2026, a pris les décisions suivantes"
                .into(),
        rights: vec![aah, rqth, cmi, pch],
        general_motivation: None,
        appeals: vec![AppealRoute::mdph("cdaph"), AppealRoute::departement("president")],
        signature: Signature {
            on_behalf: Some("Pour la présidente de la CDAPH et par délégation,".into()),
            title: "La directrice de la MDPH".into(),
            name: Some("Claire Martin".into()),
        },
        texts: Default::default(),
    }
}

/// The same request, addressed to the beneficiary's guardian with a copy to her.
pub fn representative_decision() -> Decision {
    Decision {
        recipient: Recipient {
            name: "M. Paul Durand".into(),
            address_lines: vec![
                "Association tutélaire de l’Est parisien".into(),
                "12 avenue Jean Jaurès".into(),
                "93300 Aubervilliers".into(),
            ],
            civility: Some("Monsieur".into()),
            quality: Some("en qualité de tuteur de Mme Jeanne Martin".into()),
        },
        copy_to: Some(Recipient {
            address_lines: vec!["3 rue des Écoles".into(), "93100 Montreuil".into()],
            ..jeanne()
        }),
        ..mdph_decision()
    }
}

/// A one-right APA grant: the common département letter.
pub fn apa_decision() -> Decision {
    Decision {
        letterhead: letterhead(),
        recipient: Recipient {
            name: "Mme Hélène Dupré-Lefèvre".into(),
            address_lines: vec!["12 rue des Lilas".into(), "Bâtiment B, 3e étage".into(), "93100 Montreuil".into()],
            civility: Some("Mme".into()),
            quality: None,
        },
        copy_to: None,
        beneficiary_name: "Mme Hélène Dupré-Lefèvre".into(),
        dossier_number: DossierNumber::parse("APA-2026-000123").unwrap(),
        place: "Bobigny".into(),
        date: date(2026, 12, 15),
        procedure_title: "Allocation personnalisée d’autonomie (APA) à domicile".into(),
        authority_sentence: "Le président du conseil départemental a pris la décision suivante".into(),
        rights: vec![RightDecision {
            label: "Allocation personnalisée d’autonomie (APA) à domicile".into(),
            outcome: RightOutcome::Accord,
            amount: Some(Euros::from_cents(168_230)),
            unit_suffix: " par mois".into(),
            start: Some(date(2027, 1, 1)),
            end: Some(date(2028, 12, 31)),
            rate: None,
            motivation: "L’évaluation réalisée à votre domicile le 3 décembre 2026 par l’équipe médico-sociale \
                         classe votre perte d’autonomie en GIR 2.\n\n\
                         Le plan d’aide retenu comprend 45 heures d’aide à domicile par mois, la téléassistance et \
                         un accueil de jour une fois par semaine. Votre participation est calculée d’après vos \
                         ressources déclarées."
                .into(),
            legal_basis: "CASF L232-1, L232-3 et R232-10".into(),
            authority: "le président du conseil départemental".into(),
            appeal: "cd".into(),
        }],
        general_motivation: None,
        appeals: vec![AppealRoute::departement("cd")],
        signature: Signature {
            on_behalf: Some("Pour le président du conseil départemental et par délégation,".into()),
            title: "La directrice de l’autonomie".into(),
            name: Some("Claire Martin".into()),
        },
        texts: Default::default(),
    }
}

/// An attestation that a request is deemed accepted after two months of silence.
pub fn acceptance_attestation() -> Attestation {
    Attestation {
        letterhead: letterhead(),
        recipient: jeanne(),
        beneficiary_name: "Mme Jeanne Martin".into(),
        dossier_number: DossierNumber::parse("AMETHYSTE-2026-000007").unwrap(),
        place: "Bobigny".into(),
        date: date(2026, 12, 10),
        procedure_title: "Forfait Améthyste".into(),
        deposited_on: date(2026, 10, 2),
        complete_on: Some(date(2026, 10, 5)),
        deemed_on: date(2026, 12, 5),
        kind: ImplicitKind::Acceptance,
        legal_basis: "article L231-1 du code des relations entre le public et l’administration".into(),
        signature: Signature {
            on_behalf: Some("Pour le président du conseil départemental et par délégation,".into()),
            title: "Le chef du service des transports".into(),
            name: Some("Karim Benali".into()),
        },
        texts: Default::default(),
    }
}

/// APA at home deemed granted at the flat amount (CASF L232-14).
pub fn apa_attestation() -> Attestation {
    Attestation {
        dossier_number: DossierNumber::parse("APA-2026-000123").unwrap(),
        procedure_title: "Allocation personnalisée d’autonomie (APA) à domicile".into(),
        kind: ImplicitKind::FlatAmount {
            amount: Euros::from_cents(102_278),
            reference:
                "article L232-14 du code de l’action sociale et des familles et son décret d’application"
                    .into(),
        },
        legal_basis: "article L232-14 du code de l’action sociale et des familles".into(),
        ..acceptance_attestation()
    }
}
