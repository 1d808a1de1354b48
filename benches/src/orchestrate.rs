//! `jinn-bench run`: every workload of `benches/workloads.toml`, every
//! contender in a process of its own, contenders alternating within each
//! round, then one report (`crate::report`).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use jinn_bench_kit::{Options, Record, status_kib};
use jinn_core::Response;

use crate::progress::Rounds;
use crate::report::{Report, Row, Unit};
use crate::serve::{self, FunctionEntry, Server};
use crate::stats::{Point, Summary, quantile};
use crate::workloads::Workloads;
use crate::{COREMARK_STANDIN_WAT, builtin, machine};

/// What to run and where the programs are.
pub struct Settings {
    /// Repository root (module paths are relative to it).
    pub root: PathBuf,
    /// The list of workloads.
    pub workloads: Workloads,
    /// Where the report goes.
    pub out: PathBuf,
    /// Rounds.
    pub rounds: u32,
    /// One tiny round, Jinn only: the harness's own test.
    pub smoke: bool,
    /// Groups to run (`P1`, `P2`, `P3`, `P5`, `P8`); empty: all.
    pub only: Vec<String>,
    /// This program (the Jinn runners).
    pub runner: PathBuf,
    /// Other builds of this program (another wasmi configuration), by label.
    pub variants: Vec<(String, PathBuf)>,
    /// The `jinn` binary.
    pub jinn: PathBuf,
    /// The `jinn-peers` binary (wasmtime, WAMR, hyper), if built.
    pub peers: Option<PathBuf>,
    /// `coremark-minimal.wasm`, if fetched.
    pub coremark: Option<PathBuf>,
    /// Calls per P1/P2 measurement.
    pub iterations: u64,
    /// Seconds per wrk run.
    pub seconds: u32,
}

impl Settings {
    /// Reads the options of `jinn-bench run`.
    ///
    /// # Errors
    ///
    /// When one is malformed or the workload list cannot be read.
    pub fn from_options(o: &Options, words: &[String]) -> Result<Self, String> {
        let root = std::path::absolute(o.get("root").unwrap_or(".")).map_err(|e| e.to_string())?;
        let smoke = words.iter().any(|w| w == "--smoke");
        let workloads =
            Workloads::read(&root.join(o.get("workloads").unwrap_or("benches/workloads.toml")))?;
        let variants = words
            .windows(2)
            .filter(|w| w[0] == "--variant")
            .map(|w| {
                w[1].split_once('=')
                    .map(|(k, v)| (k.to_string(), PathBuf::from(v)))
                    .ok_or_else(|| format!("--variant LABEL=PATH, not {}", w[1]))
            })
            .collect::<Result<_, _>>()?;
        let runner = std::env::current_exe().map_err(|e| e.to_string())?;
        Ok(Self {
            workloads,
            out: PathBuf::from(o.get("out").unwrap_or("target/bench/latest")),
            rounds: if smoke {
                1
            } else {
                o.number("rounds", 5)? as u32
            },
            only: o
                .get("only")
                .map(|s| s.split(',').map(|g| g.trim().to_uppercase()).collect())
                .unwrap_or_default(),
            runner,
            variants,
            jinn: PathBuf::from(o.get("jinn").unwrap_or("target/release/jinn")),
            peers: if smoke {
                None
            } else {
                o.get("peers").map(PathBuf::from)
            },
            coremark: o.get("coremark").map(PathBuf::from),
            iterations: if smoke { 3 } else { o.number("iters", 5000)? },
            seconds: if smoke {
                1
            } else {
                o.number("seconds", 5)? as u32
            },
            smoke,
            root,
        })
    }

    fn wants(&self, group: &str) -> bool {
        self.only.is_empty() || self.only.iter().any(|g| g == group)
    }
}

/// Rows being filled, in the order contenders were first named.
#[derive(Default)]
struct Table {
    rows: Vec<(Row, Vec<f64>)>,
}

