//! Sessions are signed JWTs (HS256) carried in an HttpOnly cookie. A token names the user and the
//! user's `session_version` when it was issued; bumping the version (logout, password change) revokes
//! every token issued before, on every device.

use chrono::Duration;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation, decode, encode};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

use crate::{AccountsError, Result, User};

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct SessionClaims {
    /// User id.
    pub sub: String,
    /// The user's session version at issue time.
    pub ver: i32,
    pub iat: i64,
    pub exp: i64,
}

#[derive(Clone)]
pub struct SessionKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    ttl: Duration,
}

impl std::fmt::Debug for SessionKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionKeys")
            .field("ttl", &self.ttl)
            .finish_non_exhaustive()
    }
}

impl SessionKeys {
    pub fn new(secret: &SecretString, ttl: Duration) -> SessionKeys {
        let bytes = secret.expose_secret().as_bytes();
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = 0;
        validation.set_required_spec_claims(&["exp", "sub"]);
        SessionKeys {
            encoding: EncodingKey::from_secret(bytes),
            decoding: DecodingKey::from_secret(bytes),
            validation,
            ttl,
        }
    }

    pub fn ttl(&self) -> Duration {
        self.ttl
    }

    pub fn issue(&self, user: &User) -> Result<String> {
        let now = chrono::Utc::now().timestamp();
        let claims = SessionClaims {
            sub: user.id.clone(),
            ver: user.session_version,
            iat: now,
            exp: now + self.ttl.num_seconds(),
        };
        self.sign(&claims)
    }

    pub fn sign(&self, claims: &SessionClaims) -> Result<String> {
        encode(&Header::new(Algorithm::HS256), claims, &self.encoding)
            .map_err(|e| AccountsError::Internal(format!("jwt encode: {e}")))
    }

    /// Checks signature and expiry. The caller must still compare `ver` with the stored session version.
    pub fn verify(&self, token: &str) -> Option<SessionClaims> {
        decode::<SessionClaims>(token, &self.decoding, &self.validation)
            .ok()
            .map(|d| d.claims)
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
        }
    }

    #[test]
    fn a_token_round_trips_and_a_tampered_one_is_refused() {
        let keys = SessionKeys::new(&SecretString::from("k".repeat(64)), Duration::hours(1));
        let t = keys.issue(&user()).unwrap();
        let c = keys.verify(&t).unwrap();
        assert_eq!((c.sub.as_str(), c.ver), ("u1", 3));
        let mut tampered = t.clone();
        tampered.pop();
        tampered.push(if t.ends_with('A') { 'B' } else { 'A' });
        assert!(keys.verify(&tampered).is_none());
        let other = SessionKeys::new(&SecretString::from("z".repeat(64)), Duration::hours(1));
        assert!(other.verify(&t).is_none());
    }

    #[test]
    fn an_expired_token_is_refused() {
        let keys = SessionKeys::new(&SecretString::from("k".repeat(64)), Duration::hours(1));
        let now = chrono::Utc::now().timestamp();
        let t = keys
            .sign(&SessionClaims {
                sub: "u1".into(),
                ver: 0,
                iat: now - 7200,
                exp: now - 1,
            })
            .unwrap();
        assert!(keys.verify(&t).is_none());
    }
}
