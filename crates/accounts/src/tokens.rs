//! Single-use tokens sent by email. Only their SHA-256 is stored, so a database leak does not let anyone
//! reset a password.

use base64::Engine;
use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;
use guichet_db::schema::user_tokens;
use guichet_db::{AnyConnection, new_id, now};
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::{AccountsError, Result};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    VerifyEmail,
    ResetPassword,
    /// Confirms a new address for an existing account (the address travels with the token).
    ChangeEmail,
    /// An agent invited by an administrator chooses a first password.
    Invitation,
    /// A person just identified again by FranceConnect confirms closing their account (no password).
    CloseAccount,
}

impl Purpose {
    fn as_str(self) -> &'static str {
        match self {
            Purpose::VerifyEmail => "verify_email",
            Purpose::ResetPassword => "reset_password",
            Purpose::ChangeEmail => "change_email",
            Purpose::Invitation => "invitation",
            Purpose::CloseAccount => "close_account",
        }
    }

    /// How long a link stays valid. Reset links are short-lived because they grant the account.
    pub fn lifetime(self) -> Duration {
        match self {
            Purpose::VerifyEmail | Purpose::ChangeEmail | Purpose::Invitation => Duration::days(7),
            Purpose::ResetPassword => Duration::hours(1),
            // The person is on the page that asks the confirmation, back from FranceConnect.
            Purpose::CloseAccount => Duration::minutes(10),
        }
    }
}

/// 32 random bytes, base64url: unguessable and safe in a URL.
pub fn random_token() -> String {
    let mut buf = [0u8; 32];
    rand::rng().fill_bytes(&mut buf);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(buf)
}

/// What is stored of a token (its SHA-256, hex).
pub fn digest(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Creates a token for the user and returns its clear value (to put in an emailed link).
pub fn issue(conn: &mut AnyConnection, user_id: &str, purpose: Purpose) -> Result<String> {
    issue_with(conn, user_id, purpose, None)
}

/// Creates a token that carries a new address (a change of address), returns its clear value.
pub fn issue_for_address(conn: &mut AnyConnection, user_id: &str, new_email: &str) -> Result<String> {
    issue_with(conn, user_id, Purpose::ChangeEmail, Some(new_email))
}

fn issue_with(
    conn: &mut AnyConnection,
    user_id: &str,
    purpose: Purpose,
    new_email: Option<&str>,
) -> Result<String> {
    let token = random_token();
    let t = now();
    diesel::insert_into(user_tokens::table)
        .values((
            user_tokens::id.eq(new_id()),
            user_tokens::user_id.eq(user_id),
            user_tokens::purpose.eq(purpose.as_str()),
            user_tokens::token_hash.eq(digest(&token)),
            user_tokens::expires_at.eq(t + purpose.lifetime()),
            user_tokens::created_at.eq(t),
            user_tokens::new_email.eq(new_email),
        ))
        .execute(conn)?;
    Ok(token)
}

/// Marks the token used and returns its user, or refuses it if unknown, expired, already used or of
/// another purpose. The update's own filter makes concurrent uses of one token yield a single winner.
pub fn consume(conn: &mut AnyConnection, token: &str, purpose: Purpose) -> Result<String> {
    consume_with_address(conn, token, purpose).map(|(user, _)| user)
}

/// Like [`consume`], also returning the address the token carries (a change of address).
pub fn consume_with_address(
    conn: &mut AnyConnection,
    token: &str,
    purpose: Purpose,
) -> Result<(String, Option<String>)> {
    let t = now();
    let hash = digest(token);
    let row: Option<(String, String, Option<String>)> = user_tokens::table
        .filter(user_tokens::token_hash.eq(&hash))
        .filter(user_tokens::purpose.eq(purpose.as_str()))
        .filter(user_tokens::used_at.is_null())
        .filter(user_tokens::expires_at.gt(t))
        .select((user_tokens::id, user_tokens::user_id, user_tokens::new_email))
        .first(conn)
        .optional()?;
    let Some((id, user_id, new_email)) = row else {
        return Err(AccountsError::InvalidToken);
    };
    let updated = diesel::update(
        user_tokens::table
            .find(&id)
            .filter(user_tokens::used_at.is_null()),
    )
    .set(user_tokens::used_at.eq(Some(t)))
    .execute(conn)?;
    if updated == 1 {
        Ok((user_id, new_email))
    } else {
        Err(AccountsError::InvalidToken)
    }
}

/// Makes every unused token of the user for `purpose` unusable (marked used): a later reset request or a
/// password change supersedes the links already sent.
pub fn revoke_all(conn: &mut AnyConnection, user_id: &str, purpose: Purpose) -> Result<usize> {
    Ok(diesel::update(
        user_tokens::table
            .filter(user_tokens::user_id.eq(user_id))
            .filter(user_tokens::purpose.eq(purpose.as_str()))
            .filter(user_tokens::used_at.is_null()),
    )
    .set(user_tokens::used_at.eq(Some(now())))
    .execute(conn)?)
}

/// Test and maintenance helper: moves a token's expiry (e.g. to check that expired links are refused).
pub fn set_expiry(conn: &mut AnyConnection, token: &str, expires_at: NaiveDateTime) -> Result<usize> {
    Ok(
        diesel::update(user_tokens::table.filter(user_tokens::token_hash.eq(digest(token))))
            .set(user_tokens::expires_at.eq(expires_at))
            .execute(conn)?,
    )
}
