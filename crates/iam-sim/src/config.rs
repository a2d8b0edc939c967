//! What the simulator is started with: the realm, its clients and how they
//! may authenticate, the rate limit, TLS and the reading of HTTP Basic.

use serde_json::Value;

/// How a client may authenticate at the token endpoint.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AuthMethod {
    /// HTTP Basic with id and secret form-urlencoded first (RFC 6749 §2.3.1).
    Basic,
    /// HTTP Basic with the raw `id:secret` (older Keycloak releases).
    BasicRaw,
    /// `client_id` and `client_secret` in the form body.
    Post,
    /// A `client_assertion` JWT signed with the client secret (HS256/384/512).
    SecretJwt,
    /// A `client_assertion` JWT signed with a private key whose public half
    /// is one of the client's `jwks`.
    PrivateKeyJwt,
}

impl AuthMethod {
    pub fn parse(s: &str) -> Option<AuthMethod> {
        match s {
            "basic" | "client_secret_basic" => Some(AuthMethod::Basic),
            "basic_raw" | "client_secret_basic_raw" => Some(AuthMethod::BasicRaw),
            "post" | "client_secret_post" => Some(AuthMethod::Post),
            "secret_jwt" | "client_secret_jwt" => Some(AuthMethod::SecretJwt),
            "key_jwt" | "private_key_jwt" => Some(AuthMethod::PrivateKeyJwt),
            _ => None,
        }
    }
}

/// A client registered in the simulated realm.
#[derive(Clone, Debug)]
pub struct ClientSpec {
    pub id: String,
    pub secret: String,
    pub methods: Vec<AuthMethod>,
    /// Token lifetime in seconds (Keycloak's "Access Token Lifespan").
    pub lifetime_secs: u64,
    /// Optional scopes the client may ask for.
    pub scopes: Vec<String>,
    /// Scopes granted when none is asked for.
    pub default_scopes: Vec<String>,
    /// Pad issued tokens to at least this many bytes (0: natural size, ~700 B).
    pub token_size: usize,
    /// Issue opaque random tokens instead of JWTs.
    pub opaque: bool,
    /// Public keys (JWKs) that may sign this client's `private_key_jwt` assertions.
    pub jwks: Vec<Value>,
    /// Require a DPoP proof at the token endpoint (Keycloak's "OAuth 2.0
    /// DPoP Bound Access Tokens"). Without it, a request that carries a
    /// proof still gets a DPoP-bound token.
    pub dpop: bool,
}

impl ClientSpec {
    pub fn new(id: &str, secret: &str) -> ClientSpec {
        ClientSpec {
            id: id.into(),
            secret: secret.into(),
            methods: vec![AuthMethod::Basic, AuthMethod::Post],
            lifetime_secs: 300,
            scopes: vec![],
            default_scopes: vec!["profile".into(), "email".into()],
            token_size: 0,
            opaque: false,
            jwks: vec![],
            dpop: false,
        }
    }

    pub fn dpop(mut self, required: bool) -> Self {
        self.dpop = required;
        self
    }

    pub fn opaque(mut self, yes: bool) -> Self {
        self.opaque = yes;
        self
    }

    pub fn lifetime(mut self, secs: u64) -> Self {
        self.lifetime_secs = secs;
        self
    }

    pub fn methods(mut self, m: &[AuthMethod]) -> Self {
        self.methods = m.to_vec();
        self
    }

    pub fn scopes(mut self, s: &[&str]) -> Self {
        self.scopes = s.iter().map(|x| x.to_string()).collect();
        self
    }

    /// The public keys (JWKs) that may sign `private_key_jwt` assertions.
    pub fn jwks(mut self, keys: Vec<Value>) -> Self {
        self.jwks = keys;
        self
    }

    pub fn token_size(mut self, n: usize) -> Self {
        self.token_size = n;
        self
    }

