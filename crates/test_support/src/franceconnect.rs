//! A loopback OpenID Connect provider that behaves like FranceConnect v2 for the tests: discovery under
//! `/api/v2`, a JWKS of one P-256 key, `authorize` that checks the client, the registered return address,
//! PKCE (S256 only), `state` and `nonce` and answers at once with a code (or the error it is told to), a
//! `token` endpoint (client_secret_post, one use per code, the verifier checked) returning an ES256-signed
//! ID token, a `userinfo` endpoint returning an ES256-signed JWT (`application/jwt`) with FranceConnect's
//! claims in their formats, and `session/end` that records the `id_token_hint` and sends the person back.
//!
//! What it is told to do next (`set_next`): the person to log in, or an error, a nonce or a key not its
//! own, a lower level of assurance, an unsigned userinfo.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use base64::Engine;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

pub const CLIENT_ID: &str = "guichet-test-client";
pub const CLIENT_SECRET: &str = "guichet-test-secret";
const KID: &str = "fc-test-es256";

// Keys of this loopback provider only (generated for the tests, never used elsewhere).
const KEY: &str = "-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg/rgmS14P1/xwlrge
/E+K9g8irW6W43tiGJfRJLm6WV6hRANCAASBe2KVsdM6pzRV58+yCW/XPDDP2tV7
wdQ2ZFz6km8PI+o7ux3nHJpZlCjTy7W9KhIi7nUQnP6edTe6TnS56h46
-----END PRIVATE KEY-----
";
const FOREIGN_KEY: &str = "-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgOaGc/cBKtyKevSlL
8aM/6+I5ludyhuFJpcqf0KcTRUmhRANCAARjK1ERJLvdMqAYUjrpS0qJxSUvw1uA
PAfMYaYcFEdX9U5OhV031AkCSodI6fHJ5o1rWs4gZwINIR3RGnpe6pwh
-----END PRIVATE KEY-----
";

/// A person as FranceConnect describes them (its claims, in its formats).
#[derive(Debug, Clone)]
pub struct FcPerson {
    pub sub: String,
    pub given_name: String,
    pub family_name: String,
    /// `YYYY-MM-DD`.
    pub birthdate: String,
    /// INSEE code of the commune of birth; empty when born abroad.
    pub birthplace: String,
    /// INSEE code of the country of birth (`99100`: France).
    pub birthcountry: String,
    /// `female` or `male`.
    pub gender: String,
    pub email: String,
    pub preferred_username: String,
}

impl FcPerson {
    /// Angela Claire Louise DUBOIS, FranceConnect's own test identity (born in Paris 20e).
    pub fn angela(email: &str) -> FcPerson {
        FcPerson {
            sub: "b6048e95bb134ec5b1d1e1fa69f287172e91722b9354d637a1bcf2ebb0fd2ef5v1".into(),
            given_name: "Angela Claire Louise".into(),
            family_name: "DUBOIS".into(),
            birthdate: "1962-08-24".into(),
            birthplace: "75120".into(),
            birthcountry: "99100".into(),
            gender: "female".into(),
            email: email.into(),
            preferred_username: String::new(),
        }
    }
}

