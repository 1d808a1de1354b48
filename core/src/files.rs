//! The filesystem port: what a target gives the core so that a guest can use
//! preopened directories (WASI `path_*` and the file `fd_*` functions).
//!
//! The core keeps the guest's descriptor table, rights, directory cookies
//! and argument checks; the port does the operations on opaque [`Handle`]s,
//! each relative to a directory handle it gave out. **The port is the
//! sandbox**: it must resolve every path beneath the directory it is given
//! (no `..`, absolute path or symlink may lead out of a preopen), refuse
//! writes on read-only mounts and enforce its size caps. A target without
//! files (a microcontroller) simply passes no [`Files`]: every path call
//! then fails as WASI programs expect when nothing is preopened.

use alloc::boxed::Box;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

/// A WASI preview1 errno, as the port reports failures.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Errno(pub u16);

impl Errno {
    /// Permission denied.
    pub const ACCES: Self = Self(2);
    /// Resource unavailable, try again.
    pub const AGAIN: Self = Self(6);
    /// Bad file descriptor.
    pub const BADF: Self = Self(8);
    /// Device or resource busy.
    pub const BUSY: Self = Self(10);
    /// File exists.
    pub const EXIST: Self = Self(20);
    /// File too large.
    pub const FBIG: Self = Self(22);
    /// Illegal byte sequence (a name that is not UTF-8).
    pub const ILSEQ: Self = Self(25);
    /// Invalid argument.
    pub const INVAL: Self = Self(28);
    /// I/O error.
    pub const IO: Self = Self(29);
    /// Is a directory.
    pub const ISDIR: Self = Self(31);
    /// Too many levels of symbolic links.
    pub const LOOP: Self = Self(32);
    /// Too many open files.
    pub const MFILE: Self = Self(33);
    /// Too many links.
    pub const MLINK: Self = Self(34);
    /// Filename too long.
    pub const NAMETOOLONG: Self = Self(37);
    /// No such file or directory.
    pub const NOENT: Self = Self(44);
    /// No space left (also: over the mount's size cap).
    pub const NOSPC: Self = Self(51);
    /// Function not supported.
    pub const NOSYS: Self = Self(52);
    /// Not a directory.
    pub const NOTDIR: Self = Self(54);
    /// Directory not empty.
    pub const NOTEMPTY: Self = Self(55);
    /// Not supported.
    pub const NOTSUP: Self = Self(58);
    /// Value too large.
    pub const OVERFLOW: Self = Self(61);
    /// Operation not permitted.
    pub const PERM: Self = Self(63);
    /// Read-only file system.
    pub const ROFS: Self = Self(69);
    /// Invalid seek.
    pub const SPIPE: Self = Self(70);
    /// Cross-device link.
    pub const XDEV: Self = Self(75);
    /// Capabilities insufficient (a path leading out of its directory).
    pub const NOTCAPABLE: Self = Self(76);
}

impl fmt::Debug for Errno {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Errno({})", self.0)
    }
}

/// A file, directory or other object the port opened; meaningful to the
/// port only.
pub type Handle = u32;

/// WASI file types.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[repr(u8)]
pub enum FileType {
    /// Unknown.
    Unknown = 0,
    /// Block device.
    BlockDevice = 1,
    /// Character device.
    CharacterDevice = 2,
    /// Directory.
    Directory = 3,
    /// Regular file.
    RegularFile = 4,
    /// Datagram socket.
    SocketDgram = 5,
    /// Stream socket.
    SocketStream = 6,
    /// Symbolic link.
    SymbolicLink = 7,
}

/// WASI `filestat`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileStat {
    /// Device id.
    pub dev: u64,
    /// Inode.
    pub ino: u64,
    /// Type.
    pub filetype: FileType,
    /// Hard links.
    pub nlink: u64,
    /// Size in bytes.
    pub size: u64,
    /// Last access, ns since the epoch.
    pub atim: u64,
    /// Last modification, ns since the epoch.
    pub mtim: u64,
    /// Last status change, ns since the epoch.
    pub ctim: u64,
}

/// Descriptor flags a file keeps (WASI `fdflags`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FdFlags {
    /// Writes go to the end.
    pub append: bool,
    /// Data integrity on write.
    pub dsync: bool,
    /// Non-blocking.
    pub nonblock: bool,
    /// Synchronised reads.
    pub rsync: bool,
    /// File integrity on write.
    pub sync: bool,
}

/// How [`FileSystem::open`] opens a path.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct OpenHow {
    /// Follow a symbolic link in the last component.
    pub follow: bool,
    /// Create the file if missing.
    pub create: bool,
    /// Fail unless it is a directory.
    pub directory: bool,
    /// With `create`: fail if it exists.
    pub exclusive: bool,
    /// Truncate to 0 bytes.
    pub truncate: bool,
    /// Open for reading.
    pub read: bool,
    /// Open for writing.
    pub write: bool,
    /// Descriptor flags.
    pub flags: FdFlags,
}

/// A new access or modification time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SetTime {
    /// Leave it.
    Keep,
    /// The current time.
    Now,
    /// This time, ns since the epoch.
    At(u64),
}

