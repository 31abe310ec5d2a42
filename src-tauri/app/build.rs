//! Tauri's build step. The app's commands are an inlined plugin, `sidecar` (see src/plugin.rs):
//! each command in src/commands.list.rs gets a permission (`sidecar:allow-<command>`), the
//! plugin's default set allows them all, and nothing is invocable unless `capabilities/` grants it.

/// The command names of src/commands.list.rs (its `<module>::<command>` entries).
macro_rules! sidecar_commands {
    ($($module:ident :: $command:ident),* $(,)?) => {
        &[$(stringify!($command)),*]
    };
}

const COMMANDS: &[&str] = include!("src/commands.list.rs");

fn main() -> Result<(), Box<dyn std::error::Error>> {
    println!("cargo::rerun-if-changed=src/commands.list.rs");
    let plugin = tauri_build::InlinedPlugin::new()
        .commands(COMMANDS)
        .default_permission(tauri_build::DefaultPermissionRule::AllowAllCommands);
    let manifest = tauri_build::AppManifest::new().commands(&[]);
    tauri_build::try_build(tauri_build::Attributes::new().plugin("sidecar", plugin).app_manifest(manifest))?;
    Ok(())
}
