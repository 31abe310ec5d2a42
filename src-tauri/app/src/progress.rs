//! `$/progress` of the sidecar, forwarded to the page on the [`Channel`] the page passed with
//! the call (as Tauri's shell plugin streams a spawned process's output): each call has its own,
//! so nothing needs routing by operation or key.
//!
//! Reports are paced ([`REPORT_INTERVAL`]): a message the page has not handled yet waits in the
//! webview's queue, which has no bound, so the forwarder must not read faster than the page can
//! follow. Between two reports the host's stream coalesces what arrives (latest wins, `begin`
//! and `end` kept), so a sidecar that floods progress costs a few waiting updates, not memory.
//! Downloads are the exception: the app's queue ([`crate::downloads`]) follows their progress
//! and passes each value on as it comes ([`send`]); a download reports about twice a second.

use std::future::Future;
use std::time::Duration;

use sidecar_host::ProgressStream;
use sidecar_host::types::{ProgressValue, ProgressValueKind};
use tauri::ipc::Channel;

/// At most one report per call this often (the sidecar itself reports at most ~10/s).
const REPORT_INTERVAL: Duration = Duration::from_millis(100);

/// Where a call's progress goes: the page's channel for it.
pub type Progress = Channel<ProgressValue>;

pub fn send(channel: &Progress, value: &ProgressValue) {
    if let Err(error) = channel.send(value.clone()) {
        tracing::warn!("cannot send progress to the page: {error}");
    }
}

/// Forward `progress` until its `end` (or the connection's), pausing after each report.
async fn forward(channel: &Progress, progress: &mut ProgressStream) {
    while let Some(value) = progress.recv().await {
        send(channel, &value);
        if value.kind == ProgressValueKind::Report {
            tokio::time::sleep(REPORT_INTERVAL).await;
        }
    }
}

/// Run `call` while forwarding `progress` to `channel`; for progress that ends with the call.
///
/// The sidecar sends a token's `end` before the response, and the client routes frames in
/// order, so what is still waiting when the call returns (the `end` at least) is sent before
/// the result.
pub async fn during<T>(channel: &Progress, mut progress: ProgressStream, call: impl Future<Output = T>) -> T {
    let mut call = std::pin::pin!(call);
    let result = {
        let mut forwarding = std::pin::pin!(forward(channel, &mut progress));
        tokio::select! {
            result = &mut call => result,
            () = &mut forwarding => call.await,
        }
    };
    while let Some(value) = progress.try_recv() {
        send(channel, &value);
    }
    result
}
