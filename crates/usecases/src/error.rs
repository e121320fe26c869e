//! The use cases' one error type. `web` maps it to HTTP in one place (`web/src/error.rs`), the API to its
//! stable codes, the CLI to an exit status: no caller matches on another crate's errors.

use guichet_dossiers::{DossierError, TransitionError};

/// A French message for a field of an input form, by the field's key (`accepter-motivation`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid {
    pub field: String,
    pub message: String,
}

impl Invalid {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Invalid {
        Invalid {
            field: field.into(),
            message: message.into(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum CaseError {
    /// No such dossier, procedure or version for this person: ids reveal nothing.
    #[error("introuvable")]
    NotFound,
    /// The person may not do this; the message says why, in French.
    #[error("{0}")]
    Denied(&'static str),
    /// The input is refused; nothing was written. Each message names its field.
    #[error("saisie refusée")]
    Invalid(Vec<Invalid>),
    /// The action is not possible in the dossier's state; the message says why, in French.
    #[error("{0}")]
    Refused(String),
    /// Someone else changed the dossier since the person saw it.
    #[error("Le dossier a été modifié entre-temps par quelqu’un d’autre : rechargez la page")]
    Conflict,
    #[error(transparent)]
    Db(#[from] guichet_db::DbError),
    #[error("internal error: {0}")]
    Internal(String),
}

/// Why the back office refuses a member of staff their own dossier.
pub const OWN_DOSSIER: &str = "Vous avez déposé cette demande : vous ne pouvez ni la consulter ni l’instruire depuis l’espace des agents. Un ou une collègue du service s’en charge. Vous la suivez comme tout usager, dans « Mes dossiers ».";

impl From<DossierError> for CaseError {
    fn from(e: DossierError) -> Self {
        match e {
            DossierError::NotFound => CaseError::NotFound,
            DossierError::Conflict => CaseError::Conflict,
            DossierError::OwnDossier => CaseError::Denied(OWN_DOSSIER),
            DossierError::Transition(t) => CaseError::Refused(t.to_string()),
            DossierError::Refused(m) => CaseError::Refused(m),
            DossierError::Db(db) => CaseError::Db(db),
            other => CaseError::Internal(other.to_string()),
        }
    }
}

impl From<TransitionError> for CaseError {
    fn from(e: TransitionError) -> Self {
        CaseError::Refused(e.to_string())
    }
}

impl From<guichet_accounts::AccountsError> for CaseError {
    fn from(e: guichet_accounts::AccountsError) -> Self {
        match e {
            guichet_accounts::AccountsError::UnknownUser => CaseError::NotFound,
            guichet_accounts::AccountsError::Deactivated => CaseError::Denied(
                "Ce compte a été désactivé par un administrateur. Adressez-vous à votre service ou au service informatique du département.",
            ),
            guichet_accounts::AccountsError::Db(db) => CaseError::Db(db),
            other => CaseError::Internal(other.to_string()),
        }
    }
}

impl From<guichet_forms::FormsError> for CaseError {
    fn from(e: guichet_forms::FormsError) -> Self {
        match e {
            guichet_forms::FormsError::UnknownStep(_) => CaseError::NotFound,
            other => CaseError::Internal(other.to_string()),
        }
    }
}

impl From<diesel::result::Error> for CaseError {
    fn from(e: diesel::result::Error) -> Self {
        CaseError::Db(guichet_db::DbError::Query(e))
    }
}

pub type Result<T, E = CaseError> = std::result::Result<T, E>;
