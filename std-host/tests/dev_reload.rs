//! `jinn dev`: a change to a function's sources rebuilds it and the gateway
//! serves the new version; a change that does not compile shows the
//! compiler's error and the previous version keeps serving.

mod support;

use std::net::TcpStream;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use support::Server;

/// The `lang` field of `/dv`'s answer, once it answers 200.
fn lang(server: &Server) -> String {
    let response = server.get("/dv");
    assert_eq!(response.status, 200, "{}", response.text());
    response.json()["lang"].as_str().unwrap().to_string()
}

fn edit(file: &Path, from: &str, to: &str) {
    let text = std::fs::read_to_string(file).unwrap();
    assert!(text.contains(from), "{text}");
    std::fs::write(file, text.replace(from, to)).unwrap();
}

#[test]
fn a_change_is_rebuilt_and_a_broken_one_keeps_the_old_version() {
    let dir = tempfile::tempdir().unwrap();
    let cwd = dir.path();
    let made = Command::new(env!("CARGO_BIN_EXE_jinn"))
        .args(["new", "c", "dv"])
        .current_dir(cwd)
        .output()
        .unwrap();
    assert!(made.status.success());
    let args = [
        "dev",
        "--interval",
        "100ms",
        "--listen",
        "127.0.0.1:0",
        "--admin-listen",
        "127.0.0.1:0",
    ];
    let mut server = Server::start_in(cwd, &args);
    assert_eq!(lang(&server), "c", "built before serving");

    let source = cwd.join("dv/main.c");
    edit(&source, r#"lang\\\":\\\"c\\\""#, r#"lang\\\":\\\"c-v2\\\""#);
    let start = Instant::now();
    while lang(&server) != "c-v2" {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "not reloaded:\n{}",
            server.log_text()
        );
        std::thread::sleep(Duration::from_millis(100));
    }

    edit(&source, "int main(void) {", "int main(void) { not C at all");
    assert!(
        server.wait_log(
            "the previous version keeps serving",
            Duration::from_secs(60)
        ),
        "{}",
        server.log_text()
    );
    let log = server.log_text();
    assert!(
        log.contains("error:"),
        "the compiler's error is shown: {log}"
    );
    assert!(log.contains("main.c"), "{log}");
    std::thread::sleep(Duration::from_millis(1500));
    assert_eq!(lang(&server), "c-v2", "the previous version keeps serving");

    // Ending `jinn dev` ends its gateway.
    let http = server.http;
    server.signal(libc::SIGTERM);
    server.wait_exit(Duration::from_secs(10));
    let start = Instant::now();
    while TcpStream::connect(http).is_ok() {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "jinn serve outlived jinn dev"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}
