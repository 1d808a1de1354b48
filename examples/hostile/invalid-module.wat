;; Well-formed text, but the function returns an i64 where it declares i32.
(module
  (memory (export "memory") 1)
  (func $wrong (result i32) (i64.const 1))
  (func (export "_start") (drop (call $wrong))))
