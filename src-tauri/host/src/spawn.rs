//! Starting the sidecar: `python -I -m sidecar` with a scrubbed environment, stdin/stdout
//! piped for frames, stderr drained into `tracing`, in its own process group.

use std::ffi::{OsStr, OsString};
use std::path::PathBuf;
use std::process::Stdio;

use tokio::process::{Child, ChildStdin, ChildStdout, Command};

use crate::group::ProcessGroup;
use crate::stderr::StderrLog;

/// Host variables a Python process legitimately needs; everything else stays behind.
/// `PYTHON*` in particular never reaches the child: a stray `PYTHONPATH` or `PYTHONHOME`
/// would make it import something other than its own code (and `-I` ignores them anyway).
const KEPT_ENV: &[&str] = &[
    "PATH",
    "HOME",
    "USER",
    "LOGNAME",
    "LANG",
    "LC_ALL",
    "LC_CTYPE",
    "LC_MESSAGES",
    "TZ",
    "TMPDIR",
    // Where the user's adb server and usbmuxd listen, when not at their defaults (adb and
    // libusbmuxd read these; the sidecar reads them the same way).
    "ADB_SERVER_SOCKET",
    "ANDROID_ADB_SERVER_PORT",
    "ANDROID_ADB_SERVER_ADDRESS",
    "USBMUXD_SOCKET_ADDRESS",
    // Windows cannot even start Python without these.
    "SYSTEMROOT",
    "SystemRoot",
    "WINDIR",
    "TEMP",
    "TMP",
    "USERPROFILE",
    "LOCALAPPDATA",
    "APPDATA",
];

/// What to run. [`SpawnConfig::new`] is the product's command; tests override `args`/`cwd`.
#[derive(Debug, Clone)]
pub struct SpawnConfig {
    pub python: PathBuf,
    /// Everything after the interpreter; `-I -m sidecar` by default.
    pub args: Vec<OsString>,
    pub cwd: Option<PathBuf>,
    /// Set on top of the scrubbed environment.
    pub env: Vec<(OsString, OsString)>,
}

impl SpawnConfig {
    /// `python -I -m sidecar`: isolated mode, so neither the environment nor the current
    /// directory decides what gets imported.
    pub fn new(python: impl Into<PathBuf>) -> Self {
        Self {
            python: python.into(),
            args: ["-I", "-m", "sidecar"].map(OsString::from).to_vec(),
            cwd: None,
            env: Vec::new(),
        }
    }

    /// Append arguments (sidecar options such as `--log-level`).
    pub fn arg(mut self, arg: impl AsRef<OsStr>) -> Self {
        self.args.push(arg.as_ref().to_owned());
        self
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SpawnError {
    #[error("cannot start the sidecar with {python}: {source}")]
    Launch { python: PathBuf, source: std::io::Error },
    #[error("the sidecar started without a {0} pipe")]
    Pipe(&'static str),
    #[error("the sidecar exited as soon as it started")]
    NoPid,
    #[error("the sidecar's pid {0} cannot lead a process group")]
    Group(u32),
    /// Windows: the job object that holds the sidecar and what it starts.
    #[error("cannot put the sidecar in a job object: {0}")]
    Job(std::io::Error),
}

/// A started sidecar: the child, its protocol pipes, its group and its log.
#[derive(Debug)]
pub struct Spawned {
    pub child: Child,
    pub pid: u32,
    pub stdin: ChildStdin,
    pub stdout: ChildStdout,
    pub group: ProcessGroup,
    pub stderr: StderrLog,
}

/// Start the sidecar. Must be called inside a tokio runtime (the stderr drain is a task).
pub fn spawn(config: &SpawnConfig) -> Result<Spawned, SpawnError> {
    let mut command = Command::new(&config.python);
    command
        .args(&config.args)
        .env_clear()
        .envs(KEPT_ENV.iter().filter_map(|name| std::env::var_os(name).map(|value| (name, value))))
        .envs(config.env.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        // The last line of defence: the supervisor kills the whole group before this matters.
        .kill_on_drop(true);
    if let Some(cwd) = &config.cwd {
        command.current_dir(cwd);
    }
    #[cfg(unix)]
    command.process_group(0);
    // Inherited by everything the sidecar starts, so that those that leave its group are found.
    #[cfg(target_os = "linux")]
    let escaped = crate::escaped::Marker::new();
    #[cfg(target_os = "linux")]
    command.env(crate::escaped::MARKER_VARIABLE, escaped.value());
    let mut child = command.spawn().map_err(|source| SpawnError::Launch { python: config.python.clone(), source })?;
    let pid = child.id().ok_or(SpawnError::NoPid)?;
    #[cfg(unix)]
    let group = ProcessGroup::led_by(
        pid,
        #[cfg(target_os = "linux")]
        escaped,
    )
    .ok_or(SpawnError::Group(pid))?;
    #[cfg(windows)]
    let group = {
        let handle = child.raw_handle().ok_or(SpawnError::NoPid)?;
        ProcessGroup::contained(pid, crate::job::Job::containing(handle).map_err(SpawnError::Job)?)
    };
    let stdin = child.stdin.take().ok_or(SpawnError::Pipe("stdin"))?;
    let stdout = child.stdout.take().ok_or(SpawnError::Pipe("stdout"))?;
    let stderr = StderrLog::drain(child.stderr.take().ok_or(SpawnError::Pipe("stderr"))?, pid);
    tracing::info!(pid, python = %config.python.display(), "sidecar started");
    Ok(Spawned { child, pid, stdin, stdout, group, stderr })
}
