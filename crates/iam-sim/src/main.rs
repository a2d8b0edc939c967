//! `iam-sim`: runs the simulator until killed, for the C tests and `make demo`.

use iam_sim::{BasicDecoding, ClientSpec, Sim, SimConfig};
use std::io::Write;

const USAGE: &str = "usage: iam-sim [--bind ADDR:PORT] [--realm NAME] [--rate-limit N]
               [--client id=ID,secret=S[,methods=basic+post+basic_raw+secret_jwt+key_jwt][,lifetime=SECS][,scopes=a+b][,token_size=N]]...
               [--clients-file FILE.json] [--port-file FILE]
               [--tls NAME,NAME... --ca-out FILE.pem [--client-cert-out PREFIX]] [--basic-decoding form|percent]

Prints 'listening on http://ADDR:PORT' on the first line of standard output.
Endpoints: POST /realms/REALM/protocol/openid-connect/token (also under /auth),
GET /realms/REALM/.well-known/openid-configuration (and RFC 8414's
/.well-known/oauth-authorization-server/realms/REALM),
GET|POST /api/echo, /api/scope/NAME, GET /sim/stats, POST /sim/faults,
POST /sim/discovery, POST /sim/revoke, POST /sim/reset.";

fn main() {
    if let Err(e) = run() {
        eprintln!("iam-sim: {e}\n\n{USAGE}");
        std::process::exit(2);
    }
}

fn run() -> Result<(), String> {
    let mut cfg = SimConfig::default();
    let mut bind = "127.0.0.1:0".to_string();
    let mut port_file = None;
    let mut ca_out: Option<String> = None;
    let mut client_cert_out: Option<String> = None;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut val = || args.next().ok_or_else(|| format!("{a} needs a value"));
        match a.as_str() {
            "--bind" => bind = val()?,
            "--realm" => cfg.realm = val()?,
            "--rate-limit" => cfg.rate_limit_per_sec = val()?.parse().map_err(|_| "bad --rate-limit")?,
            "--client" => cfg.clients.push(ClientSpec::parse(&val()?)?),
            "--clients-file" => {
                let path = val()?;
                let text = std::fs::read_to_string(&path).map_err(|e| format!("{path}: {e}"))?;
                let v: serde_json::Value = serde_json::from_str(&text).map_err(|e| format!("{path}: {e}"))?;
                for c in v.as_array().ok_or("clients file must hold a JSON array")? {
                    cfg.clients.push(ClientSpec::from_json(c)?);
                }
            }
            "--port-file" => port_file = Some(val()?),
            "--tls" => cfg.tls_names = Some(val()?.split(',').map(String::from).collect()),
            "--ca-out" => ca_out = Some(val()?),
            // A test-only client certificate and key: PREFIX.pem and PREFIX.key.
            "--client-cert-out" => client_cert_out = Some(val()?),
            "--basic-decoding" => {
                cfg.basic_decoding = match val()?.as_str() {
                    "form" => BasicDecoding::Form,
                    "percent" => BasicDecoding::PercentOnly,
                    other => return Err(format!("--basic-decoding is form or percent, not {other:?}")),
                }
            }
            "-h" | "--help" => {
                println!("{USAGE}");
                return Ok(());
            }
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    let sim = Sim::start_on(&bind, cfg).map_err(|e| format!("cannot listen on {bind}: {e}"))?;
    if let (Some(path), Some(pem)) = (&ca_out, sim.ca_pem()) {
        std::fs::write(path, pem).map_err(|e| format!("{path}: {e}"))?;
    }
    if let (Some(prefix), Some((cert, key))) = (&client_cert_out, sim.client_identity_pem()) {
        for (ext, pem) in [("pem", cert), ("key", key)] {
            let path = format!("{prefix}.{ext}");
            std::fs::write(&path, pem).map_err(|e| format!("{path}: {e}"))?;
        }
    }
    if let Some(p) = port_file {
        std::fs::write(&p, format!("{}\n", sim.addr().port())).map_err(|e| format!("{p}: {e}"))?;
    }
    let mut out = std::io::stdout();
    let _ = writeln!(out, "listening on {}", sim.base_url());
    let _ = out.flush();
    loop {
        std::thread::park();
    }
}
