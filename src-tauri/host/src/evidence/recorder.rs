//! The hook between a [`crate::Client`] and the log: each call is noted when it starts (method,
//! params, the policy in force) and written when its outcome is known, before the caller gets
//! it. A call dropped before it ended (the caller gave up, a watch was stopped) is written from
//! `Drop` as cancelled. A successful `initialize` also starts a session, a successful
//! `policy/update` records the policy change.

use std::collections::HashSet;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Instant, SystemTime};

use serde::Serialize;
use serde_json::value::RawValue;
use serde_json::{Value, json};

use super::EvidenceError;
use super::artifact::{self, Claimed};
use super::canonical::{encode, normalize, sha256_hex};
use super::log::{EvidenceLog, now, object};
use super::redact::Redaction;
use super::summary;
use crate::call_error::CallError;
use crate::digest::policy_digest;
use crate::policy::{PolicyError, PolicyGate};
use crate::types::Policy;

/// Params larger than this (canonical bytes) are recorded by their hash and size only.
pub const PARAMS_INLINE_MAX: usize = 4096;

/// Records every call of the clients it is given to (`ClientConfig::evidence`). Cheap to clone.
#[derive(Clone)]
pub struct Recorder {
    shared: Arc<Shared>,
}

struct Shared {
    log: Arc<EvidenceLog>,
    /// The last policy seen and its digest (computing one takes longer than a call's entry).
    digest: Mutex<Option<(Policy, String)>>,
    /// Downloaded files already recorded (path, size, mtime): `download/list` names them again.
    downloads: Mutex<HashSet<(String, u64, Option<SystemTime>)>>,
}

impl std::fmt::Debug for Recorder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Recorder").field("log", &self.shared.log.path()).finish()
    }
}

impl Recorder {
    pub fn new(log: Arc<EvidenceLog>) -> Self {
        Self { shared: Arc::new(Shared { log, digest: Mutex::default(), downloads: Mutex::default() }) }
    }

    pub fn log(&self) -> &Arc<EvidenceLog> {
        &self.shared.log
    }

    /// Note a call as it starts; the [`Recording`] writes it when finished or dropped.
    pub fn begin<P: Serialize + ?Sized>(
        &self,
        gate: &PolicyGate,
        method: &str,
        params: Option<&P>,
        notification: bool,
    ) -> Recording {
        let params = params.map_or(Value::Null, |params| {
            serde_json::to_value(params).unwrap_or_else(|e| json!({"unserializable": e.to_string()}))
        });
        let call = Call {
            method: method.to_owned(),
            notification,
            params,
            policy: gate.policy(),
            started: now(),
            clock: Instant::now(),
        };
        Recording { recorder: self.clone(), call: Some(call) }
    }

    fn digest(&self, policy: &Policy) -> String {
        let mut cached = self.shared.digest.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some((seen, digest)) = cached.as_ref()
            && seen == policy
        {
            return digest.clone();
        }
        let digest = policy_digest(policy).unwrap_or_else(|e| format!("unavailable: {e}"));
        *cached = Some((policy.clone(), digest.clone()));
        digest
    }

