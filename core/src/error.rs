//! Error enums of loading and invoking functions, and the HTTP status each maps to.
//!
//! Errors are small values: names and details are bounded
//! [`heapless::String`]s, truncated on a character boundary when longer, and
//! boxed, so that a `Result` carrying an error stays a few words.

use alloc::boxed::Box;
use core::fmt::{self, Display, Write as _};

/// A bounded name (an import's module or field name).
pub type Name = heapless::String<64>;
/// A bounded human-readable detail (a validator message, a parse error).
pub type Detail = heapless::String<160>;

/// Copies `text` into a bounded string, cutting it at a character boundary
/// and marking the cut with `…` when it does not fit.
pub(crate) fn bounded<const N: usize>(text: &str) -> heapless::String<N> {
    let mut out = heapless::String::new();
    for ch in text.chars() {
        if out.len() + ch.len_utf8() + '…'.len_utf8() > N {
            let _ = out.push('…');
            return out;
        }
        let _ = out.push(ch);
    }
    out
}

/// Formats `value` into a bounded string (truncated when it does not fit).
pub(crate) fn bounded_display<const N: usize>(value: &dyn Display) -> heapless::String<N> {
    /// Collects at most `N` bytes, folding every run of white space into one space.
    struct Sink<const N: usize>(heapless::String<N>, bool);
    impl<const N: usize> fmt::Write for Sink<N> {
        fn write_str(&mut self, s: &str) -> fmt::Result {
            for ch in s.chars() {
                let ch = if ch.is_whitespace() { ' ' } else { ch };
                if ch == ' ' && self.0.ends_with(' ') {
                    continue;
                }
                if self.1 || self.0.push(ch).is_err() {
                    self.1 = true;
                }
            }
            Ok(())
        }
    }
    let mut sink = Sink::<N>(heapless::String::new(), false);
    let _ = write!(sink, "{value}");
    sink.0
}

/// The kind of a failed invocation, as reported to users and mapped to HTTP.
///
/// The snake_case names ([`ErrorKind::as_str`]) are part of the public
/// interface: they appear in `jinn run --report`, HTTP error bodies and metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum ErrorKind {
    /// The function used all of its fuel (`504`).
    FuelExhausted,
    /// Linear memory would exceed its cap, or a trap followed a refused `memory.grow` (`500`).
    MemoryLimit,
    /// The guest trapped: unreachable, out-of-bounds access, stack overflow, … (`500`).
    Trap,
    /// The guest called `proc_exit` with a non-zero code (`500`).
    ExitCode,
    /// Stdout was not a valid response document (`502`).
    BadOutput,
    /// The guest wrote nothing to stdout (`502`).
    EmptyOutput,
    /// Stdout or stderr went over its cap (`502`).
    OutputTooLarge,
    /// The request was larger than the stdin cap (`413`).
    InputTooLarge,
    /// The module is not valid WebAssembly or not a WASI command (`500`).
    InvalidModule,
    /// The module imports something that is not provided (`500`).
    MissingImport,
    /// The request envelope itself was malformed (`400`): a host that reads
    /// envelopes from outside (`jinn run --input`) says so before any call.
    BadRequest,
    /// The host stopped the call at its wall-clock deadline (`504`).
    Timeout,
    /// The target's storage failed: a KV read could not be answered, or
    /// the call's writes and messages could not be committed; nothing of the
    /// call was kept (`503`).
    StorageUnavailable,
    /// Other calls kept changing what this call read: it was run again up
    /// to the target's bound of attempts without committing (`503`).
    Conflict,
    /// The call's KV transaction (keys and values written, keys read) went
    /// over `kv_transaction_bytes` (`500`).
    TransactionTooLarge,
}

impl ErrorKind {
    /// Every kind, in declaration order.
    pub const ALL: [ErrorKind; 15] = [
        Self::FuelExhausted,
        Self::MemoryLimit,
        Self::Trap,
        Self::ExitCode,
        Self::BadOutput,
        Self::EmptyOutput,
        Self::OutputTooLarge,
        Self::InputTooLarge,
        Self::InvalidModule,
        Self::MissingImport,
        Self::BadRequest,
        Self::Timeout,
        Self::StorageUnavailable,
        Self::Conflict,
        Self::TransactionTooLarge,
    ];

