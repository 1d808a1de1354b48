//! The SDK README's "A function of your own, in a fresh directory", done as
//! written: its `Cargo.toml` and `src/main.rs` are taken from the README,
//! the crate is made with `cargo new` in a temporary directory outside the
//! repository (path dependencies on this checkout's `sdk/` and
//! `contract/`), built for wasm32-wasip1 with `jinn build`, and called with
//! the README's `jinn run` line; the response must be the one the README
//! shows.

mod support;

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use support::root;

/// The README section the test follows.
const SECTION: &str = "## A function of your own, in a fresh directory";

/// The fenced blocks of `lang` in `text`, in order.
fn blocks<'a>(text: &'a str, lang: &str) -> Vec<&'a str> {
    let fence = format!("```{lang}\n");
    let mut found = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find(&fence) {
        let body = &rest[start + fence.len()..];
        let end = body.find("```\n").expect("an unclosed block");
        found.push(&body[..end]);
        rest = &body[end..];
    }
    found
}

/// Runs `program args…` in `cwd`; panics with its output unless it succeeds.
#[track_caller]
fn ok(cwd: &Path, program: &str, args: &[&str]) -> String {
    let out = Command::new(program)
        .args(args)
        .current_dir(cwd)
        // Rust functions built by the tests share one target directory.
        .env("CARGO_TARGET_DIR", root().join("target/jinn-new-test"))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{program} {args:?} failed ({}):\n{stdout}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

#[test]
fn the_readme_function_builds_outside_the_repository_and_answers() {
    let readme = std::fs::read_to_string(root().join("sdk/README.md")).unwrap();
    let start = readme.find(SECTION).expect("the README section");
    let section = &readme[start + SECTION.len()..];
    let section = &section[..section.find("\n## ").unwrap_or(section.len())];
    let manifest = blocks(section, "toml")[0];
    let main_rs = blocks(section, "rust")[0];
    // The `… | jinn run greet.wasm --input -` line and the `# …` answer after it.
    let shell = blocks(section, "sh").join("");
    let mut lines = shell.lines().skip_while(|l| !l.contains("| jinn run "));
    let call = lines.next().expect("the README's jinn run line");
    let expected = lines.next().expect("the answer it shows");
    let request = call
        .strip_prefix("echo '")
        .and_then(|c| c.split_once("' | ").map(|(json, _)| json))
        .expect("echo '<json>' | jinn run …");
    let expected = expected.strip_prefix("# ").expect("# <response>");

    let dir = tempfile::tempdir().unwrap();
    let cwd = dir.path().canonicalize().unwrap();
    assert!(!cwd.starts_with(root()), "outside the repository");
    ok(&cwd, "cargo", &["new", "greet"]);
    let crate_dir = cwd.join("greet");
    let checkout = root().display().to_string();
    std::fs::write(
        crate_dir.join("Cargo.toml"),
        manifest.replace("/path/to/jinn", &checkout),
    )
    .unwrap();
    std::fs::write(crate_dir.join("src/main.rs"), main_rs).unwrap();
    // The README's optional step: the versions this checkout is tested with
    // (and what the test command has fetched already).
    std::fs::copy(root().join("Cargo.lock"), crate_dir.join("Cargo.lock")).unwrap();

    let built = ok(&crate_dir, env!("CARGO_BIN_EXE_jinn"), &["build", "."]);
    assert!(built.contains("greet (rust)"), "{built}");
    assert!(built.contains("GET /greet  200 ok"), "{built}");
    let wasm = crate_dir.join("greet.wasm");
    assert!(wasm.is_file(), "{built}");

    let mut child = Command::new(env!("CARGO_BIN_EXE_jinn"))
        .args(["run", "greet.wasm", "--input", "-"])
        .current_dir(&crate_dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // `echo` ends the line with a newline.
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(format!("{request}\n").as_bytes()).unwrap();
    drop(stdin);
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "jinn run: {}\n{stdout}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(stdout.trim_end(), expected, "the README's answer");
}
