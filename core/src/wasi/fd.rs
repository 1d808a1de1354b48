//! The `fd_*` and `sock_*` functions, over the descriptor table: stdio goes
//! to the streams, files and directories to the filesystem port.

use alloc::vec::Vec;

use wasmi::{Caller, Linker};

use super::fds::{Entry, Kind, rights};
use super::{Ctx, errno, ok_or_errno, stdio};
use crate::error::Stream;
use crate::files::{FdFlags, FileStat, FileSystem, FileType, SetTime, Whence};
use crate::imports::WASI;
use crate::memory::{self, range};
use crate::metering::{bytes_fuel, charge, cost, fee};
use crate::ports::Host;
use crate::state::HostState;

/// `fdflags` bits.
pub(super) mod fdflags {
    pub const APPEND: u16 = 1 << 0;
    pub const DSYNC: u16 = 1 << 1;
    pub const NONBLOCK: u16 = 1 << 2;
    pub const RSYNC: u16 = 1 << 3;
    pub const SYNC: u16 = 1 << 4;
}

/// `fstflags` bits.
mod fstflags {
    pub const ATIM: u16 = 1 << 0;
    pub const ATIM_NOW: u16 = 1 << 1;
    pub const MTIM: u16 = 1 << 2;
    pub const MTIM_NOW: u16 = 1 << 3;
}

/// Size of a `dirent` header.
const DIRENT: usize = 24;

/// The port and the entry of `fd` for a file or directory operation.
fn port_entry<H>(
    state: &mut HostState<H>,
    fd: i32,
) -> Result<(&mut (dyn FileSystem + Send), &mut Entry), i32> {
    let entry = state.fds.get_mut(fd)?;
    let fs = state.fs.as_deref_mut().ok_or(errno::BADF)?;
    Ok((fs, entry))
}

/// The handle of a file (not a directory, not stdio).
fn file_handle(entry: &Entry) -> Result<u32, i32> {
    match entry.kind {
        Kind::File { handle } => Ok(handle),
        Kind::Dir { .. } => Err(errno::ISDIR),
        Kind::Stdin | Kind::Out(_) => Err(errno::SPIPE),
    }
}

pub(super) fn flags_from(bits: u16) -> FdFlags {
    FdFlags {
        append: bits & fdflags::APPEND != 0,
        dsync: bits & fdflags::DSYNC != 0,
        nonblock: bits & fdflags::NONBLOCK != 0,
        rsync: bits & fdflags::RSYNC != 0,
        sync: bits & fdflags::SYNC != 0,
    }
}

fn flags_bits(flags: FdFlags) -> u16 {
    [
        (flags.append, fdflags::APPEND),
        (flags.dsync, fdflags::DSYNC),
        (flags.nonblock, fdflags::NONBLOCK),
        (flags.rsync, fdflags::RSYNC),
        (flags.sync, fdflags::SYNC),
    ]
    .iter()
    .filter(|(on, _)| *on)
    .fold(0, |acc, (_, bit)| acc | bit)
}

/// The 64-byte `filestat`.
pub(super) fn filestat_bytes(s: &FileStat) -> [u8; 64] {
    let mut out = [0u8; 64];
    out[0..8].copy_from_slice(&s.dev.to_le_bytes());
    out[8..16].copy_from_slice(&s.ino.to_le_bytes());
    out[16] = s.filetype as u8;
    out[24..32].copy_from_slice(&s.nlink.to_le_bytes());
    out[32..40].copy_from_slice(&s.size.to_le_bytes());
    out[40..48].copy_from_slice(&s.atim.to_le_bytes());
    out[48..56].copy_from_slice(&s.mtim.to_le_bytes());
    out[56..64].copy_from_slice(&s.ctim.to_le_bytes());
    out
}

/// Access and modification times from `fstflags`; `EINVAL` for a time set
/// both to a value and to now, or unknown bits.
pub(super) fn set_times(atim: i64, mtim: i64, flags: i32) -> Result<(SetTime, SetTime), i32> {
    let flags = u16::try_from(flags).map_err(|_| errno::INVAL)?;
    if flags & !0xF != 0 {
        return Err(errno::INVAL);
    }
    let pick = |value: i64, at: u16, now: u16| match (flags & at != 0, flags & now != 0) {
        (true, true) => Err(errno::INVAL),
        (true, false) => Ok(SetTime::At(value as u64)),
        (false, true) => Ok(SetTime::Now),
        (false, false) => Ok(SetTime::Keep),
    };
    Ok((
        pick(atim, fstflags::ATIM, fstflags::ATIM_NOW)?,
        pick(mtim, fstflags::MTIM, fstflags::MTIM_NOW)?,
    ))
}

