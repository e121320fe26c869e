//! The letters a dossier produces, built from its rights and its definition's legal content (appeal
//! routes, parties) and the département's identity: the PDF and the HTML rendering read the same text.

use chrono::NaiveDate;
pub use guichet_documents::LetterTexts;
use guichet_documents::{
    AppealRoute, Decision, Letterhead, Recipient, RightDecision, RightOutcome, Signature,
};
use guichet_dossiers::Dossier;
use guichet_dossiers::commission::Session;
use guichet_dossiers::rights::{Authority, Outcome, Right};
use guichet_forms::{FormDefinition, french_date};

use crate::error::{CaseError, Result};

/// Who the département is, on every letter, receipt and page footer.
#[derive(Debug, Clone, Default)]
pub struct Identity {
    /// `Département de la Seine-Saint-Denis`.
    pub name: String,
    pub address_lines: Vec<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub web_site: Option<String>,
    /// Where letters are signed: `Bobigny`.
    pub place: String,
    /// Who signs, and as what, when the service has no signatory of its own.
    pub signatory_name: Option<String>,
    pub signatory_title: Option<String>,
    /// The signatory of each service's letters, by service code (`apa`, `mdph`…): see
    /// [`Identity::signatory_for`](crate::settings).
    pub signatories: std::collections::BTreeMap<String, Signatory>,
    /// The paragraphs of every letter before and after the decisions, when the service has none of its own.
    pub letter_texts: LetterTexts,
    /// Each service's own paragraphs, by service code.
    pub service_texts: std::collections::BTreeMap<String, LetterTexts>,
}

/// Who signs a service's letters, and as what (CRPA L212-1: first name, name and quality).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Signatory {
    pub name: Option<String>,
    pub title: Option<String>,
}

impl Identity {
    pub fn letterhead(&self, service: Option<String>) -> Letterhead {
        let mut contact = Vec::new();
        if let Some(p) = &self.phone {
            contact.push(format!("Téléphone : {p}"));
        }
        if let Some(e) = &self.email {
            contact.push(format!("Courriel : {e}"));
        }
        if let Some(w) = &self.web_site {
            contact.push(w.clone());
        }
        Letterhead {
            name: self.name.clone(),
            service,
            address_lines: self.address_lines.clone(),
            contact_lines: contact,
        }
    }
}

fn recipient(p: &guichet_forms::Party) -> Recipient {
    Recipient {
        name: p.name.clone(),
        address_lines: p.address_lines.clone(),
        civility: p.civility.clone(),
        quality: None,
    }
}

/// Whom a dossier's letters go to: the legal representative when there is one (with a copy to the
/// beneficiary), else the beneficiary; and the beneficiary, named in the letter.
pub fn addressees(def: &FormDefinition, d: &Dossier) -> (Recipient, Option<Recipient>, Recipient) {
    let answers = d.answers.as_object().cloned().unwrap_or_default();
    let parties = def.parties_of(&answers);
    let beneficiary = parties.as_ref().map_or_else(
        || Recipient {
            name: d.applicant_name.clone(),
            address_lines: Vec::new(),
            civility: None,
            quality: None,
        },
        |p| recipient(&p.beneficiary),
    );
    let (to, copy_to) = match parties.as_ref().and_then(|p| p.representative.as_ref()) {
        Some(rep) => {
            let mut r = recipient(rep);
            r.quality = Some(match &rep.quality {
                Some(q) => format!("en qualité de {q} de {}", beneficiary.name),
                None => format!("pour {}", beneficiary.name),
            });
            (r, Some(beneficiary.clone()))
        }
        None => (beneficiary.clone(), None),
    };
    (to, copy_to, beneficiary)
}

/// The decision letter of a decided dossier: one section per right, the appeal routes of those rights,
/// addressed to the legal representative when there is one (copy to the beneficiary).
pub fn decision(
    identity: &Identity,
    def: &FormDefinition,
    d: &Dossier,
    rights: &[Right],
) -> Result<Decision> {
    decision_at_sittings(identity, def, d, rights, &[])
}

