// oidc-provider (an OpenID Certified authorization server nobody on this team
// wrote) set up for oauth2cc's interop tests. Listens on 127.0.0.1 with an
// OS-chosen port and prints "listening on http://127.0.0.1:PORT" when ready.
// Exits when its standard input closes, so it never outlives the test harness.
//
//   node server.mjs [--ttl SECONDS] [--short-ttl SECONDS] [--mtls DIR]
//
// --mtls DIR: https:// with mutual TLS and four more clients (see mtls.mjs); the discovery
// document publishes mtls_endpoint_aliases.token_endpoint = /mtls/token, the token endpoint
// under another path (its POSTs counted in mtls_alias_token_requests as well as token_requests).
//
// Clients (ids and secrets are test fixtures):
//   basic-client / basic-secret       client_secret_basic, scope api:read allowed
//   post-client  / post-secret        client_secret_post
//   ODD_ID       / ODD_SECRET         client_secret_basic, characters RFC 6749 2.3.1 encoding changes
//   odd-post     / ODD_SECRET         client_secret_post, same secret
//   odd-secret   / ODD_SECRET         client_secret_basic, plain id (for the raw Basic variant)
//   short-client / short-secret       client_secret_basic, tokens live --short-ttl seconds
//   spaced-client / SPACED_SECRET     client_secret_basic, a space and + / = % :
//   jwt-secret / JWT_SECRET           client_secret_jwt (HS256, HS384, HS512)
//   jwt-rsa, jwt-ec, jwt-ed           private_key_jwt, jwks = the public halves of the test keys in
//                                     tests/fixtures/keys (rsa2048; p256 and p384; ed25519), kid =
//                                     the RFC 7638 thumbprint (ed25519: kid "interop-ed-1")
//   jwt-short                         private_key_jwt (p256), tokens live --short-ttl seconds
//   dpop-client  / dpop-secret        client_secret_basic, DPoP-bound tokens required (dpop_bound_access_tokens)
//   dpop-short   / dpop-secret        the same, tokens live --short-ttl seconds
// Extra routes:
//   GET  /api/echo        protected: 200 for a valid token, 401 with an RFC 6750 challenge otherwise
//                         (also for a certificate-bound token sent without its certificate)
//   GET  /test/stats      {"token_requests": n, "api_ok": n, "api_expired": n, "api_invalid": n, ...}
//   POST /test/revoke-all revokes every token issued so far
//   GET  /test/last-assertion {"client_id", "client_assertion"} of the last token request that had one
//   GET  /api/dpop        protected, DPoP only: the proof verified with jose (signature by the embedded
//                         jwk, typ, htm, htu, iat, jti replay, ath, the route's own nonce when required)
//                         and the token's cnf.jkt binding; 401 with a DPoP challenge otherwise
//   POST /test/dpop       {"token_endpoint_nonce": bool, "api_nonce": bool, "rotate_api_nonce": bool}
//                         (features.dPoP.requireNonce for the token endpoint; the route's nonce)

import crypto from 'node:crypto';
import http from 'node:http';
import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import https from 'node:https';
import { calculateJwkThumbprint, EmbeddedJWK, jwtVerify } from 'jose';
import Provider from 'oidc-provider';
import { mtls, presentedThumbprint } from './mtls.mjs';

const arg = (name, dflt) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const TTL = arg('--ttl', 300);
const SHORT_TTL = arg('--short-ttl', 3);
const mtlsDir = process.argv.includes('--mtls') ? process.argv[process.argv.indexOf('--mtls') + 1] : null;
const MTLS = mtlsDir ? mtls(mtlsDir) : null;

export const ODD_ID = 'svc:a%b+c/d e&f=g#h~i';
export const ODD_SECRET = 's:e%c+r/e t&=#~';
export const SPACED_SECRET = 'a b+c/d=e%f:g~';
// 64 bytes: long enough for HS512.
export const JWT_SECRET = 'jwt-secret-of-sixty-four-bytes-for-hs512-0123456789abcdefghijklm';

// Public JWKs of the test keys (tests/fixtures/keys/README.md), each with its RFC 7638
// thumbprint as kid, as a client's published JWKS usually has (oidc-provider matches
// the assertion's kid exactly); the ed25519 key has a chosen kid instead.
const PUBLIC_JWKS = JSON.parse(readFileSync(new URL('../fixtures/keys/public.jwks.json', import.meta.url)));
const REQUIRED = { RSA: ['e', 'kty', 'n'], EC: ['crv', 'kty', 'x', 'y'], OKP: ['crv', 'kty', 'x'] };
const thumbprint = (jwk) => createHash('sha256')
  .update(JSON.stringify(Object.fromEntries(REQUIRED[jwk.kty].map((m) => [m, jwk[m]]))))
  .digest('base64url');
for (const [name, jwk] of Object.entries(PUBLIC_JWKS)) {
  jwk.kid = name === 'ed25519' ? 'interop-ed-1' : thumbprint(jwk);
}
const keyClient = (client_id, keys) => ({
  ...cc(client_id, undefined, 'private_key_jwt'),
  jwks: { keys: keys.map((k) => PUBLIC_JWKS[k]) },
});
const SHORT_CLIENTS = ['short-client', 'jwt-short', 'mtls-short', 'dpop-short'];
let lastAssertion = {};

