//! The one escaping rule for text from outside (servers, certificates, input
//! files) wherever it meets a renderer: nothing it contains can move the
//! cursor, recolour or rewrite the terminal, reorder the line, or start a line
//! of its own.
//!
//! Control characters (C0, DEL, C1) and the invisible format characters that
//! reorder or hide text (bidi embeddings, overrides and isolates, zero-width
//! characters, the byte-order mark) are shown visibly, as `\x1b` or
//! `\u{202e}`; a backslash is doubled so an escape cannot be forged. Invalid
//! UTF-8 never reaches a renderer: it became U+FFFD (`�`) when it was read.
//! JSON keeps the exact text (serde escapes what JSON must).

use std::borrow::Cow;
use std::fmt;

/// Whether `c` must not reach a terminal as it is.
fn hazardous(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{061C}'
                | '\u{200B}'..='\u{200F}'
                | '\u{2028}'..='\u{202E}'
                | '\u{2060}'..='\u{2064}'
                | '\u{2066}'..='\u{2069}'
                | '\u{FEFF}'
                | '\u{FFF9}'..='\u{FFFB}'
        )
}

/// `text` with every hazardous character shown visibly, and backslashes
/// doubled where anything was escaped. Borrowed when nothing needed it.
pub fn text(text: &str) -> Cow<'_, str> {
    if !text.chars().any(|c| hazardous(c) || c == '\\') {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            c if hazardous(c) && (c as u32) < 0x80 => out.push_str(&format!("\\x{:02x}", c as u32)),
            c if hazardous(c) => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// For one-line formats (monitoring plugins): escaped as [`text`], and `|`,
/// which starts performance data, shown as `/`.
pub fn one_line(value: &str) -> String {
    text(value).replace('|', "/")
}

/// Displays outside text escaped: `format!("{}", Text(&server_line))`.
#[derive(Debug, Clone, Copy)]
pub struct Text<'a>(pub &'a str);

impl fmt::Display for Text<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(&text(self.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controls_and_reordering_are_shown_not_obeyed() {
        assert_eq!(text("plain text, é ✓"), "plain text, é ✓");
        assert!(matches!(text("plain"), Cow::Borrowed(_)));
        assert_eq!(text("a\x1b]0;PWNED\x07b"), "a\\x1b]0;PWNED\\x07b");
        assert_eq!(text("x\ry\nz\u{8}\0"), "x\\x0dy\\x0az\\x08\\x00");
        assert_eq!(
            text("\u{9b}2J \u{202e}gpj.exe \u{2066}"),
            "\\u{9b}2J \\u{202e}gpj.exe \\u{2066}"
        );
        assert_eq!(
            text("\u{feff}bom \u{200b}zw \u{7f}"),
            "\\u{feff}bom \\u{200b}zw \\x7f"
        );
        // A backslash cannot forge an escape.
        assert_eq!(text("\\x1b"), "\\\\x1b");
        assert_eq!(text("a\\b"), "a\\\\b");
    }

    #[test]
    fn one_line_text_has_no_line_breaks_and_no_perfdata_bar() {
        let line = one_line("CN=x\r\nMAILTLS OK - forged | 'days'=999");
        assert!(!line.contains(['\r', '\n', '|']), "{line}");
        assert_eq!(format!("[{:<6}]", Text("a\u{1b}")), "[a\\x1b ]");
    }
}
