//! Tests of the MQTT configuration: connections, triggers, routes.

use std::time::Duration;

use super::Overrides;
use super::tests::{errors, src};
use super::validate::parse;

const OK: &str = r#"
[mqtt.local]
url = "mqtt://127.0.0.1:1884"
client_id = "gw-1"

[mqtt.uplink]
url = "mqtt://broker.example"
client_id = "gw-1-up"
keep_alive = "10s"
clean_start = true
max_inflight = 8

[[mqtt_route]]
filter = "alerts/#"
connection = "uplink"

[[function]]
name = "a"
module = "a.wasm"
mqtt = [{ connection = "local", filter = "sensors/+/t" }, { connection = "local", filter = "$share/g/x/#", qos = 0 }]
"#;

#[test]
fn connections_triggers_and_routes_resolve() {
    let c = parse(&src(OK), &Overrides::default()).unwrap();
    let names: Vec<&str> = c.mqtt.connections.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["local", "uplink"]);
    let local = &c.mqtt.connections[0];
    assert_eq!((local.host.as_str(), local.port), ("127.0.0.1", 1884));
    assert!(!local.clean_start, "persistent sessions by default");
    assert_eq!(local.keep_alive, Duration::from_secs(30));
    let up = &c.mqtt.connections[1];
    assert_eq!((up.port, up.clean_start, up.max_inflight), (1883, true, 8));
    assert_eq!(c.mqtt.route("alerts/t1"), Some("uplink"));
    let t = &c.functions[0].mqtt;
    assert_eq!(t.len(), 2);
    assert_eq!((t[0].filter.as_str(), t[0].qos), ("sensors/+/t", 1));
    assert_eq!(t[1].subscription, "$share/g/x/#");
    assert_eq!((t[1].filter.as_str(), t[1].qos), ("x/#", 0));
    assert!(c.functions[0].routes.is_empty());
}

#[test]
fn bad_mqtt_settings_name_line_column_and_key() {
    let text = r#"
[mqtt.local]
url = "tcp://x:1"
client_id = ""
password = "hunter2"

[[mqtt_route]]
filter = "a/#/b"
connection = "nowhere"

[[function]]
name = "a"
module = "a.wasm"
mqtt = [{ connection = "locl", filter = "$share//x", qos = 2 }]
"#;
    let e = errors(text).join("\n");
    for needle in [
        "t.toml:3:7: mqtt.local.url: \"tcp://x:1\" is not a broker URL",
        "t.toml:4:13: mqtt.local.client_id:",
        "t.toml:5:12: mqtt.local.password: write the password as { from_env",
        "t.toml:8:10: mqtt_route[0].filter:",
        "t.toml:9:14: mqtt_route[0].connection: no [mqtt.nowhere] connection (configured: local)",
        "t.toml:14:24: function[0].mqtt[0].connection: no [mqtt.locl] connection",
        "function[0].mqtt[0].filter: \"$share//x\": a shared subscription is",
        "t.toml:14:60: function[0].mqtt[0].qos: QoS 0 or 1",
    ] {
        assert!(e.contains(needle), "missing {needle:?} in\n{e}");
    }
    assert!(!e.contains("hunter2"), "a secret in an error:\n{e}");
}

#[test]
fn credentials_come_from_the_environment_and_are_never_shown() {
    let text = OK.replace(
        "client_id = \"gw-1\"\n",
        "client_id = \"gw-1\"\nusername = \"jinn\"\npassword = { from_env = \"JINN_TEST_MQTT_PASSWORD_UNSET\" }\n",
    );
    let e = errors(&text).join("\n");
    assert!(
        e.contains(
            "mqtt.local.password: environment variable JINN_TEST_MQTT_PASSWORD_UNSET is not set"
        ),
        "{e}"
    );
    let text = OK.replace(
        "client_id = \"gw-1\"\n",
        "client_id = \"gw-1\"\nusername = \"jinn\"\npassword = { from_env = \"PATH\" }\n",
    );
    let c = parse(&src(&text), &Overrides::default()).unwrap();
    let local = &c.mqtt.connections[0];
    let path = std::env::var("PATH").unwrap();
    assert_eq!(local.credentials, Some(("jinn".into(), path.clone())));
    assert!(!format!("{:?}", c.mqtt).contains(&path));
}

#[test]
fn a_function_needs_routes_or_triggers() {
    let e = errors("[[function]]\nname = \"a\"\nmodule = \"a.wasm\"\n").join("\n");
    assert!(e.contains("has no routes and no mqtt triggers"), "{e}");
}

