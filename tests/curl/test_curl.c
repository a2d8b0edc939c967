/* The libcurl helper (bindings/c) against the simulator's protected API. */
#define _POSIX_C_SOURCE 200809L
#include "oauth2cc_curl.h"
#include "check.h"
#include "sim_http.h"
#include "api_response_cases.h" /* generated from tests/api_response_cases.json */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct buffer {
    char data[8192];
    size_t len;
};

static size_t collect(char *ptr, size_t size, size_t nmemb, void *userdata) {
    struct buffer *b = (struct buffer *)userdata;
    size_t n = size * nmemb;
    if (b->len + n >= sizeof b->data) return 0;
    memcpy(b->data + b->len, ptr, n);
    b->len += n;
    b->data[b->len] = '\0';
    return n;
}

static char token_url[256], api[256];
static oauth_client *client;

static CURL *new_curl(const char *path) {
    CURL *curl = curl_easy_init();
    snprintf(api, sizeof api, "%s%s", sim_url(), path);
    curl_easy_setopt(curl, CURLOPT_URL, api);
    curl_easy_setopt(curl, CURLOPT_NOPROXY, "*");
    return curl;
}

static void test_bearer_added_and_caller_headers_kept(void) {
    CURL *curl = new_curl("/api/echo");
    struct curl_slist *mine = curl_slist_append(NULL, "X-Test: kept");
    struct buffer b;
    oauth_curl_request req = OAUTH_CURL_REQUEST_INIT;
    long status = 0;
    CURLcode cc = CURLE_OK;
    mine = curl_slist_append(mine, "Authorization: Basic c3RhbGU=");
    b.len = 0;
    req.headers = mine;
    req.write = collect;
    req.write_data = &b;
    CHECK(oauth_curl_perform(client, curl, &req, &status, &cc) == OAUTH_OK);
    CHECK(status == 200 && cc == CURLE_OK);
    CHECK(strstr(b.data, "\"x_test\":\"kept\"") != NULL);
    CHECK(strstr(b.data, "\"authorization_headers\":1") != NULL);
    CHECK(strcmp(mine->data, "X-Test: kept") == 0 && mine->next != NULL && mine->next->next == NULL);
    curl_slist_free_all(mine);
    curl_easy_cleanup(curl);
}

static void test_revoked_token_is_renewed_and_the_post_resent(void) {
    CURL *curl = new_curl("/api/echo");
    struct buffer b;
    oauth_curl_request req = OAUTH_CURL_REQUEST_INIT;
    long status = 0, before;
    b.len = 0;
    req.write = collect;
    req.write_data = &b;
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, "0123456789");
    CHECK(oauth_curl_perform(client, curl, &req, &status, NULL) == OAUTH_OK); /* a token in the cache */
    before = sim_stat("token_requests");
    CHECK(sim_request("POST", "/sim/revoke", NULL, NULL, NULL, 0) == 200);
    b.len = 0;
    CHECK(oauth_curl_perform(client, curl, &req, &status, NULL) == OAUTH_OK);
    CHECK(status == 200);
    CHECK(strstr(b.data, "\"body_bytes\":10") != NULL);
    CHECK(strstr(b.data, "invalid_token") == NULL); /* the 401's body was not delivered */
    CHECK(sim_stat("token_requests") == before + 1);
    curl_easy_cleanup(curl);
}

struct upload {
    const char *data;
    size_t pos, len;
    int rewinds;
};

static size_t read_upload(char *buf, size_t size, size_t nitems, void *userdata) {
    struct upload *u = (struct upload *)userdata;
    size_t n = size * nitems;
    if (n > u->len - u->pos) n = u->len - u->pos;
    memcpy(buf, u->data + u->pos, n);
    u->pos += n;
    return n;
}

static int rewind_upload(void *userdata) {
    struct upload *u = (struct upload *)userdata;
    u->pos = 0;
    u->rewinds++;
    return 0;
}

static int failing_rewind(void *userdata) {
    (void)userdata;
    return 1;
}

