//! What the core checks and adjusts in a module before wasmi compiles it,
//! so that no guest can overflow the host's native stack.
//!
//! wasmi 2 interprets with tail-call dispatch: each instruction handler
//! jumps to the next one. The handler of `memory.grow` (every path) and of a
//! refused `table.grow` *calls* the next handler instead, so each of them
//! executed leaves a native stack frame (~176 bytes on x86-64) until the
//! interpreter returns to the host — at the end of a fuel slice. A guest
//! retrying a refused grow in a loop therefore nested ~47,000 frames in a
//! 1 M-fuel slice and aborted the process.
//!
//! The core bounds that nesting in two ways:
//!
//! - [`crate::invoke`] never puts more than [`EngineLimits::max_slice_fuel`]
//!   into the store (except exactly what one block or bulk operation that
//!   costs more needs), and every grow costs at least 1 fuel, so one stretch
//!   of execution runs at most `max_slice_fuel` of them;
//! - [`prepare`] refuses a function body with more grow instructions than
//!   that, because a block's fuel is paid when it is entered: a huge block
//!   of grows paid in one exact grant would otherwise nest them all.
//!
//! It also moves a `start` section to a hidden export, so that the start
//! function runs as an ordinary sliced call under the same fuel, deadline
//! and cancellation as `_start` (wasmi runs a start section inside
//! instantiation, unsliced).
//!
//! [`EngineLimits::max_slice_fuel`]: crate::EngineLimits::max_slice_fuel

use alloc::borrow::Cow;
use alloc::boxed::Box;
use alloc::vec::Vec;

use wasmparser::{Operator, Parser, Payload};

use crate::error::{Detail, LoadError, Oversize, bounded_display};

/// The export a module's `start` function is moved to.
pub(crate) const START_EXPORT: &str = "\u{0}jinn:start";

const SECTION_EXPORT: u8 = 7;
const SECTION_START: u8 = 8;
const EXPORT_KIND_FUNC: u8 = 0;

/// A module ready for wasmi.
pub(crate) struct Prepared<'a> {
    /// The bytes to compile (rewritten when the module had a start section).
    pub wasm: Cow<'a, [u8]>,
    /// Whether [`START_EXPORT`] must run before `_start`.
    pub has_start: bool,
}

/// Checks the number of functions and the grow instructions of every
/// function body, and moves a start section to [`START_EXPORT`].
///
/// # Errors
///
/// [`LoadError::TooLarge`] when the module defines more than
/// `max_functions` functions (found before any body is read),
/// [`LoadError::Invalid`] when the module cannot be parsed or a function
/// holds more than `max_grows` grow instructions.
pub(crate) fn prepare(
    wasm: &[u8],
    max_grows: u32,
    max_functions: u32,
) -> Result<Prepared<'_>, LoadError> {
    let mut start = None;
    let mut index = 0u32;
    for payload in Parser::new(0).parse_all(wasm) {
        match payload.map_err(|e| invalid(&e))? {
            // Before any function body is read.
            Payload::FunctionSection(functions) if functions.count() > max_functions => {
                return Err(LoadError::TooLarge {
                    what: Oversize::Functions,
                    actual: functions.count().into(),
                    limit: max_functions.into(),
                });
            }
            Payload::StartSection { func, .. } => start = Some(func),
            Payload::CodeSectionEntry(body) => {
                let grows = count_grows(&body).map_err(|e| invalid(&e))?;
                if grows > max_grows {
                    return Err(LoadError::Invalid(Box::new(too_many_grows(
                        index, grows, max_grows,
                    ))));
                }
                index += 1;
            }
            _ => {}
        }
    }
    Ok(match start {
        None => Prepared {
            wasm: Cow::Borrowed(wasm),
            has_start: false,
        },
        Some(func) => Prepared {
            wasm: Cow::Owned(move_start(wasm, func)?),
            has_start: true,
        },
    })
}

fn count_grows(body: &wasmparser::FunctionBody<'_>) -> wasmparser::Result<u32> {
    let mut reader = body.get_operators_reader()?;
    let mut grows = 0u32;
    while !reader.eof() {
        if let Operator::MemoryGrow { .. } | Operator::TableGrow { .. } = reader.read()? {
            grows = grows.saturating_add(1);
        }
    }
    Ok(grows)
}

fn invalid(error: &dyn core::fmt::Display) -> LoadError {
    LoadError::Invalid(Box::new(bounded_display(error)))
}

fn too_many_grows(function: u32, grows: u32, max: u32) -> Detail {
    bounded_display(&format_args!(
        "function {function} holds {grows} memory.grow/table.grow instructions (at most {max})"
    ))
}

