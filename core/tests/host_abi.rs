//! The `gojinn` and `jinn` host modules: KV with permissions, publish, log.

mod support;

use jinn_core::{ErrorKind, InvokeError, LogLevel, Manifest, Message, Qos, TrapKind};
use support::*;

const IMPORTS: &str = r#"
  (import "gojinn" "host_log" (func $log (param i32 i32 i32)))
  (import "gojinn" "host_kv_get" (func $kv_get (param i32 i32 i32 i32) (result i64)))
  (import "gojinn" "host_kv_set" (func $kv_set (param i32 i32 i32 i32)))
  (import "jinn" "publish" (func $publish (param i32 i32 i32 i32 i32) (result i32)))"#;

/// Memory at 2048: the strings the guests use.
const STRINGS: &str = "sensor/t1sensorsvalue-1alerts/t1other/x";
// offsets:            0      8 9     16      23       32

fn with_strings(body: &str) -> String {
    let wat = guest(IMPORTS, body, OK);
    wat.replace(
        "(memory (export \"memory\") 1)",
        &format!("(memory (export \"memory\") 1) (data (i32.const 2048) \"{STRINGS}\")"),
    )
}

/// Dumps `n` bytes at 256 to stderr.
fn dump(n: u32) -> String {
    format!(
        "(i32.store (i32.const 0) (i32.const 256)) (i32.store (i32.const 4) (i32.const {n}))
         (drop (call $fd_write (i32.const 2) (i32.const 0) (i32.const 1) (i32.const 8)))"
    )
}

fn i64s(stderr: &[u8]) -> Vec<i64> {
    stderr
        .chunks_exact(8)
        .map(|c| i64::from_le_bytes(c.try_into().unwrap()))
        .collect()
}

fn permissive() -> Manifest {
    let mut m = Manifest::default();
    m.permissions.kv_read = vec!["sensor/*".into()];
    m.permissions.kv_write = vec!["sensor/*".into()];
    m.permissions.publish = vec!["alerts/+".into()];
    m
}

/// Four reads of `sensor/t1` (value `21.5`) through the import `$kv_get`:
/// into 64 bytes; into 3 bytes; `sensors` (denied: not under `sensor/`); a
/// missing key. Then the two out buffers.
fn four_reads(store: &str) -> String {
    format!(
        "({store} (i32.const 256) (call $kv_get (i32.const 2048) (i32.const 9) (i32.const 512) (i32.const 64)))
         ({store} (i32.const 264) (call $kv_get (i32.const 2048) (i32.const 9) (i32.const 600) (i32.const 3)))
         ({store} (i32.const 272) (call $kv_get (i32.const 2057) (i32.const 7) (i32.const 512) (i32.const 64)))
         ({store} (i32.const 280) (call $kv_get (i32.const 2048) (i32.const 7) (i32.const 512) (i32.const 64)))
         (i64.store (i32.const 288) (i64.load (i32.const 512)))
         (i64.store (i32.const 296) (i64.load (i32.const 600)))
         {}",
        dump(48)
    )
}

fn sensor_host() -> TestHost {
    let mut host = TestHost::default();
    host.kv.insert("sensor/t1".into(), b"21.5".to_vec());
    host
}

#[test]
fn gojinn_kv_get_copies_what_fits_and_returns_bytes_written() {
    let (outcome, host) = run_host(
        &load(&with_strings(&four_reads("i64.store"))),
        permissive(),
        sensor_host(),
    );
    let got = i64s(&outcome.stderr);
    assert_eq!(
        &got[..4],
        &[4, 3, -1, -1],
        "written; written (truncated); denied; missing"
    );
    assert_eq!(&got[4].to_le_bytes()[..4], b"21.5");
    assert_eq!(
        &got[5].to_le_bytes()[..4],
        b"21.\0",
        "the first 3 bytes, as Gojinn"
    );
    assert_eq!((outcome.stats.kv_reads, outcome.stats.kv_denied), (3, 1));
    assert!(
        host.logs
            .iter()
            .any(|(l, m)| *l == LogLevel::Warn && m.contains("sensors"))
    );
}

