//! `jinn build`'s progress bar: drawn on a terminal (a pseudo-terminal made
//! by util-linux's `script`), never in a pipe, with `--log-json` or on a
//! `TERM=dumb` terminal, where
//! the `== [i/n] name` lines are the whole record. Two C functions: clang
//! builds them in a fraction of a second.

use std::path::Path;
use std::process::{Command, Output, Stdio};

/// `jinn ARGS…` in `cwd` with its output in pipes.
fn piped(cwd: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_jinn"))
        .args(args)
        .current_dir(cwd)
        .env("TERM", "xterm")
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

/// `jinn ARGS…` in `cwd` on a pseudo-terminal: what the terminal showed.
fn on_a_terminal(cwd: &Path, args: &str, term: &str) -> String {
    let line = format!("{} {args}", env!("CARGO_BIN_EXE_jinn"));
    let out = Command::new("script")
        .args(["--quiet", "--return", "--command", &line, "/dev/null"])
        .current_dir(cwd)
        .env("TERM", term)
        .stdin(Stdio::null())
        .output()
        .expect("util-linux's script (bsdutils)");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "{line}: {}\n{text}", out.status);
    text
}

/// Two C functions routed in `dir/jinn.toml`.
fn two_functions(dir: &Path) {
    for name in ["first", "second"] {
        let out = piped(dir, &["new", "c", name]);
        assert!(out.status.success(), "{out:?}");
    }
}

/// The bar's drawing: a cleared line and the `pos/len` counter.
fn has_bar(text: &str) -> bool {
    text.contains("\x1b[2K") && text.contains("1/2") && text.contains("2/2")
}

#[test]
fn a_pipe_gets_plain_lines_and_no_bar() {
    let dir = tempfile::tempdir().unwrap();
    two_functions(dir.path());
    let out = piped(dir.path(), &["build"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(stdout.contains("\n== [1/2] first (c) in "), "{stdout}");
    assert!(stdout.contains("\n== [2/2] second (c) in "), "{stdout}");
    assert_eq!(stdout.matches(" 200 ok, ").count(), 2, "{stdout}");
    for (name, text) in [("stdout", &stdout), ("stderr", &stderr)] {
        assert!(
            !text.contains('\x1b') && !text.contains('\r'),
            "{name}: {text:?}"
        );
    }
}

#[test]
fn a_terminal_gets_a_bar_of_the_functions_unless_logs_are_json() {
    let dir = tempfile::tempdir().unwrap();
    two_functions(dir.path());
    let shown = on_a_terminal(dir.path(), "build", "xterm");
    assert!(has_bar(&shown), "{shown:?}");
    assert!(shown.contains("second (c): compiling"), "{shown:?}");
    // The lines are all there too, above the bar.
    assert!(shown.contains("== [2/2] second (c) in "), "{shown:?}");
    assert_eq!(shown.matches(" 200 ok, ").count(), 2, "{shown:?}");

    let json = on_a_terminal(dir.path(), "build --log-json", "xterm");
    assert!(!json.contains('\x1b'), "--log-json: {json:?}");
    assert!(json.contains("== [2/2] second (c) in "), "{json:?}");

    let dumb = on_a_terminal(dir.path(), "build", "dumb");
    assert!(!dumb.contains('\x1b'), "TERM=dumb: {dumb:?}");
    assert!(dumb.contains("GET /first  200 ok"), "{dumb:?}");
}

#[test]
fn one_function_has_no_counter_in_its_line() {
    let dir = tempfile::tempdir().unwrap();
    two_functions(dir.path());
    let out = piped(dir.path(), &["build", "first"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}");
    assert!(stdout.contains("\n== first (c) in "), "{stdout}");
}
