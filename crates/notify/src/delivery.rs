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

/// Where emails go, from whom, and the domain that makes their `Message-ID`s.
#[derive(Clone)]
pub struct Mailer {
    transport: Transport,
    from: Mailbox,
    message_id_domain: String,
}

#[derive(Clone)]
enum Transport {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    Files(PathBuf),
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.transport {
            // The SMTP URL may carry credentials: never print it.
            Transport::Smtp(_) => f.write_str("Mailer::Smtp"),
            Transport::Files(dir) => write!(f, "Mailer::Files({})", dir.display()),
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
        Self::new(Transport::Smtp(transport), from)
    }

    pub fn files(dir: PathBuf, from: &str) -> Result<Mailer, MailerError> {
        std::fs::create_dir_all(&dir).map_err(|e| MailerError::Dir(dir.clone(), e))?;
        Self::new(Transport::Files(dir), from)
    }

    fn new(transport: Transport, from: &str) -> Result<Mailer, MailerError> {
        let from: Mailbox = from
            .parse()
            .map_err(|e: lettre::address::AddressError| MailerError::From(e.to_string()))?;
        Ok(Mailer {
            transport,
            message_id_domain: from.email.domain().to_owned(),
            from,
        })
    }

    /// The right-hand side of `Message-ID`s (default: the sender's domain); the platform passes the
    /// host of its public address.
    pub fn with_message_id_domain(mut self, domain: &str) -> Mailer {
        if !domain.is_empty() {
            self.message_id_domain = domain.to_owned();
        }
        self
    }

    /// The `Message-ID` of an outbox row's email: the same for every send of that row, so a copy sent again
    /// after a crash is recognisable (and dropped by receiving systems that de-duplicate).
    pub fn message_id(&self, outbox_id: &str) -> String {
        format!("<{outbox_id}@{}>", self.message_id_domain)
    }

