//! The timers of a function (`timers = [...]` in a `[[function]]`):
//! intervals and cron schedules, in UTC.
//!
//! ```toml
//! [[function]]
//! name = "report"
//! timers = [
//!   { every = "10s" },
//!   { cron = "0 */5 * * * *", name = "five-minutely" },
//! ]
//! ```
//!
//! A cron expression has six fields — seconds, minutes, hours, day of
//! month, month, day of week — and an optional seventh, the year. Each is
//! `*`, a value, a range `a-b`, a list `a,b`, or a step `*/n` / `a-b/n`;
//! months and days of the week may be named (`Jan`, `Mon-Fri`). A timer's
//! name (the `uri` of its envelope) is `<function>.<index>` unless given.

use std::str::FromStr;
use std::time::Duration;

use serde::Deserialize;
use toml::Spanned;

use super::validate::{Validator, valid_name};
use super::values::Dur;

/// One timer as written: `every` or `cron`, not both.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTimer {
    pub every: Option<Spanned<Dur>>,
    pub cron: Option<Spanned<String>>,
    pub name: Option<Spanned<String>>,
}

/// When a timer is due.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Schedule {
    /// Every so long, counted from the gateway's start.
    Every(Duration),
    /// At the times a cron expression names, in UTC.
    Cron(Box<cron::Schedule>),
}

/// A timer, resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimerSpec {
    /// Its name: the envelope's `uri` and `X-Timer-Name`.
    pub name: String,
    /// Its schedule as written (`every 10s`, or the cron expression):
    /// `X-Timer-Schedule`.
    pub written: String,
    /// When it is due.
    pub schedule: Schedule,
}

/// The shortest interval.
pub const MIN_EVERY: Duration = Duration::from_millis(jinn_core::timer::MIN_INTERVAL_MS);

impl Validator<'_> {
    /// The timers of function `i` (named `function`).
    pub(super) fn timers(
        &mut self,
        i: usize,
        function: &str,
        raw: &[Spanned<RawTimer>],
    ) -> Vec<TimerSpec> {
        let mut out = Vec::new();
        for (t, timer) in raw.iter().enumerate() {
            let key = |k: &str| format!("function[{i}].timers[{t}]{k}");
            let span = timer.span();
            let timer = timer.get_ref();
            let name = match &timer.name {
                Some(n) if !valid_name(n.get_ref()) => {
                    self.err(
                        n.span(),
                        key(".name"),
                        "a timer name is 1 to 64 letters, digits, `-` or `_`",
                    );
                    continue;
                }
                Some(n) => n.get_ref().clone(),
                None => format!("{function}.{t}"),
            };
            let (written, schedule) = match (&timer.every, &timer.cron) {
                (Some(every), None) => {
                    let d = every.get_ref().0;
                    if d < MIN_EVERY {
                        self.err(every.span(), key(".every"), "must be at least 10ms");
                        continue;
                    }
                    (
                        jinn_core::timer::written(u64::try_from(d.as_millis()).unwrap_or(u64::MAX)),
                        Schedule::Every(d),
                    )
                }
                (None, Some(expr)) => match parse_cron(expr.get_ref()) {
                    Ok(s) => (expr.get_ref().trim().to_string(), Schedule::Cron(s)),
                    Err(m) => {
                        self.err(expr.span(), key(".cron"), m);
                        continue;
                    }
                },
                _ => {
                    self.err(
                        span,
                        key(""),
                        "a timer has either `every` or `cron`, not both or neither",
                    );
                    continue;
                }
            };
            if out.iter().any(|o: &TimerSpec| o.name == name) {
                let span = timer.name.as_ref().map_or(span, Spanned::span);
                self.err(span, key(".name"), format!("a second timer named {name:?}"));
                continue;
            }
            out.push(TimerSpec {
                name,
                written,
                schedule,
            });
        }
        out
    }
}

/// A cron expression with six or seven fields → its schedule.
///
/// # Errors
///
/// A message naming the expected form, or what the parser found wrong.
pub fn parse_cron(expr: &str) -> Result<Box<cron::Schedule>, String> {
    let fields = expr.split_whitespace().count();
    if !(6..=7).contains(&fields) {
        return Err(format!(
            "{expr:?} has {fields} fields; a cron expression has six (seconds minutes hours \
             day-of-month month day-of-week) and an optional seventh (year), e.g. \"0 */5 * * * *\""
        ));
    }
    let schedule = cron::Schedule::from_str(expr)
        .map_err(|e| format!("{expr:?} is not a cron expression: {e}"))?;
    if schedule.upcoming(chrono::Utc).next().is_none() {
        return Err(format!("{expr:?} is never due again"));
    }
    Ok(Box::new(schedule))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cron_expressions_have_six_or_seven_fields() {
        assert!(parse_cron("0 */5 * * * *").is_ok());
        assert!(parse_cron("*/10 * * * * Mon-Fri").is_ok());
        assert!(parse_cron("0 0 12 1 Jan * 2099").is_ok());
        let five = parse_cron("*/5 * * * *").unwrap_err();
        assert!(five.contains("has 5 fields"), "{five}");
        assert!(parse_cron("61 * * * * *").is_err());
        let past = parse_cron("0 0 0 1 1 * 2001").unwrap_err();
        assert!(past.contains("never due"), "{past}");
    }
}
