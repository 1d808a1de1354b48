//! [`CallObserver`]: what a firmware may watch around each call, such as
//! the heap, stack and cycles a call takes (see `board::Meter`).

use jinn_core::Outcome;

/// Told when each call starts and ends; set with
/// [`Jinn::observe_calls`](crate::Jinn::observe_calls). Both methods run
/// on the executor, inside the call's guest slot, so no other guest runs
/// between them.
pub trait CallObserver {
    /// A call is about to run (before its module is compiled, if it must be).
    fn call_started(&self);
    /// The call of `function` ended with `outcome`.
    fn call_ended(&self, function: &str, outcome: &Outcome);
}
