//! The durable download queue: every download the host submits is in the [`Journal`] before the
//! sidecar hears of it, and what the sidecar had not finished when it went away (a crash and
//! the supervisor's restart, the app closing) is submitted again when a sidecar runs again.
//!
//! * Each job has a key of the host's making, given to the sidecar as its `resume_key`: the
//!   sidecar keeps the job's partial files under it when it stops during the job, and the job
//!   submitted again with the same key resumes them (a Range request, where the server takes one).
//! * The job's `$/progress` is followed until its `end`, which says how it ended (finished with
//!   its path, failed, cancelled; interrupted, when the sidecar stopped under it and kept its
//!   partial files). Every value also goes to the [`Observer`] (the app's UI), keyed by the job's
//!   key, which stays the same across submissions.
//! * A connection that ends without the job's `end` (the sidecar crashed, or was killed with
//!   the app) leaves the job running in the journal: it is submitted again at the next start.
//! * The sidecar is stateless about all this: it knows a job only for as long as it runs it.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use futures::FutureExt;
use serde_json::json;
use tokio::sync::watch;

use super::journal::{JobRecord, JobState, Journal, JournalError};
use crate::client::{CallError, Client, ProgressStream};
use crate::jsonrpc::RpcError;
use crate::supervisor::State;
use crate::types::{
    DownloadCancelParams, DownloadJob, DownloadListResult, DownloadProgress, DownloadStartParams, DownloadStartResult,
    ErrorData, JobStatus, ProgressDetail, ProgressValue, ProgressValueKind,
};

/// Receives every progress value of every job, with the job's key (from the reader's task: be quick).
pub type Observer = Arc<dyn Fn(&str, &ProgressValue) + Send + Sync>;

