//! The app's downloads: the host's durable queue ([`sidecar_host::jobs`]), its journal at
//! `<data dir>/downloads.jsonl`. The download commands go through it, so that a download the
//! sidecar had not finished when it crashed, or when the app closed, is submitted again (its
//! partial file resumed) once a sidecar runs again. A job is known to the UI by the queue's key,
//! which stays the same across those submissions; its progress goes out as `sidecar:progress`
//! events under that key.

use std::path::Path;
use std::sync::{Arc, OnceLock};

use sidecar_host::jobs::{DownloadQueue, JournalError, QueueError};
use sidecar_host::{CallError, Client, State};
use tauri::{AppHandle, Manager};
use tokio::sync::watch;

use crate::error::CommandError;
use crate::progress::{self, Operation};
use crate::sidecar::Sidecar;

#[derive(Default)]
pub struct Downloads {
    queue: OnceLock<DownloadQueue>,
}

impl Downloads {
    /// Open the journal (at startup, before the sidecar starts).
    pub fn open(&self, app: &AppHandle, data_dir: &Path, downloads_root: &Path) -> Result<(), CommandError> {
        let events = app.clone();
        let observer = Arc::new(move |key: &str, value: &sidecar_host::types::ProgressValue| {
            progress::emit(&events, Operation::Download, key, value);
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

    /// Submit the unfinished downloads again each time the sidecar is (again) running.
    pub fn resume_whenever_running(&self, app: &AppHandle, states: watch::Receiver<State>) {
        let Some(queue) = self.queue.get().cloned() else { return };
        let app = app.clone();
        tauri::async_runtime::spawn(async move {
            let client = || -> Result<Client, CallError> { app.state::<Sidecar>().running_client() };
            queue.resume_whenever_running(states, client).await;
        });
    }
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
