//! JUnit XML for CI systems (GitLab, Jenkins, GitHub's test reporters): one
//! test suite, `mailtls`, with one test case per report.
//!
//! A case passes when the verdict is ok (or info); a warning or a critical
//! verdict is a `<failure>` (its `type` says which), could-not-check is an
//! `<error>`. The message is the headline, the body the findings one per
//! line. Text from servers and certificates is escaped for XML, and the
//! characters XML 1.0 forbids (most control characters) are shown as `\xNN`,
//! so any server text yields a well-formed document.

use std::fmt::Write;

use crate::diagnose::Severity;
use crate::facts::protocol::{Protocol, TlsMode};
use crate::report::{Document, Report};

/// Whether XML 1.0 allows `c` in a document (its `Char` production).
fn allowed_in_xml(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

/// `text` escaped for an XML attribute value or text node: the five special
/// characters as entities, forbidden characters shown as `\xNN` or `\u{…}`,
/// line breaks in attributes as character references (so they survive
/// attribute-value normalisation).
fn xml(text: &str, attribute: bool) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' if attribute => out.push_str("&quot;"),
            '\'' if attribute => out.push_str("&apos;"),
            '\n' if attribute => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            '\t' if attribute => out.push_str("&#9;"),
            c if !allowed_in_xml(c) && (c as u32) < 0x80 => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c if !allowed_in_xml(c) => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    out
}

/// `imap/starttls`: the protocol and TLS mode, for grouping cases.
fn classname(report: &Report) -> String {
    match &report.facts {
        Some(facts) => {
            let protocol = match facts.target.protocol {
                Protocol::Imap => "imap",
                Protocol::Pop3 => "pop3",
                Protocol::Smtp => "smtp",
                Protocol::Sieve => "sieve",
            };
            let mode = match facts.target.mode {
                TlsMode::Implicit => "implicit",
                TlsMode::Starttls => "starttls",
            };
            format!("{protocol}/{mode}")
        }
        None => "input".to_owned(),
    }
}

/// One line per finding: `critical cert.expired: The certificate expired …`.
fn findings_text(report: &Report) -> String {
    let mut body = String::new();
    for finding in &report.findings {
        let _ = writeln!(
            body,
            "{} {}: {}",
            finding.severity.name(),
            finding.code,
            finding.message
        );
    }
    body
}

/// The whole run as one JUnit XML document.
pub fn render_junit(document: &Document) -> String {
    let reports = &document.reports;
    let count = |f: fn(Severity) -> bool| reports.iter().filter(|r| f(r.verdict)).count();
    let failures = count(|s| matches!(s, Severity::Warning | Severity::Critical));
    let errors = count(|s| s == Severity::Unknown);
    let seconds = |r: &Report| {
        r.facts
            .as_ref()
            .map_or(0.0, |f| f.duration_ms as f64 / 1000.0)
    };
    let total: f64 = reports.iter().map(seconds).sum();
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuites name=\"mailtls\" tests=\"{}\" failures=\"{failures}\" errors=\"{errors}\" time=\"{total:.3}\">",
        reports.len()
    );
    let _ = writeln!(
        out,
        "  <testsuite name=\"mailtls\" tests=\"{}\" failures=\"{failures}\" errors=\"{errors}\" skipped=\"0\" time=\"{total:.3}\">",
        reports.len()
    );
    for report in reports {
        let _ = write!(
            out,
            "    <testcase name=\"{}\" classname=\"{}\" time=\"{:.3}\"",
            xml(&report.input, true),
            xml(&classname(report), true),
            seconds(report)
        );
        let element = match report.verdict {
            Severity::Ok | Severity::Info => None,
            Severity::Warning | Severity::Critical => Some("failure"),
            Severity::Unknown => Some("error"),
        };
        match element {
            None => out.push_str("/>\n"),
            Some(element) => {
                out.push_str(">\n");
                let _ = writeln!(
                    out,
                    "      <{element} message=\"{}\" type=\"{}\">{}</{element}>",
                    xml(&report.headline, true),
                    report.verdict.name(),
                    xml(&findings_text(report), false)
                );
                out.push_str("    </testcase>\n");
            }
        }
    }
    out.push_str("  </testsuite>\n</testsuites>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn special_and_forbidden_characters_are_escaped() {
        assert_eq!(xml("a<b>&\"'", true), "a&lt;b&gt;&amp;&quot;&apos;");
        assert_eq!(xml("a\"'\nb", false), "a\"'\nb");
        assert_eq!(xml("x\u{1b}[31m\0\u{7}y", false), "x\\x1b[31m\\x00\\x07y");
        assert_eq!(xml("line\r\nnext", true), "line&#13;&#10;next");
        assert_eq!(xml("\u{fffe}", false), "\\u{fffe}");
        assert_eq!(xml("é ✓ 🙂", false), "é ✓ 🙂");
    }
}
