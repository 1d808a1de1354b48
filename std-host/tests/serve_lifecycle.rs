//! `jinn serve` over time: hot reload under load, KV durability across
//! `kill -9`, crash snapshots that replay, and draining on SIGTERM.

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use support::{BASE, Conn, Server, example, function, guest, jinn, request};

#[test]
fn reload_under_load_loses_no_request() {
    let dir = tempfile::tempdir().unwrap();
    let module = dir.path().join("v.wasm");
    std::fs::copy(example("hello"), &module).unwrap();
    let config = |extra: &str| {
        BASE.replace("watch = false", "watch = true\ninterval = \"100ms\"")
            + &function("v", module.to_str().unwrap(), "/v", "")
            + extra
    };
    let s = Server::start_with(&config(""), dir, &[]);
    let config_path = s.config.clone();

    let stop = Arc::new(AtomicBool::new(false));
    let clients: Vec<_> = (0..4)
        .map(|_| {
            let (addr, stop) = (s.http, stop.clone());
            std::thread::spawn(move || {
                let mut conn = Conn::open(addr);
                let mut seen = (0u32, 0u32, Vec::new());
                while !stop.load(Ordering::Relaxed) {
                    match conn.send("GET", "/v", &[], b"") {
                        Ok(r) if r.status == 200 && r.header("x-echo-method").is_some() => {
                            seen.1 += 1
                        }
                        Ok(r) if r.status == 200 => seen.0 += 1,
                        Ok(r) => seen.2.push(format!("{} {}", r.status, r.text())),
                        Err(e) => {
                            seen.2.push(e.to_string());
                            conn = Conn::open(addr);
                        }
                    }
                }
                seen
            })
        })
        .collect();
    let wait_reloads = |n: f64| {
        let started = Instant::now();
        while s.metric("jinn_reloads_total{result=\"ok\"}") < n {
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "reload {n} happened"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    };
    std::thread::sleep(Duration::from_millis(300));
    // 1. The module file changes: echo replaces hello.
    std::fs::copy(example("echo"), s.dir.path().join("v.tmp")).unwrap();
    std::fs::rename(s.dir.path().join("v.tmp"), s.dir.path().join("v.wasm")).unwrap();
    wait_reloads(1.0);
    std::thread::sleep(Duration::from_millis(300));
    // 2. A broken config is refused; the old version keeps serving.
    std::fs::write(&config_path, "[[function]\nname = ").unwrap();
    assert!(
        s.wait_log("reload refused", Duration::from_secs(10)),
        "{}",
        s.log_text()
    );
    s.signal(libc::SIGHUP);
    std::thread::sleep(Duration::from_millis(300));
    // 3. The config changes (a second function); SIGHUP also reloads.
    std::fs::write(
        &config_path,
        config(&function("hello", &example("hello"), "/hello", "")),
    )
    .unwrap();
    s.signal(libc::SIGHUP);
    wait_reloads(2.0);
    std::thread::sleep(Duration::from_millis(300));
    stop.store(true, Ordering::Relaxed);

    let (mut old, mut new, mut failures) = (0, 0, Vec::new());
    for c in clients {
        let (o, n, f) = c.join().unwrap();
        old += o;
        new += n;
        failures.extend(f);
    }
    assert!(failures.is_empty(), "failed requests: {failures:?}");
    assert!(
        old > 0 && new > 0,
        "both versions served: {old} old, {new} new"
    );
    assert_eq!(s.get("/hello").status, 200);
    assert!(s.metric("jinn_reloads_total{result=\"failed\"}") >= 1.0);
    assert!(s.log_text().contains("reload refused"));
}

#[test]
fn kv_survives_kill_9() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let config = format!("data_dir = \"{}\"\n{BASE}", data.display())
        + &function(
            "counter",
            &example("kv-counter"),
            "/count",
            "permissions = { kv_read = [\"counter/*\"], kv_write = [\"counter/*\"] }",
        );
    let s = Server::start(&config);
    for n in 1..=3 {
        assert_eq!(
            s.get("/count?name=door").text(),
            format!(r#"{{"name":"door","count":{n}}}"#)
        );
    }
    s.signal(libc::SIGKILL);
    drop(s);
    let s = Server::start(&config);
    assert_eq!(
        s.get("/count?name=door").text(),
        r#"{"name":"door","count":4}"#
    );
}

fn snapshots(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .map(|d| d.map(|e| e.unwrap().path()).collect())
        .unwrap_or_default();
    files.sort();
    files
}

#[test]
fn crash_snapshots_replay_deterministically() {
    use std::os::unix::fs::PermissionsExt as _;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let config = format!("data_dir = \"{}\"\n{BASE}", data.display())
        + &function(
            "chaos",
            &guest("chaos.wat"),
            "/chaos",
            "record_crashes = true\npermissions = { kv_read = [\"chaos/*\"], kv_write = [\"chaos/*\"] }\nenv = { TOKEN = \"hunter2-secret\" }",
        )
        + &function(
            "spin",
            &example("fuel-burner"),
            "/spin",
            "record_crashes = true\nlimits = { fuel = 1_000_000_000_000, timeout = \"200ms\" }",
        )
        + &function(
            "quiet",
            &example("fuel-burner"),
            "/quiet",
            "limits = { fuel = 1_000_000 }",
        );
    let s = Server::start(&config);
    for _ in 0..2 {
        let r = request(
            s.http,
            "GET",
            "/chaos",
            &[("X-Api-Key", "client-key-123")],
            b"",
        );
        assert_eq!(r.status, 500);
    }
    assert_eq!(s.get("/spin").status, 504);
    assert_eq!(
        s.get("/quiet").status,
        504,
        "not recorded: record_crashes is off"
    );
    assert_eq!(
        s.metric("jinn_crash_snapshots_total{function=\"chaos\"}"),
        2.0
    );

    let files = snapshots(&data.join("crashes"));
    assert_eq!(files.len(), 3, "{files:?}");
    let mut fuels = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        assert!(
            !text.contains("hunter2-secret") && !text.contains("client-key-123"),
            "secrets masked"
        );
        let mode = std::fs::metadata(file).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        let snap: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(snap["module_sha256"].as_str().unwrap().len(), 64);
        fuels.push(snap["fuel_used"].as_u64().unwrap());
        let (code, out, err) = jinn(&["replay", file.to_str().unwrap()]);
        assert_eq!(code, 0, "{out}{err}");
        let report: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(report["reproduced"], true, "{out}");
        assert_eq!(report["replayed"]["outcome"], snap["error"]["kind"]);
        assert_eq!(report["replayed"]["fuel_used"], snap["fuel_used"]);
    }
    let kinds: Vec<String> = files
        .iter()
        .map(|f| {
            let v: serde_json::Value = serde_json::from_slice(&std::fs::read(f).unwrap()).unwrap();
            v["error"]["kind"].as_str().unwrap().to_string()
        })
        .collect();
    assert!(
        kinds.contains(&"trap".to_string()) && kinds.contains(&"timeout".to_string()),
        "{kinds:?}"
    );
    // The chaos guest's fuel depends on clocks, randomness and KV: the two
    // calls differ, and each replay matched its own.
    assert_ne!(fuels[0], fuels[1]);

    // A snapshot that does not match what the module does is reported.
    let mut snap: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&files[0]).unwrap()).unwrap();
    snap["seeds"]["random"] = serde_json::Value::String("00".repeat(32));
    snap["kv_reads"] = serde_json::json!([]);
    let tampered = dir.path().join("tampered.json");
    std::fs::write(&tampered, snap.to_string()).unwrap();
    let (code, out, _) = jinn(&["replay", tampered.to_str().unwrap()]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("\"reproduced\": false"), "{out}");
}

