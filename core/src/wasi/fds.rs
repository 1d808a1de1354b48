//! The guest's descriptor table: stdio on 0–2, preopened directories from 3,
//! then what the guest opens. Rights are kept per descriptor as WASI
//! preview1 defines them: they can only be dropped, and an operation without
//! its right fails with `ENOTCAPABLE`.

use alloc::string::String;
use alloc::vec::Vec;

use super::errno;
use crate::error::Stream;
use crate::files::{DirEntry, Handle, Preopen};

/// WASI rights bits.
pub(crate) mod rights {
    pub const FD_DATASYNC: u64 = 1 << 0;
    pub const FD_READ: u64 = 1 << 1;
    pub const FD_SEEK: u64 = 1 << 2;
    pub const FD_FDSTAT_SET_FLAGS: u64 = 1 << 3;
    pub const FD_SYNC: u64 = 1 << 4;
    pub const FD_TELL: u64 = 1 << 5;
    pub const FD_WRITE: u64 = 1 << 6;
    pub const FD_ADVISE: u64 = 1 << 7;
    pub const FD_ALLOCATE: u64 = 1 << 8;
    pub const PATH_CREATE_DIRECTORY: u64 = 1 << 9;
    pub const PATH_CREATE_FILE: u64 = 1 << 10;
    pub const PATH_LINK_SOURCE: u64 = 1 << 11;
    pub const PATH_LINK_TARGET: u64 = 1 << 12;
    pub const PATH_OPEN: u64 = 1 << 13;
    pub const FD_READDIR: u64 = 1 << 14;
    pub const PATH_READLINK: u64 = 1 << 15;
    pub const PATH_RENAME_SOURCE: u64 = 1 << 16;
    pub const PATH_RENAME_TARGET: u64 = 1 << 17;
    pub const PATH_FILESTAT_GET: u64 = 1 << 18;
    pub const PATH_FILESTAT_SET_SIZE: u64 = 1 << 19;
    pub const PATH_FILESTAT_SET_TIMES: u64 = 1 << 20;
    pub const FD_FILESTAT_GET: u64 = 1 << 21;
    pub const FD_FILESTAT_SET_SIZE: u64 = 1 << 22;
    pub const FD_FILESTAT_SET_TIMES: u64 = 1 << 23;
    pub const PATH_SYMLINK: u64 = 1 << 24;
    pub const PATH_REMOVE_DIRECTORY: u64 = 1 << 25;
    pub const PATH_UNLINK_FILE: u64 = 1 << 26;
    pub const POLL_FD_READWRITE: u64 = 1 << 27;

    /// What an open regular file may be granted.
    pub const FILE: u64 = FD_DATASYNC
        | FD_READ
        | FD_SEEK
        | FD_FDSTAT_SET_FLAGS
        | FD_SYNC
        | FD_TELL
        | FD_WRITE
        | FD_ADVISE
        | FD_ALLOCATE
        | FD_FILESTAT_GET
        | FD_FILESTAT_SET_SIZE
        | FD_FILESTAT_SET_TIMES
        | POLL_FD_READWRITE;
    /// What an open directory may be granted.
    pub const DIR: u64 = FD_FDSTAT_SET_FLAGS
        | FD_SYNC
        | FD_DATASYNC
        | PATH_CREATE_DIRECTORY
        | PATH_CREATE_FILE
        | PATH_LINK_SOURCE
        | PATH_LINK_TARGET
        | PATH_OPEN
        | FD_READDIR
        | PATH_READLINK
        | PATH_RENAME_SOURCE
        | PATH_RENAME_TARGET
        | PATH_FILESTAT_GET
        | PATH_FILESTAT_SET_SIZE
        | PATH_FILESTAT_SET_TIMES
        | FD_FILESTAT_GET
        | FD_FILESTAT_SET_TIMES
        | PATH_SYMLINK
        | PATH_REMOVE_DIRECTORY
        | PATH_UNLINK_FILE;
    /// What stdin has.
    pub const STDIN: u64 = FD_READ | POLL_FD_READWRITE | FD_FILESTAT_GET;
    /// What stdout and stderr have.
    pub const STDOUT: u64 = FD_WRITE | POLL_FD_READWRITE | FD_FILESTAT_GET;
}

