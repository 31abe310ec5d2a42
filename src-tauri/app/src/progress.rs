//! `$/progress` of the sidecar, forwarded to the UI as `sidecar:progress` events that name the
//! operation and what it is about (a device id, a download's job id).
//!
//! Reports are paced ([`REPORT_INTERVAL`]): an event the page has not handled yet waits in
//! Tauri's queue, which has no bound, so the forwarder must not read faster than the page can
//! follow. Between two reports the host's stream coalesces what arrives (latest wins, `begin`
//! and `end` kept), so a sidecar that floods progress costs a few waiting updates, not memory.
//! Downloads are the exception: the app's queue ([`crate::downloads`]) follows their progress
//! and passes each value on as it comes ([`emit`]); a download reports about twice a second.

use std::future::Future;
use std::time::Duration;

use serde::Serialize;
use sidecar_host::ProgressStream;
use sidecar_host::types::{ProgressValue, ProgressValueKind};
use tauri::{AppHandle, Emitter};

pub const PROGRESS_EVENT: &str = "sidecar:progress";
/// At most one report per operation this often (the sidecar itself reports at most ~10/s).
const REPORT_INTERVAL: Duration = Duration::from_millis(100);

#[derive(Debug, Clone, Copy, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Operation {
    Logs,
    Download,
}

#[derive(Debug, Clone, Serialize)]
struct ProgressEvent<'a> {
    operation: Operation,
    key: &'a str,
    value: &'a ProgressValue,
}

pub fn emit(app: &AppHandle, operation: Operation, key: &str, value: &ProgressValue) {
    if let Err(error) = app.emit(PROGRESS_EVENT, ProgressEvent { operation, key, value }) {
        tracing::warn!("cannot emit {PROGRESS_EVENT}: {error}");
    }
}

/// Forward `progress` until its `end` (or the connection's), pausing after each report.
async fn forward(app: &AppHandle, operation: Operation, key: &str, progress: &mut ProgressStream) {
    while let Some(value) = progress.recv().await {
        emit(app, operation, key, &value);
        if value.kind == ProgressValueKind::Report {
            tokio::time::sleep(REPORT_INTERVAL).await;
        }
    }
}

/// Run `call` while forwarding `progress`; for progress that ends with the call.
///
/// The sidecar sends a token's `end` before the response, and the client routes frames in
/// order, so what is still waiting when the call returns (the `end` at least) is emitted
/// before the result.
pub async fn during<T>(
    app: &AppHandle,
    operation: Operation,
    key: &str,
    mut progress: ProgressStream,
    call: impl Future<Output = T>,
) -> T {
    let mut call = std::pin::pin!(call);
    let result = {
        let mut forwarding = std::pin::pin!(forward(app, operation, key, &mut progress));
        tokio::select! {
            result = &mut call => result,
            () = &mut forwarding => call.await,
        }
    };
    while let Some(value) = progress.try_recv() {
        emit(app, operation, key, &value);
    }
    result
}
