//! Accounts joined to an external identity (FranceConnect for usagers, the agents' provider), and the
//! logins under way. FranceConnect's rule: an existing account is never joined on the email alone; the
//! person joins it by logging in to it ([`join`]), or it is found by the provider's `sub`.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use guichet_db::schema::{external_identities as ext, oidc_logins};
use guichet_db::{AnyConnection, new_id, now};
use guichet_types::{Email, Role};

use crate::users::{self, User};
use crate::{AccountsError, Result, password, tokens};

/// The provider name FranceConnect's joins are kept under.
pub const FRANCECONNECT: &str = "franceconnect";

/// How long a login under way (and an identity waiting to be joined) is kept.
pub const LOGIN_MINUTES: i64 = 15;

/// What the provider vouched for, as the accounts need it.
#[derive(Debug, Clone)]
pub struct ExternalLogin<'a> {
    /// `franceconnect`, `agents`.
    pub provider: &'a str,
    pub subject: &'a str,
    pub email: Option<&'a str>,
    pub display_name: &'a str,
    /// The identity received, stored as JSON (names, birth, gender, amr).
    pub claims: &'a serde_json::Value,
}

/// Where a login by the provider leads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The account joined to this identity.
    Known(User),
    /// A new account, opened now for a person without one (usagers only).
    Created(User),
    /// An account already has this email: the person must log in to it to join it.
    EmailTaken,
    /// No account is joined and none may be opened from here (an agent unknown to the platform).
    Unknown,
}

fn find_joined(conn: &mut AnyConnection, provider: &str, subject: &str) -> Result<Option<String>> {
    Ok(ext::table
        .filter(ext::provider.eq(provider))
        .filter(ext::subject.eq(subject))
        .select(ext::user_id)
        .first(conn)
        .optional()?)
}

/// The account of an identity the provider vouched for, opened if `open` allows (usagers) and its email
/// has none. The claims received are kept on the join, as last received.
pub fn login(conn: &mut AnyConnection, l: &ExternalLogin<'_>, open: bool) -> Result<Outcome> {
    let claims = l.claims.to_string();
    guichet_db::write_transaction(conn, |conn| {
        let t = now();
        if let Some(user_id) = find_joined(conn, l.provider, l.subject)? {
            let user = users::find(conn, &user_id)?.ok_or(AccountsError::UnknownUser)?;
            if user.deactivated {
                return Err(AccountsError::Deactivated);
            }
            diesel::update(
                ext::table
                    .filter(ext::provider.eq(l.provider))
                    .filter(ext::subject.eq(l.subject)),
            )
            .set((ext::claims.eq(&claims), ext::last_login_at.eq(t)))
            .execute(conn)?;
            return Ok(Outcome::Known(user));
        }
        let Some(email) = l.email.map(Email::parse).transpose()? else {
            return Ok(Outcome::Unknown);
        };
        if users::find_by_email(conn, &email)?.is_some() {
            return Ok(Outcome::EmailTaken);
        }
        if !open {
            return Ok(Outcome::Unknown);
        }
        // No password: the person logs in through the provider (a reset by email can give one later).
        let hash = password::hash(&tokens::random_token())?;
        let name = users::parse_display_name(l.display_name)
            .or_else(|_| users::parse_display_name("Usager FranceConnect"))?;
        // The provider's email is the person's own (FranceConnect passes on the identity provider's);
        // it stays editable in « Mon compte ».
        let user = users::insert(conn, &email, &hash, &name, Role::Usager, true)?;
        insert_join(conn, l, &user.id, &claims, t)?;
        tracing::info!(user.id = %user.id, provider = l.provider, "Account opened through an identity provider");
        Ok(Outcome::Created(user))
    })
}

fn insert_join(
    conn: &mut AnyConnection,
    l: &ExternalLogin<'_>,
    user_id: &str,
    claims: &str,
    t: NaiveDateTime,
) -> Result<()> {
    diesel::insert_into(ext::table)
        .values((
            ext::id.eq(new_id()),
            ext::provider.eq(l.provider),
            ext::subject.eq(l.subject),
            ext::user_id.eq(user_id),
            ext::claims.eq(claims),
            ext::created_at.eq(t),
            ext::last_login_at.eq(t),
        ))
        .execute(conn)?;
    Ok(())
}

