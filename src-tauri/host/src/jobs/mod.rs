//! The host's durable download queue (docs/DOWNLOADS.md, "Resuming"): the jobs it submitted,
//! recorded in a journal under the app's data folder ([`journal`]), and submitted again, their
//! partial files resumed, after a sidecar restart or an app restart ([`queue`]).

mod journal;
mod queue;

pub use journal::{JobRecord, JobState, Journal, JournalError, KEEP_ENDED};
pub use queue::{DownloadQueue, Observer, QueueError};
