//! The layout keeps the data flow: this test reads every `crate::` and
//! `super::` path in `src/` and fails when a layer imports one above it.
//!
//! - `facts` imports nothing of the crate but `facts`;
//! - `protocol` (the sans-I/O dialogues) imports only `facts` and itself;
//! - the rules (`diagnose`), `report` and the renderers (`output`) import
//!   neither gathering (`gather`, where the TLS session code lives) nor the
//!   engine, the plan, the app or the command line;
//! - nothing but `main.rs`, `cli.rs` and the plan builder names clap;
//! - no two files, and no two top-level modules, import each other in a circle.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// A module path such as `["gather", "check"]`; `[]` is the crate root.
type ModulePath = Vec<String>;

struct SourceFile {
    relative: String,
    module: ModulePath,
    text: String,
}

fn source_files() -> Vec<SourceFile> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).expect("read src") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut paths = Vec::new();
    walk(&root, &mut paths);
    paths.sort();
    paths
        .into_iter()
        .map(|path| {
            let relative = path
                .strip_prefix(&root)
                .expect("under src")
                .to_string_lossy()
                .replace('\\', "/");
            let mut module: ModulePath = relative
                .trim_end_matches(".rs")
                .split('/')
                .map(str::to_owned)
                .collect();
            if matches!(
                module.last().map(String::as_str),
                Some("mod" | "lib" | "main")
            ) {
                module.pop();
            }
            SourceFile {
                text: std::fs::read_to_string(&path).expect("read source"),
                relative,
                module,
            }
        })
        .collect()
}

/// Code without comments: whole-line `//` comments and trailing ones.
fn code_lines(text: &str) -> impl Iterator<Item = &str> {
    text.lines()
        .map(|line| line.split("//").next().unwrap_or(""))
        .filter(|line| !line.trim().is_empty())
}

/// The identifiers of a path that starts at `at` in `line` (`a::b::{c, d}` gives `a`, `b`).
fn path_segments(rest: &str) -> Vec<String> {
    let mut segments = Vec::new();
    let mut rest = rest;
    loop {
        let ident: String = rest
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        if ident.is_empty() {
            break;
        }
        rest = &rest[ident.len()..];
        segments.push(ident);
        match rest.strip_prefix("::") {
            Some(next) => rest = next,
            None => break,
        }
    }
    segments
}

/// The modules a file refers to, by `crate::` and `super::` paths, resolved
/// to the longest prefix that is a module of the crate.
fn references(file: &SourceFile, modules: &BTreeSet<ModulePath>) -> BTreeSet<ModulePath> {
    let mut found = BTreeSet::new();
    let resolve = |path: ModulePath| -> ModulePath {
        (0..=path.len())
            .rev()
            .map(|n| path[..n].to_vec())
            .find(|prefix| modules.contains(prefix))
            .unwrap_or_default()
    };
    // Inline modules (`mod tests { … }`) change what `super` means: track them
    // by brace depth.
    let mut inline: Vec<(String, usize)> = Vec::new();
    let mut depth = 0usize;
    for line in code_lines(&file.text) {
        let trimmed = line.trim_start();
        let declared = trimmed
            .strip_prefix("pub ")
            .unwrap_or(trimmed)
            .strip_prefix("mod ")
            .filter(|rest| rest.trim_end().ends_with('{'))
            .map(|rest| path_segments(rest).into_iter().next().unwrap_or_default());
        let here: ModulePath = file
            .module
            .iter()
            .cloned()
            .chain(inline.iter().map(|(name, _)| name.clone()))
            .collect();
        for (at, _) in line.match_indices("crate::") {
            let before = line[..at].chars().last();
            if before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_') {
                continue; // e.g. `mailtls_crate::`
            }
            let segments = path_segments(&line[at + "crate::".len()..]);
            found.insert(resolve(segments));
        }
        for (at, _) in line.match_indices("super::") {
            let before = line[..at].chars().last();
            if before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':') {
                continue; // the second of `super::super::`, counted below
            }
            let mut base = here.clone();
            let mut rest = &line[at..];
            while let Some(next) = rest.strip_prefix("super::") {
                base.pop();
                rest = next;
            }
            let mut path = base;
            path.extend(path_segments(rest));
            found.insert(resolve(path));
        }
        let mut in_string = false;
        let mut escaped = false;
        for c in line.chars() {
            match c {
                _ if escaped => escaped = false,
                '\\' if in_string => escaped = true,
                '"' => in_string = !in_string,
                '{' if !in_string => depth += 1,
                '}' if !in_string => {
                    depth = depth.saturating_sub(1);
                    if inline.last().is_some_and(|(_, d)| *d == depth) {
                        inline.pop();
                    }
                }
                _ => {}
            }
        }
        if let Some(name) = declared {
            inline.push((name, depth.saturating_sub(1)));
        }
    }
    found.remove(&file.module);
    // A path that resolves to no module at all names an item of the crate root.
    found.remove(&Vec::new());
    found
}