    /// Build the call's entry (and a session's, after `initialize`) and append it. Blocking.
    fn write(&self, call: Call, outcome: Outcome) -> Result<(), EvidenceError> {
        let result = match &outcome {
            Outcome::Result(raw) => serde_json::from_str::<Value>(raw.get()).ok().map(normalize),
            _ => None,
        };
        let redaction =
            Redaction::new(call.policy.redact_identifiers, &[&call.params, result.as_ref().unwrap_or(&Value::Null)]);
        let params = redaction.apply(normalize(call.params.clone()));
        let params_text = encode(&params);
        let mut entry = object(json!({
            "kind": "call",
            "method": call.method,
            "notification": call.notification,
            "started": call.started,
            "elapsed_us": u64::try_from(call.clock.elapsed().as_micros()).unwrap_or(u64::MAX).min(super::canonical::MAX_EXACT),
            "policy_digest": self.digest(&call.policy),
            "params_sha256": sha256_hex(params_text.as_bytes()),
            "params_bytes": params_text.len(),
            "params": if params_text.len() <= PARAMS_INLINE_MAX { params } else { Value::Null },
        }));
        entry.insert("outcome".into(), outcome_json(&outcome, result.as_ref(), &call.method, &redaction));
        let mut artifacts = Vec::new();
        if let Some(result) = &result {
            let roots = artifact::roots(&call.policy);
            for claimed in self.new_artifacts(&call.method, result) {
                artifacts.push(redaction.apply(artifact::record(&claimed, &roots)));
            }
        }
        entry.insert("artifacts".into(), Value::Array(artifacts));
        let mut entries = vec![entry];
        let session = match (call.method.as_str(), &result) {
            ("initialize", Some(result)) => Some(self.session_start(&call.params, result)),
            ("policy/update", Some(result)) => Some(policy_change(&call.params, result)),
            _ => None,
        };
        let checkpoint = session.as_ref().filter(|s| s["kind"] == "session_start").map(|_| "session_start");
        entries.extend(session.map(object));
        self.shared.log.append(entries, checkpoint).map(drop)
    }

    /// The files `result` names, less the downloads already recorded.
    fn new_artifacts(&self, method: &str, result: &Value) -> Vec<Claimed> {
        let claimed = artifact::claimed(method, result);
        if !method.starts_with("download/") {
            return claimed;
        }
        let mut seen = self.shared.downloads.lock().unwrap_or_else(PoisonError::into_inner);
        claimed
            .into_iter()
            .filter(|c| {
                let meta = std::fs::metadata(&c.path).ok();
                let key = (c.path.clone(), meta.as_ref().map_or(0, |m| m.len()), meta.and_then(|m| m.modified().ok()));
                seen.insert(key)
            })
            .collect()
    }

    fn session_start(&self, params: &Value, result: &Value) -> Value {
        let (policy, digest, reported, matches) = policy_fields(params, result);
        json!({
            "kind": "session_start",
            "sidecar": result.get("server"),
            "protocol_version": result.get("protocol_version"),
            "app": params.get("client"),
            "host": {"name": env!("CARGO_PKG_NAME"), "version": env!("CARGO_PKG_VERSION")},
            "host_pid": params.get("host_pid"),
            "runtime_manifest_sha256": self.shared.log.writer().runtime_manifest_sha256,
            "policy": policy,
            "policy_digest": digest,
            "policy_digest_reported": reported,
            "policy_matches": matches,
        })
    }
}

fn policy_change(params: &Value, result: &Value) -> Value {
    let (policy, digest, reported, matches) = policy_fields(params, result);
    json!({
        "kind": "policy_change",
        "policy": policy,
        "policy_digest": digest,
        "policy_digest_reported": reported,
        "policy_matches": matches,
    })
}

/// The policy the call sent, the digest the host computes for it, the one the sidecar reported.
fn policy_fields(params: &Value, result: &Value) -> (Value, Option<String>, Value, bool) {
    let policy = normalize(params.get("policy").cloned().unwrap_or(Value::Null));
    let digest = serde_json::from_value::<Policy>(policy.clone()).ok().and_then(|p| policy_digest(&p).ok());
    let reported = result.get("policy_digest").cloned().unwrap_or(Value::Null);
    let matches = digest.as_deref().is_some_and(|d| reported.as_str() == Some(d));
    (policy, digest, reported, matches)
}

struct Call {
    method: String,
    notification: bool,
    params: Value,
    policy: Policy,
    started: String,
    clock: Instant,
}

enum Outcome {
    Result(Box<RawValue>),
    Error(CallError),
    Sent,
    Cancelled,
}

