//! The page's TypeScript of the app's surface, generated rather than mirrored by hand:
//! `app-ui/src/generated/app.d.ts` has
//! * `Commands`: each command of commands.list.rs, the arguments the page passes (those that are
//!   not Tauri's, named as Tauri expects them: camelCase) and its result, read from the
//!   commands' own signatures;
//! * the app's own types (and the host crate's they carry: the supervisor's state, the evidence
//!   log's), from their Rust types (ts-rs).
//!
//! The protocol's types come from `schemas/` instead (`generated/sidecar.d.ts`), imported from
//! there by name; the page's own (a channel as it holds it, and a call's progress as the protocol's
//! `ProgressValue` with that method's detail) from `src/types.ts`.
//!
//! A test checks that the file is what the code gives;
//! `SIDECAR_WRITE_BINDINGS=1 cargo test -p sidecar-app bindings` (`npm run gen-app-types` in
//! app-ui) writes it.

use std::collections::BTreeSet;
use std::path::PathBuf;

use sidecar_host::State;
use sidecar_host::evidence::{Failure, Head, Verified, Written};
use syn::{FnArg, GenericArgument, Item, Pat, PathArguments, ReturnType, Type};
use ts_rs::{Config, TS};

use crate::error::CommandError;
use crate::evidence::{EvidenceCheck, EvidenceStatus};
use crate::settings::{Dirs, Settings};
use crate::sidecar::{Setup, Status};
use crate::watch::DevicesEvent;

/// `(module, command)` of every command in commands.list.rs.
macro_rules! sidecar_commands {
    ($($module:ident :: $command:ident),* $(,)?) => {
        &[$((stringify!($module), stringify!($command))),*]
    };
}
pub const COMMANDS: &[(&str, &str)] = include!("commands.list.rs");

/// The source of each module commands.list.rs names.
fn module_source(module: &str) -> &'static str {
    match module {
        "commands" => include_str!("commands.rs"),
        "evidence" => include_str!("evidence.rs"),
        other => panic!("commands.list.rs names the module {other}: add its source here"),
    }
}

/// The types written here, by name.
const GENERATED: &[&str] = &[
    "CommandError",
    "Status",
    "State",
    "Setup",
    "Settings",
    "Dirs",
    "DevicesEvent",
    "EvidenceStatus",
    "Head",
    "Written",
    "EvidenceCheck",
    "Verified",
    "Failure",
];

fn declarations(config: &Config) -> Vec<String> {
    fn declaration<T: TS>(config: &Config) -> String {
        let docs = T::docs().map(|docs| format!("{}\n", docs.trim_end())).unwrap_or_default();
        format!("{docs}export {}\n", T::decl(config))
    }
    vec![
        declaration::<CommandError>(config),
        declaration::<Status>(config),
        declaration::<State>(config),
        declaration::<Setup>(config),
        declaration::<Settings>(config),
        declaration::<Dirs>(config),
        declaration::<DevicesEvent>(config),
        declaration::<EvidenceStatus>(config),
        declaration::<Head>(config),
        declaration::<Written>(config),
        declaration::<EvidenceCheck>(config),
        declaration::<Verified>(config),
        declaration::<Failure>(config),
    ]
}

/// The TypeScript of a command's argument or result type, noting the names it uses.
struct Translator {
    protocol: BTreeSet<String>,
    handwritten: BTreeSet<String>,
}

impl Translator {
    fn ts(&mut self, ty: &Type) -> String {
        let path = match ty {
            Type::Tuple(tuple) if tuple.elems.is_empty() => return "null".into(),
            Type::Path(path) => &path.path,
            _ => panic!("a command type the bindings cannot name yet (only named types, and `()`)"),
        };
        let last = path.segments.last().expect("a type has a name");
        let name = last.ident.to_string();
        let args: Vec<&Type> = match &last.arguments {
            PathArguments::AngleBracketed(angled) => angled
                .args
                .iter()
                .filter_map(|arg| if let GenericArgument::Type(ty) = arg { Some(ty) } else { None })
                .collect(),
            _ => Vec::new(),
        };
        match (name.as_str(), args.as_slice()) {
            ("Result", [ok]) => self.ts(ok), // the commands' own alias: errors are CommandError
            ("Option", [some]) => format!("{} | null", self.ts(some)),
            ("Vec", [item]) => format!("{}[]", self.ts(item)),
            ("Channel" | "Progress", [message]) => {
                self.handwritten.insert(name.clone());
                format!("{name}<{}>", self.ts(message))
            }
            ("String" | "str" | "PathBuf", []) => "string".into(),
            ("bool", []) => "boolean".into(),
            ("u8" | "u16" | "u32" | "u64" | "usize" | "i32" | "i64" | "f64", []) => "number".into(),
            (_, []) => {
                let from_protocol = path.segments.len() > 1 && path.segments[0].ident == "types";
                if from_protocol {
                    self.protocol.insert(name.clone());
                } else if !GENERATED.contains(&name.as_str()) {
                    self.handwritten.insert(name.clone());
                }
                name
            }
            _ => panic!("a generic command type the bindings cannot name yet: {name}"),
        }
    }
}

