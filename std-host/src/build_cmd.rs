//! `jinn build [PATH]` and `jinn doctor`.
//!
//! `jinn build` checks the toolchains first (and says what to install),
//! runs each language's own compiler with the flags a Jinn function wants —
//! a small shadow stack, optimised for size — with its output shown as it
//! comes, copies the module to where `jinn.toml` expects it
//! (`<dir>/<dir name>.wasm`), then loads it with Jinn's own loader and
//! reports its size, initial memory, imports and the fuel of one call.
//!
//! PATH is a function's directory, or a configuration (default
//! `./jinn.toml`) whose functions with sources next to their module are
//! built.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::sync::Arc;
use std::time::Duration;

use jinn_core::{EngineLimits, Limits, Manifest, Permissions, Request, Runtime};

use crate::host::GatewayHost;
use crate::kv::Kv;
use crate::lang::Lang;
use crate::progress::Progress;
use crate::report::Report;
use crate::toolchain;

/// The shadow stack of Rust (std), C and Zig functions: 64 KiB, so that a
/// function starts in two pages of linear memory, not seventeen.
pub const STACK: u32 = 64 * 1024;
/// The tiny SDK's: 16 KiB, so that stack, data and a small request fit one page.
pub const TINY_STACK: u32 = 16 * 1024;

/// `jinn build [PATH]`
#[derive(Debug, clap::Args)]
pub struct BuildArgs {
    /// A function's directory, or a configuration whose functions to build
    /// (default: ./jinn.toml).
    pub path: Option<PathBuf>,
}

/// `jinn doctor [LANG]...`
#[derive(Debug, clap::Args)]
pub struct DoctorArgs {
    /// The languages to check (default: all).
    #[arg(value_enum)]
    pub langs: Vec<Lang>,
}

/// One function to build.
#[derive(Debug, Clone)]
pub struct Job {
    /// Its name (the route `/name` is called for the sample).
    pub name: String,
    /// Its sources.
    pub dir: PathBuf,
    /// Its language.
    pub lang: Lang,
    /// Where the module goes.
    pub out: PathBuf,
}

/// Why `jinn build` stopped.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// No PATH and no ./jinn.toml.
    #[error(
        "no ./jinn.toml here: give a function's directory or a configuration (jinn new makes both)"
    )]
    NoConfig,
    /// The configuration cannot be read.
    #[error("{}: {message}", path.display())]
    Config {
        /// The file.
        path: PathBuf,
        /// Why.
        message: String,
    },
    /// A directory holds no sources of a known language.
    #[error("{}: no sources of a language jinn builds (Cargo.toml, go.mod, *.zig, *.ts, *.c)", .0.display())]
    NoSources(PathBuf),
    /// The configuration has no function with sources.
    #[error("{}: no function has sources next to its module", .0.display())]
    Nothing(PathBuf),
    /// Toolchains are missing (listed above).
    #[error("missing toolchains (see above); `jinn doctor` checks again")]
    Missing,
    /// The compiler could not be started.
    #[error("{name}: cannot run {program}: {source}")]
    Spawn {
        /// The function.
        name: String,
        /// The compiler.
        program: String,
        /// Why.
        source: std::io::Error,
    },
    /// The compiler failed (its output is above).
    #[error("{name}: the {lang} build failed ({status}); the compiler's output is above")]
    Failed {
        /// The function.
        name: String,
        /// Its language.
        lang: Lang,
        /// The compiler's exit status.
        status: std::process::ExitStatus,
    },
    /// The compiler succeeded but its module is not where expected.
    #[error("{name}: cannot copy {} to {}: {source}", from.display(), to.display())]
    Copy {
        /// The function.
        name: String,
        /// The compiler's output.
        from: PathBuf,
        /// The module's place.
        to: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// Jinn refuses the module.
    #[error("{name}: jinn does not load {}: {message}", path.display())]
    Load {
        /// The function.
        name: String,
        /// The module.
        path: PathBuf,
        /// Why.
        message: String,
    },
}

