//! One call: a fresh store and instance, driven in slices of fuel.
//!
//! A target that must not block (an async executor on a single-core MCU)
//! calls [`Invocation::resume`] with a small slice and yields between calls;
//! a gateway may pass `u64::MAX`. The fuel used, the result and the point at
//! which a call runs out of fuel are the same whatever the slicing.
//!
//! A guest that sleeps (`poll_oneoff` on clocks: Go's `time.Sleep`, its
//! timers, …) suspends the call: [`Invocation::resume`] returns
//! [`Progress::Sleeping`] with the [`Sleep`], and the target resumes it when
//! the time has come, without holding anything meanwhile (a tokio timer on a
//! gateway, an embassy `Timer` on a microcontroller). A sleep costs no fuel;
//! the host's clock was told to expect it ([`Clock::advance`](crate::Clock::advance)).

use alloc::boxed::Box;
use alloc::sync::Arc;
use alloc::vec::Vec;

use wasmi::errors::InstantiationError;
use wasmi::{
    Func, Linker, Module, ResumableCall, ResumableCallHostTrap, ResumableCallOutOfFuel, Store,
    TrapCode, Val,
};

use jinn_contract::Response;

use crate::error::{Detail, InvokeError, TrapKind, bounded, bounded_display};
use crate::fault::HostFault;
use crate::manifest::Manifest;
use crate::ports::Host;
use crate::prepare::START_EXPORT;
use crate::staged::Staged;
use crate::state::HostState;
use crate::stats::CallStats;
use crate::streams::Setup;

/// A sleep the guest asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Sleep {
    /// How long, in nanoseconds.
    pub duration_ns: u64,
    /// The host's monotonic clock when the guest wants to wake up
    /// (its reading at the call plus `duration_ns`).
    pub wake_at_ns: u64,
}

/// Whether a call needs more [`Invocation::resume`]s.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Progress {
    /// The slice ran out; resume again.
    Running,
    /// The guest sleeps: resume it when [`Sleep::duration_ns`] has passed
    /// (resuming at once skips the wait; the guest's clock moved anyway).
    Sleeping(Sleep),
    /// The call ended; take its [`Outcome`] with [`Invocation::finish`].
    Finished,
}

impl Progress {
    /// `true` while the call has not finished (running or sleeping).
    pub fn is_running(self) -> bool {
        self != Self::Finished
    }
}

/// The end of a raw run ([`Invocation::finish_raw`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawOutcome {
    /// The exit code (0 when `_start` returned, `n` for `proc_exit(n)`), or
    /// why the call did not exit.
    pub exit: Result<i32, InvokeError>,
    /// Fuel used.
    pub fuel_used: u64,
    /// Host ABI counters.
    pub stats: CallStats,
}

/// The host error a host call raises to suspend the call (`poll_oneoff`).
#[derive(Debug)]
pub(crate) struct Suspend;

impl core::fmt::Display for Suspend {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("suspended")
    }
}

impl wasmi::errors::HostError for Suspend {}

/// What a call produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// The response, or why there is none.
    pub result: Result<Response, InvokeError>,
    /// Fuel used: wasm instructions plus host-call costs.
    pub fuel_used: u64,
    /// What the guest wrote on stderr (up to its cap).
    pub stderr: Vec<u8>,
    /// Host ABI counters.
    pub stats: CallStats,
    /// What the call left for the target to commit as one transaction (its
    /// KV writes and published messages, and the reads to validate them
    /// against; see [`crate::staged`]); empty when the call failed.
    pub staged: Staged,
}

/// How a module is entered, fixed when it was loaded.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Entry {
    /// The module had a start section, moved to [`START_EXPORT`]: it runs
    /// first, as a sliced call.
    pub has_start: bool,
    /// [`crate::EngineLimits::max_slice_fuel`].
    pub max_slice_fuel: u64,
}

enum Phase {
    Fresh,
    /// `func` runs next; `then` (`_start`, after a start function) after it.
    Ready {
        func: Func,
        then: Option<Func>,
    },
    Suspended {
        call: ResumableCallOutOfFuel,
        then: Option<Func>,
    },
    /// In a host call that suspended it; resumed with that call's result.
    Asleep {
        call: ResumableCallHostTrap,
        sleep: Sleep,
        then: Option<Func>,
    },
    Done(Result<(), InvokeError>),
}

