/*
 * A minimal HTTP/1.1 client over a socket, for talking to the IAM simulator
 * from the C tests (statistics, faults, the protected API). Test code only.
 */
#ifndef OAUTH2CC_TEST_SIM_HTTP_H
#define OAUTH2CC_TEST_SIM_HTTP_H

#include <stddef.h>

/* Parses "http://127.0.0.1:PORT" from the OAUTH2CC_SIM_URL environment variable. */
int sim_init(void);
/* The simulator's base URL. */
const char *sim_url(void);
/* Performs a request; returns the HTTP status (or -1) and copies up to
 * body_len-1 bytes of the answer's body into body (NUL-terminated). */
int sim_request(const char *method, const char *path, const char *auth_header, const char *body, char *out,
                size_t out_len);
/* GET path on the protected API with "Authorization: Bearer token" (token may
 * be NULL); copies the WWW-Authenticate value (or "") into www. Returns the status. */
int sim_api(const char *path, const char *token, char *www, size_t www_len);
/* A number from GET /sim/stats, e.g. sim_stat("token_requests"); -1 on error. */
long sim_stat(const char *name);
/* POST /sim/faults with this JSON; returns 0 on success. */
int sim_fault(const char *json);
/* POST /sim/reset (statistics and faults). */
int sim_reset(void);

#endif
