//! Implicit decisions at the due date (issue 12 « Deadlines »).
//!
//! Silence kept by the administration until the due date is a decision. CRPA L231-1 makes it an
//! acceptance; L231-4 and the decrees it allows make it a rejection for most requests of this kind
//! (financial ones among them); particular texts give it their own meaning: the CDAPH's silence for four
//! months is a rejection (CASF R241-33), the APA at home is deemed granted at a flat amount until the
//! explicit decision (CASF L232-14). Which rule applies is the definition's `deadline.silence`, with its
//! reference: the code never guesses it from the procedure.
//!
//! The due date is `deadlines::effective_due`: the stored date moved by the time a complement was awaited
//! (the clock is paused meanwhile, CRPA L114-5). [`sweep`] records each implicit decision once (event,
//! email to the usager); the dossier stays where it was, since the administration may still decide:
//! after an implicit rejection an explicit decision simply replaces it; after an implicit acceptance a
//! contrary decision withdraws a decision that created rights, which CRPA L242-1 allows only for an
//! illegal decision within four months (the back office says so before anyone decides). The usager may
//! download an attestation of an implicit acceptance (CRPA L232-3) or ask the reasons of an implicit
//! rejection, due within a month of the request (CRPA L232-4).

use chrono::{Months, NaiveDate, NaiveDateTime};
use guichet_db::AnyConnection;
use guichet_documents::{Attestation, ImplicitKind, Signature};
use guichet_dossiers::implicit as store;
use guichet_dossiers::{Dossier, State};
use guichet_forms::{ClockStart, FormDefinition, Silence, french_date};
use guichet_notify::emails::ImplicitOutcome;
use guichet_types::Euros;
use serde_json::{Value, json};

use crate::Procedures;
use crate::error::{CaseError, Result};
use crate::instruction::Links;
use crate::letters::{self, Identity};

/// The implicit decision of a dossier, as recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Implicit {
    pub silence: Silence,
    /// The day it was born: the effective due date.
    pub deemed_on: NaiveDate,
    /// APA: the monthly flat amount (CASF L232-14), and the text that sets it.
    pub amount: Option<Euros>,
    pub amount_reference: String,
    /// The usager asked the reasons of the implicit rejection.
    pub motifs: Option<MotifsRequest>,
}

/// A request for the reasons of an implicit rejection (CRPA L232-4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MotifsRequest {
    pub asked_on: NaiveDate,
    /// « dans le mois suivant cette demande ».
    pub due_on: NaiveDate,
}

impl Implicit {
    /// Silence gave the usager something (an attestation can be issued: CRPA L232-3).
    pub fn is_acceptance(&self) -> bool {
        self.silence != Silence::Rejet
    }

    /// « Décision implicite de rejet le 3 février 2027 », for the queue and the dossier pages.
    pub fn headline(&self) -> String {
        headline_of(self.silence, self.deemed_on)
    }

    /// What the instructor must know before deciding over it.
    pub fn staff_warning(&self) -> String {
        let on = french_date(self.deemed_on);
        match self.silence {
            Silence::Rejet => format!(
                "Sans décision au {on}, la demande est réputée rejetée. Une décision explicite reste possible : \
                 elle remplace ce refus implicite. Si l’usager demande les motifs du refus, ils doivent lui être \
                 communiqués dans le mois (article L232-4 du code des relations entre le public et l’administration)."
            ),
            Silence::Acceptation => format!(
                "Attention : sans décision au {on}, la demande est réputée acceptée. Cette acceptation crée des \
                 droits : une décision contraire la retirerait, ce qui n’est possible que si elle est illégale et \
                 dans les quatre mois qui suivent sa naissance (article L242-1 du code des relations entre le \
                 public et l’administration)."
            ),
            Silence::AcceptationForfaitaire => format!(
                "Attention : sans décision au {on}, l’aide est due à titre provisoire pour un montant forfaitaire{} \
                 jusqu’à la décision explicite (article L232-14 du code de l’action sociale et des familles). \
                 Décidez dès que possible : la décision fixe le montant définitif.",
                self.amount
                    .map(|a| format!(" de {a} par mois"))
                    .unwrap_or_default()
            ),
        }
    }
}

/// « Décision implicite de rejet le 3 février 2027 », « Décision implicite d’acceptation le … ».
pub fn headline_of(silence: Silence, deemed_on: NaiveDate) -> String {
    let on = french_date(deemed_on);
    match silence {
        Silence::Rejet => format!("Décision implicite de rejet le {on}"),
        Silence::Acceptation => format!("Décision implicite d’acceptation le {on}"),
        Silence::AcceptationForfaitaire => {
            format!("Décision implicite d’acceptation le {on} (montant forfaitaire)")
        }
    }
}

