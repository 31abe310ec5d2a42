//! The commands the frontend may invoke, one per sidecar method it uses (plus the app's own
//! status). Each is thin: take the typed params the frontend sent (validated by the generated
//! types' deserializers), call the sidecar through the host crate (which checks the policy
//! first), and hand back the typed result or a [`CommandError`].
//!
//! A command is added by writing it here and listing it in commands.list.rs: that gives it its
//! permission, the `sidecar:default` set the window is granted, and its place in the handler.
//! A call that reports progress takes the page's [`Channel`] for it. The page's TypeScript of
//! each command (its arguments and result) is generated from these signatures ([`crate::bindings`]).

use sidecar_host::types;
use tauri::State;
use tauri::ipc::Channel;

use crate::downloads::{Downloads, queue_error};
use crate::error::CommandError;
use crate::progress::{self, Progress};
use crate::sidecar::{Setup, Sidecar, Status};
use crate::watch::{DeviceWatcher, DevicesEvent};

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

/// Watch the same devices as `devices_list`: the full list now and after every change comes on
/// `on_devices`, until `devices_unwatch` (or another `devices_watch`, which replaces it).
#[tauri::command]
pub async fn devices_watch(
    sidecar: State<'_, Sidecar>,
    watcher: State<'_, DeviceWatcher>,
    params: types::DevicesListParams,
    on_devices: Channel<DevicesEvent>,
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
    watcher.start(&client, watch, on_devices);
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

/// Collect logs, their progress on `on_progress`.
#[tauri::command]
pub async fn logs_collect(
    sidecar: State<'_, Sidecar>,
    mut params: types::LogsCollectParams,
    on_progress: Channel<Progress<types::LogsCollectProgress>>,
) -> Result<types::LogsCollectResult> {
    let client = sidecar.client().await?;
    let (token, stream) = client.progress_channel();
    params.progress_token = Some(token.into());
    // Logs may take minutes (duration_s); the sidecar's own limits bound them, not a client timeout.
    let client = client.with_timeout(std::time::Duration::from_secs(3600));
    Ok(progress::during(&on_progress, stream, client.logs_collect(params)).await?)
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
/// queue's key, and its progress goes to `on_progress` until it ends, across sidecar restarts.
#[tauri::command]
pub async fn download_start(
    sidecar: State<'_, Sidecar>,
    downloads: State<'_, Downloads>,
    params: types::DownloadStartParams,
    on_progress: Channel<Progress<types::DownloadStartProgress>>,
) -> Result<types::DownloadStartResult> {
    let client = sidecar.client().await?;
    let started = downloads.queue()?.submit(&client, params).await.map_err(queue_error)?;
    downloads.follow(started.job_id.as_str(), on_progress);
    Ok(started)
}

/// Send the progress of a download the page found in `download_list` (one the app resumed, or
/// one started before the page loaded) to `on_progress`, its latest report at once.
#[tauri::command]
pub fn download_follow(
    downloads: State<'_, Downloads>,
    job_id: String,
    on_progress: Channel<Progress<types::DownloadStartProgress>>,
) {
    downloads.follow(&job_id, on_progress);
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
