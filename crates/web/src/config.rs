//! Typed configuration from `GUICHET_*` environment variables and an optional TOML file, with a safe
//! default for every key in embedded mode.

use std::path::{Path, PathBuf};

use base64::Engine;
use figment::Figment;
use figment::providers::{Env, Format, Toml};
use rand::RngCore;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    #[default]
    Text,
    Json,
}

/// The raw configuration, as read. Every field has a default suitable for one machine and a SQLite file.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct Config {
    /// `postgres://…` for PostgreSQL, or a SQLite file path. Default: `<data_dir>/guichet.db`.
    pub database_url: Option<String>,
    /// Where the SQLite file, the session secret, uploads and `.eml` files live.
    pub data_dir: PathBuf,
    /// Address and port to listen on.
    pub bind: String,
    /// The address people use to reach the platform (links in emails, `Secure` cookies when https).
    /// Default: `http://<bind>`.
    pub public_url: Option<String>,
    /// `smtp://user:pass@host:port`; unset: emails are written as `.eml` files in `<data_dir>/outbox`.
    pub smtp_url: Option<SecretString>,
    /// Key that signs session tokens; unset: generated once and stored in `<data_dir>/session_secret`.
    pub session_secret: Option<SecretString>,
    /// `text` (default) or `json` logs.
    pub log_format: LogFormat,
    /// Sender of the platform's emails.
    pub mail_from: String,
    /// The département's name, shown in the header and in documents.
    pub departement: String,
    /// Its postal address, one line each, on letters and receipts.
    pub departement_address: Vec<String>,
    pub departement_phone: Option<String>,
    pub departement_email: Option<String>,
    /// Where letters are signed (`Bobigny`): the place and date line.
    pub letters_place: String,
    /// Who signs letters, and as what.
    pub letters_signatory: Option<String>,
    pub letters_signatory_title: Option<String>,
    /// How long a login lasts, in hours.
    pub session_hours: i64,
    /// HTTP worker threads; 0 means one per core.
    pub workers: usize,
    /// Directory of the procedure definitions (`*.toml`).
    pub forms_dir: PathBuf,
    /// The département's code (`93`, `92`…): picks the département variant of procedures that have some
    /// (Améthyste). Unset: each procedure's first variant.
    pub departement_code: Option<String>,
    /// Upper bound of the files of one request, in MB (each file field also has its own bound).
    pub max_upload_mb: u64,
    /// Upper bound of all the files of one dossier (form files and message attachments), in MB.
    pub max_dossier_upload_mb: u64,
    /// Addresses of the reverse proxies in front of the platform (`127.0.0.1,::1` behind a local nginx):
    /// only from them is `X-Forwarded-For` believed, for logs and login throttling.
    #[serde(deserialize_with = "ip_list")]
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// Minutes without activity after which a login ends.
    pub session_idle_minutes: i64,
    /// Names this process in the email outbox's claims, so that after a crash it frees what it held at
    /// once. Must differ between processes sharing a database. Default: `<hostname>:<bind>:<data_dir>`.
    pub instance_name: Option<String>,
    /// How long a request waits for the database at most (then: a 503 page), in seconds; 0: no bound.
    pub db_timeout_secs: u64,
    /// PostgreSQL: how long opening a connection may take, in seconds (libpq `connect_timeout`).
    pub db_connect_timeout_secs: u64,
    /// PostgreSQL: the server cancels a statement running longer than this, in seconds; 0: no limit.
    pub db_statement_timeout_secs: u64,
    /// PostgreSQL: a connection whose peer stops answering is dropped after about this long, in seconds
    /// (TCP keepalives and `tcp_user_timeout`).
    pub db_keepalive_secs: u64,
    /// Files one message may carry.
    pub max_message_files: usize,
    /// Past this many dossiers a queue export is written in the background and offered on « Mes exports »
    /// (`GUICHET_EXPORT_BACKGROUND_ROWS`).
    pub export_background_rows: i64,
    /// clamd's address, `tcp://127.0.0.1:3310` or `unix:/run/clamav/clamd.ctl`: every upload is scanned
    /// (INSTREAM) before it is stored. Unset: no scanning, and a warning at start.
    pub clamd: Option<String>,
    /// What happens to uploads while clamd cannot be reached: `refuse` (default: the file is refused with
    /// a French message, the rest of the form is kept) or `hold` (the file is stored but served to nobody
    /// until a rescan every minute finds it clean; found infected, it is deleted and its dossiers told).
    pub clamd_unavailable: String,
    /// What the legal notice and the accessibility statement must name beyond the identity (`[mentions]`
    /// in the file, `GUICHET_MENTIONS__DIRECTOR`… in the environment).
    pub mentions: crate::mentions::Mentions,
    /// FranceConnect v2's issuer (`GUICHET_FRANCECONNECT_ISSUER`), for the integration platform
    /// `https://fcp-low.sbx.dev-franceconnect.fr/api/v2`. Unset: no FranceConnect button.
    pub franceconnect_issuer: Option<String>,
    pub franceconnect_client_id: Option<String>,
    pub franceconnect_client_secret: Option<SecretString>,
    /// The levels of assurance asked, separated by spaces (`eidas1`, FranceConnect's standard level).
    pub franceconnect_acr: String,
    /// The agents' OpenID Connect provider (`GUICHET_AGENTS_OIDC_ISSUER`…), ProConnect's
    /// `https://auth.agentconnect.gouv.fr/api/v2` or the département's own. Unset: agents use their password.
    pub agents_oidc_issuer: Option<String>,
    pub agents_oidc_client_id: Option<String>,
    pub agents_oidc_client_secret: Option<SecretString>,
    /// Its name on the login page.
    pub agents_oidc_label: String,
    /// The scopes asked, separated by spaces.
    pub agents_oidc_scopes: String,
    /// The levels of assurance asked; empty: not checked.
    pub agents_oidc_acr: String,
}

