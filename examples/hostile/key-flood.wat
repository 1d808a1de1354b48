;; Reads a KV key of 16,000,000 bytes (NULs: valid UTF-8) 100 times: each
;; read is denied and logged; the log shows a short escaped excerpt of the
;; key and its length, never the key.
(module
  (import "gojinn" "host_kv_get" (func $kv_get (param i32 i32 i32 i32) (result i64)))
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 246)
  (data (i32.const 16000000) "{\"status\":200,\"body\":\"done\"}")
  (func (export "_start") (local $n i32)
    (local.set $n (i32.const 100))
    (loop $more
      (drop (call $kv_get (i32.const 0) (i32.const 16000000) (i32.const 16000100) (i32.const 8)))
      (local.set $n (i32.sub (local.get $n) (i32.const 1)))
      (br_if $more (local.get $n)))
    (i32.store (i32.const 16000200) (i32.const 16000000))
    (i32.store (i32.const 16000204) (i32.const 28))
    (drop (call $fd_write (i32.const 1) (i32.const 16000200) (i32.const 1) (i32.const 16000208)))))
