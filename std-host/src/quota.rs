//! Fuel quotas: a token bucket per function, in fuel.
//!
//! Refill rule: the bucket holds at most `fuel` and starts full; it refills
//! continuously at `fuel / window` per second. A request is admitted while
//! the bucket is above zero; when its call ends, the fuel it used (success
//! or failure) is taken out. Calls already admitted run to their end, so the
//! bucket may go below zero (at most by the in-flight calls' fuel); that debt
//! is refilled before the next request is admitted. Refused requests get
//! `429` with `Retry-After`, the whole seconds until the bucket is positive.
//! Buckets live in memory: a restart starts them full; a reload keeps the
//! level of functions that keep their name (cut to a smaller capacity).

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::config::QuotaSpec;

struct Bucket {
    spec: QuotaSpec,
    level: f64,
    at: Instant,
}

impl Bucket {
    fn refill(&mut self, now: Instant) {
        let rate = self.spec.fuel as f64 / self.spec.window.as_secs_f64();
        let elapsed = now.saturating_duration_since(self.at).as_secs_f64();
        self.level = (self.level + elapsed * rate).min(self.spec.fuel as f64);
        self.at = now;
    }

    fn wait(&self) -> Duration {
        let rate = self.spec.fuel as f64 / self.spec.window.as_secs_f64();
        Duration::from_secs_f64((1.0 - self.level).max(0.0) / rate)
    }
}

/// Every function's bucket.
#[derive(Default)]
pub struct Quotas {
    buckets: Mutex<BTreeMap<String, Bucket>>,
}

impl Quotas {
    /// Sets the functions' quotas (at start and after a reload).
    pub fn configure<'a>(&self, specs: impl IntoIterator<Item = (&'a str, Option<QuotaSpec>)>) {
        let now = Instant::now();
        let mut map = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        let mut next = BTreeMap::new();
        for (name, spec) in specs {
            let Some(spec) = spec else { continue };
            let bucket = match map.remove(name) {
                Some(mut b) => {
                    b.refill(now);
                    b.spec = spec;
                    b.level = b.level.min(spec.fuel as f64);
                    b
                }
                None => Bucket {
                    spec,
                    level: spec.fuel as f64,
                    at: now,
                },
            };
            next.insert(name.to_string(), bucket);
        }
        *map = next;
    }

    /// May `function` run now? `Err` carries the time until it may.
    ///
    /// # Errors
    ///
    /// The wait when the bucket is empty.
    pub fn admit(&self, function: &str) -> Result<(), Duration> {
        let mut map = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        let Some(b) = map.get_mut(function) else {
            return Ok(());
        };
        b.refill(Instant::now());
        if b.level >= 1.0 {
            Ok(())
        } else {
            Err(b.wait())
        }
    }

    /// Takes the fuel a finished call used.
    pub fn charge(&self, function: &str, fuel: u64) {
        let mut map = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(b) = map.get_mut(function) {
            b.refill(Instant::now());
            b.level -= fuel as f64;
        }
    }

    /// Each bucket's level, for the metrics.
    pub fn levels(&self) -> Vec<(String, f64)> {
        let now = Instant::now();
        let mut map = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        map.iter_mut()
            .map(|(k, b)| {
                b.refill(now);
                (k.clone(), b.level)
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(fuel: u64, secs: u64) -> Option<QuotaSpec> {
        Some(QuotaSpec {
            fuel,
            window: Duration::from_secs(secs),
        })
    }

    #[test]
    fn spent_bucket_refuses_until_refilled() {
        let q = Quotas::default();
        q.configure([("f", spec(1000, 3600)), ("open", None)]);
        assert!(q.admit("f").is_ok());
        q.charge("f", 1500); // overdraft by an admitted call
        let wait = q.admit("f").unwrap_err();
        // 500 of debt (+1) at 1000 per hour: about half an hour.
        assert!(
            wait > Duration::from_secs(1700) && wait < Duration::from_secs(1900),
            "{wait:?}"
        );
        assert!(q.admit("open").is_ok());
        q.charge("open", u64::MAX);
        assert!(q.admit("open").is_ok());
    }

    #[test]
    fn reload_keeps_the_level() {
        let q = Quotas::default();
        q.configure([("f", spec(1000, 3600))]);
        q.charge("f", 1000);
        q.configure([("f", spec(2000, 3600))]);
        assert!(q.admit("f").is_err());
        let level = q.levels()[0].1;
        assert!(level < 5.0, "{level}");
    }
}
