//! The policy digest: lowercase hex SHA-256 of the policy's canonical JSON (docs/PROTOCOL.md).
//!
//! Canonical form: every field present (defaults filled in), object keys sorted, compact,
//! `capabilities` sorted and de-duplicated, UTF-8 with non-ASCII unescaped. The generated
//! `Policy` omits `None` fields when serialized, so defaults are filled back in from the
//! schema itself: a field added on the Python side is covered without touching this file.

use std::sync::LazyLock;

use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use crate::types::Policy;

/// The schema bundle the types were generated from, for its `default`s.
static SCHEMA: LazyLock<Result<Value, String>> = LazyLock::new(|| {
    serde_json::from_str(include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/../../schemas/sidecar.schema.json")))
        .map_err(|e| e.to_string())
});

#[derive(Debug, thiserror::Error)]
pub enum DigestError {
    #[error("the policy does not serialize: {0}")]
    Serialize(#[from] serde_json::Error),
    #[error("schemas/sidecar.schema.json is unusable: {0}")]
    Schema(String),
}

/// The digest the sidecar must report for `policy`.
pub fn policy_digest(policy: &Policy) -> Result<String, DigestError> {
    Ok(hex::encode(Sha256::digest(canonical_json(policy)?.as_bytes())))
}

/// The canonical encoding the digest covers.
pub fn canonical_json(policy: &Policy) -> Result<String, DigestError> {
    let schema = SCHEMA.as_ref().map_err(|e| DigestError::Schema(e.clone()))?;
    let defs =
        schema.get("$defs").and_then(Value::as_object).ok_or_else(|| DigestError::Schema("no `$defs`".into()))?;
    let policy_schema = defs.get("Policy").ok_or_else(|| DigestError::Schema("no `Policy`".into()))?;
    let mut value = serde_json::to_value(policy)?;
    fill_defaults(&mut value, policy_schema, defs);
    if let Some(Value::Array(capabilities)) = value.get_mut("capabilities") {
        capabilities.sort_by(|a, b| a.as_str().cmp(&b.as_str()));
        capabilities.dedup();
    }
    let mut out = String::new();
    write_sorted(&value, &mut out)?;
    Ok(out)
}

/// Insert each absent property's schema `default`, recursively, following `$ref`s into `$defs`.
fn fill_defaults(value: &mut Value, schema: &Value, defs: &Map<String, Value>) {
    let schema = match schema.get("$ref").and_then(Value::as_str).and_then(|r| r.rsplit('/').next()) {
        Some(name) => match defs.get(name) {
            Some(target) => target,
            None => return,
        },
        None => schema,
    };
    let (Some(object), Some(properties)) = (value.as_object_mut(), schema.get("properties").and_then(Value::as_object))
    else {
        return;
    };
    for (name, property) in properties {
        if let (false, Some(default)) = (object.contains_key(name), property.get("default")) {
            object.insert(name.clone(), default.clone());
        }
        if let Some(member) = object.get_mut(name) {
            fill_defaults(member, property, defs);
        }
    }
}

/// Compact JSON with object keys sorted by code point (what Python's sorted str keys give),
/// whatever order `serde_json::Map` keeps. Strings are escaped as serde_json does, which is
/// what msgspec does too: `\"`, `\\`, `\b \f \n \r \t`, other controls as `\u00xx`, nothing else.
pub(crate) fn write_sorted(value: &Value, out: &mut String) -> Result<(), serde_json::Error> {
    match value {
        Value::Object(object) => {
            let mut members: Vec<_> = object.iter().collect();
            members.sort_by(|a, b| a.0.cmp(b.0));
            out.push('{');
            for (index, (key, member)) in members.into_iter().enumerate() {
                if index > 0 {
                    out.push(',');
                }
                out.push_str(&serde_json::to_string(key)?);
                out.push(':');
                write_sorted(member, out)?;
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (index, item) in items.iter().enumerate() {
                if index > 0 {
                    out.push(',');
                }
                write_sorted(item, out)?;
            }
            out.push(']');
        }
        scalar => out.push_str(&serde_json::to_string(scalar)?),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(json: &str) -> Policy {
        serde_json::from_str(json).unwrap()
    }

    // Expected values computed by the sidecar itself (sidecar.policy.canonical_bytes/digest).
    #[test]
    fn matches_the_protocol_doc_example() {
        let p = policy(r#"{"capabilities":["report.write","device.inspect"],"roots":{"reports":"/r"}}"#);
        assert_eq!(
            canonical_json(&p).unwrap(),
            r#"{"allow_private_networks":false,"capabilities":["device.inspect","report.write"],"max_concurrent_downloads":3,"max_log_bytes":67108864,"redact_identifiers":false,"roots":{"downloads":null,"logs":null,"reports":"/r"}}"#
        );
        assert_eq!(policy_digest(&p).unwrap(), "3956494278a4a24327b90470f4c3dd8d3e3659786bf5a2f3b90444e66c28aec0");
    }

    #[test]
    fn dedups_and_keeps_non_ascii_and_escapes_controls_like_msgspec() {
        let p = policy(
            r#"{"capabilities":["report.write","report.write"],"roots":{"logs":"/tmp/l\u00f6gs\u001f\u007f\u2028"}}"#,
        );
        assert_eq!(
            canonical_json(&p).unwrap(),
            "{\"allow_private_networks\":false,\"capabilities\":[\"report.write\"],\"max_concurrent_downloads\":3,\"max_log_bytes\":67108864,\"redact_identifiers\":false,\"roots\":{\"downloads\":null,\"logs\":\"/tmp/l\u{f6}gs\\u001f\u{7f}\u{2028}\",\"reports\":null}}"
        );
        assert_eq!(policy_digest(&p).unwrap(), "f79255d7a472828be47ce6e11124a67cd50f7143ac0e088d4f3f842937f2d921");
    }

    #[test]
    fn different_policies_differ() {
        let a = policy_digest(&policy(r#"{"capabilities":[]}"#)).unwrap();
        let b = policy_digest(&policy(r#"{"capabilities":[],"redact_identifiers":true}"#)).unwrap();
        assert_ne!(a, b);
        assert_eq!(a.len(), 64);
    }
}
