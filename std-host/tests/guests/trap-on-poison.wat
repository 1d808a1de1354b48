;; Traps when its input contains `poison`; otherwise answers 200 `ok`.
;; A poison message for the MQTT dead-letter tests.
(module
  (import "wasi_snapshot_preview1" "fd_read" (func $fd_read (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 2)
  (data (i32.const 100) "poison")
  (data (i32.const 200) "{\22status\22:200,\22body\22:\22ok\22}")
  (func (export "_start")
    (local $len i32)
    (local $at i32)
    (local $end i32)
    ;; Read all of stdin into 1024.. (iovec at 16, count at 24).
    (loop $read
      (i32.store (i32.const 16) (i32.add (i32.const 1024) (local.get $len)))
      (i32.store (i32.const 20) (i32.sub (i32.const 120000) (local.get $len)))
      (drop (call $fd_read (i32.const 0) (i32.const 16) (i32.const 1) (i32.const 24)))
      (local.set $len (i32.add (local.get $len) (i32.load (i32.const 24))))
      (br_if $read (i32.and
        (i32.gt_u (i32.load (i32.const 24)) (i32.const 0))
        (i32.lt_u (local.get $len) (i32.const 120000)))))
    ;; Look for `poison`.
    (local.set $at (i32.const 1024))
    (local.set $end (i32.add (i32.const 1018) (local.get $len)))
    (block $done
      (loop $scan
        (br_if $done (i32.gt_s (local.get $at) (local.get $end)))
        (if (i32.and
              (i32.eq (i32.load (local.get $at)) (i32.load (i32.const 100)))
              (i32.eq (i32.load16_u (i32.add (local.get $at) (i32.const 4)))
                      (i32.load16_u (i32.const 104))))
          (then unreachable))
        (local.set $at (i32.add (local.get $at) (i32.const 1)))
        (br $scan)))
    (i32.store (i32.const 0) (i32.const 200))
    (i32.store (i32.const 4) (i32.const 26))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))))
