//! Mutual TLS (RFC 8705): the HTTPS simulator asks every client for a
//! certificate without requiring one and accepts any (it authenticates no
//! client by certificate); a token requested with a certificate is bound to
//! it, and the protected API refuses it with another certificate or none
//! (401 `invalid_token`), as a resource server checking `cnf.x5t#S256` does.

use crate::http::{Request, Response};
use crate::state::State;
use rustls::client::danger::HandshakeSignatureValid;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, UnixTime};
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::{DigitallySignedStruct, DistinguishedName, SignatureScheme};
use serde_json::json;
use std::sync::Arc;

/// Binds `token` to the certificate presented with its request, if any.
pub(crate) fn bind(st: &State, token: &str, req: &Request) {
    if let Some(cert) = &req.client_cert {
        if let Some(t) = st.issued.lock().get_mut(token) {
            t.bound_to = Some(cert.clone());
        }
    }
}

/// A 401 `invalid_token` when `token` is bound to a certificate `req` did not present.
pub(crate) fn check(st: &State, token: &str, req: &Request) -> Result<(), Response> {
    let unbound = {
        let issued = st.issued.lock();
        let bound = issued.get(token).and_then(|t| t.bound_to.clone());
        bound.is_some_and(|b| req.client_cert.as_deref() != Some(&*b))
    };
    if !unbound {
        return Ok(());
    }
    st.stats.lock().api_unbound_tokens += 1;
    Err(Response::json(401, &json!({"error": "invalid_token"})).with_header(
        "WWW-Authenticate",
        "Bearer realm=\"iam-sim\", error=\"invalid_token\", error_description=\"The certificate-bound access token came without its certificate\"",
    ))
}

/// Offers client authentication, accepts any certificate whose handshake signature is valid.
#[derive(Debug)]
pub(crate) struct AnyClientCert(pub(crate) Arc<CryptoProvider>);

impl ClientCertVerifier for AnyClientCert {
    fn offer_client_auth(&self) -> bool {
        true
    }

    fn client_auth_mandatory(&self) -> bool {
        false
    }

    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        &[]
    }

    fn verify_client_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _now: UnixTime,
    ) -> Result<ClientCertVerified, rustls::Error> {
        Ok(ClientCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.0.signature_verification_algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.0.signature_verification_algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}
