//! The runners of the Jinn side, each a subcommand of `jinn-bench` run in a
//! process of its own (so its peak RSS is its own):
//!
//! ```text
//! jinn-bench call --wasm F | --builtin NAME  --stdin F [--iters N] [--warmup N]
//! jinn-bench native --guest NAME --stdin F [--iters N] [--warmup N]
//! jinn-bench coremark --wasm F --fuel on|off
//! ```

use std::sync::Arc;
use std::time::Instant;

use jinn_bench_kit::{Options, Record, peak_rss_kib, time_calls};
use jinn_core::{EngineLimits, Manifest, Runtime};
use wasmi::{Engine, Linker, Module, Store};

use crate::{NullHost, builtin, native};

fn read(path: &str) -> Result<Vec<u8>, String> {
    std::fs::read(path).map_err(|e| format!("{path}: {e}"))
}

fn counts(options: &Options) -> Result<(u64, u64), String> {
    let iterations = options.number("iters", 1000)?;
    Ok((options.number("warmup", iterations / 10)?, iterations))
}

/// One call per iteration, fresh sandbox, as a gateway runs it
/// ([`EngineLimits::gateway`], default limits, one slice).
///
/// # Errors
///
/// When the module does not load or a call fails differently from the first.
pub fn call(options: &Options) -> Result<Record, String> {
    let wasm = match options.get("builtin") {
        Some(name) => builtin(name).ok_or_else(|| format!("no builtin module {name}"))?,
        None => read(options.required("wasm")?)?,
    };
    let stdin = read(options.required("stdin")?)?;
    let (warmup, iterations) = counts(options)?;
    let runtime = Runtime::<NullHost>::new(EngineLimits::gateway());
    let function = runtime.load(&wasm).map_err(|e| e.to_string())?;
    let manifest = Arc::new(Manifest::default());
    let (samples_ns, (outcome, _)) = time_calls(warmup, iterations, || {
        function.run(NullHost, manifest.clone(), stdin.to_vec())
    });
    let output = match &outcome.result {
        Ok(response) => String::from_utf8_lossy(&response.to_json()).into_owned(),
        Err(e) => format!("error: {}", e.kind()),
    };
    Ok(Record {
        samples_ns,
        fuel: Some(outcome.fuel_used),
        peak_rss_kib: peak_rss_kib(),
        output,
        ..Record::default()
    })
}

/// The native function of a guest.
///
/// # Errors
///
/// When there is no such function.
pub fn native(options: &Options) -> Result<Record, String> {
    let guest = options.required("guest")?;
    let function = native::by_name(guest).ok_or_else(|| format!("no native function {guest}"))?;
    let stdin = read(options.required("stdin")?)?;
    let (warmup, iterations) = counts(options)?;
    let (samples_ns, output) = time_calls(warmup, iterations, || function(&stdin));
    Ok(Record {
        samples_ns,
        peak_rss_kib: peak_rss_kib(),
        output: String::from_utf8_lossy(&output).into_owned(),
        ..Record::default()
    })
}

/// CoreMark (`env.clock_ms`, `run() -> f32`) under the engine configuration
/// of every Jinn call ([`jinn_core::runtime::engine_config`]), fuel metering
/// on (with an unlimited budget) or off.
///
/// # Errors
///
/// When the module does not load or `run` traps.
pub fn coremark(options: &Options) -> Result<Record, String> {
    let wasm = read(options.required("wasm")?)?;
    let fuel = match options.get("fuel").unwrap_or("on") {
        "on" => true,
        "off" => false,
        other => return Err(format!("--fuel on|off, not {other}")),
    };
    let mut config = jinn_core::runtime::engine_config(&EngineLimits::gateway());
    config.consume_fuel(fuel);
    let engine = Engine::new(&config);
    let module = Module::new(&engine, &wasm).map_err(|e| e.to_string())?;
    let mut store = Store::new(&engine, ());
    if fuel {
        store.set_fuel(u64::MAX).map_err(|e| e.to_string())?;
    }
    let mut linker = Linker::<()>::new(&engine);
    let epoch = Instant::now();
    linker
        .func_wrap("env", "clock_ms", move || {
            epoch.elapsed().as_millis() as u32 as i32
        })
        .map_err(|e| e.to_string())?;
    let instance = linker
        .instantiate_and_start(&mut store, &module)
        .map_err(|e| e.to_string())?;
    let run = instance
        .get_typed_func::<(), f32>(&store, "run")
        .map_err(|e| e.to_string())?;
    let start = Instant::now();
    let score = run.call(&mut store, ()).map_err(|e| e.to_string())?;
    let elapsed = start.elapsed().as_nanos() as u64;
    let used = if fuel {
        store.get_fuel().ok().map(|left| u64::MAX - left)
    } else {
        None
    };
    Ok(Record {
        samples_ns: vec![elapsed],
        score: Some(f64::from(score)),
        fuel: used,
        peak_rss_kib: peak_rss_kib(),
        output: format!("{score}"),
    })
}
