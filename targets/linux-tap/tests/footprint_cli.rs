//! `jinn-footprint`'s command line: `--help` prints the usage, a bad
//! argument is a usage error (status 2, the reason and the usage on
//! stderr), never a panic.

use std::process::{Command, Output};

fn footprint(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_jinn-footprint"))
        .args(args)
        .output()
        .expect("jinn-footprint starts")
}

#[test]
fn help_prints_the_usage() {
    let out = footprint(&["--help"]);
    assert_eq!(out.status.code(), Some(0));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.starts_with("usage: jinn-footprint"), "{stdout}");
}

#[test]
fn bad_arguments_are_usage_errors() {
    for (args, reason) in [
        (&["--bogus"][..], "unknown option --bogus"),
        (
            &["--max-flash", "lots"][..],
            "--max-flash takes a number of bytes",
        ),
        (
            &["--max-static-ram"][..],
            "--max-static-ram takes a number of bytes",
        ),
        (
            &["--firmware-only", "--probe", "p.wasm"][..],
            "--probe and --gateway go together",
        ),
    ] {
        let out = footprint(args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(reason), "{args:?}: {stderr}");
        assert!(
            stderr.contains("usage: jinn-footprint"),
            "{args:?}: {stderr}"
        );
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
    }
}