static void test_a_streamed_upload_is_rewound(void) {
    CURL *curl = new_curl("/api/echo");
    struct buffer b;
    struct upload up;
    oauth_curl_request req = OAUTH_CURL_REQUEST_INIT;
    long status = 0;
    up.data = "streamed-body-of-31-bytes......";
    up.pos = 0;
    up.len = strlen(up.data);
    up.rewinds = 0;
    b.len = 0;
    curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(curl, CURLOPT_INFILESIZE, (long)up.len);
    curl_easy_setopt(curl, CURLOPT_READFUNCTION, read_upload);
    curl_easy_setopt(curl, CURLOPT_READDATA, &up);
    req.write = collect;
    req.write_data = &b;
    req.rewind = rewind_upload;
    req.rewind_data = &up;
    CHECK(sim_request("POST", "/sim/revoke", NULL, NULL, NULL, 0) == 200);
    CHECK(oauth_curl_perform(client, curl, &req, &status, NULL) == OAUTH_OK);
    CHECK(status == 200 && up.rewinds == 1);
    CHECK(strstr(b.data, "\"body_bytes\":31") != NULL);
    curl_easy_cleanup(curl);
}

static void test_insufficient_scope_and_no_detail(void) {
    CURL *curl = new_curl("/api/scope/orders:write");
    struct buffer b;
    oauth_curl_request req = OAUTH_CURL_REQUEST_INIT;
    long status = 0, before = sim_stat("token_requests");
    b.len = 0;
    req.write = collect;
    req.write_data = &b;
    CHECK(oauth_curl_perform(client, curl, &req, &status, NULL) == OAUTH_ERR_API_INSUFFICIENT_SCOPE);
    CHECK(status == 403);
    CHECK(strstr(oauth_last_error(), "orders:write") != NULL);
    CHECK(strstr(b.data, "insufficient_scope") != NULL); /* the body is delivered */
    curl_easy_setopt(curl, CURLOPT_URL, (snprintf(api, sizeof api, "%s/api/deny", sim_url()), api));
    CHECK(oauth_curl_perform(client, curl, &req, &status, NULL) == OAUTH_ERR_API_UNAUTHORIZED);
    CHECK(status == 401);
    CHECK(sim_stat("token_requests") == before); /* no renewal for either */
    curl_easy_cleanup(curl);
}

static void test_transfer_and_argument_errors(void) {
    CURL *curl = curl_easy_init();
    oauth_curl_request req = OAUTH_CURL_REQUEST_INIT;
    CURLcode cc = CURLE_OK;
    curl_easy_setopt(curl, CURLOPT_URL, "http://127.0.0.1:1/nothing-listens");
    curl_easy_setopt(curl, CURLOPT_NOPROXY, "*");
    /* An older, unrelated failure must not be what oauth_last_error() says afterwards. */
    CHECK(oauth_client_new(NULL, "svc", "s", NULL, NULL) == OAUTH_ERR_INVALID_ARGUMENT);
    CHECK(oauth_curl_perform(client, curl, &req, NULL, &cc) == OAUTH_CURL_ERR_TRANSFER);
    CHECK(cc == CURLE_COULDNT_CONNECT);
    CHECK(strstr(oauth_last_error(), "oauth_curl_perform") != NULL);
    CHECK(strstr(oauth_last_error(), curl_easy_strerror(cc)) != NULL);
    CHECK(oauth_curl_perform(NULL, curl, &req, NULL, NULL) == OAUTH_ERR_INVALID_ARGUMENT);
    CHECK(strstr(oauth_last_error(), "oauth_curl_perform") != NULL);
    CHECK(oauth_curl_perform(client, NULL, &req, NULL, NULL) == OAUTH_ERR_INVALID_ARGUMENT);
    CHECK(oauth_curl_perform(client, curl, NULL, NULL, NULL) == OAUTH_ERR_INVALID_ARGUMENT);
    curl_easy_cleanup(curl);
}

static void test_the_helpers_codes_are_named(void) {
    CHECK(strcmp(oauth_strerror(OAUTH_CURL_ERR_TRANSFER), "unknown status") != 0);
    CHECK(strstr(oauth_strerror(OAUTH_CURL_ERR_TRANSFER), "transfer") != NULL);
    CHECK(strcmp(oauth_strerror(OAUTH_CURL_ERR_TOKEN_REJECTED), "unknown status") != 0);
    CHECK(strstr(oauth_strerror(OAUTH_CURL_ERR_REWIND), "rewind") != NULL);
}

