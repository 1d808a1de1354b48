//! The filesystem port of a gateway: directory mounts a guest cannot escape.
//!
//! Built on [cap-std](cap_std), the capability-based filesystem crate of the
//! Bytecode Alliance (wasmtime's WASI uses it): every operation is relative
//! to a directory handle, and cap-std resolves each path beneath it — with
//! `openat2(RESOLVE_BENEATH)` where the kernel has it, else component by
//! component with `O_NOFOLLOW` — so `..`, absolute paths and symbolic links
//! (also ones swapped in while the path is resolved: a rename race) cannot
//! lead out of a mount; such a path fails with `ENOTCAPABLE`. We chose it over
//! calling `openat2` ourselves because it also covers the operations openat2
//! does not (`unlinkat`, `renameat`, `linkat`, `symlinkat`, `utimensat`,
//! `readlinkat` on a parent resolved beneath the root) and kernels without it.
//!
//! On top of cap-std this port enforces what the configuration says of a
//! mount: read-only unless `writable` (every change fails with `EROFS`), and
//! a size cap (a write that would make the files under the mount larger
//! than `max_size` fails with `ENOSPC`). Usage is measured when the mount is
//! opened and tracked through the changes guests make; changes made beside
//! the gateway are seen at the next reload.

use std::io::{self, Read, Seek, SeekFrom, Write};
use std::os::unix::fs::{FileExt, MetadataExt};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use cap_fs_ext::{
    DirExt, FollowSymlinks, OpenOptionsFollowExt, OpenOptionsMaybeDirExt, OpenOptionsSyncExt,
    OsMetadataExt, SystemTimeSpec,
};
use cap_std::ambient_authority;
use cap_std::fs::{Dir, OpenOptions};
use jinn_core::files::{
    DirEntry, Errno, FdFlags, FileStat, FileSystem, FileType, Handle, OpenHow, SetTime, Whence,
};
use jinn_core::{Files, Preopen};

/// A directory mount of the configuration (or of `jinn run --raw --dir`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MountSpec {
    /// The directory on the gateway.
    pub host: PathBuf,
    /// The name the guest sees (`/data`).
    pub guest: String,
    /// Whether the guest may change it.
    pub writable: bool,
    /// The most bytes the files under it may hold (writable mounts).
    pub max_size: u64,
}

/// A mount opened, shared by every call of its function.
#[derive(Debug)]
pub struct Mount {
    root: Dir,
    guest: String,
    writable: bool,
    max_size: u64,
    /// Bytes in regular files under the mount.
    used: AtomicU64,
}

/// A mount could not be opened.
#[derive(Debug, thiserror::Error)]
#[error("cannot open {path}: {source}")]
pub struct MountError {
    /// The host directory.
    pub path: String,
    /// Why.
    pub source: io::Error,
}

impl Mount {
    /// Opens the host directory of `spec` and measures what it holds.
    ///
    /// # Errors
    ///
    /// [`MountError`] when the directory cannot be opened.
    pub fn open(spec: &MountSpec) -> Result<Arc<Self>, MountError> {
        let err = |source| MountError {
            path: spec.host.display().to_string(),
            source,
        };
        let root = Dir::open_ambient_dir(&spec.host, ambient_authority()).map_err(err)?;
        let used = if spec.writable { usage(&root) } else { 0 };
        Ok(Arc::new(Self {
            root,
            guest: spec.guest.clone(),
            writable: spec.writable,
            max_size: spec.max_size,
            used: AtomicU64::new(used),
        }))
    }

    /// Bytes the files under the mount hold, as tracked.
    pub fn used(&self) -> u64 {
        self.used.load(Ordering::Relaxed)
    }

    /// Takes `bytes` more from the cap, or `ENOSPC`.
    fn reserve(&self, bytes: u64) -> Result<(), Errno> {
        if bytes == 0 {
            return Ok(());
        }
        self.used
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |used| {
                used.checked_add(bytes).filter(|&n| n <= self.max_size)
            })
            .map(|_| ())
            .map_err(|_| Errno::NOSPC)
    }

    /// Gives `bytes` back.
    fn release(&self, bytes: u64) {
        let _ = self
            .used
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |used| {
                Some(used.saturating_sub(bytes))
            });
    }
}

