//! `jinn run`: one call of one function, for development and scripts.
//!
//! Exit codes: 0 the function produced a response, 1 the invocation failed
//! (also when the module does not load), 2 usage errors (clap's, unreadable
//! files). Limits default to the gateway's ([`Limits::gateway`]).
//!
//! `jinn run` grants the function every permission (all KV keys, all topics);
//! published messages are logged on stderr.

use std::io::{Read, Write};
use std::process::ExitCode;
use std::sync::Arc;

use jinn_core::excerpt::{EXCERPT_BYTES, quoted};
use jinn_core::signature::{self, Policy};
use jinn_core::{
    EngineLimits, ErrorKind, InvokeError, Limits, Manifest, Permissions, Request, Runtime,
};

use crate::call::run_to_end;

use crate::cli::RunArgs;
use crate::host::GatewayHost;
use crate::kv::Kv;
use crate::module_file;
use crate::report::Report;

const USAGE: u8 = 2;
const FAILED: u8 = 1;

fn usage(message: impl std::fmt::Display) -> ExitCode {
    eprintln!("jinn run: {message}");
    ExitCode::from(USAGE)
}

/// Why `--input` could not be read.
enum InputError {
    /// More than the stdin cap: reading stopped one byte past it.
    TooLarge,
    /// The file or stdin failed.
    Io(std::io::Error),
}

/// The request envelope named by `--input`, read up to one byte past `cap`.
fn read_input(input: Option<&str>, cap: u64) -> Result<Option<Vec<u8>>, InputError> {
    let source: Box<dyn Read> = match input {
        None => return Ok(None),
        Some("-") => Box::new(std::io::stdin().lock()),
        Some(path) => Box::new(std::fs::File::open(path).map_err(InputError::Io)?),
    };
    let mut bytes = Vec::new();
    source
        .take(cap.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(InputError::Io)?;
    if bytes.len() as u64 > cap {
        return Err(InputError::TooLarge);
    }
    Ok(Some(bytes))
}

fn emit(report: &Report, as_report: bool) -> ExitCode {
    let code = if report.outcome == "ok" { 0 } else { FAILED };
    if as_report {
        let mut out = std::io::stdout().lock();
        let _ = serde_json::to_writer(&mut out, report);
        let _ = writeln!(out);
    } else {
        if !report.stderr.is_empty() {
            eprint!("{}", report.stderr);
        }
        match (&report.response, &report.error) {
            (Some(response), _) => println!("{response}"),
            (None, Some(error)) => eprintln!(
                "jinn run: {} ({}): {error}",
                report.outcome, report.http_status
            ),
            (None, None) => {}
        }
    }
    ExitCode::from(code)
}

/// Runs `jinn run` (`--raw`: [`crate::raw`]).
pub fn main(args: RunArgs) -> ExitCode {
    if args.raw {
        return crate::raw::main(args);
    }
    if !args.args.is_empty() || !args.dirs.is_empty() {
        return usage("--arg and --dir need --raw");
    }
    let wasm = match module_file::read(&args.module) {
        Ok(bytes) => bytes,
        Err(e) => return usage(e),
    };
    let cap = Limits::gateway().stdin;
    let input = match read_input(args.input.as_deref(), cap) {
        Ok(input) => input,
        Err(InputError::TooLarge) => {
            let report = Report::failure(
                ErrorKind::InputTooLarge,
                format!("request of more than {cap} bytes exceeds the cap of {cap} bytes"),
            );
            return emit(&report, args.report);
        }
        Err(InputError::Io(e)) => return usage(format!("cannot read the input: {e}")),
    };
    let kv = match &args.kv {
        Some(dir) => match Kv::open_dir(dir) {
            Ok(kv) => kv,
            Err(e) => return usage(e),
        },
        None => Kv::memory(),
    };
    let request = match input.as_deref().map(Request::from_json) {
        None => Request::default(),
        Some(Ok(request)) => request,
        Some(Err(detail)) => {
            let report = Report::failure(
                ErrorKind::BadRequest,
                format!("bad request envelope: {detail}"),
            );
            return emit(&report, args.report);
        }
    };

    let mut manifest = Manifest {
        limits: Limits::gateway(),
        permissions: Permissions::allow_all(),
        env: args.env,
        ..Manifest::default()
    };
    if !args.limits.is_empty() {
        let mut limits = match serde_json::to_value(&manifest.limits) {
            Ok(serde_json::Value::Object(map)) => map,
            _ => unreachable!("limits serialise to an object"),
        };
        for (name, value) in &args.limits {
            limits.insert(name.clone(), (*value).into());
        }
        match serde_json::from_value(limits.into()) {
            Ok(l) => manifest.limits = l,
            Err(e) => return usage(format!("--limit: {e}")),
        }
    }
    if let Some(fuel) = args.fuel {
        manifest.limits.fuel = fuel;
    }
    if let Some(memory) = args.memory {
        manifest.limits.memory = memory;
    }

    // A signed module runs unverified here: `jinn verify` checks signatures.
    let module = match signature::check(&wasm, Policy::Off, &[]) {
        Ok(checked) => checked.module,
        Err(e) => {
            let report = Report::failure(ErrorKind::InvalidModule, e.to_string());
            return emit(&report, args.report);
        }
    };
    let runtime = Runtime::<GatewayHost>::new(EngineLimits::gateway());
    let function = match runtime.load(module) {
        Ok(function) => function,
        Err(e) => return emit(&Report::failure(e.kind(), e.to_string()), args.report),
    };
    let name: Arc<str> = args
        .module
        .file_stem()
        .map_or("function".into(), |s| s.to_string_lossy().into());
    let host = GatewayHost::new(name.clone(), request.trace_id.clone(), kv.clone());
    let stdin = request.to_json();
    let (mut outcome, _host) = crate::call_thread::run(|| {
        let mut call = function.invoke(host, Arc::new(manifest), stdin);
        run_to_end(&mut call, args.timeout);
        call.finish()
    });
    // One call at a time: its reads hold; the store may still fail.
    let trace = request.trace_id.as_deref().unwrap_or("");
    match crate::txn::commit(&kv, None, &name, trace, &outcome.staged) {
        Ok(()) => {}
        Err(crate::txn::CommitError::Conflict) => {
            outcome.result = Err(InvokeError::Conflict { attempts: 1 });
        }
        Err(crate::txn::CommitError::Unavailable(e)) => {
            tracing::error!("commit failed, nothing of the call was kept: {e}");
            outcome.result = Err(InvokeError::StorageUnavailable);
        }
    }
    if outcome.result.is_err() {
        outcome.staged = Default::default();
    }
    for message in &outcome.staged.published {
        tracing::info!(
            function = &*name,
            topic = quoted(message.topic.as_bytes(), EXCERPT_BYTES),
            qos = message.qos as u8,
            bytes = message.payload.len(),
            "published"
        );
    }
    emit(&Report::from_outcome(&outcome), args.report)
}
