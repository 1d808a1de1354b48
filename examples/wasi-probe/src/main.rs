//! A plain WASI command (no contract) for `jinn run --raw` and directory
//! mounts: `wasi-probe COMMAND [ARGS...]`.
//!
//! | command | does |
//! |---|---|
//! | `args` | prints argv as a JSON array |
//! | `env` | prints the environment, one `KEY=VALUE` a line, sorted |
//! | `echo-lines` | copies stdin to stdout line by line, flushing each line |
//! | `exit N` | exits with code N |
//! | `trap` | writes `partial` to stdout and stderr, then traps |
//! | `preopens` | prints `fd name` of each preopened directory |
//! | `read PATH` | prints the file |
//! | `write PATH TEXT` | writes the file |
//! | `sleep MS` | sleeps, then prints how long it slept (ms) |
//! | `respond PATH` | answers the contract with the file as body (gateway mounts) |
//!
//! A failed file operation prints `errno N` (the WASI errno) and exits 1.

use std::io::{BufRead, Write};
use std::time::{Duration, Instant};

#[link(wasm_import_module = "wasi_snapshot_preview1")]
unsafe extern "C" {
    fn fd_prestat_get(fd: u32, out: *mut u32) -> u16;
    fn fd_prestat_dir_name(fd: u32, path: *mut u8, len: u32) -> u16;
}

fn fail(e: std::io::Error) -> ! {
    println!("errno {}", e.raw_os_error().unwrap_or(-1));
    std::process::exit(1)
}

fn json_string(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let arg = |i: usize| args.get(i).map(String::as_str).unwrap_or("");
    match arg(1) {
        "args" => {
            let items: Vec<String> = args.iter().map(|a| json_string(a)).collect();
            println!("[{}]", items.join(","));
        }
        "env" => {
            let mut vars: Vec<String> = std::env::vars().map(|(k, v)| format!("{k}={v}")).collect();
            vars.sort();
            for v in vars {
                println!("{v}");
            }
        }
        "echo-lines" => {
            let stdin = std::io::stdin();
            let mut out = std::io::stdout();
            for line in stdin.lock().lines() {
                let line = line.unwrap_or_else(|e| fail(e));
                writeln!(out, "{line}")
                    .and_then(|()| out.flush())
                    .unwrap_or_else(|e| fail(e));
            }
        }
        "exit" => std::process::exit(arg(2).parse().unwrap_or(255)),
        "trap" => {
            print!("partial");
            eprint!("partial");
            let _ = std::io::stdout().flush();
            std::process::abort();
        }
        "preopens" => {
            for fd in 3..64 {
                let mut stat = [0u32; 2];
                // SAFETY: the host writes 8 bytes of prestat.
                if unsafe { fd_prestat_get(fd, stat.as_mut_ptr()) } != 0 {
                    continue;
                }
                let mut name = vec![0u8; stat[1] as usize];
                // SAFETY: the host writes at most `len` bytes.
                if unsafe { fd_prestat_dir_name(fd, name.as_mut_ptr(), stat[1]) } == 0 {
                    println!("{fd} {}", String::from_utf8_lossy(&name));
                }
            }
        }
        "read" => {
            let bytes = std::fs::read(arg(2)).unwrap_or_else(|e| fail(e));
            std::io::stdout()
                .write_all(&bytes)
                .unwrap_or_else(|e| fail(e));
        }
        "write" => std::fs::write(arg(2), arg(3)).unwrap_or_else(|e| fail(e)),
        "sleep" => {
            let start = Instant::now();
            std::thread::sleep(Duration::from_millis(arg(2).parse().unwrap_or(0)));
            println!("{}", start.elapsed().as_millis());
        }
        "respond" => {
            let (status, body) = match std::fs::read_to_string(arg(2)) {
                Ok(text) => (200, text),
                Err(e) => (500, format!("errno {}", e.raw_os_error().unwrap_or(-1))),
            };
            print!(r#"{{"status":{status},"body":{}}}"#, json_string(&body));
        }
        other => {
            eprintln!("wasi-probe: unknown command {other:?}");
            std::process::exit(2);
        }
    }
}