/// Bytes in the regular files under `dir` (symbolic links are not followed).
fn usage(dir: &Dir) -> u64 {
    let Ok(entries) = dir.entries() else {
        return 0;
    };
    entries
        .flatten()
        .map(|e| match e.file_type() {
            Ok(t) if t.is_dir() => e.open_dir().map_or(0, |d| usage(&d)),
            Ok(t) if t.is_file() => e.metadata().map_or(0, |m| m.len()),
            _ => 0,
        })
        .sum()
}

/// The calls' view of their mounts: [`Files`] for one call.
pub fn files(mounts: &[Arc<Mount>]) -> Option<Files> {
    if mounts.is_empty() {
        return None;
    }
    let mut sandbox = Sandbox {
        mounts: mounts.to_vec(),
        objects: Vec::new(),
    };
    let mut preopens = Vec::new();
    for (i, m) in mounts.iter().enumerate() {
        // A failed dup leaves the guest without that preopen; fds keep their order.
        if let Ok(dir) = m.root.try_clone() {
            let handle = sandbox.insert(Object::Dir { dir, mount: i });
            preopens.push(Preopen {
                guest_path: m.guest.clone(),
                handle,
            });
        }
    }
    Some(Files {
        fs: Box::new(sandbox),
        preopens,
    })
}

/// What a handle is.
enum Object {
    Dir { dir: Dir, mount: usize },
    File { file: std::fs::File, mount: usize },
}

/// The port of one call.
struct Sandbox {
    mounts: Vec<Arc<Mount>>,
    objects: Vec<Option<Object>>,
}

/// Maps an OS error to the errno a guest sees. cap-std reports a path that
/// would leave its directory without an OS error code: `ENOTCAPABLE`.
fn errno(e: io::Error) -> Errno {
    let Some(code) = e.raw_os_error() else {
        return match e.kind() {
            io::ErrorKind::NotFound => Errno::NOENT,
            io::ErrorKind::PermissionDenied => Errno::NOTCAPABLE,
            io::ErrorKind::InvalidInput => Errno::INVAL,
            _ => Errno::IO,
        };
    };
    match code {
        libc_codes::EPERM => Errno::PERM,
        libc_codes::ENOENT => Errno::NOENT,
        libc_codes::EBADF => Errno::BADF,
        libc_codes::EAGAIN => Errno::AGAIN,
        libc_codes::EACCES => Errno::ACCES,
        libc_codes::EBUSY => Errno::BUSY,
        libc_codes::EEXIST => Errno::EXIST,
        libc_codes::EXDEV => Errno::XDEV,
        libc_codes::ENOTDIR => Errno::NOTDIR,
        libc_codes::EISDIR => Errno::ISDIR,
        libc_codes::EINVAL => Errno::INVAL,
        libc_codes::EMFILE | libc_codes::ENFILE => Errno::MFILE,
        libc_codes::EFBIG => Errno::FBIG,
        libc_codes::ENOSPC => Errno::NOSPC,
        libc_codes::ESPIPE => Errno::SPIPE,
        libc_codes::EROFS => Errno::ROFS,
        libc_codes::EMLINK => Errno::MLINK,
        libc_codes::ENAMETOOLONG => Errno::NAMETOOLONG,
        libc_codes::ENOSYS => Errno::NOSYS,
        libc_codes::ENOTEMPTY => Errno::NOTEMPTY,
        libc_codes::ELOOP => Errno::LOOP,
        libc_codes::EOVERFLOW => Errno::OVERFLOW,
        libc_codes::EILSEQ => Errno::ILSEQ,
        libc_codes::EOPNOTSUPP => Errno::NOTSUP,
        _ => Errno::IO,
    }
}

