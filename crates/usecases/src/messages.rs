//! The messages of a dossier, both ways. Attachments arrive already stored and scanned by the caller
//! (the web's multipart reader); the use case checks who may write and queues the email.

use guichet_db::AnyConnection;
use guichet_dossiers::State;
use guichet_dossiers::instruction::{self, NewAttachment};
use guichet_dossiers::store;
use guichet_forms::FormDefinition;

use crate::error::{CaseError, Result};
use crate::instruction::{Links, Need, Staff, acting};

/// The usager writes to the service about a deposited dossier of theirs.
pub fn from_usager(
    conn: &mut AnyConnection,
    owner_id: &str,
    dossier_id: &str,
    body: &str,
    files: &[NewAttachment],
) -> Result<instruction::Message> {
    // Someone else's dossier is "not found": ids reveal nothing.
    let d = store::find(conn, dossier_id)?
        .filter(|d| d.owner_id == owner_id)
        .ok_or(CaseError::NotFound)?;
    if d.state == State::Brouillon {
        return Err(CaseError::Refused(
            "Envoyez d’abord votre demande : vous pourrez ensuite écrire au service.".into(),
        ));
    }
    Ok(instruction::post_message(
        conn, &d.id, owner_id, false, body, files, None,
    )?)
}

/// An instructor writes to the usager; the usager is emailed (without the message's words, which are read
/// in their space).
pub fn from_staff(
    conn: &mut AnyConnection,
    links: &Links,
    staff: &Staff,
    def: &FormDefinition,
    dossier_id: &str,
    body: &str,
    files: &[NewAttachment],
) -> Result<instruction::Message> {
    let (d, _) = acting(conn, staff, dossier_id, Need::Act)?;
    let owner = guichet_accounts::users::find(conn, &d.owner_id)?.ok_or(CaseError::NotFound)?;
    let number = d.number.as_ref().map(ToString::to_string).unwrap_or_default();
    let email = guichet_notify::emails::new_message(&owner.email, &number, def.title(), &links.dossier(&d));
    Ok(instruction::post_message(
        conn,
        &d.id,
        staff.id(),
        true,
        body,
        files,
        // « Mon compte » may turn this email off: the message is read in the personal space anyway.
        owner.notify_messages.then_some(&email),
    )?)
}
