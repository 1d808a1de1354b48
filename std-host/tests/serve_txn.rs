//! One transaction per call on `jinn serve`: exact counts under
//! concurrency, failed calls keep nothing, sleeping calls commit at their
//! end and run again within their deadline, outbox quotas per function.

mod support;

use std::time::{Duration, Instant};

use support::*;

fn counter_config(workers: u32) -> String {
    format!(
        "{BASE}[pool]\nworkers = {workers}\nqueue = 64\n{}{}",
        kv_counter(),
        function(
            "write-then-trap",
            &guest("write-then-trap.wat"),
            "/write-then-trap",
            "[function.permissions]\nkv_write = [\"counter/*\"]\npublish = [\"alerts/#\"]\n",
        ),
    )
}

#[test]
fn the_counter_counts_exactly_under_16_concurrent_clients() {
    const CLIENTS: usize = 16;
    const EACH: usize = 40;
    let server = Server::start(&counter_config(4));
    let addr = server.http;
    let clients: Vec<_> = (0..CLIENTS)
        .map(|_| {
            std::thread::spawn(move || {
                let mut conn = Conn::open(addr);
                let mut statuses = Vec::new();
                for _ in 0..EACH {
                    let r = conn
                        .send("GET", "/kv-counter?name=race", &[], b"")
                        .expect("an answer");
                    statuses.push((r.status, r.json()["error"].as_str().map(String::from)));
                }
                statuses
            })
        })
        .collect();
    let statuses: Vec<_> = clients
        .into_iter()
        .flat_map(|c| c.join().unwrap())
        .collect();
    let ok = statuses.iter().filter(|(s, _)| *s == 200).count();
    let refused: Vec<_> = statuses.iter().filter(|(s, _)| *s != 200).collect();
    // Only a call that kept conflicting may be refused, as `conflict`.
    assert!(
        refused
            .iter()
            .all(|(s, e)| *s == 503 && e.as_deref() == Some("conflict")),
        "{refused:?}"
    );
    let last = server.get("/kv-counter?name=race").json();
    let stored = last["count"].as_u64().unwrap() - 1;
    let reruns = server.metric("jinn_reruns_total{function=\"kv-counter\"}");
    println!(
        "{CLIENTS} clients × {EACH}: {ok} answered 200, {} conflict, stored count {stored}, {reruns} re-runs",
        refused.len()
    );
    assert_eq!(stored, ok as u64, "every 200 counted once, nothing else");
}

#[test]
fn a_failed_call_commits_nothing() {
    let server = Server::start(&counter_config(2));
    let r = server.get("/write-then-trap");
    assert_eq!(r.status, 500);
    assert_eq!(r.json()["error"], "trap");
    // Had the write been kept, the counter would go on from 41.
    let count = server.get("/kv-counter?name=probe").json();
    assert_eq!(count["count"], 1);
    assert_eq!(server.metric("jinn_outbox_messages"), 0.0);
}

#[test]
fn a_function_filling_its_outbox_share_leaves_the_others_theirs() {
    let permit = "[function.permissions]\npublish = [\"alerts/#\"]\n";
    let config = format!(
        "{BASE}[outbox]\nmax_messages = 100\nmax_bytes = \"1MiB\"\nfunction_messages = 5\nfunction_bytes = \"100KiB\"\n{}{}",
        function("noisy", &guest("publish.wat"), "/noisy", permit),
        function("quiet", &guest("publish.wat"), "/quiet", permit),
    );
    let server = Server::start(&config);
    let answers: String = (0..7).map(|_| server.get("/noisy").text()).collect();
    assert_eq!(
        answers, "0000033",
        "five accepted, then -3: the share is full"
    );
    assert_eq!(
        server.get("/quiet").text(),
        "0",
        "the other function still publishes"
    );
    assert_eq!(server.metric("jinn_outbox_messages"), 6.0);
    assert!(server.wait_log("the outbox is full", Duration::from_secs(2)));
}

/// One worker, `slow-increment` (read, sleep 600 ms, write) with `timeout`,
/// and `kv-counter` to read the stored digit.
fn slow_config(timeout: &str) -> String {
    format!(
        "{BASE}[pool]\nworkers = 1\n{}{}",
        kv_counter(),
        function(
            "slow",
            &guest("slow-increment.wat"),
            "/slow",
            &format!(
                "limits = {{ timeout = \"{timeout}\" }}\n[function.permissions]\nkv_read = [\"counter/*\"]\nkv_write = [\"counter/*\"]\n"
            ),
        ),
    )
}

/// Two overlapping calls of `/slow`, the second 150 ms after the first:
/// both read the missing key before either commits. Returns both answers
/// and how long the second took.
fn overlapping(server: &Server) -> (Resp, Resp, Duration) {
    let addr = server.http;
    let first = std::thread::spawn(move || request(addr, "GET", "/slow", &[], b""));
    std::thread::sleep(Duration::from_millis(150));
    let started = Instant::now();
    let second = request(addr, "GET", "/slow", &[], b"");
    (first.join().unwrap(), second, started.elapsed())
}

#[test]
fn a_sleeping_call_whose_read_changed_runs_again_and_counts_once() {
    let server = Server::start(&slow_config("5s"));
    let (first, second, took) = overlapping(&server);
    assert_eq!((first.status, first.text()), (200, "1".into()));
    // The second read "missing" while the first slept; the first committed
    // "1" before the second woke: the second ran again, sleeping again.
    assert_eq!((second.status, second.text()), (200, "2".into()));
    assert!(took >= Duration::from_millis(1200), "took {took:?}");
    assert_eq!(server.metric("jinn_reruns_total{function=\"slow\"}"), 1.0);
    let count = server.get("/kv-counter?name=slept").json();
    assert_eq!(count["count"], 3, "stored 2, then kv-counter's increment");
}

#[test]
fn a_re_run_keeps_the_call_s_deadline() {
    // 1 s: the second call's re-run would sleep past it (150 + 600 + 600 ms).
    let server = Server::start(&slow_config("1s"));
    let (first, second, took) = overlapping(&server);
    assert_eq!((first.status, first.text()), (200, "1".into()));
    assert_eq!(second.status, 504, "{}", second.text());
    assert_eq!(second.json()["error"], "timeout");
    assert!(took < Duration::from_millis(1500), "took {took:?}");
    assert_eq!(server.metric("jinn_reruns_total{function=\"slow\"}"), 1.0);
    let count = server.get("/kv-counter?name=slept").json();
    assert_eq!(count["count"], 2, "only the first call's write was kept");
}
