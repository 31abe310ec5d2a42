//! The desktop app: a window whose frontend (`../app-ui`) drives the Python sidecar through the
//! commands of [`commands`], packaged as the `sidecar` plugin ([`plugin`]). The sidecar starts in
//! the background as the app starts ([`sidecar::Sidecar::start`]) and is stopped when the app
//! exits; the frontend follows it through the `sidecar:status` event, and gets a call's progress
//! (and the live device list) on the channel it passes with the call.

#[cfg(test)]
mod bindings;
mod commands;
mod downloads;
mod error;
mod evidence;
mod plugin;
mod progress;
mod settings;
mod sidecar;
mod watch;

use tauri::{Manager, RunEvent};

use crate::downloads::Downloads;
use crate::evidence::Evidence;
use crate::sidecar::Sidecar;
use crate::watch::DeviceWatcher;

/// Run the app until its last window closes; the sidecar does not outlive it.
pub fn run() {
    init_tracing();
    let app = with_surface(tauri::Builder::default())
        .setup(|app| {
            let handle = app.handle().clone();
            tauri::async_runtime::spawn(async move { handle.state::<Sidecar>().start(&handle).await });
            Ok(())
        })
        .build(tauri::generate_context!());
    let app = match app {
        Ok(app) => app,
        Err(error) => {
            tracing::error!("the app cannot start: {error}");
            std::process::exit(1);
        }
    };
    app.run(|handle, event| {
        if let RunEvent::Exit = event {
            tauri::async_runtime::block_on(handle.state::<Sidecar>().stop(&handle.state::<Evidence>()));
        }
    });
}

/// What the page reaches: the commands (the `sidecar` plugin) and the state they use.
fn with_surface<R: tauri::Runtime>(builder: tauri::Builder<R>) -> tauri::Builder<R> {
    builder
        .manage(Sidecar::default())
        .manage(DeviceWatcher::default())
        .manage(Evidence::default())
        .manage(Downloads::default())
        .plugin(plugin::init())
}

/// Logs to stderr; `RUST_LOG`-style filtering is not needed, `SIDECAR_APP_LOG=debug` is enough.
fn init_tracing() {
    let level = match std::env::var("SIDECAR_APP_LOG").as_deref() {
        Ok("debug") => tracing::Level::DEBUG,
        Ok("warn") => tracing::Level::WARN,
        _ => tracing::Level::INFO,
    };
    let _ = tracing_subscriber::fmt().with_writer(std::io::stderr).with_max_level(level).try_init();
}
