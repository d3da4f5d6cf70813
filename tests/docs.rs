//! The documentation keeps up with the code: docs/findings.md lists exactly the
//! finding codes that exist, each with the severity and meaning of the code
//! table, and README.md lists the exit codes the binary uses.

use std::collections::BTreeSet;

use mailtls::diagnose::Code;

/// The codes of docs/findings.md's tables, in order.
fn documented_codes(docs: &str) -> Vec<String> {
    docs.lines()
        .filter_map(|line| line.strip_prefix("| `"))
        .filter_map(|rest| rest.split_once('`'))
        .map(|(code, _)| code.to_owned())
        .collect()
}

#[test]
fn findings_md_lists_exactly_the_codes_that_exist() {
    let docs = include_str!("../docs/findings.md");
    let documented = documented_codes(docs);
    let unique: BTreeSet<&String> = documented.iter().collect();
    assert_eq!(unique.len(), documented.len(), "a code is documented twice");
    let existing: Vec<String> = Code::ALL.iter().map(|c| c.as_str().to_owned()).collect();
    let missing: Vec<&String> = existing.iter().filter(|c| !unique.contains(c)).collect();
    let stale: Vec<&&String> = unique.iter().filter(|c| !existing.contains(c)).collect();
    assert!(missing.is_empty(), "docs/findings.md lacks {missing:?}");
    assert!(
        stale.is_empty(),
        "docs/findings.md lists codes that do not exist: {stale:?}"
    );
    for code in Code::ALL {
        assert!(
            docs.lines().any(|line| line == code.doc_row()),
            "docs/findings.md's row for {code} differs from the code table:\n{}",
            code.doc_row()
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

/// The metric names of docs/metrics.md's tables.
fn documented_metrics(docs: &str) -> BTreeSet<String> {
    docs.lines()
        .filter_map(|line| line.strip_prefix("| `mailtls_"))
        .filter_map(|rest| rest.split_once('`'))
        .map(|(name, _)| format!("mailtls_{name}"))
        .collect()
}

#[test]
fn metrics_md_lists_exactly_the_probe_metrics() {
    use mailtls::output::metrics::{render_probe, Exposition};
    let docs = include_str!("../docs/metrics.md");
    let documented = documented_metrics(docs);
    let saved: mailtls::report::Document =
        serde_json::from_str(include_str!("reports/good_imaps.json")).expect("saved report");
    let text = render_probe(&saved.reports[0], Exposition::Prometheus);
    let rendered: BTreeSet<String> = text
        .lines()
        .filter_map(|l| l.strip_prefix("# TYPE "))
        .filter_map(|l| l.split_whitespace().next())
        .map(str::to_owned)
        .collect();
    let undocumented: Vec<&String> = rendered.difference(&documented).collect();
    assert!(
        undocumented.is_empty(),
        "docs/metrics.md lacks {undocumented:?}"
    );
    // A good check fills every probe metric.
    let not_rendered: Vec<&String> = documented
        .iter()
        .filter(|m| !m.starts_with("mailtls_exporter_"))
        .filter(|m| !rendered.contains(*m))
        .collect();
    assert!(
        not_rendered.is_empty(),
        "docs/metrics.md lists metrics a good check does not give: {not_rendered:?}"
    );
    for name in &rendered {
        let row = docs
            .lines()
            .find(|l| l.starts_with(&format!("| `{name}` |")))
            .expect("a row");
        assert!(row.contains("| gauge |"), "{row}");
    }
}
