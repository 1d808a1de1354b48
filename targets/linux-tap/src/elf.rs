//! What a firmware ELF costs: its sections, flash and static RAM by the
//! one definition both reports use ([`Footprint`]), and the same split by
//! crate from the symbol table ([`by_crate`], in the manner of cargo-bloat).
//! Read with the `object` crate; symbol names demangled with
//! `rustc-demangle`.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;

use object::{Object, ObjectSection, ObjectSymbol, SectionIndex, SymbolKind};

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
pub struct ElfError(pub String);

impl fmt::Display for ElfError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ElfError {}

fn parse(bytes: &[u8]) -> Result<object::File<'_>, ElfError> {
    let file = object::File::parse(bytes).map_err(|e| ElfError(e.to_string()))?;
    if file.format() != object::BinaryFormat::Elf {
        return Err(ElfError("not an ELF file".into()));
    }
    Ok(file)
}

/// Every section of `bytes`.
///
/// # Errors
///
/// [`ElfError`] for anything but an ELF file.
pub fn sections(bytes: &[u8]) -> Result<Vec<Section>, ElfError> {
    let file = parse(bytes)?;
    Ok(file
        .sections()
        .map(|s| Section {
            name: s.name().unwrap_or_default().to_string(),
            size: s.size(),
            alloc: match s.flags() {
                object::SectionFlags::Elf { sh_flags } => {
                    sh_flags & u64::from(object::elf::SHF_ALLOC) != 0
                }
                _ => false,
            },
        })
        .collect())
}

/// The size of the section `name` (0 when absent).
pub fn size_of(sections: &[Section], name: &str) -> u64 {
    sections
        .iter()
        .filter(|s| s.name == name)
        .map(|s| s.size)
        .sum()
}

/// The sections a firmware keeps in flash: the vector table, code,
/// constants, and the initial values of `.data` (copied to RAM at reset).
pub const FLASH_SECTIONS: [&str; 4] = [".vector_table", ".text", ".rodata", ".data"];
/// The sections that take RAM for the whole run: `.data` and `.bss`.
pub const STATIC_RAM_SECTIONS: [&str; 2] = [".data", ".bss"];
/// The firmware's heap blocks (reserved RAM, not static data).
pub const HEAP_SECTIONS: [&str; 2] = [".uninit", ".sram123"];

/// Flash, static RAM and heap blocks of a firmware, in bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Footprint {
    /// [`FLASH_SECTIONS`].
    pub flash: u64,
    /// [`STATIC_RAM_SECTIONS`].
    pub static_ram: u64,
    /// [`HEAP_SECTIONS`].
    pub heap: u64,
}

impl Footprint {
    /// The footprint of these sections.
    pub fn of(sections: &[Section]) -> Self {
        let sum = |names: &[&str]| names.iter().map(|n| size_of(sections, n)).sum();
        Self {
            flash: sum(&FLASH_SECTIONS),
            static_ram: sum(&STATIC_RAM_SECTIONS),
            heap: sum(&HEAP_SECTIONS),
        }
    }
}

/// What one crate takes, in bytes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CrateSize {
    /// Code and constants (`.text`, `.rodata`, `.vector_table`, `.data`'s initial values).
    pub flash: u64,
    /// `.data` and `.bss`.
    pub static_ram: u64,
}

/// The crate a demangled symbol belongs to: its path's first segment
/// (`wasmi::engine::…` → `wasmi`; for `<a::B as c::D>::f`, `a`, the type's
/// crate, as cargo-bloat counts it). Symbols without a Rust path (C, the
/// assembler, the linker) are `[other]`.
pub fn crate_of(demangled: &str) -> String {
    let mut s = demangled.trim_start_matches(['<', '&', '*', '(', '[']);
    for prefix in ["mut ", "const ", "dyn ", "impl "] {
        s = s.strip_prefix(prefix).unwrap_or(s);
    }
    match s.find("::") {
        Some(end)
            if end > 0
                && s[..end]
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_') =>
        {
            s[..end].to_string()
        }
        _ => "[other]".to_string(),
    }
}

