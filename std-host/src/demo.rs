//! The built-in demo: what `jinn serve` and `jinn check` use in a directory
//! without a `./jinn.toml` (and without `--config`).
//!
//! Its functions are hand-written WebAssembly text (`src/demo/*.wat`,
//! embedded with `include_str!`) translated by the `wat` crate — already
//! the reader of `.wat` modules — when the demo starts: building `jinn`
//! needs no guest toolchain, and the binary carries 4 KB of text instead
//! of compiled guests. The modules, the demo's configuration
//! (`src/default.toml`) and its data are written to a fresh temporary
//! directory, removed when the [`Demo`] is dropped, so a demo leaves
//! nothing behind in the working directory.
//!
//! | route | function |
//! |---|---|
//! | `/hello` | a greeting |
//! | `/echo` | the request envelope it was given, as a JSON body |
//! | `/counter` | a counter in the KV store: `{"count":N}` |

use std::path::{Path, PathBuf};

/// The configuration a command reads when given none, if it exists.
pub const LOCAL_CONFIG: &str = "jinn.toml";

/// The demo's functions: file name and WebAssembly text.
pub const MODULES: [(&str, &str); 3] = [
    ("hello.wasm", include_str!("demo/hello.wat")),
    ("echo.wasm", include_str!("demo/echo.wat")),
    ("counter.wasm", include_str!("demo/counter.wat")),
];

/// The demo's routes, for the message that says it is serving them.
pub const ROUTES: &str = "/hello, /echo, /counter";

/// The demo could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    /// No temporary directory could be made.
    #[error("cannot create a temporary directory for the built-in demo: {0}")]
    TempDir(std::io::Error),
    /// A file of the demo could not be written.
    #[error("cannot write {}: {source}", path.display())]
    Write {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// An embedded module is not valid WebAssembly text (a bug of this build).
    #[error("built-in demo module {name}: {source}")]
    Text {
        /// The module's file name.
        name: &'static str,
        /// What the translator said.
        source: wat::Error,
    },
}

/// The demo's directory: modules, `jinn.toml` and `data/`; removed on drop.
#[derive(Debug)]
pub struct Demo {
    dir: tempfile::TempDir,
}

impl Demo {
    /// Translates the modules and writes them, with the configuration, to a
    /// new temporary directory.
    ///
    /// # Errors
    ///
    /// [`DemoError`] when the directory or a file cannot be written.
    pub fn create() -> Result<Self, DemoError> {
        let dir = tempfile::Builder::new()
            .prefix("jinn-demo-")
            .tempdir()
            .map_err(DemoError::TempDir)?;
        let write = |name: &str, bytes: &[u8]| {
            let path = dir.path().join(name);
            std::fs::write(&path, bytes).map_err(|source| DemoError::Write { path, source })
        };
        for (name, text) in MODULES {
            let wasm = wat::parse_str(text).map_err(|source| DemoError::Text { name, source })?;
            write(name, &wasm)?;
        }
        write(LOCAL_CONFIG, crate::config::EMBEDDED.as_bytes())?;
        Ok(Self { dir })
    }

    /// The temporary directory.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// The demo's configuration file.
    pub fn config(&self) -> PathBuf {
        self.dir.path().join(LOCAL_CONFIG)
    }
}

/// The configuration a command uses: `explicit` (`--config`), else
/// `./jinn.toml` when it exists, else the built-in demo (returned too: it
/// must live as long as its files are used).
///
/// # Errors
///
/// [`DemoError`] when the demo is needed and cannot be written.
pub fn choose(explicit: Option<PathBuf>) -> Result<(PathBuf, Option<Demo>), DemoError> {
    if let Some(path) = explicit {
        return Ok((path, None));
    }
    let local = Path::new(LOCAL_CONFIG);
    if local.symlink_metadata().is_ok() {
        return Ok((local.to_path_buf(), None));
    }
    let demo = Demo::create()?;
    Ok((demo.config(), Some(demo)))
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn writes_modules_and_config_then_removes_them() {
        let demo = Demo::create().unwrap();
        let dir = demo.dir().to_path_buf();
        for (name, _) in MODULES {
            let bytes = std::fs::read(dir.join(name)).unwrap();
            assert_eq!(&bytes[..4], b"\0asm", "{name}");
        }
        let source = crate::config::Source::read(&demo.config()).unwrap();
        let config = crate::config::parse(&source, &Default::default()).unwrap();
        assert_eq!(config.functions.len(), MODULES.len());
        assert!(
            config.data_dir.starts_with(&dir),
            "data in the demo's directory"
        );
        drop(demo);
        assert!(!dir.exists(), "removed on drop");
    }
}
