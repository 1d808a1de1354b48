//! `jinn-tap`: image, serve, measure. See the crate docs.

#[path = "../harness/mod.rs"]
mod harness;
mod measure;

use std::net::Ipv4Addr;
use std::path::PathBuf;
use std::process::ExitCode;

use jinn_core::signature::{Policy, PublicKey};
use jinn_heap_probe::Counting;
use jinn_linux_tap::image::{self, Board};
use jinn_linux_tap::serve::{self, ServeArgs};

const USAGE: &str = "usage:
  jinn-tap image --spec SPEC.json --out FLASH.bin [--board host|nucleo-h743zi|mps2-an500]
  jinn-tap serve --flash FLASH.bin [--tap tap0] [--ip 10.42.0.2/24] [--gateway 10.42.0.1]
                 [--http-port 80] [--slice-fuel 10000] [--resident-modules 0] [--heap-cap BYTES]
                 [--signature-policy off|audit|strict] [--trusted-key HEX]...
  jinn-tap measure [--requests 1000]";

/// Counts the heap, so that `serve --heap-cap` holds the device's heap to a
/// budget and reports its peak.
#[global_allocator]
static ALLOCATOR: Counting = Counting;

fn usage(message: &str) -> ExitCode {
    eprintln!("jinn-tap: {message}\n{USAGE}");
    ExitCode::from(2)
}

/// `--name value` pairs after the subcommand.
fn options(args: &[String]) -> Result<Vec<(String, String)>, String> {
    let mut out = Vec::new();
    let mut it = args.iter();
    while let Some(name) = it.next() {
        let Some(name) = name.strip_prefix("--") else {
            return Err(format!("unexpected `{name}`"));
        };
        let value = it.next().ok_or(format!("--{name} needs a value"))?;
        out.push((name.to_string(), value.clone()));
    }
    Ok(out)
}

fn get<'a>(opts: &'a [(String, String)], name: &str) -> Option<&'a str> {
    opts.iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}

fn parse<T: std::str::FromStr>(
    opts: &[(String, String)],
    name: &str,
    default: T,
) -> Result<T, String> {
    get(opts, name).map_or(Ok(default), |v| {
        v.parse().map_err(|_| format!("bad --{name} `{v}`"))
    })
}

fn image(opts: &[(String, String)]) -> Result<(), String> {
    let spec = PathBuf::from(get(opts, "spec").ok_or("--spec is required")?);
    let out = PathBuf::from(get(opts, "out").ok_or("--out is required")?);
    let board_name = get(opts, "board").unwrap_or("host");
    let board = Board::parse(board_name).ok_or(format!("unknown board `{board_name}`"))?;
    let summary = image::build(board, &spec, &out).map_err(|e| e.to_string())?;
    for (name, len) in &summary.functions {
        println!("{name:<20} {len:>8} bytes");
    }
    println!(
        "{}: catalog {} of {} bytes, board {board_name}",
        out.display(),
        summary.catalog.0,
        summary.catalog.1
    );
    Ok(())
}

fn serve_args(opts: &[(String, String)]) -> Result<ServeArgs, String> {
    let flash = PathBuf::from(get(opts, "flash").ok_or("--flash is required")?);
    let ip = get(opts, "ip").unwrap_or("10.42.0.2/24");
    let (address, prefix) = ip.split_once('/').unwrap_or((ip, "24"));
    Ok(ServeArgs {
        flash,
        tap: get(opts, "tap").unwrap_or("tap0").to_string(),
        address: address.parse().map_err(|_| format!("bad --ip `{ip}`"))?,
        prefix: prefix.parse().map_err(|_| format!("bad --ip `{ip}`"))?,
        gateway: get(opts, "gateway")
            .map(|g| {
                g.parse::<Ipv4Addr>()
                    .map_err(|_| format!("bad --gateway `{g}`"))
            })
            .transpose()?,
        http_port: parse(opts, "http-port", 80)?,
        slice_fuel: parse(opts, "slice-fuel", 10_000)?,
        resident_modules: parse(opts, "resident-modules", 0)?,
        heap_cap: get(opts, "heap-cap")
            .map(|c| c.parse().map_err(|_| format!("bad --heap-cap `{c}`")))
            .transpose()?,
        signature_policy: get(opts, "signature-policy")
            .map(|p| Policy::parse(p).ok_or(format!("bad --signature-policy `{p}`")))
            .transpose()?
            .unwrap_or_default(),
        trusted_keys: opts
            .iter()
            .filter(|(n, _)| n == "trusted-key")
            .map(|(_, k)| {
                PublicKey::from_hex(k)
                    .map(|k| *k.as_bytes())
                    .map_err(|e| format!("bad --trusted-key: {e}"))
            })
            .collect::<Result<_, _>>()?,
    })
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some((command, rest)) = args.split_first() else {
        return usage("missing command");
    };
    let opts = match options(rest) {
        Ok(opts) => opts,
        Err(e) => return usage(&e),
    };
    match command.as_str() {
        "image" => match image(&opts) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("jinn-tap image: {e}");
                ExitCode::FAILURE
            }
        },
        "serve" => match serve_args(&opts) {
            Ok(args) => {
                env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info"))
                    .init();
                serve::serve(args)
            }
            Err(e) => usage(&e),
        },
        "measure" => {
            let requests = match parse(&opts, "requests", 1000usize) {
                Ok(n) => n,
                Err(e) => return usage(&e),
            };
            let bin = std::env::current_exe().unwrap_or_else(|_| PathBuf::from("jinn-tap"));
            crate::measure::run(&bin, requests);
            ExitCode::SUCCESS
        }
        other => usage(&format!("unknown command `{other}`")),
    }
}
