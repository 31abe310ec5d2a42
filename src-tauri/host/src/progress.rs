//! The updates of one progress token waiting for their reader, bounded: the connection's reader
//! must never wait for a slow consumer, and a sidecar may send progress faster than anyone
//! reads it, so what waits is coalesced instead of queued without end.
//!
//! Progress is coalescible, as the sidecar itself treats it (latest wins): a `report` replaces
//! a `report` still waiting behind the others, and once [`CAPACITY`] updates wait, any update
//! replaces the newest waiting one. `end` is never dropped nor replaced: it is always queued
//! (so at most `CAPACITY + 1` updates wait), and nothing is accepted after it.

use std::collections::VecDeque;
use std::sync::{Mutex, MutexGuard, PoisonError};

use tokio::sync::Notify;

use crate::types::{ProgressValue, ProgressValueKind};

/// Updates that may wait for the reader besides `end`. A well-behaved sidecar never needs more
/// than three (`begin`, the latest `report`, `end`).
pub const CAPACITY: usize = 8;

/// One token's waiting updates; the client posts, one [`crate::ProgressStream`] receives.
#[derive(Debug, Default)]
pub(crate) struct Mailbox {
    inbox: Mutex<Inbox>,
    posted: Notify,
}

#[derive(Debug, Default)]
struct Inbox {
    waiting: VecDeque<ProgressValue>,
    /// `end` was posted, or the route to this mailbox is gone: the stream ends once drained.
    closed: bool,
}

impl Mailbox {
    /// Queue or coalesce `value`; never waits. After `end` or [`Self::close`], a no-op.
    pub(crate) fn post(&self, value: ProgressValue) {
        let mut inbox = self.lock();
        if inbox.closed {
            return;
        }
        let end = value.kind == ProgressValueKind::End;
        let full = inbox.waiting.len() >= CAPACITY;
        let replaces =
            !end && inbox.waiting.back().is_some_and(|newest| full || (is_report(newest) && is_report(&value)));
        if replaces {
            inbox.waiting.pop_back();
        }
        inbox.waiting.push_back(value);
        inbox.closed = end;
        drop(inbox);
        self.posted.notify_one();
    }

    /// No more updates: the stream ends once what waits has been received.
    pub(crate) fn close(&self) {
        self.lock().closed = true;
        self.posted.notify_one();
    }

    /// The oldest waiting update; `None` once the mailbox is closed and empty.
    pub(crate) async fn recv(&self) -> Option<ProgressValue> {
        loop {
            {
                let mut inbox = self.lock();
                if let Some(value) = inbox.waiting.pop_front() {
                    return Some(value);
                }
                if inbox.closed {
                    return None;
                }
            }
            // One receiver: a post between the check and this wait leaves a permit, not a miss.
            self.posted.notified().await;
        }
    }

    /// The oldest waiting update, if one is there now.
    pub(crate) fn try_recv(&self) -> Option<ProgressValue> {
        self.lock().waiting.pop_front()
    }

    /// How many updates wait.
    pub(crate) fn waiting(&self) -> usize {
        self.lock().waiting.len()
    }

    fn lock(&self) -> MutexGuard<'_, Inbox> {
        self.inbox.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

fn is_report(value: &ProgressValue) -> bool {
    value.kind == ProgressValueKind::Report
}

#[cfg(test)]
mod tests {
    use super::*;

    fn update(kind: ProgressValueKind, percentage: f64) -> ProgressValue {
        ProgressValue { kind, percentage: Some(percentage), title: None, message: None, detail: None }
    }

    fn drain(mailbox: &Mailbox) -> Vec<(ProgressValueKind, f64)> {
        std::iter::from_fn(|| mailbox.try_recv()).map(|v| (v.kind, v.percentage.unwrap_or(-1.0))).collect()
    }

    use ProgressValueKind::{Begin, End, Report};

    #[test]
    fn reports_nobody_read_yet_collapse_to_the_latest() {
        let mailbox = Mailbox::default();
        mailbox.post(update(Begin, 0.0));
        for i in 1..=100_000 {
            mailbox.post(update(Report, f64::from(i)));
            assert!(mailbox.waiting() <= 2);
        }
        mailbox.post(update(End, 100.0));
        assert_eq!(drain(&mailbox), [(Begin, 0.0), (Report, 100_000.0), (End, 100.0)]);
    }

    #[test]
    fn past_the_capacity_the_newest_waiting_update_is_replaced_and_end_is_kept() {
        let mailbox = Mailbox::default();
        // Begins do not coalesce with each other; only the capacity bounds them.
        for i in 0..1000 {
            mailbox.post(update(Begin, f64::from(i)));
            assert!(mailbox.waiting() <= CAPACITY);
        }
        mailbox.post(update(End, 100.0));
        assert_eq!(mailbox.waiting(), CAPACITY + 1, "end is queued even when the mailbox is full");
        let received = drain(&mailbox);
        assert_eq!(received[CAPACITY - 1], (Begin, 999.0), "latest wins");
        assert_eq!(received[CAPACITY], (End, 100.0));
    }

