;; Retries a refused `memory.grow` a million times, then answers.
;; Under wasmi's tail-call dispatch every `memory.grow` nests a native stack
;; frame until the fuel slice ends: without the core's slice cap this
;; aborted the host (~47,000 frames in a 1 M-fuel slice).
(module
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 64) "{\"status\":200,\"body\":\"still here\"}")
  (func (export "_start") (local $i i32)
    (loop $retry
      ;; 100 pages at a time: refused once the memory cap is reached.
      (drop (memory.grow (i32.const 100)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $retry (i32.lt_u (local.get $i) (i32.const 1000000))))
    (i32.store (i32.const 0) (i32.const 64))
    (i32.store (i32.const 4) (i32.const 34))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))))