impl Table {
    fn slot(
        &mut self,
        group: &str,
        workload: &str,
        contender: &str,
        unit: Unit,
    ) -> &mut (Row, Vec<f64>) {
        let at = self.rows.iter().position(|(r, _)| {
            r.group == group && r.workload == workload && r.contender == contender
        });
        let i = at.unwrap_or_else(|| {
            self.rows.push((
                Row {
                    group: group.into(),
                    workload: workload.into(),
                    contender: contender.into(),
                    unit,
                    summary: Summary::of(&[], &mut []),
                    points: Vec::new(),
                },
                Vec::new(),
            ));
            self.rows.len() - 1
        });
        &mut self.rows[i]
    }

    fn add_calls(&mut self, group: &str, workload: &str, contender: &str, record: &Record) {
        let (row, pooled) = self.slot(group, workload, contender, Unit::Micros);
        let mut us: Vec<f64> = record.samples_ns.iter().map(|&n| n as f64 / 1e3).collect();
        pooled.extend_from_slice(&us);
        us.sort_by(f64::total_cmp);
        row.points.push(Point {
            value: quantile(&us, 0.5),
            p99: Some(quantile(&us, 0.99)),
            rss_kib: record.peak_rss_kib,
            fuel: record.fuel,
        });
    }

    fn finish(self) -> Vec<Row> {
        self.rows
            .into_iter()
            .map(|(mut row, mut pooled)| {
                row.summary = Summary::of(&row.points, &mut pooled);
                row
            })
            .collect()
    }
}

