//! A quick check of a bundled runtime against its `manifest.json` (written by
//! `build_runtime.py`; format in docs/RUNTIME.md): every listed file is there with its size, and
//! nothing unlisted is beside them.
//!
//! It only stats files (no hashing), so the app can run it at every start: a runtime that an
//! interrupted update, a disk error or a stray copy left incomplete is refused with a clear
//! error instead of failing later with an obscure import error. The full sha256 check is
//! `build_runtime.py --verify`, for install time.

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};

use serde::Deserialize;

pub const MANIFEST: &str = "manifest.json";
/// The manifest formats this check understands.
const FORMAT: u32 = 1;
/// Differences named in the error; the count says how many there are in all.
const SHOWN: usize = 5;

#[derive(Debug, Deserialize)]
struct Manifest {
    format: u32,
    files: Vec<Entry>,
}

#[derive(Debug, Deserialize)]
struct Entry {
    path: String,
    size: u64,
}

/// One way the folder differs from its manifest; paths are relative, with `/`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Difference {
    Missing(String),
    Changed(String),
    Extra(String),
}

impl fmt::Display for Difference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Missing(path) => write!(f, "missing: {path}"),
            Self::Changed(path) => write!(f, "changed: {path}"),
            Self::Extra(path) => write!(f, "extra: {path}"),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum RuntimeCheckError {
    #[error("cannot read the runtime's manifest {path}: {reason}")]
    Manifest { path: PathBuf, reason: String },
    #[error("the runtime's manifest {path} has format {found}; this app reads format {FORMAT}")]
    Format { path: PathBuf, found: u32 },
    #[error("the runtime at {} differs from its manifest in {} places:\n{}", .root.display(), .differences.len(), Shown(.differences))]
    Differs { root: PathBuf, differences: Vec<Difference> },
}

struct Shown<'a>(&'a [Difference]);

impl fmt::Display for Shown<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let lines: Vec<String> = self.0.iter().take(SHOWN).map(|d| format!("  {d}")).collect();
        f.write_str(&lines.join("\n"))?;
        if self.0.len() > SHOWN { write!(f, "\n  ... and {} more", self.0.len() - SHOWN) } else { Ok(()) }
    }
}

/// Check the runtime folder `root` (the one holding `bin/` and `manifest.json`).
pub fn check(root: &Path) -> Result<(), RuntimeCheckError> {
    let manifest_path = root.join(MANIFEST);
    let manifest = read_manifest(&manifest_path)?;
    let mut expected: HashMap<&str, u64> = manifest.files.iter().map(|e| (e.path.as_str(), e.size)).collect();
    let mut differences = Vec::new();
    let mut present = Vec::new();
    list_files(root, root, &mut present)
        .map_err(|error| RuntimeCheckError::Manifest { path: root.to_path_buf(), reason: error.to_string() })?;
    for (path, size) in present {
        match expected.remove(path.as_str()) {
            Some(listed) if listed == size => {}
            Some(_) => differences.push(Difference::Changed(path)),
            None if path == MANIFEST => {}
            None => differences.push(Difference::Extra(path)),
        }
    }
    differences.extend(expected.into_keys().map(|path| Difference::Missing(path.to_owned())));
    if differences.is_empty() {
        return Ok(());
    }
    differences.sort_by_key(ToString::to_string);
    Err(RuntimeCheckError::Differs { root: root.to_path_buf(), differences })
}

fn read_manifest(path: &Path) -> Result<Manifest, RuntimeCheckError> {
    let text = std::fs::read(path)
        .map_err(|error| RuntimeCheckError::Manifest { path: path.to_path_buf(), reason: error.to_string() })?;
    let manifest: Manifest = serde_json::from_slice(&text)
        .map_err(|error| RuntimeCheckError::Manifest { path: path.to_path_buf(), reason: error.to_string() })?;
    if manifest.format != FORMAT {
        return Err(RuntimeCheckError::Format { path: path.to_path_buf(), found: manifest.format });
    }
    Ok(manifest)
}

