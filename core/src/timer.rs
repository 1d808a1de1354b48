//! Interval timers: when a run is due and which runs were missed, the one
//! policy of every target (the gateway's `jinn serve`, jinn-embassy).
//!
//! Times are nanoseconds on one clock. A timer counts from its `origin`
//! (when the host started it): its runs are due at `origin + k × every`,
//! k ≥ 1, so runs due while the host was down are never made up. A run is
//! made for a due time even when it starts late; the due times that passed
//! meanwhile (the previous run still going, the host busy or suspended) are
//! skipped, and counted.

use alloc::string::String;

/// The shortest interval a timer may have, in milliseconds.
pub const MIN_INTERVAL_MS: u64 = 10;

/// The first due time strictly after `after` (`None`: past the clock's range).
pub fn next_due(origin: u64, every_ns: u64, after: u64) -> Option<u64> {
    let every = every_ns.max(1);
    let k = after.saturating_sub(origin) / every + 1;
    origin.checked_add(k.checked_mul(every)?)
}

/// The due times after `due` up to `now` included: the runs a late timer
/// skips (at most `cap`).
pub fn missed(origin: u64, every_ns: u64, due: u64, now: u64, cap: u64) -> u64 {
    let every = every_ns.max(1);
    let ahead = now.saturating_sub(origin) / every;
    let done = due.saturating_sub(origin) / every;
    ahead.saturating_sub(done).min(cap)
}

/// The schedule as the timer envelope's `X-Timer-Schedule` shows it:
/// `every 10000ms`.
pub fn written(every_ms: u64) -> String {
    let mut out = String::with_capacity(28);
    out.push_str("every ");
    crate::decimal::push_decimal(&mut out, every_ms);
    out.push_str("ms");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: u64 = 1_000_000_000;

    #[test]
    fn intervals_count_from_the_origin() {
        let every = S / 4;
        let origin = 1_000 * S;
        assert_eq!(next_due(origin, every, origin), Some(origin + S / 4));
        assert_eq!(
            next_due(origin, every, origin + S / 4),
            Some(origin + S / 2)
        );
        assert_eq!(
            next_due(origin, every, origin + S / 4 + 1),
            Some(origin + S / 2)
        );
        assert_eq!(next_due(u64::MAX - 1, every, u64::MAX - 1), None);
    }

    #[test]
    fn late_runs_are_counted_as_missed() {
        let every = S / 4;
        let origin = 1_000 * S;
        // Late by a second and a bit: four runs were due after the one made.
        assert_eq!(
            missed(origin, every, origin + S / 4, origin + S / 4 + S + 7, 100),
            4
        );
        assert_eq!(
            missed(origin, every, origin + S / 4, origin + S / 4 + 7, 100),
            0
        );
        assert_eq!(missed(origin, every, origin, origin + 100 * S, 10), 10);
    }

    #[test]
    fn the_schedule_is_written_in_milliseconds() {
        assert_eq!(written(10_000), "every 10000ms");
        assert_eq!(written(0), "every 0ms");
        assert_eq!(written(u64::MAX), "every 18446744073709551615ms");
    }
}
