//! The host against a sidecar that misbehaves on purpose (tests/fixtures/fake_sidecar.py):
//! progress floods, processes that leave the group, dead pipes of a live child, deaths during
//! the handshake, garbage. Each test names what the host must still do.

use std::time::Duration;

use serde_json::json;
use sidecar_host::handshake::HandshakeError;
use sidecar_host::supervisor::{Escalation, HealthPolicy, State};
use sidecar_host::types::ProgressValueKind;
use sidecar_host::{CallError, ProgressStream, StartError, Supervisor, SupervisorConfig};

use crate::common::{self, Captured, alive, eventually, fake, gate, group_members, pidfile, read_pids, scratch};

async fn start(config: SupervisorConfig, name: &str) -> Supervisor {
    common::init_tracing();
    Supervisor::start(config, gate(common::policy(&scratch(name)))).await.expect("start")
}

fn running_pid(supervisor: &Supervisor) -> u32 {
    match supervisor.state() {
        State::Running { pid, .. } => pid,
        other => panic!("not running: {other}"),
    }
}

/// Far more than any functional wait here; a hang shows as this timeout.
const HANG: Duration = Duration::from_secs(20);

#[tokio::test]
async fn a_progress_flood_waits_coalesced_for_a_slow_reader() {
    let supervisor = start(fake(&["progress-flood=20000"]), "progress-flood").await;
    let client = supervisor.client().unwrap();
    let (token, mut progress) = client.progress_channel();
    // The reader of the stream reads nothing until the call is over: 20,002 updates arrive.
    let result: String = client.request("test/echo", Some(&json!({ "progress_token": token }))).await.unwrap();
    assert_eq!(result, "flooded");
    assert!(progress.waiting() <= ProgressStream::CAPACITY + 1, "{} updates wait", progress.waiting());
    let mut received = Vec::new();
    while let Some(value) = progress.recv().await {
        received.push(value);
    }
    assert!(received.len() <= ProgressStream::CAPACITY + 1, "{} updates were kept", received.len());
    assert_eq!(received.first().map(|v| v.kind), Some(ProgressValueKind::Begin), "begin is not coalesced away");
    let end = received.last().expect("updates");
    assert_eq!((end.kind, end.message.as_deref()), (ProgressValueKind::End, Some("done")), "end is never dropped");
    let latest = &received[received.len() - 2];
    assert_eq!(latest.message.as_deref(), Some("report 19999"), "the latest report wins");
    supervisor.stop().await;
}

#[tokio::test]
async fn dropping_the_start_during_the_handshake_kills_the_whole_group() {
    common::init_tracing();
    let pids = pidfile("start-dropped");
    let config = fake(&[&format!("grandchild,mute-initialize,pidfile={}", pids.display())]);
    let start = Supervisor::start(config, gate(common::policy(&scratch("start-dropped"))));
    // As a caller's timeout or `select!` would: the start future is dropped mid-handshake.
    let pids = tokio::select! {
        _ = start => panic!("the handshake cannot complete"),
        pids = read_pids(&pids) => pids,
    };
    assert_eq!(pids.len(), 2, "the sidecar and its grandchild: {pids:?}");
    assert!(
        eventually(Duration::from_secs(5), || async { group_members(pids[0]).is_empty() }).await,
        "left running: {:?}",
        group_members(pids[0])
    );
}

#[tokio::test]
async fn a_sidecar_that_left_its_group_is_still_stopped() {
    let supervisor = start(fake(&["leave-group,ignore-term"]), "left-stop").await;
    let pid = running_pid(&supervisor);
    let report = tokio::time::timeout(HANG, supervisor.stop()).await.expect("the stop ends");
    assert_eq!(report.escalation, Escalation::Killed);
    assert!(report.status.is_some(), "reaped");
    assert!(!alive(pid));
}

#[tokio::test]
async fn a_hung_sidecar_that_left_its_group_is_restarted() {
    let mut config = fake(&["leave-group,hang-health"]);
    config.health =
        HealthPolicy { interval: Duration::from_millis(100), timeout: Duration::from_millis(200), failures: 2 };
    let supervisor = start(config, "left-restart").await;
    let first = running_pid(&supervisor);
    let mut states = supervisor.watch();
    let restarted = tokio::time::timeout(HANG, states.wait_for(|s| matches!(s, State::Running { restarts: 1, .. })))
        .await
        .is_ok_and(|state| state.is_ok());
    assert!(restarted, "still {} after the crash", supervisor.state());
    assert!(!alive(first));
    tokio::time::timeout(HANG, supervisor.stop()).await.expect("the stop ends");
}

#[tokio::test]
async fn a_refused_handshake_does_not_hang_on_a_sidecar_that_left_its_group() {
    common::init_tracing();
    let config = fake(&["leave-group,wrong-digest"]);
    let started = Supervisor::start(config, gate(common::policy(&scratch("left-refused"))));
    let error = tokio::time::timeout(HANG, started).await.expect("the start ends").expect_err("refused");
    assert!(matches!(error, StartError::Handshake { source: HandshakeError::DigestMismatch { .. }, .. }), "{error}");
}

