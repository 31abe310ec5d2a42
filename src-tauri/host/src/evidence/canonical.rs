//! The canonical encoding: the bytes every entry is hashed over and written as.
//!
//! Compact JSON (no whitespace), object keys sorted by code point, strings escaped as
//! serde_json does (`\"`, `\\`, `\b \f \n \r \t`, other controls as lowercase `\u00xx`,
//! everything else raw UTF-8), integers in decimal. The same writer as the policy digest
//! ([`crate::digest`]), so the host has one canonical JSON, not two.
//!
//! Numbers are the one thing JSON encoders disagree on, so an entry holds no number but an
//! integer of magnitude at most 2^53 − 1: [`normalize`] turns any other (a float, a larger
//! integer) into a string of its JSON text before anything is hashed. Within that rule the
//! encoding is RFC 8785 (JCS) for every key below U+E000 (all the keys the host writes are
//! ASCII), and it is what Python's `json.dumps(v, sort_keys=True, separators=(",", ":"),
//! ensure_ascii=False)` gives, so a verifier in another language needs no JCS library.

use serde_json::{Number, Value};
use sha2::{Digest, Sha256};

/// The largest integer every JSON reader holds exactly (JavaScript's `Number.MAX_SAFE_INTEGER`).
pub const MAX_EXACT: u64 = (1 << 53) - 1;

/// `value` with every number that is not an integer within ±[`MAX_EXACT`] replaced by a
/// string of its JSON text (`3.5` becomes `"3.5"`).
pub fn normalize(value: Value) -> Value {
    match value {
        Value::Number(number) if !exact(&number) => Value::String(number.to_string()),
        Value::Array(items) => Value::Array(items.into_iter().map(normalize).collect()),
        Value::Object(members) => Value::Object(members.into_iter().map(|(k, v)| (k, normalize(v))).collect()),
        other => other,
    }
}

/// Whether `value` holds only numbers [`normalize`] keeps (what a canonical line may hold).
pub fn is_normal(value: &Value) -> bool {
    match value {
        Value::Number(number) => exact(number),
        Value::Array(items) => items.iter().all(is_normal),
        Value::Object(members) => members.values().all(is_normal),
        _ => true,
    }
}

fn exact(number: &Number) -> bool {
    number.as_u64().is_some_and(|n| n <= MAX_EXACT) || number.as_i64().is_some_and(|n| n.unsigned_abs() <= MAX_EXACT)
}

/// The canonical bytes of a normalized value.
pub fn encode(value: &Value) -> String {
    let mut out = String::new();
    // Only a map key that is not a string can fail to serialize, and a `Value` has none.
    crate::digest::write_sorted(value, &mut out).unwrap_or_else(|error| unreachable!("a Value serializes: {error}"));
    out
}

/// Lowercase hex SHA-256.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn keys_are_sorted_and_nothing_is_spaced() {
        let value = json!({"b": [1, {"z": null, "a": true}], "a": "x", "B": -3});
        assert_eq!(encode(&value), r#"{"B":-3,"a":"x","b":[1,{"a":true,"z":null}]}"#);
    }

    #[test]
    fn strings_escape_only_quotes_backslashes_and_controls() {
        let value = json!({"s": "é\"\\\n\u{1f}\u{7f}\u{2028}/🍎"});
        assert_eq!(encode(&value), "{\"s\":\"é\\\"\\\\\\n\\u001f\u{7f}\u{2028}/🍎\"}");
    }

    #[test]
    fn only_exact_integers_stay_numbers() {
        let value =
            normalize(json!({"f": 3.5, "i": 9_007_199_254_740_991_u64, "big": 9_007_199_254_740_992_u64, "n": -7}));
        assert_eq!(encode(&value), r#"{"big":"9007199254740992","f":"3.5","i":9007199254740991,"n":-7}"#);
        assert!(is_normal(&value));
        assert!(!is_normal(&json!([1.0])));
    }

    #[test]
    fn the_hash_is_lowercase_hex_sha256() {
        // sha256("abc"), FIPS 180-2 appendix B.1.
        assert_eq!(sha256_hex(b"abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }
}