/// Linux errno values (x86_64 and aarch64 agree on these).
mod libc_codes {
    pub const EPERM: i32 = 1;
    pub const ENOENT: i32 = 2;
    pub const EBADF: i32 = 9;
    pub const EAGAIN: i32 = 11;
    pub const EACCES: i32 = 13;
    pub const EBUSY: i32 = 16;
    pub const EEXIST: i32 = 17;
    pub const EXDEV: i32 = 18;
    pub const ENOTDIR: i32 = 20;
    pub const EISDIR: i32 = 21;
    pub const EINVAL: i32 = 22;
    pub const ENFILE: i32 = 23;
    pub const EMFILE: i32 = 24;
    pub const EFBIG: i32 = 27;
    pub const ENOSPC: i32 = 28;
    pub const ESPIPE: i32 = 29;
    pub const EROFS: i32 = 30;
    pub const EMLINK: i32 = 31;
    pub const ENAMETOOLONG: i32 = 36;
    pub const ENOSYS: i32 = 38;
    pub const ENOTEMPTY: i32 = 39;
    pub const ELOOP: i32 = 40;
    pub const EOVERFLOW: i32 = 75;
    pub const EILSEQ: i32 = 84;
    pub const EOPNOTSUPP: i32 = 95;
}

/// Whether `file` was opened (or set) to append.
fn appends(file: &std::fs::File) -> bool {
    rustix::fs::fcntl_getfl(file).is_ok_and(|f| f.contains(rustix::fs::OFlags::APPEND))
}

/// The WASI type of a file type: std's and cap-std's have the same methods
/// (from their own `FileTypeExt` traits), so one body serves both.
macro_rules! wasi_type {
    ($t:expr) => {{
        let t = $t;
        if t.is_dir() {
            FileType::Directory
        } else if t.is_file() {
            FileType::RegularFile
        } else if t.is_symlink() {
            FileType::SymbolicLink
        } else if t.is_block_device() {
            FileType::BlockDevice
        } else if t.is_char_device() {
            FileType::CharacterDevice
        } else if t.is_socket() {
            FileType::SocketStream
        } else {
            FileType::Unknown
        }
    }};
}

/// The `filestat` of metadata, std's or cap-std's (as [`wasi_type!`]).
macro_rules! wasi_stat {
    ($m:expr) => {{
        let m = $m;
        let filetype = wasi_type!(m.file_type());
        let ns = |s: i64, n: i64| (s.max(0) as u64) * 1_000_000_000 + n.max(0) as u64;
        FileStat {
            dev: m.dev(),
            ino: m.ino(),
            filetype,
            nlink: m.nlink(),
            size: m.len(),
            atim: ns(m.atime(), m.atime_nsec()),
            mtim: ns(m.mtime(), m.mtime_nsec()),
            ctim: ns(m.ctime(), m.ctime_nsec()),
        }
    }};
}

fn std_stat(m: &std::fs::Metadata) -> FileStat {
    use std::os::unix::fs::FileTypeExt;
    wasi_stat!(m)
}

fn cap_stat(m: &cap_std::fs::Metadata) -> FileStat {
    use cap_fs_ext::FileTypeExt;
    wasi_stat!(m)
}

fn cap_type(t: cap_std::fs::FileType) -> FileType {
    use cap_fs_ext::FileTypeExt;
    wasi_type!(t)
}

/// The bytes removing or replacing `path` frees: its size when it is the
/// last link to a regular file.
fn freed_by_removing(dir: &Dir, path: &str) -> u64 {
    dir.symlink_metadata(path)
        .ok()
        .filter(|m| m.is_file() && m.nlink() == 1)
        .map_or(0, |m| m.len())
}

fn spec(t: SetTime) -> Option<SystemTimeSpec> {
    match t {
        SetTime::Keep => None,
        SetTime::Now => Some(SystemTimeSpec::SymbolicNow),
        SetTime::At(ns) => Some(SystemTimeSpec::Absolute(
            cap_std::time::SystemTime::from_std(UNIX_EPOCH + Duration::from_nanos(ns)),
        )),
    }
}

fn system_time(t: SetTime) -> Option<SystemTime> {
    match t {
        SetTime::Keep => None,
        SetTime::Now => Some(SystemTime::now()),
        SetTime::At(ns) => Some(UNIX_EPOCH + Duration::from_nanos(ns)),
    }
}