fn top(module: &ModulePath) -> &str {
    module.first().map_or("(crate root)", String::as_str)
}

struct Graph {
    files: Vec<SourceFile>,
    edges: BTreeMap<ModulePath, BTreeSet<ModulePath>>,
}

fn graph() -> Graph {
    let files = source_files();
    let modules: BTreeSet<ModulePath> = files.iter().map(|f| f.module.clone()).collect();
    let edges = files
        .iter()
        .map(|f| (f.module.clone(), references(f, &modules)))
        .collect();
    Graph { files, edges }
}

#[test]
fn the_reader_finds_imports() {
    let g = graph();
    let check = g
        .edges
        .get(&vec!["gather".to_owned(), "check".to_owned()])
        .expect("gather/check.rs");
    assert!(check.contains(&vec!["facts".to_owned(), "stop".to_owned()]));
    assert!(check.contains(&vec!["gather".to_owned(), "net".to_owned()]));
    assert!(g.files.len() > 40, "{} files", g.files.len());
}

#[test]
fn each_layer_imports_only_what_is_below_it() {
    let g = graph();
    let mut wrong = Vec::new();
    for (module, targets) in &g.edges {
        let allowed: &[&str] = match top(module) {
            "facts" => &["facts"],
            "protocol" => &["facts", "protocol"],
            "diagnose" => &["facts", "diagnose"],
            "report" => &["facts", "diagnose", "report"],
            "output" => &["facts", "diagnose", "report", "output"],
            _ => continue,
        };
        for target in targets {
            if !allowed.contains(&top(target)) {
                wrong.push(format!(
                    "{} imports {}",
                    module.join("::"),
                    target.join("::")
                ));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "imports against the flow:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn only_the_command_line_knows_clap() {
    let allowed = ["main.rs", "cli.rs", "plan/build.rs"];
    let g = graph();
    let offenders: Vec<&str> = g
        .files
        .iter()
        .filter(|f| !allowed.contains(&f.relative.as_str()))
        .filter(|f| {
            code_lines(&f.text).any(|line| {
                line.contains("clap::")
                    || line.contains("clap_complete")
                    || line.contains("clap_mangen")
                    || line.contains("crate::cli")
            })
        })
        .map(|f| f.relative.as_str())
        .collect();
    assert!(
        offenders.is_empty(),
        "clap outside the command line: {offenders:?}"
    );
}

/// A circle in `edges`, if there is one.
fn find_cycle<T: Ord + Clone>(edges: &BTreeMap<T, BTreeSet<T>>) -> Option<Vec<T>> {
    fn visit<T: Ord + Clone>(
        node: &T,
        edges: &BTreeMap<T, BTreeSet<T>>,
        state: &mut BTreeMap<T, bool>,
        stack: &mut Vec<T>,
    ) -> Option<Vec<T>> {
        match state.get(node) {
            Some(true) => return None,
            Some(false) => {
                let start = stack.iter().position(|n| n == node).unwrap_or(0);
                let mut cycle = stack[start..].to_vec();
                cycle.push(node.clone());
                return Some(cycle);
            }
            None => {}
        }
        state.insert(node.clone(), false);
        stack.push(node.clone());
        for next in edges.get(node).into_iter().flatten() {
            if let Some(cycle) = visit(next, edges, state, stack) {
                return Some(cycle);
            }
        }
        stack.pop();
        state.insert(node.clone(), true);
        None
    }
    let mut state = BTreeMap::new();
    for node in edges.keys() {
        if let Some(cycle) = visit(node, edges, &mut state, &mut Vec::new()) {
            return Some(cycle);
        }
    }
    None
}

#[test]
fn no_files_and_no_layers_import_each_other_in_a_circle() {
    let g = graph();
    if let Some(cycle) = find_cycle(&g.edges) {
        let names: Vec<String> = cycle.iter().map(|m| m.join("::")).collect();
        panic!("files import each other in a circle: {}", names.join(" → "));
    }
    let mut layers: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (module, targets) in &g.edges {
        let from = top(module).to_owned();
        let entry = layers.entry(from.clone()).or_default();
        entry.extend(
            targets
                .iter()
                .map(|t| top(t).to_owned())
                .filter(|t| *t != from),
        );
    }
    if let Some(cycle) = find_cycle(&layers) {
        panic!(
            "top-level modules import each other in a circle: {}",
            cycle.join(" → ")
        );
    }
}

#[test]
fn the_cycle_finder_finds_circles() {
    let edges: BTreeMap<u8, BTreeSet<u8>> = [
        (1, BTreeSet::from([2])),
        (2, BTreeSet::from([3])),
        (3, BTreeSet::from([1])),
    ]
    .into_iter()
    .collect();
    assert_eq!(find_cycle(&edges), Some(vec![1, 2, 3, 1]));
    let line: BTreeMap<u8, BTreeSet<u8>> = [(1, BTreeSet::from([2])), (2, BTreeSet::new())]
        .into_iter()
        .collect();
    assert_eq!(find_cycle(&line), None);
}