fn outcome_json(outcome: &Outcome, result: Option<&Value>, method: &str, redaction: &Redaction) -> Value {
    let outcome = match outcome {
        Outcome::Result(raw) => {
            let text = result.map_or_else(|| raw.get().to_owned(), encode);
            let fields = result.map(|r| Value::Object(summary::fields(method, r))).unwrap_or_default();
            json!({"status": "ok", "result_sha256": sha256_hex(text.as_bytes()), "result_bytes": text.len(), "fields": fields})
        }
        Outcome::Sent => json!({"status": "sent"}),
        Outcome::Cancelled => json!({
            "status": "cancelled",
            "message": "the caller stopped waiting (dropped or aborted the call); a request already sent was cancelled with $/cancelRequest",
        }),
        Outcome::Error(CallError::Rpc(error)) => json!({
            "status": "error",
            "code": error.code,
            "kind": error.kind,
            "message": error.message,
            "retryable": error.retryable,
        }),
        Outcome::Error(CallError::Policy(error)) => {
            let kind = match error {
                PolicyError::UnknownMethod(_) => "unknown_method",
                PolicyError::Denied { .. } => "policy_denied",
                PolicyError::WrongKind { .. } => "wrong_kind",
            };
            json!({"status": "refused", "kind": kind, "message": error.to_string()})
        }
        Outcome::Error(CallError::Timeout { after, .. }) => {
            json!({"status": "timeout", "after_ms": u64::try_from(after.as_millis()).unwrap_or(u64::MAX).min(super::canonical::MAX_EXACT)})
        }
        Outcome::Error(CallError::Unavailable(message)) => json!({"status": "unavailable", "message": message}),
        Outcome::Error(error) => {
            let kind = match error {
                CallError::TooLarge { .. } => "too_large",
                CallError::Encode { .. } => "encode",
                CallError::Decode { .. } => "decode",
                _ => "host",
            };
            json!({"status": "host_error", "kind": kind, "message": error.to_string()})
        }
    };
    redaction.apply(normalize(outcome))
}

/// One call between [`Recorder::begin`] and its outcome. Dropped unfinished, it records the
/// call as cancelled (synchronously: there is nothing to await on in `Drop`).
pub struct Recording {
    recorder: Recorder,
    call: Option<Call>,
}

impl Recording {
    /// A request's outcome (the raw result, or why there is none), written before it is returned.
    pub async fn request(mut self, outcome: &Result<Box<RawValue>, CallError>) -> Result<(), EvidenceError> {
        let outcome = match outcome {
            Ok(raw) => Outcome::Result(raw.clone()),
            Err(error) => Outcome::Error(error.clone()),
        };
        self.finish(outcome).await
    }

    /// A notification's outcome (sent, or why not).
    pub async fn notification(mut self, outcome: &Result<(), CallError>) -> Result<(), EvidenceError> {
        let outcome = match outcome {
            Ok(()) => Outcome::Sent,
            Err(error) => Outcome::Error(error.clone()),
        };
        self.finish(outcome).await
    }

    async fn finish(&mut self, outcome: Outcome) -> Result<(), EvidenceError> {
        let Some(call) = self.call.take() else { return Ok(()) };
        let recorder = self.recorder.clone();
        // Hashing artifacts and fsync block; once started, the entry is written even if the
        // caller stops waiting now.
        match tokio::task::spawn_blocking(move || recorder.write(call, outcome)).await {
            Ok(written) => written,
            Err(error) => Err(EvidenceError::Write {
                path: self.recorder.log().path().to_path_buf(),
                reason: format!("the task writing the entry failed: {error}"),
            }),
        }
    }
}

impl Drop for Recording {
    fn drop(&mut self) {
        if let Some(call) = self.call.take()
            && let Err(error) = self.recorder.write(call, Outcome::Cancelled)
        {
            tracing::error!(%error, "cannot record a cancelled call in the evidence log");
        }
    }
}
