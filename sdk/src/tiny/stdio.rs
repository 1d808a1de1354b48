//! stdin and stdout through WASI preview 1 (`fd_read`, `fd_write`), the
//! only WASI calls a tiny guest makes.
//!
//! stdin is read into the linear memory above the program's data
//! (`__heap_base`), growing it a page at a time as the request needs: with
//! no allocator, that memory is free, and a small request costs no page
//! beyond the first.

use super::write::Sink;

#[link(wasm_import_module = "wasi_snapshot_preview1")]
unsafe extern "C" {
    fn fd_read(fd: i32, iovs: *const [usize; 2], iovs_len: usize, nread: *mut usize) -> u16;
    fn fd_write(fd: i32, iovs: *const [usize; 2], iovs_len: usize, nwritten: *mut usize) -> u16;
}

unsafe extern "C" {
    /// The first byte after the program's stack and data (wasm-ld).
    static __heap_base: u8;
}

const PAGE: usize = 65_536;

/// Why stdin could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadError {
    /// `fd_read` failed with this WASI errno.
    Io(u16),
    /// The memory could not grow to hold the request.
    TooLarge,
}

/// Reads all of stdin into the free memory above `__heap_base`.
///
/// # Safety
///
/// Call once: the slice is the only reference to that memory, and nothing
/// else may use it (no allocator).
pub(crate) unsafe fn read_stdin() -> Result<&'static mut [u8], ReadError> {
    let base = &raw const __heap_base as usize;
    let mut end = core::arch::wasm32::memory_size(0) * PAGE;
    let mut len = 0;
    loop {
        if base + len == end {
            if core::arch::wasm32::memory_grow(0, 1) == usize::MAX {
                return Err(ReadError::TooLarge);
            }
            end += PAGE;
        }
        let iov = [base + len, end - base - len];
        let mut read = 0;
        // SAFETY: the host writes at most `iov[1]` bytes at `iov[0]`, memory
        // this module owns and nothing else uses.
        let errno = unsafe { fd_read(0, &iov, 1, &mut read) };
        if errno != 0 {
            return Err(ReadError::Io(errno));
        }
        if read == 0 {
            break;
        }
        len += read;
    }
    // SAFETY: `base..base + len` is inside the memory (grown above), was
    // written by the host, and the caller guarantees it is not aliased.
    Ok(unsafe { core::slice::from_raw_parts_mut(base as *mut u8, len) })
}

/// Writes all of `bytes` to stdout; on an error it stops (there is nowhere
/// to report it: the host sees a short response). The std SDK writes its
/// response with it too.
pub(crate) fn write_all(mut bytes: &[u8]) {
    while !bytes.is_empty() {
        let iov = [bytes.as_ptr() as usize, bytes.len()];
        let mut written = 0;
        // SAFETY: the host reads at most `iov[1]` bytes at `iov[0]`.
        let errno = unsafe { fd_write(1, &iov, 1, &mut written) };
        if errno != 0 || written == 0 {
            return;
        }
        bytes = &bytes[written.min(bytes.len())..];
    }
}

/// stdout, buffered: one `fd_write` for a small response.
pub(crate) struct Stdout {
    buf: [u8; 1024],
    len: usize,
}

impl Stdout {
    pub(crate) const fn new() -> Self {
        Stdout {
            buf: [0; 1024],
            len: 0,
        }
    }

    /// Writes what is buffered.
    pub(crate) fn flush(&mut self) {
        write_all(&self.buf[..self.len]);
        self.len = 0;
    }
}

impl Sink for Stdout {
    fn put(&mut self, bytes: &[u8]) {
        let end = self.len + bytes.len();
        if end > self.buf.len() {
            return self.put_past_the_buffer(bytes);
        }
        // SAFETY: `self.len + bytes.len() <= buf.len()`: the bytes fit after
        // what is buffered (one `memory.copy`, no call).
        unsafe {
            core::ptr::copy_nonoverlapping(
                bytes.as_ptr(),
                self.buf.as_mut_ptr().add(self.len),
                bytes.len(),
            )
        };
        self.len = end;
    }
}

impl Stdout {
    /// [`Sink::put`] of what does not fit what is left of the buffer: kept
    /// out of it, which runs for every piece of a response.
    #[inline(never)]
    fn put_past_the_buffer(&mut self, bytes: &[u8]) {
        self.flush();
        if bytes.len() > self.buf.len() {
            return write_all(bytes);
        }
        self.buf[..bytes.len()].copy_from_slice(bytes);
        self.len = bytes.len();
    }
}
