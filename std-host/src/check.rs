//! `jinn check [--config FILE]`: validates a configuration (`./jinn.toml`
//! or the built-in demo without `--config`, as `jinn serve`) and loads every
//! module, as `jinn serve` would, without listening.
//!
//! Prints `ok: …` and exits 0, or prints each problem as
//! `file:line:column: key: message` on stderr and exits 1.

use std::process::ExitCode;

use std::sync::Arc;

use jinn_core::EngineLimits;

use crate::cli::CheckArgs;
use crate::config::{self, Overrides, Source};
use crate::loaded::Gateway;
use crate::metrics::Metrics;
use crate::modules::Modules;

/// Runs `jinn check`.
pub fn main(args: CheckArgs) -> ExitCode {
    let (path, _demo) = match crate::demo::choose(args.config) {
        Ok(chosen) => chosen,
        Err(e) => {
            eprintln!("jinn check: {e}");
            return ExitCode::from(1);
        }
    };
    let source = match Source::read(&path) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("jinn check: {e}");
            return ExitCode::from(1);
        }
    };
    let checked = config::parse(&source, &Overrides::default()).and_then(|c| {
        let modules = Arc::new(Modules::new(c.modules, EngineLimits::gateway()));
        Gateway::build(c, &modules, &Metrics::default(), None)
    });
    match checked {
        Ok(g) => {
            let routes: usize = g.config.functions.iter().map(|f| f.routes.len()).sum();
            let plural =
                |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
            let triggers: usize = g.config.functions.iter().map(|f| f.mqtt.len()).sum();
            let mqtt = if g.config.mqtt.connections.is_empty() {
                String::new()
            } else {
                format!(
                    ", {}, {}",
                    plural(g.config.mqtt.connections.len(), "mqtt connection"),
                    plural(triggers, "mqtt trigger")
                )
            };
            let timers: usize = g.config.functions.iter().map(|f| f.timers.len()).sum();
            let timers = if timers == 0 {
                String::new()
            } else {
                format!(", {}", plural(timers, "timer"))
            };
            println!(
                "ok: {}: {}, {}{mqtt}{timers}",
                source.name,
                plural(g.functions.len(), "function"),
                plural(routes, "route")
            );
            ExitCode::SUCCESS
        }
        Err(errors) => {
            eprintln!("{errors}");
            ExitCode::from(1)
        }
    }
}
