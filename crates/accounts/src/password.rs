//! Password policy and argon2id hashing.

use std::collections::HashSet;
use std::sync::OnceLock;

use argon2::password_hash::phc::PasswordHash;
use argon2::{Argon2, PasswordHasher, PasswordVerifier};

use crate::{AccountsError, Result};

pub const MIN_LENGTH: usize = 12;
pub const MAX_LENGTH: usize = 128;

/// Our own additions: long variants (12 characters and more) of common French passwords and of the
/// platform's name.
static EXTRA_PASSWORDS: &str = include_str!("../data/common-passwords.txt");
/// The 20 000 most common passwords of `.fr` addresses in public leaks (Richelieu, CC BY 4.0, see the
/// README). Most are shorter than 12 characters: they matter once the digits and symbols around a word
/// are taken off (`Bonjour123456` is `bonjour`).
static FRENCH_PASSWORDS: &str = include_str!("../data/richelieu-french-top20000.txt");

/// zxcvbn's score below which a password is refused: `Three` means more than 10^8 guesses, out of reach
/// of online guessing even without our throttling (zxcvbn's own advice for "safely unguessable").
const MIN_SCORE: zxcvbn::Score = zxcvbn::Score::Three;

/// Keyboard rows and sequences that people type as "random" characters. zxcvbn knows qwerty, dvorak
/// and keypads; azerty (French keyboards) is added here.
const SEQUENCES: &[&str] = &[
    "azertyuiop",
    "qsdfghjklm",
    "wxcvbn",
    "qwertyuiop",
    "asdfghjkl",
    "zxcvbnm",
    "abcdefghijklmnopqrstuvwxyz",
    "01234567890",
    "&\u{e9}\"'(-\u{e8}_\u{e7}\u{e0})=",
];

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

/// Checks a new password (NIST SP 800-63B and ASVS 2.1.7: length and a check against common and
/// predictable passwords, no composition rules).
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
    let email = email.trim().to_lowercase();
    if lower == email {
        return Err(PasswordPolicyError::SameAsEmail);
    }
    if is_predictable(&lower) {
        return Err(PasswordPolicyError::TooCommon);
    }
    let local_part = email.split('@').next().unwrap_or_default();
    let inputs: Vec<&str> = [email.as_str(), local_part]
        .into_iter()
        .filter(|s| !s.is_empty())
        .collect();
    if zxcvbn::zxcvbn(password, &inputs).score() < MIN_SCORE {
        return Err(PasswordPolicyError::TooCommon);
    }
    Ok(())
}

fn common_passwords() -> &'static HashSet<&'static str> {
    static SET: OnceLock<HashSet<&'static str>> = OnceLock::new();
    SET.get_or_init(|| {
        EXTRA_PASSWORDS
            .lines()
            .chain(FRENCH_PASSWORDS.lines())
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .collect()
    })
}

/// The checks zxcvbn does not make for French speakers: the French list, with the digits and symbols
/// around the word and "leet" substitutions taken off, azerty rows, and repetitions.
fn is_predictable(lower: &str) -> bool {
    let mut distinct: Vec<char> = lower.chars().collect();
    distinct.sort_unstable();
    distinct.dedup();
    if distinct.len() <= 2 {
        return true;
    }
    let common = common_passwords();
    let core = lower.trim_matches(|c: char| !c.is_alphabetic());
    let unleet = unleet(lower);
    let unleet_core = unleet.trim_matches(|c: char| !c.is_alphabetic());
    if [lower, core, unleet.as_str(), unleet_core]
        .iter()
        .any(|c| !c.is_empty() && common.contains(c))
    {
        return true;
    }
    is_repetition(lower) || mostly_sequences(lower)
}

/// `p4ssw0rd` is `password`.
fn unleet(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '0' => 'o',
            '1' | '!' => 'i',
            '3' => 'e',
            '4' | '@' => 'a',
            '5' | '$' => 's',
            '7' => 't',
            other => other,
        })
        .collect()
}

