//! `Jinn::observe_calls`: the observer hears every call start and end, with
//! the function's name and its outcome — what the boards' meter relies on.

#[path = "../harness/mod.rs"]
mod harness;

use std::cell::RefCell;

use harness::files::{TempDir, examples_dir};
use jinn_core::Outcome;
use jinn_embassy::{CallObserver, Config};
use jinn_linux_tap::in_process;

#[derive(Default)]
struct Record(RefCell<Vec<String>>);

impl CallObserver for Record {
    fn call_started(&self) {
        self.0.borrow_mut().push("start".into());
    }

    fn call_ended(&self, function: &str, outcome: &Outcome) {
        let result = match &outcome.result {
            Ok(response) => response.status.to_string(),
            Err(e) => e.kind().as_str().to_string(),
        };
        self.0
            .borrow_mut()
            .push(format!("{function} {result} {}", outcome.fuel_used > 0));
    }
}

#[test]
fn the_observer_hears_each_call_start_and_end() {
    let dir = TempDir::new("observer");
    let module = |name: &str| examples_dir().join(format!("{name}.wasm"));
    let flash = in_process::flash_with(dir.path(), &[&module("hello"), &module("fuel-burner")]);
    let jinn = in_process::start(flash, Config::default());
    let record: &'static Record = Box::leak(Box::default());

    in_process::call(jinn, 0, "{}");
    assert!(
        record.0.borrow().is_empty(),
        "nothing observed before it is set"
    );
    jinn.observe_calls(record);
    in_process::call(jinn, 0, "{}");
    in_process::call(jinn, 1, r#"{"uri":"/burn?iterations=10"}"#);
    assert_eq!(
        *record.0.borrow(),
        ["start", "f0 200 true", "start", "f1 200 true"]
    );
}
