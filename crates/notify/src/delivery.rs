use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use guichet_db::outbox::{self, OutboxEmail};
use guichet_db::{DbError, DbPool};
use lettre::message::{Mailbox, header::ContentType};
use lettre::{AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use tokio::sync::{Notify, watch};

#[derive(Debug, thiserror::Error)]
pub enum MailerError {
    #[error("invalid SMTP URL: {0}")]
    SmtpUrl(String),
    #[error("invalid sender address: {0}")]
    From(String),
    #[error("cannot create the outbox directory {0}: {1}")]
    Dir(PathBuf, std::io::Error),
    #[error(transparent)]
    Db(#[from] DbError),
}

/// Where emails go.
#[derive(Clone)]
pub enum Mailer {
    Smtp {
        transport: AsyncSmtpTransport<Tokio1Executor>,
        from: Mailbox,
    },
    Files {
        dir: PathBuf,
        from: Mailbox,
    },
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            // The SMTP URL may carry credentials: never print it.
            Mailer::Smtp { .. } => f.write_str("Mailer::Smtp"),
            Mailer::Files { dir, .. } => write!(f, "Mailer::Files({})", dir.display()),
        }
    }
}

impl Mailer {
    /// `smtps://user:pass@host:465` (TLS), `smtp://user:pass@host:587?tls=required` (STARTTLS), or plain
    /// `smtp://127.0.0.1:2525` for a local relay (lettre's URL format).
    pub fn smtp(url: &str, from: &str) -> Result<Mailer, MailerError> {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(|e| MailerError::SmtpUrl(e.to_string()))?
            .timeout(Some(Duration::from_secs(20)))
            .build();
        Ok(Mailer::Smtp {
            transport,
            from: from
                .parse()
                .map_err(|e: lettre::address::AddressError| MailerError::From(e.to_string()))?,
        })
    }

    pub fn files(dir: PathBuf, from: &str) -> Result<Mailer, MailerError> {
        std::fs::create_dir_all(&dir).map_err(|e| MailerError::Dir(dir.clone(), e))?;
        Ok(Mailer::Files {
            dir,
            from: from
                .parse()
                .map_err(|e: lettre::address::AddressError| MailerError::From(e.to_string()))?,
        })
    }

    async fn send(&self, email: &OutboxEmail) -> Result<(), String> {
        let from = match self {
            Mailer::Smtp { from, .. } | Mailer::Files { from, .. } => from.clone(),
        };
        let to: Mailbox = email
            .recipient
            .parse()
            .map_err(|e: lettre::address::AddressError| e.to_string())?;
        let message = Message::builder()
            .from(from)
            .to(to)
            .subject(&email.subject)
            .header(ContentType::TEXT_PLAIN)
            .body(email.body_text.clone())
            .map_err(|e| e.to_string())?;
        match self {
            Mailer::Smtp { transport, .. } => transport
                .send(message)
                .await
                .map(|_| ())
                .map_err(|e| e.to_string()),
            Mailer::Files { dir, .. } => AsyncFileTransport::<Tokio1Executor>::new(dir)
                .send(message)
                .await
                .map(|_| ())
                .map_err(|e| e.to_string()),
        }
    }
}

/// Backoff after `attempts` failures: 30 s, 1 min, 2 min, … capped at 1 hour.
pub fn retry_delay(attempts: i32) -> chrono::Duration {
    let exp = attempts.clamp(0, 7) as u32;
    chrono::Duration::seconds((30_i64 * 2_i64.pow(exp)).min(3600))
}

/// Sends every due email once; returns how many were sent.
pub async fn deliver_due(pool: &DbPool, mailer: &Mailer) -> Result<usize, MailerError> {
    let claimed = pool
        .run(|c| outbox::claim_due(c, 50, chrono::Duration::minutes(5)))
        .await?;
    let mut sent = 0;
    for email in claimed {
        let id = email.id.clone();
        match mailer.send(&email).await {
            Ok(()) => {
                pool.run(move |c| outbox::mark_sent(c, &id)).await?;
                sent += 1;
            }
            Err(err) => {
                tracing::warn!(outbox.id = %email.id, outbox.attempts = email.attempts + 1, error = %err, "Email delivery failed, will retry");
                let delay = retry_delay(email.attempts);
                pool.run(move |c| outbox::mark_failed(c, &id, &err, delay))
                    .await?;
            }
        }
    }
    Ok(sent)
}

/// A running delivery task: `wake()` after queuing, `stop()` on shutdown.
#[derive(Clone)]
pub struct DeliveryHandle {
    wake: Arc<Notify>,
    stop: watch::Sender<bool>,
}

impl DeliveryHandle {
    pub fn wake(&self) {
        self.wake.notify_one();
    }
    pub fn stop(&self) {
        let _ = self.stop.send(true);
    }
}

/// Starts the delivery loop: it runs when woken and at least every `poll`.
pub fn spawn_delivery(pool: DbPool, mailer: Mailer, poll: Duration) -> DeliveryHandle {
    let wake = Arc::new(Notify::new());
    let (stop, mut stopped) = watch::channel(false);
    let handle = DeliveryHandle {
        wake: wake.clone(),
        stop,
    };
    tokio::spawn(async move {
        loop {
            if let Err(e) = deliver_due(&pool, &mailer).await {
                tracing::error!(error = %e, "Outbox delivery pass failed");
            }
            tokio::select! {
                _ = wake.notified() => {}
                _ = tokio::time::sleep(poll) => {}
                _ = stopped.changed() => break,
            }
        }
    });
    handle
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_then_caps_at_an_hour() {
        assert_eq!(retry_delay(0).num_seconds(), 30);
        assert_eq!(retry_delay(1).num_seconds(), 60);
        assert_eq!(retry_delay(3).num_seconds(), 240);
        assert_eq!(retry_delay(20).num_seconds(), 3600);
    }
}
