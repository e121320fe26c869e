//! Figures for the statistics page and the public open-data page.
//!
//! Dossiers deleted at the end of their retention ([`crate::retention`]) leave an anonymous row in
//! `purged_dossier_stats`: every count here adds those rows, so that purging never changes a total.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};
use guichet_db::AnyConnection;
use guichet_db::schema::{dossiers, purged_dossier_stats};

use crate::lifecycle::State;
use crate::store::Result;

/// Dossiers per procedure and state, within the given services (`None`: all).
pub fn counts_by_state(
    conn: &mut AnyConnection,
    services: Option<&[String]>,
) -> Result<Vec<(String, State, i64)>> {
    let mut q = dossiers::table
        .filter(dossiers::state.ne(State::Brouillon.as_str()))
        .group_by((dossiers::procedure, dossiers::state))
        .select((dossiers::procedure, dossiers::state, diesel::dsl::count_star()))
        .into_boxed();
    if let Some(s) = services {
        q = q.filter(dossiers::service_code.eq_any(s.to_vec()));
    }
    let mut rows: Vec<(String, String, i64)> = q.load(conn)?;
    let mut purged = purged_dossier_stats::table
        .group_by((purged_dossier_stats::procedure, purged_dossier_stats::state))
        .select((
            purged_dossier_stats::procedure,
            purged_dossier_stats::state,
            diesel::dsl::count_star(),
        ))
        .into_boxed();
    if let Some(s) = services {
        purged = purged.filter(purged_dossier_stats::service_code.eq_any(s.to_vec()));
    }
    rows.extend(purged.load::<(String, String, i64)>(conn)?);
    let mut merged: std::collections::BTreeMap<(String, String), i64> = std::collections::BTreeMap::new();
    for (p, s, n) in rows {
        *merged.entry((p, s)).or_default() += n;
    }
    Ok(merged
        .into_iter()
        .filter_map(|((p, s), n)| s.parse().ok().map(|st| (p, st, n)))
        .collect())
}

/// Open dossiers past their legal deadline.
pub fn overdue(conn: &mut AnyConnection, services: Option<&[String]>, now: NaiveDateTime) -> Result<i64> {
    let mut q = dossiers::table
        .filter(dossiers::state.eq_any([State::Depose.as_str(), State::EnInstruction.as_str()]))
        .filter(dossiers::due_at.lt(now))
        .into_boxed();
    if let Some(s) = services {
        q = q.filter(dossiers::service_code.eq_any(s.to_vec()));
    }
    Ok(q.count().get_result(conn)?)
}

/// Deposit and decision times of decided dossiers (for delay percentiles), one procedure at a time.
pub fn decision_times(
    conn: &mut AnyConnection,
    services: Option<&[String]>,
    procedure: &str,
) -> Result<Vec<(NaiveDateTime, NaiveDateTime)>> {
    let mut q = dossiers::table
        .filter(dossiers::procedure.eq(procedure))
        .filter(dossiers::state.eq(State::Decide.as_str()))
        .select((dossiers::deposited_at, dossiers::decided_at))
        .into_boxed();
    if let Some(s) = services {
        q = q.filter(dossiers::service_code.eq_any(s.to_vec()));
    }
    let rows: Vec<(Option<NaiveDateTime>, Option<NaiveDateTime>)> = q.load(conn)?;
    let mut out: Vec<(NaiveDateTime, NaiveDateTime)> =
        rows.into_iter().filter_map(|(a, b)| Some((a?, b?))).collect();
    // A purged dossier kept only its decision month and its delay: it counts as decided on the first of
    // that month after the same delay, which is all the delay figures read.
    let mut purged = purged_dossier_stats::table
        .filter(purged_dossier_stats::procedure.eq(procedure))
        .filter(purged_dossier_stats::state.eq(State::Decide.as_str()))
        .select((
            purged_dossier_stats::decision_month,
            purged_dossier_stats::decision_delay_seconds,
        ))
        .into_boxed();
    if let Some(s) = services {
        purged = purged.filter(purged_dossier_stats::service_code.eq_any(s.to_vec()));
    }
    let purged: Vec<(Option<String>, Option<i64>)> = purged.load(conn)?;
    out.extend(purged.into_iter().filter_map(|(month, delay)| {
        let decided = chrono::NaiveDate::parse_from_str(&format!("{}-01", month?), "%Y-%m-%d")
            .ok()?
            .and_hms_opt(0, 0, 0)?;
        Some((decided - chrono::Duration::seconds(delay?), decided))
    }));
    Ok(out)
}

