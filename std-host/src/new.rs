//! `jinn new <lang> <name>`: a function from a template built into the
//! binary (no network), in `./<name>/`, and a `[[function]]` routing
//! `/<name>` to it in `./jinn.toml` (made when missing).
//!
//! The Rust templates depend on the guest SDK by path: it is not published.
//! The SDK is `--sdk-path DIR`, else `$JINN_SDK_PATH`, else the `sdk/` of
//! the checkout this `jinn` was built from when it is still there.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use crate::lang::Lang;

/// `jinn new <lang> <name> [--sdk-path DIR]`
#[derive(Debug, clap::Args)]
pub struct NewArgs {
    /// The language.
    #[arg(value_enum)]
    pub lang: Lang,
    /// The function's name: its directory, route (`/NAME`) and module
    /// (`NAME/NAME.wasm`). Lowercase letters, digits and `-`.
    pub name: String,
    /// The guest SDK of a Jinn checkout (`<checkout>/sdk`), for the Rust
    /// templates; default `$JINN_SDK_PATH`, else the checkout `jinn` was built from.
    #[arg(long, value_name = "DIR", env = "JINN_SDK_PATH")]
    pub sdk_path: Option<PathBuf>,
}

/// A template file: where it goes (under the function's directory) and its text.
type File = (&'static str, &'static str);

const RUST: &[File] = &[
    ("Cargo.toml", include_str!("../templates/rust/Cargo.toml")),
    ("src/main.rs", include_str!("../templates/rust/main.rs")),
    (
        ".cargo/config.toml",
        include_str!("../templates/rust/cargo-config.toml"),
    ),
    (".gitignore", "/target\n*.wasm\n"),
];
const RUST_TINY: &[File] = &[
    (
        "Cargo.toml",
        include_str!("../templates/rust-tiny/Cargo.toml"),
    ),
    ("src/lib.rs", include_str!("../templates/rust-tiny/lib.rs")),
    ("build.rs", include_str!("../templates/rust-tiny/build.rs")),
    (".gitignore", "/target\n*.wasm\n"),
];
const C: &[File] = &[("main.c", include_str!("../templates/c/main.c"))];
const GO: &[File] = &[
    ("go.mod", include_str!("../templates/go/go.mod")),
    ("main.go", include_str!("../templates/go/main.go")),
];
const ZIG: &[File] = &[
    ("main.zig", include_str!("../templates/zig/main.zig")),
    ("io.zig", include_str!("../../examples/zig/io.zig")),
];
const ASSEMBLYSCRIPT: &[File] = &[
    (
        "index.ts",
        include_str!("../templates/assemblyscript/index.ts"),
    ),
    (
        "wasi.ts",
        include_str!("../../examples/assemblyscript/wasi.ts"),
    ),
];

/// The files of `lang`'s template.
pub fn template(lang: Lang) -> &'static [File] {
    match lang {
        Lang::Rust => RUST,
        Lang::RustTiny => RUST_TINY,
        Lang::C => C,
        Lang::Go => GO,
        Lang::Zig => ZIG,
        Lang::Assemblyscript => ASSEMBLYSCRIPT,
    }
}

/// The header of a `jinn.toml` that `jinn new` makes.
const CONFIG_HEAD: &str = "\
# Functions made with `jinn new`: `jinn build` builds them, `jinn serve`
# serves them (reference: std-host/GATEWAY.md in Jinn's repository).
data_dir = \"./jinn-data\"

[http]
listen = [\"127.0.0.1:8080\"]
";

/// `jinn new` could not make the function.
#[derive(Debug, thiserror::Error)]
pub enum NewError {
    /// The name is not usable as a directory, crate, module and route.
    #[error(
        "invalid name {0:?}: use lowercase letters, digits and '-', starting with a letter (at most 64)"
    )]
    Name(String),
    /// `./<name>` exists.
    #[error("{} already exists", .0.display())]
    Exists(PathBuf),
    /// `./jinn.toml` already has a function of that name.
    #[error("jinn.toml already has a function named {0:?}")]
    Taken(String),
    /// `./jinn.toml` is not TOML.
    #[error("jinn.toml: {0}")]
    Config(String),
    /// A Rust template and no SDK.
    #[error(
        "the Rust templates need Jinn's guest SDK (not published yet): give --sdk-path <checkout>/sdk or set JINN_SDK_PATH"
    )]
    NoSdk,
    /// The SDK path given is not the SDK.
    #[error("{} is not Jinn's guest SDK (no Cargo.toml naming jinn-guest)", .0.display())]
    NotSdk(PathBuf),
    /// A file could not be written.
    #[error("cannot write {}: {source}", path.display())]
    Write {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
}

