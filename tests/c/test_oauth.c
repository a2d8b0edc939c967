/*
 * C tests of liboauth2cc against the IAM simulator (run through tests/with-sim.sh).
 * Built with -Wall -Wextra -Wpedantic -Werror, linked shared and static, and
 * run under AddressSanitizer and UndefinedBehaviorSanitizer.
 */
#define _POSIX_C_SOURCE 200809L
#include "oauth2cc.h"
#include "check.h"
#include "frozen_layouts.h"
#include "sim_http.h"
#include "api_response_cases.h" /* generated from tests/api_response_cases.json */

#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <fcntl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define TOKEN_MAX 8192

static char token_url[256];

static oauth_client *new_client(const char *id, const char *secret, const oauth_options *opts) {
    oauth_client *c = NULL;
    int rc = oauth_client_new(token_url, id, secret, opts, &c);
    CHECK(rc == OAUTH_OK);
    CHECK(c != NULL);
    return c;
}

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void sleep_ms(long ms) {
    struct timespec ts;
    ts.tv_sec = ms / 1000;
    ts.tv_nsec = (ms % 1000) * 1000000L;
    nanosleep(&ts, NULL);
}

/* ---- tests ---- */

static void test_get_token_then_cache(void) {
    char a[TOKEN_MAX], b[TOKEN_MAX], api[1024], auth[TOKEN_MAX + 16];
    size_t alen = 0, blen = 0;
    int i;
    oauth_client *c = new_client("svc", "s3cret-value", NULL);
    CHECK(oauth_get_token(c, a, sizeof a, &alen) == OAUTH_OK);
    CHECK(alen > 100 && strlen(a) == alen);
    for (i = 0; i < 1000; i++) {
        CHECK(oauth_get_token(c, b, sizeof b, &blen) == OAUTH_OK);
    }
    CHECK(blen == alen && strcmp(a, b) == 0);
    CHECK(sim_stat("token_requests") == 1);
    snprintf(auth, sizeof auth, "Bearer %s", a);
    CHECK(sim_request("GET", "/api/echo", auth, NULL, api, sizeof api) == 200);
    CHECK(strstr(api, "\"client\":\"svc\"") != NULL);
    oauth_free(c);
}

static void test_buffer_too_small(void) {
    char big[TOKEN_MAX], small[16];
    size_t len = 0, need = 0;
    oauth_client *c = new_client("svc", "s3cret-value", NULL);
    memset(small, 'x', sizeof small);
    CHECK(oauth_get_token(c, small, sizeof small, &need) == OAUTH_ERR_BUFFER_TOO_SMALL);
    CHECK(need > sizeof small);
    CHECK(small[0] == 'x' && small[15] == 'x'); /* untouched */
    CHECK(strstr(oauth_last_error(), "buffer") != NULL);
    /* Size query. */
    need = 0;
    CHECK(oauth_get_token(c, NULL, 0, &need) == OAUTH_ERR_BUFFER_TOO_SMALL);
    CHECK(oauth_get_token(c, big, need + 1, &len) == OAUTH_OK);
    CHECK(len == need && big[len] == '\0');
    /* Exactly len bytes leaves no room for the NUL. */
    CHECK(oauth_get_token(c, big, need, &len) == OAUTH_ERR_BUFFER_TOO_SMALL);
    CHECK(sim_stat("token_requests") == 1);
    oauth_free(c);
}

static void test_null_arguments(void) {
    oauth_client *c = NULL, *ok;
    char buf[TOKEN_MAX];
    size_t len = 7;
    CHECK(oauth_client_new(NULL, "svc", "s", NULL, &c) == OAUTH_ERR_INVALID_ARGUMENT && c == NULL);
    CHECK(strstr(oauth_last_error(), "token_url is NULL") != NULL);
    CHECK(oauth_client_new(token_url, NULL, "s", NULL, &c) == OAUTH_ERR_INVALID_ARGUMENT && c == NULL);
    CHECK(strstr(oauth_last_error(), "client_id") != NULL);
    CHECK(oauth_client_new(token_url, "svc", NULL, NULL, &c) == OAUTH_ERR_INVALID_ARGUMENT && c == NULL);
    CHECK(strstr(oauth_last_error(), "client_secret") != NULL);
    CHECK(oauth_client_new(token_url, "svc", "s", NULL, NULL) == OAUTH_ERR_INVALID_ARGUMENT);
    CHECK(strstr(oauth_last_error(), "out") != NULL);
    CHECK(oauth_get_token(NULL, buf, sizeof buf, &len) == OAUTH_ERR_INVALID_ARGUMENT && len == 7);
    ok = new_client("svc", "s3cret-value", NULL);
    CHECK(oauth_get_token(ok, buf, sizeof buf, NULL) == OAUTH_ERR_INVALID_ARGUMENT);
    CHECK(oauth_get_token(ok, NULL, 10, &len) == OAUTH_ERR_INVALID_ARGUMENT && len == 7);
    CHECK(oauth_invalidate(NULL, "x") == OAUTH_ERR_INVALID_ARGUMENT);
    CHECK(oauth_invalidate(ok, NULL) == OAUTH_ERR_INVALID_ARGUMENT);
    CHECK(oauth_options_init(NULL, OAUTH_OPTIONS_VERSION) == OAUTH_ERR_INVALID_ARGUMENT);
    oauth_free(NULL);
    oauth_free(ok);
    CHECK(sim_stat("token_requests") == 0);
}

/* Settings from the environment and a profile (the core's rules: a variable
 * beats the profile; every missing setting named in one error). */
static void test_client_new_from_env(void) {
    char cfg_path[128], secret_path[128], buf[TOKEN_MAX];
    const char *err;
    size_t len;
    FILE *f;
    oauth_client *c = NULL;
    snprintf(cfg_path, sizeof cfg_path, "/tmp/oauth2cc-ctest-config-%ld", (long)getpid());
    snprintf(secret_path, sizeof secret_path, "/tmp/oauth2cc-ctest-secret-%ld", (long)getpid());
    /* tests/with-sim.sh exports OAUTH2CC_TOKEN_URL; start from none of them. */
    unsetenv("OAUTH2CC_TOKEN_URL");
    unsetenv("OAUTH2CC_CLIENT_ID");
    unsetenv("OAUTH2CC_CLIENT_SECRET");
    unsetenv("OAUTH2CC_PROFILE");
    CHECK(setenv("OAUTH2CC_CONFIG", cfg_path, 1) == 0); /* not there yet: no profile */
    CHECK(oauth_client_new_from_env(NULL, &c) == OAUTH_ERR_INVALID_ARGUMENT && c == NULL);
    err = oauth_last_error();
    CHECK(strstr(err, "OAUTH2CC_TOKEN_URL") != NULL && strstr(err, "OAUTH2CC_CLIENT_ID") != NULL);
    CHECK(strstr(err, "OAUTH2CC_CLIENT_SECRET") != NULL);
    CHECK(oauth_client_new_from_env(NULL, NULL) == OAUTH_ERR_INVALID_ARGUMENT);

    f = fopen(secret_path, "w");
    CHECK(f != NULL);
    fputs("s3cret-value\n", f);
    fclose(f);
    f = fopen(cfg_path, "w");
    CHECK(f != NULL);
    fprintf(f, "[profile ctest]\ntoken_url = %s\nclient_id = svc\nclient_secret_file = %s\nscope = orders:write\n",
            token_url, secret_path);
    fclose(f);
    CHECK(setenv("OAUTH2CC_SCOPE", "orders:read", 1) == 0); /* beats the profile's scope */
    CHECK(setenv("OAUTH2CC_AUDIENCE", "", 1) == 0);         /* empty: not given */
    CHECK(oauth_client_new_from_env("ctest", &c) == OAUTH_OK && c != NULL);
    CHECK(oauth_get_granted_scope(c, buf, sizeof buf, &len) == OAUTH_OK);
    CHECK(strcmp(buf, "profile email orders:read") == 0);
    oauth_free(c);
    c = NULL;
    /* NULL profile: OAUTH2CC_PROFILE names it. */
    CHECK(setenv("OAUTH2CC_PROFILE", "ctest", 1) == 0);
    CHECK(oauth_client_new_from_env(NULL, &c) == OAUTH_OK);
    CHECK(oauth_get_token(c, buf, sizeof buf, &len) == OAUTH_OK && len > 100);
    oauth_free(c);
    c = NULL;
    CHECK(oauth_client_new_from_env("no-such-profile", &c) == OAUTH_ERR_INVALID_ARGUMENT && c == NULL);
    CHECK(strstr(oauth_last_error(), "no-such-profile") != NULL);
    /* A bad value names its variable. */
    CHECK(setenv("OAUTH2CC_TIMEOUT", "soon", 1) == 0);
    CHECK(oauth_client_new_from_env(NULL, &c) == OAUTH_ERR_INVALID_ARGUMENT && c == NULL);
    CHECK(strstr(oauth_last_error(), "OAUTH2CC_TIMEOUT") != NULL);
    CHECK(strstr(oauth_last_error(), "s3cret-value") == NULL);
    unsetenv("OAUTH2CC_TIMEOUT");
    unsetenv("OAUTH2CC_PROFILE");
    unsetenv("OAUTH2CC_SCOPE");
    unsetenv("OAUTH2CC_AUDIENCE");
    unsetenv("OAUTH2CC_CONFIG");
    remove(cfg_path);
    remove(secret_path);
}

static void test_bad_input(void) {
    oauth_client *c = NULL;
    oauth_options o = OAUTH_OPTIONS_INIT;
    const char bad_utf8[] = {'s', (char)0xff, (char)0xfe, 0};
    const char *odd_params[] = {"client_secret", "x", NULL};
    CHECK(oauth_client_new("not a url", "svc", "s", NULL, &c) == OAUTH_ERR_INVALID_ARGUMENT && c == NULL);
    CHECK(oauth_client_new("ftp://127.0.0.1/x", "svc", "s", NULL, &c) == OAUTH_ERR_INVALID_ARGUMENT);
    CHECK(oauth_client_new("http://iam.example.com/token", "svc", "s", NULL, &c) == OAUTH_ERR_INVALID_ARGUMENT);
    CHECK(strstr(oauth_last_error(), "http://") != NULL);
    CHECK(oauth_client_new(token_url, "svc", bad_utf8, NULL, &c) == OAUTH_ERR_INVALID_ARGUMENT);
    CHECK(strstr(oauth_last_error(), "UTF-8") != NULL);
    CHECK(oauth_client_new(token_url, bad_utf8, "s", NULL, &c) == OAUTH_ERR_INVALID_ARGUMENT);
    o.version = 0;
    CHECK(oauth_client_new(token_url, "svc", "s", &o, &c) == OAUTH_ERR_INVALID_ARGUMENT);
    CHECK(strstr(oauth_last_error(), "OAUTH_OPTIONS_INIT") != NULL);
    o.version = 999;
    CHECK(oauth_client_new(token_url, "svc", "s", &o, &c) == OAUTH_ERR_INVALID_ARGUMENT);
    CHECK(oauth_options_init(&o, 999) == OAUTH_ERR_INVALID_ARGUMENT);
    CHECK(oauth_options_init(&o, OAUTH_OPTIONS_VERSION) == OAUTH_OK);
    o.auth_method = 42;
    CHECK(oauth_client_new(token_url, "svc", "s", &o, &c) == OAUTH_ERR_INVALID_ARGUMENT);
    o.auth_method = OAUTH_AUTH_CLIENT_SECRET_BASIC;
    o.renew_min_percent = 95;
    o.renew_max_percent = 90;
    CHECK(oauth_client_new(token_url, "svc", "s", &o, &c) == OAUTH_ERR_INVALID_ARGUMENT);
    o.renew_min_percent = o.renew_max_percent = 0;
    o.ca_file = "/nonexistent/ca.pem";
    CHECK(oauth_client_new(token_url, "svc", "s", &o, &c) == OAUTH_ERR_INVALID_ARGUMENT);
    CHECK(strstr(oauth_last_error(), "/nonexistent/ca.pem") != NULL);
    o.ca_file = NULL;
    o.extra_params = odd_params;
    CHECK(oauth_client_new(token_url, "svc", "s", &o, &c) == OAUTH_ERR_INVALID_ARGUMENT);
    CHECK(c == NULL);
    CHECK(strcmp(oauth_strerror(OAUTH_ERR_TLS), "TLS error") == 0);
    CHECK(strcmp(oauth_strerror(12345), "unknown status") == 0);
    CHECK(sim_stat("token_requests") == 0);
}

