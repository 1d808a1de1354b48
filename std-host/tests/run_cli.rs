//! `jinn run` end to end: the real binary on the example and hostile guests.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

use serde_json::Value;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// A built example guest; the README's test command builds them first.
#[track_caller]
fn example(name: &str) -> PathBuf {
    let path = root().join("examples/wasm").join(format!("{name}.wasm"));
    assert!(
        path.exists(),
        "{} is missing: build the guests with scripts/build-examples.sh",
        path.display()
    );
    path
}

fn hostile(name: &str) -> PathBuf {
    root().join("examples/hostile").join(format!("{name}.wat"))
}

/// `jinn ARGS` with stdin, stdout and stderr piped.
fn spawn(args: &[&str]) -> Child {
    Command::new(env!("CARGO_BIN_EXE_jinn"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("jinn starts")
}

fn jinn(args: &[&str], stdin: Option<&[u8]>) -> Output {
    let mut child = spawn(args);
    let mut pipe = child.stdin.take().unwrap();
    if let Some(bytes) = stdin {
        pipe.write_all(bytes).unwrap();
    }
    drop(pipe);
    child.wait_with_output().unwrap()
}

/// `jinn run MODULE --report ARGS…` → (exit code, report).
#[track_caller]
fn report(module: &Path, args: &[&str]) -> (i32, Value) {
    let mut all = vec!["run", module.to_str().unwrap(), "--report"];
    all.extend_from_slice(args);
    let out = jinn(&all, None);
    let report: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "report is JSON ({e}): {}\nstderr: {}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out.status.code().unwrap(), report)
}

fn body(report: &Value) -> &str {
    report["response"]["body"].as_str().unwrap()
}

#[test]
fn hello_answers() {
    let (code, r) = report(&example("hello"), &[]);
    assert_eq!(code, 0);
    assert_eq!(r["outcome"], "ok");
    assert_eq!(r["http_status"], 200);
    assert_eq!(r["error"], Value::Null);
    assert_eq!(body(&r), "Hello from Jinn\n");
    assert_eq!(
        r["response"]["headers"]["Content-Type"][0],
        "text/plain; charset=utf-8"
    );
    assert!(r["fuel_used"].as_u64().unwrap() > 1000);
}

#[test]
fn without_report_prints_the_normalised_response() {
    let out = jinn(&["run", example("hello").to_str().unwrap()], None);
    assert_eq!(out.status.code(), Some(0));
    let response: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(response["status"], 200);
    assert_eq!(response["body"], "Hello from Jinn\n");
}

#[test]
fn each_failure_reports_its_kind_and_status() {
    let cases: &[(PathBuf, &[&str], &str, u64)] = &[
        (
            example("fuel-burner"),
            &["--fuel", "2000000"],
            "fuel_exhausted",
            504,
        ),
        (
            hostile("memory-hog"),
            &["--memory", "1MiB"],
            "memory_limit",
            500,
        ),
        (
            example("hello"),
            &["--memory", "64KiB"],
            "memory_limit",
            500,
        ),
        (hostile("unreachable"), &[], "trap", 500),
        (hostile("deep-recursion"), &[], "trap", 500),
        (hostile("bad-pointer"), &[], "trap", 500),
        (hostile("exit-code"), &[], "exit_code", 500),
        (hostile("bad-output"), &[], "bad_output", 502),
        (hostile("empty-output"), &[], "empty_output", 502),
        (hostile("output-flood"), &[], "output_too_large", 502),
        (hostile("invalid-module"), &[], "invalid_module", 500),
        (hostile("missing-import"), &[], "missing_import", 500),
    ];
    for (module, args, outcome, status) in cases {
        let (code, r) = report(module, args);
        let name = module.file_name().unwrap().to_string_lossy();
        assert_eq!(r["outcome"], *outcome, "{name}: {r}");
        assert_eq!(r["http_status"], *status, "{name}");
        assert_eq!(code, 1, "{name}: a failed invocation exits 1");
        assert_eq!(r["response"], Value::Null, "{name}");
        assert!(r["error"].as_str().is_some_and(|e| !e.is_empty()), "{name}");
    }
}

/// A refused grow retried a million times used to abort the process (native
/// stack overflow under wasmi's tail-call dispatch); it now runs to its end.
#[test]
fn refused_grows_retried_a_million_times_leave_the_host_alive() {
    for name in ["grow-retry", "table-grow-retry"] {
        let (code, r) = report(&hostile(name), &[]);
        assert_eq!(code, 0, "{name}: {r}");
        assert_eq!(r["outcome"], "ok", "{name}");
        assert_eq!(r["response"]["body"], "still here", "{name}");
        assert!(r["fuel_used"].as_u64().unwrap() > 1_000_000, "{name}: {r}");
    }
}

#[test]
fn trap_messages_name_the_trap() {
    let (_, r) = report(&hostile("deep-recursion"), &[]);
    assert_eq!(r["error"], "trap: stack overflow");
    let (_, r) = report(&hostile("unreachable"), &[]);
    assert_eq!(r["error"], "trap: unreachable executed");
    let (_, r) = report(&hostile("missing-import"), &[]);
    assert_eq!(
        r["error"],
        "missing import: `env.sql_query` is not provided"
    );
}

#[test]
fn request_problems() {
    let dir = tempfile::tempdir().unwrap();
    let big = dir.path().join("big.json");
    let envelope = format!(
        r#"{{"method":"POST","uri":"/","body":"{}"}}"#,
        "x".repeat(2 << 20)
    );
    std::fs::write(&big, envelope).unwrap();
    let (code, r) = report(&example("hello"), &["--input", big.to_str().unwrap()]);
    assert_eq!(
        (code, &r["outcome"], &r["http_status"]),
        (1, &"input_too_large".into(), &413.into())
    );

    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, "{\"method\": ").unwrap();
    let (code, r) = report(&example("hello"), &["--input", bad.to_str().unwrap()]);
    assert_eq!(
        (code, &r["outcome"], &r["http_status"]),
        (1, &"bad_request".into(), &400.into())
    );
}

#[test]
fn input_from_stdin_and_binary_bodies_round_trip() {
    let envelope = br#"{"method":"PUT","uri":"/b?x=1","headers":{"Content-Type":"application/octet-stream","X-Many":["a","b"]},"body":"AP8QgoB+","body_encoding":"base64","trace_id":"t-1"}"#;
    let echo = example("echo");
    let out = jinn(
        &["run", echo.to_str().unwrap(), "--input", "-", "--report"],
        Some(envelope),
    );
    assert_eq!(out.status.code(), Some(0));
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    let resp = &r["response"];
    assert_eq!(resp["body"], "AP8QgoB+");
    assert_eq!(resp["body_encoding"], "base64");
    assert_eq!(resp["headers"]["X-Echo-Method"][0], "PUT");
    assert_eq!(resp["headers"]["X-Echo-Uri"][0], "/b?x=1");
    assert_eq!(resp["headers"]["X-Echo-Trace-Id"][0], "t-1");
    assert_eq!(
        resp["headers"]["X-Echo-Header-X-Many"],
        serde_json::json!(["a", "b"])
    );
}

#[test]
fn unicode_bodies_round_trip() {
    let envelope = serde_json::json!({"method":"POST","uri":"/","headers":{},"body":"héllo \u{1F600} \"q\" \\ \n"});
    let out = jinn(
        &["run", example("echo").to_str().unwrap(), "--input", "-"],
        Some(envelope.to_string().as_bytes()),
    );
    let resp: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(resp["body"], envelope["body"]);
    assert!(resp.get("body_encoding").is_none());
}

#[test]
fn a_gojinn_guest_runs_unchanged_with_kv_persisted() {
    let dir = tempfile::tempdir().unwrap();
    let kv = dir.path().join("kv");
    let compat = example("gojinn-compat");
    for expected in 1..=3 {
        let (code, r) = report(&compat, &["--kv", kv.to_str().unwrap()]);
        assert_eq!(code, 0, "{r}");
        assert_eq!(body(&r), format!(r#"{{"visits":{expected}}}"#));
        assert_eq!(r["response"]["headers"]["X-Runtime"][0], "Gojinn-Rust");
    }
    // Without --kv the store is in memory: every run starts from zero.
    let (_, r) = report(&compat, &[]);
    assert_eq!(body(&r), r#"{"visits":1}"#);
}

#[test]
fn kv_counter_counts_per_name_across_runs() {
    let dir = tempfile::tempdir().unwrap();
    let kv = dir.path().to_str().unwrap();
    let input = dir.path().join("req.json");
    std::fs::write(&input, r#"{"method":"GET","uri":"/count?name=door"}"#).unwrap();
    let counter = example("kv-counter");
    for n in 1..=2 {
        let (_, r) = report(&counter, &["--kv", kv, "--input", input.to_str().unwrap()]);
        assert_eq!(body(&r), format!(r#"{{"name":"door","count":{n}}}"#));
    }
    let (_, r) = report(&counter, &["--kv", kv]);
    assert_eq!(body(&r), r#"{"name":"hits","count":1}"#);
}

#[test]
fn a_c_guest_runs() {
    let (code, r) = report(&example("c-hello"), &[]);
    assert_eq!(code, 0);
    let inner: Value = serde_json::from_str(body(&r)).unwrap();
    assert_eq!(inner["lang"], "c");
    assert!(inner["request_bytes"].as_u64().unwrap() > 10);
}

#[test]
fn sensor_alert_publishes_above_threshold() {
    let envelope = br#"{"method":"POST","uri":"/","body":"{\"sensor\":\"t1\",\"value\":42.5,\"threshold\":40}"}"#;
    let out = jinn(
        &[
            "run",
            example("sensor-alert").to_str().unwrap(),
            "--input",
            "-",
            "--report",
        ],
        Some(envelope),
    );
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(body(&r), r#"{"alert":true,"published":true}"#);
    let log = String::from_utf8_lossy(&out.stderr);
    assert!(log.contains("alerts/t1"), "the publish is logged: {log}");
}

#[test]
fn limits_and_the_deadline_come_from_the_flags() {
    let envelope = br#"{"method":"POST","uri":"/","body":"{\"sensor\":\"t1\",\"value\":42.5,\"threshold\":40}"}"#;
    let out = jinn(
        &[
            "run",
            example("sensor-alert").to_str().unwrap(),
            "--input",
            "-",
            "--report",
            "--limit",
            "topic_bytes=8",
        ],
        Some(envelope),
    );
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        body(&r),
        r#"{"alert":true,"published":false,"publish_error":"invalid_topic"}"#,
        "alerts/t1 is 9 bytes"
    );

    let burner = example("fuel-burner");
    let (code, r) = report(&burner, &["--fuel", "100000000000", "--timeout", "100ms"]);
    assert_eq!((code, r["outcome"].as_str()), (1, Some("timeout")));
}

#[test]
fn env_reaches_the_guest() {
    let module = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/guests/print-env.wat");
    let (code, r) = report(&module, &["--env", "MODE=edge", "--env", "EMPTY="]);
    assert_eq!(code, 0);
    assert_eq!(r["stderr"], "MODE=edge\0EMPTY=\0");
}

#[test]
fn fuel_is_reproducible_across_processes() {
    let runs: Vec<u64> = (0..3)
        .map(|_| {
            report(&example("echo"), &[]).1["fuel_used"]
                .as_u64()
                .unwrap()
        })
        .collect();
    assert!(runs.windows(2).all(|w| w[0] == w[1]), "{runs:?}");
}

#[test]
fn usage_errors_exit_2() {
    let hello = example("hello");
    let hello = hello.to_str().unwrap();
    for args in [
        vec!["run", "/nonexistent/module.wasm"],
        vec!["run", hello, "--fuel", "lots"],
        vec!["run", hello, "--memory", "12 parsecs"],
        vec!["run", hello, "--env", "NOEQUALS"],
        vec!["run", hello, "--limit", "no_such_limit=1"],
        vec!["run", hello, "--limit", "publish_bytes"],
        vec!["run", hello, "--timeout", "soon"],
        vec!["run", hello, "--input", "/nonexistent/input.json"],
        vec!["run"],
    ] {
        let out = jinn(&args, None);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(out.stdout.is_empty(), "{args:?}");
    }
}

#[test]
fn stdin_is_read_no_further_than_its_cap() {
    // An endless request on stdin: `jinn run` stops reading past the stdin
    // cap (1 MiB) and reports input_too_large, without waiting for its end.
    let hello = example("hello");
    let mut child = spawn(&["run", hello.to_str().unwrap(), "--input", "-", "--report"]);
    let mut pipe = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || {
        let block = vec![b' '; 64 * 1024];
        let mut written = 0usize;
        // Up to 1 GiB; stops when jinn closes its end.
        while written < 1 << 30 && pipe.write_all(&block).is_ok() {
            written += block.len();
        }
        written
    });
    let started = std::time::Instant::now();
    let out = child.wait_with_output().unwrap();
    let written = writer.join().unwrap();
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        (out.status.code(), &r["outcome"], &r["http_status"]),
        (Some(1), &"input_too_large".into(), &413.into())
    );
    assert!(written < 8 << 20, "{written} bytes taken from stdin");
    assert!(started.elapsed().as_secs() < 10, "{:?}", started.elapsed());
}
