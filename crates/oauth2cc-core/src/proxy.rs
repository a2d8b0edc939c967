//! Which destinations go through a proxy. A loopback destination never does
//! (an `http://` token URL to loopback would otherwise carry the secret to
//! the proxy in clear); a host that `NO_PROXY` lists never does (curl's
//! rules); every other one uses the configured proxy or the environment's.

use crate::config::{Config, ProxySetting};
use crate::error::Error;
use std::net::IpAddr;
use ureq::unversioned::transport::{ConnectionDetails, Connector, DefaultConnector, Transport};

/// The proxy of a client and the destinations that bypass it.
#[derive(Debug)]
pub(crate) struct ProxyPlan {
    proxy: Option<ureq::Proxy>,
    no_proxy: NoProxy,
}

impl ProxyPlan {
    /// The configured proxy, none, or the environment's (`ALL_PROXY`,
    /// `HTTPS_PROXY`, `HTTP_PROXY`, upper or lower case, the first one set);
    /// `NO_PROXY` (or `no_proxy`) from the environment in every case but `Disabled`.
    pub fn new(cfg: &Config) -> Result<ProxyPlan, Error> {
        let proxy = match &cfg.proxy {
            ProxySetting::Disabled => None,
            ProxySetting::Url(u) => Some(
                connect_proxy(u.expose())
                    .ok_or_else(|| Error::config("proxy URL is not valid (expected http://[user:pass@]host:port)"))?,
            ),
            ProxySetting::FromEnv => from_env(),
        };
        Ok(ProxyPlan { proxy, no_proxy: NoProxy::parse(&env_any(&["no_proxy", "NO_PROXY"]).unwrap_or_default()) })
    }

    /// The proxy for `host` (a URL's host, IPv6 in brackets or not), or None to connect directly.
    pub fn for_host(&self, host: &str) -> Option<ureq::Proxy> {
        let proxy = self.proxy.as_ref()?;
        if is_loopback_host(host) || self.no_proxy.matches(host) {
            return None;
        }
        Some(proxy.clone())
    }

    pub fn proxy(&self) -> Option<&ureq::Proxy> {
        self.proxy.as_ref()
    }
}

fn env_any(names: &[&str]) -> Option<String> {
    names.iter().find_map(|n| std::env::var(n).ok().filter(|v| !v.trim().is_empty()))
}

fn from_env() -> Option<ureq::Proxy> {
    let names = ["ALL_PROXY", "all_proxy", "HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy"];
    let (name, value) =
        names.iter().find_map(|n| std::env::var(n).ok().filter(|v| !v.trim().is_empty()).map(|v| (n, v)))?;
    let proxy = connect_proxy(value.trim());
    if proxy.is_none() {
        log::warn!("oauth2cc: ignoring {name}: not an http:// or https:// proxy URL (SOCKS is not supported)");
    }
    proxy
}

/// An HTTP(S) CONNECT proxy; SOCKS is refused (ureq is built without it).
fn connect_proxy(url: &str) -> Option<ureq::Proxy> {
    ureq::Proxy::new(url)
        .ok()
        .filter(|p| matches!(p.protocol(), ureq::ProxyProtocol::Http | ureq::ProxyProtocol::Https))
}

/// `localhost` or an address in 127.0.0.0/8 or `::1` (also IPv4-mapped).
pub(crate) fn is_loopback_host(host: &str) -> bool {
    let h = host.trim_start_matches('[').trim_end_matches(']');
    let h = h.strip_suffix('.').unwrap_or(h);
    if h.eq_ignore_ascii_case("localhost") {
        return true;
    }
    h.parse::<IpAddr>().is_ok_and(|ip| ip.to_canonical().is_loopback())
}

/// A `NO_PROXY` list with curl's semantics: comma (or space) separated; `*`
/// matches every host; a name matches itself and every subdomain, with or
/// without a leading dot; an IP address or CIDR block (`10.0.0.0/8`,
/// `fd00::/8`) matches IP-literal hosts in it. Case-insensitive; ports in
/// entries are not supported (as in curl).
#[derive(Debug, Default)]
struct NoProxy {
    all: bool,
    names: Vec<String>,
    nets: Vec<(IpAddr, u8)>,
}

