//! Keeps one sidecar running for the app: start and handshake, health checks, restarts with
//! backoff (giving up after too many crashes), and stopping it without leaving anything behind.
//!
//! * When the child dies, its connection closes at once, so every in-flight call fails with
//!   [`CallError::Unavailable`] instead of hanging; calls made while it restarts fail the same
//!   way. Callers take a fresh [`Client`] from [`Supervisor::client`] per call or per batch.
//! * A connection that ends while the child lives (it closed a pipe, or sent what cannot be
//!   framed) is a crash too, and so is a child that exits during the handshake (noticed at
//!   once, even when something it started still holds its stdout open).
//! * Restarts back off exponentially; the 5th crash within 3 minutes (by default) ends in
//!   [`State::GaveUp`], which [`Supervisor::watch`] reports.
//! * [`Supervisor::stop`] is `shutdown` + `exit`; SIGTERM to the group after 2 s; SIGKILL to
//!   the group after 2 s more. Signals go to the sidecar by pid too (it may have left its
//!   group), and on Linux to what it started outside the group ([`crate::escaped`]). Every
//!   wait is bounded: a process that SIGKILL cannot end at once (stuck in the kernel) is left
//!   to tokio to reap later rather than waited for.
//! * Dropping the supervisor, or the future of [`Supervisor::start`] (a caller's timeout),
//!   kills everything on the spot.

use std::collections::VecDeque;
use std::fmt;
use std::process::ExitStatus;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use tokio::process::Child;
use tokio::sync::{mpsc, oneshot, watch};
use tokio::task::JoinHandle;
use tokio::time::Instant;

use crate::client::{CallError, Client, ClientConfig};
use crate::group::ProcessGroup;
use crate::handshake::{self, HandshakeConfig, HandshakeError};
use crate::policy::PolicyGate;
use crate::spawn::{self, SpawnConfig, SpawnError};
use crate::stderr::StderrLog;

#[derive(Debug, Clone)]
pub struct SupervisorConfig {
    pub spawn: SpawnConfig,
    pub client: ClientConfig,
    pub handshake: HandshakeConfig,
    pub restart: RestartPolicy,
    pub health: HealthPolicy,
    pub stop: StopPolicy,
}

impl SupervisorConfig {
    pub fn new(spawn: SpawnConfig) -> Self {
        Self {
            spawn,
            client: ClientConfig::default(),
            handshake: HandshakeConfig::default(),
            restart: RestartPolicy::default(),
            health: HealthPolicy::default(),
            stop: StopPolicy::default(),
        }
    }
}

#[derive(Debug, Clone)]
pub struct RestartPolicy {
    /// This many crashes within `window` and the supervisor gives up.
    pub max_crashes: usize,
    pub window: Duration,
    /// The wait before the first restart; doubled per crash in the window, up to `max_backoff`.
    pub first_backoff: Duration,
    pub max_backoff: Duration,
}

impl Default for RestartPolicy {
    fn default() -> Self {
        Self {
            max_crashes: 5,
            window: Duration::from_secs(180),
            first_backoff: Duration::from_millis(250),
            max_backoff: Duration::from_secs(10),
        }
    }
}

#[derive(Debug, Clone)]
pub struct HealthPolicy {
    pub interval: Duration,
    pub timeout: Duration,
    /// Failed checks in a row that count as a crash (a hung sidecar is restarted).
    pub failures: u32,
}

impl Default for HealthPolicy {
    fn default() -> Self {
        Self { interval: Duration::from_secs(10), timeout: Duration::from_secs(5), failures: 2 }
    }
}

#[derive(Debug, Clone)]
pub struct StopPolicy {
    /// From `shutdown` to SIGTERM.
    pub grace: Duration,
    /// From SIGTERM to SIGKILL.
    pub term: Duration,
    /// From SIGKILL to giving up waiting (after a stop or a crash): a process in uninterruptible
    /// IO cannot die before the IO ends; tokio reaps it whenever it does.
    pub kill: Duration,
}

impl Default for StopPolicy {
    fn default() -> Self {
        Self { grace: Duration::from_secs(2), term: Duration::from_secs(2), kill: Duration::from_secs(2) }
    }
}

/// What the supervisor is doing; [`Supervisor::watch`] reports every change. The app shows it
/// as it serialises: `{"phase": "running", "pid": .., "restarts": ..}`, and so on.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(tag = "phase", rename_all = "snake_case")]
pub enum State {
    Running {
        pid: u32,
        restarts: u32,
    },
    Restarting {
        crashes: usize,
        reason: String,
    },
    /// Too many crashes: no more restarts. The app should tell the user.
    GaveUp {
        crashes: usize,
        reason: String,
    },
    Stopping,
    Stopped,
}