/// Rewrites the module without its start section, exporting the start
/// function as [`START_EXPORT`] instead. Every other byte is kept.
fn move_start(wasm: &[u8], func: u32) -> Result<Vec<u8>, LoadError> {
    let malformed = || invalid(&"malformed section header");
    let mut out = Vec::with_capacity(wasm.len() + 32);
    out.extend_from_slice(wasm.get(..8).ok_or_else(malformed)?);
    let mut rest = &wasm[8..];
    let mut exported = false;
    while let Some((&id, after_id)) = rest.split_first() {
        let (size, after_size) = read_u32(after_id).ok_or_else(malformed)?;
        let size = size as usize;
        let content = after_size.get(..size).ok_or_else(malformed)?;
        rest = &after_size[size..];
        match id {
            SECTION_START => {}
            SECTION_EXPORT => {
                let (count, entries) = read_u32(content).ok_or_else(malformed)?;
                let mut section = Vec::with_capacity(content.len() + 16);
                write_u32(&mut section, count.checked_add(1).ok_or_else(malformed)?);
                section.extend_from_slice(entries);
                write_export(&mut section, func);
                push_section(&mut out, SECTION_EXPORT, &section);
                exported = true;
            }
            _ => {
                if !exported && comes_after_export(id) {
                    let mut section = Vec::new();
                    write_u32(&mut section, 1);
                    write_export(&mut section, func);
                    push_section(&mut out, SECTION_EXPORT, &section);
                    exported = true;
                }
                push_section(&mut out, id, content);
            }
        }
    }
    if !exported {
        let mut section = Vec::new();
        write_u32(&mut section, 1);
        write_export(&mut section, func);
        push_section(&mut out, SECTION_EXPORT, &section);
    }
    Ok(out)
}

/// Start, element, data count, code and data sections follow the export
/// section (custom sections may stand anywhere; the tag section precedes it).
fn comes_after_export(id: u8) -> bool {
    matches!(id, 8..=12)
}

fn write_export(out: &mut Vec<u8>, func: u32) {
    write_u32(out, START_EXPORT.len() as u32);
    out.extend_from_slice(START_EXPORT.as_bytes());
    out.push(EXPORT_KIND_FUNC);
    write_u32(out, func);
}

fn push_section(out: &mut Vec<u8>, id: u8, content: &[u8]) {
    out.push(id);
    write_u32(out, content.len() as u32);
    out.extend_from_slice(content);
}

/// Reads an unsigned LEB128 `u32`; returns it and the bytes after it.
fn read_u32(bytes: &[u8]) -> Option<(u32, &[u8])> {
    let mut value = 0u32;
    for (i, &byte) in bytes.iter().enumerate().take(5) {
        let bits = u32::from(byte & 0x7f);
        if i == 4 && bits > 0x0f {
            return None;
        }
        value |= bits << (7 * i);
        if byte & 0x80 == 0 {
            return Some((value, &bytes[i + 1..]));
        }
    }
    None
}

fn write_u32(out: &mut Vec<u8>, mut value: u32) {
    loop {
        let byte = (value & 0x7f) as u8;
        value >>= 7;
        if value == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leb128_round_trips() {
        for v in [0u32, 1, 127, 128, 300, 16_384, u32::MAX] {
            let mut buf = Vec::new();
            write_u32(&mut buf, v);
            buf.push(0xaa);
            assert_eq!(read_u32(&buf), Some((v, &[0xaa][..])));
        }
        assert_eq!(read_u32(&[0x80, 0x80, 0x80, 0x80, 0x80]), None);
        assert_eq!(read_u32(&[0xff, 0xff, 0xff, 0xff, 0x7f]), None);
        assert_eq!(read_u32(&[0x80]), None);
    }

    #[test]
    fn modules_without_start_are_kept_as_they_are() {
        let wasm = wat::parse_str(r#"(module (func (export "_start")))"#).unwrap();
        let prepared = prepare(&wasm, 8, u32::MAX).unwrap();
        assert!(!prepared.has_start);
        assert!(matches!(prepared.wasm, Cow::Borrowed(_)));
    }

    #[test]
    fn a_start_section_becomes_an_export() {
        for text in [
            r#"(module (func $s) (start $s) (func (export "_start")))"#,
            r#"(module (func $s) (start $s))"#,
            r#"(module (func $s) (start $s) (func (export "_start")) (data (i32.const 0) "x") (memory 1))"#,
        ] {
            let wasm = wat::parse_str(text).unwrap();
            let prepared = prepare(&wasm, 8, u32::MAX).unwrap();
            assert!(prepared.has_start, "{text}");
            let mut start_export = None;
            let mut has_start_section = false;
            for payload in Parser::new(0).parse_all(&prepared.wasm) {
                match payload.unwrap() {
                    Payload::StartSection { .. } => has_start_section = true,
                    Payload::ExportSection(reader) => {
                        for export in reader {
                            let export = export.unwrap();
                            if export.name == START_EXPORT {
                                start_export = Some(export.index);
                            }
                        }
                    }
                    _ => {}
                }
            }
            assert!(!has_start_section, "{text}");
            assert_eq!(start_export, Some(0), "{text}");
            wasmparser::Validator::new()
                .validate_all(&prepared.wasm)
                .unwrap_or_else(|e| panic!("{text}: {e}"));
        }
    }

    #[test]
    fn grow_instructions_per_function_are_bounded() {
        let body = "(drop (memory.grow (i32.const 1)))".repeat(9);
        let text = format!(r#"(module (memory 1) (func (export "_start") {body}))"#);
        let wasm = wat::parse_str(&text).unwrap();
        assert!(prepare(&wasm, 9, u32::MAX).is_ok());
        let err = prepare(&wasm, 8, u32::MAX).err().expect("refused");
        assert!(
            alloc::format!("{err}").contains("function 0 holds 9 memory.grow"),
            "{err}"
        );
    }
}