/// A call in progress.
pub struct Invocation<H: Host> {
    store: Store<HostState<H>>,
    module: Module,
    linker: Arc<Linker<HostState<H>>>,
    entry: Entry,
    phase: Phase,
}

impl<H: Host> Invocation<H> {
    pub(crate) fn new(
        module: &Module,
        linker: Arc<Linker<HostState<H>>>,
        host: H,
        manifest: Arc<Manifest>,
        setup: Setup,
        entry: Entry,
    ) -> Self {
        let stdin = match &setup.stdio {
            crate::streams::Stdio::Captured(stdin) => stdin.len() as u64,
            crate::streams::Stdio::Streams(_) => 0,
        };
        let too_large = (stdin > manifest.limits.stdin).then(|| InvokeError::InputTooLarge {
            len: stdin,
            limit: manifest.limits.stdin,
        });
        let mut store = Store::new(module.engine(), HostState::new(host, manifest, setup));
        store.limiter(|state| &mut state.limiter);
        let _ = store.set_fuel(0);
        Self {
            store,
            module: module.clone(),
            linker,
            entry,
            phase: too_large.map_or(Phase::Fresh, |e| Phase::Done(Err(e))),
        }
    }

    /// Fuel used so far.
    pub fn fuel_used(&self) -> u64 {
        self.store.data().fuel.granted - self.store.get_fuel().unwrap_or(0)
    }

    /// Runs the call for at most `slice` more fuel, and never more than
    /// [`crate::EngineLimits::max_slice_fuel`] at once (a single block,
    /// instruction or host call that needs more gets exactly what it needs).
    pub fn resume(&mut self, slice: u64) -> Progress {
        let slice = slice.clamp(1, self.entry.max_slice_fuel);
        let mut phase = core::mem::replace(&mut self.phase, Phase::Done(Ok(())));
        if let Phase::Fresh = phase {
            phase = self.instantiate();
        }
        self.phase = match phase {
            Phase::Fresh => unreachable!("instantiated above"),
            Phase::Ready { func, then } => {
                self.top_up(slice, 0);
                let result = func.call_resumable(&mut self.store, &[], &mut []);
                self.settle(result, then)
            }
            Phase::Suspended { call, then } => {
                let in_store = self.store.get_fuel().unwrap_or(0);
                if call.required_fuel().saturating_sub(in_store) > self.ungranted() {
                    Phase::Done(Err(self.exhausted()))
                } else {
                    self.top_up(slice, call.required_fuel());
                    let result = call.resume(&mut self.store, &mut []);
                    self.settle(result, then)
                }
            }
            Phase::Asleep { call, then, .. } => {
                self.top_up(slice, 0);
                // The suspending host call (`poll_oneoff`) returns success.
                let result = call.resume(&mut self.store, &[Val::I32(0)], &mut []);
                self.settle(result, then)
            }
            done @ Phase::Done(_) => done,
        };
        match self.phase {
            Phase::Done(_) => Progress::Finished,
            Phase::Asleep { sleep, .. } => Progress::Sleeping(sleep),
            _ => Progress::Running,
        }
    }

    /// The target's host of this call (to tell it, say, when to stop).
    pub fn host_mut(&mut self) -> &mut H {
        &mut self.store.data_mut().host
    }

    /// Stops the call from outside (a wall-clock deadline): it ends with
    /// [`InvokeError::Interrupted`] unless it had already finished.
    pub fn interrupt(&mut self) {
        if !matches!(self.phase, Phase::Done(_)) {
            self.phase = Phase::Done(Err(InvokeError::Interrupted));
        }
    }

    /// The outcome, and the host back. A call that is still running is
    /// reported as [`InvokeError::Interrupted`].
    pub fn finish(self) -> (Outcome, H) {
        let (ended, fuel_used, state) = self.end();
        let result = ended.and_then(|()| {
            if state.streams.is_some() {
                // A raw run's stdout went through; there is nothing to parse.
                return Err(InvokeError::EmptyOutput);
            }
            Response::from_guest_output(&state.stdout).map_err(InvokeError::from)
        });
        // A failed call leaves nothing to commit.
        let staged = match result {
            Ok(_) => state.staged,
            Err(_) => Staged::default(),
        };
        let outcome = Outcome {
            result,
            fuel_used,
            stderr: state.stderr,
            stats: state.stats,
            staged,
        };
        (outcome, state.host)
    }