/// Median and 90th percentile of a list of durations in days (nearest-rank), or `None` when empty.
pub fn percentiles(mut days: Vec<f64>) -> Option<(f64, f64)> {
    if days.is_empty() {
        return None;
    }
    days.sort_by(f64::total_cmp);
    let rank = |p: f64| {
        let idx = ((p * days.len() as f64).ceil() as usize).clamp(1, days.len()) - 1;
        days[idx]
    };
    Some((rank(0.5), rank(0.9)))
}

#[derive(QueryableByName)]
struct MonthRow {
    #[diesel(sql_type = Text)]
    month: String,
    #[diesel(sql_type = Text)]
    procedure: String,
    #[diesel(sql_type = Text)]
    state: String,
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// Deposited dossiers per month of deposit, procedure and current state (all services).
pub fn monthly_counts(conn: &mut AnyConnection) -> Result<Vec<(String, String, String, i64)>> {
    // The month expression is the one place where the two SQL dialects differ.
    let sql = |month: &str| {
        format!(
            "SELECT {month} AS month, procedure, state, COUNT(*) AS n FROM dossiers \
             WHERE deposited_at IS NOT NULL GROUP BY 1, 2, 3 ORDER BY 1, 2, 3"
        )
    };
    let rows: Vec<MonthRow> = match conn {
        AnyConnection::Sqlite(c) => diesel::sql_query(sql("strftime('%Y-%m', deposited_at)")).load(c)?,
        AnyConnection::Postgresql(c) => diesel::sql_query(sql("to_char(deposited_at, 'YYYY-MM')")).load(c)?,
    };
    let purged: Vec<(Option<String>, String, String, i64)> = purged_dossier_stats::table
        .filter(purged_dossier_stats::deposit_month.is_not_null())
        .group_by((
            purged_dossier_stats::deposit_month,
            purged_dossier_stats::procedure,
            purged_dossier_stats::state,
        ))
        .select((
            purged_dossier_stats::deposit_month,
            purged_dossier_stats::procedure,
            purged_dossier_stats::state,
            diesel::dsl::count_star(),
        ))
        .load(conn)?;
    let mut merged: std::collections::BTreeMap<(String, String, String), i64> =
        std::collections::BTreeMap::new();
    for r in rows {
        *merged.entry((r.month, r.procedure, r.state)).or_default() += r.n;
    }
    for (month, p, st, n) in purged {
        if let Some(m) = month {
            *merged.entry((m, p, st)).or_default() += n;
        }
    }
    Ok(merged.into_iter().map(|((m, p, st), n)| (m, p, st, n)).collect())
}

/// Statistical secrecy: counts under this threshold are not published.
pub const SUPPRESSION_THRESHOLD: i64 = 11;

/// A published cell: the count, or a mark when it is too small to publish.
pub fn publishable(n: i64) -> Option<i64> {
    (n >= SUPPRESSION_THRESHOLD).then_some(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_use_the_nearest_rank() {
        assert_eq!(percentiles(vec![]), None);
        assert_eq!(percentiles(vec![5.0]), Some((5.0, 5.0)));
        let v: Vec<f64> = (1..=10).map(f64::from).collect();
        assert_eq!(percentiles(v), Some((5.0, 9.0)));
    }

    #[test]
    fn small_counts_are_suppressed() {
        assert_eq!(publishable(10), None);
        assert_eq!(publishable(11), Some(11));
    }
}
