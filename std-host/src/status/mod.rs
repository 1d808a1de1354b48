//! The status page of the admin listener: what runs, what fails, what is
//! queued, at a glance. `GET /status` is a plain HTML/CSS/JS page embedded
//! in the binary ([`page`]) that polls `GET /status.json` ([`model`]), built
//! from the running gateway and from what the [`board`] remembers of recent
//! calls and reloads in fixed-size [`ring`] buffers.
//!
//! Read-only by default. An action ([`Action`]) runs only when the
//! configuration lists it in `admin.actions` — which needs `admin.token` —
//! and the request carries that token.

pub mod board;
pub mod model;
pub mod page;
pub mod ring;

pub use board::{Board, CallRecord};

/// What the status page may do, once allowed (`admin.actions`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Reload the configuration now, as SIGHUP does.
    Reload,
}

impl Action {
    /// Every action's name, for error messages.
    pub const NAMES: &'static str = "reload";

    /// The action named `name`.
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "reload" => Some(Self::Reload),
            _ => None,
        }
    }

    /// Its name in the configuration and in URLs.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Reload => "reload",
        }
    }
}

/// Now, in ms since the epoch.
pub fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}
