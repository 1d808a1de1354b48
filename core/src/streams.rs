//! How a call's standard streams are connected, and what else it gets at
//! start besides the host: [`Setup`].
//!
//! Under the contract ([`Stdio::Captured`]) stdin is the request envelope and
//! stdout and stderr are captured, capped, into the [`Outcome`](crate::Outcome).
//! A raw run (`jinn run --raw`) hands the guest the target's own streams
//! ([`Stdio::Streams`]): stdin is read as the guest asks for it, stdout and
//! stderr are written through as the guest writes them.

use alloc::boxed::Box;
use alloc::vec::Vec;

use crate::error::Stream;
use crate::files::{Errno, Files};

/// The target's standard streams, for raw runs. Calls may block: a raw run
/// is a process of its own.
pub trait Streams {
    /// Reads what stdin has (at most `buf.len()` bytes, at least one unless
    /// it ended); 0 at its end.
    ///
    /// # Errors
    ///
    /// The [`Errno`] the guest sees.
    fn read_stdin(&mut self, buf: &mut [u8]) -> Result<usize, Errno>;

    /// Writes all of `bytes` to stdout or stderr.
    ///
    /// # Errors
    ///
    /// The [`Errno`] the guest sees.
    fn write(&mut self, stream: Stream, bytes: &[u8]) -> Result<(), Errno>;
}

/// A call's standard streams.
pub enum Stdio {
    /// The contract: stdin holds these bytes; stdout and stderr are captured.
    Captured(Vec<u8>),
    /// The target's streams, read and written through.
    Streams(Box<dyn Streams + Send>),
}

impl core::fmt::Debug for Stdio {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::Captured(stdin) => write!(f, "Captured({} bytes)", stdin.len()),
            Self::Streams(_) => f.write_str("Streams"),
        }
    }
}

/// What a call starts with besides its host and manifest.
#[derive(Debug)]
pub struct Setup {
    /// Its standard streams.
    pub stdio: Stdio,
    /// Its preopened directories, if the target has a filesystem.
    pub files: Option<Files>,
}

impl Setup {
    /// The contract: `stdin` is the request envelope; no files.
    pub fn contract(stdin: Vec<u8>) -> Self {
        Self {
            stdio: Stdio::Captured(stdin),
            files: None,
        }
    }
}
