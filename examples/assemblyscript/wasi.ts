// The WASI preview1 calls these functions use, declared by hand:
// AssemblyScript ships no WASI layer.

@external("wasi_snapshot_preview1", "fd_write")
declare function fd_write(fd: u32, iovs: usize, iovs_len: u32, nwritten: usize): u16;

@external("wasi_snapshot_preview1", "fd_read")
declare function fd_read(fd: u32, iovs: usize, iovs_len: u32, nread: usize): u16;

@external("wasi_snapshot_preview1", "proc_exit")
declare function proc_exit(code: u32): void;

/// Writes all of `bytes` to `fd`.
export function writeAll(fd: u32, bytes: Uint8Array): void {
  const iov = new ArrayBuffer(8);
  const written = new ArrayBuffer(4);
  let at = 0;
  while (at < bytes.length) {
    store<u32>(changetype<usize>(iov), bytes.dataStart + <usize>at);
    store<u32>(changetype<usize>(iov), <u32>(bytes.length - at), 4);
    if (fd_write(fd, changetype<usize>(iov), 1, changetype<usize>(written)) != 0) return;
    const n = load<u32>(changetype<usize>(written));
    if (n == 0) return;
    at += <i32>n;
  }
}

/// Reads stdin to its end.
export function readAll(): Uint8Array {
  let out = new Uint8Array(0);
  const chunk = new Uint8Array(4096);
  const iov = new ArrayBuffer(8);
  const read = new ArrayBuffer(4);
  while (true) {
    store<u32>(changetype<usize>(iov), chunk.dataStart);
    store<u32>(changetype<usize>(iov), <u32>chunk.length, 4);
    if (fd_read(0, changetype<usize>(iov), 1, changetype<usize>(read)) != 0) break;
    const n = <i32>load<u32>(changetype<usize>(read));
    if (n == 0) break;
    const grown = new Uint8Array(out.length + n);
    grown.set(out);
    grown.set(chunk.subarray(0, n), out.length);
    out = grown;
  }
  return out;
}

/// What AssemblyScript calls on a failed assertion or a trap it detects.
export function abort(message: usize, file: usize, line: u32, column: u32): void {
  const text = message == 0 ? "" : changetype<string>(message);
  writeAll(2, Uint8Array.wrap(String.UTF8.encode("abort: " + text + "\n")));
  proc_exit(134);
}
