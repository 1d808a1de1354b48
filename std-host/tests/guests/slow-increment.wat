;; A read-modify-write with a sleep in between: reads `counter/slept` (one
;; ASCII digit, missing reads as 0), sleeps 600 ms (`poll_oneoff` on the
;; monotonic clock), writes the digit plus one and answers it as the body.
;; Two such calls overlap: the second one's read no longer holds at commit.
(module
  (import "gojinn" "host_kv_get" (func $kv_get (param i32 i32 i32 i32) (result i64)))
  (import "gojinn" "host_kv_set" (func $kv_set (param i32 i32 i32 i32)))
  (import "wasi_snapshot_preview1" "poll_oneoff" (func $poll (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 100) "counter/slept")
  (data (i32.const 300) "{\"status\":200,\"body\":\"0\"}")
  (func (export "_start") (local $digit i32)
    (local.set $digit (i32.const 48))
    (if (i64.eq (call $kv_get (i32.const 100) (i32.const 13) (i32.const 200) (i32.const 1)) (i64.const 1))
      (then (local.set $digit (i32.load8_u (i32.const 200)))))
    ;; One relative clock subscription at 256: 600 ms on the monotonic clock.
    (i64.store (i32.const 256) (i64.const 1))
    (i32.store8 (i32.const 264) (i32.const 0))
    (i32.store (i32.const 272) (i32.const 1))
    (i64.store (i32.const 280) (i64.const 600000000))
    (drop (call $poll (i32.const 256) (i32.const 512) (i32.const 1) (i32.const 16)))
    (i32.store8 (i32.const 200) (i32.add (local.get $digit) (i32.const 1)))
    (call $kv_set (i32.const 100) (i32.const 13) (i32.const 200) (i32.const 1))
    (i32.store8 (i32.const 322) (i32.add (local.get $digit) (i32.const 1)))
    (i32.store (i32.const 0) (i32.const 300))
    (i32.store (i32.const 4) (i32.const 25))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))))
