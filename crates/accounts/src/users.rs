//! Users: sign-up, email verification, login, logout, password reset and change.

use diesel::prelude::*;
use guichet_db::schema::users;
use guichet_db::{AnyConnection, new_id, now, outbox};
use guichet_notify::emails;
use guichet_types::{Email, Role};

use crate::password::{self, PasswordPolicyError};
use crate::throttle::{self, EmailKind};
use crate::tokens::{self, Purpose};
use crate::{AccountsError, Result};

/// A user as the rest of the platform sees it (never with the password hash).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: String,
    pub email: String,
    pub display_name: String,
    pub role: Role,
    pub email_verified: bool,
    pub session_version: i32,
    /// Emails about new messages (« Mon compte »); mandatory emails have no switch.
    pub notify_messages: bool,
    /// Deactivated by an administrator: login refused.
    pub deactivated: bool,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = users)]
pub(crate) struct UserRow {
    id: String,
    email: String,
    display_name: String,
    role: String,
    email_verified_at: Option<chrono::NaiveDateTime>,
    session_version: i32,
    notify_messages: bool,
    deactivated_at: Option<chrono::NaiveDateTime>,
}

impl TryFrom<UserRow> for User {
    type Error = AccountsError;
    fn try_from(r: UserRow) -> Result<User> {
        let role = r
            .role
            .parse()
            .map_err(|_| AccountsError::Internal(format!("unknown role {}", r.role)))?;
        Ok(User {
            id: r.id,
            email: r.email,
            display_name: r.display_name,
            role,
            email_verified: r.email_verified_at.is_some(),
            session_version: r.session_version,
            notify_messages: r.notify_messages,
            deactivated: r.deactivated_at.is_some(),
        })
    }
}

pub const MAX_NAME_LENGTH: usize = 120;

/// Trims a display name and checks its length.
pub fn parse_display_name(name: &str) -> Result<String> {
    let n = name.trim();
    if n.is_empty() {
        return Err(AccountsError::InvalidInput("Saisissez vos prénom et nom".into()));
    }
    if n.chars().count() > MAX_NAME_LENGTH {
        return Err(AccountsError::InvalidInput(
            "Vos prénom et nom doivent contenir 120 caractères au maximum".into(),
        ));
    }
    if n.chars().any(char::is_control) {
        return Err(AccountsError::InvalidInput(
            "Vos prénom et nom contiennent des caractères non autorisés".into(),
        ));
    }
    Ok(n.to_owned())
}

pub fn find(conn: &mut AnyConnection, id: &str) -> Result<Option<User>> {
    users::table
        .find(id)
        .select(UserRow::as_select())
        .first(conn)
        .optional()?
        .map(User::try_from)
        .transpose()
}

pub fn find_by_email(conn: &mut AnyConnection, email: &Email) -> Result<Option<User>> {
    users::table
        .filter(users::email.eq(email.as_str()))
        .select(UserRow::as_select())
        .first(conn)
        .optional()?
        .map(User::try_from)
        .transpose()
}

fn password_hash_of(conn: &mut AnyConnection, id: &str) -> Result<String> {
    Ok(users::table.find(id).select(users::password_hash).first(conn)?)
}

/// Creates an account directly (CLI, demo data). The password must meet the policy.
pub fn create(
    conn: &mut AnyConnection,
    email: &Email,
    password: &str,
    display_name: &str,
    role: Role,
    verified: bool,
) -> Result<User> {
    password::check_policy(password, email.as_str())?;
    let name = parse_display_name(display_name)?;
    let hash = password::hash(password)?;
    guichet_db::write_transaction(conn, |conn| {
        if find_by_email(conn, email)?.is_some() {
            return Err(AccountsError::UserExists);
        }
        insert(conn, email, &hash, &name, role, verified)
    })
}

