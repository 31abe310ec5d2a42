//! Signals to the sidecar's whole process group, so nothing it started outlives it.
//!
//! The sidecar is spawned as the leader of its own group (`process_group(0)`), and whatever
//! it runs (adb, helper processes) inherits that group unless it leaves on purpose. Windows
//! has no process groups in this sense; a job object will take this module's place there.

/// The process group led by the sidecar (its id is the sidecar's pid).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProcessGroup {
    id: i32,
}

impl ProcessGroup {
    /// The group a freshly spawned leader created; `None` when the pid does not fit a pid_t.
    pub fn led_by(pid: u32) -> Option<Self> {
        i32::try_from(pid).ok().filter(|id| *id > 0).map(|id| Self { id })
    }

    pub fn id(&self) -> i32 {
        self.id
    }

    /// SIGTERM to every member. False when the group no longer exists.
    pub fn terminate(&self) -> bool {
        self.signal(Signal::Term)
    }

    /// SIGKILL to every member. False when the group no longer exists.
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
        match killpg(Pid::from_raw(self.id), signal) {
            Ok(()) => true,
            Err(nix::errno::Errno::ESRCH) => false,
            Err(error) => {
                tracing::warn!(group = self.id, %error, "cannot signal the sidecar's process group");
                true
            }
        }
    }

    #[cfg(not(unix))]
    fn signal(&self, _signal: Signal) -> bool {
        false
    }
}

#[derive(Clone, Copy)]
enum Signal {
    Term,
    Kill,
}