impl Sandbox {
    fn insert(&mut self, object: Object) -> Handle {
        if let Some(i) = self.objects.iter().position(Option::is_none) {
            self.objects[i] = Some(object);
            return i as Handle;
        }
        self.objects.push(Some(object));
        (self.objects.len() - 1) as Handle
    }

    fn object(&self, h: Handle) -> Result<&Object, Errno> {
        self.objects
            .get(h as usize)
            .and_then(Option::as_ref)
            .ok_or(Errno::BADF)
    }

    fn dir(&self, h: Handle) -> Result<(&Dir, &Arc<Mount>), Errno> {
        match self.object(h)? {
            Object::Dir { dir, mount } => Ok((dir, &self.mounts[*mount])),
            Object::File { .. } => Err(Errno::NOTDIR),
        }
    }

    /// A directory where changes are allowed.
    fn writable_dir(&self, h: Handle) -> Result<(&Dir, &Arc<Mount>), Errno> {
        let (dir, mount) = self.dir(h)?;
        if mount.writable {
            Ok((dir, mount))
        } else {
            Err(Errno::ROFS)
        }
    }

    /// The directories of a change from one path to another: both writable,
    /// on one mount (`EXDEV` otherwise); the mount last.
    fn writable_pair(&self, from: Handle, to: Handle) -> Result<(&Dir, &Dir, &Arc<Mount>), Errno> {
        let (target, to_mount) = self.writable_dir(to)?;
        let (source, from_mount) = self.writable_dir(from)?;
        if !Arc::ptr_eq(from_mount, to_mount) {
            return Err(Errno::XDEV);
        }
        Ok((source, target, to_mount))
    }

    fn file(&self, h: Handle) -> Result<(&std::fs::File, &Arc<Mount>), Errno> {
        match self.object(h)? {
            Object::File { file, mount } => Ok((file, &self.mounts[*mount])),
            Object::Dir { .. } => Err(Errno::ISDIR),
        }
    }

    fn writable_file(&self, h: Handle) -> Result<(&std::fs::File, &Arc<Mount>), Errno> {
        let (file, mount) = self.file(h)?;
        if mount.writable {
            Ok((file, mount))
        } else {
            Err(Errno::ROFS)
        }
    }

    /// Size of the regular file at `path`, if it is one.
    fn file_size(dir: &Dir, path: &str) -> u64 {
        dir.symlink_metadata(path)
            .ok()
            .filter(|m| m.is_file())
            .map_or(0, |m| m.len())
    }

    /// Writes through `write` after reserving the growth of `file` it may
    /// cause (`end` = the offset after the write); settles the difference.
    fn grow(
        mount: &Mount,
        file: &std::fs::File,
        end: u64,
        write: impl FnOnce() -> io::Result<usize>,
    ) -> Result<usize, Errno> {
        let before = file.metadata().map_err(errno)?.len();
        let reserved = end.saturating_sub(before);
        mount.reserve(reserved)?;
        let result = write();
        let after = file.metadata().map_or(before + reserved, |m| m.len());
        mount.release(reserved.saturating_sub(after.saturating_sub(before)));
        result.map_err(errno)
    }
}