static void test_options_reach_the_server(void) {
    char buf[TOKEN_MAX], stats[16384];
    size_t len;
    oauth_client *c;
    oauth_options o;
    const char *extra[] = {"acr_values", "gold", NULL};
    CHECK(oauth_options_init(&o, OAUTH_OPTIONS_VERSION) == OAUTH_OK);
    o.auth_method = OAUTH_AUTH_CLIENT_SECRET_POST;
    o.scope = "orders:read";
    o.audience = "orders-api";
    o.extra_params = extra;
    o.timeout_ms = 3000;
    c = new_client("post-only", "post-secret", &o);
    CHECK(oauth_get_token(c, buf, sizeof buf, &len) == OAUTH_OK);
    CHECK(sim_request("GET", "/sim/stats", NULL, NULL, stats, sizeof stats) == 200);
    CHECK(strstr(stats, "[\"scope\",\"orders:read\"]") != NULL);
    CHECK(strstr(stats, "[\"audience\",\"orders-api\"]") != NULL);
    CHECK(strstr(stats, "[\"acr_values\",\"gold\"]") != NULL);
    CHECK(strstr(stats, "\"last_method\":\"post\"") != NULL);
    oauth_free(c);
}

static void test_wrong_secret(void) {
    char buf[TOKEN_MAX];
    size_t len = 3;
    oauth_client *c = new_client("svc", "wrong-Secret-42", NULL);
    CHECK(oauth_get_token(c, buf, sizeof buf, &len) == OAUTH_ERR_INVALID_CLIENT);
    CHECK(len == 3);
    CHECK(strstr(oauth_last_error(), "rejected the client credentials") != NULL);
    CHECK(strstr(oauth_last_error(), "401") != NULL);
    CHECK(strstr(oauth_last_error(), "wrong-Secret-42") == NULL);
    /* No retry loop: the same answer without another request. */
    CHECK(oauth_get_token(c, buf, sizeof buf, &len) == OAUTH_ERR_INVALID_CLIENT);
    CHECK(sim_stat("token_requests") == 1);
    oauth_free(c);
}

/* Signed JWT client authentication (RFC 7523): the simulator's key-svc has the
 * public halves of tests/fixtures/keys registered, jwt-svc its secret. */
#define KEYS "tests/fixtures/keys/"

static char *read_file(const char *path) {
    FILE *f = fopen(path, "rb");
    char *buf = calloc(1, 8192);
    size_t n;
    CHECK(f != NULL && buf != NULL);
    n = fread(buf, 1, 8191, f);
    CHECK(n > 0);
    fclose(f);
    return buf;
}

static void test_private_key_jwt(void) {
    char buf[TOKEN_MAX], stats[16384];
    size_t len;
    long before = sim_stat("token_requests");
    oauth_client *c = NULL;
    oauth_options o;
    char *pem = read_file(KEYS "rsa2048.pkcs1.pem");
    /* A key file (SEC1 EC: ES256), no secret. */
    CHECK(oauth_options_init(&o, OAUTH_OPTIONS_VERSION) == OAUTH_OK);
    o.auth_method = OAUTH_AUTH_PRIVATE_KEY_JWT;
    o.signing_key_file = KEYS "p256.sec1.pem";
    c = new_client("key-svc", NULL, &o);
    CHECK(oauth_get_token(c, buf, sizeof buf, &len) == OAUTH_OK);
    CHECK(oauth_get_token(c, buf, sizeof buf, &len) == OAUTH_OK);
    CHECK(sim_stat("token_requests") == before + 1);
    CHECK(sim_request("GET", "/sim/stats", NULL, NULL, stats, sizeof stats) == 200);
    CHECK(strstr(stats, "\"last_method\":\"private_key_jwt\"") != NULL);
    CHECK(strstr(stats, "[\"client_id\",\"key-svc\"]") != NULL);
    oauth_free(c);
    /* PEM text (PKCS#1 RSA) with PS256 and a chosen kid. */
    CHECK(oauth_options_init(&o, OAUTH_OPTIONS_VERSION) == OAUTH_OK);
    o.auth_method = OAUTH_AUTH_PRIVATE_KEY_JWT;
    o.signing_key_pem = pem;
    o.signing_alg = "PS256";
    o.key_id = "c-test-key";
    c = new_client("key-svc", "", &o);
    memset(pem, 0, strlen(pem)); /* the client keeps no pointer to it */
    free(pem);
    CHECK(oauth_get_token(c, buf, sizeof buf, &len) == OAUTH_OK);
    oauth_free(c);
    /* client_secret_jwt. */
    CHECK(oauth_options_init(&o, OAUTH_OPTIONS_VERSION) == OAUTH_OK);
    o.auth_method = OAUTH_AUTH_CLIENT_SECRET_JWT;
    o.signing_alg = "HS512";
    c = new_client("jwt-svc", "jwt-secret-value-0123456789abcdef", &o);
    CHECK(oauth_get_token(c, buf, sizeof buf, &len) == OAUTH_OK);
    CHECK(sim_request("GET", "/sim/stats", NULL, NULL, stats, sizeof stats) == 200);
    CHECK(strstr(stats, "\"last_method\":\"client_secret_jwt\"") != NULL);
    oauth_free(c);
}

static void test_private_key_jwt_bad_keys(void) {
    char buf[TOKEN_MAX];
    size_t len;
    long before = sim_stat("token_requests");
    oauth_client *c = NULL;
    oauth_options o;
    static const struct {
        const char *file, *pem, *alg, *message;
    } bad[] = {
        {KEYS "missing.pem", NULL, NULL, "cannot read"},
        {KEYS "rsa1024.pkcs8.pem", NULL, NULL, "refused"},
        {KEYS "secp256k1.sec1.pem", NULL, NULL, "curve"},
        {KEYS "p256.pkcs8.pem", NULL, "RS256", "does not fit"},
        {NULL, "-----BEGIN PRIVATE KEY-----\nnot base64!\n-----END PRIVATE KEY-----\n", NULL, "PEM"},
        {NULL, NULL, NULL, "needs a private key"},
    };
    size_t i;
    for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        CHECK(oauth_options_init(&o, OAUTH_OPTIONS_VERSION) == OAUTH_OK);
        o.auth_method = OAUTH_AUTH_PRIVATE_KEY_JWT;
        o.signing_key_file = bad[i].file;
        o.signing_key_pem = bad[i].pem;
        o.signing_alg = bad[i].alg;
        c = NULL;
        CHECK(oauth_client_new(token_url, "key-svc", NULL, &o, &c) == OAUTH_ERR_INVALID_ARGUMENT);
        CHECK(c == NULL);
        if (strstr(oauth_last_error(), bad[i].message) == NULL) {
            fprintf(stderr, "case %zu: %s\n", i, oauth_last_error());
        }
        CHECK(strstr(oauth_last_error(), bad[i].message) != NULL);
    }
    CHECK(sim_stat("token_requests") == before);
    /* A valid key the server does not know: a credential rejection, not retried. */
    CHECK(oauth_options_init(&o, OAUTH_OPTIONS_VERSION) == OAUTH_OK);
    o.auth_method = OAUTH_AUTH_PRIVATE_KEY_JWT;
    o.signing_key_file = KEYS "rsa2048-other.pkcs8.pem";
    c = new_client("key-svc", NULL, &o);
    CHECK(oauth_get_token(c, buf, sizeof buf, &len) == OAUTH_ERR_INVALID_CLIENT);
    CHECK(oauth_get_token(c, buf, sizeof buf, &len) == OAUTH_ERR_INVALID_CLIENT);
    CHECK(sim_stat("token_requests") == before + 1);
    oauth_free(c);
}

/* Some servers answer a wrong secret with 403 and an empty body: a credential
 * rejection with its cool-down, not a protocol error retried in a loop. */
static void test_bare_403_is_a_credential_rejection(void) {
    char buf[TOKEN_MAX];
    size_t len;
    oauth_client *c;
    CHECK(sim_fault("{\"kind\":\"status\",\"status\":403,\"body\":\"\"}") == 0);
    c = new_client("svc", "s3cret-value", NULL);
    CHECK(oauth_get_token(c, buf, sizeof buf, &len) == OAUTH_ERR_INVALID_CLIENT);
    CHECK(strstr(oauth_last_error(), "403") != NULL);
    CHECK(oauth_get_token(c, buf, sizeof buf, &len) == OAUTH_ERR_INVALID_CLIENT);
    CHECK(oauth_last_retry_after_ms() > 50000);
    CHECK(sim_stat("token_requests") == 1);
    oauth_free(c);
}

/* A wrong realm: the token URL is wrong, a configuration error with a short backoff. */
static void test_404_is_a_configuration_error(void) {
    char buf[TOKEN_MAX], url[300];
    size_t len;
    oauth_client *c = NULL;
    snprintf(url, sizeof url, "%s/realms/nope/protocol/openid-connect/token", sim_url());
    CHECK(oauth_client_new(url, "svc", "s3cret-value", NULL, &c) == OAUTH_OK);
    CHECK(oauth_get_token(c, buf, sizeof buf, &len) == OAUTH_ERR_INVALID_ARGUMENT);
    CHECK(strstr(oauth_last_error(), "404") != NULL);
    CHECK(strstr(oauth_last_error(), "realm and path") != NULL);
    CHECK(oauth_last_retry_after_ms() >= 0 && oauth_last_retry_after_ms() <= 500);
    oauth_free(c);
}

/* A bug (a panic; OAUTH2CC_TEST_PANIC_CLIENT_ID, set in main, makes this
 * client's token requests panic) is OAUTH_ERR_INTERNAL, and nothing reaches
 * the program's stderr. */
static void test_caught_panic_is_silent(void) {
    char buf[TOKEN_MAX];
    size_t len;
    long written;
    int saved;
    FILE *err = tmpfile();
    oauth_client *c = new_client("panic-me", "s3cret-value", NULL);
    CHECK(err != NULL);
    if (err == NULL) return;
    fflush(stderr);
    saved = dup(2);
    dup2(fileno(err), 2);
    CHECK(oauth_get_token(c, buf, sizeof buf, &len) == OAUTH_ERR_INTERNAL);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    fseek(err, 0, SEEK_END);
    written = ftell(err);
    fclose(err);
    CHECK(written == 0);
    CHECK(strstr(oauth_last_error(), "internal error") != NULL);
    CHECK(strstr(oauth_last_error(), "s3cret-value") == NULL);
    oauth_free(c);
}

/* The granted scope: what the server said, or what was asked when it said nothing. */
static void test_granted_scope(void) {
    char buf[TOKEN_MAX], small[4];
    size_t len = 99;
    oauth_options o = OAUTH_OPTIONS_INIT;
    oauth_client *c;
    o.scope = "orders:read orders:write";
    CHECK(sim_fault("{\"kind\":\"scope\",\"value\":\"profile orders:read\"}") == 0);
    c = new_client("svc", "s3cret-value", &o);
    CHECK(oauth_get_granted_scope(c, buf, sizeof buf, &len) == OAUTH_OK);
    CHECK(strcmp(buf, "profile orders:read") == 0 && len == strlen(buf));
    strcpy(small, "xyz");
    CHECK(oauth_get_granted_scope(c, small, sizeof small, &len) == OAUTH_ERR_BUFFER_TOO_SMALL);
    CHECK(len == strlen("profile orders:read") && strcmp(small, "xyz") == 0);
    CHECK(oauth_get_granted_scope(c, NULL, 0, &len) == OAUTH_ERR_BUFFER_TOO_SMALL);
    CHECK(oauth_get_granted_scope(c, buf, sizeof buf, NULL) == OAUTH_ERR_INVALID_ARGUMENT);
    CHECK(oauth_get_granted_scope(NULL, buf, sizeof buf, &len) == OAUTH_ERR_INVALID_ARGUMENT);
    oauth_free(c);
    /* No scope in the answer: the requested one was granted (RFC 6749 section 5.1). */
    CHECK(sim_fault("{\"kind\":\"scope\"}") == 0);
    c = new_client("svc", "s3cret-value", &o);
    CHECK(oauth_get_granted_scope(c, buf, sizeof buf, &len) == OAUTH_OK);
    CHECK(strcmp(buf, "orders:read orders:write") == 0);
    oauth_free(c);
    CHECK(sim_stat("token_requests") == 2);
}

static void test_server_faults(void) {
    char buf[TOKEN_MAX];
    size_t len;
    oauth_client *c;
    CHECK(sim_fault("{\"kind\":\"status\",\"status\":503}") == 0);
    c = new_client("svc", "s3cret-value", NULL);
    CHECK(oauth_get_token(c, buf, sizeof buf, &len) == OAUTH_ERR_SERVER);
    oauth_free(c);
    CHECK(sim_fault("{\"kind\":\"html\"}") == 0);
    c = new_client("svc", "s3cret-value", NULL);
    CHECK(oauth_get_token(c, buf, sizeof buf, &len) == OAUTH_ERR_PROTOCOL);
    oauth_free(c);
    CHECK(sim_fault("{\"kind\":\"status\",\"status\":429,\"retry_after\":\"30\"}") == 0);
    c = new_client("svc", "s3cret-value", NULL);
    CHECK(oauth_get_token(c, buf, sizeof buf, &len) == OAUTH_ERR_RATE_LIMITED);
    CHECK(strstr(oauth_last_error(), "retry after") != NULL);
    oauth_free(c);
}