    /// Parses `id=ID,secret=S[,methods=basic+post+basic_raw+secret_jwt+key_jwt][,lifetime=N][,scopes=a+b]
    /// [,token_size=N][,jwks=FILE[,jwk_names=a+b]]`. `jwks` is a JSON file holding a JWK Set
    /// (`{"keys": [...]}`) or an object of named JWKs, of which `jwk_names` picks some.
    pub fn parse(spec: &str) -> Result<ClientSpec, String> {
        let mut c = ClientSpec::new("", "");
        let (mut jwks_file, mut jwk_names) = (None, None);
        for part in spec.split(',') {
            let (k, v) = part.split_once('=').ok_or_else(|| format!("expected key=value in {part:?}"))?;
            match k {
                "id" => c.id = v.into(),
                "secret" => c.secret = v.into(),
                "methods" => {
                    c.methods = v
                        .split('+')
                        .map(|m| AuthMethod::parse(m).ok_or_else(|| format!("unknown method {m:?}")))
                        .collect::<Result<_, _>>()?
                }
                "lifetime" => c.lifetime_secs = v.parse().map_err(|_| format!("bad lifetime {v:?}"))?,
                "scopes" => c.scopes = v.split('+').filter(|s| !s.is_empty()).map(String::from).collect(),
                "token_size" => c.token_size = v.parse().map_err(|_| format!("bad token_size {v:?}"))?,
                "opaque" => c.opaque = v == "true" || v == "1",
                "jwks" => jwks_file = Some(v.to_string()),
                "jwk_names" => jwk_names = Some(v.split('+').map(String::from).collect::<Vec<_>>()),
                "dpop" => c.dpop = v == "true" || v == "1",
                _ => return Err(format!("unknown key {k:?}")),
            }
        }
        if let Some(path) = jwks_file {
            let text = std::fs::read_to_string(&path).map_err(|e| format!("{path}: {e}"))?;
            let v: Value = serde_json::from_str(&text).map_err(|e| format!("{path}: {e}"))?;
            c.jwks = match (v.get("keys").and_then(Value::as_array), &jwk_names) {
                (Some(keys), None) => keys.clone(),
                (_, Some(names)) => names
                    .iter()
                    .map(|n| v.get(n).cloned().ok_or_else(|| format!("{path}: no JWK named {n:?}")))
                    .collect::<Result<_, _>>()?,
                (None, None) => v.as_object().map(|o| o.values().cloned().collect()).unwrap_or_default(),
            };
        }
        if c.id.is_empty() {
            return Err("a client needs id=".into());
        }
        Ok(c)
    }

    /// Reads one client from a JSON object (for ids and secrets with `,` or `=`).
    pub fn from_json(v: &Value) -> Result<ClientSpec, String> {
        let s = |k: &str| v.get(k).and_then(Value::as_str).map(String::from);
        let mut c = ClientSpec::new(&s("id").ok_or("client without \"id\"")?, &s("secret").unwrap_or_default());
        if let Some(ms) = v.get("methods").and_then(Value::as_array) {
            c.methods = ms
                .iter()
                .map(|m| m.as_str().and_then(AuthMethod::parse).ok_or_else(|| format!("bad method {m}")))
                .collect::<Result<_, _>>()?;
        }
        if let Some(l) = v.get("lifetime").and_then(Value::as_u64) {
            c.lifetime_secs = l;
        }
        if let Some(ss) = v.get("scopes").and_then(Value::as_array) {
            c.scopes = ss.iter().filter_map(|x| x.as_str().map(String::from)).collect();
        }
        if let Some(n) = v.get("token_size").and_then(Value::as_u64) {
            c.token_size = n as usize;
        }
        c.opaque = v.get("opaque").and_then(Value::as_bool).unwrap_or(false);
        // A JWK Set ({"keys": [...]}) or an array of JWKs.
        if let Some(keys) = v.get("jwks").map(|j| j.get("keys").unwrap_or(j)).and_then(Value::as_array) {
            c.jwks = keys.clone();
        }
        c.dpop = v.get("dpop").and_then(Value::as_bool).unwrap_or(false);
        Ok(c)
    }
}

#[derive(Clone, Debug)]
pub struct SimConfig {
    pub realm: String,
    pub clients: Vec<ClientSpec>,
    /// Token requests per second per client IP before 429 (0: no limit). The IAM's is 50.
    pub rate_limit_per_sec: u32,
    /// Serve HTTPS with a fresh CA and a certificate for these names (DNS
    /// names or IP addresses); None serves plain HTTP.
    pub tls_names: Option<Vec<String>>,
    /// How HTTP Basic credentials are decoded.
    pub basic_decoding: BasicDecoding,
}

/// How a server reads the id and secret inside HTTP Basic credentials.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum BasicDecoding {
    /// application/x-www-form-urlencoded, as RFC 6749 §2.3.1 says (`+` is a space).
    #[default]
    Form,
    /// Percent-escapes only (`+` stays `+`), as many Python frameworks do.
    PercentOnly,
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            realm: "test".into(),
            clients: vec![],
            rate_limit_per_sec: 50,
            tls_names: None,
            basic_decoding: BasicDecoding::Form,
        }
    }
}
