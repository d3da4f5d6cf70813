//! What the exact-output tests share (tests/output.rs, tests/output_documents.rs):
//! blessing (`MAILTLS_BLESS=1` rewrites the expected files), atomic writes,
//! comparing renderings with their expected files ([`Golden`]), a small line
//! diff to show how a rendering differs from its expected file, and running
//! the binary for the generators of the saved documents.

use std::ffi::OsStr;
use std::fmt::Debug;
use std::path::Path;
use std::time::Duration;

use assert_cmd::Command;

/// Whether `MAILTLS_BLESS` is set (to anything but empty or `0`).
pub fn blessing() -> bool {
    std::env::var_os("MAILTLS_BLESS").is_some_and(|v| !v.is_empty() && v != "0")
}

/// Writes `text` to `path` through a file beside it, renamed into place.
pub fn write_atomically(path: &Path, text: &str) {
    let temporary = path.with_extension("blessing");
    std::fs::write(&temporary, text)
        .unwrap_or_else(|e| panic!("write {}: {e}", temporary.display()));
    std::fs::rename(&temporary, path)
        .unwrap_or_else(|e| panic!("rename to {}: {e}", path.display()));
}

/// One test's renderings compared with their expected files (or, blessing,
/// written to them); every failure is collected and reported at once by
/// [`Golden::finish`].
pub struct Golden {
    /// The test target, for the blessing command (`cargo test --test TARGET`).
    target: &'static str,
    bless: bool,
    failures: Vec<String>,
}

impl Golden {
    pub fn new(target: &'static str) -> Golden {
        Golden {
            target,
            bless: blessing(),
            failures: Vec::new(),
        }
    }

    /// Whether this run blesses (see [`blessing`]).
    pub fn blessing(&self) -> bool {
        self.bless
    }

    /// A failure found otherwise than by comparing.
    pub fn fail(&mut self, failure: String) {
        self.failures.push(failure);
    }

    /// Compares `actual`, which `printer` printed, with the expected file at
    /// `path` (`shown` in messages), which should be what `source` prints.
    /// Blessing, a file that differs or is missing is written instead, unless
    /// `may_bless` (given the expected text, if any) refuses.
    pub fn compare(
        &mut self,
        path: &Path,
        shown: &str,
        actual: &str,
        printer: &str,
        source: &str,
        may_bless: impl FnOnce(Option<&str>) -> Result<(), String>,
    ) {
        let expected = std::fs::read_to_string(path).ok();
        if expected.as_deref() == Some(actual) {
            return;
        }
        if self.bless {
            match may_bless(expected.as_deref()) {
                Ok(()) => {
                    write_atomically(path, actual);
                    eprintln!("blessed {shown}");
                }
                Err(refusal) => self.fail(format!("{shown}: not blessed: {refusal}")),
            }
            return;
        }
        self.fail(match &expected {
            None => format!("{shown} is missing; {printer} printed:\n{actual}"),
            Some(expected) => format!(
                "{shown} differs from {source}:\n{}",
                unified_diff(expected, actual, shown)
            ),
        });
    }

    /// Fails with every failure found in the `renderings`, and how to bless.
    pub fn finish(self, renderings: usize) {
        assert!(
            self.failures.is_empty(),
            "{}\n\n{} problems in {renderings} renderings. If the new output is right, bless it:\n    \
             MAILTLS_BLESS=1 cargo test --test {}\nand review the change with `git diff tests/reports`.",
            self.failures.join("\n\n"),
            self.failures.len(),
            self.target
        );
    }
}

