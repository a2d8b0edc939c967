// Tests of bindings/cpp/oauth2cc.hpp against the simulator; built as C++11
// and C++17 with -Wall -Wextra -Wpedantic -Werror and sanitizers.
#include <oauth2cc.hpp>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

static int passed, failed, current_failed;

#define CHECK(cond)                                                                                                    \
    do {                                                                                                               \
        if (!(cond)) {                                                                                                 \
            std::fprintf(stderr, "  FAIL %s:%d: %s (%s)\n", __FILE__, __LINE__, #cond, oauth_last_error());            \
            current_failed = 1;                                                                                        \
        }                                                                                                              \
    } while (0)

static std::string url() { return std::string(std::getenv("OAUTH2CC_TOKEN_URL")); }

static_assert(!std::is_copy_constructible<oauth2cc::Client>::value, "move-only");
static_assert(std::is_nothrow_move_constructible<oauth2cc::Client>::value, "noexcept move");

static void test_token_and_cache() {
    oauth2cc::Client c(url(), "svc", "s3cret-value");
    std::string a = c.token(), b = c.token();
    CHECK(a.size() > 100 && a == b);
    oauth_stats s = c.stats();
    CHECK(s.token_requests == 1 && s.cached_reads >= 1);
}

static void test_options_builder_and_big_tokens() {
    oauth2cc::Client c(url(), "big", "big-secret",
                       oauth2cc::Options()
                           .scope("profile")
                           .audience("api")
                           .extra_param("acr_values", "gold")
                           .timeout_ms(5000)
                           .connect_timeout_ms(2000)
                           .renew_between_percent(70, 80));
    std::string t = c.token();
    CHECK(t.size() >= 1000);  // beyond a small stack buffer: the wrapper grows it
}

static void test_errors_throw_with_status() {
    bool thrown = false;
    try {
        oauth2cc::Client c(url(), "svc", "wrong-secret");
        c.token();
    } catch (const oauth2cc::Error &e) {
        thrown = true;
        CHECK(e.status() == OAUTH_ERR_INVALID_CLIENT);
        CHECK(std::strstr(e.what(), "rejected") != nullptr);
        CHECK(std::strstr(e.what(), "wrong-secret") == nullptr);
        CHECK(e.retry_after_ms() > 50000);
    }
    CHECK(thrown);
    thrown = false;
    try {
        oauth2cc::Client c("ftp://nope", "svc", "s");
    } catch (const oauth2cc::Error &e) {
        thrown = e.status() == OAUTH_ERR_INVALID_ARGUMENT;
    }
    CHECK(thrown);
}

static void test_noexcept_variants() {
    oauth2cc::Client c;
    CHECK(!c);
    CHECK(oauth2cc::Client::create("ftp://nope", "svc", "s", oauth2cc::Options(), c) == OAUTH_ERR_INVALID_ARGUMENT);
    CHECK(oauth2cc::Client::create(url(), "svc", "s3cret-value", oauth2cc::Options(), c) == OAUTH_OK);
    CHECK(static_cast<bool>(c));
    std::string t;
    CHECK(c.token(t) == OAUTH_OK && !t.empty());
    CHECK(c.invalidate(t) == OAUTH_OK);
    std::string t2;
    CHECK(c.token(t2) == OAUTH_OK && t2 != t);
    oauth2cc::Client moved(std::move(c));
    CHECK(!c && moved);
    CHECK(moved.token(t) == OAUTH_OK && t == t2);
}

static void test_handle_unauthorized() {
    oauth2cc::Client c(url(), "svc", "s3cret-value");
    std::string t = c.token();
    CHECK(c.handle_unauthorized(t, "Bearer error=\"invalid_token\"") == oauth2cc::Unauthorized::Retry);
    CHECK(c.token() != t);
    CHECK(c.handle_unauthorized(t, "Bearer error=\"insufficient_scope\", scope=\"x\"") ==
          oauth2cc::Unauthorized::InsufficientScope);
    CHECK(c.handle_unauthorized(t, nullptr) == oauth2cc::Unauthorized::NoDetail);
}

// handle_response weighs the real status (the deprecated handle_unauthorized
// assumed 401): a plain 403 is the caller's answer, not a failed token.
static void test_handle_response() {
    oauth2cc::Client c(url(), "svc", "s3cret-value");
    std::string t = c.token();
    CHECK(c.handle_response(403, t, "") == oauth2cc::Response::Proceed);
    CHECK(c.handle_response(200, t) == oauth2cc::Response::Proceed);
    CHECK(c.token() == t);
    CHECK(c.handle_response(401, t, "Bearer error=\"invalid_token\"") == oauth2cc::Response::Retry);
    std::string t2 = c.token();
    CHECK(t2 != t);
    CHECK(c.handle_response(403, t2, "Bearer error=\"insufficient_scope\", scope=\"orders:write\"") ==
          oauth2cc::Response::InsufficientScope);
    CHECK(std::strstr(oauth_last_error(), "orders:write") != nullptr);
    CHECK(c.handle_response(401, t2, "") == oauth2cc::Response::NoDetail);
    CHECK(c.token() == t2);
    bool thrown = false;
    try {
        c.handle_response(42, t2, "");
    } catch (const oauth2cc::Error &e) {
        thrown = e.status() == OAUTH_ERR_INVALID_ARGUMENT;
    }
    CHECK(thrown);
    // The status-code variant: the codes of oauth_handle_response.
    CHECK(c.handle_response_status(403, t2, "") == OAUTH_OK);
    CHECK(c.handle_response_status(403, t2, "Bearer error=\"insufficient_scope\"") == OAUTH_ERR_API_INSUFFICIENT_SCOPE);
    CHECK(c.handle_response_status(401, t2, "Bearer error=\"invalid_token\"") == OAUTH_RETRY);
    CHECK(c.handle_response_status(42, t2, "") == OAUTH_ERR_INVALID_ARGUMENT);
}

static void test_threads_share_a_const_client() {
    const oauth2cc::Client c(url(), "svc", "s3cret-value");
    std::vector<std::thread> ts;
    std::vector<std::string> got(16);
    for (int i = 0; i < 16; ++i) ts.emplace_back([&c, &got, i] { got[i] = c.token(); });
    for (auto &t : ts) t.join();
    for (const auto &g : got) CHECK(g == got[0] && !g.empty());
}

// The status of a token request with `o` for the simulator's "svc" client,
// which may not ask for "admin:all" (invalid_scope) but may for "orders:read".
static int status_with(const oauth2cc::Options &o) {
    oauth2cc::Client c;
    int rc = oauth2cc::Client::create(url(), "svc", "s3cret-value", o, c);
    if (rc != OAUTH_OK) return rc;
    std::string t;
    return c.token(t);
}

static oauth2cc::Options make_options(const char *scope) {
    oauth2cc::Options o;
    o.scope(scope).extra_param("acr_values", "gold");
    return o;
}

static void test_options_copies_keep_their_strings() {
    // A temporary's chain copied out (used to point into the destroyed temporary).
    auto chained = oauth2cc::Options().scope("admin:all");
    CHECK(status_with(chained) == OAUTH_ERR_INVALID_SCOPE);
    // A plain copy (used to send an empty scope).
    oauth2cc::Options a;
    a.scope("admin:all");
    oauth2cc::Options b = a;
    CHECK(status_with(b) == OAUTH_ERR_INVALID_SCOPE);
    // A copy that outlives its original.
    oauth2cc::Options *orig = new oauth2cc::Options();
    orig->scope("admin:all").audience("api");
    oauth2cc::Options survivor(*orig);
    delete orig;
    CHECK(status_with(survivor) == OAUTH_ERR_INVALID_SCOPE);
    // Moves, copy and move assignment, a returned value.
    oauth2cc::Options moved(std::move(b));
    CHECK(status_with(moved) == OAUTH_ERR_INVALID_SCOPE);
    oauth2cc::Options assigned;
    assigned = a;
    CHECK(status_with(assigned) == OAUTH_ERR_INVALID_SCOPE);
    oauth2cc::Options move_assigned;
    move_assigned = std::move(assigned);
    CHECK(status_with(move_assigned) == OAUTH_ERR_INVALID_SCOPE);
    CHECK(status_with(make_options("admin:all")) == OAUTH_ERR_INVALID_SCOPE);
    // The control: an allowed scope through the same idioms gets a token.
    auto ok = oauth2cc::Options().scope("orders:read");
    oauth2cc::Options ok_copy = ok;
    CHECK(status_with(ok) == OAUTH_OK && status_with(ok_copy) == OAUTH_OK);
    CHECK(status_with(make_options("orders:read")) == OAUTH_OK);
    // get() on a copy points into the copy, not into the original.
    oauth2cc::Options c1;
    c1.scope("x");
    oauth2cc::Options c2 = c1;
    CHECK(c2.get()->scope != c1.get()->scope && std::strcmp(c2.get()->scope, "x") == 0);
    // Every string setter lands in its own field of the C struct, in copies too.
    oauth2cc::Options all;
    all.signing_key_file("kf").signing_key_pem("kp").signing_alg("al").key_id("ki").assertion_audience("aa");
    all.client_cert_file("cc").client_key_file("ck").dpop_key_file("dk").issuer("is").shared_cache_url("su");
    all.shared_cache_password_file("sp").dpop(true).shared_cache_timeout_ms(7);
    oauth2cc::Options all_copy = all;
    const oauth_options *o = all_copy.get();
    CHECK(std::strcmp(o->signing_key_file, "kf") == 0 && std::strcmp(o->signing_key_pem, "kp") == 0);
    CHECK(std::strcmp(o->signing_alg, "al") == 0 && std::strcmp(o->key_id, "ki") == 0);
    CHECK(std::strcmp(o->assertion_audience, "aa") == 0 && std::strcmp(o->client_cert_file, "cc") == 0);
    CHECK(std::strcmp(o->client_key_file, "ck") == 0 && std::strcmp(o->dpop_key_file, "dk") == 0);
    CHECK(std::strcmp(o->issuer, "is") == 0 && std::strcmp(o->shared_cache_url, "su") == 0);
    CHECK(std::strcmp(o->shared_cache_password_file, "sp") == 0 && o->dpop == 1 && o->shared_cache_timeout_ms == 7);
    CHECK(o->issuer != all.get()->issuer);
}

static void test_version_matches_header() {
    CHECK(oauth2cc::version() == OAUTH2CC_VERSION);
    char expect[32];
    std::snprintf(expect, sizeof expect, "%d.%d.%d", OAUTH2CC_VERSION_MAJOR, OAUTH2CC_VERSION_MINOR,
                  OAUTH2CC_VERSION_PATCH);
    CHECK(oauth2cc::version() == expect);
}

// The JSON of a JWT's part `i` (0 header, 1 claims), base64url-decoded.
static std::string jwt_part(const std::string &jwt, int i) {
    size_t start = 0;
    for (int k = 0; k < i; ++k) start = jwt.find('.', start) + 1;
    std::string in = jwt.substr(start, jwt.find('.', start) - start), out;
    const std::string abc = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    unsigned bits = 0, n = 0;
    for (size_t k = 0; k < in.size(); ++k) {
        size_t v = abc.find(in[k]);
        if (v == std::string::npos) return std::string();
        bits = (bits << 6) | static_cast<unsigned>(v);
        n += 6;
        if (n >= 8) {
            n -= 8;
            out.push_back(static_cast<char>((bits >> n) & 0xff));
        }
    }
    return out;
}

// DPoP: proofs (grown past the wrapper's first buffer when needed), the
// server nonce through handle_dpop_response, dpop_enabled.
static void test_dpop() {
    oauth2cc::Client c(url(), "svc", "s3cret-value", oauth2cc::Options().dpop(true));
    CHECK(c.dpop_enabled());
    std::string t = c.token();
    const std::string api = "https://api.example.com/v1/orders";
    std::string p1 = c.dpop_proof("GET", api + "?page=2#top", t), p2 = c.dpop_proof("GET", api, t);
    CHECK(p1.size() > 100 && p1 != p2);  // a fresh jti each time
    CHECK(jwt_part(p1, 0).find("\"typ\":\"dpop+jwt\"") != std::string::npos);
    std::string claims = jwt_part(p1, 1);
    CHECK(claims.find("\"htm\":\"GET\"") != std::string::npos);
    CHECK(claims.find("\"htu\":\"" + api + "\"") != std::string::npos);
    CHECK(claims.find("\"ath\":") != std::string::npos);
    CHECK(claims.find("nonce") == std::string::npos);
    // A use_dpop_nonce 401 with a nonce: Retry, the same token, and the nonce in the next proof.
    CHECK(c.handle_dpop_response(api, 401, t, "DPoP error=\"use_dpop_nonce\"", "n-123") == oauth2cc::Response::Retry);
    CHECK(c.token() == t);
    CHECK(jwt_part(c.dpop_proof("POST", api, t), 1).find("\"nonce\":\"n-123\"") != std::string::npos);
    // A long nonce (the core keeps up to 1024 bytes): the proof outgrows the wrapper's first 1 KiB buffer.
    std::string long_nonce(1000, 'x');
    CHECK(c.handle_dpop_response(api, 200, t, "", long_nonce) == oauth2cc::Response::Proceed);
    std::string big = c.dpop_proof("GET", api, t);
    CHECK(big.size() > 1024 && jwt_part(big, 1).find(long_nonce) != std::string::npos);
    CHECK(c.handle_dpop_response(api, 401, t, "DPoP error=\"invalid_token\"") == oauth2cc::Response::Retry);
    CHECK(c.token() != t);
    // Status-code variants.
    std::string out;
    CHECK(c.dpop_proof("GET", api, t, out) == OAUTH_OK && out.size() > 100);
    CHECK(c.dpop_proof("GET", "/relative", t, out) == OAUTH_ERR_INVALID_ARGUMENT);
    CHECK(c.handle_dpop_response_status(api, 42, t) == OAUTH_ERR_INVALID_ARGUMENT);
    CHECK(c.handle_dpop_response_status(api, 403, t, "", "") == OAUTH_OK);
    bool thrown = false;
    try {
        c.handle_dpop_response(api, 42, t);
    } catch (const oauth2cc::Error &e) {
        thrown = e.status() == OAUTH_ERR_INVALID_ARGUMENT;
    }
    CHECK(thrown);
    // A Bearer client has no proofs.
    oauth2cc::Client bearer(url(), "svc", "s3cret-value");
    CHECK(!bearer.dpop_enabled() && !oauth2cc::Client().dpop_enabled());
    thrown = false;
    try {
        bearer.dpop_proof("GET", api, t);
    } catch (const oauth2cc::Error &e) {
        thrown = e.status() == OAUTH_ERR_INVALID_ARGUMENT && std::strstr(e.what(), "DPoP") != nullptr;
    }
    CHECK(thrown);
}

// The certificate files given back for API calls made with another library.
static void test_client_cert_files() {
    const char *cert = std::getenv("OAUTH2CC_SIM_CLIENT_CERT"), *key = std::getenv("OAUTH2CC_SIM_CLIENT_KEY");
    const char *tls = std::getenv("OAUTH2CC_SIM_TLS_URL"), *ca = std::getenv("OAUTH2CC_SIM_CA_FILE");
    CHECK(cert != nullptr && key != nullptr && tls != nullptr && ca != nullptr);
    if (!cert || !key || !tls || !ca) return;
    // Mutual TLS needs an https:// token URL: the simulator's TLS listener (nothing is sent here).
    oauth2cc::Client with(std::string(tls) + "/realms/test/protocol/openid-connect/token", "svc", "s3cret-value",
                          oauth2cc::Options().ca_file(ca).client_cert_file(cert).client_key_file(key));
    std::pair<std::string, std::string> files = with.client_cert_files();
    CHECK(files.first == cert && files.second == key);
    oauth2cc::Client without(url(), "svc", "s3cret-value");
    files = without.client_cert_files();
    CHECK(files.first.empty() && files.second.empty());
    std::string c = "x", k = "y";
    CHECK(with.client_cert_files(c, k) == OAUTH_OK && c == cert && k == key);
    CHECK(without.client_cert_files(c, k) == OAUTH_OK && c.empty() && k.empty());
    CHECK(oauth2cc::Client().client_cert_files(c, k) == OAUTH_ERR_INVALID_ARGUMENT);
}

static void run(const char *name, void (*fn)()) {
    current_failed = 0;
    fn();
    std::printf("%s %s\n", current_failed ? "FAIL" : "ok  ", name);
    (current_failed ? failed : passed)++;
}

int main() {
    if (!std::getenv("OAUTH2CC_TOKEN_URL")) return 2;
    run("token and cache", test_token_and_cache);
    run("options builder, 1 KiB tokens", test_options_builder_and_big_tokens);
    run("errors throw with status", test_errors_throw_with_status);
    run("noexcept variants and moves", test_noexcept_variants);
    run("401 handling", test_handle_unauthorized);
    run("handle_response weighs the status", test_handle_response);
    run("threads share a const client", test_threads_share_a_const_client);
    run("version matches the header", test_version_matches_header);
    run("Options copies and moves keep their strings", test_options_copies_keep_their_strings);
    run("DPoP proofs, the server nonce, dpop_enabled", test_dpop);
    run("client certificate files", test_client_cert_files);
    std::printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
