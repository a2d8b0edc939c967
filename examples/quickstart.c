/* The README's C quick start. Build and run (against the local simulator):
 *   make build
 *   cc -Iinclude examples/quickstart.c -Lbuild/release -loauth2cc -Wl,-rpath,$PWD/build/release -o build/quickstart
 *   tests/with-sim.sh -- build/quickstart
 */
#include <oauth2cc.h>
#include <stdio.h>
#include <stdlib.h>

int main(void) {
    const char *url = getenv("OAUTH2CC_TOKEN_URL"); /* e.g. https://iam/auth/realms/R/protocol/openid-connect/token */
    oauth_options opts = OAUTH_OPTIONS_INIT;        /* every field 0/NULL = default */
    oauth_client *client = NULL;
    char token[4096];
    size_t len = 0;
    int rc;

    opts.scope = "orders:read";
    rc = oauth_client_new(url ? url : "", "svc", "s3cret-value", &opts, &client);
    if (rc != OAUTH_OK) {
        fprintf(stderr, "oauth_client_new: %s: %s\n", oauth_strerror(rc), oauth_last_error());
        return 1;
    }
    rc = oauth_get_token(client, token, sizeof token, &len); /* fetched once, then cached and renewed */
    if (rc != OAUTH_OK) {
        fprintf(stderr, "oauth_get_token: %s: %s\n", oauth_strerror(rc), oauth_last_error());
        oauth_free(client);
        return 1;
    }
    printf("got a %lu-byte access token; send it as \"Authorization: Bearer <token>\"\n", (unsigned long)len);
    oauth_free(client);
    return 0;
}
