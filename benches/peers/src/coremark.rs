//! CoreMark (`coremark-minimal.wasm`: imports `env.clock_ms`, exports
//! `run() -> f32`, the score in iterations/s) under WAMR's fast interpreter.

use std::time::Instant;

use anyhow::{Context as _, Result, bail};
use jinn_bench_kit::{Options, Record, peak_rss_kib};
use wamrx::{Engine, FuncType, Linker, Module, Val, ValType};

pub fn main(options: &Options) -> Result<Option<Record>> {
    let wasm_path = options.required("wasm").map_err(anyhow::Error::msg)?;
    let wasm = std::fs::read(wasm_path).with_context(|| format!("reading {wasm_path}"))?;
    let engine = Engine::new()?;
    let mut linker = Linker::new(&engine);
    let epoch = Instant::now();
    linker.define_func(
        "env",
        "clock_ms",
        FuncType::new([], [ValType::I32]),
        move |_, results| results[0] = Val::I32(epoch.elapsed().as_millis() as u32 as i32),
    )?;
    let module = Module::new(&engine, &wasm)?;
    let instance = linker.instantiate(module)?;
    let run = instance.get_func("run")?;
    let mut results = [Val::F32(0.0)];
    let start = Instant::now();
    run.call(&[], &mut results)?;
    let elapsed = start.elapsed().as_nanos() as u64;
    let Val::F32(score) = results[0] else {
        bail!("run returned {}, not an f32", results[0]);
    };
    Ok(Some(Record {
        samples_ns: vec![elapsed],
        score: Some(f64::from(score)),
        peak_rss_kib: peak_rss_kib(),
        output: format!("{score}"),
        ..Record::default()
    }))
}
