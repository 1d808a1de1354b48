;; Retries a refused `table.grow` a million times, then answers (see
;; grow-retry.wat: a refused table.grow nests a native frame too).
(module
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (table 1 funcref)
  (data (i32.const 64) "{\"status\":200,\"body\":\"still here\"}")
  (func (export "_start") (local $i i32)
    (loop $retry
      (drop (table.grow (ref.null func) (i32.const 60000)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $retry (i32.lt_u (local.get $i) (i32.const 1000000))))
    (i32.store (i32.const 0) (i32.const 64))
    (i32.store (i32.const 4) (i32.const 34))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))))
