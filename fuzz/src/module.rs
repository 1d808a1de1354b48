//! Execution of generated modules on the gateway's engine configuration,
//! under tight limits: whatever a module does, no panic, no abort, no limit
//! escaped (fuel, output, time), and the same outcome and fuel however the
//! call is sliced or interrupted.
//!
//! Modules come from `wasm-smith`, importing any function of the host ABI
//! and exporting `_start` and `memory`, as guests do.

use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use arbitrary::Unstructured;
use jinn_core::imports::{ValType, signatures};
use jinn_core::{
    EngineLimits, Function, InvokeError, Limits, Manifest, ModuleLimits, Outcome, Permissions,
    Runtime,
};
use jinn_host::host::{GatewayHost, Seeds, StopWhen};
use jinn_host::kv::Kv;
use wasm_encoder::reencode::{self, Reencode};

/// Fuel of one call: enough for loops, small enough for many calls a second.
const FUEL: u64 = 300_000;
/// A call may not take longer than this (one call of 300,000 fuel takes
/// about a millisecond; the margin is for sanitizers and a loaded machine).
const WALL_CLOCK: Duration = Duration::from_secs(5);

/// Generates a module from `data` and runs it (see the module docs).
///
/// # Panics
///
/// When a property fails.
pub fn check(data: &[u8]) {
    let mut u = Unstructured::new(data);
    let Ok(module) = wasm_smith::Module::new(generator(), &mut u) else {
        return;
    };
    let input: Vec<u8> = u.arbitrary().unwrap_or_default();
    run(&export_memory(&module.to_bytes()), &input);
}

/// Adds the export `memory` of memory 0 (wasm-smith cannot be asked for it).
fn export_memory(wasm: &[u8]) -> Vec<u8> {
    struct ExportMemory;
    impl Reencode for ExportMemory {
        type Error = std::convert::Infallible;
        fn parse_export_section(
            &mut self,
            exports: &mut wasm_encoder::ExportSection,
            section: wasmparser::ExportSectionReader<'_>,
        ) -> Result<(), reencode::Error<Self::Error>> {
            reencode::utils::parse_export_section(self, exports, section)?;
            exports.export("memory", wasm_encoder::ExportKind::Memory, 0);
            Ok(())
        }
    }
    let mut module = wasm_encoder::Module::new();
    match ExportMemory.parse_core_module(&mut module, wasmparser::Parser::new(0), wasm) {
        Ok(()) => module.finish(),
        Err(_) => wasm.to_vec(),
    }
}

/// Loads `wasm` and runs it with `stdin` as the request, checking every property.
///
/// # Panics
///
/// When a property fails.
pub fn run(wasm: &[u8], stdin: &[u8]) {
    let runtime = runtime();
    let Ok(function) = runtime.load(wasm) else {
        return;
    };
    let manifest = Arc::new(manifest());
    let whole = timed(|| {
        function
            .run(host(StopWhen::Never), manifest.clone(), stdin.to_vec())
            .0
    });
    within_limits(&whole, &manifest.limits);

    let small = timed(|| sliced(&function, manifest.clone(), stdin, StopWhen::Never, 997));
    same(&whole, &small, "sliced");

    // Stopped by the host half-way (at a host call): the same wherever it runs.
    let half = StopWhen::Fuel(whole.fuel_used / 2);
    let a = timed(|| sliced(&function, manifest.clone(), stdin, half.clone(), u64::MAX));
    let b = timed(|| sliced(&function, manifest.clone(), stdin, half.clone(), 1_009));
    same(&a, &b, "interrupted");
    assert!(a.fuel_used <= whole.fuel_used);
    if a.result != Err(InvokeError::Interrupted) {
        same(&a, &whole, "not interrupted");
    }
}

fn sliced(
    function: &Function<GatewayHost>,
    manifest: Arc<Manifest>,
    stdin: &[u8],
    stop: StopWhen,
    slice: u64,
) -> Outcome {
    let mut call = function.invoke(host(stop), manifest, stdin.to_vec());
    while call.resume(slice).is_running() {}
    call.finish().0
}

fn timed(run: impl FnOnce() -> Outcome) -> Outcome {
    let started = Instant::now();
    let outcome = run();
    assert!(
        started.elapsed() < WALL_CLOCK,
        "a call of {FUEL} fuel took {:?}",
        started.elapsed()
    );
    outcome
}

