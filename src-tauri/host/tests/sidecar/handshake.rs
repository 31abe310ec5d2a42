use sidecar_host::digest::policy_digest;
use sidecar_host::handshake::{self, HandshakeError};
use sidecar_host::supervisor::State;
use sidecar_host::types::Policy;
use sidecar_host::{CallError, PolicyError, StartError, Supervisor};

use crate::common::{self, fake, gate, scratch, sidecar, testserver};

#[tokio::test]
async fn the_handshake_checks_the_digest_of_the_real_sidecar() {
    common::init_tracing();
    // Non-ASCII and a control character in a root: the digest must match byte for byte.
    let root = scratch("handshake").join("dönüş\u{1f}😀");
    let policy = common::policy(&root);
    let expected = policy_digest(&policy).unwrap();
    let supervisor = Supervisor::start(sidecar(), gate(policy)).await.expect("start");
    assert!(matches!(supervisor.state(), State::Running { restarts: 0, .. }));
    let health = supervisor.client().unwrap().health().await.unwrap();
    assert!(health.initialized);
    assert_eq!(health.policy_digest.as_deref(), Some(expected.as_str()));
    supervisor.stop().await;
}

#[tokio::test]
async fn a_sidecar_reporting_another_digest_is_refused() {
    common::init_tracing();
    let policy = common::policy(&scratch("wrong-digest"));
    let error = Supervisor::start(fake(&["wrong-digest"]), gate(policy.clone())).await.expect_err("must be refused");
    match error {
        StartError::Handshake { source: HandshakeError::DigestMismatch { expected, actual }, .. } => {
            assert_eq!(expected, policy_digest(&policy).unwrap());
            assert_eq!(actual, "0".repeat(64));
        }
        other => panic!("expected a digest mismatch, got {other}"),
    }
}

#[tokio::test]
async fn policy_update_narrows_the_host_first_line_and_the_sidecar_mirror() {
    common::init_tracing();
    let root = scratch("policy-update");
    let supervisor = Supervisor::start(testserver(), gate(common::policy(&root))).await.expect("start");
    let client = supervisor.client().unwrap();
    let allowed: String = client.request("test/needs_inspect", None::<&()>).await.unwrap();
    assert_eq!(allowed, "allowed");

    let mut narrower: Policy = common::policy(&root);
    narrower.capabilities.clear();
    handshake::update_policy(&client, narrower.clone()).await.unwrap();
    assert_eq!(client.health().await.unwrap().policy_digest, Some(policy_digest(&narrower).unwrap()));
    // The host refuses without sending...
    let refused = client.request::<(), String>("test/needs_inspect", None).await.unwrap_err();
    assert!(matches!(refused, CallError::Policy(PolicyError::Denied { .. })), "{refused}");
    supervisor.stop().await;
}

#[tokio::test]
async fn the_sidecar_mirror_is_the_second_line() {
    common::init_tracing();
    let mut policy = common::policy(&scratch("second-line"));
    policy.capabilities.clear();
    // A host table that (wrongly) thinks the method needs nothing lets the call through...
    let lax = sidecar_host::PolicyGate::new(policy).with_methods([sidecar_host::MethodSpec {
        name: "test/needs_inspect",
        capabilities: &[],
        notification: false,
    }]);
    let supervisor = Supervisor::start(testserver(), lax).await.expect("start");
    let error = supervisor.client().unwrap().request::<(), String>("test/needs_inspect", None).await.unwrap_err();
    // ...and the sidecar's mirror refuses it.
    match error {
        CallError::Rpc(e) => assert_eq!(e.kind.to_string(), "policy_denied"),
        other => panic!("expected policy_denied from the sidecar, got {other}"),
    }
    supervisor.stop().await;
}
