//! The documentation keeps up with the code: every finding code is documented,
//! and the exit codes in README.md match the ones the binary uses.

use std::collections::BTreeSet;

/// The string literals in `source` that look like finding codes ("area.name")
/// and are passed as the first argument of `finding(`.
fn codes_in_source(source: &str) -> BTreeSet<String> {
    let mut codes = BTreeSet::new();
    let mut rest = source;
    while let Some(at) = rest.find("finding(").or_else(|| rest.find("code: ")) {
        // Whichever marker comes first.
        let at = match (rest.find("finding("), rest.find("code: ")) {
            (Some(a), Some(b)) => a.min(b),
            _ => at,
        };
        let marker = if rest[at..].starts_with("finding(") {
            "finding("
        } else {
            "code: "
        };
        rest = &rest[at + marker.len()..];
        let Some(open) = rest.find('"') else { break };
        // Only a literal right after the parenthesis (allowing whitespace).
        if !rest[..open].trim().is_empty() {
            continue;
        }
        let literal = &rest[open + 1..];
        let Some(close) = literal.find('"') else {
            break;
        };
        codes.insert(literal[..close].to_owned());
    }
    codes
}

#[test]
fn every_finding_code_is_documented() {
    let docs = include_str!("../docs/findings.md");
    let codes: BTreeSet<String> = [
        include_str!("../src/diagnose.rs"),
        include_str!("../src/report.rs"),
        include_str!("../src/compare.rs"),
    ]
    .into_iter()
    .flat_map(codes_in_source)
    .collect();
    for expected in [
        "cert.expired",
        "dns.addresses_differ",
        "input.invalid_target",
    ] {
        assert!(
            codes.contains(expected),
            "the scan misses {expected}: {codes:?}"
        );
    }
    assert!(codes.len() >= 25, "the scan found too few codes: {codes:?}");
    for code in &codes {
        assert!(
            code.contains('.')
                && code
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '_'),
            "{code:?} is not a stable dotted code"
        );
        assert!(
            docs.contains(&format!("`{code}`")),
            "docs/findings.md lacks `{code}`"
        );
    }
}

#[test]
fn readme_lists_the_exit_codes() {
    let readme = include_str!("../README.md");
    for row in [
        "| 0 | ok",
        "| 1 | warning",
        "| 2 | critical",
        "| 3 | unknown",
    ] {
        assert!(readme.contains(row), "README.md lacks {row:?}");
    }
}
