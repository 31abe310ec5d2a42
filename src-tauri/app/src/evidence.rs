//! The evidence log in the app: opened under the data folder before the sidecar starts, so that
//! no call goes unrecorded; the sidecar's crashes and its stop are recorded as session ends; the
//! page lists this session's entries per device and can verify the whole log.
//!
//! Commands (listed in commands.list.rs): `evidence_status`, `evidence_entries`, `evidence_verify`.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use serde::Serialize;
use serde_json::{Map, Value};
use sidecar_host::evidence::{
    self, EvidenceLog, Failure, Head, InstallationKey, LogOptions, Verified, Writer, Written, redact::redacted,
};
use tauri::{AppHandle, Manager, State};

use crate::error::CommandError;

type Result<T> = std::result::Result<T, CommandError>;

/// Tauri state: the log, once the start has opened it.
#[derive(Default)]
pub struct Evidence {
    log: Mutex<Option<Arc<EvidenceLog>>>,
}

/// Where the log and the installation key live: `<data dir>/evidence/`.
pub fn folder(data_dir: &Path) -> PathBuf {
    data_dir.join("evidence")
}

impl Evidence {
    /// Open (or create) the log and the key; `python` says whether a bundled runtime is in use.
    pub fn open(&self, data_dir: &Path, python: &Path) -> Result<Arc<EvidenceLog>> {
        let dir = folder(data_dir);
        let failed = |error: evidence::EvidenceError| {
            CommandError::new(
                "evidence_failed",
                error.to_string(),
                "The app records every call in its evidence log and does not run without it: check the folder's permissions and free space.",
                false,
            )
        };
        let key = InstallationKey::load_or_create(&dir.join("installation.key")).map_err(failed)?;
        let writer = Writer {
            name: env!("CARGO_PKG_NAME").into(),
            version: env!("CARGO_PKG_VERSION").into(),
            runtime_manifest_sha256: evidence::runtime_manifest_sha256(python),
        };
        let log =
            Arc::new(EvidenceLog::open(&dir.join("evidence.jsonl"), key, LogOptions::new(writer)).map_err(failed)?);
        tracing::info!("evidence log {} (key {})", log.path().display(), log.public_key());
        *self.log.lock().unwrap_or_else(PoisonError::into_inner) = Some(Arc::clone(&log));
        Ok(log)
    }

    fn log(&self) -> Result<Arc<EvidenceLog>> {
        self.log.lock().unwrap_or_else(PoisonError::into_inner).clone().ok_or_else(|| {
            CommandError::new(
                "sidecar_unavailable",
                "the evidence log is not open yet",
                "Wait for the app to start.",
                true,
            )
        })
    }

    /// Record that the sidecar session ended (a crash, or the app's stop). Blocking (fsync).
    pub fn session_stop(&self, reason: &str, detail: Map<String, Value>) {
        if let Ok(log) = self.log()
            && let Err(error) = log.session_stop(reason, detail)
        {
            tracing::error!("cannot record the end of the sidecar session: {error}");
        }
    }

    /// Close the log cleanly as the app exits. Blocking (fsync).
    pub fn close(&self) {
        if let Some(log) = self.log.lock().unwrap_or_else(PoisonError::into_inner).take()
            && let Err(error) = log.close()
        {
            tracing::error!("cannot close the evidence log: {error}");
        }
    }
}

/// Record the end of the sidecar's session (`reason`: crashed, start_failed) off the async threads.
pub async fn session_ended(app: &AppHandle, reason: &'static str, message: String) {
    let app = app.clone();
    let mut detail = Map::new();
    detail.insert("message".into(), Value::String(message));
    let recorded = tauri::async_runtime::spawn_blocking(move || app.state::<Evidence>().session_stop(reason, detail));
    let _ = recorded.await;
}

#[derive(Debug, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct EvidenceStatus {
    pub path: PathBuf,
    pub public_key: String,
    pub head: Head,
    /// Entries this app session wrote.
    pub written: usize,
}

#[derive(Debug, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct EvidenceCheck {
    pub ok: bool,
    /// For people: what verified, or the first thing wrong.
    pub message: String,
    pub verified: Option<Verified>,
    pub failure: Option<Failure>,
}

/// The log's path, key and head.
#[tauri::command]
pub fn evidence_status(evidence: State<'_, Evidence>) -> Result<EvidenceStatus> {
    let log = evidence.log()?;
    Ok(EvidenceStatus {
        path: log.path().to_path_buf(),
        public_key: log.public_key(),
        head: log.head(),
        written: log.written().len(),
    })
}

/// This session's entries, oldest first; with `device_id`, only the calls about that device
/// (matched as it is and as the policy redacts it).
#[tauri::command]
pub fn evidence_entries(evidence: State<'_, Evidence>, device_id: Option<String>) -> Result<Vec<Written>> {
    let written = evidence.log()?.written();
    Ok(match device_id {
        None => written,
        Some(id) => {
            let hidden = redacted(&id);
            written.into_iter().filter(|w| w.device_id.as_deref().is_some_and(|d| d == id || d == hidden)).collect()
        }
    })
}

/// Verify the whole log file (chain and signatures), off the async threads.
#[tauri::command]
pub async fn evidence_verify(evidence: State<'_, Evidence>) -> Result<EvidenceCheck> {
    let log = evidence.log()?;
    let checked = tauri::async_runtime::spawn_blocking(move || log.verify(None)).await.map_err(|error| {
        CommandError::new("internal_error", error.to_string(), "This is a bug in the app; please report it.", false)
    })?;
    let checked = checked.map_err(|error| {
        CommandError::new("io_error", error.to_string(), "Check that the evidence log can be read.", false)
    })?;
    Ok(match checked {
        Ok(verified) => EvidenceCheck {
            ok: true,
            message: format!(
                "{} entries verify (chain and {} signed checkpoints); head {}",
                verified.entries, verified.checkpoints, verified.head
            ),
            verified: Some(verified),
            failure: None,
        },
        Err(failure) => {
            EvidenceCheck { ok: false, message: failure.to_string(), verified: None, failure: Some(failure) }
        }
    })
}
