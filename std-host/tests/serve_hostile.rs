//! `jinn serve` against hostile guests and clients: host work that fuel
//! used to miss stops at the deadline, denied keys do not flood the log,
//! `start` sections are sliced, a queued client waits no longer than the
//! queue timeout, and guest responses that would break HTTP are refused.

mod support;

use std::io::Write;
use std::net::TcpStream;
use std::time::{Duration, Instant};

use support::{
    BASE, Conn, Server, example, function, hostile, printer, request, spinner, wait_metric,
};

/// The call's timeout in these tests.
const TIMEOUT: Duration = Duration::from_secs(1);
/// How far past its deadline a call may end here: one slice and one host
/// call, on a debug build of a loaded 2-core machine (release: a few ms).
const PAST_DEADLINE: Duration = Duration::from_millis(900);

/// The host-heavy guests, each as `NAME` (1 s timeout) and `NAME-long` (60 s).
const HOST_WORK: [(&str, &str, &str); 4] = [
    ("iovecs", "iovec-flood", ""),
    (
        "kv-loop",
        "kv-write-loop",
        "permissions = { kv_write = [\"loop/*\"] }",
    ),
    ("random", "random-flood", ""),
    ("start", "start-spin", ""),
];

fn host_work_config() -> String {
    let mut config = BASE.to_string() + "[pool]\nworkers = 2\n";
    for (name, guest, extra) in HOST_WORK {
        for (suffix, timeout) in [("", "1s"), ("-long", "60s")] {
            let name = format!("{name}{suffix}");
            let limits = format!(
                "limits = {{ fuel = 1_000_000_000_000, timeout = \"{timeout}\" }}\n{extra}"
            );
            config += &function(&name, &hostile(guest), &format!("/{name}"), &limits);
        }
    }
    config
}

#[test]
fn host_work_ends_at_the_deadline() {
    let s = Server::start(&host_work_config());
    let mut worst = Duration::ZERO;
    for (name, _, _) in HOST_WORK {
        let path = format!("/{name}");
        let started = Instant::now();
        let r = s.get(&path);
        let took = started.elapsed();
        assert_eq!(
            (r.status, r.json()["error"].as_str()),
            (504, Some("timeout")),
            "{path}"
        );
        assert!(
            took < TIMEOUT + PAST_DEADLINE,
            "{path} took {took:?} against a timeout of {TIMEOUT:?}"
        );
        worst = worst.max(took - TIMEOUT.min(took));
    }
    eprintln!("worst time past the deadline: {worst:?}");
    let m = s.metrics();
    for (f, _, _) in HOST_WORK {
        let series = format!("jinn_invocations_total{{function=\"{f}\",outcome=\"timeout\"}}");
        assert_eq!(support::metric_value(&m, &series), 1.0, "{f}");
    }
}

#[test]
fn host_work_ends_when_the_client_leaves() {
    let s = Server::start(&host_work_config());
    for (name, _, _) in HOST_WORK {
        let f = format!("{name}-long");
        let path = format!("/{f}");
        let mut conn = TcpStream::connect(s.http).unwrap();
        write!(conn, "GET {path} HTTP/1.1\r\nHost: t\r\n\r\n").unwrap();
        let running = wait_metric(&s, "jinn_in_flight", 1.0, Duration::from_secs(5));
        assert_eq!(running, 1.0, "{path} started");
        std::thread::sleep(Duration::from_millis(200));
        drop(conn);
        let left = Instant::now();
        let series = format!("jinn_invocations_total{{function=\"{f}\",outcome=\"cancelled\"}}");
        let cancelled = wait_metric(&s, &series, 1.0, Duration::from_secs(10));
        assert_eq!(cancelled, 1.0, "{path} was stopped when its client left");
        assert!(
            left.elapsed() < PAST_DEADLINE,
            "{path}: {:?}",
            left.elapsed()
        );
    }
}

#[test]
fn a_huge_denied_key_does_not_flood_the_log() {
    let config = BASE.to_string()
        + &function(
            "keys",
            &hostile("key-flood"),
            "/keys",
            "limits = { log_lines = 5 }",
        );
    let s = Server::start(&config);
    let before = s.log_text().len();
    let r = s.get("/keys");
    assert_eq!((r.status, r.text().as_str()), (200, "done"));
    assert!(s.wait_log("(16000000 bytes)", Duration::from_secs(5)));
    let logged = s.log_text().len() - before;
    assert!(
        logged < 16 * 1024,
        "{logged} bytes of log for 100 denied reads"
    );
    assert!(s.log_text().contains("kv read denied (key too long)"));
}

