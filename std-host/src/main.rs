//! The `jinn` command.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = jinn_host::cli::Cli::parse();
    jinn_host::logging::init(cli.log_json);
    match cli.command {
        jinn_host::cli::Command::Run(args) => jinn_host::run::main(args),
        jinn_host::cli::Command::Serve(args) => jinn_host::serve::main(args),
        jinn_host::cli::Command::Check(args) => jinn_host::check::main(args),
        jinn_host::cli::Command::Replay(args) => jinn_host::replay::main(args),
        jinn_host::cli::Command::Keygen(args) => jinn_host::signing::keygen(args),
        jinn_host::cli::Command::Sign(args) => jinn_host::signing::sign(args),
        jinn_host::cli::Command::Verify(args) => jinn_host::signing::verify(args),
        jinn_host::cli::Command::New(args) => jinn_host::new::main(args),
        jinn_host::cli::Command::Build(args) => jinn_host::build_cmd::main(args),
        jinn_host::cli::Command::Doctor(args) => jinn_host::build_cmd::doctor(args),
        jinn_host::cli::Command::Dev(args) => jinn_host::dev::main(args),
        jinn_host::cli::Command::Completions(args) => jinn_host::manual::completions(args),
        jinn_host::cli::Command::Man => jinn_host::manual::man(),
    }
}
