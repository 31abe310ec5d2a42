//! Generates the protocol's Rust types and typed client methods from `schemas/` at build time.
//!
//! `schemas/` is itself generated from the Python types (`python -m sidecar schemas`), so the
//! whole workflow after changing a Python message type is: regenerate the schemas, then
//! `cargo test`. Generating here instead of checking in Rust code means Rust can never drift
//! from the schemas; a schema that typify cannot translate fails the build, loudly.
//!
//! Outputs, in `OUT_DIR`:
//! * `types.rs`: every type under `$defs` of `sidecar.schema.json` (typify);
//! * `methods.rs`: one `async fn` on `Client` per method of `openrpc.json`;
//! * `method_table.rs`: `METHODS`, the method table (name, capabilities, notification) that the
//!   host's policy gate uses.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::{env, fs};

use schemars::schema::Schema;
use serde_json::{Map, Value};
use typify::{TypeSpace, TypeSpaceSettings};

type BuildResult<T> = Result<T, String>;

fn main() -> BuildResult<()> {
    let manifest_dir = PathBuf::from(env::var("CARGO_MANIFEST_DIR").map_err(|e| e.to_string())?);
    let schemas = manifest_dir.join("../../schemas");
    let out_dir = PathBuf::from(env::var("OUT_DIR").map_err(|e| e.to_string())?);
    let types_path = schemas.join("sidecar.schema.json");
    let openrpc_path = schemas.join("openrpc.json");
    println!("cargo:rerun-if-changed={}", types_path.display());
    println!("cargo:rerun-if-changed={}", openrpc_path.display());
    // Names the bundled runtime's directory (`runtime/<target-triple>/`), see src/locate.rs.
    println!("cargo:rustc-env=SIDECAR_HOST_TARGET={}", env::var("TARGET").map_err(|e| e.to_string())?);

    let bundle = read_json(&types_path)?;
    let openrpc = read_json(&openrpc_path)?;
    let defs = object(&bundle, "$defs", &types_path)?;

    let mut settings = TypeSpaceSettings::default();
    settings
        .with_type_mod("types")
        .with_struct_builder(false)
        .with_derive("PartialEq".to_string())
        // Sorted maps: deterministic output (Debug, logs, digests) whatever the insertion order.
        .with_map_type("::std::collections::BTreeMap");
    let mut space = TypeSpace::new(&settings);
    let mut definitions = Vec::new();
    for (name, schema) in defs {
        definitions.push((name.clone(), to_schema(schema, name)?));
    }
    space.add_ref_types(definitions).map_err(|e| format!("typify rejected {}: {e}", types_path.display()))?;

    let (methods, table) = methods_source(&mut space, &openrpc, defs, &openrpc_path)?;
    write_rust(&out_dir.join("types.rs"), space.to_stream().to_string())?;
    write_rust(&out_dir.join("methods.rs"), methods)?;
    write_rust(&out_dir.join("method_table.rs"), table)?;
    Ok(())
}

/// The `impl Client` block with one typed fn per method, and the `METHODS` table (two files: the
/// table is data the policy gate reads, below the client).
fn methods_source(
    space: &mut TypeSpace,
    openrpc: &Value,
    defs: &Map<String, Value>,
    path: &Path,
) -> BuildResult<(String, String)> {
    let methods = openrpc
        .get("methods")
        .and_then(Value::as_array)
        .ok_or_else(|| format!("{}: no `methods` array", path.display()))?;
    let protocol_version = openrpc
        .pointer("/info/x-protocol-version")
        .and_then(Value::as_i64)
        .ok_or_else(|| format!("{}: no `info.x-protocol-version`", path.display()))?;
    let mut fns = String::new();
    let mut table = String::new();
    let mut fn_names = BTreeSet::new();
    for method in methods {
        let name = str_field(method, "name", path)?;
        let notification = method.get("x-notification").and_then(Value::as_bool).unwrap_or(false);
        let capabilities = method
            .get("x-capabilities")
            .and_then(Value::as_array)
            .ok_or_else(|| format!("{}: method `{name}` has no `x-capabilities`", path.display()))?
            .iter()
            .map(|c| c.as_str().map(|c| format!("{c:?}")))
            .collect::<Option<Vec<_>>>()
            .ok_or_else(|| format!("{}: method `{name}`: capabilities must be strings", path.display()))?;
        writeln!(
            table,
            "MethodSpec {{ name: {name:?}, capabilities: &[{}], notification: {notification} }},",
            capabilities.join(", ")
        )
        .map_err(|e| e.to_string())?;

        // `$/...` methods are the protocol's own (cancellation); the client sends them itself.
        if name.starts_with("$/") {
            continue;
        }
        let fn_name = fn_name(name);
        if !fn_names.insert(fn_name.clone()) {
            return Err(format!("{}: two methods map to the Rust name `{fn_name}`", path.display()));
        }
        let summary = method.get("summary").and_then(Value::as_str).unwrap_or("");
        let params_type = method
            .pointer("/x-params-type/$ref")
            .and_then(Value::as_str)
            .and_then(|r| r.rsplit('/').next())
            .ok_or_else(|| format!("{}: method `{name}` has no `x-params-type` $ref", path.display()))?;
        let params_schema = defs.get(params_type).ok_or_else(|| {
            format!("method `{name}`: params type `{params_type}` is not in sidecar.schema.json $defs")
        })?;
        // A params type without properties (NoParams) becomes a fn without a params argument.
        let takes_params = params_schema.get("properties").and_then(Value::as_object).is_some_and(|p| !p.is_empty());
        let (arg, params) = if takes_params {
            (format!(", params: types::{params_type}"), "Some(&params)".to_string())
        } else {
            (String::new(), "None::<&()>".to_string())
        };
        let doc = doc_comment(summary, name);
        if notification {
            writeln!(
                fns,
                "{doc}pub async fn {fn_name}(&self{arg}) -> Result<(), CallError> {{ self.notify({name:?}, {params}).await }}"
            )
            .map_err(|e| e.to_string())?;
        } else {
            let result = method
                .pointer("/result/schema")
                .ok_or_else(|| format!("{}: method `{name}` has no result schema", path.display()))?;
            let result_type = result_ident(space, result, name)?;
            writeln!(
                fns,
                "{doc}pub async fn {fn_name}(&self{arg}) -> Result<{result_type}, CallError> {{ self.request({name:?}, {params}).await }}"
            )
            .map_err(|e| e.to_string())?;
        }
    }
    Ok((
        format!(
            "/// The protocol version this host speaks: `info.x-protocol-version` of `schemas/openrpc.json`.\n\
             pub const PROTOCOL_VERSION: i64 = {protocol_version};\n\
             impl Client {{ {fns} }}\n"
        ),
        format!(
            "/// Every method of `schemas/openrpc.json`: what it is called and which capabilities it needs.\n\
             pub static METHODS: &[MethodSpec] = &[{table}];\n"
        ),
    ))
}

