//! A device that keeps one compiled module in RAM still runs all of its
//! functions: each is compiled from flash when it is called, and the least
//! recently used module is dropped.

#[path = "../harness/mod.rs"]
mod harness;

use harness::files::{TempDir, examples_dir};
use jinn_embassy::Config;
use jinn_linux_tap::in_process;

fn body(outcome: &jinn_core::Outcome) -> String {
    let response = outcome.result.as_ref().unwrap_or_else(|e| panic!("{e}"));
    String::from_utf8_lossy(&response.body).into_owned()
}

#[test]
fn functions_take_turns_in_one_resident_slot() {
    let dir = TempDir::new("resident");
    let module = |name: &str| examples_dir().join(format!("{name}.wasm"));
    let (hello, echo, counter) = (module("hello"), module("echo"), module("kv-counter"));
    let flash = in_process::flash_with(dir.path(), &[&hello, &echo, &counter]);
    let config = Config {
        resident_modules: 1,
        ..Config::default()
    };
    let jinn = in_process::start(flash, config);
    assert_eq!(jinn.function_count(), 3);
    assert_eq!(jinn.resident_count(), 0, "modules are compiled when called");

    let echo_call = r#"{"method":"POST","body":"ping"}"#;
    let counter_call = r#"{"uri":"/count?name=turns"}"#;
    assert_eq!(body(&in_process::call(jinn, 0, "{}")), "Hello from Jinn\n");
    assert_eq!(body(&in_process::call(jinn, 1, echo_call)), "ping");
    assert_eq!(jinn.resident_count(), 1);
    assert_eq!(
        body(&in_process::call(jinn, 2, counter_call)),
        r#"{"name":"turns","count":1}"#
    );
    assert_eq!(body(&in_process::call(jinn, 0, "{}")), "Hello from Jinn\n");
    assert_eq!(
        body(&in_process::call(jinn, 2, counter_call)),
        r#"{"name":"turns","count":2}"#
    );
    assert_eq!(jinn.resident_count(), 1);
    assert_eq!(jinn.counters().calls, 5);
    assert_eq!(jinn.counters().failed, 0);
}

#[test]
fn without_a_budget_every_module_stays() {
    let dir = TempDir::new("resident-all");
    let module = |name: &str| examples_dir().join(format!("{name}.wasm"));
    let flash = in_process::flash_with(dir.path(), &[&module("hello"), &module("c-hello")]);
    let jinn = in_process::start(flash, Config::default());
    assert_eq!(jinn.resident_count(), 2);
    in_process::call(jinn, 1, "{}")
        .result
        .expect("c-hello answers");
    assert_eq!(jinn.resident_count(), 2);
}
