//! The `path_*` functions: checked here (descriptor, rights, flags, the
//! path's bytes), done by the filesystem port beneath a directory handle.

use alloc::string::String;
use alloc::vec::Vec;

use wasmi::Linker;

use super::fd::{filestat_bytes, flags_from, set_times};
use super::fds::{Entry, Kind, rights};
use super::{Ctx, errno, ok_or_errno};
use crate::files::{FileSystem, FileType, Handle, OpenHow};
use crate::imports::WASI;
use crate::memory::{self, range};
use crate::metering::{charge, cost};
use crate::ports::Host;
use crate::state::HostState;

/// `oflags` bits.
mod oflags {
    pub const CREAT: i32 = 1 << 0;
    pub const DIRECTORY: i32 = 1 << 1;
    pub const EXCL: i32 = 1 << 2;
    pub const TRUNC: i32 = 1 << 3;
}

/// `lookupflags`: follow a symbolic link in the last component.
const SYMLINK_FOLLOW: i32 = 1;

/// The longest path a guest may pass.
const MAX_PATH: usize = 4096;

/// The guest string at `ptr..ptr+len`: `EFAULT` out of bounds, `EILSEQ`
/// when not UTF-8, `ENAMETOOLONG` over [`MAX_PATH`].
fn guest_path(data: &[u8], ptr: i32, len: i32) -> Result<String, i32> {
    let r = range(data, ptr, len).ok_or(errno::FAULT)?;
    if r.len() > MAX_PATH {
        return Err(errno::NAMETOOLONG);
    }
    let text = core::str::from_utf8(&data[r]).map_err(|_| errno::ILSEQ)?;
    if text.contains('\0') {
        return Err(errno::INVAL);
    }
    Ok(text.into())
}

/// The directory handle of `fd` with `needed` rights, and the port.
fn dir<H>(
    state: &mut HostState<H>,
    fd: i32,
    needed: u64,
) -> Result<(&mut (dyn FileSystem + Send), Handle), i32> {
    let entry = state.fds.get(fd)?;
    let handle = match entry.kind {
        Kind::Dir { handle, .. } => handle,
        _ => return Err(errno::NOTDIR),
    };
    entry.require(needed)?;
    let fs = state.fs.as_deref_mut().ok_or(errno::BADF)?;
    Ok((fs, handle))
}

fn os(e: crate::files::Errno) -> i32 {
    i32::from(e.0)
}

/// Reads the path, runs `op` on the directory of `fd`, charges the call.
fn with_dir<H: Host, T>(
    caller: &mut Ctx<'_, H>,
    fd: i32,
    needed: u64,
    path: (i32, i32),
    op: impl FnOnce(&mut (dyn FileSystem + Send), Handle, &str) -> Result<T, i32>,
) -> Result<Result<T, i32>, wasmi::Error> {
    let memory = memory::exported(caller)?;
    let (data, state) = memory.data_and_store_mut(&mut *caller);
    let name = guest_path(data, path.0, path.1);
    let moved = name.as_ref().map_or(0, String::len);
    let result = name.and_then(|name| {
        let (fs, handle) = dir(state, fd, needed)?;
        op(fs, handle, &name)
    });
    charge(caller, cost(moved as u64))?;
    Ok(result)
}