    /// The stable snake_case name, e.g. `fuel_exhausted`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::FuelExhausted => "fuel_exhausted",
            Self::MemoryLimit => "memory_limit",
            Self::Trap => "trap",
            Self::ExitCode => "exit_code",
            Self::BadOutput => "bad_output",
            Self::EmptyOutput => "empty_output",
            Self::OutputTooLarge => "output_too_large",
            Self::InputTooLarge => "input_too_large",
            Self::InvalidModule => "invalid_module",
            Self::MissingImport => "missing_import",
            Self::BadRequest => "bad_request",
            Self::Timeout => "timeout",
            Self::StorageUnavailable => "storage_unavailable",
            Self::Conflict => "conflict",
            Self::TransactionTooLarge => "transaction_too_large",
        }
    }

    /// The HTTP status a gateway answers with.
    pub const fn http_status(self) -> u16 {
        match self {
            Self::FuelExhausted | Self::Timeout => 504,
            Self::MemoryLimit | Self::Trap | Self::ExitCode | Self::TransactionTooLarge => 500,
            Self::StorageUnavailable | Self::Conflict => 503,
            Self::BadOutput | Self::EmptyOutput | Self::OutputTooLarge => 502,
            Self::InputTooLarge => 413,
            Self::InvalidModule | Self::MissingImport => 500,
            Self::BadRequest => 400,
        }
    }
}

impl Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why an import could not be satisfied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum ImportProblem {
    /// Nothing of that module and name is provided.
    Unknown,
    /// The name is provided, with another signature.
    WrongSignature,
    /// Only functions can be imported (not memories, tables or globals).
    NotAFunction,
}

/// Which [`ModuleLimits`](crate::ModuleLimits) bound a module is over.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Oversize {
    /// Its size in bytes.
    Bytes,
    /// The functions it defines.
    Functions,
}

impl Oversize {
    /// `bytes` or `functions`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Bytes => "bytes",
            Self::Functions => "functions",
        }
    }
}

/// Loading a module failed.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum LoadError {
    /// Not valid WebAssembly: the parser or validator refused it.
    Invalid(Box<Detail>),
    /// No `_start` export of type `() -> ()`: not a WASI command module.
    NoEntryPoint,
    /// The module imports a function that is not provided.
    MissingImport {
        /// The import's module, e.g. `env`.
        module: Box<Name>,
        /// The import's field name.
        name: Box<Name>,
        /// What is wrong with it.
        problem: ImportProblem,
    },
    /// The module is over a [`ModuleLimits`](crate::ModuleLimits) bound;
    /// nothing of it was compiled.
    TooLarge {
        /// Which bound.
        what: Oversize,
        /// What the module has.
        actual: u64,
        /// The bound.
        limit: u64,
    },
}

impl LoadError {
    /// The user-facing kind.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Self::Invalid(_) | Self::NoEntryPoint | Self::TooLarge { .. } => {
                ErrorKind::InvalidModule
            }
            Self::MissingImport { .. } => ErrorKind::MissingImport,
        }
    }
}

impl Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Invalid(detail) => write!(f, "invalid module: {detail}"),
            Self::NoEntryPoint => {
                f.write_str("invalid module: no `_start` export of type () -> ()")
            }
            Self::MissingImport {
                module,
                name,
                problem,
            } => {
                let why = match problem {
                    ImportProblem::Unknown => "is not provided",
                    ImportProblem::WrongSignature => "is provided with another signature",
                    ImportProblem::NotAFunction => {
                        "is not a function (only functions can be imported)"
                    }
                };
                write!(f, "missing import: `{module}.{name}` {why}")
            }
            Self::TooLarge {
                what,
                actual,
                limit,
            } => write!(
                f,
                "invalid module: {actual} {}, over the limit of {limit}",
                what.as_str()
            ),
        }
    }
}

impl core::error::Error for LoadError {}

