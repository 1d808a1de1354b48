//! Bounds-checked access to a guest's linear memory from host calls.

use wasmi::{Caller, Extern, Memory};

use crate::fault::HostFault;
use crate::state::HostState;

/// The guest's exported `memory`.
pub(crate) fn exported<H>(caller: &Caller<'_, HostState<H>>) -> Result<Memory, HostFault> {
    caller
        .get_export("memory")
        .and_then(Extern::into_memory)
        .ok_or(HostFault::NoMemory)
}

/// `ptr..ptr+len` of `data`, with both read as unsigned 32-bit values.
pub(crate) fn range(data: &[u8], ptr: i32, len: i32) -> Option<core::ops::Range<usize>> {
    let start = ptr as u32 as usize;
    let end = start.checked_add(len as u32 as usize)?;
    (end <= data.len()).then_some(start..end)
}

/// Reads a little-endian `u32` at `ptr`.
pub(crate) fn read_u32(data: &[u8], ptr: u32) -> Option<u32> {
    let r = range(data, ptr as i32, 4)?;
    Some(u32::from_le_bytes(data[r].try_into().ok()?))
}

/// Writes `bytes` at `ptr`; `None` when out of bounds.
pub(crate) fn write(data: &mut [u8], ptr: i32, bytes: &[u8]) -> Option<()> {
    let r = range(data, ptr, i32::try_from(bytes.len()).ok()?)?;
    data[r].copy_from_slice(bytes);
    Some(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_never_overflow() {
        let data = [0u8; 16];
        assert_eq!(range(&data, 0, 16), Some(0..16));
        assert_eq!(range(&data, 8, 9), None);
        assert_eq!(
            range(&data, -1, 1),
            None,
            "negative pointers are huge unsigned"
        );
        assert_eq!(range(&data, 4, -1), None);
        assert_eq!(range(&data, 16, 0), Some(16..16));
        assert_eq!(read_u32(&data, 13), None);
    }
}