#[test]
fn gojinn_kv_get_may_be_imported_with_an_i32_result() {
    // The gojinn-io fork and Gojinn's Go SDK declare `uint32`: −1 is 0xFFFFFFFF.
    let imports = IMPORTS.replace(
        "(func $kv_get (param i32 i32 i32 i32) (result i64))",
        "(func $kv_get (param i32 i32 i32 i32) (result i32))",
    );
    let wat = guest(&imports, &four_reads("i32.store"), OK).replace(
        "(memory (export \"memory\") 1)",
        &format!("(memory (export \"memory\") 1) (data (i32.const 2048) \"{STRINGS}\")"),
    );
    let (outcome, _) = run_host(&load(&wat), permissive(), sensor_host());
    let words: Vec<u32> = outcome.stderr[..32]
        .chunks_exact(8)
        .map(|c| u32::from_le_bytes(c[..4].try_into().unwrap()))
        .collect();
    assert_eq!(words, [4, 3, 0xFFFF_FFFF, 0xFFFF_FFFF]);
    assert_eq!(&outcome.stderr[40..43], b"21.");
    // A module importing it with any other type is still refused.
    let wrong = guest(
        r#"(import "gojinn" "host_kv_get" (func (param i32 i32 i32 i32) (result f32)))"#,
        "",
        OK,
    );
    let err = runtime()
        .load(&wat::parse_str(wrong).unwrap())
        .err()
        .expect("refused");
    assert_eq!(err.kind(), ErrorKind::MissingImport);
}

#[test]
fn jinn_kv_get_reports_the_full_length_and_writes_only_what_fits() {
    let imports = format!(
        "{IMPORTS}\n  (import \"jinn\" \"kv_get\" (func $jinn_kv_get (param i32 i32 i32 i32) (result i64)))"
    );
    let body = four_reads("i64.store").replace("(call $kv_get", "(call $jinn_kv_get");
    let wat = guest(&imports, &body, OK).replace(
        "(memory (export \"memory\") 1)",
        &format!("(memory (export \"memory\") 1) (data (i32.const 2048) \"{STRINGS}\")"),
    );
    let (outcome, _) = run_host(&load(&wat), permissive(), sensor_host());
    let got = i64s(&outcome.stderr);
    assert_eq!(
        &got[..4],
        &[4, 4, -1, -1],
        "length; length without writing; denied; missing"
    );
    assert_eq!(&got[4].to_le_bytes()[..4], b"21.5");
    assert_eq!(got[5], 0, "nothing written when the value does not fit");
}

#[test]
fn kv_set_writes_only_where_permitted() {
    let body = "(call $kv_set (i32.const 2048) (i32.const 9) (i32.const 2064) (i32.const 7))
                (call $kv_set (i32.const 2057) (i32.const 7) (i32.const 2064) (i32.const 7))";
    let (outcome, host) = run_host(
        &load(&with_strings(body)),
        permissive(),
        TestHost::default(),
    );
    assert!(outcome.result.is_ok());
    assert_eq!(
        host.kv.get("sensor/t1").map(Vec::as_slice),
        Some(&b"value-1"[..])
    );
    assert!(!host.kv.contains_key("sensors"));
    assert_eq!((outcome.stats.kv_writes, outcome.stats.kv_denied), (1, 1));
}

#[test]
fn empty_permissions_deny_everything() {
    let body = format!(
        "(call $kv_set (i32.const 2048) (i32.const 9) (i32.const 2064) (i32.const 7))
         (i64.store (i32.const 256) (call $kv_get (i32.const 2048) (i32.const 9) (i32.const 512) (i32.const 64)))
         (i64.store (i32.const 264) (i64.extend_i32_s (call $publish (i32.const 2071) (i32.const 9) (i32.const 2064) (i32.const 7) (i32.const 1))))
         {}",
        dump(16)
    );
    let mut host = TestHost::default();
    host.kv.insert("sensor/t1".into(), b"secret".to_vec());
    let (outcome, host) = run_host(&load(&with_strings(&body)), Manifest::default(), host);
    assert_eq!(i64s(&outcome.stderr), [-1, -1]);
    assert_eq!(host.kv["sensor/t1"], b"secret");
    assert!(outcome.staged.is_empty());
}