fn within_limits(outcome: &Outcome, limits: &Limits) {
    assert!(
        outcome.fuel_used <= limits.fuel,
        "{} fuel",
        outcome.fuel_used
    );
    assert!(outcome.stderr.len() as u64 <= limits.stderr);
    if let Ok(response) = &outcome.result {
        assert!(response.body.len() as u64 <= limits.stdout);
    }
    let stats = &outcome.stats;
    assert!(stats.published <= limits.publishes);
    let staged = &outcome.staged.published;
    assert!(staged.len() as u64 <= u64::from(limits.publishes));
    for m in staged {
        assert!(m.topic.len() as u64 <= u64::from(limits.topic_bytes));
        assert!(m.payload.len() as u64 <= u64::from(limits.publish_bytes));
    }
    assert!(stats.log_lines <= limits.log_lines);
}

fn same(a: &Outcome, b: &Outcome, how: &str) {
    assert_eq!(a.result, b.result, "{how}");
    assert_eq!(a.fuel_used, b.fuel_used, "{how}");
    assert_eq!(a.stats, b.stats, "{how}");
    assert_eq!(a.stderr, b.stderr, "{how}");
    assert_eq!(a.staged, b.staged, "{how}");
}

fn runtime() -> &'static Runtime<GatewayHost> {
    static RUNTIME: OnceLock<Runtime<GatewayHost>> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        Runtime::new(EngineLimits::gateway()).with_module_limits(ModuleLimits {
            max_bytes: 256 * 1024,
            max_functions: 1_000,
        })
    })
}

fn manifest() -> Manifest {
    Manifest {
        limits: Limits {
            fuel: FUEL,
            memory: 1 << 20,
            stdin: 4096,
            stdout: 4096,
            stderr: 4096,
            table_elements: 1_000,
            tables: 2,
            log_lines: 4,
            log_line_bytes: 64,
            kv_key_bytes: 32,
            kv_value_bytes: 256,
            kv_transaction_bytes: 4096,
            publishes: 2,
            publish_bytes: 256,
            topic_bytes: 64,
        },
        permissions: Permissions::allow_all(),
        env: vec![("MODE".into(), "fuzz".into())],
        args: vec!["fuzz".into()],
    }
}

/// A gateway host with fixed seeds and an empty store in memory.
fn host(stop: StopWhen) -> GatewayHost {
    let seeds = Seeds {
        wall_clock_ns: 1_700_000_000_000_000_000,
        monotonic_ns: 1_000,
        random: [7; 32],
    };
    let mut host = GatewayHost::seeded("fuzz".into(), None, Kv::memory(), seeds);
    host.stop = stop;
    host
}

/// wasm-smith, shaped like a guest: the host ABI to import, `_start` to
/// export (and `memory`, added after), small.
fn generator() -> wasm_smith::Config {
    wasm_smith::Config {
        available_imports: Some(host_abi()),
        exports: Some(
            wat::parse_str(r#"(module (func (export "_start")))"#).expect("valid exports module"),
        ),
        min_memories: 1,
        max_funcs: 20,
        max_instructions: 500,
        max_memories: 1,
        max_memory32_bytes: 4 << 20,
        max_tables: 2,
        max_table_elements: 2_000,
        max_data_segments: 8,
        max_element_segments: 8,
        simd_enabled: false,
        relaxed_simd_enabled: false,
        threads_enabled: false,
        exceptions_enabled: false,
        gc_enabled: false,
        memory64_enabled: false,
        ..wasm_smith::Config::default()
    }
}

/// A module importing every function of the host ABI (once each).
fn host_abi() -> Vec<u8> {
    let ty = |t: &ValType| match t {
        ValType::I64 => "i64",
        _ => "i32",
    };
    let mut wat = String::from("(module\n");
    let mut seen = Vec::new();
    for sig in signatures() {
        // One type per import: `host_kv_get` is listed with both its result
        // types, and a module that imports both links with neither.
        if seen.contains(&(sig.module, sig.name)) {
            continue;
        }
        seen.push((sig.module, sig.name));
        let params: Vec<&str> = sig.params.iter().map(ty).collect();
        let results: Vec<&str> = sig.results.iter().map(ty).collect();
        wat.push_str(&format!(
            "  (import \"{}\" \"{}\" (func (param {}) (result {})))\n",
            sig.module,
            sig.name,
            params.join(" "),
            results.join(" ")
        ));
    }
    wat.push(')');
    wat::parse_str(&wat).expect("the host ABI as a module")
}
