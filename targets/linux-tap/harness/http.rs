//! HTTP to the device with curl, and the latency statistics.

use std::io::Write as _;
use std::process::Stdio;
use std::time::Duration;

use super::netns::{DEVICE_IP, Netns, Place};
use super::process::run;

/// An HTTP answer.
#[derive(Debug, Clone)]
pub struct Reply {
    /// Status code.
    pub status: u16,
    /// Header lines, names lowercased.
    pub headers: Vec<(String, String)>,
    /// Body bytes.
    pub body: Vec<u8>,
}

impl Reply {
    /// The first value of header `name` (lowercase).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The body as text.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The body as JSON.
    ///
    /// # Panics
    ///
    /// When it is not JSON (test support).
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| panic!("{e}: {}", self.text()))
    }
}

/// One request to the device with curl; `None` when it does not answer in `timeout`.
pub fn http(
    ns: &Netns,
    method: &str,
    path: &str,
    body: Option<&[u8]>,
    headers: &[(&str, &str)],
    timeout: Duration,
) -> Option<Reply> {
    let mut cmd = ns.command("curl");
    cmd.args(["-s", "-i", "-X", method, "-m"])
        .arg(format!("{:.3}", timeout.as_secs_f64()));
    for (name, value) in headers {
        cmd.arg("-H").arg(format!("{name}: {value}"));
    }
    if body.is_some() {
        cmd.args(["--data-binary", "@-"]);
    }
    cmd.arg(format!("http://{DEVICE_IP}{path}"));
    cmd.stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    let mut child = cmd.spawn().expect("spawn curl");
    if let Some(mut stdin) = child.stdin.take() {
        let _ = stdin.write_all(body.unwrap_or_default());
    }
    let out = child.wait_with_output().expect("curl");
    if !out.status.success() {
        return None;
    }
    parse_reply(&out.stdout)
}

/// Parses a whole HTTP/1.1 response: status line, headers, then the body.
pub fn parse_reply(raw: &[u8]) -> Option<Reply> {
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = String::from_utf8_lossy(&raw[..split]);
    let mut lines = head.lines();
    let status = lines.next()?.split_whitespace().nth(1)?.parse().ok()?;
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    Some(Reply {
        status,
        headers,
        body: raw[split + 4..].to_vec(),
    })
}

/// Per-request times of `count` GETs of `path` with curl, on one kept-alive
/// connection (`keep_alive`) or one connection each. Each entry is
/// `(seconds, new connections made)`.
pub fn timed_gets(ns: &Netns, path: &str, count: usize, keep_alive: bool) -> Vec<(f64, u32)> {
    let url = format!("http://{DEVICE_IP}{path}");
    let mut cmd = ns.command("curl");
    cmd.args(["-s", "-m", "60", "-w", "%{time_total} %{num_connects}\\n"]);
    if !keep_alive {
        cmd.args(["-H", "Connection: close"]);
    }
    for _ in 0..count {
        cmd.args(["-o", "/dev/null", &url]);
    }
    let out = run(&mut cmd);
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| {
            let (t, c) = l.split_once(' ')?;
            Some((t.parse().ok()?, c.parse().ok()?))
        })
        .collect()
}

/// One GET on a new connection: `(status, seconds)` as curl measured it,
/// `None` when it did not answer within `timeout`.
pub fn timed_get_once(ns: &Netns, path: &str, timeout: Duration) -> Option<(u16, f64)> {
    let out = run(ns.command("curl").args([
        "-s",
        "-o",
        "/dev/null",
        "-m",
        &format!("{:.3}", timeout.as_secs_f64()),
        "-w",
        "%{http_code} %{time_total}",
        &format!("http://{DEVICE_IP}{path}"),
    ]));
    let text = String::from_utf8_lossy(&out.stdout);
    let (status, time) = text.trim().split_once(' ')?;
    let status: u16 = status.parse().ok()?;
    (out.status.success() && status != 0).then_some((status, time.parse().ok()?))
}

/// Median and 99th percentile of `samples` (sorted in place).
pub fn median_p99(samples: &mut [f64]) -> (f64, f64) {
    samples.sort_by(f64::total_cmp);
    if samples.is_empty() {
        return (f64::NAN, f64::NAN);
    }
    let at = |q: f64| samples[((samples.len() - 1) as f64 * q).round() as usize];
    (at(0.5), at(0.99))
}
