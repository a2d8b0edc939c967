// Mutual TLS (RFC 8705) for server.mjs --mtls DIR: the server then listens on
// https:// and asks every connection for a client certificate without
// requiring one (requestCert, rejectUnauthorized false), as an IAM that
// offers mTLS next to secrets does. DIR holds test-only files the harness
// generates per run (never committed):
//   server.pem, server.key   the server's certificate (for 127.0.0.1) and key
//   ca.pem                   the CA that issues tls_client_auth certificates
//   self-signed.pem          the certificate registered for mtls-self and mtls-short
// Clients:
//   mtls-self   self_signed_tls_client_auth, certificate-bound tokens
//   mtls-short  the same, tokens live --short-ttl seconds
//   mtls-pki    tls_client_auth, subject DN "CN=mtls-pki-client" from ca.pem
//   mtls-bound  client_secret_basic (secret mtls-bound-secret), certificate-bound tokens

import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';

export const PKI_SUBJECT_DN = 'CN=mtls-pki-client';

const peer = (ctx) => {
  const cert = ctx.req.socket.getPeerX509Certificate?.();
  return cert || undefined;
};

/// base64url SHA-256 of the DER certificate the connection presented (RFC 8705 3.1), or undefined.
export const presentedThumbprint = (ctx) => {
  const cert = peer(ctx);
  return cert ? crypto.hash('sha256', cert.raw, 'base64url') : undefined;
};

export function mtls(dir) {
  const read = (f) => fs.readFileSync(path.join(dir, f));
  const selfSigned = new crypto.X509Certificate(read('self-signed.pem'));
  const jwk = { ...selfSigned.publicKey.export({ format: 'jwk' }), x5c: [selfSigned.raw.toString('base64')] };
  const base = {
    grant_types: ['client_credentials'],
    redirect_uris: [],
    response_types: [],
    scope: 'api:read',
    tls_client_certificate_bound_access_tokens: true,
  };
  return {
    serverOptions: {
      key: read('server.key'),
      cert: read('server.pem'),
      ca: [read('ca.pem')],
      requestCert: true,
      rejectUnauthorized: false,
    },
    clients: [
      { ...base, client_id: 'mtls-self', token_endpoint_auth_method: 'self_signed_tls_client_auth', jwks: { keys: [jwk] } },
      { ...base, client_id: 'mtls-short', token_endpoint_auth_method: 'self_signed_tls_client_auth', jwks: { keys: [jwk] } },
      { ...base, client_id: 'mtls-pki', token_endpoint_auth_method: 'tls_client_auth', tls_client_auth_subject_dn: PKI_SUBJECT_DN },
      { ...base, client_id: 'mtls-bound', client_secret: 'mtls-bound-secret', token_endpoint_auth_method: 'client_secret_basic' },
    ],
    // oidc-provider's default methods plus the two of RFC 8705.
    clientAuthMethods: [
      'client_secret_basic', 'client_secret_jwt', 'client_secret_post', 'private_key_jwt', 'none',
      'tls_client_auth', 'self_signed_tls_client_auth',
    ],
    feature: {
      enabled: true,
      certificateBoundAccessTokens: true,
      selfSignedTlsClientAuth: true,
      tlsClientAuth: true,
      getCertificate: peer,
      // Issued by ca.pem (the TLS layer checked the chain against it).
      certificateAuthorized: (ctx) => ctx.req.socket.authorized === true,
      certificateSubjectMatches: (ctx, property, expected) =>
        property === 'tls_client_auth_subject_dn' && peer(ctx)?.subject === expected,
    },
  };
}
