//! Windows: the sidecar runs in a job object that kills every process in it when its last
//! handle is closed (`JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE`). Its descendants join the job as
//! they start, and cannot leave it (the job does not allow breakaway), so nothing the sidecar
//! started outlives the host, even a host that is killed (the system closes its handles).
//!
//! The sidecar is assigned right after it starts: Python takes far longer to get to start a
//! process of its own than the host takes to assign it.

use std::io;
use std::os::windows::io::{AsRawHandle, FromRawHandle, OwnedHandle, RawHandle};

use windows_sys::Win32::Foundation::HANDLE;
use windows_sys::Win32::System::JobObjects::{
    AssignProcessToJobObject, CreateJobObjectW, JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE,
    JOBOBJECT_EXTENDED_LIMIT_INFORMATION, JobObjectExtendedLimitInformation, SetInformationJobObject,
    TerminateJobObject,
};

/// The exit code of the processes a stop terminates (as for a SIGKILL on Unix: 128 + 9).
const KILLED: u32 = 137;

#[derive(Debug)]
pub struct Job {
    handle: OwnedHandle,
}

impl Job {
    /// A job that kills its processes when closed, with `process` (a process handle) in it.
    pub(crate) fn containing(process: RawHandle) -> io::Result<Self> {
        // SAFETY: no security attributes and no name are valid arguments; the handle returned,
        // if not null, is a new handle that nothing else owns.
        let raw = unsafe { CreateJobObjectW(std::ptr::null(), std::ptr::null()) };
        if raw.is_null() {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: see above; from here on `OwnedHandle` closes it exactly once.
        let job = Self { handle: unsafe { OwnedHandle::from_raw_handle(raw as RawHandle) } };
        let mut limits = JOBOBJECT_EXTENDED_LIMIT_INFORMATION::default();
        limits.BasicLimitInformation.LimitFlags = JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE;
        // SAFETY: `limits` is the structure this information class names, with its exact size,
        // and lives across the call.
        let set = unsafe {
            SetInformationJobObject(
                job.raw(),
                JobObjectExtendedLimitInformation,
                std::ptr::from_ref(&limits).cast(),
                u32::try_from(size_of::<JOBOBJECT_EXTENDED_LIMIT_INFORMATION>()).unwrap_or(u32::MAX),
            )
        };
        if set == 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: both are valid handles for the duration of the call (the caller holds the
        // child, and with it its process handle).
        if unsafe { AssignProcessToJobObject(job.raw(), process as HANDLE) } == 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(job)
    }

    /// Terminate every process in the job. False when that failed (the job is empty, or gone).
    pub(crate) fn terminate(&self) -> bool {
        // SAFETY: the handle is valid while `self` lives.
        unsafe { TerminateJobObject(self.raw(), KILLED) != 0 }
    }

    fn raw(&self) -> HANDLE {
        self.handle.as_raw_handle() as HANDLE
    }
}
