;; Grows memory one page at a time; when the limit refuses (-1) it aborts like
;; a Rust allocator would, with `unreachable`.
(module
  (memory (export "memory") 1)
  (func (export "_start")
    (loop $more
      (if (i32.eq (memory.grow (i32.const 1)) (i32.const -1))
        (then unreachable))
      (br $more))))