struct cold_arg {
    const oauth_client *client;
    pthread_barrier_t *barrier;
    char token[TOKEN_MAX];
    int rc;
};

static void *cold_worker(void *p) {
    struct cold_arg *a = (struct cold_arg *)p;
    size_t len;
    pthread_barrier_wait(a->barrier);
    a->rc = oauth_get_token(a->client, a->token, sizeof a->token, &len);
    return NULL;
}

static void test_64_threads_cold_client(void) {
    enum { N = 64 };
    static struct cold_arg args[N];
    pthread_t th[N];
    pthread_barrier_t barrier;
    int i;
    oauth_client *c = new_client("svc", "s3cret-value", NULL);
    CHECK(sim_fault("{\"kind\":\"delay\",\"ms\":300}") == 0);
    pthread_barrier_init(&barrier, NULL, N);
    for (i = 0; i < N; i++) {
        args[i].client = c;
        args[i].barrier = &barrier;
        pthread_create(&th[i], NULL, cold_worker, &args[i]);
    }
    for (i = 0; i < N; i++) pthread_join(th[i], NULL);
    for (i = 0; i < N; i++) {
        CHECK(args[i].rc == OAUTH_OK);
        CHECK(strcmp(args[i].token, args[0].token) == 0);
    }
    CHECK(sim_stat("token_requests") == 1);
    CHECK(sim_stat("token_max_in_flight") == 1);
    pthread_barrier_destroy(&barrier);
    oauth_free(c);
}

struct renew_arg {
    const oauth_client *client;
    double until;
    int errors, api_failures, calls;
};

static void *renew_worker(void *p) {
    struct renew_arg *a = (struct renew_arg *)p;
    char tok[TOKEN_MAX], auth[TOKEN_MAX + 16];
    size_t len;
    while (now_s() < a->until) {
        a->calls++;
        if (oauth_get_token(a->client, tok, sizeof tok, &len) != OAUTH_OK) {
            a->errors++;
            continue;
        }
        snprintf(auth, sizeof auth, "Bearer %s", tok);
        if (sim_request("GET", "/api/echo", auth, NULL, NULL, 0) != 200) a->api_failures++;
        sleep_ms(15);
    }
    return NULL;
}

static void test_short_lived_token_is_renewed_before_expiry(void) {
    enum { N = 8 };
    static struct renew_arg args[N];
    pthread_t th[N];
    int i;
    char first[TOKEN_MAX], last[TOKEN_MAX];
    size_t len;
    oauth_client *c = new_client("short", "short-secret", NULL); /* 2 s tokens */
    CHECK(oauth_get_token(c, first, sizeof first, &len) == OAUTH_OK);
    for (i = 0; i < N; i++) {
        args[i].client = c;
        args[i].until = now_s() + 4.5;
        args[i].errors = args[i].api_failures = args[i].calls = 0;
        pthread_create(&th[i], NULL, renew_worker, &args[i]);
    }
    for (i = 0; i < N; i++) pthread_join(th[i], NULL);
    for (i = 0; i < N; i++) {
        CHECK(args[i].calls > 50);
        CHECK(args[i].errors == 0);
        CHECK(args[i].api_failures == 0);
    }
    CHECK(oauth_get_token(c, last, sizeof last, &len) == OAUTH_OK);
    CHECK(strcmp(first, last) != 0);
    /* 4.5 s of a 2 s lifetime renewed at 80-90 %: the first token and two or three renewals. */
    CHECK(sim_stat("token_requests") >= 3 && sim_stat("token_requests") <= 4);
    CHECK(sim_stat("token_max_in_flight") == 1);
    CHECK(sim_stat("api_expired_tokens") == 0);
    oauth_free(c);
}

static void test_invalidate(void) {
    char t1[TOKEN_MAX], t2[TOKEN_MAX], t3[TOKEN_MAX];
    size_t len;
    oauth_client *c = new_client("svc", "s3cret-value", NULL);
    CHECK(oauth_get_token(c, t1, sizeof t1, &len) == OAUTH_OK);
    CHECK(oauth_invalidate(c, "not-the-current-token") == OAUTH_OK);
    CHECK(oauth_get_token(c, t2, sizeof t2, &len) == OAUTH_OK);
    CHECK(strcmp(t1, t2) == 0 && sim_stat("token_requests") == 1);
    CHECK(oauth_invalidate(c, t1) == OAUTH_OK);
    CHECK(oauth_get_token(c, t2, sizeof t2, &len) == OAUTH_OK);
    CHECK(strcmp(t1, t2) != 0 && sim_stat("token_requests") == 2);
    /* A late report of the old token leaves the new one alone. */
    CHECK(oauth_invalidate(c, t1) == OAUTH_OK);
    CHECK(oauth_get_token(c, t3, sizeof t3, &len) == OAUTH_OK);
    CHECK(strcmp(t2, t3) == 0 && sim_stat("token_requests") == 2);
    oauth_free(c);
}

/* The shared case table (tests/api_response_cases.json) through oauth_handle_response. */
static void test_handle_response_case_table(void) {
    char tok[TOKEN_MAX], again[TOKEN_MAX];
    size_t len, i;
    oauth_client *c = new_client("svc", "s3cret-value", NULL);
    for (i = 0; i < API_CASE_COUNT; ++i) {
        const struct api_case *k = &API_CASES[i];
        long before;
        oauth_status rc;
        CHECK(oauth_get_token(c, tok, sizeof tok, &len) == OAUTH_OK);
        before = sim_stat("token_requests");
        rc = oauth_handle_response(c, k->status, tok, k->www_joined);
        if (rc != k->expected)
            fprintf(stderr, "  case %s: got %d (%s), expected %d\n", k->name, rc, oauth_strerror(rc), k->expected);
        CHECK(rc == k->expected);
        CHECK(oauth_get_token(c, again, sizeof again, &len) == OAUTH_OK);
        /* Only a retry drops the token (and costs one request). */
        CHECK((strcmp(tok, again) != 0) == (k->expected == OAUTH_RETRY));
        CHECK(sim_stat("token_requests") == before + (k->expected == OAUTH_RETRY));
        if (k->scope != NULL) CHECK(strstr(oauth_last_error(), k->scope) != NULL);
        if (k->error_description != NULL) CHECK(strstr(oauth_last_error(), k->error_description) != NULL);
    }
    CHECK(oauth_handle_response(c, 0, tok, NULL) == OAUTH_ERR_INVALID_ARGUMENT);
    CHECK(oauth_handle_response(c, 401, NULL, NULL) == OAUTH_ERR_INVALID_ARGUMENT);
    CHECK(oauth_handle_response(NULL, 401, tok, NULL) == OAUTH_ERR_INVALID_ARGUMENT);
    oauth_free(c);
}

static void test_handle_unauthorized(void) {
    char tok[TOKEN_MAX], again[TOKEN_MAX], www[1024];
    size_t len;
    oauth_client *c = new_client("svc", "s3cret-value", NULL);
    CHECK(oauth_get_token(c, tok, sizeof tok, &len) == OAUTH_OK);
    CHECK(sim_api("/api/echo", tok, www, sizeof www) == 200);
    /* Revoked: 401 invalid_token -> OAUTH_RETRY, then one new token works. */
    CHECK(sim_request("POST", "/sim/revoke", NULL, NULL, NULL, 0) == 200);
    CHECK(sim_api("/api/echo", tok, www, sizeof www) == 401);
    CHECK(strstr(www, "invalid_token") != NULL);
    CHECK(oauth_handle_unauthorized(c, tok, www) == OAUTH_RETRY);
    CHECK(oauth_handle_unauthorized(c, tok, www) == OAUTH_RETRY); /* a late report changes nothing */
    CHECK(oauth_get_token(c, again, sizeof again, &len) == OAUTH_OK);
    CHECK(strcmp(tok, again) != 0);
    CHECK(sim_api("/api/echo", again, www, sizeof www) == 200);
    CHECK(sim_stat("token_requests") == 2);
    /* Missing scope: 403 insufficient_scope, no renewal. */
    CHECK(sim_api("/api/scope/orders:write", again, www, sizeof www) == 403);
    CHECK(oauth_handle_unauthorized(c, again, www) == OAUTH_ERR_API_INSUFFICIENT_SCOPE);
    CHECK(strstr(oauth_last_error(), "orders:write") != NULL);
    /* No detail: a bare challenge, or none at all. */
    CHECK(sim_api("/api/echo", NULL, www, sizeof www) == 401);
    CHECK(oauth_handle_unauthorized(c, again, www) == OAUTH_ERR_API_UNAUTHORIZED);
    CHECK(oauth_handle_unauthorized(c, again, NULL) == OAUTH_ERR_API_UNAUTHORIZED);
    CHECK(oauth_handle_unauthorized(c, again, "Bearer error=\"invalid_request\"") == OAUTH_ERR_API_INVALID_REQUEST);
    CHECK(oauth_handle_unauthorized(c, again, "Bearer error=\"odd\"") == OAUTH_ERR_API_REJECTED);
    CHECK(oauth_handle_unauthorized(c, NULL, www) == OAUTH_ERR_INVALID_ARGUMENT);
    CHECK(oauth_get_token(c, tok, sizeof tok, &len) == OAUTH_OK);
    CHECK(strcmp(tok, again) == 0 && sim_stat("token_requests") == 2);
    oauth_free(c);
}

static void test_retry_after_set_secret_and_stats(void) {
    char buf[TOKEN_MAX];
    size_t len;
    oauth_stats st;
    oauth_options o = OAUTH_OPTIONS_INIT;
    oauth_client *c;
    o.credential_cool_down_s = 30;
    c = new_client("svc", "wrong-one", &o);
    CHECK(oauth_get_token(c, buf, sizeof buf, &len) == OAUTH_ERR_INVALID_CLIENT);
    CHECK(oauth_last_retry_after_ms() > 29000 && oauth_last_retry_after_ms() <= 30000);
    CHECK(oauth_get_token(c, buf, sizeof buf, &len) == OAUTH_ERR_INVALID_CLIENT);
    CHECK(sim_stat("token_requests") == 1);
    memset(&st, 0, sizeof st);
    st.version = OAUTH_STATS_VERSION;
    CHECK(oauth_get_stats(c, &st) == OAUTH_OK);
    CHECK(st.token_requests == 1 && st.successes == 0 && st.failures[OAUTH_ERR_INVALID_CLIENT] == 1);
    CHECK(st.paused_for_ms > 29000 && st.last_error == OAUTH_ERR_INVALID_CLIENT && st.token_expires_in_ms == -1);
    /* A rotated secret ends the pause at once. */
    CHECK(oauth_set_secret(c, "s3cret-value") == OAUTH_OK);
    CHECK(oauth_get_token(c, buf, sizeof buf, &len) == OAUTH_OK);
    CHECK(oauth_get_token(c, buf, sizeof buf, &len) == OAUTH_OK);
    CHECK(oauth_get_stats(c, &st) == OAUTH_OK);
    CHECK(st.token_requests == 2 && st.successes == 1 && st.cached_reads >= 1);
    CHECK(st.token_expires_in_ms > 290000 && st.paused_for_ms == 0 && st.last_error == OAUTH_OK);
    CHECK(oauth_set_secret(c, "") == OAUTH_ERR_INVALID_ARGUMENT);
    CHECK(oauth_set_secret(c, NULL) == OAUTH_ERR_INVALID_ARGUMENT);
    st.version = 99;
    CHECK(oauth_get_stats(c, &st) == OAUTH_ERR_INVALID_ARGUMENT);
    CHECK(oauth_get_stats(c, NULL) == OAUTH_ERR_INVALID_ARGUMENT);
    oauth_free(c);
    /* 429: the server's Retry-After. */
    CHECK(sim_fault("{\"kind\":\"status\",\"status\":429,\"retry_after\":\"12\"}") == 0);
    c = new_client("svc", "s3cret-value", NULL);
    CHECK(oauth_get_token(c, buf, sizeof buf, &len) == OAUTH_ERR_RATE_LIMITED);
    CHECK(oauth_last_retry_after_ms() > 11000 && oauth_last_retry_after_ms() <= 12000);
    oauth_free(c);
}

static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static char log_text[65536];
static int log_lines;

static void capture_log(int level, const char *message, void *user_data) {
    size_t used;
    (void)user_data;
    pthread_mutex_lock(&log_lock);
    used = strlen(log_text);
    snprintf(log_text + used, sizeof log_text - used, "%d %s\n", level, message);
    log_lines++;
    pthread_mutex_unlock(&log_lock);
}

