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
