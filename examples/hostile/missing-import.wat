;; Imports a function no Jinn target provides.
(module
  (import "env" "sql_query" (func $query (param i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "_start") (drop (call $query (i32.const 0) (i32.const 0)))))