#[derive(Debug, thiserror::Error)]
pub enum QueueError {
    #[error(transparent)]
    Journal(#[from] JournalError),
    #[error(transparent)]
    Call(#[from] CallError),
    #[error("no download {0:?} in this app's queue")]
    Unknown(String),
}

/// Cheap to clone; every clone is the same queue.
#[derive(Clone)]
pub struct DownloadQueue {
    inner: Arc<Inner>,
}

struct Inner {
    journal: Mutex<Journal>,
    /// The jobs submitted to a sidecar: its job id, and the connection it runs on.
    live: Mutex<HashMap<String, Live>>,
    downloads_root: PathBuf,
    observer: Observer,
    /// One submission at a time: a job being submitted is in the journal before the sidecar has
    /// it, and a resubmission must not take it for one that is waiting.
    submitting: tokio::sync::Mutex<()>,
}

struct Live {
    job_id: String,
    client: Client,
}

impl DownloadQueue {
    /// The queue whose journal is at `journal` (created if missing); relative output folders are
    /// under `downloads_root` (the policy's downloads root).
    pub fn open(journal: &Path, downloads_root: &Path, observer: Observer) -> Result<Self, JournalError> {
        let journal = Journal::open(journal)?;
        Ok(Self {
            inner: Arc::new(Inner {
                journal: Mutex::new(journal),
                live: Mutex::default(),
                downloads_root: downloads_root.to_owned(),
                observer,
                submitting: tokio::sync::Mutex::new(()),
            }),
        })
    }

    /// Every job the journal holds, oldest first.
    pub fn records(&self) -> Vec<JobRecord> {
        lock(&self.inner.journal).records()
    }

    /// Record a download and submit it. Its `job_id` in the answer (and in the observer's key,
    /// [`Self::list`] and [`Self::cancel`]) is the queue's key. A sidecar that is not there now
    /// gets it when it runs again (the answer says `queued`); one that refuses it fails it.
    pub async fn submit(
        &self,
        client: &Client,
        mut params: DownloadStartParams,
    ) -> Result<DownloadStartResult, QueueError> {
        let key = new_key()?;
        params.progress_token = None;
        params.resume_key = Some(
            key.parse()
                .map_err(|_| CallError::Encode { method: "download/start".into(), reason: "resume key".into() })?,
        );
        let record = JobRecord {
            key: key.clone(),
            params,
            state: JobState::Queued,
            path: None,
            files: Vec::new(),
            error: None,
            submissions: 0,
        };
        let _one_at_a_time = self.inner.submitting.lock().await;
        self.inner.write(&record)?;
        match self.send(client, record).await {
            Ok(started) => Ok(started),
            Err(QueueError::Call(CallError::Rpc(error))) => {
                self.inner.update(&key, |record| {
                    record.state = JobState::Failed;
                    record.error = Some(error_data(&error));
                })?;
                Err(CallError::Rpc(error).into())
            }
            Err(QueueError::Call(error)) => {
                tracing::info!(%key, %error, "download queued until the sidecar runs again");
                Ok(DownloadStartResult { job_id: key, status: JobStatus::Queued })
            }
            Err(error) => Err(error),
        }
    }

    /// Submit again every unfinished job that is not running on `client`'s connection (after a
    /// start or a restart: none is); how many were submitted. Stops at the first job the
    /// sidecar could not take because it is gone again (the next start resumes the rest).
    pub async fn resume(&self, client: &Client) -> Result<usize, QueueError> {
        let _one_at_a_time = self.inner.submitting.lock().await;
        let waiting: Vec<JobRecord> = self
            .records()
            .into_iter()
            .filter(|record| record.state.unfinished() && !self.inner.is_live(&record.key))
            .collect();
        let mut submitted = 0;
        for record in waiting {
            let key = record.key.clone();
            match self.send(client, record).await {
                Ok(_) => submitted += 1,
                Err(QueueError::Call(CallError::Rpc(error))) => {
                    tracing::warn!(%key, %error, "the sidecar refused a download submitted again; it has failed");
                    self.inner.update(&key, |record| {
                        record.state = JobState::Failed;
                        record.error = Some(error_data(&error));
                    })?;
                }
                Err(QueueError::Call(error)) => {
                    tracing::info!(%error, "the sidecar went away while downloads were submitted again; the next start goes on");
                    break;
                }
                Err(error) => return Err(error),
            }
        }
        if submitted > 0 {
            tracing::info!(submitted, "unfinished downloads submitted again");
        }
        Ok(submitted)
    }

    /// Resume the unfinished jobs whenever the sidecar is (again) running: now if it is, and
    /// after every restart. Runs until `states` ends (the supervisor is gone).
    pub async fn resume_whenever_running(
        &self,
        mut states: watch::Receiver<State>,
        client: impl Fn() -> Result<Client, CallError>,
    ) {
        loop {
            let running = matches!(*states.borrow_and_update(), State::Running { .. });
            if running
                && let Ok(client) = client()
                && let Err(error) = self.resume(&client).await
            {
                tracing::error!(%error, "cannot resume the unfinished downloads");
            }
            if states.changed().await.is_err() {
                return;
            }
        }
    }

    /// Cancel a job: through the sidecar that runs it (which removes its partial files), or in
    /// the journal alone when no sidecar runs it now (it is then not submitted again).
    pub async fn cancel(&self, client: &Client, key: &str) -> Result<DownloadJob, QueueError> {
        let running = lock(&self.inner.live).get(key).map(|live| live.job_id.clone());
        if let Some(job_id) = running.filter(|_| self.inner.is_live(key)) {
            let params = DownloadCancelParams {
                job_id: job_id
                    .parse()
                    .map_err(|_| CallError::Encode { method: "download/cancel".into(), reason: "job id".into() })?,
            };
            let mut job = client.download_cancel(params).await?;
            self.inner.ended(key, &job_status(job.status), job.path.clone(), job.files.clone(), job.error.clone())?;
            job.job_id = key.to_owned();
            return Ok(job);
        }
        let record = self.inner.update(key, |record| {
            if record.state.unfinished() {
                record.state = JobState::Cancelled;
            }
        })?;
        Ok(self.inner.synthesized(&record))
    }

    /// The sidecar's jobs (those of this queue under their keys) and the queue's other jobs:
    /// those waiting for a sidecar, and those that ended under an earlier one.
    pub async fn list(&self, client: &Client) -> Result<DownloadListResult, QueueError> {
        let listed = client.download_list().await?;
        let records = self.records();
        let ours: HashSet<&str> = records.iter().map(|record| record.key.as_str()).collect();
        let mut shown = HashSet::new();
        let mut current = Vec::with_capacity(listed.jobs.len());
        for mut job in listed.jobs {
            if let Some(key) = job.resume_key.clone().filter(|key| ours.contains(key.as_str())) {
                job.job_id = key.clone();
                shown.insert(key);
            }
            current.push(job);
        }
        let mut jobs: Vec<DownloadJob> = records
            .iter()
            .filter(|record| !shown.contains(&record.key))
            .map(|record| self.inner.synthesized(record))
            .collect();
        jobs.extend(current);
        Ok(DownloadListResult { jobs, omitted: listed.omitted })
    }

    async fn send(&self, client: &Client, mut record: JobRecord) -> Result<DownloadStartResult, QueueError> {
        let (token, stream) = client.progress_channel();
        let mut params = record.params.clone();
        params.progress_token = Some(token.into());
        let started = client.download_start(params).await?;
        record.state = JobState::Running;
        record.submissions += 1;
        // Recorded before the job's progress is followed, so that its end is written after.
        self.inner.write(&record)?;
        lock(&self.inner.live)
            .insert(record.key.clone(), Live { job_id: started.job_id.clone(), client: client.clone() });
        tokio::spawn(follow(Arc::clone(&self.inner), record.key.clone(), started.job_id, stream));
        Ok(DownloadStartResult { job_id: record.key, status: started.status })
    }
}

/// A job's progress until its `end` (recorded) or the connection's (the job stays unfinished).
async fn follow(inner: Arc<Inner>, key: String, job_id: String, mut progress: ProgressStream) {
    while let Some(value) = progress.recv().await {
        (inner.observer)(&key, &value);
        if value.kind == ProgressValueKind::End
            && let Err(error) = inner.ended_by(&key, value.detail.as_ref())
        {
            tracing::error!(%key, %error, "cannot record how a download ended");
        }
    }
    let mut live = lock(&inner.live);
    if live.get(&key).is_some_and(|entry| entry.job_id == job_id) {
        live.remove(&key);
    }
}

impl Inner {
    fn write(&self, record: &JobRecord) -> Result<(), JournalError> {
        lock(&self.journal).record(record)
    }

    fn update(&self, key: &str, change: impl FnOnce(&mut JobRecord)) -> Result<JobRecord, QueueError> {
        let mut journal = lock(&self.journal);
        let mut record = journal.get(key).cloned().ok_or_else(|| QueueError::Unknown(key.to_owned()))?;
        change(&mut record);
        journal.record(&record)?;
        Ok(record)
    }

    /// Whether `key` runs on a connection that is still open.
    fn is_live(&self, key: &str) -> bool {
        lock(&self.live).get(key).is_some_and(|live| live.client.closed().now_or_never().is_none())
    }

    /// The `end` of a job's progress: its `detail` is the job in its final state (see docs/DOWNLOADS.md).
    fn ended_by(&self, key: &str, detail: Option<&ProgressDetail>) -> Result<(), QueueError> {
        let Some(ProgressDetail::DownloadStartProgress(job)) = detail else {
            return Ok(()); // no final state given (the job's end was cut to fit the frame limit)
        };
        self.ended(key, &job_status(job.status), job.path.clone(), job.files.clone(), job.error.clone())
    }

    fn ended(
        &self,
        key: &str,
        status: &str,
        path: Option<String>,
        files: Vec<String>,
        error: Option<ErrorData>,
    ) -> Result<(), QueueError> {
        let state = match status {
            "finished" => JobState::Finished,
            "failed" => JobState::Failed,
            "cancelled" => JobState::Cancelled,
            "interrupted" => JobState::Interrupted,
            _ => return Ok(()), // not ended (a cancel answered by a job that had already gone on)
        };
        match self.update(key, |record| {
            record.state = state;
            record.path = path.or_else(|| files.last().cloned());
            record.files = files;
            record.error = error;
        }) {
            Err(QueueError::Unknown(_)) => Ok(()), // forgotten meanwhile (the journal keeps the newest ended jobs)
            other => other.map(|_| ()),
        }
    }

    /// A job as `download/list` shows one, from what the journal knows of it (the figures of a
    /// download that is not running are unknown: null).
    fn synthesized(&self, record: &JobRecord) -> DownloadJob {
        let status = match record.state {
            JobState::Queued | JobState::Running | JobState::Interrupted => JobStatus::Queued,
            JobState::Finished => JobStatus::Finished,
            JobState::Failed => JobStatus::Failed,
            JobState::Cancelled => JobStatus::Cancelled,
        };
        let output_dir = match &record.params.output_dir {
            Some(dir) => self.downloads_root.join(dir.as_str()),
            None => self.downloads_root.clone(),
        };
        DownloadJob {
            job_id: record.key.clone(),
            url: record.params.url.to_string(),
            preset: record.params.preset.to_string(),
            status,
            output_dir: output_dir.display().to_string(),
            progress_token: None,
            path: record.path.clone(),
            resume_key: Some(record.key.clone()),
            progress: DownloadProgress {
                stage: None,
                filename: None,
                path: None,
                downloaded_bytes: None,
                total_bytes: None,
                total_is_estimate: false,
                percent: None,
                speed: None,
                eta: None,
                playlist_index: None,
                playlist_count: None,
            },
            files: record.files.clone(),
            warnings: Vec::new(),
            error: record.error.clone(),
        }
    }
}

fn job_status(status: JobStatus) -> String {
    status.to_string()
}

fn error_data(error: &RpcError) -> ErrorData {
    let value = json!({"kind": error.kind, "message": error.message, "suggestion": error.suggestion, "retryable": error.retryable});
    serde_json::from_value(value).unwrap_or_else(|_| unreachable!("an RpcError is an ErrorData"))
}

/// A fresh key: `dl-` and 16 random hex digits (a valid `resume_key`).
fn new_key() -> Result<String, QueueError> {
    let mut bytes = [0u8; 8];
    getrandom::fill(&mut bytes).map_err(|error| CallError::Encode {
        method: "download/start".into(),
        reason: format!("no randomness: {error}"),
    })?;
    Ok(format!("dl-{}", hex::encode(bytes)))
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}
