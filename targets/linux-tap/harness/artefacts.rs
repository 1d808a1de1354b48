//! Build outputs next to a test: the gateway binary, the heap probe.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

/// The target directory a test binary was built in (`<target>/<profile>/deps/<test>`).
fn target_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("test path");
    exe.ancestors()
        .nth(3)
        .expect("<target>/<profile>/deps/<test>")
        .to_path_buf()
}

/// A build artefact next to the test, or a panic saying how to build it.
fn artefact(path: PathBuf, build: &str) -> PathBuf {
    assert!(
        path.is_file(),
        "{} is missing: build it first ({build})",
        path.display()
    );
    path
}

/// The gateway's `jinn` binary, built in the same target directory and profile.
pub fn gateway_bin() -> PathBuf {
    let exe = std::env::current_exe().expect("test path");
    let profile = exe.ancestors().nth(2).expect("<profile>/deps/<test>");
    artefact(profile.join("jinn"), "cargo build -p jinn-host --bin jinn")
}

/// `jinn run MODULE --input INPUT --report ARGS...` with the gateway binary:
/// the report, or a panic with what the command printed.
pub fn jinn_run_report(module: &Path, input: &Path, args: &[&str]) -> Value {
    let out = Command::new(gateway_bin())
        .arg("run")
        .arg(module)
        .arg("--input")
        .arg(input)
        .arg("--report")
        .args(args)
        .output()
        .expect("run jinn");
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "jinn run: {e}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

/// `heap-probe.wasm`: jinn-core built for a 32-bit target, run inside `jinn run`.
pub fn heap_probe_wasm() -> PathBuf {
    artefact(
        target_dir().join("wasm32-wasip1/release/heap-probe.wasm"),
        "cargo build -p jinn-heap-probe --release --target wasm32-wasip1",
    )
}