fn camel_case(snake: &str) -> String {
    let mut words = snake.split('_');
    let first = words.next().unwrap_or_default().to_owned();
    words.fold(first, |camel, word| {
        let mut chars = word.chars();
        let head = chars.next().map(|c| c.to_uppercase().collect::<String>()).unwrap_or_default();
        camel + &head + chars.as_str()
    })
}

/// Tauri fills these itself; the page does not pass them.
fn is_tauri_argument(ty: &Type) -> bool {
    matches!(ty, Type::Path(path) if path.path.segments.last().is_some_and(|s| s.ident == "State" || s.ident == "AppHandle"))
}

fn command_map(translator: &mut Translator) -> String {
    let mut lines = vec![
        "/** Each command of the `sidecar` plugin: the arguments the page passes, and its result. */".to_owned(),
        "export interface Commands {".to_owned(),
    ];
    for (module, command) in COMMANDS {
        let file = syn::parse_file(module_source(module)).expect("the module parses");
        let function = file
            .items
            .iter()
            .find_map(|item| match item {
                Item::Fn(function) if function.sig.ident == command => Some(function),
                _ => None,
            })
            .unwrap_or_else(|| panic!("{module}.rs has no fn {command}"));
        let mut args = Vec::new();
        for input in &function.sig.inputs {
            let FnArg::Typed(arg) = input else { continue };
            if is_tauri_argument(&arg.ty) {
                continue;
            }
            let Pat::Ident(name) = arg.pat.as_ref() else { panic!("{command}: an argument without a plain name") };
            let name = name.ident.to_string();
            args.push(format!("{}: {}", camel_case(&name), translator.ts(&arg.ty)));
        }
        let args =
            if args.is_empty() { "Record<string, never>".to_owned() } else { format!("{{ {} }}", args.join("; ")) };
        let result = match &function.sig.output {
            ReturnType::Default => "null".to_owned(),
            ReturnType::Type(_, ty) => translator.ts(ty),
        };
        lines.push(format!("  {command}: {{ args: {args}; result: {result} }};"));
    }
    lines.push("}".to_owned());
    lines.join("\n") + "\n"
}

fn bindings() -> String {
    // Every integer here is a JSON number the page reads as such (no counter nears 2^53).
    let config = Config::new().with_large_int("number");
    let mut translator =
        Translator { protocol: BTreeSet::from(["DevicesWatchReport".to_owned()]), handwritten: BTreeSet::new() };
    let commands = command_map(&mut translator);
    let names = |set: &BTreeSet<String>| set.iter().map(String::as_str).collect::<Vec<_>>().join(", ");
    format!(
        "/* Generated from the app's Rust code by src-tauri/app/src/bindings.rs. Do not edit: change the\n * Rust code, then run `npm run gen-app-types`. */\n\nimport type {{ {} }} from \"../types.js\";\nimport type {{ {} }} from \"./sidecar.js\";\n\n{}\n{}",
        names(&translator.handwritten),
        names(&translator.protocol),
        commands,
        declarations(&config).join("\n")
    )
}

fn path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../app-ui/src/generated/app.d.ts")
}

#[test]
fn the_pages_generated_bindings_are_up_to_date() {
    let expected = bindings();
    if std::env::var_os("SIDECAR_WRITE_BINDINGS").is_some() {
        std::fs::write(path(), &expected).expect("app.d.ts written");
    }
    let current = std::fs::read_to_string(path()).unwrap_or_default();
    assert!(
        current == expected,
        "app-ui/src/generated/app.d.ts is out of date with the app's code: run `npm run gen-app-types` in src-tauri/app-ui"
    );
}

#[test]
fn camel_case_is_what_tauri_expects_of_argument_names() {
    assert_eq!(camel_case("device_id"), "deviceId");
    assert_eq!(camel_case("on_progress"), "onProgress");
    assert_eq!(camel_case("params"), "params");
}