/// A list of addresses, as TOML array or as the comma-separated text of an environment variable.
fn ip_list<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<std::net::IpAddr>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        List(Vec<String>),
        Text(String),
    }
    let items = match Raw::deserialize(d)? {
        Raw::List(l) => l,
        Raw::Text(t) => t.split(',').map(str::to_owned).collect(),
    };
    items
        .iter()
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
        .map(|s| {
            s.parse()
                .map_err(|_| serde::de::Error::custom(format!("adresse IP invalide : {s}")))
        })
        .collect()
}

impl Default for Config {
    fn default() -> Self {
        Config {
            database_url: None,
            data_dir: PathBuf::from("./data"),
            bind: "127.0.0.1:8080".into(),
            public_url: None,
            smtp_url: None,
            session_secret: None,
            log_format: LogFormat::Text,
            mail_from: "Guichet <ne-pas-repondre@guichet.localhost>".into(),
            departement: "Département de démonstration".into(),
            departement_address: vec![
                "Hôtel du Département".into(),
                "1 esplanade de la Démonstration".into(),
                "99000 Démoville".into(),
            ],
            departement_phone: Some("01 00 00 00 00".into()),
            departement_email: Some("contact@demo.guichet.test".into()),
            letters_place: "Démoville".into(),
            letters_signatory: Some("Camille Martin".into()),
            letters_signatory_title: Some("Directrice de l’autonomie".into()),
            session_hours: 8,
            workers: 0,
            forms_dir: PathBuf::from("forms"),
            departement_code: None,
            max_upload_mb: 50,
            max_dossier_upload_mb: 100,
            trusted_proxies: Vec::new(),
            session_idle_minutes: 30,
            instance_name: None,
            db_timeout_secs: 15,
            db_connect_timeout_secs: 5,
            db_statement_timeout_secs: 10,
            db_keepalive_secs: 30,
            max_message_files: 5,
            export_background_rows: 20_000,
            clamd: None,
            clamd_unavailable: "refuse".into(),
            mentions: crate::mentions::Mentions::default(),
            franceconnect_issuer: None,
            franceconnect_client_id: None,
            franceconnect_client_secret: None,
            franceconnect_acr: "eidas1".into(),
            agents_oidc_issuer: None,
            agents_oidc_client_id: None,
            agents_oidc_client_secret: None,
            agents_oidc_label: "ProConnect".into(),
            agents_oidc_scopes: "openid email given_name usual_name uid".into(),
            agents_oidc_acr: String::new(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("configuration: {0}")]
    Parse(String),
    #[error("cannot use the data directory {0}: {1}")]
    DataDir(PathBuf, std::io::Error),
    #[error("GUICHET_SESSION_SECRET must be at least 32 characters")]
    WeakSecret,
    #[error("GUICHET_CLAMD must be tcp://host:port or unix:/path, not {0:?}")]
    Clamd(String),
    #[error("GUICHET_CLAMD_UNAVAILABLE must be `refuse` or `hold`, not {0:?}")]
    ClamdUnavailable(String),
    #[error("configuration: {0}")]
    Mentions(String),
}

impl Config {
    /// Reads `GUICHET_CONFIG` (a TOML file, optional) then `GUICHET_*` variables, which win.
    pub fn load() -> Result<Config, ConfigError> {
        let mut fig = Figment::new();
        if let Ok(path) = std::env::var("GUICHET_CONFIG") {
            fig = fig.merge(Toml::file_exact(path));
        }
        // `GUICHET_MENTIONS__HOST_NAME` is `host_name` of `[mentions]`. Those are texts, taken as typed: the
        // environment provider would read `0143939393` as a number and drop its 0.
        let mentions: figment::value::Dict = Env::prefixed("GUICHET_MENTIONS__")
            .iter()
            .map(|(k, v)| (k.as_str().to_ascii_lowercase(), v.into()))
            .collect();
        fig.merge(
            Env::prefixed("GUICHET_")
                .ignore(&["config"])
                .filter(|k| !k.as_str().starts_with("mentions__")),
        )
        .merge(figment::providers::Serialized::default("mentions", mentions))
        .extract()
        .map_err(|e| ConfigError::Parse(e.to_string()))
    }

    /// Fills the derived defaults and prepares the data directory.
    pub fn resolve(self) -> Result<Settings, ConfigError> {
        private_files();
        create_private_dir(&self.data_dir).map_err(|e| ConfigError::DataDir(self.data_dir.clone(), e))?;
        let database_url = self
            .database_url
            .clone()
            .unwrap_or_else(|| self.data_dir.join("guichet.db").to_string_lossy().into_owned());
        let public_url = self
            .public_url
            .clone()
            .unwrap_or_else(|| format!("http://{}", self.bind))
            .trim_end_matches('/')
            .to_owned();
        if let Some(c) = &self.clamd
            && crate::uploads::Clamd::parse(c).is_none()
        {
            return Err(ConfigError::Clamd(c.clone()));
        }
        if !matches!(self.clamd_unavailable.as_str(), "refuse" | "hold") {
            return Err(ConfigError::ClamdUnavailable(self.clamd_unavailable.clone()));
        }
        self.mentions.check().map_err(ConfigError::Mentions)?;
        let session_secret = match self.session_secret.clone() {
            Some(s) if s.expose_secret().len() >= 32 => s,
            Some(_) => return Err(ConfigError::WeakSecret),
            None => stored_secret(&self.data_dir)?,
        };
        Ok(Settings {
            database_url,
            secure_cookies: public_url.starts_with("https://"),
            public_url,
            session_secret,
            config: self,
        })
    }
}

/// The data directory holds health answers, medical certificates, password hashes and emailed reset
/// links: nothing the server writes may be readable by another local account, whatever the umask it was
/// started with (0022 gives 0644 files). Setting the process umask to 0077 covers every file and
/// directory the server and its libraries create (the SQLite database and its WAL, uploads, `.eml`
/// files); the data directory itself is also made 0700 if it already existed more open.
fn private_files() {
    #[cfg(unix)]
    rustix::process::umask(rustix::fs::Mode::from_raw_mode(0o077));
}

fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir)?.permissions().mode();
        if mode & 0o077 != 0 {
            tracing::warn!(dir = %dir.display(), "Data directory was readable by others: made private (0700)");
            std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
        }
    }
    Ok(())
}

