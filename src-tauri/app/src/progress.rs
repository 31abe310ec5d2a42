//! `$/progress` of the sidecar, forwarded to the UI as `sidecar:progress` events that name the
//! operation and what it is about (a device id, a download's job id).

use std::future::Future;

use serde::Serialize;
use sidecar_host::ProgressStream;
use sidecar_host::types::ProgressValue;
use tauri::{AppHandle, Emitter};

pub const PROGRESS_EVENT: &str = "sidecar:progress";

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

fn emit(app: &AppHandle, operation: Operation, key: &str, value: &ProgressValue) {
    if let Err(error) = app.emit(PROGRESS_EVENT, ProgressEvent { operation, key, value }) {
        tracing::warn!("cannot emit {PROGRESS_EVENT}: {error}");
    }
}

/// Run `call` while forwarding `progress`; for progress that ends with the call.
///
/// The sidecar sends a token's `end` before the response, and the client routes frames in
/// order, so polling progress first (`biased`) delivers every update before the result.
pub async fn during<T>(
    app: &AppHandle,
    operation: Operation,
    key: &str,
    mut progress: ProgressStream,
    call: impl Future<Output = T>,
) -> T {
    let mut call = std::pin::pin!(call);
    loop {
        tokio::select! {
            biased;
            Some(value) = progress.recv() => emit(app, operation, key, &value),
            result = &mut call => return result,
        }
    }
}

/// Forward `progress` until its `end` (or the connection's); for a job that outlives its call.
pub async fn until_end(app: AppHandle, operation: Operation, key: String, mut progress: ProgressStream) {
    while let Some(value) = progress.recv().await {
        emit(&app, operation, &key, &value);
    }
}
