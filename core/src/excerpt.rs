//! How guest-provided bytes appear in log lines and messages: never whole,
//! never raw. A key, topic or line is shown as lossy UTF-8 with control
//! characters escaped (no forged log lines, no terminal escapes), cut to a
//! small number of bytes with the full length noted when it was cut.

use alloc::string::String;
use core::fmt::Write as _;

/// Bytes of a guest-provided key or topic shown in a log line.
pub const EXCERPT_BYTES: usize = 64;

/// `bytes` quoted and escaped, at most about `max` bytes of it shown:
/// `"sensor/t1"`, or `"aaaa…" (16777216 bytes)` when cut.
///
/// ```
/// use jinn_core::excerpt::quoted;
/// assert_eq!(quoted(b"a\nb", 64), r#""a\nb""#);
/// assert_eq!(quoted(&[b'k'; 100], 4), r#""kkkk…" (100 bytes)"#);
/// ```
pub fn quoted(bytes: &[u8], max: usize) -> String {
    quoted_part(bytes, bytes.len(), max)
}

/// As [`quoted`], for the first bytes `part` of something `len` bytes long
/// (the host copies no more of a guest's oversized key than it shows).
///
/// ```
/// use jinn_core::excerpt::quoted_part;
/// assert_eq!(quoted_part(b"abc", 1000, 64), r#""abc…" (1000 bytes)"#);
/// ```
pub fn quoted_part(part: &[u8], len: usize, max: usize) -> String {
    let mut out = String::from("\"");
    let mut cut = push_escaped(&mut out, part, max);
    if !cut && part.len() < len {
        out.push('…');
        cut = true;
    }
    out.push('"');
    if cut {
        let _ = write!(out, " ({len} bytes)");
    }
    out
}

/// `text` with control characters escaped, cut to at most `max` bytes of
/// output (on a character boundary, marked `…`).
///
/// ```
/// use jinn_core::excerpt::escaped;
/// assert_eq!(escaped("line\r\nforged", 100), r"line\r\nforged");
/// assert_eq!(escaped("abcdefgh", 6), "abc…");
/// ```
pub fn escaped(text: &str, max: usize) -> String {
    let whole: usize = text.chars().map(escaped_len).sum();
    let mut out = String::new();
    for ch in text.chars() {
        if whole > max && out.len() + escaped_len(ch) + '…'.len_utf8() > max {
            out.push('…');
            break;
        }
        push_char(&mut out, ch);
    }
    out
}

/// `message` (a parser's error) with every quoted literal in it —
/// `"…"` or `` `…` `` — replaced by `…`: serde quotes the offending value
/// (`invalid type: string "…", expected u32`), and that value may be a
/// guest's output or a secret. The kind, the expectation and the position
/// stay.
///
/// ```
/// use jinn_core::excerpt::redact_literals;
/// assert_eq!(
///     redact_literals(r#"invalid type: string "hunter\"2", expected u32 at line 1"#),
///     r#"invalid type: string "…", expected u32 at line 1"#
/// );
/// assert_eq!(redact_literals("invalid type: integer `1234`"), "invalid type: integer `…`");
/// ```
pub fn redact_literals(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut chars = message.chars();
    while let Some(ch) = chars.next() {
        if !matches!(ch, '"' | '`') {
            out.push(ch);
            continue;
        }
        out.push(ch);
        out.push('…');
        out.push(ch);
        let mut escaped = false;
        for c in chars.by_ref() {
            if c == ch && !escaped {
                break;
            }
            escaped = !escaped && c == '\\';
        }
    }
    out
}

/// Appends `bytes` (lossy, escaped) while the output stays within `max`
/// bytes; true when cut.
fn push_escaped(out: &mut String, bytes: &[u8], max: usize) -> bool {
    let limit = out.len() + max;
    for chunk in bytes.utf8_chunks() {
        let invalid = (!chunk.invalid().is_empty()).then_some(char::REPLACEMENT_CHARACTER);
        for ch in chunk.valid().chars().chain(invalid) {
            let before = out.len();
            if matches!(ch, '"' | '\\') {
                out.push('\\');
                out.push(ch);
            } else {
                push_char(out, ch);
            }
            if out.len() > limit {
                out.truncate(before);
                out.push('…');
                return true;
            }
        }
    }
    false
}

fn push_char(out: &mut String, ch: char) {
    match ch {
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        c if c.is_control() => {
            let _ = write!(out, "\\u{{{:x}}}", c as u32);
        }
        c => out.push(c),
    }
}

fn escaped_len(ch: char) -> usize {
    match ch {
        '\n' | '\r' | '\t' => 2,
        c if c.is_control() => 8,
        c => c.len_utf8(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_quoted_escaped_and_cut() {
        assert_eq!(quoted(b"sensor/t1", EXCERPT_BYTES), "\"sensor/t1\"");
        assert_eq!(quoted(b"say \"hi\"", 64), r#""say \"hi\"""#);
        assert_eq!(quoted(b"\x1b[31mred", 64), r#""\u{1b}[31mred""#);
        assert_eq!(quoted(b"\xff\xfeok", 64), "\"\u{fffd}\u{fffd}ok\"");
        let huge = alloc::vec![0u8; 16 << 20];
        let shown = quoted(&huge, EXCERPT_BYTES);
        assert!(shown.len() < 8 * EXCERPT_BYTES, "{}", shown.len());
        assert!(shown.ends_with("…\" (16777216 bytes)"), "{shown}");
    }

    #[test]
    fn lines_keep_their_text_but_not_their_breaks() {
        assert_eq!(escaped("plain text", 100), "plain text");
        assert_eq!(escaped("a\nb", 100), "a\\nb");
        let cut = escaped(&"é".repeat(100), 11);
        assert!(cut.len() <= 11 + '…'.len_utf8(), "{cut}");
        assert!(cut.ends_with('…'));
        assert_eq!(escaped("exact", 5), "exact");
    }
}
