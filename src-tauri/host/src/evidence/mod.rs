//! The evidence log: the host's tamper-evident record of every call it makes to the sidecar.
//!
//! One JSON object per line (see docs/EVIDENCE.md for every field):
//!
//! * `log_open`: a process started writing (who, which key, how the log was left before);
//! * `call`: one request or notification: method, params (redacted as the policy says; only
//!   their hash when large), the policy digest in force, the outcome (the result's hash and its
//!   fields worth reading, or the error, the refusal, the timeout, the cancellation), and the
//!   files it produced, hashed by the host;
//! * `session_start` (after `initialize`), `policy_change`, `session_stop`, `log_close`;
//! * `checkpoint`: the installation key's Ed25519 signature of the entry before it.
//!
//! Each entry carries `seq`, `time` (UTC), the previous entry's hash (`prev`) and its own
//! (`hash`, SHA-256 of its [`canonical`] encoding without `hash`). Layers:
//!
//! * [`canonical`]: the encoding; [`line`]: one entry as one line, sealed and parsed;
//! * [`log`]: the file (append, fsync, reopen after a crash, lock); [`key`]: the installation key;
//!   [`durable`]: the folder fsync both need;
//! * [`recorder`]: the hook a [`crate::Client`] calls (`ClientConfig::evidence`), with
//!   [`redact`], [`summary`] and [`artifact`] deciding what a call's entry holds;
//! * [`verify`]: the verifier behind `sidecar-host evidence verify`.

pub mod artifact;
pub mod canonical;
mod durable;
pub mod key;
pub mod line;
pub mod log;
pub mod recorder;
pub mod redact;
pub mod summary;
pub mod verify;

use std::path::PathBuf;

pub use key::InstallationKey;
pub use log::{EvidenceLog, Head, LogOptions, Writer, Written};
pub use recorder::Recorder;
pub use verify::{Failure, Problem, Verified, verify};

/// The format every `log_open` entry names.
pub const FORMAT: &str = "sidecar-evidence/1";

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum EvidenceError {
    #[error("the evidence signing key {path} cannot be used: {reason}")]
    Key { path: PathBuf, reason: String },
    #[error("cannot open the evidence log {path}: {reason}")]
    Open { path: PathBuf, reason: String },
    #[error("the evidence log {path} is being written by another process (is another copy of the app running?)")]
    Busy { path: PathBuf },
    #[error(
        "cannot write the evidence log {path}: {reason}; no call is answered until it can be written again (restart the app once the cause is fixed)"
    )]
    Write { path: PathBuf, reason: String },
    #[error("the evidence log {path} is closed")]
    Closed { path: PathBuf },
}

/// SHA-256 of the `manifest.json` of the runtime `python` belongs to (`<runtime>/bin/python3`),
/// when it runs from a bundled runtime; `None` for a development Python.
pub fn runtime_manifest_sha256(python: &std::path::Path) -> Option<String> {
    let root = python.parent()?.parent()?;
    let manifest = std::fs::read(root.join(crate::runtime_check::MANIFEST)).ok()?;
    Some(canonical::sha256_hex(&manifest))
}
