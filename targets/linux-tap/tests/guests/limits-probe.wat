;; Tries each per-call limit of publishing and of the KV store once, and
;; answers one character per try: for `jinn.publish` '5' + code ('5' staged,
;; '4' denied, '3' invalid, '2' unavailable, '1' too large); for
;; `host_kv_get` 'f' found or 'm' missing.
;;
;;  0  publish a 2,048-byte payload
;;  1  publish to a 129-byte topic
;;  2-10 publish 1 byte to `t`, nine times
;; 11  set a 65-byte key, read it back
;; 12  set `k` to 1,025 bytes, read it back
;; 13  set a 64-byte key to 1,024 bytes, read it back
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "jinn" "publish" (func $publish (param i32 i32 i32 i32 i32) (result i32)))
  (import "gojinn" "host_kv_set" (func $kv_set (param i32 i32 i32 i32)))
  (import "gojinn" "host_kv_get" (func $kv_get (param i32 i32 i32 i32) (result i64)))
  (memory (export "memory") 1)
  ;; The response; the answers go at 1033 (after `{"body":"`).
  (data (i32.const 1024) "{\"body\":\"..............\"}")
  (data (i32.const 2048) "t")
  ;; 2100: 129 bytes of topic; 3000: 65 bytes of key (both filled below).
  (func $answer (param $i i32) (param $char i32)
    (i32.store8 (i32.add (i32.const 1033) (local.get $i)) (local.get $char)))
  (func $published (param $i i32) (param $code i32)
    (call $answer (local.get $i) (i32.add (i32.const 0x35) (local.get $code))))
  (func $read (param $i i32) (param $key i32) (param $len i32)
    (call $answer (local.get $i)
      (select (i32.const 0x6d) (i32.const 0x66)
        (i64.eq (call $kv_get (local.get $key) (local.get $len) (i32.const 8192) (i32.const 4096))
                (i64.const -1)))))
  (func (export "_start") (local $i i32)
    (memory.fill (i32.const 2100) (i32.const 0x61) (i32.const 129))
    (memory.fill (i32.const 3000) (i32.const 0x6b) (i32.const 65))
    (memory.fill (i32.const 4096) (i32.const 0x76) (i32.const 2048))
    (call $published (i32.const 0)
      (call $publish (i32.const 2048) (i32.const 1) (i32.const 4096) (i32.const 2048) (i32.const 0)))
    (call $published (i32.const 1)
      (call $publish (i32.const 2100) (i32.const 129) (i32.const 4096) (i32.const 1) (i32.const 0)))
    (local.set $i (i32.const 2))
    (loop $nine
      (call $published (local.get $i)
        (call $publish (i32.const 2048) (i32.const 1) (i32.const 4096) (i32.const 1) (i32.const 1)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $nine (i32.lt_u (local.get $i) (i32.const 11))))
    (call $kv_set (i32.const 3000) (i32.const 65) (i32.const 4096) (i32.const 1))
    (call $read (i32.const 11) (i32.const 3000) (i32.const 65))
    (call $kv_set (i32.const 3000) (i32.const 1) (i32.const 4096) (i32.const 1025))
    (call $read (i32.const 12) (i32.const 3000) (i32.const 1))
    (call $kv_set (i32.const 3000) (i32.const 64) (i32.const 4096) (i32.const 1024))
    (call $read (i32.const 13) (i32.const 3000) (i32.const 64))
    (i32.store (i32.const 0) (i32.const 1024))
    (i32.store (i32.const 4) (i32.const 25))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))))