/// The article that gives silence its meaning, as the email and the pages cite it: the definition's
/// reference without its gloss (« CASF R241-33 » of « CASF R241-33 : le silence… vaut rejet »), else the
/// general rule.
pub fn silence_reference(def: &FormDefinition, silence: Silence) -> String {
    def.definition()
        .deadline
        .as_ref()
        .and_then(|d| d.reference.as_deref())
        .map(|r| r.split(" : ").next().unwrap_or(r).trim().to_owned())
        .filter(|r| !r.is_empty())
        .unwrap_or_else(|| {
            match silence {
                Silence::Rejet => "article L231-4 du code des relations entre le public et l’administration",
                Silence::Acceptation => {
                    "article L231-1 du code des relations entre le public et l’administration"
                }
                Silence::AcceptationForfaitaire => {
                    "article L232-14 du code de l’action sociale et des familles"
                }
            }
            .to_owned()
        })
}

fn silence_code(s: Silence) -> &'static str {
    match s {
        Silence::Rejet => "rejet",
        Silence::Acceptation => "acceptation",
        Silence::AcceptationForfaitaire => "acceptation_forfaitaire",
    }
}

fn parse_silence(s: &str) -> Option<Silence> {
    [
        Silence::Rejet,
        Silence::Acceptation,
        Silence::AcceptationForfaitaire,
    ]
    .into_iter()
    .find(|x| silence_code(*x) == s)
}

/// Records the implicit decision of every dossier whose effective due date is before `now` without a
/// decision: déposés or en instruction, not awaiting a complement, not recorded yet (and for a procedure
/// whose clock starts at the complete file, recorded complete). Each is one transaction (event, email to
/// the usager); a dossier that fails is logged and left for the next run. Idempotent, and safe with
/// several processes: the write is guarded by `implicit_at IS NULL`. Returns the ids recorded by this run.
pub fn sweep(
    conn: &mut AnyConnection,
    procedures: &Procedures,
    links: &Links,
    now: NaiveDateTime,
) -> Result<Vec<String>> {
    let needs_complete: Vec<String> = procedures
        .all()
        .filter(|p| p.def.clock_start() == ClockStart::Complete)
        .map(|p| p.id().to_owned())
        .collect();
    let mut recorded = Vec::new();
    for c in store::candidates(conn, now, &needs_complete)? {
        match record_one(conn, procedures, links, &c.id, now) {
            Ok(true) => recorded.push(c.id),
            Ok(false) => {}
            Err(e) => tracing::error!(dossier.id = %c.id, error = %e, "Implicit decision not recorded"),
        }
    }
    if !recorded.is_empty() {
        tracing::info!(
            count = recorded.len(),
            "Décisions implicites enregistrées à l’échéance : {}",
            recorded.len()
        );
    }
    Ok(recorded)
}

fn record_one(
    conn: &mut AnyConnection,
    procedures: &Procedures,
    links: &Links,
    id: &str,
    now: NaiveDateTime,
) -> Result<bool> {
    let d = guichet_dossiers::store::find(conn, id)?.ok_or(CaseError::NotFound)?;
    let def = procedures.definition_of_version(conn, &d.form_version_id)?;
    let Some(deadline) = def.definition().deadline.as_ref() else {
        return Ok(false);
    };
    let Some(due) = crate::deadlines::effective_due(&d, now).filter(|due| *due < now) else {
        return Ok(false);
    };
    let silence = deadline.silence;
    let (amount, amount_reference) = match silence {
        Silence::AcceptationForfaitaire => {
            let p = guichet_simulation::Parameters::shared()
                .map_err(|e| CaseError::Internal(format!("parameters: {e}")))?;
            // CASF L232-14 and R232-29: the amount in force on the day the decision is born.
            let (a, r) = guichet_simulation::apa::implicit_flat_amount(p, due.date())
                .map_err(|e| CaseError::Internal(format!("flat amount: {e}")))?;
            (Some(a), r)
        }
        _ => (None, String::new()),
    };
    let open_rights: Vec<String> = guichet_dossiers::rights::of(conn, &d.id)?
        .into_iter()
        .filter(guichet_dossiers::rights::Right::is_open)
        .map(|r| r.label)
        .collect();
    let payload = json!({
        "silence": silence_code(silence),
        "deemed_at": due,
        "amount_cents": amount.map(|a| a.cents()),
        "amount_reference": amount_reference,
        "reference": silence_reference(&def, silence),
        "rights": open_rights,
        "recorded_at": now,
    });
    let owner = guichet_accounts::users::find(conn, &d.owner_id)?.ok_or(CaseError::NotFound)?;
    let outcome = match (silence, amount) {
        (Silence::Rejet, _) => ImplicitOutcome::Rejection,
        (Silence::AcceptationForfaitaire, Some(a)) => ImplicitOutcome::FlatAmount(a.to_string()),
        _ => ImplicitOutcome::Acceptance,
    };
    let email = guichet_notify::emails::implicit_decision(
        &owner.email,
        &d.number.as_ref().map(ToString::to_string).unwrap_or_default(),
        def.title(),
        &french_date(due.date()),
        &outcome,
        &silence_reference(&def, silence),
        &links.dossier(&d),
    );
    Ok(store::record(conn, &d.id, due, &payload, Some(&email))?)
}