/// Reads the generated session secret, or creates it (readable by its owner only).
fn stored_secret(dir: &Path) -> Result<SecretString, ConfigError> {
    let path = dir.join("session_secret");
    let io = |e| ConfigError::DataDir(path.clone(), e);
    match std::fs::read_to_string(&path) {
        Ok(s) if s.trim().len() >= 32 => return Ok(SecretString::from(s.trim().to_owned())),
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(io(e)),
    }
    let mut buf = [0u8; 48];
    rand::rng().fill_bytes(&mut buf);
    let secret = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(buf);
    write_private(&path, &secret).map_err(io)?;
    Ok(SecretString::from(secret))
}

#[cfg(unix)]
fn write_private(path: &Path, content: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)?;
    f.write_all(content.as_bytes())
}

#[cfg(not(unix))]
fn write_private(path: &Path, content: &str) -> std::io::Result<()> {
    std::fs::write(path, content)
}

/// The configuration with every default resolved: what the application runs with.
#[derive(Debug, Clone)]
pub struct Settings {
    pub database_url: String,
    pub public_url: String,
    pub secure_cookies: bool,
    pub session_secret: SecretString,
    pub config: Config,
}

impl Settings {
    /// The definition variant of each procedure that has one per département (Améthyste's residence
    /// rules), as `Procedures::load` takes them.
    pub fn procedure_variants(&self) -> std::collections::BTreeMap<String, String> {
        self.config
            .departement_code
            .iter()
            .map(|code| ("amethyste".to_owned(), code.clone()))
            .collect()
    }

