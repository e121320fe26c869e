//! Building and running the server. `main` and the tests share [`Application`].

use std::net::TcpListener;
use std::sync::Arc;

use actix_web::dev::Server;
use actix_web::middleware::{DefaultHeaders, from_fn};
use actix_web::{App, HttpServer, web};
use guichet_accounts::session::SessionKeys;
use guichet_db::DbPool;
use guichet_notify::{DeliveryHandle, DeliveryOptions, Mailer, spawn_delivery};
use secrecy::ExposeSecret;
use tracing_actix_web::TracingLogger;

use crate::config::Settings;
use crate::uploads::FileStore;
use crate::{csrf, routes};
use guichet_usecases::Procedures;

/// Shared by every handler.
#[derive(Clone)]
pub struct AppState {
    pub pool: DbPool,
    pub procedures: Arc<Procedures>,
    pub files: FileStore,
    pub keys: SessionKeys,
    pub settings: Settings,
    pub delivery: DeliveryHandle,
    /// The département's identity (settings over the configuration), re-read every 30 s.
    pub identity: crate::identity::IdentityCache,
    /// FranceConnect, when configured.
    pub franceconnect: Option<Arc<guichet_oidc::Provider>>,
    /// The agents' provider, when configured.
    pub agents_oidc: Option<Arc<guichet_oidc::Provider>>,
}

impl AppState {
    /// Where the use cases' emails point.
    pub fn links(&self) -> guichet_usecases::instruction::Links {
        guichet_usecases::instruction::Links {
            public_url: self.settings.public_url.clone(),
        }
    }
}

/// `HEAD` is answered wherever `GET` is (monitoring probes use it): routed as a `GET`, and the HTTP layer,
/// which saw the request's own method, sends the headers without the body.
async fn head_as_get(
    mut req: actix_web::dev::ServiceRequest,
    next: actix_web::middleware::Next<impl actix_web::body::MessageBody>,
) -> Result<actix_web::dev::ServiceResponse<impl actix_web::body::MessageBody>, actix_web::Error> {
    if req.method() == actix_web::http::Method::HEAD {
        req.head_mut().method = actix_web::http::Method::GET;
    }
    next.call(req).await
}

pub struct Application {
    port: u16,
    server: Server,
    state: AppState,
}

