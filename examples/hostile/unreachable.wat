;; What a panicking Rust guest built with panic=abort does.
(module
  (memory (export "memory") 1)
  (func (export "_start") unreachable))
