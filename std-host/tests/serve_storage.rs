//! Storage faults on `jinn serve`: a full disk fails calls with
//! `storage_unavailable` (503) and makes the gateway not ready until writes
//! work again; a damaged or truncated store refuses to start; damage found
//! while serving fails calls, never the process.
//!
//! The full disk is simulated with a file-size limit (`RLIMIT_FSIZE`, soft,
//! with `SIGXFSZ` ignored: writes past it fail with `EFBIG`), which needs no
//! root; raising the limit while the gateway runs is space returning.

mod support;

use std::time::{Duration, Instant};

use support::*;

fn config() -> String {
    format!(
        "{BASE}{}{}",
        kv_counter(),
        function(
            "fill",
            &guest("fill.wat"),
            "/fill",
            "[function.permissions]\nkv_write = [\"fill/*\"]\n",
        ),
    )
}

fn readyz(server: &Server) -> u16 {
    request(server.admin, "GET", "/readyz", &[], b"").status
}

#[test]
fn a_full_disk_fails_calls_typed_and_writes_resume_when_space_returns() {
    let server = Server::start_file_limited(&config(), 4 << 20);
    assert_eq!(server.get("/kv-counter?name=n").json()["count"], 1);
    assert_eq!(readyz(&server), 200);

    let mut filled = 0;
    let full = loop {
        let r = server.get("/fill");
        if r.status != 200 {
            break r;
        }
        filled += 1;
        assert!(filled < 200, "4 MiB never filled");
    };
    assert_eq!(full.status, 503, "{}", full.text());
    assert_eq!(full.json()["error"], "storage_unavailable");
    assert!(full.header("retry-after").is_some());
    // Nothing acknowledged while the store fails, and not ready.
    let r = server.get("/kv-counter?name=n");
    assert_eq!(
        (r.status, r.json()["error"].clone()),
        (503, "storage_unavailable".into())
    );
    assert_eq!(readyz(&server), 503);
    assert_eq!(server.metric("jinn_storage_healthy"), 0.0);

    server.set_file_size_limit(libc::RLIM_INFINITY);
    let start = Instant::now();
    while readyz(&server) != 200 {
        assert!(
            start.elapsed() < Duration::from_secs(15),
            "not ready again after space returned:\n{}",
            server.log_text()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let r = server.get("/kv-counter?name=n");
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["count"], 2, "the refused call was not kept");
    assert_eq!(server.get("/fill").status, 200);
    println!(
        "filled {filled} × 60 KiB, refused, ready again {:?} after space returned",
        start.elapsed()
    );
}

/// Serves a few counters, stops, and returns the data directory.
fn populated_store() -> (tempfile::TempDir, std::path::PathBuf) {
    let mut server = Server::start(&config());
    for i in 0..300 {
        assert_eq!(
            server.get(&format!("/kv-counter?name=key-{i:04}")).status,
            200
        );
    }
    server.signal(libc::SIGTERM);
    assert_eq!(server.wait_exit(Duration::from_secs(10)), Some(0));
    let file = server.dir.path().join("jinn-data/kv.redb");
    assert!(file.exists());
    let dir = std::mem::replace(&mut server.dir, tempfile::tempdir().unwrap());
    (dir, file)
}

/// Counts counter `key-<i>` once more.
fn count(http: std::net::SocketAddr, i: usize) -> Resp {
    request(
        http,
        "GET",
        &format!("/kv-counter?name=key-{i:04}"),
        &[],
        b"",
    )
}

fn zero_page(file: &std::path::Path, page: u64) {
    use std::io::{Seek, SeekFrom, Write};
    let mut f = std::fs::OpenOptions::new().write(true).open(file).unwrap();
    f.seek(SeekFrom::Start(page * 4096)).unwrap();
    f.write_all(&[0; 4096]).unwrap();
    f.sync_all().unwrap();
}

/// `jinn serve` with `dir`'s config: its exit code and log.
fn serve_once(dir: &std::path::Path) -> (i32, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_jinn"))
        .args(["serve", "--config"])
        .arg(dir.join("jinn.toml"))
        .current_dir(root())
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    // A store that opens would serve until stopped: the test times out then.
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// How `jinn serve` on a store went.
enum Start {
    /// It exited 1 with this log.
    Refused(String),
    /// It serves on this address (killed when dropped).
    Serving(KillOnDrop, std::net::SocketAddr),
}

struct KillOnDrop(std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start_on(dir: &std::path::Path) -> Start {
    use std::io::BufRead;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_jinn"))
        .args(["serve", "--config"])
        .arg(dir.join("jinn.toml"))
        .current_dir(root())
        .stdin(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let mut child = KillOnDrop(child);
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stderr)
            .lines()
            .map_while(Result::ok)
        {
            let _ = tx.send(line);
        }
    });
    let mut log = String::new();
    loop {
        match rx.recv_timeout(Duration::from_secs(30)) {
            Ok(line) => {
                if let Some(http) = field(&line, "http") {
                    return Start::Serving(child, http);
                }
                log.push_str(&line);
                log.push('\n');
            }
            Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => {
                let code = child.0.wait().unwrap().code();
                assert_eq!(code, Some(1), "neither served nor refused: {log}");
                return Start::Refused(log);
            }
            Err(e) => panic!("no answer from jinn serve: {e}: {log}"),
        }
    }
}

#[test]
fn a_damaged_store_refuses_to_start_or_fails_calls_never_answers_wrong() {
    let (dir, file) = populated_store();
    let pages = std::fs::metadata(&file).unwrap().len() / 4096;
    let pristine = std::fs::read(&file).unwrap();
    let (mut refused, mut served) = (0, 0);
    // Every page, zeroed in turn.
    for page in 0..pages {
        zero_page(&file, page);
        match start_on(dir.path()) {
            Start::Refused(log) => {
                assert!(log.contains("is damaged"), "{log}");
                assert!(log.contains("Recovery:"), "{log}");
                refused += 1;
            }
            Start::Serving(_child, http) => {
                // Not noticed at start (a page no table uses): every value
                // read is right, or the call fails typed; the process lives.
                for i in 0..300 {
                    let r = count(http, i);
                    match r.status {
                        200 => assert_eq!(r.json()["count"], 2, "page {page}, key {i}"),
                        503 => assert_eq!(r.json()["error"], "storage_unavailable"),
                        other => panic!("page {page}: {other} {}", r.text()),
                    }
                }
                served += 1;
            }
        }
        std::fs::write(&file, &pristine).unwrap();
    }
    println!(
        "{pages} pages: {refused} zeroed pages refused at start, {served} started and answered right"
    );
    assert!(refused > 0);
}

#[test]
fn an_empty_store_file_refuses_to_start() {
    let (dir, file) = populated_store();
    std::fs::write(&file, b"").unwrap();
    let (code, log) = serve_once(dir.path());
    assert_eq!(code, 1, "{log}");
    assert!(log.contains("is damaged (the file is empty)"), "{log}");
    assert!(log.contains("restore"), "{log}");
}

#[test]
fn damage_found_while_serving_fails_calls_never_the_process() {
    let (dir, file) = populated_store();
    let Start::Serving(mut child, http) = start_on(dir.path()) else {
        panic!("the pristine store refused to start");
    };
    let pages = std::fs::metadata(&file).unwrap().len() / 4096;
    for page in 1..pages {
        zero_page(&file, page);
    }
    let mut statuses = std::collections::BTreeMap::new();
    for i in 0..300 {
        let r = count(http, i);
        assert!(
            matches!(r.status, 200 | 500 | 503),
            "{} {}",
            r.status,
            r.text()
        );
        if r.status == 503 {
            assert_eq!(r.json()["error"], "storage_unavailable");
        }
        *statuses.entry(r.status).or_insert(0) += 1;
    }
    let after = request(http, "GET", "/kv-counter?name=after", &[], b"");
    assert!(
        matches!(after.status, 200 | 503),
        "still serving: {}",
        after.text()
    );
    assert!(child.0.try_wait().unwrap().is_none(), "the process lives");
    println!(
        "answers after zeroing {} pages under a running gateway: {statuses:?}",
        pages - 1
    );
}
