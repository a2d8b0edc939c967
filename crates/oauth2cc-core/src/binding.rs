//! The identity of the key a token is bound to, so that a bound token is
//! shared (file cache, fleet) only between holders of that key:
//!
//! - a client certificate (RFC 8705 `cnf.x5t#S256`): SHA-256 of the leaf
//!   certificate's DER, the same on every host and at any path, and another
//!   one after a rotation;
//! - DPoP (RFC 9449): the DPoP key's RFC 7638 thumbprint; a key the client
//!   generated is its own, so its tokens are not shared at all.
//!
//! Computed once per configuration, when the client is created.

use crate::config::Config;
use crate::error::Error;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::CertificateDer;

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Binding {
    /// SHA-256 of the client certificate's DER (the leaf), if one is configured.
    cert: Option<[u8; 32]>,
    /// The DPoP key's identity, if DPoP is on.
    dpop: Option<Dpop>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct Dpop {
    /// SHA-256 of the key's RFC 7638 thumbprint.
    id: [u8; 32],
    /// False for a key this client generated: no other client holds it, so
    /// its tokens are not shared at all (the budget and pauses still are).
    shared: bool,
}

impl Binding {
    /// Feeds `update` what identifies a configuration's token, never the
    /// secret, each part preceded by its length: token URL, client id, auth
    /// method, scope, audience, resource, then, only when set (so that other
    /// configurations keep their names), the client certificate (a bound
    /// token serves only its holders, at any path, on any host) and the
    /// issuer (with discovery the token URL is empty: the issuer names the
    /// token). The file cache's names and the fleet's Redis keys both come from it.
    pub(crate) fn identify(&self, cfg: &Config, update: &mut dyn FnMut(&[u8])) {
        let mut part = |p: &[u8]| {
            update(&(p.len() as u64).to_be_bytes());
            update(p);
        };
        fn opt(o: &Option<String>) -> &[u8] {
            o.as_deref().unwrap_or_default().as_bytes()
        }
        for p in [
            cfg.token_url.as_bytes(),
            cfg.client_id.as_bytes(),
            cfg.auth_method.as_str().as_bytes(),
            opt(&cfg.scope),
            opt(&cfg.audience),
            opt(&cfg.resource),
        ] {
            part(p);
        }
        if let Some(cert) = self.credential_part() {
            part(b"client_cert");
            part(cert);
        }
        if let Some(issuer) = &cfg.issuer {
            part(b"issuer");
            part(issuer.as_bytes());
        }
    }

    /// `dpop_jkt`: the thumbprint of the client's DPoP key (None without DPoP).
    pub(crate) fn new(cfg: &Config, dpop_jkt: Option<&str>) -> Result<Binding, Error> {
        let cert = match &cfg.client_cert {
            Some(path) => Some(leaf_sha256(path)?),
            None => None,
        };
        let dpop = dpop_jkt.map(|jkt| Dpop { id: sha256(jkt.as_bytes()), shared: cfg.dpop_key.is_some() });
        Ok(Binding { cert, dpop })
    }

    /// What identifies the credential (the certificate may be it, as with
    /// tls_client_auth): part of every key (tokens, pauses, locks).
    pub(crate) fn credential_part(&self) -> Option<&[u8]> {
        self.cert.as_ref().map(|c| c.as_slice())
    }

    /// What identifies the token's key beyond the credential (DPoP): part of
    /// the token's key only, so that pauses and the budget stay shared.
    pub(crate) fn token_part(&self) -> Option<&[u8]> {
        self.dpop.as_ref().map(|d| d.id.as_slice())
    }

    /// False when no other client can hold the key: tokens are not shared
    /// at all (nothing is written that nobody could read).
    pub(crate) fn shares_tokens(&self) -> bool {
        self.dpop.as_ref().is_none_or(|d| d.shared)
    }
}

fn sha256(b: &[u8]) -> [u8; 32] {
    let mut out = [0u8; 32];
    out.copy_from_slice(ring::digest::digest(&ring::digest::SHA256, b).as_ref());
    out
}

/// SHA-256 of the first certificate of a PEM file (the client's own).
fn leaf_sha256(path: &std::path::Path) -> Result<[u8; 32], Error> {
    let pem = crate::settings::read_small_file(path, crate::client_cert::MAX_PEM_FILE).map_err(|e| {
        Error::config(format!("cannot read client certificate file {}: {e}", crate::error::shown_path(path)))
    })?;
    let leaf = CertificateDer::pem_slice_iter(&pem).next().and_then(Result::ok).ok_or_else(|| {
        Error::config(format!("client certificate file {} holds no PEM certificate", crate::error::shown_path(path)))
    })?;
    Ok(sha256(leaf.as_ref()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dpop_keys_from_files_are_shared_and_generated_ones_are_not() {
        let base = Config::new("https://h/t", "id", "s");
        let from_file = base.clone().dpop(true).dpop_key("/k.pem");
        let (a, b) =
            (Binding::new(&from_file, Some("jkt-a")).unwrap(), Binding::new(&from_file, Some("jkt-b")).unwrap());
        assert_eq!(a, Binding::new(&from_file, Some("jkt-a")).unwrap(), "the same key (thumbprint)");
        assert_ne!(a.token_part(), b.token_part());
        assert!(a.shares_tokens() && a.credential_part().is_none());
        let generated = Binding::new(&base.clone().dpop(true), Some("jkt-a")).unwrap();
        assert!(!generated.shares_tokens());
        assert_eq!(Binding::new(&base, None).unwrap(), Binding::default());
        assert!(Binding::default().shares_tokens());
    }
}
