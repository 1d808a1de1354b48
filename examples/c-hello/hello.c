/*
 * c-hello: a Jinn function in C (wasi-libc), built by scripts/build-examples.sh.
 *
 * Reads the whole request envelope from stdin, logs one info line through
 * the Gojinn-compatible host import gojinn.host_log, and answers with
 * {"lang":"c","request_bytes":N}, N being the number of stdin bytes read.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

__attribute__((import_module("gojinn"), import_name("host_log")))
void host_log(int32_t level, const char *ptr, int32_t len);

enum { LOG_INFO = 1 };

int main(void) {
    char buffer[4096];
    size_t total = 0;
    size_t n;

    while ((n = fread(buffer, 1, sizeof buffer, stdin)) > 0) {
        total += n;
    }

    char line[96];
    int len = snprintf(line, sizeof line, "c-hello: read %zu request bytes", total);
    if (len > 0) {
        host_log(LOG_INFO, line, len < (int)sizeof line ? len : (int)sizeof line - 1);
    }

    printf("{\"status\":200,\"headers\":{\"Content-Type\":[\"application/json\"]},"
           "\"body\":\"{\\\"lang\\\":\\\"c\\\",\\\"request_bytes\\\":%zu}\"}",
           total);
    return 0;
}
