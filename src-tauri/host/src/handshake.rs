//! `initialize` and the policy digest check: the host refuses a sidecar whose policy mirror
//! is not byte for byte its own policy. Also `policy/update`, which is checked the same way.

use std::num::NonZeroU64;
use std::time::Duration;

use crate::client::{CallError, Client};
use crate::digest::{DigestError, policy_digest};
use crate::types::{ClientInfo, HostConfig, InitializeParams, InitializeResult, LogLevel, Policy, PolicyUpdateParams};

/// The protocol version this host speaks, generated from the schema (docs/PROTOCOL.md, `initialize`).
pub use crate::methods::PROTOCOL_VERSION;

#[derive(Debug, Clone)]
pub struct HandshakeConfig {
    /// How long `initialize` may take (a cold interpreter start included).
    pub timeout: Duration,
    pub client: ClientInfo,
    pub log_level: Option<LogLevel>,
    /// Where the host keeps what the sidecar may read (adb key, pair records, ffmpeg).
    pub host_config: HostConfig,
}

impl Default for HandshakeConfig {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(15),
            client: ClientInfo { name: env!("CARGO_PKG_NAME").into(), version: env!("CARGO_PKG_VERSION").into() },
            log_level: None,
            host_config: HostConfig::default(),
        }
    }
}

#[derive(Debug, Clone, thiserror::Error)]
pub enum HandshakeError {
    #[error("initialize failed: {0}")]
    Call(#[from] CallError),
    #[error("the sidecar speaks protocol version {theirs}; this host speaks {ours}")]
    Protocol { ours: i64, theirs: i64 },
    #[error(
        "the sidecar's policy mirror differs from the host's policy (digest {actual}, expected {expected}); refusing it"
    )]
    DigestMismatch { expected: String, actual: String },
    #[error("cannot compute the policy digest: {0}")]
    Digest(String),
}

impl From<DigestError> for HandshakeError {
    fn from(error: DigestError) -> Self {
        Self::Digest(error.to_string())
    }
}

/// Initialize the sidecar with this process's pid and the gate's policy, and check the digest.
pub async fn initialize(client: &Client, config: &HandshakeConfig) -> Result<InitializeResult, HandshakeError> {
    let policy = client.gate().policy();
    let expected = policy_digest(&policy)?;
    let params = InitializeParams {
        client: config.client.clone(),
        config: config.host_config.clone(),
        // Never 0 for a user process (pid 0 is the kernel's), so the fallback is unreachable.
        host_pid: NonZeroU64::new(u64::from(std::process::id())).unwrap_or(NonZeroU64::MIN),
        log_level: config.log_level,
        policy,
        protocol_version: PROTOCOL_VERSION,
    };
    let result = client.with_timeout(config.timeout).initialize(params).await?;
    if result.protocol_version != PROTOCOL_VERSION {
        return Err(HandshakeError::Protocol { ours: PROTOCOL_VERSION, theirs: result.protocol_version });
    }
    check_digest(&expected, &result.policy_digest)?;
    warn_on_table_drift(client, &result);
    Ok(result)
}

/// Replace the policy: the sidecar's mirror first, then (once its digest matches) the host's.
pub async fn update_policy(client: &Client, policy: Policy) -> Result<(), HandshakeError> {
    let expected = policy_digest(&policy)?;
    let result = client.policy_update(PolicyUpdateParams { policy: policy.clone() }).await?;
    check_digest(&expected, &result.policy_digest)?;
    client.gate().replace(policy);
    Ok(())
}

/// The refusal itself: the digest the sidecar reports must be the one the host computed.
pub fn check_digest(expected: &str, actual: &str) -> Result<(), HandshakeError> {
    if expected == actual {
        Ok(())
    } else {
        Err(HandshakeError::DigestMismatch { expected: expected.to_owned(), actual: actual.to_owned() })
    }
}

/// The sidecar lists each method's capabilities; a difference from the host's table means the
/// two were built from different schemas. The host's table still decides, so this only warns.
fn warn_on_table_drift(client: &Client, result: &InitializeResult) {
    for method in &result.methods {
        let theirs: Vec<String> = method.capabilities.iter().map(ToString::to_string).collect();
        match client.gate().spec(&method.name) {
            Some(spec)
                if spec.capabilities.iter().any(|c| !theirs.iter().any(|t| t == c))
                    || spec.capabilities.len() != theirs.len() =>
            {
                tracing::warn!(method = method.name, ?theirs, ours = ?spec.capabilities, "the sidecar's method table differs from the host's");
            }
            Some(_) => {}
            None => tracing::debug!(method = method.name, "the sidecar serves a method the host does not know"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_same_digest_passes() {
        assert!(check_digest("ab", "ab").is_ok());
        assert!(matches!(check_digest("ab", "AB"), Err(HandshakeError::DigestMismatch { .. })));
        assert!(matches!(check_digest("ab", ""), Err(HandshakeError::DigestMismatch { .. })));
    }
}
