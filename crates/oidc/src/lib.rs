//! An OpenID Connect relying party for FranceConnect v2 (usagers) and a generic provider such as
//! ProConnect (agents): discovery, the authorization code flow with PKCE (S256), `state` and `nonce`, the
//! ID token and the signed userinfo verified against the provider's JWKS (ES256 or RS256, the keys read
//! again when a token names an unknown key), `acr` checked against the level asked, and the provider's
//! logout.
//!
//! Written on `jsonwebtoken` and `reqwest` rather than the `openidconnect` crate: its userinfo verifier
//! accepts RS256 only and cannot be told otherwise, while FranceConnect v2 signs the userinfo with ES256
//! (documentation of the FranceConnect partners, « Implémentation technique »), and one verification path
//! for both tokens is easier to audit than two.

use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use tokio::sync::RwLock;

/// The scopes FranceConnect v2 gives the identity pivot and the email with (its claims' names).
pub const FRANCECONNECT_SCOPES: &[&str] = &[
    "openid",
    "given_name",
    "family_name",
    "birthdate",
    "birthplace",
    "birthcountry",
    "gender",
    "email",
    "preferred_username",
];

/// How long the provider's metadata and keys are used before being read again.
const METADATA_TTL: Duration = Duration::from_secs(3600);

/// A provider as configured.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq)]
pub struct ProviderConfig {
    /// The issuer, whose `/.well-known/openid-configuration` is read: for FranceConnect's integration
    /// platform `https://fcp-low.sbx.dev-franceconnect.fr/api/v2`.
    pub issuer: String,
    pub client_id: String,
    pub client_secret: String,
    /// Where the provider sends the person back: `<public_url>/connexion/franceconnect/retour`.
    pub redirect_uri: String,
    /// Where the provider's logout sends the person back.
    pub post_logout_redirect_uri: String,
    pub scopes: Vec<String>,
    /// The levels asked (`eidas1`); the ID token's `acr` must be one of them. Empty: not checked.
    #[serde(default)]
    pub acr_values: Vec<String>,
    /// The userinfo must be a signed JWT (FranceConnect v2); otherwise plain JSON is accepted too.
    #[serde(default)]
    pub signed_userinfo: bool,
    /// Sent as `prompt` (FranceConnect asks `login consent`); empty: none.
    #[serde(default)]
    pub prompt: String,
}

#[derive(Debug, thiserror::Error)]
pub enum OidcError {
    #[error("provider unreachable or answering badly: {0}")]
    Provider(String),
    #[error("the provider refused: {code} ({description})")]
    Refused { code: String, description: String },
    #[error("state missing or not the one sent")]
    State,
    #[error("no authorization code in the callback")]
    NoCode,
    #[error("token refused: {0}")]
    Token(String),
    #[error("level of assurance {got:?} below the one asked {asked:?}")]
    Acr { asked: Vec<String>, got: Option<String> },
}

impl OidcError {
    /// What the person is told, in French, on the error page.
    pub fn french(&self) -> &'static str {
        match self {
            OidcError::Provider(_) => {
                "Le service d’identification ne répond pas pour le moment. Réessayez dans quelques minutes, ou connectez-vous avec votre adresse électronique et votre mot de passe."
            }
            OidcError::Refused { code, .. } if code == "access_denied" => {
                "Vous avez annulé la connexion ou refusé de transmettre vos informations. Aucune donnée n’a été reçue."
            }
            OidcError::Refused { .. } => {
                "Le service d’identification a refusé la connexion. Réessayez, ou connectez-vous avec votre adresse électronique et votre mot de passe."
            }
            OidcError::State | OidcError::NoCode => {
                "Cette connexion a expiré ou a déjà servi. Recommencez depuis la page de connexion."
            }
            OidcError::Token(_) => {
                "L’identité transmise n’a pas pu être vérifiée. Par sécurité, la connexion est refusée. Recommencez depuis la page de connexion."
            }
            OidcError::Acr { .. } => {
                "Le niveau de sécurité de l’identification est insuffisant pour ce service. Choisissez un autre compte d’identification."
            }
        }
    }
}

