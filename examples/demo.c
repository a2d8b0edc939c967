/*
 * make demo: a token from a Keycloak-shaped IAM (the local simulator), the
 * same token from the cache, a renewal before it expires, and an API call
 * that survives a revoked token (oauth_handle_unauthorized).
 * Tokens are shown as fingerprints, never in full.
 */
#define _POSIX_C_SOURCE 200809L
#include <oauth2cc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sim_http.h" /* to ask the simulator what it saw, and to call its protected API */

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static unsigned long fingerprint(const char *s) {
    unsigned long h = 2166136261UL;
    while (*s) h = ((h ^ (unsigned char)*s++) * 16777619UL) & 0xffffffffUL;
    return h;
}

int main(void) {
    const char *url = getenv("OAUTH2CC_TOKEN_URL");
    oauth_client *client = NULL;
    char token[8192], first[8192];
    size_t len = 0;
    double t0, start;
    long i, reads = 1000000;
    int rc;

    if (url == NULL || sim_init() != 0) {
        fprintf(stderr, "run me through tests/with-sim.sh (make demo)\n");
        return 2;
    }
    rc = oauth_client_new(url, "demo", "demo-secret", NULL, &client);
    if (rc != OAUTH_OK) {
        fprintf(stderr, "oauth_client_new: %s\n", oauth_last_error());
        return 1;
    }
    printf("token endpoint: %s\n\n", url);

    t0 = now_s();
    rc = oauth_get_token(client, token, sizeof token, &len);
    if (rc != OAUTH_OK) {
        fprintf(stderr, "oauth_get_token: %s (%s)\n", oauth_strerror(rc), oauth_last_error());
        oauth_free(client);
        return 1;
    }
    start = t0;
    strcpy(first, token);
    printf("1. first oauth_get_token: %.1f ms, %lu-byte token, fingerprint %08lx\n", (now_s() - t0) * 1e3,
           (unsigned long)len, fingerprint(token));

    t0 = now_s();
    for (i = 0; i < reads; i++) oauth_get_token(client, token, sizeof token, &len);
    printf("2. %ld cached reads: %.0f ns each, same token: %s, token requests seen by the IAM: %ld\n", reads,
           (now_s() - t0) * 1e9 / (double)reads, strcmp(first, token) == 0 ? "yes" : "NO", sim_stat("token_requests"));

    printf("3. the token lives 6 s; asking every 100 ms until it is renewed (at 80-90 %% = 4.8-5.4 s):\n");
    for (;;) {
        struct timespec nap = {0, 100000000L};
        nanosleep(&nap, NULL);
        rc = oauth_get_token(client, token, sizeof token, &len);
        if (rc != OAUTH_OK) {
            fprintf(stderr, "oauth_get_token: %s\n", oauth_last_error());
            break;
        }
        if (strcmp(first, token) != 0) {
            printf("   at %.2f s: renewed, new fingerprint %08lx (old %08lx)\n", now_s() - start, fingerprint(token),
                   fingerprint(first));
            break;
        }
        if (now_s() - start > 8.0) {
            printf("   no renewal after 8 s?\n");
            break;
        }
    }
    printf("4. token requests seen by the IAM: %ld (the first fetch and one renewal)\n", sim_stat("token_requests"));

    /* The API answers 401: the IAM revoked the token before it expired. */
    rc = oauth_get_token(client, token, sizeof token, &len);
    if (rc == OAUTH_OK && sim_request("POST", "/sim/revoke", NULL, NULL, NULL, 0) == 200) {
        char www[512];
        int status = sim_api("/api/echo", token, www, sizeof www);
        printf("5. the IAM revoked every token; the API answers %d: %s\n", status, www);
        if (status == 401) {
            rc = oauth_handle_unauthorized(client, token, www);
            if (rc == OAUTH_RETRY && oauth_get_token(client, token, sizeof token, &len) == OAUTH_OK) {
                status = sim_api("/api/echo", token, www, sizeof www);
                printf("   oauth_handle_unauthorized -> OAUTH_RETRY: renewed to %08lx, retry answers %d\n",
                       fingerprint(token), status);
            } else {
                printf("   oauth_handle_unauthorized -> %s: %s\n", oauth_strerror(rc), oauth_last_error());
            }
        }
    }
    oauth_free(client);
    return 0;
}
