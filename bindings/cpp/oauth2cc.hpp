// oauth2cc.hpp: a header-only C++11 wrapper over oauth2cc.h.
//
//   oauth2cc::Client client(token_url, "svc", "s3cret",
//                           oauth2cc::Options().scope("orders:read").timeout_ms(5000));
//   std::string token = client.token();          // throws oauth2cc::Error
//
// Without exceptions (-fno-exceptions), use the noexcept variants that return
// a status code: Client::create(...), client.token(std::string &out), ...
// DPoP clients: client.dpop_proof(method, url, token) for the `DPoP` header and
// client.handle_dpop_response(url, status, token, www_authenticate, dpop_nonce).
// A Client is move-only and frees its handle; a const Client may be used by
// any number of threads at once, like the oauth_client it wraps.
#ifndef OAUTH2CC_HPP
#define OAUTH2CC_HPP

#include <oauth2cc.h>

#include <string>
#include <utility>
#include <vector>

#if defined(__cpp_exceptions) || defined(__EXCEPTIONS) || defined(_CPPUNWIND)
#define OAUTH2CC_HPP_EXCEPTIONS 1
#include <stdexcept>
#else
#define OAUTH2CC_HPP_EXCEPTIONS 0
#endif

namespace oauth2cc {

#if OAUTH2CC_HPP_EXCEPTIONS
/// A failed oauth2cc call: the status code (OAUTH_ERR_*) and the library's message.
class Error : public std::runtime_error {
public:
    Error(int status, const std::string &message) : std::runtime_error(message), status_(status) {}
    int status() const noexcept { return status_; }
    /// Milliseconds until a token request is allowed again, or -1.
    long long retry_after_ms() const noexcept { return retry_after_ms_; }
    void set_retry_after_ms(long long ms) noexcept { retry_after_ms_ = ms; }

private:
    int status_;
    long long retry_after_ms_ = -1;
};
#endif

/// The message of this thread's last failed oauth2cc call.
inline std::string last_error() { return std::string(oauth_last_error()); }

/// What an API's answer means (see oauth_handle_response).
enum class Response {
    Proceed = OAUTH_OK,                                    ///< nothing to do: the answer is yours
    Retry = OAUTH_RETRY,                                   ///< renew and retry the call once
    InsufficientScope = OAUTH_ERR_API_INSUFFICIENT_SCOPE,  ///< the client lacks a scope
    InvalidRequest = OAUTH_ERR_API_INVALID_REQUEST,        ///< the call is malformed
    Rejected = OAUTH_ERR_API_REJECTED,                     ///< another OAuth error
    NoDetail = OAUTH_ERR_API_UNAUTHORIZED                  ///< a 401 without detail: a new token will not help
};

/// What an API's 401/403 means (see oauth_handle_unauthorized); for the
/// deprecated handle_unauthorized, use Response and handle_response.
enum class Unauthorized {
    Retry = OAUTH_RETRY,                                   ///< renew and retry the call once
    InsufficientScope = OAUTH_ERR_API_INSUFFICIENT_SCOPE,  ///< the client lacks a scope
    InvalidRequest = OAUTH_ERR_API_INVALID_REQUEST,        ///< the call is malformed
    Rejected = OAUTH_ERR_API_REJECTED,                     ///< another OAuth error
    NoDetail = OAUTH_ERR_API_UNAUTHORIZED                  ///< no detail: a new token will not help
};

/// Settings beyond the credentials, as a small builder. Strings are copied
/// into the Options, which may be copied, moved and returned freely: the C
/// struct's pointers are rebuilt from the owned strings whenever it is needed.
class Options {
public:
    Options() { oauth_options_init(&opts_, OAUTH_OPTIONS_VERSION); }
    // One line per setter:
    // clang-format off
    Options &auth_method(int m) { opts_.auth_method = m; return *this; }
    Options &scope(const std::string &s) { return str(SCOPE, s); }
    Options &audience(const std::string &s) { return str(AUDIENCE, s); }
    Options &resource(const std::string &s) { return str(RESOURCE, s); }
    Options &ca_file(const std::string &s) { return str(CA_FILE, s); }
    Options &proxy(const std::string &s) { return str(PROXY, s); }
    Options &cache_dir(const std::string &s) { return str(CACHE_DIR, s); }
    Options &signing_key_file(const std::string &s) { return str(SIGNING_KEY_FILE, s); }
    Options &signing_key_pem(const std::string &s) { return str(SIGNING_KEY_PEM, s); }
    Options &signing_alg(const std::string &s) { return str(SIGNING_ALG, s); }
    Options &key_id(const std::string &s) { return str(KEY_ID, s); }
    Options &assertion_audience(const std::string &s) { return str(ASSERTION_AUDIENCE, s); }
    Options &client_cert_file(const std::string &s) { return str(CLIENT_CERT_FILE, s); }
    Options &client_key_file(const std::string &s) { return str(CLIENT_KEY_FILE, s); }
    Options &dpop(bool on) { opts_.dpop = on ? 1 : 0; return *this; }
    Options &dpop_key_file(const std::string &s) { return str(DPOP_KEY_FILE, s); }
    Options &issuer(const std::string &s) { return str(ISSUER, s); }
    Options &shared_cache_url(const std::string &s) { return str(SHARED_CACHE_URL, s); }
    Options &shared_cache_password_file(const std::string &s) { return str(SHARED_CACHE_PASSWORD_FILE, s); }
    Options &shared_cache_timeout_ms(unsigned ms) { opts_.shared_cache_timeout_ms = ms; return *this; }
    Options &connect_timeout_ms(unsigned ms) { opts_.connect_timeout_ms = ms; return *this; }
    Options &timeout_ms(unsigned ms) { opts_.timeout_ms = ms; return *this; }
    Options &renew_between_percent(unsigned lo, unsigned hi) {
        opts_.renew_min_percent = lo;
        opts_.renew_max_percent = hi;
        return *this;
    }
    Options &default_lifetime_s(unsigned s) { opts_.default_lifetime_s = s; return *this; }
    Options &allow_insecure_http(bool allow) { opts_.allow_insecure_http = allow ? 1 : 0; return *this; }
    Options &max_requests_per_second(unsigned n) { opts_.max_requests_per_second = n; return *this; }
    Options &credential_cool_down_s(unsigned s) { opts_.credential_cool_down_s = s; return *this; }
    Options &extra_param(const std::string &name, const std::string &value) {
        extra_.push_back(name);
        extra_.push_back(value);
        return *this;
    }
    // clang-format on

