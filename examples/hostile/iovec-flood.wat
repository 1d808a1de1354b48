;; Host work that fuel used to miss: fd_write and fd_read with 2,000,000
;; empty iovecs (a 16 MB table), then with 1,024, on every stream, forever.
;; Stopped at its deadline (or its fuel), never by its output.
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_read" (func $fd_read (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 246)
  (func (export "_start")
    (loop $more
      (drop (call $fd_write (i32.const 1) (i32.const 65536) (i32.const 2000000) (i32.const 8)))
      (drop (call $fd_write (i32.const 2) (i32.const 65536) (i32.const 1024) (i32.const 8)))
      (drop (call $fd_read (i32.const 0) (i32.const 65536) (i32.const 2000000) (i32.const 8)))
      (drop (call $fd_read (i32.const 0) (i32.const 65536) (i32.const 1024) (i32.const 8)))
      (br $more))))
