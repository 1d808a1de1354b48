// {{name}}: a Jinn function in Zig (wasm32-wasi). It reads the request
// envelope (JSON) from stdin and answers 200 with a JSON body naming itself
// and the number of request bytes it read.
//
// Build: `jinn build` (zig build-exe -target wasm32-wasi -O ReleaseSmall),
// serve: `jinn serve`, then `curl localhost:8080/{{name}}`.
const std = @import("std");
const io = @import("io.zig");

var request: [64 * 1024]u8 = undefined;

pub fn main() void {
    const read = io.readAll(&request);
    var out: [256]u8 = undefined;
    const response = std.fmt.bufPrint(&out, "{{\"status\":200,\"headers\":{{\"Content-Type\":[\"application/json\"]}},\"body\":\"{{\\\"function\\\":\\\"{{name}}\\\",\\\"lang\\\":\\\"zig\\\",\\\"request_bytes\\\":{d}}}\"}}", .{read.len}) catch return;
    io.writeAll(1, response);
}
