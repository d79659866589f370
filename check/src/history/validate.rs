//! The rules that relate a line to the lines before it.
//!
//! - a process has at most one operation in flight; a completion (`ok`,
//!   `fail`, `info`) needs one, with the same `f` and `key`;
//! - a process that ended with `info` issues nothing more (Jepsen gives the
//!   client a new process id instead);
//! - `time` never decreases in file order;
//! - `final` lines come after every client event, at most one per (node, key);
//! - the value suits the operation: `put` a string, `cas` a `{from, to}` pair,
//!   `get` and `delete` null or a string; `list` and `list-versions` null
//!   on the invoke and their array on an `ok`;
//! - the object's descriptor fields suit the event ([`object_rules`]).
//!
//! An invoke still in flight at the end is fine: it is an `info` operation.

use super::{Event, EventType, Final, Function, Object, Value};
use std::collections::BTreeMap;

/// An invoke waiting for its completion.
struct Open {
    f: Function,
    key: String,
    line: usize,
    /// The invoke's descriptor fields, if any: a put's completion must
    /// agree with them, and a get by version id may end with a marker.
    object: Option<Box<Object>>,
}

/// State carried from line to line. Feed it every line in file order.
#[derive(Default)]
pub(super) struct Validator {
    in_flight: BTreeMap<u64, Open>,
    /// Processes that ended with `info`, and the line where they did.
    ended: BTreeMap<u64, usize>,
    /// The latest time seen, and its line.
    last_time: Option<(u64, usize)>,
    first_final: Option<usize>,
    finals: BTreeMap<(u32, String), usize>,
}

impl Validator {
    /// Checks one client event; on error the state is unchanged.
    pub(super) fn event(&mut self, line: usize, e: &Event) -> Result<(), String> {
        let p = e.process;
        if let Some(first) = self.first_final {
            return Err(format!(
                "client event after the \"final\" line {first}: final lines come after all operations"
            ));
        }
        if let Some(&ended) = self.ended.get(&p) {
            return Err(format!(
                "process {p} already ended with \"info\" on line {ended}; an info'd process issues nothing more"
            ));
        }
        if let Some((last, last_line)) = self.last_time
            && e.time < last
        {
            return Err(format!(
                "\"time\" goes backwards: {} after {last} on line {last_line} (times must not decrease)",
                e.time
            ));
        }
        shape(e)?;
        if e.kind == EventType::Invoke {
            self.invoke(line, e)?;
        } else {
            self.complete(line, e)?;
        }
        self.last_time = Some((e.time, line));
        Ok(())
    }

    fn invoke(&mut self, line: usize, e: &Event) -> Result<(), String> {
        if let Some(open) = self.in_flight.get(&e.process) {
            return Err(format!(
                "process {} invokes {} while its {} from line {} is still in flight (one operation per process)",
                e.process, e.f, open.f, open.line
            ));
        }
        object_rules(e, None)?;
        let open = Open {
            f: e.f,
            key: e.key.clone(),
            line,
            object: e.object.clone(),
        };
        self.in_flight.insert(e.process, open);
        Ok(())
    }

    fn complete(&mut self, line: usize, e: &Event) -> Result<(), String> {
        let p = e.process;
        let Some(open) = self.in_flight.get(&p) else {
            return Err(format!(
                "\"{}\" {} for process {p}, which has no operation in flight (no matching invoke)",
                e.kind, e.f
            ));
        };
        if open.f != e.f {
            return Err(format!(
                "\"f\" is {} but process {p}'s operation in flight (line {}) is {}",
                e.f, open.line, open.f
            ));
        }
        if open.key != e.key {
            return Err(format!(
                "\"key\" is {:?} but process {p}'s operation in flight (line {}) is on {:?}",
                e.key, open.line, open.key
            ));
        }
        object_rules(e, Some(open))?;
        self.in_flight.remove(&p);
        if e.kind == EventType::Info {
            self.ended.insert(p, line);
        }
        Ok(())
    }

