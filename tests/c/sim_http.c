#define _POSIX_C_SOURCE 200809L
#include "sim_http.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static char base_url[128];
static int port;

int sim_init(void) {
    const char *u = getenv("OAUTH2CC_SIM_URL");
    const char *colon;
    if (u == NULL || strncmp(u, "http://127.0.0.1:", 17) != 0) {
        fprintf(stderr, "OAUTH2CC_SIM_URL must be http://127.0.0.1:PORT (run through tests/with-sim.sh)\n");
        return -1;
    }
    colon = strrchr(u, ':');
    port = atoi(colon + 1);
    snprintf(base_url, sizeof base_url, "%s", u);
    return port > 0 ? 0 : -1;
}

const char *sim_url(void) { return base_url; }

static int request(const char *method, const char *path, const char *auth_header, const char *body, char *out,
                   size_t out_len, char *www, size_t www_len);

int sim_request(const char *method, const char *path, const char *auth_header, const char *body, char *out,
                size_t out_len) {
    return request(method, path, auth_header, body, out, out_len, NULL, 0);
}

int sim_api(const char *path, const char *token, char *www, size_t www_len) {
    char auth[16384];
    if (token != NULL) snprintf(auth, sizeof auth, "Bearer %s", token);
    return request("GET", path, token ? auth : NULL, NULL, NULL, 0, www, www_len);
}

static int request(const char *method, const char *path, const char *auth_header, const char *body, char *out,
                   size_t out_len, char *www, size_t www_len) {
    struct sockaddr_in addr;
    char head[8192];
    enum { RESP_MAX = 65536 };
    char *resp;
    size_t got = 0;
    ssize_t n;
    int fd, status = -1, len;
    const char *p;

    fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return -1;
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_port = htons((unsigned short)port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&addr, sizeof addr) != 0) {
        close(fd);
        return -1;
    }
    len = snprintf(head, sizeof head,
                   "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n%s%s%sContent-Length: %lu\r\n\r\n",
                   method, path, auth_header ? "Authorization: " : "", auth_header ? auth_header : "",
                   auth_header ? "\r\n" : "", (unsigned long)(body ? strlen(body) : 0));
    if (len < 0 || (size_t)len >= sizeof head || write(fd, head, (size_t)len) != len ||
        (body && write(fd, body, strlen(body)) != (ssize_t)strlen(body))) {
        close(fd);
        return -1;
    }
    resp = malloc(RESP_MAX); /* not static: the tests call this from many threads */
    if (resp == NULL) {
        close(fd);
        return -1;
    }
    while (got < RESP_MAX - 1 && (n = read(fd, resp + got, RESP_MAX - 1 - got)) > 0) got += (size_t)n;
    close(fd);
    resp[got] = '\0';
    if (sscanf(resp, "HTTP/1.1 %d", &status) != 1) status = -1;
    if (status > 0 && out && out_len) {
        p = strstr(resp, "\r\n\r\n");
        p = p ? p + 4 : "";
        snprintf(out, out_len, "%s", p);
    }
    if (www && www_len) {
        const char *h = strstr(resp, "\r\nWWW-Authenticate: ");
        const char *end;
        www[0] = '\0';
        if (h && (end = strstr(h + 2, "\r\n")) != NULL) {
            h += strlen("\r\nWWW-Authenticate: ");
            snprintf(www, www_len, "%.*s", (int)(end - h), h);
        }
    }
    free(resp);
    return status;
}

long sim_stat(const char *name) {
    char body[16384], key[128];
    const char *p;
    if (sim_request("GET", "/sim/stats", NULL, NULL, body, sizeof body) != 200) return -1;
    snprintf(key, sizeof key, "\"%s\":", name);
    p = strstr(body, key);
    return p ? strtol(p + strlen(key), NULL, 10) : -1;
}

int sim_fault(const char *json) { return sim_request("POST", "/sim/faults", NULL, json, NULL, 0) == 200 ? 0 : -1; }

int sim_reset(void) { return sim_request("POST", "/sim/reset", NULL, NULL, NULL, 0) == 200 ? 0 : -1; }