type Result<T> = std::result::Result<T, OidcError>;

/// What the person's browser carries between the start and the callback (kept by the platform, never shown).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pending {
    pub state: String,
    pub nonce: String,
    pub verifier: String,
}

/// The callback's query string.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Callback {
    pub code: Option<String>,
    pub state: Option<String>,
    pub error: Option<String>,
    pub error_description: Option<String>,
}

/// The identity the provider vouched for (FranceConnect's claims, as it spells them).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Identity {
    /// The provider's identifier of the person (`sub`), stable for this client.
    pub subject: String,
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    /// `YYYY-MM-DD`.
    pub birthdate: Option<String>,
    /// INSEE code of the commune of birth (empty when born abroad).
    pub birthplace: Option<String>,
    /// INSEE code of the country of birth (`99100`: France).
    pub birthcountry: Option<String>,
    /// `female` or `male`.
    pub gender: Option<String>,
    pub email: Option<String>,
    /// The name of use, when it differs from the birth name.
    pub preferred_username: Option<String>,
    pub acr: Option<String>,
    /// How the person authenticated (`amr`), recorded for agents (ProConnect).
    pub amr: Vec<String>,
    /// Sent back as `id_token_hint` at logout.
    pub id_token: String,
}

impl Identity {
    /// « Jeanne Martin »: the first given name and the name of use, else the birth name.
    pub fn display_name(&self) -> String {
        let first = self
            .given_name
            .as_deref()
            .and_then(|g| g.split_whitespace().next())
            .unwrap_or_default();
        let last = self
            .preferred_username
            .as_deref()
            .filter(|p| !p.trim().is_empty())
            .or(self.family_name.as_deref())
            .unwrap_or_default();
        format!("{first} {last}").trim().to_owned()
    }
}

#[derive(Debug, Clone, Deserialize)]
struct Discovery {
    issuer: String,
    authorization_endpoint: String,
    token_endpoint: String,
    #[serde(default)]
    userinfo_endpoint: Option<String>,
    jwks_uri: String,
    #[serde(default)]
    end_session_endpoint: Option<String>,
}

struct Metadata {
    discovery: Discovery,
    keys: JwkSet,
    read_at: Instant,
}

/// One provider: its configuration, and its metadata and keys once read (shared by the requests).
pub struct Provider {
    config: ProviderConfig,
    http: reqwest::Client,
    metadata: RwLock<Option<Arc<Metadata>>>,
}

#[derive(Deserialize)]
struct TokenResponse {
    id_token: Option<String>,
    access_token: Option<String>,
}

/// The claims read from the ID token and the userinfo (unknown ones ignored).
#[derive(Debug, Default, Deserialize)]
struct Claims {
    sub: Option<String>,
    nonce: Option<String>,
    acr: Option<String>,
    #[serde(default)]
    amr: Vec<String>,
    given_name: Option<String>,
    family_name: Option<String>,
    birthdate: Option<String>,
    birthplace: Option<String>,
    birthcountry: Option<String>,
    gender: Option<String>,
    email: Option<String>,
    preferred_username: Option<String>,
    /// ProConnect's name of use.
    usual_name: Option<String>,
}

fn random() -> String {
    let mut buf = [0u8; 32];
    rand::rng().fill_bytes(&mut buf);
    URL_SAFE_NO_PAD.encode(buf)
}

/// The PKCE challenge of a verifier (S256, RFC 7636 §4.2).
pub fn challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

fn same(a: &str, b: &str) -> bool {
    a.as_bytes().ct_eq(b.as_bytes()).into()
}

