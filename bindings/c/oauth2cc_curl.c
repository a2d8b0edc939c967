/* oauth2cc_curl.c: see oauth2cc_curl.h. */
#include "oauth2cc_curl.h"

#include <stdlib.h>
#include <string.h>

/* The body of a 401 is held back until we know whether the request is resent. */
#define HELD_MAX (64 * 1024)

/* Sets this thread's oauth_last_error() to "oauth_curl_perform: <why>"; returns code. */
static oauth_status fail(oauth_status code, const char *why) {
    char msg[256];
    size_t n = strlen(why), max = sizeof msg - sizeof "oauth_curl_perform: ";
    if (n > max) n = max;
    memcpy(msg, "oauth_curl_perform: ", sizeof "oauth_curl_perform: " - 1);
    memcpy(msg + sizeof "oauth_curl_perform: " - 1, why, n);
    msg[sizeof "oauth_curl_perform: " - 1 + n] = '\0';
    oauth_set_last_error(msg);
    return code;
}

struct sink {
    CURL *curl;
    const oauth_curl_request *req;
    char *held;
    size_t held_len;
};

static size_t deliver(const oauth_curl_request *req, char *data, size_t len) {
    if (req->write == NULL || len == 0) return len;
    return req->write(data, 1, len, req->write_data);
}

static size_t on_write(char *ptr, size_t size, size_t nmemb, void *userdata) {
    struct sink *s = (struct sink *)userdata;
    size_t len = size * nmemb;
    long code = 0;
    curl_easy_getinfo(s->curl, CURLINFO_RESPONSE_CODE, &code);
    if (code == 401 || code == 403) {
        size_t keep = len;
        if (s->held_len + keep > HELD_MAX) keep = HELD_MAX - s->held_len;
        if (keep > 0) {
            char *grown = (char *)realloc(s->held, s->held_len + keep);
            if (grown == NULL) return 0; /* aborts the transfer: out of memory */
            s->held = grown;
            memcpy(s->held + s->held_len, ptr, keep);
            s->held_len += keep;
        }
        return len;
    }
    return deliver(s->req, ptr, len);
}

static int istarts(const char *s, const char *prefix) {
    for (; *prefix; ++s, ++prefix) {
        char a = *s, b = *prefix;
        if (a >= 'A' && a <= 'Z') a = (char)(a - 'A' + 'a');
        if (b >= 'A' && b <= 'Z') b = (char)(b - 'A' + 'a');
        if (a != b) return 0;
    }
    return 1;
}

/* A copy of `base` without any Authorization (or, with a proof, DPoP) header,
 * plus ours: "Authorization: Bearer <token>", or with `proof` (a DPoP client)
 * "Authorization: DPoP <token>" and "DPoP: <proof>"; NULL on failure. */
static struct curl_slist *with_bearer(const struct curl_slist *base, const char *token, const char *proof) {
    struct curl_slist *out = NULL, *next;
    const struct curl_slist *p;
    size_t n = strlen(token) + sizeof "Authorization: Bearer ";
    char *line = (char *)malloc(n);
    if (line == NULL) return NULL;
    for (p = base; p != NULL; p = p->next) {
        if (istarts(p->data, "authorization:")) continue;
        if (proof != NULL && istarts(p->data, "dpop:")) continue;
        next = curl_slist_append(out, p->data);
        if (next == NULL) goto fail;
        out = next;
    }
    strcpy(line, proof != NULL ? "Authorization: DPoP " : "Authorization: Bearer ");
    strcat(line, token);
    next = curl_slist_append(out, line);
    if (next == NULL) goto fail;
    out = next;
    if (proof != NULL) {
        size_t m = strlen(proof) + sizeof "DPoP: ";
        char *dpop = (char *)malloc(m);
        if (dpop == NULL) goto fail;
        strcpy(dpop, "DPoP: ");
        strcat(dpop, proof);
        next = curl_slist_append(out, dpop);
        free(dpop);
        if (next == NULL) goto fail;
    }
    memset(line, 0, n);
    free(line);
    return next;
fail:
    memset(line, 0, n);
    free(line);
    curl_slist_free_all(out);
    return NULL;
}

/* Every WWW-Authenticate field of the last response, joined with a line feed
 * as oauth_handle_response asks (each is then read on its own), in a malloc'd
 * string; NULL when there is none (or no memory: the answer is then judged as
 * having no challenge). Empty fields are left out (libcurl may give "\r" for
 * one). The helper never looks inside: what they mean is the library's rule. */
