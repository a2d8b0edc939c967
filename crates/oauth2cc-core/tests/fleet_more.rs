//! Fleet mode: discovery (an issuer instead of a token URL), the Redis
//! transports (`rediss://`, `redis+unix://`), a password file with an ACL
//! user, and a leaseholder killed mid-request. Against real redis-server
//! processes and the simulator.

mod common;
#[path = "common/redis_server.rs"]
#[allow(dead_code)]
mod redis_server;

use common::*;
use redis_server::RedisServer;

#[test]
fn a_fleet_with_discovery_shares_one_token() {
    let Some(redis) = RedisServer::start() else { return };
    let sim = sim();
    let cfg = || Config::new("", "svc", "s3cret-value").issuer(sim.issuer()).shared_cache_url(redis.url());
    let a = Client::new(cfg()).unwrap();
    let t = a.token().unwrap();
    let b = Client::new(cfg()).unwrap();
    assert_eq!(b.token().unwrap().access_token(), t.access_token());
    assert!(b.shared_cache_status().unwrap().token_from_shared_cache);
    assert_eq!(requests(&sim), 1);
    // Budgeted on the issuer's host: the same budget as a client naming the token URL there.
    let c = Client::new(config(&sim, "short", "short-secret").shared_cache_url(redis.url())).unwrap();
    c.token().unwrap();
    let keys: Vec<String> = redis::cmd("KEYS").arg("oauth2cc:*").query(&mut redis.conn()).unwrap();
    assert_eq!(keys.iter().filter(|k| k.contains(":budget:")).count(), 1, "{keys:?}");
}