impl FileSystem for Sandbox {
    fn open(&mut self, dir: Handle, path: &str, how: OpenHow) -> Result<Handle, Errno> {
        let (parent, mount) = self.dir(dir)?;
        let mount_index = self.mounts.iter().position(|m| Arc::ptr_eq(m, mount));
        let changes = how.write || how.create || how.truncate;
        if changes && !mount.writable {
            return Err(Errno::ROFS);
        }
        let mut options = OpenOptions::new();
        options
            .read(how.read)
            .write(how.write)
            // std refuses append with truncate: append is set after the open.
            .append(how.write && how.flags.append && !how.truncate)
            .truncate(how.truncate)
            .sync(how.flags.sync)
            .dsync(how.flags.dsync)
            .rsync(how.flags.rsync)
            .maybe_dir(true)
            .follow(if how.follow {
                FollowSymlinks::Yes
            } else {
                FollowSymlinks::No
            });
        if how.create && how.exclusive {
            options.create_new(true);
        } else if how.create {
            options.create(true);
        }
        let truncated = if how.truncate {
            Self::file_size(parent, path)
        } else {
            0
        };
        let file = parent.open_with(path, &options).map_err(errno)?.into_std();
        if how.write && how.flags.append && how.truncate {
            let flags = rustix::fs::fcntl_getfl(&file).map_err(|e| errno(e.into()))?;
            rustix::fs::fcntl_setfl(&file, flags | rustix::fs::OFlags::APPEND)
                .map_err(|e| errno(e.into()))?;
        }
        let kind = file.metadata().map_err(errno)?.file_type();
        if how.directory && !kind.is_dir() {
            return Err(Errno::NOTDIR);
        }
        mount.release(truncated);
        let mount = mount_index.unwrap_or(0);
        let object = if kind.is_dir() {
            Object::Dir {
                dir: Dir::from_std_file(file),
                mount,
            }
        } else {
            Object::File { file, mount }
        };
        Ok(self.insert(object))
    }

    fn close(&mut self, handle: Handle) {
        if let Some(slot) = self.objects.get_mut(handle as usize) {
            *slot = None;
        }
    }

    fn read(&mut self, handle: Handle, buf: &mut [u8]) -> Result<usize, Errno> {
        let (mut file, _) = self.file(handle)?;
        file.read(buf).map_err(errno)
    }

    fn read_at(&mut self, handle: Handle, buf: &mut [u8], offset: u64) -> Result<usize, Errno> {
        let (file, _) = self.file(handle)?;
        file.read_at(buf, offset).map_err(errno)
    }

    fn write(&mut self, handle: Handle, buf: &[u8]) -> Result<usize, Errno> {
        let (mut file, mount) = self.writable_file(handle)?;
        let at = if appends(file) {
            file.metadata().map_err(errno)?.len()
        } else {
            file.stream_position().map_err(errno)?
        };
        Self::grow(mount, file, at + buf.len() as u64, || file.write(buf))
    }

    fn write_at(&mut self, handle: Handle, buf: &[u8], offset: u64) -> Result<usize, Errno> {
        let (file, mount) = self.writable_file(handle)?;
        // With O_APPEND, Linux's pwrite appends.
        let at = if appends(file) {
            file.metadata().map_err(errno)?.len()
        } else {
            offset
        };
        Self::grow(mount, file, at + buf.len() as u64, || {
            file.write_at(buf, offset)
        })
    }

    fn seek(&mut self, handle: Handle, offset: i64, whence: Whence) -> Result<u64, Errno> {
        let (mut file, _) = self.file(handle)?;
        let from = match whence {
            Whence::Set => SeekFrom::Start(u64::try_from(offset).map_err(|_| Errno::INVAL)?),
            Whence::Current => SeekFrom::Current(offset),
            Whence::End => SeekFrom::End(offset),
        };
        file.seek(from).map_err(errno)
    }

    fn stat(&mut self, handle: Handle) -> Result<FileStat, Errno> {
        match self.object(handle)? {
            Object::File { file, .. } => file.metadata().map(|m| std_stat(&m)).map_err(errno),
            Object::Dir { dir, .. } => dir.dir_metadata().map(|m| cap_stat(&m)).map_err(errno),
        }
    }

    fn stat_at(&mut self, dir: Handle, path: &str, follow: bool) -> Result<FileStat, Errno> {
        let (dir, _) = self.dir(dir)?;
        let meta = if follow {
            dir.metadata(path)
        } else {
            dir.symlink_metadata(path)
        };
        meta.map(|m| cap_stat(&m)).map_err(errno)
    }

    fn set_size(&mut self, handle: Handle, size: u64) -> Result<(), Errno> {
        let (file, mount) = self.writable_file(handle)?;
        Self::grow(mount, file, size, || file.set_len(size).map(|()| 0)).map(|_| ())
    }

