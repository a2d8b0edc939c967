/* C example: an authorized API call with the libcurl helper (bindings/c).
 * Run against the simulator: tests/with-sim.sh -- ./c_curl_example */
#include <oauth2cc_curl.h>
#include <stdio.h>
#include <stdlib.h>

static size_t print_body(char *ptr, size_t size, size_t nmemb, void *userdata) {
    (void)userdata;
    return fwrite(ptr, size, nmemb, stdout);
}

int main(void) {
    const char *sim = getenv("OAUTH2CC_SIM_URL");
    const char *url = getenv("OAUTH2CC_TOKEN_URL");
    char api[512];
    oauth_client *client = NULL;
    oauth_curl_request req = OAUTH_CURL_REQUEST_INIT;
    long status = 0;
    CURLcode cc = CURLE_OK;
    CURL *curl;
    int rc;

    if (sim == NULL || url == NULL) {
        fprintf(stderr, "run me through tests/with-sim.sh\n");
        return 2;
    }
    if (oauth_client_new(url, "svc", "s3cret-value", NULL, &client) != OAUTH_OK) {
        fprintf(stderr, "oauth_client_new: %s\n", oauth_last_error());
        return 1;
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    curl = curl_easy_init();
    snprintf(api, sizeof api, "%s/api/echo", sim);
    curl_easy_setopt(curl, CURLOPT_URL, api);
    req.write = print_body;
    rc = oauth_curl_perform(client, curl, &req, &status, &cc);
    printf("\nC + libcurl: status %ld, oauth2cc says %s\n", status, oauth_strerror(rc));
    if (rc == OAUTH_CURL_ERR_TRANSFER) fprintf(stderr, "curl: %s\n", curl_easy_strerror(cc));
    curl_easy_cleanup(curl);
    curl_global_cleanup();
    oauth_free(client);
    return rc == OAUTH_OK && status == 200 ? 0 : 1;
}