/// Every regular file under `dir`, as (path relative to `root` with `/`, size). Symbolic links
/// count as files of their own size: the runtime has none, so one is a difference anyway.
fn list_files(root: &Path, dir: &Path, out: &mut Vec<(String, u64)>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let kind = entry.file_type()?;
        if kind.is_dir() {
            list_files(root, &entry.path(), out)?;
            continue;
        }
        let path = entry.path();
        let relative = path.strip_prefix(root).unwrap_or(&path);
        let name: Vec<String> = relative.components().map(|c| c.as_os_str().to_string_lossy().into_owned()).collect();
        out.push((name.join("/"), entry.metadata()?.len()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A tiny runtime: two files and a manifest that lists them.
    fn runtime(name: &str) -> PathBuf {
        let root = std::env::temp_dir().join(format!("sidecar-runtime-check-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        std::fs::create_dir_all(root.join("bin")).unwrap();
        std::fs::create_dir_all(root.join("lib/python3.11")).unwrap();
        std::fs::write(root.join("bin/python3"), b"elf").unwrap();
        std::fs::write(root.join("lib/python3.11/os.py"), b"import sys\n").unwrap();
        let manifest = serde_json::json!({
            "format": 1,
            "target": "x86_64-unknown-linux-gnu",
            "files": [
                {"path": "bin/python3", "size": 3, "sha256": "unused by the quick check"},
                {"path": "lib/python3.11/os.py", "size": 11, "sha256": "unused by the quick check"},
            ],
        });
        std::fs::write(root.join(MANIFEST), manifest.to_string()).unwrap();
        root
    }

    fn differences(root: &Path) -> Vec<Difference> {
        match check(root) {
            Err(RuntimeCheckError::Differs { differences, .. }) => differences,
            other => panic!("expected differences, got {other:?}"),
        }
    }

    #[test]
    fn a_runtime_that_matches_its_manifest_passes() {
        check(&runtime("ok")).expect("a matching runtime");
    }

    #[test]
    fn a_missing_file_is_named() {
        let root = runtime("missing");
        std::fs::remove_file(root.join("lib/python3.11/os.py")).unwrap();
        assert_eq!(differences(&root), [Difference::Missing("lib/python3.11/os.py".into())]);
    }

    #[test]
    fn a_file_of_another_size_is_named() {
        let root = runtime("changed");
        std::fs::write(root.join("bin/python3"), b"longer").unwrap();
        assert_eq!(differences(&root), [Difference::Changed("bin/python3".into())]);
    }

    #[test]
    fn an_unlisted_file_is_named_and_the_error_says_so() {
        let root = runtime("extra");
        std::fs::write(root.join("lib/python3.11/sitecustomize.py"), b"planted").unwrap();
        assert_eq!(differences(&root), [Difference::Extra("lib/python3.11/sitecustomize.py".into())]);
        let message = check(&root).unwrap_err().to_string();
        assert!(message.contains("extra: lib/python3.11/sitecustomize.py"), "{message}");
    }

    #[test]
    fn an_unreadable_or_unknown_manifest_is_refused() {
        let root = runtime("format");
        std::fs::write(root.join(MANIFEST), r#"{"format": 2, "files": []}"#).unwrap();
        assert!(matches!(check(&root), Err(RuntimeCheckError::Format { found: 2, .. })));
        std::fs::remove_file(root.join(MANIFEST)).unwrap();
        assert!(matches!(check(&root), Err(RuntimeCheckError::Manifest { .. })));
    }

    #[test]
    fn a_long_list_of_differences_is_cut_in_the_message() {
        let root = runtime("many");
        for i in 0..8 {
            std::fs::write(root.join(format!("extra{i}")), b"x").unwrap();
        }
        let message = check(&root).unwrap_err().to_string();
        assert!(message.contains("in 8 places") && message.contains("... and 3 more"), "{message}");
    }
}
