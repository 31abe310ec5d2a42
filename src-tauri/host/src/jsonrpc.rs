//! The JSON-RPC 2.0 envelope as the host uses it: encoding requests and notifications, and
//! sorting what the sidecar sends back into responses and progress notifications.
//!
//! The host only ever sends single requests with integer ids, so it expects single
//! responses (never batches) whose id is one of its integers.

use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use bytes::Bytes;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;
use serde_json::value::RawValue;

use crate::throttle::Throttle;
use crate::types::{ErrorKind, ErrorObject, ProgressValue};

/// An error the sidecar answered with: `code`, and the fields of `error.data`.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{kind}: {message}")]
pub struct RpcError {
    pub code: i64,
    /// For programs: what went wrong.
    pub kind: ErrorKind,
    /// For people: what went wrong, and what to do about it.
    pub message: String,
    pub suggestion: String,
    /// Whether the same call may succeed later.
    pub retryable: bool,
}

/// A progress token: the `progress_token` a request carries, echoed in `$/progress`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(untagged)]
pub enum ProgressToken {
    Int(i64),
    Str(String),
}

impl From<i64> for ProgressToken {
    fn from(value: i64) -> Self {
        Self::Int(value)
    }
}

impl From<&str> for ProgressToken {
    fn from(value: &str) -> Self {
        Self::Str(value.to_owned())
    }
}

impl From<String> for ProgressToken {
    fn from(value: String) -> Self {
        Self::Str(value)
    }
}

/// One message from the sidecar, as far as the host cares.
#[derive(Debug)]
pub enum Incoming {
    /// The answer to request `id`: its raw result (decoded by the caller) or its error.
    Response { id: u64, outcome: Result<Box<RawValue>, RpcError> },
    /// Boxed: a progress value (a typed union) is many times the size of the other variants.
    Progress { token: ProgressToken, value: Box<ProgressValue> },
    /// Any other notification; none exist yet besides `$/progress`.
    Notification { method: String },
    /// A response the host cannot attribute: `id: null` (an unreadable frame) or a foreign id.
    Unattributed { id: Value, error: Option<RpcError> },
}

#[derive(Debug, thiserror::Error)]
pub enum DecodeError {
    #[error("a frame is not a JSON-RPC message: {0}")]
    Json(#[from] serde_json::Error),
    #[error("a message is neither a response nor a notification")]
    Shape,
}

#[derive(Serialize)]
struct Request<'a, P: ?Sized> {
    jsonrpc: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<u64>,
    method: &'a str,
    // Omitted params mean `{}` to the sidecar: a parameterless call sends none.
    #[serde(skip_serializing_if = "Option::is_none")]
    params: Option<&'a P>,
}

/// A request frame's payload.
pub fn encode_request<P: Serialize + ?Sized>(
    id: u64,
    method: &str,
    params: Option<&P>,
) -> Result<Bytes, serde_json::Error> {
    let request = Request { jsonrpc: "2.0", id: Some(id), method, params };
    serde_json::to_vec(&request).map(Bytes::from)
}

/// A notification frame's payload (no id: never answered).
pub fn encode_notification<P: Serialize + ?Sized>(
    method: &str,
    params: Option<&P>,
) -> Result<Bytes, serde_json::Error> {
    let request = Request { jsonrpc: "2.0", id: None, method, params };
    serde_json::to_vec(&request).map(Bytes::from)
}

