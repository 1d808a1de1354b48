//! Helpers of the `jinn serve` tests: spawn the real binary on loopback
//! ports it picks itself, speak HTTP/1.1 over plain sockets, always kill it.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// A built example guest: tests fail (never skip) when it is missing.
#[track_caller]
pub fn example(name: &str) -> String {
    let path = root().join("examples/wasm").join(format!("{name}.wasm"));
    assert!(
        path.exists(),
        "{} is missing: build the guests with scripts/build-examples.sh",
        path.display()
    );
    path.display().to_string()
}

pub fn hostile(name: &str) -> String {
    root()
        .join("examples/hostile")
        .join(format!("{name}.wat"))
        .display()
        .to_string()
}

pub fn guest(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/guests")
        .join(name)
        .display()
        .to_string()
}

/// A `[[function]]` table.
pub fn function(name: &str, module: &str, route: &str, extra: &str) -> String {
    format!(
        "\n[[function]]\nname = \"{name}\"\nmodule = \"{module}\"\nroutes = [{{ prefix = \"{route}\" }}]\n{extra}\n"
    )
}

/// The `kv-counter` example at `/kv-counter`, allowed its `counter/*` keys.
pub fn kv_counter() -> String {
    function(
        "kv-counter",
        &example("kv-counter"),
        "/kv-counter",
        "[function.permissions]\nkv_read = [\"counter/*\"]\nkv_write = [\"counter/*\"]\n",
    )
}

/// `spin`, at `/spin`: `fuel-burner` with fuel to burn for longer than `timeout`.
pub fn spinner(timeout: &str) -> String {
    function(
        "spin",
        &example("fuel-burner"),
        "/spin",
        &format!("limits = {{ fuel = 1_000_000_000_000, timeout = \"{timeout}\" }}"),
    )
}

/// Settings every test config starts with: port 0 everywhere, no watching.
pub const BASE: &str = "[http]\nlisten = [\"127.0.0.1:0\"]\n[admin]\nlisten = \"127.0.0.1:0\"\n[reload]\nwatch = false\n";

pub struct Server {
    pub child: Child,
    pub http: SocketAddr,
    pub admin: SocketAddr,
    pub log: Arc<Mutex<Vec<String>>>,
    pub dir: tempfile::TempDir,
    pub config: PathBuf,
}

pub fn field(line: &str, name: &str) -> Option<SocketAddr> {
    let human = format!("{name}=\"");
    let json = format!("\"{name}\":\"");
    let start = match line.find(&human) {
        Some(at) => at + human.len(),
        None => line.find(&json)? + json.len(),
    };
    let end = line[start..].find(['"', ','])? + start;
    line[start..end].parse().ok()
}

fn spawn(
    args: &[&str],
    cwd: &Path,
    env: &[(&str, &str)],
    file_size_limit: Option<u64>,
) -> (Child, Arc<Mutex<Vec<String>>>, Receiver<String>) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_jinn"));
    if let Some(bytes) = file_size_limit {
        use std::os::unix::process::CommandExt;
        // SAFETY: only async-signal-safe calls between fork and exec.
        unsafe {
            cmd.pre_exec(move || {
                // Writes past the limit fail with EFBIG instead of killing the process.
                libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
                let limit = libc::rlimit {
                    rlim_cur: bytes,
                    rlim_max: libc::RLIM_INFINITY,
                };
                if libc::setrlimit(libc::RLIMIT_FSIZE, &limit) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
    }
    cmd.args(args)
        .current_dir(cwd)
        .env("RUST_LOG", "info")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().expect("jinn starts");
    let stderr = child.stderr.take().unwrap();
    let log = Arc::new(Mutex::new(Vec::new()));
    let (tx, rx) = channel();
    let sink = log.clone();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines() {
            let Ok(line) = line else { break };
            if line.contains("listening") {
                let _ = tx.send(line.clone());
            }
            sink.lock().unwrap().push(line);
        }
    });
    (child, log, rx)
}

impl Server {
    /// Starts `jinn serve --config <dir>/jinn.toml` with `config`.
    #[track_caller]
    pub fn start(config: &str) -> Self {
        Self::start_with(config, tempfile::tempdir().unwrap(), &[])
    }

