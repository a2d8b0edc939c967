/*
 * Frozen copies of every past layout of the versioned structs, exactly as
 * the headers of those versions declared them (git history of
 * include/oauth2cc.h). Never edit one: add the next version when a field is
 * appended. Test code only; include after oauth2cc.h.
 */
#ifndef OAUTH2CC_TEST_FROZEN_LAYOUTS_H
#define OAUTH2CC_TEST_FROZEN_LAYOUTS_H

/* oauth_options version 1 (commit 6685b58). */
typedef struct oauth_options_v1 {
    unsigned int version;
    int auth_method;
    const char *scope;
    const char *audience;
    const char *resource;
    const char *ca_file;
    unsigned int connect_timeout_ms;
    unsigned int timeout_ms;
    unsigned int renew_min_percent;
    unsigned int renew_max_percent;
    unsigned int default_lifetime_s;
    int allow_insecure_http;
    const char *proxy;
    const char *const *extra_params;
} oauth_options_v1;

/* oauth_options version 2 (commit c3bb21e): v1 + two fields. */
typedef struct oauth_options_v2 {
    unsigned int version;
    int auth_method;
    const char *scope;
    const char *audience;
    const char *resource;
    const char *ca_file;
    unsigned int connect_timeout_ms;
    unsigned int timeout_ms;
    unsigned int renew_min_percent;
    unsigned int renew_max_percent;
    unsigned int default_lifetime_s;
    int allow_insecure_http;
    const char *proxy;
    const char *const *extra_params;
    unsigned int max_requests_per_second;
    unsigned int credential_cool_down_s;
} oauth_options_v2;

/* oauth_options version 3 (commit 4f52698): v2 + cache_dir. */
typedef struct oauth_options_v3 {
    unsigned int version;
    int auth_method;
    const char *scope;
    const char *audience;
    const char *resource;
    const char *ca_file;
    unsigned int connect_timeout_ms;
    unsigned int timeout_ms;
    unsigned int renew_min_percent;
    unsigned int renew_max_percent;
    unsigned int default_lifetime_s;
    int allow_insecure_http;
    const char *proxy;
    const char *const *extra_params;
    unsigned int max_requests_per_second;
    unsigned int credential_cool_down_s;
    const char *cache_dir;
} oauth_options_v3;

/* oauth_stats version 1 (commit c3bb21e; unchanged since). */
typedef struct oauth_stats_v1 {
    unsigned int version;
    uint64_t cached_reads;
    uint64_t token_requests;
    uint64_t successes;
    uint64_t failures[16];
    int64_t token_expires_in_ms;
    int64_t paused_for_ms;
    int last_error;
} oauth_stats_v1;

/* oauth_stats version 2: v1 + the named failure counters. */
typedef struct oauth_stats_v2 {
    unsigned int version;
    uint64_t cached_reads;
    uint64_t token_requests;
    uint64_t successes;
    uint64_t failures[16];
    int64_t token_expires_in_ms;
    int64_t paused_for_ms;
    int last_error;
    uint64_t failures_invalid_config;
    uint64_t failures_invalid_client;
    uint64_t failures_invalid_scope;
    uint64_t failures_rejected;
    uint64_t failures_rate_limited;
    uint64_t failures_network;
    uint64_t failures_timeout;
    uint64_t failures_tls;
    uint64_t failures_protocol;
    uint64_t failures_server;
    uint64_t failures_internal;
} oauth_stats_v2;

/* oauth_error_info version 1 (added with oauth_last_error_info). */
typedef struct oauth_error_info_v1 {
    unsigned int version;
    int status;
    const char *message;
    int http_status;
    const char *error;
    const char *error_description;
    const char *scope;
    int64_t retry_after_ms;
} oauth_error_info_v1;

#endif
