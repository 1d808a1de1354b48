//! `jinn serve` with `mqtts://` connections, against real mosquitto brokers
//! started here with a TLS listener on a free loopback port (certificates
//! made by rcgen in the test): a message over TLS triggers `sensor-alert`,
//! whose alert reaches an uplink broker that asks for client certificates;
//! a broker certificate from another CA, or a missing client certificate,
//! keeps the connection down, says why in the log, and `/readyz` says not
//! ready when the connection is required.
//!
//! The test clients (mosquitto_pub and mosquitto_sub) use each broker's
//! plain listener; only the gateway speaks TLS.

#[path = "support/broker.rs"]
mod broker;
#[path = "support/pki.rs"]
mod pki;
mod support;

use std::path::Path;
use std::time::{Duration, Instant};

use broker::{Broker, BrokerTls};
use pki::{Ca, Pair};
use support::{BASE, Server, example, request};

/// A broker with a TLS listener whose certificate `ca` signed; clients
/// must present one signed by `ca` when `require_certificate`.
fn tls_broker(dir: &Path, ca: &Ca, name: &str, require_certificate: bool) -> Broker {
    let server = ca.server(dir, name);
    Broker::start_tls(BrokerTls {
        ca: ca.cert.clone(),
        cert: server.cert,
        key: server.key,
        require_certificate,
    })
}

/// `[mqtt.<name>]` over TLS to `url`, trusting `ca`, with `client`'s
/// certificate when given.
fn connection(name: &str, url: &str, ca: &Path, client: Option<&Pair>, required: bool) -> String {
    let client = client.map_or(String::new(), |c| {
        format!(
            "client_cert = \"{}\"\nclient_key = \"{}\"\n",
            c.cert.display(),
            c.key.display()
        )
    });
    format!(
        "[mqtt.{name}]\nurl = \"{url}\"\nclient_id = \"tls-{name}\"\nkeep_alive = \"5s\"\n\
         reconnect_max = \"500ms\"\nrequired = {required}\nca = \"{ca}\"\n{client}",
        ca = ca.display()
    )
}

/// `sensor-alert` triggered on `local`, its alerts routed to `uplink`.
fn sensor_alert(data: &Path, connections: &str) -> String {
    format!(
        "data_dir = \"{data}\"\n{BASE}{connections}\
         [[mqtt_route]]\nfilter = \"alerts/#\"\nconnection = \"uplink\"\n\
         [[function]]\nname = \"sensor-alert\"\nmodule = \"{module}\"\n\
         mqtt = [{{ connection = \"local\", filter = \"sensors/+/reading\", qos = 1 }}]\n\
         permissions = {{ kv_read = [\"sensor/*\"], kv_write = [\"sensor/*\"], publish = [\"alerts/+\"] }}\n",
        data = data.display(),
        module = example("sensor-alert"),
    )
}

fn readyz(server: &Server) -> u16 {
    request(server.admin, "GET", "/readyz", &[], b"").status
}