const cc = (client_id, client_secret, method, scope = 'api:read') => ({
  client_id,
  client_secret,
  grant_types: ['client_credentials'],
  redirect_uris: [],
  response_types: [],
  token_endpoint_auth_method: method,
  scope,
});

const stats = {
  token_requests: 0, api_ok: 0, api_expired: 0, api_invalid: 0, api_unbound: 0,
  dpop_ok: 0, dpop_refused: 0, dpop_replays: 0, dpop_nonce_refusals: 0, mtls_alias_token_requests: 0,
};
const MTLS_ALIAS = '/mtls/token';
const dpop = { tokenEndpointNonce: false, apiNonce: false, nonce: crypto.randomBytes(16).toString('base64url') };
const seenJti = new Set();
const bound = (client) => ({ ...client, dpop_bound_access_tokens: true });
const issued = new Map(); // token value -> { exp (s), model }

const server = MTLS ? https.createServer(MTLS.serverOptions) : http.createServer();
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address();
  const issuer = `${MTLS ? 'https' : 'http'}://127.0.0.1:${port}`;
  const provider = new Provider(issuer, {
    clients: [
      cc('basic-client', 'basic-secret', 'client_secret_basic', 'api:read api:write'),
      cc('post-client', 'post-secret', 'client_secret_post'),
      cc(ODD_ID, ODD_SECRET, 'client_secret_basic'),
      cc('odd-post', ODD_SECRET, 'client_secret_post'),
      cc('odd-secret', ODD_SECRET, 'client_secret_basic'),
      cc('short-client', 'short-secret', 'client_secret_basic'),
      cc('spaced-client', SPACED_SECRET, 'client_secret_basic'),
      cc('jwt-secret', JWT_SECRET, 'client_secret_jwt'),
      keyClient('jwt-rsa', ['rsa2048']),
      keyClient('jwt-ec', ['p256', 'p384']),
      keyClient('jwt-ed', ['ed25519']),
      keyClient('jwt-short', ['p256']),
      bound(cc('dpop-client', 'dpop-secret', 'client_secret_basic')),
      bound(cc('dpop-short', 'dpop-secret', 'client_secret_basic')),
      ...(MTLS ? MTLS.clients : []),
    ],
    clientAuthMethods: ['client_secret_basic', 'client_secret_post', 'client_secret_jwt', 'private_key_jwt'],
    enabledJWA: {
      clientAuthSigningAlgValues: ['HS256', 'HS384', 'HS512', 'RS256', 'PS256', 'ES256', 'ES384', 'EdDSA'],
    },
    scopes: ['api:read', 'api:write', 'admin'],
    ...(MTLS ? { clientAuthMethods: MTLS.clientAuthMethods } : {}),
    // RFC 8705 section 5: oidc-provider has no alias setting of its own; its `discovery` option adds members.
    ...(MTLS ? { discovery: { mtls_endpoint_aliases: { token_endpoint: `${issuer}${MTLS_ALIAS}` } } } : {}),
    features: {
      clientCredentials: { enabled: true },
      devInteractions: { enabled: false },
      dPoP: {
        enabled: true,
        nonceSecret: crypto.randomBytes(32),
        requireNonce: () => dpop.tokenEndpointNonce,
      },
      ...(MTLS ? { mTLS: MTLS.feature } : {}),
    },
    ttl: {
      ClientCredentials: (ctx, token, client) => (SHORT_CLIENTS.includes(client.clientId) ? SHORT_TTL : TTL),
    },
  });

  // INTEROP_DEBUG=1: why the provider refused a request (its answers keep the detail to themselves).
  if (process.env.INTEROP_DEBUG) {
    provider.on('grant.error', (ctx, err) => process.stderr.write(`grant.error: ${err.message} ${err.error_detail ?? ''}\n`));
  }

  provider.on('client_credentials.saved', (token) => {
    issued.set(token.value, { exp: token.exp, model: token });
  });

  // The mTLS alias is the token endpoint under another path, counted apart.
  provider.use(async (ctx, next) => {
    if (MTLS && ctx.path === MTLS_ALIAS) {
      if (ctx.method === 'POST') stats.mtls_alias_token_requests += 1;
      ctx.path = '/token';
    }
    await next();
  });

  // Count every request that reaches the token endpoint, whatever its fate.
  provider.use(async (ctx, next) => {
    if (ctx.method === 'POST' && ctx.path === '/token') stats.token_requests += 1;
    await next();
  });

  // The last client assertion, for the replay test (read once the provider parsed the form).
  provider.use(async (ctx, next) => {
    try {
      await next();
    } finally {
      const p = ctx.oidc?.params;
      if (ctx.path === '/token' && p?.client_assertion) {
        lastAssertion = { client_id: p.client_id, client_assertion: p.client_assertion };
      }
    }
  });

  provider.use(async (ctx, next) => {
    if (ctx.path === '/test/last-assertion') {
      ctx.body = lastAssertion;
      return;
    }
    if (ctx.path === '/test/stats') {
      ctx.body = stats;
      return;
    }
    if (ctx.path === '/test/dpop' && ctx.method === 'POST') {
      const body = await new Promise((resolve) => {
        let data = '';
        ctx.req.on('data', (c) => { data += c; });
        ctx.req.on('end', () => resolve(data ? JSON.parse(data) : {}));
      });
      dpop.tokenEndpointNonce = !!body.token_endpoint_nonce;
      dpop.apiNonce = !!body.api_nonce;
      if (body.rotate_api_nonce) dpop.nonce = crypto.randomBytes(16).toString('base64url');
      ctx.body = { nonce: dpop.nonce };
      return;
    }
    if (ctx.path === '/api/dpop') {
      // A resource server's side of RFC 9449 (section 7), with jose: nothing of oauth2cc's.
      const refuse = (error, description) => {
        stats.dpop_refused += 1;
        ctx.status = 401;
        ctx.set('WWW-Authenticate', `DPoP algs="ES256", error="${error}", error_description="${description}"`);
        if (dpop.apiNonce) ctx.set('DPoP-Nonce', dpop.nonce);
      };
      const m = /^dpop\s+(\S+)$/i.exec(ctx.get('authorization'));
      const proof = ctx.get('dpop');
      if (!m || !proof) return refuse('invalid_request', 'DPoP token and proof required');
      let header;
      let claims;
      try {
        ({ payload: claims, protectedHeader: header } = await jwtVerify(proof, EmbeddedJWK, { algorithms: ['ES256'], typ: 'dpop+jwt' }));
      } catch (e) {
        return refuse('invalid_dpop_proof', 'signature');
      }
      const now = Math.floor(Date.now() / 1000);
      if (claims.htm !== ctx.method) return refuse('invalid_dpop_proof', 'htm');
      if (claims.htu !== `${issuer}${ctx.path}`) return refuse('invalid_dpop_proof', 'htu');
      if (typeof claims.iat !== 'number' || Math.abs(now - claims.iat) > 60) return refuse('invalid_dpop_proof', 'iat');
      if (claims.ath !== crypto.hash('sha256', m[1], 'base64url')) return refuse('invalid_dpop_proof', 'ath');
      if (dpop.apiNonce && claims.nonce !== dpop.nonce) {
        stats.dpop_nonce_refusals += 1;
        return refuse('use_dpop_nonce', 'Resource server requires nonce in DPoP proof');
      }
      if (typeof claims.jti !== 'string' || seenJti.has(claims.jti)) {
        stats.dpop_replays += 1;
        return refuse('invalid_dpop_proof', 'jti replay');
      }
      seenJti.add(claims.jti);
      const token = await provider.ClientCredentials.find(m[1]);
      if (!token) return refuse('invalid_token', 'invalid token');
      if (!token.jkt || token.jkt !== await calculateJwkThumbprint(header.jwk, 'sha256')) {
        return refuse('invalid_token', 'the token is not bound to the proof key');
      }
      stats.dpop_ok += 1;
      if (dpop.apiNonce) ctx.set('DPoP-Nonce', dpop.nonce);
      ctx.body = { ok: true, client: token.clientId, jkt: token.jkt };
      return;
    }
    if (ctx.path === '/test/revoke-all' && ctx.method === 'POST') {
      const all = [...issued.values()];
      await Promise.all(all.map(({ model }) => model.destroy()));
      ctx.body = { revoked: all.length };
      return;
    }
    if (ctx.path === '/api/echo') {
      const auth = ctx.get('authorization');
      const m = /^bearer\s+(\S+)$/i.exec(auth);
      if (!m) {
        ctx.status = 401;
        ctx.set('WWW-Authenticate', 'Bearer realm="interop"');
        return;
      }
      // find() returns nothing for an expired, revoked or unknown token.
      const token = await provider.ClientCredentials.find(m[1]);
      if (!token) {
        const known = issued.get(m[1]);
        if (known && known.exp <= Date.now() / 1000) stats.api_expired += 1;
        else stats.api_invalid += 1;
        ctx.status = 401;
        ctx.set('WWW-Authenticate', 'Bearer realm="interop", error="invalid_token", error_description="invalid token"');
        return;
      }
      // RFC 8705 section 3: a certificate-bound token comes with its certificate.
      if (token['x5t#S256'] && token['x5t#S256'] !== presentedThumbprint(ctx)) {
        stats.api_unbound += 1;
        ctx.status = 401;
        ctx.set('WWW-Authenticate', 'Bearer realm="interop", error="invalid_token", error_description="certificate-bound token presented without its certificate"');
        return;
      }
      stats.api_ok += 1;
      ctx.body = { ok: true, client: token.clientId, scope: token.scope };
      return;
    }
    await next();
  });

  server.on('request', provider.callback());
  process.stdout.write(`listening on ${issuer}\n`);
});

process.stdin.resume();
process.stdin.on('end', () => process.exit(0));
process.stdin.on('close', () => process.exit(0));
