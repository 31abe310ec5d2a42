use std::time::{Duration, Instant};

use serde_json::json;
use sidecar_host::types::{DevicesListParams, ErrorKind, ProgressValueKind};
use sidecar_host::{CallError, Client, ClientConfig, Supervisor};

use crate::common::{self, eventually, gate, scratch, testserver};

async fn start(name: &str) -> (Supervisor, Client) {
    common::init_tracing();
    let supervisor = Supervisor::start(testserver(), gate(common::policy(&scratch(name)))).await.expect("start");
    let client = supervisor.client().expect("running");
    (supervisor, client)
}

async fn inflight(client: &Client) -> i64 {
    client.health().await.map(|h| h.inflight).unwrap_or(-1)
}

#[tokio::test]
async fn typed_calls_and_typed_errors() {
    let (supervisor, client) = start("typed").await;
    let health = client.health().await.unwrap();
    assert_eq!(health.status.to_string(), "ok");
    assert!(health.pid > 0 && !health.version.is_empty());

    let discover = client.rpc_discover().await.unwrap();
    let methods = discover["methods"].as_array().expect("methods");
    assert!(methods.iter().any(|m| m["name"] == "health"));

    // Product methods, with generated params types; their results decode into generated types.
    let devices = client.devices_list(DevicesListParams::default()).await.unwrap();
    assert!(devices.devices.iter().all(|d| !d.device_id.is_empty()));
    assert!(client.download_list().await.unwrap().jobs.is_empty());

    let app = client.request::<(), String>("test/app_error", None).await.unwrap_err();
    match app {
        CallError::Rpc(e) => {
            assert_eq!((e.code, e.kind, e.retryable), (-32005, ErrorKind::DeviceUnavailable, true));
            assert_eq!((e.message.as_str(), e.suggestion.as_str()), ("the device went away", "Reconnect it."));
        }
        other => panic!("{other}"),
    }
    let bad = client.request::<_, String>("test/sleep", Some(&json!({"seconds": "long"}))).await.unwrap_err();
    assert!(
        matches!(&bad, CallError::Rpc(e) if e.kind == ErrorKind::InvalidParams && e.message.contains("$.seconds")),
        "{bad}"
    );
    supervisor.stop().await;
}

#[tokio::test]
async fn concurrent_calls_each_get_their_own_answer() {
    let (supervisor, client) = start("concurrent").await;
    let started = Instant::now();
    let sleeps = (0..24).map(|i| {
        let client = client.clone();
        async move {
            let seconds = 0.2 + f64::from(i % 4) * 0.05;
            client.request::<_, String>("test/sleep", Some(&json!({ "seconds": seconds }))).await
        }
    });
    let echoes = (0..200).map(|i| {
        let client = client.clone();
        async move { client.request::<_, i64>("test/echo", Some(&json!({ "value": i }))).await.map(|v| (i, v)) }
    });
    let (slept, echoed) = tokio::join!(futures::future::join_all(sleeps), futures::future::join_all(echoes));
    assert!(slept.iter().all(|r| r.as_deref() == Ok("slept")), "{slept:?}");
    assert!(echoed.into_iter().all(|r| matches!(r, Ok((i, v)) if i == v)));
    // 24 sleeps of ~0.25 s, concurrently: far less than their 6 s sum.
    assert!(started.elapsed() < Duration::from_secs(4), "{:?}", started.elapsed());
    supervisor.stop().await;
}

#[tokio::test]
async fn a_timed_out_call_is_cancelled_in_the_sidecar() {
    let (supervisor, client) = start("timeout").await;
    let quick = client.with_timeout(Duration::from_millis(300));
    let started = Instant::now();
    let error = quick.request::<_, String>("test/sleep", Some(&json!({"seconds": 30}))).await.unwrap_err();
    assert!(matches!(error, CallError::Timeout { .. }), "{error}");
    assert!(started.elapsed() < Duration::from_secs(2));
    assert!(
        eventually(Duration::from_secs(3), || async { inflight(&client).await == 0 }).await,
        "the sleep kept running"
    );
    supervisor.stop().await;
}

#[tokio::test]
async fn dropping_a_call_cancels_it_and_its_progress_ends() {
    let (supervisor, client) = start("drop").await;
    let (token, mut progress) = client.progress_channel();
    let call = {
        let client = client.clone();
        tokio::spawn(async move {
            client.request::<_, String>("test/sleep", Some(&json!({"seconds": 30, "progress_token": token}))).await
        })
    };
    let begin = tokio::time::timeout(Duration::from_secs(10), progress.recv()).await.unwrap().unwrap();
    assert_eq!(begin.kind, ProgressValueKind::Begin);
    call.abort();
    // The cancel reaches the sidecar, which ends the progress with "cancelled".
    let end = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            match progress.recv().await {
                Some(value) if value.kind == ProgressValueKind::End => break Some(value),
                Some(_) => continue,
                None => break None,
            }
        }
    })
    .await
    .unwrap()
    .expect("an end update");
    assert_eq!(end.message.as_deref(), Some("cancelled"));
    assert!(progress.recv().await.is_none(), "the stream ends after `end`");
    assert!(eventually(Duration::from_secs(3), || async { inflight(&client).await == 0 }).await);
    supervisor.stop().await;
}

#[tokio::test]
async fn progress_streams_begin_reports_end() {
    let (supervisor, client) = start("progress").await;
    let (token, mut progress) = client.progress_channel();
    let result: String =
        client.request("test/sleep", Some(&json!({"seconds": 0.5, "progress_token": token}))).await.unwrap();
    assert_eq!(result, "slept");
    let mut kinds = Vec::new();
    while let Some(value) = progress.recv().await {
        if value.kind == ProgressValueKind::Report {
            assert!(value.percentage.is_some_and(|p| (0.0..=100.0).contains(&p)));
        }
        kinds.push(value.kind);
    }
    assert_eq!(kinds.first(), Some(&ProgressValueKind::Begin));
    assert_eq!(kinds.last(), Some(&ProgressValueKind::End));
    assert!(kinds.contains(&ProgressValueKind::Report), "{kinds:?}");
    supervisor.stop().await;
}

#[tokio::test]
async fn a_request_above_the_frame_limit_is_not_sent() {
    common::init_tracing();
    let mut config = testserver();
    config.client = ClientConfig { max_frame_bytes: 64 * 1024, ..ClientConfig::default() };
    let supervisor = Supervisor::start(config, gate(common::policy(&scratch("frame")))).await.expect("start");
    let client = supervisor.client().unwrap();
    let big = "x".repeat(100 * 1024);
    let error = client.request::<_, String>("test/echo", Some(&json!({ "value": big }))).await.unwrap_err();
    assert!(matches!(error, CallError::TooLarge { max: 65536, .. }), "{error}");
    assert!(client.health().await.is_ok());
    supervisor.stop().await;
}