    /// The C struct, pointing into this Options: valid while this object
    /// lives and is not changed (a copy has its own). Not for concurrent use.
    const oauth_options *get() const {
        fill(opts_, extra_ptrs_);
        return &opts_;
    }

    /// Fills `out` with these settings; its strings point into this Options
    /// and `extra_ptrs`, which must outlive `out`'s use.
    void fill(oauth_options &out, std::vector<const char *> &extra_ptrs) const {
        out = opts_;
        out.scope = c_str(SCOPE);
        out.audience = c_str(AUDIENCE);
        out.resource = c_str(RESOURCE);
        out.ca_file = c_str(CA_FILE);
        out.proxy = c_str(PROXY);
        out.cache_dir = c_str(CACHE_DIR);
        out.signing_key_file = c_str(SIGNING_KEY_FILE);
        out.signing_key_pem = c_str(SIGNING_KEY_PEM);
        out.signing_alg = c_str(SIGNING_ALG);
        out.key_id = c_str(KEY_ID);
        out.assertion_audience = c_str(ASSERTION_AUDIENCE);
        out.client_cert_file = c_str(CLIENT_CERT_FILE);
        out.client_key_file = c_str(CLIENT_KEY_FILE);
        out.dpop_key_file = c_str(DPOP_KEY_FILE);
        out.issuer = c_str(ISSUER);
        out.shared_cache_url = c_str(SHARED_CACHE_URL);
        out.shared_cache_password_file = c_str(SHARED_CACHE_PASSWORD_FILE);
        extra_ptrs.clear();
        for (size_t i = 0; i < extra_.size(); ++i) extra_ptrs.push_back(extra_[i].c_str());
        extra_ptrs.push_back(nullptr);
        out.extra_params = extra_.empty() ? nullptr : extra_ptrs.data();
    }

private:
    enum {
        SCOPE,
        AUDIENCE,
        RESOURCE,
        CA_FILE,
        PROXY,
        CACHE_DIR,
        SIGNING_KEY_FILE,
        SIGNING_KEY_PEM,
        SIGNING_ALG,
        KEY_ID,
        ASSERTION_AUDIENCE,
        CLIENT_CERT_FILE,
        CLIENT_KEY_FILE,
        DPOP_KEY_FILE,
        ISSUER,
        SHARED_CACHE_URL,
        SHARED_CACHE_PASSWORD_FILE,
        STRINGS
    };
    const char *c_str(size_t field) const { return set_[field] ? strings_[field].c_str() : nullptr; }
    Options &str(size_t field, const std::string &s) {
        strings_[field] = s;
        set_[field] = true;
        return *this;
    }
    // The scalars; its pointers are only ever set by fill().
    mutable oauth_options opts_;
    std::string strings_[STRINGS];
    bool set_[STRINGS] = {};
    std::vector<std::string> extra_;
    mutable std::vector<const char *> extra_ptrs_;
};

/// Owns an oauth_client. Move-only.
class Client {
public:
    /// Creates a client without throwing; returns the status (OAUTH_OK on success).
    static int create(const std::string &token_url, const std::string &client_id, const std::string &client_secret,
                      const Options &options, Client &out) noexcept {
        oauth_client *c = nullptr;
        oauth_options opts;
        std::vector<const char *> extra_ptrs;
        options.fill(opts, extra_ptrs);
        int rc = oauth_client_new(token_url.c_str(), client_id.c_str(), client_secret.c_str(), &opts, &c);
        if (rc == OAUTH_OK) out = Client(c);
        return rc;
    }

