//! The status page over HTTP: its files and their Content-Security-Policy,
//! `/status.json` with the live gateway's numbers, failures that `jinn
//! replay` runs again, the MQTT connections against a real mosquitto on
//! loopback, and the rules of actions (token and opt-in).
//! `status_browser.rs` drives the same page in Chromium.

#[path = "support/broker.rs"]
mod broker;
mod support;

use std::time::{Duration, Instant};

use broker::Broker;
use support::{Server, example, function, jinn, request};

const TOKEN: &str = "st4tus-t0ken";
const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; \
                   img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/// `hello`, `echo` with a quota one call spends, and `fuel-burner` failing
/// at its fuel limit with crash snapshots on; `admin` is the `[admin]` body.
fn config(admin: &str) -> String {
    format!(
        "[http]\nlisten = [\"127.0.0.1:0\"]\n[admin]\nlisten = \"127.0.0.1:0\"\n{admin}\n[reload]\nwatch = false\n{}{}{}",
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
            "record_crashes = true\nlimits = { fuel = 2_000_000 }\nenv = { MODE = \"edge\" }"
        ),
    )
}

fn bearer() -> String {
    format!("Bearer {TOKEN}")
}

fn status(s: &Server, auth: Option<&str>) -> serde_json::Value {
    let headers: Vec<(&str, &str)> = auth.map(|a| ("Authorization", a)).into_iter().collect();
    let r = request(s.admin, "GET", "/status.json", &headers, b"");
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.header("content-security-policy"), Some(CSP));
    assert_eq!(r.header("cache-control"), Some("no-store"));
    r.json()
}

fn function_named<'a>(v: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    v["functions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == name)
        .unwrap_or_else(|| panic!("no function {name} in {v}"))
}