    /// Checks one `final` line.
    pub(super) fn final_line(&mut self, line: usize, fin: &Final) -> Result<(), String> {
        let slot = (fin.node, fin.key.clone());
        if let Some(&first) = self.finals.get(&slot) {
            return Err(format!(
                "second \"final\" line for node {} and key {:?} (the first is on line {first})",
                fin.node, fin.key
            ));
        }
        self.finals.insert(slot, line);
        self.first_final.get_or_insert(line);
        Ok(())
    }
}

/// Whether the value suits the operation (and, for a listing, the event:
/// `null` when invoked, the listing when `ok`, either when it failed).
pub(super) fn shape(e: &Event) -> Result<(), String> {
    if let Some(error) = e.error
        && e.kind != EventType::Fail
    {
        return Err(format!(
            "\"error\" {:?} on an \"{}\" line: an error belongs on a \"fail\" completion \
             (it says why the operation did not happen)",
            error.as_str(),
            e.kind
        ));
    }
    let (ok, invoke) = (e.kind == EventType::Ok, e.kind == EventType::Invoke);
    let fits = match (e.f, &e.value) {
        (Function::Put, Value::Str(_))
        | (Function::Cas, Value::Cas { .. })
        | (Function::Get | Function::Delete, Value::Absent | Value::Str(_)) => true,
        (Function::List | Function::ListVersions, Value::Absent) => !ok,
        (Function::List, Value::Keys(_)) | (Function::ListVersions, Value::Versions(_)) => !invoke,
        (Function::Grant | Function::Revoke, Value::Str(_)) => true,
        _ => false,
    };
    if fits {
        return Ok(());
    }
    let wanted = match e.f {
        Function::Put => "a string",
        Function::Cas => "{\"from\": string|null, \"to\": string|null}",
        Function::Get | Function::Delete => "null or a string",
        Function::List if ok => "the keys listed, an array of strings",
        Function::ListVersions if ok => {
            "the versions listed, an array of {key, version_id, current, delete_marker}"
        }
        Function::List | Function::ListVersions => "null",
        Function::Grant | Function::Revoke => "the principal's name, a string",
    };
    let found = match &e.value {
        Value::Absent => "null",
        Value::Str(_) => "a string",
        Value::Cas { .. } => "a {from, to} pair",
        Value::Keys(_) | Value::Versions(_) => "an array",
    };
    let when = if e.f.is_listing() {
        format!(" on an \"{}\" line", e.kind)
    } else {
        String::new()
    };
    Err(format!(
        "{} \"value\" must be {wanted}{when}, found {found}",
        e.f
    ))
}

