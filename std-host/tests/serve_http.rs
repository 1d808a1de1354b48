//! `jinn serve` over real HTTP: the default config, every error status,
//! request limits, API keys, CORS, trace ids, the admin listener, `jinn check`.

mod support;

use std::io::{Read, Write};
use std::time::{Duration, Instant};

use support::{BASE, Conn, Server, example, function, guest, hostile, jinn, request};

#[test]
fn default_config_serves_the_examples() {
    for name in [
        "hello",
        "echo",
        "kv-counter",
        "sensor-alert",
        "fuel-burner",
        "gojinn-compat",
        "c-hello",
    ] {
        example(name);
    }
    let s = Server::start_default();
    let r = s.get("/hello");
    assert_eq!((r.status, r.text().as_str()), (200, "Hello from Jinn\n"));
    assert_eq!(r.header("content-type"), Some("text/plain; charset=utf-8"));

    let r = request(
        s.http,
        "PUT",
        "/echo/a?b=1",
        &[
            (
                "traceparent",
                "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            ),
            ("X-Many", "a"),
        ],
        b"payload",
    );
    assert_eq!(r.status, 200);
    assert_eq!(r.text(), "payload");
    assert_eq!(r.header("x-echo-method"), Some("PUT"));
    assert_eq!(r.header("x-echo-uri"), Some("/echo/a?b=1"));
    assert_eq!(
        r.header("x-echo-trace-id"),
        Some("4bf92f3577b34da6a3ce929d0e0e4736")
    );
    assert_eq!(
        r.header("x-trace-id"),
        Some("4bf92f3577b34da6a3ce929d0e0e4736")
    );
    assert_eq!(r.header("x-echo-header-x-many"), Some("a"));

    for n in 1..=2 {
        let r = s.get("/kv-counter?name=door");
        assert_eq!(r.text(), format!(r#"{{"name":"door","count":{n}}}"#));
    }
    let r = request(
        s.http,
        "POST",
        "/sensor-alert",
        &[],
        br#"{"sensor":"t1","value":42.5,"threshold":40}"#,
    );
    assert_eq!(r.text(), r#"{"alert":true,"published":true}"#);
    let r = s.get("/sensor-alert");
    assert_eq!((r.status, r.header("allow")), (405, Some("POST")));
    assert_eq!(s.get("/gojinn-compat").text(), r#"{"visits":1}"#);
    assert_eq!(s.get("/c-hello").json()["lang"], "c");
    let r = s.get("/fuel-burner?iterations=1000");
    assert_eq!(r.json()["iterations"], 1000);
    let r = s.get("/nothing-here");
    assert_eq!(
        (r.status, r.json()["error"].as_str()),
        (404, Some("not_found"))
    );

    let m = s.metrics();
    let v = |series: &str| support::metric_value(&m, series);
    assert_eq!(
        v("jinn_invocations_total{function=\"kv-counter\",outcome=\"ok\"}"),
        2.0
    );
    assert_eq!(
        v("jinn_kv_operations_total{function=\"kv-counter\",op=\"write\"}"),
        2.0
    );
    assert_eq!(v("jinn_published_total{function=\"sensor-alert\"}"), 1.0);
    assert_eq!(v("jinn_outbox_messages"), 1.0);
    assert_eq!(v("jinn_functions"), 7.0);
    assert!(v("jinn_fuel_used_total{function=\"hello\"}") > 1000.0);
    assert_eq!(
        v("jinn_invocation_duration_seconds_count{function=\"echo\"}"),
        1.0
    );
    assert_eq!(
        v("jinn_invocation_fuel_count{function=\"fuel-burner\"}"),
        1.0
    );
    assert_eq!(v("jinn_not_found_total"), 1.0);
    assert!(m.contains("jinn_quota_fuel_remaining{function=\"fuel-burner\"}"));
}

fn error_config() -> String {
    let mut c = BASE.replace("[http]\n", "[http]\nmax_body = \"64KiB\"\n");
    c += &function("trap", &hostile("unreachable"), "/trap", "");
    c += &function(
        "memory",
        &hostile("memory-hog"),
        "/memory",
        "limits = { memory = \"1MiB\" }",
    );
    c += &function("exit", &hostile("exit-code"), "/exit", "");
    c += &function("bad-output", &hostile("bad-output"), "/bad-output", "");
    c += &function(
        "empty-output",
        &hostile("empty-output"),
        "/empty-output",
        "",
    );
    c += &function(
        "flood",
        &hostile("output-flood"),
        "/flood",
        "limits = { stdout = \"64KiB\" }",
    );
    c += &function(
        "fuel",
        &example("fuel-burner"),
        "/fuel",
        "limits = { fuel = 2_000_000 }",
    );
    c += &function(
        "slow",
        &example("fuel-burner"),
        "/slow",
        "limits = { fuel = 1_000_000_000_000, timeout = \"300ms\" }",
    );
    c += &function(
        "small-stdin",
        &example("echo"),
        "/small-stdin",
        "limits = { stdin = \"1KiB\" }",
    );
    c += &function("echo", &example("echo"), "/echo", "");
    c
}

#[test]
fn every_error_status_has_a_small_json_body() {
    let s = Server::start(&error_config());
    let cases: &[(&str, &str, usize, u16, &str)] = &[
        ("GET", "/trap", 0, 500, "trap"),
        ("GET", "/memory", 0, 500, "memory_limit"),
        ("GET", "/exit", 0, 500, "exit_code"),
        ("GET", "/bad-output", 0, 502, "bad_output"),
        ("GET", "/empty-output", 0, 502, "empty_output"),
        ("GET", "/flood", 0, 502, "output_too_large"),
        ("GET", "/fuel", 0, 504, "fuel_exhausted"),
        ("GET", "/slow", 0, 504, "timeout"),
        ("POST", "/small-stdin", 2048, 413, "input_too_large"),
        ("POST", "/echo", 65 * 1024, 413, "body_too_large"),
        ("GET", "/missing", 0, 404, "not_found"),
    ];
    for (method, path, body, status, kind) in cases {
        let started = Instant::now();
        let r = request(s.http, method, path, &[], &vec![b'x'; *body]);
        assert_eq!(r.status, *status, "{path}: {}", r.text());
        let json = r.json();
        assert_eq!(json["error"], *kind, "{path}");
        let keys: Vec<&String> = json.as_object().unwrap().keys().collect();
        assert_eq!(
            keys,
            ["error", "trace_id"],
            "{path}: only the kind and trace id"
        );
        assert_eq!(r.header("content-type"), Some("application/json"));
        let text = r.text();
        for leak in ["wasm", "wat", "/", "unreachable", "limit"] {
            let rest = text
                .replace(json["trace_id"].as_str().unwrap(), "")
                .replace(kind, "");
            assert!(!rest.contains(leak), "{path} leaks {leak:?}: {text}");
        }
        if *kind == "timeout" {
            assert!(
                started.elapsed() < Duration::from_secs(5),
                "the deadline stopped it"
            );
        }
    }
    // A body over the cap without Content-Length (chunked) is cut off too.
    let mut conn = std::net::TcpStream::connect(s.http).unwrap();
    conn.write_all(b"POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n")
        .unwrap();
    let chunk = vec![b'y'; 16 * 1024];
    // The gateway may answer and close as soon as the cap is passed: what
    // is written after that fails, and the answer is still there to read.
    let mut body = Vec::new();
    for _ in 0..5 {
        body.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
        body.extend_from_slice(&chunk);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(b"0\r\n\r\n");
    let _ = conn.write_all(&body);
    let mut reader = std::io::BufReader::new(conn);
    let r = support::read_response(&mut reader).unwrap();
    assert_eq!(
        (r.status, r.json()["error"].as_str()),
        (413, Some("body_too_large"))
    );

    let m = s.metrics();
    assert_eq!(
        support::metric_value(
            &m,
            "jinn_invocations_total{function=\"slow\",outcome=\"timeout\"}"
        ),
        1.0
    );
    assert_eq!(
        support::metric_value(
            &m,
            "jinn_rejected_total{function=\"echo\",reason=\"body_too_large\"}"
        ),
        2.0
    );
    // Failures are logged with the function and trace id.
    assert!(s.wait_log("call failed", Duration::from_secs(2)));
    assert!(s.log_text().contains("function=\"trap\""));
}

#[test]
fn slow_headers_are_cut_off() {
    let config = BASE.replace("[http]\n", "[http]\nheader_read_timeout = \"300ms\"\n")
        + &function("hello", &example("hello"), "/hello", "");
    let s = Server::start(&config);
    let mut conn = std::net::TcpStream::connect(s.http).unwrap();
    conn.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    conn.write_all(b"GET /hello HTTP/1.1\r\nHost: t\r\n")
        .unwrap();
    let started = Instant::now();
    let mut buf = Vec::new();
    let _ = conn.read_to_end(&mut buf);
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "the server closed the connection"
    );
    let text = String::from_utf8_lossy(&buf);
    assert!(buf.is_empty() || text.starts_with("HTTP/1.1 408"), "{text}");
    // Requests on other connections are served meanwhile, with keep-alive.
    let mut c = Conn::open(s.http);
    for _ in 0..3 {
        assert_eq!(c.send("GET", "/hello", &[], b"").unwrap().status, 200);
    }
}

#[test]
fn api_keys_cors_and_request_ids() {
    let mut config = BASE.to_string();
    config += "[cors]\nallow_origins = [\"https://ok.example\"]\n";
    config += &function(
        "echo",
        &example("echo"),
        "/echo",
        "api_keys = [\"k-literal-0123456789\", { from_env = \"JINN_TEST_API_KEY\" }]",
    );
    let s = Server::start_with(
        &config,
        tempfile::tempdir().unwrap(),
        &[("JINN_TEST_API_KEY", "k-from-env-9876543210")],
    );

    let r = request(s.http, "GET", "/echo", &[], b"");
    assert_eq!(
        (r.status, r.header("www-authenticate")),
        (401, Some("Bearer realm=\"jinn\""))
    );
    assert_eq!(
        request(
            s.http,
            "GET",
            "/echo",
            &[("X-Api-Key", "k-literal-012345678")],
            b""
        )
        .status,
        401
    );
    assert_eq!(
        request(
            s.http,
            "GET",
            "/echo",
            &[("X-Api-Key", "k-literal-0123456789x")],
            b""
        )
        .status,
        401
    );

    let r = request(
        s.http,
        "GET",
        "/echo",
        &[
            ("X-Api-Key", "k-literal-0123456789"),
            ("X-Request-ID", "req-42"),
        ],
        b"",
    );
    assert_eq!(r.status, 200);
    assert_eq!(r.header("x-echo-trace-id"), Some("req-42"));
    assert_eq!(
        r.header("x-echo-header-x-api-key"),
        None,
        "the key is not passed to the guest"
    );
    let r = request(
        s.http,
        "GET",
        "/echo",
        &[("Authorization", "Bearer k-from-env-9876543210")],
        b"",
    );
    assert_eq!(r.status, 200);
    assert_eq!(r.header("x-echo-header-authorization"), None);
    assert_eq!(
        r.header("x-trace-id").map(str::len),
        Some(32),
        "a generated trace id"
    );

    // CORS: the allowlisted origin only.
    let ok = [
        ("Origin", "https://ok.example"),
        ("X-Api-Key", "k-literal-0123456789"),
    ];
    let r = request(s.http, "GET", "/echo", &ok, b"");
    assert_eq!(
        r.header("access-control-allow-origin"),
        Some("https://ok.example")
    );
    let r = request(
        s.http,
        "GET",
        "/echo",
        &[("Origin", "https://evil.example"), ok[1]],
        b"",
    );
    assert_eq!(r.header("access-control-allow-origin"), None);
    let pre = [
        ("Origin", "https://ok.example"),
        ("Access-Control-Request-Method", "POST"),
        ("Access-Control-Request-Headers", "content-type, x-api-key"),
    ];
    let r = request(s.http, "OPTIONS", "/echo", &pre, b"");
    assert_eq!(r.status, 204);
    assert_eq!(r.header("access-control-allow-methods"), Some("POST"));
    assert_eq!(
        r.header("access-control-allow-origin"),
        Some("https://ok.example")
    );
    let r = request(
        s.http,
        "OPTIONS",
        "/echo",
        &[("Origin", "https://evil.example"), pre[1]],
        b"",
    );
    assert_eq!(r.status, 403);

    let log = s.log_text();
    assert!(
        !log.contains("k-literal") && !log.contains("k-from-env"),
        "keys are never logged"
    );
    assert_eq!(
        s.metric("jinn_rejected_total{function=\"echo\",reason=\"unauthorized\"}"),
        3.0
    );
}

#[test]
fn guest_logs_carry_function_and_trace_id() {
    let config = BASE.to_string()
        + &function(
            "sensor",
            &example("sensor-alert"),
            "/sensor",
            "permissions = { kv_read = [\"sensor/*\"], kv_write = [\"sensor/*\"], publish = [\"alerts/+\"] }",
        )
        + &function(
            "env",
            &guest("print-env.wat"),
            "/env",
            "env = { MODE = \"edge\" }",
        );
    let body = br#"{"sensor":"t1","value":42.5,"threshold":40}"#;
    let s = Server::start(&config);
    request(
        s.http,
        "POST",
        "/sensor",
        &[("X-Request-ID", "trace-human")],
        body,
    );
    request(
        s.http,
        "GET",
        "/env",
        &[("X-Request-ID", "trace-stderr")],
        b"",
    );
    assert!(
        s.wait_log("alert published", Duration::from_secs(5)),
        "{}",
        s.log_text()
    );
    assert!(
        s.wait_log("MODE=edge", Duration::from_secs(5)),
        "{}",
        s.log_text()
    );
    let log = s.log_text();
    let line = log.lines().find(|l| l.contains("alert published")).unwrap();
    assert!(
        line.contains("function=\"sensor\"") && line.contains("trace_id=\"trace-human\""),
        "{line}"
    );
    let line = log.lines().find(|l| l.contains("MODE=edge")).unwrap();
    assert!(
        line.contains("function=\"env\"") && line.contains("trace_id=\"trace-stderr\""),
        "{line}"
    );
    assert!(line.contains("stream=\"stderr\""), "{line}");
    drop(s);

    let s = Server::start_args(&config, tempfile::tempdir().unwrap(), &[], &["--log-json"]);
    request(
        s.http,
        "POST",
        "/sensor",
        &[("X-Request-ID", "trace-json")],
        body,
    );
    assert!(s.wait_log("alert published", Duration::from_secs(5)));
    let log = s.log_text();
    let line = log.lines().find(|l| l.contains("alert published")).unwrap();
    let json: serde_json::Value = serde_json::from_str(line).unwrap();
    assert_eq!(json["fields"]["function"], "sensor");
    assert_eq!(json["fields"]["trace_id"], "trace-json");
    assert_eq!(json["level"], "WARN");
}

#[test]
fn admin_listener_health_and_token() {
    let config = BASE.replace("[admin]\n", "[admin]\ntoken = \"admin-secret-token\"\n")
        + &function("hello", &example("hello"), "/hello", "");
    let s = Server::start(&config);
    for path in ["/metrics", "/healthz", "/readyz"] {
        assert_eq!(
            request(s.admin, "GET", path, &[], b"").status,
            401,
            "{path}"
        );
        let wrong = [("Authorization", "Bearer nope")];
        assert_eq!(
            request(s.admin, "GET", path, &wrong, b"").status,
            401,
            "{path}"
        );
        let auth = [("Authorization", "Bearer admin-secret-token")];
        let r = request(s.admin, "GET", path, &auth, b"");
        assert_eq!(r.status, 200, "{path}");
    }
    // The admin endpoints are not on the HTTP listener.
    assert_eq!(s.get("/metrics").status, 404);
}

#[test]
fn check_reports_file_line_column_and_key() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("jinn.toml");
    let write = |text: &str| std::fs::write(&file, text).unwrap();
    let check = || jinn(&["check", "--config", file.to_str().unwrap()]);

    write(&(BASE.to_string() + &function("hello", &example("hello"), "/hello", "")));
    let (code, out, _) = check();
    assert_eq!(
        (code, out.trim_end()),
        (
            0,
            format!("ok: {}: 1 function, 1 route", file.display()).as_str()
        )
    );

    write(
        &(BASE.to_string()
            + &function(
                "hello",
                &example("hello"),
                "/hello",
                "limits = { memory = \"12 parsecs\" }",
            )),
    );
    let (code, _, err) = check();
    assert_eq!(code, 1);
    assert!(
        err.starts_with(&format!("{}:12:21:", file.display())),
        "{err}"
    );
    assert!(
        err.contains(": function[0].limits.memory: bad size \"12 parsecs\""),
        "{err}"
    );

    let mut bad = BASE.to_string();
    bad += &function(
        "missing",
        "nowhere/missing.wasm",
        "/m",
        "env = { TOKEN = \"s3cr3t-value\" }",
    );
    bad += &function("invalid", &hostile("invalid-module"), "/i", "");
    bad += &function("imports", &hostile("missing-import"), "/x", "");
    write(&bad);
    let (code, _, err) = check();
    assert_eq!(code, 1, "{err}");
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 3, "{err}");
    assert!(
        lines[0].contains(":10:10: function[0].module: cannot read"),
        "{err}"
    );
    assert!(
        lines[1].contains(":16:10: function[1].module:") && lines[1].contains("invalid module"),
        "{err}"
    );
    assert!(
        lines[2].contains(":22:10: function[2].module:") && lines[2].contains("missing import"),
        "{err}"
    );
    assert!(!err.contains("s3cr3t-value"), "env values are never echoed");

    // `jinn serve` refuses the same file and exits 1.
    let (code, _, err) = jinn(&["serve", "--config", file.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(err.contains("function[0].module"), "{err}");

    // The embedded default is valid (in the repository root).
    let (code, out, err) = jinn(&["check"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("7 functions"), "{out}");
}