#[test]
fn a_failure_policy_resolves_with_doubling_pauses() {
    let text = r#"
[mqtt.local]
url = "mqtt://127.0.0.1:1884"
client_id = "gw-1"

[[function]]
name = "a"
module = "a.wasm"
mqtt = [{ connection = "local", filter = "in/#", retries = 3, backoff = "200ms", dead_letter = { connection = "local", topic = "dead/{function}" } }, { connection = "local", filter = "x" }]
"#;
    let c = parse(&src(text), &Overrides::default()).unwrap();
    let policy = &c.functions[0].mqtt[0].failure;
    assert_eq!(policy.retries, 3);
    let pauses: Vec<u128> = (1..=3).map(|n| policy.pause(n).as_millis()).collect();
    assert_eq!(pauses, [200, 400, 800]);
    let to = policy.dead_letter.as_ref().unwrap();
    assert_eq!(
        (to.connection.as_str(), to.topic_for("a").as_str()),
        ("local", "dead/a")
    );
    // None: failed once, the message is recorded as a dead letter and acknowledged.
    let default = &c.functions[0].mqtt[1].failure;
    assert_eq!((default.retries, default.dead_letter.as_ref()), (0, None));
    assert_eq!(default.pause(40), Duration::from_secs(60), "capped");
}

#[test]
fn a_bad_failure_policy_names_line_column_and_key() {
    let text = r#"
[mqtt.local]
url = "mqtt://127.0.0.1:1884"
client_id = "gw-1"

[[function]]
name = "a"
module = "a.wasm"
mqtt = [{ connection = "local", filter = "in/#", retries = 1000, backoff = "0s", dead_letter = { connection = "up", topic = "dead/#" } }]
"#;
    let e = errors(text).join("\n");
    for needle in [
        "t.toml:9:60: function[0].mqtt[0].retries: at most 100",
        "function[0].mqtt[0].backoff: from 1ms to 60s",
        "function[0].mqtt[0].dead_letter.connection: no [mqtt.up] connection (configured: local)",
        "t.toml:9:125: function[0].mqtt[0].dead_letter.topic: \"dead/#\" is not a topic to publish to",
    ] {
        assert!(e.contains(needle), "missing {needle:?} in\n{e}");
    }
}

#[test]
fn the_outbox_policy_when_full_is_one_of_two() {
    let text = "[outbox]\nwhen_full = \"drop_oldest_qos0\"\n[[function]]\nname = \"a\"\nmodule = \"a.wasm\"\nroutes = [{ prefix = \"/a\" }]\n";
    let c = parse(&src(text), &Overrides::default()).unwrap();
    assert_eq!(c.outbox.when_full, crate::outbox::WhenFull::DropOldestQos0);
    let e = errors("[outbox]\nwhen_full = \"drop_newest\"\n").join("\n");
    assert!(
        e.contains(
            "t.toml:2:13: outbox.when_full: \"drop_newest\": \"refuse\" or \"drop_oldest_qos0\""
        ),
        "{e}"
    );
}

#[test]
fn an_mqtts_connection_takes_a_ca_and_a_client_certificate() {
    let text = OK.replace(
        "url = \"mqtt://broker.example\"\n",
        "url = \"mqtts://broker.example\"\nca = \"tls/ca.pem\"\nclient_cert = \"/etc/gw.pem\"\nclient_key = \"/etc/gw.key\"\n",
    );
    let c = parse(&src(&text), &Overrides::default()).unwrap();
    let (local, up) = (&c.mqtt.connections[0], &c.mqtt.connections[1]);
    assert_eq!(local.tls, None, "mqtt:// is plain");
    assert_eq!((up.host.as_str(), up.port), ("broker.example", 8883));
    let tls = up.tls.as_ref().unwrap();
    let ca = tls.ca.as_ref().unwrap();
    assert_eq!(ca.path, std::path::PathBuf::from("/base/tls/ca.pem"));
    assert_eq!(
        (ca.at.line, ca.at.column, ca.at.key.as_str()),
        (8, 6, "mqtt.uplink.ca")
    );
    let (cert, key) = tls.client.as_ref().unwrap();
    assert_eq!(cert.path, std::path::PathBuf::from("/etc/gw.pem"));
    assert_eq!(key.at.key, "mqtt.uplink.client_key");
    assert_eq!(tls.at.key, "mqtt.uplink.url");
    // Without `ca`: the system's trust store; without a client certificate: none.
    let text = OK.replace("mqtt://broker.example", "mqtts://broker.example:9883");
    let c = parse(&src(&text), &Overrides::default()).unwrap();
    let up = &c.mqtt.connections[1];
    assert_eq!(up.port, 9883);
    let tls = up.tls.as_ref().unwrap();
    assert_eq!((tls.ca.as_ref(), tls.client.as_ref()), (None, None));
}

#[test]
fn tls_keys_need_mqtts_and_a_certificate_needs_its_key() {
    let text = OK
        .replace(
            "client_id = \"gw-1\"\n",
            "client_id = \"gw-1\"\nca = \"ca.pem\"\nclient_key = \"k.pem\"\n",
        )
        .replace(
            "url = \"mqtt://broker.example\"\n",
            "url = \"mqtts://broker.example\"\nclient_cert = \"c.pem\"\nca = \"\"\n",
        );
    let e = errors(&text);
    assert_eq!(
        e,
        [
            "t.toml:5:6: mqtt.local.ca: only with an mqtts:// url",
            "t.toml:6:14: mqtt.local.client_key: only with an mqtts:// url",
            "t.toml:11:6: mqtt.uplink.ca: must not be empty",
            "t.toml:10:15: mqtt.uplink.client_cert: needs client_key: a client certificate goes with its key",
        ],
    );
}
