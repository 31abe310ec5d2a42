//! The verifier: every line, the chain, every signature; the first thing wrong, named by line.
//!
//! A log verifies when each line is an intact entry (canonical, its hash right), each entry's
//! `seq` is the one after the previous entry's and its `prev` is that entry's hash, the first
//! entry is a `log_open` after the genesis hash, each checkpoint signs the entry before it with
//! the key its `log_open` declared, and the file ends with a newline. The one exception to "every
//! line an entry": bytes a crash cut short, when the `log_open` right after them records exactly
//! where they are, how long and their SHA-256.
//!
//! `tests/evidence/verify_evidence.py` walks the same rules independently.

use std::collections::HashMap;
use std::fmt;

use serde::Serialize;
use serde_json::Value;

use super::canonical::sha256_hex;
use super::key::{checkpoint_message, verify_signature};
use super::line::{GENESIS, Parsed, parse};

/// What a log that verifies holds.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Verified {
    pub entries: u64,
    /// The last entry's hash; the genesis hash for an empty log.
    pub head: String,
    pub checkpoints: u64,
    /// The keys the checkpoints were signed with, in order of first use.
    pub keys: Vec<String>,
    /// The seq of the last entry a checkpoint signed.
    pub last_signed: Option<u64>,
    /// Regions a crash cut short, each recorded by the `log_open` entry after it (its seq).
    pub torn: Vec<(u64, u64)>,
    /// With `--head`: the seq of the entry that has that hash.
    pub head_found: Option<u64>,
}

impl Verified {
    /// Entries after the last signed one (not yet covered by a signature).
    pub fn unsigned(&self) -> u64 {
        match self.last_signed {
            Some(seq) => self.entries.saturating_sub(seq + 2),
            None => self.entries,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(tag = "problem", rename_all = "snake_case")]
pub enum Problem {
    /// The line is not the entry that was written there.
    Changed { reason: String },
    /// Entries with these seqs are missing before this line.
    Deleted { from: u64, to: u64 },
    /// This entry belongs later; the one expected here (`expected`) comes after it.
    Reordered { expected: u64 },
    /// The line repeats the entry of an earlier line.
    Duplicated { of_line: usize },
    /// The entry does not chain to the one before it: it was inserted, or the one before replaced.
    Inserted { reason: String },
    /// A checkpoint whose signature does not hold.
    Signature { reason: String },
    /// The file ends in a line without its newline (a crash while writing that no open has recorded yet).
    Torn { offset: u64, bytes: u64 },
    /// With `--head`: no entry has that hash, so the log was cut short (or is another log).
    HeadMissing { head: String },
}

/// The first thing wrong, where it is, and what verified before it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Failure {
    /// 1-based line number.
    pub line: usize,
    pub seq: Option<u64>,
    #[serde(flatten)]
    pub problem: Problem,
    pub verified: Box<Verified>,
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let seq = self.seq.map(|s| format!(" (seq {s})")).unwrap_or_default();
        let at = format!("line {}{seq}", self.line);
        match &self.problem {
            Problem::Changed { reason } => write!(f, "{at}: entry changed: {reason}"),
            Problem::Deleted { from, to } if from == to => write!(f, "{at}: entry {from} was deleted before it"),
            Problem::Deleted { from, to } => write!(f, "{at}: entries {from} to {to} were deleted before it"),
            Problem::Reordered { expected } => write!(f, "{at}: entries reordered: entry {expected} comes after it"),
            Problem::Duplicated { of_line } => write!(f, "{at}: entry duplicated: it repeats line {of_line}"),
            Problem::Inserted { reason } => write!(f, "{at}: entry inserted: {reason}"),
            Problem::Signature { reason } => write!(f, "{at}: checkpoint signature: {reason}"),
            Problem::Torn { offset, bytes } => write!(
                f,
                "{at}: the last {bytes} bytes (from offset {offset}) are an entry cut short by a crash; the {} entries before it verify, and the next open of the log records it",
                self.verified.entries
            ),
            Problem::HeadMissing { head } => write!(
                f,
                "{at}: cut short: no entry has the head hash {head} (the log has {} entries, head {})",
                self.verified.entries, self.verified.head
            ),
        }
    }
}