pub(crate) fn insert(
    conn: &mut AnyConnection,
    email: &Email,
    hash: &str,
    name: &str,
    role: Role,
    verified: bool,
) -> Result<User> {
    let id = new_id();
    let t = now();
    diesel::insert_into(users::table)
        .values((
            users::id.eq(&id),
            users::email.eq(email.as_str()),
            users::password_hash.eq(hash),
            users::display_name.eq(name),
            users::role.eq(role.as_str()),
            users::email_verified_at.eq(verified.then_some(t)),
            users::session_version.eq(0),
            users::created_at.eq(t),
            users::updated_at.eq(t),
        ))
        .execute(conn)?;
    find(conn, &id)?.ok_or(AccountsError::UnknownUser)
}

/// Input of the sign-up form, already parsed.
#[derive(Debug, Clone)]
pub struct SignUp {
    pub email: Email,
    pub display_name: String,
    pub password: String,
    /// Where the person was going (a checked local path): carried by the confirmation link.
    pub suite: Option<String>,
}

/// Signs up a usager and emails a verification link. If the address already has an account, that account
/// is emailed instead ("you already have an account"), and the caller answers the same way: the page
/// never tells whether an address is registered. Either email is subject to the hourly quotas of
/// [`throttle::take_email_quota`]; past them the account is still created, without an email (logging in
/// later sends the link again).
pub fn sign_up(conn: &mut AnyConnection, input: &SignUp, ip: &str, public_url: &str) -> Result<()> {
    password::check_policy(&input.password, input.email.as_str())?;
    let name = parse_display_name(&input.display_name)?;
    let hash = password::hash(&input.password)?;
    guichet_db::write_transaction(conn, |conn| {
        let may_send = throttle::take_email_quota(conn, EmailKind::SignUp, input.email.as_str(), ip)?;
        if let Some(existing) = find_by_email(conn, &input.email)? {
            if may_send {
                outbox::enqueue(conn, &emails::account_exists(&existing.email, public_url))?;
            }
            return Ok(());
        }
        let user = insert(conn, &input.email, &hash, &name, Role::Usager, false)?;
        if may_send {
            let token = tokens::issue(conn, &user.id, Purpose::VerifyEmail)?;
            outbox::enqueue(
                conn,
                &emails::verify_email_then(
                    &user.email,
                    &user.display_name,
                    public_url,
                    &token,
                    input.suite.as_deref(),
                ),
            )?;
        }
        Ok(())
    })
}

/// « Renvoyer le lien » on the page shown after sign-up: a new confirmation link if the address has an
/// account not yet confirmed, within the same hourly quotas as sign-up. Nothing visible tells whether
/// anything was sent (no enumeration): a confirmed account gets « vous avez déjà un compte », an unknown
/// address nothing.
pub fn resend_verification(
    conn: &mut AnyConnection,
    email: &Email,
    ip: &str,
    public_url: &str,
    suite: Option<&str>,
) -> Result<()> {
    guichet_db::write_transaction(conn, |conn| {
        if !throttle::take_email_quota(conn, EmailKind::SignUp, email.as_str(), ip)? {
            return Ok(());
        }
        match find_by_email(conn, email)? {
            Some(u) if !u.email_verified => {
                let token = tokens::issue(conn, &u.id, Purpose::VerifyEmail)?;
                outbox::enqueue(
                    conn,
                    &emails::verify_email_then(&u.email, &u.display_name, public_url, &token, suite),
                )?;
            }
            Some(u) => {
                outbox::enqueue(conn, &emails::account_exists(&u.email, public_url))?;
            }
            None => {}
        }
        Ok(())
    })
}

/// Confirms an address from the emailed link.
pub fn verify_email(conn: &mut AnyConnection, token: &str) -> Result<User> {
    guichet_db::write_transaction(conn, |conn| {
        let user_id = tokens::consume(conn, token, Purpose::VerifyEmail)?;
        diesel::update(
            users::table
                .find(&user_id)
                .filter(users::email_verified_at.is_null()),
        )
        .set((
            users::email_verified_at.eq(Some(now())),
            users::updated_at.eq(now()),
        ))
        .execute(conn)?;
        find(conn, &user_id)?.ok_or(AccountsError::UnknownUser)
    })
}

