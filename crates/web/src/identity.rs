//! The département's identity as pages and letters read it: the `settings` table over the configuration
//! (`guichet_usecases::settings`), held in memory so that rendering a page or a letter costs no query.
//!
//! Several processes may serve one database, and `guichet settings set` writes from outside: each process
//! re-reads the table every [`REFRESH_EVERY`], and the admin form writes through to its own process at
//! once. A change made elsewhere is therefore visible everywhere within that time.

use std::sync::{Arc, RwLock};
use std::time::Duration;

use guichet_db::DbPool;
use guichet_usecases::letters::Identity;

use crate::config::Settings;
use crate::error::WebError;

/// How stale another process's change may be here.
pub const REFRESH_EVERY: Duration = Duration::from_secs(30);

/// The identity of the configuration: what a key never set falls back to.
pub fn defaults(settings: &Settings) -> Identity {
    let c = &settings.config;
    Identity {
        name: c.departement.clone(),
        address_lines: c.departement_address.clone(),
        phone: c.departement_phone.clone(),
        email: c.departement_email.clone(),
        web_site: Some(settings.public_url.clone()),
        place: c.letters_place.clone(),
        signatory_name: c.letters_signatory.clone(),
        signatory_title: c.letters_signatory_title.clone(),
        ..Identity::default()
    }
}

/// The current identity, shared by the handlers of one process.
#[derive(Debug, Clone)]
pub struct IdentityCache {
    current: Arc<RwLock<Identity>>,
    defaults: Arc<Identity>,
}

impl IdentityCache {
    /// Starts with the defaults; [`IdentityCache::refresh`] reads the table.
    pub fn new(defaults: Identity) -> IdentityCache {
        IdentityCache {
            current: Arc::new(RwLock::new(defaults.clone())),
            defaults: Arc::new(defaults),
        }
    }

    /// The identity as last read.
    pub fn get(&self) -> Identity {
        match self.current.read() {
            Ok(g) => g.clone(),
            // A writer panicked mid-assignment of a clone: the value is whole; keep serving it.
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// The département's name (the page header).
    pub fn name(&self) -> String {
        match self.current.read() {
            Ok(g) => g.name.clone(),
            Err(poisoned) => poisoned.into_inner().name.clone(),
        }
    }

    pub fn defaults(&self) -> &Identity {
        &self.defaults
    }

    fn set(&self, identity: Identity) {
        match self.current.write() {
            Ok(mut g) => *g = identity,
            Err(poisoned) => *poisoned.into_inner() = identity,
        }
    }

    /// Reads the table again (blocking: call it on the blocking pool).
    pub fn refresh_blocking(&self, conn: &mut guichet_db::AnyConnection) -> Result<Identity, WebError> {
        let id = guichet_usecases::settings::identity(conn, &self.defaults)?;
        self.set(id.clone());
        Ok(id)
    }

    /// Reads the table again.
    pub async fn refresh(&self, pool: &DbPool) -> Result<Identity, WebError> {
        let me = self.clone();
        pool.run(move |c| me.refresh_blocking(c)).await
    }
}

/// Re-reads the identity every [`REFRESH_EVERY`] for as long as the runtime lives.
pub fn spawn_refresh(pool: DbPool, cache: IdentityCache) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval_at(tokio::time::Instant::now() + REFRESH_EVERY, REFRESH_EVERY);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            if let Err(e) = cache.refresh(&pool).await {
                // The last identity read keeps being served.
                tracing::warn!(error = %e, "Identity of the département not re-read");
            }
        }
    })
}

/// The « Contact » block of the dossier pages: the service, the département and how to reach them.
#[derive(Debug, Clone, Default)]
pub struct Contact {
    pub service: Option<String>,
    pub name: String,
    pub address_lines: Vec<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub web_site: Option<String>,
}

impl Contact {
    pub fn of(identity: &Identity, service: Option<String>) -> Contact {
        Contact {
            service,
            name: identity.name.clone(),
            address_lines: identity.address_lines.clone(),
            phone: identity.phone.clone(),
            email: identity.email.clone(),
            web_site: identity.web_site.clone(),
        }
    }
}
