//! `jinn serve` outside the repository: `./jinn.toml` when there is one, the
//! built-in demo otherwise, and nothing written when the start fails.

mod support;

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use support::{Server, request};

/// The files and directories in `dir`, sorted.
fn entries(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// `jinn ARGS…` run to its end in `cwd`: (exit code, stderr).
fn jinn_in(cwd: &Path, args: &[&str]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_jinn"))
        .args(args)
        .current_dir(cwd)
        .env("RUST_LOG", "info")
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The demo's temporary directory, as the log names it.
fn demo_dir(log: &str) -> PathBuf {
    let at = log
        .find("jinn-demo-")
        .expect("the log names the demo's directory");
    let start = log[..at].rfind(['=', ' ', '"']).unwrap() + 1;
    let end = at + log[at..].find(['"', ' ', '\n']).unwrap_or(log.len() - at);
    PathBuf::from(&log[start..end])
}

const PORTS: [&str; 4] = ["--listen", "127.0.0.1:0", "--admin-listen", "127.0.0.1:0"];

#[test]
fn an_empty_directory_serves_the_demo_and_keeps_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let cwd = dir.path().to_path_buf();
    let mut args = vec!["serve"];
    args.extend(PORTS);
    let mut server = Server::start_in(&cwd, &args);
    let log = server.log_text();
    assert!(log.contains("built-in demo"), "{log}");
    let demo = demo_dir(&log);
    assert!(demo.join("hello.wasm").is_file(), "{}", demo.display());

    let hello = server.get("/hello");
    assert_eq!(hello.status, 200);
    assert_eq!(hello.text(), "Hello from Jinn (built-in demo)\n");
    assert_eq!(
        hello.header("content-type"),
        Some("text/plain; charset=utf-8")
    );

    let body = "a \"quoted\" line\n\tand \\ a tab";
    let echo = request(server.http, "POST", "/echo/x?y=1", &[], body.as_bytes());
    assert_eq!(echo.status, 200, "{}", echo.text());
    let envelope = echo.json();
    assert_eq!(envelope["method"], "POST");
    assert_eq!(envelope["uri"], "/echo/x?y=1");
    assert_eq!(envelope["body"], body);

    for n in 1..=3 {
        let counter = server.get("/counter");
        assert_eq!(counter.status, 200);
        assert_eq!(counter.json(), serde_json::json!({ "count": n }));
    }
    assert!(
        demo.join("data").is_dir(),
        "the store is in the demo's directory"
    );

    server.signal(libc::SIGTERM);
    assert_eq!(server.wait_exit(Duration::from_secs(10)), Some(0));
    assert!(!demo.exists(), "the demo's directory is removed at exit");
    assert!(entries(&cwd).is_empty(), "{:?}", entries(&cwd));
}

#[test]
fn a_local_jinn_toml_is_used() {
    let dir = tempfile::tempdir().unwrap();
    let (name, text) = jinn_host::demo::MODULES[0];
    let wat = name.replace(".wasm", ".wat");
    std::fs::write(dir.path().join(&wat), text).unwrap();
    let config = format!(
        "data_dir = \"./state\"\n{}\n[[function]]\nname = \"mine\"\nmodule = \"{wat}\"\nroutes = [{{ prefix = \"/mine\" }}]\n",
        support::BASE
    );
    std::fs::write(dir.path().join("jinn.toml"), config).unwrap();
    let cwd = dir.path().to_path_buf();
    let server = Server::start_in(&cwd, &["serve"]);
    assert!(!server.log_text().contains("built-in demo"));
    assert_eq!(server.get("/mine").status, 200);
    assert_eq!(server.get("/hello").status, 404);
    assert!(cwd.join("state").is_dir());
}

#[test]
fn a_failed_start_writes_nothing() {
    // A module that is not there.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("jinn.toml"),
        format!(
            "data_dir = \"./data\"\n{}\n[[function]]\nname = \"f\"\nmodule = \"missing.wasm\"\nroutes = [{{ prefix = \"/f\" }}]\n",
            support::BASE
        ),
    )
    .unwrap();
    let (code, err) = jinn_in(dir.path(), &["serve"]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("cannot load the functions"), "{err}");
    assert_eq!(entries(dir.path()), ["jinn.toml"]);

    // A port already taken, with the modules fine: still no store.
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().to_string();
    let (name, text) = jinn_host::demo::MODULES[0];
    let wat = name.replace(".wasm", ".wat");
    std::fs::write(dir.path().join(&wat), text).unwrap();
    std::fs::write(
        dir.path().join("jinn.toml"),
        format!("data_dir = \"./data\"\n[[function]]\nname = \"f\"\nmodule = \"{wat}\"\nroutes = [{{ prefix = \"/f\" }}]\n"),
    )
    .unwrap();
    let args = ["serve", "--listen", &port, "--admin-listen", "127.0.0.1:0"];
    let (code, err) = jinn_in(dir.path(), &args);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("cannot listen on"), "{err}");
    assert_eq!(entries(dir.path()), ["hello.wat", "jinn.toml"]);

    // The demo, on a port already taken: its directory goes too.
    let empty = tempfile::tempdir().unwrap();
    let (code, err) = jinn_in(empty.path(), &args);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("built-in demo"), "{err}");
    assert!(!demo_dir(&err).exists(), "{err}");
    assert!(entries(empty.path()).is_empty());
}

#[test]
fn check_without_a_config_checks_the_demo() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_jinn"))
        .arg("check")
        .current_dir(dir.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}");
    assert!(stdout.contains("3 functions"), "{stdout}");
    assert!(entries(dir.path()).is_empty());
}
