//! Shared by the tests: the real sidecar from the repo's .venv, the test server, the fake.

use std::future::Future;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, Once};
use std::time::{Duration, Instant};

use sidecar_host::locate::Source;
use sidecar_host::supervisor::{HealthPolicy, RestartPolicy, StopPolicy};
use sidecar_host::types::Policy;
use sidecar_host::{Locator, MethodSpec, PolicyGate, SpawnConfig, SupervisorConfig};

pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().expect("the repository root")
}

/// The Python the host would pick in development; the repo's .venv, not some Python on PATH.
pub fn python() -> PathBuf {
    let located = Locator::from_env(None).locate().unwrap_or_else(|e| panic!("these tests run the real sidecar: {e}"));
    assert_ne!(
        located.source,
        Source::Path,
        "these tests run the real sidecar from the repo's .venv, and there is none (found only {}): run ./scripts/setup, or set SIDECAR_PYTHON",
        located.python.display()
    );
    located.python
}

pub fn init_tracing() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let _ = tracing_subscriber::fmt().with_test_writer().with_max_level(tracing::Level::INFO).try_init();
    });
}

/// An absolute path for a policy's roots; nothing is created (no test writes files).
pub fn scratch(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!("sidecar-host-{}-{name}", std::process::id()))
}

/// Every capability, outputs under `root` (a development policy, as sidecar_devkit.client has).
pub fn policy(root: &Path) -> Policy {
    let roots = ["reports", "logs", "downloads"].map(|name| (name, root.join(name).display().to_string()));
    serde_json::from_value(serde_json::json!({
        "capabilities": ["device.inspect", "device.logs", "report.write", "download.fetch"],
        "roots": serde_json::Map::from_iter(roots.map(|(k, v)| (k.to_string(), serde_json::Value::String(v)))),
        "allow_private_networks": true,
    }))
    .expect("a valid policy")
}

/// The test server's methods (tests/support/testserver.py), which the protocol table lacks.
pub const TEST_METHODS: [MethodSpec; 5] = [
    MethodSpec { name: "test/sleep", capabilities: &[], notification: false },
    MethodSpec { name: "test/echo", capabilities: &[], notification: false },
    MethodSpec { name: "test/app_error", capabilities: &[], notification: false },
    MethodSpec { name: "test/needs_inspect", capabilities: &["device.inspect"], notification: false },
    MethodSpec { name: "test/progress_burst", capabilities: &[], notification: false },
];

pub fn gate(policy: Policy) -> PolicyGate {
    PolicyGate::new(policy).with_methods(TEST_METHODS)
}

/// Quick restarts and stops, so that the crash tests take seconds.
fn quick(spawn: SpawnConfig) -> SupervisorConfig {
    let mut config = SupervisorConfig::new(spawn);
    config.restart = RestartPolicy { first_backoff: Duration::from_millis(20), ..RestartPolicy::default() };
    config.health = HealthPolicy { interval: Duration::from_secs(60), ..HealthPolicy::default() };
    config.stop =
        StopPolicy { grace: Duration::from_millis(1500), term: Duration::from_millis(500), ..StopPolicy::default() };
    config
}

/// The product's command: `python -I -m sidecar`.
pub fn sidecar() -> SupervisorConfig {
    quick(SpawnConfig::new(python()))
}

/// `python -m tests.support.testserver` from the repo root (the test-only methods).
pub fn testserver() -> SupervisorConfig {
    let mut spawn = SpawnConfig::new(python());
    spawn.args = ["-m", "tests.support.testserver"].map(Into::into).to_vec();
    spawn.cwd = Some(repo());
    quick(spawn)
}

/// tests/fixtures/fake_sidecar.py with its behaviours (`&["stubborn"]`, `&["flood=4096"]`).
pub fn fake(mode: &[&str]) -> SupervisorConfig {
    let mut spawn = SpawnConfig::new(python());
    spawn.args = vec![Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/fake_sidecar.py").into()];
    spawn.args.extend(mode.iter().map(Into::into));
    quick(spawn)
}

/// Whether `pid` is a live process (not gone, not a zombie).
pub fn alive(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|stat| stat.rfind(')').map(|i| stat[i + 2..].starts_with(['Z', 'X'])))
        .is_some_and(|dead| !dead)
}

/// A fresh path for a fake sidecar to write pids to (`pidfile=`, `escape=`).
pub fn pidfile(name: &str) -> PathBuf {
    let path = std::env::temp_dir().join(format!("sidecar-host-{}-{name}.pid", std::process::id()));
    let _ = std::fs::remove_file(&path);
    path
}

/// The pids in `path`, once a fake sidecar has written them (it writes them once, whole).
pub async fn read_pids(path: &Path) -> Vec<u32> {
    loop {
        if let Ok(text) = std::fs::read_to_string(path) {
            let pids: Vec<u32> = text.split_whitespace().filter_map(|p| p.parse().ok()).collect();
            if !pids.is_empty() {
                return pids;
            }
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// What reaches `tracing` on this thread while the guard of [`Captured::install`] lives (use a
/// current-thread runtime, so that the host's tasks log on this thread too).
#[derive(Clone, Default)]
pub struct Captured(Arc<Mutex<Vec<u8>>>);

impl Captured {
    pub fn install(&self) -> tracing::subscriber::DefaultGuard {
        let writer = self.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(move || writer.clone())
            .with_ansi(false)
            .with_max_level(tracing::Level::TRACE)
            .finish();
        tracing::subscriber::set_default(subscriber)
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Live (not zombie) processes in process group `pgid`, from /proc.
pub fn group_members(pgid: u32) -> Vec<u32> {
    let mut members = Vec::new();
    for entry in std::fs::read_dir("/proc").expect("/proc").flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else { continue };
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else { continue };
        // "pid (comm) state ppid pgrp ...": comm may hold spaces and parentheses.
        let Some(after) = stat.rfind(')').map(|i| &stat[i + 2..]) else { continue };
        let fields: Vec<&str> = after.split_whitespace().collect();
        if fields.len() > 2 && fields[2] == pgid.to_string() && !matches!(fields[0], "Z" | "X") {
            members.push(pid);
        }
    }
    members
}

/// Poll `check` until it holds or `within` passes; returns whether it held.
pub async fn eventually<F, Fut>(within: Duration, mut check: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = Instant::now() + within;
    loop {
        if check().await {
            return true;
        }
        if Instant::now() > deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