/// Verify the bytes of a whole log; with `head`, also that an entry with that hash is in it.
pub fn verify(bytes: &[u8], head: Option<&str>) -> Result<Verified, Failure> {
    let lines = split(bytes);
    let mut walk = Walk {
        bytes,
        lines: &lines,
        done: Verified { head: GENESIS.into(), ..Verified::default() },
        ..Walk::default()
    };
    for index in 0..lines.len() {
        walk.line(index)?;
    }
    walk.finish(head)
}

/// One line: where it starts and its bytes without the newline; `complete` is false for a
/// last line that has no newline.
struct Line<'a> {
    offset: u64,
    bytes: &'a [u8],
    complete: bool,
}

fn split(bytes: &[u8]) -> Vec<Line<'_>> {
    let mut lines = Vec::new();
    let mut offset = 0;
    while offset < bytes.len() {
        match bytes[offset..].iter().position(|b| *b == b'\n') {
            Some(length) => {
                lines.push(Line { offset: offset as u64, bytes: &bytes[offset..offset + length], complete: true });
                offset += length + 1;
            }
            None => {
                lines.push(Line { offset: offset as u64, bytes: &bytes[offset..], complete: false });
                offset = bytes.len();
            }
        }
    }
    lines
}

#[derive(Default)]
struct Walk<'a> {
    bytes: &'a [u8],
    lines: &'a [Line<'a>],
    done: Verified,
    /// The key the last `log_open` declared.
    key: Option<String>,
    /// Entry hash -> its line, for duplicates and `--head`.
    seen: HashMap<String, (usize, u64)>,
    /// Lines that are not entries since the last entry: (first line index, reason).
    pending: Option<(usize, String)>,
}