#[test]
fn out_of_bounds_pointers_trap_and_never_panic() {
    for call in [
        "(call $log (i32.const 1) (i32.const 65535) (i32.const 2))",
        "(call $log (i32.const 1) (i32.const -1) (i32.const 1))",
        "(drop (call $kv_get (i32.const 2048) (i32.const 9) (i32.const 65530) (i32.const 64)))",
        "(drop (call $kv_get (i32.const 2048) (i32.const -9) (i32.const 512) (i32.const 64)))",
        "(call $kv_set (i32.const 2048) (i32.const 9) (i32.const 60000) (i32.const 9000))",
        "(drop (call $publish (i32.const 2071) (i32.const 9) (i32.const 0) (i32.const 70000) (i32.const 0)))",
    ] {
        let (outcome, _) = run(&load(&with_strings(call)), permissive(), b"");
        assert_eq!(
            outcome.result,
            Err(InvokeError::Trap(TrapKind::HostMemoryOutOfBounds)),
            "{call}"
        );
        assert_eq!(outcome.result.unwrap_err().kind(), ErrorKind::Trap);
    }
}

#[test]
fn publish_codes() {
    let mut manifest = permissive();
    manifest.limits.publish_bytes = 4;
    let body = format!(
        "(i32.store (i32.const 256) (call $publish (i32.const 2071) (i32.const 9) (i32.const 2064) (i32.const 3) (i32.const 1)))
         (i32.store (i32.const 260) (call $publish (i32.const 2080) (i32.const 7) (i32.const 2064) (i32.const 3) (i32.const 1)))
         (i32.store (i32.const 264) (call $publish (i32.const 2071) (i32.const 9) (i32.const 2064) (i32.const 3) (i32.const 5)))
         (i32.store (i32.const 268) (call $publish (i32.const 2071) (i32.const 9) (i32.const 2064) (i32.const 7) (i32.const 0)))
         {}",
        dump(16)
    );
    let (outcome, _) = run_host(&load(&with_strings(&body)), manifest, TestHost::default());
    let codes: Vec<i32> = outcome
        .stderr
        .chunks_exact(4)
        .map(|c| i32::from_le_bytes(c.try_into().unwrap()))
        .collect();
    assert_eq!(codes, [0, -1, -2, -4]);
    assert_eq!(
        outcome.staged.published,
        vec![Message {
            topic: "alerts/t1".into(),
            payload: b"val".to_vec(),
            qos: Qos::AtLeastOnce
        }]
    );
    assert_eq!(
        (outcome.stats.published, outcome.stats.publish_refused),
        (1, 3)
    );
}

#[test]
fn a_full_outbox_and_the_per_call_cap_are_minus_3() {
    let call = "(i32.store (i32.const 256) (call $publish (i32.const 2071) (i32.const 9) (i32.const 2064) (i32.const 3) (i32.const 0)))";
    let host = TestHost {
        outbox_room: Some(0),
        ..TestHost::default()
    };
    let (outcome, _) = run_host(
        &load(&with_strings(&format!("{call} {}", dump(4)))),
        permissive(),
        host,
    );
    assert_eq!(outcome.stderr, (-3i32).to_le_bytes());
    assert!(outcome.staged.is_empty());

    // Room for one: the call's own staged message takes it.
    let twice = format!(
        "{call} (i32.store (i32.const 260) (call $publish (i32.const 2071) (i32.const 9) (i32.const 2064) (i32.const 3) (i32.const 0))) {}",
        dump(8)
    );
    let host = TestHost {
        outbox_room: Some(1),
        ..TestHost::default()
    };
    let (outcome, _) = run_host(&load(&with_strings(&twice)), permissive(), host);
    assert_eq!(outcome.stderr[..4], 0i32.to_le_bytes());
    assert_eq!(outcome.stderr[4..8], (-3i32).to_le_bytes());
    assert_eq!(outcome.staged.published.len(), 1);

    let mut manifest = permissive();
    manifest.limits.publishes = 1;
    let twice = format!(
        "{call} (i32.store (i32.const 260) (call $publish (i32.const 2071) (i32.const 9) (i32.const 2064) (i32.const 3) (i32.const 0))) {}",
        dump(8)
    );
    let (outcome, _) = run_host(&load(&with_strings(&twice)), manifest, TestHost::default());
    assert_eq!(outcome.stderr[4..8], (-3i32).to_le_bytes());
    assert_eq!(outcome.staged.published.len(), 1);
}