/// Checks a login. Unknown addresses and wrong passwords fail the same way, in the same time. Repeated
/// failures make the next attempts wait, growing delays per (address, IP), per address and per IP
/// ([`throttle`]); the attempt is counted before the password is checked, so parallel attempts cannot
/// get more passwords checked than the limits allow.
pub fn authenticate(
    conn: &mut AnyConnection,
    email: &str,
    password: &str,
    ip: &str,
    public_url: &str,
) -> Result<User> {
    authenticate_then(conn, email, password, ip, public_url, None)
}

/// [`authenticate`], with where the person was going: a confirmation link sent again carries it.
pub fn authenticate_then(
    conn: &mut AnyConnection,
    email: &str,
    password: &str,
    ip: &str,
    public_url: &str,
    suite: Option<&str>,
) -> Result<User> {
    let key = email.trim().to_lowercase();
    throttle::begin_login(conn, &key, ip)?;
    let user = match Email::parse(&key) {
        Ok(e) => find_by_email(conn, &e)?,
        Err(_) => None,
    };
    let ok = match &user {
        Some(u) => password::verify(password, &password_hash_of(conn, &u.id)?),
        None => {
            password::verify_dummy(password);
            false
        }
    };
    throttle::end_login(conn, &key, ip, ok)?;
    match user {
        Some(u) if ok && u.deactivated => Err(AccountsError::Deactivated),
        Some(u) if ok => {
            if !u.email_verified {
                guichet_db::write_transaction(conn, |conn| {
                    if throttle::take_email_quota(conn, EmailKind::SignUp, &u.email, ip)? {
                        let token = tokens::issue(conn, &u.id, Purpose::VerifyEmail)?;
                        outbox::enqueue(
                            conn,
                            &emails::verify_email_then(&u.email, &u.display_name, public_url, &token, suite),
                        )?;
                    }
                    Ok::<_, AccountsError>(())
                })?;
                return Err(AccountsError::EmailNotVerified);
            }
            Ok(u)
        }
        _ => Err(AccountsError::InvalidCredentials),
    }
}

/// Sends a reset link if the address has an account and its hourly quotas allow; does nothing visible
/// otherwise. A new link revokes the earlier unused ones: only the latest email works.
pub fn request_password_reset(
    conn: &mut AnyConnection,
    email: &Email,
    ip: &str,
    public_url: &str,
) -> Result<()> {
    guichet_db::write_transaction(conn, |conn| {
        let may_send = throttle::take_email_quota(conn, EmailKind::ResetPassword, email.as_str(), ip)?;
        if may_send && let Some(u) = find_by_email(conn, email)? {
            tokens::revoke_all(conn, &u.id, Purpose::ResetPassword)?;
            let token = tokens::issue(conn, &u.id, Purpose::ResetPassword)?;
            outbox::enqueue(conn, &emails::reset_password(&u.email, public_url, &token))?;
        }
        Ok(())
    })
}

fn set_password(conn: &mut AnyConnection, user_id: &str, hash: &str) -> Result<()> {
    // A reset link asked for before this change must not undo it (or let a reader of an old email in).
    tokens::revoke_all(conn, user_id, Purpose::ResetPassword)?;
    // « Si ce n’était pas vous, choisissez un nouveau mot de passe » also cancels a change of address.
    tokens::revoke_all(conn, user_id, Purpose::ChangeEmail)?;
    // Bumping the version revokes every session issued with the old password.
    diesel::update(users::table.find(user_id))
        .set((
            users::password_hash.eq(hash),
            users::session_version.eq(users::session_version + 1),
            users::updated_at.eq(now()),
        ))
        .execute(conn)?;
    Ok(())
}

/// Sets a new password from an emailed reset token (single use, one hour). Following the link also proves
/// the address, so it counts as verified.
pub fn reset_password(conn: &mut AnyConnection, token: &str, new_password: &str) -> Result<User> {
    password_from_token(conn, token, Purpose::ResetPassword, new_password, |conn, user| {
        outbox::enqueue(conn, &emails::password_changed(&user.email))?;
        Ok(())
    })
}