/// Runs `jinn doctor`.
pub fn doctor(args: DoctorArgs) -> ExitCode {
    let langs = if args.langs.is_empty() {
        Lang::ALL.to_vec()
    } else {
        args.langs
    };
    if toolchain::report(&langs) {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

/// Runs `jinn build`.
pub fn main(args: BuildArgs) -> ExitCode {
    match build(args.path.as_deref()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("jinn build: {e}");
            ExitCode::from(1)
        }
    }
}

/// Finds, checks, builds and reports.
///
/// # Errors
///
/// [`BuildError`] at the first function that does not build or load.
pub fn build(path: Option<&Path>) -> Result<(), BuildError> {
    let jobs = jobs(path)?;
    check_toolchains(&jobs)?;
    // On a terminal, a bar of the functions built (cleared at the end or
    // at an error); elsewhere the `== [i/n] name` lines alone.
    let progress = Progress::new(jobs.len() as u64);
    for (i, job) in jobs.iter().enumerate() {
        let count = (jobs.len() > 1).then(|| (i + 1, jobs.len()));
        progress.doing(format!("{} ({}): compiling", job.name, job.lang));
        compile_counted(job, count, &progress)?;
        progress.doing(format!("{}: loading and calling once", job.name));
        let seen = inspect(job)?;
        progress.step();
        progress.println(&seen.to_string());
    }
    Ok(())
}

/// Checks (and lists) the toolchains `jobs` need.
///
/// # Errors
///
/// [`BuildError::Missing`] when one is missing.
pub fn check_toolchains(jobs: &[Job]) -> Result<(), BuildError> {
    let mut langs: Vec<Lang> = jobs.iter().map(|j| j.lang).collect();
    langs.sort();
    langs.dedup();
    let names: Vec<&str> = langs.iter().map(|l| l.name()).collect();
    println!("checking toolchains: {}", names.join(", "));
    if toolchain::report(&langs) {
        Ok(())
    } else {
        Err(BuildError::Missing)
    }
}

/// The functions PATH names (see [`build`]).
pub fn jobs(path: Option<&Path>) -> Result<Vec<Job>, BuildError> {
    let path = match path {
        Some(p) => p.to_path_buf(),
        None if Path::new(crate::demo::LOCAL_CONFIG).is_file() => {
            PathBuf::from(crate::demo::LOCAL_CONFIG)
        }
        None => return Err(BuildError::NoConfig),
    };
    if path.is_dir() {
        if let Some(lang) = Lang::detect(&path) {
            let dir = std::path::absolute(&path).unwrap_or(path);
            let name = dir
                .file_name()
                .map_or_else(|| "function".into(), |n| n.to_string_lossy().into_owned());
            let out = dir.join(format!("{name}.wasm"));
            return Ok(vec![Job {
                name,
                dir,
                lang,
                out,
            }]);
        }
        let config = path.join(crate::demo::LOCAL_CONFIG);
        if !config.is_file() {
            return Err(BuildError::NoSources(path));
        }
        return from_config(&config);
    }
    from_config(&path)
}

/// The functions of a configuration whose module has sources beside it.
fn from_config(path: &Path) -> Result<Vec<Job>, BuildError> {
    let config_error = |message: String| BuildError::Config {
        path: path.to_path_buf(),
        message,
    };
    let text = std::fs::read_to_string(path).map_err(|e| config_error(e.to_string()))?;
    let table: toml::Table = toml::from_str(&text).map_err(|e| config_error(e.to_string()))?;
    let base = std::path::absolute(path)
        .ok()
        .and_then(|p| p.parent().map(Path::to_path_buf))
        .unwrap_or_else(|| PathBuf::from("."));
    let mut jobs = Vec::new();
    let functions = table.get("function").and_then(toml::Value::as_array);
    for function in functions.into_iter().flatten() {
        let field = |key: &str| function.get(key).and_then(toml::Value::as_str);
        let (Some(name), Some(module)) = (field("name"), field("module")) else {
            continue;
        };
        let out = base.join(module);
        let Some(dir) = out.parent().map(Path::to_path_buf) else {
            continue;
        };
        if dir == base {
            continue;
        }
        match Lang::detect(&dir) {
            Some(lang) => jobs.push(Job {
                name: name.into(),
                dir,
                lang,
                out,
            }),
            None => println!("{name}: no sources next to {module}, not built"),
        }
    }
    if jobs.is_empty() {
        return Err(BuildError::Nothing(path.to_path_buf()));
    }
    Ok(jobs)
}

/// The compiler's command for `job`, and the file it writes.
pub fn command(job: &Job) -> (Command, PathBuf) {
    let dir = &job.dir;
    match job.lang {
        Lang::Rust | Lang::RustTiny => {
            let stack = if job.lang == Lang::RustTiny {
                TINY_STACK
            } else {
                STACK
            };
            let mut cmd = Command::new("cargo");
            cmd.args(["build", "--release", "--target", "wasm32-wasip1"])
                .env("CARGO_PROFILE_RELEASE_OPT_LEVEL", "z")
                .env("CARGO_PROFILE_RELEASE_LTO", "true")
                .env("CARGO_PROFILE_RELEASE_CODEGEN_UNITS", "1")
                .env("CARGO_PROFILE_RELEASE_PANIC", "abort")
                .env("CARGO_PROFILE_RELEASE_STRIP", "true")
                .env(
                    "CARGO_TARGET_WASM32_WASIP1_RUSTFLAGS",
                    format!("-C link-arg=-zstack-size={stack}"),
                );
            let target = std::env::var_os("CARGO_TARGET_DIR")
                .map_or_else(|| dir.join("target"), |t| dir.join(t));
            let artifact = cargo_artifact(dir, job.lang);
            (cmd, target.join("wasm32-wasip1/release").join(artifact))
        }
        Lang::C => {
            let mut cmd = Command::new("clang");
            let sysroot = toolchain::wasi_sysroot();
            cmd.arg("--target=wasm32-wasi")
                .arg(format!("--sysroot={}", sysroot.display()))
                .args(["-Oz", "-Wall", "-Wextra"])
                .arg(format!("-Wl,-z,stack-size={STACK}"))
                .arg("-Wl,--strip-all")
                .arg("-o")
                .arg(&job.out)
                .args(sources(dir, "c"));
            (cmd, job.out.clone())
        }
        Lang::Go => {
            let go = toolchain::go().map_or_else(|| PathBuf::from("go"), |t| t.program);
            let mut cmd = Command::new(go);
            cmd.args(["build", "-trimpath", "-ldflags=-s -w", "-o"])
                .arg(&job.out)
                .arg(".")
                .env("GOOS", "wasip1")
                .env("GOARCH", "wasm");
            (cmd, job.out.clone())
        }
        Lang::Zig => {
            let zig = toolchain::zig().unwrap_or(toolchain::Tool {
                program: "zig".into(),
                prefix: Vec::new(),
            });
            let cache = dir.join(".zig-cache");
            let mut cmd = zig.command();
            cmd.args([
                "build-exe",
                "main.zig",
                "-target",
                "wasm32-wasi",
                "-O",
                "ReleaseSmall",
            ])
            .args(["--stack", &STACK.to_string()])
            .arg("--cache-dir")
            .arg(&cache)
            .arg("--global-cache-dir")
            .arg(&cache)
            .arg(format!("-femit-bin={}", job.out.display()));
            (cmd, job.out.clone())
        }
        Lang::Assemblyscript => {
            let asc = toolchain::asc().map_or_else(|| PathBuf::from("asc"), |t| t.program);
            let mut cmd = Command::new(asc);
            cmd.args(["index.ts", "-o"]).arg(&job.out).args([
                "-Oz",
                "--runtime",
                "stub",
                "--use",
                "abort=wasi/abort",
            ]);
            (cmd, job.out.clone())
        }
    }
}

/// The files of `dir` ending in `.ext`, sorted.
fn sources(dir: &Path, ext: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == ext))
        .collect();
    files.sort();
    files
}

