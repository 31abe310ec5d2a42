//! Linux: the sidecar's descendants that left its process group, found and signalled anyway.
//!
//! A signal to the group misses a descendant that left it: a daemon that calls `setsid` (as
//! `adb start-server` does) or a process that moves to another group, and once its parent has
//! exited it is not even below the sidecar in the process tree. Every process the sidecar
//! starts inherits its environment, though, so [`crate::spawn`] marks that environment with a
//! variable unique to the instance ([`MARKER_VARIABLE`]), and [`Marker::signal`] finds in
//! `/proc` every process that carries it, and every descendant of those (an `execve` with a
//! new environment does not hide a process whose parent is marked). What stays out of reach:
//! a process that replaced its environment *and* whose marked parent has exited.
//!
//! This works without [`adopt_orphans`]; see there for what the subreaper adds and costs.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use nix::errno::Errno;
use nix::sys::signal::{Signal, kill};
use nix::sys::wait::{WaitPidFlag, WaitStatus, waitpid};
use nix::unistd::Pid;

/// The variable the sidecar's environment is marked with: `<host pid>.<instance number>`.
pub const MARKER_VARIABLE: &str = "SIDECAR_HOST_INSTANCE";

/// Signal rounds for SIGKILL: again while new processes turn up (one may have forked between
/// the scan and the signal; a killed process cannot fork any more).
const KILL_ROUNDS: usize = 8;
/// How long the reaper thread waits for killed orphans to be adopted and to die.
const REAP_WITHIN: Duration = Duration::from_secs(5);

/// Make this process a child subreaper (`prctl(PR_SET_CHILD_SUBREAPER)`): an orphaned
/// descendant is then re-parented to it instead of to init. Opt-in, for the app to decide,
/// because it changes the whole process, not just the sidecar:
///
/// * What it adds: a descendant of the sidecar whose parent exited stays a child of the app,
///   so it is never lost to init, and it cannot be confused with a recycled pid (a child's pid
///   is not reused before its parent reaps it). The host reaps the adopted processes it kills
///   (a short-lived thread that waits for exactly those pids).
/// * What it costs: every orphan of every process tree the app starts (WebKit's helpers, a
///   browser opened for a link, ...) is adopted too, and stays a zombie (a process-table slot,
///   no memory) until the app exits, because the host cannot reap a child it did not kill:
///   waiting for any child (`waitpid(-1)`) would steal the exit status of children that tokio,
///   std or GLib wait for.
/// * What it does not do: protect against the app being killed (orphans then go to the next
///   subreaper up, or init). Finding and killing escaped descendants on stop works without it.
///
/// Call it early, before starting processes. Linux 3.4 or later.
pub fn adopt_orphans() -> std::io::Result<()> {
    nix::sys::prctl::set_child_subreaper(true).map_err(std::io::Error::from)
}

/// The mark of one sidecar instance, set in its environment at spawn.
#[derive(Debug, Clone)]
pub struct Marker {
    value: Arc<str>,
}

impl Marker {
    /// A mark no other instance of this process (or another host process) uses.
    pub(crate) fn new() -> Self {
        static NEXT: AtomicU64 = AtomicU64::new(1);
        Self { value: format!("{}.{}", std::process::id(), NEXT.fetch_add(1, Ordering::Relaxed)).into() }
    }

    pub fn value(&self) -> &str {
        &self.value
    }

    /// Send `signal` to every marked process and their descendants, except this process; the
    /// pids signalled. `leader` (the sidecar, reaped by its owner) is signalled but not reaped.
    pub(crate) fn signal(&self, signal: Signal, leader: i32) -> BTreeSet<i32> {
        let rounds = if signal == Signal::SIGKILL { KILL_ROUNDS } else { 1 };
        let mut signalled = BTreeSet::new();
        for _ in 0..rounds {
            let found = self.find();
            let new: Vec<i32> = found.difference(&signalled).copied().collect();
            if new.is_empty() {
                break;
            }
            for pid in new {
                // The pid was read from /proc a moment ago with our mark in its environment;
                // for it to be another process now, it would have had to exit and the kernel
                // to cycle through the whole pid space in between.
                match kill(Pid::from_raw(pid), signal) {
                    Ok(()) | Err(Errno::ESRCH) => {}
                    Err(error) => tracing::warn!(pid, %error, "cannot signal a process the sidecar started"),
                }
                signalled.insert(pid);
            }
        }
        let escaped = signalled.iter().filter(|pid| **pid != leader).count();
        if escaped > 0 {
            tracing::info!(escaped, ?signal, "signalled processes the sidecar started outside its process group");
        }
        if signal == Signal::SIGKILL {
            reap_adopted(signalled.iter().copied().filter(|pid| *pid != leader).collect());
        }
        signalled
    }