impl fmt::Display for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Running { pid, restarts } => write!(f, "running (pid {pid}, {restarts} restarts)"),
            Self::Restarting { crashes, reason } => write!(f, "restarting after crash {crashes}: {reason}"),
            Self::GaveUp { crashes, reason } => write!(f, "gave up after {crashes} crashes; last: {reason}"),
            Self::Stopping => f.write_str("stopping"),
            Self::Stopped => f.write_str("stopped"),
        }
    }
}

/// How far a stop had to go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Escalation {
    /// `shutdown` + `exit` sufficed.
    None,
    Terminated,
    Killed,
}

#[derive(Debug)]
pub struct StopReport {
    /// The sidecar's exit status, when there was a sidecar to stop.
    pub status: Option<ExitStatus>,
    pub escalation: Escalation,
}

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Spawn(#[from] SpawnError),
    #[error("the sidecar failed its handshake: {source}{}", output(.stderr))]
    Handshake { source: HandshakeError, stderr: String },
}

fn output(stderr: &str) -> String {
    if stderr.is_empty() { String::new() } else { format!("\nits last output:\n{stderr}") }
}

/// Owns the running sidecar. Stop it with [`Supervisor::stop`]; dropping it kills it.
#[derive(Debug)]
pub struct Supervisor {
    shared: Arc<Shared>,
    gate: Arc<PolicyGate>,
    stop_requests: mpsc::Sender<oneshot::Sender<StopReport>>,
    task: JoinHandle<()>,
}

#[derive(Debug)]
struct Shared {
    state: watch::Sender<State>,
    client: Mutex<Option<Client>>,
    /// The group to kill from `Drop`: set as soon as a child exists, cleared once it is reaped.
    group: Mutex<Option<ProcessGroup>>,
}

impl Supervisor {
    /// Spawn the sidecar and complete the handshake; an error here is returned, not retried
    /// (a missing Python or a broken install does not get better by restarting).
    pub async fn start(config: SupervisorConfig, gate: PolicyGate) -> Result<Self, StartError> {
        let gate = Arc::new(gate);
        let shared = Arc::new(Shared {
            state: watch::Sender::new(State::Stopped),
            client: Mutex::default(),
            group: Mutex::default(),
        });
        let instance = launch(&config, &gate, &shared).await?;
        shared.running(&instance, 0);
        let (stop_requests, stop_queue) = mpsc::channel(1);
        let task = tokio::spawn(supervise(instance, config, Arc::clone(&gate), Arc::clone(&shared), stop_queue));
        Ok(Self { shared, gate, stop_requests, task })
    }

    /// The connection to the running sidecar, or why there is none.
    pub fn client(&self) -> Result<Client, CallError> {
        lock(&self.shared.client).clone().ok_or_else(|| CallError::Unavailable(self.state().to_string()))
    }

    pub fn state(&self) -> State {
        self.shared.state.borrow().clone()
    }

    /// Every state change, for the app's UI.
    pub fn watch(&self) -> watch::Receiver<State> {
        self.shared.state.subscribe()
    }

    pub fn gate(&self) -> &Arc<PolicyGate> {
        &self.gate
    }

    /// Stop gracefully, escalating to SIGTERM and then SIGKILL of the whole group.
    pub async fn stop(self) -> StopReport {
        let (reply, report) = oneshot::channel();
        if self.stop_requests.send(reply).await.is_ok()
            && let Ok(report) = report.await
        {
            return report;
        }
        // The supervising task has ended (it gave up), and with it the last sidecar.
        StopReport { status: None, escalation: Escalation::None }
    }
}