/// What the provider does at the next login.
#[derive(Debug, Clone)]
pub enum Next {
    /// Logs this person in.
    Login(FcPerson),
    /// Sends the person back with this OAuth error (`access_denied` when they cancel).
    Error(&'static str),
    /// A nonce other than the one asked.
    WrongNonce(FcPerson),
    /// The tokens signed by a key not in its JWKS (under the same `kid`).
    ForeignKey(FcPerson),
    /// This `acr` instead of `eidas1`.
    Acr(FcPerson, &'static str),
    /// The userinfo as plain JSON.
    UnsignedUserinfo(FcPerson),
}

struct Grant {
    nonce: String,
    challenge: String,
    redirect_uri: String,
    next: Next,
}

#[derive(Default)]
struct Inner {
    next: Option<Next>,
    codes: HashMap<String, Grant>,
    tokens: HashMap<String, Next>,
    logouts: Vec<String>,
    redirect_uris: Vec<String>,
}

#[derive(Clone)]
struct Shared {
    issuer: String,
    inner: Arc<Mutex<Inner>>,
}

/// The provider, listening on loopback until dropped with the test's runtime.
pub struct FakeFranceConnect {
    pub base: String,
    shared: Shared,
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

fn random() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

fn jwk() -> Value {
    let key = EncodingKey::from_ec_pem(KEY.as_bytes()).unwrap();
    let mut jwk = jsonwebtoken::jwk::Jwk::from_encoding_key(&key, Algorithm::ES256).unwrap();
    jwk.common.key_id = Some(KID.into());
    serde_json::to_value(jwk).unwrap()
}

fn sign(claims: &Value, foreign: bool) -> String {
    let mut header = Header::new(Algorithm::ES256);
    header.kid = Some(KID.into());
    let key = EncodingKey::from_ec_pem(if foreign { FOREIGN_KEY } else { KEY }.as_bytes()).unwrap();
    jsonwebtoken::encode(&header, claims, &key).unwrap()
}

fn person_of(next: &Next) -> Option<&FcPerson> {
    match next {
        Next::Login(p)
        | Next::WrongNonce(p)
        | Next::ForeignKey(p)
        | Next::Acr(p, _)
        | Next::UnsignedUserinfo(p) => Some(p),
        Next::Error(_) => None,
    }
}

fn bad(error: &str) -> HttpResponse {
    HttpResponse::BadRequest().json(json!({ "error": error }))
}

fn found(location: String) -> HttpResponse {
    HttpResponse::Found()
        .insert_header(("Location", location))
        .finish()
}

impl FakeFranceConnect {
    /// Starts the provider; `redirect_uris` are the return addresses registered for the client.
    pub async fn start() -> FakeFranceConnect {
        let inner = Arc::new(Mutex::new(Inner::default()));
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let base = format!("http://127.0.0.1:{port}");
        let shared = Shared {
            issuer: format!("{base}/api/v2"),
            inner,
        };
        let data = shared.clone();
        let server = HttpServer::new(move || {
            App::new()
                .app_data(web::Data::new(data.clone()))
                .route(
                    "/api/v2/.well-known/openid-configuration",
                    web::get().to(discovery),
                )
                .route("/api/v2/jwks", web::get().to(jwks))
                .route("/api/v2/authorize", web::get().to(authorize))
                .route("/api/v2/token", web::post().to(token))
                .route("/api/v2/userinfo", web::get().to(userinfo))
                .route("/api/v2/session/end", web::get().to(end_session))
        })
        .workers(1)
        .listen(listener)
        .unwrap()
        .run();
        tokio::spawn(server);
        FakeFranceConnect { base, shared }
    }

    pub fn issuer(&self) -> String {
        self.shared.issuer.clone()
    }

    /// Registers the app's return addresses (`<app>/connexion/franceconnect/retour`…).
    pub fn register(&self, redirect_uri: &str) {
        self.shared
            .inner
            .lock()
            .unwrap()
            .redirect_uris
            .push(redirect_uri.to_owned());
    }

    /// What the next login does.
    pub fn set_next(&self, next: Next) {
        self.shared.inner.lock().unwrap().next = Some(next);
    }

    /// The `id_token_hint`s received at logout.
    pub fn logouts(&self) -> Vec<String> {
        self.shared.inner.lock().unwrap().logouts.clone()
    }
}

async fn discovery(s: web::Data<Shared>) -> HttpResponse {
    let i = &s.issuer;
    HttpResponse::Ok().json(json!({
        "issuer": i,
        "authorization_endpoint": format!("{i}/authorize"),
        "token_endpoint": format!("{i}/token"),
        "userinfo_endpoint": format!("{i}/userinfo"),
        "jwks_uri": format!("{i}/jwks"),
        "end_session_endpoint": format!("{i}/session/end"),
        "response_types_supported": ["code"],
        "grant_types_supported": ["authorization_code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["ES256", "RS256"],
        "userinfo_signing_alg_values_supported": ["ES256", "RS256"],
        "token_endpoint_auth_methods_supported": ["client_secret_post"],
        "code_challenge_methods_supported": ["S256"],
        "acr_values_supported": ["eidas1", "eidas2", "eidas3"],
        "scopes_supported": ["openid", "given_name", "family_name", "birthdate", "birthplace", "birthcountry", "gender", "email", "preferred_username"],
        "claims_supported": ["sub", "given_name", "family_name", "birthdate", "birthplace", "birthcountry", "gender", "email", "preferred_username"],
    }))
}

async fn jwks() -> HttpResponse {
    HttpResponse::Ok().json(json!({ "keys": [jwk()] }))
}

async fn authorize(req: HttpRequest, s: web::Data<Shared>) -> HttpResponse {
    let q: HashMap<String, String> = form_urlencoded::parse(req.query_string().as_bytes())
        .into_owned()
        .collect();
    let get = |k: &str| q.get(k).cloned().unwrap_or_default();
    let mut inner = s.inner.lock().unwrap();
    if get("client_id") != CLIENT_ID {
        return bad("invalid_client");
    }
    let redirect_uri = get("redirect_uri");
    if !inner.redirect_uris.contains(&redirect_uri) {
        return bad("invalid_redirect_uri");
    }
    if get("response_type") != "code"
        || get("code_challenge_method") != "S256"
        || get("code_challenge").len() < 43
        || get("state").len() < 32
        || get("nonce").len() < 32
        || !get("scope").split(' ').any(|s| s == "openid")
    {
        return bad("invalid_request");
    }
    let next = inner
        .next
        .take()
        .unwrap_or_else(|| Next::Login(FcPerson::angela("angela.dubois@exemple.fr")));
    let state = get("state");
    let mut back = url::Url::parse(&redirect_uri).unwrap();
    if let Next::Error(code) = next {
        back.query_pairs_mut()
            .append_pair("error", code)
            .append_pair("error_description", "User auth aborted")
            .append_pair("state", &state);
        return found(back.to_string());
    }
    let code = random();
    inner.codes.insert(
        code.clone(),
        Grant {
            nonce: get("nonce"),
            challenge: get("code_challenge"),
            redirect_uri,
            next,
        },
    );
    back.query_pairs_mut()
        .append_pair("code", &code)
        .append_pair("state", &state);
    found(back.to_string())
}

async fn token(s: web::Data<Shared>, form: web::Form<HashMap<String, String>>) -> HttpResponse {
    let get = |k: &str| form.get(k).cloned().unwrap_or_default();
    if get("client_id") != CLIENT_ID || get("client_secret") != CLIENT_SECRET {
        return HttpResponse::Unauthorized().json(json!({ "error": "invalid_client" }));
    }
    let mut inner = s.inner.lock().unwrap();
    let Some(grant) = inner.codes.remove(&get("code")) else {
        return bad("invalid_grant");
    };
    let verifier = get("code_verifier");
    if grant.redirect_uri != get("redirect_uri")
        || b64(&Sha256::digest(verifier.as_bytes())) != grant.challenge
    {
        return bad("invalid_grant");
    }
    let Some(person) = person_of(&grant.next).cloned() else {
        return bad("invalid_grant");
    };
    let now = chrono::Utc::now().timestamp();
    let claims = json!({
        "iss": s.issuer,
        "sub": person.sub,
        "aud": CLIENT_ID,
        "exp": now + 60,
        "iat": now,
        "nonce": if matches!(grant.next, Next::WrongNonce(_)) { "un-autre-nonce".to_owned() } else { grant.nonce.clone() },
        "acr": match &grant.next { Next::Acr(_, a) => (*a).to_owned(), _ => "eidas1".to_owned() },
        "amr": ["pwd"],
    });
    let access = random();
    let foreign = matches!(grant.next, Next::ForeignKey(_));
    inner.tokens.insert(access.clone(), grant.next);
    HttpResponse::Ok().json(json!({
        "access_token": access,
        "token_type": "Bearer",
        "expires_in": 60,
        "id_token": sign(&claims, foreign),
        "scope": "openid given_name family_name birthdate birthplace birthcountry gender email preferred_username",
    }))
}

async fn userinfo(req: HttpRequest, s: web::Data<Shared>) -> HttpResponse {
    let access = req
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default()
        .to_owned();
    let inner = s.inner.lock().unwrap();
    let Some(next) = inner.tokens.get(&access) else {
        return HttpResponse::Unauthorized().json(json!({ "error": "invalid_token" }));
    };
    let Some(p) = person_of(next) else {
        return HttpResponse::Unauthorized().finish();
    };
    let claims = json!({
        "iss": s.issuer,
        "aud": CLIENT_ID,
        "sub": p.sub,
        "given_name": p.given_name,
        "family_name": p.family_name,
        "birthdate": p.birthdate,
        "birthplace": p.birthplace,
        "birthcountry": p.birthcountry,
        "gender": p.gender,
        "email": p.email,
        "preferred_username": p.preferred_username,
    });
    match next {
        Next::UnsignedUserinfo(_) => HttpResponse::Ok().json(claims),
        n => HttpResponse::Ok()
            .content_type("application/jwt")
            .body(sign(&claims, matches!(n, Next::ForeignKey(_)))),
    }
}

async fn end_session(req: HttpRequest, s: web::Data<Shared>) -> HttpResponse {
    let q: HashMap<String, String> = form_urlencoded::parse(req.query_string().as_bytes())
        .into_owned()
        .collect();
    let back = q.get("post_logout_redirect_uri").cloned().unwrap_or_default();
    let mut inner = s.inner.lock().unwrap();
    inner
        .logouts
        .push(q.get("id_token_hint").cloned().unwrap_or_default());
    let mut url = match url::Url::parse(&back) {
        Ok(u) => u,
        Err(_) => return bad("invalid_request"),
    };
    url.query_pairs_mut()
        .append_pair("state", q.get("state").map_or("", String::as_str));
    found(url.to_string())
}
