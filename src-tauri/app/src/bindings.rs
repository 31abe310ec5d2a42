//! The page's TypeScript types of this crate's own types (and of the supervisor's state they
//! carry), generated from the Rust types rather than mirrored by hand:
//! `app-ui/src/generated/app.d.ts`. The protocol's types come from `schemas/` instead
//! (`generated/sidecar.d.ts`), and are imported from there by name.
//!
//! A test checks that the file is what the types give;
//! `SIDECAR_WRITE_BINDINGS=1 cargo test -p sidecar-app bindings` (`npm run gen-app-types` in
//! app-ui) writes it.

use std::path::PathBuf;

use sidecar_host::State;
use ts_rs::{Config, TS};

use crate::error::CommandError;
use crate::settings::{Dirs, Settings};
use crate::sidecar::{Setup, Status};
use crate::watch::DevicesEvent;

/// The protocol's types the generated ones name.
const PROTOCOL_TYPES: &[&str] = &["DevicesWatchReport"];

fn path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../app-ui/src/generated/app.d.ts")
}

fn declaration<T: TS>(config: &Config) -> String {
    let docs = T::docs().map(|docs| format!("{}\n", docs.trim_end())).unwrap_or_default();
    format!("{docs}export {}\n", T::decl(config))
}

fn bindings() -> String {
    // Every integer here is a JSON number the page reads as such (no counter nears 2^53).
    let config = Config::new().with_large_int("number");
    let declarations = [
        declaration::<CommandError>(&config),
        declaration::<Status>(&config),
        declaration::<State>(&config),
        declaration::<Setup>(&config),
        declaration::<Settings>(&config),
        declaration::<Dirs>(&config),
        declaration::<DevicesEvent>(&config),
    ];
    format!(
        "/* Generated from the app's Rust types by src-tauri/app/src/bindings.rs. Do not edit: change the\n * Rust types, then run `npm run gen-app-types`. */\n\nimport type {{ {} }} from \"./sidecar.js\";\n\n{}",
        PROTOCOL_TYPES.join(", "),
        declarations.join("\n")
    )
}

#[test]
fn the_pages_generated_app_types_are_up_to_date() {
    let expected = bindings();
    if std::env::var_os("SIDECAR_WRITE_BINDINGS").is_some() {
        std::fs::write(path(), &expected).expect("app.d.ts written");
    }
    let current = std::fs::read_to_string(path()).unwrap_or_default();
    assert!(
        current == expected,
        "app-ui/src/generated/app.d.ts is out of date with the app's types: run `npm run gen-app-types` in src-tauri/app-ui"
    );
}
