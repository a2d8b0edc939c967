//! The client certificate of mutual TLS (RFC 8705): `tls_client_auth`,
//! `self_signed_tls_client_auth`, and certificate-bound tokens (`cnf.x5t#S256`)
//! with any method. Loaded and checked once, when the client is created, so a
//! missing, unreadable or mismatched file is a configuration error then, not at
//! the first request; the same certificate is presented to the token endpoint
//! and, through [`crate::Client::call_api`], to APIs.
//!
//! Key material: the file's bytes and the parsed key are held in buffers wiped
//! when dropped. The copy handed to ureq (and the key rustls/ring derive from
//! it) belong to those libraries, which free them without wiping: a limit of
//! their APIs, said in README.md. Nothing here logs or prints the certificate
//! or the key; errors name the file, never its content.

use crate::config::Config;
use crate::error::Error;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use std::path::Path;
use ureq::tls::{Certificate, ClientCert, PrivateKey};
use zeroize::Zeroize;

/// The certificate chain and key for `cfg`, or None when it configures none.
/// Both files or neither; a TLS method needs them.
pub(crate) fn from_config(cfg: &Config) -> Result<Option<ClientCert>, Error> {
    match (&cfg.client_cert, &cfg.client_key) {
        (Some(cert), Some(key)) => load(cert, key).map(Some),
        (Some(_), None) => Err(Error::config("a client certificate was given without its private key (client_key)")),
        (None, Some(_)) => Err(Error::config("a client key was given without its certificate (client_cert)")),
        (None, None) if cfg.auth_method.uses_client_certificate() => Err(Error::config(format!(
            "auth method {} needs a client certificate and its private key (client_cert and client_key)",
            cfg.auth_method.as_str()
        ))),
        (None, None) => Ok(None),
    }
}

/// The largest certificate or key file read (a certificate chain is a few KiB).
pub(crate) const MAX_PEM_FILE: u64 = 1 << 20;

/// Reads and checks a PEM certificate file (the client's certificate first,
/// then any intermediates) and a PEM key file (PKCS#8, PKCS#1 RSA or SEC1 EC,
/// unencrypted); the key must be the certificate's.
pub(crate) fn load(cert_path: &Path, key_path: &Path) -> Result<ClientCert, Error> {
    let read = |what: &str, p: &Path| {
        // Wiped: a certificate file may hold the key as well. Bounded: a
        // device, FIFO or huge file is refused without being read to the end.
        crate::settings::read_small_file(p, MAX_PEM_FILE)
            .map_err(|e| Error::config(format!("cannot read {what} file {}: {e}", crate::error::shown_path(p))))
    };
    let cert_pem = read("client certificate", cert_path)?;
    let chain = CertificateDer::pem_slice_iter(&cert_pem).collect::<Result<Vec<_>, _>>().map_err(|_| {
        Error::config(format!("client certificate file {} is not valid PEM", crate::error::shown_path(cert_path)))
    })?;
    if chain.is_empty() {
        return Err(Error::config(format!(
            "client certificate file {} holds no PEM certificate (-----BEGIN CERTIFICATE-----)",
            crate::error::shown_path(cert_path)
        )));
    }
    let key_pem = read("client key", key_path)?;
    let mut key = PrivateKeyDer::from_pem_slice(&key_pem).map_err(|e| {
        let why = match e {
            rustls::pki_types::pem::Error::NoItemsFound if contains(&key_pem, b"ENCRYPTED PRIVATE KEY") => {
                "holds an encrypted key, which is not supported; decrypt it (openssl pkey -in KEY -out PLAIN)"
            }
            rustls::pki_types::pem::Error::NoItemsFound => {
                "holds no private key (PEM PKCS#8 \"PRIVATE KEY\", PKCS#1 \"RSA PRIVATE KEY\" or SEC1 \"EC PRIVATE KEY\")"
            }
            // The error's own text may quote a line of the key: never shown.
            _ => "is not valid PEM",
        };
        Error::config(format!("client key file {} {why}", crate::error::shown_path(key_path)))
    })?;
    let checked = check_pair(&chain, &key, cert_path, key_path);
    key.zeroize();
    checked?;
    check_validity(&chain[0], cert_path)?;
    // ureq's own parse of the same first key (its key type has no public constructor from ours).
    let for_ureq = PrivateKey::from_pem(&key_pem).map_err(|_| {
        Error::config(format!("client key file {} is not valid PEM", crate::error::shown_path(key_path)))
    })?;
    let chain: Vec<Certificate<'static>> = chain.iter().map(|c| Certificate::from_der(c.as_ref()).to_owned()).collect();
    Ok(ClientCert::new_with_certs(&chain, for_ureq))
}