/// Flash and static RAM by crate, from the symbol table: each sized symbol
/// in a flash or static-RAM section is counted to its crate ([`crate_of`]);
/// what no symbol covers (merged string constants, padding) is
/// `[unattributed]`, so that the crates add up to [`Footprint`]. Largest
/// first.
///
/// # Errors
///
/// [`ElfError`] for anything but an ELF file.
pub fn by_crate(bytes: &[u8]) -> Result<Vec<(String, CrateSize)>, ElfError> {
    let file = parse(bytes)?;
    let mut kind: HashMap<SectionIndex, (bool, bool)> = HashMap::new();
    let (mut flash_total, mut ram_total) = (0, 0);
    for s in file.sections() {
        let name = s.name().unwrap_or_default();
        let flash = FLASH_SECTIONS.contains(&name);
        let ram = STATIC_RAM_SECTIONS.contains(&name);
        if flash || ram {
            kind.insert(s.index(), (flash, ram));
            flash_total += if flash { s.size() } else { 0 };
            ram_total += if ram { s.size() } else { 0 };
        }
    }
    let mut crates: BTreeMap<String, CrateSize> = BTreeMap::new();
    let mut seen = HashSet::new();
    for sym in file.symbols() {
        let Some(index) = sym.section_index() else {
            continue;
        };
        let Some(&(flash, ram)) = kind.get(&index) else {
            continue;
        };
        if sym.size() == 0 || matches!(sym.kind(), SymbolKind::Section | SymbolKind::File) {
            continue;
        }
        // Thumb code addresses carry bit 0; aliases share an address.
        if !seen.insert((index, sym.address() & !1)) {
            continue;
        }
        let name = sym.name().unwrap_or_default();
        let owner = crate_of(&format!("{:#}", rustc_demangle::demangle(name)));
        let entry = crates.entry(owner).or_default();
        if flash {
            entry.flash += sym.size();
        }
        if ram {
            entry.static_ram += sym.size();
        }
    }
    let (flash_seen, ram_seen) = crates
        .values()
        .fold((0, 0), |(f, r), c| (f + c.flash, r + c.static_ram));
    let rest = CrateSize {
        flash: flash_total.saturating_sub(flash_seen),
        static_ram: ram_total.saturating_sub(ram_seen),
    };
    if rest != CrateSize::default() {
        crates.insert("[unattributed]".into(), rest);
    }
    let mut list: Vec<_> = crates.into_iter().collect();
    list.sort_by_key(|c| std::cmp::Reverse(c.1.flash + c.1.static_ram));
    Ok(list)
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
        assert!(sections(b"not elf").is_err());
    }

    #[test]
    fn crates_add_up_to_the_footprint() {
        let exe = std::fs::read(std::env::current_exe().unwrap()).unwrap();
        let footprint = Footprint::of(&sections(&exe).unwrap());
        let crates = by_crate(&exe).unwrap();
        let flash: u64 = crates.iter().map(|c| c.1.flash).sum();
        let ram: u64 = crates.iter().map(|c| c.1.static_ram).sum();
        // The host binary has no vector table; symbols may overlap sections'
        // padding, never exceed them.
        assert_eq!(flash, footprint.flash);
        assert_eq!(ram, footprint.static_ram);
        let named = |c: &str| crates.iter().any(|(n, s)| n == c && s.flash > 0);
        assert!(named("jinn_linux_tap"), "{crates:?}");
        assert!(named("object"), "{crates:?}");
    }

    #[test]
    fn crate_of_a_symbol() {
        assert_eq!(crate_of("wasmi::engine::Engine::new"), "wasmi");
        assert_eq!(
            crate_of("<jinn_core::Jinn as core::fmt::Debug>::fmt"),
            "jinn_core"
        );
        assert_eq!(crate_of("<&mut picoserve::X as y::Z>::f"), "picoserve");
        assert_eq!(crate_of("memcpy"), "[other]");
        assert_eq!(crate_of("__aeabi_memcpy"), "[other]");
    }
}
