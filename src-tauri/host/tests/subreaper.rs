//! Linux, with the host a child subreaper (`escaped::adopt_orphans`, opt-in): a daemon the
//! sidecar started outside its group and session is adopted by the host, killed on stop, and
//! reaped. Being a subreaper is process-wide, hence a test binary of its own.

#![cfg(target_os = "linux")]

#[allow(dead_code)]
#[path = "sidecar/common.rs"]
mod common;

use std::path::Path;
use std::time::Duration;

use sidecar_host::Supervisor;
use sidecar_host::escaped::adopt_orphans;

use common::{eventually, fake, gate, pidfile, read_pids, scratch};

fn parent(pid: u32) -> Option<u32> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    stat[stat.rfind(')')? + 1..].split_whitespace().nth(1)?.parse().ok()
}

#[tokio::test]
async fn an_escaped_daemon_is_adopted_killed_on_stop_and_reaped() {
    common::init_tracing();
    adopt_orphans().expect("PR_SET_CHILD_SUBREAPER");
    let daemon = pidfile("adopted");
    let config = fake(&[&format!("escape={}", daemon.display())]);
    let supervisor = Supervisor::start(config, gate(common::policy(&scratch("adopted")))).await.expect("start");
    let daemon = read_pids(&daemon).await[0];
    // Its parent exited as soon as it had started it: the daemon is the host's now, not init's.
    assert!(
        eventually(Duration::from_secs(5), || async { parent(daemon) == Some(std::process::id()) }).await,
        "adopted by the host (parent {:?})",
        parent(daemon)
    );
    supervisor.stop().await;
    // Not a zombie either: gone from the process table.
    let proc = format!("/proc/{daemon}");
    assert!(
        eventually(Duration::from_secs(5), || async { !Path::new(&proc).exists() }).await,
        "killed and reaped: {:?}",
        std::fs::read_to_string(format!("{proc}/stat"))
    );
}
