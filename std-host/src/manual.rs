//! `jinn completions <shell>` and `jinn man`: shell completions and a man
//! page, generated from the command line's own definition ([`Cli`]), so
//! they never disagree with it.

use std::io::Write;
use std::process::ExitCode;

use clap::CommandFactory;

use crate::cli::Cli;

/// `jinn completions <SHELL>`
#[derive(Debug, clap::Args)]
pub struct CompletionsArgs {
    /// The shell: bash, elvish, fish, powershell or zsh.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

/// Prints the completion script of `args.shell` on stdout.
pub fn completions(args: CompletionsArgs) -> ExitCode {
    let mut command = Cli::command();
    clap_complete::generate(args.shell, &mut command, "jinn", &mut std::io::stdout());
    ExitCode::SUCCESS
}

/// Prints the man page (roff) on stdout: `jinn man > jinn.1`.
pub fn man() -> ExitCode {
    let mut out = Vec::new();
    let page = clap_mangen::Man::new(Cli::command());
    if let Err(e) = page.render(&mut out) {
        eprintln!("jinn man: {e}");
        return ExitCode::from(1);
    }
    // Each subcommand in its own section, after the top-level page.
    for sub in Cli::command().get_subcommands() {
        let name = format!("jinn {}", sub.get_name());
        let _ = writeln!(out, ".SH \"{}\"", name.to_uppercase());
        let mut text = Vec::new();
        if clap_mangen::Man::new(sub.clone().bin_name(name))
            .render_synopsis_section(&mut text)
            .and_then(|()| clap_mangen::Man::new(sub.clone()).render_options_section(&mut text))
            .is_ok()
        {
            // Section headers of the parts become subsection headers here.
            let text = String::from_utf8_lossy(&text).replace(".SH ", ".SS ");
            out.extend_from_slice(text.as_bytes());
        }
    }
    if std::io::stdout().write_all(&out).is_err() {
        return ExitCode::from(1);
    }
    ExitCode::SUCCESS
}
