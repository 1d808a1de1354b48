;; Hands the host a pointer past the end of memory.
(module
  (import "gojinn" "host_log" (func $log (param i32 i32 i32)))
  (memory (export "memory") 1)
  (func (export "_start")
    (call $log (i32.const 1) (i32.const 65530) (i32.const 100))))