/// A file transfer over iovec buffers.
#[derive(Clone, Copy)]
enum Io {
    Read,
    Write,
    ReadAt(u64),
    WriteAt(u64),
}

/// Moves the buffers `ranges` of `data` to or from `handle` until one comes
/// short; returns the bytes moved.
fn file_io(
    fs: &mut (dyn FileSystem + Send),
    handle: u32,
    data: &mut [u8],
    ranges: &[core::ops::Range<usize>],
    io: Io,
) -> Result<u64, i32> {
    let mut total = 0u64;
    for r in ranges {
        let buf = r.clone();
        let n = match io {
            Io::Read => fs.read(handle, &mut data[buf]),
            Io::Write => fs.write(handle, &data[buf]),
            Io::ReadAt(at) => fs.read_at(handle, &mut data[buf], at + total),
            Io::WriteAt(at) => fs.write_at(handle, &data[buf], at + total),
        }
        .map_err(|e| i32::from(e.0))?;
        total += n as u64;
        if n < r.len() {
            break;
        }
    }
    Ok(total)
}

/// Ends a transfer: the byte count to `out`, and the fuel of the bytes
/// moved (the call and its buffers were paid for before the transfer).
fn transferred<H: Host>(
    caller: &mut Ctx<'_, H>,
    moved: Result<u64, i32>,
    out: i32,
) -> Result<i32, wasmi::Error> {
    let moved = match moved {
        Ok(n) => n,
        Err(e) => return Ok(e),
    };
    let count = u32::try_from(moved).unwrap_or(u32::MAX);
    let memory = memory::exported(caller)?;
    if memory::write(memory.data_mut(&mut *caller), out, &count.to_le_bytes()).is_none() {
        return Ok(errno::FAULT);
    }
    charge(caller, bytes_fuel(moved))?;
    Ok(errno::SUCCESS)
}

/// What `fd_read` or `fd_write` moves bytes to or from.
enum Endpoint {
    Stdin,
    Out(Stream),
    File(u32),
}

/// The endpoint of `fd` for a read or, with `writing`, a write: `EBADF` for
/// an unknown descriptor or a standard stream the wrong way,
/// `ENOTCAPABLE` without the right (a directory never has it). Looked up
/// before the iovecs are: a bad descriptor is `EBADF` whatever they hold.
fn endpoint<H>(state: &HostState<H>, fd: i32, writing: bool) -> Result<Endpoint, i32> {
    let entry = state.fds.get(fd)?;
    if let (Kind::Stdin, true) | (Kind::Out(_), false) = (&entry.kind, writing) {
        return Err(errno::BADF);
    }
    entry.require(if writing {
        rights::FD_WRITE
    } else {
        rights::FD_READ
    })?;
    match entry.kind {
        Kind::Stdin => Ok(Endpoint::Stdin),
        Kind::Out(stream) => Ok(Endpoint::Out(stream)),
        Kind::File { handle } if state.fs.is_some() => Ok(Endpoint::File(handle)),
        Kind::Dir { .. } if !writing => Err(errno::ISDIR),
        Kind::File { .. } | Kind::Dir { .. } => Err(errno::BADF),
    }
}