/// A password chosen through an emailed link (a reset, an invitation): the token spent, the policy
/// checked against the address, the address counted as proven; `then` runs in the same transaction.
fn password_from_token(
    conn: &mut AnyConnection,
    token: &str,
    purpose: Purpose,
    new_password: &str,
    then: impl FnOnce(&mut AnyConnection, &User) -> Result<()>,
) -> Result<User> {
    // Hash outside the transaction: argon2 takes tens of milliseconds and SQLite has one writer.
    let hash = password::hash(new_password)?;
    guichet_db::write_transaction(conn, |conn| {
        let user_id = tokens::consume(conn, token, purpose)?;
        let user = find(conn, &user_id)?.ok_or(AccountsError::UnknownUser)?;
        password::check_policy(new_password, &user.email)?;
        then(conn, &user)?;
        set_password(conn, &user_id, &hash)?;
        diesel::update(
            users::table
                .find(&user_id)
                .filter(users::email_verified_at.is_null()),
        )
        .set(users::email_verified_at.eq(Some(now())))
        .execute(conn)?;
        find(conn, &user_id)?.ok_or(AccountsError::UnknownUser)
    })
}

/// Changes the password of a logged-in user who knows the current one.
pub fn change_password(
    conn: &mut AnyConnection,
    user_id: &str,
    current: &str,
    new_password: &str,
) -> Result<User> {
    let user = find(conn, user_id)?.ok_or(AccountsError::UnknownUser)?;
    if !password::verify(current, &password_hash_of(conn, user_id)?) {
        return Err(AccountsError::InvalidCredentials);
    }
    password::check_policy(new_password, &user.email)?;
    let hash = password::hash(new_password)?;
    guichet_db::write_transaction(conn, |conn| {
        set_password(conn, user_id, &hash)?;
        outbox::enqueue(conn, &emails::password_changed(&user.email))?;
        find(conn, user_id)?.ok_or(AccountsError::UnknownUser)
    })
}

/// Ends every session of the user.
pub fn logout(conn: &mut AnyConnection, user_id: &str) -> Result<()> {
    diesel::update(users::table.find(user_id))
        .set(users::session_version.eq(users::session_version + 1))
        .execute(conn)?;
    Ok(())
}

/// Policy check exposed for forms that want to show the error before anything else.
pub fn check_new_password(password: &str, email: &str) -> Result<(), PasswordPolicyError> {
    password::check_policy(password, email)
}

/// The agents and administrators (never the usagers, however many they are).
pub fn staff(conn: &mut AnyConnection) -> Result<Vec<User>> {
    users::table
        .filter(users::role.ne(Role::Usager.as_str()))
        .filter(users::deleted_at.is_null())
        .order(users::email.asc())
        .select(UserRow::as_select())
        .load(conn)?
        .into_iter()
        .map(User::try_from)
        .collect()
}

pub fn list(conn: &mut AnyConnection) -> Result<Vec<User>> {
    users::table
        .order(users::email.asc())
        .select(UserRow::as_select())
        .load(conn)?
        .into_iter()
        .map(User::try_from)
        .collect()
}

/// Changes a user's role (administration). Ends their sessions: permissions come with a new login.
pub fn set_role(conn: &mut AnyConnection, user_id: &str, role: Role) -> Result<()> {
    diesel::update(users::table.find(user_id))
        .set((
            users::role.eq(role.as_str()),
            users::session_version.eq(users::session_version + 1),
            users::updated_at.eq(now()),
        ))
        .execute(conn)?;
    Ok(())
}

// ------------------------------------------------------------------------------------------ Mon compte

/// Whether `password` is the user's current one (asked before changing the address or closing).
pub fn check_password(conn: &mut AnyConnection, user_id: &str, password: &str) -> Result<bool> {
    Ok(password::verify(password, &password_hash_of(conn, user_id)?))
}

