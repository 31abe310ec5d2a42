//! The app's commands as a Tauri plugin, `sidecar`, inlined in the app (as Tauri's own plugins
//! package theirs, without a crate of its own): the page invokes `plugin:sidecar|<command>`, and
//! may invoke only what `capabilities/main.json` grants (`sidecar:default`, every command).
//!
//! The commands are listed once, in commands.list.rs; build.rs makes their permissions from the
//! same list.

use tauri::Wry;
use tauri::plugin::TauriPlugin;

/// The invoke handler of commands.list.rs.
macro_rules! sidecar_commands {
    ($($module:ident :: $command:ident),* $(,)?) => {
        tauri::generate_handler![$(crate::$module::$command),*]
    };
}

pub const NAME: &str = "sidecar";

pub fn init() -> TauriPlugin<Wry> {
    tauri::plugin::Builder::new(NAME).invoke_handler(include!("commands.list.rs")).build()
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use serde_json::Value;

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
}
