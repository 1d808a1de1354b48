//! A timer run → the envelope.
//!
//! ```json
//! {"method": "TIMER", "uri": "hourly-report",
//!  "headers": {"X-Timer-Name": ["hourly-report"], "X-Timer-Schedule": ["0 0 * * * *"],
//!              "X-Timer-Scheduled-At": ["2024-02-29T12:00:00.000Z"],
//!              "X-Timer-Run-Id": ["9e107d9d372bb6826bd81d3542a419d6"]},
//!  "body": "", "trace_id": "…"}
//! ```
//!
//! * `uri` and `X-Timer-Name`: the timer's name; `X-Timer-Schedule`: its
//!   schedule as configured (a cron expression or an interval).
//! * `X-Timer-Scheduled-At`: when the run was due (RFC 3339, UTC,
//!   milliseconds), which is not when it started: a run may start late (a
//!   busy device, a run made up after the host was down).
//! * `X-Timer-Run-Id`: the first 16 bytes, in hex, of a SHA-256 over the
//!   name and the due time in nanoseconds. A run repeated (after a crash,
//!   by a retry) has the same id; two runs of one timer never do.
//! * The body is empty; the trace id is random.

use alloc::string::String;

use super::{digest_id, set};
use crate::headers::Headers;
use crate::request::Request;
use crate::{time, trace};

/// The method of a timer envelope.
pub const METHOD: &str = "TIMER";

/// One due run of a timer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimerTick<'a> {
    /// The timer's name.
    pub name: &'a str,
    /// Its schedule as configured.
    pub schedule: &'a str,
    /// When the run was due, nanoseconds since the Unix epoch.
    pub due_unix_ns: u64,
}

impl TimerTick<'_> {
    /// The run id: the same for the same timer and due time.
    pub fn run_id(&self) -> String {
        digest_id(&[
            b"jinn-timer-run-id-1",
            self.name.as_bytes(),
            &self.due_unix_ns.to_le_bytes(),
        ])
    }

    /// The envelope; `random` gives the bytes of the trace id.
    pub fn envelope(&self, random: impl FnOnce(&mut [u8])) -> Request {
        let mut headers = Headers::new();
        set(&mut headers, "X-Timer-Name", self.name.into());
        set(&mut headers, "X-Timer-Schedule", self.schedule.into());
        set(
            &mut headers,
            "X-Timer-Scheduled-At",
            time::rfc3339(self.due_unix_ns),
        );
        set(&mut headers, "X-Timer-Run-Id", self.run_id());
        Request {
            method: METHOD.into(),
            uri: self.name.into(),
            headers,
            body: alloc::vec::Vec::new(),
            trace_id: Some(trace::trace_id(None, None, random)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timer_envelope() {
        let tick = TimerTick {
            name: "hourly",
            schedule: "0 0 * * * *",
            due_unix_ns: 1_709_208_000_000_000_000,
        };
        let r = tick.envelope(|b| b.fill(3));
        assert_eq!((r.method.as_str(), r.uri.as_str()), ("TIMER", "hourly"));
        assert_eq!(r.headers["X-Timer-Name"], ["hourly"]);
        assert_eq!(r.headers["X-Timer-Schedule"], ["0 0 * * * *"]);
        assert_eq!(
            r.headers["X-Timer-Scheduled-At"],
            ["2024-02-29T12:00:00.000Z"]
        );
        assert_eq!(r.headers["X-Timer-Run-Id"], [tick.run_id()]);
        assert!(r.body.is_empty());
        assert_eq!(
            r.trace_id.as_deref(),
            Some("03030303030303030303030303030303")
        );
    }

    #[test]
    fn run_ids_are_per_timer_and_due_time() {
        let tick = TimerTick {
            name: "a",
            schedule: "every 1s",
            due_unix_ns: 5,
        };
        assert_eq!(
            tick.run_id(),
            TimerTick {
                schedule: "changed",
                ..tick
            }
            .run_id()
        );
        assert_ne!(
            tick.run_id(),
            TimerTick {
                due_unix_ns: 6,
                ..tick
            }
            .run_id()
        );
        assert_ne!(tick.run_id(), TimerTick { name: "b", ..tick }.run_id());
    }
}
