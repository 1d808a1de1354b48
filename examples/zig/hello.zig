// A Jinn function in Zig (wasm32-wasi): answers "Hello from Zig".
// Only WASI preview1 calls, no allocator: 345 bytes of wasm, ~100 fuel.
const std = @import("std");
const wasi = std.os.wasi;

fn writeAll(fd: wasi.fd_t, bytes: []const u8) void {
    var rest = bytes;
    while (rest.len > 0) {
        const iov = [_]wasi.ciovec_t{.{ .base = rest.ptr, .len = rest.len }};
        var n: usize = 0;
        if (wasi.fd_write(fd, &iov, 1, &n) != .SUCCESS or n == 0) return;
        rest = rest[n..];
    }
}

pub fn main() void {
    writeAll(1, "{\"status\":200,\"body\":\"Hello from Zig\"}");
}
