//! Shared by the evidence tests: scratch folders, logs made quickly, the command line.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{Map, Value, json};
use sidecar_host::evidence::{EvidenceLog, InstallationKey, LogOptions, Writer};

/// A fresh, empty folder for one test.
pub fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("sidecar-evidence-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("a scratch folder");
    dir.canonicalize().expect("an absolute scratch folder")
}

pub fn writer() -> Writer {
    Writer { name: "evidence-tests".into(), version: "0".into(), runtime_manifest_sha256: None }
}

/// The log at `dir/evidence.jsonl` with the key at `dir/key` (made if missing).
pub fn open(dir: &Path, checkpoint_every: u64) -> EvidenceLog {
    let key = InstallationKey::load_or_create(&dir.join("key")).expect("a key");
    let options = LogOptions { writer: writer(), checkpoint_every };
    EvidenceLog::open(&dir.join("evidence.jsonl"), key, options).expect("the log opens")
}

/// A call-like entry (what the recorder writes, without the parts these tests do not need).
pub fn entry(i: u64) -> Map<String, Value> {
    let value = json!({"kind": "call", "method": "test/echo", "params": {"i": i}, "outcome": {"status": "ok"}});
    value.as_object().cloned().expect("an object")
}

/// A closed log of `calls` entries, one append (and fsync) each, and its bytes.
pub fn closed_log(dir: &Path, calls: u64, checkpoint_every: u64) -> Vec<u8> {
    let log = open(dir, checkpoint_every);
    for i in 0..calls {
        log.append(vec![entry(i)], None).expect("appended");
    }
    log.close().expect("closed");
    drop(log);
    std::fs::read(dir.join("evidence.jsonl")).expect("the log")
}

/// The complete lines of a log, without their newlines.
pub fn lines(bytes: &[u8]) -> Vec<Vec<u8>> {
    let mut lines: Vec<Vec<u8>> = bytes.split(|b| *b == b'\n').map(<[u8]>::to_vec).collect();
    if lines.last().is_some_and(Vec::is_empty) {
        lines.pop();
    }
    lines
}

pub fn join(lines: &[Vec<u8>]) -> Vec<u8> {
    lines.iter().flat_map(|line| line.iter().copied().chain([b'\n'])).collect()
}

/// The entries of a log, parsed (every line must be one).
pub fn entries(bytes: &[u8]) -> Vec<Value> {
    lines(bytes).iter().map(|line| serde_json::from_slice(line).expect("an entry")).collect()
}

/// `sidecar-host` as cargo built it for these tests.
pub fn sidecar_host() -> Command {
    Command::new(env!("CARGO_BIN_EXE_sidecar-host"))
}

pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().expect("the repository root")
}

/// The repository's Python (the tests run the real sidecar and the Python verifier with it).
pub fn python() -> PathBuf {
    let python = repo().join(".venv/bin/python");
    assert!(python.exists(), "these tests need the repository's .venv: run ./scripts/setup");
    python
}
