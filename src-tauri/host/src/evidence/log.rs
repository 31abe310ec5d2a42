//! The log file: append-only, one fsynced write per batch of entries, one writer at a time.
//!
//! * Every entry gets the next `seq`, the previous entry's hash as `prev`, and its UTC `time`
//!   under one lock, so concurrent calls land in one order; the lines are written with one
//!   `write` and `fdatasync`ed before [`EvidenceLog::append`] returns.
//! * Opening reads the end of the file: the chain goes on from the last intact entry. Bytes
//!   after it (a line cut short by a crash) stay in the file; a newline ends them and the new
//!   `log_open` entry records where they are, how long, and their SHA-256. Nothing is ever
//!   truncated or rewritten.
//! * A failed write leaves the log failed for this process: every later append fails, so no
//!   call result goes out unrecorded. The next open records whatever the failure left.
//! * An advisory lock (unix `flock`) keeps a second process from writing the same file.

use std::collections::VecDeque;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, PoisonError};

use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;
use serde_json::{Map, Value, json};

use super::canonical::sha256_hex;
use super::durable::sync_dir;
use super::key::{InstallationKey, checkpoint_message};
use super::line::{GENESIS, Parsed, Sealed, parse, seal};
use super::verify::{self, Failure, Verified};
use super::{EvidenceError, FORMAT};

/// A signed checkpoint after this many entries without one, by default.
pub const DEFAULT_CHECKPOINT_EVERY: u64 = 64;
/// How far back from its end an opened log is searched for an intact entry.
const TAIL_WINDOW: u64 = 8 << 20;
/// How many of this process's entries [`EvidenceLog::written`] keeps.
const WRITTEN_KEPT: usize = 10_000;

/// Who writes the log, named in every `log_open` entry.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Writer {
    /// The program (the app, or `sidecar-host`) and its version.
    pub name: String,
    pub version: String,
    /// SHA-256 of the bundled runtime's `manifest.json`, when the sidecar runs from one.
    pub runtime_manifest_sha256: Option<String>,
}

#[derive(Debug, Clone)]
pub struct LogOptions {
    pub writer: Writer,
    /// A signed checkpoint after this many entries without one.
    pub checkpoint_every: u64,
}

impl LogOptions {
    pub fn new(writer: Writer) -> Self {
        Self { writer, checkpoint_every: DEFAULT_CHECKPOINT_EVERY }
    }
}

/// The last entry: what a report prints as the anchor of everything before it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Head {
    pub seq: u64,
    pub hash: String,
}

/// One entry this process wrote, as the app lists it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Written {
    pub seq: u64,
    pub hash: String,
    pub time: String,
    pub kind: String,
    pub method: Option<String>,
    /// `params.device_id` (redacted when the policy redacts identifiers).
    pub device_id: Option<String>,
    /// `outcome.status`: ok, error, refused, timeout, cancelled, unavailable, host_error, sent.
    pub status: Option<String>,
    pub artifacts: Vec<String>,
}

pub struct EvidenceLog {
    path: PathBuf,
    key: InstallationKey,
    writer: Writer,
    checkpoint_every: u64,
    inner: Mutex<Inner>,
}

impl std::fmt::Debug for EvidenceLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EvidenceLog").field("path", &self.path).field("key", &self.key).finish_non_exhaustive()
    }
}

struct Inner {
    file: Locked,
    next_seq: u64,
    head: String,
    /// The file's length after the last write that succeeded.
    len: u64,
    since_checkpoint: u64,
    failed: Option<String>,
    closed: bool,
    written: VecDeque<Written>,
}

#[cfg(unix)]
type Locked = nix::fcntl::Flock<File>;
#[cfg(not(unix))]
type Locked = File;

/// Bytes after the last intact entry, found on open.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Skipped {
    pub offset: u64,
    pub bytes: u64,
    pub sha256: String,
}

