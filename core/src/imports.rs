//! Every function a guest may import, with its signature, and the load-time check.
//!
//! One table drives both the check of a module's imports and the stubs the
//! linker defines, so a module that loads is a module that links.

use alloc::boxed::Box;
use wasmi::{ExternType, Module};

use crate::error::{ImportProblem, LoadError, bounded};
use crate::wasi::errno;

/// The type of a parameter or result of an importable function (the host
/// ABI uses only these two).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum ValType {
    /// `i32`.
    I32,
    /// `i64`.
    I64,
}

impl ValType {
    /// The WebAssembly text name, `i32` or `i64`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::I32 => "i32",
            Self::I64 => "i64",
        }
    }

    pub(crate) fn engine(self) -> wasmi::ValType {
        match self {
            Self::I32 => wasmi::ValType::I32,
            Self::I64 => wasmi::ValType::I64,
        }
    }

    fn is(self, engine: wasmi::ValType) -> bool {
        matches!(
            (self, engine),
            (Self::I32, wasmi::ValType::I32) | (Self::I64, wasmi::ValType::I64)
        )
    }
}

/// Do the engine's types equal the table's?
fn same(engine: &[wasmi::ValType], table: &[ValType]) -> bool {
    engine.len() == table.len() && engine.iter().zip(table).all(|(e, t)| t.is(*e))
}

const I: ValType = ValType::I32;
const L: ValType = ValType::I64;

/// Module name of WASI preview1.
pub(crate) const WASI: &str = "wasi_snapshot_preview1";
/// Gojinn's host module.
pub(crate) const GOJINN: &str = "gojinn";
/// Jinn's own host module.
pub(crate) const JINN: &str = "jinn";

/// How an import is provided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Provided {
    /// Implemented by the core.
    Implemented,
    /// Linked to a stub that returns this errno.
    Stub(i32),
}

/// One importable function.
#[derive(Debug)]
pub struct Sig {
    /// Import module: `wasi_snapshot_preview1`, `gojinn` or `jinn`.
    pub module: &'static str,
    /// Function name.
    pub name: &'static str,
    /// Parameter types.
    pub params: &'static [ValType],
    /// Result types.
    pub results: &'static [ValType],
    /// Implemented, or a stub and its errno.
    pub provided: Provided,
}

/// Every function a guest may import.
pub fn signatures() -> impl Iterator<Item = &'static Sig> {
    SIGNATURES.iter()
}

const fn sig(
    module: &'static str,
    name: &'static str,
    params: &'static [ValType],
    results: &'static [ValType],
    provided: Provided,
) -> Sig {
    Sig {
        module,
        name,
        params,
        results,
        provided,
    }
}

use Provided::{Implemented as IMPL, Stub};