/// Runs the binary in `dir` (where the generators put the files their
/// arguments name relatively, so that the saved documents carry no
/// temporary paths), with `input` on standard input; stdout, which must not
/// be empty, and the exit code.
pub fn run_mailtls<S: AsRef<OsStr> + Debug>(
    dir: &Path,
    args: &[S],
    input: Option<String>,
) -> (String, i32) {
    let mut command = Command::cargo_bin("mailtls").expect("binary");
    command
        .current_dir(dir)
        .args(args)
        .env("NO_COLOR", "1")
        .timeout(Duration::from_secs(120));
    if let Some(input) = input {
        command.write_stdin(input);
    }
    let output = command.output().expect("run mailtls");
    let stdout = String::from_utf8(output.stdout).expect("UTF-8 output");
    assert!(
        !stdout.is_empty(),
        "mailtls {args:?} printed nothing: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    (stdout, output.status.code().unwrap_or(-1))
}

// ---------------------------------------------------------------------------
// A small line diff (longest common subsequence), printed like `diff -u`.

const CONTEXT: usize = 3;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Edit {
    Same,
    Removed,
    Added,
}

/// The edits that turn `old` into `new`, each with its line indices in both.
fn line_edits<'a>(old: &[&'a str], new: &[&'a str]) -> Vec<(Edit, usize, usize)> {
    // Common prefix and suffix first: the table is only for what changed.
    let prefix = old.iter().zip(new).take_while(|(a, b)| a == b).count();
    let suffix = old[prefix..]
        .iter()
        .rev()
        .zip(new[prefix..].iter().rev())
        .take_while(|(a, b)| a == b)
        .count();
    let (a, b) = (
        &old[prefix..old.len() - suffix],
        &new[prefix..new.len() - suffix],
    );
    // lcs[i][j]: length of the longest common subsequence of a[i..] and b[j..].
    let mut lcs = vec![vec![0u32; b.len() + 1]; a.len() + 1];
    for i in (0..a.len()).rev() {
        for j in (0..b.len()).rev() {
            lcs[i][j] = if a[i] == b[j] {
                lcs[i + 1][j + 1] + 1
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
            };
        }
    }
    let mut edits: Vec<(Edit, usize, usize)> = (0..prefix).map(|k| (Edit::Same, k, k)).collect();
    let (mut i, mut j) = (0, 0);
    while i < a.len() || j < b.len() {
        if i < a.len() && j < b.len() && a[i] == b[j] {
            edits.push((Edit::Same, prefix + i, prefix + j));
            i += 1;
            j += 1;
        } else if i < a.len() && (j == b.len() || lcs[i + 1][j] >= lcs[i][j + 1]) {
            // Removals before additions, as diff -u prints them.
            edits.push((Edit::Removed, prefix + i, prefix + j));
            i += 1;
        } else {
            edits.push((Edit::Added, prefix + i, prefix + j));
            j += 1;
        }
    }
    let (old_end, new_end) = (old.len() - suffix, new.len() - suffix);
    edits.extend((0..suffix).map(|k| (Edit::Same, old_end + k, new_end + k)));
    edits
}

/// Control characters shown escaped, so that a diff never hides them (or
/// colours the terminal it is printed on).
fn visible(line: &str) -> String {
    line.chars()
        .map(|c| {
            if c.is_control() && c != '\t' {
                c.escape_unicode().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

/// `expected` against `actual` as a unified diff with a few lines of context.
pub fn unified_diff(expected: &str, actual: &str, name: &str) -> String {
    let old: Vec<&str> = expected.lines().collect();
    let new: Vec<&str> = actual.lines().collect();
    let edits = line_edits(&old, &new);
    let mut out = format!("--- {name} (expected)\n+++ {name} (actual)\n");
    let changed: Vec<usize> = (0..edits.len())
        .filter(|&k| edits[k].0 != Edit::Same)
        .collect();
    let mut k = 0;
    while k < changed.len() {
        // A hunk: changes closer than twice the context share one.
        let start = changed[k].saturating_sub(CONTEXT);
        let mut last = changed[k];
        while k + 1 < changed.len() && changed[k + 1] <= last + 2 * CONTEXT + 1 {
            k += 1;
            last = changed[k];
        }
        let end = (last + CONTEXT + 1).min(edits.len());
        let hunk = &edits[start..end];
        let old_count = hunk.iter().filter(|e| e.0 != Edit::Added).count();
        let new_count = hunk.iter().filter(|e| e.0 != Edit::Removed).count();
        let first_line = |count: usize, index: usize| if count == 0 { index } else { index + 1 };
        out.push_str(&format!(
            "@@ -{},{old_count} +{},{new_count} @@\n",
            first_line(old_count, hunk[0].1),
            first_line(new_count, hunk[0].2)
        ));
        for &(edit, i, j) in hunk {
            let (mark, line) = match edit {
                Edit::Same => (' ', old[i]),
                Edit::Removed => ('-', old[i]),
                Edit::Added => ('+', new[j]),
            };
            out.push(mark);
            out.push_str(&visible(line));
            out.push('\n');
        }
        k += 1;
    }
    if edits.iter().all(|e| e.0 == Edit::Same) {
        out.push_str("(the lines are the same; the line ends differ)\n");
    }
    if expected.ends_with('\n') != actual.ends_with('\n') {
        let which = if actual.ends_with('\n') {
            "expected"
        } else {
            "actual"
        };
        out.push_str(&format!("(the {which} output has no newline at the end)\n"));
    }
    out
}
