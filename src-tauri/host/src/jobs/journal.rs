//! The queue's store: a JSON Lines journal, one [`JobRecord`] per line, the last line of a key
//! being its state.
//!
//! * Each change is one line, written with one `write` and `fdatasync`ed before
//!   [`Journal::record`] returns: a job the host accepted is on disk before the sidecar hears of it.
//! * A crash can cut the last line short. Opening reads every complete line, skips what does not
//!   parse (naming it in the log), and rewrites the file with each key's last state: written to
//!   a temporary file, fsynced, renamed over the journal, the folder fsynced. So the file holds
//!   whole lines only, and it does not grow without bound: ended jobs past the newest
//!   [`KEEP_ENDED`] are dropped then, and the file is rewritten the same way when it holds
//!   many more lines than jobs.
//!
//! Why JSON Lines and not sqlite: a few hundred small records, written one at a time and read
//! whole once per start, need no queries or indexes; `serde_json` is already here, where
//! sqlite would bring a C library (and its build and licence notices) into the app; and a
//! technician can read the file.

use std::collections::HashMap;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::types::{DownloadStartParams, ErrorData};

/// Ended jobs (finished, failed, cancelled) the journal keeps, the newest.
pub const KEEP_ENDED: usize = 200;

/// One download the host submitted: what it asked for, and where it stands.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobRecord {
    /// The host's name for the job; also its `resume_key`, so its partial files are found again.
    pub key: String,
    /// As submitted (no progress token; the resume key is `key`).
    pub params: DownloadStartParams,
    pub state: JobState,
    /// The final absolute path, once finished.
    pub path: Option<String>,
    pub files: Vec<String>,
    pub error: Option<ErrorData>,
    /// How many times it was submitted to a sidecar (1, then one more per resumption).
    pub submissions: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JobState {
    /// Accepted, not yet (or not again) submitted to a running sidecar.
    Queued,
    /// Submitted to the sidecar now running.
    Running,
    /// The sidecar stopped under it and kept its partial files: submitted again at its next start.
    Interrupted,
    Finished,
    Failed,
    Cancelled,
}

impl JobState {
    /// Whether the job still has to run (it is submitted again when a sidecar starts).
    pub fn unfinished(self) -> bool {
        matches!(self, Self::Queued | Self::Running | Self::Interrupted)
    }
}

#[derive(Debug, thiserror::Error)]
#[error("the download journal {path}: {source}")]
pub struct JournalError {
    pub path: PathBuf,
    pub source: io::Error,
}

pub struct Journal {
    path: PathBuf,
    file: File,
    /// Keys in the order their jobs were first recorded.
    order: Vec<String>,
    records: HashMap<String, JobRecord>,
    lines: usize,
}

impl Journal {
    /// Open (or create) the journal at `path`, reading every job it holds.
    pub fn open(path: &Path) -> Result<Self, JournalError> {
        let fail = |source| JournalError { path: path.to_owned(), source };
        if let Some(folder) = path.parent() {
            fs::create_dir_all(folder).map_err(fail)?;
        }
        let text = match fs::read(path) {
            Ok(bytes) => bytes,
            Err(error) if error.kind() == io::ErrorKind::NotFound => Vec::new(),
            Err(error) => return Err(fail(error)),
        };
        let (order, records) = read(path, &text);
        let mut journal = Self {
            path: path.to_owned(),
            file: rewrite(path, &order, &records).map_err(fail)?,
            order,
            records,
            lines: 0,
        };
        journal.lines = journal.order.len();
        Ok(journal)
    }

    /// Every job, oldest first.
    pub fn records(&self) -> Vec<JobRecord> {
        self.order.iter().filter_map(|key| self.records.get(key)).cloned().collect()
    }

    pub fn get(&self, key: &str) -> Option<&JobRecord> {
        self.records.get(key)
    }

