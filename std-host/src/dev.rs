//! `jinn dev`: `jinn serve` on `./jinn.toml` while the functions' sources
//! are watched; a function whose sources change is rebuilt — that one only —
//! with `jinn build`'s commands, and the gateway's hot reload picks up its
//! new module. A build that fails leaves the module as it was, so the
//! previous version keeps serving; the compiler's error is shown as it
//! printed it.
//!
//! A module is built beside its place (`NAME.building.wasm`), loaded by
//! Jinn's loader, and only then renamed into place: the gateway never sees
//! a half-written or refused module.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode};
use std::time::{Duration, SystemTime};

use crate::build_cmd::{self, BuildError, Job};
use crate::cli::ServeArgs;

/// `jinn dev [serve options]`
#[derive(Debug, clap::Args)]
pub struct DevArgs {
    /// How often the sources are looked at.
    #[arg(long, value_name = "DURATION", default_value = "500ms", value_parser = parse_duration)]
    pub interval: Duration,
    /// Options passed on to `jinn serve`.
    #[command(flatten)]
    pub serve: ServeArgs,
}

fn parse_duration(text: &str) -> Result<Duration, crate::config::values::DurationError> {
    crate::config::values::parse_duration(text)
}

/// Directories never part of a function's sources: build outputs and caches.
const SKIPPED: [&str; 5] = ["target", ".zig-cache", "zig-cache", "node_modules", ".git"];

/// The newest modification time, count and total size of the sources under
/// `dir` (every file but `.wasm` outputs, outside [`SKIPPED`]).
pub fn sources_stamp(dir: &Path) -> (Option<SystemTime>, u64, u64) {
    let mut stamp = (None, 0, 0);
    let mut pending = vec![dir.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let path = entry.path();
            let Ok(meta) = entry.metadata() else { continue };
            let name = entry.file_name();
            if meta.is_dir() {
                if !SKIPPED.iter().any(|s| name == *s) {
                    pending.push(path);
                }
                continue;
            }
            if path.extension().is_some_and(|e| e == "wasm") {
                continue;
            }
            let modified = meta.modified().ok();
            stamp.0 = stamp.0.max(modified);
            stamp.1 += 1;
            stamp.2 += meta.len();
        }
    }
    stamp
}

/// Builds `job` beside its module, loads it, and moves it into place;
/// whether it did. A failure is printed and leaves the module untouched.
pub fn rebuild(job: &Job) -> bool {
    let staging = job.out.with_extension("building.wasm");
    let staged = Job {
        out: staging.clone(),
        ..job.clone()
    };
    let built = build_cmd::compile(&staged).and_then(|()| build_cmd::inspect(&staged));
    let result = built.and_then(|seen| {
        std::fs::rename(&staging, &job.out).map_err(|source| BuildError::Copy {
            name: job.name.clone(),
            from: staging.clone(),
            to: job.out.clone(),
            source,
        })?;
        Ok(seen)
    });
    match result {
        Ok(seen) => {
            println!("{seen}\n{}: rebuilt; the gateway reloads it", job.name);
            true
        }
        Err(e) => {
            let _ = std::fs::remove_file(&staging);
            eprintln!(
                "jinn dev: {e}\njinn dev: {}: the previous version keeps serving",
                job.name
            );
            false
        }
    }
}

/// Starts `jinn serve` (this same binary) on `config`; it ends with us.
fn serve(config: &Path, args: &ServeArgs) -> std::io::Result<Child> {
    let mut cmd = Command::new(std::env::current_exe()?);
    cmd.arg("serve").arg("--config").arg(config);
    for addr in &args.listen {
        cmd.arg("--listen").arg(addr.to_string());
    }
    if let Some(addr) = args.admin_listen {
        cmd.arg("--admin-listen").arg(addr.to_string());
    }
    if let Some(dir) = &args.data_dir {
        cmd.arg("--data-dir").arg(dir);
    }
    #[allow(unsafe_code)]
    // SAFETY: between fork and exec, one system call (prctl) and no allocation.
    unsafe {
        use std::os::unix::process::CommandExt;
        cmd.pre_exec(|| {
            rustix::process::set_parent_process_death_signal(Some(rustix::process::Signal::TERM))
                .map_err(std::io::Error::from)
        });
    }
    cmd.spawn()
}

/// Runs `jinn dev`.
pub fn main(args: DevArgs) -> ExitCode {
    let fail = |message: String| {
        eprintln!("jinn dev: {message}");
        ExitCode::from(1)
    };
    let config: PathBuf = match &args.serve.config {
        Some(c) => c.clone(),
        None if Path::new(crate::demo::LOCAL_CONFIG).is_file() => crate::demo::LOCAL_CONFIG.into(),
        None => {
            return fail(
                "no ./jinn.toml here (`jinn new <lang> <name>` makes one, or give --config)".into(),
            );
        }
    };
    let jobs = match build_cmd::jobs(Some(&config)) {
        Ok(jobs) => jobs,
        Err(e) => return fail(e.to_string()),
    };
    if let Err(e) = build_cmd::check_toolchains(&jobs) {
        return fail(e.to_string());
    }
    // First, each function whose module is missing or older than its sources.
    let mut stamps = Vec::new();
    for job in &jobs {
        let stamp = sources_stamp(&job.dir);
        let built = std::fs::metadata(&job.out).and_then(|m| m.modified()).ok();
        if built.is_none() || stamp.0 > built {
            rebuild(job);
        }
        stamps.push(stamp);
    }
    let mut child = match serve(&config, &args.serve) {
        Ok(c) => c,
        Err(e) => return fail(format!("cannot start jinn serve: {e}")),
    };
    println!(
        "jinn dev: watching {} function(s); a change rebuilds that function",
        jobs.len()
    );
    let mut pending: Vec<Option<(Option<SystemTime>, u64, u64)>> = vec![None; jobs.len()];
    loop {
        std::thread::sleep(args.interval);
        match child.try_wait() {
            Ok(Some(status)) => {
                return ExitCode::from(status.code().map_or(1, |c| c.clamp(0, 255) as u8));
            }
            Ok(None) => {}
            Err(e) => return fail(format!("jinn serve: {e}")),
        }
        for (i, job) in jobs.iter().enumerate() {
            let now = sources_stamp(&job.dir);
            if now == stamps[i] {
                pending[i] = None;
                continue;
            }
            // Built once the sources held still for one interval (an editor's save).
            if pending[i] != Some(now) {
                pending[i] = Some(now);
                continue;
            }
            pending[i] = None;
            stamps[i] = now;
            println!("\njinn dev: {} changed", job.name);
            rebuild(job);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stamp_sees_sources_not_outputs() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("main.c"), "int main(){}").unwrap();
        let before = sources_stamp(dir.path());
        std::fs::write(dir.path().join("f.wasm"), "out").unwrap();
        std::fs::create_dir(dir.path().join("target")).unwrap();
        std::fs::write(dir.path().join("target/x"), "cache").unwrap();
        assert_eq!(sources_stamp(dir.path()), before);
        std::fs::create_dir(dir.path().join("src")).unwrap();
        std::fs::write(dir.path().join("src/lib.rs"), "").unwrap();
        assert_ne!(sources_stamp(dir.path()), before);
    }
}
