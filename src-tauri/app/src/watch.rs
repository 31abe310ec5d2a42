//! The live device list: one `devices/watch` at a time, its lists sent to the page on the
//! channel it passed (`{devices, warnings}`, or `{error}` when the watch ends with one).
//! Starting again replaces the running watch; stopping drops it, which cancels the request.

use std::sync::{Mutex, PoisonError};

use serde::Serialize;
use sidecar_host::types::{DevicesWatchParams, DevicesWatchReport};
use sidecar_host::{Client, DeviceWatch};
use tauri::async_runtime::JoinHandle;
use tauri::ipc::Channel;

use crate::error::CommandError;

/// One message of a watch: the full current list, or why the watch ended.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(untagged)]
pub enum DevicesEvent {
    /// The protocol's type, from src/generated/sidecar.d.ts.
    List(#[cfg_attr(test, ts(type = "DevicesWatchReport"))] DevicesWatchReport),
    Error {
        error: CommandError,
    },
}

#[derive(Default)]
pub struct DeviceWatcher {
    running: Mutex<Option<JoinHandle<()>>>,
}

impl DeviceWatcher {
    /// Watch with `params` from now on, sending to `channel` (a running watch is stopped first).
    pub fn start(&self, client: &Client, params: DevicesWatchParams, channel: Channel<DevicesEvent>) {
        let watch = client.watch_devices(params);
        let task = tauri::async_runtime::spawn(forward(watch, channel));
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

async fn forward(mut watch: DeviceWatch, channel: Channel<DevicesEvent>) {
    while let Some(next) = watch.next().await {
        let event = match next {
            Ok(report) => DevicesEvent::List(report),
            Err(error) => DevicesEvent::Error { error: CommandError::from(error) },
        };
        if let Err(error) = channel.send(event) {
            tracing::warn!("cannot send the device list to the page: {error}");
        }
    }
}