    Client() noexcept : c_(nullptr) {}

#if OAUTH2CC_HPP_EXCEPTIONS
    /// Creates a client; throws Error on a bad argument or option.
    Client(const std::string &token_url, const std::string &client_id, const std::string &client_secret,
           const Options &options = Options())
        : c_(nullptr) {
        check(create(token_url, client_id, client_secret, options, *this));
    }

    /// A valid access token, from the cache when possible; throws Error.
    std::string token() const {
        std::string out;
        check(token(out));
        return out;
    }

    /// What the API's answer (`http_status`, and its WWW-Authenticate field(s)
    /// joined with ", ", empty if none) to a call with `used_token` means; see
    /// oauth_handle_response. Throws only on a bad argument (a status outside
    /// 100..=999).
    Response handle_response(int http_status, const std::string &used_token,
                             const std::string &www_authenticate = std::string()) const {
        int rc = handle_response_status(http_status, used_token, www_authenticate);
        if (rc == OAUTH_ERR_INVALID_ARGUMENT || rc == OAUTH_ERR_INTERNAL) throw_error(rc);
        return static_cast<Response>(rc);
    }

    /// Deprecated: handle_response(401, ...), or better the real status (this
    /// one takes every answer for a 401: a plain 403 becomes NoDetail). See
    /// oauth_handle_unauthorized; throws only on a bad argument.
    Unauthorized handle_unauthorized(const std::string &used_token, const char *www_authenticate) const {
        int rc = handle_unauthorized_status(used_token, www_authenticate);
        if (rc == OAUTH_ERR_INVALID_ARGUMENT || rc == OAUTH_ERR_INTERNAL) throw_error(rc);
        return static_cast<Unauthorized>(rc);
    }