/// Start a fake that breaks its connection after the handshake but stays alive, `poke` it,
/// and return the reason of the crash the supervisor saw.
async fn connection_death(behaviour: &str, poke: impl AsyncFnOnce(&sidecar_host::Client, u32)) -> String {
    // Health checks so rare that only the connection's end can be noticed in time.
    let supervisor = start(fake(&[behaviour]), behaviour).await;
    let first = running_pid(&supervisor);
    let client = supervisor.client().unwrap();
    let mut states = supervisor.watch();
    poke(&client, first).await;
    let crashed = tokio::time::timeout(HANG, states.wait_for(|s| !matches!(s, State::Running { restarts: 0, .. })))
        .await
        .unwrap_or_else(|_| panic!("still {} with a dead connection", supervisor.state()))
        .expect("state")
        .clone();
    let State::Restarting { reason, .. } = crashed else { panic!("{crashed}") };
    assert!(matches!(client.health().await, Err(CallError::Unavailable(_))), "the dead client is not handed out");
    assert!(eventually(Duration::from_secs(5), || async { !alive(first) }).await, "the old sidecar was killed");
    supervisor.stop().await;
    reason
}

#[tokio::test]
async fn a_sidecar_that_closes_its_stdout_is_a_crash() {
    let reason = connection_death("close-stdout", async |_, _| {}).await;
    assert!(reason.contains("closed its output"), "{reason}");
}

#[tokio::test]
async fn a_frame_that_cannot_be_read_is_a_crash() {
    let reason = connection_death("bad-frame", async |_, _| {}).await;
    assert!(reason.contains("reading from the sidecar failed"), "{reason}");
}

#[tokio::test]
async fn a_sidecar_that_closes_its_stdin_is_a_crash_at_the_next_write() {
    let reason = connection_death("close-stdin", async |client, pid| {
        // Nothing tells the host before it writes: once fd 0 is closed, the next call does.
        let closed = eventually(Duration::from_secs(5), || async {
            !std::path::Path::new(&format!("/proc/{pid}/fd/0")).exists()
        });
        assert!(closed.await, "the fake closed its stdin");
        let error = client.health().await.unwrap_err();
        assert!(matches!(error, CallError::Unavailable(_)), "{error}");
    })
    .await;
    assert!(reason.contains("writing to the sidecar failed"), "{reason}");
}

#[tokio::test]
async fn a_sidecar_dying_in_the_handshake_fails_the_start_at_once_though_its_child_holds_stdout() {
    common::init_tracing();
    let pids = pidfile("died-in-handshake");
    let mut config = fake(&[&format!("grandchild,exit-on-initialize,pidfile={}", pids.display())]);
    config.handshake.timeout = Duration::from_secs(600);
    let started = Supervisor::start(config, gate(common::policy(&scratch("died-in-handshake"))));
    let error = tokio::time::timeout(HANG, started).await.expect("not the handshake timeout").expect_err("failed");
    let text = error.to_string();
    assert!(text.contains("exited") && text.contains('3'), "says the sidecar exited, with its status: {text}");
    let pids = read_pids(&pids).await;
    assert!(
        eventually(Duration::from_secs(5), || async { group_members(pids[0]).is_empty() }).await,
        "the grandchild that held stdout was killed too"
    );
}

/// Shown lines with `shown` in them, and the sum of `suppressed=K` on summary lines about `what`.
fn logged(log: &str, shown: &str, what: &str) -> (u64, u64) {
    let summaries = log.lines().filter(|l| l.contains("suppressed=") && l.contains(what));
    let suppressed = summaries
        .map(|l| l.rsplit("suppressed=").next().and_then(|n| n.trim().parse::<u64>().ok()).expect("a count"))
        .sum();
    let lines = log.lines().filter(|l| l.contains(shown) && !l.contains("suppressed=")).count();
    (u64::try_from(lines).unwrap(), suppressed)
}

#[tokio::test(flavor = "current_thread")]
async fn garbage_is_logged_rate_limited_and_summarised() {
    let captured = Captured::default();
    let _guard = captured.install();
    const N: u64 = 5000;
    let supervisor = Supervisor::start(fake(&[&format!("garbage={N}")]), gate(common::policy(&scratch("garbage"))))
        .await
        .expect("start");
    // The fake sends all its garbage before it reads this request: once answered, all was read.
    supervisor.client().unwrap().health().await.expect("business as usual after the garbage");
    supervisor.stop().await;
    // The summaries come when the connection and the stderr pipe end.
    let kinds = [
        ("unreadable frame from the sidecar", "unreadable frames from the sidecar"),
        ("the sidecar answered a request it could not identify", "nobody waits for"),
        ("[python] garbage line", "[python] lines of the sidecar's log"),
    ];
    let complete = eventually(Duration::from_secs(5), || async {
        let log = captured.text();
        kinds.iter().all(|(shown, what)| {
            let (lines, suppressed) = logged(&log, shown, what);
            lines + suppressed == N
        })
    })
    .await;
    let log = captured.text();
    let counts: Vec<_> = kinds.iter().map(|(shown, what)| logged(&log, shown, what)).collect();
    assert!(complete, "every event is either logged or counted in a summary: {counts:?}");
    assert!(counts[0].0 <= 10 && counts[1].0 <= 10, "{counts:?}");
    assert!(counts[2].0 <= 500, "{counts:?}");
    assert!(log.lines().count() < 1000, "{} lines of log for {} events", log.lines().count(), 3 * N);
}

#[cfg(target_os = "linux")]
#[tokio::test]
async fn a_daemon_the_sidecar_started_outside_its_group_and_session_is_killed_on_stop() {
    let daemon = pidfile("escaped");
    let supervisor = start(fake(&[&format!("escape={}", daemon.display())]), "escaped").await;
    let daemon = read_pids(&daemon).await[0];
    let sidecar = running_pid(&supervisor);
    assert!(alive(daemon) && !group_members(sidecar).contains(&daemon), "the daemon runs outside the group");
    supervisor.stop().await;
    assert!(eventually(Duration::from_secs(5), || async { !alive(daemon) }).await, "the daemon outlived the stop");
}
