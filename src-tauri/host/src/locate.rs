//! Which Python runs the sidecar.
//!
//! In order: the runtime bundled in the app's resource directory
//! (`<resources>/runtime/<target-triple>/bin/python3`); then, for development,
//! `SIDECAR_PYTHON`, the repository's `.venv` (looked for from the current directory and
//! from this crate upwards), and `python3`/`python` on `PATH`. When nothing fits, the error
//! lists every place tried.

use std::ffi::OsString;
use std::fmt;
use std::path::{Path, PathBuf};

/// The target triple this crate was built for (set by build.rs); names the bundled runtime.
pub const TARGET: &str = env!("SIDECAR_HOST_TARGET");

#[cfg(unix)]
const BUNDLED: &[&str] = &["bin", "python3"];
#[cfg(windows)]
const BUNDLED: &[&str] = &["python.exe"];
#[cfg(unix)]
const VENV: &[&str] = &[".venv", "bin", "python"];
#[cfg(windows)]
const VENV: &[&str] = &[".venv", "Scripts", "python.exe"];
#[cfg(unix)]
const ON_PATH: &[&str] = &["python3", "python"];
#[cfg(windows)]
const ON_PATH: &[&str] = &["python.exe", "python3.exe"];

/// Where a Python was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Bundled,
    EnvVar,
    Venv,
    Path,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Located {
    pub python: PathBuf,
    pub source: Source,
}

/// One place looked at, and why it was not used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tried {
    pub place: String,
    pub outcome: &'static str,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LocateError {
    #[error("SIDECAR_PYTHON is {0}, which is not an executable file; fix or unset it")]
    BadOverride(PathBuf),
    #[error("no Python to run the sidecar was found. Tried:\n{}\nInstall the app's bundled runtime, or for development run ./scripts/setup (creates .venv) or set SIDECAR_PYTHON.", TriedList(.0))]
    NotFound(Vec<Tried>),
}

struct TriedList<'a>(&'a [Tried]);

impl fmt::Display for TriedList<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let lines: Vec<String> = self.0.iter().map(|t| format!("  - {}: {}", t.place, t.outcome)).collect();
        f.write_str(&lines.join("\n"))
    }
}

/// The inputs of the search, explicit so that tests need not touch the process environment.
#[derive(Debug, Clone, Default)]
pub struct Locator {
    /// The app's resource directory (Tauri's `resource_dir()`), if any.
    pub resource_dir: Option<PathBuf>,
    /// The value of `SIDECAR_PYTHON`.
    pub sidecar_python: Option<OsString>,
    /// The value of `PATH`.
    pub path: Option<OsString>,
    /// Directories from which to look upwards for `.venv`.
    pub search_from: Vec<PathBuf>,
}

impl Locator {
    /// From this process's environment: `SIDECAR_PYTHON`, `PATH`, and `.venv` looked for
    /// above the current directory and above this crate's source (the repository, in development).
    pub fn from_env(resource_dir: Option<PathBuf>) -> Self {
        let mut search_from: Vec<PathBuf> = std::env::current_dir().into_iter().collect();
        search_from.push(PathBuf::from(env!("CARGO_MANIFEST_DIR")));
        Self {
            resource_dir,
            sidecar_python: std::env::var_os("SIDECAR_PYTHON"),
            path: std::env::var_os("PATH"),
            search_from,
        }
    }

