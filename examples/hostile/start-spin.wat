;; A start section that never ends, reading the clock in a loop: it runs
;; before `_start`, sliced like it, and is stopped at the deadline or when
;; the client leaves.
(module
  (import "wasi_snapshot_preview1" "clock_time_get" (func $clock (param i32 i64 i32) (result i32)))
  (memory (export "memory") 1)
  (func $init
    (loop $forever
      (drop (call $clock (i32.const 1) (i64.const 1) (i32.const 0)))
      (br $forever)))
  (start $init)
  (func (export "_start")))
