//! `jinn replay FILE`: runs a crash snapshot again, deterministically, and
//! says whether it reproduced: the same error kind after the same fuel.
//!
//! The guest gets the recorded request, limits, permissions, arguments,
//! clock and random seeds, and serves its KV reads from the recorded values
//! (writes go to memory). Env values were masked in the snapshot; give the
//! real ones with `--env KEY=VALUE` or `--config FILE` (the function's env
//! there) when the function's behaviour depends on them. A timeout is
//! replayed by stopping the call at the fuel it had used when it was stopped.
//!
//! Exit codes: 0 reproduced, 1 not reproduced, 2 the snapshot, config or
//! module could not be read.

use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use jinn_core::{EngineLimits, Manifest, Request, Runtime};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::call::{Drive, Driven, Sleeps, Stop, drive};
use crate::cli::ReplayArgs;
use crate::config::{self, Overrides, Source};
use crate::crash::{self, CrashSnapshot};
use crate::host::{GatewayHost, Seeds};
use crate::kv::Kv;
use crate::module_file;

#[derive(Serialize)]
struct Side {
    outcome: String,
    fuel_used: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

#[derive(Serialize)]
struct ReplayReport {
    reproduced: bool,
    function: String,
    module_matches: bool,
    recorded: Side,
    replayed: Side,
}

fn usage(message: impl std::fmt::Display) -> ExitCode {
    eprintln!("jinn replay: {message}");
    ExitCode::from(2)
}

/// Runs `jinn replay`.
pub fn main(args: ReplayArgs) -> ExitCode {
    let snap: CrashSnapshot = match std::fs::read(&args.file)
        .map_err(|e| e.to_string())
        .and_then(|b| serde_json::from_slice(&b).map_err(|e| e.to_string()))
    {
        Ok(s) => s,
        Err(e) => return usage(format!("cannot read {}: {e}", args.file.display())),
    };
    if snap.version != crash::VERSION {
        return usage(format!(
            "snapshot version {} is not supported",
            snap.version
        ));
    }
    let module_path = args.module.clone().unwrap_or_else(|| snap.module.clone());
    let wasm = match module_file::read(&module_path) {
        Ok(b) => b,
        Err(e) => return usage(e),
    };
    let module_matches = crash::hex(&Sha256::digest(&wasm)) == snap.module_sha256;
    if !module_matches {
        eprintln!(
            "jinn replay: warning: {} is not the module that crashed (sha256 differs)",
            module_path.display()
        );
    }
    let mut env = snap.env.clone();
    if let Some(path) = &args.config {
        let configured = Source::read(path)
            .map_err(config::LoadError::from)
            .and_then(|s| Ok(config::parse(&s, &Overrides::default())?));
        match configured {
            Ok(c) => match c.functions.iter().find(|f| f.name == snap.function) {
                Some(f) => env.clone_from(&f.manifest.env),
                None => {
                    return usage(format!(
                        "{} has no function {:?}",
                        path.display(),
                        snap.function
                    ));
                }
            },
            Err(e) => return usage(e),
        }
    }
    for (k, v) in &args.env {
        match env.iter_mut().find(|(name, _)| name == k) {
            Some(slot) => slot.1.clone_from(v),
            None => env.push((k.clone(), v.clone())),
        }
    }
    if !snap.kv_reads_complete {
        eprintln!("jinn replay: warning: the snapshot did not record every KV read");
    }

    let request = match serde_json::to_vec(&snap.input)
        .map_err(|e| e.to_string())
        .and_then(|b| Request::from_json(&b).map_err(|e| e.to_string()))
    {
        Ok(r) => r,
        Err(e) => return usage(format!("bad input envelope in the snapshot: {e}")),
    };
    let Some(random) = crash::unhex(&snap.seeds.random).and_then(|b| <[u8; 32]>::try_from(b).ok())
    else {
        return usage("bad random seed in the snapshot");
    };
    let seeds = Seeds {
        wall_clock_ns: snap.seeds.wall_clock_ns,
        monotonic_ns: snap.seeds.monotonic_ns,
        random,
    };
    let kv = Kv::memory();
    for read in &snap.kv_reads {
        if let Some(value) = &read.value {
            match BASE64.decode(value) {
                Ok(bytes) => {
                    let _ = kv.set(&read.key, &bytes);
                }
                Err(_) => return usage(format!("bad KV value of {:?} in the snapshot", read.key)),
            }
        }
    }
    let manifest = Arc::new(Manifest {
        limits: snap.limits.clone(),
        permissions: snap.permissions.clone(),
        env,
        args: snap.args.clone(),
    });

    let runtime = Runtime::<GatewayHost>::new(EngineLimits::gateway());
    let replayed = match runtime.load(jinn_core::signature::strip(&wasm)) {
        Err(e) => Side {
            outcome: e.kind().as_str().into(),
            fuel_used: 0,
            error: Some(e.to_string()),
        },
        Ok(function) => {
            let host = GatewayHost::seeded(
                snap.function.as_str().into(),
                snap.trace_id.clone(),
                kv,
                seeds,
            );
            let timed_out = snap.error.kind == "timeout";
            let timeout = Duration::from_millis(snap.timeout_ms.saturating_mul(10))
                .max(Duration::from_secs(10));
            let stdin = request.to_json();
            let (outcome, stop) = crate::call_thread::run(|| {
                let mut call = function.invoke(host, manifest, stdin);
                // Sleeps are not waited for: the seeded clock moves on by itself.
                let how = Drive {
                    deadline: Instant::now()
                        + if timed_out {
                            Duration::from_secs(86_400)
                        } else {
                            timeout
                        },
                    slice: 1_000_000,
                    cancel: None,
                    stop_at_fuel: timed_out.then_some(snap.fuel_used),
                    sleeps: Sleeps::Skip,
                };
                let stop = match drive(&mut call, how) {
                    Driven::Stopped(stop) => stop,
                    Driven::Asleep(_) => unreachable!("sleeps are skipped"),
                };
                (call.finish().0, stop)
            });
            let outcome_name = match (&outcome.result, stop) {
                (_, Stop::Deadline) => "replay_deadline".to_string(),
                (Ok(_), _) => "ok".into(),
                (Err(e), _) => e.kind().as_str().into(),
            };
            Side {
                outcome: outcome_name,
                fuel_used: outcome.fuel_used,
                error: outcome.result.err().map(|e| e.to_string()),
            }
        }
    };
    let reproduced = replayed.outcome == snap.error.kind && replayed.fuel_used == snap.fuel_used;
    let report = ReplayReport {
        reproduced,
        function: snap.function.clone(),
        module_matches,
        recorded: Side {
            outcome: snap.error.kind.clone(),
            fuel_used: snap.fuel_used,
            error: Some(snap.error.message.clone()),
        },
        replayed,
    };
    println!(
        "{}",
        serde_json::to_string_pretty(&report).unwrap_or_default()
    );
    if reproduced {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}
