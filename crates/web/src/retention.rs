//! The retention job: the periods of each procedure's definition, the warning email's text, and the
//! removal of files nothing references any more. `guichet purge` and the server's daily task share it.

use std::time::Duration;

use chrono::NaiveDateTime;
use guichet_db::{AnyConnection, DbPool};
use guichet_dossiers::retention::{self, Outcome, Plan, Policy, Warning};
use guichet_dossiers::store::Result;
use guichet_forms::{FormDefinition, french_date};

use crate::uploads::FileStore;

/// The first run waits a little after start-up (a restart loop must not purge in a loop), then daily.
const FIRST_RUN_AFTER: Duration = Duration::from_secs(10 * 60);
const EVERY: Duration = Duration::from_secs(24 * 60 * 60);

/// The policies of the given definitions; a procedure without `[retention]` is never purged.
pub fn policies<'a>(defs: impl IntoIterator<Item = &'a FormDefinition>) -> Vec<Policy> {
    defs.into_iter()
        .filter_map(|d| {
            let r = d.definition().retention.as_ref()?;
            Some(Policy {
                procedure: d.id().to_owned(),
                title: d.title().to_owned(),
                draft_months: r.draft_months,
                decided_years: r.decided_years,
            })
        })
        .collect()
}

/// What a run at `now` would do, changing nothing.
pub fn dry_run(conn: &mut AnyConnection, policies: &[Policy], now: NaiveDateTime) -> Result<Plan> {
    retention::plan(conn, policies, now)
}

/// What a run did, with the files removed from the store.
#[derive(Debug, Clone, Default)]
pub struct Report {
    pub outcome: Outcome,
    pub files_removed: usize,
}

/// Warns, purges, then removes from the store the files that belonged only to purged dossiers.
pub fn run(
    conn: &mut AnyConnection,
    policies: &[Policy],
    files: &FileStore,
    public_url: &str,
    now: NaiveDateTime,
) -> Result<Report> {
    let email = |w: &Warning| {
        guichet_notify::emails::draft_expiry_warning(
            &w.owner_email,
            &w.title,
            &french_date(w.last_change.date()),
            w.draft_months,
            &french_date(w.purge_from.date()),
            &format!("{}/dossiers/{}", public_url.trim_end_matches('/'), w.dossier_id),
        )
    };
    let outcome = retention::run(conn, policies, now, &email)?;
    let mut files_removed = 0;
    for sha in &outcome.unreferenced_files {
        let Some(path) = files.path_of(sha) else {
            continue;
        };
        match std::fs::remove_file(&path) {
            Ok(()) => files_removed += 1,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            // The rows are gone already; a file left behind is logged for the operator, not retried.
            Err(e) => tracing::error!(file = %sha, error = %e, "retention: file not removed"),
        }
    }
    Ok(Report {
        outcome,
        files_removed,
    })
}

/// Runs the job once a day on the blocking pool, for as long as the runtime lives.
pub fn spawn_daily(
    pool: DbPool,
    policies: Vec<Policy>,
    files: FileStore,
    public_url: String,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval_at(tokio::time::Instant::now() + FIRST_RUN_AFTER, EVERY);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            let (policies, files, public_url) = (policies.clone(), files.clone(), public_url.clone());
            // A batch job, not a request: no request time bound (`run_unbounded`). Login throttle and
            // email rate counters no longer needed go the same day.
            let done = pool
                .run_unbounded(move |c| {
                    let stale = guichet_accounts::throttle::purge_old(c).map_err(|e| {
                        guichet_dossiers::DossierError::Internal(format!("rate counters: {e}"))
                    })?;
                    tracing::info!(rate_counters.removed = stale, "Old rate counters removed");
                    run(c, &policies, &files, &public_url, guichet_db::now())
                })
                .await;
            match done {
                Ok(r) => tracing::info!(
                    warned = r.outcome.warned.len(),
                    purged = r.outcome.purged.len(),
                    files_removed = r.files_removed,
                    "retention job done"
                ),
                Err(e) => tracing::error!(error = %e, "retention job failed"),
            }
        }
    })
}
