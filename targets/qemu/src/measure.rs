//! `jinn-qemu measure`: the numbers of the emulated board, read on the
//! device. QEMU runs with `-icount shift=0`, where every instruction takes
//! one nanosecond of emulated time, so the board's 25 MHz timer — the call
//! meter's clock — advances once every 40 instructions: the meter's cycles
//! times 40 are the instructions the call took (including the interrupts
//! and the other tasks that ran between its fuel slices). The heap is the
//! board's allocator's count, the stack the painted stack's high-water mark.
//! The boot time is wall-clock time on this host: emulated, not a board's.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use jinn_linux_tap::elf;

use crate::catalog::{example_spec, write_image};
use crate::harness::files::TempDir;
use crate::http;
use crate::machine::{Boot, Machine};

/// Instructions per tick of the 25 MHz timer under `-icount shift=0`.
const INSTRUCTIONS_PER_TICK: u64 = 1_000_000_000 / 25_000_000;

/// One `call …` line of the device's meter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallLine {
    /// The function.
    pub function: String,
    /// HTTP status, or the error kind.
    pub result: String,
    /// Fuel used.
    pub fuel: u64,
    /// Timer ticks (25 MHz).
    pub cycles: u64,
    /// Heap in use before the call.
    pub heap_before: u64,
    /// The heap's high-water mark during the call, above `heap_before`.
    pub heap_peak: u64,
    /// Heap in use after the call.
    pub heap_after: u64,
    /// The stack's high-water mark since reset.
    pub stack: u64,
    /// The stack's size.
    pub stack_size: u64,
}

impl CallLine {
    /// Parses a log line holding
    /// `call NAME: RESULT, N fuel, N cycles, heap N B before, +N B peak, N B after, stack N of N B`.
    pub fn parse(line: &str) -> Option<Self> {
        let rest = &line[line.find("call ")? + 5..];
        let (function, rest) = rest.split_once(": ")?;
        let fields: Vec<&str> = rest.split(", ").collect();
        let number = |field: &str, at: usize| -> Option<u64> {
            field
                .split_whitespace()
                .nth(at)?
                .trim_start_matches('+')
                .parse()
                .ok()
        };
        match fields.as_slice() {
            [result, fuel, cycles, before, peak, after, stack] => Some(Self {
                function: function.to_string(),
                result: (*result).to_string(),
                fuel: number(fuel, 0)?,
                cycles: number(cycles, 0)?,
                heap_before: number(before, 1)?,
                heap_peak: number(peak, 0)?,
                heap_after: number(after, 0)?,
                stack: number(stack, 1)?,
                stack_size: number(stack, 3)?,
            }),
            _ => None,
        }
    }

    /// Instructions under `-icount shift=0`.
    pub fn instructions(&self) -> u64 {
        self.cycles * INSTRUCTIONS_PER_TICK
    }
}

/// Calls `function` through `path` `calls` times and returns the meter's lines.
fn calls(
    machine: &Machine,
    function: &str,
    method: &str,
    path: &str,
    body: &[u8],
    calls: usize,
) -> Result<Vec<CallLine>, String> {
    let mut lines = Vec::new();
    for _ in 0..calls {
        let skip = machine.log().lines().len();
        let reply = http::request(
            machine.http_port(),
            method,
            path,
            &[("Content-Type", "text/plain")],
            body,
            Duration::from_secs(30),
        )
        .ok_or_else(|| format!("{path}: no answer\n{}", machine.report()))?;
        if reply.status != 200 {
            return Err(format!("{path}: {} {}", reply.status, reply.text()));
        }
        let needle = format!("call {function}: ");
        let (_, line) = machine
            .log()
            .wait_for(skip, &needle, Duration::from_secs(10))
            .ok_or_else(|| format!("no meter line for {function}\n{}", machine.report()))?;
        lines.push(CallLine::parse(&line).ok_or_else(|| format!("unreadable: {line}"))?);
    }
    Ok(lines)
}

fn median(mut values: Vec<u64>) -> u64 {
    values.sort_unstable();
    values.get(values.len() / 2).copied().unwrap_or(0)
}

fn report_function(name: &str, lines: &[CallLine]) {
    let Some((first, rest)) = lines.split_first() else {
        return;
    };
    println!(
        "{name:<6} first call (compiles the module): {:>11} instructions, heap +{} B peak ({} B in use before)",
        first.instructions(),
        first.heap_peak,
        first.heap_before
    );
    if !rest.is_empty() {
        println!(
            "{name:<6} next {} calls, median:          {:>11} instructions, heap +{} B peak ({} B in use before), {} fuel",
            rest.len(),
            median(rest.iter().map(CallLine::instructions).collect()),
            median(rest.iter().map(|l| l.heap_peak).collect()),
            median(rest.iter().map(|l| l.heap_before).collect()),
            median(rest.iter().map(|l| l.fuel).collect()),
        );
    }
}

