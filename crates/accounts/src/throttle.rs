//! Rate limits kept in the database (`rate_counters`), so that several server processes share them:
//! progressive login delays per (account, IP) pair, per account and per IP, and quotas of account emails
//! per address and per IP. The numbers and their reasons are in the crate README.
//!
//! A bucket's counter is read and updated in one write transaction that holds the bucket: SQLite's
//! `BEGIN IMMEDIATE` lets one writer in at a time, and on PostgreSQL a transaction-level advisory lock per
//! bucket does the same. A login attempt is counted as a failure *before* its password is checked (and
//! forgiven after a success), so concurrent attempts cannot check more passwords than the limit allows.

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;
use guichet_db::schema::rate_counters;
use guichet_db::{AnyConnection, now};
use sha2::{Digest, Sha256};

use crate::{AccountsError, Result};

/// A progressive delay: `free` failures are allowed, then each further attempt must wait `base_secs`
/// after the last failure, doubling at each failure up to `max_secs`. Counts restart when `window_secs`
/// have passed since the first failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rule {
    pub free: i32,
    pub base_secs: i64,
    pub max_secs: i64,
    pub window_secs: i64,
}

const MINUTE: i64 = 60;
const HOUR: i64 = 60 * MINUTE;

/// One person mistyping on one account from one place.
pub const PER_PAIR: Rule = Rule {
    free: 5,
    base_secs: 30,
    max_secs: 15 * MINUTE,
    window_secs: 24 * HOUR,
};
/// One account from anywhere: a distributed guesser. Higher, so that failures from other places do not
/// slow its owner down early.
pub const PER_ACCOUNT: Rule = Rule {
    free: 20,
    base_secs: 30,
    max_secs: 15 * MINUTE,
    window_secs: 24 * HOUR,
};
/// One IP on any accounts. Much higher, because a France Services desk or a département's network puts
/// many people behind one address; the window is an hour so that a busy desk is not slowed all day.
pub const PER_IP: Rule = Rule {
    free: 100,
    base_secs: 30,
    max_secs: 15 * MINUTE,
    window_secs: HOUR,
};

/// Account emails (sign-up confirmation, « vous avez déjà un compte », reset link) per hour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EmailKind {
    /// Sign-up confirmation, « vous avez déjà un compte », or a confirmation link sent again at login.
    SignUp,
    ResetPassword,
    /// The confirmation link of a new address (« Mon compte »).
    ChangeEmail,
}

/// Emails of one kind to one address per hour.
pub const EMAILS_PER_ADDRESS_PER_HOUR: i32 = 3;
/// Account emails caused from one IP per hour (all addresses and kinds): a desk helping people sign up
/// stays well below.
pub const EMAILS_PER_IP_PER_HOUR: i32 = 30;

impl Rule {
    /// Seconds still to wait after `hits` failures, the last at `last`, or `None`.
    fn wait(&self, hits: i32, last: NaiveDateTime, t: NaiveDateTime) -> Option<i64> {
        if hits < self.free {
            return None;
        }
        let doublings = u32::try_from(hits - self.free).unwrap_or(u32::MAX).min(20);
        let delay = self
            .base_secs
            .saturating_mul(1_i64 << doublings)
            .min(self.max_secs);
        let until = last + Duration::seconds(delay);
        // Rounded up: "wait 0 seconds" would be wrong for the last fraction of a second.
        (until > t).then(|| ((until - t).num_milliseconds() + 999) / 1000)
    }
}

/// The stored name of a bucket: its scope in clear, the rest hashed, so that the table holds no address.
fn bucket(scope: &str, parts: &[&str]) -> String {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p.as_bytes());
        h.update([0]);
    }
    format!("{scope}:{}", hex::encode(h.finalize()))
}

/// Serialises the transactions that touch these buckets. SQLite needs nothing: `write_transaction` is
/// `BEGIN IMMEDIATE`, a single writer. PostgreSQL takes one advisory lock per bucket, in a fixed order
/// so that two logins never wait on each other crosswise; they are released at commit.
fn lock(conn: &mut AnyConnection, buckets: &[&str]) -> Result<()> {
    if let AnyConnection::Postgresql(_) = conn {
        let mut keys: Vec<i64> = buckets
            .iter()
            .map(|b| {
                let d = Sha256::digest(b.as_bytes());
                let mut first = [0u8; 8];
                first.copy_from_slice(&d[..8]);
                i64::from_be_bytes(first)
            })
            .collect();
        keys.sort_unstable();
        keys.dedup();
        for k in keys {
            // `k` is an integer computed here, not user input.
            diesel::sql_query(format!("SELECT pg_advisory_xact_lock({k})")).execute(conn)?;
        }
    }
    Ok(())
}