    async fn send(&self, email: &OutboxEmail) -> Result<(), String> {
        let to: Mailbox = email
            .recipient
            .parse()
            .map_err(|e: lettre::address::AddressError| e.to_string())?;
        let message = Message::builder()
            .message_id(Some(self.message_id(&email.id)))
            .from(self.from.clone())
            .to(to)
            .subject(&email.subject)
            .header(ContentType::TEXT_PLAIN)
            .body(email.body_text.clone())
            .map_err(|e| e.to_string())?;
        match &self.transport {
            Transport::Smtp(transport) => transport
                .send(message)
                .await
                .map(|_| ())
                .map_err(|e| e.to_string()),
            Transport::Files(dir) => AsyncFileTransport::<Tokio1Executor>::new(dir)
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

/// How the delivery loop claims and sends.
#[derive(Debug, Clone)]
pub struct DeliveryOptions {
    /// Names this process in its claims. It must stay the same across restarts of one deployment (so a
    /// restarted process frees what it held) and differ between processes sharing a database.
    pub instance: String,
    /// Emails claimed per pass; a full batch means more are due, and the next pass starts at once.
    pub batch: i64,
    /// How long a claim holds; renewed before each send, so only a dead process lets it lapse.
    pub lease: chrono::Duration,
    /// A pass runs when woken, and at least this often.
    pub poll: Duration,
    /// Upper bound of one send.
    pub send_timeout: Duration,
}

impl Default for DeliveryOptions {
    fn default() -> Self {
        DeliveryOptions {
            instance: "guichet".into(),
            batch: 50,
            lease: chrono::Duration::seconds(60),
            poll: Duration::from_secs(5),
            send_timeout: Duration::from_secs(30),
        }
    }
}

/// What one pass did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Pass {
    pub claimed: usize,
    pub sent: usize,
}

/// The delivery worker: it keeps, between passes, the emails it sent but could not mark sent.
#[derive(Debug)]
pub struct Deliverer {
    pool: DbPool,
    mailer: Mailer,
    options: DeliveryOptions,
    /// Sent, but the database refused the mark (it was down): marked first at the next pass, so that a
    /// database outage does not make them go out twice.
    unmarked: Vec<String>,
}

impl Deliverer {
    pub fn new(pool: DbPool, mailer: Mailer, options: DeliveryOptions) -> Deliverer {
        Deliverer {
            pool,
            mailer,
            options,
            unmarked: Vec::new(),
        }
    }

    pub fn options(&self) -> &DeliveryOptions {
        &self.options
    }

    /// Sends the due emails of one batch. On a database error the pass stops and frees the claims it
    /// still holds (or the next pass does, if the database is still down).
    ///
    /// Guarantee: each email is sent at least once. It is sent twice only if the process dies (or loses
    /// the database for good) between the SMTP server's acceptance and the mark, a window of one
    /// statement; the copy carries the same `Message-ID`.
    pub async fn pass(&mut self) -> Result<Pass, MailerError> {
        while let Some(id) = self.unmarked.last().cloned() {
            let marked = {
                let id = id.clone();
                self.pool.run(move |c| outbox::mark_sent(c, &id)).await
            };
            match marked {
                Ok(()) => {}
                Err(e) if e.is_unavailable() => return Err(e.into()),
                // Not a passing outage: keeping it would stop delivery for good. It will go out again.
                Err(e) => {
                    tracing::error!(outbox.id = %id, error = %e, "Cannot record a sent email; it will be sent again")
                }
            }
            self.unmarked.pop();
        }
        // Passes of one process never overlap: any claim this instance holds now is left over from a
        // failed pass or from the previous life of this process (killed mid-pass).
        let instance = self.options.instance.clone();
        let freed = self
            .pool
            .run(move |c| outbox::release_claims(c, &instance))
            .await?;
        if freed > 0 {
            tracing::warn!(
                outbox.freed = freed,
                "Freed {freed} email claim(s) left by an interrupted delivery"
            );
        }
        let (instance, batch, lease) = (
            self.options.instance.clone(),
            self.options.batch,
            self.options.lease,
        );
        let claimed = self
            .pool
            .run(move |c| outbox::claim_due(c, &instance, batch, lease))
            .await?;
        let mut pass = Pass {
            claimed: claimed.len(),
            sent: 0,
        };
        match self.send_all(claimed, &mut pass).await {
            Ok(()) => Ok(pass),
            Err(e) => {
                let instance = self.options.instance.clone();
                if let Ok(freed) = self.pool.run(move |c| outbox::release_claims(c, &instance)).await {
                    tracing::info!(outbox.freed = freed, "Freed the claims of a failed delivery pass");
                }
                Err(e)
            }
        }
    }

    async fn send_all(&mut self, claimed: Vec<OutboxEmail>, pass: &mut Pass) -> Result<(), MailerError> {
        // The batch's other claims are renewed every third of a lease (each send renews its own row), so a
        // slow SMTP server cannot make them lapse while this process is alive.
        let renew_every = self.options.lease.to_std().unwrap_or(Duration::from_secs(60)) / 3;
        let mut renewed_at = std::time::Instant::now();
        for email in claimed {
            let renew_all = renewed_at.elapsed() >= renew_every;
            if renew_all {
                renewed_at = std::time::Instant::now();
            }
            let (instance, id, lease) = (
                self.options.instance.clone(),
                email.id.clone(),
                self.options.lease,
            );
            let ours = self
                .pool
                .run(move |c| outbox::start_sending(c, &instance, &id, lease, renew_all))
                .await?;
            if !ours {
                continue;
            }
            if email.sending_at.is_some() {
                tracing::warn!(outbox.id = %email.id, "A previous send of this email was interrupted: it may arrive twice, with the same Message-ID");
            }
            let sent = match tokio::time::timeout(self.options.send_timeout, self.mailer.send(&email)).await {
                Ok(result) => result,
                Err(_) => Err(format!("no answer within {:?}", self.options.send_timeout)),
            };
            let id = email.id.clone();
            match sent {
                Ok(()) => {
                    pass.sent += 1;
                    if let Err(e) = self.pool.run(move |c| outbox::mark_sent(c, &id)).await {
                        self.unmarked.push(email.id);
                        return Err(e.into());
                    }
                }
                Err(err) => {
                    tracing::warn!(outbox.id = %email.id, outbox.attempts = email.attempts + 1, error = %err, "Email delivery failed, will retry");
                    let delay = retry_delay(email.attempts);
                    self.pool
                        .run(move |c| outbox::mark_failed(c, &id, &err, delay))
                        .await?;
                }
            }
        }
        Ok(())
    }
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

/// Starts the delivery loop: it runs when woken, at least every `poll`, and again at once after a full
/// batch (a backlog drains at sending speed, not one batch per poll).
pub fn spawn_delivery(pool: DbPool, mailer: Mailer, options: DeliveryOptions) -> DeliveryHandle {
    let wake = Arc::new(Notify::new());
    let (stop, mut stopped) = watch::channel(false);
    let handle = DeliveryHandle {
        wake: wake.clone(),
        stop,
    };
    let poll = options.poll;
    let batch = usize::try_from(options.batch).unwrap_or(usize::MAX);
    let mut deliverer = Deliverer::new(pool, mailer, options);
    tokio::spawn(async move {
        loop {
            let more_due = match deliverer.pass().await {
                Ok(pass) => pass.claimed >= batch,
                Err(e) => {
                    tracing::error!(error = %e, "Outbox delivery pass failed");
                    false
                }
            };
            if *stopped.borrow() {
                break;
            }
            if more_due {
                continue;
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
