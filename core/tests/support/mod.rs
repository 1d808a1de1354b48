//! A host for tests: in-memory KV, recorded publishes and logs, a fixed
//! clock and a seeded generator, plus helpers to write small guests in WAT.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::sync::Arc;

use jinn_core::{
    Clock, EngineLimits, Entropy, Function, GuestLog, KvError, KvStore, LogLevel, Manifest,
    Outcome, Publisher, Runtime,
};

#[derive(Debug, Default)]
pub struct TestHost {
    pub kv: BTreeMap<String, Vec<u8>>,
    pub logs: Vec<(LogLevel, String)>,
    pub now_ns: u64,
    pub rng: u64,
    /// Room in the outbox; `None`: unbounded.
    pub outbox_room: Option<usize>,
    /// What `Clock::advance` was told, in total.
    pub slept_ns: u64,
    /// Room in the outbox in bytes; `None`: unbounded.
    pub outbox_room_bytes: Option<usize>,
    /// Every KV read fails (a broken store).
    pub kv_fails: bool,
    /// `should_stop` answers true from this much fuel on.
    pub stop_at_fuel: Option<u64>,
    /// The fuel at each `should_stop` question.
    pub stop_checks: Vec<u64>,
}

impl Clock for TestHost {
    fn wall_clock_ns(&mut self) -> u64 {
        self.now_ns
    }
    fn monotonic_ns(&mut self) -> u64 {
        self.now_ns / 2
    }
    fn advance(&mut self, ns: u64) {
        self.slept_ns += ns;
    }
    fn should_stop(&mut self, fuel_used: u64) -> bool {
        self.stop_checks.push(fuel_used);
        self.stop_at_fuel.is_some_and(|at| fuel_used >= at)
    }
}

impl Entropy for TestHost {
    fn fill_bytes(&mut self, buf: &mut [u8]) {
        for b in buf {
            self.rng = self
                .rng
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            *b = (self.rng >> 56) as u8;
        }
    }
}

impl KvStore for TestHost {
    fn kv_get(&mut self, key: &str, value: &mut Vec<u8>) -> Result<bool, KvError> {
        value.clear();
        if self.kv_fails {
            return Err(KvError::Io);
        }
        match self.kv.get(key) {
            Some(v) => {
                value.extend_from_slice(v);
                Ok(true)
            }
            None => Ok(false),
        }
    }
}

impl TestHost {
    /// What a target does when a call ends: applies what it staged (only a
    /// successful call stages anything; one call at a time, so its reads hold).
    pub fn commit(&mut self, outcome: &Outcome) {
        for (key, value) in &outcome.staged.writes {
            self.kv.insert(key.clone(), value.clone());
        }
    }
}

impl Publisher for TestHost {
    fn outbox_room(&mut self) -> usize {
        self.outbox_room.unwrap_or(usize::MAX)
    }
    fn outbox_room_bytes(&mut self) -> usize {
        self.outbox_room_bytes.unwrap_or(usize::MAX)
    }
}

impl GuestLog for TestHost {
    fn guest_log(&mut self, level: LogLevel, message: &str) {
        self.logs.push((level, message.into()));
    }
}

pub fn runtime() -> Runtime<TestHost> {
    Runtime::new(EngineLimits::default())
}

#[track_caller]
pub fn load(wat: &str) -> Function<TestHost> {
    let wasm = wat::parse_str(wat).expect("test WAT parses");
    runtime().load(&wasm).expect("test module loads")
}

pub fn run(function: &Function<TestHost>, manifest: Manifest, stdin: &[u8]) -> (Outcome, TestHost) {
    let (outcome, mut host) = function.run(TestHost::default(), Arc::new(manifest), stdin.to_vec());
    host.commit(&outcome);
    (outcome, host)
}

pub fn run_host(
    function: &Function<TestHost>,
    manifest: Manifest,
    host: TestHost,
) -> (Outcome, TestHost) {
    let (outcome, mut host) = function.run(host, Arc::new(manifest), b"{}".to_vec());
    host.commit(&outcome);
    (outcome, host)
}

/// Escapes bytes for a WAT data string.
pub fn wat_bytes(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("\\{b:02x}")).collect()
}

/// A guest that runs `body` (WAT instructions) and then writes `response` to
/// stdout. Memory layout: 0..8 iovec, 8..12 scratch, 16.. free for `body`,
/// 1024.. the response text. `imports` adds import lines.
pub fn guest(imports: &str, body: &str, response: &str) -> String {
    format!(
        r#"(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  {imports}
  (memory (export "memory") 1)
  (data (i32.const 1024) "{data}")
  (func $respond
    (i32.store (i32.const 0) (i32.const 1024))
    (i32.store (i32.const 4) (i32.const {len}))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8))))
  (func (export "_start") (local i32 i32)
    {body}
    (call $respond)))"#,
        data = wat_bytes(response.as_bytes()),
        len = response.len(),
    )
}

pub const OK: &str = r#"{"status":200,"headers":{"Content-Type":"text/plain"},"body":"ok"}"#;

/// A loop of `n` iterations, as WAT instructions (uses local 0 of `_start`).
pub fn spin(n: u32) -> String {
    format!(
        "(local.set 0 (i32.const {n}))
         (block $done (loop $l
            (br_if $done (i32.eqz (local.get 0)))
            (local.set 0 (i32.sub (local.get 0) (i32.const 1)))
            (br $l)))"
    )
}
