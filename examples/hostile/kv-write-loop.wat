;; Writes the same KV key forever: one storage commit per call. Stopped at
;; its deadline (or its fuel); needs `kv_write` permission for `loop/*`.
(module
  (import "gojinn" "host_kv_set" (func $kv_set (param i32 i32 i32 i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "loop/key")
  (func (export "_start")
    (loop $more
      (call $kv_set (i32.const 0) (i32.const 8) (i32.const 64) (i32.const 64))
      (br $more))))