/// The implicit decision of a dossier, if one was recorded (and the usager's request for its reasons).
pub fn status(conn: &mut AnyConnection, d: &Dossier) -> Result<Option<Implicit>> {
    if d.implicit_at.is_none() {
        return Ok(None);
    }
    let Some(e) = store::decision_event(conn, &d.id)? else {
        return Ok(None);
    };
    let p: Value = serde_json::from_str(&e.payload).unwrap_or(Value::Null);
    let Some(silence) = p.get("silence").and_then(Value::as_str).and_then(parse_silence) else {
        return Ok(None);
    };
    let deemed_on = d.implicit_at.map_or_else(|| e.created_at.date(), |t| t.date());
    let motifs = store::motifs_event(conn, &d.id)?.map(|m| {
        let asked_on = m.created_at.date();
        MotifsRequest {
            asked_on,
            due_on: motifs_due(asked_on),
        }
    });
    Ok(Some(Implicit {
        silence,
        deemed_on,
        amount: p
            .get("amount_cents")
            .and_then(Value::as_i64)
            .map(Euros::from_cents),
        amount_reference: p
            .get("amount_reference")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned(),
        motifs,
    }))
}

/// CRPA L232-4: the reasons are communicated « dans le mois suivant cette demande ».
fn motifs_due(asked_on: NaiveDate) -> NaiveDate {
    asked_on.checked_add_months(Months::new(1)).unwrap_or(asked_on)
}

/// The text of the usager's request, sent as their message to the service.
fn motifs_text(d: &Dossier, i: &Implicit, today: NaiveDate) -> String {
    let number = d.number.as_ref().map(ToString::to_string).unwrap_or_default();
    format!(
        "Je demande la communication des motifs du refus implicite de ma demande (dossier {number}), né le {} \
         faute de réponse dans le délai. En application de l’article L232-4 du code des relations entre le public \
         et l’administration, ces motifs doivent m’être communiqués dans le mois qui suit cette demande, soit au \
         plus tard le {}.",
        french_date(i.deemed_on),
        french_date(motifs_due(today))
    )
}

/// The usager asks the reasons of the implicit rejection of their dossier: a message to the service (read
/// with the others in the back office) and an event, once. Returns the request, with the date the reasons
/// are due.
pub fn ask_motifs(
    conn: &mut AnyConnection,
    owner_id: &str,
    dossier_id: &str,
    today: NaiveDate,
) -> Result<MotifsRequest> {
    let d = guichet_dossiers::store::find(conn, dossier_id)?
        .filter(|d| d.owner_id == owner_id)
        .ok_or(CaseError::NotFound)?;
    let i = status(conn, &d)?
        .filter(|i| i.silence == Silence::Rejet)
        .ok_or_else(|| CaseError::Refused("Votre demande n’a pas reçu de refus implicite.".into()))?;
    if !matches!(d.state, State::Depose | State::EnInstruction) {
        return Err(CaseError::Refused(
            "Le service a depuis rendu sa décision : ses motifs sont dans le courrier de décision.".into(),
        ));
    }
    if let Some(m) = i.motifs {
        return Err(CaseError::Refused(format!(
            "Vous avez déjà demandé les motifs le {} : le service doit vous les communiquer au plus tard le {}.",
            french_date(m.asked_on),
            french_date(m.due_on)
        )));
    }
    let request = MotifsRequest {
        asked_on: today,
        due_on: motifs_due(today),
    };
    let payload = json!({ "asked_on": today, "due_on": request.due_on });
    match store::request_motifs(conn, &d.id, owner_id, &motifs_text(&d, &i, today), &payload, None) {
        Ok(_) => {}
        // Asked twice at once: the other request was recorded.
        Err(guichet_dossiers::DossierError::Conflict) => {
            return Err(CaseError::Refused(
                "Vous avez déjà demandé les motifs de ce refus.".into(),
            ));
        }
        Err(e) => return Err(e.into()),
    }
    tracing::info!(dossier.id = %d.id, "Motifs of an implicit rejection asked");
    Ok(request)
}

