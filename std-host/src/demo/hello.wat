;; The built-in demo's `hello`: whatever the request, 200 and a greeting.
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 64) "{\"status\":200,\"headers\":{\"Content-Type\":[\"text/plain; charset=utf-8\"]},\"body\":\"Hello from Jinn (built-in demo)\\n\"}\00")
  ;; Writes the NUL-terminated text at $at to stdout.
  (func $print (param $at i32) (local $end i32)
    (local.set $end (local.get $at))
    (block $done (loop $scan
      (br_if $done (i32.eqz (i32.load8_u (local.get $end))))
      (local.set $end (i32.add (local.get $end) (i32.const 1)))
      (br $scan)))
    (i32.store (i32.const 0) (local.get $at))
    (i32.store (i32.const 4) (i32.sub (local.get $end) (local.get $at)))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8))))
  (func (export "_start") (call $print (i32.const 64))))
