//! `jinn-footprint [--max-flash B] [--max-static-ram B] [--firmware-only]
//! [--probe HEAP-PROBE.wasm --gateway JINN] [FIRMWARE.elf]...`: the
//! footprint report.
//!
//! * For each firmware ELF: `.text`, `.rodata`, `.data`, `.bss` (and the
//!   heap blocks in `.uninit` and `.sram123`), flash = vector table + text +
//!   rodata + data, static RAM = data + bss, then flash and static RAM by
//!   crate from the symbol table. **Exits with status 1** when a firmware
//!   takes more than 600,000 B of flash or 48,000 B of static RAM (the
//!   limits of `--max-flash` and `--max-static-ram`).
//! * For each example function: the heap it takes on the device path
//!   (jinn-embassy, flash catalog, sliced call) — resident after loading
//!   (engine and compiled module), the peak while loading, and the peak a
//!   call adds (instance, linear memory, request and response) — counted
//!   by this program's global allocator, on the host: 64-bit pointers.
//! * With `--probe`: the same on a 32-bit target, which is what a
//!   Cortex-M needs. `heap-probe.wasm` (targets/heap-probe, built for
//!   wasm32-wasip1) loads and calls the module inside `jinn run` and
//!   reports its own allocator's counts.

#[path = "../../harness/mod.rs"]
mod harness;

use std::path::Path;

use jinn_core::Request;
use jinn_embassy::Config;
use jinn_heap_probe::{Counting, current, peak_since, reset_peak};
use jinn_linux_tap::elf;
use jinn_linux_tap::in_process;