    /// Marked processes and their descendants, from one pass over /proc.
    fn find(&self) -> BTreeSet<i32> {
        let entry = format!("{MARKER_VARIABLE}={}", self.value).into_bytes();
        let me = i32::try_from(std::process::id()).unwrap_or(0);
        let mut children: BTreeMap<i32, Vec<i32>> = BTreeMap::new();
        let mut found = BTreeSet::new();
        for pid in processes() {
            if pid == me {
                continue;
            }
            if let Some(parent) = parent(pid) {
                children.entry(parent).or_default().push(pid);
            }
            // Unreadable (another user's, or gone): not ours to find.
            if std::fs::read(format!("/proc/{pid}/environ")).is_ok_and(|env| env.split(|b| *b == 0).any(|e| e == entry))
            {
                found.insert(pid);
            }
        }
        let mut pending: Vec<i32> = found.iter().copied().collect();
        while let Some(pid) = pending.pop() {
            for child in children.get(&pid).into_iter().flatten() {
                if found.insert(*child) {
                    pending.push(*child);
                }
            }
        }
        found
    }
}

fn processes() -> impl Iterator<Item = i32> {
    std::fs::read_dir("/proc")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| entry.file_name().to_str().and_then(|name| name.parse().ok()))
}

/// The parent pid, from `/proc/<pid>/stat` ("pid (comm) state ppid ..."; comm may hold anything).
fn parent(pid: i32) -> Option<i32> {
    parent_in(&std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?)
}

fn parent_in(stat: &str) -> Option<i32> {
    let after = &stat[stat.rfind(')')? + 1..];
    after.split_whitespace().nth(1)?.parse().ok()
}

/// Reap the killed processes that are, or become, children of this process: only a subreaper
/// adopts orphans, and nobody else in this process waits for those.
fn reap_adopted(mut killed: Vec<i32>) {
    if killed.is_empty() || !nix::sys::prctl::get_child_subreaper().unwrap_or(false) {
        return;
    }
    let spawned = std::thread::Builder::new().name("sidecar-reaper".into()).spawn(move || {
        let me = i32::try_from(std::process::id()).unwrap_or(0);
        let deadline = Instant::now() + REAP_WITHIN;
        while !killed.is_empty() && Instant::now() < deadline {
            killed.retain(|pid| match parent(*pid) {
                // Gone: reaped by whoever was its parent.
                None => false,
                // Ours (adopted): reap it once it has died; ECHILD means it is not ours after all.
                Some(parent) if parent == me => {
                    matches!(waitpid(Pid::from_raw(*pid), Some(WaitPidFlag::WNOHANG)), Ok(WaitStatus::StillAlive))
                }
                // Its parent reaps it, or exits and leaves it to us: look again.
                Some(_) => true,
            });
            std::thread::sleep(Duration::from_millis(20));
        }
    });
    if let Err(error) = spawned {
        tracing::warn!(%error, "cannot start a thread to reap the killed processes the sidecar started");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marks_are_unique_and_name_this_process() {
        let (a, b) = (Marker::new(), Marker::new());
        assert_ne!(a.value(), b.value());
        assert!(a.value().starts_with(&format!("{}.", std::process::id())));
    }

    #[test]
    fn the_parent_is_read_past_a_command_name_with_spaces_and_parentheses() {
        assert_eq!(parent_in("4242 (a) b (c)) S 17 4242 4242 0 -1"), Some(17));
        let me = i32::try_from(std::process::id()).unwrap();
        assert_eq!(parent(me), i32::try_from(std::os::unix::process::parent_id()).ok());
    }
}
