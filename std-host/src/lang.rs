//! The languages `jinn new` makes functions in and `jinn build` builds, and
//! how a function's directory tells which one it is.

use std::path::Path;

/// A guest language (and, for Rust, which SDK).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, clap::ValueEnum)]
pub enum Lang {
    /// Rust on the std SDK (`jinn-guest`).
    Rust,
    /// Rust on the tiny SDK (`jinn-guest` without std: `no_std`, no allocator).
    RustTiny,
    /// C with wasi-libc (clang).
    C,
    /// Go (`GOOS=wasip1 GOARCH=wasm`, Go 1.21 or newer).
    Go,
    /// Zig (`-target wasm32-wasi`).
    Zig,
    /// AssemblyScript (`asc`).
    Assemblyscript,
}

impl Lang {
    /// Every language, in the order `jinn doctor` lists them.
    pub const ALL: [Self; 6] = [
        Self::Rust,
        Self::RustTiny,
        Self::C,
        Self::Go,
        Self::Zig,
        Self::Assemblyscript,
    ];

    /// The name on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Self::Rust => "rust",
            Self::RustTiny => "rust-tiny",
            Self::C => "c",
            Self::Go => "go",
            Self::Zig => "zig",
            Self::Assemblyscript => "assemblyscript",
        }
    }

    /// The language of the function whose sources are in `dir`: a
    /// `Cargo.toml` (a `cdylib` is a tiny guest), a `go.mod`, or `.zig`,
    /// `.ts` or `.c` files, in that order.
    pub fn detect(dir: &Path) -> Option<Self> {
        if let Ok(manifest) = std::fs::read_to_string(dir.join("Cargo.toml")) {
            return Some(if manifest.contains("cdylib") {
                Self::RustTiny
            } else {
                Self::Rust
            });
        }
        if dir.join("go.mod").is_file() {
            return Some(Self::Go);
        }
        let has = |ext: &str| {
            std::fs::read_dir(dir).is_ok_and(|entries| {
                entries
                    .filter_map(Result::ok)
                    .any(|e| e.path().extension().is_some_and(|x| x == ext))
            })
        };
        [
            ("zig", Self::Zig),
            ("ts", Self::Assemblyscript),
            ("c", Self::C),
        ]
        .into_iter()
        .find_map(|(ext, lang)| has(ext).then_some(lang))
    }
}

impl std::fmt::Display for Lang {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.pad(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_each_language_from_its_files() {
        type Files = &'static [(&'static str, &'static str)];
        let cases: [(Files, Option<Lang>); 7] = [
            (&[("Cargo.toml", "[package]")], Some(Lang::Rust)),
            (
                &[("Cargo.toml", "[lib]\ncrate-type = [\"cdylib\"]")],
                Some(Lang::RustTiny),
            ),
            (&[("go.mod", "module x"), ("main.go", "")], Some(Lang::Go)),
            (&[("main.zig", ""), ("io.zig", "")], Some(Lang::Zig)),
            (&[("index.ts", "")], Some(Lang::Assemblyscript)),
            (&[("main.c", "")], Some(Lang::C)),
            (&[("README", "")], None),
        ];
        for (files, expected) in cases {
            let dir = tempfile::tempdir().unwrap();
            for (name, text) in files {
                std::fs::write(dir.path().join(name), text).unwrap();
            }
            assert_eq!(Lang::detect(dir.path()), expected, "{files:?}");
        }
    }
}