static void test_log_callback_without_secrets(void) {
    char tok[TOKEN_MAX], buf[TOKEN_MAX];
    size_t len;
    oauth_client *good, *bad;
    log_text[0] = '\0';
    log_lines = 0;
    CHECK(oauth_set_log_callback(capture_log, NULL, 99) == OAUTH_ERR_INVALID_ARGUMENT);
    CHECK(oauth_set_log_callback(capture_log, NULL, OAUTH_LOG_DEBUG) == OAUTH_OK);
    good = new_client("svc", "s3cret-value", NULL);
    CHECK(oauth_get_token(good, tok, sizeof tok, &len) == OAUTH_OK);
    CHECK(oauth_invalidate(good, tok) == OAUTH_OK);
    bad = new_client("svc", "zz-SECRET-zz", NULL);
    CHECK(oauth_get_token(bad, buf, sizeof buf, &len) == OAUTH_ERR_INVALID_CLIENT);
    CHECK(sim_fault("{\"kind\":\"malformed_json\"}") == 0);
    CHECK(oauth_get_token(good, buf, sizeof buf, &len) == OAUTH_ERR_PROTOCOL);
    CHECK(oauth_set_log_callback(NULL, NULL, OAUTH_LOG_ERROR) == OAUTH_OK);
    CHECK(oauth_get_token(bad, buf, sizeof buf, &len) == OAUTH_ERR_INVALID_CLIENT);
    pthread_mutex_lock(&log_lock);
    CHECK(log_lines >= 4);
    CHECK(strstr(log_text, "new token") != NULL);
    CHECK(strstr(log_text, "invalidated") != NULL);
    CHECK(strstr(log_text, "rejected the client credentials") != NULL);
    CHECK(strstr(log_text, "zz-SECRET-zz") == NULL);
    CHECK(strstr(log_text, "s3cret-value") == NULL);
    CHECK(strstr(log_text, tok) == NULL);
    pthread_mutex_unlock(&log_lock);
    oauth_free(good);
    oauth_free(bad);
}

/* The record form of the log callback: a struct that can gain fields. */
static int record_level, record_version_seen;
static char record_message[512], record_target[128];
static void capture_record(const oauth_log_record *r, void *user_data) {
    (void)user_data;
    pthread_mutex_lock(&log_lock);
    if (r->level == OAUTH_LOG_INFO && strstr(r->message, "new token") != NULL) {
        record_level = r->level;
        record_version_seen = (int)r->version;
        snprintf(record_message, sizeof record_message, "%s", r->message);
        snprintf(record_target, sizeof record_target, "%s", r->target != NULL ? r->target : "");
    }
    pthread_mutex_unlock(&log_lock);
}

static void test_log_handler_takes_a_record(void) {
    char tok[TOKEN_MAX];
    size_t len;
    oauth_client *c;
    record_message[0] = '\0';
    CHECK(oauth_set_log_handler(capture_record, NULL, 99) == OAUTH_ERR_INVALID_ARGUMENT);
    CHECK(oauth_set_log_handler(capture_record, NULL, OAUTH_LOG_DEBUG) == OAUTH_OK);
    c = new_client("svc", "s3cret-value", NULL);
    CHECK(oauth_get_token(c, tok, sizeof tok, &len) == OAUTH_OK);
    CHECK(oauth_set_log_handler(NULL, NULL, OAUTH_LOG_ERROR) == OAUTH_OK);
    pthread_mutex_lock(&log_lock);
    CHECK(record_version_seen == OAUTH_LOG_RECORD_VERSION && record_level == OAUTH_LOG_INFO);
    CHECK(strstr(record_message, "new token") != NULL && strstr(record_message, tok) == NULL);
    CHECK(strncmp(record_target, "oauth2cc", 8) == 0);
    pthread_mutex_unlock(&log_lock);
    oauth_free(c);
}

/* At the most verbose level, only oauth2cc's own lines reach the handler: the
 * HTTP and TLS libraries' trace lines hold the bytes of the exchange (hex
 * dumps of the request with its credentials and of the answer with the token). */
static int foreign_records;
static char trace_text[1 << 18];
static size_t trace_len;
static void capture_trace(const oauth_log_record *r, void *user_data) {
    size_t n;
    (void)user_data;
    pthread_mutex_lock(&log_lock);
    if (r->target == NULL || strncmp(r->target, "oauth2cc", 8) != 0) foreign_records++;
    n = strlen(r->message);
    if (trace_len + n + 1 < sizeof trace_text) {
        memcpy(trace_text + trace_len, r->message, n);
        trace_len += n;
        trace_text[trace_len++] = '\n';
        trace_text[trace_len] = '\0';
    }
    pthread_mutex_unlock(&log_lock);
}

/* Whether any 10 characters in a row of `needle` appear in `text`. */
static int holds_a_piece_of(const char *text, const char *needle) {
    char piece[11];
    size_t n = strlen(needle), at;
    for (at = 0; at + 10 <= n; ++at) {
        memcpy(piece, needle + at, 10);
        piece[10] = '\0';
        if (strstr(text, piece) != NULL) return 1;
    }
    return 0;
}

static void test_trace_logs_hold_only_oauth2ccs_lines(void) {
    char tok[TOKEN_MAX];
    size_t len;
    oauth_client *c;
    foreign_records = 0;
    trace_len = 0;
    trace_text[0] = '\0';
    CHECK(oauth_set_log_handler(capture_trace, NULL, OAUTH_LOG_TRACE) == OAUTH_OK);
    c = new_client("svc", "s3cret-value", NULL);
    CHECK(oauth_get_token(c, tok, sizeof tok, &len) == OAUTH_OK);
    oauth_free(c);
    CHECK(oauth_set_log_handler(NULL, NULL, OAUTH_LOG_ERROR) == OAUTH_OK);
    pthread_mutex_lock(&log_lock);
    CHECK(strstr(trace_text, "new token") != NULL); /* the handler did receive oauth2cc's lines */
    CHECK(foreign_records == 0);
    CHECK(!holds_a_piece_of(trace_text, "s3cret-value"));
    CHECK(!holds_a_piece_of(trace_text, tok));
    pthread_mutex_unlock(&log_lock);
}

/* ---- no log callback runs while a library lock is held ---- */

static pthread_mutex_t app_mutex = PTHREAD_MUTEX_INITIALIZER;
static volatile int monitor_stop;

/* A local port nothing listens on (connections are refused at once). */
static int dead_port(void) {
    struct sockaddr_in a;
    socklen_t n = sizeof a;
    int port, fd = socket(AF_INET, SOCK_STREAM, 0);
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) != 0 || getsockname(fd, (struct sockaddr *)&a, &n) != 0)
        port = 9;
    else
        port = ntohs(a.sin_port);
    if (fd >= 0) close(fd);
    return port;
}

/* An application's log callback that takes the application's own lock. */
static void log_under_app_mutex(int level, const char *message, void *user_data) {
    (void)level;
    (void)message;
    (void)user_data;
    pthread_mutex_lock(&app_mutex);
    pthread_mutex_unlock(&app_mutex);
}

/* Reads a client's stats while holding the application's lock. */
static void *stats_monitor(void *p) {
    oauth_client *const *current = (oauth_client *const *)p;
    oauth_stats st;
    while (!monitor_stop) {
        pthread_mutex_lock(&app_mutex);
        sleep_ms(1); /* the application's work under its lock */
        memset(&st, 0, sizeof st);
        st.version = OAUTH_STATS_VERSION;
        (void)oauth_get_stats(*current, &st);
        pthread_mutex_unlock(&app_mutex);
    }
    return NULL;
}

/* In a child (alarm() ends a deadlock): 30 failing first requests against a
 * dead port, each logged, while another thread calls oauth_get_stats holding
 * the mutex the log callback takes. 0 when every call returned. */
static int log_vs_stats_child(void) {
    char url[128], buf[TOKEN_MAX];
    size_t len;
    int i, failures = 0;
    pthread_t th;
    oauth_client *clients[30], *current;
    oauth_options o = OAUTH_OPTIONS_INIT;
    o.max_requests_per_second = 50;
    o.timeout_ms = 2000;
    alarm(20);
    snprintf(url, sizeof url, "http://127.0.0.1:%d/token", dead_port());
    for (i = 0; i < 30; i++)
        if (oauth_client_new(url, "svc", "s3cret-value", &o, &clients[i]) != OAUTH_OK) return 2;
    if (oauth_set_log_callback(log_under_app_mutex, NULL, OAUTH_LOG_DEBUG) != OAUTH_OK) return 3;
    current = clients[0];
    monitor_stop = 0;
    pthread_create(&th, NULL, stats_monitor, &current);
    for (i = 0; i < 30; i++) {
        current = clients[i];
        failures += oauth_get_token(clients[i], buf, sizeof buf, &len) == OAUTH_ERR_NETWORK;
    }
    monitor_stop = 1;
    pthread_join(th, NULL);
    (void)oauth_set_log_callback(NULL, NULL, OAUTH_LOG_ERROR);
    for (i = 0; i < 30; i++) oauth_free(clients[i]);
    return failures == 30 ? 0 : 4;
}

static void test_log_callback_taking_an_app_lock_vs_stats(void) {
    int status = -1;
    pid_t pid = fork();
    if (pid == 0) _exit(log_vs_stats_child());
    CHECK(pid > 0 && waitpid(pid, &status, 0) == pid);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0); /* SIGALRM: deadlock */
}

struct fork_arg {
    const oauth_client *client;
    int rc;
};

static void *slow_get(void *p) {
    struct fork_arg *a = (struct fork_arg *)p;
    char buf[TOKEN_MAX];
    size_t len;
    a->rc = oauth_get_token(a->client, buf, sizeof buf, &len);
    return NULL;
}

/* In the child: 0 if a token came within 2 s, else 1. alarm() ends a deadlock. */
static int child_gets_token(const oauth_client *c, const char *must_equal) {
    char buf[TOKEN_MAX];
    size_t len;
    double t0 = now_s();
    alarm(10);
    if (oauth_get_token(c, buf, sizeof buf, &len) != OAUTH_OK) return 1;
    if (now_s() - t0 > 2.0) return 1;
    if (must_equal && strcmp(buf, must_equal) != 0) return 1;
    return 0;
}