/// Whether the object's descriptor fields suit the event; `open`: the
/// invoke in flight, for a completion.
///
/// - a listing carries none;
/// - on an invoke, `version_id` addresses a version, so only a get or a
///   delete may carry it (a put's version comes on its completion), and
///   `delete_marker` (a result) is not allowed;
/// - a delete carries only `version_id` and `delete_marker`;
/// - a get's invoke only `version_id`; a get that read nothing (value
///   `null`, or `fail`/`info`) no body fields (`etag`, `size`, `meta`);
///   `delete_marker` on a get ok needs value `null`, on a get `fail` a get
///   by version id (S3's 405), and never on an `info`;
/// - a put or cas carries no `delete_marker`, and its completion's body
///   fields agree with its invoke's; a conditional delete (cas to `null`)
///   carries only `version_id` (on its completion) and `delete_marker`.
fn object_rules(e: &Event, open: Option<&Open>) -> Result<(), String> {
    let Some(o) = e.object.as_deref() else {
        return Ok(());
    };
    let body = [
        ("etag", o.etag.is_some()),
        ("size", o.size.is_some()),
        ("meta", o.meta.is_some()),
    ]
    .into_iter()
    .find_map(|(name, given)| given.then_some(name));
    let invoke = e.kind == EventType::Invoke;
    if e.f.is_listing() {
        let name = (o.version_id.as_ref().map(|_| "version_id"))
            .or(body)
            .unwrap_or("delete_marker");
        return Err(format!(
            "a {} carries no object fields (found \"{name}\")",
            e.f
        ));
    }
    if o.delete_marker && invoke {
        return Err(
            "\"delete_marker\" describes a result: it belongs on a completion, not an invoke"
                .to_owned(),
        );
    }
    let deletes = matches!(e.value, Value::Cas { to: None, .. });
    match e.f {
        // A conditional delete (a cas to null) carries what a delete does.
        Function::Cas if deletes => match body {
            Some(name) => Err(format!(
                "a conditional delete (cas to null) carries only \"version_id\" and \"delete_marker\" (found \"{name}\")"
            )),
            None if invoke && o.version_id.is_some() => Err(
                "a conditional delete applies to the current version: its invoke carries no \"version_id\""
                    .to_owned(),
            ),
            None => Ok(()),
        },
        Function::Put | Function::Cas => {
            if invoke && o.version_id.is_some() {
                return Err(format!(
                    "a {}'s \"version_id\" is the version it created: it belongs on the completion, not the invoke",
                    e.f
                ));
            }
            if o.delete_marker {
                return Err(format!(
                    "a {} writes an object, not a delete marker (\"delete_marker\": true)",
                    e.f
                ));
            }
            agrees_with_invoke(o, open)
        }
        Function::Delete => match body {
            Some(name) => Err(format!(
                "a delete carries only \"version_id\" and \"delete_marker\" (found \"{name}\")"
            )),
            None => Ok(()),
        },
        Function::Get => get_rules(e, o, body, open),
        Function::List | Function::ListVersions => Ok(()),
        Function::Grant | Function::Revoke => Err(format!("a {} carries no object fields", e.f)),
    }
}

/// [`object_rules`] for a get.
fn get_rules(e: &Event, o: &Object, body: Option<&str>, open: Option<&Open>) -> Result<(), String> {
    let read_something = e.kind == EventType::Ok && matches!(e.value, Value::Str(_));
    match (e.kind, body) {
        (EventType::Invoke, Some(name)) => {
            return Err(format!(
                "a get's invoke may carry only \"version_id\" (the version asked for), found \"{name}\""
            ));
        }
        (_, Some(name)) if !read_something => {
            return Err(format!(
                "\"{name}\" describes a body, but this get read none (value null, or it did not end ok)"
            ));
        }
        _ => {}
    }
    if !o.delete_marker {
        return Ok(());
    }
    let by_version = open
        .and_then(|open| open.object.as_deref())
        .is_some_and(|asked| asked.version_id.is_some());
    match e.kind {
        EventType::Ok if read_something => Err(
            "a get that returned a value cannot return a delete marker (\"delete_marker\": true needs value null)"
                .to_owned(),
        ),
        EventType::Fail if !by_version => Err(
            "\"delete_marker\" on a failed get means 405 Method Not Allowed, a get by version id; this get's invoke has no \"version_id\""
                .to_owned(),
        ),
        EventType::Info => Err("an info get saw nothing, not a delete marker".to_owned()),
        _ => Ok(()),
    }
}

/// A put's completion repeats its invoke's body fields exactly, if at all.
fn agrees_with_invoke(o: &Object, open: Option<&Open>) -> Result<(), String> {
    let Some((asked, line)) = open.and_then(|open| Some((open.object.as_deref()?, open.line)))
    else {
        return Ok(());
    };
    let differs = |name: &str, ours: String, theirs: String| {
        Err(format!(
            "\"{name}\" {ours} differs from the invoke's {theirs} (line {line})"
        ))
    };
    if let (Some(a), Some(b)) = (&o.etag, &asked.etag)
        && a != b
    {
        return differs("etag", format!("{a:?}"), format!("{b:?}"));
    }
    if let (Some(a), Some(b)) = (o.size, asked.size)
        && a != b
    {
        return differs("size", a.to_string(), b.to_string());
    }
    if let (Some(a), Some(b)) = (&o.meta, &asked.meta)
        && a != b
    {
        return differs("meta", format!("{a:?}"), format!("{b:?}"));
    }
    Ok(())
}