static void test_a_failed_rewind_sets_the_message(void) {
    CURL *curl = new_curl("/api/echo");
    oauth_curl_request req = OAUTH_CURL_REQUEST_INIT;
    CHECK(oauth_client_new(NULL, "svc", "s", NULL, NULL) == OAUTH_ERR_INVALID_ARGUMENT);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, "x=1");
    req.rewind = failing_rewind;
    CHECK(sim_request("POST", "/sim/revoke", NULL, NULL, NULL, 0) == 200);
    CHECK(oauth_curl_perform(client, curl, &req, NULL, NULL) == OAUTH_CURL_ERR_REWIND);
    CHECK(strstr(oauth_last_error(), "rewind") != NULL);
    curl_easy_cleanup(curl);
}

/* The shared case table (tests/api_response_cases.json) against the
 * simulator's /api/respond route: the helper only asks oauth_handle_response. */
static void test_the_case_table(void) {
    size_t i;
    for (i = 0; i < API_CASE_COUNT; ++i) {
        const struct api_case *k = &API_CASES[i];
        CURL *curl = new_curl(k->respond_path);
        struct buffer b;
        oauth_curl_request req = OAUTH_CURL_REQUEST_INIT;
        long status = 0, calls = sim_stat("api_requests");
        oauth_status rc, want = k->expected == OAUTH_RETRY ? OAUTH_CURL_ERR_TOKEN_REJECTED : k->expected;
        b.len = 0;
        b.data[0] = '\0';
        req.write = collect;
        req.write_data = &b;
        rc = oauth_curl_perform(client, curl, &req, &status, NULL);
        if (rc != want) fprintf(stderr, "  case %s: got %d (%s), expected %d\n", k->name, rc, oauth_last_error(), want);
        CHECK(rc == want);
        CHECK(status == k->status);
        /* The simulator answers a renewed token the same way: one resend, then stop. */
        CHECK(sim_stat("api_requests") - calls == (k->expected == OAUTH_RETRY ? 2 : 1));
        CHECK(strstr(b.data, "\"status\"") != NULL); /* the final body is delivered */
        if (k->scope != NULL) CHECK(strstr(oauth_last_error(), k->scope) != NULL);
        curl_easy_cleanup(curl);
    }
}

/* DPoP: "Authorization: DPoP" plus a proof the simulator verifies; the API's
 * nonce rotation resent once (same token); a never-settling API stops after one resend. */
static void test_dpop(void) {
    oauth_options o = OAUTH_OPTIONS_INIT;
    oauth_client *c = NULL;
    CURL *curl;
    struct buffer b;
    oauth_curl_request req = OAUTH_CURL_REQUEST_INIT;
    long status = 0, tokens, api_before;
    char out[256];
    o.dpop = 1;
    CHECK(oauth_client_new(token_url, "svc", "s3cret-value", &o, &c) == OAUTH_OK);
    CHECK(oauth_dpop_enabled(c) == 1 && oauth_dpop_enabled(client) == 0 && oauth_dpop_enabled(NULL) == 0);
    curl = new_curl("/api/echo");
    b.len = 0;
    req.write = collect;
    req.write_data = &b;
    /* The URL is required for a DPoP client. */
    CHECK(oauth_curl_perform(c, curl, &req, &status, NULL) == OAUTH_ERR_INVALID_ARGUMENT);
    req.url = api;
    CHECK(oauth_curl_perform(c, curl, &req, &status, NULL) == OAUTH_OK);
    CHECK(status == 200 && strstr(b.data, "\"authorization_headers\":1") != NULL);
    CHECK(sim_stat("dpop_proofs_ok") == 2);
    tokens = sim_stat("token_requests");
    CHECK(sim_request("POST", "/sim/dpop", NULL, "{\"require_nonce\":true,\"rotate_now\":true}", out, sizeof out) ==
          200);
    api_before = sim_stat("api_requests");
    b.len = 0;
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, "abc");
    req.method = "POST";
    CHECK(oauth_curl_perform(c, curl, &req, &status, NULL) == OAUTH_OK);
    CHECK(status == 200 && strstr(b.data, "\"body_bytes\":3") != NULL);
    CHECK(sim_stat("api_requests") == api_before + 2 && sim_stat("token_requests") == tokens);
    CHECK(sim_request("POST", "/sim/dpop", NULL, "{\"rotate_always\":true}", out, sizeof out) == 200);
    api_before = sim_stat("api_requests");
    CHECK(oauth_curl_perform(c, curl, &req, &status, NULL) == OAUTH_CURL_ERR_TOKEN_REJECTED);
    CHECK(status == 401 && sim_stat("api_requests") == api_before + 2);
    CHECK(sim_request("POST", "/sim/dpop", NULL, "{}", out, sizeof out) == 200);
    CHECK(sim_stat("dpop_replays") == 0);
    curl_easy_cleanup(curl);
    oauth_free(c);
}

