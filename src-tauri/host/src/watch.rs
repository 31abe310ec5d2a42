//! `devices/watch` as a stream: the full device list now and after every change.
//!
//! The request never answers by itself: the sidecar sends each list as a `$/progress` report
//! (`detail` is a `DevicesWatchReport`) until the request is cancelled. [`DeviceWatch`] holds the
//! request in a task of its own, with no timeout; dropping the watch aborts that task, which
//! drops the request and so sends `$/cancelRequest` (see [`Client::request`]).

use std::time::Duration;

use tokio::task::JoinHandle;

use crate::client::{CallError, Client, ProgressStream};
use crate::types::{DevicesWatchParams, DevicesWatchReport, ProgressDetail, ProgressValueKind};

/// A running `devices/watch`; dropping it cancels the request.
#[derive(Debug)]
pub struct DeviceWatch {
    progress: ProgressStream,
    call: Option<JoinHandle<Result<(), CallError>>>,
}

impl Client {
    /// Start watching the devices `params` names (its `progress_token` is replaced by a fresh one).
    /// Needs a tokio runtime.
    pub fn watch_devices(&self, mut params: DevicesWatchParams) -> DeviceWatch {
        let (token, progress) = self.progress_channel();
        params.progress_token = token.into();
        // No deadline: the watch runs until it is dropped (tokio treats a far deadline as none).
        let client = self.with_timeout(Duration::MAX);
        let call = tokio::spawn(async move { client.devices_watch(params).await.map(drop) });
        DeviceWatch { progress, call: Some(call) }
    }
}

impl DeviceWatch {
    /// The next full device list; an error if the request failed (refused by the policy, the
    /// sidecar gone, cancelled by the sidecar's shutdown); `None` after that.
    pub async fn next(&mut self) -> Option<Result<DevicesWatchReport, CallError>> {
        while let Some(value) = self.progress.recv().await {
            if value.kind != ProgressValueKind::Report {
                continue; // begin, and end (which comes right before the answer)
            }
            // No detail: a list too large for one frame went without it; the next change sends it again.
            let Some(detail) = value.detail else { continue };
            return Some(match detail {
                ProgressDetail::DevicesWatchReport(report) => Ok(report),
                other => Err(CallError::Decode {
                    method: "devices/watch".into(),
                    reason: format!("progress detail is not a DevicesWatchReport: {other:?}"),
                }),
            });
        }
        // The progress ended: the request has its answer (or the connection is gone).
        let outcome = self.call.take()?.await;
        match outcome {
            Ok(Ok(())) => None,
            Ok(Err(error)) => Some(Err(error)),
            Err(join) => Some(Err(CallError::Unavailable(format!("the watch task ended: {join}")))),
        }
    }
}

impl Drop for DeviceWatch {
    fn drop(&mut self) {
        if let Some(call) = self.call.take() {
            call.abort(); // drops the request future, which sends `$/cancelRequest`
        }
    }
}