#[allow(clippy::too_many_arguments)]
fn path_open<H: Host>(
    mut caller: Ctx<'_, H>,
    fd: i32,
    dirflags: i32,
    path_ptr: i32,
    path_len: i32,
    open_flags: i32,
    base: i64,
    inheriting: i64,
    fdflags: i32,
    out: i32,
) -> Result<i32, wasmi::Error> {
    let (base, inheriting) = (base as u64, inheriting as u64);
    if open_flags & !0xF != 0 || fdflags & !0x1F != 0 {
        return Ok(errno::INVAL);
    }
    let parent_inheriting = match caller.data().fds.get(fd) {
        Ok(parent) => parent.inheriting,
        Err(e) => return Ok(e),
    };
    let mut needed = rights::PATH_OPEN;
    if open_flags & oflags::CREAT != 0 {
        needed |= rights::PATH_CREATE_FILE;
    }
    if open_flags & oflags::TRUNC != 0 {
        needed |= rights::PATH_FILESTAT_SET_SIZE;
    }
    let read = base & (rights::FD_READ | rights::FD_READDIR) != 0;
    // Directories carry FD_DATASYNC and friends: only rights that change a
    // file's content make the open a write (and creating or truncating,
    // which the OS allows only to writers).
    let write = base & (rights::FD_WRITE | rights::FD_ALLOCATE | rights::FD_FILESTAT_SET_SIZE) != 0
        || open_flags & (oflags::TRUNC | oflags::CREAT) != 0;
    let directory = open_flags & oflags::DIRECTORY != 0;
    if directory && base & rights::FD_WRITE != 0 {
        return Ok(errno::ISDIR);
    }
    let how = OpenHow {
        follow: dirflags & SYMLINK_FOLLOW != 0,
        create: open_flags & oflags::CREAT != 0,
        directory,
        exclusive: open_flags & oflags::EXCL != 0,
        truncate: open_flags & oflags::TRUNC != 0,
        read: read || !write,
        write,
        flags: flags_from(fdflags as u16),
    };
    let opened = with_dir(
        &mut caller,
        fd,
        needed,
        (path_ptr, path_len),
        |fs, dir, path| {
            let opened = fs.open(dir, path, how).map_err(os)?;
            match fs.stat(opened) {
                Ok(s) => Ok((opened, s.filetype)),
                Err(e) => {
                    fs.close(opened);
                    Err(os(e))
                }
            }
        },
    )?;
    let (handle, filetype) = match opened {
        Ok(v) => v,
        Err(e) => return Ok(e),
    };
    let state = caller.data_mut();
    let entry = if filetype == FileType::Directory {
        Entry {
            kind: Kind::Dir {
                handle,
                preopen: None,
                listing: None,
            },
            base: base & parent_inheriting & rights::DIR,
            inheriting: inheriting & parent_inheriting,
        }
    } else {
        Entry {
            kind: Kind::File { handle },
            base: base & parent_inheriting & rights::FILE,
            inheriting: 0,
        }
    };
    match state.fds.insert(entry) {
        Ok(new_fd) => super::write_out(&mut caller, out, &new_fd.to_le_bytes()),
        Err(entry) => {
            if let (Some(h), Some(fs)) = (entry.handle(), state.fs.as_deref_mut()) {
                fs.close(h);
            }
            Ok(errno::MFILE)
        }
    }
}

fn path_filestat_get<H: Host>(
    mut caller: Ctx<'_, H>,
    fd: i32,
    flags: i32,
    ptr: i32,
    len: i32,
    out: i32,
) -> Result<i32, wasmi::Error> {
    let stat = with_dir(
        &mut caller,
        fd,
        rights::PATH_FILESTAT_GET,
        (ptr, len),
        |fs, dir, path| {
            fs.stat_at(dir, path, flags & SYMLINK_FOLLOW != 0)
                .map_err(os)
        },
    )?;
    match stat {
        Ok(stat) => super::write_out(&mut caller, out, &filestat_bytes(&stat)),
        Err(e) => Ok(e),
    }
}

#[allow(clippy::too_many_arguments)]
fn path_filestat_set_times<H: Host>(
    mut caller: Ctx<'_, H>,
    fd: i32,
    flags: i32,
    ptr: i32,
    len: i32,
    atim: i64,
    mtim: i64,
    fst: i32,
) -> Result<i32, wasmi::Error> {
    let times = match set_times(atim, mtim, fst) {
        Ok(t) => t,
        Err(e) => return Ok(e),
    };
    Ok(ok_or_errno(with_dir(
        &mut caller,
        fd,
        rights::PATH_FILESTAT_SET_TIMES,
        (ptr, len),
        |fs, dir, path| {
            fs.set_times_at(dir, path, flags & SYMLINK_FOLLOW != 0, times.0, times.1)
                .map_err(os)
        },
    )?))
}

/// The simple one-path operations.
#[derive(Clone, Copy)]
enum OnePath {
    CreateDir,
    RemoveDir,
    Unlink,
}

fn one_path<H: Host>(
    mut caller: Ctx<'_, H>,
    op: OnePath,
    fd: i32,
    ptr: i32,
    len: i32,
) -> Result<i32, wasmi::Error> {
    let needed = match op {
        OnePath::CreateDir => rights::PATH_CREATE_DIRECTORY,
        OnePath::RemoveDir => rights::PATH_REMOVE_DIRECTORY,
        OnePath::Unlink => rights::PATH_UNLINK_FILE,
    };
    Ok(ok_or_errno(with_dir(
        &mut caller,
        fd,
        needed,
        (ptr, len),
        |fs, dir, path| {
            match op {
                OnePath::CreateDir => fs.create_dir(dir, path),
                OnePath::RemoveDir => fs.remove_dir(dir, path),
                OnePath::Unlink => fs.unlink(dir, path),
            }
            .map_err(os)
        },
    )?))
}