    #[track_caller]
    pub fn start_with(config: &str, dir: tempfile::TempDir, env: &[(&str, &str)]) -> Self {
        Self::start_args(config, dir, env, &[])
    }

    /// Starts `jinn [ARGS…] serve --config <dir>/jinn.toml`.
    #[track_caller]
    pub fn start_args(
        config: &str,
        dir: tempfile::TempDir,
        env: &[(&str, &str)],
        args: &[&str],
    ) -> Self {
        let path = dir.path().join("jinn.toml");
        std::fs::write(&path, config).unwrap();
        let text = path.to_str().unwrap().to_string();
        let mut all: Vec<&str> = args.to_vec();
        all.extend(["serve", "--config", text.as_str()]);
        Self::launch(&all, dir, path.clone(), env, None)
    }

    /// Starts `jinn serve --config <dir>/jinn.toml` unable to write files
    /// past `bytes` (`RLIMIT_FSIZE`, soft): a disk that is full for it.
    #[track_caller]
    pub fn start_file_limited(config: &str, bytes: u64) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("jinn.toml");
        std::fs::write(&path, config).unwrap();
        let text = path.to_str().unwrap().to_string();
        let args = ["serve", "--config", text.as_str()];
        Self::launch(&args, dir, path.clone(), &[], Some(bytes))
    }

    /// Sets the file size limit of the running server (space returns).
    pub fn set_file_size_limit(&self, bytes: u64) {
        let limit = libc::rlimit {
            rlim_cur: bytes,
            rlim_max: libc::RLIM_INFINITY,
        };
        // SAFETY: our own child; the pointers are valid for the call.
        let rc =
            unsafe { libc::prlimit(self.pid(), libc::RLIMIT_FSIZE, &limit, std::ptr::null_mut()) };
        assert_eq!(rc, 0, "prlimit: {}", std::io::Error::last_os_error());
    }

    /// Starts `jinn serve` with the embedded default in the repository root.
    #[track_caller]
    pub fn start_default() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data").display().to_string();
        let args = [
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--admin-listen",
            "127.0.0.1:0",
            "--data-dir",
            data.as_str(),
        ];
        let path = dir.path().join("none");
        Self::launch(&args, dir, path, &[], None)
    }

    /// Starts `jinn ARGS…` with `cwd` as its working directory.
    #[track_caller]
    pub fn start_in(cwd: &Path, args: &[&str]) -> Self {
        let dir = tempfile::tempdir().unwrap();
        Self::launch_in(args, cwd, dir, cwd.join("jinn.toml"), &[], None)
    }

    #[track_caller]
    fn launch(
        args: &[&str],
        dir: tempfile::TempDir,
        config: PathBuf,
        env: &[(&str, &str)],
        file_size_limit: Option<u64>,
    ) -> Self {
        Self::launch_in(args, &root(), dir, config, env, file_size_limit)
    }

    #[track_caller]
    fn launch_in(
        args: &[&str],
        cwd: &Path,
        dir: tempfile::TempDir,
        config: PathBuf,
        env: &[(&str, &str)],
        file_size_limit: Option<u64>,
    ) -> Self {
        let (mut child, log, rx) = spawn(args, cwd, env, file_size_limit);
        let line = match rx.recv_timeout(Duration::from_secs(30)) {
            Ok(l) => l,
            Err(_) => {
                let _ = child.kill();
                let _ = child.wait();
                std::thread::sleep(Duration::from_millis(100));
                panic!(
                    "jinn serve did not start:\n{}",
                    log.lock().unwrap().join("\n")
                );
            }
        };
        let http = field(&line, "http").expect("http address in the log");
        let admin = field(&line, "admin").expect("admin address in the log");
        Self {
            child,
            http,
            admin,
            log,
            dir,
            config,
        }
    }

    pub fn pid(&self) -> i32 {
        self.child.id() as i32
    }

    pub fn signal(&self, sig: i32) {
        // SAFETY: sending a signal to our own child process.
        unsafe {
            libc::kill(self.pid(), sig);
        }
    }

    /// Waits for the process to exit; its exit code.
    pub fn wait_exit(&mut self, limit: Duration) -> Option<i32> {
        let start = Instant::now();
        while start.elapsed() < limit {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status.code();
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    }

    pub fn log_text(&self) -> String {
        self.log.lock().unwrap().join("\n")
    }

    /// Waits until the log has a line containing `needle`.
    pub fn wait_log(&self, needle: &str, limit: Duration) -> bool {
        let start = Instant::now();
        while start.elapsed() < limit {
            if self.log_text().contains(needle) {
                return true;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        false
    }

    pub fn get(&self, path: &str) -> Resp {
        request(self.http, "GET", path, &[], b"")
    }

    pub fn metrics(&self) -> String {
        String::from_utf8(request(self.admin, "GET", "/metrics", &[], b"").body).unwrap()
    }

    /// The value of a metric line (exact series text before the value).
    pub fn metric(&self, series: &str) -> f64 {
        metric_value(&self.metrics(), series)
    }
}

pub fn metric_value(text: &str, series: &str) -> f64 {
    text.lines()
        .find_map(|l| l.strip_prefix(series).and_then(|v| v.strip_prefix(' ')))
        .map_or(f64::NAN, |v| v.trim().parse().unwrap())
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Resp {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text()))
    }
}