#[test]
fn sigterm_drains_calls_in_flight() {
    let config = BASE.to_string()
        + "[shutdown]\ndrain_timeout = \"20s\"\n"
        + &function(
            "burn",
            &example("fuel-burner"),
            "/burn",
            "limits = { fuel = 1_000_000_000_000, timeout = \"30s\" }",
        );
    let mut s = Server::start(&config);
    // Calibrate a call of about a second on this machine.
    let started = Instant::now();
    assert_eq!(s.get("/burn?iterations=2000000").status, 200);
    let per_call = started.elapsed().as_secs_f64().max(0.001);
    let iterations = ((2_000_000.0 / per_call) as u64).clamp(2_000_000, 2_000_000_000);

    let mut idle = Conn::open(s.http);
    assert_eq!(
        idle.send("GET", "/burn?iterations=1", &[], b"")
            .unwrap()
            .status,
        200
    );
    let addr = s.http;
    let path = format!("/burn?iterations={iterations}");
    let slow = std::thread::spawn(move || request(addr, "GET", &path, &[], b""));
    let wait = Instant::now();
    while s.metric("jinn_in_flight") < 1.0 {
        assert!(wait.elapsed() < Duration::from_secs(5));
        std::thread::sleep(Duration::from_millis(5));
    }
    s.signal(libc::SIGTERM);
    assert!(s.wait_log("shutting down", Duration::from_secs(5)));
    std::thread::sleep(Duration::from_millis(100));
    assert!(
        std::net::TcpStream::connect_timeout(&s.http, Duration::from_secs(1)).is_err(),
        "no new connections once draining"
    );
    let r = slow.join().unwrap();
    assert_eq!(r.status, 200, "the call in flight finished: {}", r.text());
    assert_eq!(r.json()["iterations"], iterations);
    assert_eq!(s.wait_exit(Duration::from_secs(10)), Some(0));
    assert!(s.log_text().contains("drained"));
    assert!(
        idle.send("GET", "/burn?iterations=1", &[], b"").is_err(),
        "idle keep-alive closed"
    );
}
