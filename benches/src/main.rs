//! `jinn-bench`: the benchmark orchestrator and the Jinn-side runners.
//!
//! ```text
//! jinn-bench run [--smoke] [--rounds N] [--iters N] [--seconds N] [--only P1,P3]
//!                [--out DIR] [--root DIR] [--jinn PATH] [--peers PATH] [--coremark PATH]
//!                [--variant LABEL=PATH]...
//! jinn-bench call | native | coremark ...     (runners, started by `run`)
//! ```
//!
//! `scripts/bench.sh` builds everything and runs `jinn-bench run`.

use std::process::ExitCode;

use jinn_bench_kit::Options;
use jinn_benches::{orchestrate, runners};

fn main() -> ExitCode {
    let words: Vec<String> = std::env::args().skip(1).collect();
    let command = words.first().cloned().unwrap_or_default();
    let options = Options::new(words.iter().skip(1).cloned());
    let record = match command.as_str() {
        "call" => runners::call(&options),
        "native" => runners::native(&options),
        "coremark" => runners::coremark(&options),
        "run" => {
            return match orchestrate::Settings::from_options(&options, &words)
                .and_then(|s| orchestrate::run(&s).and_then(|r| r.write(&s.out).map(|()| (r, s))))
            {
                Ok((report, settings)) => {
                    print!("{}", report.markdown());
                    println!("\nwritten to {}", settings.out.display());
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("jinn-bench run: {e}");
                    ExitCode::from(1)
                }
            };
        }
        _ => Err("usage: jinn-bench run [--smoke] [options] (see the source)".into()),
    };
    match record {
        Ok(r) => {
            println!("{}", r.to_line());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("jinn-bench {command}: {e}");
            ExitCode::from(1)
        }
    }
}
