//! `jinn-qemu`: run, measure. See the crate docs.

#[path = "../../linux-tap/harness/mod.rs"]
mod harness;

use std::path::PathBuf;
use std::process::ExitCode;
use std::thread::sleep;
use std::time::Duration;

use harness::files::TempDir;
use jinn_qemu::catalog::{example_spec, write_image};
use jinn_qemu::machine::{Boot, Machine, default_firmware};
use jinn_qemu::measure;

const USAGE: &str = "usage:
  jinn-qemu run [--firmware ELF] [--broker-port PORT] [--icount]
      boots the firmware with the example functions (broker: the host's
      127.0.0.1:PORT, seen from the device as 10.0.2.2:PORT) and prints its log
  jinn-qemu measure [--firmware ELF] [--calls 10]
      boot time, instructions, heap and stack per call of hello and echo,
      flash and static RAM: emulated, under -icount";

fn usage(message: &str) -> ExitCode {
    eprintln!("jinn-qemu: {message}\n{USAGE}");
    ExitCode::from(2)
}

struct Options {
    firmware: PathBuf,
    broker_port: Option<u16>,
    icount: bool,
    calls: usize,
}

fn options(args: &[String]) -> Result<Options, String> {
    let mut options = Options {
        firmware: default_firmware(),
        broker_port: None,
        icount: false,
        calls: 10,
    };
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        let mut value = || it.next().ok_or(format!("{arg} needs a value"));
        match arg.as_str() {
            "--firmware" => options.firmware = PathBuf::from(value()?),
            "--broker-port" => {
                let v = value()?;
                options.broker_port = Some(v.parse().map_err(|_| format!("bad port `{v}`"))?);
            }
            "--calls" => {
                let v = value()?;
                options.calls = v.parse().map_err(|_| format!("bad count `{v}`"))?;
            }
            "--icount" => options.icount = true,
            other => return Err(format!("unexpected `{other}`")),
        }
    }
    Ok(options)
}

fn run(options: &Options) -> Result<(), String> {
    let dir = TempDir::new("qemu-run");
    let flash = write_image(dir.path(), &example_spec(options.broker_port, 50_000_000))?;
    let mut machine = Machine::boot(&Boot {
        firmware: options.firmware.clone(),
        flash,
        dir: dir.path().to_path_buf(),
        icount: options.icount,
    })?;
    println!(
        "jinn-qemu: http://127.0.0.1:{}/hello (forwarded to the device's port 80)",
        machine.http_port()
    );
    let mut shown = 0;
    loop {
        let lines = machine.log().lines();
        for line in &lines[shown..] {
            println!("{line}");
        }
        shown = lines.len();
        if let Some(status) = machine.exited() {
            return Err(format!("QEMU exited ({status}): {}", machine.stderr()));
        }
        sleep(Duration::from_millis(100));
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some((command, rest)) = args.split_first() else {
        return usage("missing command");
    };
    let options = match options(rest) {
        Ok(options) => options,
        Err(e) => return usage(&e),
    };
    let result = match command.as_str() {
        "run" => run(&options),
        "measure" => measure::run(&options.firmware, options.calls.max(2)),
        other => return usage(&format!("unknown command `{other}`")),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("jinn-qemu {command}: {e}");
            ExitCode::FAILURE
        }
    }
}
