//! Tauri's build step, with this app's commands declared so that each gets a permission
//! (`allow-<command>`) and nothing is invocable unless `capabilities/` grants it.

/// Every `#[tauri::command]` of src/commands.rs and src/evidence.rs (the same list as
/// `generate_handler!` in lib.rs).
const COMMANDS: &[&str] = &[
    "sidecar_status",
    "app_setup",
    "health",
    "devices_list",
    "devices_watch",
    "devices_unwatch",
    "inspect_basic",
    "inspect_deep",
    "logs_collect",
    "report_format",
    "download_probe",
    "download_start",
    "download_cancel",
    "download_list",
    "evidence_status",
    "evidence_entries",
    "evidence_verify",
];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let manifest = tauri_build::AppManifest::new().commands(COMMANDS);
    tauri_build::try_build(tauri_build::Attributes::new().app_manifest(manifest))?;
    Ok(())
}