impl Application {
    /// Connects to the database (migrating it), starts email delivery and binds the listener.
    pub async fn build(mut settings: Settings) -> anyhow::Result<Application> {
        let listener = TcpListener::bind(&settings.config.bind)?;
        let port = listener.local_addr()?.port();
        if settings.config.public_url.is_none() {
            // Binding to port 0 picks a free port: links in emails must name the real one.
            let ip = listener.local_addr()?.ip();
            let host = if ip.is_unspecified() {
                "localhost".to_owned()
            } else {
                ip.to_string()
            };
            settings.public_url = format!("http://{host}:{port}");
        }
        let url = settings.database_url.clone();
        let pool_options = settings.pool_options();
        let pool =
            tokio::task::spawn_blocking(move || DbPool::connect_and_migrate(&url, &pool_options)).await??;
        let variants = settings.procedure_variants();
        let forms_dir = settings.config.forms_dir.clone();
        let procedures = {
            let pool = pool.clone();
            tokio::task::spawn_blocking(move || Procedures::load(&forms_dir, variants, &mut *pool.get()?))
                .await??
        };
        let clamd = settings
            .config
            .clamd
            .as_deref()
            .and_then(crate::uploads::Clamd::parse);
        match &clamd {
            Some(c) => tracing::info!(clamd = ?c, "Uploads are scanned by clamd"),
            None => tracing::warn!(
                "GUICHET_CLAMD is not set: uploaded files are NOT scanned for viruses. Set it to clamd's address \
                 (tcp://127.0.0.1:3310 or unix:/run/clamav/clamd.ctl) in production"
            ),
        }
        let files = FileStore::new(&settings.config.data_dir, clamd)?.with_hold(settings.hold_unscanned());
        let mailer = match &settings.config.smtp_url {
            Some(url) => Mailer::smtp(url.expose_secret(), &settings.config.mail_from)?,
            None => Mailer::files(settings.outbox_dir(), &settings.config.mail_from)?,
        }
        .with_message_id_domain(&settings.public_host());
        let delivery = spawn_delivery(
            pool.clone(),
            mailer,
            DeliveryOptions {
                instance: settings.instance_name(),
                ..DeliveryOptions::default()
            },
        );
        crate::retention::spawn_daily(
            pool.clone(),
            crate::retention::policies(procedures.all().map(|p| &*p.def)),
            files.clone(),
            settings.public_url.clone(),
        );
        let keys = SessionKeys::new(
            &settings.session_secret,
            chrono::Duration::hours(settings.config.session_hours),
            chrono::Duration::minutes(settings.config.session_idle_minutes),
        );
        let provider = |c: Option<guichet_oidc::ProviderConfig>| -> anyhow::Result<_> {
            c.map(|c| guichet_oidc::Provider::new(c).map(Arc::new))
                .transpose()
                .map_err(|e| anyhow::anyhow!("fournisseur d’identité : {e}"))
        };
        let franceconnect = provider(settings.franceconnect())?;
        let agents_oidc = provider(settings.agents_oidc())?;
        let identity = crate::identity::IdentityCache::new(crate::identity::defaults(&settings));
        identity.refresh(&pool).await?;
        crate::identity::spawn_refresh(pool.clone(), identity.clone());
        let state = AppState {
            pool,
            procedures: Arc::new(procedures),
            files,
            keys,
            settings,
            delivery,
            identity,
            franceconnect,
            agents_oidc,
        };
        crate::implicit::spawn_hourly(state.clone());

        crate::uploads::spawn_collector(state.pool.clone(), state.files.clone());
        crate::care_plans::spawn_hourly(state.clone());
        crate::renewals::spawn_hourly(state.clone());
        crate::handlers::batch::spawn_stalled_sweep(state.clone());
        crate::handlers::opinions::spawn_reminders(state.clone());
        crate::handlers::export_jobs::spawn_cleanup(state.clone());
        crate::handlers::preferences::spawn_agent_news(state.clone());
        // Also after a switch back to `refuse`: files held before still get their scan.
        if state.files.clamd().is_some() {
            crate::uploads::spawn_rescanner(state.clone());
        }
        let data = web::Data::new(state.clone());
        let hsts = state.settings.secure_cookies;
        let workers = state.settings.config.workers;
        // « Se déconnecter » is a form whose answer sends the person to FranceConnect's logout: browsers apply
        // `form-action` to that redirect, so the provider's origin is allowed there (and nowhere else).
        let provider_origin: String = [&state.franceconnect, &state.agents_oidc]
            .into_iter()
            .flatten()
            .filter_map(|p| url::Url::parse(&p.config().issuer).ok())
            .map(|u| format!(" {}", u.origin().ascii_serialization()))
            .collect();
        let csp = format!(
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; \
             form-action 'self'{provider_origin}; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
        );
        let mut server = HttpServer::new(move || {
            let mut headers = DefaultHeaders::new()
                .add(("Content-Security-Policy", csp.clone()))
                .add(("X-Content-Type-Options", "nosniff"))
                .add(("Referrer-Policy", "same-origin"))
                .add(("X-Frame-Options", "DENY"))
                .add((
                    "Permissions-Policy",
                    "camera=(), microphone=(), geolocation=(), payment=()",
                ))
                .add(("Cross-Origin-Opener-Policy", "same-origin"))
                // Pages show personal data: shared computers (France Services, libraries) must not keep them.
                .add(("Cache-Control", "no-store"));
            if hsts {
                headers = headers.add(("Strict-Transport-Security", "max-age=31536000; includeSubDomains"));
            }
            App::new()
                .app_data(data.clone())
                .wrap(
                    actix_web::middleware::ErrorHandlers::new()
                        .default_handler(crate::error::french_framework_errors),
                )
                .wrap(from_fn(head_as_get))
                .wrap(from_fn(csrf::ensure_cookie))
                .wrap(headers)
                .wrap(TracingLogger::<crate::telemetry::RequestSpan>::new())
                .configure(routes::configure)
        });
        if workers > 0 {
            server = server.workers(workers);
        }
        let server = server.listen(listener)?.shutdown_timeout(20).run();
        Ok(Application { port, server, state })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until SIGTERM / SIGINT (actix drains in-flight requests), then stops email delivery.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let delivery = self.state.delivery.clone();
        let result = self.server.await;
        delivery.stop();
        result
    }
}