    #[test]
    fn nothing_is_accepted_after_end_or_close() {
        let mailbox = Mailbox::default();
        mailbox.post(update(End, 1.0));
        mailbox.post(update(Report, 2.0));
        assert_eq!(drain(&mailbox), [(End, 1.0)]);
        let closed = Mailbox::default();
        closed.close();
        closed.post(update(Begin, 0.0));
        assert_eq!(closed.waiting(), 0);
    }

    /// `$/progress` values as the sidecar sends them (docs/PROTOCOL.md): the detail is the reporting
    /// method's own type, chosen by its `method` tag.
    #[test]
    fn a_progress_detail_decodes_into_its_methods_type() {
        use crate::types::{JobStatus, ProgressDetail, ReportFormat};

        let report: ProgressValue = serde_json::from_str(
            r#"{"kind":"report","message":"writing","percentage":80,"detail":{"method":"report/format","format":"pdf","bytes":5120}}"#,
        )
        .unwrap();
        let Some(ProgressDetail::ReportFormatProgress(detail)) = report.detail else { panic!("{report:?}") };
        assert_eq!((detail.format, detail.bytes), (ReportFormat::Pdf, Some(5120)));

        let end: ProgressValue = serde_json::from_str(
            r#"{"kind":"end","message":"/d/a.mp4","detail":{"method":"download/start","job_id":"j1","url":"https://e.x/a",
            "preset":"best","status":"finished","output_dir":"/d","progress_token":"t","path":"/d/a.mp4","resume_key":null,
            "progress":{"stage":"downloading","filename":"a.mp4","path":"/d/a.mp4","downloaded_bytes":10,"total_bytes":10,
            "total_is_estimate":false,"percent":100.0,"speed":null,"eta":null,"playlist_index":null,"playlist_count":null},
            "files":["/d/a.mp4"],"warnings":[],"error":null}}"#,
        )
        .unwrap();
        let Some(ProgressDetail::DownloadStartProgress(job)) = end.detail else { panic!("{end:?}") };
        assert_eq!(
            (job.status, job.files, job.progress.percent),
            (JobStatus::Finished, vec!["/d/a.mp4".to_owned()], Some(100.0))
        );

        let mislabelled = r#"{"kind":"report","detail":{"method":"report/format","devices":[],"warnings":[]}}"#;
        assert!(
            serde_json::from_str::<ProgressValue>(mislabelled).is_err(),
            "a detail is its method's type, not any object"
        );
    }

    /// Every params type that takes a token names it `ProgressToken` (not `RequestId`, its look-alike).
    #[test]
    fn every_progress_token_is_a_progress_token() {
        use crate::types::{
            DevicesWatchParams, DownloadProbeParams, DownloadStartParams, InspectParams, LogsCollectParams,
            ProgressToken, ReportFormatParams,
        };

        fn optional(token: &Option<ProgressToken>) -> Option<&ProgressToken> {
            token.as_ref()
        }
        let _: fn(&DevicesWatchParams) -> &ProgressToken = |p| &p.progress_token;
        let _: fn(&DownloadProbeParams) -> Option<&ProgressToken> = |p| optional(&p.progress_token);
        let _: fn(&DownloadStartParams) -> Option<&ProgressToken> = |p| optional(&p.progress_token);
        let _: fn(&InspectParams) -> Option<&ProgressToken> = |p| optional(&p.progress_token);
        let _: fn(&LogsCollectParams) -> Option<&ProgressToken> = |p| optional(&p.progress_token);
        let _: fn(&ReportFormatParams) -> Option<&ProgressToken> = |p| optional(&p.progress_token);
    }

    #[tokio::test]
    async fn a_waiting_receiver_wakes_and_ends_after_the_last_update() {
        let mailbox = std::sync::Arc::new(Mailbox::default());
        let reader = tokio::spawn({
            let mailbox = std::sync::Arc::clone(&mailbox);
            async move {
                let mut kinds = Vec::new();
                while let Some(value) = mailbox.recv().await {
                    kinds.push(value.kind);
                }
                kinds
            }
        });
        tokio::task::yield_now().await;
        mailbox.post(update(Begin, 0.0));
        mailbox.post(update(End, 100.0));
        let kinds = tokio::time::timeout(std::time::Duration::from_secs(5), reader).await.unwrap().unwrap();
        assert_eq!(kinds, [Begin, End]);
    }
}
