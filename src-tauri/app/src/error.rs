//! The one error every command returns, shaped like the sidecar's `error.data`
//! (`kind`, `message`, `suggestion`, `retryable`) whatever went wrong and wherever, so the UI
//! has a single way to show a failure and what to do about it.

use serde::Serialize;
use sidecar_host::{CallError, StartError};

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct CommandError {
    /// For the UI's logic: the sidecar's error kind, or one of the host's own below.
    pub kind: String,
    pub message: String,
    pub suggestion: String,
    pub retryable: bool,
}

impl CommandError {
    pub fn new(kind: &str, message: impl Into<String>, suggestion: impl Into<String>, retryable: bool) -> Self {
        Self { kind: kind.into(), message: message.into(), suggestion: suggestion.into(), retryable }
    }
}

impl From<CallError> for CommandError {
    fn from(error: CallError) -> Self {
        let message = error.to_string();
        match error {
            CallError::Rpc(rpc) => Self {
                // The schema's own spelling of the kind (serde renames), not Rust's variant name.
                kind: serde_json::to_value(rpc.kind)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default(),
                message: rpc.message,
                suggestion: rpc.suggestion,
                retryable: rpc.retryable,
            },
            CallError::Unavailable(_) => Self::new(
                "sidecar_unavailable",
                message,
                "The helper process is restarting; try again in a moment.",
                true,
            ),
            CallError::Timeout { .. } => {
                Self::new("timeout", message, "The device or server may be slow or gone; try again.", true)
            }
            CallError::Policy(_) => {
                Self::new("policy_denied", message, "This app's settings do not allow that action.", false)
            }
            CallError::Evidence(_) => Self::new(
                "evidence_failed",
                message,
                "The evidence log cannot be written (a full disk, or its folder's permissions), so results are withheld. Fix that and restart the app.",
                false,
            ),
            CallError::TooLarge { .. } | CallError::Encode { .. } | CallError::Decode { .. } => {
                Self::new("internal_error", message, "This is a bug in the app; please report it.", false)
            }
        }
    }
}

impl From<&StartError> for CommandError {
    fn from(error: &StartError) -> Self {
        Self::new(
            "sidecar_start_failed",
            error.to_string(),
            "Reinstall the app. For development, run ./scripts/setup or set SIDECAR_PYTHON.",
            false,
        )
    }
}