/// Where a seek starts from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Whence {
    /// The start.
    Set,
    /// The current position.
    Current,
    /// The end.
    End,
}

/// One entry of a directory (without `.` and `..`, which the core adds).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirEntry {
    /// Its name.
    pub name: String,
    /// Its inode.
    pub ino: u64,
    /// Its type (a symbolic link is not followed).
    pub filetype: FileType,
}

/// Filesystem operations, relative to handles the port gave out. See the
/// module documentation for what an implementation must guarantee.
///
/// Every method returns the [`Errno`] the guest will see on failure.
pub trait FileSystem {
    /// Opens `path` beneath directory `dir`.
    fn open(&mut self, dir: Handle, path: &str, how: OpenHow) -> Result<Handle, Errno>;
    /// Closes a handle (never fails).
    fn close(&mut self, handle: Handle);
    /// Reads at the current position.
    fn read(&mut self, handle: Handle, buf: &mut [u8]) -> Result<usize, Errno>;
    /// Reads at `offset` without moving the position.
    fn read_at(&mut self, handle: Handle, buf: &mut [u8], offset: u64) -> Result<usize, Errno>;
    /// Writes at the current position (at the end with `append`).
    fn write(&mut self, handle: Handle, buf: &[u8]) -> Result<usize, Errno>;
    /// Writes at `offset` without moving the position.
    fn write_at(&mut self, handle: Handle, buf: &[u8], offset: u64) -> Result<usize, Errno>;
    /// Moves the position; returns the new one.
    fn seek(&mut self, handle: Handle, offset: i64, whence: Whence) -> Result<u64, Errno>;
    /// Metadata of an open handle.
    fn stat(&mut self, handle: Handle) -> Result<FileStat, Errno>;
    /// Metadata of `path` beneath `dir`.
    fn stat_at(&mut self, dir: Handle, path: &str, follow: bool) -> Result<FileStat, Errno>;
    /// Truncates or extends.
    fn set_size(&mut self, handle: Handle, size: u64) -> Result<(), Errno>;
    /// Makes sure `offset..offset+len` is allocated (extends the file if needed).
    fn allocate(&mut self, handle: Handle, offset: u64, len: u64) -> Result<(), Errno>;
    /// Sets access and modification times of an open handle.
    fn set_times(&mut self, handle: Handle, atim: SetTime, mtim: SetTime) -> Result<(), Errno>;
    /// Sets access and modification times of `path` beneath `dir`.
    fn set_times_at(
        &mut self,
        dir: Handle,
        path: &str,
        follow: bool,
        atim: SetTime,
        mtim: SetTime,
    ) -> Result<(), Errno>;
    /// Flushes data (and metadata unless `data_only`) to storage.
    fn sync(&mut self, handle: Handle, data_only: bool) -> Result<(), Errno>;
    /// The descriptor flags of an open handle.
    fn flags(&mut self, handle: Handle) -> Result<FdFlags, Errno>;
    /// Changes the descriptor flags (`append`, `nonblock`).
    fn set_flags(&mut self, handle: Handle, flags: FdFlags) -> Result<(), Errno>;
    /// The entries of directory `handle`, in a stable order, appended to `out`.
    fn read_dir(&mut self, handle: Handle, out: &mut Vec<DirEntry>) -> Result<(), Errno>;
    /// Creates a directory.
    fn create_dir(&mut self, dir: Handle, path: &str) -> Result<(), Errno>;
    /// Removes an empty directory.
    fn remove_dir(&mut self, dir: Handle, path: &str) -> Result<(), Errno>;
    /// Removes a file or symbolic link.
    fn unlink(&mut self, dir: Handle, path: &str) -> Result<(), Errno>;
    /// Renames `from` beneath `from_dir` to `to` beneath `to_dir`.
    fn rename(
        &mut self,
        from_dir: Handle,
        from: &str,
        to_dir: Handle,
        to: &str,
    ) -> Result<(), Errno>;
    /// Creates hard link `to` of `from`.
    fn link(
        &mut self,
        from_dir: Handle,
        from: &str,
        follow: bool,
        to_dir: Handle,
        to: &str,
    ) -> Result<(), Errno>;
    /// Creates symbolic link `path` pointing at `target`.
    fn symlink(&mut self, target: &str, dir: Handle, path: &str) -> Result<(), Errno>;
    /// The target of symbolic link `path`, appended to `out`.
    fn read_link(&mut self, dir: Handle, path: &str, out: &mut Vec<u8>) -> Result<(), Errno>;
}

/// A directory the guest finds open at start (fd 3, 4, … in order).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Preopen {
    /// The name the guest sees (`/`, `/data`, …).
    pub guest_path: String,
    /// The port's handle of the directory (read-only or writable is the
    /// port's business: it refuses writes with `EROFS`).
    pub handle: Handle,
}

/// A call's filesystem: the port and its preopened directories.
pub struct Files {
    /// The port.
    pub fs: Box<dyn FileSystem + Send>,
    /// Preopened directories, fd 3 onwards.
    pub preopens: Vec<Preopen>,
}

impl fmt::Debug for Files {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Files")
            .field("preopens", &self.preopens)
            .finish_non_exhaustive()
    }
}