static char *www_authenticate(CURL *curl) {
    struct curl_header *h = NULL;
    size_t i, amount, len = 0;
    char *out = NULL;
    if (curl_easy_header(curl, "WWW-Authenticate", 0, CURLH_HEADER, -1, &h) != CURLHE_OK || h == NULL) return NULL;
    amount = h->amount;
    for (i = 0; i < amount; ++i) {
        size_t n;
        char *grown;
        if (curl_easy_header(curl, "WWW-Authenticate", i, CURLH_HEADER, -1, &h) != CURLHE_OK || h == NULL) break;
        n = strlen(h->value);
        while (n > 0 && (h->value[n - 1] == '\r' || h->value[n - 1] == ' ' || h->value[n - 1] == '\t')) --n;
        if (n == 0) continue;
        grown = (char *)realloc(out, len + n + 2);
        if (grown == NULL) break;
        out = grown;
        if (len > 0) out[len++] = '\n';
        memcpy(out + len, h->value, n);
        len += n;
        out[len] = '\0';
    }
    return out;
}

/* The token into a malloc'd string; returns the oauth_get_token status. */
static oauth_status get_token(const oauth_client *client, char **out) {
    size_t len = 0, cap = 2048;
    char *buf = (char *)malloc(cap);
    oauth_status rc;
    if (buf == NULL) return fail(OAUTH_ERR_INTERNAL, "out of memory for the token");
    rc = oauth_get_token(client, buf, cap, &len);
    if (rc == OAUTH_ERR_BUFFER_TOO_SMALL) {
        char *big = (char *)realloc(buf, len + 1);
        if (big == NULL) {
            free(buf);
            return fail(OAUTH_ERR_INTERNAL, "out of memory for the token");
        }
        buf = big;
        rc = oauth_get_token(client, buf, len + 1, &len);
    }
    if (rc != OAUTH_OK) {
        free(buf);
        return rc;
    }
    *out = buf;
    return OAUTH_OK;
}

/* A DPoP proof for the request into a malloc'd string; returns the oauth_dpop_proof status. */
static oauth_status get_proof(const oauth_client *client, const char *method, const char *url, const char *token,
                              char **out) {
    size_t len = 0;
    char *buf;
    oauth_status rc = oauth_dpop_proof(client, method, url, token, NULL, 0, &len);
    if (rc != OAUTH_ERR_BUFFER_TOO_SMALL) return rc;
    len += 64; /* room for a nonce that changed in between */
    buf = (char *)malloc(len);
    if (buf == NULL) return fail(OAUTH_ERR_INTERNAL, "out of memory for the DPoP proof");
    rc = oauth_dpop_proof(client, method, url, token, buf, len, &len);
    if (rc != OAUTH_OK) {
        free(buf);
        return rc;
    }
    *out = buf;
    return OAUTH_OK;
}

/* The last response's DPoP-Nonce header, trimmed, in a malloc'd string; NULL when none. */
static char *dpop_nonce(CURL *curl) {
    struct curl_header *h = NULL;
    size_t n;
    char *out;
    if (curl_easy_header(curl, "DPoP-Nonce", 0, CURLH_HEADER, -1, &h) != CURLHE_OK || h == NULL) return NULL;
    n = strlen(h->value);
    while (n > 0 && (h->value[n - 1] == '\r' || h->value[n - 1] == ' ' || h->value[n - 1] == '\t')) --n;
    out = (char *)malloc(n + 1);
    if (out == NULL) return NULL;
    memcpy(out, h->value, n);
    out[n] = '\0';
    return out;
}

static void free_token(char *t) {
    if (t != NULL) {
        memset(t, 0, strlen(t));
        free(t);
    }
}

/* The client's certificate (mutual TLS) on the handle: a certificate-bound
 * token (RFC 8705) is refused over a connection without it. */
