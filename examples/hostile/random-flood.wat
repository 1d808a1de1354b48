;; Asks for 4 MiB of random bytes at a time, forever. Stopped at its
;; deadline (or its fuel).
(module
  (import "wasi_snapshot_preview1" "random_get" (func $random (param i32 i32) (result i32)))
  (memory (export "memory") 64)
  (func (export "_start")
    (loop $more
      (drop (call $random (i32.const 0) (i32.const 4194304)))
      (br $more))))