/// The file name cargo gives the module of the crate in `dir`.
fn cargo_artifact(dir: &Path, lang: Lang) -> String {
    let name = std::fs::read_to_string(dir.join("Cargo.toml"))
        .ok()
        .and_then(|t| t.parse::<toml::Table>().ok())
        .and_then(|t| {
            let package = t.get("package")?.get("name")?.as_str()?.to_string();
            let lib = t
                .get("lib")
                .and_then(|l| l.get("name"))
                .and_then(|n| n.as_str());
            Some(lib.map_or(package, str::to_string))
        })
        .unwrap_or_else(|| "function".into());
    match lang {
        Lang::RustTiny => format!("{}.wasm", name.replace('-', "_")),
        _ => format!("{name}.wasm"),
    }
}

/// Runs the compiler, its output going straight to ours; copies the module.
pub fn compile(job: &Job) -> Result<(), BuildError> {
    compile_counted(job, None, &Progress::hidden())
}

/// [`compile`], as function `i` of `n` when given, its lines above `progress`.
fn compile_counted(
    job: &Job,
    count: Option<(usize, usize)>,
    progress: &Progress,
) -> Result<(), BuildError> {
    let (mut cmd, artifact) = command(job);
    cmd.current_dir(&job.dir);
    let program = cmd.get_program().to_string_lossy().into_owned();
    let line: Vec<String> = std::iter::once(program.clone())
        .chain(cmd.get_args().map(|a| a.to_string_lossy().into_owned()))
        .collect();
    let env: Vec<String> = cmd
        .get_envs()
        .filter_map(|(k, v)| Some(format!("{}={}", k.to_string_lossy(), v?.to_string_lossy())))
        .collect();
    progress.println(&format!(
        "\n== {}{} ({}) in {}\n   {}{}",
        count.map_or_else(String::new, |(i, n)| format!("[{i}/{n}] ")),
        job.name,
        job.lang,
        job.dir.display(),
        if env.is_empty() {
            String::new()
        } else {
            env.join(" ") + " "
        },
        line.join(" ")
    ));
    let status = if progress.is_drawn() {
        relayed(cmd, progress)
    } else {
        cmd.status()
    }
    .map_err(|source| BuildError::Spawn {
        name: job.name.clone(),
        program,
        source,
    })?;
    if !status.success() {
        return Err(BuildError::Failed {
            name: job.name.clone(),
            lang: job.lang,
            status,
        });
    }
    if artifact != job.out {
        std::fs::copy(&artifact, &job.out).map_err(|source| BuildError::Copy {
            name: job.name.clone(),
            from: artifact,
            to: job.out.clone(),
            source,
        })?;
    }
    Ok(())
}

