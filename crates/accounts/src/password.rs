//! Password policy and argon2id hashing.

use argon2::password_hash::phc::PasswordHash;
use argon2::{Argon2, PasswordHasher, PasswordVerifier};

use crate::{AccountsError, Result};

pub const MIN_LENGTH: usize = 12;
pub const MAX_LENGTH: usize = 128;

static COMMON_PASSWORDS: &str = include_str!("../data/common-passwords.txt");

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PasswordPolicyError {
    #[error("Saisissez un mot de passe")]
    Empty,
    #[error("Le mot de passe doit contenir au moins 12 caractères")]
    TooShort,
    #[error("Le mot de passe doit contenir 128 caractères au maximum")]
    TooLong,
    #[error(
        "Ce mot de passe est trop courant : choisissez-en un autre, par exemple une phrase de plusieurs mots"
    )]
    TooCommon,
    #[error("Le mot de passe ne doit pas être votre adresse électronique")]
    SameAsEmail,
}

/// Checks a new password (NIST SP 800-63B: length and a block list, no composition rules).
pub fn check_policy(password: &str, email: &str) -> Result<(), PasswordPolicyError> {
    let len = password.chars().count();
    if len == 0 {
        return Err(PasswordPolicyError::Empty);
    }
    if len < MIN_LENGTH {
        return Err(PasswordPolicyError::TooShort);
    }
    if len > MAX_LENGTH {
        return Err(PasswordPolicyError::TooLong);
    }
    let lower = password.to_lowercase();
    if lower == email.trim().to_lowercase() {
        return Err(PasswordPolicyError::SameAsEmail);
    }
    let mut distinct: Vec<char> = lower.chars().collect();
    distinct.sort_unstable();
    distinct.dedup();
    if distinct.len() <= 2 || COMMON_PASSWORDS.lines().any(|l| l.trim() == lower) {
        return Err(PasswordPolicyError::TooCommon);
    }
    Ok(())
}

fn hasher() -> Argon2<'static> {
    // Argon2::default() is argon2id, m = 19 456 KiB, t = 2, p = 1: OWASP's first recommended setting.
    Argon2::default()
}

pub fn hash(password: &str) -> Result<String> {
    hasher()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| AccountsError::Internal(format!("argon2 hash: {e}")))
}

/// Constant-time verification (argon2 compares digests in constant time).
pub fn verify(password: &str, phc: &str) -> bool {
    match PasswordHash::new(phc) {
        Ok(parsed) => hasher().verify_password(password.as_bytes(), &parsed).is_ok(),
        Err(_) => false,
    }
}

/// Spends the same time as a real verification, so that an unknown address answers as slowly as a known
/// one with a wrong password (no enumeration by timing).
pub fn verify_dummy(password: &str) {
    static DUMMY: std::sync::OnceLock<Option<String>> = std::sync::OnceLock::new();
    if let Some(phc) = DUMMY.get_or_init(|| hash("dummy password for timing").ok()) {
        let _ = verify(password, phc);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_passwords_are_refused() {
        assert_eq!(
            check_policy("court", "a@b.fr"),
            Err(PasswordPolicyError::TooShort)
        );
        assert_eq!(check_policy("", "a@b.fr"), Err(PasswordPolicyError::Empty));
    }

    #[test]
    fn common_and_trivial_passwords_are_refused() {
        assert_eq!(
            check_policy("motdepasse123", "a@b.fr"),
            Err(PasswordPolicyError::TooCommon)
        );
        assert_eq!(
            check_policy("AZERTYUIOP123", "a@b.fr"),
            Err(PasswordPolicyError::TooCommon)
        );
        assert_eq!(
            check_policy("aaaaaaaaaaaaaa", "a@b.fr"),
            Err(PasswordPolicyError::TooCommon)
        );
        assert_eq!(
            check_policy("marie@exemple.fr", "Marie@exemple.fr"),
            Err(PasswordPolicyError::SameAsEmail)
        );
    }

    #[test]
    fn a_long_passphrase_is_accepted() {
        assert_eq!(check_policy("cheval agrafe batterie correcte", "a@b.fr"), Ok(()));
    }

    #[test]
    fn hashes_are_argon2id_and_verify() {
        let h = hash("cheval agrafe batterie correcte").unwrap();
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{h}");
        assert!(verify("cheval agrafe batterie correcte", &h));
        assert!(!verify("cheval agrafe batterie correcté", &h));
        assert!(!verify("x", "not a phc string"));
    }
}
