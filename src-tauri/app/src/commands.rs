//! The commands the frontend may invoke, one per sidecar method it uses (plus the app's own
//! status). Each is thin: take the typed params the frontend sent (validated by the generated
//! types' deserializers), call the sidecar through the host crate (which checks the policy
//! first), and hand back the typed result or a [`CommandError`].
//!
//! Every command here must also be listed in `build.rs` (its permission) and granted in
//! `capabilities/main.json`; the frontend can invoke nothing else.

use sidecar_host::types;
use tauri::{AppHandle, State};

use crate::downloads::{Downloads, queue_error};
use crate::error::CommandError;
use crate::progress::{self, Operation};
use crate::sidecar::{Setup, Sidecar, Status};
use crate::watch::DeviceWatcher;

type Result<T> = std::result::Result<T, CommandError>;

#[tauri::command]
pub fn sidecar_status(sidecar: State<'_, Sidecar>) -> Status {
    sidecar.status()
}

/// The settings file, the output folders and the Python in use; `null` until prepared.
#[tauri::command]
pub fn app_setup(sidecar: State<'_, Sidecar>) -> Option<Setup> {
    sidecar.setup()
}

#[tauri::command]
pub async fn health(sidecar: State<'_, Sidecar>) -> Result<types::HealthResult> {
    Ok(sidecar.client().await?.health().await?)
}

/// Devices on USB, plus those the settings and `params` name.
#[tauri::command]
pub async fn devices_list(
    sidecar: State<'_, Sidecar>,
    params: types::DevicesListParams,
) -> Result<types::DevicesListResult> {
    let client = sidecar.client().await?;
    let params = match sidecar.setup() {
        Some(setup) => setup.settings.device_sources(params),
        None => params,
    };
    Ok(client.devices_list(params).await?)
}

/// Watch the same devices as `devices_list`: the full list now and after every change comes as a
/// `sidecar:devices` event, until `devices_unwatch` (or another `devices_watch`, which replaces it).
#[tauri::command]
pub async fn devices_watch(
    app: AppHandle,
    sidecar: State<'_, Sidecar>,
    watcher: State<'_, DeviceWatcher>,
    params: types::DevicesListParams,
) -> Result<()> {
    let client = sidecar.client().await?;
    let params = match sidecar.setup() {
        Some(setup) => setup.settings.device_sources(params),
        None => params,
    };
    let watch = types::DevicesWatchParams {
        android_tcp: params.android_tcp,
        usbmux_address: params.usbmux_address,
        progress_token: 0.into(), // replaced by a fresh token
    };
    watcher.start(app, &client, watch);
    Ok(())
}

#[tauri::command]
pub fn devices_unwatch(watcher: State<'_, DeviceWatcher>) {
    watcher.stop();
}

#[tauri::command]
pub async fn inspect_basic(
    sidecar: State<'_, Sidecar>,
    params: types::InspectParams,
) -> Result<types::InspectBasicResult> {
    Ok(sidecar.client().await?.inspect_basic(params).await?)
}

#[tauri::command]
pub async fn inspect_deep(
    sidecar: State<'_, Sidecar>,
    params: types::InspectParams,
) -> Result<types::InspectDeepResult> {
    Ok(sidecar.client().await?.inspect_deep(params).await?)
}

/// Collect logs; progress goes out as `sidecar:progress` events keyed by the device id.
#[tauri::command]
pub async fn logs_collect(
    app: AppHandle,
    sidecar: State<'_, Sidecar>,
    mut params: types::LogsCollectParams,
) -> Result<types::LogsCollectResult> {
    let client = sidecar.client().await?;
    let (token, stream) = client.progress_channel();
    params.progress_token = Some(token.into());
    let key = params.device_id.to_string();
    // Logs may take minutes (duration_s); the sidecar's own limits bound them, not a client timeout.
    let client = client.with_timeout(std::time::Duration::from_secs(3600));
    Ok(progress::during(&app, Operation::Logs, &key, stream, client.logs_collect(params)).await?)
}

#[tauri::command]
pub async fn report_format(
    sidecar: State<'_, Sidecar>,
    params: types::ReportFormatParams,
) -> Result<types::ReportFormatResult> {
    Ok(sidecar.client().await?.report_format(params).await?)
}

#[tauri::command]
pub async fn download_probe(
    sidecar: State<'_, Sidecar>,
    params: types::DownloadProbeParams,
) -> Result<types::DownloadProbeResult> {
    Ok(sidecar.client().await?.download_probe(params).await?)
}

/// Queue a download in the app's durable queue (see [`crate::downloads`]): its `job_id` is the
/// queue's key, and its progress goes out as `sidecar:progress` events under that key until it
/// ends, across sidecar and app restarts.
#[tauri::command]
pub async fn download_start(
    sidecar: State<'_, Sidecar>,
    downloads: State<'_, Downloads>,
    params: types::DownloadStartParams,
) -> Result<types::DownloadStartResult> {
    let client = sidecar.client().await?;
    downloads.queue()?.submit(&client, params).await.map_err(queue_error)
}

/// Cancel a download by the queue's key.
#[tauri::command]
pub async fn download_cancel(
    sidecar: State<'_, Sidecar>,
    downloads: State<'_, Downloads>,
    params: types::DownloadCancelParams,
) -> Result<types::DownloadJob> {
    let client = sidecar.client().await?;
    downloads.queue()?.cancel(&client, params.job_id.as_str()).await.map_err(queue_error)
}

/// The queue's downloads: those the sidecar runs or holds now, those waiting to be submitted
/// again, and those that ended under an earlier sidecar.
#[tauri::command]
pub async fn download_list(
    sidecar: State<'_, Sidecar>,
    downloads: State<'_, Downloads>,
) -> Result<types::DownloadListResult> {
    let client = sidecar.client().await?;
    downloads.queue()?.list(&client).await.map_err(queue_error)
}
