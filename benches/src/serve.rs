//! Driving HTTP servers from outside: `jinn serve` with a generated
//! configuration, a small HTTP/1.1 client to check what a server answers,
//! and `wrk` for load. Everything on 127.0.0.1, on ports picked free.

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A free loopback port (the kernel's pick, released for the server to bind).
pub fn free_port() -> Result<u16, String> {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| format!("no free port: {e}"))
}

/// An HTTP response as read off the wire.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    /// Status code.
    pub status: u16,
    /// Header names (lower case) and values, in order.
    pub headers: Vec<(String, String)>,
    /// Body.
    pub body: Vec<u8>,
}

/// `GET path` with `Host: bench`, on a fresh connection.
///
/// # Errors
///
/// When the server cannot be reached or answers something unreadable.
pub fn get(addr: SocketAddr, path: &str) -> Result<Reply, String> {
    let fail = |e: std::io::Error| format!("GET http://{addr}{path}: {e}");
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(2)).map_err(fail)?;
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .map_err(fail)?;
    write!(stream, "GET {path} HTTP/1.1\r\nHost: bench\r\n\r\n").map_err(fail)?;
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    reader.read_line(&mut line).map_err(fail)?;
    let status = line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| format!("GET http://{addr}{path}: bad status line {line:?}"))?;
    let mut headers = Vec::new();
    loop {
        line.clear();
        reader.read_line(&mut line).map_err(fail)?;
        let l = line.trim_end();
        if l.is_empty() {
            break;
        }
        if let Some((k, v)) = l.split_once(':') {
            headers.push((k.trim().to_ascii_lowercase(), v.trim().to_string()));
        }
    }
    let len: usize = headers
        .iter()
        .find(|(k, _)| k == "content-length")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0; len];
    reader.read_exact(&mut body).map_err(fail)?;
    Ok(Reply {
        status,
        headers,
        body,
    })
}

/// Whether two servers gave the same answer: status, body and headers,
/// where `date` and the random trace ids need only be present in both.
pub fn same_reply(a: &Reply, b: &Reply) -> Result<(), String> {
    let varying = ["date", "x-trace-id", "x-echo-trace-id"];
    let masked = |r: &Reply| {
        let mut h: Vec<(String, String)> = r
            .headers
            .iter()
            .map(|(k, v)| {
                let v = if varying.contains(&k.as_str()) {
                    "*"
                } else {
                    v
                };
                (k.clone(), v.to_string())
            })
            .collect();
        h.sort();
        h
    };
    let (ha, hb) = (masked(a), masked(b));
    if a.status != b.status || a.body != b.body || ha != hb {
        return Err(format!("the servers answer differently:\n  {a:?}\n  {b:?}"));
    }
    Ok(())
}

/// A function of a generated configuration.
pub struct FunctionEntry {
    /// Name and route prefix (`/<name>` unless `prefix` is given).
    pub name: String,
    /// Absolute module path.
    pub module: PathBuf,
    /// Route prefix.
    pub prefix: String,
}

/// A configuration for `jinn serve` on the given ports, data under `dir`,
/// no file watching, `extra` TOML appended at the top level of each function.
pub fn config(
    dir: &Path,
    port: u16,
    admin: u16,
    functions: &[FunctionEntry],
    extra: &str,
) -> String {
    let mut c = format!(
        "data_dir = {:?}\n\n[http]\nlisten = [\"127.0.0.1:{port}\"]\n\n[admin]\nlisten = \"127.0.0.1:{admin}\"\n\n[reload]\nwatch = false\n",
        dir.join("data")
    );
    for f in functions {
        c.push_str(&format!(
            "\n[[function]]\nname = {:?}\nmodule = {:?}\nroutes = [{{ prefix = {:?} }}]\n{extra}",
            f.name, f.module, f.prefix
        ));
    }
    c
}

/// A `jinn serve` process, killed when dropped.
pub struct Server {
    /// The process.
    pub child: Child,
    /// Its HTTP address.
    pub addr: SocketAddr,
}

