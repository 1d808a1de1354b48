//! Tests of the timer configuration: intervals, cron schedules, names.

use std::time::Duration;

use super::Overrides;
use super::tests::{errors, src};
use super::timer::Schedule;
use super::validate::parse;

#[test]
fn intervals_and_cron_schedules_resolve() {
    let text = r#"
[[function]]
name = "report"
module = "a.wasm"
timers = [{ every = "10s" }, { cron = "0 */5 * * * *", name = "five-minutely" }, { cron = "0 0 12 * * Mon-Fri 2099" }]
"#;
    let c = parse(&src(text), &Overrides::default()).unwrap();
    let t = &c.functions[0].timers;
    assert_eq!(t.len(), 3);
    assert_eq!(t[0].name, "report.0");
    assert_eq!(t[0].written, "every 10000ms");
    assert_eq!(t[0].schedule, Schedule::Every(Duration::from_secs(10)));
    assert_eq!(t[1].name, "five-minutely");
    assert_eq!(t[1].written, "0 */5 * * * *");
    assert!(matches!(t[1].schedule, Schedule::Cron(_)));
    assert_eq!(t[2].name, "report.2");
    // A function with timers only needs no routes.
    assert!(c.functions[0].routes.is_empty());
}

#[test]
fn bad_timers_name_line_column_and_key() {
    let text = r#"
[[function]]
name = "a"
module = "a.wasm"
timers = [
  { every = "0s" },
  { cron = "*/5 * * * *" },
  { cron = "70 * * * * *" },
  { every = "1s", cron = "* * * * * *" },
  { every = "1s", name = "x y" },
  { every = "1s", name = "t" },
  { every = "2s", name = "t" },
]
"#;
    let e = errors(text).join("\n");
    for needle in [
        "t.toml:6:13: function[0].timers[0].every: must be at least 10ms",
        "t.toml:7:12: function[0].timers[1].cron: \"*/5 * * * *\" has 5 fields; a cron expression has six",
        "t.toml:8:12: function[0].timers[2].cron: \"70 * * * * *\" is not a cron expression",
        "t.toml:9:3: function[0].timers[3]: a timer has either `every` or `cron`",
        "t.toml:10:26: function[0].timers[4].name: a timer name is",
        "t.toml:12:26: function[0].timers[6].name: a second timer named \"t\"",
    ] {
        assert!(e.contains(needle), "missing {needle:?} in\n{e}");
    }
    assert!(!e.contains("timers[5]"), "{e}");
}

#[test]
fn an_interval_is_a_duration() {
    let e = errors(
        "[[function]]\nname = \"a\"\nmodule = \"a.wasm\"\ntimers = [{ every = \"soon\" }]\n",
    )
    .join("\n");
    assert!(e.contains("t.toml:4:"), "{e}");
    assert!(e.contains("bad duration \"soon\""), "{e}");
}