/// Waits (10 s at most) until `series` reads `value`.
#[track_caller]
fn wait_metric(server: &Server, series: &str, value: f64) {
    let start = Instant::now();
    while server.metric(series) != value && start.elapsed() < Duration::from_secs(10) {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(
        server.metric(series),
        value,
        "{series}\n{}",
        server.log_text()
    );
}

#[test]
fn a_message_over_tls_triggers_a_function_whose_alert_reaches_an_uplink_asking_for_client_certificates()
 {
    let pki = tempfile::tempdir().unwrap();
    let ca = Ca::new(pki.path(), "broker-ca");
    let local = tls_broker(pki.path(), &ca, "local", false);
    let uplink = tls_broker(pki.path(), &ca, "uplink", true);
    let gateway = ca.client(pki.path(), "gateway-1");
    let sub = uplink.subscribe("tls-sub", "alerts/#");
    let data = broker::data_dir();
    let connections = [
        connection("local", &local.tls_url(), &ca.cert, None, true),
        connection("uplink", &uplink.tls_url(), &ca.cert, Some(&gateway), true),
    ]
    .concat();
    let server = Server::start(&sensor_alert(data.path(), &connections));
    wait_metric(&server, "jinn_mqtt_connected{connection=\"local\"}", 1.0);
    wait_metric(&server, "jinn_mqtt_connected{connection=\"uplink\"}", 1.0);
    assert_eq!(readyz(&server), 200);
    assert!(
        server.wait_log("mqtt: subscribed", Duration::from_secs(10)),
        "{}",
        server.log_text()
    );
    local.publish_until_seen(
        &sub,
        "sensors/t1/reading",
        "{\"sensor\":\"t1\",\"value\":42.5,\"threshold\":40}",
        Duration::from_secs(20),
    );
    let lines = sub.lines();
    assert!(!lines.is_empty(), "no alert arrived\n{}", server.log_text());
    assert_eq!(
        lines[0],
        "alerts/t1 {\"sensor\":\"t1\",\"value\":42.5,\"threshold\":40.0,\"level\":\"alert\"}",
    );
    // Then a burst, in order, over both TLS connections.
    let readings: Vec<String> = (100..300)
        .map(|i| format!("{{\"sensor\":\"t2\",\"value\":{i},\"threshold\":-1}}"))
        .collect();
    local.publish_lines("sensors/t2/reading", &readings);
    let lines = sub.wait(Duration::from_secs(30), |l| {
        l.iter().filter(|x| x.starts_with("alerts/t2 ")).count() >= readings.len()
    });
    let values: Vec<u64> = lines
        .iter()
        .filter_map(|l| l.strip_prefix("alerts/t2 "))
        .map(|json| {
            let v: serde_json::Value = serde_json::from_str(json).unwrap();
            v["value"].as_f64().unwrap() as u64
        })
        .collect();
    assert_eq!(values, (100..300).collect::<Vec<u64>>(), "in order, once");
    wait_metric(&server, "jinn_outbox_messages", 0.0);
}

#[test]
fn a_broker_certificate_from_another_ca_keeps_a_required_connection_down() {
    let pki = tempfile::tempdir().unwrap();
    let ca = Ca::new(pki.path(), "broker-ca");
    let other = Ca::new(pki.path(), "other-ca");
    let uplink = tls_broker(pki.path(), &ca, "uplink", false);
    let local = Broker::start();
    let data = broker::data_dir();
    let connections = [
        format!(
            "[mqtt.local]\nurl = \"{}\"\nclient_id = \"plain-local\"\n",
            local.url()
        ),
        connection("uplink", &uplink.tls_url(), &other.cert, None, true),
    ]
    .concat();
    let server = Server::start(&sensor_alert(data.path(), &connections));
    assert!(
        server.wait_log("mqtt: cannot connect", Duration::from_secs(10)),
        "{}",
        server.log_text()
    );
    let log = server.log_text();
    let line = log
        .lines()
        .find(|l| l.contains("mqtt: cannot connect"))
        .unwrap();
    assert!(line.contains("uplink"), "{line}");
    assert!(
        line.contains("TLS") && line.contains("UnknownIssuer"),
        "the reason is the broker's certificate: {line}"
    );
    wait_metric(&server, "jinn_mqtt_connected{connection=\"local\"}", 1.0);
    assert_eq!(
        server.metric("jinn_mqtt_connected{connection=\"uplink\"}"),
        0.0
    );
    assert_eq!(readyz(&server), 503);
    // It keeps trying, and keeps failing.
    std::thread::sleep(Duration::from_secs(1));
    assert_eq!(
        server.metric("jinn_mqtt_connected{connection=\"uplink\"}"),
        0.0
    );
    assert_eq!(readyz(&server), 503);
}

#[test]
fn a_broker_asking_for_client_certificates_takes_one_and_refuses_a_client_without() {
    let pki = tempfile::tempdir().unwrap();
    let ca = Ca::new(pki.path(), "broker-ca");
    let broker = tls_broker(pki.path(), &ca, "broker", true);
    let gateway = ca.client(pki.path(), "gateway-1");
    // A certificate the broker's CA did not sign is no better than none.
    let stranger = Ca::new(pki.path(), "stranger-ca").client(pki.path(), "stranger");
    let data = broker::data_dir();
    let url = broker.tls_url();
    let connections = [
        connection("local", &url, &ca.cert, Some(&gateway), true),
        connection("uplink", &url, &ca.cert, None, false),
        connection("stranger", &url, &ca.cert, Some(&stranger), false),
    ]
    .concat();
    let server = Server::start(&sensor_alert(data.path(), &connections));
    wait_metric(&server, "jinn_mqtt_connected{connection=\"local\"}", 1.0);
    for name in ["uplink", "stranger"] {
        let start = Instant::now();
        // The broker ends the handshake with an alert (CertificateRequired, UnknownCA…).
        let failed = |log: &str| {
            log.lines().any(|l| {
                l.contains("mqtt: cannot connect")
                    && l.contains(&format!("connection=\"{name}\""))
                    && l.contains("received fatal alert")
            })
        };
        while !failed(&server.log_text()) && start.elapsed() < Duration::from_secs(10) {
            std::thread::sleep(Duration::from_millis(50));
        }
        assert!(failed(&server.log_text()), "{name}\n{}", server.log_text());
        assert_eq!(
            server.metric(&format!("jinn_mqtt_connected{{connection=\"{name}\"}}")),
            0.0,
            "{name}"
        );
    }
    // Only `local` is required, and it is up.
    assert_eq!(readyz(&server), 200);
    let connects = server.metric("jinn_mqtt_connects_total{connection=\"uplink\"}");
    assert_eq!(connects, 0.0, "{}", server.metrics());
}

#[test]
fn without_ca_the_system_trust_store_decides() {
    let pki = tempfile::tempdir().unwrap();
    let ca = Ca::new(pki.path(), "broker-ca");
    let other = Ca::new(pki.path(), "other-ca");
    let broker = tls_broker(pki.path(), &ca, "broker", false);
    let url = broker.tls_url();
    let connections = format!(
        "[mqtt.local]\nurl = \"{url}\"\nclient_id = \"store-local\"\nrequired = true\n\
         [mqtt.uplink]\nurl = \"{url}\"\nclient_id = \"store-uplink\"\n"
    );
    // The trust store is the file SSL_CERT_FILE names: the broker's CA…
    let data = broker::data_dir();
    let config = sensor_alert(data.path(), &connections);
    let store = ca.cert.to_str().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_with(&config, dir, &[("SSL_CERT_FILE", store)]);
    wait_metric(&server, "jinn_mqtt_connected{connection=\"local\"}", 1.0);
    assert_eq!(readyz(&server), 200);
    drop(server);
    // …or another one.
    let store = other.cert.to_str().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_with(&config, dir, &[("SSL_CERT_FILE", store)]);
    assert!(
        server.wait_log("UnknownIssuer", Duration::from_secs(10)),
        "{}",
        server.log_text()
    );
    assert_eq!(
        server.metric("jinn_mqtt_connected{connection=\"local\"}"),
        0.0
    );
    assert_eq!(readyz(&server), 503);
}

#[test]
fn tls_files_that_cannot_be_used_are_config_errors_at_their_keys() {
    let pki = tempfile::tempdir().unwrap();
    let ca = Ca::new(pki.path(), "broker-ca");
    let client = ca.client(pki.path(), "gateway-1");
    let not_pem = pki.path().join("notes.txt");
    std::fs::write(&not_pem, "hello\n").unwrap();
    let missing = pki.path().join("missing.pem");
    let config = format!(
        "{BASE}[mqtt.a]\nurl = \"mqtts://127.0.0.1:8883\"\nclient_id = \"a\"\nca = \"{missing}\"\n\
         [mqtt.b]\nurl = \"mqtts://127.0.0.1:8883\"\nclient_id = \"b\"\nca = \"{not_pem}\"\n\
         [mqtt.c]\nurl = \"mqtts://127.0.0.1:8883\"\nclient_id = \"c\"\nca = \"{ca}\"\n\
         client_cert = \"{cert}\"\nclient_key = \"{cert}\"\n\
         [[function]]\nname = \"echo\"\nmodule = \"{echo}\"\nroutes = [{{ prefix = \"/echo\" }}]\n",
        echo = example("echo"),
        missing = missing.display(),
        not_pem = not_pem.display(),
        ca = ca.cert.display(),
        cert = client.cert.display(),
    );
    let path = pki.path().join("jinn.toml");
    std::fs::write(&path, config).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_jinn"))
        .arg("check")
        .arg("--config")
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    let file = path.display();
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(
        lines,
        [
            format!(
                "{file}:10:6: mqtt.a.ca: cannot read {}: No such file or directory (os error 2)",
                missing.display()
            ),
            format!(
                "{file}:14:6: mqtt.b.ca: {}: no certificate (a PEM `CERTIFICATE` section) in it",
                not_pem.display()
            ),
            format!(
                "{file}:20:14: mqtt.c.client_key: {}: no private key (a PEM `PRIVATE KEY`, `RSA PRIVATE KEY` or `EC PRIVATE KEY` section) in it",
                client.cert.display()
            ),
        ],
        "{stderr}"
    );
}
