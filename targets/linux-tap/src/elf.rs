//! Section sizes of an ELF file (32- or 64-bit, little-endian), enough for
//! a firmware size report without binutils.

use std::fmt;

/// One section: name and size in bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Section {
    /// `.text`, `.rodata`, …
    pub name: String,
    /// Bytes.
    pub size: u64,
    /// `SHF_ALLOC`: the section is part of the loaded image.
    pub alloc: bool,
}

/// The file is not an ELF this reader understands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ElfError(pub &'static str);

impl fmt::Display for ElfError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

impl std::error::Error for ElfError {}

fn field(bytes: &[u8], at: usize, len: usize) -> Result<u64, ElfError> {
    let b = bytes.get(at..at + len).ok_or(ElfError("truncated ELF"))?;
    Ok(b.iter()
        .rev()
        .fold(0u64, |acc, &x| (acc << 8) | u64::from(x)))
}

/// Every section of `bytes`.
///
/// # Errors
///
/// [`ElfError`] for anything but a little-endian ELF32/ELF64.
pub fn sections(bytes: &[u8]) -> Result<Vec<Section>, ElfError> {
    if bytes.get(..4) != Some(b"\x7fELF") {
        return Err(ElfError("not an ELF file"));
    }
    if bytes.get(5) != Some(&1) {
        return Err(ElfError("big-endian ELF"));
    }
    let wide = match bytes.get(4) {
        Some(1) => false,
        Some(2) => true,
        _ => return Err(ElfError("bad ELF class")),
    };
    let word = if wide { 8 } else { 4 };
    let (shoff, shentsize, shnum, shstrndx) = if wide {
        (
            field(bytes, 0x28, 8)?,
            field(bytes, 0x3A, 2)?,
            field(bytes, 0x3C, 2)?,
            field(bytes, 0x3E, 2)?,
        )
    } else {
        (
            field(bytes, 0x20, 4)?,
            field(bytes, 0x2E, 2)?,
            field(bytes, 0x30, 2)?,
            field(bytes, 0x32, 2)?,
        )
    };
    let header = |i: u64| (shoff + i * shentsize) as usize;
    // Section header: name u32, type u32, flags word, addr word, offset word, size word.
    let flags_at = 8;
    let offset_at = 8 + 2 * word;
    let size_at = 8 + 3 * word;
    let strtab = header(shstrndx);
    let strtab_offset = field(bytes, strtab + offset_at, word)? as usize;
    (0..shnum)
        .map(|i| {
            let h = header(i);
            let name_at = strtab_offset + field(bytes, h, 4)? as usize;
            let name_bytes = bytes.get(name_at..).ok_or(ElfError("bad section name"))?;
            let end = name_bytes.iter().position(|&b| b == 0).unwrap_or(0);
            Ok(Section {
                name: String::from_utf8_lossy(&name_bytes[..end]).into_owned(),
                size: field(bytes, h + size_at, word)?,
                alloc: field(bytes, h + flags_at, word)? & 2 != 0,
            })
        })
        .collect()
}

/// The size of the section `name` (0 when absent).
pub fn size_of(sections: &[Section], name: &str) -> u64 {
    sections
        .iter()
        .filter(|s| s.name == name)
        .map(|s| s.size)
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_this_test_binary() {
        let exe = std::fs::read(std::env::current_exe().unwrap()).unwrap();
        let all = sections(&exe).unwrap();
        assert!(size_of(&all, ".text") > 1000);
        assert!(all.iter().any(|s| s.name == ".rodata" && s.alloc));
        assert_eq!(sections(b"not elf"), Err(ElfError("not an ELF file")));
    }
}