#[test]
fn a_topic_over_topic_bytes_is_minus_2() {
    // alerts/t1 is 9 bytes.
    let call = "(i32.store (i32.const 256) (call $publish (i32.const 2071) (i32.const 9) (i32.const 2064) (i32.const 3) (i32.const 0)))";
    let body = format!("{call} {}", dump(4));
    for (topic_bytes, code) in [(9, 0i32), (8, -2)] {
        let mut manifest = permissive();
        manifest.limits.topic_bytes = topic_bytes;
        let (outcome, _) = run_host(&load(&with_strings(&body)), manifest, TestHost::default());
        assert_eq!(
            outcome.stderr,
            code.to_le_bytes(),
            "topic_bytes {topic_bytes}"
        );
    }
}

#[test]
fn logs_are_levelled_and_capped() {
    let mut manifest = Manifest::default();
    manifest.limits.log_lines = 3;
    manifest.limits.log_line_bytes = 6;
    let body = "(call $log (i32.const 0) (i32.const 2048) (i32.const 9))
                (call $log (i32.const 3) (i32.const 2048) (i32.const 9))
                (call $log (i32.const 99) (i32.const 2048) (i32.const 3))
                (call $log (i32.const 2) (i32.const 2048) (i32.const 3))
                (call $log (i32.const 2) (i32.const 2048) (i32.const 3))";
    let (outcome, host) = run_host(&load(&with_strings(body)), manifest, TestHost::default());
    assert_eq!(
        host.logs,
        vec![
            (LogLevel::Debug, "sensor".to_string()),
            (LogLevel::Error, "sensor".to_string()),
            (LogLevel::Info, "sen".to_string()),
        ]
    );
    assert_eq!((outcome.stats.log_lines, outcome.stats.log_dropped), (3, 2));
}

#[test]
fn kv_key_and_value_caps() {
    let mut manifest = permissive();
    manifest.limits.kv_key_bytes = 8;
    manifest.limits.kv_value_bytes = 4;
    // `sensor/t1` is 9 bytes: too long to read or write; `value-1` is 7 bytes: too large to write.
    manifest.permissions.kv_write.push("short".into());
    let body = format!(
        "(i64.store (i32.const 256) (call $kv_get (i32.const 2048) (i32.const 9) (i32.const 512) (i32.const 64)))
         (call $kv_set (i32.const 2048) (i32.const 9) (i32.const 2064) (i32.const 3))
         (call $kv_set (i32.const 2048) (i32.const 7) (i32.const 2064) (i32.const 7))
         {}",
        dump(8)
    );
    let mut host = TestHost::default();
    host.kv.insert("sensor/t1".into(), b"x".to_vec());
    let (outcome, host) = run_host(&load(&with_strings(&body)), manifest, host);
    assert_eq!(i64s(&outcome.stderr), [-1]);
    assert_eq!(host.kv.len(), 1, "neither write reached the store");
    assert_eq!(outcome.stats.kv_denied, 3);
}

/// `sensor/t1` = `value-1`, then reads it back into 512.
const WRITE_THEN_READ: &str =
    "(call $kv_set (i32.const 2048) (i32.const 9) (i32.const 2064) (i32.const 7))
     (i64.store (i32.const 256) (call $kv_get (i32.const 2048) (i32.const 9) (i32.const 512) (i32.const 64)))";

