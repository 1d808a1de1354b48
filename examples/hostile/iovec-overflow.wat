;; One `fd_write` of 1,024 buffers of 4 MiB + 1 byte each: 2^32 + 1,024
;; bytes in all. Summed in a 32-bit `usize` (a microcontroller, wasm32)
;; that wraps to 1,024 bytes, which passes the stdout cap; the host then
;; tries to copy 4 GiB and aborts. Summed in 64 bits it is over the cap:
;; `output_too_large`.
(module
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 66)
  (func (export "_start") (local $i i32)
    ;; iovec[i] = { ptr: 65536, len: 4194305 } for i in 0..1024, at address 0.
    (loop $fill
      (i32.store (i32.shl (local.get $i) (i32.const 3)) (i32.const 65536))
      (i32.store (i32.add (i32.shl (local.get $i) (i32.const 3)) (i32.const 4)) (i32.const 4194305))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $fill (i32.lt_u (local.get $i) (i32.const 1024))))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1024) (i32.const 8192)))))