/// The attestation of an implicit acceptance (CRPA L232-3), with the département's identity and the
/// service's signatory. `NotFound` for a dossier whose silence was a rejection.
pub fn attestation(
    identity: &Identity,
    def: &FormDefinition,
    d: &Dossier,
    i: &Implicit,
    today: NaiveDate,
) -> Result<Attestation> {
    if !i.is_acceptance() {
        return Err(CaseError::NotFound);
    }
    let number = d.number.clone().ok_or(CaseError::NotFound)?;
    let deposited_on = d.deposited_at.ok_or(CaseError::NotFound)?.date();
    let (to, _copy, beneficiary) = letters::addressees(def, d);
    let kind = match (i.silence, i.amount) {
        (Silence::AcceptationForfaitaire, Some(amount)) => ImplicitKind::FlatAmount {
            amount,
            reference: i.amount_reference.clone(),
        },
        (Silence::AcceptationForfaitaire, None) => {
            return Err(CaseError::Internal("flat amount not recorded".into()));
        }
        _ => ImplicitKind::Acceptance,
    };
    let legal_basis = match i.silence {
        Silence::AcceptationForfaitaire => "article L232-14 du code de l’action sociale et des familles",
        _ => "article L231-1 du code des relations entre le public et l’administration",
    };
    let signatory = identity.signatory_for(&d.service_code);
    Ok(Attestation {
        letterhead: identity.letterhead(def.definition().service.clone()),
        recipient: to,
        beneficiary_name: beneficiary.name,
        dossier_number: number,
        place: identity.place.clone(),
        // Issued on request, so after the decision was born; a sweep run ahead of time (`guichet implicit
        // --now`, to check what is coming) may date a decision in the future: the attestation then bears
        // that date rather than one before its object.
        date: today.max(i.deemed_on),
        procedure_title: def.title().to_owned(),
        deposited_on,
        complete_on: d
            .complete_at
            .map(|t| t.date())
            .filter(|c| *c >= deposited_on && def.clock_start() == ClockStart::Complete),
        deemed_on: i.deemed_on,
        kind,
        legal_basis: legal_basis.to_owned(),
        signature: Signature {
            on_behalf: Some(format!(
                "Pour le président du conseil départemental ({})",
                identity.name
            )),
            title: signatory
                .title
                .or_else(|| def.definition().service.clone())
                .unwrap_or_else(|| "Le service instructeur".to_owned()),
            name: signatory.name,
        },
        texts: identity.texts_for(&d.service_code),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn implicit(silence: Silence) -> Implicit {
        Implicit {
            silence,
            deemed_on: NaiveDate::from_ymd_opt(2027, 2, 3).unwrap_or_default(),
            amount: Some(Euros::from_cents(104_017)),
            amount_reference: String::new(),
            motifs: None,
        }
    }

    #[test]
    fn the_headline_names_the_kind_and_the_day() {
        assert_eq!(
            implicit(Silence::Rejet).headline(),
            "Décision implicite de rejet le 3 février 2027"
        );
        assert!(
            implicit(Silence::Acceptation)
                .headline()
                .starts_with("Décision implicite d’acceptation le 3 février 2027")
        );
    }

    #[test]
    fn the_instructor_is_warned_of_l242_1_after_an_acceptance_only() {
        assert!(implicit(Silence::Acceptation).staff_warning().contains("L242-1"));
        assert!(!implicit(Silence::Rejet).staff_warning().contains("L242-1"));
        assert!(
            implicit(Silence::AcceptationForfaitaire)
                .staff_warning()
                .contains("L232-14")
        );
    }

    #[test]
    fn the_reasons_are_due_a_month_after_the_request() {
        let d = |m, day| NaiveDate::from_ymd_opt(2027, m, day).unwrap_or_default();
        assert_eq!(motifs_due(d(2, 3)), d(3, 3));
        assert_eq!(motifs_due(d(1, 31)), d(2, 28));
    }

    #[test]
    fn silences_are_stored_by_their_definition_codes() {
        for s in [
            Silence::Rejet,
            Silence::Acceptation,
            Silence::AcceptationForfaitaire,
        ] {
            let stored = serde_json::to_value(s).unwrap_or(Value::Null);
            assert_eq!(stored.as_str(), Some(silence_code(s)));
            assert_eq!(parse_silence(silence_code(s)), Some(s));
        }
    }
}
