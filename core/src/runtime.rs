//! The engine and its loaded functions: validate and compile once, instantiate per call.

use alloc::boxed::Box;
use alloc::sync::Arc;
use alloc::vec::Vec;

use wasmi::{CompilationMode, Config, CustomFuelCosts, Engine, ExternType, Linker, Module};

use crate::error::{LoadError, Oversize, bounded_display};
use crate::imports::KvResult;
use crate::invoke::{Entry, Invocation, Outcome};
use crate::limits::ModuleLimits;
use crate::manifest::Manifest;
use crate::ports::Host;
use crate::prepare::START_EXPORT;
use crate::state::HostState;
use crate::streams::Setup;
use crate::{host, imports, prepare, wasi};

/// wasmi's stack limits. The defaults are sized for a microcontroller;
/// [`EngineLimits::gateway`] gives a Linux gateway more room.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct EngineLimits {
    /// Deepest wasm call nesting before a `stack overflow` trap. Default 256.
    pub max_recursion_depth: usize,
    /// Largest value stack in bytes before a `stack overflow` trap. Default 128 KiB.
    pub max_stack_bytes: usize,
    /// Initial value stack in bytes. Default 1 KiB.
    pub min_stack_bytes: usize,
    /// Stacks kept for reuse between calls. Default 1.
    pub cached_stacks: usize,
    /// Most fuel the store holds at once: [`Invocation::resume`] runs at
    /// most this much per slice, whatever slice it is asked for (a single
    /// block or bulk operation that costs more gets exactly what it needs).
    /// 8,192 on devices, 16,384 on gateways.
    ///
    /// This bounds the host's native stack. Under wasmi's tail-call dispatch
    /// every `memory.grow` (and refused `table.grow`) executed nests a native
    /// frame until the slice ends; each costs at least 1 fuel, so a call
    /// nests at most `max_slice_fuel` frames: up to
    /// [`NATIVE_STACK_PER_SLICE_FUEL`] bytes per unit of this cap
    /// ([`EngineLimits::native_stack_bytes`]; 3.5 MiB on gateways). Threads
    /// that run calls need that much stack on top of their own use. Under
    /// wasmi's `portable-dispatch` (the firmware images) nothing nests.
    ///
    /// [`Invocation::resume`]: crate::Invocation::resume
    pub max_slice_fuel: u64,
}

/// Native stack, in bytes, a call may nest per unit of
/// [`EngineLimits::max_slice_fuel`] under wasmi's tail-call dispatch: one
/// `memory.grow` handler frame per unit of fuel — 176 bytes in optimised
/// x86-64 builds, 208 in test builds — rounded up. `core/tests/stack_safety.rs`
/// runs the worst cases on threads with just this budget.
pub const NATIVE_STACK_PER_SLICE_FUEL: usize = 224;

impl Default for EngineLimits {
    fn default() -> Self {
        Self::DEVICE
    }
}

impl EngineLimits {
    /// Limits for a microcontroller: depth 256, 128 KiB value stack, 1 cached stack.
    pub const DEVICE: Self = Self {
        max_recursion_depth: 256,
        max_stack_bytes: 128 * 1024,
        min_stack_bytes: 1024,
        cached_stacks: 1,
        max_slice_fuel: 8_192,
    };

    /// Limits for a Linux gateway: depth 1024, 1 MiB value stack, 4 cached stacks.
    pub const fn gateway() -> Self {
        Self {
            max_recursion_depth: 1024,
            max_stack_bytes: 1024 * 1024,
            min_stack_bytes: 4 * 1024,
            cached_stacks: 4,
            max_slice_fuel: 16_384,
        }
    }

    /// Native stack a thread needs for the nesting a call can cause (see
    /// [`EngineLimits::max_slice_fuel`]), on top of its own use.
    pub const fn native_stack_bytes(&self) -> usize {
        self.max_slice_fuel as usize * NATIVE_STACK_PER_SLICE_FUEL
    }

    /// Grow instructions one function body may hold: a block's fuel is paid
    /// when it is entered, so a block of grows paid at once must nest no
    /// more than a full slice could.
    fn max_grows_per_function(&self) -> u32 {
        u32::try_from(self.max_slice_fuel).unwrap_or(u32::MAX)
    }
}