/// Runs `cmd` with its output passed on line by line above the bar, every
/// byte as the compiler wrote it; cargo is asked for colours it would give
/// a terminal, as the user's own terminal gets them.
fn relayed(mut cmd: Command, progress: &Progress) -> std::io::Result<std::process::ExitStatus> {
    use std::io::BufRead as _;
    use std::process::Stdio;

    if std::env::var_os("CARGO_TERM_COLOR").is_none() {
        cmd.env("CARGO_TERM_COLOR", "always");
    }
    let mut child = cmd.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn()?;
    let pass_on = |from: Box<dyn std::io::Read + Send>, to_stdout: bool| {
        let lines = progress.lines();
        std::thread::spawn(move || {
            let mut from = std::io::BufReader::new(from);
            let mut line = Vec::new();
            while from.read_until(b'\n', &mut line).is_ok_and(|n| n > 0) {
                if to_stdout {
                    lines.out(&line);
                } else {
                    lines.err(&line);
                }
                line.clear();
            }
        })
    };
    let threads = [
        child.stdout.take().map(|o| pass_on(Box::new(o), true)),
        child.stderr.take().map(|e| pass_on(Box::new(e), false)),
    ];
    let status = child.wait();
    for thread in threads.into_iter().flatten() {
        let _ = thread.join();
    }
    status
}

/// What Jinn's loader and one call say of a module.
#[derive(Debug)]
pub struct Inspection {
    /// The function.
    pub name: String,
    /// The module file.
    pub path: PathBuf,
    /// Its size in bytes.
    pub bytes: usize,
    /// Initial pages of its memory.
    pub pages: u64,
    /// Its imports, `module.name`.
    pub imports: Vec<String>,
    /// The sample call's report.
    pub call: Report,
}

impl std::fmt::Display for Inspection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "{}: {}", self.name, self.path.display())?;
        writeln!(f, "   size          {} bytes", self.bytes)?;
        writeln!(
            f,
            "   memory        {} initial pages ({} KiB)",
            self.pages,
            self.pages * 64
        )?;
        // Grouped by module: `wasi_snapshot_preview1: fd_read, fd_write`.
        let mut modules: Vec<(&str, Vec<&str>)> = Vec::new();
        for import in &self.imports {
            let (module, name) = import.split_once('.').unwrap_or((import, ""));
            match modules.iter_mut().find(|(m, _)| *m == module) {
                Some((_, names)) => names.push(name),
                None => modules.push((module, vec![name])),
            }
        }
        for (i, (module, names)) in modules.iter().enumerate() {
            let label = if i == 0 { "imports" } else { "" };
            writeln!(f, "   {label:<13} {module}: {}", names.join(", "))?;
        }
        if modules.is_empty() {
            writeln!(f, "   imports       none")?;
        }
        write!(
            f,
            "   GET /{}  {} {}, {} fuel",
            self.name, self.call.http_status, self.call.outcome, self.call.fuel_used
        )?;
        if let Some(error) = &self.call.error {
            write!(f, " ({error})")?;
        }
        Ok(())
    }
}