/// The decision letter, with the CDAPH sittings that decided its rights (`Right::session_id`;
/// [`crate::commission::sittings_of_rights`]): the authority sentence says « réunie le … », and a letter
/// whose every decision was taken at a sitting is dated the day of the (last) sitting.
pub fn decision_at_sittings(
    identity: &Identity,
    def: &FormDefinition,
    d: &Dossier,
    rights: &[Right],
    sittings: &[Session],
) -> Result<Decision> {
    let number = d.number.clone().ok_or(CaseError::NotFound)?;
    let (to, copy_to, beneficiary) = addressees(def, d);
    let decided: Vec<&Right> = rights.iter().filter(|r| r.withdrawn_at.is_none()).collect();
    let mut appeals: Vec<AppealRoute> = Vec::new();
    let mut sections = Vec::new();
    for r in &decided {
        let spec = def.right(&r.code);
        let appeal_id = spec.map(|s| s.appeal.clone()).unwrap_or_default();
        if !appeals.iter().any(|a| a.id == appeal_id)
            && let Some(a) = def.appeal(&appeal_id)
        {
            appeals.push(AppealRoute {
                id: a.id.clone(),
                applies_to: String::new(),
                administrative: a.administrative.clone(),
                court: a.court.clone(),
                reference: a.reference.clone(),
            });
        }
        sections.push(RightDecision {
            label: r.label.clone(),
            outcome: match r.outcome {
                Some(Outcome::Accord) => RightOutcome::Accord,
                Some(Outcome::Refus) => RightOutcome::Refus,
                Some(Outcome::SansObjet) | None => RightOutcome::SansObjet,
            },
            amount: r.amount,
            unit_suffix: r.unit.label().to_owned(),
            start: r.period_start,
            end: r.period_end,
            rate: r.rate.map(|t| format!("Taux d’incapacité : {}", t.label())),
            motivation: r.motivation.clone().unwrap_or_default(),
            legal_basis: r
                .legal_basis
                .clone()
                .or_else(|| spec.map(|s| s.legal_basis.clone()))
                .unwrap_or_default(),
            authority: r.authority.label().to_owned(),
            appeal: appeal_id,
        });
    }
    let cdaph = decided.iter().any(|r| r.authority == Authority::Cdaph);
    // The service's own signatory (settings), else the département's.
    let signatory = identity.signatory_for(&d.service_code);
    let president = decided.iter().any(|r| r.authority == Authority::PresidentCd);
    // The sittings that took these decisions, by date: « réunie le 12 janvier 2027 ».
    let mut met: Vec<NaiveDate> = sittings
        .iter()
        .filter(|s| {
            decided
                .iter()
                .any(|r| r.session_id.as_deref() == Some(s.id.as_str()))
        })
        .map(|s| s.date)
        .collect();
    met.sort();
    met.dedup();
    let cdaph_name = if met.is_empty() {
        "La Commission des droits et de l’autonomie des personnes handicapées (CDAPH)".to_owned()
    } else {
        let days: Vec<String> = met.iter().map(|d| format!("le {}", french_date(*d))).collect();
        format!(
            "La Commission des droits et de l’autonomie des personnes handicapées (CDAPH), réunie {},",
            days.join(" et ")
        )
    };
    let authority_sentence = match (cdaph, president) {
        (true, true) => format!(
            "{cdaph_name} et le président du conseil départemental, chacun pour ce qui le concerne, ont pris les décisions suivantes."
        ),
        (true, false) => format!("{cdaph_name} a pris les décisions suivantes."),
        _ if decided.len() > 1 => {
            "Le président du conseil départemental a pris les décisions suivantes.".to_owned()
        }
        _ => "Le président du conseil départemental a pris la décision suivante.".to_owned(),
    };
    Ok(Decision {
        letterhead: identity.letterhead(def.definition().service.clone()),
        recipient: to,
        copy_to,
        beneficiary_name: beneficiary.name.clone(),
        dossier_number: number,
        place: identity.place.clone(),
        // The CDAPH decides at its sitting: a letter of its decisions only bears the sitting's date.
        date: match met.last() {
            Some(day)
                if decided
                    .iter()
                    .all(|r| r.outcome.is_none() || r.session_id.is_some()) =>
            {
                *day
            }
            _ => d.decided_at.map_or_else(crate::deadlines::today, |t| t.date()),
        },
        procedure_title: def.title().to_owned(),
        authority_sentence,
        rights: sections,
        general_motivation: d.closing_reason.clone().filter(|s| !s.is_empty()),
        appeals,
        signature: Signature {
            on_behalf: Some(if cdaph && !president {
                "Pour la présidente ou le président de la CDAPH".to_owned()
            } else {
                format!("Pour le président du conseil départemental ({})", identity.name)
            }),
            title: signatory
                .title
                .or_else(|| def.definition().service.clone())
                .unwrap_or_else(|| "Le service instructeur".to_owned()),
            name: signatory.name,
        },
        texts: identity.texts_for(&d.service_code),
    })
}

