//! The hourly task of the APA care plans: a plan left ten days without an answer makes the request deemed
//! refused (CASF R232-7; `guichet_usecases::apa::expire_proposals`). Hourly, so that the refusal follows
//! the last day by an hour at most; the use case is idempotent (a plan is expired once), so several
//! server processes may run it side by side.

use std::time::Duration;

use crate::app::AppState;

/// The first run waits a little after start-up, then every hour.
const FIRST_RUN_AFTER: Duration = Duration::from_secs(5 * 60);
const EVERY: Duration = Duration::from_secs(60 * 60);

/// Runs the expiry every hour on the blocking pool, for as long as the runtime lives.
pub fn spawn_hourly(state: AppState) -> tokio::task::JoinHandle<()> {
    crate::tasks::periodic("care plan expiry", FIRST_RUN_AFTER, EVERY, move || {
        let state = state.clone();
        async move {
            let (links, procedures) = (state.links(), state.procedures.clone());
            let ids = state
                .pool
                .run_unbounded(move |c| {
                    guichet_usecases::apa::expire_proposals(c, &links, &procedures, guichet_db::now())
                        .map_err(crate::error::WebError::from)
                })
                .await?;
            if !ids.is_empty() {
                state.delivery.wake();
            }
            Ok(ids.len())
        }
    })
}
