/* Resident memory of a process holding 1,000 clients with cached tokens
 * (they share the token through a cache directory, so the simulator sees
 * one request). Prints one JSON object. */
#define _POSIX_C_SOURCE 200809L
#include <oauth2cc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static long rss_kib(void) {
    char line[256];
    long kib = -1;
    FILE *f = fopen("/proc/self/status", "r");
    if (f == NULL) return -1;
    while (fgets(line, sizeof line, f))
        if (strncmp(line, "VmRSS:", 6) == 0) kib = atol(line + 6);
    fclose(f);
    return kib;
}

int main(int argc, char **argv) {
    enum { N = 1000 };
    static oauth_client *clients[N];
    oauth_options o = OAUTH_OPTIONS_INIT;
    char buf[4096];
    size_t len;
    long before, after;
    int i;
    const char *url = getenv("OAUTH2CC_TOKEN_URL");
    if (url == NULL || argc < 2) return 2;
    o.cache_dir = argv[1];
    before = rss_kib();
    for (i = 0; i < N; i++) {
        if (oauth_client_new(url, "svc", "s3cret-value", &o, &clients[i]) != OAUTH_OK) return 1;
        if (oauth_get_token(clients[i], buf, sizeof buf, &len) != OAUTH_OK) {
            fprintf(stderr, "%s\n", oauth_last_error());
            return 1;
        }
    }
    after = rss_kib();
    printf("{\"bench\":\"footprint\",\"clients\":%d,\"rss_before_kib\":%ld,\"rss_after_kib\":%ld,"
           "\"kib_per_client\":%.1f}\n",
           N, before, after, (double)(after - before) / N);
    for (i = 0; i < N; i++) oauth_free(clients[i]);
    return 0;
}
