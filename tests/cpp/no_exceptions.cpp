// The wrapper compiles without exceptions and offers the status-code API.
#include <oauth2cc.hpp>

int main() {
    oauth2cc::Client c;
    std::string t;
    int rc = oauth2cc::Client::create("ftp://nope", "id", "secret", oauth2cc::Options(), c);
    // A null client: the C ABI's argument error, as a status.
    int rr = c.handle_response_status(403, t, "");
    return rc == OAUTH_ERR_INVALID_ARGUMENT && rr == OAUTH_ERR_INVALID_ARGUMENT && !c && c.handle() == nullptr &&
                   t.empty()
               ? 0
               : 1;
}
