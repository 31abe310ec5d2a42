//! One entry as one line: sealing (its hash added) and parsing (every rule a verifier checks on
//! a line by itself).
//!
//! An entry's `hash` is the SHA-256 of the canonical encoding of the entry without `hash`; the
//! line is the canonical encoding of the entry with it. So a line is valid when it parses to an
//! object, re-encodes to exactly its own bytes, and its hash matches.

use serde_json::{Map, Value};

use super::canonical::{encode, is_normal, sha256_hex};

/// The `prev` of a log's first entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// An entry with its hash, as written.
#[derive(Debug, Clone)]
pub struct Sealed {
    pub seq: u64,
    pub hash: String,
    pub line: String,
    pub entry: Map<String, Value>,
}

/// Add `hash` to a complete entry (one with `seq` and `prev`) and encode it as a line (without
/// its newline).
pub fn seal(seq: u64, mut entry: Map<String, Value>) -> Sealed {
    entry.remove("hash");
    let unsealed = Value::Object(entry);
    let hash = sha256_hex(encode(&unsealed).as_bytes());
    let Value::Object(mut entry) = unsealed else { unreachable!("built as an object") };
    entry.insert("hash".into(), Value::String(hash.clone()));
    let sealed = Value::Object(entry);
    let line = encode(&sealed);
    let Value::Object(entry) = sealed else { unreachable!("built as an object") };
    Sealed { seq, hash, line, entry }
}

/// A line that passed every check a line can pass alone.
#[derive(Debug, Clone)]
pub struct Parsed {
    pub seq: u64,
    pub prev: String,
    pub hash: String,
    pub kind: String,
    pub entry: Map<String, Value>,
}

/// Parse one line (without its newline); the error says what is wrong with it.
pub fn parse(line: &[u8]) -> Result<Parsed, String> {
    let value: Value = serde_json::from_slice(line).map_err(|e| format!("it is not JSON ({e})"))?;
    if !value.is_object() {
        return Err("it is not a JSON object".into());
    }
    if !is_normal(&value) {
        return Err("it holds a number that is not an exact integer".into());
    }
    if encode(&value).as_bytes() != line {
        return Err("it is not in the canonical encoding".into());
    }
    let Value::Object(mut entry) = value else { unreachable!("checked above") };
    let hash = match entry.remove("hash") {
        Some(Value::String(hash)) if is_hex64(&hash) => hash,
        _ => return Err("it has no `hash` of 64 lowercase hex digits".into()),
    };
    let unsealed = Value::Object(entry);
    if sha256_hex(encode(&unsealed).as_bytes()) != hash {
        return Err("its hash does not match its content".into());
    }
    let Value::Object(mut entry) = unsealed else { unreachable!("checked above") };
    let seq = entry.get("seq").and_then(Value::as_u64).ok_or("it has no `seq`")?;
    let prev = entry.get("prev").and_then(Value::as_str).filter(|p| is_hex64(p)).ok_or("it has no `prev` hash")?;
    let kind = entry.get("kind").and_then(Value::as_str).ok_or("it has no `kind`")?;
    let (prev, kind) = (prev.to_owned(), kind.to_owned());
    entry.insert("hash".into(), Value::String(hash.clone()));
    Ok(Parsed { seq, prev, hash, kind, entry })
}

pub fn is_hex64(text: &str) -> bool {
    text.len() == 64 && text.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn entry() -> Map<String, Value> {
        let Value::Object(entry) =
            json!({"seq": 0, "prev": GENESIS, "kind": "log_open", "time": "2026-01-01T00:00:00Z"})
        else {
            unreachable!()
        };
        entry
    }

    #[test]
    fn a_sealed_line_parses_back_to_itself() {
        let sealed = seal(0, entry());
        let parsed = parse(sealed.line.as_bytes()).unwrap();
        assert_eq!(parsed.hash, sealed.hash);
        assert_eq!((parsed.seq, parsed.kind.as_str(), parsed.prev.as_str()), (0, "log_open", GENESIS));
        assert_eq!(parsed.entry, sealed.entry);
        // The hash covers the entry without `hash`, in the canonical encoding.
        let mut without = sealed.entry.clone();
        without.remove("hash");
        assert_eq!(sealed.hash, sha256_hex(encode(&Value::Object(without)).as_bytes()));
    }

    #[test]
    fn every_departure_from_the_encoding_or_the_hash_is_refused() {
        let line = seal(0, entry()).line;
        let spaced = line.replacen(',', ", ", 1);
        assert!(parse(spaced.as_bytes()).unwrap_err().contains("canonical"));
        let edited = line.replace("log_open", "log_opeN");
        assert!(parse(edited.as_bytes()).unwrap_err().contains("hash does not match"));
        let float = line.replacen("\"seq\":0", "\"seq\":0.0", 1);
        assert!(parse(float.as_bytes()).unwrap_err().contains("exact integer"));
        assert!(parse(b"[1]").unwrap_err().contains("object"));
        assert!(parse(b"{\"seq\":").unwrap_err().contains("not JSON"));
    }
}