impl NoProxy {
    fn parse(list: &str) -> NoProxy {
        let mut n = NoProxy::default();
        for entry in list.split([',', ' ', '\t']).map(str::trim).filter(|e| !e.is_empty()) {
            if entry == "*" {
                n.all = true;
                continue;
            }
            let (addr, bits) = match entry.split_once('/') {
                Some((a, b)) => (a, b.parse::<u8>().ok()),
                None => (entry, None),
            };
            if let Ok(ip) = addr.trim_start_matches('[').trim_end_matches(']').parse::<IpAddr>() {
                let max = if ip.is_ipv4() { 32 } else { 128 };
                n.nets.push((ip, bits.unwrap_or(max).min(max)));
                continue;
            }
            let name = entry.trim_start_matches('.').trim_end_matches('.');
            if !name.is_empty() {
                n.names.push(name.to_ascii_lowercase());
            }
        }
        n
    }

    fn matches(&self, host: &str) -> bool {
        if self.all {
            return true;
        }
        let h = host.trim_start_matches('[').trim_end_matches(']');
        if let Ok(ip) = h.parse::<IpAddr>() {
            return self.nets.iter().any(|&(net, bits)| in_net(ip, net, bits));
        }
        let h = h.trim_end_matches('.').to_ascii_lowercase();
        self.names.iter().any(|n| {
            h == *n || (h.len() > n.len() && h.ends_with(n.as_str()) && h.as_bytes()[h.len() - n.len() - 1] == b'.')
        })
    }
}

fn in_net(ip: IpAddr, net: IpAddr, bits: u8) -> bool {
    let mask = |width: u32| if bits == 0 { 0 } else { u128::MAX << (width - u32::from(bits)) };
    match (ip.to_canonical(), net) {
        (IpAddr::V4(a), IpAddr::V4(b)) => {
            let m = mask(32) as u32;
            u32::from(a) & m == u32::from(b) & m
        }
        (IpAddr::V6(a), IpAddr::V6(b)) => {
            let m = mask(128);
            u128::from(a) & m == u128::from(b) & m
        }
        _ => false,
    }
}

/// The connector of an agent that serves many URLs (`api_agent`): connects
/// directly, with `direct` (the same settings without the proxy), to every
/// destination the plan excludes from the proxy, on every redirect too.
#[derive(Debug)]
pub(crate) struct Bypass {
    pub plan: ProxyPlan,
    pub direct: ureq::config::Config,
    pub inner: DefaultConnector,
}

impl Connector<()> for Bypass {
    type Out = Box<dyn Transport>;

    fn connect(&self, details: &ConnectionDetails, chained: Option<()>) -> Result<Option<Self::Out>, ureq::Error> {
        let host = details.uri.host().unwrap_or_default();
        if details.config.proxy().is_none() || self.plan.for_host(host).is_some() {
            return self.inner.connect(details, chained);
        }
        // ureq left the target unresolved, expecting the proxy to resolve it.
        let addrs = details.resolver.resolve(details.uri, &self.direct, details.timeout)?;
        let direct = ConnectionDetails {
            uri: details.uri,
            addrs,
            config: &self.direct,
            request_level: details.request_level,
            resolver: details.resolver,
            now: details.now,
            timeout: details.timeout,
            current_time: details.current_time.clone(),
            run_connector: details.run_connector.clone(),
            register_shutdown: details.register_shutdown.clone(),
        };
        self.inner.connect(&direct, chained)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_hosts() {
        for h in ["localhost", "LOCALHOST.", "127.0.0.1", "127.9.8.7", "[::1]", "::1", "[::ffff:127.0.0.1]"] {
            assert!(is_loopback_host(h), "{h}");
        }
        for h in ["localhost.example.com", "10.0.0.1", "[::2]", "127.example.com", "example.com"] {
            assert!(!is_loopback_host(h), "{h}");
        }
    }

    #[test]
    fn no_proxy_follows_curl() {
        let n = NoProxy::parse(" .Example.com, internal.test ,10.0.0.0/8 192.168.1.7,fd00::/8,[2001:db8::1]");
        for h in [
            "example.com",
            "www.EXAMPLE.com",
            "example.com.",
            "a.b.internal.test",
            "internal.test",
            "10.200.3.4",
            "192.168.1.7",
            "[fd12::1]",
            "[2001:db8::1]",
        ] {
            assert!(n.matches(h), "{h}");
        }
        for h in [
            "notexample.com",
            "example.com.evil",
            "internal.testing",
            "11.0.0.1",
            "192.168.1.8",
            "[fe80::1]",
            "[2001:db8::2]",
        ] {
            assert!(!n.matches(h), "{h}");
        }
        assert!(NoProxy::parse("a.test,*").matches("anything.example"));
        assert!(!NoProxy::parse("").matches("example.com"));
        assert!(NoProxy::parse("0.0.0.0/0").matches("8.8.8.8"));
    }
}
