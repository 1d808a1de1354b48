//! `jinn run --raw`: a plain WASI command, outside the function contract —
//! for WASI tools, conformance suites and debugging a module.
//!
//! `jinn run --raw MODULE [--arg ARG]... [--env KEY=VALUE]... [--dir HOST::GUEST]... [--fuel N] [--memory SIZE]`
//!
//! - argv is the module's file name, then each `--arg` in order (values may
//!   start with `-` and contain anything); the environment is exactly the
//!   `--env` pairs; each `--dir` is preopened, writable, on fd 3, 4, … in order.
//! - stdin is read as the guest asks for it (never up front: a runner may
//!   keep it open until the guest exits); stdout and stderr are written
//!   through unbuffered, as the guest writes them, also when it then traps.
//! - Exit status: 0 when `_start` returns, `n` for `proc_exit(n)`, 134 when
//!   the call trapped or ran out of a limit (its kind on stderr), 1 when the
//!   module does not load, 2 for usage errors. Jinn's own messages go to
//!   stderr only.
//! - The clocks are the system's; a guest that sleeps really sleeps. KV
//!   works in memory with every key allowed.

use std::io::{Read, Write};
use std::process::ExitCode;
use std::sync::Arc;

use jinn_core::signature::{self, Policy};
use jinn_core::{
    EngineLimits, Errno, ErrorKind, Limits, Manifest, Permissions, Runtime, Setup, Stdio, Stream,
    Streams,
};

use crate::call::run_to_end;
use crate::cli::RunArgs;
use crate::host::GatewayHost;
use crate::kv::Kv;
use crate::module_file;
use crate::sandbox::{self, Mount, MountSpec};

/// Exit status of a trap or an exhausted limit (as a process killed by SIGABRT).
pub const TRAPPED: u8 = 134;
const NOT_LOADED: u8 = 1;
const USAGE: u8 = 2;

/// The process's own standard streams.
struct ProcessStreams;

fn io_errno(e: &std::io::Error) -> Errno {
    match e.kind() {
        std::io::ErrorKind::BrokenPipe => Errno(64), // EPIPE
        std::io::ErrorKind::WouldBlock => Errno::AGAIN,
        _ => Errno::IO,
    }
}

impl Streams for ProcessStreams {
    fn read_stdin(&mut self, buf: &mut [u8]) -> Result<usize, Errno> {
        loop {
            match std::io::stdin().lock().read(buf) {
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                other => return other.map_err(|e| io_errno(&e)),
            }
        }
    }

    fn write(&mut self, stream: Stream, bytes: &[u8]) -> Result<(), Errno> {
        let result = match stream {
            Stream::Stdout => {
                let mut out = std::io::stdout().lock();
                out.write_all(bytes).and_then(|()| out.flush())
            }
            Stream::Stderr => std::io::stderr().lock().write_all(bytes),
        };
        result.map_err(|e| io_errno(&e))
    }
}

fn usage(message: impl std::fmt::Display) -> ExitCode {
    eprintln!("jinn run: {message}");
    ExitCode::from(USAGE)
}

/// Runs `jinn run --raw`.
pub fn main(args: RunArgs) -> ExitCode {
    if args.input.is_some() || args.kv.is_some() || args.report {
        return usage("--input, --kv and --report do not apply to --raw");
    }
    let wasm = match module_file::read(&args.module) {
        Ok(bytes) => bytes,
        Err(e) => return usage(e),
    };
    let mut mounts = Vec::new();
    for (host, guest) in &args.dirs {
        let spec = MountSpec {
            host: host.clone(),
            guest: guest.clone(),
            writable: true,
            max_size: u64::MAX,
        };
        match Mount::open(&spec) {
            Ok(m) => mounts.push(m),
            Err(e) => return usage(format!("--dir {}::{guest}: {e}", host.display())),
        }
    }
    let name = args.module.file_name().map_or_else(
        || "module.wasm".into(),
        |n| n.to_string_lossy().into_owned(),
    );
    let mut limits = Limits::gateway();
    if let Some(fuel) = args.fuel {
        limits.fuel = fuel;
    }
    if let Some(memory) = args.memory {
        limits.memory = memory;
    }
    let manifest = Manifest {
        limits,
        permissions: Permissions::allow_all(),
        env: args.env,
        args: std::iter::once(name.clone()).chain(args.args).collect(),
    };

    let runtime = Runtime::<GatewayHost>::new(EngineLimits::gateway());
    // As `jinn run`: a signed module runs unverified (`jinn verify` checks it).
    let loaded = signature::check(&wasm, Policy::Off, &[])
        .map_err(|e| (e.to_string(), ErrorKind::InvalidModule))
        .and_then(|checked| {
            runtime
                .load(checked.module)
                .map_err(|e| (e.to_string(), e.kind()))
        });
    let function = match loaded {
        Ok(f) => f,
        Err((e, kind)) => {
            eprintln!("jinn run: {e} ({})", kind.as_str());
            return ExitCode::from(NOT_LOADED);
        }
    };
    let host = GatewayHost::new(name.into(), None, Kv::memory()).with_live_clock();
    let setup = Setup {
        stdio: Stdio::Streams(Box::new(ProcessStreams)),
        files: sandbox::files(&mounts),
    };
    let outcome = crate::call_thread::run(|| {
        let mut call = function.invoke_with(host, Arc::new(manifest), setup);
        run_to_end(&mut call, None);
        call.finish_raw().0
    });
    match outcome.exit {
        Ok(code) => {
            let _ = std::io::stdout().flush();
            std::process::exit(code)
        }
        Err(e) => {
            eprintln!("jinn run: {e} ({})", e.kind().as_str());
            ExitCode::from(TRAPPED)
        }
    }
}