/// What translating and validating wasm costs in fuel: nothing. wasmi
/// charges a function's translation to the call that first runs it (7 fuel
/// per byte by default) under lazy translation, so the first call of a
/// function would cost more than the next ones. Free, a call's fuel is the
/// same whichever call translated what (`core/tests/fuel.rs`). Copies keep
/// wasmi's default (64 bytes per fuel).
const FUEL_COSTS: CustomFuelCosts = CustomFuelCosts {
    bytes_copied_per_fuel: 64,
    fuel_per_bytes_translated: 0,
    fuel_per_bytes_validated: 0,
};

/// The wasmi configuration of every jinn engine: fuel on, modules
/// validated whole at load and each function translated when it is first
/// called (lazy translation: a function never called takes no compiled
/// code), translation free of fuel ([`FUEL_COSTS`]), the stack `limits`.
/// Public so that measurements of the engine alone (CoreMark) run exactly
/// what calls run.
pub fn engine_config(limits: &EngineLimits) -> Config {
    let mut config = Config::default();
    config
        .consume_fuel(true)
        .fuel_cost(FUEL_COSTS)
        .compilation_mode(CompilationMode::LazyTranslation)
        .set_max_recursion_depth(limits.max_recursion_depth)
        .set_max_stack_height(limits.max_stack_bytes.max(limits.min_stack_bytes))
        .set_min_stack_height(limits.min_stack_bytes)
        .set_max_cached_stacks(limits.cached_stacks);
    config
}

/// A wasmi engine configured for jinn (fuel on, lazy translation free of
/// fuel so that fuel never depends on which call happened to translate a
/// function first, NaNs canonicalised for bit-reproducible floats), the
/// module limits, and the linker of the host ABI. Create one per target and
/// share it.
///
/// wasmi keeps compiled code for as long as its engine lives: a target that
/// unloads modules and wants their memory back gives each module a runtime
/// of its own (as the gateway does).
pub struct Runtime<H: Host> {
    engine: Engine,
    /// One linker per result type of `gojinn.host_kv_get` ([`KvResult`]):
    /// a module is linked with the one its import asks for.
    linkers: [Arc<Linker<HostState<H>>>; 2],
    limits: EngineLimits,
    module_limits: ModuleLimits,
}

impl<H: Host> Runtime<H> {
    /// Creates the engine and defines every import of the host ABI; the
    /// default [`ModuleLimits`].
    pub fn new(limits: EngineLimits) -> Self {
        let engine = Engine::new(&engine_config(&limits));
        let linker = |kv_result| {
            let mut linker = Linker::new(&engine);
            wasi::link(&mut linker)
                .and_then(|()| host::link(&mut linker, kv_result))
                .expect("the host ABI table defines each import once");
            Arc::new(linker)
        };
        Self {
            linkers: [linker(KvResult::I64), linker(KvResult::I32)],
            limits,
            module_limits: ModuleLimits::default(),
            engine,
        }
    }

    /// Bounds the modules [`Runtime::load`] accepts.
    pub fn with_module_limits(mut self, limits: ModuleLimits) -> Self {
        self.module_limits = limits;
        self
    }

    /// The bounds of the modules [`Runtime::load`] accepts.
    pub fn module_limits(&self) -> ModuleLimits {
        self.module_limits
    }

    /// Validates and compiles an untrusted module.
    ///
    /// # Errors
    ///
    /// [`LoadError::TooLarge`] when it is over the [`ModuleLimits`] (checked
    /// before anything is compiled), [`LoadError::Invalid`] when it is not
    /// valid WebAssembly, [`LoadError::MissingImport`] when it imports
    /// something not provided, [`LoadError::NoEntryPoint`] when it has no
    /// `_start`.
    pub fn load(&self, wasm: &[u8]) -> Result<Function<H>, LoadError> {
        let prepared = prepared(&self.limits, self.module_limits, wasm)?;
        let (module, kv_result) = checked(&self.engine, &prepared)?;
        debug!("module loaded: {} bytes", wasm.len());
        Ok(Function {
            module,
            linker: self.linkers[kv_result as usize].clone(),
            has_start: prepared.has_start,
            max_slice_fuel: self.limits.max_slice_fuel.max(1),
        })
    }
}

