;; Reads both clocks, 16 random bytes and the KV key `chaos/seed`, writes
;; `chaos/seed`, burns fuel in proportion to what it read, then traps.
;; Its fuel therefore depends on every input a replay must reproduce.
(module
  (import "wasi_snapshot_preview1" "clock_time_get" (func $clock (param i32 i64 i32) (result i32)))
  (import "wasi_snapshot_preview1" "random_get" (func $random (param i32 i32) (result i32)))
  (import "gojinn" "host_kv_get" (func $kv_get (param i32 i32 i32 i32) (result i64)))
  (import "gojinn" "host_kv_set" (func $kv_set (param i32 i32 i32 i32)))
  (memory (export "memory") 1)
  (data (i32.const 200) "chaos/seed")
  (func (export "_start")
    (local $n i32)
    (drop (call $clock (i32.const 0) (i64.const 1) (i32.const 0)))
    (drop (call $clock (i32.const 1) (i64.const 1) (i32.const 8)))
    (drop (call $random (i32.const 32) (i32.const 16)))
    (drop (call $kv_get (i32.const 200) (i32.const 10) (i32.const 64) (i32.const 8)))
    (call $kv_set (i32.const 200) (i32.const 10) (i32.const 32) (i32.const 8))
    (local.set $n
      (i32.and
        (i32.add
          (i32.add (i32.load8_u (i32.const 0)) (i32.load8_u (i32.const 8)))
          (i32.add (i32.load16_u (i32.const 32)) (i32.load8_u (i32.const 64))))
        (i32.const 0xffff)))
    (loop $burn
      (local.set $n (i32.sub (local.get $n) (i32.const 1)))
      (br_if $burn (i32.gt_s (local.get $n) (i32.const 0))))
    unreachable))