#[test]
fn writes_are_staged_and_read_back_by_the_call() {
    let body = format!(
        "{WRITE_THEN_READ}
         (i32.store (i32.const 0) (i32.const 512)) (i32.store (i32.const 4) (i32.const 7))
         (drop (call $fd_write (i32.const 2) (i32.const 0) (i32.const 1) (i32.const 8)))"
    );
    let mut host = TestHost::default();
    host.kv.insert("sensor/t1".into(), b"old".to_vec());
    let function = load(&with_strings(&body));
    let (outcome, host) = function.run(host, std::sync::Arc::new(permissive()), b"{}".to_vec());
    assert!(outcome.result.is_ok());
    assert_eq!(outcome.stderr, b"value-1", "the call reads its own write");
    assert_eq!(host.kv["sensor/t1"], b"old", "nothing reached the store");
    assert_eq!(outcome.staged.writes["sensor/t1"], b"value-1");
    assert!(outcome.staged.reads.is_empty(), "no read reached the store");
}

#[test]
fn a_staged_value_is_read_back_with_each_import_s_fit() {
    // `value-1` staged, then read into 3 bytes through both reads: Gojinn's
    // copies what fits, `jinn.kv_get` tells the length and writes nothing.
    let imports = format!(
        "{IMPORTS}\n  (import \"jinn\" \"kv_get\" (func $jinn_kv_get (param i32 i32 i32 i32) (result i64)))"
    );
    let body = format!(
        "(call $kv_set (i32.const 2048) (i32.const 9) (i32.const 2064) (i32.const 7))
         (i64.store (i32.const 256) (call $kv_get (i32.const 2048) (i32.const 9) (i32.const 512) (i32.const 3)))
         (i64.store (i32.const 264) (call $jinn_kv_get (i32.const 2048) (i32.const 9) (i32.const 600) (i32.const 3)))
         (i64.store (i32.const 272) (i64.load (i32.const 512)))
         (i64.store (i32.const 280) (i64.load (i32.const 600)))
         {}",
        dump(32)
    );
    let wat = guest(&imports, &body, OK).replace(
        "(memory (export \"memory\") 1)",
        &format!("(memory (export \"memory\") 1) (data (i32.const 2048) \"{STRINGS}\")"),
    );
    let mut host = TestHost::default();
    host.kv.insert("sensor/t1".into(), b"old".to_vec());
    let (outcome, host) = run_host(&load(&wat), permissive(), host);
    let got = i64s(&outcome.stderr);
    assert_eq!(&got[..2], &[3, 7], "bytes written; full length");
    assert_eq!(
        &got[2].to_le_bytes()[..4],
        b"val\0",
        "the first 3 staged bytes"
    );
    assert_eq!(got[3], 0, "nothing written when it does not fit");
    assert!(outcome.staged.reads.is_empty(), "no read reached the store");
    assert_eq!(host.kv["sensor/t1"], b"value-1", "committed at the end");
}

#[test]
fn first_reads_are_recorded_with_a_digest_of_the_value() {
    let body = "(drop (call $kv_get (i32.const 2048) (i32.const 9) (i32.const 512) (i32.const 64)))
                (drop (call $kv_get (i32.const 2048) (i32.const 9) (i32.const 512) (i32.const 64)))
                (drop (call $kv_get (i32.const 2048) (i32.const 8) (i32.const 512) (i32.const 64)))";
    let mut host = TestHost::default();
    host.kv.insert("sensor/t1".into(), b"21.5".to_vec());
    let (outcome, _) = run_host(&load(&with_strings(body)), permissive(), host);
    let reads = &outcome.staged.reads;
    assert_eq!(reads.len(), 2);
    assert_eq!(reads["sensor/t1"], jinn_core::staged::digest(Some(b"21.5")));
    assert_eq!(reads["sensor/t"], None, "missing");
    let holds = |value: &[u8]| {
        outcome
            .staged
            .reads_hold(|k: &str, v: &mut Vec<u8>| -> Result<bool, ()> {
                v.clear();
                v.extend_from_slice(value);
                Ok(k == "sensor/t1")
            })
    };
    assert_eq!(holds(b"21.5"), Ok(true));
    assert_eq!(holds(b"22"), Ok(false));
}

