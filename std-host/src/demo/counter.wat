;; The built-in demo's `counter`: adds one to the decimal number under the
;; KV key `demo/count` (missing reads as 0), stores it and answers
;; {"count":N}. The data directory keeps it between calls.
(module
  (import "gojinn" "host_kv_get" (func $kv_get (param i32 i32 i32 i32) (result i64)))
  (import "gojinn" "host_kv_set" (func $kv_set (param i32 i32 i32 i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 64) "demo/count")
  (data (i32.const 128) "{\"status\":200,\"headers\":{\"Content-Type\":[\"application/json\"]},\"body\":\"{\\\"count\\\":\00")
  (data (i32.const 256) "}\"}\00")
  (func $strlen (param $at i32) (result i32) (local $end i32)
    (local.set $end (local.get $at))
    (block $done (loop $scan
      (br_if $done (i32.eqz (i32.load8_u (local.get $end))))
      (local.set $end (i32.add (local.get $end) (i32.const 1)))
      (br $scan)))
    (i32.sub (local.get $end) (local.get $at)))
  ;; The value is read into 512.., the number written backwards from 1023.
  (func (export "_start") (local $len i64) (local $i i32) (local $n i64) (local $at i32) (local $c i32)
    (local.set $len (call $kv_get (i32.const 64) (i32.const 10) (i32.const 512) (i32.const 20)))
    ;; Missing (all ones) or longer than 20 digits: start again at 0.
    (if (i64.le_u (local.get $len) (i64.const 20))
      (then
        (block $done (loop $digits
          (br_if $done (i32.ge_u (local.get $i) (i32.wrap_i64 (local.get $len))))
          (local.set $c (i32.sub (i32.load8_u (i32.add (i32.const 512) (local.get $i))) (i32.const 48)))
          (br_if $done (i32.gt_u (local.get $c) (i32.const 9)))
          (local.set $n (i64.add (i64.mul (local.get $n) (i64.const 10)) (i64.extend_i32_u (local.get $c))))
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br $digits)))))
    (local.set $n (i64.add (local.get $n) (i64.const 1)))
    (local.set $at (i32.const 1024))
    (loop $format
      (local.set $at (i32.sub (local.get $at) (i32.const 1)))
      (i32.store8 (local.get $at)
        (i32.add (i32.const 48) (i32.wrap_i64 (i64.rem_u (local.get $n) (i64.const 10)))))
      (local.set $n (i64.div_u (local.get $n) (i64.const 10)))
      (br_if $format (i64.ne (local.get $n) (i64.const 0))))
    (call $kv_set (i32.const 64) (i32.const 10) (local.get $at) (i32.sub (i32.const 1024) (local.get $at)))
    ;; Three iovecs: the head, the digits, the tail.
    (i32.store (i32.const 0) (i32.const 128))
    (i32.store (i32.const 4) (call $strlen (i32.const 128)))
    (i32.store (i32.const 8) (local.get $at))
    (i32.store (i32.const 12) (i32.sub (i32.const 1024) (local.get $at)))
    (i32.store (i32.const 16) (i32.const 256))
    (i32.store (i32.const 20) (call $strlen (i32.const 256)))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 3) (i32.const 32)))))
