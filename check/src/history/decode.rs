//! One line of JSONL → an [`Event`] or a [`Final`], with errors that name the
//! field at fault. Only the shape of the line is checked here; how it relates
//! to earlier lines is [`super::validate`]'s job.

use super::{
    Auth, AuthKind, Event, EventType, FailReason, Final, Function, Object, Value, VersionEntry,
};
use serde_json::{Map, Value as Json};
use std::collections::BTreeMap;

/// A decoded, non-blank line.
pub(super) enum Line {
    Event(Event),
    Final(Final),
    /// `{"type":"clocks","error_ns":N}`: see [`super::History::clock_error_ns`].
    Clocks {
        error_ns: u64,
    },
    /// `{"type":"revocation","delta_ns":N}`: see
    /// [`super::History::revocation_delta_ns`].
    Revocation {
        delta_ns: u64,
    },
}

/// A line's JSON object.
type Fields = Map<String, Json>;

/// Decodes one line. Unknown extra fields are ignored.
pub(super) fn decode(line: &str) -> Result<Line, String> {
    let json: Json = serde_json::from_str(line).map_err(|e| json_error(&e))?;
    let Some(obj) = json.as_object() else {
        return Err(format!("expected a JSON object, found {}", kind_of(&json)));
    };
    let kind = match str_field(obj, "type")? {
        "final" => return decode_final(obj).map(Line::Final),
        "clocks" => {
            let error_ns = u64_field(obj, "error_ns")?;
            return Ok(Line::Clocks { error_ns });
        }
        "revocation" => {
            let delta_ns = u64_field(obj, "delta_ns")?;
            return Ok(Line::Revocation { delta_ns });
        }
        "invoke" => EventType::Invoke,
        "ok" => EventType::Ok,
        "fail" => EventType::Fail,
        "info" => EventType::Info,
        other => {
            let expected = "invoke, ok, fail, info, final, clocks or revocation";
            return Err(format!("unknown \"type\" {other:?} (expected {expected})"));
        }
    };
    let f = match str_field(obj, "f")? {
        "get" => Function::Get,
        "put" => Function::Put,
        "delete" => Function::Delete,
        "cas" => Function::Cas,
        "list" => Function::List,
        "list-versions" => Function::ListVersions,
        "grant" => Function::Grant,
        "revoke" => Function::Revoke,
        other => {
            return Err(format!(
                "unknown \"f\" {other:?} (expected get, put, delete, cas, list, list-versions, \
                 grant or revoke)"
            ));
        }
    };
    Ok(Line::Event(Event {
        process: u64_field(obj, "process")?,
        kind,
        f,
        key: str_field(obj, "key")?.to_owned(),
        value: value_field(obj, f)?,
        time: u64_field(obj, "time")?,
        node: node_field(obj),
        object: object_fields(obj)?.map(Box::new),
        error: error_field(obj)?,
        auth: auth_fields(obj)?.map(Box::new),
    }))
}

/// The `principal` and `auth` fields, which come together or not at all.
fn auth_fields(obj: &Fields) -> Result<Option<Auth>, String> {
    let expected = "signed, presigned, forged, replayed or expired";
    match (obj.get("principal"), obj.get("auth")) {
        (None, None) => Ok(None),
        (Some(Json::String(principal)), Some(Json::String(kind))) => {
            let kind = AuthKind::from_name(kind)
                .ok_or_else(|| format!("unknown \"auth\" {kind:?} (expected {expected})"))?;
            Ok(Some(Auth {
                principal: principal.clone(),
                kind,
            }))
        }
        (Some(Json::String(_)), None) => Err(format!(
            "\"principal\" without \"auth\" (add \"auth\": {expected})"
        )),
        (None, Some(_)) => Err("\"auth\" without \"principal\" (who sent it?)".to_owned()),
        (Some(other), _) => Err(format!(
            "\"principal\" must be a string, found {}",
            show(other)
        )),
    }
}

