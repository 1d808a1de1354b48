//! Descriptors 0 (stdin, the request), 1 (stdout, the response) and 2 (stderr).

use alloc::vec::Vec;
use core::ops::Range;

use wasmi::{Caller, Linker};

use super::{errno, write_out};
use crate::error::Stream;
use crate::fault::HostFault;
use crate::imports::WASI;
use crate::memory::{self, range, read_u32};
use crate::metering::{IOVEC_FUEL, charge, cost};
use crate::ports::Host;
use crate::state::HostState;

type Ctx<'a, H> = Caller<'a, HostState<H>>;

const FILETYPE_CHARACTER_DEVICE: u8 = 2;
/// Most buffers one `fd_read`/`fd_write` takes, as Linux's `IOV_MAX`; more is `EINVAL`.
pub(crate) const MAX_IOVECS: u32 = 1024;
const RIGHT_FD_READ: u64 = 1 << 1;
const RIGHT_FD_WRITE: u64 = 1 << 6;
const RIGHT_POLL_FD_READWRITE: u64 = 1 << 27;

/// Why an iovec array was refused.
enum IovecError {
    /// More than [`MAX_IOVECS`] buffers (`EINVAL`).
    TooMany,
    /// The array or a buffer lies outside linear memory (`EFAULT`).
    OutOfBounds,
}

impl IovecError {
    fn errno(self) -> i32 {
        match self {
            Self::TooMany => errno::INVAL,
            Self::OutOfBounds => errno::FAULT,
        }
    }
}

/// Reads an iovec array: `(ptr, len)` pairs of buffers, all inside `data`,
/// and their total length (counted in 64 bits: on a 32-bit host a `usize`
/// sum of guest lengths could wrap).
fn iovecs(data: &[u8], iovs: i32, count: i32) -> Result<(Vec<Range<usize>>, u64), IovecError> {
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
fn iovec_cost(bytes: u64, count: usize) -> u64 {
    cost(bytes).saturating_add(count as u64 * IOVEC_FUEL)
}

fn fd_write<H: Host>(
    mut caller: Ctx<'_, H>,
    fd: i32,
    iovs: i32,
    count: i32,
    nwritten: i32,
) -> Result<i32, wasmi::Error> {
    let stream = match fd {
        1 => Stream::Stdout,
        2 => Stream::Stderr,
        _ => return Ok(errno::BADF),
    };
    let memory = memory::exported(&caller)?;
    let (data, state) = memory.data_and_store_mut(&mut caller);
    let (ranges, total) = match iovecs(data, iovs, count) {
        Ok(found) => found,
        Err(e) => return Ok(e.errno()),
    };
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
        return Err(HostFault::OutputTooLarge(stream, limit).into());
    }
    let count = ranges.len();
    for r in ranges {
        buffer.extend_from_slice(&data[r]);
    }
    // Within the cap, and the cap is checked against a `u64` sum: it fits 32 bits
    // unless the cap itself does not.
    let written = u32::try_from(total).unwrap_or(u32::MAX);
    if memory::write(data, nwritten, &written.to_le_bytes()).is_none() {
        return Ok(errno::FAULT);
    }
    charge(&mut caller, iovec_cost(total, count))?;
    Ok(errno::SUCCESS)
}

fn fd_read<H: Host>(
    mut caller: Ctx<'_, H>,
    fd: i32,
    iovs: i32,
    count: i32,
    nread: i32,
) -> Result<i32, wasmi::Error> {
    if fd != 0 {
        return Ok(errno::BADF);
    }
    let memory = memory::exported(&caller)?;
    let (data, state) = memory.data_and_store_mut(&mut caller);
    let (ranges, _) = match iovecs(data, iovs, count) {
        Ok(found) => found,
        Err(e) => return Ok(e.errno()),
    };
    let count = ranges.len();
    let mut read = 0usize;
    for r in ranges {
        let rest = &state.stdin[state.stdin_pos..];
        let n = rest.len().min(r.len());
        data[r.start..r.start + n].copy_from_slice(&rest[..n]);
        state.stdin_pos += n;
        read += n;
        if n < r.len() {
            break;
        }
    }
    // At most the request, which is capped far below 4 GiB.
    let read_u32 = u32::try_from(read).unwrap_or(u32::MAX);
    if memory::write(data, nread, &read_u32.to_le_bytes()).is_none() {
        return Ok(errno::FAULT);
    }
    charge(&mut caller, iovec_cost(read as u64, count))?;
    Ok(errno::SUCCESS)
}

fn fd_fdstat_get<H: Host>(mut caller: Ctx<'_, H>, fd: i32, out: i32) -> Result<i32, wasmi::Error> {
    let rights = match fd {
        0 => RIGHT_FD_READ | RIGHT_POLL_FD_READWRITE,
        1 | 2 => RIGHT_FD_WRITE | RIGHT_POLL_FD_READWRITE,
        _ => return Ok(errno::BADF),
    };
    let mut stat = [0u8; 24];
    stat[0] = FILETYPE_CHARACTER_DEVICE;
    stat[8..16].copy_from_slice(&rights.to_le_bytes());
    write_out(&mut caller, out, &stat)
}

fn fd_filestat_get<H: Host>(
    mut caller: Ctx<'_, H>,
    fd: i32,
    out: i32,
) -> Result<i32, wasmi::Error> {
    if !(0..=2).contains(&fd) {
        return Ok(errno::BADF);
    }
    let mut stat = [0u8; 64];
    stat[16] = FILETYPE_CHARACTER_DEVICE;
    stat[24..32].copy_from_slice(&1u64.to_le_bytes());
    write_out(&mut caller, out, &stat)
}

/// Descriptors 0–2 are pipes: seeking is `ESPIPE`; others do not exist.
fn stdio_or(fd: i32, stdio: i32) -> i32 {
    if (0..=2).contains(&fd) {
        stdio
    } else {
        errno::BADF
    }
}

pub(super) fn link<H: Host>(linker: &mut Linker<HostState<H>>) -> Result<(), wasmi::Error> {
    linker.func_wrap(WASI, "fd_write", fd_write::<H>)?;
    linker.func_wrap(WASI, "fd_read", fd_read::<H>)?;
    linker.func_wrap(WASI, "fd_fdstat_get", fd_fdstat_get::<H>)?;
    linker.func_wrap(WASI, "fd_filestat_get", fd_filestat_get::<H>)?;
    linker.func_wrap(WASI, "fd_close", |fd: i32| stdio_or(fd, errno::SUCCESS))?;
    linker.func_wrap(WASI, "fd_prestat_get", |_fd: i32, _out: i32| errno::BADF)?;
    linker.func_wrap(
        WASI,
        "fd_seek",
        |fd: i32, _off: i64, _whence: i32, _out: i32| stdio_or(fd, errno::SPIPE),
    )?;
    linker.func_wrap(WASI, "fd_tell", |fd: i32, _out: i32| {
        stdio_or(fd, errno::SPIPE)
    })?;
    Ok(())
}
