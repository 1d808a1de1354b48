// A Jinn function in Zig (wasm32-wasi): answers "Hello from Zig".
// Only WASI preview1 calls, no allocator: 342 bytes of wasm, ~100 fuel.
const io = @import("io.zig");

pub fn main() void {
    io.writeAll(1, "{\"status\":200,\"body\":\"Hello from Zig\"}");
}
