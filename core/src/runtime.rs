//! The engine and its loaded functions: validate and compile once, instantiate per call.

use alloc::sync::Arc;
use alloc::vec::Vec;

use sha2::{Digest, Sha256};
use wasmi::{CompilationMode, Config, Engine, ExternType, Linker, Module};

use crate::error::{LoadError, bounded_display};
use crate::invoke::{Invocation, Outcome};
use crate::manifest::Manifest;
use crate::ports::Host;
use crate::state::HostState;
use crate::{host, imports, wasi};

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
}

impl Default for EngineLimits {
    fn default() -> Self {
        Self {
            max_recursion_depth: 256,
            max_stack_bytes: 128 * 1024,
            min_stack_bytes: 1024,
            cached_stacks: 1,
        }
    }
}

impl EngineLimits {
    /// Limits for a Linux gateway: depth 1024, 1 MiB value stack, 4 cached stacks.
    pub fn gateway() -> Self {
        Self {
            max_recursion_depth: 1024,
            max_stack_bytes: 1024 * 1024,
            min_stack_bytes: 4 * 1024,
            cached_stacks: 4,
        }
    }
}

/// A wasmi engine configured for jinn (fuel on, eager compilation so that
/// fuel never depends on which call happened to translate a function first,
/// NaNs canonicalised for bit-reproducible floats) and the linker of the
/// host ABI. Create one per target and share it.
pub struct Runtime<H: Host> {
    engine: Engine,
    linker: Arc<Linker<HostState<H>>>,
}

impl<H: Host> Runtime<H> {
    /// Creates the engine and defines every import of the host ABI.
    pub fn new(limits: EngineLimits) -> Self {
        let mut config = Config::default();
        config
            .consume_fuel(true)
            .compilation_mode(CompilationMode::Eager)
            .set_max_recursion_depth(limits.max_recursion_depth)
            .set_max_stack_height(limits.max_stack_bytes.max(limits.min_stack_bytes))
            .set_min_stack_height(limits.min_stack_bytes)
            .set_max_cached_stacks(limits.cached_stacks);
        let engine = Engine::new(&config);
        let mut linker = Linker::new(&engine);
        wasi::link(&mut linker)
            .and_then(|()| host::link(&mut linker))
            .expect("the host ABI table defines each import once");
        Self {
            engine,
            linker: Arc::new(linker),
        }
    }

    /// Validates and compiles an untrusted module.
    ///
    /// # Errors
    ///
    /// [`LoadError::Invalid`] when it is not valid WebAssembly,
    /// [`LoadError::MissingImport`] when it imports something not provided,
    /// [`LoadError::NoEntryPoint`] when it has no `_start`.
    pub fn load(&self, wasm: &[u8]) -> Result<Function<H>, LoadError> {
        let module =
            Module::new(&self.engine, wasm).map_err(|e| LoadError::Invalid(bounded_display(&e)))?;
        imports::check(&module)?;
        match module.get_export("_start") {
            Some(ExternType::Func(ty)) if ty.params().is_empty() && ty.results().is_empty() => {}
            _ => return Err(LoadError::NoEntryPoint),
        }
        debug!("module loaded: {} bytes", wasm.len());
        Ok(Function {
            module,
            linker: self.linker.clone(),
            sha256: Sha256::digest(wasm).into(),
        })
    }
}

/// A validated, compiled module, ready for any number of calls.
pub struct Function<H: Host> {
    module: Module,
    linker: Arc<Linker<HostState<H>>>,
    sha256: [u8; 32],
}

impl<H: Host> Clone for Function<H> {
    fn clone(&self) -> Self {
        Self {
            module: self.module.clone(),
            linker: self.linker.clone(),
            sha256: self.sha256,
        }
    }
}

impl<H: Host> Function<H> {
    /// SHA-256 of the module bytes it was loaded from.
    pub fn sha256(&self) -> &[u8; 32] {
        &self.sha256
    }

    /// Prepares one call: a fresh store and instance with `stdin` as input.
    /// Nothing runs until [`Invocation::resume`].
    pub fn invoke(&self, host: H, manifest: Arc<Manifest>, stdin: Vec<u8>) -> Invocation<H> {
        Invocation::new(&self.module, self.linker.clone(), host, manifest, stdin)
    }

    /// Runs one call to its end in a single slice.
    pub fn run(&self, host: H, manifest: Arc<Manifest>, stdin: Vec<u8>) -> (Outcome, H) {
        let mut call = self.invoke(host, manifest, stdin);
        while call.resume(u64::MAX).is_running() {}
        call.finish()
    }
}