/// Runs `jinn new` in the working directory.
pub fn main(args: NewArgs) -> ExitCode {
    match create(Path::new("."), &args) {
        Ok(made) => {
            println!("{made}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("jinn new: {e}");
            ExitCode::from(1)
        }
    }
}

fn valid_name(name: &str) -> bool {
    name.len() <= 64
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !name.ends_with('-')
}

/// The SDK to depend on: the argument (or `$JINN_SDK_PATH`), else the
/// checkout `jinn` was built from.
fn sdk(given: Option<&Path>) -> Result<PathBuf, NewError> {
    let built_from = Path::new(env!("CARGO_MANIFEST_DIR")).join("../sdk");
    let path = match given {
        Some(p) => p.to_path_buf(),
        None if built_from.join("Cargo.toml").is_file() => built_from,
        None => return Err(NewError::NoSdk),
    };
    let manifest = std::fs::read_to_string(path.join("Cargo.toml")).unwrap_or_default();
    if !manifest.contains("name = \"jinn-guest\"") {
        return Err(NewError::NotSdk(path));
    }
    Ok(std::path::absolute(&path)
        .map(|p| std::fs::canonicalize(&p).unwrap_or(p))
        .unwrap_or(path))
}

/// Makes the function `args.name` under `root` and routes it in
/// `root/jinn.toml`; what was made, for the user.
///
/// # Errors
///
/// [`NewError`]; nothing is written when the name, the SDK or `jinn.toml`
/// is refused.
pub fn create(root: &Path, args: &NewArgs) -> Result<String, NewError> {
    let name = args.name.as_str();
    if !valid_name(name) {
        return Err(NewError::Name(name.into()));
    }
    let dir = root.join(name);
    if dir.symlink_metadata().is_ok() {
        return Err(NewError::Exists(dir));
    }
    let config = root.join(crate::demo::LOCAL_CONFIG);
    let existing = match std::fs::read_to_string(&config) {
        Ok(text) => Some(text),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(source) => {
            return Err(NewError::Write {
                path: config,
                source,
            });
        }
    };
    if let Some(text) = &existing {
        let table: toml::Table =
            toml::from_str(text).map_err(|e| NewError::Config(e.to_string()))?;
        let taken = table
            .get("function")
            .and_then(toml::Value::as_array)
            .is_some_and(|fs| {
                fs.iter()
                    .any(|f| f.get("name").and_then(toml::Value::as_str) == Some(name))
            });
        if taken {
            return Err(NewError::Taken(name.into()));
        }
    }
    let rust = matches!(args.lang, Lang::Rust | Lang::RustTiny);
    let sdk = if rust {
        Some(sdk(args.sdk_path.as_deref())?)
    } else {
        None
    };
    let sdk_text = sdk
        .as_ref()
        .map(|p| p.display().to_string())
        .unwrap_or_default();

    let write = |path: PathBuf, text: &str| {
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|source| NewError::Write {
                path: parent.to_path_buf(),
                source,
            })?;
        }
        std::fs::write(&path, text).map_err(|source| NewError::Write { path, source })
    };
    let mut files = Vec::new();
    for (file, text) in template(args.lang) {
        let text = text.replace("{{name}}", name).replace("{{sdk}}", &sdk_text);
        write(dir.join(file), &text)?;
        files.push(*file);
    }
    // The versions the SDK is tested with, when its checkout has a lock file.
    if let Some(lock) = sdk
        .as_ref()
        .and_then(|p| std::fs::read_to_string(p.join("../Cargo.lock")).ok())
    {
        write(dir.join("Cargo.lock"), &lock)?;
        files.push("Cargo.lock");
    }
    let limits = match args.lang {
        // Go's runtime starts with a few MiB and a few million instructions.
        Lang::Go => "limits = { fuel = 200_000_000, memory = \"64MiB\", timeout = \"5s\" }",
        _ => "limits = { fuel = 20_000_000, memory = \"16MiB\", timeout = \"1s\" }",
    };
    let table = format!(
        "\n[[function]]\nname = \"{name}\"\nmodule = \"{name}/{name}.wasm\"\nroutes = [{{ prefix = \"/{name}\" }}]\n{limits}\n"
    );
    let text = match existing {
        Some(text) if text.ends_with('\n') || text.is_empty() => text + &table,
        Some(text) => text + "\n" + &table,
        None => CONFIG_HEAD.to_string() + &table,
    };
    write(config, &text)?;

    let mut made = format!(
        "created {name}/ ({}): {}\nrouted /{name} to {name}/{name}.wasm in jinn.toml\n",
        args.lang,
        files.join(", ")
    );
    if let Some(sdk) = sdk {
        made += &format!("the SDK is a path dependency on {}\n", sdk.display());
    }
    made += &format!("next: jinn build && jinn serve, then curl localhost:8080/{name}");
    Ok(made)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(lang: Lang, name: &str) -> NewArgs {
        NewArgs {
            lang,
            name: name.into(),
            sdk_path: Some(Path::new(env!("CARGO_MANIFEST_DIR")).join("../sdk")),
        }
    }

    #[test]
    fn names() {
        for ok in ["a", "hello", "my-fn2"] {
            assert!(valid_name(ok), "{ok}");
        }
        for bad in ["", "Hello", "2x", "a_b", "a/b", "..", "x-", &"a".repeat(65)] {
            assert!(!valid_name(bad), "{bad}");
        }
    }

    #[test]
    fn every_template_names_the_function_and_routes_it() {
        let root = tempfile::tempdir().unwrap();
        for (i, lang) in Lang::ALL.into_iter().enumerate() {
            let name = format!("f{i}");
            create(root.path(), &args(lang, &name)).unwrap();
            let dir = root.path().join(&name);
            assert_eq!(Lang::detect(&dir), Some(lang));
            let all: String = template(lang)
                .iter()
                .map(|(f, _)| std::fs::read_to_string(dir.join(f)).unwrap())
                .collect();
            assert!(
                !all.contains("{{name}}") && !all.contains("{{sdk}}"),
                "{lang}: a placeholder is left"
            );
            assert!(all.contains(&name), "{lang}");
        }
        let text = std::fs::read_to_string(root.path().join("jinn.toml")).unwrap();
        let source = crate::config::Source::read(&root.path().join("jinn.toml")).unwrap();
        let raw: toml::Table = toml::from_str(&source.text).unwrap();
        assert_eq!(
            raw["function"].as_array().unwrap().len(),
            Lang::ALL.len(),
            "{text}"
        );
    }

    #[test]
    fn refuses_without_writing() {
        let root = tempfile::tempdir().unwrap();
        create(root.path(), &args(Lang::C, "one")).unwrap();
        let before = std::fs::read_to_string(root.path().join("jinn.toml")).unwrap();
        std::fs::remove_dir_all(root.path().join("one")).unwrap();
        assert!(matches!(
            create(root.path(), &args(Lang::Go, "one")),
            Err(NewError::Taken(_))
        ));
        assert!(!root.path().join("one").exists());
        assert!(matches!(
            create(root.path(), &args(Lang::C, "Bad")),
            Err(NewError::Name(_))
        ));
        let mut no_sdk = args(Lang::Rust, "r");
        no_sdk.sdk_path = Some(root.path().to_path_buf());
        assert!(matches!(
            create(root.path(), &no_sdk),
            Err(NewError::NotSdk(_))
        ));
        assert!(!root.path().join("r").exists());
        assert_eq!(
            std::fs::read_to_string(root.path().join("jinn.toml")).unwrap(),
            before
        );
    }
}