#[test]
fn the_page_shows_the_gateways_calls_failures_and_what_needs_attention() {
    let s = Server::start(&config(&format!(
        "token = \"{TOKEN}\"\nactions = [\"reload\"]"
    )));

    // The page's files need no token and carry the policy; the data does.
    for (path, kind, needle) in [
        ("/status", "text/html; charset=utf-8", "/status/status.js"),
        ("/status/", "text/html; charset=utf-8", "<main"),
        (
            "/status/status.js",
            "text/javascript; charset=utf-8",
            "textContent",
        ),
        ("/status/status.css", "text/css; charset=utf-8", ".spark"),
    ] {
        let r = request(s.admin, "GET", path, &[], b"");
        assert_eq!(r.status, 200, "{path}");
        assert_eq!(r.header("content-type"), Some(kind), "{path}");
        assert_eq!(r.header("content-security-policy"), Some(CSP), "{path}");
        assert_eq!(r.header("x-content-type-options"), Some("nosniff"));
        assert_eq!(r.header("x-frame-options"), Some("DENY"));
        assert!(r.text().contains(needle), "{path}: {}", r.text());
    }
    let page = request(s.admin, "GET", "/status", &[], b"").text();
    assert!(
        !page.contains("<script>") && !page.contains("style="),
        "no inline script or style: {page}"
    );
    assert!(
        !String::from_utf8_lossy(&request(s.admin, "GET", "/status/status.js", &[], b"").body)
            .contains("innerHTML")
    );
    assert_eq!(request(s.admin, "POST", "/status", &[], b"").status, 405);
    assert_eq!(
        request(s.admin, "GET", "/status.json", &[], b"").status,
        401
    );
    let wrong = [("Authorization", "Bearer nope")];
    assert_eq!(
        request(s.admin, "GET", "/status.json", &wrong, b"").status,
        401
    );

    let before = status(&s, Some(&bearer()));
    assert_eq!(function_named(&before, "hello")["status"], "idle");
    assert_eq!(function_named(&before, "hello")["calls"], 0);
    assert_eq!(before["brokers"], serde_json::json!([]));
    assert_eq!(before["actions"], serde_json::json!(["reload"]));

    for _ in 0..3 {
        assert_eq!(s.get("/hello").status, 200);
    }
    assert_eq!(s.get("/echo").status, 200);
    assert_eq!(s.get("/echo").status, 429, "one call spent the quota");
    let burn = s.get("/burn?iterations=100000000");
    assert_eq!(burn.status, 504, "{}", burn.text());
    let trace = burn.header("x-trace-id").unwrap().to_string();

    let v = status(&s, Some(&bearer()));
    let hello = function_named(&v, "hello");
    assert_eq!(
        (&hello["status"], &hello["calls"], &hello["errors"]),
        (&"ok".into(), &3.into(), &0.into())
    );
    let history: u64 = hello["history"]["calls"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_u64().unwrap())
        .sum();
    assert_eq!(history, 3);
    assert!(hello["fuel_p50"].as_u64().unwrap() > 0);
    assert!(hello["fuel_p99"].as_u64() >= hello["fuel_p50"].as_u64());
    assert_eq!(hello["routes"], serde_json::json!(["/hello/*"]));
    use sha2::Digest as _;
    let digest = sha2::Sha256::digest(std::fs::read(example("hello")).unwrap());
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(hello["module_sha256"], hex.as_str());
    let echo = function_named(&v, "echo");
    assert_eq!(echo["status"], "quota_spent");
    assert!(echo["quota"]["left"].as_i64().unwrap() < 1);
    assert_eq!(echo["quota"]["fuel"], 1);
    let burner = function_named(&v, "burner");
    assert_eq!(
        (&burner["calls"], &burner["errors"]),
        (&1.into(), &1.into())
    );
    assert_eq!(burner["status"], "last_failed");
    assert_eq!(burner["last_error"], "fuel_exhausted");

    let failure = &v["failures"][0];
    assert_eq!(failure["trace_id"], trace.as_str());
    assert_eq!(failure["function"], "burner");
    assert_eq!(failure["kind"], "fuel_exhausted");
    // The function has env values: the command reads them from the configuration.
    let replay = failure["replay"].as_str().unwrap();
    let args: Vec<&str> = replay.split(' ').collect();
    let config_path = s.config.display().to_string();
    assert_eq!(
        args,
        [
            "jinn",
            "replay",
            failure["snapshot"].as_str().unwrap(),
            "--config",
            config_path.as_str()
        ]
    );
    let (code, out, err) = jinn(&args[1..]);
    assert_eq!(
        code, 0,
        "the copied command reproduces the failure: {out}{err}"
    );

    let what: Vec<(&str, &str)> = v["attention"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["what"].as_str().unwrap(),
                a["function"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(what, [("quota_spent", "echo")]);

    // Two more failures in a row: failing.
    for _ in 0..2 {
        assert_eq!(s.get("/burn?iterations=100000000").status, 504);
    }
    let v = status(&s, Some(&bearer()));
    assert_eq!(function_named(&v, "burner")["status"], "failing");
    assert!(
        v["attention"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["what"] == "failing" && a["function"] == "burner"),
        "{}",
        v["attention"]
    );

    // The action: refused without the token, done with it.
    let r = request(s.admin, "POST", "/status/actions/reload", &[], b"");
    assert_eq!(r.status, 401);
    let r = request(s.admin, "POST", "/status/actions/reload", &wrong, b"");
    assert_eq!(r.status, 401);
    let auth = bearer();
    let with = [("Authorization", auth.as_str())];
    assert_eq!(
        request(s.admin, "GET", "/status/actions/reload", &with, b"").status,
        405
    );
    assert_eq!(
        request(s.admin, "POST", "/status/actions/wipe", &with, b"").status,
        404
    );
    let r = request(s.admin, "POST", "/status/actions/reload", &with, b"");
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["generation"], 2);
    let v = status(&s, Some(&bearer()));
    assert_eq!(v["generation"], 2);
    assert_eq!(v["reloads"][0]["why"], "status page");
    assert_eq!(v["reloads"][0]["ok"], true);
    // Counts are kept across the reload.
    assert_eq!(function_named(&v, "hello")["calls"], 3);

    // A reload that is refused is on the attention list.
    std::fs::write(&s.config, "[[function]]\nname = 1\n").unwrap();
    let r = request(s.admin, "POST", "/status/actions/reload", &with, b"");
    assert_eq!(r.status, 422, "{}", r.text());
    let v = status(&s, Some(&bearer()));
    assert_eq!(v["reloads"][0]["ok"], false);
    assert!(
        v["reloads"][0]["error"]
            .as_str()
            .unwrap()
            .contains("jinn.toml:2:8"),
        "{}",
        v["reloads"][0]
    );
    assert!(
        v["attention"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["what"] == "reload_refused"),
        "{}",
        v["attention"]
    );
}

#[test]
fn actions_are_refused_unless_enabled_with_a_token() {
    // Loopback without a token: the data is open, actions are not.
    let open = Server::start(&config(""));
    let v = status(&open, None);
    assert_eq!(v["actions"], serde_json::json!([]));
    let r = request(open.admin, "POST", "/status/actions/reload", &[], b"");
    assert_eq!(
        (r.status, r.json()["error"].clone()),
        (403, "actions_need_admin_token".into())
    );
    drop(open);

    // A token but no opt-in: refused even with the token.
    let locked = Server::start(&config(&format!("token = \"{TOKEN}\"")));
    let auth = bearer();
    let r = request(
        locked.admin,
        "POST",
        "/status/actions/reload",
        &[("Authorization", auth.as_str())],
        b"",
    );
    assert_eq!(
        (r.status, r.json()["error"].clone()),
        (403, "action_not_enabled".into())
    );
    assert_eq!(
        status(&locked, Some(&auth))["generation"],
        1,
        "nothing was reloaded"
    );
}

#[test]
fn a_failing_store_is_on_the_attention_list_until_it_commits_again() {
    let config = format!(
        "[http]\nlisten = [\"127.0.0.1:0\"]\n[admin]\nlisten = \"127.0.0.1:0\"\n[reload]\nwatch = false\n{}",
        function(
            "fill",
            &support::guest("fill.wat"),
            "/fill",
            "[function.permissions]\nkv_write = [\"fill/*\"]\n",
        )
    );
    let s = Server::start_file_limited(&config, 4 << 20);
    let storage = |v: &serde_json::Value| -> Vec<String> {
        v["attention"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|a| a["what"] == "storage")
            .map(|a| a["level"].as_str().unwrap().to_string())
            .collect()
    };
    assert!(storage(&status(&s, None)).is_empty());
    let mut calls = 0;
    while s.get("/fill").status == 200 {
        calls += 1;
        assert!(calls < 200, "4 MiB never filled");
    }
    let v = status(&s, None);
    assert_eq!(storage(&v), ["error"], "{}", v["attention"]);
    assert_eq!(v["gateway"]["storage_healthy"], false);
    assert_eq!(v["failures"][0]["kind"], "storage_unavailable");

    // Space returns: a warning about the recent failure while it is recent.
    s.set_file_size_limit(libc::RLIM_INFINITY);
    let start = std::time::Instant::now();
    loop {
        let v = status(&s, None);
        if v["gateway"]["storage_healthy"] == true {
            assert_eq!(storage(&v), ["warning"], "{}", v["attention"]);
            break;
        }
        assert!(start.elapsed() < std::time::Duration::from_secs(15));
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
}

#[test]
fn the_outbox_shows_its_depth_and_oldest_message() {
    let config = format!(
        "[http]\nlisten = [\"127.0.0.1:0\"]\n[admin]\nlisten = \"127.0.0.1:0\"\n[reload]\nwatch = false\n[outbox]\nmax_messages = 2\nfunction_messages = 2\n{}",
        function(
            "sensor",
            &example("sensor-alert"),
            "/sensor",
            "permissions = { kv_read = [\"sensor/*\"], kv_write = [\"sensor/*\"], publish = [\"alerts/+\"] }",
        )
    );
    let s = Server::start(&config);
    let v = status(&s, None);
    assert_eq!(
        v["outbox"],
        serde_json::json!({ "messages": 0, "max_messages": 2, "oldest_age_ms": null })
    );
    let alert = br#"{"sensor":"t1","value":42.5,"threshold":40}"#;
    let r = request(s.http, "POST", "/sensor", &[], alert);
    assert_eq!(r.text(), r#"{"alert":true,"published":true}"#);
    std::thread::sleep(std::time::Duration::from_millis(50));
    let v = status(&s, None);
    assert_eq!(v["outbox"]["messages"], 1);
    assert!(
        v["outbox"]["oldest_age_ms"].as_u64().unwrap() >= 50,
        "{}",
        v["outbox"]
    );
    assert_eq!(v["attention"], serde_json::json!([]));
    // At 80 % of the outbox (and of the function's share): filling.
    request(s.http, "POST", "/sensor", &[], alert);
    let v = status(&s, None);
    let filling: Vec<&serde_json::Value> = v["attention"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["what"] == "outbox_filling")
        .map(|a| &a["function"])
        .collect();
    assert_eq!(
        filling,
        [&serde_json::Value::Null, &"sensor".into()],
        "{}",
        v["attention"]
    );
}

/// Polls `/status.json` until `ready` holds for it (10 s at most).
#[track_caller]
fn status_until(
    s: &Server,
    what: &str,
    ready: impl Fn(&serde_json::Value) -> bool,
) -> serde_json::Value {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let v = status(s, None);
        if ready(&v) {
            return v;
        }
        assert!(Instant::now() < deadline, "never {what}: {v}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn broker_down_items(v: &serde_json::Value) -> Vec<&serde_json::Value> {
    v["attention"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["what"] == "broker_down")
        .collect()
}

#[test]
fn brokers_show_each_connections_state_and_a_required_one_down_needs_attention() {
    const USER: &str = "st-user-7q";
    const PASSWORD: &str = "st-pass-9z";
    let mut uplink = Broker::start();
    let config = format!(
        "[http]\nlisten = [\"127.0.0.1:0\"]\n[admin]\nlisten = \"127.0.0.1:0\"\n[reload]\nwatch = false\n\
         [mqtt.uplink]\nurl = \"{}\"\nclient_id = \"status-uplink\"\nusername = {{ from_env = \"UPLINK_USER\" }}\n\
         password = {{ from_env = \"UPLINK_PASSWORD\" }}\nkeep_alive = \"5s\"\nreconnect_max = \"200ms\"\nrequired = true\n\
         [[mqtt_route]]\nfilter = \"alerts/#\"\nconnection = \"uplink\"\n{}",
        uplink.url(),
        function(
            "sensor",
            &example("sensor-alert"),
            "/sensor",
            "permissions = { kv_read = [\"sensor/*\"], kv_write = [\"sensor/*\"], publish = [\"alerts/+\"] }",
        )
    );
    let s = Server::start_with(
        &config,
        tempfile::tempdir().unwrap(),
        &[("UPLINK_USER", USER), ("UPLINK_PASSWORD", PASSWORD)],
    );
    let v = status_until(&s, "connected", |v| v["brokers"][0]["state"] == "connected");
    let b = &v["brokers"][0];
    assert_eq!(v["brokers"].as_array().unwrap().len(), 1, "{v}");
    assert_eq!(b["name"], "uplink");
    assert_eq!(b["url"], uplink.url());
    assert_eq!(b["required"], true);
    assert!(
        b["since_ms"].as_u64().unwrap() <= v["now_ms"].as_u64().unwrap(),
        "{b}"
    );
    assert_eq!(
        (
            &b["outbox_messages"],
            &b["outbox_bytes"],
            &b["outbox_oldest_age_ms"],
            &b["dead_letters"]
        ),
        (&0.into(), &0.into(), &serde_json::Value::Null, &0.into()),
        "{b}"
    );
    assert!(broker_down_items(&v).is_empty(), "{v}");
    assert_eq!(v["ready"], true);

    let stopped_ms = v["now_ms"].as_u64().unwrap();
    uplink.stop();
    let v = status_until(&s, "down", |v| v["brokers"][0]["state"] == "down");
    assert!(
        v["brokers"][0]["since_ms"].as_u64().unwrap() >= stopped_ms,
        "{v}"
    );
    let items = broker_down_items(&v);
    assert_eq!(items.len(), 1, "{v}");
    assert_eq!(items[0]["level"], "error");
    assert_eq!(items[0]["connection"], "uplink");
    assert_eq!(v["attention"][0]["what"], "broker_down", "errors first");
    assert!(
        items[0]["message"]
            .as_str()
            .unwrap()
            .contains(&uplink.url()),
        "{}",
        items[0]
    );
    assert_eq!(v["ready"], false);

    // An alert routed to the uplink waits in its outbox while it is down.
    let alert = br#"{"sensor":"t1","value":42.5,"threshold":40}"#;
    let r = request(s.http, "POST", "/sensor", &[], alert);
    assert_eq!(r.text(), r#"{"alert":true,"published":true}"#);
    let v = status_until(&s, "an alert queued", |v| {
        v["brokers"][0]["outbox_messages"] == 1
    });
    let b = &v["brokers"][0];
    assert!(b["outbox_bytes"].as_u64().unwrap() > 0, "{b}");
    assert!(b["outbox_oldest_age_ms"].as_u64().is_some(), "{b}");

    // Back up: connected, the alert sent, nothing needs attention.
    uplink.restart();
    let v = status_until(&s, "connected and drained", |v| {
        v["brokers"][0]["state"] == "connected" && v["brokers"][0]["outbox_messages"] == 0
    });
    assert_eq!(v["brokers"][0]["outbox_bytes"], 0);
    assert!(broker_down_items(&v).is_empty(), "{v}");

    // No credential is shown anywhere: not in the status, not on the page.
    let raw = request(s.admin, "GET", "/status.json", &[], b"").text();
    assert!(!raw.contains(USER) && !raw.contains(PASSWORD), "{raw}");
}