/// `fd_read` and `fd_write`: at most [`MAX_IOVECS`](crate::limits::MAX_IOVECS)
/// buffers, lengths summed in 64 bits, the call and its buffers paid for
/// before anything moves, whatever the descriptor.
fn transfer<H: Host>(
    mut caller: Ctx<'_, H>,
    fd: i32,
    iovs: i32,
    count: i32,
    out: i32,
    writing: bool,
) -> Result<i32, wasmi::Error> {
    let memory = memory::exported(&caller)?;
    let (data, state) = memory.data_and_store_mut(&mut caller);
    let endpoint = endpoint(state, fd, writing);
    let found = stdio::iovecs(data, iovs, count);
    let (endpoint, (ranges, total)) = match (endpoint, found) {
        (Ok(endpoint), Ok(found)) => (endpoint, found),
        (Err(e), _) => return refused(&mut caller, e),
        (Ok(_), Err(e)) => return refused(&mut caller, e.errno()),
    };
    charge(&mut caller, stdio::iovec_cost(0, ranges.len()))?;
    let (data, state) = memory.data_and_store_mut(&mut caller);
    let moved = match endpoint {
        Endpoint::Out(stream) => {
            let held = stdio::held(state, stream);
            match stdio::write(state, stream, data, &ranges, total) {
                Ok(moved) => moved,
                Err(fault) => {
                    // Over the cap: what fits was kept and is paid for; the
                    // rest is neither copied nor charged.
                    let kept = stdio::held(caller.data(), stream) - held;
                    charge(&mut caller, bytes_fuel(kept))?;
                    return Err(fault.into());
                }
            }
        }
        Endpoint::Stdin => stdio::read(state, data, &ranges),
        Endpoint::File(handle) => {
            let fs = state.fs.as_deref_mut().ok_or(errno::BADF);
            let io = if writing { Io::Write } else { Io::Read };
            fs.and_then(|fs| file_io(fs, handle, data, &ranges, io))
        }
    };
    transferred(&mut caller, moved, out)
}

/// A call refused with `errno` before it did anything: it pays its fee.
fn refused<H: Host>(caller: &mut Ctx<'_, H>, errno: i32) -> Result<i32, wasmi::Error> {
    fee(caller)?;
    Ok(errno)
}

/// `fd_pread` and `fd_pwrite`: the descriptor is checked first, then the
/// iovecs as for `fd_read` and `fd_write`.
fn positioned<H: Host>(
    mut caller: Ctx<'_, H>,
    fd: i32,
    iovs: i32,
    count: i32,
    offset: i64,
    out: i32,
    writing: bool,
) -> Result<i32, wasmi::Error> {
    let memory = memory::exported(&caller)?;
    let (data, state) = memory.data_and_store_mut(&mut caller);
    let target = (|| {
        let entry = state.fds.get(fd)?;
        let handle = file_handle(entry)?;
        entry.require(
            rights::FD_SEEK
                | if writing {
                    rights::FD_WRITE
                } else {
                    rights::FD_READ
                },
        )?;
        let at = u64::try_from(offset).map_err(|_| errno::INVAL)?;
        Ok((
            handle,
            if writing {
                Io::WriteAt(at)
            } else {
                Io::ReadAt(at)
            },
        ))
    })();
    let (handle, io) = match target {
        Ok(target) => target,
        Err(e) => return refused(&mut caller, e),
    };
    let (ranges, _) = match stdio::iovecs(data, iovs, count) {
        Ok(found) => found,
        Err(e) => return refused(&mut caller, e.errno()),
    };
    charge(&mut caller, stdio::iovec_cost(0, ranges.len()))?;
    let (data, state) = memory.data_and_store_mut(&mut caller);
    let moved = match state.fs.as_deref_mut() {
        Some(fs) => file_io(fs, handle, data, &ranges, io),
        None => Err(errno::BADF),
    };
    transferred(&mut caller, moved, out)
}

/// A call of the base cost that answers with an errno: `op` on the call's state.
fn errno_of<H: Host>(
    caller: &mut Ctx<'_, H>,
    op: impl FnOnce(&mut HostState<H>) -> Result<(), i32>,
) -> Result<i32, wasmi::Error> {
    charge(caller, cost(0))?;
    Ok(ok_or_errno(op(caller.data_mut())))
}

/// A call of the base cost that writes what `op` found at `out`, or answers its errno.
fn answer<H: Host, const N: usize>(
    caller: &mut Ctx<'_, H>,
    out: i32,
    op: impl FnOnce(&mut HostState<H>) -> Result<[u8; N], i32>,
) -> Result<i32, wasmi::Error> {
    charge(caller, cost(0))?;
    match op(caller.data_mut()) {
        Ok(bytes) => super::write_out(caller, out, &bytes),
        Err(e) => Ok(e),
    }
}