/// Joins the identity to the account the person just logged in to (with its password).
pub fn join(conn: &mut AnyConnection, user_id: &str, l: &ExternalLogin<'_>) -> Result<()> {
    let claims = l.claims.to_string();
    guichet_db::write_transaction(conn, |conn| match find_joined(conn, l.provider, l.subject)? {
        Some(other) if other != user_id => Err(AccountsError::InvalidInput(
            "Cette identité FranceConnect est déjà reliée à un autre compte Guichet".into(),
        )),
        Some(_) => Ok(()),
        None => {
            insert_join(conn, l, user_id, &claims, now())?;
            tracing::info!(
                user.id = user_id,
                provider = l.provider,
                "Account joined to an identity provider"
            );
            Ok(())
        }
    })
}

/// The providers an account is joined to, with the claims last received.
pub fn joined(conn: &mut AnyConnection, user_id: &str) -> Result<Vec<(String, serde_json::Value)>> {
    let rows: Vec<(String, String)> = ext::table
        .filter(ext::user_id.eq(user_id))
        .select((ext::provider, ext::claims))
        .order(ext::created_at.asc())
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(p, c)| (p, serde_json::from_str(&c).unwrap_or_default()))
        .collect())
}

/// The claims FranceConnect last sent for this account, if it is joined to FranceConnect.
pub fn franceconnect_claims(conn: &mut AnyConnection, user_id: &str) -> Result<Option<serde_json::Value>> {
    let claims: Option<String> = ext::table
        .filter(ext::user_id.eq(user_id))
        .filter(ext::provider.eq(FRANCECONNECT))
        .select(ext::claims)
        .first(conn)
        .optional()?;
    Ok(claims.map(|c| serde_json::from_str(&c).unwrap_or_default()))
}

/// A login under way, read back by the callback.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingLogin {
    pub provider: String,
    /// The relying party's own record (state, nonce, verifier), as JSON.
    pub pending: String,
    pub next: Option<String>,
    /// An identity verified, waiting for the person to log in to the account its email has.
    pub identity: Option<String>,
}

/// Keeps a login under way under the digest of the browser's token; older ones are removed.
pub fn put_login(conn: &mut AnyConnection, token: &str, login: &PendingLogin) -> Result<()> {
    let t = now();
    diesel::delete(
        oidc_logins::table.filter(oidc_logins::created_at.lt(t - chrono::Duration::minutes(LOGIN_MINUTES))),
    )
    .execute(conn)?;
    diesel::insert_into(oidc_logins::table)
        .values((
            oidc_logins::id.eq(tokens::digest(token)),
            oidc_logins::provider.eq(&login.provider),
            oidc_logins::pending.eq(&login.pending),
            oidc_logins::next.eq(&login.next),
            oidc_logins::identity.eq(&login.identity),
            oidc_logins::created_at.eq(t),
        ))
        .execute(conn)?;
    Ok(())
}

/// provider, pending, next, identity, created_at.
type LoginRow = (String, String, Option<String>, Option<String>, NaiveDateTime);

/// The login under way for this browser token, removed (one use); `None` when unknown or too old.
pub fn take_login(conn: &mut AnyConnection, token: &str) -> Result<Option<PendingLogin>> {
    let id = tokens::digest(token);
    guichet_db::write_transaction(conn, |conn| {
        let row: Option<LoginRow> = oidc_logins::table
            .find(&id)
            .select((
                oidc_logins::provider,
                oidc_logins::pending,
                oidc_logins::next,
                oidc_logins::identity,
                oidc_logins::created_at,
            ))
            .first(conn)
            .optional()?;
        diesel::delete(oidc_logins::table.find(&id)).execute(conn)?;
        Ok(row
            .filter(|r| r.4 >= now() - chrono::Duration::minutes(LOGIN_MINUTES))
            .map(|(provider, pending, next, identity, _)| PendingLogin {
                provider,
                pending,
                next,
                identity,
            }))
    })
}

/// Whether this account is joined to an identity provider.
pub fn is_joined(conn: &mut AnyConnection, user_id: &str) -> Result<bool> {
    Ok(ext::table
        .filter(ext::user_id.eq(user_id))
        .select(ext::id)
        .first::<String>(conn)
        .optional()?
        .is_some())
}
