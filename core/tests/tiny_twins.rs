//! Each tiny example (examples/tiny/, the `no_std` SDK) answers the contract
//! exactly as its std twin does: for the same request the same response
//! (status, headers, body), the same KV contents after the call and the
//! same published messages. Requests the two SDKs refuse get a 400 with an
//! `error` from both (the messages differ). The guests come from
//! scripts/build-examples.sh; a missing one fails the test.

mod support;

use std::path::Path;
use std::sync::Arc;

use jinn_core::{Function, Headers, Manifest, Outcome, Permissions, Request, Response};
use support::*;

#[track_caller]
fn module(name: &str) -> Function<TestHost> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../examples/wasm")
        .join(format!("{name}.wasm"));
    let wasm = std::fs::read(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e} (build the guests with scripts/build-examples.sh)",
            path.display()
        )
    });
    runtime().load(&wasm).expect("example loads")
}

fn manifest(publish: bool) -> Manifest {
    Manifest {
        permissions: Permissions {
            kv_read: vec!["sensor/*".into(), "counter/*".into()],
            kv_write: vec!["sensor/*".into(), "counter/*".into()],
            publish: if publish {
                vec!["alerts/+".into()]
            } else {
                Vec::new()
            },
        },
        ..Manifest::default()
    }
}

/// One call, its staged writes committed as a target does.
fn call(f: &Function<TestHost>, m: &Manifest, host: TestHost, stdin: &[u8]) -> (Outcome, TestHost) {
    let (outcome, mut host) = f.run(host, Arc::new(m.clone()), stdin.to_vec());
    host.commit(&outcome);
    (outcome, host)
}

fn error_body(response: &Response) -> bool {
    serde_json::from_slice::<serde_json::Value>(&response.body)
        .is_ok_and(|v| v["error"].is_string())
}

/// Runs `stdin` through the std example and its tiny twin, each on a copy
/// of `host`, and checks they agree; returns both outcomes' fuel and the
/// host state after the call (the same for both).
#[track_caller]
fn agree(name: &str, m: &Manifest, host: &TestHost, stdin: &[u8]) -> (u64, u64, TestHost) {
    let std = module(name);
    let tiny = module(&format!("{name}-tiny"));
    let clone = |h: &TestHost| TestHost {
        kv: h.kv.clone(),
        ..TestHost::default()
    };
    let (a, ha) = call(&std, m, clone(host), stdin);
    let (b, hb) = call(&tiny, m, clone(host), stdin);
    let input: String = String::from_utf8_lossy(stdin).chars().take(160).collect();
    let ra = a
        .result
        .unwrap_or_else(|e| panic!("{name} {input}: std: {e}"));
    let rb = b
        .result
        .unwrap_or_else(|e| panic!("{name} {input}: tiny: {e}"));
    if ra.status == 400 {
        assert_eq!(rb.status, 400, "{name} {input}: tiny {rb:?}");
        assert!(
            error_body(&ra) && error_body(&rb),
            "{name} {input}: {ra:?} / {rb:?}"
        );
    } else {
        assert_eq!(rb, ra, "{name} {input}");
    }
    assert_eq!(hb.kv, ha.kv, "{name} {input}: KV");
    assert_eq!(
        b.staged, a.staged,
        "{name} {input}: staged (reads, writes, published)"
    );
    (a.fuel_used, b.fuel_used, ha)
}

fn envelope(method: &str, uri: &str, headers: &[(&str, &[&str])], body: &[u8]) -> Vec<u8> {
    let mut h = Headers::new();
    for (name, values) in headers {
        h.insert((*name).into(), values.iter().map(|v| (*v).into()).collect());
    }
    Request {
        method: method.into(),
        uri: uri.into(),
        headers: h,
        body: body.to_vec(),
        trace_id: Some("4bf92f3577b34da6a3ce929d0e0e4736".into()),
    }
    .to_json()
}

/// What every example must take: defaults, nulls, unknown fields, escapes,
/// and refuse: not JSON, wrong types.
const ODD_ENVELOPES: &[&str] = &[
    "",
    " \n",
    "{}",
    r#"{"method":null,"uri":null,"headers":null,"body":null,"trace_id":null}"#,
    r#"{"uri":"/a\u00e9?q=\"x\"","headers":{"A":"one","B":null,"C":["1","2"]},"future":{"x":[1,2,{"y":null}]}}"#,
    "{",
    "not json",
    r#"{"method":5}"#,
    r#"{"headers":{"A":1}}"#,
    r#"[1]"#,
];

#[test]
fn hello_twins() {
    let m = manifest(true);
    let host = TestHost::default();
    for stdin in ODD_ENVELOPES {
        agree("hello", &m, &host, stdin.as_bytes());
    }
    let (std, tiny, _) = agree("hello", &m, &host, &envelope("POST", "/x", &[], b"hi"));
    println!("hello: fuel std {std}, tiny {tiny}");
}