fn fd_seek<H: Host>(
    mut caller: Ctx<'_, H>,
    fd: i32,
    offset: i64,
    whence: i32,
    out: i32,
) -> Result<i32, wasmi::Error> {
    answer(&mut caller, out, |state| {
        let entry = state.fds.get(fd)?;
        let whence = match whence {
            0 => Whence::Set,
            1 => Whence::Current,
            2 => Whence::End,
            _ => return Err(errno::INVAL),
        };
        let handle = match entry.kind {
            Kind::File { handle } => handle,
            Kind::Dir { .. } => return Err(errno::BADF),
            Kind::Stdin | Kind::Out(_) => return Err(errno::SPIPE),
        };
        let needed = if offset == 0 && whence == Whence::Current {
            rights::FD_TELL
        } else {
            rights::FD_SEEK
        };
        if entry.base & (needed | rights::FD_SEEK) == 0 {
            return Err(errno::NOTCAPABLE);
        }
        let fs = state.fs.as_deref_mut().ok_or(errno::BADF)?;
        fs.seek(handle, offset, whence)
            .map(u64::to_le_bytes)
            .map_err(|e| i32::from(e.0))
    })
}

fn fd_close<H: Host>(mut caller: Ctx<'_, H>, fd: i32) -> Result<i32, wasmi::Error> {
    errno_of(&mut caller, |state| {
        let entry = state.fds.remove(fd)?;
        if let (Some(handle), Some(fs)) = (entry.handle(), state.fs.as_deref_mut()) {
            fs.close(handle);
        }
        Ok(())
    })
}

fn fd_renumber<H: Host>(mut caller: Ctx<'_, H>, from: i32, to: i32) -> Result<i32, wasmi::Error> {
    errno_of(&mut caller, |state| {
        let replaced = state.fds.renumber(from, to)?;
        if let (Some(handle), Some(fs)) =
            (replaced.and_then(|r| r.handle()), state.fs.as_deref_mut())
        {
            fs.close(handle);
        }
        Ok(())
    })
}

fn fd_fdstat_get<H: Host>(mut caller: Ctx<'_, H>, fd: i32, out: i32) -> Result<i32, wasmi::Error> {
    answer(&mut caller, out, |state| {
        let entry = state.fds.get(fd)?;
        let (filetype, flags) = match entry.kind {
            Kind::Stdin | Kind::Out(_) => (FileType::CharacterDevice, 0),
            Kind::Dir { .. } => (FileType::Directory, 0),
            Kind::File { handle } => {
                let fs = state.fs.as_deref_mut().ok_or(errno::BADF)?;
                let ty = fs.stat(handle).map_err(|e| i32::from(e.0))?.filetype;
                let flags = fs.flags(handle).map_err(|e| i32::from(e.0))?;
                (ty, flags_bits(flags))
            }
        };
        let mut stat = [0u8; 24];
        stat[0] = filetype as u8;
        stat[2..4].copy_from_slice(&flags.to_le_bytes());
        stat[8..16].copy_from_slice(&entry.base.to_le_bytes());
        stat[16..24].copy_from_slice(&entry.inheriting.to_le_bytes());
        Ok(stat)
    })
}

fn fd_fdstat_set_flags<H: Host>(
    mut caller: Ctx<'_, H>,
    fd: i32,
    flags: i32,
) -> Result<i32, wasmi::Error> {
    errno_of(&mut caller, |state| {
        let bits = u16::try_from(flags).map_err(|_| errno::INVAL)?;
        if bits & !0x1F != 0 {
            return Err(errno::INVAL);
        }
        match state.fds.get(fd)?.kind {
            // Stdio keeps its (blocking) behaviour; only NONBLOCK is accepted.
            Kind::Stdin | Kind::Out(_) if bits & !fdflags::NONBLOCK == 0 => return Ok(()),
            Kind::Stdin | Kind::Out(_) => return Err(errno::NOTSUP),
            _ => {}
        }
        let (fs, entry) = port_entry(state, fd)?;
        entry.require(rights::FD_FDSTAT_SET_FLAGS)?;
        let handle = entry.handle().ok_or(errno::BADF)?;
        fs.set_flags(handle, flags_from(bits))
            .map_err(|e| i32::from(e.0))
    })
}

fn fd_fdstat_set_rights<H: Host>(
    mut caller: Ctx<'_, H>,
    fd: i32,
    base: i64,
    inheriting: i64,
) -> Result<i32, wasmi::Error> {
    errno_of(&mut caller, |state| {
        let entry = state.fds.get_mut(fd)?;
        let (base, inheriting) = (base as u64, inheriting as u64);
        if base & !entry.base != 0 || inheriting & !entry.inheriting != 0 {
            return Err(errno::NOTCAPABLE);
        }
        entry.base = base;
        entry.inheriting = inheriting;
        Ok(())
    })
}

