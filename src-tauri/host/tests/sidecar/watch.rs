//! `devices/watch` through the host: the real sidecar, an emulated iPhone behind an emulated
//! usbmuxd (tests/fixtures/emulated_iphone.py) that is plugged out and in, and the watch
//! cancelled by dropping it.

use std::process::Stdio;
use std::time::Duration;

use sidecar_host::types::{DevicesWatchParams, DevicesWatchReport, HostPort};
use sidecar_host::{DeviceWatch, Supervisor};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::process::{Child, ChildStdin, Command};

use crate::common::{self, eventually, gate, python, repo, scratch};

struct EmulatedIphone {
    child: Child,
    stdin: ChildStdin,
    lines: tokio::io::Lines<BufReader<tokio::process::ChildStdout>>,
    usbmux_address: String,
    udid: String,
}

impl EmulatedIphone {
    async fn start() -> Self {
        let mut child = Command::new(python())
            .arg(env!("CARGO_MANIFEST_DIR").to_owned() + "/tests/fixtures/emulated_iphone.py")
            .current_dir(repo())
            .env("PYTHONPATH", repo())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("the emulated iPhone starts");
        let stdin = child.stdin.take().expect("stdin");
        let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
        let first = lines.next_line().await.expect("read").expect("the address line");
        let (usbmux_address, udid) = first.split_once(' ').expect("address and udid");
        Self { child, stdin, lines, usbmux_address: usbmux_address.into(), udid: udid.into() }
    }

    async fn say(&mut self, order: &str) {
        self.stdin.write_all(format!("{order}\n").as_bytes()).await.expect("write");
        assert_eq!(self.lines.next_line().await.expect("read").as_deref(), Some("ok"));
    }
}

async fn next_matching(watch: &mut DeviceWatch, wanted: impl Fn(&DevicesWatchReport) -> bool) -> DevicesWatchReport {
    tokio::time::timeout(Duration::from_secs(20), async {
        loop {
            let report = watch.next().await.expect("the watch goes on").expect("a device list");
            if wanted(&report) {
                return report;
            }
        }
    })
    .await
    .expect("a matching report in time")
}

#[tokio::test]
async fn a_watch_streams_device_lists_as_an_iphone_comes_and_goes_and_dropping_it_cancels() {
    common::init_tracing();
    let mut iphone = EmulatedIphone::start().await;
    let supervisor =
        Supervisor::start(common::sidecar(), gate(common::policy(&scratch("watch")))).await.expect("start");
    let client = supervisor.client().expect("running");
    let params = DevicesWatchParams {
        android_tcp: Vec::new(),
        progress_token: 0.into(),
        usbmux_address: Some(HostPort::try_from(iphone.usbmux_address.as_str()).expect("host:port")),
    };
    let mut watch = client.watch_devices(params);
    let udid = iphone.udid.clone();
    let first = next_matching(&mut watch, |_| true).await;
    let iphone_entry = first.devices.iter().find(|d| d.device_id == udid).expect("the iPhone is listed at once");
    assert_eq!(iphone_entry.state.to_string(), "ready");

    iphone.say("unplug").await;
    next_matching(&mut watch, |r| r.devices.iter().all(|d| d.device_id != udid)).await;
    iphone.say("plug").await;
    next_matching(&mut watch, |r| r.devices.iter().any(|d| d.device_id == udid)).await;

    assert_eq!(client.health().await.unwrap().inflight, 1, "the watch is in flight");
    drop(watch);
    assert!(
        eventually(Duration::from_secs(10), || async { client.health().await.map(|h| h.inflight).unwrap_or(-1) == 0 })
            .await,
        "dropping the watch cancels the request"
    );
    supervisor.stop().await;
    drop(iphone.stdin);
    let _ = iphone.child.wait().await;
}
