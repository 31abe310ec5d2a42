//! `sidecar-host`: `call` through the real sidecar with and without a log, and `evidence verify`.

use std::path::Path;

use serde_json::{Value, json};

use crate::common::{closed_log, entries, python, repo, scratch, sidecar_host};

fn policy_file(dir: &Path, capabilities: &[&str]) -> std::path::PathBuf {
    let path = dir.join("policy.json");
    std::fs::write(&path, json!({"capabilities": capabilities}).to_string()).unwrap();
    path
}

fn call(args: &[&str], dir: &Path) -> (Option<i32>, Value) {
    let output = sidecar_host()
        .arg("call")
        .args(args)
        .env("SIDECAR_PYTHON", python())
        .current_dir(repo())
        .env("XDG_DATA_HOME", dir.join("data"))
        .output()
        .expect("sidecar-host runs");
    let printed = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("JSON on stdout ({e}): {}", String::from_utf8_lossy(&output.stdout)));
    (output.status.code(), printed)
}

#[test]
fn call_prints_the_result_and_records_it_then_a_refusal_exits_1_and_is_recorded_too() {
    let dir = scratch("cli-call");
    let log = dir.join("evidence.jsonl");
    let policy = policy_file(&dir, &[]);
    let (code, result) =
        call(&["health", "--policy", policy.to_str().unwrap(), "--evidence", log.to_str().unwrap()], &dir);
    assert_eq!(code, Some(0));
    assert_eq!(result["status"], "ok");
    assert_eq!(result["initialized"], true);

    let params = r#"{"device_id": "emulator-5554", "platform": "android"}"#;
    let args = ["inspect/basic", params, "--policy", policy.to_str().unwrap(), "--evidence", log.to_str().unwrap()];
    let (code, refused) = call(&args, &dir);
    assert_eq!(code, Some(1), "an error exits non-zero");
    assert_eq!(refused["error"]["kind"], "policy_denied");

    let written = entries(&std::fs::read(&log).unwrap());
    let calls: Vec<&Value> = written.iter().filter(|e| e["kind"] == "call").collect();
    let methods: Vec<&str> = calls.iter().map(|e| e["method"].as_str().unwrap()).collect();
    // Each run: initialize, the call, then the supervisor's shutdown and exit.
    assert_eq!(
        methods,
        ["initialize", "health", "shutdown", "exit", "initialize", "inspect/basic", "shutdown", "exit"]
    );
    assert_eq!(calls[1]["outcome"]["status"], "ok");
    assert_eq!(calls[1]["outcome"]["fields"]["status"], "ok");
    assert_eq!(calls[5]["outcome"]["status"], "refused", "the host's own gate refused it: never sent");
    assert_eq!(calls[5]["outcome"]["kind"], "policy_denied");
    assert_eq!(calls[5]["params"], serde_json::from_str::<Value>(params).unwrap());
    assert_eq!(calls[7]["outcome"]["status"], "sent", "exit is a notification");
    let sessions = written.iter().filter(|e| e["kind"] == "session_start").count();
    assert_eq!(sessions, 2);
    let start = written.iter().find(|e| e["kind"] == "session_start").unwrap();
    assert_eq!(start["policy_matches"], true);
    assert_eq!(start["policy_digest"], start["policy_digest_reported"]);
    assert_eq!(start["app"]["name"], "sidecar-host");
    assert!(start["sidecar"]["version"].is_string());
    assert_eq!(written.last().unwrap()["reason"], "log_close", "each run closes the log");

    let output = sidecar_host().args(["evidence", "verify"]).arg(&log).output().unwrap();
    let text = String::from_utf8(output.stdout).unwrap();
    assert!(output.status.success(), "{text}");
    let head = written.last().unwrap()["hash"].as_str().unwrap();
    assert!(text.starts_with(&format!("ok: {} entries, head {head}\n", written.len())), "{text}");
    let key = written[0]["public_key"].as_str().unwrap();
    let pinned = sidecar_host().args(["evidence", "verify", "--key", key]).arg(&log).output().unwrap();
    assert!(pinned.status.success());
    let other = sidecar_host().args(["evidence", "verify", "--key", &"ab".repeat(32)]).arg(&log).output().unwrap();
    assert_eq!(other.status.code(), Some(1), "a log signed with another key fails --key");
}

#[test]
fn verify_names_the_first_damaged_line_and_a_log_cut_short_before_the_head() {
    let dir = scratch("cli-verify");
    let bytes = closed_log(&dir, 4, 64);
    let path = dir.join("evidence.jsonl");
    let head = crate::common::entries(&bytes).last().unwrap()["hash"].as_str().unwrap().to_owned();
    let text = String::from_utf8(bytes.clone()).unwrap();
    let mut lines: Vec<&str> = text.lines().collect();
    let edited = lines[3].replace("test/echo", "test/ech0");
    lines[3] = &edited;
    std::fs::write(dir.join("edited.jsonl"), lines.join("\n") + "\n").unwrap();
    let output = sidecar_host().args(["evidence", "verify"]).arg(dir.join("edited.jsonl")).output().unwrap();
    assert_eq!(output.status.code(), Some(1));
    let said = String::from_utf8(output.stdout).unwrap();
    assert!(said.contains("line 4 (seq") || said.contains("line 4: entry changed"), "{said}");

    let text = String::from_utf8(bytes).unwrap();
    let cut: Vec<&str> = text.lines().take(5).collect();
    std::fs::write(&path, cut.join("\n") + "\n").unwrap();
    let plain = sidecar_host().args(["evidence", "verify"]).arg(&path).output().unwrap();
    assert!(plain.status.success(), "without the head, a log cut at an entry boundary looks whole");
    let anchored = sidecar_host().args(["evidence", "verify", "--head", &head]).arg(&path).output().unwrap();
    assert_eq!(anchored.status.code(), Some(1));
    assert!(String::from_utf8(anchored.stdout).unwrap().contains("cut short"));
    let usage = sidecar_host().args(["evidence", "verify"]).output().unwrap();
    assert_eq!(usage.status.code(), Some(2), "a usage error exits 2");
}
