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
use sidecar_host::types::{DownloadStartProgress, ProgressValue};
use sidecar_host::{CallError, Client, State};
use tauri::ipc::Channel;
use tokio::sync::watch;

use crate::error::CommandError;
use crate::progress::{self, Progress};

/// Where a download's progress goes: the page's channel for it.
pub type Follower = Channel<Progress<DownloadStartProgress>>;

#[derive(Default)]
pub struct Downloads {
    queue: OnceLock<DownloadQueue>,
    followers: Arc<Mutex<Followers>>,
}

/// Per job key: the page's channel, and the latest report for a channel that comes later.
#[derive(Default)]
struct Followers {
    channels: HashMap<String, Follower>,
    latest: HashMap<String, ProgressValue>,
}

impl Downloads {
    /// Open the journal (at startup, before the sidecar starts).
    pub fn open(&self, data_dir: &Path, downloads_root: &Path) -> Result<(), CommandError> {
        let followers = Arc::clone(&self.followers);
        let observer = Arc::new(move |key: &str, value: &ProgressValue| lock(&followers).report(key, value));
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
    pub fn follow(&self, key: &str, channel: Follower) {
        lock(&self.followers).follow(key, channel);
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

impl Followers {
    fn report(&mut self, key: &str, value: &ProgressValue) {
        if let Some(channel) = self.channels.get(key) {
            progress::send(channel, value);
        }
        self.latest.insert(key.to_owned(), value.clone());
    }

    fn follow(&mut self, key: &str, channel: Follower) {
        if let Some(latest) = self.latest.get(key) {
            progress::send(&channel, latest);
        }
        self.channels.insert(key.to_owned(), channel);
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

#[cfg(test)]
mod tests {
    use tauri::ipc::InvokeResponseBody;

    use super::*;

    /// A channel as the page would hold one: the messages it received, as JSON.
    fn page_channel() -> (Follower, Arc<Mutex<Vec<String>>>) {
        let received = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&received);
        let channel = Channel::new(move |body| {
            if let InvokeResponseBody::Json(json) = body {
                sink.lock().unwrap().push(json);
            }
            Ok(())
        });
        (channel, received)
    }

    fn report(message: &str) -> ProgressValue {
        serde_json::from_value(serde_json::json!({"kind": "report", "message": message})).unwrap()
    }

    fn messages(received: &Mutex<Vec<String>>) -> Vec<String> {
        let received = received.lock().unwrap();
        received
            .iter()
            .map(|json| serde_json::from_str::<serde_json::Value>(json).unwrap()["message"].to_string())
            .collect()
    }

    #[test]
    fn a_channel_given_after_a_job_reported_gets_its_latest_report_then_the_rest() {
        let mut followers = Followers::default();
        followers.report("job-1", &report("10%"));
        followers.report("job-1", &report("20%"));
        let (channel, received) = page_channel();
        followers.follow("job-1", channel);
        followers.report("job-1", &report("30%"));
        assert_eq!(messages(&received), [r#""20%""#, r#""30%""#]);
    }

    #[test]
    fn each_job_reports_only_to_its_own_channel_and_a_new_channel_replaces_the_old() {
        let mut followers = Followers::default();
        let (first, first_received) = page_channel();
        let (other, other_received) = page_channel();
        followers.follow("job-1", first);
        followers.follow("job-2", other);
        followers.report("job-1", &report("a"));
        let (second, second_received) = page_channel();
        followers.follow("job-1", second);
        followers.report("job-1", &report("b"));
        assert_eq!(messages(&first_received), [r#""a""#]);
        assert_eq!(messages(&second_received), [r#""a""#, r#""b""#]);
        assert!(messages(&other_received).is_empty());
    }
}
