//! The policy's redaction, applied to what an entry records. With `redact_identifiers`, the
//! sidecar replaces serial numbers in its results (`sidecar/devices/redact.py`); the log goes
//! further, since it keeps the params too: every value under an identifying key (`device_id`,
//! `serial`, `udid`, `address`) becomes `redacted:` and the first 12 hex digits of its SHA-256
//! (the sidecar's own form, so entries and results correlate), and any other string that
//! contains one of those identifiers (a path, an error message) has it replaced the same way.

use serde_json::Value;

use super::canonical::sha256_hex;

const KEYS: &[&str] = &["device_id", "serial", "udid", "address"];
/// Shorter identifiers are redacted where they are a key's value, not inside other strings.
const MIN_SUBSTRING: usize = 4;
const PREFIX: &str = "redacted:";

/// The sidecar's redacted form of an identifier.
pub fn redacted(identifier: &str) -> String {
    if identifier.is_empty() || identifier.starts_with(PREFIX) {
        return identifier.to_owned();
    }
    format!("{PREFIX}{}", &sha256_hex(identifier.as_bytes())[..12])
}

#[derive(Debug, Default)]
pub struct Redaction {
    on: bool,
    /// Identifiers and their redacted forms, longest first (so a longer one is replaced whole).
    identifiers: Vec<(String, String)>,
}

impl Redaction {
    /// Redaction of the identifiers found in `sources` (the params and the result), or none.
    pub fn new(on: bool, sources: &[&Value]) -> Self {
        if !on {
            return Self::default();
        }
        let mut found = Vec::new();
        for source in sources {
            collect(source, &mut found);
        }
        // Each identifier as it is, and as the sidecar names files after it (the logs folder).
        let mut identifiers: Vec<(String, String)> =
            found.iter().flat_map(|id| [(id.clone(), redacted(id)), (file_name_form(id), redacted(id))]).collect();
        identifiers.sort_by(|a, b| b.0.len().cmp(&a.0.len()).then_with(|| a.0.cmp(&b.0)));
        identifiers.dedup_by(|a, b| a.0 == b.0);
        Self { on, identifiers }
    }

    pub fn apply(&self, value: Value) -> Value {
        if !self.on {
            return value;
        }
        match value {
            Value::Object(members) => Value::Object(
                members
                    .into_iter()
                    .map(|(key, member)| {
                        let member = if identifying(&key) { whole(member) } else { self.apply(member) };
                        (key, member)
                    })
                    .collect(),
            ),
            Value::Array(items) => Value::Array(items.into_iter().map(|item| self.apply(item)).collect()),
            Value::String(text) => Value::String(self.text(text)),
            other => other,
        }
    }

    fn text(&self, mut text: String) -> String {
        for (identifier, redacted) in &self.identifiers {
            if identifier.len() >= MIN_SUBSTRING && text.contains(identifier.as_str()) {
                text = text.replace(identifier.as_str(), redacted);
            }
        }
        text
    }
}

/// `device_id`, and the fields of an entry's summary named after one (`devices.*.device_id`).
fn identifying(key: &str) -> bool {
    KEYS.contains(&key.rsplit('.').next().unwrap_or(key))
}

/// A value under an identifying key: every string in it redacted.
fn whole(value: Value) -> Value {
    match value {
        Value::String(id) => Value::String(redacted(&id)),
        Value::Array(items) => Value::Array(items.into_iter().map(whole).collect()),
        other => other,
    }
}

/// `device_id` as `sidecar/devices/logfile.py` names a folder after it: every run of characters
/// other than `A-Za-z0-9._-` becomes `_`, then `.` and `_` are trimmed from both ends.
fn file_name_form(id: &str) -> String {
    let mut out = String::with_capacity(id.len());
    let mut in_run = false;
    for c in id.chars() {
        let safe = c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-');
        if safe || !in_run {
            out.push(if safe { c } else { '_' });
        }
        in_run = !safe;
    }
    out.trim_matches(|c| c == '.' || c == '_').to_owned()
}

fn collect(value: &Value, found: &mut Vec<String>) {
    match value {
        Value::Object(members) => {
            for (key, member) in members {
                match member {
                    Value::String(id) if identifying(key) && !id.starts_with(PREFIX) && !id.is_empty() => {
                        found.push(id.clone());
                    }
                    other => collect(other, found),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|item| collect(item, found)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn matches_the_sidecars_form() {
        // sidecar/devices/redact.py: "redacted:" + sha256(identifier).hexdigest()[:12]
        assert_eq!(redacted("R58M123ABC"), format!("redacted:{}", &sha256_hex(b"R58M123ABC")[..12]));
        assert_eq!(redacted("redacted:0123456789ab"), "redacted:0123456789ab", "never twice");
    }

    #[test]
    fn identifiers_are_redacted_under_their_keys_and_inside_other_strings() {
        let params = json!({"device_id": "R58M123ABC", "hints": {"address": "10.0.0.7:5555", "connection": "tcp"}});
        let redaction = Redaction::new(true, &[&params]);
        let error = json!({"message": "device R58M123ABC is gone", "path": "/logs/R58M123ABC-main.log"});
        let out = redaction.apply(json!({"params": params, "error": error}));
        let id = redacted("R58M123ABC");
        assert_eq!(out["params"]["device_id"], json!(id));
        assert_eq!(out["params"]["hints"]["address"], json!(redacted("10.0.0.7:5555")));
        assert_eq!(out["params"]["hints"]["connection"], json!("tcp"));
        assert_eq!(out["error"]["message"], json!(format!("device {id} is gone")));
        assert_eq!(out["error"]["path"], json!(format!("/logs/{id}-main.log")));
        let folder = redaction.apply(json!({"path": "/logs/10.0.0.7_5555/20261122-default.log"}));
        assert_eq!(folder["path"], json!(format!("/logs/{}/20261122-default.log", redacted("10.0.0.7:5555"))));
        let fields = redaction.apply(json!({"devices.*.device_id": ["R58M123ABC"], "data.serial": "X1"}));
        assert_eq!(fields, json!({"devices.*.device_id": [id], "data.serial": redacted("X1")}));
    }

    #[test]
    fn off_means_untouched() {
        let params = json!({"device_id": "R58M123ABC"});
        assert_eq!(Redaction::new(false, &[&params]).apply(params.clone()), params);
    }
}
