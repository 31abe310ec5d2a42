//! The live device list: one `devices/watch` at a time, its lists forwarded to the UI as
//! `sidecar:devices` events (`{devices, warnings}`, or `{error}` when the watch ends with one).
//! Starting again replaces the running watch; stopping drops it, which cancels the request.

use std::sync::{Mutex, PoisonError};

use serde::Serialize;
use sidecar_host::types::{DevicesWatchParams, DevicesWatchReport};
use sidecar_host::{Client, DeviceWatch};
use tauri::async_runtime::JoinHandle;
use tauri::{AppHandle, Emitter};

use crate::error::CommandError;

pub const DEVICES_EVENT: &str = "sidecar:devices";

#[derive(Debug, Serialize)]
#[serde(untagged)]
enum DevicesEvent<'a> {
    List(&'a DevicesWatchReport),
    Error { error: CommandError },
}

#[derive(Default)]
pub struct DeviceWatcher {
    running: Mutex<Option<JoinHandle<()>>>,
}

impl DeviceWatcher {
    /// Watch with `params` from now on (a running watch is stopped first).
    pub fn start(&self, app: AppHandle, client: &Client, params: DevicesWatchParams) {
        let watch = client.watch_devices(params);
        let task = tauri::async_runtime::spawn(forward(app, watch));
        if let Some(previous) = self.running.lock().unwrap_or_else(PoisonError::into_inner).replace(task) {
            previous.abort(); // drops its DeviceWatch: `$/cancelRequest`
        }
    }

    pub fn stop(&self) {
        if let Some(task) = self.running.lock().unwrap_or_else(PoisonError::into_inner).take() {
            task.abort();
        }
    }
}

async fn forward(app: AppHandle, mut watch: DeviceWatch) {
    while let Some(next) = watch.next().await {
        let event = match &next {
            Ok(report) => DevicesEvent::List(report),
            Err(error) => DevicesEvent::Error { error: CommandError::from(error.clone()) },
        };
        if let Err(error) = app.emit(DEVICES_EVENT, &event) {
            tracing::warn!("cannot emit {DEVICES_EVENT}: {error}");
        }
    }
}