/// Runs `program subcommand options…` and reads its record.
fn spawn(program: &Path, args: &[&str]) -> Result<Record, String> {
    let out = Command::new(program)
        .args(args)
        .output()
        .map_err(|e| format!("{}: {e}", program.display()))?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        return Err(format!(
            "{} {}: {}\n{}",
            program.display(),
            args.join(" "),
            out.status,
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Record::from_stdout(&stdout)
}

/// A response document (or `error: kind`) in one canonical form.
fn normalise(output: &str) -> String {
    if output.starts_with("error: ") {
        return output.into();
    }
    match Response::from_guest_output(output.as_bytes()) {
        Ok(r) => String::from_utf8_lossy(&r.to_json()).into_owned(),
        Err(jinn_core::contract::OutputError::Empty) => "error: empty_output".into(),
        Err(_) => "error: bad_output".into(),
    }
}

/// The contenders of a per-call workload, rotated by round so that none
/// always runs first.
fn rotated<T: Clone>(list: &[T], round: u32) -> Vec<T> {
    let mut v = list.to_vec();
    if !v.is_empty() {
        let k = round as usize % v.len();
        v.rotate_left(k);
    }
    v
}

#[derive(Clone)]
enum Contender {
    /// A jinn-bench runner (label, program).
    Jinn(String, PathBuf),
    Native(String),
    Wasmtime(&'static str),
}

impl Contender {
    fn label(&self) -> String {
        match self {
            Self::Jinn(l, _) => l.clone(),
            Self::Native(_) => "native".into(),
            Self::Wasmtime(k) => (*k).into(),
        }
    }
}

/// Runs everything and writes the report.
///
/// # Errors
///
/// When a runner fails, contenders disagree on a response, or the report
/// cannot be written.
pub fn run(s: &Settings) -> Result<Report, String> {
    let scratch = std::env::temp_dir().join(format!("jinn-bench-{}", std::process::id()));
    std::fs::create_dir_all(&scratch).map_err(|e| e.to_string())?;
    let result = run_in(s, &scratch);
    let _ = std::fs::remove_dir_all(&scratch);
    result
}

fn run_in(s: &Settings, scratch: &Path) -> Result<Report, String> {
    let mut table = Table::default();
    let mut notes = Vec::new();
    let mut pending: Vec<(String, String)> = s
        .workloads
        .p4
        .iter()
        .map(|p| (format!("P4 {}", p.name), p.pending.clone()))
        .collect();
    let iters = s.iterations.to_string();
    let warmup = (s.iterations / 10).max(1).to_string();
    let jinns: Vec<Contender> = std::iter::once(Contender::Jinn("jinn".into(), s.runner.clone()))
        .chain(
            s.variants
                .iter()
                .map(|(l, p)| Contender::Jinn(format!("jinn[{l}]"), p.clone())),
        )
        .collect();
    let wasmtimes = if s.peers.is_some() {
        vec![
            Contender::Wasmtime("wasmtime-tuned"),
            Contender::Wasmtime("wasmtime-pooling"),
        ]
    } else {
        Vec::new()
    };
    if s.peers.is_none() {
        pending.push((
            "wasmtime, WAMR, native hyper".into(),
            if s.smoke {
                "smoke run: Jinn only".into()
            } else {
                "jinn-peers not built (scripts/bench.sh builds it)".into()
            },
        ));
    }

    // Inputs as files for the runners.
    let mut p1 = Vec::new();
    for g in &s.workloads.p1 {
        let stdin = scratch.join(format!("{}.json", g.name));
        std::fs::write(&stdin, g.envelope()).map_err(|e| e.to_string())?;
        let mut contenders = jinns.clone();
        if let Some(n) = &g.native {
            contenders.push(Contender::Native(n.clone()));
        }
        if g.peers {
            contenders.extend(wasmtimes.iter().cloned());
        }
        p1.push((g.name.clone(), s.root.join(&g.wasm), stdin, contenders));
    }
    let empty_stdin = scratch.join("empty.json");
    std::fs::write(&empty_stdin, b"{}").map_err(|e| e.to_string())?;
    let mut p2 = Vec::new();
    for m in &s.workloads.p2 {
        let wasm = scratch.join(format!("{}.wasm", m.name));
        let bytes =
            builtin(&m.builtin).ok_or_else(|| format!("no builtin module {}", m.builtin))?;
        std::fs::write(&wasm, bytes).map_err(|e| e.to_string())?;
        let mut contenders = jinns.clone();
        contenders.extend(wasmtimes.iter().cloned());
        p2.push((m.name.clone(), wasm, empty_stdin.clone(), contenders));
    }
    let coremark = match (&s.coremark, s.smoke) {
        (_, true) => {
            let standin = scratch.join("coremark-standin.wasm");
            std::fs::write(
                &standin,
                wat::parse_str(COREMARK_STANDIN_WAT).map_err(|e| e.to_string())?,
            )
            .map_err(|e| e.to_string())?;
            notes.push("P8 ran a stand-in module with CoreMark's interface (smoke run).".into());
            Some(standin)
        }
        (Some(p), false) if p.is_file() => Some(p.clone()),
        (p, false) => {
            pending.push((
                "P8 CoreMark".into(),
                format!(
                    "coremark-minimal.wasm not found{} (scripts/bench.sh fetches it)",
                    p.as_ref()
                        .map(|p| format!(" at {}", p.display()))
                        .unwrap_or_default()
                ),
            ));
            None
        }
    };

    // P3 servers live through every round; each answer is checked first.
    let (p3, running) = if s.wants("P3") {
        let (servers, running) = start_p3(s, scratch, &mut notes)?;
        (Some(servers), running)
    } else {
        (None, Vec::new())
    };
    let connections: &[u32] = if s.smoke { &[1] } else { &[1, 16, 64] };

    let progress = Rounds::new(s.rounds);
    for round in 0..s.rounds {
        for (group, list) in [("P1", &p1), ("P2", &p2)] {
            if !s.wants(group) {
                continue;
            }
            for (name, wasm, stdin, contenders) in list.iter() {
                for c in contenders {
                    table.slot(group, name, &c.label(), Unit::Micros);
                }
                let mut outputs = Vec::new();
                for c in rotated(contenders, round) {
                    progress.doing(round, &format!("{group} {name}, {}", c.label()));
                    let wasm_s = wasm.to_string_lossy();
                    let stdin_s = stdin.to_string_lossy();
                    let common = ["--stdin", &stdin_s, "--iters", &iters, "--warmup", &warmup];
                    let record = match &c {
                        Contender::Jinn(_, program) => {
                            let module: [&str; 2] = if group == "P2" {
                                ["--builtin", name_of(s, name)]
                            } else {
                                ["--wasm", &wasm_s]
                            };
                            spawn(program, &[&["call"], &module[..], &common[..]].concat())?
                        }
                        Contender::Native(n) => spawn(
                            &s.runner,
                            &[&["native", "--guest", n.as_str()], &common[..]].concat(),
                        )?,
                        Contender::Wasmtime(kind) => {
                            let peers = s
                                .peers
                                .as_ref()
                                .expect("wasmtime contenders only with peers");
                            spawn(
                                peers,
                                &[&["p1", "--engine", kind, "--wasm", &wasm_s], &common[..]]
                                    .concat(),
                            )?
                        }
                    };
                    outputs.push((c.label(), normalise(&record.output)));
                    table.add_calls(group, name, &c.label(), &record);
                }
                if round == 0 {
                    let (first, reference) = &outputs[0];
                    for (who, out) in &outputs[1..] {
                        if out != reference {
                            return Err(format!(
                                "{group} {name}: {who} answered\n  {out}\nbut {first} answered\n  {reference}"
                            ));
                        }
                    }
                    notes.push(format!(
                        "{group} {name}: every contender gave the same response ({} bytes).",
                        reference.len()
                    ));
                }
            }
        }
        if let (true, Some(cm)) = (s.wants("P8"), &coremark) {
            progress.doing(round, "P8 CoreMark");
            run_p8(s, cm, &jinns, round, &mut table, &mut notes)?;
        }
        if let Some(servers) = &p3 {
            for &c in connections {
                for route in &s.workloads.p3 {
                    let here: Vec<Served> = servers
                        .iter()
                        .filter(|(name, ..)| *name == route.name)
                        .cloned()
                        .collect();
                    for (name, label, url, _) in rotated(&here, round) {
                        progress.doing(round, &format!("P3 {name}, {c} connections, {label}"));
                        let load = serve::wrk(&url, c, s.seconds)?;
                        let (row, _) = table.slot(
                            "P3",
                            &format!("{name}, {c} connections"),
                            &label,
                            Unit::RequestsPerSecond,
                        );
                        row.points.push(Point {
                            value: load.rps,
                            p99: Some(load.p99_us),
                            rss_kib: 0,
                            fuel: None,
                        });
                    }
                }
            }
        }
        if s.wants("P5") {
            progress.doing(round, "P5 functions loaded");
            run_p5(s, scratch, &mut table)?;
        }
        progress.round_done();
    }
    drop(progress);
    if let Some(servers) = &p3 {
        // Peak RSS of each server over the whole load.
        for (_, label, _, pid) in servers {
            let hwm = status_kib(Some(*pid), "VmHWM");
            for (row, _) in table
                .rows
                .iter_mut()
                .filter(|(r, _)| r.group == "P3" && &r.contender == label)
            {
                for p in &mut row.points {
                    p.rss_kib = hwm;
                }
            }
        }
    }
    drop(running);
    Ok(Report {
        date: machine::now_utc(),
        machine: machine::describe(&s.root),
        rounds: s.rounds,
        smoke: s.smoke,
        rows: table.finish(),
        pending,
        notes,
    })
}

fn name_of<'a>(s: &'a Settings, p2_name: &str) -> &'a str {
    s.workloads
        .p2
        .iter()
        .find(|m| m.name == p2_name)
        .map_or("minimal", |m| m.builtin.as_str())
}

fn run_p8(
    s: &Settings,
    cm: &Path,
    jinns: &[Contender],
    round: u32,
    table: &mut Table,
    notes: &mut Vec<String>,
) -> Result<(), String> {
    let cm = cm.to_string_lossy().into_owned();
    let mut runs: Vec<(String, PathBuf, Vec<String>)> = Vec::new();
    for c in jinns {
        if let Contender::Jinn(label, program) = c {
            runs.push((
                format!("{label} (fuel on)"),
                program.clone(),
                vec![
                    "coremark".into(),
                    "--wasm".into(),
                    cm.clone(),
                    "--fuel".into(),
                    "on".into(),
                ],
            ));
            runs.push((
                format!("{label} (fuel off)"),
                program.clone(),
                vec![
                    "coremark".into(),
                    "--wasm".into(),
                    cm.clone(),
                    "--fuel".into(),
                    "off".into(),
                ],
            ));
        }
    }
    if let Some(peers) = &s.peers {
        runs.push((
            "wamr fast interpreter".into(),
            peers.clone(),
            vec!["coremark".into(), "--wasm".into(), cm.clone()],
        ));
    }
    for (label, _, _) in &runs {
        table.slot("P8", "CoreMark", label, Unit::CoreMark);
    }
    for (label, program, args) in rotated(&runs, round) {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let mut record = spawn(&program, &args)?;
        // A run can end without a valid score when the machine's load
        // changes under it (seen once with the test suite running beside
        // it): it is run once more, and the report says so.
        if !record.score.is_some_and(|s| s > 0.0) {
            notes.push(format!(
                "P8 {label}: a run gave no valid score ({}) and was run again.",
                record.output
            ));
            record = spawn(&program, &args)?;
        }
        let score = record.score.filter(|s| *s > 0.0).ok_or_else(|| {
            format!(
                "{label}: CoreMark reported no valid score ({})",
                record.output
            )
        })?;
        let (row, _) = table.slot("P8", "CoreMark", &label, Unit::CoreMark);
        row.points.push(Point {
            value: score,
            p99: None,
            rss_kib: record.peak_rss_kib,
            fuel: record.fuel,
        });
    }
    Ok(())
}

/// Starts `jinn serve` with the P3 functions and the native servers; checks
/// they answer alike. Returns (label, URL, pid) per server.
fn start_p3(
    s: &Settings,
    scratch: &Path,
    notes: &mut Vec<String>,
) -> Result<(Vec<Served>, Vec<Keep>), String> {
    let dir = scratch.join("p3");
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let functions: Vec<FunctionEntry> = s
        .workloads
        .p3
        .iter()
        .map(|r| FunctionEntry {
            name: r.name.clone(),
            module: s.root.join(&r.wasm),
            prefix: r.path.clone(),
        })
        .collect();
    let (port, admin) = (serve::free_port()?, serve::free_port()?);
    let mut jinn = Server::start(
        &s.jinn,
        &dir,
        &serve::config(&dir, port, admin, &functions, ""),
        port,
    )?;
    let first = s
        .workloads
        .p3
        .first()
        .ok_or("no P3 route in the workload list")?;
    jinn.first_200(&first.path, Instant::now(), Duration::from_secs(60))?;
    let (jinn_addr, jinn_pid) = (jinn.addr, jinn.child.id());
    let mut keep = vec![Keep::Jinn(jinn)];
    // Native servers by name, started once each: (name, address, pid).
    let mut natives: Vec<(String, std::net::SocketAddr, u32)> = Vec::new();
    let mut servers = Vec::new();
    for route in &s.workloads.p3 {
        servers.push((
            route.name.clone(),
            "jinn serve".to_string(),
            format!("http://{jinn_addr}{}", route.path),
            jinn_pid,
        ));
        let (Some(peers), Some(native)) = (&s.peers, &route.native) else {
            continue;
        };
        let (addr, pid) = match natives.iter().find(|(n, ..)| n == native) {
            Some((_, addr, pid)) => (*addr, *pid),
            None => {
                let (child, addr) = start_native(peers, native)?;
                let pid = child.id();
                natives.push((native.clone(), addr, pid));
                keep.push(Keep::Child(child));
                (addr, pid)
            }
        };
        let a = serve::get(jinn_addr, &route.path)?;
        let b = serve::get(addr, &route.path)?;
        serve::same_reply(&a, &b)?;
        notes.push(format!("P3 {}: jinn serve and the native server give the same response (status {}, {} headers, {} body bytes).", route.name, a.status, a.headers.len(), a.body.len()));
        servers.push((
            route.name.clone(),
            "native hyper".into(),
            format!("http://{addr}{}", route.path),
            pid,
        ));
    }
    Ok((servers, keep))
}

/// Starts the native server `native` of the peers' program on a free
/// loopback port; returns it and its address.
fn start_native(
    peers: &Path,
    native: &str,
) -> Result<(std::process::Child, std::net::SocketAddr), String> {
    let mut child = Command::new(peers)
        .args([native, "--listen", "127.0.0.1:0"])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .map_err(|e| format!("{}: {e}", peers.display()))?;
    let mut line = String::new();
    let stdout = child.stdout.take().ok_or("no stdout")?;
    std::io::BufRead::read_line(&mut std::io::BufReader::new(stdout), &mut line)
        .map_err(|e| e.to_string())?;
    let addr = line
        .trim()
        .strip_prefix("listening on ")
        .and_then(|a| a.parse().ok())
        .ok_or_else(|| format!("{native}: unexpected first line {line:?}"))?;
    Ok((child, addr))
}

/// A server under load for one P3 workload: the workload, the server's
/// label, the URL and the pid.
type Served = (String, String, String, u32);

/// A server process, stopped when dropped.
enum Keep {
    /// Held only to be dropped: [`Server`] stops the process then.
    Jinn(#[expect(dead_code, reason = "held for its Drop")] Server),
    Child(std::process::Child),
}

impl Drop for Keep {
    fn drop(&mut self) {
        if let Keep::Child(c) = self {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

fn run_p5(s: &Settings, scratch: &Path, table: &mut Table) -> Result<(), String> {
    let modules = &s.workloads.p5.modules;
    for &count in &s.workloads.p5.counts {
        let dir = scratch.join(format!("p5-{count}"));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
        let functions: Vec<FunctionEntry> = (0..count)
            .map(|i| FunctionEntry {
                name: format!("f{i}"),
                module: s.root.join(&modules[i % modules.len()]),
                prefix: format!("/f{i}"),
            })
            .collect();
        let (port, admin) = (serve::free_port()?, serve::free_port()?);
        let config = serve::config(&dir, port, admin, &functions, "");
        let since = Instant::now();
        let mut server = Server::start(&s.jinn, &dir, &config, port)?;
        let first = server.first_200("/f0", since, Duration::from_secs(60))?;
        std::thread::sleep(Duration::from_millis(if s.smoke { 200 } else { 1000 }));
        let rss = status_kib(Some(server.child.id()), "VmRSS");
        let workload = format!("{count} functions");
        let (row, _) = table.slot("P5 start-up", &workload, "jinn serve", Unit::Millis);
        row.points.push(Point {
            value: first.as_secs_f64() * 1e3,
            ..Point::default()
        });
        let (row, _) = table.slot("P5 idle RSS", &workload, "jinn serve", Unit::Mib);
        row.points.push(Point {
            value: rss as f64 / 1024.0,
            rss_kib: rss,
            ..Point::default()
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rotation_moves_the_first_contender() {
        assert_eq!(rotated(&[1, 2, 3], 0), vec![1, 2, 3]);
        assert_eq!(rotated(&[1, 2, 3], 1), vec![2, 3, 1]);
        assert_eq!(rotated(&[1, 2, 3], 5), vec![3, 1, 2]);
        assert!(rotated::<u8>(&[], 2).is_empty());
    }

    #[test]
    fn outputs_are_compared_in_one_form() {
        assert_eq!(normalise(""), "error: empty_output");
        assert_eq!(normalise("error: trap"), "error: trap");
        assert_eq!(
            normalise("{\"status\":0,\"headers\":{\"A\":\"x\"}}"),
            normalise("{\"status\":200,\"headers\":{\"A\":[\"x\"]},\"body\":\"\"}")
        );
    }
}