/// The bucket's hits in its current window and the time of the last one.
fn load(
    conn: &mut AnyConnection,
    bucket: &str,
    window_secs: i64,
    t: NaiveDateTime,
) -> Result<Option<(i32, NaiveDateTime, NaiveDateTime)>> {
    let row: Option<(i32, NaiveDateTime, NaiveDateTime)> = rate_counters::table
        .find(bucket)
        .select((
            rate_counters::hits,
            rate_counters::window_started_at,
            rate_counters::last_hit_at,
        ))
        .first(conn)
        .optional()?;
    Ok(row.filter(|(_, start, _)| *start + Duration::seconds(window_secs) > t))
}

/// Counts one hit, starting a new window if the last one is over. The caller holds the bucket.
fn hit(conn: &mut AnyConnection, bucket: &str, window_secs: i64, t: NaiveDateTime) -> Result<i32> {
    let row: Option<(i32, NaiveDateTime)> = rate_counters::table
        .find(bucket)
        .select((rate_counters::hits, rate_counters::window_started_at))
        .first(conn)
        .optional()?;
    let (hits, start) = match row {
        Some((hits, start)) if start + Duration::seconds(window_secs) > t => (hits.saturating_add(1), start),
        _ => (1, t),
    };
    if row.is_some() {
        diesel::update(rate_counters::table.find(bucket))
            .set((
                rate_counters::hits.eq(hits),
                rate_counters::window_started_at.eq(start),
                rate_counters::last_hit_at.eq(t),
            ))
            .execute(conn)?;
    } else {
        diesel::insert_into(rate_counters::table)
            .values((
                rate_counters::bucket.eq(bucket),
                rate_counters::hits.eq(hits),
                rate_counters::window_started_at.eq(start),
                rate_counters::last_hit_at.eq(t),
            ))
            .execute(conn)?;
    }
    Ok(hits)
}

struct LoginBuckets {
    pair: String,
    account: String,
    ip: String,
}

impl LoginBuckets {
    fn new(email: &str, ip: &str) -> LoginBuckets {
        LoginBuckets {
            pair: bucket("login-pair", &[email, ip]),
            account: bucket("login-account", &[email]),
            ip: bucket("login-ip", &[ip]),
        }
    }

    fn with_rules(&self) -> [(&str, Rule); 3] {
        [
            (self.pair.as_str(), PER_PAIR),
            (self.account.as_str(), PER_ACCOUNT),
            (self.ip.as_str(), PER_IP),
        ]
    }
}

/// Lets a login attempt through, counted in advance as a failure, or refuses it with the seconds to
/// wait (`AccountsError::Throttled`). A refused attempt is not counted: waiting is enough to get through.
/// `email` is the normalised address as typed (known or not: both are throttled alike).
pub fn begin_login(conn: &mut AnyConnection, email: &str, ip: &str) -> Result<()> {
    let buckets = LoginBuckets::new(email, ip);
    guichet_db::write_transaction(conn, |conn| {
        let rules = buckets.with_rules();
        lock(conn, &rules.map(|(b, _)| b))?;
        let t = now();
        let mut wait: Option<i64> = None;
        for (b, rule) in rules {
            if let Some((hits, _, last)) = load(conn, b, rule.window_secs, t)?
                && let Some(w) = rule.wait(hits, last, t)
            {
                wait = Some(wait.map_or(w, |x| x.max(w)));
            }
        }
        if let Some(wait_secs) = wait {
            return Err(AccountsError::Throttled { wait_secs });
        }
        for (b, rule) in rules {
            hit(conn, b, rule.window_secs, t)?;
        }
        Ok(())
    })
}