/// A keep-alive HTTP/1.1 connection.
pub struct Conn {
    stream: BufReader<TcpStream>,
}

impl Conn {
    pub fn open(addr: SocketAddr) -> Self {
        let stream = TcpStream::connect_timeout(&addr, Duration::from_secs(5)).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(30)))
            .unwrap();
        stream.set_nodelay(true).unwrap();
        Self {
            stream: BufReader::new(stream),
        }
    }

    pub fn send(
        &mut self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> std::io::Result<Resp> {
        let mut head = format!(
            "{method} {path} HTTP/1.1\r\nHost: test\r\nContent-Length: {}\r\n",
            body.len()
        );
        for (k, v) in headers {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
        head.push_str("\r\n");
        let s = self.stream.get_mut();
        s.write_all(head.as_bytes())?;
        s.write_all(body)?;
        read_response(&mut self.stream)
    }
}

pub fn read_response(r: &mut BufReader<TcpStream>) -> std::io::Result<Resp> {
    let mut line = String::new();
    if r.read_line(&mut line)? == 0 {
        return Err(std::io::Error::new(
            std::io::ErrorKind::UnexpectedEof,
            "closed",
        ));
    }
    let status: u16 = line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| std::io::Error::other(format!("bad status line {line:?}")))?;
    let mut headers = Vec::new();
    loop {
        let mut h = String::new();
        r.read_line(&mut h)?;
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            headers.push((k.trim().to_string(), v.trim().to_string()));
        }
    }
    let len: usize = headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
        .map_or(0, |(_, v)| v.parse().unwrap());
    let mut body = vec![0; len];
    r.read_exact(&mut body)?;
    Ok(Resp {
        status,
        headers,
        body,
    })
}

/// One request on a new connection.
#[track_caller]
pub fn request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Resp {
    Conn::open(addr)
        .send(method, path, headers, body)
        .unwrap_or_else(|e| panic!("{method} {path}: {e}"))
}

/// `jinn ARGS…` to completion: (exit code, stdout, stderr).
pub fn jinn(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_jinn"))
        .args(args)
        .current_dir(root())
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Writes `<dir>/<name>.wat`: a guest that prints `stdout` and exits; its path.
pub fn printer(dir: &Path, name: &str, stdout: &str) -> String {
    let escaped: String = stdout.bytes().map(|b| format!("\\{b:02x}")).collect();
    let pages = (stdout.len() + 16) / 65536 + 1;
    let wat = format!(
        r#"(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") {pages})
  (data (i32.const 16) "{escaped}")
  (func (export "_start")
    (i32.store (i32.const 0) (i32.const 16))
    (i32.store (i32.const 4) (i32.const {len}))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))))"#,
        len = stdout.len()
    );
    let path = dir.join(format!("{name}.wat"));
    std::fs::write(&path, wat).unwrap();
    path.display().to_string()
}

/// Waits until `metric` reads `value` (at most `limit`); its last value.
pub fn wait_metric(server: &Server, metric: &str, value: f64, limit: Duration) -> f64 {
    let start = Instant::now();
    loop {
        let v = server.metric(metric);
        if v == value || start.elapsed() > limit {
            return v;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}