    fn allocate(&mut self, handle: Handle, offset: u64, len: u64) -> Result<(), Errno> {
        let (file, mount) = self.writable_file(handle)?;
        let end = offset.checked_add(len).ok_or(Errno::FBIG)?;
        let size = file.metadata().map_err(errno)?.len();
        if end <= size {
            return Ok(());
        }
        Self::grow(mount, file, end, || file.set_len(end).map(|()| 0)).map(|_| ())
    }

    fn set_times(&mut self, handle: Handle, atim: SetTime, mtim: SetTime) -> Result<(), Errno> {
        let mut times = std::fs::FileTimes::new();
        if let Some(t) = system_time(atim) {
            times = times.set_accessed(t);
        }
        if let Some(t) = system_time(mtim) {
            times = times.set_modified(t);
        }
        match self.object(handle)? {
            Object::File { file, mount } => {
                if !self.mounts[*mount].writable {
                    return Err(Errno::ROFS);
                }
                file.set_times(times).map_err(errno)
            }
            Object::Dir { dir, mount } => {
                if !self.mounts[*mount].writable {
                    return Err(Errno::ROFS);
                }
                dir.set_times(".", spec(atim), spec(mtim)).map_err(errno)
            }
        }
    }

    fn set_times_at(
        &mut self,
        dir: Handle,
        path: &str,
        follow: bool,
        atim: SetTime,
        mtim: SetTime,
    ) -> Result<(), Errno> {
        let (dir, _) = self.writable_dir(dir)?;
        if follow {
            dir.set_times(path, spec(atim), spec(mtim))
        } else {
            dir.set_symlink_times(path, spec(atim), spec(mtim))
        }
        .map_err(errno)
    }

    fn sync(&mut self, handle: Handle, data_only: bool) -> Result<(), Errno> {
        match self.object(handle)? {
            Object::File { file, .. } if data_only => file.sync_data(),
            Object::File { file, .. } => file.sync_all(),
            Object::Dir { dir, .. } => dir.open(".").and_then(|f| f.sync_all()),
        }
        .map_err(errno)
    }

    fn flags(&mut self, handle: Handle) -> Result<FdFlags, Errno> {
        use rustix::fs::OFlags;
        let flags = match self.object(handle)? {
            Object::File { file, .. } => rustix::fs::fcntl_getfl(file),
            Object::Dir { dir, .. } => rustix::fs::fcntl_getfl(dir),
        }
        .map_err(|e| errno(e.into()))?;
        Ok(FdFlags {
            append: flags.contains(OFlags::APPEND),
            dsync: flags.contains(OFlags::DSYNC),
            nonblock: flags.contains(OFlags::NONBLOCK),
            // Linux's O_RSYNC is O_SYNC: report what was asked, `sync`.
            rsync: false,
            sync: flags.contains(OFlags::SYNC),
        })
    }

    fn set_flags(&mut self, handle: Handle, flags: FdFlags) -> Result<(), Errno> {
        use rustix::fs::OFlags;
        if flags.dsync || flags.rsync || flags.sync {
            return Err(Errno::NOTSUP);
        }
        let (file, _) = self.file(handle)?;
        let mut bits = OFlags::empty();
        bits.set(OFlags::APPEND, flags.append);
        bits.set(OFlags::NONBLOCK, flags.nonblock);
        rustix::fs::fcntl_setfl(file, bits).map_err(|e| errno(e.into()))
    }

    fn read_dir(&mut self, handle: Handle, out: &mut Vec<DirEntry>) -> Result<(), Errno> {
        let (dir, _) = self.dir(handle)?;
        let mut entries = Vec::new();
        for entry in dir.entries().map_err(errno)? {
            let entry = entry.map_err(errno)?;
            let filetype = entry.file_type().map_or(FileType::Unknown, cap_type);
            entries.push(DirEntry {
                name: entry.file_name().to_string_lossy().into_owned(),
                ino: entry.metadata().map_or(0, |m| m.ino()),
                filetype,
            });
        }
        entries.sort_by(|a, b| a.name.cmp(&b.name));
        out.extend(entries);
        Ok(())
    }