/// `$/cancelRequest {id}`. Built by hand: it is sent from `Drop`, where nothing may fail.
pub fn encode_cancel(id: u64) -> Bytes {
    Bytes::from(format!(r#"{{"jsonrpc":"2.0","method":"$/cancelRequest","params":{{"id":{id}}}}}"#))
}

#[derive(Deserialize)]
struct Envelope {
    // `present` keeps an explicit `null` apart from a missing member: `"id": null` is a
    // response the sidecar could not attribute, a missing id makes a notification.
    #[serde(default, deserialize_with = "present")]
    id: Option<Value>,
    method: Option<String>,
    #[serde(default, deserialize_with = "present")]
    result: Option<Box<RawValue>>,
    error: Option<Box<RawValue>>,
    params: Option<Box<RawValue>>,
}

fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(deserializer: D) -> Result<Option<T>, D::Error> {
    T::deserialize(deserializer).map(Some)
}

#[derive(Deserialize)]
struct ProgressParams {
    token: Value,
    value: ProgressValue,
}

#[derive(Deserialize)]
struct LooseError {
    code: i64,
    message: String,
}

/// Sort one frame from the sidecar.
pub fn decode(payload: &[u8]) -> Result<Incoming, DecodeError> {
    let envelope: Envelope = serde_json::from_slice(payload)?;
    match envelope {
        Envelope { id: Some(id), result, error, .. } if result.is_some() || error.is_some() => {
            let outcome = match (result, error) {
                (Some(result), None) => Ok(result),
                (_, Some(error)) => Err(rpc_error(&error)),
                (None, None) => return Err(DecodeError::Shape),
            };
            match id.as_u64() {
                Some(id) => Ok(Incoming::Response { id, outcome }),
                None => Ok(Incoming::Unattributed { id, error: outcome.err() }),
            }
        }
        Envelope { id: None, method: Some(method), params, .. } => {
            if method != "$/progress" {
                return Ok(Incoming::Notification { method });
            }
            let params = params.ok_or(DecodeError::Shape)?;
            let ProgressParams { token, value } = serde_json::from_str(params.get())?;
            let token = match token {
                Value::Number(n) => n.as_i64().map(ProgressToken::Int),
                Value::String(s) => Some(ProgressToken::Str(s)),
                _ => None,
            };
            token.map(|token| Incoming::Progress { token, value: Box::new(value) }).ok_or(DecodeError::Shape)
        }
        _ => Err(DecodeError::Shape),
    }
}

/// The typed error from `error.data`. Every sidecar error carries `data` (docs/PROTOCOL.md);
/// one that does not (a peer that is not the sidecar) still yields an error, as `internal_error`.
fn rpc_error(raw: &RawValue) -> RpcError {
    if let Ok(ErrorObject { code, data, .. }) = serde_json::from_str::<ErrorObject>(raw.get()) {
        return RpcError {
            code,
            kind: data.kind,
            message: data.message,
            suggestion: data.suggestion,
            retryable: data.retryable,
        };
    }
    // One log budget for the whole process: this is decoded where no connection state is at hand.
    static WITHOUT_DATA: Mutex<Throttle> =
        Mutex::new(Throttle::new("errors from the sidecar without valid `data`", 10, Duration::from_secs(10)));
    if WITHOUT_DATA.lock().unwrap_or_else(PoisonError::into_inner).admit() {
        tracing::warn!(error = raw.get(), "the sidecar sent an error without valid `data`");
    }
    let (code, message) = match serde_json::from_str::<LooseError>(raw.get()) {
        Ok(LooseError { code, message }) => (code, message),
        Err(_) => (-32603, raw.get().to_owned()),
    };
    RpcError { code, kind: ErrorKind::InternalError, message, suggestion: String::new(), retryable: false }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_omit_absent_params_and_notifications_omit_the_id() {
        let with = encode_request(7, "test/echo", Some(&serde_json::json!({"value": 1}))).unwrap();
        assert_eq!(&with[..], br#"{"jsonrpc":"2.0","id":7,"method":"test/echo","params":{"value":1}}"#);
        let without = encode_request(8, "health", None::<&()>).unwrap();
        assert_eq!(&without[..], br#"{"jsonrpc":"2.0","id":8,"method":"health"}"#);
        let note = encode_notification("exit", None::<&()>).unwrap();
        assert_eq!(&note[..], br#"{"jsonrpc":"2.0","method":"exit"}"#);
        assert_eq!(&encode_cancel(9)[..], br#"{"jsonrpc":"2.0","method":"$/cancelRequest","params":{"id":9}}"#);
    }

    #[test]
    fn a_null_result_is_a_result() {
        match decode(br#"{"jsonrpc":"2.0","id":3,"result":null}"#).unwrap() {
            Incoming::Response { id: 3, outcome: Ok(raw) } => assert_eq!(raw.get(), "null"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn errors_are_typed_from_their_data() {
        let frame = br#"{"jsonrpc":"2.0","id":4,"error":{"code":-32000,"message":"busy","data":{"kind":"busy","message":"too much","suggestion":"Retry.","retryable":true}}}"#;
        match decode(frame).unwrap() {
            Incoming::Response { id: 4, outcome: Err(e) } => {
                assert_eq!((e.code, e.kind, e.retryable), (-32000, ErrorKind::Busy, true));
                assert_eq!((e.message.as_str(), e.suggestion.as_str()), ("too much", "Retry."));
            }
            other => panic!("{other:?}"),
        }
        let bare = br#"{"jsonrpc":"2.0","id":5,"error":{"code":-32601,"message":"nope"}}"#;
        match decode(bare).unwrap() {
            Incoming::Response { outcome: Err(e), .. } => {
                assert_eq!((e.code, e.kind), (-32601, ErrorKind::InternalError))
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn null_ids_and_progress_and_garbage() {
        let null = br#"{"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"parse error","data":{"kind":"parse_error","message":"m","suggestion":"s","retryable":false}}}"#;
        assert!(matches!(decode(null).unwrap(), Incoming::Unattributed { id: Value::Null, error: Some(_) }));
        let progress = br#"{"jsonrpc":"2.0","method":"$/progress","params":{"token":"t","value":{"kind":"begin"}}}"#;
        assert!(
            matches!(decode(progress).unwrap(), Incoming::Progress { token: ProgressToken::Str(t), .. } if t == "t")
        );
        assert!(matches!(decode(b"[]"), Err(DecodeError::Json(_))));
        assert!(matches!(decode(br#"{"jsonrpc":"2.0","id":1}"#), Err(DecodeError::Shape)));
    }
}
