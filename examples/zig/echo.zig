// A Jinn function in Zig (wasm32-wasi): answers with the request envelope it
// read on stdin, as a JSON string in the response body. WASI preview1 calls
// only, a fixed buffer, no allocator.
const std = @import("std");
const wasi = std.os.wasi;

/// The largest request echoed; the rest is not read.
var input: [64 * 1024]u8 = undefined;
var output: [6 * 64 * 1024 + 128]u8 = undefined;

fn writeAll(fd: wasi.fd_t, bytes: []const u8) void {
    var rest = bytes;
    while (rest.len > 0) {
        const iov = [_]wasi.ciovec_t{.{ .base = rest.ptr, .len = rest.len }};
        var n: usize = 0;
        if (wasi.fd_write(fd, &iov, 1, &n) != .SUCCESS or n == 0) return;
        rest = rest[n..];
    }
}

fn readAll() []const u8 {
    var len: usize = 0;
    while (len < input.len) {
        const iov = [_]wasi.iovec_t{.{ .base = input[len..].ptr, .len = input.len - len }};
        var n: usize = 0;
        if (wasi.fd_read(0, &iov, 1, &n) != .SUCCESS or n == 0) break;
        len += n;
    }
    return input[0..len];
}

pub fn main() void {
    const hex = "0123456789abcdef";
    const head = "{\"status\":200,\"headers\":{\"Content-Type\":[\"application/json\"]},\"body\":\"";
    var at: usize = 0;
    @memcpy(output[0..head.len], head);
    at += head.len;
    for (readAll()) |c| {
        switch (c) {
            '"', '\\' => {
                output[at] = '\\';
                output[at + 1] = c;
                at += 2;
            },
            0...0x1f => {
                @memcpy(output[at .. at + 4], "\\u00");
                output[at + 4] = hex[c >> 4];
                output[at + 5] = hex[c & 0xf];
                at += 6;
            },
            else => {
                output[at] = c;
                at += 1;
            },
        }
    }
    @memcpy(output[at .. at + 2], "\"}");
    at += 2;
    writeAll(1, output[0..at]);
}