    /// FranceConnect as configured (issuer, client id and secret all set), its return addresses under
    /// `public_url`.
    pub fn franceconnect(&self) -> Option<guichet_oidc::ProviderConfig> {
        let c = &self.config;
        let mut p = self.provider(
            "franceconnect",
            (
                &c.franceconnect_issuer,
                &c.franceconnect_client_id,
                &c.franceconnect_client_secret,
            ),
            &guichet_oidc::FRANCECONNECT_SCOPES.join(" "),
            &c.franceconnect_acr,
        )?;
        p.signed_userinfo = true;
        p.prompt = "login consent".into();
        Some(p)
    }

    /// The agents' provider as configured (issuer, client id and secret all set).
    pub fn agents_oidc(&self) -> Option<guichet_oidc::ProviderConfig> {
        let c = &self.config;
        self.provider(
            "agents",
            (
                &c.agents_oidc_issuer,
                &c.agents_oidc_client_id,
                &c.agents_oidc_client_secret,
            ),
            &c.agents_oidc_scopes,
            &c.agents_oidc_acr,
        )
    }

    /// A provider whose issuer, client id and secret are all set, coming back to
    /// `<public_url>/connexion/<door>/retour` (and `/deconnexion/<door>` after its logout).
    fn provider(
        &self,
        door: &str,
        (issuer, id, secret): (&Option<String>, &Option<String>, &Option<SecretString>),
        scopes: &str,
        acr: &str,
    ) -> Option<guichet_oidc::ProviderConfig> {
        let words = |s: &str| s.split_whitespace().map(str::to_owned).collect();
        let base = self.public_url.trim_end_matches('/');
        Some(guichet_oidc::ProviderConfig {
            issuer: issuer.clone()?,
            client_id: id.clone()?,
            client_secret: secret.as_ref()?.expose_secret().to_owned(),
            redirect_uri: format!("{base}/connexion/{door}/retour"),
            post_logout_redirect_uri: format!("{base}/deconnexion/{door}"),
            scopes: words(scopes),
            acr_values: words(acr),
            signed_userinfo: false,
            prompt: String::new(),
        })
    }

    /// Uploads are kept for a later scan (not refused) while clamd cannot be reached.
    pub fn hold_unscanned(&self) -> bool {
        self.config.clamd.is_some() && self.config.clamd_unavailable == "hold"
    }

    pub fn outbox_dir(&self) -> PathBuf {
        self.config.data_dir.join("outbox")
    }

    /// The configured instance name, or one that is stable across restarts of this deployment.
    pub fn instance_name(&self) -> String {
        if let Some(name) = self.config.instance_name.as_deref().filter(|n| !n.is_empty()) {
            return name.to_owned();
        }
        let host = hostname::get()
            .ok()
            .and_then(|h| h.into_string().ok())
            .unwrap_or_else(|| "localhost".into());
        let dir =
            std::fs::canonicalize(&self.config.data_dir).unwrap_or_else(|_| self.config.data_dir.clone());
        format!("{host}:{}:{}", self.config.bind, dir.display())
    }