use harness::files::{TempDir, examples_dir};

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Initial linear memory of a module in bytes (its first memory's minimum).
fn initial_memory(wasm: &[u8]) -> u64 {
    fn leb(bytes: &[u8], at: &mut usize) -> u64 {
        let (mut value, mut shift) = (0u64, 0);
        while let Some(&b) = bytes.get(*at) {
            *at += 1;
            value |= u64::from(b & 0x7f) << shift;
            shift += 7;
            if b & 0x80 == 0 || shift > 63 {
                break;
            }
        }
        value
    }
    let mut at = 8;
    while at < wasm.len() {
        let id = wasm[at];
        at += 1;
        let len = leb(wasm, &mut at) as usize;
        let body = at;
        if id == 5 {
            let mut p = body;
            if leb(wasm, &mut p) == 0 {
                return 0;
            }
            p += 1; // limits flags
            return leb(wasm, &mut p) * 65_536;
        }
        at = body + len;
    }
    0
}

struct Example {
    name: &'static str,
    envelope: &'static str,
}

/// The first seven are the std examples, the rest their tiny builds.
const STD_EXAMPLES: usize = 7;

const EXAMPLES: [Example; 11] = [
    Example {
        name: "hello",
        envelope: "{}",
    },
    Example {
        name: "echo",
        envelope: r#"{"method":"POST","uri":"/echo","headers":{"Content-Type":["text/plain"]},"body":"a hundred bytes of body text, more or less, to see the request and response buffers in the count."}"#,
    },
    Example {
        name: "kv-counter",
        envelope: r#"{"uri":"/count?name=door"}"#,
    },
    Example {
        name: "sensor-alert",
        envelope: r#"{"method":"POST","uri":"/sensor","body":"{\"sensor\":\"t1\",\"value\":42.5}"}"#,
    },
    Example {
        name: "fuel-burner",
        envelope: r#"{"uri":"/burn?iterations=10000"}"#,
    },
    Example {
        name: "gojinn-compat",
        envelope: "{}",
    },
    Example {
        name: "c-hello",
        envelope: "{}",
    },
    // The tiny builds (examples/tiny, the no_std SDK).
    Example {
        name: "hello-tiny",
        envelope: "{}",
    },
    Example {
        name: "echo-tiny",
        envelope: r#"{"method":"POST","uri":"/echo","headers":{"Content-Type":["text/plain"]},"body":"a hundred bytes of body text, more or less, to see the request and response buffers in the count."}"#,
    },
    Example {
        name: "kv-counter-tiny",
        envelope: r#"{"uri":"/count?name=door"}"#,
    },
    Example {
        name: "sensor-alert-tiny",
        envelope: r#"{"method":"POST","uri":"/sensor","body":"{\"sensor\":\"t1\",\"value\":42.5}"}"#,
    },
];

fn kib(bytes: usize) -> String {
    format!("{:.1}", bytes as f64 / 1024.0)
}

fn heap_report() {
    println!("Heap per example (device path, one function loaded; KiB):");
    println!(
        "| example | module | linear memory | resident after load | load peak | first call adds | resident after it | next call adds | peak |"
    );
    println!("|---|---|---|---|---|---|---|---|---|");
    let dir = TempDir::new("footprint");
    let mut all = Vec::new();
    for example in &EXAMPLES {
        let module = examples_dir().join(format!("{}.wasm", example.name));
        let wasm = std::fs::read(&module).unwrap_or_else(|e| panic!("{}: {e}", module.display()));
        all.push(module.clone());
        let flash = in_process::flash_with(dir.path(), &[&module]);
        let before = reset_peak();
        let jinn = in_process::start(flash, Config::default());
        let resident = current().saturating_sub(before);
        let load_peak = peak_since(before);

        // The first call translates the functions it runs (lazy
        // translation); they stay compiled for the next calls.
        let base = reset_peak();
        let outcome = in_process::call(jinn, 0, example.envelope);
        let call_peak = peak_since(base);
        if let Err(e) = &outcome.result {
            panic!("{}: {e}", example.name);
        }
        let after = current().saturating_sub(before);
        let base = reset_peak();
        let outcome = in_process::call(jinn, 0, example.envelope);
        let next_peak = peak_since(base);
        if let Err(e) = &outcome.result {
            panic!("{}: {e}", example.name);
        }
        println!(
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            example.name,
            kib(wasm.len()),
            kib(initial_memory(&wasm) as usize),
            kib(resident),
            kib(load_peak),
            kib(call_peak),
            kib(after),
            kib(next_peak),
            kib(load_peak.max(resident + call_peak).max(after + next_peak)),
        );
    }
    // The std examples (at most MAX_FUNCTIONS in one catalog).
    let modules: Vec<&Path> = all[..STD_EXAMPLES].iter().map(|p| p.as_path()).collect();
    let flash = in_process::flash_with(dir.path(), &modules);
    let before = reset_peak();
    let jinn = in_process::start(flash, Config::default());
    println!(
        "All {} examples loaded together: {} KiB resident ({} functions).",
        modules.len(),
        kib(current().saturating_sub(before)),
        jinn.function_count()
    );

    // The board's mode: one compiled module in RAM, each call compiles its
    // function from flash when another one was resident.
    let flash = in_process::flash_with(dir.path(), &modules);
    let one = Config {
        resident_modules: 1,
        ..Config::default()
    };
    let before = reset_peak();
    let jinn = in_process::start(flash, one);
    let boot_peak = peak_since(before);
    let before = reset_peak();
    for (index, example) in EXAMPLES[..STD_EXAMPLES].iter().enumerate() {
        in_process::call(jinn, index, example.envelope)
            .result
            .unwrap_or_else(|e| panic!("{}: {e}", example.name));
    }
    println!(
        "One resident module (`resident_modules: 1`), all {} examples called in turn: peak {} KiB \
         (boot, compiling each once: {} KiB).",
        modules.len(),
        kib(peak_since(before)),
        kib(boot_peak)
    );
}

/// Runs `heap-probe.wasm` under `jinn run` on `module` with `envelope`:
/// `(resident, load_peak, call_peak)` in bytes on a 32-bit target.
fn probe(probe: &Path, gateway: &Path, module: &Path, envelope: &str) -> (usize, usize, usize) {
    let mut headers = jinn_core::Headers::new();
    headers.insert("X-Probe-Request".into(), vec![envelope.into()]);
    let request = Request {
        method: "POST".into(),
        uri: "/".into(),
        headers,
        body: std::fs::read(module).unwrap_or_else(|e| panic!("{}: {e}", module.display())),
        trace_id: None,
    };
    let dir = TempDir::new("probe");
    let input = dir.path().join("probe.json");
    std::fs::write(&input, request.to_json()).expect("probe input");
    let out = std::process::Command::new(gateway)
        .arg("run")
        .arg(probe)
        .arg("--input")
        .arg(&input)
        .args(["--fuel", "1000000000000", "--memory", "512MiB", "--report"])
        .output()
        .unwrap_or_else(|e| panic!("{}: {e}", gateway.display()));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("heap-probe: {e}: {}", String::from_utf8_lossy(&out.stdout)));
    let body = report["response"]["body"].as_str().unwrap_or_default();
    let counts: serde_json::Value = serde_json::from_str(body)
        .unwrap_or_else(|e| panic!("heap-probe on {}: {e}: {report}", module.display()));
    let n = |k: &str| {
        counts[k]
            .as_u64()
            .unwrap_or_else(|| panic!("heap-probe: {counts}")) as usize
    };
    (n("resident"), n("load_peak"), n("call_peak"))
}

fn probe_report(probe_wasm: &Path, gateway: &Path) {
    println!("Heap per example on a 32-bit target (heap-probe in wasm32; KiB):");
    println!(
        "| example | resident after load | load peak | call peak (adds) | resident + call | one resident module: peak |"
    );
    println!("|---|---|---|---|---|---|");
    for example in &EXAMPLES {
        let module = examples_dir().join(format!("{}.wasm", example.name));
        let (resident, load_peak, call_peak) =
            probe(probe_wasm, gateway, &module, example.envelope);
        // Compiling from flash holds the module bytes next to the compiler.
        let module_bytes = std::fs::metadata(&module).map_or(0, |m| m.len() as usize);
        println!(
            "| {} | {} | {} | {} | {} | {} |",
            example.name,
            kib(resident),
            kib(load_peak),
            kib(call_peak),
            kib(resident + call_peak),
            kib((module_bytes + load_peak).max(resident + call_peak))
        );
    }
}

