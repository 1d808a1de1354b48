//! A guest burning fuel on the device while `/healthz` is polled, and
//! what fuel-burner answers.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use super::http::{http, timed_get_once};
use super::netns::Netns;

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

/// What fuel-burner answers for `?iterations=N`: its xorshift64 after N rounds.
pub fn fuel_burner_result(iterations: u64) -> String {
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    for _ in 0..iterations {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
    }
    format!("{x:016x}")
}