static int run_child(const oauth_client *c, const char *must_equal) {
    int status = -1;
    pid_t pid = fork();
    if (pid == 0) _exit(child_gets_token(c, must_equal));
    if (pid < 0 || waitpid(pid, &status, 0) != pid) return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 100 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

static void test_fork(void) {
    char tok[TOKEN_MAX];
    size_t len;
    pthread_t th;
    struct fork_arg a;
    long before;
    oauth_client *c = new_client("svc", "s3cret-value", NULL);
    CHECK(oauth_get_token(c, tok, sizeof tok, &len) == OAUTH_OK);
    /* A child uses the inherited valid token without a request. */
    CHECK(run_child(c, tok) == 0);
    CHECK(sim_stat("token_requests") == 1);
    /* A child forked while a parent thread's request is in flight does not wait for it. */
    CHECK(oauth_invalidate(c, tok) == OAUTH_OK);
    CHECK(sim_fault("{\"kind\":\"delay\",\"ms\":3000}") == 0);
    a.client = c;
    pthread_create(&th, NULL, slow_get, &a);
    sleep_ms(300);
    before = sim_stat("token_requests");
    CHECK(run_child(c, NULL) == 0);
    CHECK(sim_stat("token_requests") == before + 1);
    pthread_join(th, NULL);
    CHECK(a.rc == OAUTH_OK);
    oauth_free(c);
}

static void test_tls(void) {
    char url[512], buf[TOKEN_MAX];
    size_t len;
    oauth_client *c = NULL;
    oauth_options o = OAUTH_OPTIONS_INIT;
    const char *base = getenv("OAUTH2CC_SIM_TLS_URL");
    CHECK(base != NULL);
    if (base == NULL) return;
    snprintf(url, sizeof url, "%s/realms/test/protocol/openid-connect/token", base);
    o.proxy = "";
    /* Unknown CA: refused. */
    CHECK(oauth_client_new(url, "svc", "s3cret-value", &o, &c) == OAUTH_OK);
    CHECK(oauth_get_token(c, buf, sizeof buf, &len) == OAUTH_ERR_TLS);
    CHECK(strstr(oauth_last_error(), "TLS") != NULL);
    oauth_free(c);
    /* With the simulator's CA file: accepted. */
    o.ca_file = getenv("OAUTH2CC_SIM_CA_FILE");
    CHECK(oauth_client_new(url, "svc", "s3cret-value", &o, &c) == OAUTH_OK);
    CHECK(oauth_get_token(c, buf, sizeof buf, &len) == OAUTH_OK);
    oauth_free(c);
}

/* Mutual TLS: the certificate files are checked at creation and given back
 * by oauth_get_client_cert_files (for API calls made with another library). */
static void test_client_certificate(void) {
    char url[512], buf[TOKEN_MAX];
    size_t len;
    oauth_client *c = NULL;
    oauth_options o = OAUTH_OPTIONS_INIT;
    const char *base = getenv("OAUTH2CC_SIM_TLS_URL");
    const char *cert = getenv("OAUTH2CC_SIM_CLIENT_CERT"), *key = getenv("OAUTH2CC_SIM_CLIENT_KEY");
    const char *got_cert = "unset", *got_key = "unset";
    CHECK(base != NULL && cert != NULL && key != NULL);
    if (base == NULL || cert == NULL || key == NULL) return;
    snprintf(url, sizeof url, "%s/realms/test/protocol/openid-connect/token", base);
    o.proxy = "";
    o.ca_file = getenv("OAUTH2CC_SIM_CA_FILE");
    /* No certificate: both NULL. */
    CHECK(oauth_client_new(url, "svc", "s3cret-value", &o, &c) == OAUTH_OK);
    CHECK(oauth_get_client_cert_files(c, &got_cert, &got_key) == OAUTH_OK);
    CHECK(got_cert == NULL && got_key == NULL);
    CHECK(oauth_get_client_cert_files(c, NULL, &got_key) == OAUTH_ERR_INVALID_ARGUMENT);
    CHECK(oauth_get_client_cert_files(c, &got_cert, NULL) == OAUTH_ERR_INVALID_ARGUMENT);
    CHECK(oauth_get_client_cert_files(NULL, &got_cert, &got_key) == OAUTH_ERR_INVALID_ARGUMENT);
    oauth_free(c);
    /* A missing key file, the certificate as its own key, a key without its
     * certificate: refused at creation, naming the file. */
    o.client_cert_file = cert;
    o.client_key_file = "/nonexistent/client.key";
    c = NULL;
    CHECK(oauth_client_new(url, "svc", "s3cret-value", &o, &c) == OAUTH_ERR_INVALID_ARGUMENT && c == NULL);
    CHECK(strstr(oauth_last_error(), "/nonexistent/client.key") != NULL);
    o.client_key_file = cert;
    CHECK(oauth_client_new(url, "svc", "s3cret-value", &o, &c) == OAUTH_ERR_INVALID_ARGUMENT);
    CHECK(strstr(oauth_last_error(), "no private key") != NULL);
    o.client_cert_file = NULL;
    o.client_key_file = key;
    CHECK(oauth_client_new(url, "svc", "s3cret-value", &o, &c) == OAUTH_ERR_INVALID_ARGUMENT);
    /* A TLS method without a certificate, and with no secret. */
    o.client_key_file = NULL;
    o.auth_method = OAUTH_AUTH_TLS_CLIENT_AUTH;
    CHECK(oauth_client_new(url, "svc", NULL, &o, &c) == OAUTH_ERR_INVALID_ARGUMENT);
    CHECK(strstr(oauth_last_error(), "client certificate") != NULL);
    /* Both files: the token request presents the certificate. */
    o.auth_method = OAUTH_AUTH_CLIENT_SECRET_BASIC;
    o.client_cert_file = cert;
    o.client_key_file = key;
    CHECK(oauth_client_new(url, "svc", "s3cret-value", &o, &c) == OAUTH_OK);
    CHECK(oauth_get_client_cert_files(c, &got_cert, &got_key) == OAUTH_OK);
    CHECK(got_cert != NULL && strcmp(got_cert, cert) == 0);
    CHECK(got_key != NULL && strcmp(got_key, key) == 0);
    CHECK(oauth_get_token(c, buf, sizeof buf, &len) == OAUTH_OK);
    oauth_free(c);
}

static void test_cache_dir_shares_between_processes(void) {
    char dir[] = "/tmp/oauth2cc-c-cache-XXXXXX", tok[TOKEN_MAX];
    size_t len;
    oauth_options o = OAUTH_OPTIONS_INIT;
    oauth_client *a, *b;
    CHECK(mkdtemp(dir) != NULL);
    o.cache_dir = dir;
    a = new_client("svc", "s3cret-value", &o);
    CHECK(oauth_get_token(a, tok, sizeof tok, &len) == OAUTH_OK);
    b = new_client("svc", "s3cret-value", &o);
    CHECK(run_child(b, tok) == 0); /* another process, a new client, the same token */
    CHECK(sim_stat("token_requests") == 1);
    oauth_free(a);
    oauth_free(b);
}

/* A redis-server on a Unix socket in a temporary directory (no TCP port to
 * pick), started by the test; 0 and a loud message when none is installed
 * (outside CI: `make test` installs it). */
static pid_t redis_pid;
static char redis_dir[] = "/tmp/oauth2cc-c-redis-XXXXXX";
static char redis_url[300];

static int redis_start(void) {
    char sock[100]; /* fits sockaddr_un.sun_path (108) */
    int i;
    if (mkdtemp(redis_dir) == NULL) return -1;
    snprintf(sock, sizeof sock, "%s/redis.sock", redis_dir);
    redis_pid = fork();
    if (redis_pid == 0) {
        const char *bin = getenv("REDIS_SERVER") ? getenv("REDIS_SERVER") : "redis-server";
        int devnull = open("/dev/null", O_WRONLY);
        if (devnull >= 0) {
            dup2(devnull, 1);
            dup2(devnull, 2);
        }
        execlp(bin, bin, "--port", "0", "--unixsocket", sock, "--unixsocketperm", "700", "--save", "", "--appendonly",
               "no", "--dir", redis_dir, (char *)NULL);
        _exit(127);
    }
    if (redis_pid < 0) return -1;
    for (i = 0; i < 500; i++) {
        struct sockaddr_un a;
        int fd = socket(AF_UNIX, SOCK_STREAM, 0), ok;
        int status;
        memset(&a, 0, sizeof a);
        a.sun_family = AF_UNIX;
        snprintf(a.sun_path, sizeof a.sun_path, "%s", sock);
        ok = fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof a) == 0;
        if (fd >= 0) close(fd);
        if (ok) {
            snprintf(redis_url, sizeof redis_url, "redis+unix://%s", sock);
            return 1;
        }
        if (waitpid(redis_pid, &status, WNOHANG) == redis_pid) {
            redis_pid = 0;
            return 0; /* exited: no redis-server */
        }
        sleep_ms(10);
    }
    return -1;
}

static void redis_stop(void) {
    char path[300];
    if (redis_pid > 0) {
        kill(redis_pid, SIGKILL);
        waitpid(redis_pid, NULL, 0);
        redis_pid = 0;
    }
    snprintf(path, sizeof path, "%s/redis.sock", redis_dir);
    unlink(path);
    rmdir(redis_dir);
}

/* Fleet mode: two processes, each with its own client and the same
 * shared_cache_url, make one token request between them. */
static void test_shared_cache_url_shares_between_processes(void) {
    char tok[TOKEN_MAX];
    size_t len;
    int status = -1, up = redis_start();
    pid_t pid;
    oauth_options o = OAUTH_OPTIONS_INIT;
    oauth_client *a;
    if (up == 0) {
        const char *ci = getenv("CI");
        CHECK(!(ci && (strcmp(ci, "true") == 0 || strcmp(ci, "1") == 0)));
        fprintf(stderr, "\n!!!!!!!! SKIPPED: no redis-server: the C fleet test did NOT run\n\n");
        redis_stop();
        return;
    }
    CHECK(up == 1);
    o.shared_cache_url = redis_url;
    a = new_client("svc", "s3cret-value", &o);
    CHECK(oauth_get_token(a, tok, sizeof tok, &len) == OAUTH_OK);
    pid = fork();
    if (pid == 0) {
        /* Another process with its own client: the fleet's token, no request. */
        char t2[TOKEN_MAX];
        size_t l2;
        oauth_client *b = NULL;
        int rc = oauth_client_new(token_url, "svc", "s3cret-value", &o, &b);
        if (rc != OAUTH_OK) _exit(2);
        rc = oauth_get_token(b, t2, sizeof t2, &l2);
        oauth_free(b);
        _exit(rc != OAUTH_OK ? 3 : strcmp(t2, tok) != 0 ? 4 : 0);
    }
    CHECK(pid > 0 && waitpid(pid, &status, 0) == pid);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    CHECK(sim_stat("token_requests") == 1);
    oauth_free(a);
    redis_stop();
}

static void *fail_in_thread(void *p) {
    oauth_client *c = NULL;
    (void)p;
    oauth_client_new("ftp://x", "a", "b", NULL, &c);
    return strstr(oauth_last_error(), "ftp://") ? (void *)1 : NULL;
}

static void test_last_error_is_per_thread(void) {
    pthread_t th;
    void *res = NULL;
    oauth_client *c = NULL;
    CHECK(oauth_client_new(token_url, NULL, "s", NULL, &c) == OAUTH_ERR_INVALID_ARGUMENT);
    pthread_create(&th, NULL, fail_in_thread, NULL);
    pthread_join(th, &res);
    CHECK(res == (void *)1);
    CHECK(strstr(oauth_last_error(), "client_id is NULL") != NULL);
}

/* ---- versioned structs: callers compiled against older headers ---- */

/* Each past layout is the current struct's prefix up to the next version's first field. */
_Static_assert(sizeof(oauth_options_v1) == offsetof(oauth_options, max_requests_per_second), "v1 prefix");
_Static_assert(sizeof(oauth_options_v2) == offsetof(oauth_options, cache_dir), "v2 prefix");
_Static_assert(sizeof(oauth_options_v3) == offsetof(oauth_options, signing_key_file), "v3 prefix");
_Static_assert(sizeof(oauth_stats_v1) == offsetof(oauth_stats, failures_invalid_config), "stats v1 prefix");
/* When a field is appended to one of these, freeze its layout as is and add the next. */
_Static_assert(sizeof(oauth_stats_v2) == sizeof(oauth_stats), "stats v2 is the current layout");
_Static_assert(sizeof(oauth_error_info_v1) == sizeof(oauth_error_info), "error info v1 is the current layout");

#define GUARD_LEN 64

/* A buffer holding an old struct of `len` bytes followed by guard bytes that
 * look like the newer fields, each of which would show if the library read
 * it: a budget of 1/s, a 7 s cool-down and a cache_dir that must never be
 * created. `snap` receives a copy of the guard bytes. */
static char poison_dir[64];
static unsigned char *guarded(const void *old, size_t len, unsigned char *snap) {
    size_t total = sizeof(oauth_options) + GUARD_LEN;
    unsigned char *buf = malloc(total);
    oauth_options tail = OAUTH_OPTIONS_INIT;
    tail.max_requests_per_second = 1;
    tail.credential_cool_down_s = 7;
    tail.cache_dir = poison_dir;
    tail.signing_alg = "poison"; /* v4: refused by oauth_client_new if read */
    tail.issuer = "https://poison.invalid";
    memset(buf, 0xA5, total);
    memcpy(buf, &tail, sizeof tail);
    memcpy(buf, old, len);
    memcpy(snap, buf + len, total - len);
    return buf;
}

static int guard_intact(const unsigned char *buf, size_t len, const unsigned char *snap) {
    return memcmp(buf + len, snap, sizeof(oauth_options) + GUARD_LEN - len) == 0;
}

static int poison_dir_exists(void) { return access(poison_dir, F_OK) == 0; }

static void test_options_v1_caller(void) {
    unsigned char snap[sizeof(oauth_options) + GUARD_LEN], *buf;
    char tok[TOKEN_MAX], stats[16384];
    size_t len;
    oauth_client *c = NULL;
    /* Exactly its size on the heap: ASan reports any byte read or written past it. */
    oauth_options_v1 *o = malloc(sizeof *o);
    memset(o, 0x5A, sizeof *o);
    CHECK(oauth_options_init((oauth_options *)o, 1) == OAUTH_OK);
    CHECK(o->version == 1 && o->auth_method == OAUTH_AUTH_CLIENT_SECRET_BASIC && o->scope == NULL);
    CHECK(o->timeout_ms == 0 && o->allow_insecure_http == 0 && o->proxy == NULL && o->extra_params == NULL);
    o->scope = "orders:read";
    CHECK(oauth_client_new(token_url, "svc", "s3cret-value", (const oauth_options *)o, &c) == OAUTH_OK);
    CHECK(oauth_get_token(c, tok, sizeof tok, &len) == OAUTH_OK);
    CHECK(sim_request("GET", "/sim/stats", NULL, NULL, stats, sizeof stats) == 200);
    CHECK(strstr(stats, "[\"scope\",\"orders:read\"]") != NULL); /* its own fields are read */
    oauth_free(c);
    c = NULL;
    /* Followed by guard bytes: neither read (no cache_dir, the default
     * 60 s cool-down, not 7 s) nor written. */
    buf = guarded(o, sizeof *o, snap);
    CHECK(oauth_options_init((oauth_options *)buf, 1) == OAUTH_OK);
    CHECK(guard_intact(buf, sizeof *o, snap));
    CHECK(oauth_client_new(token_url, "svc", "wrong-one", (const oauth_options *)buf, &c) == OAUTH_OK);
    CHECK(oauth_get_token(c, tok, sizeof tok, &len) == OAUTH_ERR_INVALID_CLIENT);
    CHECK(oauth_last_retry_after_ms() > 59000 && oauth_last_retry_after_ms() <= 60000);
    CHECK(!poison_dir_exists());
    CHECK(guard_intact(buf, sizeof *o, snap));
    oauth_free(c);
    free(buf);
    free(o);
}