impl Walk<'_> {
    fn line(&mut self, index: usize) -> Result<(), Failure> {
        let line = &self.lines[index];
        if !line.complete {
            return Err(match self.pending.take() {
                Some((first, reason)) => self.fail(first, None, Problem::Changed { reason }),
                None => self.fail(index, None, Problem::Torn { offset: line.offset, bytes: line.bytes.len() as u64 }),
            });
        }
        let entry = match parse(line.bytes) {
            Ok(entry) => entry,
            Err(reason) => {
                self.pending.get_or_insert((index, reason));
                return Ok(());
            }
        };
        if let Some((first, reason)) = self.pending.take()
            && !self.records_torn(&entry, self.lines[first].offset, line.offset)
        {
            return Err(self.fail(first, None, Problem::Changed { reason }));
        }
        self.chain(index, &entry)?;
        self.kind(index, &entry)?;
        self.seen.insert(entry.hash.clone(), (index + 1, entry.seq));
        self.done.entries += 1;
        self.done.head = entry.hash;
        Ok(())
    }

    fn finish(mut self, head: Option<&str>) -> Result<Verified, Failure> {
        if let Some((first, reason)) = self.pending.take() {
            return Err(self.fail(first, None, Problem::Changed { reason }));
        }
        if let Some(head) = head {
            match self.seen.get(head) {
                Some((_, seq)) => self.done.head_found = Some(*seq),
                None => {
                    let after = self.lines.len();
                    return Err(self.fail(after, None, Problem::HeadMissing { head: head.to_owned() }));
                }
            }
        }
        Ok(self.done)
    }

    /// Whether `entry` is a `log_open` that records the bytes from `start` to `end` (the
    /// bytes a crash left, then the newline the writer added) as skipped.
    fn records_torn(&mut self, entry: &Parsed, start: u64, end: u64) -> bool {
        let Some(skipped) = entry.entry.get("previous").and_then(|p| p.get("skipped")) else { return false };
        let field = |name: &str| skipped.get(name).and_then(Value::as_u64);
        let (Some(offset), Some(length)) = (field("offset"), field("bytes")) else { return false };
        let recorded = skipped.get("sha256").and_then(Value::as_str);
        let region = &self.bytes[start as usize..end as usize];
        let matches = entry.kind == "log_open"
            && offset == start
            && length + 1 == end - start
            && region.last() == Some(&b'\n')
            && recorded == Some(sha256_hex(&region[..region.len() - 1]).as_str());
        if matches {
            self.done.torn.push((entry.seq, length));
        }
        matches
    }

    fn chain(&self, index: usize, entry: &Parsed) -> Result<(), Failure> {
        let expected = self.done.entries;
        if entry.seq == expected && entry.prev == self.done.head {
            return Ok(());
        }
        let problem = if let Some((of_line, _)) = self.seen.get(&entry.hash) {
            Problem::Duplicated { of_line: *of_line }
        } else if entry.seq > expected {
            if self.comes_later(index, expected) {
                Problem::Reordered { expected }
            } else {
                Problem::Deleted { from: expected, to: entry.seq - 1 }
            }
        } else if entry.seq < expected {
            Problem::Inserted { reason: format!("its seq {} was already taken", entry.seq) }
        } else {
            Problem::Inserted { reason: "its prev is not the hash of the entry before it".into() }
        };
        Err(self.fail(index, Some(entry.seq), problem))
    }

    /// Whether an intact entry with `seq` appears after line `index`.
    fn comes_later(&self, index: usize, seq: u64) -> bool {
        self.lines[index + 1..].iter().any(|line| parse(line.bytes).is_ok_and(|entry| entry.seq == seq))
    }

    /// The rules of each kind of entry the chain alone does not cover.
    fn kind(&mut self, index: usize, entry: &Parsed) -> Result<(), Failure> {
        let field = |name: &str| entry.entry.get(name).and_then(Value::as_str);
        if entry.seq == 0 && entry.kind != "log_open" {
            let reason = "the first entry is not a log_open".to_owned();
            return Err(self.fail(index, Some(0), Problem::Changed { reason }));
        }
        match entry.kind.as_str() {
            "log_open" => {
                let torn_recorded = entry.entry.get("previous").and_then(|p| p.get("skipped")).is_some();
                if torn_recorded && self.done.torn.last().is_none_or(|(seq, _)| *seq != entry.seq) {
                    let reason = "it records skipped bytes that are not before it".to_owned();
                    return Err(self.fail(index, Some(entry.seq), Problem::Changed { reason }));
                }
                self.key = field("public_key").map(str::to_owned);
            }
            "checkpoint" => self.checkpoint(index, entry)?,
            _ => {}
        }
        Ok(())
    }

    fn checkpoint(&mut self, index: usize, entry: &Parsed) -> Result<(), Failure> {
        let signed = entry.entry.get("signed");
        let signed_seq = signed.and_then(|s| s.get("seq")).and_then(Value::as_u64);
        let signed_hash = signed.and_then(|s| s.get("hash")).and_then(Value::as_str);
        let key = entry.entry.get("public_key").and_then(Value::as_str).unwrap_or_default();
        let signature = entry.entry.get("signature").and_then(Value::as_str).unwrap_or_default();
        let reason = if signed_seq != entry.seq.checked_sub(1) || signed_hash != Some(entry.prev.as_str()) {
            Some("it does not sign the entry before it".to_owned())
        } else if self.key.as_deref() != Some(key) {
            Some(format!(
                "signed with key {key}, not the key {} its log_open declared",
                self.key.as_deref().unwrap_or("(none)")
            ))
        } else {
            verify_signature(key, checkpoint_message(entry.seq - 1, &entry.prev).as_bytes(), signature).err()
        };
        if let Some(reason) = reason {
            return Err(self.fail(index, Some(entry.seq), Problem::Signature { reason }));
        }
        self.done.checkpoints += 1;
        self.done.last_signed = Some(entry.seq - 1);
        if !self.done.keys.iter().any(|k| k == key) {
            self.done.keys.push(key.to_owned());
        }
        Ok(())
    }

    fn fail(&self, index: usize, seq: Option<u64>, problem: Problem) -> Failure {
        Failure { line: index + 1, seq, problem, verified: Box::new(self.done.clone()) }
    }
}