    /// The end of a raw run: its exit code, or why it did not exit.
    pub fn finish_raw(self) -> (RawOutcome, H) {
        let (ended, fuel_used, state) = self.end();
        let exit = match (ended, state.exit_code) {
            (Ok(()), code) => Ok(code.unwrap_or(0)),
            (Err(_), Some(code)) => Ok(code),
            (Err(e), None) => Err(e),
        };
        let outcome = RawOutcome {
            exit,
            fuel_used,
            stats: state.stats,
        };
        (outcome, state.host)
    }

    /// Ends the call (interrupting it if it still runs): how it ended, the
    /// fuel it used and the store's data.
    fn end(mut self) -> (Result<(), InvokeError>, u64, HostState<H>) {
        self.interrupt();
        let fuel_used = self.fuel_used();
        let Phase::Done(ended) = core::mem::replace(&mut self.phase, Phase::Fresh) else {
            unreachable!("interrupt() ends every phase");
        };
        (ended, fuel_used, self.store.into_data())
    }

    fn ungranted(&self) -> u64 {
        self.store.data().fuel.ungranted()
    }

    fn grant(&mut self, amount: u64) {
        let in_store = self.store.get_fuel().unwrap_or(0);
        self.store.data_mut().fuel.granted += amount;
        let _ = self.store.set_fuel(in_store + amount);
    }

    /// Fills the store up to `slice` more fuel without it ever holding more
    /// than the cap, or — when the next block or operation alone needs more
    /// than the cap (`required`) — to exactly what that needs.
    fn top_up(&mut self, slice: u64, required: u64) {
        let cap = self.entry.max_slice_fuel;
        let in_store = self.store.get_fuel().unwrap_or(0);
        let target = if required > cap {
            required
        } else {
            in_store.saturating_add(slice).min(cap).max(required)
        };
        let amount = target.saturating_sub(in_store).min(self.ungranted());
        self.grant(amount);
    }

    fn exhausted(&self) -> InvokeError {
        InvokeError::FuelExhausted {
            limit: self.store.data().fuel.limit,
        }
    }

    /// Instantiates (no guest code runs: a start section was moved to an
    /// export when the module was loaded) and picks the first function.
    fn instantiate(&mut self) -> Phase {
        let instance = match self
            .linker
            .instantiate_and_start(&mut self.store, &self.module)
        {
            Ok(instance) => instance,
            Err(error) => return Phase::Done(self.classify(&error, true)),
        };
        // Guest code (the start function too) runs as resumable calls from here.
        self.store.data_mut().resumable = true;
        let Some(main) = instance.get_func(&self.store, "_start") else {
            return Phase::Done(Err(InvokeError::Instantiation(Box::new(bounded_display(
                &"no `_start`",
            )))));
        };
        match self.entry.has_start {
            true => match instance.get_func(&self.store, START_EXPORT) {
                Some(start) => Phase::Ready {
                    func: start,
                    then: Some(main),
                },
                None => Phase::Done(Err(InvokeError::Instantiation(Box::new(bounded_display(
                    &"start function missing",
                ))))),
            },
            false => Phase::Ready {
                func: main,
                then: None,
            },
        }
    }

    fn settle(&mut self, result: Result<ResumableCall, wasmi::Error>, then: Option<Func>) -> Phase {
        match result {
            Ok(ResumableCall::Finished) => match then {
                Some(func) => Phase::Ready { func, then: None },
                None => Phase::Done(Ok(())),
            },
            Ok(ResumableCall::OutOfFuel(call)) => {
                let in_store = self.store.get_fuel().unwrap_or(0);
                if call.required_fuel().saturating_sub(in_store) > self.ungranted() {
                    Phase::Done(Err(self.exhausted()))
                } else {
                    Phase::Suspended { call, then }
                }
            }
            Ok(ResumableCall::HostTrap(trap)) => match self.store.data_mut().sleep.take() {
                Some(sleep) if trap.host_error().downcast_ref::<Suspend>().is_some() => {
                    Phase::Asleep {
                        call: trap,
                        sleep,
                        then,
                    }
                }
                _ => Phase::Done(self.classify(trap.host_error(), false)),
            },
            Err(error) => Phase::Done(self.classify(&error, false)),
        }
    }

