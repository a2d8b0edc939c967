// C++ example: a token through the RAII wrapper, and the 401 path.
// Run against the simulator: tests/with-sim.sh -- ./cpp_example
#include <oauth2cc.hpp>

#include <cstdlib>
#include <iostream>

int main() {
    const char *url = std::getenv("OAUTH2CC_TOKEN_URL");
    try {
        oauth2cc::Client client(url ? url : "", "svc", "s3cret-value",
                                oauth2cc::Options().scope("orders:read").timeout_ms(10000));
        std::string token = client.token();  // cached after the first call
        std::cout << "C++: a " << token.size() << "-byte token from oauth2cc " << oauth2cc::version() << "\n";
        // After an API answered 401 with this token and this WWW-Authenticate:
        if (client.handle_unauthorized(token, "Bearer error=\"invalid_token\"") == oauth2cc::Unauthorized::Retry) {
            std::string fresh = client.token();
            std::cout << "C++: renewed: " << (fresh != token ? "a new token" : "the same token?") << "\n";
        }
        oauth_stats s = client.stats();
        std::cout << "C++: token requests: " << s.token_requests << "\n";
    } catch (const oauth2cc::Error &e) {
        std::cerr << "oauth2cc: " << e.what() << " (status " << e.status() << ")\n";
        return 1;
    }
    return 0;
}