fn fd_filestat_get<H: Host>(
    mut caller: Ctx<'_, H>,
    fd: i32,
    out: i32,
) -> Result<i32, wasmi::Error> {
    answer(&mut caller, out, |state| {
        let stat = match state.fds.get(fd)?.kind {
            Kind::Stdin | Kind::Out(_) => FileStat {
                dev: 0,
                ino: 0,
                filetype: FileType::CharacterDevice,
                nlink: 1,
                size: 0,
                atim: 0,
                mtim: 0,
                ctim: 0,
            },
            _ => {
                let (fs, entry) = port_entry(state, fd)?;
                entry.require(rights::FD_FILESTAT_GET)?;
                let handle = entry.handle().ok_or(errno::BADF)?;
                fs.stat(handle).map_err(|e| i32::from(e.0))?
            }
        };
        Ok(filestat_bytes(&stat))
    })
}

fn fd_filestat_set_size<H: Host>(
    mut caller: Ctx<'_, H>,
    fd: i32,
    size: i64,
) -> Result<i32, wasmi::Error> {
    errno_of(&mut caller, |state| {
        let (fs, entry) = port_entry(state, fd).map_err(|_| errno::BADF)?;
        let handle = file_handle(entry).map_err(|_| errno::BADF)?;
        entry.require(rights::FD_FILESTAT_SET_SIZE)?;
        let size = u64::try_from(size).map_err(|_| errno::INVAL)?;
        fs.set_size(handle, size).map_err(|e| i32::from(e.0))
    })
}

fn fd_filestat_set_times<H: Host>(
    mut caller: Ctx<'_, H>,
    fd: i32,
    atim: i64,
    mtim: i64,
    flags: i32,
) -> Result<i32, wasmi::Error> {
    errno_of(&mut caller, |state| {
        let (fs, entry) = port_entry(state, fd).map_err(|_| errno::BADF)?;
        let handle = entry.handle().ok_or(errno::BADF)?;
        entry.require(rights::FD_FILESTAT_SET_TIMES)?;
        let (a, m) = set_times(atim, mtim, flags)?;
        fs.set_times(handle, a, m).map_err(|e| i32::from(e.0))
    })
}

fn fd_advise<H: Host>(
    mut caller: Ctx<'_, H>,
    fd: i32,
    offset: i64,
    len: i64,
    advice: i32,
) -> Result<i32, wasmi::Error> {
    errno_of(&mut caller, |state| {
        let entry = state.fds.get(fd)?;
        if !(0..=5).contains(&advice) || offset < 0 || len < 0 {
            return Err(errno::INVAL);
        }
        match entry.kind {
            Kind::File { .. } => entry.require(rights::FD_ADVISE),
            Kind::Dir { .. } => Err(errno::BADF),
            Kind::Stdin | Kind::Out(_) => Err(errno::SPIPE),
        }
        // Advice is a hint: accepted, nothing to do.
    })
}

fn fd_allocate<H: Host>(
    mut caller: Ctx<'_, H>,
    fd: i32,
    offset: i64,
    len: i64,
) -> Result<i32, wasmi::Error> {
    errno_of(&mut caller, |state| {
        let (fs, entry) = port_entry(state, fd).map_err(|_| errno::BADF)?;
        let handle = file_handle(entry).map_err(|_| errno::BADF)?;
        entry.require(rights::FD_ALLOCATE)?;
        let (offset, len) = (
            u64::try_from(offset).map_err(|_| errno::INVAL)?,
            u64::try_from(len).map_err(|_| errno::INVAL)?,
        );
        fs.allocate(handle, offset, len).map_err(|e| i32::from(e.0))
    })
}

fn fd_sync<H: Host>(mut caller: Ctx<'_, H>, fd: i32, data_only: bool) -> Result<i32, wasmi::Error> {
    errno_of(&mut caller, |state| {
        if let Kind::Stdin | Kind::Out(_) = state.fds.get(fd)?.kind {
            return Err(errno::INVAL);
        }
        let (fs, entry) = port_entry(state, fd)?;
        entry.require(if data_only {
            rights::FD_DATASYNC
        } else {
            rights::FD_SYNC
        })?;
        let handle = entry.handle().ok_or(errno::BADF)?;
        fs.sync(handle, data_only).map_err(|e| i32::from(e.0))
    })
}