/// A trap, named.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum TrapKind {
    /// `unreachable` was executed (Rust panics and aborts end here).
    Unreachable,
    /// A load or store outside linear memory.
    MemoryOutOfBounds,
    /// A table access outside the table.
    TableOutOfBounds,
    /// `call_indirect` on a null entry.
    IndirectCallToNull,
    /// Integer division by zero.
    IntegerDivisionByZero,
    /// Integer overflow (e.g. `i32::MIN / -1`).
    IntegerOverflow,
    /// A float-to-int conversion out of range.
    BadConversionToInteger,
    /// The call stack or value stack limit was exceeded.
    StackOverflow,
    /// `call_indirect` with a mismatched signature.
    BadSignature,
    /// A `grow` operation was refused and the limiter asked to trap.
    GrowthOperationLimited,
    /// The engine could not allocate memory for the call.
    OutOfSystemMemory,
    /// A host call was given a pointer or length outside linear memory.
    HostMemoryOutOfBounds,
    /// A host call needs an exported `memory` and the module has none.
    NoExportedMemory,
    /// Any other engine error.
    Other,
}

impl TrapKind {
    /// A short description, e.g. `stack overflow`.
    pub const fn describe(self) -> &'static str {
        match self {
            Self::Unreachable => "unreachable executed",
            Self::MemoryOutOfBounds => "out-of-bounds memory access",
            Self::TableOutOfBounds => "out-of-bounds table access",
            Self::IndirectCallToNull => "indirect call to null",
            Self::IntegerDivisionByZero => "integer division by zero",
            Self::IntegerOverflow => "integer overflow",
            Self::BadConversionToInteger => "invalid conversion to integer",
            Self::StackOverflow => "stack overflow",
            Self::BadSignature => "indirect call signature mismatch",
            Self::GrowthOperationLimited => "growth operation limited",
            Self::OutOfSystemMemory => "out of system memory",
            Self::HostMemoryOutOfBounds => "host call with out-of-bounds pointer",
            Self::NoExportedMemory => "host call without an exported memory",
            Self::Other => "engine error",
        }
    }
}

/// Which output stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Stream {
    /// File descriptor 1.
    Stdout,
    /// File descriptor 2.
    Stderr,
}

impl Stream {
    /// `stdout` or `stderr`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Stdout => "stdout",
            Self::Stderr => "stderr",
        }
    }
}

/// An invocation failed.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum InvokeError {
    /// All the fuel of the call was used.
    FuelExhausted {
        /// The fuel limit of the call.
        limit: u64,
    },
    /// Memory would exceed its cap (at instantiation, or a trap after a refused grow).
    MemoryLimit {
        /// The cap in bytes.
        limit: u64,
    },
    /// The guest trapped.
    Trap(TrapKind),
    /// `proc_exit` with a non-zero code.
    ExitCode(i32),
    /// Stdout was not a valid response document.
    BadOutput(Box<Detail>),
    /// Stdout was empty (or only white space).
    EmptyOutput,
    /// An output stream went over its cap.
    OutputTooLarge {
        /// The stream.
        stream: Stream,
        /// Its cap in bytes.
        limit: u64,
    },
    /// The request was larger than the stdin cap.
    InputTooLarge {
        /// Bytes offered.
        len: u64,
        /// The cap in bytes.
        limit: u64,
    },
    /// The module could not be instantiated.
    Instantiation(Box<Detail>),
    /// The host stopped the call before it ended (a wall-clock deadline).
    Interrupted,
    /// The target's storage failed (a KV read, or the commit of the call).
    StorageUnavailable,
    /// The call's reads kept being changed by other calls (see [`ErrorKind::Conflict`]).
    Conflict {
        /// Times it ran.
        attempts: u32,
    },
    /// The call's KV transaction went over its cap.
    TransactionTooLarge {
        /// `kv_transaction_bytes`.
        limit: u64,
    },
}

impl InvokeError {
    /// The user-facing kind.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Self::FuelExhausted { .. } => ErrorKind::FuelExhausted,
            Self::MemoryLimit { .. } => ErrorKind::MemoryLimit,
            Self::Trap(_) => ErrorKind::Trap,
            Self::ExitCode(_) => ErrorKind::ExitCode,
            Self::BadOutput(_) => ErrorKind::BadOutput,
            Self::EmptyOutput => ErrorKind::EmptyOutput,
            Self::OutputTooLarge { .. } => ErrorKind::OutputTooLarge,
            Self::InputTooLarge { .. } => ErrorKind::InputTooLarge,
            Self::Instantiation(_) => ErrorKind::InvalidModule,
            Self::Interrupted => ErrorKind::Timeout,
            Self::StorageUnavailable => ErrorKind::StorageUnavailable,
            Self::Conflict { .. } => ErrorKind::Conflict,
            Self::TransactionTooLarge { .. } => ErrorKind::TransactionTooLarge,
        }
    }

    /// The HTTP status of [`InvokeError::kind`].
    pub fn http_status(&self) -> u16 {
        self.kind().http_status()
    }
}

