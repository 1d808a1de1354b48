//! The status page in a real browser: Debian's Chromium, headless, driven by
//! `playwright-core` (`tests/status-page/status-page.js`), against a live
//! `jinn serve` on loopback ports. It fails — never skips — when Chromium,
//! node or playwright-core is missing (`scripts/setup.sh` installs them).
//!
//! `JINN_STATUS_SCREENSHOT=docs/status-page.png` keeps the screenshot it
//! takes (otherwise it goes to a temporary directory).

#[path = "support/broker.rs"]
mod broker;
mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use broker::Broker;
use support::{Server, example, function, root};

const TOKEN: &str = "br0wser-t0ken";
const CHROMIUM: &str = "/usr/bin/chromium";
const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; \
                   img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/// The gateway, with an MQTT connection `local` to `broker`.
fn config(broker: &Broker) -> String {
    format!(
        "[http]\nlisten = [\"127.0.0.1:0\"]\n[admin]\nlisten = \"127.0.0.1:0\"\ntoken = \"{TOKEN}\"\nactions = [\"reload\"]\n[reload]\nwatch = false\n\
         [mqtt.local]\nurl = \"{}\"\nclient_id = \"status-browser\"\n{}{}{}",
        broker.url(),
        function("hello", &example("hello"), "/hello", ""),
        function(
            "echo",
            &example("echo"),
            "/echo",
            "quota = { fuel = 1, window = \"1h\" }"
        ),
        function(
            "burner",
            &example("fuel-burner"),
            "/burn",
            "record_crashes = true\nlimits = { fuel = 2_000_000 }"
        ),
    )
}

fn script_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/status-page")
}

/// What the browser needs: fails with what to run when something is missing.
fn require_browser() {
    assert!(
        Path::new(CHROMIUM).exists(),
        "{CHROMIUM} is missing: run scripts/setup.sh (installs Debian's chromium)"
    );
    let node = Command::new("node").arg("--version").output();
    assert!(
        node.is_ok_and(|o| o.status.success()),
        "node is missing: run scripts/setup.sh (installs nodejs)"
    );
    assert!(
        script_dir()
            .join("node_modules/playwright-core/package.json")
            .exists(),
        "playwright-core is missing in {}: run scripts/setup.sh (npm ci there)",
        script_dir().display()
    );
}

/// Runs `node status-page.js` with `env`, killed after `limit`; its report.
fn drive(env: &[(&str, String)], limit: Duration) -> serde_json::Value {
    let mut cmd = Command::new("node");
    cmd.arg("status-page.js")
        .current_dir(script_dir())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().expect("node starts");
    let start = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if start.elapsed() > limit {
            let _ = child.kill();
            let out = child.wait_with_output().unwrap();
            panic!(
                "status-page.js did not finish in {limit:?}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "status-page.js failed: {stderr}");
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "status-page.js printed no report ({e}): {}{stderr}",
            String::from_utf8_lossy(&out.stdout)
        )
    })
}