fn fd_prestat_get<H: Host>(mut caller: Ctx<'_, H>, fd: i32, out: i32) -> Result<i32, wasmi::Error> {
    charge(&mut caller, cost(0))?;
    let len = match caller.data().fds.get(fd) {
        Ok(Entry {
            kind: Kind::Dir {
                preopen: Some(name),
                ..
            },
            ..
        }) => name.len() as u32,
        _ => return Ok(errno::BADF),
    };
    let mut prestat = [0u8; 8];
    prestat[4..8].copy_from_slice(&len.to_le_bytes());
    super::write_out(&mut caller, out, &prestat)
}

fn fd_prestat_dir_name<H: Host>(
    mut caller: Ctx<'_, H>,
    fd: i32,
    ptr: i32,
    len: i32,
) -> Result<i32, wasmi::Error> {
    charge(&mut caller, cost(0))?;
    let name = match caller.data().fds.get(fd) {
        Ok(Entry {
            kind: Kind::Dir {
                preopen: Some(name),
                ..
            },
            ..
        }) => name.clone(),
        _ => return Ok(errno::BADF),
    };
    if (len as u32 as usize) < name.len() {
        return Ok(errno::NAMETOOLONG);
    }
    super::write_out(&mut caller, ptr, name.as_bytes())
}

fn fd_readdir<H: Host>(
    mut caller: Ctx<'_, H>,
    fd: i32,
    buf: i32,
    buf_len: i32,
    cookie: i64,
    used: i32,
) -> Result<i32, wasmi::Error> {
    let memory = memory::exported(&caller)?;
    let (data, state) = memory.data_and_store_mut(&mut caller);
    let Some(out) = range(data, buf, buf_len) else {
        return refused(&mut caller, errno::FAULT);
    };
    let listed = (|| {
        let (fs, entry) = port_entry(state, fd).map_err(|_| errno::BADF)?;
        entry.require(rights::FD_READDIR)?;
        let Kind::Dir {
            handle, listing, ..
        } = &mut entry.kind
        else {
            return Err(errno::NOTDIR);
        };
        if cookie == 0 || listing.is_none() {
            let mut entries = Vec::new();
            fs.read_dir(*handle, &mut entries)
                .map_err(|e| i32::from(e.0))?;
            let this = fs.stat(*handle).map_err(|e| i32::from(e.0))?.ino;
            let parent = fs.stat_at(*handle, "..", false).map_or(0, |s| s.ino);
            let dot = |name: &str, ino| crate::files::DirEntry {
                name: name.into(),
                ino,
                filetype: FileType::Directory,
            };
            entries.insert(0, dot("..", parent));
            entries.insert(0, dot(".", this));
            *listing = Some(entries);
        }
        let entries = listing.as_ref().expect("listed above");
        let mut bytes = Vec::new();
        let start = usize::try_from(cookie as u64).unwrap_or(usize::MAX);
        for (i, e) in entries.iter().enumerate().skip(start) {
            if bytes.len() >= out.len() {
                break;
            }
            let mut header = [0u8; DIRENT];
            header[0..8].copy_from_slice(&(i as u64 + 1).to_le_bytes());
            header[8..16].copy_from_slice(&e.ino.to_le_bytes());
            header[16..20].copy_from_slice(&(e.name.len() as u32).to_le_bytes());
            header[20] = e.filetype as u8;
            bytes.extend_from_slice(&header);
            bytes.extend_from_slice(e.name.as_bytes());
        }
        bytes.truncate(out.len());
        Ok(bytes)
    })();
    let bytes = match listed {
        Ok(b) => b,
        Err(e) => return refused(&mut caller, e),
    };
    data[out.start..out.start + bytes.len()].copy_from_slice(&bytes);
    if memory::write(data, used, &(bytes.len() as u32).to_le_bytes()).is_none() {
        return Ok(errno::FAULT);
    }
    charge(&mut caller, cost(bytes.len() as u64))?;
    Ok(errno::SUCCESS)
}

