// The two WASI preview1 calls the Zig examples need, without an allocator.
const std = @import("std");
const wasi = std.os.wasi;

/// Writes all of `bytes` to `fd` (1 stdout, 2 stderr).
pub fn writeAll(fd: wasi.fd_t, bytes: []const u8) void {
    var rest = bytes;
    while (rest.len > 0) {
        const iov = [_]wasi.ciovec_t{.{ .base = rest.ptr, .len = rest.len }};
        var n: usize = 0;
        if (wasi.fd_write(fd, &iov, 1, &n) != .SUCCESS or n == 0) return;
        rest = rest[n..];
    }
}

/// Reads stdin into `buf` until it ends or `buf` is full.
pub fn readAll(buf: []u8) []const u8 {
    var len: usize = 0;
    while (len < buf.len) {
        const iov = [_]wasi.iovec_t{.{ .base = buf[len..].ptr, .len = buf.len - len }};
        var n: usize = 0;
        if (wasi.fd_read(0, &iov, 1, &n) != .SUCCESS or n == 0) break;
        len += n;
    }
    return buf[0..len];
}