/// Changes the name shown in the menu and used to prefill « vos coordonnées ».
pub fn set_display_name(conn: &mut AnyConnection, user_id: &str, name: &str) -> Result<User> {
    let name = parse_display_name(name)?;
    diesel::update(users::table.find(user_id))
        .set((users::display_name.eq(&name), users::updated_at.eq(now())))
        .execute(conn)?;
    find(conn, user_id)?.ok_or(AccountsError::UnknownUser)
}

/// Turns the optional emails on or off.
pub fn set_notifications(conn: &mut AnyConnection, user_id: &str, messages: bool) -> Result<User> {
    diesel::update(users::table.find(user_id))
        .set((users::notify_messages.eq(messages), users::updated_at.eq(now())))
        .execute(conn)?;
    find(conn, user_id)?.ok_or(AccountsError::UnknownUser)
}

/// Asks to replace the address (the current password checked by the caller): the new address receives a
/// link and replaces the old one only once it is opened; the old address is told at once. If the new
/// address already has an account, it gets « vous avez déjà un compte » instead, and the page answers the
/// same way (no enumeration). The links sent earlier for another address stop working.
pub fn request_email_change(
    conn: &mut AnyConnection,
    user_id: &str,
    new_email: &Email,
    ip: &str,
    public_url: &str,
) -> Result<()> {
    let user = find(conn, user_id)?.ok_or(AccountsError::UnknownUser)?;
    if user.email == new_email.as_str() {
        return Err(AccountsError::InvalidInput(
            "C’est déjà l’adresse de votre compte : saisissez la nouvelle adresse".into(),
        ));
    }
    guichet_db::write_transaction(conn, |conn| {
        if !throttle::take_email_quota(conn, EmailKind::ChangeEmail, new_email.as_str(), ip)? {
            return Ok(());
        }
        tokens::revoke_all(conn, user_id, Purpose::ChangeEmail)?;
        if find_by_email(conn, new_email)?.is_some() {
            outbox::enqueue(conn, &emails::account_exists(new_email.as_str(), public_url))?;
        } else {
            let token = tokens::issue_for_address(conn, user_id, new_email.as_str())?;
            outbox::enqueue(
                conn,
                &emails::confirm_new_email(new_email.as_str(), &user.display_name, public_url, &token),
            )?;
        }
        outbox::enqueue(
            conn,
            &emails::email_change_requested(&user.email, new_email.as_str()),
        )?;
        Ok(())
    })
}

/// Opens the link sent to a new address: the address replaces the old one (which is told), and counts as
/// confirmed. Refused like any used or expired link if the address got an account in the meantime.
pub fn confirm_email_change(conn: &mut AnyConnection, token: &str) -> Result<User> {
    guichet_db::write_transaction(conn, |conn| {
        let (user_id, new_email) = tokens::consume_with_address(conn, token, Purpose::ChangeEmail)?;
        let new_email = Email::parse(new_email.as_deref().unwrap_or_default())?;
        if find_by_email(conn, &new_email)?.is_some() {
            return Err(AccountsError::InvalidToken);
        }
        let old = find(conn, &user_id)?.ok_or(AccountsError::UnknownUser)?;
        let t = now();
        diesel::update(users::table.find(&user_id))
            .set((
                users::email.eq(new_email.as_str()),
                users::email_verified_at.eq(Some(t)),
                users::updated_at.eq(t),
            ))
            .execute(conn)?;
        outbox::enqueue(conn, &emails::email_changed(&old.email, new_email.as_str()))?;
        find(conn, &user_id)?.ok_or(AccountsError::UnknownUser)
    })
}