impl Server {
    /// Starts `jinn serve --config <dir>/jinn.toml` with `config`.
    ///
    /// # Errors
    ///
    /// When the process cannot be started.
    pub fn start(jinn: &Path, dir: &Path, config: &str, port: u16) -> Result<Self, String> {
        let file = dir.join("jinn.toml");
        std::fs::write(&file, config).map_err(|e| format!("{}: {e}", file.display()))?;
        let child = Command::new(jinn)
            .arg("serve")
            .arg("--config")
            .arg(&file)
            .env("RUST_LOG", "error")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|e| format!("{}: {e}", jinn.display()))?;
        Ok(Self {
            child,
            addr: SocketAddr::from(([127, 0, 0, 1], port)),
        })
    }

    /// Polls `GET path` until it answers 200; returns how long that took from `since`.
    ///
    /// # Errors
    ///
    /// When the process exits, or nothing answers 200 within `limit`.
    pub fn first_200(
        &mut self,
        path: &str,
        since: Instant,
        limit: Duration,
    ) -> Result<Duration, String> {
        loop {
            if let Ok(reply) = get(self.addr, path) {
                if reply.status == 200 {
                    return Ok(since.elapsed());
                }
                return Err(format!("GET {path} answered {}", reply.status));
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(format!("jinn serve exited: {status}"));
            }
            if since.elapsed() > limit {
                return Err(format!("no answer from {} within {limit:?}", self.addr));
            }
            std::thread::sleep(Duration::from_micros(200));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// What one wrk run measured.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Load {
    /// Requests per second.
    pub rps: f64,
    /// Median latency, µs.
    pub p50_us: f64,
    /// 99th percentile latency, µs.
    pub p99_us: f64,
}

/// `wrk --latency` with `connections` keep-alive connections for `seconds`.
///
/// # Errors
///
/// When wrk fails, its output cannot be read, or a request failed.
pub fn wrk(url: &str, connections: u32, seconds: u32) -> Result<Load, String> {
    let threads = connections.clamp(1, 2);
    let out = Command::new("wrk")
        .args([
            format!("-t{threads}"),
            format!("-c{connections}"),
            format!("-d{seconds}s"),
            "--latency".into(),
            url.into(),
        ])
        .output()
        .map_err(|e| format!("wrk: {e} (Debian: apt-get install wrk)"))?;
    let text = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        return Err(format!(
            "wrk failed: {text}{}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    parse_wrk(&text)
}

fn duration_us(s: &str) -> Option<f64> {
    let (number, unit) = s.split_at(s.find(|c: char| c.is_ascii_alphabetic())?);
    let n: f64 = number.parse().ok()?;
    Some(match unit {
        "us" => n,
        "ms" => n * 1e3,
        "s" => n * 1e6,
        "m" => n * 60e6,
        _ => return None,
    })
}

/// Reads wrk's `--latency` report.
///
/// # Errors
///
/// When a figure is missing, or requests failed (non-2xx, socket errors).
pub fn parse_wrk(text: &str) -> Result<Load, String> {
    if let Some(l) = text
        .lines()
        .find(|l| l.contains("Non-2xx") || l.contains("Socket errors"))
    {
        return Err(format!("wrk: {}", l.trim()));
    }
    let field = |label: &str| {
        text.lines()
            .find_map(|l| l.trim().strip_prefix(label).map(|r| r.trim().to_string()))
    };
    let bad = || format!("wrk output without the expected figures:\n{text}");
    Ok(Load {
        rps: field("Requests/sec:")
            .and_then(|v| v.parse().ok())
            .ok_or_else(bad)?,
        p50_us: field("50%").and_then(|v| duration_us(&v)).ok_or_else(bad)?,
        p99_us: field("99%").and_then(|v| duration_us(&v)).ok_or_else(bad)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const WRK: &str = "Running 1s test @ http://127.0.0.1:1/echo
  1 threads and 1 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency    88.00us   20.00us   1.00ms   90.00%
  Latency Distribution
     50%   81.00us
     75%   90.00us
     90%  100.00us
     99%    1.20ms
  11000 requests in 1.00s, 2.00MB read
Requests/sec:  11000.50
Transfer/sec:      2.00MB
";

    #[test]
    fn wrk_figures_are_read_in_their_units() {
        let load = parse_wrk(WRK).unwrap();
        assert_eq!(
            load,
            Load {
                rps: 11000.5,
                p50_us: 81.0,
                p99_us: 1200.0
            }
        );
        assert!(parse_wrk("nothing").is_err());
        let failing = WRK.replace(
            "Transfer/sec",
            "  Non-2xx or 3xx responses: 5\nTransfer/sec",
        );
        assert!(parse_wrk(&failing).unwrap_err().contains("Non-2xx"));
    }

    #[test]
    fn replies_differing_only_in_trace_ids_and_date_are_the_same() {
        let reply = |trace: &str, body: &[u8]| Reply {
            status: 200,
            headers: vec![
                ("x-trace-id".into(), trace.into()),
                ("content-type".into(), "a".into()),
            ],
            body: body.to_vec(),
        };
        assert!(same_reply(&reply("1", b"x"), &reply("2", b"x")).is_ok());
        assert!(same_reply(&reply("1", b"x"), &reply("1", b"y")).is_err());
    }
}
