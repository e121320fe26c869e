#![doc = include_str!("../README.md")]

pub mod external;
pub mod password;
pub mod preferences;
pub mod services;
pub mod session;
pub mod throttle;
pub mod tokens;
pub mod users;

use guichet_db::DbError;

/// What can go wrong with an account operation. The `Display` texts are shown to people, in French.
#[derive(Debug, thiserror::Error)]
pub enum AccountsError {
    #[error("{0}")]
    InvalidEmail(#[from] guichet_types::EmailError),
    #[error("{0}")]
    WeakPassword(#[from] password::PasswordPolicyError),
    #[error("Adresse électronique ou mot de passe incorrect")]
    InvalidCredentials,
    #[error("Vous devez d’abord confirmer votre adresse électronique : nous venons de vous renvoyer le lien")]
    EmailNotVerified,
    /// Too many recent failures: the attempt was refused without checking the password.
    #[error(
        "Trop de tentatives de connexion. Réessayez dans {}.",
        throttle::wait_in_words(*wait_secs)
    )]
    Throttled { wait_secs: i64 },
    #[error("Ce lien n’est plus valide : il a déjà servi ou il a expiré. Faites une nouvelle demande.")]
    InvalidToken,
    #[error("Ce compte existe déjà")]
    UserExists,
    #[error("Service inconnu : {0}")]
    UnknownService(String),
    #[error("Le service {0} existe déjà")]
    ServiceExists(String),
    #[error("Utilisateur inconnu")]
    UnknownUser,
    #[error(
        "Ce compte a été désactivé par un administrateur. Adressez-vous à votre service ou au service informatique du département."
    )]
    Deactivated,
    #[error("{0}")]
    InvalidInput(String),
    #[error("internal error: {0}")]
    Internal(String),
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<diesel::result::Error> for AccountsError {
    fn from(e: diesel::result::Error) -> Self {
        AccountsError::Db(DbError::Query(e))
    }
}

pub type Result<T, E = AccountsError> = std::result::Result<T, E>;

pub use services::Service;
pub use users::User;
