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
        .plugin(plugin::init())
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

    use serde_json::Value;

    /// The command names of commands.list.rs, the one list build.rs and plugin.rs both expand.
    fn listed_commands() -> BTreeSet<String> {
        crate::bindings::COMMANDS.iter().map(|(_, command)| (*command).to_owned()).collect()
    }

    fn strings(value: &Value) -> BTreeSet<String> {
        value.as_array().expect("a list").iter().map(|p| p.as_str().expect("a name").to_owned()).collect()
    }

    #[test]
    fn the_generated_default_permissions_allow_exactly_the_listed_commands() {
        // Written by tauri-build (build.rs) from the same list, before this crate compiles.
        let manifests: Value =
            serde_json::from_str(include_str!("../gen/schemas/acl-manifests.json")).expect("valid JSON");
        let plugin = &manifests[crate::plugin::NAME];
        let allowed = strings(&plugin["default_permission"]["permissions"]);
        let expected: BTreeSet<String> =
            listed_commands().iter().map(|name| format!("allow-{}", name.replace('_', "-"))).collect();
        assert_eq!(allowed, expected);
        for permission in &allowed {
            assert!(plugin["permissions"][permission]["commands"]["allow"].is_array(), "{permission} is generated");
        }
    }

    #[test]
    fn the_window_is_granted_the_plugins_default_set_and_event_listening_and_nothing_else() {
        let capability: Value = serde_json::from_str(include_str!("../capabilities/main.json")).expect("valid JSON");
        let expected = ["core:event:allow-listen", "core:event:allow-unlisten", "sidecar:default"];
        assert_eq!(strings(&capability["permissions"]), expected.map(str::to_owned).into());
        assert_eq!(capability["windows"], serde_json::json!(["main"]));
    }
}