    fn create_dir(&mut self, dir: Handle, path: &str) -> Result<(), Errno> {
        let (dir, _) = self.writable_dir(dir)?;
        dir.create_dir(path).map_err(errno)
    }

    fn remove_dir(&mut self, dir: Handle, path: &str) -> Result<(), Errno> {
        let (dir, _) = self.writable_dir(dir)?;
        dir.remove_dir(path).map_err(errno)
    }

    fn unlink(&mut self, dir: Handle, path: &str) -> Result<(), Errno> {
        let (dir, mount) = self.writable_dir(dir)?;
        let last_link = freed_by_removing(dir, path);
        dir.remove_file_or_symlink(path).map_err(errno)?;
        mount.release(last_link);
        Ok(())
    }

    fn rename(
        &mut self,
        from_dir: Handle,
        from: &str,
        to_dir: Handle,
        to: &str,
    ) -> Result<(), Errno> {
        let (source, target, mount) = self.writable_pair(from_dir, to_dir)?;
        let replaced = freed_by_removing(target, to);
        source.rename(from, target, to).map_err(errno)?;
        mount.release(replaced);
        Ok(())
    }

    fn link(
        &mut self,
        from_dir: Handle,
        from: &str,
        _follow: bool,
        to_dir: Handle,
        to: &str,
    ) -> Result<(), Errno> {
        let (source, target, _) = self.writable_pair(from_dir, to_dir)?;
        source.hard_link(from, target, to).map_err(errno)
    }

    fn symlink(&mut self, target: &str, dir: Handle, path: &str) -> Result<(), Errno> {
        let (dir, _) = self.writable_dir(dir)?;
        dir.symlink(target, path).map_err(errno)
    }