/// The aims of issue 12 for a firmware with HTTP, MQTT, KV, outbox and
/// the runtime: `jinn-footprint` fails above them (`--max-flash`,
/// `--max-static-ram` change them, e.g. for a smaller profile).
const MAX_FLASH: u64 = 600_000;
const MAX_STATIC_RAM: u64 = 48_000;

/// Crates listed one by one; the rest is summed.
const TOP_CRATES: usize = 16;

/// Prints each firmware's sections and its size by crate; the firmware
/// over a limit, as `name: what` lines.
fn firmware_report(paths: &[String], max_flash: u64, max_static_ram: u64) -> Vec<String> {
    println!(
        "Firmware sections (bytes; flash = vector table + text + rodata + data, static RAM = data + bss):"
    );
    println!(
        "| firmware | .vector_table | .text | .rodata | .data | .bss | heap blocks | flash | static RAM |"
    );
    println!("|---|---|---|---|---|---|---|---|---|");
    let mut over = Vec::new();
    let mut breakdowns = Vec::new();
    for path in paths {
        let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{path}: {e}"));
        let sections = elf::sections(&bytes).unwrap_or_else(|e| panic!("{path}: {e}"));
        let s = |name: &str| elf::size_of(&sections, name);
        let footprint = elf::Footprint::of(&sections);
        let name = Path::new(path)
            .file_name()
            .map_or(path.clone(), |n| n.to_string_lossy().into_owned());
        println!(
            "| {name} | {} | {} | {} | {} | {} | {} | {} | {} |",
            s(".vector_table"),
            s(".text"),
            s(".rodata"),
            s(".data"),
            s(".bss"),
            footprint.heap,
            footprint.flash,
            footprint.static_ram,
        );
        if footprint.flash > max_flash {
            over.push(format!(
                "{name}: flash {} B > {max_flash} B",
                footprint.flash
            ));
        }
        if footprint.static_ram > max_static_ram {
            over.push(format!(
                "{name}: static RAM {} B > {max_static_ram} B",
                footprint.static_ram
            ));
        }
        breakdowns.push((
            name,
            elf::by_crate(&bytes).unwrap_or_else(|e| panic!("{path}: {e}")),
        ));
    }
    for (name, crates) in breakdowns {
        println!();
        println!("{name} by crate (bytes, from the symbol table):");
        println!("| crate | flash | static RAM |");
        println!("|---|---|---|");
        for (krate, size) in crates.iter().take(TOP_CRATES) {
            println!("| {krate} | {} | {} |", size.flash, size.static_ram);
        }
        if crates.len() > TOP_CRATES {
            let rest = &crates[TOP_CRATES..];
            println!(
                "| {} more crates | {} | {} |",
                rest.len(),
                rest.iter().map(|c| c.1.flash).sum::<u64>(),
                rest.iter().map(|c| c.1.static_ram).sum::<u64>()
            );
        }
    }
    over
}

/// The usage line, printed by `--help` and after a bad argument.
const USAGE: &str = "usage: jinn-footprint [--max-flash B] [--max-static-ram B] [--firmware-only] \
[--probe HEAP-PROBE.wasm --gateway JINN] [FIRMWARE.elf]...";

/// Ends the program after a bad command line: the reason, the usage, status 2.
fn usage_error(reason: &str) -> ! {
    eprintln!("jinn-footprint: {reason}\n{USAGE}");
    std::process::exit(2)
}

fn main() {
    let mut firmware = Vec::new();
    let (mut probe_wasm, mut gateway) = (None, None);
    let (mut max_flash, mut max_static_ram) = (MAX_FLASH, MAX_STATIC_RAM);
    let (mut heap, mut args) = (true, std::env::args().skip(1));
    let bytes = |v: Option<String>, flag: &str| -> u64 {
        v.and_then(|v| v.parse().ok())
            .unwrap_or_else(|| usage_error(&format!("{flag} takes a number of bytes")))
    };
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "-h" | "--help" => {
                println!("{USAGE}");
                return;
            }
            "--probe" => probe_wasm = args.next(),
            "--gateway" => gateway = args.next(),
            "--max-flash" => max_flash = bytes(args.next(), "--max-flash"),
            "--max-static-ram" => max_static_ram = bytes(args.next(), "--max-static-ram"),
            "--firmware-only" => heap = false,
            flag if flag.starts_with('-') => usage_error(&format!("unknown option {flag}")),
            _ => firmware.push(arg),
        }
    }
    if probe_wasm.is_some() != gateway.is_some() {
        usage_error("--probe and --gateway go together");
    }
    let mut over = Vec::new();
    if !firmware.is_empty() {
        over = firmware_report(&firmware, max_flash, max_static_ram);
        println!();
    }
    if !over.is_empty() {
        for line in &over {
            eprintln!("jinn-footprint: over the limit: {line}");
        }
        std::process::exit(1);
    }
    if !heap {
        return;
    }
    heap_report();
    if let (Some(p), Some(g)) = (probe_wasm, gateway) {
        println!();
        probe_report(Path::new(&p), Path::new(&g));
    }
}