fn qemu_version() -> String {
    Command::new("qemu-system-arm")
        .arg("--version")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|t| t.lines().next().map(str::to_string))
        .unwrap_or_else(|| "qemu-system-arm (version unknown)".into())
}

/// Flash (vector table, text, rodata, data) and static RAM (data, bss) of
/// the firmware ELF, and its heap blocks (uninit, sram123).
pub fn footprint(firmware: &Path) -> Result<(u64, u64, u64), String> {
    let bytes = std::fs::read(firmware).map_err(|e| format!("{}: {e}", firmware.display()))?;
    let sections = elf::sections(&bytes).map_err(|e| e.to_string())?;
    let footprint = elf::Footprint::of(&sections);
    Ok((footprint.flash, footprint.static_ram, footprint.heap))
}

/// Boots and waits for the first answer of `/healthz`: the time from
/// QEMU's start, and the device's own line about when its network was up.
fn first_response(machine: &Machine) -> Result<(Duration, String), String> {
    let deadline = Instant::now() + Duration::from_secs(120);
    let boot = loop {
        if http::get(machine.http_port(), "/healthz", Duration::from_secs(2))
            .is_some_and(|r| r.status == 200)
        {
            break machine.since_start();
        }
        if Instant::now() > deadline {
            return Err(format!("no HTTP response in 120 s\n{}", machine.report()));
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let up = machine
        .log()
        .wait_for(0, "ms after boot", Duration::from_secs(5))
        .map(|(_, line)| line)
        .unwrap_or_default();
    Ok((boot, up))
}

/// Boots the firmware once as the tests do, for the time to the first
/// response, then with `-icount shift=0` for the calls; prints the report.
///
/// # Errors
///
/// The firmware does not boot or a call fails.
pub fn run(firmware: &Path, per_function: usize) -> Result<(), String> {
    let dir = TempDir::new("qemu-measure");
    let flash = write_image(dir.path(), &example_spec(None, 50_000_000))?;
    let mut boot = Boot {
        firmware: firmware.to_path_buf(),
        flash,
        dir: dir.path().to_path_buf(),
        icount: false,
    };
    let (boot_time, up) = first_response(&Machine::boot(&boot)?)?;
    boot.icount = true;
    let machine = Machine::boot(&boot)?;
    first_response(&machine)?;
    let hello = calls(&machine, "hello", "GET", "/hello", b"", per_function)?;
    let echo = calls(
        &machine,
        "echo",
        "POST",
        "/echo/any?x=1",
        b"ping",
        per_function,
    )?;
    let (flash_bytes, static_ram, heap) = footprint(firmware)?;
    let stack = echo.last().or(hello.last());

    println!(
        "== emulated: {}, -machine mps2-an500 (Cortex-M7), TCG",
        qemu_version()
    );
    println!(
        "   -icount shift=0: 1 instruction = 1 ns of emulated time; the 25 MHz timer ticks every 40 instructions"
    );
    println!(
        "boot to first HTTP response: {:.2} s of host time (QEMU started -> /healthz answered; without -icount)",
        boot_time.as_secs_f64()
    );
    if let Some(at) = up.find("functions, http") {
        println!("device's own log: {}", &up[at.saturating_sub(2)..]);
    }
    report_function("hello", &hello);
    report_function("echo", &echo);
    if let Some(line) = stack {
        println!(
            "stack high-water mark (painted stack, read on the device): {} of {} B",
            line.stack, line.stack_size
        );
    }
    println!(
        "image {}: flash {flash_bytes} B (vector table + text + rodata + data), static RAM {static_ram} B (data + bss), heap {heap} B, stack {} B",
        firmware.display(),
        stack.map_or(0, |l| l.stack_size)
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_meter_line() {
        let line = "0.000123 INFO call echo: 200, 37012 fuel, 12345 cycles, heap 350112 B before, +160212 B peak, 352000 B after, stack 9344 of 131072 B";
        let call = CallLine::parse(line).unwrap();
        assert_eq!(call.function, "echo");
        assert_eq!(call.result, "200");
        assert_eq!(call.fuel, 37012);
        assert_eq!(call.instructions(), 12345 * 40);
        assert_eq!(call.heap_peak, 160212);
        assert_eq!(call.heap_before, 350112);
        assert_eq!(call.heap_after, 352000);
        assert_eq!((call.stack, call.stack_size), (9344, 131072));
        assert_eq!(CallLine::parse("call echo: 200"), None);
    }
}