/// `sock_*`: no socket is ever open, so a known descriptor is `ENOTSOCK`.
fn not_a_socket<H: Host>(
    caller: &mut Caller<'_, HostState<H>>,
    fd: i32,
) -> Result<i32, wasmi::Error> {
    charge(caller, cost(0))?;
    Ok(match caller.data().fds.get(fd) {
        Ok(_) => errno::NOTSOCK,
        Err(e) => e,
    })
}

pub(super) fn link<H: Host>(linker: &mut Linker<HostState<H>>) -> Result<(), wasmi::Error> {
    linker.func_wrap(
        WASI,
        "fd_write",
        |c: Ctx<'_, H>, fd: i32, iovs: i32, n: i32, out: i32| transfer(c, fd, iovs, n, out, true),
    )?;
    linker.func_wrap(
        WASI,
        "fd_read",
        |c: Ctx<'_, H>, fd: i32, iovs: i32, n: i32, out: i32| transfer(c, fd, iovs, n, out, false),
    )?;
    linker.func_wrap(
        WASI,
        "fd_pread",
        |c: Ctx<'_, H>, fd: i32, iovs: i32, n: i32, off: i64, out: i32| {
            positioned(c, fd, iovs, n, off, out, false)
        },
    )?;
    linker.func_wrap(
        WASI,
        "fd_pwrite",
        |c: Ctx<'_, H>, fd: i32, iovs: i32, n: i32, off: i64, out: i32| {
            positioned(c, fd, iovs, n, off, out, true)
        },
    )?;
    linker.func_wrap(WASI, "fd_seek", fd_seek::<H>)?;
    linker.func_wrap(WASI, "fd_tell", |c: Ctx<'_, H>, fd: i32, out: i32| {
        fd_seek(c, fd, 0, 1, out)
    })?;
    linker.func_wrap(WASI, "fd_close", fd_close::<H>)?;
    linker.func_wrap(WASI, "fd_renumber", fd_renumber::<H>)?;
    linker.func_wrap(WASI, "fd_fdstat_get", fd_fdstat_get::<H>)?;
    linker.func_wrap(WASI, "fd_fdstat_set_flags", fd_fdstat_set_flags::<H>)?;
    linker.func_wrap(WASI, "fd_fdstat_set_rights", fd_fdstat_set_rights::<H>)?;
    linker.func_wrap(WASI, "fd_filestat_get", fd_filestat_get::<H>)?;
    linker.func_wrap(WASI, "fd_filestat_set_size", fd_filestat_set_size::<H>)?;
    linker.func_wrap(WASI, "fd_filestat_set_times", fd_filestat_set_times::<H>)?;
    linker.func_wrap(WASI, "fd_advise", fd_advise::<H>)?;
    linker.func_wrap(WASI, "fd_allocate", fd_allocate::<H>)?;
    linker.func_wrap(WASI, "fd_sync", |c: Ctx<'_, H>, fd: i32| {
        fd_sync(c, fd, false)
    })?;
    linker.func_wrap(WASI, "fd_datasync", |c: Ctx<'_, H>, fd: i32| {
        fd_sync(c, fd, true)
    })?;
    linker.func_wrap(WASI, "fd_prestat_get", fd_prestat_get::<H>)?;
    linker.func_wrap(WASI, "fd_prestat_dir_name", fd_prestat_dir_name::<H>)?;
    linker.func_wrap(WASI, "fd_readdir", fd_readdir::<H>)?;
    linker.func_wrap(
        WASI,
        "sock_accept",
        |mut c: Ctx<'_, H>, fd: i32, _flags: i32, _out: i32| not_a_socket(&mut c, fd),
    )?;
    linker.func_wrap(
        WASI,
        "sock_recv",
        |mut c: Ctx<'_, H>, fd: i32, _: i32, _: i32, _: i32, _: i32, _: i32| {
            not_a_socket(&mut c, fd)
        },
    )?;
    linker.func_wrap(
        WASI,
        "sock_send",
        |mut c: Ctx<'_, H>, fd: i32, _: i32, _: i32, _: i32, _: i32| not_a_socket(&mut c, fd),
    )?;
    linker.func_wrap(
        WASI,
        "sock_shutdown",
        |mut c: Ctx<'_, H>, fd: i32, _how: i32| not_a_socket(&mut c, fd),
    )?;
    Ok(())
}
