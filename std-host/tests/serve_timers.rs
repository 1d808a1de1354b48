//! `jinn serve` timers, against a real mosquitto broker started here on a
//! free loopback port (the tests fail when mosquitto is missing): timers
//! fire on schedule while the broker is down, their publishes wait in the
//! outbox and arrive, in order, once it is back; a run still going when
//! the next is due makes that one skipped, and counted.
//!
//! Counts and order are asserted, never tight timing: the due times in the
//! envelopes come from the schedule, so their spacing is exact even when a
//! loaded machine runs them late.

#[path = "support/broker.rs"]
mod broker;
mod support;

use std::collections::HashSet;
use std::time::{Duration, Instant};

use broker::Broker;
use support::{BASE, Server, guest};

fn series(name: &str, function: &str, timer: &str) -> String {
    format!("{name}{{function=\"{function}\",timer=\"{timer}\"}}")
}

/// Waits (at most `limit`) until `series` reads at least `n`; its value.
#[track_caller]
fn wait_at_least(server: &Server, series: &str, n: f64, limit: Duration) -> f64 {
    let start = Instant::now();
    loop {
        let v = server.metric(series);
        if v >= n {
            return v;
        }
        assert!(
            start.elapsed() < limit,
            "{series} is {v}, not {n}, after {limit:?}\n{}",
            server.log_text()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A run as its envelope arrived: the timer's name, due time (ms since the
/// epoch) and run id.
#[derive(Debug)]
struct Tick {
    timer: String,
    schedule: String,
    due_ms: i64,
    run_id: String,
}

fn ticks(lines: &[String]) -> Vec<Tick> {
    lines
        .iter()
        .map(|l| {
            let json = l.strip_prefix("timers/tick ").expect(l);
            let v: serde_json::Value = serde_json::from_str(json).expect(json);
            assert_eq!(v["method"], "TIMER", "{json}");
            let h = |name: &str| v["headers"][name][0].as_str().expect(name).to_string();
            assert_eq!(v["uri"].as_str(), Some(h("X-Timer-Name").as_str()));
            let due = chrono_free_ms(&h("X-Timer-Scheduled-At"));
            Tick {
                timer: h("X-Timer-Name"),
                schedule: h("X-Timer-Schedule"),
                due_ms: due,
                run_id: h("X-Timer-Run-Id"),
            }
        })
        .collect()
}

/// `2024-02-29T12:00:00.250Z` → milliseconds since the epoch.
fn chrono_free_ms(text: &str) -> i64 {
    let n = |r: std::ops::Range<usize>| text[r].parse::<i64>().expect(text);
    let (y, m, d) = (n(0..4), n(5..7), n(8..10));
    let (hh, mm, ss, ms) = (n(11..13), n(14..16), n(17..19), n(20..23));
    assert!(text.ends_with('Z') && text.len() == 24, "{text}");
    // Days from the civil date (Howard Hinnant's algorithm).
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    ((days * 24 + hh) * 60 + mm) * 60_000 + ss * 1000 + ms
}

/// The first arrival of each run of `timer` (a QoS 1 message may arrive twice).
fn runs_of<'a>(all: &'a [Tick], timer: &str) -> Vec<&'a Tick> {
    let mut seen = HashSet::new();
    all.iter()
        .filter(|t| t.timer == timer && seen.insert(t.run_id.clone()))
        .collect()
}

/// Due times strictly increasing in arrival order, spaced by whole periods.
#[track_caller]
fn in_order_on_schedule(runs: &[&Tick], period_ms: i64) {
    for pair in runs.windows(2) {
        let gap = pair[1].due_ms - pair[0].due_ms;
        assert!(
            gap > 0 && gap % period_ms == 0,
            "{} then {}: {gap} ms apart, not a multiple of {period_ms} ms\n{runs:#?}",
            pair[0].due_ms,
            pair[1].due_ms
        );
    }
}

#[test]
fn timers_fire_on_schedule_with_the_broker_down_and_their_messages_arrive_when_it_is_back() {
    let mut local = Broker::start();
    // The subscriber's session exists before the broker goes down: what
    // the gateway sends once it is back is queued for it.
    local.register("ticks", "timers/#");
    local.stop();
    let data = broker::data_dir();
    let module = guest("publish-request.wat");
    let server = Server::start(&format!(
        "data_dir = \"{data}\"\n{BASE}\
         [mqtt.local]\nurl = \"{url}\"\nclient_id = \"timers-local\"\nkeep_alive = \"5s\"\nreconnect_max = \"500ms\"\n\
         [[mqtt_route]]\nfilter = \"timers/#\"\nconnection = \"local\"\n\
         [[function]]\nname = \"ticker\"\nmodule = \"{module}\"\n\
         timers = [{{ every = \"200ms\", name = \"fast\" }}]\n\
         permissions = {{ publish = [\"timers/#\"] }}\n\
         [[function]]\nname = \"clock\"\nmodule = \"{module}\"\n\
         timers = [{{ cron = \"* * * * * *\" }}]\n\
         permissions = {{ publish = [\"timers/#\"] }}\n",
        data = data.path().display(),
        url = local.url(),
    ));
    let fast = series("jinn_timer_runs_total", "ticker", "fast");
    let clock = series("jinn_timer_runs_total", "clock", "clock.0");
    let started = Instant::now();
    wait_at_least(&server, &fast, 10.0, Duration::from_secs(30));
    wait_at_least(&server, &clock, 3.0, Duration::from_secs(30));
    let metrics = server.metrics();
    let value = |s: &str| support::metric_value(&metrics, s);
    let elapsed = started.elapsed().as_secs_f64();
    let (fast_runs, clock_runs) = (value(&fast), value(&clock));
    // Offline all along: the broker never answered, every message waits.
    assert_eq!(value("jinn_mqtt_connected{connection=\"local\"}"), 0.0);
    assert_eq!(value("jinn_mqtt_connects_total{connection=\"local\"}"), 0.0);
    for f in [("ticker", "fast"), ("clock", "clock.0")] {
        assert_eq!(
            value(&series("jinn_timer_failed_total", f.0, f.1)),
            0.0,
            "{metrics}"
        );
    }
    // Not more often than their schedules allow (the first runs are one
    // period after the start, and the start came before `started`).
    assert!(
        clock_runs <= elapsed + 2.0,
        "{clock_runs} runs in {elapsed} s"
    );
    assert!(
        fast_runs <= elapsed * 5.0 + 5.0,
        "{fast_runs} runs in {elapsed} s"
    );
    let waiting = support::metric_value(&server.metrics(), "jinn_outbox_messages");
    assert!(
        waiting >= fast_runs + clock_runs,
        "{waiting} messages in the outbox after {fast_runs} + {clock_runs} runs\n{metrics}"
    );

    local.restart();
    let sub = local.resume("ticks", "timers/#");
    let lines = sub.wait(Duration::from_secs(30), |lines| {
        let all = ticks(lines);
        runs_of(&all, "fast").len() as f64 >= fast_runs
            && runs_of(&all, "clock.0").len() as f64 >= clock_runs
    });
    let all = ticks(&lines);
    let (fast_ticks, clock_ticks) = (runs_of(&all, "fast"), runs_of(&all, "clock.0"));
    assert!(
        fast_ticks.len() as f64 >= fast_runs && clock_ticks.len() as f64 >= clock_runs,
        "{} and {} of {fast_runs} and {clock_runs} runs arrived\n{}",
        fast_ticks.len(),
        clock_ticks.len(),
        server.log_text()
    );
    in_order_on_schedule(&fast_ticks, 200);
    in_order_on_schedule(&clock_ticks, 1000);
    assert!(
        clock_ticks.iter().all(|t| t.due_ms % 1000 == 0),
        "{clock_ticks:#?}"
    );
    assert!(clock_ticks.iter().all(|t| t.schedule == "* * * * * *"));
    assert!(fast_ticks.iter().all(|t| t.schedule == "every 200ms"));
    assert_eq!(
        server.metric("jinn_mqtt_connected{connection=\"local\"}"),
        1.0
    );
}

#[test]
fn a_run_still_going_when_the_next_is_due_makes_that_one_skipped() {
    let data = broker::data_dir();
    let server = Server::start(&format!(
        "data_dir = \"{data}\"\n{BASE}\
         [[function]]\nname = \"spin\"\nmodule = \"{module}\"\n\
         timers = [{{ every = \"50ms\", name = \"busy\" }}]\n\
         limits = {{ fuel = 1_000_000_000_000, timeout = \"1s\" }}\n",
        data = data.path().display(),
        module = support::hostile("start-spin"),
    ));
    let failed = series("jinn_timer_failed_total", "spin", "busy");
    wait_at_least(&server, &failed, 2.0, Duration::from_secs(30));
    let metrics = server.metrics();
    let value = |s: &str| support::metric_value(&metrics, s);
    let runs = value(&series("jinn_timer_runs_total", "spin", "busy"));
    let skipped = value(&series("jinn_timer_skipped_total", "spin", "busy"));
    // Each run spins until its 1 s deadline: the 19 or so due meanwhile are skipped.
    assert!(runs >= 2.0 && value(&failed) <= runs, "{metrics}");
    assert!(
        skipped >= 10.0 * (runs - 1.0),
        "{runs} runs, {skipped} skipped\n{metrics}"
    );
    assert!(
        server
            .log_text()
            .contains("the previous run is still going"),
        "{}",
        server.log_text()
    );
}

fn epoch_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

#[test]
fn runs_due_while_the_gateway_was_down_are_not_made_up() {
    let local = Broker::start();
    let sub = local.subscribe("down", "timers/#");
    let data = broker::data_dir();
    let config = format!(
        "data_dir = \"{data}\"\n{BASE}\
         [mqtt.local]\nurl = \"{url}\"\nclient_id = \"timers-down\"\nkeep_alive = \"5s\"\nreconnect_max = \"500ms\"\n\
         [[mqtt_route]]\nfilter = \"timers/#\"\nconnection = \"local\"\n\
         [[function]]\nname = \"clock\"\nmodule = \"{module}\"\n\
         timers = [{{ cron = \"* * * * * *\", name = \"second\" }}]\n\
         permissions = {{ publish = [\"timers/#\"] }}\n",
        data = data.path().display(),
        url = local.url(),
        module = guest("publish-request.wat"),
    );
    let runs = series("jinn_timer_runs_total", "clock", "second");
    let mut first = Server::start(&config);
    wait_at_least(&first, &runs, 2.0, Duration::from_secs(30));
    first.signal(libc::SIGTERM);
    assert_eq!(first.wait_exit(Duration::from_secs(20)), Some(0));
    let down_from = epoch_ms();
    std::thread::sleep(Duration::from_millis(2500));
    let down_until = epoch_ms();
    let second = Server::start(&config);
    wait_at_least(&second, &runs, 2.0, Duration::from_secs(30));
    let lines = sub.wait(Duration::from_secs(30), |lines| lines.len() >= 4);
    let all = ticks(&lines);
    let ticks = runs_of(&all, "second");
    assert!(ticks.len() >= 4, "{ticks:#?}");
    // Due while no gateway ran: such a run could only be one made up.
    let made_up: Vec<_> = ticks
        .iter()
        .filter(|t| t.due_ms > down_from && t.due_ms < down_until)
        .collect();
    assert!(made_up.is_empty(), "{made_up:#?}");
    assert!(ticks.iter().any(|t| t.due_ms < down_from));
    assert!(ticks.iter().any(|t| t.due_ms >= down_until));
    in_order_on_schedule(&ticks, 1000);
}

#[test]
fn jinn_check_counts_timers_and_names_bad_ones_by_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("jinn.toml");
    let write = |timers: &str| {
        std::fs::write(
            &file,
            format!(
                "[[function]]\nname = \"a\"\nmodule = \"{}\"\ntimers = {timers}\n",
                guest("publish-request.wat")
            ),
        )
        .unwrap();
    };
    let path = file.display().to_string();
    write("[{ every = \"1s\" }, { cron = \"0 */5 * * * *\" }]");
    let (code, out, err) = support::jinn(&["check", "--config", &path]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("1 function, 0 routes, 2 timers"), "{out}");
    write("[{ every = \"0s\" }, { cron = \"*/5 * * * *\" }]");
    let (code, out, err) = support::jinn(&["check", "--config", &path]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(
        err.contains("jinn.toml:4:21: function[0].timers[0].every: must be at least 10ms"),
        "{err}"
    );
    assert!(
        err.contains("jinn.toml:4:38: function[0].timers[1].cron: \"*/5 * * * *\" has 5 fields"),
        "{err}"
    );
}
