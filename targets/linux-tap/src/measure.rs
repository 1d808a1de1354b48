//! `jinn-tap measure`: the latency numbers of the TAP runner, printed.
//!
//! 1. keep-alive: `/healthz` and `/hello` requests on one kept-alive
//!    connection (curl, many URLs in one process), median and p99;
//! 2. a fresh connection per request, for comparison;
//! 3. `/healthz` answered while `fuel-burner` burns its whole fuel budget
//!    on another connection: every answer's time and the worst one.

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crate::harness::{
    Device, Netns, TempDir, build_image, http, median_p99, require_tools, test_spec,
    timed_get_once, timed_gets,
};

/// Fuel given to the burner: a few seconds of work on a PC.
pub const BURN_FUEL: u64 = 3_000_000_000;

/// `/healthz` during a burn.
#[derive(Debug, Clone)]
pub struct BurnReport {
    /// Status of the burner's own answer (504: fuel exhausted).
    pub burner_status: u16,
    /// How long the burner ran.
    pub burn: Duration,
    /// `(status, seconds)` of each `/healthz` that completed during the burn.
    pub health: Vec<(u16, f64)>,
}

impl BurnReport {
    /// The slowest `/healthz` during the burn, in seconds.
    pub fn worst(&self) -> f64 {
        self.health.iter().map(|&(_, t)| t).fold(0.0, f64::max)
    }
}

/// Runs the burner on `/burn` and polls `/healthz` (a new connection each
/// time) until the burner answers; bounded to 60 s and 20,000 polls. A poll
/// that got no answer is recorded as status 0.
pub fn burn_and_poll(ns: &Netns) -> BurnReport {
    let done = AtomicBool::new(false);
    std::thread::scope(|scope| {
        let burner = scope.spawn(|| {
            let started = Instant::now();
            let reply = http(ns, "GET", "/burn", None, &[], Duration::from_secs(60));
            done.store(true, Ordering::SeqCst);
            (reply.map_or(0, |r| r.status), started.elapsed())
        });
        // Start sampling once the guest runs.
        let running = Instant::now() + Duration::from_secs(10);
        while Instant::now() < running && !done.load(Ordering::SeqCst) {
            let busy = http(ns, "GET", "/healthz", None, &[], Duration::from_secs(2))
                .and_then(|r| serde_json::from_slice::<serde_json::Value>(&r.body).ok())
                .is_some_and(|h| h["busy"] == true);
            if busy {
                break;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        let mut health = Vec::new();
        let deadline = Instant::now() + Duration::from_secs(60);
        for _ in 0..20_000 {
            if done.load(Ordering::SeqCst) || Instant::now() > deadline {
                break;
            }
            let sample = timed_get_once(ns, "/healthz", Duration::from_secs(10));
            if !done.load(Ordering::SeqCst) {
                health.push(sample.unwrap_or((0, f64::NAN)));
            }
        }
        let (burner_status, burn) = burner.join().unwrap_or((0, Duration::ZERO));
        BurnReport {
            burner_status,
            burn,
            health,
        }
    })
}

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
        crate::harness::DEVICE_IP
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