/// The `error` field, if the line has one: one of [`FailReason`]'s names
/// (whether it suits the event is [`super::validate`]'s question).
fn error_field(obj: &Fields) -> Result<Option<FailReason>, String> {
    let expected =
        "precondition-failed, conditional-conflict, not-found, access-denied or slow-down";
    match obj.get("error") {
        None => Ok(None),
        Some(Json::String(name)) => FailReason::from_name(name)
            .map(Some)
            .ok_or_else(|| format!("unknown \"error\" {name:?} (expected {expected})")),
        Some(other) => Err(format!(
            "\"error\" must be a string ({expected}), found {}",
            show(other)
        )),
    }
}

/// The descriptor fields (`version_id`, `etag`, `size`, `meta`,
/// `delete_marker`), when the line has any; each must have its type
/// (whether it suits the event is [`super::validate`]'s question).
fn object_fields(obj: &Fields) -> Result<Option<Object>, String> {
    let opt_str = |name: &str| -> Result<Option<String>, String> {
        match obj.get(name) {
            None => Ok(None),
            Some(Json::String(s)) => Ok(Some(s.clone())),
            Some(other) => Err(format!(
                "\"{name}\" must be a string, found {}",
                show(other)
            )),
        }
    };
    let size = match obj.get("size") {
        None => None,
        Some(value) => Some(value.as_u64().ok_or_else(|| {
            format!(
                "\"size\" must be a non-negative integer (bytes), found {}",
                show(value)
            )
        })?),
    };
    let meta = match obj.get("meta") {
        None => None,
        Some(Json::Object(pairs)) => {
            let mut meta = BTreeMap::new();
            for (name, value) in pairs {
                let Json::String(value) = value else {
                    return Err(format!(
                        "\"meta.{name}\" must be a string, found {}",
                        show(value)
                    ));
                };
                meta.insert(name.clone(), value.clone());
            }
            Some(meta)
        }
        Some(other) => {
            return Err(format!(
                "\"meta\" must be an object of strings (user metadata), found {}",
                show(other)
            ));
        }
    };
    let delete_marker = match obj.get("delete_marker") {
        None => false,
        Some(Json::Bool(b)) => *b,
        Some(other) => {
            return Err(format!(
                "\"delete_marker\" must be true or false, found {}",
                show(other)
            ));
        }
    };
    let object = Object {
        version_id: opt_str("version_id")?,
        etag: opt_str("etag")?,
        size,
        meta,
        delete_marker,
    };
    Ok((!object.is_empty()).then_some(object))
}

fn decode_final(obj: &Fields) -> Result<Final, String> {
    let node = u64_field(obj, "node")?;
    let node = u32::try_from(node).map_err(|_| format!("\"node\" {node} is too large"))?;
    let value = match field(obj, "value")? {
        Json::Null => None,
        Json::String(s) => Some(s.clone()),
        other => {
            return Err(format!(
                "final \"value\" must be a string or null, found {}",
                show(other)
            ));
        }
    };
    Ok(Final {
        node,
        key: str_field(obj, "key")?.to_owned(),
        value,
    })
}

/// `null`, a string, `{"from": string|null, "to": string}`, or for a
/// listing an array (of keys for `list`, of version entries for
/// `list-versions`). Whether the shape suits the operation and the event
/// (`put` needs a string, an ok list an array, ...) is checked later.
fn value_field(obj: &Fields, f: Function) -> Result<Value, String> {
    match field(obj, "value")? {
        Json::Array(items) if f == Function::List => {
            let mut keys = Vec::with_capacity(items.len());
            for (i, item) in items.iter().enumerate() {
                let Json::String(key) = item else {
                    return Err(format!(
                        "list \"value[{i}]\" must be a key (a string), found {}",
                        show(item)
                    ));
                };
                keys.push(key.clone());
            }
            Ok(Value::Keys(keys))
        }
        Json::Array(items) if f == Function::ListVersions => {
            let entries = items
                .iter()
                .enumerate()
                .map(|(i, item)| version_entry(i, item));
            Ok(Value::Versions(entries.collect::<Result<_, _>>()?))
        }
        Json::Null => Ok(Value::Absent),
        Json::String(s) => Ok(Value::Str(s.clone())),
        Json::Object(pair) => {
            let from = match pair.get("from") {
                None => return Err(
                    "missing field \"value.from\" (cas: {\"from\": string|null, \"to\": string|null})"
                        .into(),
                ),
                Some(Json::Null) => None,
                Some(Json::String(s)) => Some(s.clone()),
                Some(other) => {
                    return Err(format!(
                        "\"value.from\" must be a string or null, found {}",
                        show(other)
                    ));
                }
            };
            let to =
                match pair.get("to") {
                    None => return Err(
                        "missing field \"value.to\" (cas: {\"from\": string|null, \"to\": string|null})"
                            .into(),
                    ),
                    Some(Json::Null) => None,
                    Some(Json::String(s)) => Some(s.clone()),
                    Some(other) => {
                        return Err(format!(
                            "\"value.to\" must be a string or null (a conditional delete), found {}",
                            show(other)
                        ));
                    }
                };
            Ok(Value::Cas { from, to })
        }
        other => Err(format!(
            "\"value\" must be null, a string or {{\"from\", \"to\"}}{}, found {}",
            if f.is_listing() { " or an array" } else { "" },
            show(other)
        )),
    }
}