impl Display for InvokeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::FuelExhausted { limit } => write!(f, "fuel exhausted (limit {limit})"),
            Self::MemoryLimit { limit } => write!(f, "memory limit of {limit} bytes reached"),
            Self::Trap(kind) => write!(f, "trap: {}", kind.describe()),
            Self::ExitCode(code) => write!(f, "exited with code {code}"),
            Self::BadOutput(detail) => write!(f, "bad output: {detail}"),
            Self::EmptyOutput => f.write_str("empty output: the function wrote nothing to stdout"),
            Self::OutputTooLarge { stream, limit } => {
                write!(f, "{} exceeded its cap of {limit} bytes", stream.as_str())
            }
            Self::InputTooLarge { len, limit } => {
                write!(f, "request of {len} bytes exceeds the cap of {limit} bytes")
            }
            Self::Instantiation(detail) => write!(f, "instantiation failed: {detail}"),
            Self::Interrupted => f.write_str("stopped by the host before it ended (timeout)"),
            Self::StorageUnavailable => {
                f.write_str("storage unavailable: nothing of the call was kept")
            }
            Self::Conflict { attempts } => write!(
                f,
                "conflict: other calls changed what this call read, {attempts} times"
            ),
            Self::TransactionTooLarge { limit } => write!(
                f,
                "the call's KV transaction exceeded its cap of {limit} bytes"
            ),
        }
    }
}

impl core::error::Error for InvokeError {}

impl From<jinn_contract::OutputError> for InvokeError {
    /// [`InvokeError::EmptyOutput`], or [`InvokeError::BadOutput`] with
    /// only the kind, the expectation and the position of what is wrong:
    /// never the guest's bytes (a parser quotes the offending value; see
    /// [`redact_literals`](crate::excerpt::redact_literals)).
    fn from(e: jinn_contract::OutputError) -> Self {
        match e {
            jinn_contract::OutputError::Empty => Self::EmptyOutput,
            jinn_contract::OutputError::Bad(e) => Self::BadOutput(Box::new(bounded(
                &crate::excerpt::redact_literals(&alloc::format!("{e}")),
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_match_the_contract() {
        let expected = [
            ("fuel_exhausted", 504),
            ("memory_limit", 500),
            ("trap", 500),
            ("exit_code", 500),
            ("bad_output", 502),
            ("empty_output", 502),
            ("output_too_large", 502),
            ("input_too_large", 413),
            ("invalid_module", 500),
            ("missing_import", 500),
            ("bad_request", 400),
            ("timeout", 504),
            ("storage_unavailable", 503),
            ("conflict", 503),
            ("transaction_too_large", 500),
        ];
        for (kind, (name, status)) in ErrorKind::ALL.iter().zip(expected) {
            assert_eq!(kind.as_str(), name);
            assert_eq!(kind.http_status(), status, "{name}");
        }
    }

    #[test]
    fn bounded_strings_cut_on_char_boundaries() {
        let s: heapless::String<8> = bounded("ééééééé");
        assert!(s.ends_with('…'));
        assert!(s.len() <= 8);
        let t: heapless::String<8> = bounded("abc");
        assert_eq!(t.as_str(), "abc");
    }

    #[test]
    fn displayed_details_fold_white_space() {
        let d: Detail = bounded_display(&"a\n    b\t\tc");
        assert_eq!(d.as_str(), "a b c");
    }

    #[test]
    fn errors_stay_small() {
        // A few words: results carrying them are cheap to move around.
        assert!(core::mem::size_of::<InvokeError>() <= 24);
        assert!(core::mem::size_of::<LoadError>() <= 24);
        assert!(core::mem::size_of::<Result<(), InvokeError>>() <= 24);
    }
}