static void test_options_v2_caller(void) {
    unsigned char snap[sizeof(oauth_options) + GUARD_LEN], *buf;
    char tok[TOKEN_MAX];
    size_t len;
    oauth_client *c = NULL;
    oauth_options_v2 *o = malloc(sizeof *o);
    memset(o, 0x5A, sizeof *o);
    CHECK(oauth_options_init((oauth_options *)o, 2) == OAUTH_OK);
    CHECK(o->version == 2 && o->max_requests_per_second == 0 && o->credential_cool_down_s == 0);
    o->credential_cool_down_s = 30; /* a v2 field: read */
    CHECK(oauth_client_new(token_url, "svc", "wrong-one", (const oauth_options *)o, &c) == OAUTH_OK);
    CHECK(oauth_get_token(c, tok, sizeof tok, &len) == OAUTH_ERR_INVALID_CLIENT);
    CHECK(oauth_last_retry_after_ms() > 29000 && oauth_last_retry_after_ms() <= 30000);
    oauth_free(c);
    c = NULL;
    buf = guarded(o, sizeof *o, snap);
    CHECK(oauth_client_new(token_url, "svc", "s3cret-value", (const oauth_options *)buf, &c) == OAUTH_OK);
    CHECK(oauth_get_token(c, tok, sizeof tok, &len) == OAUTH_OK);
    CHECK(!poison_dir_exists()); /* cache_dir (v3) was not read */
    CHECK(oauth_options_init((oauth_options *)buf, 2) == OAUTH_OK);
    CHECK(guard_intact(buf, sizeof *o, snap));
    oauth_free(c);
    free(buf);
    free(o);
}

static void test_options_v3_caller(void) {
    unsigned char snap[sizeof(oauth_options) + GUARD_LEN], *buf;
    char dir[] = "/tmp/oauth2cc-c-v3-XXXXXX", tok[TOKEN_MAX];
    size_t len;
    oauth_client *c = NULL;
    oauth_options_v3 *o = malloc(sizeof *o);
    memset(o, 0x5A, sizeof *o);
    CHECK(mkdtemp(dir) != NULL);
    CHECK(oauth_options_init((oauth_options *)o, 3) == OAUTH_OK);
    CHECK(o->version == 3 && o->cache_dir == NULL && o->credential_cool_down_s == 0);
    o->cache_dir = dir; /* a v3 field: read */
    buf = guarded(o, sizeof *o, snap);
    CHECK(oauth_client_new(token_url, "svc", "s3cret-value", (const oauth_options *)buf, &c) == OAUTH_OK);
    CHECK(oauth_get_token(c, tok, sizeof tok, &len) == OAUTH_OK);
    CHECK(access(dir, F_OK) == 0);
    CHECK(oauth_options_init((oauth_options *)buf, 3) == OAUTH_OK);
    CHECK(guard_intact(buf, sizeof *o, snap));
    oauth_free(c);
    free(buf);
    free(o);
}

/* From version 4 on, every appended field has its own version: a caller of
 * version 13 (up to `issuer`) has no shared_cache_url, even in a full struct. */
static void test_options_one_version_per_field(void) {
    char tok[TOKEN_MAX];
    size_t len;
    oauth_client *c = NULL;
    oauth_options o = OAUTH_OPTIONS_INIT;
    o.shared_cache_url = "ftp://poison.invalid"; /* refused if read */
    CHECK(oauth_options_init(&o, 13) == OAUTH_OK);
    CHECK(o.version == 13 && o.issuer == NULL && strcmp(o.shared_cache_url, "ftp://poison.invalid") == 0);
    CHECK(oauth_client_new(token_url, "svc", "s3cret-value", &o, &c) == OAUTH_OK);
    CHECK(oauth_get_token(c, tok, sizeof tok, &len) == OAUTH_OK);
    oauth_free(c);
    c = NULL;
    o.version = 14; /* now the field exists, and is read */
    CHECK(oauth_client_new(token_url, "svc", "s3cret-value", &o, &c) == OAUTH_ERR_INVALID_ARGUMENT);
    CHECK(strstr(oauth_last_error(), "shared cache URL") != NULL);
    CHECK(OAUTH_OPTIONS_VERSION == 16);
}

static void test_stats_v1_caller(void) {
    char tok[TOKEN_MAX];
    size_t len, i;
    unsigned char *buf;
    oauth_client *c = new_client("svc", "s3cret-value", NULL);
    oauth_stats_v1 *st = malloc(sizeof *st);
    CHECK(oauth_get_token(c, tok, sizeof tok, &len) == OAUTH_OK);
    memset(st, 0, sizeof *st);
    st->version = 1;
    CHECK(oauth_get_stats(c, (oauth_stats *)st) == OAUTH_OK);
    CHECK(st->version == 1 && st->token_requests == 1 && st->successes == 1 && st->last_error == OAUTH_OK);
    CHECK(st->token_expires_in_ms > 290000);
    buf = malloc(sizeof *st + GUARD_LEN);
    memset(buf, 0xA5, sizeof *st + GUARD_LEN);
    memcpy(buf, st, sizeof *st);
    CHECK(oauth_get_stats(c, (oauth_stats *)buf) == OAUTH_OK);
    for (i = sizeof *st; i < sizeof *st + GUARD_LEN; i++) CHECK(buf[i] == 0xA5);
    free(buf);
    free(st);
    oauth_free(c);
}

/* One call gives the whole record of this thread's last failure. */
static void test_last_error_info(void) {
    char tok[TOKEN_MAX];
    size_t len, i;
    unsigned char *buf;
    oauth_error_info info = OAUTH_ERROR_INFO_INIT;
    oauth_error_info_v1 *v1 = malloc(sizeof *v1);
    oauth_client *c = new_client("svc", "s3cret-value", NULL);
    CHECK(oauth_get_token(c, tok, sizeof tok, &len) == OAUTH_OK);
    CHECK(oauth_handle_response(c, 403, tok,
                                "Basic realm=\"x\", Bearer error=\"insufficient_scope\", error_description=\"more\", "
                                "scope=\"orders:write\"") == OAUTH_ERR_API_INSUFFICIENT_SCOPE);
    CHECK(oauth_last_error_info(&info) == OAUTH_OK);
    CHECK(info.version == OAUTH_ERROR_INFO_VERSION && info.status == OAUTH_ERR_API_INSUFFICIENT_SCOPE);
    CHECK(info.message == oauth_last_error() && strstr(info.message, "orders:write") != NULL);
    CHECK(info.http_status == 403 && info.retry_after_ms == -1);
    CHECK(info.error != NULL && strcmp(info.error, "insufficient_scope") == 0);
    CHECK(info.error_description != NULL && strcmp(info.error_description, "more") == 0);
    CHECK(info.scope != NULL && strcmp(info.scope, "orders:write") == 0);
    /* A failure without server detail clears it; a bad call to it changes nothing. */
    CHECK(oauth_get_token(c, NULL, 0, NULL) == OAUTH_ERR_INVALID_ARGUMENT);
    CHECK(oauth_last_error_info(&info) == OAUTH_OK);
    CHECK(info.status == OAUTH_ERR_INVALID_ARGUMENT && info.http_status == 0 && info.error == NULL &&
          info.scope == NULL);
    CHECK(oauth_last_error_info(NULL) == OAUTH_ERR_INVALID_ARGUMENT);
    info.version = 99;
    CHECK(oauth_last_error_info(&info) == OAUTH_ERR_INVALID_ARGUMENT);
    CHECK(strstr(oauth_last_error(), "token_len") != NULL || strstr(oauth_last_error(), "NULL") != NULL);
    /* A version 1 caller: an exact-size block, then guard bytes that stay untouched. */
    memset(v1, 0, sizeof *v1);
    v1->version = 1;
    CHECK(oauth_last_error_info((oauth_error_info *)v1) == OAUTH_OK);
    CHECK(v1->status == OAUTH_ERR_INVALID_ARGUMENT && v1->message == oauth_last_error());
    buf = malloc(sizeof *v1 + GUARD_LEN);
    memset(buf, 0xA5, sizeof *v1 + GUARD_LEN);
    memcpy(buf, v1, sizeof *v1);
    CHECK(oauth_last_error_info((oauth_error_info *)buf) == OAUTH_OK);
    for (i = sizeof *v1; i < sizeof *v1 + GUARD_LEN; i++) CHECK(buf[i] == 0xA5);
    free(buf);
    free(v1);
    oauth_free(c);
}

/* Version 2 names each failure counter; the array of version 1 stays filled. */
static void test_stats_v2_named_failures(void) {
    char tok[TOKEN_MAX];
    size_t len;
    oauth_stats st;
    oauth_client *c = new_client("svc", "wrong-secret", NULL);
    CHECK(oauth_get_token(c, tok, sizeof tok, &len) == OAUTH_ERR_INVALID_CLIENT);
    memset(&st, 0, sizeof st);
    st.version = OAUTH_STATS_VERSION;
    CHECK(OAUTH_STATS_VERSION >= 2);
    CHECK(oauth_get_stats(c, &st) == OAUTH_OK);
    CHECK(st.failures_invalid_client == 1 && st.failures[OAUTH_ERR_INVALID_CLIENT] == 1);
    CHECK(st.failures_network == 0 && st.failures_timeout == 0 && st.failures_server == 0);
    CHECK(st.last_error == OAUTH_ERR_INVALID_CLIENT);
    oauth_free(c);
}

/* Each test starts with the simulator's statistics and faults cleared. */
/* Discovery: the issuer option with a NULL token URL; the token endpoint comes
 * from the realm's metadata, fetched once; a mismatched issuer (a trailing
 * slash the server does not publish) is refused without a token request. */
static void test_issuer_option_with_null_token_url(void) {
    char buf[TOKEN_MAX], issuer[300], other[310];
    size_t len = 0;
    oauth_client *c = NULL;
    oauth_options o;
    snprintf(issuer, sizeof issuer, "%s/realms/test", sim_url());
    CHECK(oauth_options_init(&o, OAUTH_OPTIONS_VERSION) == OAUTH_OK);
    o.issuer = issuer;
    CHECK(oauth_client_new(NULL, "svc", "s3cret-value", &o, &c) == OAUTH_OK);
    CHECK(sim_stat("discovery_requests") == 0); /* nothing sent at creation */
    CHECK(oauth_get_token(c, buf, sizeof buf, &len) == OAUTH_OK);
    CHECK(len > 100);
    CHECK(sim_stat("discovery_requests") == 1 && sim_stat("token_requests") == 1);
    oauth_free(c);

    snprintf(other, sizeof other, "%s/", issuer);
    o.issuer = other;
    c = NULL;
    CHECK(oauth_client_new(NULL, "svc", "s3cret-value", &o, &c) == OAUTH_OK);
    len = 7;
    CHECK(oauth_get_token(c, buf, sizeof buf, &len) == OAUTH_ERR_INVALID_ARGUMENT);
    CHECK(len == 7);
    CHECK(strstr(oauth_last_error(), "names issuer") != NULL);
    CHECK(oauth_get_token(c, buf, sizeof buf, &len) == OAUTH_ERR_INVALID_ARGUMENT);
    CHECK(sim_stat("token_requests") == 1);
    oauth_free(c);

    /* No auth method set: picked from the methods the metadata lists. Another
     * spelling of the issuer (the simulator publishes the Host it was asked
     * for), so that the document cached above is not the one used. */
    CHECK(sim_request("POST", "/sim/discovery", NULL,
                      "{\"members\":{\"token_endpoint_auth_methods_supported\":[\"client_secret_post\"]}}", buf,
                      sizeof buf) == 200);
    snprintf(other, sizeof other, "http://localhost:%s", strrchr(sim_url(), ':') + 1);
    strcat(other, "/realms/test");
    o.issuer = other;
    c = NULL;
    CHECK(oauth_client_new(NULL, "post-only", "post-secret", &o, &c) == OAUTH_OK);
    CHECK(oauth_get_token(c, buf, sizeof buf, &len) == OAUTH_OK);
    CHECK(sim_request("GET", "/sim/stats", NULL, NULL, buf, sizeof buf) == 200);
    CHECK(strstr(buf, "\"last_method\":\"post\"") != NULL);
    oauth_free(c);

    /* An issuer the secret may not go to is refused at creation. */
    o.issuer = "http://iam.example.com/realms/test";
    c = NULL;
    CHECK(oauth_client_new(NULL, "svc", "s3cret-value", &o, &c) == OAUTH_ERR_INVALID_ARGUMENT);
    CHECK(c == NULL);
}

