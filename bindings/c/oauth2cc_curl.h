/*
 * oauth2cc_curl.h: authorized API calls with libcurl, renewals and 401s handled.
 *
 * Compile oauth2cc_curl.c into your program (installed as
 * share/oauth2cc/oauth2cc_curl.c; CMake: OAUTH2CC_CURL_SOURCE) and link
 * liboauth2cc and libcurl (7.83 or later, for curl_easy_header):
 *
 *   cc app.c /usr/local/share/oauth2cc/oauth2cc_curl.c \
 *      $(pkg-config --cflags --libs oauth2cc libcurl)
 *
 *   oauth_curl_request req = OAUTH_CURL_REQUEST_INIT;
 *   long status = 0;
 *   CURLcode cc = CURLE_OK;
 *   curl_easy_setopt(curl, CURLOPT_URL, "https://api.example.com/orders");
 *   req.headers = my_headers;             (optional; never modified)
 *   req.write = my_write; req.write_data = &my_buffer;
 *   rc = oauth_curl_perform(client, curl, &req, &status, &cc);
 */
#ifndef OAUTH2CC_CURL_H
#define OAUTH2CC_CURL_H

#include <curl/curl.h>
#include <oauth2cc.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The helper's own status codes are defined in oauth2cc.h with the others
 * (oauth_strerror names them): OAUTH_CURL_ERR_TRANSFER (curl_easy_perform
 * failed; the CURLcode is in *curl_code), OAUTH_CURL_ERR_TOKEN_REJECTED (the
 * API rejected a freshly renewed token as invalid too), OAUTH_CURL_ERR_REWIND
 * (the caller's rewind callback failed, so the request could not be resent).
 * Every failure sets oauth_last_error(). */

/* What to send and where the answer goes. Initialise with OAUTH_CURL_REQUEST_INIT. */
typedef struct oauth_curl_request {
    /* The caller's request headers, or NULL. Used as they are, plus the
     * Authorization header (an Authorization header in this list is left out).
     * The list is not modified; CURLOPT_HTTPHEADER is set back to it afterwards. */
    const struct curl_slist *headers;
    /* Receives the body of the final response (libcurl's write callback
     * signature); NULL discards it. The body of a 401 that led to a resend is
     * never delivered. CURLOPT_WRITEFUNCTION/WRITEDATA are set back to these. */
    curl_write_callback write;
    void *write_data;
    /* Called before a resend to rewind an upload that comes from a read
     * callback (return 0 on success); NULL when the body is CURLOPT_POSTFIELDS
     * or there is none. */
    int (*rewind)(void *rewind_data);
    void *rewind_data;
    /* For a DPoP client (oauth_dpop_enabled): the request's URL, required
     * (the proof names it; the helper sets CURLOPT_URL to it), and its method
     * (NULL: "GET"; it must be the method libcurl sends, e.g. "POST" with
     * CURLOPT_POSTFIELDS). A Bearer client may leave both NULL; a non-NULL
     * url is set as CURLOPT_URL for it too. */
    const char *url;
    const char *method;
} oauth_curl_request;

#define OAUTH_CURL_REQUEST_INIT                                                                                        \
    { NULL, NULL, NULL, NULL, NULL, NULL, NULL }

/*
 * Performs the request set up on `curl` with "Authorization: Bearer <token>",
 * or for a DPoP client "Authorization: DPoP <token>" and a fresh "DPoP" proof
 * for req->method and req->url (every send, the resend included; the
 * answer's DPoP-Nonce goes to oauth_handle_dpop_response, and a 401
 * use_dpop_nonce is resent once with the same token and the new nonce).
 * Every answer goes to oauth_handle_response (the library's rule, with all
 * the answer's WWW-Authenticate fields); on OAUTH_RETRY (error="invalid_token")
 * the token is renewed and the request sent once more. Returns:
 *   OAUTH_OK: the transfer completed; *http_status is the final status (any,
 *     including 4xx/5xx that are not about the token, and a 403 without a
 *     Bearer error);
 *   OAUTH_ERR_API_INSUFFICIENT_SCOPE, OAUTH_ERR_API_INVALID_REQUEST,
 *     OAUTH_ERR_API_REJECTED, OAUTH_ERR_API_UNAUTHORIZED: a 401/403 a new token
 *     cannot fix (its body was delivered to `write`; oauth_last_error() says why);
 *   OAUTH_CURL_ERR_TOKEN_REJECTED, OAUTH_CURL_ERR_REWIND, OAUTH_CURL_ERR_TRANSFER;
 *   any status of oauth_get_token when no token could be had (no request sent);
 *   OAUTH_ERR_INVALID_ARGUMENT for NULL client, curl or req.
 * http_status and curl_code may be NULL. Not thread-safe for one CURL handle
 * (as libcurl); the client may be shared.
 *
 * Mutual TLS: when the client has a certificate (options client_cert_file and
 * client_key_file), its tokens may be bound to it (RFC 8705), so the helper
 * sets CURLOPT_SSLCERT, CURLOPT_SSLKEY (and their types, "PEM") on `curl` to
 * the client's files before the transfer; they stay set on the handle and
 * replace any the caller had set. Without a client certificate these options
 * are left as the caller set them.
 */
oauth_status oauth_curl_perform(const oauth_client *client, CURL *curl, const oauth_curl_request *req,
                                long *http_status, CURLcode *curl_code);

#ifdef __cplusplus
}
#endif

#endif /* OAUTH2CC_CURL_H */
