// The wrapper compiles without exceptions and offers the status-code API.
#include <oauth2cc.hpp>

int main() {
    oauth2cc::Client c;
    std::string t;
    int rc = oauth2cc::Client::create("ftp://nope", "id", "secret", oauth2cc::Options(), c);
    // A null client: the C ABI's argument error, as a status.
    int rr = c.handle_response_status(403, t, "");
    // The DPoP and certificate variants, on the same null client.
    std::string cert, key;
    int rd = c.dpop_proof("GET", "https://api.example.com/", "tok", t);
    int rh = c.handle_dpop_response_status("https://api.example.com/", 401, "tok", "", "nonce");
    int rf = c.client_cert_files(cert, key);
    return rc == OAUTH_ERR_INVALID_ARGUMENT && rr == OAUTH_ERR_INVALID_ARGUMENT && rd == OAUTH_ERR_INVALID_ARGUMENT &&
                   rh == OAUTH_ERR_INVALID_ARGUMENT && rf == OAUTH_ERR_INVALID_ARGUMENT && !c.dpop_enabled() && !c &&
                   c.handle() == nullptr && t.empty()
               ? 0
               : 1;
}
