//! The policy authority: the host's `Policy`, and the check every call passes before it is sent.
//!
//! The host decides; the sidecar holds a mirror of the same policy and checks again (the
//! second line). The capabilities a method needs come from the method table that `build.rs`
//! generates from `schemas/openrpc.json` (`x-capabilities`, [`crate::method_table`]), so a
//! method the table does not know is refused too.

use std::sync::{PoisonError, RwLock};

use crate::method_table::METHODS;
pub use crate::method_table::MethodSpec;
use crate::types::Policy;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolicyError {
    #[error("`{0}` is not a method the host knows; refused")]
    UnknownMethod(String),
    #[error("the policy does not allow `{method}`: it needs {}", missing.join(", "))]
    Denied { method: String, missing: Vec<String> },
    #[error("`{method}` is {}; call it with {}", if *.notification { "a notification" } else { "a request" }, if *.notification { "`notify`" } else { "`request`" })]
    WrongKind { method: String, notification: bool },
}

/// The host's policy plus the method table, shared by every client of one supervisor.
#[derive(Debug)]
pub struct PolicyGate {
    policy: RwLock<Policy>,
    extra: Vec<MethodSpec>,
}

impl PolicyGate {
    pub fn new(policy: Policy) -> Self {
        Self { policy: RwLock::new(policy), extra: Vec::new() }
    }

    /// Also allow methods outside the protocol's table (the test server's `test/*`).
    pub fn with_methods(mut self, extra: impl IntoIterator<Item = MethodSpec>) -> Self {
        self.extra.extend(extra);
        self
    }

    /// The current policy (what `initialize` sends and the digest covers).
    pub fn policy(&self) -> Policy {
        self.policy.read().unwrap_or_else(PoisonError::into_inner).clone()
    }

    /// Replace the policy; only after the sidecar's mirror has taken it (see `handshake`).
    pub(crate) fn replace(&self, policy: Policy) {
        *self.policy.write().unwrap_or_else(PoisonError::into_inner) = policy;
    }

    pub fn spec(&self, method: &str) -> Option<&MethodSpec> {
        METHODS.iter().chain(&self.extra).find(|spec| spec.name == method)
    }

    /// May `method` be sent now, as a request (`notification: false`) or a notification?
    pub fn check(&self, method: &str, notification: bool) -> Result<(), PolicyError> {
        let spec = self.spec(method).ok_or_else(|| PolicyError::UnknownMethod(method.to_owned()))?;
        if spec.notification != notification {
            return Err(PolicyError::WrongKind { method: method.to_owned(), notification: spec.notification });
        }
        let policy = self.policy.read().unwrap_or_else(PoisonError::into_inner);
        let missing: Vec<String> = spec
            .capabilities
            .iter()
            .filter(|needed| !policy.capabilities.iter().any(|granted| granted.to_string() == **needed))
            .map(|needed| (*needed).to_owned())
            .collect();
        if missing.is_empty() { Ok(()) } else { Err(PolicyError::Denied { method: method.to_owned(), missing }) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::Capability;

    fn policy(capabilities: Vec<Capability>) -> Policy {
        serde_json::from_value(serde_json::json!({ "capabilities": capabilities })).unwrap()
    }

    const NEEDS_INSPECT: MethodSpec =
        MethodSpec { name: "x/inspect", capabilities: &["device.inspect"], notification: false };

    #[test]
    fn the_table_comes_from_openrpc() {
        let gate = PolicyGate::new(policy(vec![]));
        assert_eq!(gate.check("health", false), Ok(()));
        assert_eq!(gate.check("exit", true), Ok(()));
        assert!(matches!(gate.check("exit", false), Err(PolicyError::WrongKind { notification: true, .. })));
        assert!(matches!(gate.check("test/sleep", false), Err(PolicyError::UnknownMethod(_))));
    }

    #[test]
    fn a_call_needs_every_capability_of_its_method() {
        let denied = PolicyGate::new(policy(vec![Capability::ReportWrite])).with_methods([NEEDS_INSPECT]);
        assert_eq!(
            denied.check("x/inspect", false),
            Err(PolicyError::Denied { method: "x/inspect".into(), missing: vec!["device.inspect".into()] })
        );
        denied.replace(policy(vec![Capability::DeviceInspect]));
        assert_eq!(denied.check("x/inspect", false), Ok(()));
    }
}