/// `{"key": string, "version_id": string, "current": bool, "delete_marker": bool}`
/// (the two flags default to false; other fields are ignored).
fn version_entry(i: usize, item: &Json) -> Result<VersionEntry, String> {
    let shape = "{\"key\", \"version_id\", \"current\", \"delete_marker\"}";
    let Json::Object(entry) = item else {
        return Err(format!(
            "list-versions \"value[{i}]\" must be {shape}, found {}",
            show(item)
        ));
    };
    let string = |name: &str| match entry.get(name) {
        Some(Json::String(s)) => Ok(s.clone()),
        None => Err(format!("missing field \"value[{i}].{name}\"")),
        Some(other) => Err(format!(
            "\"value[{i}].{name}\" must be a string, found {}",
            show(other)
        )),
    };
    let flag = |name: &str| match entry.get(name) {
        None => Ok(false),
        Some(Json::Bool(b)) => Ok(*b),
        Some(other) => Err(format!(
            "\"value[{i}].{name}\" must be true or false, found {}",
            show(other)
        )),
    };
    Ok(VersionEntry {
        key: string("key")?,
        version_id: string("version_id")?,
        current: flag("current")?,
        delete_marker: flag("delete_marker")?,
    })
}

/// `node` is ours when it is a small non-negative integer; anything else
/// (Jepsen writes names such as `"n1"`) is a foreign extra field, ignored.
fn node_field(obj: &Fields) -> Option<u32> {
    obj.get("node")
        .and_then(Json::as_u64)
        .and_then(|n| u32::try_from(n).ok())
}

fn field<'a>(obj: &'a Fields, name: &str) -> Result<&'a Json, String> {
    obj.get(name)
        .ok_or_else(|| format!("missing field \"{name}\""))
}

fn str_field<'a>(obj: &'a Fields, name: &str) -> Result<&'a str, String> {
    let value = field(obj, name)?;
    value
        .as_str()
        .ok_or_else(|| format!("\"{name}\" must be a string, found {}", show(value)))
}

fn u64_field(obj: &Fields, name: &str) -> Result<u64, String> {
    let value = field(obj, name)?;
    value.as_u64().ok_or_else(|| {
        format!(
            "\"{name}\" must be a non-negative integer, found {}",
            show(value)
        )
    })
}

/// serde_json's message without its "at line 1 column N" (we name the line;
/// the column is kept).
fn json_error(error: &serde_json::Error) -> String {
    let text = error.to_string();
    let what = text
        .rsplit_once(" at line ")
        .map_or(text.as_str(), |(what, _)| what);
    if error.is_eof() {
        format!("truncated line: the JSON ends early ({what})")
    } else {
        format!("malformed JSON at column {}: {what}", error.column())
    }
}

fn kind_of(json: &Json) -> &'static str {
    match json {
        Json::Null => "null",
        Json::Bool(_) => "a boolean",
        Json::Number(_) => "a number",
        Json::String(_) => "a string",
        Json::Array(_) => "an array",
        Json::Object(_) => "an object",
    }
}

/// A JSON value for an error message, cut to a readable length.
fn show(json: &Json) -> String {
    const MAX_CHARS: usize = 40;
    let text = json.to_string();
    if text.chars().count() <= MAX_CHARS {
        return text;
    }
    let cut: String = text.chars().take(MAX_CHARS).collect();
    format!("{cut}…")
}
