//! The app's commands as a Tauri plugin, `sidecar`, inlined in the app (as Tauri's own plugins
//! package theirs, without a crate of its own): the page invokes `plugin:sidecar|<command>`, and
//! may invoke only what `capabilities/main.json` grants (`sidecar:default`, every command).
//!
//! The commands are listed once, in commands.list.rs; build.rs makes their permissions from the
//! same list.

use tauri::Runtime;
use tauri::plugin::TauriPlugin;

/// The invoke handler of commands.list.rs.
macro_rules! sidecar_commands {
    ($($module:ident :: $command:ident),* $(,)?) => {
        tauri::generate_handler![$(crate::$module::$command),*]
    };
}

pub const NAME: &str = "sidecar";

pub fn init<R: Runtime>() -> TauriPlugin<R> {
    tauri::plugin::Builder::new(NAME).invoke_handler(include!("commands.list.rs")).build()
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use serde_json::{Value, json};

    use tauri::Manager;

    use super::NAME;

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
        let plugin = &manifests[NAME];
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

    /// A call from the main window through Tauri's IPC, as `invoke(command, args)` makes it.
    fn invoke(
        webview: &tauri::WebviewWindow<tauri::test::MockRuntime>,
        command: &str,
        args: Value,
    ) -> Result<Value, Value> {
        let request = tauri::webview::InvokeRequest {
            cmd: command.into(),
            callback: tauri::ipc::CallbackFn(0),
            error: tauri::ipc::CallbackFn(1),
            url: "tauri://localhost".parse().expect("a URL"),
            body: tauri::ipc::InvokeBody::Json(args),
            headers: Default::default(),
            invoke_key: tauri::test::INVOKE_KEY.to_owned(),
        };
        tauri::test::get_ipc_response(webview, request).map(|body| body.deserialize().expect("JSON"))
    }

    #[test]
    fn the_main_window_reaches_the_plugins_commands_through_the_ipc_and_nothing_else() {
        // The app's own config and capabilities, on Tauri's mock runtime (no webview, no sidecar).
        let app =
            crate::with_surface(tauri::test::mock_builder()).build(tauri::generate_context!()).expect("the app builds");
        let webview = match app.get_webview_window("main") {
            Some(webview) => webview,
            None => tauri::WebviewWindowBuilder::new(&app, "main", Default::default()).build().expect("a window"),
        };

        let status = invoke(&webview, "plugin:sidecar|sidecar_status", json!({}));
        assert_eq!(status, Ok(json!({"phase": "starting"})));
        // A channel argument as the page passes one; the job is unknown yet, so nothing is sent.
        let followed =
            invoke(&webview, "plugin:sidecar|download_follow", json!({"jobId": "j1", "onProgress": "__CHANNEL__:7"}));
        assert_eq!(followed, Ok(Value::Null));
        let error = invoke(&webview, "plugin:sidecar|evidence_status", json!({})).expect_err("the log is not open");
        assert_eq!(error["kind"], "sidecar_unavailable", "{error}");

        let refused = invoke(&webview, "plugin:app|version", json!({})).expect_err("not granted");
        assert!(refused.to_string().contains("not allowed"), "{refused}");
        assert!(invoke(&webview, "health", json!({})).is_err(), "the commands are the plugin's, not the app's");
    }
}
