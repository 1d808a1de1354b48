/*
 * {{name}}: a Jinn function in C (wasi-libc). It reads the request envelope
 * (JSON) from stdin and answers 200 with a JSON body naming itself and the
 * number of request bytes it read.
 *
 * Build: `jinn build` (clang --target=wasm32-wasi, a 64 KiB stack, -Oz),
 * serve: `jinn serve`, then `curl localhost:8080/{{name}}`.
 */
#include <stdio.h>

int main(void) {
    char buffer[4096];
    size_t total = 0;
    size_t n;

    while ((n = fread(buffer, 1, sizeof buffer, stdin)) > 0) {
        total += n;
    }
    printf("{\"status\":200,\"headers\":{\"Content-Type\":[\"application/json\"]},"
           "\"body\":\"{\\\"function\\\":\\\"{{name}}\\\",\\\"lang\\\":\\\"c\\\",\\\"request_bytes\\\":%zu}\"}",
           total);
    return 0;
}
