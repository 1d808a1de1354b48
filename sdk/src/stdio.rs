//! stdin and stdout of the std SDK. On wasm32 they are WASI's `fd_read` and
//! `fd_write`, called directly (the tiny SDK's, [`crate::tiny`]): the request
//! is read once into one vector and the response written with one call,
//! without std's buffered handles and their locks. Elsewhere (native tests
//! of functions) they are std's.

/// Reads all of stdin.
#[cfg(target_arch = "wasm32")]
pub(crate) fn read_stdin() -> std::io::Result<Vec<u8>> {
    use crate::tiny::stdio::read;

    let mut input = Vec::with_capacity(1024);
    loop {
        if input.len() == input.capacity() {
            input.reserve(input.capacity());
        }
        let count = read(input.spare_capacity_mut())
            .map_err(|errno| std::io::Error::from_raw_os_error(i32::from(errno)))?;
        if count == 0 {
            return Ok(input);
        }
        // SAFETY: the host wrote `count` bytes (at most the spare capacity)
        // right after the vector's initialised ones.
        unsafe { input.set_len(input.len() + count) };
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

/// Writes `bytes` to stdout. Errors are ignored: there is nowhere to
/// report them.
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
