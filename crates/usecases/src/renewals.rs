//! Renewals: the reminder before a granted right ends (at the moment the procedure's `[renewal]` says),
//! and « Renouveler », a new draft prefilled from the last request (its answers moved to the current
//! version, the documents of « Mes documents » still valid attached), naming what to check again.

use chrono::{Months, NaiveDate};
use guichet_db::AnyConnection;
use guichet_dossiers::renewals;
use guichet_dossiers::store::{self, Dossier};
use guichet_forms::{Answers, FieldType};
use serde_json::Value;

use crate::catalogue::Procedures;
use crate::error::{CaseError, Result};
use crate::instruction::Links;

/// The day the reminder is due for rights ending on `end`, `months_before` ahead.
pub fn reminder_day(end: NaiveDate, months_before: u32) -> NaiveDate {
    end.checked_sub_months(Months::new(months_before)).unwrap_or(end)
}

/// Sends the reminders due on `today` (once per dossier, with copies to those acting for the
/// beneficiary); returns how many.
pub fn send_due(
    conn: &mut AnyConnection,
    links: &Links,
    procedures: &Procedures,
    today: NaiveDate,
) -> Result<usize> {
    let horizon = today.checked_add_months(Months::new(24)).unwrap_or(today);
    let mut sent = 0;
    for (id, procedure, end) in renewals::ending(conn, today, horizon)? {
        let Some(renewal) = procedures
            .get(&procedure)
            .and_then(|p| p.def.definition().renewal.clone())
        else {
            continue;
        };
        if reminder_day(end, renewal.months_before) > today {
            continue;
        }
        let Some(d) = store::find(conn, &id)? else {
            continue;
        };
        let Some(owner) = guichet_accounts::users::find(conn, &d.owner_id)? else {
            continue;
        };
        let title = procedures
            .get(&procedure)
            .map(|p| p.def.title().to_owned())
            .unwrap_or_default();
        let email = guichet_notify::emails::renewal_due(
            &owner.email,
            &d.number.as_ref().map(ToString::to_string).unwrap_or_default(),
            &title,
            &guichet_forms::french_date(end),
            &links.dossier(&d),
        );
        guichet_db::write_transaction(conn, |c| {
            renewals::record_reminder(c, &d, end)?;
            guichet_dossiers::sharing::enqueue(c, &d.id, &email)
        })?;
        sent += 1;
    }
    Ok(sent)
}

/// Whether « Renouveler » is offered on a dossier: decided, with a granted right that ends, from the
/// reminder's day on (the procedure's `[renewal]`). Returns the end date.
pub fn offered(
    conn: &mut AnyConnection,
    procedures: &Procedures,
    d: &Dossier,
    today: NaiveDate,
) -> Result<Option<NaiveDate>> {
    if !d.state.is_decided() {
        return Ok(None);
    }
    let Some(renewal) = procedures
        .get(&d.procedure)
        .and_then(|p| p.def.definition().renewal.clone())
    else {
        return Ok(None);
    };
    Ok(renewals::first_end(conn, &d.id)?.filter(|end| reminder_day(*end, renewal.months_before) <= today))
}

/// A renewal's new draft, and the steps to check again (their ids).
#[derive(Debug, Clone)]
pub struct Renewed {
    pub draft: Dossier,
    pub check_steps: Vec<String>,
}

/// Opens the renewal of the person's decided dossier: a draft of the current version holding the last
/// request's answers (those that still fit), its documents dropped and replaced by the person's kept
/// documents still valid here. The draft says which request it renews (an event).
pub fn start(
    conn: &mut AnyConnection,
    procedures: &Procedures,
    owner_id: &str,
    d: &Dossier,
    today: NaiveDate,
) -> Result<Renewed> {
    if d.owner_id != owner_id {
        return Err(CaseError::NotFound);
    }
    if offered(conn, procedures, d, today)?.is_none() {
        return Err(CaseError::Refused(
            "Cette demande ne peut pas encore être renouvelée : le renouvellement s’ouvre quelques mois avant la fin des droits accordés.".into(),
        ));
    }
    let proc = procedures.get(&d.procedure).ok_or(CaseError::NotFound)?;
    let old = procedures.definition_of_version(conn, &d.form_version_id)?;
    let before: Answers = d.answers.as_object().cloned().unwrap_or_default();
    let (mut answers, _) = guichet_forms::migrate_answers(&old, &proc.def, &before, today);
    // The documents are asked again: only those kept and still valid come back.
    let docs = guichet_dossiers::vault::of_user(conn, owner_id)?;
    for step in proc.def.steps() {
        for f in step.fields.iter().filter(|f| f.kind == FieldType::File) {
            answers.remove(&f.id);
            if let Some(doc) = crate::vault::offers_for(&docs, &proc.def, &f.id, &answers, today).first() {
                crate::vault::attach(&mut answers, &f.id, doc);
            }
        }
    }
    // The commitments are made again, for this request.
    for step in proc.def.steps().iter().filter(|s| s.id == "engagements") {
        for f in &step.fields {
            answers.remove(&f.id);
        }
    }
    let name = crate::filing::applicant_name(&proc.def, &answers);
    let draft = guichet_db::write_transaction(conn, |c| {
        let draft = crate::filing::start_draft(c, owner_id, proc)?;
        let draft = store::save_answers(
            c,
            &draft.id,
            owner_id,
            &Value::Object(answers.clone()),
            None,
            &name,
        )?;
        renewals::record_renewal(c, &draft, d, owner_id)?;
        Ok::<_, CaseError>(draft)
    })?;
    let check_steps = proc
        .def
        .definition()
        .renewal
        .as_ref()
        .map(|r| r.check_steps.clone())
        .unwrap_or_default();
    Ok(Renewed { draft, check_steps })
}
