//! Walks the committed inputs of a target: `seeds/<target>/*` (the corpus
//! start, taken from the tests) and `regressions/<target>/*` (every crash
//! input found, kept after its fix).

use std::path::{Path, PathBuf};

/// The committed input files of `target` under `fuzz_dir`, sorted by path.
/// Panics when the target has no seed at all: a target must never be run (or
/// regression-tested) over an empty corpus by accident.
pub fn inputs(fuzz_dir: &Path, target: &str) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for kind in ["seeds", "regressions"] {
        let dir = fuzz_dir.join(kind).join(target);
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries {
            let path = entry.expect("a readable directory entry").path();
            if path.is_file() {
                files.push(path);
            }
        }
    }
    files.sort();
    let seeds = fuzz_dir.join("seeds").join(target);
    assert!(
        files.iter().any(|f| f.starts_with(&seeds)),
        "no seed files in {}",
        seeds.display()
    );
    files
}

/// Runs `check` over every committed input of `target`, naming the file of a
/// failing input. Returns how many inputs ran.
pub fn run_all(fuzz_dir: &Path, target: &str, check: fn(&[u8])) -> usize {
    let files = inputs(fuzz_dir, target);
    for file in &files {
        let data = std::fs::read(file).expect("a readable seed file");
        let outcome = std::panic::catch_unwind(|| check(&data));
        assert!(outcome.is_ok(), "{target}: input {} failed", file.display());
    }
    files.len()
}
