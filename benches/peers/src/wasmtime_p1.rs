//! wasmtime per call, fresh instance each time, as its users run a WASI
//! command: Cranelift, an `InstancePre` made once, the pooling allocator,
//! `wasmtime-wasi`'s preview 1 over in-memory pipes.
//!
//! `--engine wasmtime-tuned` keeps memory and tables resident between
//! instances (`linear_memory_keep_resident` 1 MiB, `table_keep_resident`
//! 64 KiB), which is how users tune it for many short calls;
//! `--engine wasmtime-pooling` is the pooling allocator with its defaults.

use anyhow::{Context as _, bail};
use jinn_bench_kit::{Options, Record, peak_rss_kib, time_calls};
use wasmtime::{
    Config, Engine, InstanceAllocationStrategy, InstancePre, Linker, Module,
    PoolingAllocationConfig, Store, Strategy,
};
use wasmtime_wasi::p1::WasiP1Ctx;
use wasmtime_wasi::p2::pipe::{MemoryInputPipe, MemoryOutputPipe};
use wasmtime_wasi::{I32Exit, WasiCtxBuilder};

/// Output cap of a call, as Jinn's default stdout limit.
const STDOUT_CAP: usize = 5 << 20;

/// wasmtime's own error, as an `anyhow` one.
fn wt<T>(r: wasmtime::Result<T>) -> anyhow::Result<T> {
    r.map_err(|e| anyhow::anyhow!("{e:?}"))
}

fn engine(kind: &str) -> anyhow::Result<Engine> {
    let mut pool = PoolingAllocationConfig::default();
    match kind {
        "wasmtime-tuned" => {
            pool.linear_memory_keep_resident(1 << 20)
                .table_keep_resident(64 << 10);
        }
        "wasmtime-pooling" => {}
        other => bail!("unknown engine {other} (wasmtime-tuned, wasmtime-pooling)"),
    }
    let mut config = Config::new();
    config
        .strategy(Strategy::Cranelift)
        .allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
    wt(Engine::new(&config))
}

/// One call: instantiate, run `_start`, return stdout.
fn call(engine: &Engine, pre: &InstancePre<WasiP1Ctx>, stdin: &[u8]) -> wasmtime::Result<Vec<u8>> {
    let stdout = MemoryOutputPipe::new(STDOUT_CAP);
    let ctx = WasiCtxBuilder::new()
        .stdin(MemoryInputPipe::new(stdin.to_vec()))
        .stdout(stdout.clone())
        .stderr(MemoryOutputPipe::new(STDOUT_CAP))
        .build_p1();
    let mut store = Store::new(engine, ctx);
    let instance = pre.instantiate(&mut store)?;
    let start = instance.get_typed_func::<(), ()>(&mut store, "_start")?;
    if let Err(e) = start.call(&mut store, ()) {
        match e.downcast_ref::<I32Exit>() {
            Some(I32Exit(0)) => {}
            _ => return Err(e),
        }
    }
    drop(store);
    Ok(stdout.contents().to_vec())
}

pub fn main(options: &Options) -> anyhow::Result<Option<Record>> {
    let kind = options.required("engine").map_err(anyhow::Error::msg)?;
    let wasm_path = options.required("wasm").map_err(anyhow::Error::msg)?;
    let stdin_path = options.required("stdin").map_err(anyhow::Error::msg)?;
    let iterations = options.number("iters", 1000).map_err(anyhow::Error::msg)?;
    let warmup = options
        .number("warmup", iterations / 10)
        .map_err(anyhow::Error::msg)?;
    let engine = engine(kind)?;
    let wasm = std::fs::read(wasm_path).with_context(|| format!("reading {wasm_path}"))?;
    let stdin = std::fs::read(stdin_path).with_context(|| format!("reading {stdin_path}"))?;
    let module = wt(Module::new(&engine, &wasm))?;
    let mut linker: Linker<WasiP1Ctx> = Linker::new(&engine);
    wt(wasmtime_wasi::p1::add_to_linker_sync(&mut linker, |ctx| {
        ctx
    }))?;
    let pre = wt(linker.instantiate_pre(&module))?;
    let mut failure = None;
    let (samples_ns, output) =
        time_calls(warmup, iterations, || match call(&engine, &pre, &stdin) {
            Ok(out) => out,
            Err(e) => {
                failure.get_or_insert(e);
                Vec::new()
            }
        });
    if let Some(e) = failure {
        bail!("a call failed: {e:?}");
    }
    Ok(Some(Record {
        samples_ns,
        peak_rss_kib: peak_rss_kib(),
        output: String::from_utf8_lossy(&output).into_owned(),
        ..Record::default()
    }))
}
