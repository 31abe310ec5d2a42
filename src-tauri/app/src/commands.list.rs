// The app's commands, declared once: build.rs turns this list into the `sidecar` plugin's
// permissions (`allow-<command>`, and `default`, which allows them all), plugin.rs into its
// invoke handler, and bindings.rs (in the tests) into the page's TypeScript of each command.
// Each entry is `<module>::<command>` of this crate.
sidecar_commands![
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
    commands::download_follow,
    commands::download_cancel,
    commands::download_list,
    evidence::evidence_status,
    evidence::evidence_entries,
    evidence::evidence_verify,
]