static void run(const char *name, void (*fn)(void)) {
    if (sim_reset() != 0) {
        fprintf(stderr, "cannot reset the simulator\n");
        exit(2);
    }
    run_test(name, fn);
}

/* ---- DPoP (RFC 9449) ---- */

/* Decodes base64url (no padding) of `in[0..n)` into `out` (NUL-terminated); returns the length or -1. */
static long b64url_decode(const char *in, size_t n, char *out, size_t out_len) {
    unsigned long acc = 0;
    int bits = 0;
    size_t i, o = 0;
    for (i = 0; i < n; ++i) {
        const char c = in[i];
        int v;
        if (c >= 'A' && c <= 'Z')
            v = c - 'A';
        else if (c >= 'a' && c <= 'z')
            v = c - 'a' + 26;
        else if (c >= '0' && c <= '9')
            v = c - '0' + 52;
        else if (c == '-')
            v = 62;
        else if (c == '_')
            v = 63;
        else
            return -1;
        acc = (acc << 6) | (unsigned long)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            if (o + 1 >= out_len) return -1;
            out[o++] = (char)((acc >> bits) & 0xff);
        }
    }
    out[o] = '\0';
    return (long)o;
}

static oauth_client *dpop_client(void) {
    oauth_options o = OAUTH_OPTIONS_INIT;
    o.dpop = 1;
    return new_client("svc", "s3cret-value", &o);
}

static void test_dpop_proof(void) {
    char tok[TOKEN_MAX], proof[4096], small[8], header[2048], claims[2048], want[512];
    size_t len = 0, n = 0;
    const char *dot1, *dot2;
    char url[300];
    oauth_client *c = dpop_client();
    oauth_client *bearer = new_client("svc", "s3cret-value", NULL);
    snprintf(url, sizeof url, "%s/api/echo", sim_url());
    CHECK(oauth_get_token(c, tok, sizeof tok, &len) == OAUTH_OK);
    /* The size query, a buffer too small (untouched), then the proof. */
    CHECK(oauth_dpop_proof(c, "GET", url, tok, NULL, 0, &n) == OAUTH_ERR_BUFFER_TOO_SMALL);
    CHECK(n > 100 && n < sizeof proof);
    memset(small, 'z', sizeof small);
    CHECK(oauth_dpop_proof(c, "GET", url, tok, small, sizeof small, &n) == OAUTH_ERR_BUFFER_TOO_SMALL);
    CHECK(small[0] == 'z' && small[sizeof small - 1] == 'z');
    CHECK(oauth_dpop_proof(c, "GET", url, tok, proof, n, &n) == OAUTH_ERR_BUFFER_TOO_SMALL); /* no room for the NUL */
    CHECK(oauth_dpop_proof(c, "GET", url, tok, proof, sizeof proof, &n) == OAUTH_OK);
    CHECK(strlen(proof) == n);
    /* Structure and claims (the signature is verified with ring in crates/oauth2cc-core/tests/dpop.rs). */
    dot1 = strchr(proof, '.');
    dot2 = dot1 ? strchr(dot1 + 1, '.') : NULL;
    CHECK(dot1 != NULL && dot2 != NULL && strchr(dot2 + 1, '.') == NULL);
    if (dot1 != NULL && dot2 != NULL) {
        CHECK(b64url_decode(proof, (size_t)(dot1 - proof), header, sizeof header) > 0);
        CHECK(b64url_decode(dot1 + 1, (size_t)(dot2 - dot1 - 1), claims, sizeof claims) > 0);
        CHECK(strstr(header, "\"typ\":\"dpop+jwt\"") != NULL && strstr(header, "\"alg\":\"ES256\"") != NULL);
        CHECK(strstr(header, "\"kty\":\"EC\"") != NULL && strstr(header, "\"d\"") == NULL);
        CHECK(strstr(claims, "\"htm\":\"GET\"") != NULL);
        snprintf(want, sizeof want, "\"htu\":\"%s\"", url);
        CHECK(strstr(claims, want) != NULL);
        CHECK(strstr(claims, "\"ath\":\"") != NULL && strstr(claims, "\"jti\":\"") != NULL);
        CHECK(strstr(claims, "\"iat\":") != NULL);
        CHECK(strstr(proof, tok) == NULL);
    }
    /* The query and fragment are left out of htu. */
    {
        char q[320];
        snprintf(q, sizeof q, "%s?a=1#frag", url);
        CHECK(oauth_dpop_proof(c, "POST", q, tok, proof, sizeof proof, &n) == OAUTH_OK);
        dot1 = strchr(proof, '.');
        dot2 = dot1 ? strchr(dot1 + 1, '.') : NULL;
        if (dot1 != NULL && dot2 != NULL) {
            CHECK(b64url_decode(dot1 + 1, (size_t)(dot2 - dot1 - 1), claims, sizeof claims) > 0);
            CHECK(strstr(claims, want) != NULL && strstr(claims, "a=1") == NULL);
            CHECK(strstr(claims, "\"htm\":\"POST\"") != NULL);
        }
    }
    /* NULLs, invalid UTF-8, bad method or URL, a client without DPoP: typed errors, out untouched. */
    n = 12345;
    CHECK(oauth_dpop_proof(NULL, "GET", url, tok, proof, sizeof proof, &n) == OAUTH_ERR_INVALID_ARGUMENT);
    CHECK(oauth_dpop_proof(c, NULL, url, tok, proof, sizeof proof, &n) == OAUTH_ERR_INVALID_ARGUMENT);
    CHECK(oauth_dpop_proof(c, "GET", NULL, tok, proof, sizeof proof, &n) == OAUTH_ERR_INVALID_ARGUMENT);
    CHECK(oauth_dpop_proof(c, "GET", url, NULL, proof, sizeof proof, &n) == OAUTH_ERR_INVALID_ARGUMENT);
    CHECK(oauth_dpop_proof(c, "GET", url, tok, proof, sizeof proof, NULL) == OAUTH_ERR_INVALID_ARGUMENT);
    CHECK(oauth_dpop_proof(c, "GET", url, tok, NULL, 10, &n) == OAUTH_ERR_INVALID_ARGUMENT);
    CHECK(oauth_dpop_proof(c, "G\xff", url, tok, proof, sizeof proof, &n) == OAUTH_ERR_INVALID_ARGUMENT);
    CHECK(strstr(oauth_last_error(), "UTF-8") != NULL);
    CHECK(oauth_dpop_proof(c, "GET", "/relative", tok, proof, sizeof proof, &n) == OAUTH_ERR_INVALID_ARGUMENT);
    CHECK(oauth_dpop_proof(c, "G T", url, tok, proof, sizeof proof, &n) == OAUTH_ERR_INVALID_ARGUMENT);
    CHECK(oauth_dpop_proof(bearer, "GET", url, tok, proof, sizeof proof, &n) == OAUTH_ERR_INVALID_ARGUMENT);
    CHECK(strstr(oauth_last_error(), "DPoP") != NULL);
    CHECK(n == 12345);
    oauth_free(bearer);
    oauth_free(c);
}

/* The shared case table's DPoP cases through oauth_handle_dpop_response. */
static void test_handle_dpop_response_case_table(void) {
    char tok[TOKEN_MAX], again[TOKEN_MAX], url[300];
    size_t len, i;
    oauth_client *c = dpop_client();
    snprintf(url, sizeof url, "%s/api/echo", sim_url());
    CHECK(API_DPOP_CASE_COUNT >= 4);
    for (i = 0; i < API_DPOP_CASE_COUNT; ++i) {
        const struct api_dpop_case *k = &API_DPOP_CASES[i];
        oauth_status rc;
        CHECK(oauth_get_token(c, tok, sizeof tok, &len) == OAUTH_OK);
        rc = oauth_handle_dpop_response(c, url, k->status, tok, k->www_joined, k->dpop_nonce);
        if (rc != k->expected)
            fprintf(stderr, "  case %s: got %d (%s), expected %d\n", k->name, rc, oauth_strerror(rc), k->expected);
        CHECK(rc == k->expected);
        CHECK(oauth_get_token(c, again, sizeof again, &len) == OAUTH_OK);
        CHECK((strcmp(tok, again) == 0) == (k->keeps_token != 0));
    }
    CHECK(oauth_handle_dpop_response(c, NULL, 401, tok, NULL, NULL) == OAUTH_ERR_INVALID_ARGUMENT);
    CHECK(oauth_handle_dpop_response(c, url, 401, NULL, NULL, NULL) == OAUTH_ERR_INVALID_ARGUMENT);
    CHECK(oauth_handle_dpop_response(NULL, url, 401, tok, NULL, NULL) == OAUTH_ERR_INVALID_ARGUMENT);
    CHECK(oauth_handle_dpop_response(c, url, 0, tok, NULL, NULL) == OAUTH_ERR_INVALID_ARGUMENT);
    oauth_free(c);
}

/* Hostile input to the v4 options and the DPoP / certificate functions: each
 * is refused with OAUTH_ERR_INVALID_ARGUMENT (or handled), never a crash, a
 * hang or an unbounded read. alarm() turns a hang into a failed run. */
static oauth_status new_with(const oauth_options *o) {
    oauth_client *c = NULL;
    oauth_status rc = oauth_client_new(token_url, "svc", "s3cret-value", o, &c);
    CHECK((rc == OAUTH_OK) == (c != NULL));
    oauth_free(c);
    return rc;
}

