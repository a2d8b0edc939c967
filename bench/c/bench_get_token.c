/* ns per cached oauth_get_token (1 KiB token) with 1, 2 and 8 threads; and a
 * 32-thread stampede on a cold client. Prints one JSON object per line. */
#define _POSIX_C_SOURCE 200809L
#include <oauth2cc.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sim_http.h"

static const oauth_client *client;
static long calls;
static pthread_barrier_t barrier;

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void *reader(void *p) {
    char buf[4096];
    size_t len;
    long i;
    (void)p;
    pthread_barrier_wait(&barrier);
    for (i = 0; i < calls; i++) oauth_get_token(client, buf, sizeof buf, &len);
    return NULL;
}

static int cmp(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void *cold(void *p) {
    char buf[4096];
    size_t len;
    pthread_barrier_wait(&barrier);
    *(int *)p = oauth_get_token(client, buf, sizeof buf, &len);
    return NULL;
}

int main(int argc, char **argv) {
    const char *url = getenv("OAUTH2CC_TOKEN_URL");
    oauth_client *c = NULL;
    char buf[4096];
    size_t len = 0;
    int threads[] = {1, 2, 8}, t, r, i, rcs[32];
    enum { RUNS = 7 };
    calls = argc > 1 ? atol(argv[1]) : 2000000;
    if (url == NULL || sim_init() != 0) return 2;
    if (oauth_client_new(url, "big", "big-secret", NULL, &c) != OAUTH_OK) return 1;
    client = c;
    if (oauth_get_token(c, buf, sizeof buf, &len) != OAUTH_OK) return 1;
    for (t = 0; t < 3; t++) {
        double ns[RUNS], mops[RUNS];
        pthread_t th[8];
        for (r = 0; r < RUNS; r++) {
            double start, el;
            pthread_barrier_init(&barrier, NULL, (unsigned)threads[t] + 1);
            for (i = 0; i < threads[t]; i++) pthread_create(&th[i], NULL, reader, NULL);
            pthread_barrier_wait(&barrier);
            start = now();
            for (i = 0; i < threads[t]; i++) pthread_join(th[i], NULL);
            el = now() - start;
            pthread_barrier_destroy(&barrier);
            ns[r] = el * 1e9 / (double)calls;
            mops[r] = (double)calls * threads[t] / el / 1e6;
        }
        qsort(ns, RUNS, sizeof ns[0], cmp);
        qsort(mops, RUNS, sizeof mops[0], cmp);
        printf("{\"bench\":\"c_cached\",\"threads\":%d,\"token_bytes\":%lu,\"median_ns_per_call\":%.1f,"
               "\"median_mcalls_per_s\":%.2f,\"runs\":%d}\n",
               threads[t], (unsigned long)len, ns[RUNS / 2], mops[RUNS / 2], RUNS);
    }
    oauth_free(c);
    /* Stampede: 32 threads on a cold client, 200 ms delay at the endpoint. */
    {
        pthread_t th[32];
        long before;
        c = NULL;
        if (oauth_client_new(url, "big", "big-secret", NULL, &c) != OAUTH_OK) return 1;
        client = c;
        sim_fault("{\"kind\":\"delay\",\"ms\":200}");
        before = sim_stat("token_requests");
        pthread_barrier_init(&barrier, NULL, 32);
        for (i = 0; i < 32; i++) pthread_create(&th[i], NULL, cold, &rcs[i]);
        for (i = 0; i < 32; i++) pthread_join(th[i], NULL);
        pthread_barrier_destroy(&barrier);
        printf("{\"bench\":\"stampede\",\"lib\":\"oauth2cc (C)\",\"phase\":\"cold\",\"token_requests\":%ld}\n",
               sim_stat("token_requests") - before);
        oauth_free(c);
    }
    return 0;
}
