//! `sidecar-host call`: one call through the same path as the app's, optionally recorded.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use serde_json::{Map, Value, json};
use sidecar_host::evidence::{self, EvidenceLog, InstallationKey, LogOptions, Recorder, Writer};
use sidecar_host::types::{ClientInfo, HostConfig, Policy};
use sidecar_host::{CallError, Locator, PolicyGate, SpawnConfig, Supervisor, SupervisorConfig};

use crate::args::CallArgs;

pub fn run(args: CallArgs) -> ExitCode {
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(error) => return fail(3, "host_error", format!("cannot start the async runtime: {error}"), ""),
    };
    runtime.block_on(call(args))
}

async fn call(args: CallArgs) -> ExitCode {
    let policy: Policy = match read_json(&args.policy) {
        Ok(policy) => policy,
        Err(message) => {
            return fail(2, "invalid_policy", message, "Fix the policy file (docs/PROTOCOL.md, Mirror-only policy).");
        }
    };
    let host_config: HostConfig = match args.host_config.as_deref().map(read_json).transpose() {
        Ok(config) => config.unwrap_or_default(),
        Err(message) => return fail(2, "invalid_host_config", message, "Fix the host config file (HostConfig)."),
    };
    let located = match Locator::from_env(None).locate() {
        Ok(located) => located,
        Err(error) => return fail(3, "sidecar_start_failed", error.to_string(), "Set SIDECAR_PYTHON."),
    };
    let mut config = SupervisorConfig::new(SpawnConfig::new(&located.python));
    config.client.timeout = args.timeout;
    config.handshake.host_config = host_config;
    config.handshake.client =
        ClientInfo { name: env!("CARGO_PKG_NAME").into(), version: env!("CARGO_PKG_VERSION").into() };
    let log = match &args.evidence {
        Some(path) => match open_log(path, args.key.as_deref(), &located.python) {
            Ok(log) => Some(log),
            Err(message) => {
                return fail(
                    3,
                    "evidence_failed",
                    message,
                    "Check the evidence log's and the key's paths and permissions.",
                );
            }
        },
        None => None,
    };
    config.client.evidence = log.clone().map(Recorder::new);

    let supervisor = match Supervisor::start(config, PolicyGate::new(policy)).await {
        Ok(supervisor) => supervisor,
        Err(error) => {
            end_log(log.as_deref(), "the sidecar failed to start", Map::new());
            return fail(3, "sidecar_start_failed", error.to_string(), "Check the Python and the policy.");
        }
    };
    let outcome = match supervisor.client() {
        Ok(client) => {
            let notification = client.gate().spec(&args.method).is_some_and(|spec| spec.notification);
            if notification {
                client.notify(&args.method, args.params.as_ref()).await.map(|()| Value::Null)
            } else {
                client.request::<Value, Value>(&args.method, args.params.as_ref()).await
            }
        }
        Err(error) => Err(error),
    };
    let stopped = supervisor.stop().await;
    let detail = json!({
        "exit": stopped.status.map(|status| status.to_string()),
        "escalation": format!("{:?}", stopped.escalation).to_lowercase(),
    });
    end_log(log.as_deref(), "stopped", detail.as_object().cloned().unwrap_or_default());
    match outcome {
        Ok(result) => {
            println!("{}", pretty(&result));
            ExitCode::SUCCESS
        }
        Err(error) => {
            println!("{}", pretty(&json!({"error": error_json(&error)})));
            ExitCode::from(1)
        }
    }
}

fn open_log(path: &Path, key: Option<&Path>, python: &Path) -> Result<Arc<EvidenceLog>, String> {
    let key_path = match key {
        Some(key) => key.to_path_buf(),
        None => default_key_path().ok_or("no data folder to keep the signing key in: give --key FILE")?,
    };
    let key = InstallationKey::load_or_create(&key_path).map_err(|e| e.to_string())?;
    let writer = Writer {
        name: env!("CARGO_PKG_NAME").into(),
        version: env!("CARGO_PKG_VERSION").into(),
        runtime_manifest_sha256: evidence::runtime_manifest_sha256(python),
    };
    EvidenceLog::open(path, key, LogOptions::new(writer)).map(Arc::new).map_err(|e| e.to_string())
}

/// `$XDG_DATA_HOME` (or `~/.local/share`; `%APPDATA%` on Windows) `/sidecar-host/evidence.key`.
fn default_key_path() -> Option<PathBuf> {
    let data = if cfg!(windows) {
        std::env::var_os("APPDATA").map(PathBuf::from)
    } else {
        std::env::var_os("XDG_DATA_HOME")
            .map(PathBuf::from)
            .filter(|p| p.is_absolute())
            .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".local/share")))
    };
    data.map(|dir| dir.join("sidecar-host").join("evidence.key"))
}

/// The session's end and the log's clean close; a failure here is reported, the call's outcome stands.
fn end_log(log: Option<&EvidenceLog>, reason: &str, detail: Map<String, Value>) {
    let Some(log) = log else { return };
    if let Err(error) = log.session_stop(reason, detail).and_then(|_| log.close()) {
        eprintln!("sidecar-host: {error}");
    }
}

fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> Result<T, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))
}

/// The error as the app shows one: `{kind, message, suggestion, retryable}` (and the sidecar's `code`).
fn error_json(error: &CallError) -> Value {
    let host = |kind: &str, suggestion: &str, retryable: bool| json!({"kind": kind, "message": error.to_string(), "suggestion": suggestion, "retryable": retryable});
    match error {
        CallError::Rpc(rpc) => json!({
            "kind": rpc.kind,
            "code": rpc.code,
            "message": rpc.message,
            "suggestion": rpc.suggestion,
            "retryable": rpc.retryable,
        }),
        CallError::Policy(_) => {
            host("policy_denied", "Grant the capability the method needs in the policy file.", false)
        }
        CallError::Timeout { .. } => host("timeout", "Give the call more time with --timeout.", true),
        CallError::Unavailable(_) => {
            host("sidecar_unavailable", "The sidecar ended during the call; run it again.", true)
        }
        CallError::Evidence(_) => {
            host("evidence_failed", "Free disk space or fix the log's permissions, then run it again.", false)
        }
        _ => host("internal_error", "This is a bug in the host; please report it.", false),
    }
}

fn fail(code: u8, kind: &str, message: String, suggestion: &str) -> ExitCode {
    let error = json!({"error": {"kind": kind, "message": message, "suggestion": suggestion, "retryable": false}});
    println!("{}", pretty(&error));
    ExitCode::from(code)
}

fn pretty(value: &Value) -> String {
    serde_json::to_string_pretty(value).unwrap_or_else(|_| value.to_string())
}
