//! Login throttling, per account and per IP, stored in the database so that several server processes
//! share the counts.

use chrono::Duration;
use diesel::prelude::*;
use guichet_db::schema::login_attempts;
use guichet_db::{AnyConnection, new_id, now};

use crate::Result;

/// Failures counted over this window.
pub const WINDOW_MINUTES: i64 = 15;
/// Failed attempts on one address before it is locked for the window.
pub const MAX_FAILURES_PER_ACCOUNT: i64 = 5;
/// Failed attempts from one IP (on any addresses) before it is locked for the window. Higher, because a
/// France Services desk or a département's network puts many people behind one address.
pub const MAX_FAILURES_PER_IP: i64 = 30;

pub fn record(conn: &mut AnyConnection, email: &str, ip: &str, succeeded: bool) -> Result<()> {
    diesel::insert_into(login_attempts::table)
        .values((
            login_attempts::id.eq(new_id()),
            login_attempts::email.eq(email),
            login_attempts::ip.eq(ip),
            login_attempts::succeeded.eq(succeeded),
            login_attempts::attempted_at.eq(now()),
        ))
        .execute(conn)?;
    Ok(())
}

/// True when the address or the IP has too many recent failures. Failures before the account's last
/// successful login do not count against the account.
pub fn is_throttled(conn: &mut AnyConnection, email: &str, ip: &str) -> Result<bool> {
    let since = now() - Duration::minutes(WINDOW_MINUTES);
    let last_success: Option<chrono::NaiveDateTime> = login_attempts::table
        .filter(login_attempts::email.eq(email))
        .filter(login_attempts::succeeded.eq(true))
        .filter(login_attempts::attempted_at.gt(since))
        .select(diesel::dsl::max(login_attempts::attempted_at))
        .first(conn)?;
    let account_since = last_success.map_or(since, |s| s.max(since));
    let account_failures: i64 = login_attempts::table
        .filter(login_attempts::email.eq(email))
        .filter(login_attempts::succeeded.eq(false))
        .filter(login_attempts::attempted_at.gt(account_since))
        .count()
        .get_result(conn)?;
    if account_failures >= MAX_FAILURES_PER_ACCOUNT {
        return Ok(true);
    }
    let ip_failures: i64 = login_attempts::table
        .filter(login_attempts::ip.eq(ip))
        .filter(login_attempts::succeeded.eq(false))
        .filter(login_attempts::attempted_at.gt(since))
        .count()
        .get_result(conn)?;
    Ok(ip_failures >= MAX_FAILURES_PER_IP)
}

/// Retention: attempts older than a day are of no use to throttling.
pub fn purge_old(conn: &mut AnyConnection) -> Result<usize> {
    let before = now() - Duration::days(1);
    Ok(
        diesel::delete(login_attempts::table.filter(login_attempts::attempted_at.lt(before)))
            .execute(conn)?,
    )
}
