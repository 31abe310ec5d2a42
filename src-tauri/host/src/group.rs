//! Everything the sidecar started, signalled as one, so that nothing it started outlives it.
//!
//! * Unix: the sidecar is spawned as the leader of its own process group (`process_group(0)`),
//!   and whatever it runs (adb, helper processes) inherits that group unless it leaves on
//!   purpose. On Linux, those that left are found by the mark in their environment
//!   ([`crate::escaped`]); on other Unixes they are out of reach.
//! * Windows: a job object that kills its processes when closed ([`crate::job`]).
//!
//! The sidecar itself is also signalled by pid by its owner (`tokio::process::Child`, which
//! knows whether it has been reaped): a sidecar may leave its own group.

/// The sidecar's process group (Unix; its id is the sidecar's pid) or job (Windows).
#[derive(Debug, Clone)]
pub struct ProcessGroup {
    leader: u32,
    #[cfg(target_os = "linux")]
    escaped: crate::escaped::Marker,
    #[cfg(windows)]
    job: std::sync::Arc<crate::job::Job>,
}

impl ProcessGroup {
    /// The group a freshly spawned leader created, and the mark its environment got.
    #[cfg(unix)]
    pub(crate) fn led_by(leader: u32, #[cfg(target_os = "linux")] escaped: crate::escaped::Marker) -> Option<Self> {
        i32::try_from(leader).ok().filter(|id| *id > 0)?;
        Some(Self {
            leader,
            #[cfg(target_os = "linux")]
            escaped,
        })
    }

    /// The job the freshly spawned `leader` was put in.
    #[cfg(windows)]
    pub(crate) fn contained(leader: u32, job: crate::job::Job) -> Self {
        Self { leader, job: std::sync::Arc::new(job) }
    }

    /// The sidecar's pid (and, on Unix, the group's id).
    pub fn id(&self) -> u32 {
        self.leader
    }

    /// SIGTERM to every member (Windows has no such request: the job is terminated).
    /// False when nothing was left to signal.
    pub fn terminate(&self) -> bool {
        self.signal(Signal::Term)
    }

    /// SIGKILL to every member, and on Linux to every process the sidecar started that left
    /// the group. False when nothing was left to signal.
    pub fn kill(&self) -> bool {
        self.signal(Signal::Kill)
    }

    #[cfg(unix)]
    fn signal(&self, signal: Signal) -> bool {
        use nix::sys::signal::{Signal as S, killpg};
        use nix::unistd::Pid;
        let signal = match signal {
            Signal::Term => S::SIGTERM,
            Signal::Kill => S::SIGKILL,
        };
        // `led_by` checked that the pid fits.
        let id = i32::try_from(self.leader).unwrap_or(i32::MAX);
        let group = match killpg(Pid::from_raw(id), signal) {
            Ok(()) => true,
            Err(nix::errno::Errno::ESRCH) => false,
            Err(error) => {
                tracing::warn!(group = id, %error, "cannot signal the sidecar's process group");
                true
            }
        };
        #[cfg(target_os = "linux")]
        let group = !self.escaped.signal(signal, id).is_empty() || group;
        group
    }

    #[cfg(windows)]
    fn signal(&self, _signal: Signal) -> bool {
        self.job.terminate()
    }

    #[cfg(not(any(unix, windows)))]
    fn signal(&self, _signal: Signal) -> bool {
        false
    }
}

/// SIGTERM to the sidecar itself, by pid: it may have left its group. `Child::id` is `None`
/// once the child has been reaped, so a recycled pid is never signalled. (Windows: nothing to
/// do, [`ProcessGroup::terminate`] has ended the whole job.)
pub(crate) fn terminate_leader(child: &tokio::process::Child) {
    #[cfg(unix)]
    if let Some(pid) = child.id().and_then(|pid| i32::try_from(pid).ok()) {
        use nix::sys::signal::{Signal as S, kill};
        if let Err(error) = kill(nix::unistd::Pid::from_raw(pid), S::SIGTERM) {
            tracing::debug!(pid, %error, "cannot send SIGTERM to the sidecar");
        }
    }
    #[cfg(not(unix))]
    let _ = child;
}

#[derive(Clone, Copy)]
enum Signal {
    Term,
    Kill,
}
