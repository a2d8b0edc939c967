/* Uses liboauth2cc.so, waits for a line on stdin (the test re-stages the
 * library meanwhile), then uses it again: a library overwritten in place
 * under a running program crashes it here. */
#include <oauth2cc.h>
#include <stdio.h>
#include <string.h>

static int use_library(void) {
    oauth_options o;
    if (oauth_options_init(&o, OAUTH_OPTIONS_VERSION) != OAUTH_OK) return 0;
    return strlen(oauth_strerror(OAUTH_ERR_NETWORK)) > 0;
}

int main(void) {
    char line[16];
    if (!use_library()) return 2;
    printf("ready\n");
    fflush(stdout);
    if (!fgets(line, sizeof line, stdin)) return 3;
    if (!use_library()) return 4;
    printf("alive\n");
    return 0;
}