    /// Write `record` as its job's state; on disk when this returns.
    pub fn record(&mut self, record: &JobRecord) -> Result<(), JournalError> {
        let fail = |source| JournalError { path: self.path.clone(), source };
        let mut line = serde_json::to_vec(record).map_err(|error| fail(io::Error::other(error)))?;
        line.push(b'\n');
        self.file.write_all(&line).and_then(|()| self.file.sync_data()).map_err(fail)?;
        if !self.records.contains_key(&record.key) {
            self.order.push(record.key.clone());
        }
        self.records.insert(record.key.clone(), record.clone());
        self.lines += 1;
        if self.lines > 4 * self.records.len() + 64 {
            self.compact()?;
        }
        Ok(())
    }

    fn compact(&mut self) -> Result<(), JournalError> {
        forget_old(&mut self.order, &mut self.records);
        self.file = rewrite(&self.path, &self.order, &self.records)
            .map_err(|source| JournalError { path: self.path.clone(), source })?;
        self.lines = self.order.len();
        Ok(())
    }
}

/// The jobs of a journal's complete lines, each at its last state, oldest first.
fn read(path: &Path, text: &[u8]) -> (Vec<String>, HashMap<String, JobRecord>) {
    let mut order = Vec::new();
    let mut records = HashMap::new();
    let complete = text.iter().rposition(|byte| *byte == b'\n').map_or(0, |end| end + 1);
    if complete < text.len() {
        tracing::warn!(path = %path.display(), bytes = text.len() - complete, "the download journal ends in a line cut short (a crash while writing); dropped");
    }
    for (number, line) in text[..complete].split(|byte| *byte == b'\n').enumerate() {
        if line.is_empty() {
            continue;
        }
        match serde_json::from_slice::<JobRecord>(line) {
            Ok(record) => {
                if !records.contains_key(&record.key) {
                    order.push(record.key.clone());
                }
                records.insert(record.key.clone(), record);
            }
            Err(error) => {
                tracing::warn!(path = %path.display(), line = number + 1, %error, "an unreadable line in the download journal; skipped")
            }
        }
    }
    forget_old(&mut order, &mut records);
    (order, records)
}

fn forget_old(order: &mut Vec<String>, records: &mut HashMap<String, JobRecord>) {
    let ended: Vec<&String> =
        order.iter().filter(|key| records.get(*key).is_some_and(|r| !r.state.unfinished())).collect();
    let excess = ended.len().saturating_sub(KEEP_ENDED);
    let dropped: Vec<String> = ended.into_iter().take(excess).cloned().collect();
    for key in &dropped {
        records.remove(key);
    }
    order.retain(|key| records.contains_key(key));
}

/// Replace the journal with one line per job, atomically; the file, open for appending.
fn rewrite(path: &Path, order: &[String], records: &HashMap<String, JobRecord>) -> io::Result<File> {
    let temporary = path.with_extension("jsonl.tmp");
    let mut text = Vec::new();
    for record in order.iter().filter_map(|key| records.get(key)) {
        serde_json::to_writer(&mut text, record).map_err(io::Error::other)?;
        text.push(b'\n');
    }
    {
        let mut file = File::create(&temporary)?;
        file.write_all(&text)?;
        file.sync_all()?;
    }
    fs::rename(&temporary, path)?;
    if let Some(folder) = path.parent() {
        sync_folder(folder)?;
    }
    OpenOptions::new().append(true).open(path)
}

#[cfg(unix)]
fn sync_folder(folder: &Path) -> io::Result<()> {
    File::open(folder)?.sync_all()
}

