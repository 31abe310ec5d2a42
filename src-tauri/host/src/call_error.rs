//! How a call to the sidecar can fail. Its own module, below the client and the evidence
//! recorder (which records each outcome), so neither imports the other for it.

use std::time::Duration;

use crate::jsonrpc::RpcError;
use crate::policy::PolicyError;

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CallError {
    /// The sidecar answered with an error.
    #[error(transparent)]
    Rpc(#[from] RpcError),
    /// There is no sidecar to answer: it exited, is restarting, or was stopped.
    #[error("sidecar unavailable: {0}")]
    Unavailable(String),
    /// No answer in time; the request was cancelled.
    #[error("`{method}` got no answer within {after:?}; cancelled")]
    Timeout { method: String, after: Duration },
    /// The host's policy refused the call; it was not sent.
    #[error(transparent)]
    Policy(#[from] PolicyError),
    #[error("the `{method}` request is {size} bytes, above the {max}-byte frame limit")]
    TooLarge { method: String, size: usize, max: usize },
    #[error("cannot encode the params of `{method}`: {reason}")]
    Encode { method: String, reason: String },
    #[error("unexpected result from `{method}`: {reason}")]
    Decode { method: String, reason: String },
    /// The call could not be recorded in the evidence log, so its outcome is withheld.
    #[error("{0}")]
    Evidence(String),
}
