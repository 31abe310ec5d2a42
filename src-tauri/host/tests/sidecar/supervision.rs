use std::time::{Duration, Instant};

use serde_json::json;
use sidecar_host::supervisor::{Escalation, HealthPolicy, State};
use sidecar_host::{CallError, Supervisor};

use crate::common::{self, eventually, fake, gate, group_members, scratch, sidecar, testserver};

fn running_pid(supervisor: &Supervisor) -> Option<u32> {
    match supervisor.state() {
        State::Running { pid, .. } => Some(pid),
        _ => None,
    }
}

fn kill(pid: u32) {
    nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid as i32), nix::sys::signal::Signal::SIGKILL).expect("kill");
}

#[tokio::test]
async fn a_killed_sidecar_fails_in_flight_calls_at_once_and_is_restarted() {
    common::init_tracing();
    let supervisor = Supervisor::start(testserver(), gate(common::policy(&scratch("killed")))).await.expect("start");
    let first = running_pid(&supervisor).expect("running");
    let client = supervisor.client().unwrap();
    let calls: Vec<_> = (0..3)
        .map(|_| {
            let client = client.clone();
            tokio::spawn(async move { client.request::<_, String>("test/sleep", Some(&json!({"seconds": 30}))).await })
        })
        .collect();
    assert!(
        eventually(Duration::from_secs(5), || async { client.health().await.is_ok_and(|h| h.inflight == 3) }).await
    );

    kill(first);
    let killed = Instant::now();
    for call in calls {
        let error = call.await.unwrap().unwrap_err();
        assert!(matches!(error, CallError::Unavailable(_)), "{error}");
    }
    assert!(killed.elapsed() < Duration::from_secs(1), "in-flight calls took {:?} to fail", killed.elapsed());
    // The old handle stays dead; the supervisor hands out the new one.
    assert!(matches!(client.health().await, Err(CallError::Unavailable(_))));

    let mut states = supervisor.watch();
    let restarted = tokio::time::timeout(
        Duration::from_secs(15),
        states.wait_for(|s| matches!(s, State::Running { restarts: 1, .. })),
    )
    .await
    .expect("restarted in time")
    .expect("state")
    .clone();
    let State::Running { pid: second, .. } = restarted else { unreachable!() };
    assert_ne!(first, second);
    assert!(supervisor.client().unwrap().health().await.unwrap().initialized, "the new sidecar is initialized again");
    assert!(group_members(first).is_empty());
    supervisor.stop().await;
}

#[tokio::test]
async fn five_crashes_within_the_window_and_it_gives_up() {
    common::init_tracing();
    let supervisor = Supervisor::start(sidecar(), gate(common::policy(&scratch("crash-loop")))).await.expect("start");
    let mut states = supervisor.watch();
    for crash in 1..=5 {
        let pid =
            running_pid(&supervisor).unwrap_or_else(|| panic!("running before crash {crash}: {}", supervisor.state()));
        kill(pid);
        let next = tokio::time::timeout(
            Duration::from_secs(15),
            states.wait_for(|s| {
                matches!(s, State::Running { restarts, .. } if *restarts == crash) || matches!(s, State::GaveUp { .. })
            }),
        )
        .await
        .expect("a new state in time")
        .expect("state")
        .clone();
        if crash < 5 {
            assert!(matches!(next, State::Running { .. }), "after crash {crash}: {next}");
        } else {
            assert!(matches!(next, State::GaveUp { crashes: 5, .. }), "after crash {crash}: {next}");
        }
    }
    // It stays given up, and says so to callers.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(matches!(supervisor.state(), State::GaveUp { .. }));
    let error = supervisor.client().unwrap_err();
    assert!(error.to_string().contains("gave up after 5 crashes"), "{error}");
    supervisor.stop().await;
}