    void set_secret(const std::string &secret) const { check(set_secret_status(secret)); }

    oauth_stats stats() const {
        oauth_stats s;
        check(stats(s));
        return s;
    }

    /// A DPoP proof (RFC 9449) for one API call with `token` on a client
    /// created with Options().dpop(true) or dpop_key_file: send it as the
    /// `DPoP` header with `Authorization: DPoP <token>`, a new one for every
    /// request (resends included). `url` is the absolute http(s) URL (query and
    /// fragment are left out of the proof). See oauth_dpop_proof; throws Error
    /// (OAUTH_ERR_INVALID_ARGUMENT for a client without DPoP or a bad argument).
    std::string dpop_proof(const std::string &method, const std::string &url, const std::string &token) const {
        std::string out;
        check(dpop_proof(method, url, token, out));
        return out;
    }

    /// handle_response for a call made with a DPoP proof: also takes the
    /// call's `url` and the answer's `DPoP-Nonce` header (empty if none), which
    /// is remembered for the next proofs. Response::Retry for a 401
    /// `use_dpop_nonce` with a nonce: resend once with the same token and a new
    /// proof. See oauth_handle_dpop_response; throws only on a bad argument.
    Response handle_dpop_response(const std::string &url, int http_status, const std::string &used_token,
                                  const std::string &www_authenticate = std::string(),
                                  const std::string &dpop_nonce = std::string()) const {
        int rc = handle_dpop_response_status(url, http_status, used_token, www_authenticate, dpop_nonce);
        if (rc == OAUTH_ERR_INVALID_ARGUMENT || rc == OAUTH_ERR_INTERNAL) throw_error(rc);
        return static_cast<Response>(rc);
    }

    /// The client certificate and key files (as given in the options) for API
    /// calls made with another HTTP library: a certificate-bound token must go
    /// with its certificate. Both empty when the client has none. Throws Error.
    std::pair<std::string, std::string> client_cert_files() const {
        std::pair<std::string, std::string> files;
        check(client_cert_files(files.first, files.second));
        return files;
    }
#endif

    /// Writes a DPoP proof into `out`; returns the status (see dpop_proof). Never throws.
    int dpop_proof(const std::string &method, const std::string &url, const std::string &token,
                   std::string &out) const noexcept {
        char buf[1024];
        size_t len = 0;
        int rc = oauth_dpop_proof(c_, method.c_str(), url.c_str(), token.c_str(), buf, sizeof buf, &len);
        if (rc == OAUTH_OK) {
            out.assign(buf, len);
            return rc;
        }
        // A longer proof (a long server nonce): a buffer of its size; again if the nonce changed meanwhile.
        while (rc == OAUTH_ERR_BUFFER_TOO_SMALL) {
            std::vector<char> big(len + 1);
            rc = oauth_dpop_proof(c_, method.c_str(), url.c_str(), token.c_str(), big.data(), big.size(), &len);
            if (rc == OAUTH_OK) out.assign(big.data(), len);
        }
        return rc;
    }

    /// oauth_handle_dpop_response's status (OAUTH_OK, OAUTH_RETRY, OAUTH_ERR_API_*,
    /// OAUTH_ERR_INVALID_ARGUMENT, ...); empty `www_authenticate` / `dpop_nonce`
    /// mean none. Never throws.
    int handle_dpop_response_status(const std::string &url, int http_status, const std::string &used_token,
                                    const std::string &www_authenticate = std::string(),
                                    const std::string &dpop_nonce = std::string()) const noexcept {
        return oauth_handle_dpop_response(c_, url.c_str(), http_status, used_token.c_str(),
                                          www_authenticate.empty() ? nullptr : www_authenticate.c_str(),
                                          dpop_nonce.empty() ? nullptr : dpop_nonce.c_str());
    }