/// `123123123123`, `abcabcabcabc`: one short block typed again and again.
fn is_repetition(s: &str) -> bool {
    let chars: Vec<char> = s.chars().collect();
    let n = chars.len();
    (1..=n / 2).any(|p| n.is_multiple_of(p) && chars.chunks(p).all(|c| c == &chars[..p]))
}

/// True when, once every run of 3 or more characters that follows a keyboard row or a sequence (either
/// way) is taken off, fewer than 4 characters remain: `azertyuiop12`, `qsdfghjklm00`.
fn mostly_sequences(s: &str) -> bool {
    let chars: Vec<char> = s.chars().collect();
    let rows: Vec<Vec<char>> = SEQUENCES
        .iter()
        .flat_map(|r| [r.chars().collect::<Vec<_>>(), r.chars().rev().collect()])
        .collect();
    let mut left = 0;
    let mut i = 0;
    while i < chars.len() {
        let longest = rows
            .iter()
            .map(|row| longest_run_in(row, &chars[i..]))
            .max()
            .unwrap_or(0);
        if longest >= 3 {
            i += longest;
        } else {
            left += 1;
            i += 1;
        }
    }
    left < 4
}

/// The length of the longest prefix of `s` that appears as contiguous characters of `row`.
fn longest_run_in(row: &[char], s: &[char]) -> usize {
    let Some(first) = s.first() else { return 0 };
    row.iter()
        .enumerate()
        .filter(|(_, c)| *c == first)
        .map(|(start, _)| row[start..].iter().zip(s).take_while(|(a, b)| a == b).count())
        .max()
        .unwrap_or(0)
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

    /// Security review 2026-12, L3: these four were accepted.
    #[test]
    fn repetitions_keyboard_rows_and_word_plus_digits_are_refused() {
        for pw in [
            "123123123123",
            "abcabcabcabc",
            "azertyuiop12",
            "Bonjour123456",
            "B0nj0ur123456",
            "qsdfghjklm00",
            "Marseille13013",
            "soleilsoleil",
            "wxcvbn123456",
            "jetaime2024!!",
            "password12345678",
        ] {
            assert_eq!(
                check_policy(pw, "a@b.fr"),
                Err(PasswordPolicyError::TooCommon),
                "{pw}"
            );
        }
    }

    #[test]
    fn the_address_itself_or_its_name_is_refused() {
        assert_eq!(
            check_policy("camille.durand", "camille.durand@exemple.fr"),
            Err(PasswordPolicyError::TooCommon)
        );
    }

    #[test]
    fn the_lists_hold_more_than_ten_thousand_passwords() {
        assert!(common_passwords().len() > 20_000, "{}", common_passwords().len());
        assert!(common_passwords().contains("azertyuiop"));
    }

    #[test]
    fn a_long_passphrase_is_accepted() {
        assert_eq!(check_policy("cheval agrafe batterie correcte", "a@b.fr"), Ok(()));
    }

    /// Every password that the tests, the demo, the seed and the benchmarks use.
    #[test]
    fn the_repository_passwords_are_accepted() {
        for pw in [
            "une phrase de passe solide",
            "un tout nouveau secret",
            "encore un autre secret",
            "nouvelle phrase secrète",
            "demo usager guichet",
            "demo instructeur apa",
            "demo instructeur mdph",
            "demo admin guichet",
            "demo evaluateur mdph",
            "demo lecteur apa",
            "demo expert mdph",
            "demo mere guichet",
            "demo frere guichet",
            "mon secret d’agente départementale",
            "seed instructeur guichet",
            "seed usager guichet",
            "bench administrateur guichet",
            "bench usager guichet",
            "second admin sans service",
            "instructeur sans service",
            "le lecteur du journal a gagne",
            "une phrase de passe assez longue",
        ] {
            assert_eq!(check_policy(pw, "camille@exemple.fr"), Ok(()), "{pw}");
        }
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