/// The Rust type of a method's result: a named type for a `$ref`, typify's mapping otherwise.
fn result_ident(space: &mut TypeSpace, schema: &Value, method: &str) -> BuildResult<String> {
    let schema = to_schema(schema, method)?;
    let hint = format!("{}Result", pascal(method));
    let id = space
        .add_type_with_name(&schema, Some(hint))
        .map_err(|e| format!("typify rejected the result of `{method}`: {e}"))?;
    let ty = space.get_type(&id).map_err(|e| e.to_string())?;
    Ok(ty.ident().to_string())
}

/// `rpc.discover` -> `rpc_discover`, `devices/listAll` -> `devices_list_all`; keywords get `r#`.
fn fn_name(method: &str) -> String {
    let mut out = String::new();
    for ch in method.chars() {
        if ch.is_ascii_alphanumeric() {
            if ch.is_ascii_uppercase() && !out.is_empty() && !out.ends_with('_') {
                out.push('_');
            }
            out.push(ch.to_ascii_lowercase());
        } else if !out.is_empty() && !out.ends_with('_') {
            out.push('_');
        }
    }
    let out = out.trim_end_matches('_').to_string();
    if syn::parse_str::<syn::Ident>(&out).is_ok() { out } else { format!("r#{out}") }
}

fn pascal(method: &str) -> String {
    method
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|part| !part.is_empty())
        .map(|part| {
            let mut chars = part.chars();
            chars.next().map(|c| c.to_ascii_uppercase().to_string() + chars.as_str()).unwrap_or_default()
        })
        .collect()
}

fn doc_comment(summary: &str, method: &str) -> String {
    let mut doc = String::new();
    for line in summary.lines() {
        doc.push_str(&format!("#[doc = {:?}]\n", format!(" {line}")));
    }
    doc.push_str("#[doc = \"\"]\n");
    doc.push_str(&format!("#[doc = {:?}]\n", format!(" Method `{method}`.")));
    doc
}

fn to_schema(value: &Value, what: &str) -> BuildResult<Schema> {
    serde_json::from_value(value.clone()).map_err(|e| format!("`{what}` is not a JSON Schema typify can read: {e}"))
}

fn read_json(path: &Path) -> BuildResult<Value> {
    let text = fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    serde_json::from_str(&text).map_err(|e| format!("{} is not JSON: {e}", path.display()))
}

fn object<'a>(value: &'a Value, key: &str, path: &Path) -> BuildResult<&'a Map<String, Value>> {
    value.get(key).and_then(Value::as_object).ok_or_else(|| format!("{}: no `{key}` object", path.display()))
}

fn str_field<'a>(value: &'a Value, key: &str, path: &Path) -> BuildResult<&'a str> {
    value
        .get(key)
        .and_then(Value::as_str)
        .ok_or_else(|| format!("{}: an entry without a string `{key}`", path.display()))
}

/// Parse (which checks the generated code is valid Rust) and pretty-print, for readable errors.
fn write_rust(path: &Path, source: String) -> BuildResult<()> {
    let file = syn::parse_file(&source).map_err(|e| format!("generated {} is not valid Rust: {e}", path.display()))?;
    fs::write(path, prettyplease::unparse(&file)).map_err(|e| format!("cannot write {}: {e}", path.display()))
}
