// A Jinn function in Zig (wasm32-wasi): answers with the request envelope it
// read on stdin, as a JSON string in the response body. WASI preview1 calls
// only, a fixed buffer, no allocator.
const io = @import("io.zig");

/// The largest request echoed; the rest is not read.
var input: [64 * 1024]u8 = undefined;
var output: [6 * 64 * 1024 + 128]u8 = undefined;

pub fn main() void {
    const hex = "0123456789abcdef";
    const head = "{\"status\":200,\"headers\":{\"Content-Type\":[\"application/json\"]},\"body\":\"";
    var at: usize = 0;
    @memcpy(output[0..head.len], head);
    at += head.len;
    for (io.readAll(&input)) |c| {
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
    io.writeAll(1, output[0..at]);
}