    /// The database pool's bounds, from the `db_*` settings.
    pub fn pool_options(&self) -> guichet_db::PoolOptions {
        let secs = std::time::Duration::from_secs;
        let c = &self.config;
        guichet_db::PoolOptions {
            run_timeout: (c.db_timeout_secs > 0).then(|| secs(c.db_timeout_secs)),
            // Waiting for a free connection never outlasts the request's own bound.
            connect_timeout: secs(match c.db_timeout_secs {
                0 => 10,
                t => t.min(10),
            }),
            postgres: guichet_db::PgTimeouts {
                connect: secs(c.db_connect_timeout_secs),
                statement: (c.db_statement_timeout_secs > 0).then(|| secs(c.db_statement_timeout_secs)),
                keepalives_idle: secs(c.db_keepalive_secs),
                tcp_user_timeout: secs(c.db_keepalive_secs),
            },
            ..guichet_db::PoolOptions::default()
        }
    }

    /// The host of the public address: the right-hand side of the `Message-ID` of emails.
    pub fn public_host(&self) -> String {
        url::Url::parse(&self.public_url)
            .ok()
            .and_then(|u| u.host_str().map(str::to_owned))
            .unwrap_or_default()
    }

    /// The database URL with any password masked, for logs.
    pub fn database_label(&self) -> String {
        match url_without_password(&self.database_url) {
            Some(u) => u,
            None => self.database_url.clone(),
        }
    }
}

fn url_without_password(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let (auth, host) = rest.split_once('@')?;
    let user = auth.split(':').next().unwrap_or("");
    Some(format!("{scheme}://{user}:***@{host}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_give_a_sqlite_file_in_the_data_dir_and_a_stored_secret() {
        let dir = tempfile::tempdir().unwrap();
        let cfg = Config {
            data_dir: dir.path().to_owned(),
            ..Config::default()
        };
        let s = cfg.clone().resolve().unwrap();
        assert!(s.database_url.ends_with("guichet.db"));
        assert_eq!(s.public_url, "http://127.0.0.1:8080");
        assert!(!s.secure_cookies);
        let again = cfg.resolve().unwrap();
        assert_eq!(
            s.session_secret.expose_secret(),
            again.session_secret.expose_secret(),
            "secret is stored"
        );
    }

    #[test]
    fn secrets_never_show_in_debug_output() {
        let cfg = Config {
            smtp_url: Some(SecretString::from("smtp://u:hunter2@mail.example.fr")),
            session_secret: Some(SecretString::from("s".repeat(40))),
            ..Config::default()
        };
        let dbg = format!("{cfg:?}");
        assert!(
            !dbg.contains("hunter2") && !dbg.contains(&"s".repeat(40)),
            "{dbg}"
        );
    }

    #[test]
    fn database_passwords_are_masked_in_labels() {
        assert_eq!(
            url_without_password("postgres://app:secret@db/guichet").as_deref(),
            Some("postgres://app:***@db/guichet")
        );
    }

    #[test]
    fn clamd_unavailable_is_refuse_or_hold() {
        let dir = tempfile::tempdir().unwrap();
        let with = |policy: &str| Config {
            data_dir: dir.path().to_owned(),
            clamd: Some("tcp://127.0.0.1:3310".into()),
            clamd_unavailable: policy.into(),
            ..Config::default()
        };
        assert!(!with("refuse").resolve().unwrap().hold_unscanned());
        assert!(with("hold").resolve().unwrap().hold_unscanned());
        assert!(matches!(
            with("accept").resolve(),
            Err(ConfigError::ClamdUnavailable(_))
        ));
    }

    #[test]
    fn https_public_urls_make_cookies_secure() {
        let dir = tempfile::tempdir().unwrap();
        let cfg = Config {
            data_dir: dir.path().to_owned(),
            public_url: Some("https://guichet.example.fr/".into()),
            ..Config::default()
        };
        let s = cfg.resolve().unwrap();
        assert!(s.secure_cookies);
        assert_eq!(s.public_url, "https://guichet.example.fr");
    }
}