/// Closes an account at its owner's request, inside the caller's transaction (which also deletes the
/// drafts). The row stays, since deposited dossiers refer to it and are kept as the law requires, but
/// nothing personal to the account is left that could log in or receive email: the address is replaced
/// by a unique unroutable one (so it can sign up again), the password can match nothing, every session
/// and link is revoked. The owner's name stays: the kept dossiers are instructed under it.
pub fn close(conn: &mut AnyConnection, user_id: &str) -> Result<()> {
    for purpose in [Purpose::VerifyEmail, Purpose::ResetPassword, Purpose::ChangeEmail] {
        tokens::revoke_all(conn, user_id, purpose)?;
    }
    let t = now();
    diesel::update(users::table.find(user_id))
        .set((
            users::email.eq(format!("compte-supprime-{user_id}@guichet.invalid")),
            // Not a PHC string: `password::verify` is false for every password.
            users::password_hash.eq("!compte-supprime"),
            users::notify_messages.eq(false),
            users::deleted_at.eq(Some(t)),
            users::session_version.eq(users::session_version + 1),
            users::updated_at.eq(t),
        ))
        .execute(conn)?;
    // A closed account is not entered again through FranceConnect either: a later login there opens a new one.
    diesel::delete(
        guichet_db::schema::external_identities::table
            .filter(guichet_db::schema::external_identities::user_id.eq(user_id)),
    )
    .execute(conn)?;
    Ok(())
}

/// Opens an agent's account for an address that has none: no usable password until the person follows the
/// emailed invitation (seven days, one use) and chooses one. Returns the account; the email is queued in
/// the same transaction. `service` and `role` are named in the email only (the caller adds the membership).
pub fn invite(
    conn: &mut AnyConnection,
    email: &Email,
    display_name: &str,
    inviter: &str,
    service: &str,
    role: &str,
    public_url: &str,
) -> Result<User> {
    let name = parse_display_name(display_name)?;
    // A random secret nobody knows: the account cannot be entered before the invitation is accepted.
    let hash = password::hash(&tokens::random_token())?;
    guichet_db::write_transaction(conn, |conn| {
        if find_by_email(conn, email)?.is_some() {
            return Err(AccountsError::UserExists);
        }
        let user = insert(conn, email, &hash, &name, Role::Instructeur, false)?;
        let token = tokens::issue(conn, &user.id, Purpose::Invitation)?;
        outbox::enqueue(
            conn,
            &emails::invitation(&user.email, inviter, service, role, public_url, &token),
        )?;
        Ok(user)
    })
}

/// Sends a fresh invitation (the earlier links stop working) to an account that never chose a password.
pub fn reinvite(
    conn: &mut AnyConnection,
    user_id: &str,
    inviter: &str,
    service: &str,
    role: &str,
    public_url: &str,
) -> Result<()> {
    guichet_db::write_transaction(conn, |conn| {
        let user = find(conn, user_id)?.ok_or(AccountsError::UnknownUser)?;
        tokens::revoke_all(conn, user_id, Purpose::Invitation)?;
        let token = tokens::issue(conn, user_id, Purpose::Invitation)?;
        outbox::enqueue(
            conn,
            &emails::invitation(&user.email, inviter, service, role, public_url, &token),
        )?;
        Ok(())
    })
}

/// The invited agent chooses a first password: the token is spent, the address proven, the old sessions
/// (none) ended.
pub fn accept_invitation(conn: &mut AnyConnection, token: &str, new_password: &str) -> Result<User> {
    password_from_token(conn, token, Purpose::Invitation, new_password, |_, user| {
        if user.deactivated {
            return Err(AccountsError::Deactivated);
        }
        Ok(())
    })
}

/// An administrator deactivates (or reactivates) an account: login refused, every session ended, pending
/// invitation links revoked. The row and everything it did stay.
pub fn set_active(conn: &mut AnyConnection, user_id: &str, active: bool) -> Result<()> {
    guichet_db::write_transaction(conn, |conn| {
        let changed = diesel::update(users::table.find(user_id))
            .set((
                users::deactivated_at.eq((!active).then(now)),
                users::session_version.eq(users::session_version + 1),
                users::updated_at.eq(now()),
            ))
            .execute(conn)?;
        if changed == 0 {
            return Err(AccountsError::UnknownUser);
        }
        if !active {
            tokens::revoke_all(conn, user_id, Purpose::Invitation)?;
            tokens::revoke_all(conn, user_id, Purpose::ResetPassword)?;
        }
        Ok(())
    })
}
