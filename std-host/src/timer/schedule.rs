//! When a timer is due: wall-clock times in nanoseconds since the Unix
//! epoch (UTC).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use chrono::{DateTime, Utc};

use crate::config::timer::Schedule;

/// Now, in nanoseconds since the Unix epoch.
pub fn now_ns() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
}

/// The first due time of `schedule` strictly after `after`; an interval
/// counts from `origin` (`origin + k × every`, k ≥ 1, [`jinn_core::timer`]).
/// `None`: never again.
pub fn next_due(schedule: &Schedule, origin: u64, after: u64) -> Option<u64> {
    match schedule {
        Schedule::Every(every) => {
            jinn_core::timer::next_due(origin, u64::try_from(every.as_nanos()).ok()?, after)
        }
        Schedule::Cron(cron) => {
            let after = i64::try_from(after).ok()?;
            let next = cron
                .after(&DateTime::<Utc>::from_timestamp_nanos(after))
                .next()?;
            u64::try_from(next.timestamp_nanos_opt()?).ok()
        }
    }
}

/// The due times of `schedule` after `due` up to `now` included: runs the
/// task was too late for (counted as skipped, at most `cap`).
pub fn missed(schedule: &Schedule, origin: u64, due: u64, now: u64, cap: u64) -> u64 {
    if let Schedule::Every(every) = schedule {
        let every = u64::try_from(every.as_nanos()).unwrap_or(u64::MAX);
        return jinn_core::timer::missed(origin, every, due, now, cap);
    }
    let mut count = 0;
    let mut at = due;
    while count < cap {
        match next_due(schedule, origin, at) {
            Some(next) if next <= now => {
                count += 1;
                at = next;
            }
            _ => break,
        }
    }
    count
}

/// How long from `now` until `due` (zero when it passed).
pub fn until(due: u64, now: u64) -> Duration {
    Duration::from_nanos(due.saturating_sub(now))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::timer::parse_cron;

    const S: u64 = 1_000_000_000;

    #[test]
    fn intervals_count_from_the_origin() {
        let every = Schedule::Every(Duration::from_millis(250));
        let origin = 1_000 * S;
        assert_eq!(next_due(&every, origin, origin), Some(origin + S / 4));
        assert_eq!(
            next_due(&every, origin, origin + S / 4),
            Some(origin + S / 2)
        );
        assert_eq!(
            next_due(&every, origin, origin + S / 4 + 1),
            Some(origin + S / 2)
        );
        // Late by a second and a bit: four runs were due after the one made.
        assert_eq!(
            missed(&every, origin, origin + S / 4, origin + S / 4 + S + 7, 100),
            4
        );
        assert_eq!(
            missed(&every, origin, origin + S / 4, origin + S / 4 + 7, 100),
            0
        );
        assert_eq!(missed(&every, origin, origin, origin + 100 * S, 10), 10);
    }

    #[test]
    fn cron_schedules_are_utc_and_to_the_second() {
        let every_second = Schedule::Cron(parse_cron("* * * * * *").unwrap());
        // 2024-02-29T12:00:00.5Z → the next whole second.
        let t = 1_709_208_000 * S;
        assert_eq!(next_due(&every_second, 0, t + S / 2), Some(t + S));
        assert_eq!(next_due(&every_second, 0, t), Some(t + S));
        assert_eq!(missed(&every_second, 0, t, t + 3 * S + 1, 100), 3);
        let noon = Schedule::Cron(parse_cron("0 0 12 * * *").unwrap());
        assert_eq!(next_due(&noon, 0, t), Some(t + 86_400 * S));
        assert_eq!(next_due(&noon, 0, t - 1), Some(t));
        // A past year: accepted by the parser (`jinn check` refuses it), never due again.
        let once = Schedule::Cron(Box::new("0 0 12 29 Feb * 2024".parse().unwrap()));
        assert_eq!(next_due(&once, 0, t - 1), Some(t));
        assert_eq!(next_due(&once, 0, t), None);
    }
}