#[cfg(not(unix))]
fn sync_folder(_folder: &Path) -> io::Result<()> {
    Ok(()) // Windows cannot open a folder as a file; its rename is durable with the file's flush
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let folder = std::env::temp_dir().join(format!("sidecar-journal-{}-{name}", std::process::id()));
        let _ = fs::remove_dir_all(&folder);
        folder.join("downloads.jsonl")
    }

    fn job(key: &str, state: JobState) -> JobRecord {
        let params = serde_json::from_value(
            serde_json::json!({"url": format!("https://example.org/{key}.mp4"), "resume_key": key}),
        )
        .expect("valid params");
        JobRecord { key: key.into(), params, state, path: None, files: Vec::new(), error: None, submissions: 1 }
    }

    #[test]
    fn each_job_reopens_at_its_last_state_in_the_order_jobs_were_first_recorded() {
        let path = scratch("reopen");
        let mut journal = Journal::open(&path).expect("created");
        journal.record(&job("a", JobState::Queued)).unwrap();
        journal.record(&job("b", JobState::Running)).unwrap();
        let mut done = job("a", JobState::Finished);
        done.path = Some("/downloads/a.mp4".into());
        journal.record(&done).unwrap();
        drop(journal);
        let journal = Journal::open(&path).expect("reopened");
        assert_eq!(journal.records(), vec![done, job("b", JobState::Running)]);
        // Rewritten at open: one line per job.
        assert_eq!(fs::read_to_string(&path).unwrap().lines().count(), 2);
    }

    #[test]
    fn a_last_line_cut_short_anywhere_leaves_the_states_before_it_and_whole_lines() {
        let path = scratch("torn");
        let mut journal = Journal::open(&path).expect("created");
        journal.record(&job("a", JobState::Running)).unwrap();
        drop(journal);
        let whole = fs::read(&path).unwrap();
        let last = serde_json::to_vec(&job("a", JobState::Finished)).unwrap();
        for cut in 0..=last.len() {
            let mut text = whole.clone();
            text.extend_from_slice(&last[..cut]); // a crash while the line was written: no newline yet
            fs::write(&path, &text).unwrap();
            let journal = Journal::open(&path).expect("opened");
            assert_eq!(journal.records(), vec![job("a", JobState::Running)], "cut after {cut} bytes");
            assert_eq!(fs::read(&path).unwrap(), whole, "cut after {cut} bytes: rewritten whole");
        }
    }

    #[test]
    fn an_unreadable_line_is_skipped_and_the_others_kept() {
        let path = scratch("garbage");
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        let mut text = serde_json::to_vec(&job("a", JobState::Queued)).unwrap();
        text.extend_from_slice(b"\n{\"key\": 7}\nnot json\n");
        text.extend(serde_json::to_vec(&job("b", JobState::Queued)).unwrap());
        text.push(b'\n');
        fs::write(&path, text).unwrap();
        let journal = Journal::open(&path).expect("opened");
        assert_eq!(journal.records(), vec![job("a", JobState::Queued), job("b", JobState::Queued)]);
    }

    #[test]
    fn ended_jobs_past_the_newest_are_dropped_and_unfinished_ones_always_kept() {
        let path = scratch("bounded");
        let mut journal = Journal::open(&path).expect("created");
        journal.record(&job("waiting", JobState::Interrupted)).unwrap();
        for index in 0..KEEP_ENDED + 50 {
            journal.record(&job(&format!("done-{index}"), JobState::Finished)).unwrap();
        }
        drop(journal);
        let records = Journal::open(&path).expect("reopened").records();
        assert_eq!(records.len(), KEEP_ENDED + 1);
        assert_eq!(records[0], job("waiting", JobState::Interrupted));
        assert_eq!(records[1].key, "done-50");
        assert_eq!(records[KEEP_ENDED].key, format!("done-{}", KEEP_ENDED + 49));
    }

    #[test]
    fn a_job_recorded_many_times_keeps_the_file_small() {
        let path = scratch("compact");
        let mut journal = Journal::open(&path).expect("created");
        for _ in 0..1_000 {
            journal.record(&job("a", JobState::Running)).unwrap();
        }
        assert!(fs::read_to_string(&path).unwrap().lines().count() <= 4 + 64 + 1);
        assert_eq!(journal.records(), vec![job("a", JobState::Running)]);
    }
}
