;; Publishes its request envelope (stdin, up to 60,000 bytes) to
;; `timers/tick` at QoS 1 and answers 200; traps when the publish is refused.
(module
  (import "wasi_snapshot_preview1" "fd_read" (func $fd_read (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "jinn" "publish" (func $publish (param i32 i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 2)
  (data (i32.const 100) "timers/tick")
  (data (i32.const 200) "{\22status\22:200,\22body\22:\22ok\22}")
  (func (export "_start")
    (local $len i32)
    (block $done
      (loop $more
        (i32.store (i32.const 16) (i32.add (i32.const 4096) (local.get $len)))
        (i32.store (i32.const 20) (i32.sub (i32.const 60000) (local.get $len)))
        (br_if $done (call $fd_read (i32.const 0) (i32.const 16) (i32.const 1) (i32.const 24)))
        (br_if $done (i32.eqz (i32.load (i32.const 24))))
        (local.set $len (i32.add (local.get $len) (i32.load (i32.const 24))))
        (br $more)))
    (if (call $publish (i32.const 100) (i32.const 11) (i32.const 4096) (local.get $len) (i32.const 1))
      (then unreachable))
    (i32.store (i32.const 0) (i32.const 200))
    (i32.store (i32.const 4) (i32.const 26))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))))
