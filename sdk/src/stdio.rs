//! stdin and stdout of the std SDK. On wasm32 they are WASI's `fd_read` and
//! `fd_write`, called directly: the request is read once into one vector and
//! the response written with one call, without std's buffered handles and
//! their locks. Elsewhere (native tests of functions) they are std's.

#[cfg(target_arch = "wasm32")]
#[link(wasm_import_module = "wasi_snapshot_preview1")]
unsafe extern "C" {
    fn fd_read(fd: i32, iovs: *const [usize; 2], iovs_len: usize, nread: *mut usize) -> u16;
}

/// Reads all of stdin.
#[cfg(target_arch = "wasm32")]
pub(crate) fn read_stdin() -> std::io::Result<Vec<u8>> {
    let mut input = Vec::with_capacity(1024);
    loop {
        if input.len() == input.capacity() {
            input.reserve(input.capacity());
        }
        let spare = input.spare_capacity_mut();
        let iov = [spare.as_mut_ptr() as usize, spare.len()];
        let mut count = 0;
        // SAFETY: the host writes at most `iov[1]` bytes at `iov[0]`, the
        // vector's spare capacity.
        let errno = unsafe { fd_read(0, &iov, 1, &mut count) };
        if errno != 0 {
            return Err(std::io::Error::from_raw_os_error(i32::from(errno)));
        }
        if count == 0 {
            return Ok(input);
        }
        // SAFETY: the host wrote `count` bytes (at most the spare capacity)
        // right after the vector's initialised ones.
        unsafe { input.set_len(input.len() + count.min(iov[1])) };
    }
}

/// Reads all of stdin.
#[cfg(not(target_arch = "wasm32"))]
pub(crate) fn read_stdin() -> std::io::Result<Vec<u8>> {
    use std::io::Read;

    let mut input = Vec::new();
    std::io::stdin().lock().read_to_end(&mut input)?;
    Ok(input)
}

/// Writes `bytes` to stdout (the tiny SDK's writer). Errors are ignored:
/// there is nowhere to report them (the host sees a short response).
#[cfg(target_arch = "wasm32")]
pub(crate) fn write_stdout(bytes: &[u8]) {
    crate::tiny::stdio::write_all(bytes);
}

/// Writes `bytes` to stdout and flushes it. Errors are ignored: there is
/// nowhere to report them.
#[cfg(not(target_arch = "wasm32"))]
pub(crate) fn write_stdout(bytes: &[u8]) {
    use std::io::Write;

    let mut out = std::io::stdout().lock();
    let _ = out.write_all(bytes).and_then(|()| out.flush());
}