/// WASI preview1 in full (46 functions), then `gojinn` and `jinn`. An import
/// may appear twice with different types: a module may import either.
pub(crate) const SIGNATURES: &[Sig] = &[
    sig(WASI, "args_get", &[I, I], &[I], IMPL),
    sig(WASI, "args_sizes_get", &[I, I], &[I], IMPL),
    sig(WASI, "environ_get", &[I, I], &[I], IMPL),
    sig(WASI, "environ_sizes_get", &[I, I], &[I], IMPL),
    sig(WASI, "clock_res_get", &[I, I], &[I], IMPL),
    sig(WASI, "clock_time_get", &[I, L, I], &[I], IMPL),
    sig(WASI, "fd_advise", &[I, L, L, I], &[I], IMPL),
    sig(WASI, "fd_allocate", &[I, L, L], &[I], IMPL),
    sig(WASI, "fd_close", &[I], &[I], IMPL),
    sig(WASI, "fd_datasync", &[I], &[I], IMPL),
    sig(WASI, "fd_fdstat_get", &[I, I], &[I], IMPL),
    sig(WASI, "fd_fdstat_set_flags", &[I, I], &[I], IMPL),
    sig(WASI, "fd_fdstat_set_rights", &[I, L, L], &[I], IMPL),
    sig(WASI, "fd_filestat_get", &[I, I], &[I], IMPL),
    sig(WASI, "fd_filestat_set_size", &[I, L], &[I], IMPL),
    sig(WASI, "fd_filestat_set_times", &[I, L, L, I], &[I], IMPL),
    sig(WASI, "fd_pread", &[I, I, I, L, I], &[I], IMPL),
    sig(WASI, "fd_prestat_get", &[I, I], &[I], IMPL),
    sig(WASI, "fd_prestat_dir_name", &[I, I, I], &[I], IMPL),
    sig(WASI, "fd_pwrite", &[I, I, I, L, I], &[I], IMPL),
    sig(WASI, "fd_read", &[I, I, I, I], &[I], IMPL),
    sig(WASI, "fd_readdir", &[I, I, I, L, I], &[I], IMPL),
    sig(WASI, "fd_renumber", &[I, I], &[I], IMPL),
    sig(WASI, "fd_seek", &[I, L, I, I], &[I], IMPL),
    sig(WASI, "fd_sync", &[I], &[I], IMPL),
    sig(WASI, "fd_tell", &[I, I], &[I], IMPL),
    sig(WASI, "fd_write", &[I, I, I, I], &[I], IMPL),
    sig(WASI, "path_create_directory", &[I, I, I], &[I], IMPL),
    sig(WASI, "path_filestat_get", &[I, I, I, I, I], &[I], IMPL),
    sig(
        WASI,
        "path_filestat_set_times",
        &[I, I, I, I, L, L, I],
        &[I],
        IMPL,
    ),
    sig(WASI, "path_link", &[I, I, I, I, I, I, I], &[I], IMPL),
    sig(WASI, "path_open", &[I, I, I, I, I, L, L, I, I], &[I], IMPL),
    sig(WASI, "path_readlink", &[I, I, I, I, I, I], &[I], IMPL),
    sig(WASI, "path_remove_directory", &[I, I, I], &[I], IMPL),
    sig(WASI, "path_rename", &[I, I, I, I, I, I], &[I], IMPL),
    sig(WASI, "path_symlink", &[I, I, I, I, I], &[I], IMPL),
    sig(WASI, "path_unlink_file", &[I, I, I], &[I], IMPL),
    sig(WASI, "poll_oneoff", &[I, I, I, I], &[I], IMPL),
    sig(WASI, "proc_exit", &[I], &[], IMPL),
    sig(WASI, "proc_raise", &[I], &[I], Stub(errno::NOSYS)),
    sig(WASI, "sched_yield", &[], &[I], IMPL),
    sig(WASI, "random_get", &[I, I], &[I], IMPL),
    sig(WASI, "sock_accept", &[I, I, I], &[I], IMPL),
    sig(WASI, "sock_recv", &[I, I, I, I, I, I], &[I], IMPL),
    sig(WASI, "sock_send", &[I, I, I, I, I], &[I], IMPL),
    sig(WASI, "sock_shutdown", &[I, I], &[I], IMPL),
    sig(GOJINN, "host_log", &[I, I, I], &[], IMPL),
    // Gojinn's result type first, then the gojinn-io fork's and Go SDK's.
    sig(GOJINN, "host_kv_get", &[I, I, I, I], &[L], IMPL),
    sig(GOJINN, "host_kv_get", &[I, I, I, I], &[I], IMPL),
    sig(GOJINN, "host_kv_set", &[I, I, I, I], &[], IMPL),
    sig(JINN, "publish", &[I, I, I, I, I], &[I], IMPL),
    sig(JINN, "kv_get", &[I, I, I, I], &[L], IMPL),
];

/// The result type of `gojinn.host_kv_get` a module imports: Gojinn's own
/// host returns `i64`, the gojinn-io fork and Gojinn's Go SDK declare `i32`
/// (`uint32`). Each module is linked with the one it imports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum KvResult {
    /// `(i32, i32, i32, i32) -> i64` (Gojinn v1.0.0, the default).
    #[default]
    I64,
    /// `(i32, i32, i32, i32) -> i32`.
    I32,
}

/// Finds the first signature of `module.name`.
pub(crate) fn find(module: &str, name: &str) -> Option<&'static Sig> {
    SIGNATURES
        .iter()
        .find(|s| s.module == module && s.name == name)
}

/// Refuses a module that imports anything not in [`SIGNATURES`], or with
/// another type; says which `host_kv_get` it imports.
pub(crate) fn check(module: &Module) -> Result<KvResult, LoadError> {
    let mut kv_result = KvResult::default();
    for import in module.imports() {
        let problem = match (import.ty(), find(import.module(), import.name())) {
            (ExternType::Func(ty), Some(_)) => {
                // `host_kv_get` is listed twice (an `i64` or an `i32` result).
                let matches = SIGNATURES.iter().any(|s| {
                    s.module == import.module()
                        && s.name == import.name()
                        && same(ty.params(), s.params)
                        && same(ty.results(), s.results)
                });
                if matches {
                    if import.module() == GOJINN
                        && import.name() == "host_kv_get"
                        && same(ty.results(), &[I])
                    {
                        kv_result = KvResult::I32;
                    }
                    continue;
                }
                ImportProblem::WrongSignature
            }
            (ExternType::Func(_), None) => ImportProblem::Unknown,
            _ => ImportProblem::NotAFunction,
        };
        return Err(LoadError::MissingImport {
            module: Box::new(bounded(import.module())),
            name: Box::new(bounded(import.name())),
            problem,
        });
    }
    Ok(kv_result)
}
