//! Descriptors 0 (stdin, the request), 1 (stdout, the response) and 2 (stderr).

use alloc::vec::Vec;
use core::ops::Range;

use wasmi::{Caller, Linker};

use super::{errno, write_out};
use crate::error::Stream;
use crate::fault::HostFault;
use crate::imports::WASI;
use crate::memory::{self, range, read_u32};
use crate::metering::{charge, cost};
use crate::ports::Host;
use crate::state::HostState;

type Ctx<'a, H> = Caller<'a, HostState<H>>;

const FILETYPE_CHARACTER_DEVICE: u8 = 2;
const RIGHT_FD_READ: u64 = 1 << 1;
const RIGHT_FD_WRITE: u64 = 1 << 6;
const RIGHT_POLL_FD_READWRITE: u64 = 1 << 27;

/// Reads an iovec array: `(ptr, len)` pairs of buffers, all inside `data`.
fn iovecs(data: &[u8], iovs: i32, count: i32) -> Option<Vec<Range<usize>>> {
    let table = range(data, iovs, (count as u32).checked_mul(8)? as i32)?;
    let mut ranges = Vec::with_capacity(count as u32 as usize);
    for entry in data[table].chunks_exact(8) {
        let ptr = read_u32(entry, 0)?;
        let len = read_u32(entry, 4)?;
        ranges.push(range(data, ptr as i32, len as i32)?);
    }
    Some(ranges)
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
    let Some(ranges) = iovecs(data, iovs, count) else {
        return Ok(errno::FAULT);
    };
    let total: usize = ranges.iter().map(|r| r.len()).sum();
    let (buffer, limit) = match stream {
        Stream::Stdout => (&mut state.stdout, state.manifest.limits.stdout),
        Stream::Stderr => (&mut state.stderr, state.manifest.limits.stderr),
    };
    if (buffer.len() + total) as u64 > limit {
        let room = (limit as usize).saturating_sub(buffer.len());
        let mut kept = 0;
        for r in ranges {
            let take = r.len().min(room - kept);
            buffer.extend_from_slice(&data[r.start..r.start + take]);
            kept += take;
        }
        return Err(HostFault::OutputTooLarge(stream, limit).into());
    }
    for r in ranges {
        buffer.extend_from_slice(&data[r]);
    }
    if memory::write(data, nwritten, &(total as u32).to_le_bytes()).is_none() {
        return Ok(errno::FAULT);
    }
    charge(&mut caller, cost(total))?;
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
    let Some(ranges) = iovecs(data, iovs, count) else {
        return Ok(errno::FAULT);
    };
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
    if memory::write(data, nread, &(read as u32).to_le_bytes()).is_none() {
        return Ok(errno::FAULT);
    }
    charge(&mut caller, cost(read))?;
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
