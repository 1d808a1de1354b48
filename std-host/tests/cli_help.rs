//! The command line's help, completions and man page. The help texts are
//! pinned by snapshots (`tests/snapshots/*.txt`): a change to the command
//! line shows up here as a diff to review. `JINN_BLESS=1 cargo test -p
//! jinn-host --test cli_help` writes the new texts.

use std::path::Path;
use std::process::Command;

fn jinn(args: &[&str]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_jinn"))
        .args(args)
        .env_remove("JINN_SDK_PATH")
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

#[test]
fn help_texts_match_their_snapshots() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots");
    let bless = std::env::var_os("JINN_BLESS").is_some();
    let mut stale = Vec::new();
    for command in ["", "serve", "new", "build", "doctor", "completions"] {
        let mut args: Vec<&str> = command.split_whitespace().collect();
        args.push("--help");
        let (code, text) = jinn(&args);
        assert_eq!(code, 0, "jinn {args:?}");
        let name = if command.is_empty() { "help" } else { command };
        let path = dir.join(format!("{name}.txt"));
        if bless {
            std::fs::write(&path, &text).unwrap();
            continue;
        }
        let pinned = std::fs::read_to_string(&path).unwrap_or_default();
        if pinned != text {
            stale.push(format!(
                "jinn {} --help differs from {}:\n{text}",
                command,
                path.display()
            ));
        }
    }
    assert!(
        stale.is_empty(),
        "{}\n(JINN_BLESS=1 writes the new texts)",
        stale.join("\n")
    );
}

#[test]
fn help_shows_examples_and_exit_codes() {
    let (_, text) = jinn(&["--help"]);
    assert!(text.starts_with("Jinn: WebAssembly functions"), "{text}");
    assert!(text.contains("Examples:\n  jinn serve"), "{text}");
    assert!(text.contains("Exit codes:"), "{text}");
}

#[test]
fn completions_cover_every_subcommand() {
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let (code, text) = jinn(&["completions", shell]);
        assert_eq!(code, 0, "{shell}");
        for sub in ["serve", "new", "build", "doctor", "completions", "man"] {
            assert!(text.contains(sub), "{shell}: {sub}");
        }
    }
    // The languages of `jinn new` complete too.
    let (_, bash) = jinn(&["completions", "bash"]);
    assert!(bash.contains("rust-tiny") && bash.contains("assemblyscript"));
    let (code, _) = jinn(&["completions", "tcsh"]);
    assert_eq!(code, 2, "an unknown shell is a usage error");
}

#[test]
fn man_page_has_every_subcommand() {
    let (code, text) = jinn(&["man"]);
    assert_eq!(code, 0);
    assert!(text.contains(".TH jinn 1"), "{text}");
    for sub in ["RUN", "SERVE", "NEW", "BUILD", "DOCTOR"] {
        assert!(text.contains(&format!(".SH \"JINN {sub}\"")), "{sub}");
    }
    assert!(text.contains("rust\\-tiny"), "the languages are listed");
}