#[test]
fn a_queued_client_waits_no_longer_than_the_queue_timeout() {
    let config = BASE.to_string()
        + "[pool]\nworkers = 1\nqueue = 8\nqueue_timeout = \"500ms\"\nretry_after = \"3s\"\n"
        + &spinner("3s")
        + &function("hello", &example("hello"), "/hello", "");
    let s = Server::start(&config);
    let addr = s.http;
    let busy = std::thread::spawn(move || request(addr, "GET", "/spin", &[], b""));
    assert_eq!(
        wait_metric(&s, "jinn_in_flight", 1.0, Duration::from_secs(5)),
        1.0
    );
    let started = Instant::now();
    let r = s.get("/hello");
    let waited = started.elapsed();
    assert_eq!(
        (r.status, r.json()["error"].as_str()),
        (503, Some("overloaded"))
    );
    assert_eq!(r.header("retry-after"), Some("3"));
    assert!(
        waited >= Duration::from_millis(450) && waited < Duration::from_millis(1500),
        "answered after {waited:?}, not when the worker became free"
    );
    assert_eq!(s.metric("jinn_queue_depth"), 0.0, "the job was dropped");
    assert_eq!(busy.join().unwrap().status, 504);
    // The withdrawn call never ran, not even once the worker was free.
    std::thread::sleep(Duration::from_millis(200));
    let m = s.metrics();
    let ran: f64 = m
        .lines()
        .filter(|l| l.starts_with("jinn_invocations_total{function=\"hello\""))
        .map(|l| l.rsplit(' ').next().unwrap().parse::<f64>().unwrap())
        .sum();
    assert_eq!(ran, 0.0);
    assert_eq!(
        support::metric_value(
            &m,
            "jinn_rejected_total{function=\"hello\",reason=\"overloaded\"}"
        ),
        1.0
    );
}

#[test]
fn responses_that_would_break_http_are_bad_output() {
    let guests = tempfile::tempdir().unwrap();
    let dir = guests.path();
    let names: Vec<String> = (0..40_000).map(|i| format!("\"X-H{i}\":\"v\"")).collect();
    let flood = format!("{{\"status\":200,\"headers\":{{{}}}}}", names.join(","));
    let cases = [
        ("flood", flood.as_str()),
        (
            "switching",
            r#"{"status":101,"headers":{"Upgrade":"websocket"}}"#,
        ),
        ("continue", r#"{"status":100}"#),
        ("early-hints", r#"{"status":103,"headers":{"Link":"</a>"}}"#),
    ];
    let mut config = BASE.to_string();
    for (name, stdout) in cases {
        config += &function(name, &printer(dir, name, stdout), &format!("/{name}"), "");
    }
    let injected = r#"{"status":200,"headers":{"X-Ok":"1","X-Bad":"a\r\nSet-Cookie: evil=1","Bad Name":"x"},"body":"fine"}"#;
    config += &function("inject", &printer(dir, "inject", injected), "/inject", "");
    let s = Server::start(&config);

    for (name, _) in cases {
        let mut conn = Conn::open(s.http);
        let r = conn
            .send("GET", &format!("/{name}"), &[], b"")
            .unwrap_or_else(|e| panic!("/{name}: the connection failed: {e}"));
        assert_eq!(
            (r.status, r.json()["error"].as_str()),
            (502, Some("bad_output")),
            "/{name}"
        );
        // The connection is still good.
        assert_eq!(conn.send("GET", "/inject", &[], b"").unwrap().status, 200);
    }
    let r = s.get("/inject");
    assert_eq!((r.status, r.text().as_str()), (200, "fine"));
    assert_eq!(r.header("x-ok"), Some("1"));
    assert_eq!(r.header("set-cookie"), None, "no header injection");
    assert_eq!(r.header("x-bad"), None);

    let m = s.metrics();
    for (name, _) in cases {
        let bad = format!("jinn_invocations_total{{function=\"{name}\",outcome=\"bad_output\"}}");
        let ok = format!("jinn_invocations_total{{function=\"{name}\",outcome=\"ok\"}}");
        assert_eq!(support::metric_value(&m, &bad), 1.0, "{name}");
        assert_eq!(support::metric_value(&m, &ok), 0.0, "{name}");
    }
    assert_eq!(
        support::metric_value(&m, "jinn_panics_total{listener=\"http\"}"),
        0.0
    );
    // Every connection was closed by its client: the gauge is back to zero.
    assert_eq!(
        wait_metric(&s, "jinn_http_connections", 0.0, Duration::from_secs(5)),
        0.0
    );
}

#[test]
fn guest_output_stays_out_of_logs_and_snapshots() {
    let guests = tempfile::tempdir().unwrap();
    let leak = r#"{"status":"s3cr3t-stdout-value-0123456789"}"#;
    let config = BASE.to_string()
        + &function(
            "leaky",
            &printer(guests.path(), "leaky", leak),
            "/leaky",
            "record_crashes = true",
        );
    let s = Server::start(&config);
    let r = s.get("/leaky");
    assert_eq!(
        (r.status, r.json()["error"].as_str()),
        (502, Some("bad_output"))
    );
    assert!(s.wait_log("crash snapshot written", Duration::from_secs(5)));
    assert!(
        s.log_text().contains("invalid type: string \"…\""),
        "{}",
        s.log_text()
    );
    assert!(!s.log_text().contains("s3cr3t"), "{}", s.log_text());
    let crashes = s.dir.path().join("jinn-data/crashes");
    for file in std::fs::read_dir(&crashes).unwrap() {
        let text = std::fs::read_to_string(file.unwrap().path()).unwrap();
        assert!(text.contains("bad_output"));
        assert!(!text.contains("s3cr3t"), "{text}");
    }
}
