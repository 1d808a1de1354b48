//! Threads that run guest calls, with the native stack a call may need.
//!
//! wasmi's tail-call dispatch nests a native frame per `memory.grow` until a
//! fuel slice ends; the core caps the fuel of a slice so that the nesting
//! stays within [`EngineLimits::native_stack_bytes`]. Every thread that
//! runs calls — the gateway's workers, `jinn run`, `jinn replay` — gets that
//! much on top of a generous allowance for its own frames. The memory is
//! reserved, not committed: only the pages a call touches count.

use jinn_core::EngineLimits;

/// Stack of a thread that runs guest calls: the gateway engine's nesting
/// bound (3.5 MiB) plus 4 MiB of its own.
pub const CALL_STACK_BYTES: usize = EngineLimits::gateway().native_stack_bytes() + (4 << 20);

/// A thread builder with [`CALL_STACK_BYTES`] of stack.
pub fn builder(name: String) -> std::thread::Builder {
    std::thread::Builder::new()
        .name(name)
        .stack_size(CALL_STACK_BYTES)
}

/// Runs `f` on a call thread and waits for it (for the one-shot commands).
///
/// # Panics
///
/// When the OS cannot start the thread, or `f` panics (re-raised here).
pub fn run<T: Send>(f: impl FnOnce() -> T + Send) -> T {
    std::thread::scope(|scope| {
        builder("jinn-call".into())
            .spawn_scoped(scope, f)
            .expect("the OS starts a call thread")
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_stack_covers_the_engine_bound() {
        let gateway = EngineLimits::gateway().native_stack_bytes();
        let device = EngineLimits::default().native_stack_bytes();
        assert!(CALL_STACK_BYTES >= gateway.max(device) + (1 << 20));
        assert_eq!(run(|| 7), 7);
    }
}
