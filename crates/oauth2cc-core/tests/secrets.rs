//! Secrets and tokens never appear in errors, Debug output or log lines:
//! a failing run through every path, everything it renders collected and searched.

mod common;
use common::*;

const SECRETS: [&str; 3] = ["Wr0ng-S3cret-xyz", "s3cret-value", "pr0xy-pa55"];

#[test]
fn nothing_rendered_in_a_failing_run_holds_a_secret_or_a_token() {
    capture_logs();
    let sim = sim();
    let mut shown: Vec<String> = Vec::new();
    let mut show = |s: String| shown.push(s);

    // Success, invalidation, 401 handling: tokens pass through every path.
    let good = client(&sim, "svc", "s3cret-value");
    let t = good.token().unwrap();
    show(format!("{good:?} {t:?} {:?} {:?}", good.config(), good.stats()));
    good.handle_unauthorized(t.access_token(), Some("Bearer error=\"invalid_token\""));
    let t2 = good.token().unwrap();
    show(format!("{t2:?}"));

    // Every failure, for each auth method, with a wrong secret or a fault.
    let faults = [
        None,
        Some(Fault::MalformedJson),
        Some(Fault::Html),
        Some(Fault::HugeBody),
        Some(Fault::Close),
        Some(Fault::CloseMidBody),
        Some(Fault::ErrorIn200),
        Some(Fault::TokenType("mac".into())),
        Some(Fault::ExpiresIn(Some(serde_json::json!("soon")))),
        Some(Fault::Status { status: 429, retry_after: Some("1".into()), body: None }),
        Some(Fault::Status { status: 500, retry_after: None, body: Some("{\"access_token\":\"leak\"}".into()) }),
    ];
    for method in [AuthMethod::ClientSecretBasic, AuthMethod::ClientSecretBasicRaw, AuthMethod::ClientSecretPost] {
        for f in &faults {
            if let Some(f) = f {
                sim.push_fault(f.clone(), 1);
            }
            let id = if f.is_none() { "svc" } else { "odd-both" };
            let secret = if f.is_none() { SECRETS[0] } else { ODD_SECRET };
            let c = Client::new(config(&sim, id, secret).auth_method(method).max_requests_per_second(50.0)).unwrap();
            let fails = |what: &str| {
                c.token().map(|t| format!("{t:?}")).expect_err(&format!("{what} with {method:?} and fault {f:?}"))
            };
            let e = fails("the request");
            let again = fails("the same error again, during the pause");
            show(format!("{e} | {e:?} | {again} | {c:?} | {:?} | {:?}", c.config(), c.stats()));
        }
    }
    // Configuration errors and a proxy with credentials.
    for cfg in [
        Config::new("http://iam.example.com/t", "svc", SECRETS[0]),
        Config::new("https://user:Wr0ng-S3cret-xyz@iam.example.com/t", "svc", SECRETS[0]),
        config(&sim, "svc", SECRETS[0]).ca_file("/nonexistent.pem"),
        config(&sim, "svc", SECRETS[0]).proxy("http://u:pr0xy-pa55@[bad"),
    ] {
        let e = Client::new(cfg.clone()).unwrap_err();
        show(format!("{e} | {e:?} | {cfg:?}"));
    }
    let proxied = Client::new(config(&sim, "svc", SECRETS[0]).proxy("http://u:pr0xy-pa55@127.0.0.1:1")).unwrap();
    let e = proxied.token().unwrap_err();
    show(format!("{e} | {e:?} | {proxied:?}"));

    let logs = log_lines();
    assert!(logs.iter().any(|l| l.contains("new token")), "the run logged: {logs:?}");
    assert!(logs.iter().any(|l| l.contains("failed")), "the run logged failures");
    let everything = format!("{}\n{}", shown.join("\n"), logs.join("\n"));
    let mut tokens = sim.issued_tokens();
    tokens.push(ODD_SECRET.into());
    for needle in SECRETS.iter().map(|s| s.to_string()).chain(tokens) {
        if let Some(at) = everything.find(&needle) {
            let line = everything[..at].rsplit('\n').next().unwrap_or_default();
            panic!(
                "found a secret or token (of {} bytes) after: {:?}",
                needle.len(),
                &line[line.len().saturating_sub(300)..]
            );
        }
    }
    // The tokens' signatures alone, in case something printed a token in part.
    for tok in sim.issued_tokens() {
        let sig = tok.rsplit('.').next().unwrap();
        assert!(!everything.contains(&sig[..20]), "found part of a token");
    }
}
