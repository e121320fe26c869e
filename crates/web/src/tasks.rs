//! Periodic jobs of a server process (implicit decisions, care-plan expiry): one loop for all of them.

use std::future::Future;
use std::time::Duration;

use crate::error::WebError;

/// Runs `job` after `first_after`, then every `every`, for as long as the runtime lives. A late tick is
/// delayed, never run twice at once; a failure is logged and the next tick tries again.
pub fn periodic<F, Fut>(
    name: &'static str,
    first_after: Duration,
    every: Duration,
    mut job: F,
) -> tokio::task::JoinHandle<()>
where
    F: FnMut() -> Fut + Send + 'static,
    Fut: Future<Output = Result<usize, WebError>> + Send,
{
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval_at(tokio::time::Instant::now() + first_after, every);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            match job().await {
                Ok(done) => tracing::info!(task = name, done, "Periodic task done"),
                Err(e) => tracing::error!(task = name, error = %e, "Periodic task failed"),
            }
        }
    })
}
