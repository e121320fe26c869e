//! Sessions are signed JWTs (HS256) carried in an HttpOnly cookie. A token names the user and the
//! user's `session_version` when it was issued; bumping the version (logout, password change) revokes
//! every token issued before, on every device.
//!
//! A login lasts at most `ttl` (`exp`, absolute) and ends after `idle` without activity: `iat` is the time
//! of the last re-issue, and the web layer re-issues the token as the person keeps using the site. The
//! `sid` names the login itself (random, kept across re-issues) so that other tokens, such as the CSRF
//! token, can be bound to it.

use chrono::Duration;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation, decode, encode};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

use crate::{AccountsError, Result, User};

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, Default)]
pub struct SessionClaims {
    /// User id.
    pub sub: String,
    /// The user's session version at issue time.
    pub ver: i32,
    /// When the token was (re-)issued: the last activity.
    pub iat: i64,
    /// When the login ends whatever the activity.
    pub exp: i64,
    /// This login's id (random, the same in every re-issued token).
    #[serde(default)]
    pub sid: String,
}

#[derive(Clone)]
pub struct SessionKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    ttl: Duration,
    idle: Duration,
}

impl std::fmt::Debug for SessionKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionKeys")
            .field("ttl", &self.ttl)
            .field("idle", &self.idle)
            .finish_non_exhaustive()
    }
}

impl SessionKeys {
    /// Keys for logins of at most `ttl`, ended after `idle` without activity.
    pub fn new(secret: &SecretString, ttl: Duration, idle: Duration) -> SessionKeys {
        let bytes = secret.expose_secret().as_bytes();
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = 0;
        validation.set_required_spec_claims(&["exp", "sub"]);
        SessionKeys {
            encoding: EncodingKey::from_secret(bytes),
            decoding: DecodingKey::from_secret(bytes),
            validation,
            ttl,
            idle,
        }
    }

    pub fn ttl(&self) -> Duration {
        self.ttl
    }

    pub fn idle(&self) -> Duration {
        self.idle
    }

    /// A token for a new login.
    pub fn issue(&self, user: &User) -> Result<String> {
        let now = chrono::Utc::now().timestamp();
        let claims = SessionClaims {
            sub: user.id.clone(),
            ver: user.session_version,
            iat: now,
            exp: now + self.ttl.num_seconds(),
            sid: crate::tokens::random_token(),
        };
        self.sign(&claims)
    }

    /// The same login, active now (same user, version, end and id).
    pub fn refresh(&self, claims: &SessionClaims) -> Result<String> {
        self.sign(&SessionClaims {
            iat: chrono::Utc::now().timestamp(),
            ..claims.clone()
        })
    }

    pub fn sign(&self, claims: &SessionClaims) -> Result<String> {
        encode(&Header::new(Algorithm::HS256), claims, &self.encoding)
            .map_err(|e| AccountsError::Internal(format!("jwt encode: {e}")))
    }

    /// Checks signature, expiry and inactivity. The caller must still compare `ver` with the stored
    /// session version.
    pub fn verify(&self, token: &str) -> Option<SessionClaims> {
        let claims = decode::<SessionClaims>(token, &self.decoding, &self.validation)
            .ok()?
            .claims;
        let now = chrono::Utc::now().timestamp();
        (now - claims.iat <= self.idle.num_seconds()).then_some(claims)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user() -> User {
        User {
            id: "u1".into(),
            email: "a@b.fr".into(),
            display_name: "A".into(),
            role: guichet_types::Role::Usager,
            email_verified: true,
            session_version: 3,
            notify_messages: true,
            deactivated: false,
        }
    }

    #[test]
    fn a_token_round_trips_and_a_tampered_one_is_refused() {
        let keys = keys();
        let t = keys.issue(&user()).unwrap();
        let c = keys.verify(&t).unwrap();
        assert_eq!((c.sub.as_str(), c.ver), ("u1", 3));
        let mut tampered = t.clone();
        tampered.pop();
        tampered.push(if t.ends_with('A') { 'B' } else { 'A' });
        assert!(keys.verify(&tampered).is_none());
        let other = SessionKeys::new(
            &SecretString::from("z".repeat(64)),
            Duration::hours(1),
            Duration::minutes(30),
        );
        assert!(other.verify(&t).is_none());
    }

    #[test]
    fn an_expired_token_is_refused() {
        let keys = keys();
        let now = chrono::Utc::now().timestamp();
        let t = keys
            .sign(&SessionClaims {
                sub: "u1".into(),
                ver: 0,
                iat: now - 7200,
                exp: now - 1,
                sid: "s".into(),
            })
            .unwrap();
        assert!(keys.verify(&t).is_none());
    }

    fn keys() -> SessionKeys {
        SessionKeys::new(
            &SecretString::from("k".repeat(64)),
            Duration::hours(8),
            Duration::minutes(30),
        )
    }

    #[test]
    fn an_idle_login_ends_and_activity_keeps_it_alive_until_its_end() {
        let keys = keys();
        let now = chrono::Utc::now().timestamp();
        let claims = SessionClaims {
            sub: "u1".into(),
            ver: 0,
            iat: now - 31 * 60,
            exp: now + 3600,
            sid: "login-1".into(),
        };
        let idle = keys.sign(&claims).unwrap();
        assert!(keys.verify(&idle).is_none(), "31 minutes without activity");
        let active = SessionClaims {
            iat: now - 29 * 60,
            ..claims.clone()
        };
        let t = keys.sign(&active).unwrap();
        let c = keys.verify(&t).unwrap();
        let again = keys.verify(&keys.refresh(&c).unwrap()).unwrap();
        assert_eq!((again.sid.as_str(), again.exp), ("login-1", claims.exp));
        assert!(again.iat >= now);
        let fresh = keys.verify(&keys.issue(&user()).unwrap()).unwrap();
        assert_ne!(fresh.sid, "login-1", "a new login has a new id");
    }
}
