//! The app's one sidecar: prepared and started in the background as the app starts, reached by
//! the commands through [`Sidecar::client`], stopped (never orphaned) when the app exits.
//!
//! Everything the UI shows about it is a [`Status`], emitted as the `sidecar:status` event on
//! every change and available from the `sidecar_status` command.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Instant;

use serde::Serialize;
use sidecar_host::evidence::Recorder;
use sidecar_host::locate::Source;
use sidecar_host::runtime_check;
use sidecar_host::types::ClientInfo;
use sidecar_host::{CallError, Client, Locator, PolicyGate, SpawnConfig, State, Supervisor, SupervisorConfig};
use tauri::{AppHandle, Emitter, Manager};
use tokio::sync::watch;

use crate::downloads::Downloads;
use crate::error::CommandError;
use crate::evidence::{self, Evidence};
use crate::settings::{self, Dirs, Settings};

pub const STATUS_EVENT: &str = "sidecar:status";

/// What the sidecar is doing, for the UI: starting, failed to start, or once started the
/// supervisor's own [`State`] (`running`, `restarting`, `gave_up`, `stopping`, `stopped`), all
/// told apart by `phase`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(tag = "phase", rename_all = "snake_case")]
pub enum Status {
    Starting,
    /// It never started: the error says what to do.
    Failed {
        error: CommandError,
    },
    #[serde(untagged)]
    Supervised(State),
}

/// Why no call can be made once the supervisor gave up.
fn gave_up(crashes: usize, reason: &str) -> CommandError {
    CommandError::new(
        "sidecar_failed",
        format!("the helper process crashed {crashes} times in a row; last: {reason}"),
        "Restart the app. If it keeps happening, report it with the app's log.",
        false,
    )
}

/// What the app decided at startup, for the UI's "where do things go" panel.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct Setup {
    pub settings_path: PathBuf,
    pub settings: Settings,
    pub dirs: Dirs,
    pub python: PathBuf,
    /// Where that Python came from: the bundled runtime, or a development fallback.
    pub python_source: &'static str,
}

/// Tauri state: the supervisor once started, and the status.
pub struct Sidecar {
    status: watch::Sender<Status>,
    supervisor: Mutex<Option<Supervisor>>,
    setup: Mutex<Option<Setup>>,
}

impl Default for Sidecar {
    fn default() -> Self {
        Self { status: watch::Sender::new(Status::Starting), supervisor: Mutex::default(), setup: Mutex::default() }
    }
}

impl Sidecar {
    pub fn status(&self) -> Status {
        self.status.borrow().clone()
    }

    pub fn setup(&self) -> Option<Setup> {
        lock(&self.setup).clone()
    }

    /// A connection to the running sidecar; while it is starting, waits for the start to end.
    pub async fn client(&self) -> Result<Client, CommandError> {
        let mut status = self.status.subscribe();
        let settled = status.wait_for(|s| *s != Status::Starting).await.map(|s| s.clone());
        match settled {
            Ok(Status::Failed { error }) => return Err(error),
            Ok(Status::Supervised(State::GaveUp { crashes, reason })) => return Err(gave_up(crashes, &reason)),
            _ => {}
        }
        let supervisor = lock(&self.supervisor);
        let supervisor = supervisor.as_ref().ok_or_else(|| {
            CommandError::new("sidecar_unavailable", "the app is shutting down", "Start the app again.", false)
        })?;
        Ok(supervisor.client()?)
    }

    /// The connection to the sidecar running now, without waiting (the download queue's resubmissions).
    pub fn running_client(&self) -> Result<Client, CallError> {
        match lock(&self.supervisor).as_ref() {
            Some(supervisor) => supervisor.client(),
            None => Err(CallError::Unavailable("the app is shutting down".into())),
        }
    }

    /// Prepare (settings, folders, policy, Python) and start; the outcome goes to the status.
    pub async fn start(&self, app: &AppHandle) {
        let started = match prepare(app) {
            Ok((setup, config, gate)) => {
                *lock(&self.setup) = Some(setup);
                Supervisor::start(config, gate).await.map_err(|error| CommandError::from(&error))
            }
            Err(error) => Err(error),
        };
        match started {
            Ok(supervisor) => {
                let states = supervisor.watch();
                let download_states = supervisor.watch();
                // Publish the supervisor before the status says so, so that `client` finds it.
                *lock(&self.supervisor) = Some(supervisor);
                let handle = app.clone();
                let client = move || handle.state::<Sidecar>().running_client();
                app.state::<Downloads>().resume_whenever_running(download_states, client);
                self.forward_states(app, states).await;
            }
            Err(error) => {
                tracing::error!("the sidecar did not start: {}", error.message);
                evidence::session_ended(app, "start_failed", error.message.clone()).await;
                self.publish(app, Status::Failed { error });
            }
        }
    }

