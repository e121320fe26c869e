// A loopback OpenID Connect provider that behaves like FranceConnect v2, for the browser tests (the Rust
// journeys have their own, crates/test_support/src/franceconnect.rs): discovery under /api/v2, a JWKS of
// one P-256 key, authorize (client, return address, PKCE S256, state and nonce checked; answers at once with
// a code, or with the error it was told), token (client_secret_post, one use per code, the verifier
// checked; an ES256 ID token), userinfo (an ES256-signed JWT, application/jwt, FranceConnect's claims in
// their formats) and session/end. The tests tell it who logs in next: POST /test/next with
// {"person": {...}} (claims over FranceConnect's test identity below) or {"error": "access_denied"}.
//
//   node fake-franceconnect.mjs PORT CLIENT_ID CLIENT_SECRET REDIRECT_URI

import { createHash, generateKeyPairSync, randomUUID, sign } from 'node:crypto';
import { createServer } from 'node:http';

const [port, clientId, clientSecret, redirectUri] = process.argv.slice(2);
const issuer = `http://127.0.0.1:${port}/api/v2`;
const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const jwk = { ...publicKey.export({ format: 'jwk' }), kid: 'fc-e2e-es256', use: 'sig', alg: 'ES256' };

const ANGELA = {
  sub: 'b6048e95bb134ec5b1d1e1fa69f287172e91722b9354d637a1bcf2ebb0fd2ef5v1',
  given_name: 'Angela Claire Louise',
  family_name: 'DUBOIS',
  birthdate: '1962-08-24',
  birthplace: '75120',
  birthcountry: '99100',
  gender: 'female',
  email: 'angela.dubois@exemple.fr',
  preferred_username: '',
};

let next = { person: ANGELA };
const codes = new Map();
const tokens = new Map();

const b64 = (buf) => Buffer.from(buf).toString('base64url');
function jwt(claims) {
  const head = b64(JSON.stringify({ alg: 'ES256', typ: 'JWT', kid: jwk.kid }));
  const body = b64(JSON.stringify(claims));
  const signature = sign('sha256', Buffer.from(`${head}.${body}`), { key: privateKey, dsaEncoding: 'ieee-p1363' });
  return `${head}.${body}.${b64(signature)}`;
}

function send(res, status, body, type = 'application/json') {
  res.writeHead(status, { 'content-type': type });
  res.end(typeof body === 'string' ? body : JSON.stringify(body));
}
function redirect(res, location) {
  res.writeHead(302, { location });
  res.end();
}
async function body(req) {
  let data = '';
  for await (const chunk of req) data += chunk;
  return data;
}

createServer(async (req, res) => {
  const url = new URL(req.url, `http://127.0.0.1:${port}`);
  const q = url.searchParams;
  try {
    if (url.pathname === '/api/v2/.well-known/openid-configuration') {
      return send(res, 200, {
        issuer,
        authorization_endpoint: `${issuer}/authorize`,
        token_endpoint: `${issuer}/token`,
        userinfo_endpoint: `${issuer}/userinfo`,
        jwks_uri: `${issuer}/jwks`,
        end_session_endpoint: `${issuer}/session/end`,
        response_types_supported: ['code'],
        id_token_signing_alg_values_supported: ['ES256', 'RS256'],
        userinfo_signing_alg_values_supported: ['ES256', 'RS256'],
        token_endpoint_auth_methods_supported: ['client_secret_post'],
        code_challenge_methods_supported: ['S256'],
        acr_values_supported: ['eidas1', 'eidas2', 'eidas3'],
      });
    }
    if (url.pathname === '/api/v2/jwks') return send(res, 200, { keys: [jwk] });
    if (url.pathname === '/test/next' && req.method === 'POST') {
      next = JSON.parse(await body(req));
      return send(res, 200, { ok: true });
    }
    if (url.pathname === '/api/v2/authorize') {
      const ok = q.get('client_id') === clientId && q.get('redirect_uri') === redirectUri && q.get('response_type') === 'code'
        && q.get('code_challenge_method') === 'S256' && (q.get('state') ?? '').length >= 32 && (q.get('nonce') ?? '').length >= 32
        && (q.get('scope') ?? '').split(' ').includes('openid');
      if (!ok) return send(res, 400, { error: 'invalid_request' });
      const back = new URL(redirectUri);
      const current = next;
      next = { person: ANGELA };
      if (current.error) {
        back.searchParams.set('error', current.error);
        back.searchParams.set('error_description', 'User auth aborted');
      } else {
        const code = randomUUID();
        codes.set(code, { person: { ...ANGELA, ...current.person }, nonce: q.get('nonce'), challenge: q.get('code_challenge') });
        back.searchParams.set('code', code);
      }
      back.searchParams.set('state', q.get('state'));
      return redirect(res, back.toString());
    }
    if (url.pathname === '/api/v2/token' && req.method === 'POST') {
      const f = new URLSearchParams(await body(req));
      if (f.get('client_id') !== clientId || f.get('client_secret') !== clientSecret) return send(res, 401, { error: 'invalid_client' });
      const grant = codes.get(f.get('code'));
      codes.delete(f.get('code'));
      const verifier = f.get('code_verifier') ?? '';
      if (!grant || f.get('redirect_uri') !== redirectUri || b64(createHash('sha256').update(verifier).digest()) !== grant.challenge) {
        return send(res, 400, { error: 'invalid_grant' });
      }
      const now = Math.floor(Date.now() / 1000);
      const access = randomUUID();
      tokens.set(access, grant.person);
      return send(res, 200, {
        access_token: access,
        token_type: 'Bearer',
        expires_in: 60,
        id_token: jwt({ iss: issuer, sub: grant.person.sub, aud: clientId, exp: now + 60, iat: now, nonce: grant.nonce, acr: 'eidas1', amr: ['pwd'] }),
      });
    }
    if (url.pathname === '/api/v2/userinfo') {
      const person = tokens.get((req.headers.authorization ?? '').replace(/^Bearer /, ''));
      if (!person) return send(res, 401, { error: 'invalid_token' });
      return send(res, 200, jwt({ iss: issuer, aud: clientId, ...person }), 'application/jwt');
    }
    if (url.pathname === '/api/v2/session/end') {
      const back = new URL(q.get('post_logout_redirect_uri'));
      back.searchParams.set('state', q.get('state') ?? '');
      return redirect(res, back.toString());
    }
    send(res, 404, { error: 'not_found' });
  } catch (e) {
    send(res, 500, { error: String(e) });
  }
}).listen(Number(port), '127.0.0.1', () => console.log(`fake FranceConnect on ${issuer}`));