impl Provider {
    pub fn new(config: ProviderConfig) -> Result<Provider> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            // A provider's answer is followed by nobody: a redirect there is an error.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| OidcError::Provider(e.to_string()))?;
        Ok(Provider {
            config,
            http,
            metadata: RwLock::new(None),
        })
    }

    pub fn config(&self) -> &ProviderConfig {
        &self.config
    }

    async fn get_json<T: serde::de::DeserializeOwned>(&self, url: &str) -> Result<T> {
        let r = self
            .http
            .get(url)
            .send()
            .await
            .map_err(|e| OidcError::Provider(format!("{url}: {e}")))?;
        if !r.status().is_success() {
            return Err(OidcError::Provider(format!("{url}: HTTP {}", r.status())));
        }
        r.json()
            .await
            .map_err(|e| OidcError::Provider(format!("{url}: {e}")))
    }

    /// The metadata and keys, read when missing, older than an hour, or (`fresh`) when a token names a key
    /// the cached set lacks (the provider rotated its keys).
    async fn metadata(&self, fresh: bool) -> Result<Arc<Metadata>> {
        if !fresh
            && let Some(m) = self.metadata.read().await.as_ref()
            && m.read_at.elapsed() < METADATA_TTL
        {
            return Ok(m.clone());
        }
        let url = format!(
            "{}/.well-known/openid-configuration",
            self.config.issuer.trim_end_matches('/')
        );
        let discovery: Discovery = self.get_json(&url).await?;
        if discovery.issuer.trim_end_matches('/') != self.config.issuer.trim_end_matches('/') {
            return Err(OidcError::Provider(format!(
                "issuer {} announced by {url}",
                discovery.issuer
            )));
        }
        let keys: JwkSet = self.get_json(&discovery.jwks_uri).await?;
        let m = Arc::new(Metadata {
            discovery,
            keys,
            read_at: Instant::now(),
        });
        *self.metadata.write().await = Some(m.clone());
        Ok(m)
    }

    /// Where to send the person, and what to keep until they come back.
    pub async fn start(&self) -> Result<(String, Pending)> {
        let m = self.metadata(false).await?;
        let pending = Pending {
            state: random(),
            nonce: random(),
            verifier: random(),
        };
        let mut url = url::Url::parse(&m.discovery.authorization_endpoint)
            .map_err(|e| OidcError::Provider(e.to_string()))?;
        {
            let mut q = url.query_pairs_mut();
            q.append_pair("response_type", "code")
                .append_pair("client_id", &self.config.client_id)
                .append_pair("redirect_uri", &self.config.redirect_uri)
                .append_pair("scope", &self.config.scopes.join(" "))
                .append_pair("state", &pending.state)
                .append_pair("nonce", &pending.nonce)
                .append_pair("code_challenge", &challenge(&pending.verifier))
                .append_pair("code_challenge_method", "S256");
            if !self.config.acr_values.is_empty() {
                q.append_pair("acr_values", &self.config.acr_values.join(" "));
            }
            if !self.config.prompt.is_empty() {
                q.append_pair("prompt", &self.config.prompt);
            }
        }
        Ok((url.to_string(), pending))
    }

    /// The callback checked (state first), the code exchanged, the ID token and the userinfo verified.
    pub async fn finish(&self, pending: &Pending, callback: &Callback) -> Result<Identity> {
        if !callback.state.as_deref().is_some_and(|s| same(s, &pending.state)) {
            return Err(OidcError::State);
        }
        if let Some(code) = &callback.error {
            return Err(OidcError::Refused {
                code: code.chars().take(100).collect(),
                description: callback
                    .error_description
                    .as_deref()
                    .unwrap_or_default()
                    .chars()
                    .take(300)
                    .collect(),
            });
        }
        let code = callback.code.as_deref().ok_or(OidcError::NoCode)?;
        let m = self.metadata(false).await?;
        let r = self
            .http
            .post(&m.discovery.token_endpoint)
            .form(&[
                ("grant_type", "authorization_code"),
                ("code", code),
                ("redirect_uri", &self.config.redirect_uri),
                ("client_id", &self.config.client_id),
                ("client_secret", &self.config.client_secret),
                ("code_verifier", &pending.verifier),
            ])
            .send()
            .await
            .map_err(|e| OidcError::Provider(e.to_string()))?;
        if !r.status().is_success() {
            let status = r.status();
            let body: String = r.text().await.unwrap_or_default().chars().take(300).collect();
            return Err(OidcError::Token(format!("token endpoint: HTTP {status} {body}")));
        }
        let tokens: TokenResponse = r
            .json()
            .await
            .map_err(|e| OidcError::Token(format!("token response: {e}")))?;
        let id_token = tokens
            .id_token
            .ok_or_else(|| OidcError::Token("no id_token".into()))?;
        let claims = self.verified(&id_token, true).await?;
        if !claims.nonce.as_deref().is_some_and(|n| same(n, &pending.nonce)) {
            return Err(OidcError::Token("nonce missing or not the one sent".into()));
        }
        let subject = claims
            .sub
            .clone()
            .filter(|s| !s.is_empty())
            .ok_or_else(|| OidcError::Token("no sub".into()))?;
        if !self.config.acr_values.is_empty()
            && !claims
                .acr
                .as_deref()
                .is_some_and(|a| self.config.acr_values.iter().any(|v| v == a))
        {
            return Err(OidcError::Acr {
                asked: self.config.acr_values.clone(),
                got: claims.acr.clone(),
            });
        }
        let info = match (&m.discovery.userinfo_endpoint, &tokens.access_token) {
            (Some(url), Some(access)) => self.userinfo(url, access).await?,
            _ => Claims::default(),
        };
        if info.sub.as_deref().is_some_and(|s| s != subject) {
            return Err(OidcError::Token("userinfo of another person".into()));
        }
        let pick = |a: Option<String>, b: Option<String>| a.or(b).filter(|v| !v.trim().is_empty());
        Ok(Identity {
            given_name: pick(info.given_name, claims.given_name),
            family_name: pick(info.family_name, claims.family_name)
                .or_else(|| pick(info.usual_name, claims.usual_name)),
            birthdate: pick(info.birthdate, claims.birthdate),
            // Empty is meaningful here (born abroad): kept as sent.
            birthplace: info.birthplace.or(claims.birthplace),
            birthcountry: pick(info.birthcountry, claims.birthcountry),
            gender: pick(info.gender, claims.gender),
            email: pick(info.email, claims.email),
            preferred_username: pick(info.preferred_username, claims.preferred_username),
            acr: claims.acr,
            amr: claims.amr,
            subject,
            id_token,
        })
    }

    async fn userinfo(&self, url: &str, access: &str) -> Result<Claims> {
        let r = self
            .http
            .get(url)
            .bearer_auth(access)
            .header(reqwest::header::ACCEPT, "application/jwt, application/json")
            .send()
            .await
            .map_err(|e| OidcError::Provider(e.to_string()))?;
        if !r.status().is_success() {
            return Err(OidcError::Token(format!("userinfo: HTTP {}", r.status())));
        }
        let jwt = r
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/jwt"));
        let body = r.text().await.map_err(|e| OidcError::Provider(e.to_string()))?;
        if jwt {
            self.verified(body.trim(), false).await
        } else if self.config.signed_userinfo {
            Err(OidcError::Token("userinfo not signed".into()))
        } else {
            serde_json::from_str(&body).map_err(|e| OidcError::Token(format!("userinfo: {e}")))
        }
    }

    /// A JWT of this provider for this client: signed (ES256 or RS256) by a key of its set, from its
    /// issuer, for this client, not expired. An ID token must say when it expires; a signed userinfo need
    /// not (it is read once, straight from the provider).
    async fn verified(&self, token: &str, id_token: bool) -> Result<Claims> {
        let header = jsonwebtoken::decode_header(token).map_err(|e| OidcError::Token(e.to_string()))?;
        if !matches!(header.alg, Algorithm::ES256 | Algorithm::RS256) {
            return Err(OidcError::Token(format!("algorithm {:?} refused", header.alg)));
        }
        let mut m = self.metadata(false).await?;
        let mut key = find_key(&m.keys, header.kid.as_deref(), header.alg);
        if key.is_none() {
            m = self.metadata(true).await?;
            key = find_key(&m.keys, header.kid.as_deref(), header.alg);
        }
        let key = key.ok_or_else(|| OidcError::Token("signed by an unknown key".into()))?;
        let mut v = Validation::new(header.alg);
        v.set_issuer(&[m.discovery.issuer.as_str()]);
        v.set_audience(&[self.config.client_id.as_str()]);
        v.leeway = 60;
        if !id_token {
            v.required_spec_claims = ["iss", "aud"].into_iter().map(str::to_owned).collect();
        }
        jsonwebtoken::decode::<Claims>(token, &key, &v)
            .map(|d| d.claims)
            .map_err(|e| OidcError::Token(e.to_string()))
    }

    /// The provider's logout for this session, coming back to `post_logout_redirect_uri`; `None` when the
    /// provider has none.
    pub async fn logout_url(&self, id_token_hint: &str) -> Result<Option<String>> {
        let m = self.metadata(false).await?;
        let Some(end) = &m.discovery.end_session_endpoint else {
            return Ok(None);
        };
        let mut url = url::Url::parse(end).map_err(|e| OidcError::Provider(e.to_string()))?;
        url.query_pairs_mut()
            .append_pair("id_token_hint", id_token_hint)
            .append_pair("state", &random())
            .append_pair("post_logout_redirect_uri", &self.config.post_logout_redirect_uri);
        Ok(Some(url.to_string()))
    }
}