static oauth_status use_client_cert(const oauth_client *client, CURL *curl) {
    const char *cert = NULL;
    const char *key = NULL;
    oauth_status rc = oauth_get_client_cert_files(client, &cert, &key);
    if (rc != OAUTH_OK || cert == NULL) return rc;
    if (curl_easy_setopt(curl, CURLOPT_SSLCERT, cert) != CURLE_OK ||
        curl_easy_setopt(curl, CURLOPT_SSLCERTTYPE, "PEM") != CURLE_OK ||
        curl_easy_setopt(curl, CURLOPT_SSLKEY, key) != CURLE_OK ||
        curl_easy_setopt(curl, CURLOPT_SSLKEYTYPE, "PEM") != CURLE_OK)
        return fail(OAUTH_CURL_ERR_TRANSFER, "libcurl refused the client certificate options (built without TLS?)");
    return OAUTH_OK;
}

oauth_status oauth_curl_perform(const oauth_client *client, CURL *curl, const oauth_curl_request *req,
                                long *http_status, CURLcode *curl_code) {
    int attempt, dpop;
    const char *method;
    oauth_status rc = OAUTH_OK;
    if (client == NULL || curl == NULL || req == NULL)
        return fail(OAUTH_ERR_INVALID_ARGUMENT, client == NULL ? "client is NULL"
                                                : curl == NULL ? "curl is NULL"
                                                               : "req is NULL");
    dpop = oauth_dpop_enabled(client);
    method = req->method != NULL ? req->method : "GET";
    if (dpop && req->url == NULL)
        return fail(OAUTH_ERR_INVALID_ARGUMENT, "req->url is NULL: a DPoP client's proof names the request's URL");
    rc = use_client_cert(client, curl);
    if (rc != OAUTH_OK) return rc;
    if (req->url != NULL) curl_easy_setopt(curl, CURLOPT_URL, req->url);
    for (attempt = 0; attempt < 2; ++attempt) {
        struct sink s;
        struct curl_slist *list;
        char *www = NULL;
        char *token = NULL;
        char *proof = NULL;
        char *nonce = NULL;
        long code = 0;
        CURLcode cc;

        rc = get_token(client, &token);
        if (rc != OAUTH_OK) return rc;
        if (dpop) {
            rc = get_proof(client, method, req->url, token, &proof);
            if (rc != OAUTH_OK) {
                free_token(token);
                return rc;
            }
        }
        list = with_bearer(req->headers, token, proof);
        free(proof);
        if (list == NULL) {
            free_token(token);
            return fail(OAUTH_ERR_INTERNAL, "out of memory for the request headers");
        }
        s.curl = curl;
        s.req = req;
        s.held = NULL;
        s.held_len = 0;
        curl_easy_setopt(curl, CURLOPT_HTTPHEADER, list);
        curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_write);
        curl_easy_setopt(curl, CURLOPT_WRITEDATA, (void *)&s);
        cc = curl_easy_perform(curl);
        /* Give the handle back as the caller set it. */
        curl_easy_setopt(curl, CURLOPT_HTTPHEADER, req->headers);
        curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, req->write);
        curl_easy_setopt(curl, CURLOPT_WRITEDATA, req->write_data);
        curl_slist_free_all(list);
        if (curl_code != NULL) *curl_code = cc;
        if (cc != CURLE_OK) {
            free(s.held);
            free_token(token);
            return fail(OAUTH_CURL_ERR_TRANSFER, curl_easy_strerror(cc));
        }
        curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &code);
        if (http_status != NULL) *http_status = code;
        /* What the answer means is the library's rule, whatever the status. */
        www = www_authenticate(curl);
        if (code < 100)
            rc = OAUTH_OK; /* 0: not HTTP */
        else if (dpop) {
            nonce = dpop_nonce(curl);
            rc = oauth_handle_dpop_response(client, req->url, (int)code, token, www, nonce);
            free(nonce);
        } else
            rc = oauth_handle_response(client, (int)code, token, www);
        free(www);
        free_token(token);
        if (rc == OAUTH_RETRY && attempt == 0) {
            free(s.held);
            if (req->rewind != NULL && req->rewind(req->rewind_data) != 0)
                return fail(OAUTH_CURL_ERR_REWIND, "the rewind callback failed, so the request was not resent");
            continue;
        }
        /* No resend: the held 401/403 body is the caller's answer. */
        if (s.held_len > 0) deliver(req, s.held, s.held_len);
        free(s.held);
        if (rc == OAUTH_RETRY)
            return fail(OAUTH_CURL_ERR_TOKEN_REJECTED,
                        "the API rejected the resent request too (a freshly renewed token, or a second DPoP nonce)");
        return rc;
    }
    return rc;
}
