//! The hourly task that records implicit decisions at the due date (`guichet_usecases::implicit::sweep`).
//! Several processes sharing a database each run it: the use case's guarded write records each decision
//! once, and the email with it.

use std::time::Duration;

use crate::app::AppState;
use crate::error::WebError;

/// After start-up, a little wait (a restart loop must not sweep in a loop), then hourly: a decision born
/// at the due date is recorded within the hour.
const FIRST_RUN_AFTER: Duration = Duration::from_secs(2 * 60);
const EVERY: Duration = Duration::from_secs(60 * 60);

/// One sweep at `now` (the task, `guichet implicit`, tests).
pub async fn sweep_once(state: &AppState, now: chrono::NaiveDateTime) -> Result<Vec<String>, WebError> {
    let (procedures, links) = (state.procedures.clone(), state.links());
    let recorded = state
        .pool
        // A batch job, not a request: no request time bound.
        .run_unbounded(move |c| {
            guichet_usecases::implicit::sweep(c, &procedures, &links, now).map_err(WebError::from)
        })
        .await?;
    if !recorded.is_empty() {
        state.delivery.wake();
    }
    Ok(recorded)
}

/// Sweeps hourly for as long as the runtime lives.
pub fn spawn_hourly(state: AppState) -> tokio::task::JoinHandle<()> {
    crate::tasks::periodic("implicit decisions", FIRST_RUN_AFTER, EVERY, move || {
        let state = state.clone();
        async move { sweep_once(&state, guichet_db::now()).await.map(|ids| ids.len()) }
    })
}