/// The most descriptors a call may have open.
pub(crate) const MAX_FDS: usize = 1024;

/// What a descriptor is.
#[derive(Debug)]
pub(crate) enum Kind {
    /// Standard input (the request, or the target's stdin).
    Stdin,
    /// Standard output or error.
    Out(Stream),
    /// A directory; `preopen` is its guest name when it was preopened.
    Dir {
        handle: Handle,
        preopen: Option<String>,
        /// Entries read at cookie 0, for the following `fd_readdir` calls.
        listing: Option<Vec<DirEntry>>,
    },
    /// Anything else the port opened (a regular file, mostly).
    File { handle: Handle },
}

/// One open descriptor.
#[derive(Debug)]
pub(crate) struct Entry {
    pub kind: Kind,
    pub base: u64,
    pub inheriting: u64,
}

impl Entry {
    /// Fails with `ENOTCAPABLE` unless every right of `needed` is held.
    pub fn require(&self, needed: u64) -> Result<(), i32> {
        if self.base & needed == needed {
            Ok(())
        } else {
            Err(errno::NOTCAPABLE)
        }
    }

    /// The port handle, if any.
    pub fn handle(&self) -> Option<Handle> {
        match self.kind {
            Kind::Dir { handle, .. } | Kind::File { handle } => Some(handle),
            _ => None,
        }
    }
}

/// The table.
#[derive(Debug)]
pub(crate) struct FdTable {
    slots: Vec<Option<Entry>>,
}

impl FdTable {
    /// Stdio on 0–2, then `preopens`.
    pub fn new(preopens: &[Preopen]) -> Self {
        let stdio = |kind, base| {
            Some(Entry {
                kind,
                base,
                inheriting: 0,
            })
        };
        let mut slots = alloc::vec![
            stdio(Kind::Stdin, rights::STDIN),
            stdio(Kind::Out(Stream::Stdout), rights::STDOUT),
            stdio(Kind::Out(Stream::Stderr), rights::STDOUT),
        ];
        for p in preopens {
            // Read-only mounts are enforced by the port (`EROFS`).
            slots.push(Some(Entry {
                kind: Kind::Dir {
                    handle: p.handle,
                    preopen: Some(p.guest_path.clone()),
                    listing: None,
                },
                base: rights::DIR,
                inheriting: rights::DIR | rights::FILE,
            }));
        }
        Self { slots }
    }

    /// The entry of `fd`, or `EBADF`.
    pub fn get(&self, fd: i32) -> Result<&Entry, i32> {
        usize::try_from(fd)
            .ok()
            .and_then(|i| self.slots.get(i))
            .and_then(Option::as_ref)
            .ok_or(errno::BADF)
    }

    /// The entry of `fd` to change, or `EBADF`.
    pub fn get_mut(&mut self, fd: i32) -> Result<&mut Entry, i32> {
        usize::try_from(fd)
            .ok()
            .and_then(|i| self.slots.get_mut(i))
            .and_then(Option::as_mut)
            .ok_or(errno::BADF)
    }

    /// Puts `entry` on the lowest free descriptor, or `EMFILE`.
    pub fn insert(&mut self, entry: Entry) -> Result<i32, Entry> {
        if let Some(i) = self.slots.iter().position(Option::is_none) {
            self.slots[i] = Some(entry);
            return Ok(i as i32);
        }
        if self.slots.len() >= MAX_FDS {
            return Err(entry);
        }
        self.slots.push(Some(entry));
        Ok(self.slots.len() as i32 - 1)
    }

    /// Takes `fd` out of the table.
    pub fn remove(&mut self, fd: i32) -> Result<Entry, i32> {
        usize::try_from(fd)
            .ok()
            .and_then(|i| self.slots.get_mut(i))
            .and_then(Option::take)
            .ok_or(errno::BADF)
    }

    /// Moves `from` onto `to` (both must be open); returns what was on
    /// `to`, which the caller closes (nothing when they are the same).
    pub fn renumber(&mut self, from: i32, to: i32) -> Result<Option<Entry>, i32> {
        self.get(from)?;
        self.get(to)?;
        if from == to {
            return Ok(None);
        }
        let moved = self.remove(from)?;
        Ok(self.slots[to as usize].replace(moved))
    }
}
