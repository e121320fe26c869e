//! A person's own account: closing it (« Supprimer mon compte »), and what a new draft learns from it.
//! Shared by the pages and, later, the API and the CLI.

use guichet_accounts::{AccountsError, User, users};
use guichet_db::AnyConnection;
use guichet_dossiers::DossierError;
use guichet_dossiers::lifecycle::State;
use guichet_dossiers::store::{self, Dossier};
use guichet_forms::{Answers, FieldType, FormDefinition, PivotIdentity, Prefill};

use crate::Result;

/// A draft is the person's alone; anything deposited is the département's record too.
pub fn is_draft(d: &Dossier) -> bool {
    d.state == State::Brouillon
}

/// What closing an account did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Closed {
    pub drafts_deleted: usize,
    pub dossiers_kept: usize,
}

/// Closes a usager's own account, once the password is given again: drafts deleted; deposited
/// dossiers kept for their legal retention (CRPA L212-2, the procedures' `[retention]`), each with an
/// `account_closed` event telling the service to write by post; a last email; the account emptied so
/// that it can no longer log in (`users::close`). One transaction: a failure leaves everything as it
/// was. `None` when the password is wrong (nothing written).
pub fn close_account(conn: &mut AnyConnection, user: &User, password: &str) -> Result<Option<Closed>> {
    if !users::check_password(conn, &user.id, password)? {
        return Ok(None);
    }
    close(conn, user).map(Some)
}

/// [`close_account`] for a person who has just identified again with FranceConnect (an account joined to
/// it may have no password): the one-use proof the login left (`tokens::Purpose::CloseAccount`) stands
/// for the password. `None` when it is not this account's, used or expired.
pub fn close_account_after_franceconnect(
    conn: &mut AnyConnection,
    user: &User,
    proof: &str,
) -> Result<Option<Closed>> {
    match guichet_accounts::tokens::consume(conn, proof, guichet_accounts::tokens::Purpose::CloseAccount) {
        Ok(owner) if owner == user.id => close(conn, user).map(Some),
        Ok(_) | Err(AccountsError::InvalidToken) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

fn close(conn: &mut AnyConnection, user: &User) -> Result<Closed> {
    let closed = guichet_db::write_transaction(conn, |c| {
        let own = store::list_for_owner(c, &user.id)?;
        let mut kept = 0;
        for d in &own {
            if is_draft(d) {
                store::delete_draft(c, &d.id, &user.id)?;
            } else {
                kept += 1;
                store::record_event(
                    c,
                    &d.id,
                    &user.id,
                    "account_closed",
                    &serde_json::json!({
                        "text": "Le demandeur a supprimé son compte en ligne : il ne reçoit plus de courriel ni de message ici. Écrivez-lui par courrier."
                    }),
                    false,
                )?;
            }
        }
        guichet_db::outbox::enqueue(c, &guichet_notify::emails::account_closed(&user.email, kept))?;
        // « Mes documents » go with the account (the copies attached to sent requests stay).
        guichet_dossiers::vault::delete_all(c, &user.id)?;
        users::close(c, &user.id).map_err(|e| match e {
            AccountsError::Db(db) => DossierError::Db(db),
            other => DossierError::Internal(other.to_string()),
        })?;
        Ok::<_, DossierError>(Closed {
            drafts_deleted: own.len() - kept,
            dossiers_kept: kept,
        })
    })?;
    Ok(closed)
}

/// Fills, on a new draft, the questions that ask for what the account already knows: the fields whose
/// `autocomplete` is `name` (« Vos coordonnées » of the person filling in) and `email`. Nothing already
/// answered is replaced (a simulation's answers win), and the usager can change every value. Given and
/// family names are not filled: the person filed for may be someone else.
pub fn prefill_identity(def: &FormDefinition, user: &User, answers: &mut Answers) {
    for step in def.steps() {
        for f in &step.fields {
            let value = match (&f.kind, f.autocomplete.as_deref()) {
                (FieldType::Text, Some("name")) => &user.display_name,
                (FieldType::Email | FieldType::Text, Some("email")) => &user.email,
                _ => continue,
            };
            if !answers.contains_key(&f.id) && !value.is_empty() {
                answers.insert(f.id.clone(), serde_json::Value::String(value.clone()));
            }
        }
    }
}

/// The identity FranceConnect transmitted for this account, when it is joined to FranceConnect.
pub fn franceconnect_identity(conn: &mut AnyConnection, user_id: &str) -> Result<Option<PivotIdentity>> {
    Ok(guichet_accounts::external::franceconnect_claims(conn, user_id)?
        .map(|c| PivotIdentity::from_claims(&c)))
}

/// Fills, in the answers shown on a step, the unanswered questions the identity answers (the
/// beneficiary's identity when the person files for themselves, else their own name): shown, not saved,
/// until the person continues.
pub fn fill_from_identity(
    def: &FormDefinition,
    identity: Option<&PivotIdentity>,
    answers: &mut Answers,
    today: chrono::NaiveDate,
) {
    let Some(identity) = identity else { return };
    for Prefill { field, value } in def.identity_prefill(answers, identity, today) {
        let blank = answers
            .get(&field)
            .is_none_or(|v| v.is_null() || v.as_str().is_some_and(|s| s.trim().is_empty()));
        if blank {
            answers.insert(field, value);
        }
    }
}

/// The questions whose answer is still the one the identity transmitted (« Transmis par FranceConnect »).
pub fn transmitted_fields(
    def: &FormDefinition,
    identity: Option<&PivotIdentity>,
    answers: &Answers,
    today: chrono::NaiveDate,
) -> Vec<String> {
    let Some(identity) = identity else {
        return Vec::new();
    };
    def.identity_prefill(answers, identity, today)
        .into_iter()
        .filter(|p| answers.get(&p.field) == Some(&p.value))
        .map(|p| p.field)
        .collect()
}

/// [`prefill_identity`] on a draft just created with no answers (« Commencer »).
pub fn prefill_draft(
    conn: &mut AnyConnection,
    d: Dossier,
    def: &FormDefinition,
    user: &User,
) -> Result<Dossier> {
    let mut answers = d.answers.as_object().cloned().unwrap_or_default();
    prefill_identity(def, user, &mut answers);
    if answers.is_empty() {
        return Ok(d);
    }
    Ok(store::save_answers(
        conn,
        &d.id,
        &d.owner_id,
        &serde_json::Value::Object(answers),
        None,
        &d.applicant_name,
    )?)
}