/* Mutual TLS: a token bound to the client's certificate reaches the API
 * through the helper (which sets the certificate on the handle), and is
 * refused over a connection without it. */
static void test_the_client_certificate_goes_to_the_api(void) {
    char url[512], api_url[512], auth[4200], token[4096];
    size_t len = 0;
    oauth_client *c = NULL;
    oauth_options o = OAUTH_OPTIONS_INIT;
    const char *base = getenv("OAUTH2CC_SIM_TLS_URL");
    CURL *curl;
    struct buffer b;
    struct curl_slist *h;
    oauth_curl_request req = OAUTH_CURL_REQUEST_INIT;
    long status = 0;
    CHECK(base != NULL);
    if (base == NULL) return;
    snprintf(url, sizeof url, "%s/realms/test/protocol/openid-connect/token", base);
    snprintf(api_url, sizeof api_url, "%s/api/echo", base);
    o.proxy = "";
    o.ca_file = getenv("OAUTH2CC_SIM_CA_FILE");
    o.client_cert_file = getenv("OAUTH2CC_SIM_CLIENT_CERT");
    o.client_key_file = getenv("OAUTH2CC_SIM_CLIENT_KEY");
    CHECK(oauth_client_new(url, "svc", "s3cret-value", &o, &c) == OAUTH_OK);
    if (c == NULL) return;
    curl = curl_easy_init();
    curl_easy_setopt(curl, CURLOPT_URL, api_url);
    curl_easy_setopt(curl, CURLOPT_NOPROXY, "*");
    curl_easy_setopt(curl, CURLOPT_CAINFO, o.ca_file);
    b.len = 0;
    req.write = collect;
    req.write_data = &b;
    CHECK(oauth_curl_perform(c, curl, &req, &status, NULL) == OAUTH_OK);
    CHECK(status == 200);
    curl_easy_cleanup(curl);
    /* The same (bound) token on a handle without the certificate: refused. */
    CHECK(oauth_get_token(c, token, sizeof token, &len) == OAUTH_OK);
    snprintf(auth, sizeof auth, "Authorization: Bearer %s", token);
    h = curl_slist_append(NULL, auth);
    curl = curl_easy_init();
    curl_easy_setopt(curl, CURLOPT_URL, api_url);
    curl_easy_setopt(curl, CURLOPT_NOPROXY, "*");
    curl_easy_setopt(curl, CURLOPT_CAINFO, o.ca_file);
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, collect);
    b.len = 0;
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, (void *)&b);
    CHECK(curl_easy_perform(curl) == CURLE_OK);
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    CHECK(status == 401);
    curl_easy_cleanup(curl);
    curl_slist_free_all(h);
    memset(token, 0, sizeof token);
    memset(auth, 0, sizeof auth);
    oauth_free(c);
}

int main(void) {
    if (sim_init() != 0) return 2;
    curl_global_init(CURL_GLOBAL_DEFAULT);
    snprintf(token_url, sizeof token_url, "%s/realms/test/protocol/openid-connect/token", sim_url());
    if (oauth_client_new(token_url, "svc", "s3cret-value", NULL, &client) != OAUTH_OK) return 2;
    run_test("Bearer added, caller's headers kept", test_bearer_added_and_caller_headers_kept);
    run_test("revoked token: renewed, POST resent", test_revoked_token_is_renewed_and_the_post_resent);
    run_test("streamed upload rewound", test_a_streamed_upload_is_rewound);
    run_test("insufficient scope and no detail", test_insufficient_scope_and_no_detail);
    run_test("transfer and argument errors", test_transfer_and_argument_errors);
    run_test("the helper's codes are named", test_the_helpers_codes_are_named);
    run_test("a failed rewind sets the message", test_a_failed_rewind_sets_the_message);
    run_test("API answers: the shared case table", test_the_case_table);
    run_test("DPoP: proof sent, nonce resent once", test_dpop);
    run_test("mutual TLS: the client certificate goes to the API", test_the_client_certificate_goes_to_the_api);
    oauth_free(client);
    curl_global_cleanup();
    return check_summary();
}
