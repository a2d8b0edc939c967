//! HTTPS for the simulator: a throwaway CA and a server certificate for the
//! given names, made at start-up. Tests trust the CA through a CA file.

use std::sync::Arc;

pub struct Tls {
    pub config: Arc<rustls::ServerConfig>,
    pub ca_pem: String,
    /// A client certificate from the same CA and its PKCS#8 key (test-only,
    /// made per start) for mutual TLS tests: `(certificate PEM, key PEM)`.
    pub client_identity: (String, String),
}

/// A CA and a server certificate for `names` (DNS names or IP addresses).
pub fn make(names: &[String]) -> Result<Tls, String> {
    use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair};
    let e = |x: rcgen::Error| x.to_string();
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).map_err(e)?;
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params.distinguished_name.push(DnType::CommonName, "iam-sim test CA");
    let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().map_err(e)?).map_err(e)?;
    let key = KeyPair::generate().map_err(e)?;
    let mut params = CertificateParams::new(names.to_vec()).map_err(e)?;
    params.distinguished_name.push(DnType::CommonName, names.first().cloned().unwrap_or_default());
    let cert = params.signed_by(&key, &ca).map_err(e)?;
    let key_der = rustls::pki_types::PrivateKeyDer::Pkcs8(key.serialize_der().into());
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let client_key = KeyPair::generate().map_err(e)?;
    let mut client_params = CertificateParams::new(Vec::<String>::new()).map_err(e)?;
    client_params.distinguished_name.push(DnType::CommonName, "iam-sim test client");
    let client_cert = client_params.signed_by(&client_key, &ca).map_err(e)?;
    let client_identity = (client_cert.pem(), client_key.serialize_pem());
    let config = rustls::ServerConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|x| x.to_string())?
        .with_client_cert_verifier(Arc::new(crate::mtls::AnyClientCert(provider.clone())))
        .with_single_cert(vec![cert.der().clone(), ca.der().clone()], key_der)
        .map_err(|x| x.to_string())?;
    Ok(Tls { config: Arc::new(config), ca_pem: ca.pem(), client_identity })
}
