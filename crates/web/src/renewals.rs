//! The hourly task of renewals: the reminders due today (`guichet_usecases::renewals::send_due`), each
//! sent once per dossier (an event in the same transaction), so several processes may run it.

use std::time::Duration;

use crate::app::AppState;

const FIRST_RUN_AFTER: Duration = Duration::from_secs(6 * 60);
const EVERY: Duration = Duration::from_secs(60 * 60);

pub fn spawn_hourly(state: AppState) -> tokio::task::JoinHandle<()> {
    crate::tasks::periodic("renewal reminders", FIRST_RUN_AFTER, EVERY, move || {
        let state = state.clone();
        async move {
            let (links, procedures) = (state.links(), state.procedures.clone());
            let sent = state
                .pool
                .run_unbounded(move |c| {
                    guichet_usecases::renewals::send_due(
                        c,
                        &links,
                        &procedures,
                        guichet_usecases::deadlines::today(),
                    )
                    .map_err(crate::error::WebError::from)
                })
                .await?;
            if sent > 0 {
                state.delivery.wake();
            }
            Ok(sent)
        }
    })
}