/// Two paths, each beneath its own directory (`path_rename`, `path_link`).
#[allow(clippy::too_many_arguments)]
fn two_paths<H: Host>(
    mut caller: Ctx<'_, H>,
    link: Option<bool>,
    from_fd: i32,
    from: (i32, i32),
    to_fd: i32,
    to: (i32, i32),
) -> Result<i32, wasmi::Error> {
    let memory = memory::exported(&caller)?;
    let (data, state) = memory.data_and_store_mut(&mut caller);
    let (source, target) = match link {
        Some(_) => (rights::PATH_LINK_SOURCE, rights::PATH_LINK_TARGET),
        None => (rights::PATH_RENAME_SOURCE, rights::PATH_RENAME_TARGET),
    };
    let result = (|| {
        let from_path = guest_path(data, from.0, from.1)?;
        let to_path = guest_path(data, to.0, to.1)?;
        let (_, to_dir) = dir(state, to_fd, target)?;
        let (fs, from_dir) = dir(state, from_fd, source)?;
        match link {
            Some(follow) => fs.link(from_dir, &from_path, follow, to_dir, &to_path),
            None => fs.rename(from_dir, &from_path, to_dir, &to_path),
        }
        .map_err(os)
    })();
    charge(
        &mut caller,
        cost(u64::from(from.1 as u32) + u64::from(to.1 as u32)),
    )?;
    Ok(ok_or_errno(result))
}

fn path_symlink<H: Host>(
    mut caller: Ctx<'_, H>,
    target_ptr: i32,
    target_len: i32,
    fd: i32,
    ptr: i32,
    len: i32,
) -> Result<i32, wasmi::Error> {
    let target = {
        let memory = memory::exported(&caller)?;
        guest_path(memory.data(&caller), target_ptr, target_len)
    };
    let target = match target {
        Ok(t) => t,
        Err(e) => return Ok(e),
    };
    Ok(ok_or_errno(with_dir(
        &mut caller,
        fd,
        rights::PATH_SYMLINK,
        (ptr, len),
        |fs, dir, path| fs.symlink(&target, dir, path).map_err(os),
    )?))
}

fn path_readlink<H: Host>(
    mut caller: Ctx<'_, H>,
    fd: i32,
    ptr: i32,
    len: i32,
    buf: i32,
    buf_len: i32,
    used: i32,
) -> Result<i32, wasmi::Error> {
    let target = with_dir(
        &mut caller,
        fd,
        rights::PATH_READLINK,
        (ptr, len),
        |fs, dir, path| {
            let mut out = Vec::new();
            fs.read_link(dir, path, &mut out).map_err(os)?;
            Ok(out)
        },
    )?;
    let mut target = match target {
        Ok(t) => t,
        Err(e) => return Ok(e),
    };
    target.truncate(buf_len as u32 as usize);
    let memory = memory::exported(&caller)?;
    let data = memory.data_mut(&mut caller);
    let written = memory::write(data, buf, &target)
        .and_then(|()| memory::write(data, used, &(target.len() as u32).to_le_bytes()));
    Ok(written.map_or(errno::FAULT, |()| errno::SUCCESS))
}

pub(super) fn link<H: Host>(linker: &mut Linker<HostState<H>>) -> Result<(), wasmi::Error> {
    linker.func_wrap(WASI, "path_open", path_open::<H>)?;
    linker.func_wrap(WASI, "path_filestat_get", path_filestat_get::<H>)?;
    linker.func_wrap(
        WASI,
        "path_filestat_set_times",
        path_filestat_set_times::<H>,
    )?;
    linker.func_wrap(
        WASI,
        "path_create_directory",
        |c: Ctx<'_, H>, fd: i32, p: i32, l: i32| one_path(c, OnePath::CreateDir, fd, p, l),
    )?;
    linker.func_wrap(
        WASI,
        "path_remove_directory",
        |c: Ctx<'_, H>, fd: i32, p: i32, l: i32| one_path(c, OnePath::RemoveDir, fd, p, l),
    )?;
    linker.func_wrap(
        WASI,
        "path_unlink_file",
        |c: Ctx<'_, H>, fd: i32, p: i32, l: i32| one_path(c, OnePath::Unlink, fd, p, l),
    )?;
    linker.func_wrap(
        WASI,
        "path_rename",
        |c: Ctx<'_, H>, fd: i32, p: i32, l: i32, to_fd: i32, tp: i32, tl: i32| {
            two_paths(c, None, fd, (p, l), to_fd, (tp, tl))
        },
    )?;
    linker.func_wrap(
        WASI,
        "path_link",
        |c: Ctx<'_, H>, fd: i32, flags: i32, p: i32, l: i32, to_fd: i32, tp: i32, tl: i32| {
            if flags & SYMLINK_FOLLOW != 0 {
                // Linking through a symbolic link is not portable: refused, as wasmtime does.
                return Ok(errno::INVAL);
            }
            two_paths(c, Some(false), fd, (p, l), to_fd, (tp, tl))
        },
    )?;
    linker.func_wrap(WASI, "path_symlink", path_symlink::<H>)?;
    linker.func_wrap(WASI, "path_readlink", path_readlink::<H>)?;
    Ok(())
}