#[tokio::test]
async fn failing_health_checks_restart_a_hung_sidecar() {
    common::init_tracing();
    let mut config = fake(&["hang-health"]);
    config.health =
        HealthPolicy { interval: Duration::from_millis(100), timeout: Duration::from_millis(200), failures: 2 };
    let supervisor = Supervisor::start(config, gate(common::policy(&scratch("hung")))).await.expect("start");
    let first = running_pid(&supervisor).unwrap();
    let mut states = supervisor.watch();
    let restarting =
        tokio::time::timeout(Duration::from_secs(10), states.wait_for(|s| matches!(s, State::Restarting { .. })))
            .await
            .expect("noticed in time")
            .expect("state")
            .clone();
    assert!(restarting.to_string().contains("health checks"), "{restarting}");
    assert!(eventually(Duration::from_secs(2), || async { group_members(first).is_empty() }).await);
    drop(supervisor);
}

#[tokio::test]
async fn a_graceful_stop_exits_zero_and_leaves_no_process() {
    common::init_tracing();
    let supervisor = Supervisor::start(sidecar(), gate(common::policy(&scratch("graceful")))).await.expect("start");
    let pid = running_pid(&supervisor).unwrap();
    let client = supervisor.client().unwrap();
    let started = Instant::now();
    let report = supervisor.stop().await;
    assert_eq!(report.escalation, Escalation::None);
    assert_eq!(report.status.and_then(|s| s.code()), Some(0), "exit 0 after shutdown + exit");
    assert!(started.elapsed() < Duration::from_secs(2), "{:?}", started.elapsed());
    assert!(group_members(pid).is_empty());
    assert!(matches!(client.health().await, Err(CallError::Unavailable(_))));
}

#[tokio::test]
async fn a_stubborn_sidecar_and_its_children_are_killed() {
    common::init_tracing();
    let supervisor =
        Supervisor::start(fake(&["stubborn"]), gate(common::policy(&scratch("stubborn")))).await.expect("start");
    let pid = running_pid(&supervisor).unwrap();
    assert!(
        eventually(Duration::from_secs(5), || async { group_members(pid).len() >= 2 }).await,
        "the grandchild started"
    );
    let report = supervisor.stop().await;
    assert_eq!(report.escalation, Escalation::Killed);
    assert!(
        eventually(Duration::from_secs(2), || async { group_members(pid).is_empty() }).await,
        "{:?}",
        group_members(pid)
    );
}

#[tokio::test]
async fn dropping_the_supervisor_kills_the_whole_group() {
    common::init_tracing();
    let supervisor =
        Supervisor::start(fake(&["stubborn"]), gate(common::policy(&scratch("dropped")))).await.expect("start");
    let pid = running_pid(&supervisor).unwrap();
    assert!(
        eventually(Duration::from_secs(5), || async { group_members(pid).len() >= 2 }).await,
        "the grandchild started"
    );
    drop(supervisor);
    assert!(
        eventually(Duration::from_secs(2), || async { group_members(pid).is_empty() }).await,
        "{:?}",
        group_members(pid)
    );
}

#[tokio::test]
async fn a_stop_does_not_wait_for_a_pending_restart() {
    common::init_tracing();
    let mut config = sidecar();
    config.restart.first_backoff = Duration::from_secs(30);
    let supervisor = Supervisor::start(config, gate(common::policy(&scratch("stop-restarting")))).await.expect("start");
    let mut states = supervisor.watch();
    kill(running_pid(&supervisor).unwrap());
    tokio::time::timeout(Duration::from_secs(5), states.wait_for(|s| matches!(s, State::Restarting { .. })))
        .await
        .expect("restarting")
        .expect("state");
    let started = Instant::now();
    let report = supervisor.stop().await;
    assert!(started.elapsed() < Duration::from_secs(1), "{:?}", started.elapsed());
    assert_eq!((report.status, report.escalation), (None, Escalation::None));
    assert_eq!(*states.borrow(), State::Stopped);
}
