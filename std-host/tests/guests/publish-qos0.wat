;; Publishes 1,000 bytes to `alerts/x` at QoS 0 and answers 200 with what publish
;; returned, as one digit: `0` accepted, `3` for -3 (outbox full), …
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "jinn" "publish" (func $publish (param i32 i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 100) "alerts/x")
  (data (i32.const 200) "{\22status\22:200,\22body\22:\22?\22}")
  (func (export "_start")
    (i32.store8 (i32.const 222)
      (i32.sub (i32.const 48)
        (call $publish (i32.const 100) (i32.const 8) (i32.const 1024) (i32.const 1000) (i32.const 0))))
    (i32.store (i32.const 0) (i32.const 200))
    (i32.store (i32.const 4) (i32.const 25))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))))