/// A decision letter of `def` for a fictitious beneficiary, signed as `service`'s letters are: what an
/// administrator looks at before saving the département's identity (letterhead, the address in the
/// envelope's window, the signatory). Every right of the definition is granted, so each appeal route shows.
pub fn sample(identity: &Identity, def: &FormDefinition, service: &str) -> Result<Decision> {
    use guichet_dossiers::rights::Unit;
    let t = guichet_db::now();
    let number = guichet_types::DossierNumber::new("EXEMPLE", 2026, 1)
        .map_err(|e| CaseError::Internal(e.to_string()))?;
    let d = Dossier {
        id: "exemple".into(),
        number: Some(number),
        procedure: def.id().to_owned(),
        service_code: service.to_owned(),
        form_version_id: String::new(),
        owner_id: String::new(),
        state: guichet_dossiers::State::Decide,
        complement_demande: false,
        answers: serde_json::Value::Null,
        pending_answers: None,
        current_step: None,
        applicant_name: "Mme Jeanne Exemple".into(),
        deposited_at: Some(t),
        due_at: None,
        clock_paused_at: None,
        assigned_to: None,
        decided_at: Some(t),
        closing_reason: None,
        complement_recu: false,
        stage: None,
        complete_at: None,
        implicit_at: None,
        lock_version: 0,
        created_at: t,
        updated_at: t,
    };
    let rights: Vec<Right> = def
        .rights()
        .iter()
        .take(3)
        .enumerate()
        .map(|(i, r)| {
            let new = crate::instruction::new_right(r);
            Right {
                id: format!("exemple-{i}"),
                dossier_id: d.id.clone(),
                code: new.code,
                label: new.label,
                position: i32::try_from(i).unwrap_or(0),
                added_by_instructor: false,
                authority: new.authority,
                amount: (new.unit != Unit::None).then(|| guichet_types::Euros::from_cents(45_000)),
                unit: new.unit,
                withdrawn_at: None,
                withdrawn_reason: None,
                proposal: None,
                proposal_note: None,
                proposed_at: None,
                outcome: Some(Outcome::Accord),
                period_start: Some(t.date()),
                period_end: None,
                rate: None,
                motivation: Some("Exemple de motivation : la demande remplit les conditions.".into()),
                legal_basis: None,
                decided_by: None,
                decided_at: Some(t),
                session_id: None,
            }
        })
        .collect();
    let mut letter = decision(identity, def, &d, &rights)?;
    letter.recipient.address_lines = vec!["12 rue de l’Exemple".into(), "93000 BOBIGNY".into()];
    Ok(letter)
}
