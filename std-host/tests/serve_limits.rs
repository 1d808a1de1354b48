//! `jinn serve` under pressure: a full queue answers 503, a spent fuel
//! quota answers 429, calls that never end leave the others served.

mod support;

use std::time::{Duration, Instant};

use support::{BASE, Server, example, function, hostile, request, spinner, wait_metric};

#[test]
fn spinning_calls_leave_the_runtime_threads_serving() {
    // Twice as many guests that never end as the machine has cores, all
    // running at once: a short call is still answered while they all run.
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let spinners = 2 * cores;
    let config = BASE.to_string()
        + &format!("[pool]\nworkers = {}\nqueue = 0\n", spinners + 1)
        + &spinner("20s")
        + &function("hello", &example("hello"), "/hello", "");
    let s = Server::start(&config);
    let addr = s.http;
    let busy: Vec<_> = (0..spinners)
        .map(|_| std::thread::spawn(move || request(addr, "GET", "/spin", &[], b"")))
        .collect();
    assert_eq!(
        wait_metric(
            &s,
            "jinn_in_flight",
            spinners as f64,
            Duration::from_secs(10)
        ),
        spinners as f64
    );
    let r = s.get("/hello");
    assert_eq!(r.status, 200);
    assert_eq!(
        s.metric("jinn_in_flight"),
        spinners as f64,
        "every spinner still ran while /hello was answered"
    );
    drop(s);
    for b in busy {
        let _ = b.join();
    }
}

#[test]
fn overload_answers_503_with_retry_after() {
    let config = BASE.to_string()
        + "[pool]\nworkers = 1\nqueue = 0\nretry_after = \"2s\"\n"
        + &spinner("1500ms")
        + &function("hello", &example("hello"), "/hello", "");
    let s = Server::start(&config);
    let addr = s.http;
    let busy = std::thread::spawn(move || request(addr, "GET", "/spin", &[], b""));
    let started = Instant::now();
    while s.metric("jinn_in_flight") < 1.0 {
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "the call started"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    let r = s.get("/hello");
    assert_eq!(r.status, 503);
    assert_eq!(r.header("retry-after"), Some("2"));
    assert_eq!(r.json()["error"], "overloaded");
    let r = busy.join().unwrap();
    assert_eq!(
        (r.status, r.json()["error"].as_str()),
        (504, Some("timeout"))
    );
    assert_eq!(
        s.metric("jinn_rejected_total{function=\"hello\",reason=\"overloaded\"}"),
        1.0
    );
    assert_eq!(
        s.get("/hello").status,
        200,
        "served again once a worker is free"
    );
}

#[test]
fn quota_answers_429_once_spent() {
    // hello uses about 30,000 fuel a call: the second call overdraws the
    // 50,000 bucket, the third is refused until it refills (an hour).
    let config = BASE.to_string()
        + &function(
            "hello",
            &example("hello"),
            "/hello",
            "quota = { fuel = 50_000, window = \"1h\" }",
        )
        + &function("echo", &example("echo"), "/echo", "");
    let s = Server::start(&config);
    let statuses: Vec<u16> = (0..3).map(|_| s.get("/hello").status).collect();
    assert_eq!(statuses, [200, 200, 429]);
    let r = s.get("/hello");
    assert_eq!(
        (r.status, r.json()["error"].as_str()),
        (429, Some("quota_exceeded"))
    );
    let wait: u64 = r.header("retry-after").unwrap().parse().unwrap();
    assert!(wait > 60 && wait <= 3600, "{wait}");
    assert_eq!(
        s.get("/echo").status,
        200,
        "other functions are not affected"
    );
    assert!(s.metric("jinn_quota_fuel_remaining{function=\"hello\"}") < 0.0);
    assert_eq!(
        s.metric("jinn_rejected_total{function=\"hello\",reason=\"quota_exceeded\"}"),
        2.0
    );
    assert_eq!(
        s.metric("jinn_invocations_total{function=\"hello\",outcome=\"ok\"}"),
        2.0
    );
}

/// One unauthenticated GET of a guest that retries a refused grow a million
/// times used to abort the gateway; now every route keeps answering.
#[test]
fn refused_grow_loops_leave_the_gateway_serving() {
    let mut config = BASE.to_string();
    config += &function("grow", &hostile("grow-retry"), "/grow", "");
    config += &function("table", &hostile("table-grow-retry"), "/table", "");
    config += &function("echo", &example("echo"), "/echo", "");
    let s = Server::start(&config);
    for path in ["/grow", "/table", "/grow"] {
        let r = request(s.http, "GET", path, &[], b"");
        assert_eq!((r.status, r.text().as_str()), (200, "still here"), "{path}");
    }
    let r = request(s.http, "POST", "/echo", &[], b"alive");
    assert_eq!(r.status, 200);
    let mut s = s;
    assert_eq!(
        s.wait_exit(Duration::from_millis(100)),
        None,
        "the gateway process is still up"
    );
}
