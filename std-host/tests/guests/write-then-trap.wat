;; Writes `counter/probe` = 41 and publishes to `alerts/probe`, then traps:
;; a failed call, whose write and message must both be dropped.
(module
  (import "gojinn" "host_kv_set" (func $kv_set (param i32 i32 i32 i32)))
  (import "jinn" "publish" (func $publish (param i32 i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 100) "counter/probe41alerts/probe")
  (func (export "_start")
    (call $kv_set (i32.const 100) (i32.const 13) (i32.const 113) (i32.const 2))
    (drop (call $publish (i32.const 115) (i32.const 12) (i32.const 113) (i32.const 2) (i32.const 1)))
    unreachable))
