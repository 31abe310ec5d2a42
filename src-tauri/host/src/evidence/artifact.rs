//! The files a call produced, hashed by the host itself: the sidecar names a file, the host
//! reads it and records its size and SHA-256 beside what the sidecar claimed. Only regular files
//! inside the policy's output folders are read (a sidecar cannot make the host read anything else).

use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::types::Policy;

/// A file the result names, and what the sidecar said about it.
#[derive(Debug, Clone, PartialEq)]
pub struct Claimed {
    pub path: String,
    pub bytes: Option<u64>,
    pub sha256: Option<String>,
}

/// The files a method's result names: a log, a report, the files of finished downloads.
pub fn claimed(method: &str, result: &Value) -> Vec<Claimed> {
    let one = |path: &str, bytes: &str, sha256: &str| {
        result.pointer(path).and_then(Value::as_str).map(|path| Claimed {
            path: path.to_owned(),
            bytes: result.pointer(bytes).and_then(Value::as_u64),
            sha256: result.pointer(sha256).and_then(Value::as_str).map(str::to_owned),
        })
    };
    match method {
        "logs/collect" => one("/path", "/bytes", "/sha256").into_iter().collect(),
        "report/format" => one("/artifact", "/bytes", "/sha256").into_iter().collect(),
        "download/cancel" => finished_files(std::slice::from_ref(result)),
        "download/list" => {
            result.get("jobs").and_then(Value::as_array).map(|jobs| finished_files(jobs)).unwrap_or_default()
        }
        _ => Vec::new(),
    }
}

fn finished_files(jobs: &[Value]) -> Vec<Claimed> {
    jobs.iter()
        .filter(|job| job.get("status").and_then(Value::as_str) == Some("finished"))
        .filter_map(|job| job.get("files").and_then(Value::as_array))
        .flatten()
        .filter_map(Value::as_str)
        .map(|path| Claimed { path: path.to_owned(), bytes: None, sha256: None })
        .collect()
}

/// The policy's output folders, resolved (a folder that does not exist holds nothing).
pub fn roots(policy: &Policy) -> Vec<PathBuf> {
    [&policy.roots.reports, &policy.roots.logs, &policy.roots.downloads]
        .into_iter()
        .flatten()
        .filter_map(|root| std::fs::canonicalize(root.as_str()).ok())
        .collect()
}

/// The artifact as the host finds it: `{path, bytes, sha256, claimed?, matches?}`, or
/// `{path, error}` when it cannot or may not be read.
pub fn record(claimed: &Claimed, roots: &[PathBuf]) -> Value {
    match hash_file(Path::new(&claimed.path), roots) {
        Ok((bytes, sha256)) => {
            let mut artifact = json!({"path": claimed.path, "bytes": bytes, "sha256": sha256});
            if claimed.bytes.is_some() || claimed.sha256.is_some() {
                artifact["claimed"] = json!({"bytes": claimed.bytes, "sha256": claimed.sha256});
                artifact["matches"] = json!(
                    claimed.bytes.is_none_or(|b| b == bytes) && claimed.sha256.as_deref().is_none_or(|s| s == sha256)
                );
            }
            artifact
        }
        Err(error) => json!({"path": claimed.path, "error": error}),
    }
}

fn hash_file(path: &Path, roots: &[PathBuf]) -> Result<(u64, String), String> {
    let real = std::fs::canonicalize(path).map_err(|e| format!("cannot be read: {e}"))?;
    if !roots.iter().any(|root| real.starts_with(root)) {
        return Err("outside the policy's output folders; not read".into());
    }
    let mut file = File::open(&real).map_err(|e| format!("cannot be read: {e}"))?;
    if !file.metadata().map_err(|e| format!("cannot be read: {e}"))?.is_file() {
        return Err("not a regular file; not read".into());
    }
    digest(&mut file).map_err(|e| format!("reading it failed: {e}"))
}

fn digest(reader: &mut impl Read) -> io::Result<(u64, String)> {
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 256 * 1024];
    let mut total = 0u64;
    loop {
        let n = match reader.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        hasher.update(&buf[..n]);
        total += n as u64;
    }
    Ok((total, hex::encode(hasher.finalize())))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("sidecar-evidence-artifact-{}-{name}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        dir.canonicalize().unwrap()
    }

    #[test]
    fn the_host_hashes_the_file_and_compares_with_the_claim() {
        let root = scratch("hash");
        let path = root.join("report.json");
        std::fs::write(&path, b"abc").unwrap();
        let abc = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
        let honest = Claimed { path: path.display().to_string(), bytes: Some(3), sha256: Some(abc.into()) };
        let artifact = record(&honest, std::slice::from_ref(&root));
        assert_eq!((artifact["bytes"].clone(), artifact["sha256"].clone()), (json!(3), json!(abc)));
        assert_eq!(artifact["matches"], json!(true));
        let lying = Claimed { sha256: Some("00".repeat(32)), ..honest };
        let artifact = record(&lying, std::slice::from_ref(&root));
        assert_eq!(artifact["matches"], json!(false));
        assert_eq!(artifact["sha256"], json!(abc), "the host's own hash is recorded, not the claim");
    }

    #[test]
    fn nothing_outside_the_output_folders_is_read() {
        let root = scratch("confined");
        let outside = Claimed { path: "/etc/hostname".into(), bytes: None, sha256: None };
        assert!(record(&outside, std::slice::from_ref(&root))["error"].as_str().unwrap().contains("outside"));
        let escape = Claimed { path: root.join("../../etc/hostname").display().to_string(), bytes: None, sha256: None };
        assert!(record(&escape, &[root])["error"].as_str().unwrap().contains("outside"));
    }

    #[test]
    fn finished_downloads_name_their_files() {
        let jobs = json!({"jobs": [
            {"status": "finished", "files": ["/d/a.mp4", "/d/a.m4a"]},
            {"status": "active", "files": ["/d/b.part"]},
        ]});
        let paths: Vec<String> = claimed("download/list", &jobs).into_iter().map(|c| c.path).collect();
        assert_eq!(paths, ["/d/a.mp4", "/d/a.m4a"]);
    }
}