/// Checks an untrusted module as [`Runtime::load`] does (within `module_limits`,
/// valid WebAssembly, only provided imports, a `_start`) without keeping
/// compiled code: wasmi validates every function but translates none, in an
/// engine dropped on return. For targets that compile a module only when it
/// is first called.
///
/// # Errors
///
/// As [`Runtime::load`].
pub fn validate(
    limits: &EngineLimits,
    module_limits: ModuleLimits,
    wasm: &[u8],
) -> Result<(), LoadError> {
    let prepared = prepared(limits, module_limits, wasm)?;
    checked(&Engine::new(&engine_config(limits)), &prepared).map(drop)
}

/// The size and function-count checks (before anything is parsed further),
/// then [`prepare::prepare`].
fn prepared<'a>(
    limits: &EngineLimits,
    module_limits: ModuleLimits,
    wasm: &'a [u8],
) -> Result<prepare::Prepared<'a>, LoadError> {
    if wasm.len() as u64 > module_limits.max_bytes {
        return Err(LoadError::TooLarge {
            what: Oversize::Bytes,
            actual: wasm.len() as u64,
            limit: module_limits.max_bytes,
        });
    }
    prepare::prepare(
        wasm,
        limits.max_grows_per_function(),
        module_limits.max_functions,
    )
}

/// The module, and the result type its `gojinn.host_kv_get` import asks for.
fn checked(
    engine: &Engine,
    prepared: &prepare::Prepared<'_>,
) -> Result<(Module, KvResult), LoadError> {
    let module = Module::new(engine, &prepared.wasm)
        .map_err(|e| LoadError::Invalid(Box::new(bounded_display(&e))))?;
    let kv_result = imports::check(&module)?;
    if !is_command(module.get_export("_start")) {
        return Err(LoadError::NoEntryPoint);
    }
    if prepared.has_start && !is_command(module.get_export(START_EXPORT)) {
        return Err(LoadError::Invalid(Box::new(bounded_display(
            &"the start function must take and return nothing",
        ))));
    }
    Ok((module, kv_result))
}

/// A function export of type `() -> ()`.
fn is_command(export: Option<ExternType>) -> bool {
    matches!(export, Some(ExternType::Func(ty)) if ty.params().is_empty() && ty.results().is_empty())
}

/// A validated, compiled module, ready for any number of calls.
pub struct Function<H: Host> {
    module: Module,
    linker: Arc<Linker<HostState<H>>>,
    has_start: bool,
    max_slice_fuel: u64,
}

impl<H: Host> Clone for Function<H> {
    fn clone(&self) -> Self {
        Self {
            module: self.module.clone(),
            linker: self.linker.clone(),
            has_start: self.has_start,
            max_slice_fuel: self.max_slice_fuel,
        }
    }
}

impl<H: Host> Function<H> {
    /// Prepares one call: a fresh store and instance with `stdin` as input.
    /// Nothing runs until [`Invocation::resume`].
    pub fn invoke(&self, host: H, manifest: Arc<Manifest>, stdin: Vec<u8>) -> Invocation<H> {
        self.invoke_with(host, manifest, Setup::contract(stdin))
    }

    /// Prepares one call with other streams or preopened directories
    /// ([`Setup`]): a raw run, or a gateway function with mounts.
    pub fn invoke_with(&self, host: H, manifest: Arc<Manifest>, setup: Setup) -> Invocation<H> {
        Invocation::new(
            &self.module,
            self.linker.clone(),
            host,
            manifest,
            setup,
            Entry {
                has_start: self.has_start,
                max_slice_fuel: self.max_slice_fuel,
            },
        )
    }

    /// Runs one call to its end in a single slice. It does not wait when the
    /// guest sleeps (the guest's clock moves on all the same).
    pub fn run(&self, host: H, manifest: Arc<Manifest>, stdin: Vec<u8>) -> (Outcome, H) {
        let mut call = self.invoke(host, manifest, stdin);
        while call.resume(u64::MAX).is_running() {}
        call.finish()
    }
}
