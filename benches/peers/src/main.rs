//! The peers of the Jinn benchmarks, one process per measurement:
//!
//! ```text
//! jinn-peers p1 --engine wasmtime-tuned|wasmtime-pooling --wasm F --stdin F [--iters N] [--warmup N]
//! jinn-peers coremark --wasm F                      # WAMR fast interpreter
//! jinn-peers hyper-echo --listen 127.0.0.1:0        # native HTTP server answering as `echo` does
//! ```
//!
//! Each measurement prints one [`Record`] line on stdout; `hyper-echo`
//! prints `listening on ADDR` and serves until killed.

mod coremark;
mod hyper_echo;
mod wasmtime_p1;

use std::process::ExitCode;

use jinn_bench_kit::Options;

fn main() -> ExitCode {
    let mut words = std::env::args().skip(1);
    let command = words.next().unwrap_or_default();
    let options = Options::new(words);
    let result = match command.as_str() {
        "p1" => wasmtime_p1::main(&options),
        "coremark" => coremark::main(&options),
        "hyper-echo" => hyper_echo::main(&options),
        _ => Err(anyhow::anyhow!(
            "usage: jinn-peers p1|coremark|hyper-echo [--option value]..."
        )),
    };
    match result {
        Ok(record) => {
            if let Some(record) = record {
                println!("{}", record.to_line());
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("jinn-peers {command}: {e:#}");
            ExitCode::from(1)
        }
    }
}