impl Drop for Supervisor {
    fn drop(&mut self) {
        // Synchronous on purpose: Drop may run as the app exits, with no runtime left to await on.
        if let Some(group) = lock(&self.shared.group).take()
            && group.kill()
        {
            tracing::warn!(group = group.id(), "supervisor dropped with the sidecar running: killed its process group");
        }
        self.task.abort();
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Shared {
    fn running(&self, instance: &Instance, restarts: u32) {
        *lock(&self.client) = Some(instance.client.clone());
        self.state.send_replace(State::Running { pid: instance.pid, restarts });
    }

    /// Any state but running: no client is handed out any more.
    fn set(&self, state: State) {
        *lock(&self.client) = None;
        self.state.send_replace(state);
    }
}

/// One child process and its connection. Dropping it before [`discard`] (a dropped start, an
/// aborted task) kills everything the sidecar started, not just the sidecar.
struct Instance {
    child: Child,
    pid: u32,
    group: ProcessGroup,
    stderr: StderrLog,
    client: Client,
    /// Killed and reaped by [`discard`] (or given up on): nothing left for `Drop`.
    discarded: bool,
}

impl Drop for Instance {
    fn drop(&mut self) {
        if !self.discarded {
            // Synchronous: a dropped future gets no chance to await. The child's own
            // `kill_on_drop` takes care of the sidecar itself, by pid.
            self.group.kill();
            tracing::warn!(pid = self.pid, "a sidecar was dropped before it was stopped; killed all it started");
        }
    }
}

async fn launch(config: &SupervisorConfig, gate: &Arc<PolicyGate>, shared: &Shared) -> Result<Instance, StartError> {
    let mut spawn_config = config.spawn.clone();
    // Both ends must agree on the frame limit.
    spawn_config.args.push("--max-frame-bytes".into());
    spawn_config.args.push(config.client.max_frame_bytes.to_string().into());
    let spawned = spawn::spawn(&spawn_config)?;
    *lock(&shared.group) = Some(spawned.group.clone());
    let client = Client::connect(spawned.stdin, spawned.stdout, &config.client, Arc::clone(gate));
    let mut instance = Instance {
        child: spawned.child,
        pid: spawned.pid,
        group: spawned.group,
        stderr: spawned.stderr,
        client,
        discarded: false,
    };
    // A sidecar that exits during the handshake fails it at once, even when something it
    // started still holds its stdout open (so that its connection does not end).
    let outcome = tokio::select! {
        result = handshake::initialize(&instance.client, &config.handshake) => result,
        status = instance.child.wait() => Err(HandshakeError::Call(CallError::Unavailable(exited(status)))),
    };
    match outcome {
        Ok(result) => {
            tracing::info!(pid = instance.pid, version = result.server.version, "sidecar ready");
            Ok(instance)
        }
        Err(source) => {
            tracing::warn!(pid = instance.pid, %source, "sidecar handshake failed");
            discard(&mut instance, &source.to_string(), shared, config.stop.kill).await;
            // Its last words usually say why (a Python without the sidecar, a traceback).
            instance.stderr.finished(Duration::from_secs(1)).await;
            Err(StartError::Handshake { source, stderr: instance.stderr.tail() })
        }
    }
}

fn exited(status: std::io::Result<ExitStatus>) -> String {
    match status {
        Ok(status) => format!("the sidecar exited ({status})"),
        Err(error) => format!("cannot wait for the sidecar: {error}"),
    }
}

/// Fail the calls of a dead or unwanted child, kill all it started, and reap it, waiting for
/// that at most `within` after the SIGKILL; its exit status, if it was reaped.
async fn discard(instance: &mut Instance, reason: &str, shared: &Shared, within: Duration) -> Option<ExitStatus> {
    instance.client.close(reason);
    instance.group.kill();
    // By pid too: the sidecar may have left its group. Tokio knows whether it was reaped.
    let _ = instance.child.start_kill();
    let status = match tokio::time::timeout(within, instance.child.wait()).await {
        Ok(Ok(status)) => Some(status),
        Ok(Err(error)) => {
            tracing::warn!(pid = instance.pid, %error, "cannot reap the sidecar");
            None
        }
        Err(_) => {
            // Dropping the child hands it to tokio, which reaps it whenever it dies.
            tracing::error!(pid = instance.pid, ?within, "the sidecar did not die after SIGKILL; not waiting for it");
            None
        }
    };
    instance.discarded = true;
    *lock(&shared.group) = None;
    status
}

enum Watched {
    Stop(Option<oneshot::Sender<StopReport>>),
    Crashed(String),
}

async fn supervise(
    mut instance: Instance,
    config: SupervisorConfig,
    gate: Arc<PolicyGate>,
    shared: Arc<Shared>,
    mut stop_requests: mpsc::Receiver<oneshot::Sender<StopReport>>,
) {
    let mut crashes: VecDeque<Instant> = VecDeque::new();
    let mut restarts = 0;
    loop {
        let mut reason = match watch_instance(&mut instance, &config.health, &mut stop_requests).await {
            Watched::Stop(reply) => {
                shared.set(State::Stopping);
                let report = stop(instance, &config.stop, &shared).await;
                shared.set(State::Stopped);
                if let Some(reply) = reply {
                    let _ = reply.send(report);
                }
                return;
            }
            Watched::Crashed(reason) => reason,
        };
        let mut dead = Some(instance);
        instance = loop {
            let now = Instant::now();
            crashes.push_back(now);
            while crashes.front().is_some_and(|t| now.duration_since(*t) > config.restart.window) {
                crashes.pop_front();
            }
            let count = crashes.len();
            let gave_up = count >= config.restart.max_crashes;
            tracing::warn!(crashes = count, %reason, "the sidecar crashed");
            shared.set(if gave_up {
                State::GaveUp { crashes: count, reason: reason.clone() }
            } else {
                State::Restarting { crashes: count, reason: reason.clone() }
            });
            if let Some(mut dead) = dead.take() {
                discard(&mut dead, &reason, &shared, config.stop.kill).await;
            }
            if gave_up {
                tracing::error!(crashes = count, %reason, "the sidecar keeps crashing; giving up");
                return;
            }
            let relaunch = async {
                tokio::time::sleep(backoff(&config.restart, count)).await;
                launch(&config, &gate, &shared).await
            };
            // A stop must not wait for a restart that may take a whole handshake timeout.
            let relaunched = tokio::select! {
                relaunched = relaunch => relaunched,
                reply = stop_requests.recv() => {
                    // Dropping the relaunch has killed the sidecar it was starting, if any.
                    let killed = lock(&shared.group).take().is_some();
                    shared.set(State::Stopped);
                    if let Some(reply) = reply {
                        let escalation = if killed { Escalation::Killed } else { Escalation::None };
                        let _ = reply.send(StopReport { status: None, escalation });
                    }
                    return;
                }
            };
            match relaunched {
                Ok(next) => break next,
                Err(error) => reason = error.to_string(),
            }
        };
        restarts += 1;
        shared.running(&instance, restarts);
    }
}

fn backoff(policy: &RestartPolicy, crashes: usize) -> Duration {
    let doublings = u32::try_from(crashes.saturating_sub(1)).unwrap_or(u32::MAX).min(16);
    policy.first_backoff.saturating_mul(1 << doublings).min(policy.max_backoff)
}

/// Until the child exits, health checks fail too often, or a stop is requested.
async fn watch_instance(
    instance: &mut Instance,
    health: &HealthPolicy,
    stop_requests: &mut mpsc::Receiver<oneshot::Sender<StopReport>>,
) -> Watched {
    let checks = check_health(instance.client.with_timeout(health.timeout), health.clone());
    tokio::pin!(checks);
    tokio::select! {
        biased;
        status = instance.child.wait() => Watched::Crashed(exited(status)),
        reason = instance.client.closed() => {
            // The exit, when that is why, says more than the closed pipe that comes with it.
            match tokio::time::timeout(EXIT_NOTICE, instance.child.wait()).await {
                Ok(status) => Watched::Crashed(exited(status)),
                Err(_) => Watched::Crashed(format!("the connection to the running sidecar ended: {reason}")),
            }
        }
        reason = &mut checks => Watched::Crashed(reason),
        reply = stop_requests.recv() => Watched::Stop(reply),
    }
}

/// How long a closed connection waits for the exit that usually comes with it.
const EXIT_NOTICE: Duration = Duration::from_millis(100);

/// Runs until `failures` health checks in a row have failed, and says why.
async fn check_health(client: Client, policy: HealthPolicy) -> String {
    let mut failures = 0;
    loop {
        tokio::time::sleep(policy.interval).await;
        match client.health().await {
            Ok(_) => failures = 0,
            Err(error) => {
                failures += 1;
                tracing::warn!(%error, failures, "sidecar health check failed");
                if failures >= policy.failures {
                    return format!("{failures} health checks in a row failed; the last: {error}");
                }
            }
        }
    }
}

async fn stop(mut instance: Instance, policy: &StopPolicy, shared: &Shared) -> StopReport {
    let client = instance.client.with_timeout(policy.grace);
    let child = &mut instance.child;
    let graceful = async {
        if let Err(error) = client.shutdown().await {
            tracing::debug!(%error, "shutdown was not answered");
        }
        if let Err(error) = client.exit().await {
            tracing::debug!(%error, "exit could not be sent");
        }
        child.wait().await
    };
    let (status, escalation) = match tokio::time::timeout(policy.grace, graceful).await {
        Ok(status) => (status.ok(), Escalation::None),
        Err(_) => {
            tracing::warn!(pid = instance.pid, "the sidecar did not exit after shutdown; SIGTERM to it and its group");
            instance.group.terminate();
            crate::group::terminate_leader(&instance.child);
            match tokio::time::timeout(policy.term, instance.child.wait()).await {
                Ok(status) => (status.ok(), Escalation::Terminated),
                Err(_) => {
                    tracing::warn!(pid = instance.pid, "the sidecar ignored SIGTERM; SIGKILL to it and its group");
                    (None, Escalation::Killed)
                }
            }
        }
    };
    // Kills what is left: the group outlives its leader when something the sidecar started is
    // still running, and after an ignored SIGTERM, the sidecar itself.
    let reaped = discard(&mut instance, "the sidecar was stopped", shared, policy.kill).await;
    let status = status.or(reaped);
    tracing::info!(pid = instance.pid, ?status, ?escalation, "sidecar stopped");
    StopReport { status, escalation }
}