    /// True when the client binds its tokens with DPoP (use dpop_proof and
    /// `Authorization: DPoP`); false for a Bearer client or an empty Client.
    bool dpop_enabled() const noexcept { return oauth_dpop_enabled(c_) != 0; }

    /// Writes the client certificate and key file paths into `cert` and `key`
    /// (both empty when the client has none); returns the status. Never throws.
    int client_cert_files(std::string &cert, std::string &key) const noexcept {
        const char *c = nullptr, *k = nullptr;
        int rc = oauth_get_client_cert_files(c_, &c, &k);
        if (rc == OAUTH_OK) {
            cert.assign(c ? c : "");
            key.assign(k ? k : "");
        }
        return rc;
    }

    /// Writes a valid access token into `out`; returns the status. Never throws.
    int token(std::string &out) const noexcept {
        char buf[4096];
        size_t len = 0;
        int rc = oauth_get_token(c_, buf, sizeof buf, &len);
        if (rc == OAUTH_OK) {
            out.assign(buf, len);
            return rc;
        }
        while (rc == OAUTH_ERR_BUFFER_TOO_SMALL) {
            std::vector<char> big(len + 1);
            rc = oauth_get_token(c_, big.data(), big.size(), &len);
            if (rc == OAUTH_OK) out.assign(big.data(), len);
        }
        return rc;
    }

    /// Drops the cached token if it is still `used_token`; returns the status.
    int invalidate(const std::string &used_token) const noexcept { return oauth_invalidate(c_, used_token.c_str()); }

    /// oauth_handle_response's status (OAUTH_OK, OAUTH_RETRY, OAUTH_ERR_API_*,
    /// OAUTH_ERR_INVALID_ARGUMENT, ...); an empty `www_authenticate` means none. Never throws.
    int handle_response_status(int http_status, const std::string &used_token,
                               const std::string &www_authenticate = std::string()) const noexcept {
        return oauth_handle_response(c_, http_status, used_token.c_str(),
                                     www_authenticate.empty() ? nullptr : www_authenticate.c_str());
    }

    /// Deprecated: handle_response_status(401, ...), or better the real status.
    /// oauth_handle_unauthorized's status (OAUTH_RETRY, OAUTH_ERR_API_*, ...). Never throws.
    int handle_unauthorized_status(const std::string &used_token, const char *www_authenticate) const noexcept {
        return oauth_handle_unauthorized(c_, used_token.c_str(), www_authenticate);
    }

    int set_secret_status(const std::string &secret) const noexcept { return oauth_set_secret(c_, secret.c_str()); }

    int stats(oauth_stats &out) const noexcept {
        out.version = OAUTH_STATS_VERSION;
        return oauth_get_stats(c_, &out);
    }

    /// The C handle, for calls this wrapper does not cover (still owned by this Client).
    const oauth_client *handle() const noexcept { return c_; }
    explicit operator bool() const noexcept { return c_ != nullptr; }

    Client(Client &&other) noexcept : c_(other.c_) { other.c_ = nullptr; }
    Client &operator=(Client &&other) noexcept {
        if (this != &other) {
            oauth_free(c_);
            c_ = other.c_;
            other.c_ = nullptr;
        }
        return *this;
    }
    Client(const Client &) = delete;
    Client &operator=(const Client &) = delete;
    ~Client() { oauth_free(c_); }

private:
    explicit Client(oauth_client *c) noexcept : c_(c) {}

#if OAUTH2CC_HPP_EXCEPTIONS
    static void throw_error(int rc) {
        Error e(rc, std::string(oauth_strerror(rc)) + ": " + oauth_last_error());
        e.set_retry_after_ms(static_cast<long long>(oauth_last_retry_after_ms()));
        throw e;
    }
    static void check(int rc) {
        if (rc != OAUTH_OK) throw_error(rc);
    }
#endif

    oauth_client *c_;
};

/// The linked library's version string.
inline std::string version() { return std::string(oauth_version()); }

}  // namespace oauth2cc

#endif  // OAUTH2CC_HPP