/// The key is one rustls can sign with, and it belongs to the first certificate.
fn check_pair(
    chain: &[CertificateDer<'static>],
    key: &PrivateKeyDer<'static>,
    cert_path: &Path,
    key_path: &Path,
) -> Result<(), Error> {
    use rustls::sign::CertifiedKey;
    let signing = rustls::crypto::ring::sign::any_supported_type(key).map_err(|_| {
        Error::config(format!(
            "client key file {} holds a key that cannot sign TLS handshakes (RSA 2048+ bits, ECDSA P-256/P-384 or Ed25519)",
            crate::error::shown_path(key_path)
        ))
    })?;
    match CertifiedKey::new(chain.to_vec(), signing).keys_match() {
        Ok(()) => Ok(()),
        Err(rustls::Error::InconsistentKeys(rustls::InconsistentKeys::KeyMismatch)) => Err(Error::config(format!(
            "client key file {} does not match the client certificate's public key (the first certificate of the file)",
            crate::error::shown_path(key_path)
        ))),
        // The key's public half unknown: accepted, as rustls does (the server decides).
        Err(rustls::Error::InconsistentKeys(rustls::InconsistentKeys::Unknown)) => Ok(()),
        // Refused here as rustls would refuse it when the TLS configuration is
        // built (ureq would panic there): for example an X.509 v1 certificate.
        Err(e) => Err(Error::config(format!(
            "the first certificate of {} cannot be used by the TLS library ({}); it must be an X.509 v3 certificate",
            crate::error::shown_path(cert_path),
            crate::error::sanitize(&e.to_string(), 120)
        ))),
    }
}

/// The first certificate's validity period contains the current time: an
/// expired or not yet valid certificate would be refused by the server as
/// invalid_client, a failed login counted against the caller's address. A
/// certificate expiring before the token does is accepted (the server decides
/// at the next renewal, by which time the file may have been replaced). The
/// error names the file and the dates, never the content.
fn check_validity(leaf: &CertificateDer<'_>, cert_path: &Path) -> Result<(), Error> {
    use crate::cert_validity::{validity, Standing};
    let shown = crate::error::shown_path(cert_path);
    let v = validity(leaf.as_ref()).map_err(|why| {
        Error::config(format!("the first certificate of {shown} is not a well-formed X.509 certificate: {why}"))
    })?;
    let now =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0);
    let (nb, na) = (v.not_before, v.not_after);
    match v.at(now) {
        Standing::Valid => Ok(()),
        Standing::Expired => Err(Error::config(format!(
            "client certificate file {shown} expired at {na} (valid from {nb} to {na}); renew it"
        ))),
        Standing::NotYetValid => Err(Error::config(format!(
            "client certificate file {shown} is not valid before {nb} (valid from {nb} to {na}); check the system clock"
        ))),
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// What tells, cheaply, that the certificate or key file changed on disk
/// (a rotation): device, inode, size and modification time of each.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct FilesStamp(Vec<Option<FileStamp>>);

/// Device, inode, size, modification time (seconds, nanoseconds).
type FileStamp = (u64, u64, u64, i64, i64);

/// The stamp of the configured certificate and key files (None without them).
pub(crate) fn stamp(cfg: &Config) -> Option<FilesStamp> {
    use std::os::unix::fs::MetadataExt;
    let files = [cfg.client_cert.as_ref()?, cfg.client_key.as_ref()?];
    Some(FilesStamp(
        files
            .iter()
            .map(|p| std::fs::metadata(p).ok().map(|m| (m.dev(), m.ino(), m.len(), m.mtime(), m.mtime_nsec())))
            .collect(),
    ))
}