    /// Maps an engine error to the call's end: `proc_exit(0)` is success;
    /// (also from a start function: the program ended, `_start` never runs);
    /// a trap or non-zero exit after a refused `memory.grow` is `memory_limit`.
    fn classify(&self, error: &wasmi::Error, instantiating: bool) -> Result<(), InvokeError> {
        let state = self.store.data();
        let refused = state.limiter.refused_memory;
        let memory_limit = InvokeError::MemoryLimit {
            limit: state.manifest.limits.memory,
        };
        if let Some(code) = error.i32_exit_status() {
            // A runtime that was refused memory usually exits non-zero
            // (Go: `fatal error: out of memory`, exit 2): that is the limit.
            return match code {
                0 => Ok(()),
                _ if refused => Err(memory_limit),
                _ => Err(InvokeError::ExitCode(code)),
            };
        }
        if let Some(fault) = error.downcast_ref::<HostFault>() {
            return Err(match *fault {
                HostFault::OutputTooLarge(stream, limit) => {
                    InvokeError::OutputTooLarge { stream, limit }
                }
                HostFault::MemoryOutOfBounds => InvokeError::Trap(TrapKind::HostMemoryOutOfBounds),
                HostFault::NoMemory => InvokeError::Trap(TrapKind::NoExportedMemory),
                HostFault::FuelExhausted => self.exhausted(),
                HostFault::Storage => InvokeError::StorageUnavailable,
                HostFault::TransactionTooLarge => InvokeError::TransactionTooLarge {
                    limit: u64::from(state.manifest.limits.kv_transaction_bytes),
                },
                HostFault::Interrupted => InvokeError::Interrupted,
            });
        }
        Err(match error.as_trap_code() {
            Some(TrapCode::OutOfFuel) => self.exhausted(),
            _ if refused => memory_limit,
            Some(code) => InvokeError::Trap(trap_kind(code)),
            None if instantiating => {
                InvokeError::Instantiation(Box::new(instantiation_detail(error)))
            }
            None => InvokeError::Trap(TrapKind::Other),
        })
    }
}

/// What went wrong when instantiating, the same in every call: wasmi's own
/// message for a segment that does not fit names the table by its handle in
/// the call's store, which differs from call to call.
fn instantiation_detail(error: &wasmi::Error) -> Detail {
    match error.kind() {
        wasmi::errors::ErrorKind::Instantiation(InstantiationError::ElementSegmentDoesNotFit {
            table_index,
            len,
            ..
        }) => {
            let mut d: Detail = bounded("an element segment of ");
            let _ = d.push_str(&bounded_display::<24>(len));
            let _ = d.push_str(" elements at ");
            let _ = d.push_str(&bounded_display::<24>(table_index));
            let _ = d.push_str(" does not fit its table");
            d
        }
        _ => bounded_display(error),
    }
}

fn trap_kind(code: TrapCode) -> TrapKind {
    match code {
        TrapCode::UnreachableCodeReached => TrapKind::Unreachable,
        TrapCode::MemoryOutOfBounds => TrapKind::MemoryOutOfBounds,
        TrapCode::TableOutOfBounds => TrapKind::TableOutOfBounds,
        TrapCode::IndirectCallToNull => TrapKind::IndirectCallToNull,
        TrapCode::IntegerDivisionByZero => TrapKind::IntegerDivisionByZero,
        TrapCode::IntegerOverflow => TrapKind::IntegerOverflow,
        TrapCode::BadConversionToInteger => TrapKind::BadConversionToInteger,
        TrapCode::StackOverflow => TrapKind::StackOverflow,
        TrapCode::BadSignature => TrapKind::BadSignature,
        TrapCode::GrowthOperationLimited => TrapKind::GrowthOperationLimited,
        TrapCode::OutOfSystemMemory => TrapKind::OutOfSystemMemory,
        _ => TrapKind::Other,
    }
}
