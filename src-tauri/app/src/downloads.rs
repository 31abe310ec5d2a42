//! The app's downloads: the host's durable queue ([`sidecar_host::jobs`]), its journal at
//! `<data dir>/downloads.jsonl`. The download commands go through it, so that a download the
//! sidecar had not finished when it crashed, or when the app closed, is submitted again (its
//! partial file resumed) once a sidecar runs again. A job is known to the page by the queue's key,
//! which stays the same across those submissions.
//!
//! A job's progress goes to the channel the page gave for it (`download_start`, or
//! `download_follow` for a job it found in the list). A channel given after the job has
//! reported gets its latest report at once, so a page that learns a job's key from the start's
//! answer misses nothing (an `end` included) of what came before.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError};

use sidecar_host::jobs::{DownloadQueue, JournalError, QueueError};
use sidecar_host::types::ProgressValue;
use sidecar_host::{CallError, Client, State};
use tokio::sync::watch;

use crate::error::CommandError;
use crate::progress::{self, Progress};

#[derive(Default)]
pub struct Downloads {
    queue: OnceLock<DownloadQueue>,
    followers: Arc<Mutex<Followers>>,
}

/// Per job key: the page's channel, and the latest report for a channel that comes later.
#[derive(Default)]
struct Followers {
    channels: HashMap<String, Progress>,
    latest: HashMap<String, ProgressValue>,
}

impl Downloads {
    /// Open the journal (at startup, before the sidecar starts).
    pub fn open(&self, data_dir: &Path, downloads_root: &Path) -> Result<(), CommandError> {
        let followers = Arc::clone(&self.followers);
        let observer = Arc::new(move |key: &str, value: &ProgressValue| {
            let mut followers = lock(&followers);
            if let Some(channel) = followers.channels.get(key) {
                progress::send(channel, value);
            }
            followers.latest.insert(key.to_owned(), value.clone());
        });
        let queue =
            DownloadQueue::open(&data_dir.join("downloads.jsonl"), downloads_root, observer).map_err(journal_error)?;
        // A second open (a start after a failed one) keeps the first queue: the same journal.
        let _ = self.queue.set(queue);
        Ok(())
    }

    pub fn queue(&self) -> Result<&DownloadQueue, CommandError> {
        self.queue.get().ok_or_else(|| {
            CommandError::new(
                "sidecar_unavailable",
                "the app has not started its downloads",
                "Wait for the app to start.",
                true,
            )
        })
    }

    /// Send the progress of the job `key` to `channel` from now on (its latest report at once),
    /// instead of to the channel given before.
    pub fn follow(&self, key: &str, channel: Progress) {
        let mut followers = lock(&self.followers);
        if let Some(latest) = followers.latest.get(key) {
            progress::send(&channel, latest);
        }
        followers.channels.insert(key.to_owned(), channel);
    }

    /// Submit the unfinished downloads again each time the sidecar is (again) running, through
    /// the connection `client` gives at that moment.
    pub fn resume_whenever_running(
        &self,
        states: watch::Receiver<State>,
        client: impl Fn() -> Result<Client, CallError> + Send + 'static,
    ) {
        let Some(queue) = self.queue.get().cloned() else { return };
        tauri::async_runtime::spawn(async move { queue.resume_whenever_running(states, client).await });
    }
}

fn lock(followers: &Mutex<Followers>) -> MutexGuard<'_, Followers> {
    followers.lock().unwrap_or_else(PoisonError::into_inner)
}

pub fn queue_error(error: QueueError) -> CommandError {
    match error {
        QueueError::Call(error) => error.into(),
        QueueError::Journal(error) => journal_error(error),
        QueueError::Unknown(key) => CommandError::new(
            "invalid_target",
            format!("no download {key:?} in this app's queue"),
            "Refresh the downloads list.",
            false,
        ),
    }
}

fn journal_error(error: JournalError) -> CommandError {
    CommandError::new(
        "io_error",
        error.to_string(),
        "Check that the app's data folder is writable and has free space, then restart the app.",
        false,
    )
}