    /// Mirror the supervisor's states into the status until it stops; a crash ends the
    /// evidence log's session (the restart's `initialize` starts the next).
    async fn forward_states(&self, app: &AppHandle, mut states: watch::Receiver<State>) {
        loop {
            let state = states.borrow_and_update().clone();
            let last = matches!(state, State::Stopped | State::GaveUp { .. });
            if let State::Restarting { reason, .. } | State::GaveUp { reason, .. } = &state {
                evidence::session_ended(app, "crashed", reason.clone()).await;
            }
            self.publish(app, Status::Supervised(state));
            if last || states.changed().await.is_err() {
                return;
            }
        }
    }

    fn publish(&self, app: &AppHandle, status: Status) {
        if let Err(error) = app.emit(STATUS_EVENT, &status) {
            tracing::warn!("cannot emit {STATUS_EVENT}: {error}");
        }
        self.status.send_replace(status);
    }

    /// Stop the sidecar (`shutdown` + `exit`, escalating to signals of its whole group), record
    /// that in the evidence log, and close it.
    pub async fn stop(&self, evidence: &Evidence) {
        let supervisor = lock(&self.supervisor).take();
        if let Some(supervisor) = supervisor {
            let report = supervisor.stop().await;
            tracing::info!("sidecar stopped: {:?} ({:?})", report.status, report.escalation);
            let detail = serde_json::json!({
                "exit": report.status.map(|status| status.to_string()),
                "escalation": format!("{:?}", report.escalation).to_lowercase(),
            });
            evidence.session_stop("stopped", detail.as_object().cloned().unwrap_or_default());
        }
        evidence.close();
    }
}

type Prepared = (Setup, SupervisorConfig, PolicyGate);

fn prepare(app: &AppHandle) -> Result<Prepared, CommandError> {
    let paths = app.path();
    let config_dir = paths.app_config_dir().map_err(no_folder)?;
    let data_dir = paths.app_data_dir().map_err(no_folder)?;
    let settings_path = config_dir.join("settings.json");
    let settings = Settings::load(&settings_path)?;
    let dirs = Dirs::new(&data_dir, paths.download_dir().ok(), &settings);
    dirs.create()?;
    let policy = settings::policy(&settings, &dirs)?;

    let located = Locator::from_env(paths.resource_dir().ok())
        .locate()
        .map_err(|error| CommandError::new("sidecar_start_failed", error.to_string(), "Reinstall the app.", false))?;
    tracing::info!("sidecar Python: {} ({:?})", located.python.display(), located.source);
    if located.source == Source::Bundled {
        check_runtime(&located.python)?;
    }
    let mut config = SupervisorConfig::new(SpawnConfig::new(&located.python));
    // Every call is recorded; without the log, nothing runs.
    let log = app.state::<Evidence>().open(&data_dir, &located.python)?;
    app.state::<Downloads>().open(&data_dir, &dirs.downloads)?;
    config.client.evidence = Some(Recorder::new(log));
    config.handshake.host_config = settings.host_config();
    config.handshake.client =
        ClientInfo { name: env!("CARGO_PKG_NAME").into(), version: env!("CARGO_PKG_VERSION").into() };
    let setup =
        Setup { settings_path, settings, dirs, python: located.python, python_source: source_name(located.source) };
    Ok((setup, config, PolicyGate::new(policy)))
}

/// Refuse a bundled runtime that differs from its manifest (an interrupted update, a damaged
/// disk, a planted module) before running anything from it.
fn check_runtime(python: &Path) -> Result<(), CommandError> {
    // <runtime>/bin/python3: the runtime is two levels up.
    let root = python.parent().and_then(Path::parent).unwrap_or(python);
    let started = Instant::now();
    runtime_check::check(root).map_err(|error| {
        CommandError::new(
            "runtime_damaged",
            error.to_string(),
            "Reinstall the app: its bundled Python runtime is incomplete or was modified.",
            false,
        )
    })?;
    tracing::info!("bundled runtime matches its manifest (checked in {:?})", started.elapsed());
    Ok(())
}

fn source_name(source: Source) -> &'static str {
    match source {
        Source::Bundled => "bundled runtime",
        Source::EnvVar => "SIDECAR_PYTHON",
        Source::Venv => "development .venv",
        Source::Path => "PATH",
    }
}

fn no_folder(error: tauri::Error) -> CommandError {
    CommandError::new(
        "io_error",
        format!("cannot find the app's folders: {error}"),
        "Check that HOME is set and that its folders are writable.",
        false,
    )
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn the_status_is_the_supervisors_state_as_it_serialises_or_the_apps_own_phase() {
        let running = Status::Supervised(State::Running { pid: 7, restarts: 1 });
        assert_eq!(serde_json::to_value(running).unwrap(), json!({"phase": "running", "pid": 7, "restarts": 1}));
        let gave_up = Status::Supervised(State::GaveUp { crashes: 5, reason: "exit 1".into() });
        assert_eq!(
            serde_json::to_value(gave_up).unwrap(),
            json!({"phase": "gave_up", "crashes": 5, "reason": "exit 1"})
        );
        assert_eq!(serde_json::to_value(Status::Starting).unwrap(), json!({"phase": "starting"}));
        let failed = Status::Failed { error: CommandError::new("settings_invalid", "m", "s", false) };
        assert_eq!(serde_json::to_value(failed).unwrap()["phase"], "failed");
    }
}
