//! The result fields worth reading in an entry, per method: who the device says it is, the lock
//! and management state, what a file is and its hash. The whole result is always covered by
//! `result_sha256`; these are for a person reading the log without the results at hand.

use serde_json::{Map, Value};

/// JSON pointers into a method's result; `*` takes that member of every item of an array.
const FIELDS: &[(&str, &[&str])] = &[
    ("initialize", &["/server/name", "/server/version", "/protocol_version", "/policy_digest"]),
    ("health", &["/status", "/version", "/pid", "/initialized", "/inflight", "/policy_digest"]),
    ("devices/list", &["/devices/*/device_id", "/devices/*/platform", "/devices/*/model", "/devices/*/state"]),
    (
        "inspect/basic",
        &[
            "/data/platform",
            "/data/manufacturer",
            "/data/model",
            "/data/model_name",
            "/data/os_version",
            "/data/build",
            "/data/serial",
            "/data/activation_locked",
            "/data/frp_locked",
            "/data/mdm_enrolled",
            "/data/bootloader_locked",
            "/data/verified_boot_state",
            "/warnings/*/code",
        ],
    ),
    (
        "inspect/deep",
        &[
            "/data/security_patch",
            "/data/encryption",
            "/data/selinux",
            "/data/developer_options",
            "/data/adb_enabled",
            "/data/root_indicators",
            "/data/supervision/supervised",
            "/data/supervision/mdm_enrolled",
            "/warnings/*/code",
        ],
    ),
    ("logs/collect", &["/path", "/bytes", "/sha256", "/log_count", "/truncated"]),
    ("report/format", &["/artifact", "/format", "/bytes", "/sha256"]),
    ("download/probe", &["/kind", "/extractor", "/id", "/title", "/webpage_url"]),
    ("download/start", &["/job_id", "/status"]),
    ("download/cancel", &["/job_id", "/status", "/url", "/files"]),
    ("download/list", &["/jobs/*/job_id", "/jobs/*/status", "/jobs/*/url"]),
    ("policy/update", &["/policy_digest"]),
];

/// At most this many items of an array are kept (the hash covers them all).
const MAX_ITEMS: usize = 100;

/// `{"data.model": "Pixel 7", "warnings.*.code": [...]}`: each pointer's value, where present.
pub fn fields(method: &str, result: &Value) -> Map<String, Value> {
    let mut out = Map::new();
    let Some((_, pointers)) = FIELDS.iter().find(|(name, _)| *name == method) else { return out };
    for pointer in *pointers {
        if let Some(value) = select(result, pointer) {
            out.insert(pointer.trim_start_matches('/').replace('/', "."), value);
        }
    }
    out
}

fn select(value: &Value, pointer: &str) -> Option<Value> {
    match pointer.split_once("/*") {
        None => value.pointer(pointer).map(|found| capped(found.clone())),
        Some((array, rest)) => {
            let items = value.pointer(array)?.as_array()?;
            Some(Value::Array(items.iter().take(MAX_ITEMS).filter_map(|item| select(item, rest)).collect()))
        }
    }
}

fn capped(value: Value) -> Value {
    match value {
        Value::Array(items) if items.len() > MAX_ITEMS => Value::Array(items.into_iter().take(MAX_ITEMS).collect()),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn named_fields_and_array_members_are_kept_and_the_rest_left_to_the_hash() {
        let result = json!({
            "data": {"manufacturer": "Google", "model": "Pixel 7", "serial": "28201FDH2005K6", "battery": {"level": 80}},
            "warnings": [{"code": "field_unavailable", "message": "…"}, {"code": "partial"}],
        });
        let fields = fields("inspect/basic", &result);
        assert_eq!(fields["data.model"], json!("Pixel 7"));
        assert_eq!(fields["data.serial"], json!("28201FDH2005K6"));
        assert_eq!(fields["warnings.*.code"], json!(["field_unavailable", "partial"]));
        assert!(!fields.contains_key("data.os_version"), "absent members are not invented");
        assert!(super::fields("test/echo", &result).is_empty());
    }
}