#[test]
fn a_failed_call_stages_nothing() {
    let body = format!(
        "{WRITE_THEN_READ}
         (drop (call $publish (i32.const 2071) (i32.const 9) (i32.const 2064) (i32.const 7) (i32.const 1)))
         unreachable"
    );
    let (outcome, host) = run_host(
        &load(&with_strings(&body)),
        permissive(),
        TestHost::default(),
    );
    assert_eq!(
        outcome.result,
        Err(InvokeError::Trap(TrapKind::Unreachable))
    );
    assert!(outcome.staged.is_empty() && outcome.staged.reads.is_empty());
    assert!(host.kv.is_empty());
}

#[test]
fn a_store_that_cannot_answer_ends_the_call() {
    let host = TestHost {
        kv_fails: true,
        ..TestHost::default()
    };
    let (outcome, _) = run_host(
        &load(&with_strings(WRITE_THEN_READ.split_once('\n').unwrap().1)),
        permissive(),
        host,
    );
    let err = outcome.result.unwrap_err();
    assert_eq!(err, InvokeError::StorageUnavailable);
    assert_eq!(
        (err.kind(), err.http_status()),
        (ErrorKind::StorageUnavailable, 503)
    );
    assert!(outcome.staged.is_empty());
}

#[test]
fn the_transaction_is_bounded() {
    let mut manifest = permissive();
    // `sensor/t1` + `value-1` is 16 bytes; a read of `sensor/t` 8 + 32.
    manifest.limits.kv_transaction_bytes = 16;
    let (outcome, _) = run_host(
        &load(&with_strings(WRITE_THEN_READ)),
        manifest.clone(),
        TestHost::default(),
    );
    assert!(
        outcome.result.is_ok(),
        "exactly at the cap; the read is of the call's own write"
    );
    let rewrite = "(call $kv_set (i32.const 2048) (i32.const 9) (i32.const 2064) (i32.const 7))
                   (call $kv_set (i32.const 2048) (i32.const 9) (i32.const 2064) (i32.const 7))";
    let (outcome, _) = run_host(
        &load(&with_strings(rewrite)),
        manifest.clone(),
        TestHost::default(),
    );
    assert!(outcome.result.is_ok(), "a rewrite replaces");
    let read_too = format!(
        "{WRITE_THEN_READ}
         (drop (call $kv_get (i32.const 2048) (i32.const 8) (i32.const 512) (i32.const 64)))"
    );
    let (outcome, _) = run_host(
        &load(&with_strings(&read_too)),
        manifest,
        TestHost::default(),
    );
    let err = outcome.result.unwrap_err();
    assert_eq!(err, InvokeError::TransactionTooLarge { limit: 16 });
    assert_eq!(err.kind().as_str(), "transaction_too_large");
    assert!(outcome.staged.is_empty());
}

#[test]
fn the_outbox_room_in_bytes_is_respected() {
    // `alerts/t1` + `value-1`: 16 bytes a message.
    let twice = "(i64.store (i32.const 256) (i64.extend_i32_s (call $publish (i32.const 2071) (i32.const 9) (i32.const 2064) (i32.const 7) (i32.const 1))))
                 (i64.store (i32.const 264) (i64.extend_i32_s (call $publish (i32.const 2071) (i32.const 9) (i32.const 2064) (i32.const 7) (i32.const 1))))"
        .to_string()
        + &dump(16);
    let host = TestHost {
        outbox_room_bytes: Some(31),
        ..TestHost::default()
    };
    let (outcome, _) = run_host(&load(&with_strings(&twice)), permissive(), host);
    assert_eq!(i64s(&outcome.stderr), [0, -3]);
    assert_eq!(outcome.staged.published.len(), 1);
}
