//! The standard streams behind `fd_read` and `fd_write`: under the contract,
//! stdin is the request envelope and stdout/stderr are captured up to their
//! caps; in a raw run they are the target's [`Streams`](crate::streams::Streams).
//! Also the iovec arrays both functions (and `fd_pread`/`fd_pwrite`) take.

use alloc::vec::Vec;
use core::ops::Range;

use super::errno;
use crate::error::Stream;
use crate::fault::HostFault;
use crate::limits::MAX_IOVECS;
use crate::memory::{range, read_u32};
use crate::metering::{IOVEC_FUEL, cost};
use crate::state::HostState;

/// The most bytes a raw stdin read takes at once.
const RAW_READ_CHUNK: usize = 64 * 1024;

/// Why an iovec array was refused.
pub(super) enum IovecError {
    /// More than [`MAX_IOVECS`] buffers (`EINVAL`).
    TooMany,
    /// The array or a buffer lies outside linear memory (`EFAULT`).
    OutOfBounds,
}

impl IovecError {
    pub(super) fn errno(self) -> i32 {
        match self {
            Self::TooMany => errno::INVAL,
            Self::OutOfBounds => errno::FAULT,
        }
    }
}

/// Reads an iovec array: `(ptr, len)` pairs of buffers, all inside `data`,
/// and their total length (counted in 64 bits: on a 32-bit host a `usize`
/// sum of guest lengths could wrap).
pub(super) fn iovecs(
    data: &[u8],
    iovs: i32,
    count: i32,
) -> Result<(Vec<Range<usize>>, u64), IovecError> {
    let count = count as u32;
    if count > MAX_IOVECS {
        return Err(IovecError::TooMany);
    }
    let table = range(data, iovs, (count * 8) as i32).ok_or(IovecError::OutOfBounds)?;
    let mut ranges = Vec::with_capacity(count as usize);
    let mut total = 0u64;
    for entry in data[table].chunks_exact(8) {
        let ptr = read_u32(entry, 0).ok_or(IovecError::OutOfBounds)?;
        let len = read_u32(entry, 4).ok_or(IovecError::OutOfBounds)?;
        let r = range(data, ptr as i32, len as i32).ok_or(IovecError::OutOfBounds)?;
        total += r.len() as u64;
        ranges.push(r);
    }
    Ok((ranges, total))
}

/// Fuel for moving `bytes` through `count` buffers.
pub(super) fn iovec_cost(bytes: u64, count: usize) -> u64 {
    cost(bytes).saturating_add(count as u64 * IOVEC_FUEL)
}

/// Writes the buffers `ranges` (`total` bytes) of `data` to `stream`;
/// returns the bytes written.
pub(super) fn write<H>(
    state: &mut HostState<H>,
    stream: Stream,
    data: &[u8],
    ranges: &[Range<usize>],
    total: u64,
) -> Result<Result<u64, i32>, HostFault> {
    if let Some(streams) = state.streams.as_mut() {
        for r in ranges {
            if let Err(e) = streams.write(stream, &data[r.clone()]) {
                return Ok(Err(i32::from(e.0)));
            }
        }
        return Ok(Ok(total));
    }
    let (buffer, limit) = match stream {
        Stream::Stdout => (&mut state.stdout, state.manifest.limits.stdout),
        Stream::Stderr => (&mut state.stderr, state.manifest.limits.stderr),
    };
    if buffer.len() as u64 + total > limit {
        // Keep what fits (the cap is at most what the buffer may hold).
        let mut room = usize::try_from(limit.saturating_sub(buffer.len() as u64)).unwrap_or(0);
        for r in ranges {
            let take = r.len().min(room);
            buffer.extend_from_slice(&data[r.start..r.start + take]);
            room -= take;
        }
        return Err(HostFault::OutputTooLarge(stream, limit));
    }
    for r in ranges {
        buffer.extend_from_slice(&data[r.clone()]);
    }
    Ok(Ok(total))
}

/// Bytes `stream` holds so far (0 for a raw run's streams, which keep nothing).
pub(super) fn held<H>(state: &HostState<H>, stream: Stream) -> u64 {
    if state.streams.is_some() {
        return 0;
    }
    match stream {
        Stream::Stdout => state.stdout.len() as u64,
        Stream::Stderr => state.stderr.len() as u64,
    }
}

/// Reads stdin into the buffers `ranges` of `data`; returns the bytes read.
pub(super) fn read<H>(
    state: &mut HostState<H>,
    data: &mut [u8],
    ranges: &[Range<usize>],
) -> Result<u64, i32> {
    if let Some(streams) = state.streams.as_mut() {
        // One read of what the stream has, scattered over the buffers: a
        // runner may keep stdin open until the guest exits.
        let want = ranges
            .iter()
            .fold(0usize, |sum, r| sum.saturating_add(r.len()))
            .min(RAW_READ_CHUNK);
        if want == 0 {
            return Ok(0);
        }
        let mut chunk = alloc::vec![0u8; want];
        let n = streams.read_stdin(&mut chunk).map_err(|e| i32::from(e.0))?;
        let mut at = 0;
        for r in ranges {
            let take = r.len().min(n - at);
            data[r.start..r.start + take].copy_from_slice(&chunk[at..at + take]);
            at += take;
            if at == n {
                break;
            }
        }
        return Ok(n as u64);
    }
    let mut read = 0u64;
    for r in ranges {
        let rest = &state.stdin[state.stdin_pos..];
        let n = rest.len().min(r.len());
        data[r.start..r.start + n].copy_from_slice(&rest[..n]);
        state.stdin_pos += n;
        read += n as u64;
        if n < r.len() {
            break;
        }
    }
    Ok(read)
}

/// Bytes stdin still holds (for `poll_oneoff`); 1 for a raw stream.
pub(super) fn stdin_pending<H>(state: &HostState<H>) -> u64 {
    if state.streams.is_some() {
        1
    } else {
        (state.stdin.len() - state.stdin_pos) as u64
    }
}