static void test_hostile_v4_options(void) {
    static const char bad_utf8[] = "ab\xff\xfe";
    const char *names[] = {
        "signing_key_file",          "signing_key_pem", "signing_alg",   "key_id", "assertion_audience",
        "client_cert_file",          "client_key_file", "dpop_key_file", "issuer", "shared_cache_url",
        "shared_cache_password_file"};
    size_t i, big = (size_t)16 << 20;
    char *huge;
    double t0;
    alarm(60);
    for (i = 0; i < sizeof names / sizeof names[0]; ++i) {
        oauth_options o = OAUTH_OPTIONS_INIT;
        const char **field[] = {
            &o.signing_key_file,          &o.signing_key_pem, &o.signing_alg,   &o.key_id, &o.assertion_audience,
            &o.client_cert_file,          &o.client_key_file, &o.dpop_key_file, &o.issuer, &o.shared_cache_url,
            &o.shared_cache_password_file};
        *field[i] = bad_utf8;
        CHECK(new_with(&o) == OAUTH_ERR_INVALID_ARGUMENT);
        if (strstr(oauth_last_error(), names[i]) == NULL) fprintf(stderr, "  %s: %s\n", names[i], oauth_last_error());
        CHECK(strstr(oauth_last_error(), names[i]) != NULL);
    }
    {
        oauth_options o = OAUTH_OPTIONS_INIT;
        o.signing_key_file = "tests/fixtures/keys/p256.pkcs8.pem";
        o.signing_key_pem = "-----BEGIN PRIVATE KEY-----\n-----END PRIVATE KEY-----\n";
        CHECK(new_with(&o) == OAUTH_ERR_INVALID_ARGUMENT);
        CHECK(strstr(oauth_last_error(), "not both") != NULL);
    }
    /* A 16 MiB PEM: refused or used, without a crash; never echoed back. */
    huge = malloc(big + 1);
    CHECK(huge != NULL);
    if (huge != NULL) {
        oauth_options o = OAUTH_OPTIONS_INIT;
        memset(huge, 'A', big);
        memcpy(huge, "-----BEGIN PRIVATE KEY-----\n", 28);
        huge[big] = '\0';
        o.signing_key_pem = huge;
        o.auth_method = OAUTH_AUTH_PRIVATE_KEY_JWT;
        CHECK(new_with(&o) != OAUTH_OK);
        CHECK(strstr(oauth_last_error(), "AAAAAAAAAAAAAAAA") == NULL);
        free(huge);
    }
    /* A directory, /dev/zero and a FIFO-free device as key and certificate
     * files: configuration errors, quickly (the files are not read to the end). */
    {
        const char *paths[] = {"/tmp", "/dev/zero", "/dev/null"};
        for (i = 0; i < 3; ++i) {
            oauth_options o = OAUTH_OPTIONS_INIT;
            t0 = now_s();
            o.dpop_key_file = paths[i];
            CHECK(new_with(&o) == OAUTH_ERR_INVALID_ARGUMENT);
            CHECK(strstr(oauth_last_error(), "DPoP") != NULL);
            o.dpop_key_file = NULL;
            o.client_cert_file = paths[i];
            o.client_key_file = "tests/fixtures/keys/p256.pkcs8.pem";
            CHECK(new_with(&o) == OAUTH_ERR_INVALID_ARGUMENT);
            CHECK(strstr(oauth_last_error(), paths[i]) != NULL);
            o.client_cert_file = getenv("OAUTH2CC_SIM_CLIENT_CERT");
            o.client_key_file = paths[i];
            CHECK(new_with(&o) == OAUTH_ERR_INVALID_ARGUMENT);
            CHECK(strstr(oauth_last_error(), paths[i]) != NULL);
            o.client_cert_file = NULL;
            o.client_key_file = NULL;
            o.signing_key_file = paths[i];
            o.auth_method = OAUTH_AUTH_PRIVATE_KEY_JWT;
            CHECK(new_with(&o) == OAUTH_ERR_INVALID_ARGUMENT);
            CHECK(now_s() - t0 < 30.0); /* generous: only an unbounded read is slow */
        }
    }
    /* A device is not a regular file, and a 64 MiB (sparse) file is refused by
     * its size: neither is read to the end. */
    {
        char big_path[] = "/tmp/oauth2cc-c-bigkey-XXXXXX";
        int fd = mkstemp(big_path);
        CHECK(fd >= 0 && ftruncate(fd, (off_t)64 << 20) == 0);
        for (i = 0; i < 3; ++i) {
            oauth_options o = OAUTH_OPTIONS_INIT;
            const char *want = i == 0 ? "larger than" : "not a regular file";
            const char *path = i == 0 ? big_path : "/dev/zero";
            if (i == 0) o.dpop_key_file = path;
            if (i == 1) o.client_cert_file = path, o.client_key_file = getenv("OAUTH2CC_SIM_CLIENT_KEY");
            if (i == 2) o.client_cert_file = getenv("OAUTH2CC_SIM_CLIENT_CERT"), o.client_key_file = path;
            CHECK(new_with(&o) == OAUTH_ERR_INVALID_ARGUMENT);
            if (strstr(oauth_last_error(), want) == NULL) fprintf(stderr, "  case %zu: %s\n", i, oauth_last_error());
            CHECK(strstr(oauth_last_error(), want) != NULL);
            o.dpop_key_file = NULL;
            o.client_cert_file = i == 0 ? path : "/dev/zero";
            o.client_key_file = getenv("OAUTH2CC_SIM_CLIENT_KEY");
            CHECK(new_with(&o) == OAUTH_ERR_INVALID_ARGUMENT);
            CHECK(strstr(oauth_last_error(), want) != NULL);
        }
        /* The signing key (private_key_jwt) and the shared cache's password file, the same way. */
        for (i = 0; i < 2; ++i) {
            oauth_options o = OAUTH_OPTIONS_INIT;
            const char *want = i == 0 ? "larger than" : "not a regular file";
            o.auth_method = OAUTH_AUTH_PRIVATE_KEY_JWT;
            o.signing_key_file = i == 0 ? big_path : "/dev/zero";
            CHECK(new_with(&o) == OAUTH_ERR_INVALID_ARGUMENT);
            if (strstr(oauth_last_error(), want) == NULL)
                fprintf(stderr, "  signing key %zu: %s\n", i, oauth_last_error());
            CHECK(strstr(oauth_last_error(), want) != NULL);
            o.auth_method = OAUTH_AUTH_CLIENT_SECRET_BASIC;
            o.signing_key_file = NULL;
            o.shared_cache_url = "redis://127.0.0.1:9/";
            o.shared_cache_password_file = i == 0 ? big_path : "/dev/zero";
            CHECK(new_with(&o) == OAUTH_ERR_INVALID_ARGUMENT);
            if (strstr(oauth_last_error(), want) == NULL)
                fprintf(stderr, "  password %zu: %s\n", i, oauth_last_error());
            CHECK(strstr(oauth_last_error(), want) != NULL);
        }
        if (fd >= 0) close(fd);
        unlink(big_path);
    }
    /* A DPoP key that is not P-256: a clear configuration error. */
    {
        const char *keys[] = {"tests/fixtures/keys/rsa2048.pkcs8.pem", "tests/fixtures/keys/rsa2048.pkcs1.pem",
                              "tests/fixtures/keys/p384.pkcs8.pem", "tests/fixtures/keys/p384.sec1.pem",
                              "tests/fixtures/keys/ed25519.pkcs8.pem"};
        for (i = 0; i < sizeof keys / sizeof keys[0]; ++i) {
            oauth_options o = OAUTH_OPTIONS_INIT;
            o.dpop_key_file = keys[i];
            CHECK(new_with(&o) == OAUTH_ERR_INVALID_ARGUMENT);
            if (strstr(oauth_last_error(), "P-256") == NULL) fprintf(stderr, "  %s: %s\n", keys[i], oauth_last_error());
            CHECK(strstr(oauth_last_error(), "P-256") != NULL);
        }
        {
            oauth_options o = OAUTH_OPTIONS_INIT;
            oauth_client *c = NULL;
            o.dpop_key_file = "tests/fixtures/keys/p256.sec1.pem";
            CHECK(oauth_client_new(token_url, "svc", "s3cret-value", &o, &c) == OAUTH_OK);
            CHECK(oauth_dpop_enabled(c) == 1);
            oauth_free(c);
        }
    }
    alarm(0);
}

/* Hostile arguments to the DPoP functions of a working client. */
static void test_hostile_dpop_calls(void) {
    char tok[TOKEN_MAX], proof[4096], url[300];
    size_t len = 0, n = 0, big = (size_t)4 << 20;
    char *huge = malloc(big + 1);
    oauth_client *c = dpop_client();
    const char *cert = "unset", *key = "unset";
    snprintf(url, sizeof url, "%s/api/echo", sim_url());
    CHECK(oauth_get_token(c, tok, sizeof tok, &len) == OAUTH_OK);
    CHECK(oauth_dpop_enabled(NULL) == 0);
    CHECK(oauth_get_client_cert_files(c, &cert, &key) == OAUTH_OK && cert == NULL && key == NULL);
    CHECK(huge != NULL);
    if (huge == NULL) return;
    memset(huge, 'a', big);
    huge[big] = '\0';
    /* A 4 MiB token: its hash goes into the proof (a fixed size). */
    CHECK(oauth_dpop_proof(c, "GET", url, huge, proof, sizeof proof, &n) == OAUTH_OK);
    CHECK(n < sizeof proof && strlen(proof) == n);
    /* A 4 MiB method and URL: refused or bounded, no crash. */
    (void)oauth_dpop_proof(c, huge, url, tok, proof, sizeof proof, &n);
    memcpy(huge, "https://a/", 10);
    (void)oauth_dpop_proof(c, "GET", huge, tok, proof, sizeof proof, &n);
    CHECK(oauth_dpop_proof(c, "GET", "https://\xff/x", tok, proof, sizeof proof, &n) == OAUTH_ERR_INVALID_ARGUMENT);
    CHECK(oauth_dpop_proof(c, "GET", "", tok, proof, sizeof proof, &n) == OAUTH_ERR_INVALID_ARGUMENT);
    CHECK(oauth_dpop_proof(c, "", url, tok, proof, sizeof proof, &n) == OAUTH_ERR_INVALID_ARGUMENT);
    /* Response handling: invalid UTF-8 and huge headers, odd statuses. */
    CHECK(oauth_handle_dpop_response(c, url, 401, "\xff\xfe", NULL, NULL) == OAUTH_ERR_INVALID_ARGUMENT);
    CHECK(oauth_handle_dpop_response(c, "\xff", 401, tok, NULL, NULL) == OAUTH_ERR_INVALID_ARGUMENT);
    CHECK(oauth_handle_dpop_response(c, url, -401, tok, NULL, NULL) == OAUTH_ERR_INVALID_ARGUMENT);
    CHECK(oauth_handle_dpop_response(c, url, 1000, tok, NULL, NULL) == OAUTH_ERR_INVALID_ARGUMENT);
    (void)oauth_handle_dpop_response(c, url, 401, tok, "DPoP error=\"use_dpop_nonce\"\xff", "n\xff\x01");
    (void)oauth_handle_dpop_response(c, url, 401, tok, huge, huge);
    (void)oauth_handle_dpop_response(c, url, 200, tok, NULL, huge);
    (void)oauth_handle_dpop_response(c, "not a url", 401, tok, "DPoP error=\"use_dpop_nonce\"", "abc");
    /* A bogus nonce is not put into proofs. */
    CHECK(oauth_dpop_proof(c, "GET", url, tok, proof, sizeof proof, &n) == OAUTH_OK);
    CHECK(strlen(proof) == n && n < 2000);
    oauth_free(c);
    free(huge);
}

int main(void) {
    /* Before any thread starts: the test hook for test_caught_panic_is_silent. */
    setenv("OAUTH2CC_TEST_PANIC_CLIENT_ID", "panic-me", 1);
    if (sim_init() != 0) return 2;
    snprintf(token_url, sizeof token_url, "%s/realms/test/protocol/openid-connect/token", sim_url());
    snprintf(poison_dir, sizeof poison_dir, "/tmp/oauth2cc-must-not-exist-%ld", (long)getpid());
    run("get a token, then from the cache", test_get_token_then_cache);
    run("buffer too small", test_buffer_too_small);
    run("NULL arguments", test_null_arguments);
    run("oauth_client_new_from_env", test_client_new_from_env);
    run("bad input", test_bad_input);
    run("options reach the server", test_options_reach_the_server);
    run("wrong secret", test_wrong_secret);
    run("private_key_jwt and client_secret_jwt", test_private_key_jwt);
    run("private_key_jwt: a bad key fails oauth_client_new, a wrong key is a credential rejection",
        test_private_key_jwt_bad_keys);
    run("server faults", test_server_faults);
    run("granted scope", test_granted_scope);
    run("bare 403 is a credential rejection", test_bare_403_is_a_credential_rejection);
    run("404 is a configuration error", test_404_is_a_configuration_error);
    run("issuer option with a NULL token URL (discovery)", test_issuer_option_with_null_token_url);
    run("a caught panic is OAUTH_ERR_INTERNAL, silent on stderr", test_caught_panic_is_silent);
    run("64 threads on a cold client", test_64_threads_cold_client);
    run("short-lived token renewed before expiry", test_short_lived_token_is_renewed_before_expiry);
    run("invalidate", test_invalidate);
    run("last error is per thread", test_last_error_is_per_thread);
    run("API 401/403 handling", test_handle_unauthorized);
    run("API answers: the shared case table", test_handle_response_case_table);
    run("oauth_dpop_proof: sizes, NULLs, claims", test_dpop_proof);
    run("API answers: the shared case table's DPoP cases", test_handle_dpop_response_case_table);
    run("hostile v4 options: bad UTF-8, both keys, huge PEM, directories and devices, non-P-256 DPoP keys",
        test_hostile_v4_options);
    run("hostile arguments to the DPoP functions", test_hostile_dpop_calls);
    run("retry-after, set_secret, stats", test_retry_after_set_secret_and_stats);
    run("log callback without secrets", test_log_callback_without_secrets);
    run("log handler takes a record", test_log_handler_takes_a_record);
    run("trace logs hold only oauth2cc's lines", test_trace_logs_hold_only_oauth2ccs_lines);
    run("log callback taking an app lock vs oauth_get_stats", test_log_callback_taking_an_app_lock_vs_stats);
    run("fork", test_fork);
    run("TLS: CA file accepted, unknown CA refused", test_tls);
    run("mutual TLS: certificate files checked and given back", test_client_certificate);
    run("cache_dir shares tokens between processes", test_cache_dir_shares_between_processes);
    run("shared_cache_url shares tokens between processes", test_shared_cache_url_shares_between_processes);
    run("oauth_options v1 caller: only its fields read and written", test_options_v1_caller);
    run("oauth_options v2 caller: only its fields read and written", test_options_v2_caller);
    run("oauth_options v3 caller: only its fields read and written", test_options_v3_caller);
    run("oauth_options: one version per appended field from version 4", test_options_one_version_per_field);
    run("oauth_stats v1 caller: only its fields written", test_stats_v1_caller);
    run("oauth_stats v2: named failure counters", test_stats_v2_named_failures);
    run("oauth_last_error_info: one record, v1 caller", test_last_error_info);
    return check_summary();
}