/// Loads the module of `job` as `jinn serve` would and calls it once with
/// `GET /<name>` (every permission, KV in memory, gateway limits).
///
/// # Errors
///
/// [`BuildError::Load`] when the module cannot be read or loaded.
pub fn inspect(job: &Job) -> Result<Inspection, BuildError> {
    let load_error = |message: String| BuildError::Load {
        name: job.name.clone(),
        path: job.out.clone(),
        message,
    };
    let wasm = std::fs::read(&job.out).map_err(|e| load_error(e.to_string()))?;
    let (pages, imports) = shape(&wasm).map_err(|e| load_error(e.to_string()))?;
    let runtime = Runtime::<GatewayHost>::new(EngineLimits::gateway());
    let function = runtime.load(&wasm).map_err(|e| load_error(e.to_string()))?;
    let request = Request {
        uri: format!("/{}", job.name),
        ..Request::default()
    };
    let manifest = Manifest {
        limits: Limits::gateway(),
        permissions: Permissions::allow_all(),
        ..Manifest::default()
    };
    let host = GatewayHost::new(job.name.as_str().into(), None, Kv::memory());
    let stdin = request.to_json();
    let (outcome, _host) = crate::call_thread::run(|| {
        let mut call = function.invoke(host, Arc::new(manifest), stdin);
        crate::call::run_to_end(&mut call, Some(Duration::from_secs(10)));
        call.finish()
    });
    Ok(Inspection {
        name: job.name.clone(),
        path: job.out.clone(),
        bytes: wasm.len(),
        pages,
        imports,
        call: Report::from_outcome(&outcome),
    })
}

/// The initial pages of the first memory and the imports (`module.name`).
fn shape(wasm: &[u8]) -> Result<(u64, Vec<String>), wasmparser::BinaryReaderError> {
    let mut pages = 0;
    let mut imports = Vec::new();
    for payload in wasmparser::Parser::new(0).parse_all(wasm) {
        match payload? {
            wasmparser::Payload::ImportSection(reader) => {
                for import in reader {
                    let import = import?;
                    if let wasmparser::TypeRef::Memory(m) = import.ty {
                        pages = m.initial;
                    }
                    imports.push(format!("{}.{}", import.module, import.name));
                }
            }
            wasmparser::Payload::MemorySection(reader) => {
                if let Some(memory) = reader.into_iter().next() {
                    pages = memory?.initial;
                }
            }
            _ => {}
        }
    }
    Ok((pages, imports))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shape_of_a_module() {
        let wasm = wat::parse_str(crate::demo::MODULES[2].1).unwrap();
        let (pages, imports) = shape(&wasm).unwrap();
        assert_eq!(pages, 1);
        assert_eq!(
            imports,
            [
                "gojinn.host_kv_get",
                "gojinn.host_kv_set",
                "wasi_snapshot_preview1.fd_write"
            ]
        );
    }

    #[test]
    fn inspect_calls_the_module_once() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("counter.wasm");
        std::fs::write(&out, wat::parse_str(crate::demo::MODULES[2].1).unwrap()).unwrap();
        let job = Job {
            name: "counter".into(),
            dir: dir.path().into(),
            lang: Lang::C,
            out,
        };
        let seen = inspect(&job).unwrap();
        assert_eq!(seen.call.outcome, "ok");
        assert_eq!(seen.call.http_status, 200);
        assert!(seen.call.fuel_used > 0);
        let text = seen.to_string();
        assert!(text.contains("1 initial pages (64 KiB)"), "{text}");
    }

    #[test]
    fn configuration_jobs_are_the_functions_with_sources() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("a")).unwrap();
        std::fs::write(dir.path().join("a/main.c"), "").unwrap();
        std::fs::create_dir(dir.path().join("b")).unwrap();
        let config = dir.path().join("jinn.toml");
        std::fs::write(
            &config,
            "[[function]]\nname = \"a\"\nmodule = \"a/a.wasm\"\n[[function]]\nname = \"b\"\nmodule = \"b/b.wasm\"\n",
        )
        .unwrap();
        let jobs = jobs(Some(&config)).unwrap();
        assert_eq!(jobs.len(), 1);
        assert_eq!(jobs[0].lang, Lang::C);
        assert!(jobs[0].out.ends_with("a/a.wasm"));
        assert!(matches!(
            super::jobs(Some(&dir.path().join("b"))),
            Err(BuildError::NoSources(_))
        ));
    }
}
