//! `jinn-tap measure`: the latency numbers of the TAP runner, printed.
//!
//! 1. keep-alive: `/healthz` and `/hello` requests on one kept-alive
//!    connection (curl, many URLs in one process), median and p99;
//! 2. a fresh connection per request, for comparison;
//! 3. `/healthz` answered while `fuel-burner` burns its whole fuel budget
//!    on another connection: every answer's time and the worst one.

use std::path::Path;

use crate::harness::burn::burn_and_poll;
use crate::harness::device::{Device, build_image, test_spec};
use crate::harness::files::TempDir;
use crate::harness::http::{median_p99, timed_gets};
use crate::harness::netns::Netns;
use crate::harness::process::require_tools;

/// Fuel given to the burner: a few seconds of work on a PC.
pub const BURN_FUEL: u64 = 3_000_000_000;

fn print_stats(label: &str, samples: &[(f64, u32)]) {
    let mut times: Vec<f64> = samples.iter().map(|s| s.0).collect();
    let connections: u32 = samples.iter().map(|s| s.1).sum();
    let (median, p99) = median_p99(&mut times);
    println!(
        "{label:<44} n={:<5} connections={:<5} median={:>8.3} ms  p99={:>8.3} ms",
        times.len(),
        connections,
        median * 1e3,
        p99 * 1e3
    );
}

/// Sets up a namespace and the device, measures, prints.
pub fn run(bin: &Path, requests: usize) {
    require_tools();
    let dir = TempDir::new("measure");
    let ns = Netns::create("measure");
    let flash = build_image(dir.path(), &test_spec(false, BURN_FUEL));
    let device = Device::start(&ns, bin, &flash, &dir.path().join("device.log"));

    let _warmup = timed_gets(&ns, "/healthz", 20, true);
    println!(
        "jinn-tap measure: device {} over TAP, curl inside the namespace",
        crate::harness::netns::DEVICE_IP
    );
    print_stats(
        "keep-alive GET /healthz",
        &timed_gets(&ns, "/healthz", requests, true),
    );
    print_stats(
        "keep-alive GET /hello (runs the guest)",
        &timed_gets(&ns, "/hello", requests / 5, true),
    );
    print_stats(
        "new connection per GET /healthz",
        &timed_gets(&ns, "/healthz", requests / 5, false),
    );

    let report = burn_and_poll(&ns);
    let mut times: Vec<f64> = report.health.iter().map(|h| h.1).collect();
    let (median, p99) = median_p99(&mut times);
    println!(
        "/healthz while fuel-burner burns {BURN_FUEL} fuel: burner {} after {:.2} s; {} answers, median={:.3} ms p99={:.3} ms worst={:.3} ms",
        report.burner_status,
        report.burn.as_secs_f64(),
        report.health.len(),
        median * 1e3,
        p99 * 1e3,
        report.worst() * 1e3
    );
    drop(device);
}