    pub fn locate(&self) -> Result<Located, LocateError> {
        let mut tried = Vec::new();
        if let Some(resources) = &self.resource_dir {
            let candidate = BUNDLED.iter().fold(resources.join("runtime").join(TARGET), |p, part| p.join(part));
            if let Some(found) = check(&candidate, Source::Bundled, &mut tried) {
                return Ok(found);
            }
        }
        // An explicit override that does not work is an error, not a reason to run another Python.
        if let Some(value) = self.sidecar_python.as_ref().filter(|v| !v.is_empty()) {
            let path = PathBuf::from(value);
            return if is_executable(&path) {
                Ok(Located { python: path, source: Source::EnvVar })
            } else {
                Err(LocateError::BadOverride(path))
            };
        }
        tried.push(Tried { place: "SIDECAR_PYTHON".into(), outcome: "not set" });
        for start in &self.search_from {
            let found = start
                .ancestors()
                .map(|dir| VENV.iter().fold(dir.to_path_buf(), |p, part| p.join(part)))
                .find(|p| is_executable(p));
            match found {
                Some(python) => return Ok(Located { python, source: Source::Venv }),
                None => tried.push(Tried {
                    place: format!("{} in {} and its parents", VENV.join("/"), start.display()),
                    outcome: "not found",
                }),
            }
        }
        let dirs: Vec<PathBuf> = self.path.as_ref().map(|p| std::env::split_paths(p).collect()).unwrap_or_default();
        for name in ON_PATH {
            match dirs.iter().map(|dir| dir.join(name)).find(|p| is_executable(p)) {
                Some(python) => return Ok(Located { python, source: Source::Path }),
                None => tried.push(Tried { place: format!("{name} on PATH"), outcome: "not found" }),
            }
        }
        Err(LocateError::NotFound(tried))
    }
}

fn check(candidate: &Path, source: Source, tried: &mut Vec<Tried>) -> Option<Located> {
    if is_executable(candidate) {
        return Some(Located { python: candidate.to_path_buf(), source });
    }
    let outcome = if candidate.exists() { "not an executable file" } else { "not found" };
    tried.push(Tried { place: candidate.display().to_string(), outcome });
    None
}

#[cfg(unix)]
fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    path.metadata().is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

#[cfg(not(unix))]
fn is_executable(path: &Path) -> bool {
    path.is_file()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("sidecar-locate-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[cfg(unix)]
    fn executable(path: &Path) {
        use std::os::unix::fs::PermissionsExt;
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, "#!/bin/sh\n").unwrap();
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
    }

    #[cfg(unix)]
    #[test]
    fn the_bundled_runtime_comes_first() {
        let res = scratch("bundled");
        let python = res.join("runtime").join(TARGET).join("bin/python3");
        executable(&python);
        let locator = Locator {
            resource_dir: Some(res.clone()),
            sidecar_python: Some("/nonexistent".into()),
            ..Default::default()
        };
        assert_eq!(locator.locate().unwrap(), Located { python, source: Source::Bundled });
        std::fs::remove_dir_all(res).unwrap();
    }

    #[cfg(unix)]
    #[test]
    fn then_the_override_then_a_venv_above_then_path() {
        let root = scratch("order");
        let venv_python = root.join(".venv/bin/python");
        executable(&venv_python);
        let deep = root.join("a/b");
        std::fs::create_dir_all(&deep).unwrap();
        let on_path = root.join("bin/python3");
        executable(&on_path);

        let mut locator = Locator {
            resource_dir: Some(root.join("no-resources")),
            sidecar_python: Some(on_path.clone().into()),
            path: Some(root.join("bin").into()),
            search_from: vec![deep],
        };
        assert_eq!(locator.locate().unwrap().source, Source::EnvVar);
        locator.sidecar_python = None;
        assert_eq!(locator.locate().unwrap(), Located { python: venv_python, source: Source::Venv });
        locator.search_from.clear();
        assert_eq!(locator.locate().unwrap(), Located { python: on_path, source: Source::Path });
        std::fs::remove_dir_all(root).unwrap();
    }

    #[test]
    fn a_broken_override_is_an_error() {
        let locator = Locator { sidecar_python: Some("/nonexistent/python3".into()), ..Default::default() };
        assert_eq!(locator.locate(), Err(LocateError::BadOverride("/nonexistent/python3".into())));
    }

    #[test]
    fn nothing_found_lists_everything_tried() {
        let empty = scratch("empty");
        let locator = Locator {
            resource_dir: Some(empty.join("resources")),
            sidecar_python: None,
            path: Some(empty.clone().into()),
            search_from: vec![empty.clone()],
        };
        let error = locator.locate().unwrap_err();
        let text = error.to_string();
        assert!(matches!(&error, LocateError::NotFound(tried) if tried.len() == 5), "{text}");
        for expected in
            ["runtime", "SIDECAR_PYTHON: not set", ".venv", "python3 on PATH", "python on PATH", "./scripts/setup"]
        {
            assert!(text.contains(expected), "{expected:?} missing from:\n{text}");
        }
        std::fs::remove_dir_all(empty).unwrap();
    }
}
