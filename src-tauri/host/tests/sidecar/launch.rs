use std::sync::Arc;
use std::time::Duration;

use sidecar_host::spawn::{self, SpawnConfig};
use sidecar_host::{Client, ClientConfig, SpawnError, StartError, Supervisor, SupervisorConfig};

use crate::common::{self, Captured, fake, gate, python, scratch};

#[tokio::test]
async fn a_missing_python_is_a_clear_error() {
    common::init_tracing();
    let config = SupervisorConfig::new(SpawnConfig::new("/nonexistent/bin/python3"));
    let error = Supervisor::start(config, gate(common::policy(&scratch("missing")))).await.expect_err("no python");
    assert!(matches!(error, StartError::Spawn(SpawnError::Launch { .. })), "{error}");
    let text = error.to_string();
    assert!(text.contains("/nonexistent/bin/python3") && text.contains("No such file"), "{text}");
}

#[tokio::test]
async fn a_python_without_the_sidecar_says_why() {
    common::init_tracing();
    let mut spawn = SpawnConfig::new(python());
    spawn.args = ["-I", "-m", "no_such_sidecar_module"].map(Into::into).to_vec();
    let error = Supervisor::start(SupervisorConfig::new(spawn), gate(common::policy(&scratch("no-module"))))
        .await
        .expect_err("no module");
    let text = error.to_string();
    assert!(matches!(error, StartError::Handshake { .. }), "{text}");
    assert!(text.contains("No module named no_such_sidecar_module"), "the error shows the child's stderr: {text}");
}

/// 4 MiB of stderr before each answer: without the drain the child blocks on a full pipe
/// (64 KiB) and the call never returns.
#[tokio::test(flavor = "current_thread")]
async fn a_stderr_flood_does_not_deadlock_and_reaches_tracing() {
    let captured = Captured::default();
    let _guard = captured.install();

    let spawned = spawn::spawn(&fake(&["flood=4194304"]).spawn).expect("spawn");
    let client = Client::connect(
        spawned.stdin,
        spawned.stdout,
        &ClientConfig { timeout: Duration::from_secs(30), ..ClientConfig::default() },
        Arc::new(gate(common::policy(&scratch("flood")))),
    );
    for _ in 0..2 {
        let health = client.health().await.expect("answered despite the flood");
        assert_eq!(health.pid, i64::from(spawned.pid));
    }
    spawned.group.kill();
    let log = captured.text();
    assert!(log.contains("[python] flood xxx"), "stderr lines are forwarded with the [python] prefix");
}
