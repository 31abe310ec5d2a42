//! `$/progress` of the sidecar, forwarded to the page on the [`Channel`] the page passed with
//! the call (as Tauri's shell plugin streams a spawned process's output): each call has its own,
//! so nothing needs routing by operation or key, and its messages are typed by the call: a
//! [`Progress<D>`] carries only that method's detail `D`.
//!
//! Reports are paced ([`REPORT_INTERVAL`]): a message the page has not handled yet waits in the
//! webview's queue, which has no bound, so the forwarder must not read faster than the page can
//! follow. Between two reports the host's stream coalesces what arrives (latest wins, `begin`
//! and `end` kept), so a sidecar that floods progress costs a few waiting updates, not memory.
//! Downloads are the exception: the app's queue ([`crate::downloads`]) follows their progress
//! and passes each value on as it comes ([`send`]); a download reports about twice a second.

use std::future::Future;
use std::time::Duration;

use serde::Serialize;
use sidecar_host::ProgressStream;
use sidecar_host::types::{
    DownloadStartProgress, LogsCollectProgress, ProgressDetail, ProgressValue, ProgressValueKind,
};
use tauri::ipc::Channel;

/// At most one report per call this often (the sidecar itself reports at most ~10/s).
const REPORT_INTERVAL: Duration = Duration::from_millis(100);

/// One update of a call's progress, as the page gets it: the protocol's `ProgressValue` (the
/// same fields, serialised alike) with the detail of that call's method only.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Progress<D> {
    pub kind: ProgressValueKind,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub percentage: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<D>,
}

/// A method's own progress detail: picked out of the protocol's union of them.
pub trait Detail: Sized {
    fn pick(detail: ProgressDetail) -> Option<Self>;
}

macro_rules! details {
    ($($detail:ident),*) => {$(
        impl Detail for $detail {
            fn pick(detail: ProgressDetail) -> Option<Self> {
                match detail {
                    ProgressDetail::$detail(detail) => Some(detail),
                    _ => None,
                }
            }
        }
    )*};
}
details!(LogsCollectProgress, DownloadStartProgress);

impl<D: Detail> Progress<D> {
    /// `value` for the page; a detail of another method's type (a sidecar bug) is left out.
    pub fn of(value: &ProgressValue) -> Self {
        let detail = value.detail.clone().and_then(|detail| {
            let picked = D::pick(detail);
            if picked.is_none() {
                tracing::warn!("a progress detail of another method's type, left out");
            }
            picked
        });
        Self {
            kind: value.kind,
            title: value.title.clone(),
            message: value.message.clone(),
            percentage: value.percentage,
            detail,
        }
    }
}

pub fn send<D: Detail + Serialize + Clone>(channel: &Channel<Progress<D>>, value: &ProgressValue) {
    if let Err(error) = channel.send(Progress::of(value)) {
        tracing::warn!("cannot send progress to the page: {error}");
    }
}

/// Forward `progress` until its `end` (or the connection's), pausing after each report.
async fn forward<D: Detail + Serialize + Clone>(channel: &Channel<Progress<D>>, progress: &mut ProgressStream) {
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
pub async fn during<D: Detail + Serialize + Clone, T>(
    channel: &Channel<Progress<D>>,
    mut progress: ProgressStream,
    call: impl Future<Output = T>,
) -> T {
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

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;

    fn value(json: Value) -> ProgressValue {
        serde_json::from_value(json).expect("a ProgressValue as the sidecar sends it")
    }

    #[test]
    fn the_page_gets_the_protocols_fields_with_its_methods_detail() {
        let sent = json!({
            "kind": "report",
            "message": "12 lines",
            "percentage": 40.0,
            "detail": {"method": "logs/collect", "bytes": 2048, "log_count": 12},
        });
        let forwarded = serde_json::to_value(Progress::<LogsCollectProgress>::of(&value(sent.clone()))).unwrap();
        assert_eq!(forwarded, sent);
    }

    #[test]
    fn a_detail_of_another_methods_type_is_left_out() {
        let sent = json!({
            "kind": "end",
            "detail": {"method": "report/format", "format": "pdf", "bytes": 10},
        });
        let forwarded = serde_json::to_value(Progress::<LogsCollectProgress>::of(&value(sent))).unwrap();
        assert_eq!(forwarded, json!({"kind": "end"}));
    }
}