#[test]
fn chromium_renders_the_live_gateway_and_enforces_the_policy() {
    require_browser();
    let broker = Broker::start();
    let s = Server::start(&config(&broker));
    assert!(
        s.wait_log("mqtt: connected", Duration::from_secs(10)),
        "{}",
        s.log_text()
    );
    for _ in 0..5 {
        assert_eq!(s.get("/hello").status, 200);
    }
    assert_eq!(s.get("/echo").status, 200);
    let burn = s.get("/burn?iterations=100000000");
    assert_eq!(burn.status, 504, "{}", burn.text());
    let trace = burn.header("x-trace-id").unwrap().to_string();

    let profile = tempfile::tempdir().unwrap();
    let shots = tempfile::tempdir().unwrap();
    let screenshot = std::env::var("JINN_STATUS_SCREENSHOT")
        .map_or_else(|_| shots.path().join("status-page.png"), |p| root().join(p));
    let started = Instant::now();
    let report = drive(
        &[
            ("JINN_ADMIN", format!("http://{}", s.admin)),
            ("JINN_TOKEN", TOKEN.into()),
            ("JINN_PROFILE", profile.path().display().to_string()),
            ("JINN_SCREENSHOT", screenshot.display().to_string()),
            ("JINN_FUNCTION", "hello".into()),
        ],
        Duration::from_secs(180),
    );
    eprintln!(
        "status page in Chromium: {} ms (browser start, page, checks)",
        started.elapsed().as_millis()
    );

    assert_eq!(report["page_status"], 200);
    assert_eq!(report["csp_header"], CSP);
    // No token yet: the page asks for it and shows nothing.
    assert_eq!(report["login_shown"], true);
    assert_eq!(report["main_hidden_without_token"], true);
    // An action without the token is refused.
    assert_eq!(report["action_without_token"]["status"], 401, "{report}");
    assert_eq!(
        report["action_without_token"]["body"]["error"],
        "unauthorized"
    );

    // With it, the live gateway's numbers.
    let row = |name: &str| {
        report["functions"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["name"] == name)
            .unwrap_or_else(|| panic!("no row for {name}: {report}"))
            .clone()
    };
    let hello = row("hello");
    assert_eq!(
        (&hello["calls"], &hello["errors"]),
        (&"5".into(), &"0".into())
    );
    assert_eq!(hello["status"], "ok");
    assert!(hello["sparkline_bars"].as_u64().unwrap() >= 1, "{hello}");
    assert_ne!(hello["fuel_p50"], "–");
    let burner = row("burner");
    assert_eq!(
        (&burner["calls"], &burner["errors"]),
        (&"1".into(), &"1".into())
    );
    assert_eq!(row("echo")["status"], "quota spent");

    // The MQTT connection, in the Brokers section.
    assert_eq!(report["brokers_table_visible"], true, "{report}");
    assert_eq!(
        report["brokers"],
        serde_json::json!([{
            "name": "local",
            "url": broker.url(),
            "state": "connected",
            "required": "no",
            "outbox_messages": "0",
            "dead_letters": "0",
        }]),
        "{report}"
    );

    // The failing call, with its trace id and the command that replays it.
    let failure = &report["failures"][0];
    assert_eq!(failure["trace_id"], trace.as_str(), "{report}");
    assert_eq!(failure["function"], "burner");
    assert_eq!(failure["kind"], "fuel_exhausted");
    let replay = failure["replay"].as_str().unwrap();
    assert!(replay.starts_with("jinn replay /"), "{replay}");
    assert!(replay.ends_with(".json"), "{replay}");
    let attention: Vec<&str> = report["attention"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["what"].as_str().unwrap())
        .collect();
    assert_eq!(attention, ["quota_spent"], "{report}");

    // The page's own code broke no rule of the policy; an injected inline script did.
    for quiet in [
        "violations_before_injection",
        "policy_messages_before_injection",
        "page_errors",
    ] {
        assert_eq!(report[quiet], serde_json::json!([]), "{quiet}: {report}");
    }
    assert_eq!(report["injected"]["ran"], false, "{report}");
    let violations = report["injected"]["violations"].as_array().unwrap();
    assert!(
        violations
            .iter()
            .any(|v| v["directive"] == "script-src-elem" && v["disposition"] == "enforce"),
        "{report}"
    );

    // The action with the token, from the page's button.
    assert_eq!(report["reload_button_visible"], true);
    assert_eq!(report["action_with_token"], "reloaded: generation 2");
    let first = report["first_reload"].as_str().unwrap();
    assert!(
        first.contains("status page") && first.contains("generation 2"),
        "{first}"
    );

    let png = std::fs::read(&screenshot).unwrap();
    assert!(
        png.starts_with(b"\x89PNG\r\n\x1a\n"),
        "a PNG at {}",
        screenshot.display()
    );
}
