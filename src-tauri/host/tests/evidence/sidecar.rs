//! End to end through the real sidecar: the emulated phones (`python -m sidecar_devkit.emulate`, an
//! Android adbd and an iPhone behind a usbmuxd, on loopback) are inspected, their logs collected
//! and reports formatted with the host recording every call. The reports show the entries'
//! hashes and the log's head, the log verifies with that head, and the artifacts' hashes in the
//! log are those of the files on disk.

use std::path::Path;
use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use sidecar_host::evidence::{self, Recorder};
use sidecar_host::{Client, PolicyGate, SpawnConfig, Supervisor, SupervisorConfig};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

use crate::common::{entries, open, python, repo, scratch};

/// `python -m sidecar_devkit.emulate`: both phones, until dropped.
struct Lab {
    _child: Child,
    refs: Vec<Value>,
}

impl Lab {
    async fn start(adb_key: &Path) -> Self {
        let mut child = Command::new(python())
            .args(["-m", "sidecar_devkit.emulate", "--adb-key"])
            .arg(adb_key)
            .current_dir(repo())
            .stdout(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("the emulated phones start");
        let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
        let mut refs = Vec::new();
        let reading = async {
            while let Some(line) = lines.next_line().await.expect("read") {
                if line.starts_with("  {") {
                    refs.push(serde_json::from_str(line.trim()).expect("a device ref"));
                }
                if line.starts_with("Ctrl-C") {
                    break;
                }
            }
        };
        tokio::time::timeout(Duration::from_secs(60), reading).await.expect("the phones are up in time");
        assert_eq!(refs.len(), 2, "an Android phone and an iPhone");
        Self { _child: child, refs }
    }
}

/// The real sidecar, under `policy`, every call recorded in `log`, the lab's adb key its own.
async fn recording_sidecar(
    dir: &Path,
    policy: sidecar_host::types::Policy,
    log: &Arc<evidence::EvidenceLog>,
) -> Supervisor {
    let mut config = SupervisorConfig::new(SpawnConfig::new(python()));
    config.handshake.host_config = serde_json::from_value(json!({"adb_key_path": dir.join("adbkey")})).unwrap();
    config.client.timeout = Duration::from_secs(60);
    config.client.evidence = Some(Recorder::new(Arc::clone(log)));
    Supervisor::start(config, PolicyGate::new(policy)).await.expect("the sidecar starts")
}

async fn call(client: &Client, method: &str, params: &Value) -> Value {
    client.request::<Value, Value>(method, Some(params)).await.unwrap_or_else(|e| panic!("{method}: {e}"))
}

fn sha256_file(path: &str) -> (u64, String) {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    (bytes.len() as u64, hex::encode(Sha256::digest(&bytes)))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calls_to_emulated_phones_are_recorded_and_reports_tie_back_to_the_log() {
    let dir = scratch("e2e");
    for folder in ["reports", "logs", "downloads"] {
        std::fs::create_dir_all(dir.join(folder)).unwrap();
    }
    let lab = Lab::start(&dir.join("adbkey")).await;
    let log = Arc::new(open(&dir, 64));
    let policy = serde_json::from_value(json!({
        "capabilities": ["device.inspect", "device.logs", "report.write"],
        "roots": {"reports": dir.join("reports"), "logs": dir.join("logs"), "downloads": dir.join("downloads")},
    }))
    .unwrap();
    let supervisor = recording_sidecar(&dir, policy, &log).await;
    let client = supervisor.client().unwrap();

    let mut reports = Vec::new();
    for device in &lab.refs {
        let id = device["device_id"].as_str().unwrap();
        let basic = call(&client, "inspect/basic", device).await;
        let deep = call(&client, "inspect/deep", device).await;
        let mut logs_params = device.clone();
        logs_params["duration_s"] = json!(1);
        let logs = call(&client, "logs/collect", &logs_params).await;

        // The entries of this device's calls, as the app finds them for its report.
        let made_from: Vec<Value> = log
            .written()
            .into_iter()
            .filter(|w| w.device_id.as_deref() == Some(id) && w.status.as_deref() == Some("ok"))
            .map(|w| json!({"seq": w.seq, "hash": w.hash, "method": w.method}))
            .collect();
        assert_eq!(made_from.len(), 3, "{id}: inspect/basic, inspect/deep and logs/collect");
        let head = log.head();
        let evidence =
            json!({"head": head.hash, "head_seq": head.seq, "entries": made_from, "public_key": log.public_key()});
        let data = json!({
            "generated_at": "2026-11-22T09:30:00Z",
            "device": basic["data"],
            "deep": deep["data"],
            "logs": logs,
            "warnings": basic["warnings"],
            "evidence": evidence,
        });
        for format in ["html", "md", "json", "pdf"] {
            let report_id = format!("{}-{format}", id.replace(':', "_"));
            let written =
                call(&client, "report/format", &json!({"report_id": report_id, "format": format, "data": data})).await;
            reports.push((format, written, evidence.clone(), logs.clone()));
        }
    }
    supervisor.stop().await;
    log.session_stop("stopped", serde_json::Map::new()).unwrap();
    log.close().unwrap();

    let bytes = std::fs::read(log.path()).unwrap();
    let all = entries(&bytes);
    for (format, written, evidence, logs) in &reports {
        let artifact = written["artifact"].as_str().unwrap();
        let shown = std::fs::read(artifact).unwrap();
        if *format != "pdf" {
            let text = String::from_utf8(shown).unwrap();
            for hash in evidence["entries"].as_array().unwrap().iter().map(|e| e["hash"].as_str().unwrap()) {
                assert!(text.contains(hash), "{format}: the report shows entry {hash}");
            }
            assert!(text.contains(evidence["head"].as_str().unwrap()), "{format}: the report shows the head");
        }
        // The printed head anchors the log: it verifies with it.
        let verified = evidence::verify(&bytes, evidence["head"].as_str()).expect("the log verifies with the head");
        assert_eq!(verified.head_found, evidence["head_seq"].as_u64());

        // The report's entry records the file as the host hashed it, and that is the file.
        let entry = all
            .iter()
            .find(|e| e["method"] == "report/format" && e["outcome"]["fields"]["artifact"] == json!(artifact))
            .expect("the report/format entry");
        let (bytes_on_disk, sha_on_disk) = sha256_file(artifact);
        assert_eq!(entry["artifacts"][0]["sha256"], json!(sha_on_disk), "{format}");
        assert_eq!(entry["artifacts"][0]["bytes"], json!(bytes_on_disk));
        assert_eq!(entry["artifacts"][0]["matches"], json!(true), "the sidecar's claim agrees");
        assert_eq!(entry["params"]["data"]["evidence"], *evidence, "what the report was asked to show is recorded");
        assert_eq!(entry["params_sha256"].as_str().map(str::len), Some(64));

        let path = logs["path"].as_str().unwrap();
        let entry = all
            .iter()
            .find(|e| e["method"] == "logs/collect" && e["outcome"]["fields"]["path"] == json!(path))
            .expect("the logs/collect entry");
        let (bytes_on_disk, sha_on_disk) = sha256_file(path);
        assert_eq!(
            entry["artifacts"][0],
            json!({
                "path": path, "bytes": bytes_on_disk, "sha256": sha_on_disk,
                "claimed": {"bytes": bytes_on_disk, "sha256": sha_on_disk}, "matches": true,
            })
        );
    }
    let inspected: Vec<&Value> = all.iter().filter(|e| e["method"] == "inspect/basic").collect();
    assert_eq!(inspected.len(), 2);
    for entry in inspected {
        assert!(entry["outcome"]["fields"]["data.model"].is_string(), "what the phone said it is: {entry}");
        assert!(entry["outcome"]["result_sha256"].as_str().is_some());
    }
    let kinds: Vec<&str> = all.iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert_eq!(&kinds[..5], ["log_open", "checkpoint", "call", "session_start", "checkpoint"]);
    assert_eq!(&kinds[kinds.len() - 4..], ["session_stop", "checkpoint", "log_close", "checkpoint"]);
    let verified = evidence::verify(&bytes, None).unwrap();
    assert_eq!(verified.unsigned(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_redact_identifiers_no_device_identifier_reaches_the_log() {
    let dir = scratch("e2e-redacted");
    std::fs::create_dir_all(dir.join("logs")).unwrap();
    let lab = Lab::start(&dir.join("adbkey")).await;
    let log = Arc::new(open(&dir, 64));
    let policy = serde_json::from_value(json!({
        "capabilities": ["device.inspect", "device.logs"],
        "roots": {"logs": dir.join("logs")},
        "redact_identifiers": true,
    }))
    .unwrap();
    let supervisor = recording_sidecar(&dir, policy, &log).await;
    let client = supervisor.client().unwrap();
    let mut identifiers = Vec::new();
    for device in &lab.refs {
        let basic = call(&client, "inspect/basic", device).await;
        let mut logs_params = device.clone();
        logs_params["duration_s"] = json!(1);
        let logs = call(&client, "logs/collect", &logs_params).await;
        identifiers.push(device["device_id"].as_str().unwrap().to_owned());
        identifiers.extend(device["hints"]["address"].as_str().map(str::to_owned));
        assert!(basic["data"]["serial"].as_str().unwrap().starts_with("redacted:"), "the sidecar redacts the serial");
        // The artifact is still hashed by the host, under its redacted name.
        let entry = log.written().into_iter().rfind(|w| w.method.as_deref() == Some("logs/collect")).unwrap();
        assert_eq!(entry.artifacts.len(), 1);
        assert!(!entry.artifacts[0].contains(device["device_id"].as_str().unwrap().split(':').next_back().unwrap()));
        assert!(logs["path"].is_string());
    }
    supervisor.stop().await;
    log.close().unwrap();
    let text = std::fs::read_to_string(log.path()).unwrap();
    for identifier in &identifiers {
        let folder: String = identifier.chars().map(|c| if c == ':' { '_' } else { c }).collect();
        assert!(!text.contains(identifier.as_str()), "{identifier} is in the log");
        assert!(!text.contains(&folder), "{folder} (a folder named after it) is in the log");
        assert!(text.contains(&evidence::redact::redacted(identifier)), "its redacted form stands in");
    }
    evidence::verify(text.as_bytes(), None).expect("it verifies");
}