impl EvidenceLog {
    /// Open (or create) the log at `path` and record the opening in a signed `log_open` entry.
    pub fn open(path: &Path, key: InstallationKey, options: LogOptions) -> Result<Self, EvidenceError> {
        let fail = |reason: String| EvidenceError::Open { path: path.to_path_buf(), reason };
        let parent = path.parent().filter(|p| !p.as_os_str().is_empty());
        if let Some(parent) = parent {
            fs::create_dir_all(parent).map_err(|e| fail(format!("cannot create its folder: {e}")))?;
        }
        let file =
            OpenOptions::new().read(true).append(true).create(true).open(path).map_err(|e| fail(e.to_string()))?;
        let mut file = lock(file, path)?;
        let tail = read_tail(&mut file).map_err(|e| fail(e.to_string()))?.map_err(fail)?;
        let previous = tail.previous();
        let log = Self {
            path: path.to_path_buf(),
            writer: options.writer,
            checkpoint_every: options.checkpoint_every.max(1),
            inner: Mutex::new(Inner {
                file,
                next_seq: tail.last.as_ref().map_or(0, |last| last.seq + 1),
                head: tail.last.as_ref().map_or_else(|| GENESIS.to_owned(), |last| last.hash.clone()),
                len: tail.len,
                since_checkpoint: 0,
                failed: None,
                closed: false,
                written: VecDeque::new(),
            }),
            key,
        };
        let opening = json!({
            "kind": "log_open",
            "format": FORMAT,
            "writer": log.writer,
            "host": {"name": env!("CARGO_PKG_NAME"), "version": env!("CARGO_PKG_VERSION")},
            "host_pid": std::process::id(),
            "public_key": log.key.public_hex(),
            "previous": previous,
        });
        // A newline ends what a crash cut short, so the entries after it start on a line of their own.
        let prefix = if tail.skipped.is_some() { "\n" } else { "" };
        log.write(&mut log.lock(), prefix, vec![object(opening)], Some("log_open")).map_err(|e| fail(e.to_string()))?;
        if tail.len == 0
            && let Some(parent) = parent
        {
            sync_dir(parent).map_err(|e| fail(format!("cannot sync its folder: {e}")))?;
        }
        if let Some(skipped) = &tail.skipped {
            tracing::warn!(path = %path.display(), offset = skipped.offset, bytes = skipped.bytes, "the evidence log ended in an incomplete entry (a crash while writing); recorded in its log_open entry");
        }
        Ok(log)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The installation key's public half, lowercase hex.
    pub fn public_key(&self) -> String {
        self.key.public_hex()
    }

    pub fn writer(&self) -> &Writer {
        &self.writer
    }

    pub fn head(&self) -> Head {
        let inner = self.lock();
        Head { seq: inner.next_seq.saturating_sub(1), hash: inner.head.clone() }
    }

    /// The entries this process wrote (the latest [`WRITTEN_KEPT`]), oldest first.
    pub fn written(&self) -> Vec<Written> {
        self.lock().written.iter().cloned().collect()
    }

    /// Append entries (each a JSON object without `seq`, `prev`, `time` and `hash`), then a
    /// signed checkpoint when `checkpoint` names why or the interval has come; written and
    /// flushed to disk before this returns. Blocking: call it off the async threads.
    pub fn append(
        &self,
        entries: Vec<Map<String, Value>>,
        checkpoint: Option<&str>,
    ) -> Result<Vec<Head>, EvidenceError> {
        let sealed = self.write(&mut self.lock(), "", entries, checkpoint)?;
        Ok(sealed.into_iter().map(|s| Head { seq: s.seq, hash: s.hash }).collect())
    }

    /// Record that the sidecar of the current session stopped or crashed, and sign the head.
    pub fn session_stop(&self, reason: &str, detail: Map<String, Value>) -> Result<Head, EvidenceError> {
        let mut entry = detail;
        entry.insert("kind".into(), "session_stop".into());
        entry.insert("reason".into(), reason.into());
        self.append(vec![entry], Some("session_stop")).map(|mut heads| heads.remove(0))
    }

    /// End this process's writing with a signed `log_close`: the next open reads it as a clean end.
    pub fn close(&self) -> Result<Head, EvidenceError> {
        let mut inner = self.lock();
        let mut heads = self.write(&mut inner, "", vec![object(json!({"kind": "log_close"}))], Some("log_close"))?;
        inner.closed = true;
        let sealed = heads.remove(0);
        Ok(Head { seq: sealed.seq, hash: sealed.hash })
    }

    /// Verify the whole file as written so far (a write in progress is not read half-done).
    pub fn verify(&self, head: Option<&str>) -> Result<Result<Verified, Failure>, EvidenceError> {
        let bytes = {
            let inner = self.lock();
            let mut bytes = Vec::new();
            File::open(&self.path)
                .and_then(|file| file.take(inner.len).read_to_end(&mut bytes))
                .map_err(|e| EvidenceError::Open { path: self.path.clone(), reason: e.to_string() })?;
            bytes
        };
        Ok(verify::verify(&bytes, head))
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn write(
        &self,
        inner: &mut Inner,
        prefix: &str,
        entries: Vec<Map<String, Value>>,
        checkpoint: Option<&str>,
    ) -> Result<Vec<Sealed>, EvidenceError> {
        if let Some(reason) = &inner.failed {
            return Err(EvidenceError::Write { path: self.path.clone(), reason: reason.clone() });
        }
        if inner.closed {
            return Err(EvidenceError::Closed { path: self.path.clone() });
        }
        let (mut seq, mut head, mut since) = (inner.next_seq, inner.head.clone(), inner.since_checkpoint);
        let mut out = String::from(prefix);
        let mut sealed = Vec::with_capacity(entries.len() + 1);
        for entry in entries {
            sealed.push(next(&mut seq, &mut head, entry, &mut out));
            since += 1;
        }
        let reason = checkpoint.or((since >= self.checkpoint_every).then_some("interval"));
        let signed = reason.map(|reason| {
            let signature = self.key.sign(checkpoint_message(seq - 1, &head).as_bytes());
            let entry = json!({
                "kind": "checkpoint",
                "reason": reason,
                "signed": {"seq": seq - 1, "hash": head},
                "public_key": self.key.public_hex(),
                "signature": signature,
            });
            since = 0;
            next(&mut seq, &mut head, object(entry), &mut out)
        });
        let written = inner.file.write_all(out.as_bytes()).and_then(|()| inner.file.sync_data());
        if let Err(error) = written {
            let reason = error.to_string();
            tracing::error!(path = %self.path.display(), %reason, "cannot write the evidence log; no call is answered from now on");
            inner.failed = Some(reason.clone());
            return Err(EvidenceError::Write { path: self.path.clone(), reason });
        }
        (inner.next_seq, inner.head, inner.since_checkpoint) = (seq, head, since);
        inner.len += out.len() as u64;
        for entry in sealed.iter().chain(&signed) {
            if inner.written.len() == WRITTEN_KEPT {
                inner.written.pop_front();
            }
            inner.written.push_back(summary(entry));
        }
        Ok(sealed)
    }
}

/// Seal `entry` as the next one after `head`, append its line to `out`, and move on.
fn next(seq: &mut u64, head: &mut String, mut entry: Map<String, Value>, out: &mut String) -> Sealed {
    entry.insert("seq".into(), (*seq).into());
    entry.insert("prev".into(), head.as_str().into());
    entry.insert("time".into(), now().into());
    let sealed = seal(*seq, entry);
    out.push_str(&sealed.line);
    out.push('\n');
    *seq += 1;
    head.clone_from(&sealed.hash);
    sealed
}

/// UTC, RFC 3339, microseconds.
pub fn now() -> String {
    DateTime::<Utc>::from(std::time::SystemTime::now()).to_rfc3339_opts(SecondsFormat::Micros, true)
}

pub(crate) fn object(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        _ => unreachable!("built with json!({{...}})"),
    }
}

fn summary(sealed: &Sealed) -> Written {
    let entry = &sealed.entry;
    let text = |value: Option<&Value>| value.and_then(Value::as_str).map(str::to_owned);
    Written {
        seq: sealed.seq,
        hash: sealed.hash.clone(),
        time: text(entry.get("time")).unwrap_or_default(),
        kind: text(entry.get("kind")).unwrap_or_default(),
        method: text(entry.get("method")),
        device_id: text(entry.get("params").and_then(|p| p.get("device_id"))),
        status: text(entry.get("outcome").and_then(|o| o.get("status"))),
        artifacts: entry
            .get("artifacts")
            .and_then(Value::as_array)
            .map(|items| items.iter().filter_map(|a| text(a.get("path"))).collect())
            .unwrap_or_default(),
    }
}

#[cfg(unix)]
fn lock(file: File, path: &Path) -> Result<Locked, EvidenceError> {
    use nix::fcntl::{Flock, FlockArg};
    Flock::lock(file, FlockArg::LockExclusiveNonblock).map_err(|(_, errno)| match errno {
        nix::errno::Errno::EWOULDBLOCK => EvidenceError::Busy { path: path.to_path_buf() },
        other => EvidenceError::Open { path: path.to_path_buf(), reason: format!("cannot lock it: {other}") },
    })
}

#[cfg(not(unix))]
fn lock(file: File, _path: &Path) -> Result<Locked, EvidenceError> {
    Ok(file) // no advisory lock here: one app instance per log is assumed
}

/// What the end of an existing log holds.
struct Tail {
    len: u64,
    last: Option<Parsed>,
    skipped: Option<Skipped>,
}

impl Tail {
    /// How the previous writer left the log, for the new `log_open` entry.
    fn previous(&self) -> Value {
        let end = match (&self.last, &self.skipped) {
            _ if self.len == 0 => "new",
            (_, Some(_)) => "torn",
            (Some(last), None)
                if last.kind == "checkpoint"
                    && last.entry.get("reason").and_then(Value::as_str) == Some("log_close") =>
            {
                "closed"
            }
            _ => "unclosed",
        };
        let mut previous = json!({"end": end});
        if let Some(last) = &self.last {
            previous["last"] = json!({"seq": last.seq, "hash": last.hash});
        }
        if let Some(skipped) = &self.skipped {
            previous["skipped"] = json!(skipped);
        }
        previous
    }
}

/// The last intact entry within [`TAIL_WINDOW`] of the end, and what follows it.
fn read_tail(file: &mut File) -> io::Result<Result<Tail, String>> {
    let len = file.metadata()?.len();
    let start = len.saturating_sub(TAIL_WINDOW);
    file.seek(SeekFrom::Start(start))?;
    let mut buf = Vec::new();
    file.take(len - start).read_to_end(&mut buf)?;
    // In a window that starts mid-file, the first line is partial: skip it.
    let first = if start == 0 { 0 } else { buf.iter().position(|b| *b == b'\n').map_or(buf.len(), |i| i + 1) };
    let mut end = buf.iter().rposition(|b| *b == b'\n').map_or(first, |i| (i + 1).max(first));
    let mut last = None;
    // Complete lines, last first: the chain goes on from the last one that is intact.
    while end > first {
        let line_end = end - 1; // its newline
        let line_start = buf[first..line_end].iter().rposition(|b| *b == b'\n').map_or(first, |i| first + i + 1);
        if let Ok(parsed) = parse(&buf[line_start..line_end]) {
            last = Some(parsed);
            break;
        }
        end = line_start;
    }
    if last.is_none() && start > 0 {
        return Ok(Err(format!(
            "no intact entry in its last {} MiB: it was not written by this host (keep it for inspection, and move it aside to start a new log)",
            TAIL_WINDOW >> 20
        )));
    }
    let cut = if last.is_some() { end } else { 0 };
    let skipped = (cut < buf.len()).then(|| Skipped {
        offset: start + cut as u64,
        bytes: (buf.len() - cut) as u64,
        sha256: sha256_hex(&buf[cut..]),
    });
    Ok(Ok(Tail { len, last, skipped }))
}
