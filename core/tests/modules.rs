//! What a module may be: size and function-count limits checked before
//! compiling, and `start` sections run sliced like `_start`.

mod support;

use std::sync::Arc;

use jinn_core::{ErrorKind, InvokeError, LoadError, Manifest, ModuleLimits, Oversize};
use support::*;

/// A module with `n` tiny functions, built as bytes (a 1 M-function module
/// is 4 MB: too slow to write as text).
fn many_functions(n: u32) -> Vec<u8> {
    fn leb(out: &mut Vec<u8>, mut v: u32) {
        loop {
            let b = (v & 0x7f) as u8;
            v >>= 7;
            if v == 0 {
                out.push(b);
                return;
            }
            out.push(b | 0x80);
        }
    }
    fn section(out: &mut Vec<u8>, id: u8, contents: &[u8]) {
        out.push(id);
        leb(out, contents.len() as u32);
        out.extend_from_slice(contents);
    }
    let mut wasm = b"\0asm\x01\0\0\0".to_vec();
    section(&mut wasm, 1, &[1, 0x60, 0, 0]); // type 0: [] -> []
    let mut funcs = Vec::new();
    leb(&mut funcs, n);
    funcs.extend(std::iter::repeat_n(0, n as usize));
    section(&mut wasm, 3, &funcs);
    section(&mut wasm, 5, &[1, 0, 1]); // one memory of one page
    let mut exports = vec![2, 6];
    exports.extend_from_slice(b"_start");
    exports.extend_from_slice(&[0, 0, 6]);
    exports.extend_from_slice(b"memory");
    exports.extend_from_slice(&[2, 0]);
    section(&mut wasm, 7, &exports);
    let mut code = Vec::new();
    leb(&mut code, n);
    for _ in 0..n {
        code.extend_from_slice(&[2, 0, 0x0b]);
    }
    section(&mut wasm, 10, &code);
    wasm
}

#[test]
fn modules_over_the_limits_are_refused_before_compiling() {
    let huge = many_functions(1_000_000);
    assert!(huge.len() > 4_000_000);
    let limits = ModuleLimits::default();
    let started = std::time::Instant::now();
    let err = runtime().load(&huge).err().expect("refused");
    assert_eq!(
        err,
        LoadError::TooLarge {
            what: Oversize::Functions,
            actual: 1_000_000,
            limit: limits.max_functions.into(),
        }
    );
    assert_eq!(err.kind(), ErrorKind::InvalidModule);
    assert!(
        err.to_string()
            .contains("1000000 functions, over the limit of")
    );
    // Refused from the section headers: far quicker than compiling 1 M functions.
    assert!(
        started.elapsed().as_millis() < 500,
        "{:?}",
        started.elapsed()
    );

    let small = many_functions(100);
    assert!(runtime().load(&small).is_ok());
    let strict = runtime().with_module_limits(ModuleLimits {
        max_bytes: 100,
        max_functions: 50_000,
    });
    assert!(matches!(
        strict.load(&small),
        Err(LoadError::TooLarge {
            what: Oversize::Bytes,
            limit: 100,
            ..
        })
    ));
}

const CLOCK: &str = r#"(import "wasi_snapshot_preview1" "clock_time_get" (func $clock (param i32 i64 i32) (result i32)))"#;

/// A module whose start function runs `start` (with local 0), then `_start` answers.
fn with_start(start: &str) -> String {
    guest(CLOCK, "", OK).replace(
        "(func $respond",
        &format!("(func $init (local i32) {start}) (start $init) (func $respond"),
    )
}

#[test]
fn a_start_section_runs_sliced_before_start() {
    // The start function calls the host and computes; `_start` then answers.
    let wat = with_start(&format!(
        "(drop (call $clock (i32.const 0) (i64.const 1) (i32.const 16))) {}",
        spin(50_000)
    ));
    let function = load(&wat);
    let (whole, _) = run(&function, Manifest::default(), b"");
    assert!(whole.result.is_ok(), "{:?}", whole.result);
    assert!(whole.fuel_used > 100_000);
    let mut call = function.invoke(
        TestHost::default(),
        Arc::new(Manifest::default()),
        Vec::new(),
    );
    let mut resumes = 0;
    while call.resume(10_000).is_running() {
        resumes += 1;
    }
    let (part, _) = call.finish();
    assert_eq!(
        (part.result, part.fuel_used),
        (whole.result, whole.fuel_used)
    );
    assert!(resumes >= 10, "the start function ran in slices: {resumes}");
}

#[test]
fn a_start_section_that_never_ends_can_be_interrupted() {
    let wat = with_start(
        "(loop $forever (drop (call $clock (i32.const 0) (i64.const 1) (i32.const 16))) (br $forever))",
    );
    let function = load(&wat);
    let mut m = Manifest::default();
    m.limits.fuel = u64::MAX / 2;
    let mut call = function.invoke(TestHost::default(), Arc::new(m), Vec::new());
    for _ in 0..5 {
        assert!(
            call.resume(100_000).is_running(),
            "the start function yields"
        );
    }
    call.interrupt();
    let (outcome, _) = call.finish();
    assert_eq!(outcome.result, Err(InvokeError::Interrupted));
    // A host that says stop ends it inside one slice too.
    let host = TestHost {
        stop_at_fuel: Some(1_000_000),
        ..TestHost::default()
    };
    let mut m = Manifest::default();
    m.limits.fuel = u64::MAX / 2;
    let (outcome, _) = function.run(host, Arc::new(m), Vec::new());
    assert_eq!(outcome.result, Err(InvokeError::Interrupted));
}

#[test]
fn a_start_function_with_parameters_is_still_invalid() {
    let wat = guest("", "", OK).replace(
        "(func $respond",
        "(func $init (param i32)) (start $init) (func $respond",
    );
    let wasm = wat::parse_str(&wat);
    // The text parser accepts it; validation must not, relocated or not.
    if let Ok(wasm) = wasm {
        assert!(matches!(runtime().load(&wasm), Err(LoadError::Invalid(_))));
    }
    // A start section in a module without exports has no `_start` either.
    let bare = wat::parse_str("(module (func $s) (start $s))").unwrap();
    assert_eq!(runtime().load(&bare).err(), Some(LoadError::NoEntryPoint));
}

#[test]
fn output_of_the_start_function_comes_first() {
    let wat = with_start(
        "(i32.store (i32.const 0) (i32.const 1024)) (i32.store (i32.const 4) (i32.const 1))
         (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))",
    )
    .replace(
        "(call $respond)))",
        &format!(
            "(i32.store (i32.const 0) (i32.const 1025)) (i32.store (i32.const 4) (i32.const {}))
             (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))))",
            OK.len() - 1
        ),
    );
    // Start writes `{`, `_start` writes the rest of the document.
    let (outcome, _) = run(&load(&wat), Manifest::default(), b"");
    let response = outcome.result.expect("one document, in order");
    assert_eq!(response.body, b"ok");
}
