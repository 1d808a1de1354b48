//! [`Meter`]: logs, for every call, its cycles, the heap it took and the
//! stack's high-water mark, as the device itself counts them.

use core::cell::Cell;

use jinn_core::Outcome;

use super::{Heap, StackGauge};
use crate::observer::CallObserver;

/// Watches calls (see [`Jinn::observe_calls`](crate::Jinn::observe_calls))
/// and logs one line per call:
///
/// `call hello: 200, 37012 fuel, 1234567 cycles, heap 350112 B before, +160212 B peak, 352000 B after, stack 9344 of 131072 B`
///
/// *cycles* are ticks of the board's cycle counter (the DWT on a real
/// Cortex-M7, a timer on an emulated one), *peak* is the heap's high-water
/// mark during the call above what was in use before it, *stack* the
/// high-water mark since reset.
pub struct Meter<const N: usize> {
    heap: &'static Heap<N>,
    stack: StackGauge,
    cycles: fn() -> u32,
    start: Cell<(usize, u32)>,
}

impl<const N: usize> Meter<N> {
    /// A meter over the board's heap, stack and cycle counter.
    pub const fn new(heap: &'static Heap<N>, stack: StackGauge, cycles: fn() -> u32) -> Self {
        Self {
            heap,
            stack,
            cycles,
            start: Cell::new((0, 0)),
        }
    }
}

impl<const N: usize> CallObserver for Meter<N> {
    fn call_started(&self) {
        let before = self.heap.reset_peak();
        self.start.set((before, (self.cycles)()));
    }

    fn call_ended(&self, function: &str, outcome: &Outcome) {
        let cycles = (self.cycles)().wrapping_sub(self.start.get().1);
        let before = self.start.get().0;
        let peak = self.heap.peak().saturating_sub(before);
        let after = self.heap.used();
        let stack = self.stack.high_water();
        let size = self.stack.size();
        let fuel = outcome.fuel_used;
        match &outcome.result {
            Ok(response) => info!(
                "call {}: {}, {} fuel, {} cycles, heap {} B before, +{} B peak, {} B after, stack {} of {} B",
                function, response.status, fuel, cycles, before, peak, after, stack, size
            ),
            Err(error) => info!(
                "call {}: {}, {} fuel, {} cycles, heap {} B before, +{} B peak, {} B after, stack {} of {} B",
                function,
                error.kind().as_str(),
                fuel,
                cycles,
                before,
                peak,
                after,
                stack,
                size
            ),
        }
    }
}
