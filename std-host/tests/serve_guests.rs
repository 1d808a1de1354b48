//! Guests in other languages behind `jinn serve`: a standard Go function
//! that sleeps without holding a worker, panics into a 500 with its message
//! in the log, runs out of memory as `memory_limit` and reads Gojinn KV
//! values cut to its buffer; Zig and AssemblyScript hello/echo; directory
//! mounts.

mod support;

use std::time::{Duration, Instant};

use support::*;

fn go_config(extra_functions: &str) -> String {
    BASE.to_string()
        + "[pool]\nworkers = 1\nqueue = 8\n"
        + &function(
            "go",
            &example("go-kv"),
            "/go",
            "permissions = { kv_read = [\"*\"], kv_write = [\"*\"] }\nlimits = { timeout = \"3s\" }",
        )
        + &function(
            "go-small",
            &example("go-kv"),
            "/go-small",
            "limits = { memory = \"3MiB\" }",
        )
        + &function("zig", &example("zig-hello"), "/zig", "")
        + extra_functions
}

#[test]
fn a_sleeping_go_function_frees_the_only_worker() {
    let s = Server::start(&go_config(""));
    let addr = s.http;
    let sleeper = std::thread::spawn(move || {
        let started = Instant::now();
        let r = request(addr, "POST", "/go", &[], b"SLEEP 1500");
        (r, started.elapsed())
    });
    std::thread::sleep(Duration::from_millis(400));
    // One worker, and the Go call sleeps for 1.5 s: another call still runs now.
    let started = Instant::now();
    let hello = s.get("/zig");
    let waited = started.elapsed();
    assert_eq!(hello.text(), "Hello from Zig");
    assert!(waited < Duration::from_millis(900), "waited {waited:?}");
    let (slept, took) = sleeper.join().unwrap();
    assert_eq!(slept.status, 200, "{}", slept.text());
    let body = slept.json();
    assert_eq!(body["asked_ms"], 1500);
    assert!(body["slept_ms"].as_u64().unwrap() >= 1500, "{body}");
    assert!(took >= Duration::from_millis(1500));

    // A sleep past the function's timeout (3 s) ends at the deadline.
    let started = Instant::now();
    let r = request(s.http, "POST", "/go", &[], b"SLEEP 60000");
    assert_eq!(r.status, 504);
    assert_eq!(r.json()["error"], "timeout");
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[test]
fn go_panics_memory_and_kv_behave_as_under_gojinn() {
    let s = Server::start(&go_config(""));
    // A panic: 500, and the user's panic message in the log.
    let r = request(
        s.http,
        "POST",
        "/go",
        &[("X-Request-ID", "go-panic")],
        b"nonsense",
    );
    assert_eq!(r.status, 500);
    assert_eq!(r.json()["error"], "exit_code");
    assert!(
        s.wait_log("panic: bad request", Duration::from_secs(5)),
        "{}",
        s.log_text()
    );
    let log = s.log_text();
    let line = log
        .lines()
        .find(|l| l.contains("panic: bad request"))
        .unwrap();
    assert!(line.contains("trace_id=\"go-panic\""), "{line}");

    // Out of memory: memory_limit, not exit_code.
    let r = request(s.http, "POST", "/go-small", &[], b"SLEEP 1");
    assert_eq!(r.status, 500);
    assert_eq!(r.json()["error"], "memory_limit");

    // A 5,000-byte value read with Gojinn's 1,024-byte buffer comes back cut.
    let value: String = "x".repeat(1000) + &"y".repeat(4000);
    let r = request(
        s.http,
        "POST",
        "/go",
        &[],
        format!("SET big {value}").as_bytes(),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    let r = request(s.http, "POST", "/go", &[], b"GET big");
    assert_eq!(r.status, 200);
    assert_eq!(r.text(), format!("Found: {}", &value[..1024]));
    // It set no Content-Type: sniffed as Go's net/http does.
    assert_eq!(r.header("content-type"), Some("text/plain; charset=utf-8"));
}

#[test]
fn zig_and_assemblyscript_functions() {
    let extra = function("zig-echo", &example("zig-echo"), "/zig-echo", "")
        + &function("as-hello", &example("as-hello"), "/as", "")
        + &function("as-echo", &example("as-echo"), "/as-echo", "");
    let s = Server::start(&go_config(&extra));
    assert_eq!(s.get("/as").text(), "Hello from AssemblyScript");
    for path in ["/zig-echo/x?y=1", "/as-echo/x?y=1"] {
        let r = request(
            s.http,
            "POST",
            path,
            &[("X-Thing", "é")],
            "body \"quoted\"\n".as_bytes(),
        );
        assert_eq!(r.status, 200, "{path}: {}", r.text());
        assert_eq!(r.header("content-type"), Some("application/json"));
        let envelope: serde_json::Value = serde_json::from_str(&r.text()).unwrap();
        assert_eq!(envelope["method"], "POST", "{path}");
        assert_eq!(envelope["uri"], path);
        assert_eq!(envelope["body"], "body \"quoted\"\n");
        assert_eq!(envelope["headers"]["X-Thing"][0], "é");
    }
}

#[test]
fn functions_read_their_mounts_and_nothing_else() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    std::fs::create_dir(&data).unwrap();
    std::fs::write(data.join("hello.txt"), "from a mount").unwrap();
    std::fs::write(dir.path().join("secret.txt"), "secret").unwrap();
    std::os::unix::fs::symlink("../secret.txt", data.join("up")).unwrap();
    let probe = |name: &str, path: &str| {
        function(
            name,
            &example("wasi-probe"),
            &format!("/{name}"),
            &format!(
                "args = [\"wasi-probe\", \"respond\", \"{path}\"]\nmounts = [{{ host = \"data\", guest = \"/data\" }}]"
            ),
        )
    };
    let config = BASE.to_string() + &probe("inside", "/data/hello.txt") + &probe("out", "/data/up");
    let s = Server::start_with(&config, dir, &[]);
    let r = s.get("/inside");
    assert_eq!((r.status, r.text()), (200, "from a mount".to_string()));
    let r = s.get("/out");
    assert_eq!(
        (r.status, r.text()),
        (500, "errno 76".to_string()),
        "ENOTCAPABLE"
    );
}

#[test]
fn a_call_that_slept_replays_without_waiting_and_to_the_same_fuel() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    // 29 M fuel: the Go runtime starts (~23 M), the guest sleeps 1 s, then
    // runs out of fuel building its answer.
    let config = format!("data_dir = \"{}\"\n{BASE}", data.display())
        + &function(
            "go",
            &example("go-kv"),
            "/go",
            "record_crashes = true\nlimits = { fuel = 29_000_000, timeout = \"10s\" }",
        );
    let s = Server::start(&config);
    let started = Instant::now();
    let r = request(s.http, "POST", "/go", &[], b"SLEEP 1000");
    assert_eq!(r.status, 504, "{}", r.text());
    assert_eq!(r.json()["error"], "fuel_exhausted");
    assert!(started.elapsed() >= Duration::from_millis(1000), "it slept");
    let crashes: Vec<_> = std::fs::read_dir(data.join("crashes"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(crashes.len(), 1);
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_jinn"))
        .args(["replay", crashes[0].to_str().unwrap()])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    let report: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(report["reproduced"], true, "{text}");
    assert_eq!(
        report["replayed"]["fuel_used"],
        report["recorded"]["fuel_used"]
    );
}
