//! Every way a call can end is recorded before the caller hears of it: a sidecar error, a
//! timeout, a call the caller dropped (cancelled), and a policy change with the digests on both
//! sides. Against the test server (tests/support/testserver.py: the product server plus
//! `test/*` methods).

use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};
use sidecar_host::evidence::Recorder;
use sidecar_host::handshake::update_policy;
use sidecar_host::types::Policy;
use sidecar_host::{CallError, MethodSpec, PolicyGate, SpawnConfig, Supervisor, SupervisorConfig};

use crate::common::{entries, open, python, repo, scratch};

const TEST_METHODS: [MethodSpec; 2] = [
    MethodSpec { name: "test/sleep", capabilities: &[], notification: false },
    MethodSpec { name: "test/app_error", capabilities: &[], notification: false },
];

fn policy(value: Value) -> Policy {
    serde_json::from_value(value).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn errors_timeouts_cancellations_and_policy_changes_are_recorded() {
    let dir = scratch("outcomes");
    let log = Arc::new(open(&dir, 64));
    let mut spawn = SpawnConfig::new(python());
    spawn.args = ["-m", "tests.support.testserver"].map(Into::into).to_vec();
    spawn.cwd = Some(repo());
    let mut config = SupervisorConfig::new(spawn);
    config.client.evidence = Some(Recorder::new(Arc::clone(&log)));
    let gate = PolicyGate::new(policy(json!({"capabilities": []}))).with_methods(TEST_METHODS);
    let supervisor = Supervisor::start(config, gate).await.expect("the test server starts");
    let client = supervisor.client().unwrap();

    let failed = client.request::<Value, Value>("test/app_error", Some(&json!({}))).await;
    assert!(matches!(failed, Err(CallError::Rpc(_))), "{failed:?}");
    let slow = client.with_timeout(Duration::from_millis(200));
    let timed_out = slow.request::<Value, Value>("test/sleep", Some(&json!({"seconds": 5}))).await;
    assert!(matches!(timed_out, Err(CallError::Timeout { .. })), "{timed_out:?}");
    let abandoned = tokio::time::timeout(
        Duration::from_millis(200),
        client.request::<Value, Value>("test/sleep", Some(&json!({"seconds": 5.5}))),
    )
    .await;
    assert!(abandoned.is_err(), "the caller gave up: the call's future was dropped");
    update_policy(&client, policy(json!({"capabilities": ["report.write"]}))).await.expect("the policy changes");
    let denied =
        client.request::<Value, Value>("logs/collect", Some(&json!({"device_id": "x", "platform": "ios"}))).await;
    assert!(matches!(denied, Err(CallError::Policy(_))));

    supervisor.stop().await;
    log.close().unwrap();
    let all = entries(&std::fs::read(log.path()).unwrap());
    let call = |method: &str, nth: usize| {
        all.iter().filter(|e| e["method"] == method).nth(nth).unwrap_or_else(|| panic!("no {method} #{nth}")).clone()
    };
    let error = call("test/app_error", 0);
    assert_eq!(error["outcome"]["status"], "error");
    assert!(error["outcome"]["code"].as_i64().is_some() && error["outcome"]["kind"].is_string(), "{error}");
    assert_eq!(call("test/sleep", 0)["outcome"], json!({"status": "timeout", "after_ms": 200}));
    let dropped = call("test/sleep", 1);
    assert_eq!(dropped["outcome"]["status"], "cancelled");
    assert_eq!(dropped["params"], json!({"seconds": "5.5"}), "a float is kept as its JSON text");
    let change = all.iter().find(|e| e["kind"] == "policy_change").expect("a policy_change entry");
    assert_eq!(change["policy"]["capabilities"], json!(["report.write"]));
    assert_eq!(change["policy_matches"], true);
    let refused = call("logs/collect", 0);
    assert_eq!(refused["outcome"]["status"], "refused");
    assert_ne!(refused["policy_digest"], error["policy_digest"], "each entry names the policy in force");
    assert_eq!(refused["policy_digest"], change["policy_digest"]);
}