/// The key of the set that signed a token: by its `kid`, or the only key of that algorithm's family.
fn find_key(keys: &JwkSet, kid: Option<&str>, alg: Algorithm) -> Option<DecodingKey> {
    use jsonwebtoken::jwk::AlgorithmParameters;
    let fits = |k: &&jsonwebtoken::jwk::Jwk| {
        matches!(
            (&k.algorithm, alg),
            (AlgorithmParameters::EllipticCurve(_), Algorithm::ES256)
                | (AlgorithmParameters::RSA(_), Algorithm::RS256)
        )
    };
    let jwk = match kid {
        Some(kid) => keys.find(kid).filter(|k| fits(k)),
        None => {
            let mut candidates = keys.keys.iter().filter(fits);
            match (candidates.next(), candidates.next()) {
                (Some(only), None) => Some(only),
                _ => None,
            }
        }
    }?;
    DecodingKey::from_jwk(jwk).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pkce_challenge_is_rfc_7636_s256() {
        // RFC 7636, appendix B.
        assert_eq!(
            challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }

    #[test]
    fn the_name_shown_is_the_first_given_name_and_the_name_of_use() {
        let id = Identity {
            given_name: Some("Angela Claire Louise".into()),
            family_name: Some("DUBOIS".into()),
            preferred_username: Some("".into()),
            ..Identity::default()
        };
        assert_eq!(id.display_name(), "Angela DUBOIS");
        let used = Identity {
            preferred_username: Some("MARTIN".into()),
            ..id
        };
        assert_eq!(used.display_name(), "Angela MARTIN");
    }

    #[test]
    fn every_error_has_a_french_message_without_technical_words() {
        for e in [
            OidcError::Provider("x".into()),
            OidcError::Refused {
                code: "access_denied".into(),
                description: String::new(),
            },
            OidcError::State,
            OidcError::NoCode,
            OidcError::Token("x".into()),
            OidcError::Acr {
                asked: vec![],
                got: None,
            },
        ] {
            let m = e.french();
            assert!(
                !m.is_empty() && !m.contains("token") && !m.contains("HTTP"),
                "{m}"
            );
        }
    }
}
