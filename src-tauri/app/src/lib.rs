//! The desktop app: a window whose frontend (`../app-ui`) drives the Python sidecar through the
//! commands of [`commands`]. The sidecar starts in the background as the app starts
//! ([`sidecar::Sidecar::start`]) and is stopped when the app exits; the frontend follows it
//! through the `sidecar:status` event, gets progress as `sidecar:progress` events, and the live
//! device list as `sidecar:devices` events.

mod commands;
mod downloads;
mod error;
mod evidence;
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
    let app = tauri::Builder::default()
        .manage(Sidecar::default())
        .manage(DeviceWatcher::default())
        .manage(Evidence::default())
        .manage(Downloads::default())
        .setup(|app| {
            let handle = app.handle().clone();
            tauri::async_runtime::spawn(async move { handle.state::<Sidecar>().start(&handle).await });
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![
            commands::sidecar_status,
            commands::app_setup,
            commands::health,
            commands::devices_list,
            commands::devices_watch,
            commands::devices_unwatch,
            commands::inspect_basic,
            commands::inspect_deep,
            commands::logs_collect,
            commands::report_format,
            commands::download_probe,
            commands::download_start,
            commands::download_cancel,
            commands::download_list,
            evidence::evidence_status,
            evidence::evidence_entries,
            evidence::evidence_verify,
        ])
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

/// Logs to stderr; `RUST_LOG`-style filtering is not needed, `SIDECAR_APP_LOG=debug` is enough.
fn init_tracing() {
    let level = match std::env::var("SIDECAR_APP_LOG").as_deref() {
        Ok("debug") => tracing::Level::DEBUG,
        Ok("warn") => tracing::Level::WARN,
        _ => tracing::Level::INFO,
    };
    let _ = tracing_subscriber::fmt().with_writer(std::io::stderr).with_max_level(level).try_init();
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    /// The commands build.rs declares (each gets an `allow-<command>` permission).
    fn declared_commands() -> BTreeSet<String> {
        let build = include_str!("../build.rs");
        let list = build.split("COMMANDS: &[&str] = &[").nth(1).and_then(|rest| rest.split("];").next());
        list.expect("build.rs declares COMMANDS")
            .split('"')
            .skip(1)
            .step_by(2)
            .map(|name| format!("allow-{}", name.replace('_', "-")))
            .collect()
    }

    #[test]
    fn the_window_is_granted_the_app_commands_and_event_listening_and_nothing_else() {
        let capability: serde_json::Value =
            serde_json::from_str(include_str!("../capabilities/main.json")).expect("valid JSON");
        let granted: BTreeSet<String> = capability["permissions"]
            .as_array()
            .expect("a permissions list")
            .iter()
            .map(|p| p.as_str().expect("permissions by name").to_owned())
            .collect();
        let mut expected = declared_commands();
        assert_eq!(expected.len(), 17, "build.rs lists every command");
        expected.extend(["core:event:allow-listen".to_owned(), "core:event:allow-unlisten".to_owned()]);
        assert_eq!(granted, expected);
        assert_eq!(capability["windows"], serde_json::json!(["main"]));
    }
}