    fn read_link(&mut self, dir: Handle, path: &str, out: &mut Vec<u8>) -> Result<(), Errno> {
        use std::os::unix::ffi::OsStrExt;
        let (dir, _) = self.dir(dir)?;
        let target = dir.read_link_contents(path).map_err(errno)?;
        out.extend_from_slice(target.as_os_str().as_bytes());
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mount(dir: &std::path::Path, writable: bool, max_size: u64) -> Files {
        let spec = MountSpec {
            host: dir.to_path_buf(),
            guest: "/data".into(),
            writable,
            max_size,
        };
        files(&[Mount::open(&spec).unwrap()]).unwrap()
    }

    fn write_how() -> OpenHow {
        OpenHow {
            create: true,
            write: true,
            ..OpenHow::default()
        }
    }

    #[test]
    fn read_only_mounts_refuse_every_change() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("f"), "x").unwrap();
        std::fs::create_dir(dir.path().join("d")).unwrap();
        let Files { mut fs, preopens } = mount(dir.path(), false, 0);
        let root = preopens[0].handle;
        let read = OpenHow {
            read: true,
            ..OpenHow::default()
        };
        let f = fs.open(root, "f", read).unwrap();
        let mut buf = [0u8; 4];
        assert_eq!(fs.read(f, &mut buf), Ok(1));
        assert_eq!(fs.write(f, b"y"), Err(Errno::ROFS));
        assert_eq!(fs.set_size(f, 0), Err(Errno::ROFS));
        assert_eq!(fs.open(root, "g", write_how()), Err(Errno::ROFS));
        assert_eq!(fs.create_dir(root, "e"), Err(Errno::ROFS));
        assert_eq!(fs.remove_dir(root, "d"), Err(Errno::ROFS));
        assert_eq!(fs.unlink(root, "f"), Err(Errno::ROFS));
        assert_eq!(fs.rename(root, "f", root, "h"), Err(Errno::ROFS));
        assert_eq!(fs.symlink("f", root, "l"), Err(Errno::ROFS));
        assert_eq!(fs.link(root, "f", false, root, "l"), Err(Errno::ROFS));
        assert_eq!(
            fs.set_times_at(root, "f", true, SetTime::Now, SetTime::Keep),
            Err(Errno::ROFS)
        );
        assert_eq!(std::fs::read_to_string(dir.path().join("f")).unwrap(), "x");
    }

    #[test]
    fn the_size_cap_refuses_growth_past_it_and_frees_what_is_removed() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("old"), [0u8; 60]).unwrap();
        let Files { mut fs, preopens } = mount(dir.path(), true, 100);
        let root = preopens[0].handle;
        let f = fs.open(root, "new", write_how()).unwrap();
        assert_eq!(fs.write(f, &[1u8; 40]), Ok(40), "60 + 40 = the cap");
        assert_eq!(fs.write(f, &[1u8]), Err(Errno::NOSPC));
        assert_eq!(fs.set_size(f, 41), Err(Errno::NOSPC));
        assert_eq!(fs.allocate(f, 0, 41), Err(Errno::NOSPC));
        assert_eq!(fs.write_at(f, &[2u8; 10], 0), Ok(10), "overwriting is free");
        fs.close(f);
        fs.unlink(root, "old").unwrap();
        let f = fs
            .open(
                root,
                "new",
                OpenHow {
                    write: true,
                    ..OpenHow::default()
                },
            )
            .unwrap();
        fs.seek(f, 0, Whence::End).unwrap();
        assert_eq!(fs.write(f, &[3u8; 60]), Ok(60), "room freed by the unlink");
        assert_eq!(fs.write(f, &[3u8]), Err(Errno::NOSPC));
        assert_eq!(
            std::fs::metadata(dir.path().join("new")).unwrap().len(),
            100
        );
    }

    #[test]
    fn nothing_leads_out_of_the_mount() {
        let base = tempfile::tempdir().unwrap();
        let inside = base.path().join("inside");
        std::fs::create_dir_all(inside.join("sub")).unwrap();
        std::fs::write(base.path().join("secret"), "secret").unwrap();
        std::os::unix::fs::symlink("../secret", inside.join("up")).unwrap();
        std::os::unix::fs::symlink(base.path().join("secret"), inside.join("abs")).unwrap();
        let Files { mut fs, preopens } = mount(&inside, true, u64::MAX);
        let root = preopens[0].handle;
        let read = OpenHow {
            read: true,
            follow: true,
            ..OpenHow::default()
        };
        for path in ["../secret", "sub/../../secret", "/etc/passwd", "up", "abs"] {
            assert_eq!(fs.open(root, path, read), Err(Errno::NOTCAPABLE), "{path}");
            assert_eq!(
                fs.stat_at(root, path, true).err(),
                Some(Errno::NOTCAPABLE),
                "{path}"
            );
        }
        // Without following, the link itself is refused (ELOOP); following, it leads out.
        assert_eq!(fs.open(root, "up", write_how()), Err(Errno::LOOP));
        let follow_write = OpenHow {
            follow: true,
            ..write_how()
        };
        assert_eq!(fs.open(root, "up", follow_write), Err(Errno::NOTCAPABLE));
        assert_eq!(
            fs.rename(root, "up", root, "../stolen"),
            Err(Errno::NOTCAPABLE)
        );
        assert_eq!(fs.create_dir(root, "../made"), Err(Errno::NOTCAPABLE));
        assert_eq!(fs.unlink(root, "../secret"), Err(Errno::NOTCAPABLE));
        // A symbolic link may be made, but never followed out.
        fs.symlink("../../secret", root, "sub/later").unwrap();
        assert_eq!(fs.open(root, "sub/later", read), Err(Errno::NOTCAPABLE));
        assert_eq!(
            std::fs::read_to_string(base.path().join("secret")).unwrap(),
            "secret"
        );
        assert!(!base.path().join("made").exists() && !base.path().join("stolen").exists());
    }

    #[test]
    fn usage_is_measured_when_a_mount_opens() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("a")).unwrap();
        std::fs::write(dir.path().join("a/x"), [0u8; 10]).unwrap();
        std::fs::write(dir.path().join("y"), [0u8; 5]).unwrap();
        let spec = MountSpec {
            host: dir.path().to_path_buf(),
            guest: "/".into(),
            writable: true,
            max_size: 1000,
        };
        assert_eq!(Mount::open(&spec).unwrap().used(), 15);
    }
}