#[test]
fn echo_twins() {
    let m = manifest(true);
    let host = TestHost::default();
    for stdin in ODD_ENVELOPES {
        agree("echo", &m, &host, stdin.as_bytes());
    }
    let binary: Vec<u8> = (0..=255u8).rev().collect();
    // Larger than the tiny guest's first page: its memory grows for it.
    let large = "é\"\\\n".repeat(9_000);
    let many: Vec<(String, Vec<&str>)> = (0..40)
        .map(|i| (format!("X-H{i:02}"), vec!["v", "w"]))
        .collect();
    let many: Vec<(&str, &[&str])> = many
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_slice()))
        .collect();
    let cases = [
        envelope(
            "POST",
            "/echo/any?x=1&y=%22",
            &[
                ("Content-Type", &["text/plain"]),
                ("X-A", &["1", "2"]),
                ("X-Quote", &["\"q\" \\ é"]),
            ],
            b"{\"v\":1}\n\ttab",
        ),
        envelope("PUT", "/bin", &[("Accept", &["*/*"])], &binary),
        envelope("GET", "/empty-type", &[("Content-Type", &[])], b""),
        envelope("POST", "/large", &[], large.as_bytes()),
        envelope("MQTT", "sensors/t1", &many, b"{}"),
    ];
    for stdin in &cases {
        let (std, tiny, _) = agree("echo", &m, &host, stdin);
        println!("echo {} bytes: fuel std {std}, tiny {tiny}", stdin.len());
    }
}

#[test]
fn kv_counter_twins() {
    let m = manifest(true);
    let mut host = TestHost::default();
    for stdin in ODD_ENVELOPES {
        agree("kv-counter", &m, &host, stdin.as_bytes());
    }
    for uri in [
        "/",
        "/?name=",
        "/?name=door",
        "/?name=door",
        "/?name=a%22b",
        "/?name=%FF%C3%A9+x",
        "/?flag&name=hits",
    ] {
        let (std, tiny, after) = agree("kv-counter", &m, &host, &envelope("GET", uri, &[], b""));
        println!("kv-counter {uri}: fuel std {std}, tiny {tiny}");
        host.kv = after.kv;
    }
    assert_eq!(host.kv["counter/door"], b"2");
    assert_eq!(host.kv["counter/hits"], b"3");
    host.kv.insert("counter/bad".into(), b"lots".to_vec());
    host.kv.insert("counter/spaced".into(), b" 41\n".to_vec());
    for uri in ["/?name=bad", "/?name=spaced"] {
        let (_, _, after) = agree("kv-counter", &m, &host, &envelope("GET", uri, &[], b""));
        host.kv = after.kv;
    }
    assert_eq!(host.kv["counter/bad"], b"lots");
    assert_eq!(host.kv["counter/spaced"], b"42");
}

#[test]
fn sensor_alert_twins() {
    let host = TestHost::default();
    for stdin in ODD_ENVELOPES {
        agree("sensor-alert", &manifest(true), &host, stdin.as_bytes());
    }
    let bodies: &[&[u8]] = &[
        br#"{"sensor":"t1","value":21.5}"#,
        br#"{"sensor":"t1","value":40,"threshold":40}"#,
        br#"{"sensor":"t2","value":42.5,"threshold":40.0,"extra":{"a":[1]}}"#,
        br#"{"threshold":null,"value":-1e2,"sensor":"caf\u00e9"}"#,
        br#"{"sensor":"t3","value":1234.5678,"threshold":0.001}"#,
        br#"{"sensor":"t4","value":0.00001,"threshold":-5}"#,
        br#"{"sensor":"t5","value":1e15,"threshold":3}"#,
        b"",
        b"not json",
        br#"{"value":1}"#,
        br#"{"sensor":"t1"}"#,
        br#"{"sensor":"t1","value":"hot"}"#,
        br#"{"sensor":"t1","value":null}"#,
        br#"{"sensor":"","value":1}"#,
        br#"{"sensor":"a/#","value":1}"#,
        br#"{"sensor":"t1","value":1,"value":2}"#,
        br#"[{"sensor":"t1","value":1}]"#,
        b"{\"sensor\":\"t1\",\"value\":1}\xff",
    ];
    for publish in [true, false] {
        let m = manifest(publish);
        for body in bodies {
            let (std, tiny, _) =
                agree("sensor-alert", &m, &host, &envelope("POST", "/", &[], body));
            println!(
                "sensor-alert {} (publish {publish}): fuel std {std}, tiny {tiny}",
                String::from_utf8_lossy(body)
            );
        }
    }
    // A body that is not UTF-8 (sent as base64), and a JSON body sent as
    // base64.
    let request = Request {
        body: b"{\"sensor\":\"t1\",\"value\":1}\xff".to_vec(),
        ..Request::default()
    };
    agree("sensor-alert", &manifest(true), &host, &request.to_json());
    let base64 = format!(
        r#"{{"body":"{}","body_encoding":"base64"}}"#,
        jinn_core::contract::body::base64_encode(br#"{"sensor":"t9","value":99}"#)
    );
    let (_, _, after) = agree("sensor-alert", &manifest(true), &host, base64.as_bytes());
    assert_eq!(after.kv["sensor/t9/last"], b"99");
}
