//! The device's log: defmt frames out of UART0 (QEMU's `-serial stdio`),
//! decoded with the firmware's ELF into lines, kept for the test to wait on
//! and written to a file as they come.

use std::fs::File;
use std::io::{Read, Write};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use defmt_decoder::{DecodeError, Table};

/// Lines decoded so far, and whether the stream has ended.
#[derive(Default)]
struct Lines {
    lines: Vec<String>,
    ended: bool,
}

/// The decoded log of one QEMU run.
#[derive(Clone, Default)]
pub struct DeviceLog {
    shared: Arc<(Mutex<Lines>, Condvar)>,
}

impl DeviceLog {
    /// Decodes `uart` (QEMU's stdout) with the defmt table of the firmware
    /// `elf` on a thread, appending each line to `copy` as well.
    ///
    /// # Errors
    ///
    /// The ELF has no defmt table.
    pub fn follow(
        elf: &[u8],
        mut uart: impl Read + Send + 'static,
        mut copy: File,
    ) -> Result<(Self, JoinHandle<()>), String> {
        let table = Table::parse(elf)
            .map_err(|e| format!("defmt table: {e}"))?
            .ok_or("the firmware has no defmt table")?;
        let log = Self::default();
        let shared = log.clone();
        let thread = std::thread::spawn(move || {
            let mut decoder = table.new_stream_decoder();
            let mut buf = [0u8; 4096];
            loop {
                let n = match uart.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => n,
                };
                decoder.received(&buf[..n]);
                loop {
                    let line = match decoder.decode() {
                        Ok(frame) => format!(
                            "{} {} {}",
                            frame
                                .display_timestamp()
                                .map(|t| t.to_string())
                                .unwrap_or_default(),
                            frame.level().map_or("PRINT", |l| l.as_str()).to_uppercase(),
                            frame.display_message()
                        ),
                        Err(DecodeError::UnexpectedEof) => break,
                        Err(DecodeError::Malformed) => "(malformed defmt frame)".to_string(),
                    };
                    let _ = writeln!(copy, "{line}");
                    shared.push(line);
                }
            }
            shared.end();
        });
        Ok((log, thread))
    }

    fn push(&self, line: String) {
        let (lines, changed) = &*self.shared;
        lines.lock().expect("log lock").lines.push(line);
        changed.notify_all();
    }

    fn end(&self) {
        let (lines, changed) = &*self.shared;
        lines.lock().expect("log lock").ended = true;
        changed.notify_all();
    }

    /// Every line so far.
    pub fn lines(&self) -> Vec<String> {
        self.shared.0.lock().expect("log lock").lines.clone()
    }

    /// The log so far, one line each.
    pub fn text(&self) -> String {
        self.lines().join("\n")
    }

    /// Waits up to `timeout` for a line after the first `skip` that holds
    /// `needle`; returns its index and text.
    pub fn wait_for(
        &self,
        skip: usize,
        needle: &str,
        timeout: Duration,
    ) -> Option<(usize, String)> {
        let deadline = Instant::now() + timeout;
        let (lines, changed) = &*self.shared;
        let mut guard = lines.lock().expect("log lock");
        loop {
            if let Some((i, line)) = guard
                .lines
                .iter()
                .enumerate()
                .skip(skip)
                .find(|(_, l)| l.contains(needle))
            {
                return Some((i, line.clone()));
            }
            let left = deadline.checked_duration_since(Instant::now())?;
            if guard.ended {
                return None;
            }
            guard = changed.wait_timeout(guard, left).expect("log lock").0;
        }
    }
}