/// After a successful login: forgets the failures of the pair and of the account, and takes back the
/// failure counted in advance on the IP (earlier failures from that IP still count: one good account
/// must not let an IP guess others). Failed attempts need no second step.
pub fn end_login(conn: &mut AnyConnection, email: &str, ip: &str, succeeded: bool) -> Result<()> {
    if !succeeded {
        return Ok(());
    }
    let buckets = LoginBuckets::new(email, ip);
    guichet_db::write_transaction(conn, |conn| {
        lock(conn, &buckets.with_rules().map(|(b, _)| b))?;
        diesel::delete(
            rate_counters::table.filter(rate_counters::bucket.eq_any([&buckets.pair, &buckets.account])),
        )
        .execute(conn)?;
        diesel::update(
            rate_counters::table
                .find(&buckets.ip)
                .filter(rate_counters::hits.gt(0)),
        )
        .set(rate_counters::hits.eq(rate_counters::hits - 1))
        .execute(conn)?;
        Ok(())
    })
}

/// Counts one account email of `kind` to `address` caused from `ip`, and says whether it may be sent
/// (at most [`EMAILS_PER_ADDRESS_PER_HOUR`] per address and kind, [`EMAILS_PER_IP_PER_HOUR`] per IP).
/// Call it inside the write transaction that enqueues the email, for every request, whether or not the
/// address has an account, so that answers and timings stay the same.
pub fn take_email_quota(conn: &mut AnyConnection, kind: EmailKind, address: &str, ip: &str) -> Result<bool> {
    let scope = match kind {
        EmailKind::SignUp => "mail-signup",
        EmailKind::ResetPassword => "mail-reset",
        EmailKind::ChangeEmail => "mail-change",
    };
    let address = bucket(scope, &[&address.trim().to_lowercase()]);
    let ip = bucket("mail-ip", &[ip]);
    lock(conn, &[&address, &ip])?;
    let t = now();
    if hit(conn, &address, HOUR, t)? > EMAILS_PER_ADDRESS_PER_HOUR {
        // Only the emails an address may still receive use the IP's quota: someone hammering one
        // address must not silence a whole France Services desk behind the same IP for an hour.
        return Ok(false);
    }
    Ok(hit(conn, &ip, HOUR, t)? <= EMAILS_PER_IP_PER_HOUR)
}

/// Retention: counters untouched for two days are past every window.
pub fn purge_old(conn: &mut AnyConnection) -> Result<usize> {
    let before = now() - Duration::days(2);
    Ok(diesel::delete(rate_counters::table.filter(rate_counters::last_hit_at.lt(before))).execute(conn)?)
}

/// « 30 secondes », « 1 minute », « 4 minutes »: a wait in plain French, rounded up to the minute past
/// one minute.
pub fn wait_in_words(secs: i64) -> String {
    if secs < 60 {
        let s = secs.max(1);
        format!("{s} seconde{}", if s > 1 { "s" } else { "" })
    } else {
        let m = (secs + 59) / 60;
        format!("{m} minute{}", if m > 1 { "s" } else { "" })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(secs: i64) -> NaiveDateTime {
        chrono::DateTime::from_timestamp(1_800_000_000 + secs, 0)
            .unwrap()
            .naive_utc()
    }

    #[test]
    fn delays_start_after_the_free_failures_and_double_up_to_the_ceiling() {
        let r = PER_PAIR;
        assert_eq!(r.wait(4, at(0), at(0)), None);
        assert_eq!(r.wait(5, at(0), at(0)), Some(30));
        assert_eq!(r.wait(5, at(0), at(29)), Some(1));
        assert_eq!(r.wait(5, at(0), at(30)), None);
        assert_eq!(r.wait(6, at(0), at(0)), Some(60));
        assert_eq!(r.wait(7, at(0), at(0)), Some(120));
        assert_eq!(r.wait(10, at(0), at(0)), Some(15 * 60));
        assert_eq!(r.wait(1000, at(0), at(0)), Some(15 * 60));
    }

    #[test]
    fn waits_read_in_french() {
        assert_eq!(wait_in_words(30), "30 secondes");
        assert_eq!(wait_in_words(1), "1 seconde");
        assert_eq!(wait_in_words(60), "1 minute");
        assert_eq!(wait_in_words(61), "2 minutes");
        assert_eq!(wait_in_words(120), "2 minutes");
        assert_eq!(wait_in_words(900), "15 minutes");
    }
}
