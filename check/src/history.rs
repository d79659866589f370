//! The history format: one JSON object per line (JSONL), Jepsen-like.
//!
//! ```text
//! {"process":0,"type":"invoke","f":"put","key":"k1","value":"c0-1","time":1000}
//! {"process":0,"type":"ok","f":"put","key":"k1","value":"c0-1","time":4200}
//! {"type":"final","node":2,"key":"k1","value":"c0-1"}
//! ```
//!
//! `time` is integer nanoseconds. Extra fields are allowed and ignored by the
//! model; the ones we write ourselves (`node`) are kept as typed options, and
//! so are the S3 object's descriptor (`version_id`, `etag`, `size`, `meta`,
//! `delete_marker`: [`Object`]). Listings (`list`, `list-versions`) carry
//! their results as typed values ([`Value::Keys`], [`Value::Versions`]).
//!
//! Reading is two steps, each in its own module: [`decode`] turns one line into
//! an [`Event`] or [`Final`] (shape errors: bad JSON, missing fields), and
//! [`validate`] checks the line against the lines before it (protocol errors:
//! a completion with no invoke, time going backwards, ...). Both say what is
//! wrong in their own words, naming the field, and the caller adds the line.

mod decode;
mod validate;

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

/// What happened to an operation: `invoke` starts it; `ok`, `fail` (it did not
/// happen) or `info` (unknown: it may have happened) complete it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EventType {
    Invoke,
    Ok,
    Fail,
    Info,
}

impl EventType {
    /// The name used in the `type` field.
    pub fn as_str(self) -> &'static str {
        match self {
            EventType::Invoke => "invoke",
            EventType::Ok => "ok",
            EventType::Fail => "fail",
            EventType::Info => "info",
        }
    }
}

impl fmt::Display for EventType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The operation kind (`f`).
///
/// `get`, `put`, `delete` and `cas` act on one key (an object, or a plain
/// register); `list` (ListObjectsV2) and `list-versions`
/// (ListObjectVersions) read every key under a prefix, given as their `key`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Function {
    Get,
    Put,
    Delete,
    Cas,
    List,
    ListVersions,
    /// An administrator's grant of a bucket to a principal (`key`: the
    /// bucket, `value`: the principal's name): a bucket policy written with
    /// the principal allowed. Not a data operation: [`crate::op::pair`]
    /// leaves it out; the access checks read it.
    Grant,
    /// The opposite of [`Function::Grant`]: the principal no longer allowed.
    Revoke,
}

impl Function {
    /// The name used in the `f` field.
    pub fn as_str(self) -> &'static str {
        match self {
            Function::Get => "get",
            Function::Put => "put",
            Function::Delete => "delete",
            Function::Cas => "cas",
            Function::List => "list",
            Function::ListVersions => "list-versions",
            Function::Grant => "grant",
            Function::Revoke => "revoke",
        }
    }

    /// Whether the operation changes a key (put, delete, cas).
    pub fn is_write(self) -> bool {
        matches!(self, Function::Put | Function::Delete | Function::Cas)
    }

    /// Whether the operation lists keys under a prefix (list, list-versions).
    pub fn is_listing(self) -> bool {
        matches!(self, Function::List | Function::ListVersions)
    }

    /// Whether the operation changes a bucket's policy (grant, revoke).
    pub fn is_policy(self) -> bool {
        matches!(self, Function::Grant | Function::Revoke)
    }
}

impl fmt::Display for Function {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The `value` field: `null`, a string, a compare-and-set pair
/// (`from: null` means "only if absent"; `to: null` means "delete": S3's
/// conditional DeleteObject, `If-Match` the ETag of `from`), or a listing's result: the keys
/// listed (`list`) or the versions listed (`list-versions`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Value {
    Absent,
    Str(String),
    Cas {
        from: Option<String>,
        /// `None`: a conditional delete (the key becomes absent if it held `from`).
        to: Option<String>,
    },
    /// An `ok` list: every key seen under the prefix, across the pages of
    /// that listing, in the order given.
    Keys(Vec<String>),
    /// An `ok` list-versions: every version and delete marker seen under
    /// the prefix, across the pages of that listing, in the order given.
    Versions(Vec<VersionEntry>),
}

/// One entry of a `list-versions` result (ListObjectVersions): a version
/// or a delete marker of `key`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct VersionEntry {
    pub key: String,
    pub version_id: String,
    /// S3's `IsLatest`: this is the key's current version (or marker).
    #[serde(default)]
    pub current: bool,
    /// This entry is a delete marker, not an object.
    #[serde(default)]
    pub delete_marker: bool,
}

/// The S3 object an event names, as far as the event says (every part
/// optional): the descriptor fields of a `get`, `put`, `cas` or `delete`
/// line.
///
/// On an invoke, `version_id` *addresses* a version (GET or DELETE by
/// version id); on a completion it describes the result (the version a
/// `put` created, the version a `get` returned, the marker a `delete`
/// wrote). `delete_marker` is S3's `x-amz-delete-marker: true`: on a `get`
/// ok with value `null`, the current version is a marker; on a `get` by
/// version id that ended `fail`, the version asked for is a marker (405
/// Method Not Allowed); on a `delete` ok, the delete wrote a marker.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Object {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version_id: Option<String>,
    /// The body's ETag (for a single-part upload, the MD5 of the body).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub etag: Option<String>,
    /// The body's length in bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<u64>,
    /// User metadata (`x-amz-meta-*`), name to value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub meta: Option<BTreeMap<String, String>>,
    #[serde(default)]
    pub delete_marker: bool,
}

impl Object {
    /// Whether no field is given.
    pub fn is_empty(&self) -> bool {
        *self == Object::default()
    }
}

/// Why a `fail` completion did not happen, when the system said (the
/// `error` field): S3's answers to a conditional write, a refused sender
/// or a request turned away before it was served. Each means the
/// write was **not applied**; the checks hold the store to that as to any
/// `fail`. A `fail` without it is still a fail (older histories, other
/// systems), and the field belongs on `fail` lines only.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FailReason {
    /// 412 Precondition Failed: the condition was false (`If-Match` named
    /// another value, or `If-None-Match: *` found the key present).
    PreconditionFailed,
    /// 409 ConditionalRequestConflict: a concurrent conflicting change was
    /// detected; retry.
    ConditionalConflict,
    /// 404 NoSuchKey: `If-Match` on a key that is absent.
    NotFound,
    /// 403 AccessDenied: the signature, its time or the bucket policy
    /// refused the request, before the key was touched (the same answer
    /// whether it exists or not).
    AccessDenied,
    /// 503 SlowDown: the node turned the request away before serving it (a
    /// full queue, a node rebuilding its replicas); nothing was applied.
    /// It says nothing about the key: the request did not get through.
    SlowDown,
}

impl FailReason {
    /// Every reason, in a fixed order (reports count them in it).
    pub const ALL: [FailReason; 5] = [
        FailReason::PreconditionFailed,
        FailReason::ConditionalConflict,
        FailReason::NotFound,
        FailReason::AccessDenied,
        FailReason::SlowDown,
    ];

    /// The name used in the `error` field.
    pub fn as_str(self) -> &'static str {
        match self {
            FailReason::PreconditionFailed => "precondition-failed",
            FailReason::ConditionalConflict => "conditional-conflict",
            FailReason::NotFound => "not-found",
            FailReason::AccessDenied => "access-denied",
            FailReason::SlowDown => "slow-down",
        }
    }

    /// The reason named `name` in the `error` field, if it is one.
    pub fn from_name(name: &str) -> Option<FailReason> {
        FailReason::ALL.into_iter().find(|r| r.as_str() == name)
    }

    /// The HTTP status S3 answers with (`412`, `409`, `404`, `403`, `503`).
    pub fn status(self) -> u16 {
        match self {
            FailReason::PreconditionFailed => 412,
            FailReason::ConditionalConflict => 409,
            FailReason::NotFound => 404,
            FailReason::AccessDenied => 403,
            FailReason::SlowDown => 503,
        }
    }

    /// Whether the answer says something about the key (404, 412, 409):
    /// the request reached it. A refusal of the sender (403) or of the
    /// request itself (503, before it was served) does not.
    pub fn answers_about_key(self) -> bool {
        match self {
            FailReason::PreconditionFailed
            | FailReason::ConditionalConflict
            | FailReason::NotFound => true,
            FailReason::AccessDenied | FailReason::SlowDown => false,
        }
    }
}

impl fmt::Display for FailReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One client event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    pub process: u64,
    #[serde(rename = "type")]
    pub kind: EventType,
    pub f: Function,
    pub key: String,
    pub value: Value,
    /// Nanoseconds (simulated time for our own histories).
    pub time: u64,
    /// The node that coordinated the request, when known (ignored by the model).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node: Option<u32>,
    /// The S3 object's descriptor fields, when the line has any (boxed: most
    /// events have none, and a history holds millions of events).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub object: Option<Box<Object>>,
    /// A `fail`'s reason, when the system gave one (the `error` field).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<FailReason>,
    /// Who sent the request and how it was authorised (the `principal` and
    /// `auth` fields), on histories of a store with access control; `None`
    /// elsewhere (boxed: most events have none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth: Option<Box<Auth>>,
}

/// A request's sender and the kind of authority it carried.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Auth {
    /// The principal's name (`principal`).
    pub principal: String,
    /// How the request was signed (`auth`).
    pub kind: AuthKind,
}

/// How a request was authorised, as its sender knows it (the `auth` field).
/// Only `signed` and `presigned` may ever succeed, and only for a principal
/// a policy allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AuthKind {
    /// Signed in the header with the principal's secret, at the true time.
    Signed,
    /// A presigned URL, valid (in true time) when sent.
    Presigned,
    /// Signed with a wrong secret.
    Forged,
    /// A header-signed request replayed after its time (more than 15
    /// minutes old in true time).
    Replayed,
    /// A presigned URL already expired in true time when sent.
    Expired,
}

impl AuthKind {
    /// Every kind, in a fixed order (reports count them in it).
    pub const ALL: [AuthKind; 5] = [
        AuthKind::Signed,
        AuthKind::Presigned,
        AuthKind::Forged,
        AuthKind::Replayed,
        AuthKind::Expired,
    ];

    /// The name used in the `auth` field.
    pub fn as_str(self) -> &'static str {
        match self {
            AuthKind::Signed => "signed",
            AuthKind::Presigned => "presigned",
            AuthKind::Forged => "forged",
            AuthKind::Replayed => "replayed",
            AuthKind::Expired => "expired",
        }
    }

    /// The kind named `name`, if it is one.
    pub fn from_name(name: &str) -> Option<AuthKind> {
        AuthKind::ALL.into_iter().find(|k| k.as_str() == name)
    }

    /// Whether a request of this kind carries valid authority (in true
    /// time): only these may ever succeed.
    pub fn is_valid(self) -> bool {
        matches!(self, AuthKind::Signed | AuthKind::Presigned)
    }
}

impl fmt::Display for AuthKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What one replica holds for one key once the cluster is healed and quiet.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Final {
    pub node: u32,
    pub key: String,
    /// `None` = absent (never written, or deleted).
    pub value: Option<String>,
}

/// A parsed and validated history.
///
/// Equality compares `events` and `finals` only: `lines` records where the
/// events came from, not what happened, so a history built in memory equals
/// the same history parsed back from its JSONL.
#[derive(Debug, Clone, Default, Eq)]
pub struct History {
    /// Client events in file order (times never decrease).
    pub events: Vec<Event>,
    /// `final` lines, if the history has any.
    pub finals: Vec<Final>,
    /// The 1-based file line of each event, parallel to `events`, when the
    /// history was parsed; empty when it was built in memory.
    pub lines: Vec<usize>,
    /// The `clocks` line, if any: every timestamp that orders writes (last
    /// write wins) is its coordinator's clock at some instant while the
    /// write ran, and every clock is within this many ns of real time (the
    /// history's `time`, up to one constant shift). `None`: unknown — any
    /// write may carry any timestamp. `durability` reads it.
    pub clock_error_ns: Option<u64>,
    /// The `revocation` line, if any: how long (ns) a revoked permission
    /// may still be honoured after its revoke was acknowledged (the
    /// scenario's `[auth] revocation_delta`). `None`: 0, a revoke holds at
    /// once. `revocation` reads it.
    pub revocation_delta_ns: Option<u64>,
}

impl PartialEq for History {
    fn eq(&self, other: &Self) -> bool {
        self.events == other.events
            && self.finals == other.finals
            && self.clock_error_ns == other.clock_error_ns
            && self.revocation_delta_ns == other.revocation_delta_ns
    }
}

/// A history that cannot be read. Always names the line (1-based) where there is one.
#[derive(Debug, thiserror::Error)]
pub enum HistoryError {
    #[error("line {line}: {message}")]
    Line { line: usize, message: String },
}

impl History {
    /// A history built in memory (e.g. by the simulator); no line numbers.
    pub fn new(events: Vec<Event>, finals: Vec<Final>) -> History {
        History {
            events,
            finals,
            lines: Vec::new(),
            clock_error_ns: None,
            revocation_delta_ns: None,
        }
    }

    /// Parses and validates JSONL text (blank lines allowed). Errors name the 1-based line.
    ///
    /// Every rule of [`History::validate`] is applied line by line, so the
    /// first bad line is the one reported.
    pub fn parse(text: &str) -> Result<History, HistoryError> {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let mut reader = LineReader::default();
        for (index, raw) in text.lines().enumerate() {
            reader.line(index + 1, raw)?;
        }
        Ok(reader.history)
    }

    /// Parses JSONL read line by line from `input`, so that a large history
    /// file is never held in memory as text: as [`History::parse`] does, and a
    /// line that is not UTF-8 or is longer than [`MAX_LINE_BYTES`], or a read
    /// that fails, is an error naming that line. The first bad line is the one
    /// reported, whatever is wrong with it.
    pub fn read(input: impl std::io::BufRead) -> Result<History, HistoryError> {
        use std::io::{BufRead as _, Read as _};
        let mut input = input;
        let mut reader = LineReader::default();
        let mut raw = Vec::new();
        // Bounded: every pass consumes at least one byte, or ends at end of input.
        for line in 1.. {
            raw.clear();
            let limit = MAX_LINE_BYTES as u64 + 1;
            let read = (&mut input).take(limit).read_until(b'\n', &mut raw);
            let at = |message| HistoryError::Line { line, message };
            match read {
                Ok(0) => break,
                Ok(_) if raw.len() > MAX_LINE_BYTES => {
                    return Err(at(format!("longer than {MAX_LINE_BYTES} bytes")));
                }
                Ok(_) => {}
                Err(e) => return Err(at(format!("cannot read: {e}"))),
            }
            let bytes = raw.strip_suffix(b"\n").unwrap_or(&raw);
            let bytes = bytes.strip_suffix(b"\r").unwrap_or(bytes);
            let bytes = if line == 1 {
                bytes.strip_prefix("\u{feff}".as_bytes()).unwrap_or(bytes)
            } else {
                bytes
            };
            let text = std::str::from_utf8(bytes).map_err(|e| {
                at(format!(
                    "not valid UTF-8 (byte {} of the line)",
                    e.valid_up_to() + 1
                ))
            })?;
            reader.line(line, text)?;
        }
        Ok(reader.history)
    }

    /// Like [`History::parse`], for raw bytes: a line that is not UTF-8 is an
    /// error naming that line (and the byte within it), not a panic or a
    /// silently replaced character; the first bad line is the one reported,
    /// whatever is wrong with it. Lines are limited as in [`History::read`].
    pub fn parse_bytes(bytes: &[u8]) -> Result<History, HistoryError> {
        History::read(bytes)
    }

    /// Checks a history built in memory against the same rules `parse`
    /// applies. Errors name `lines[i]` when known, else the event's 1-based
    /// position (finals count after the events).
    pub fn validate(&self) -> Result<(), HistoryError> {
        let mut validator = validate::Validator::default();
        for (index, event) in self.events.iter().enumerate() {
            let line = self.lines.get(index).copied().unwrap_or(index + 1);
            let at = |message| HistoryError::Line { line, message };
            validator.event(line, event).map_err(at)?;
        }
        for (index, fin) in self.finals.iter().enumerate() {
            let line = self.lines.last().copied().unwrap_or(self.events.len()) + index + 1;
            let at = |message| HistoryError::Line { line, message };
            validator.final_line(line, fin).map_err(at)?;
        }
        Ok(())
    }

    /// Writes the history as JSONL: events then `final` lines, one per line,
    /// fields in a fixed order, so equal histories give equal bytes.
    ///
    /// Field order is the one in `DESIGN.md`:
    /// `process, type, f, key, value, time[, node]` and `type, node, key, value`;
    /// an object's descriptor follows `node`, in the order of [`Object`]'s
    /// fields (`delete_marker` only when true); a fail's `error` comes last.
    pub fn to_jsonl(&self) -> String {
        use std::fmt::Write as _;
        let mut out = String::with_capacity(96 * (self.events.len() + self.finals.len()));
        // `write!` into a String cannot fail.
        if let Some(error_ns) = self.clock_error_ns {
            let _ = writeln!(out, "{{\"type\":\"clocks\",\"error_ns\":{error_ns}}}");
        }
        if let Some(delta_ns) = self.revocation_delta_ns {
            let _ = writeln!(out, "{{\"type\":\"revocation\",\"delta_ns\":{delta_ns}}}");
        }
        for e in &self.events {
            let _ = write!(
                out,
                "{{\"process\":{},\"type\":\"{}\",\"f\":\"{}\",\"key\":",
                e.process, e.kind, e.f
            );
            push_json_str(&mut out, &e.key);
            out.push_str(",\"value\":");
            push_json_value(&mut out, &e.value);
            let _ = write!(out, ",\"time\":{}", e.time);
            if let Some(node) = e.node {
                let _ = write!(out, ",\"node\":{node}");
            }
            if let Some(object) = &e.object {
                push_json_object(&mut out, object);
            }
            if let Some(error) = e.error {
                let _ = write!(out, ",\"error\":\"{error}\"");
            }
            if let Some(auth) = &e.auth {
                out.push_str(",\"principal\":");
                push_json_str(&mut out, &auth.principal);
                let _ = write!(out, ",\"auth\":\"{}\"", auth.kind);
            }
            out.push_str("}\n");
        }
        for fin in &self.finals {
            let _ = write!(out, "{{\"type\":\"final\",\"node\":{},\"key\":", fin.node);
            push_json_str(&mut out, &fin.key);
            out.push_str(",\"value\":");
            push_json_opt(&mut out, fin.value.as_deref());
            out.push_str("}\n");
        }
        out
    }
}

/// Longest line [`History::read`] accepts (1 MiB): an event is a few hundred
/// bytes, and a bound keeps one bad "line" from filling memory.
pub const MAX_LINE_BYTES: usize = 1 << 20;

/// A history being read line by line: decoded and validated as each line arrives.
#[derive(Default)]
struct LineReader {
    history: History,
    validator: validate::Validator,
}

impl LineReader {
    /// Decodes and validates line `line` (1-based); blank lines are skipped.
    fn line(&mut self, line: usize, raw: &str) -> Result<(), HistoryError> {
        if raw.trim().is_empty() {
            return Ok(());
        }
        let at = |message| HistoryError::Line { line, message };
        match decode::decode(raw).map_err(at)? {
            decode::Line::Event(event) => {
                self.validator.event(line, &event).map_err(at)?;
                self.history.events.push(event);
                self.history.lines.push(line);
            }
            decode::Line::Final(fin) => {
                self.validator.final_line(line, &fin).map_err(at)?;
                self.history.finals.push(fin);
            }
            decode::Line::Clocks { error_ns } => {
                if self.history.clock_error_ns.is_some() {
                    return Err(at("a second \"clocks\" line (at most one)".to_owned()));
                }
                self.history.clock_error_ns = Some(error_ns);
            }
            decode::Line::Revocation { delta_ns } => {
                if self.history.revocation_delta_ns.is_some() {
                    return Err(at("a second \"revocation\" line (at most one)".to_owned()));
                }
                self.history.revocation_delta_ns = Some(delta_ns);
            }
        }
        Ok(())
    }
}

fn push_json_value(out: &mut String, value: &Value) {
    match value {
        Value::Absent => out.push_str("null"),
        Value::Str(s) => push_json_str(out, s),
        Value::Cas { from, to } => {
            out.push_str("{\"from\":");
            push_json_opt(out, from.as_deref());
            out.push_str(",\"to\":");
            push_json_opt(out, to.as_deref());
            out.push('}');
        }
        Value::Keys(keys) => {
            out.push('[');
            for (i, key) in keys.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                push_json_str(out, key);
            }
            out.push(']');
        }
        Value::Versions(entries) => {
            out.push('[');
            for (i, entry) in entries.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str("{\"key\":");
                push_json_str(out, &entry.key);
                out.push_str(",\"version_id\":");
                push_json_str(out, &entry.version_id);
                out.push_str(if entry.current {
                    ",\"current\":true"
                } else {
                    ",\"current\":false"
                });
                out.push_str(if entry.delete_marker {
                    ",\"delete_marker\":true}"
                } else {
                    ",\"delete_marker\":false}"
                });
            }
            out.push(']');
        }
    }
}

/// The descriptor fields given, each as `,"name":value`.
fn push_json_object(out: &mut String, object: &Object) {
    use std::fmt::Write as _;
    if let Some(v) = &object.version_id {
        out.push_str(",\"version_id\":");
        push_json_str(out, v);
    }
    if let Some(etag) = &object.etag {
        out.push_str(",\"etag\":");
        push_json_str(out, etag);
    }
    if let Some(size) = object.size {
        let _ = write!(out, ",\"size\":{size}");
    }
    if let Some(meta) = &object.meta {
        out.push_str(",\"meta\":{");
        for (i, (name, value)) in meta.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            push_json_str(out, name);
            out.push(':');
            push_json_str(out, value);
        }
        out.push('}');
    }
    if object.delete_marker {
        out.push_str(",\"delete_marker\":true");
    }
}

fn push_json_opt(out: &mut String, value: Option<&str>) {
    match value {
        None => out.push_str("null"),
        Some(s) => push_json_str(out, s),
    }
}

/// A JSON string literal, escaped the way `serde_json` does it.
fn push_json_str(out: &mut String, s: &str) {
    out.push('"');
    if !s.bytes().any(|b| b < 0x20 || b == b'"' || b == b'\\') {
        // Nothing to escape (the usual case: keys and values like `c3-17`).
        out.push_str(s);
        out.push('"');
        return;
    }
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{08}' => out.push_str("\\b"),
            '\u{0c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `DESIGN.md`'s example, in time order (there, line 3 comes before line 2 in time).
    const EXAMPLE: &str = r#"{"process":0,"type":"invoke","f":"put","key":"k1","value":"c0-1","time":1000}
{"process":1,"type":"invoke","f":"get","key":"k1","value":null,"time":1500}
{"process":0,"type":"ok","f":"put","key":"k1","value":"c0-1","time":4200,"node":3}
{"process":1,"type":"ok","f":"get","key":"k1","value":"c0-1","time":5100}
{"process":2,"type":"invoke","f":"cas","key":"k1","value":{"from":"c0-1","to":"c2-1"},"time":6000}
{"process":2,"type":"fail","f":"cas","key":"k1","value":{"from":"c0-1","to":"c2-1"},"time":7000}
{"type":"final","node":2,"key":"k1","value":"c0-1"}
{"type":"final","node":1,"key":"k1","value":null}
"#;

    #[test]
    fn design_example_round_trips_byte_for_byte() {
        let history = History::parse(EXAMPLE).expect("valid");
        assert_eq!(history.events.len(), 6);
        assert_eq!(history.finals.len(), 2);
        assert_eq!(history.lines, vec![1, 2, 3, 4, 5, 6]);
        assert_eq!(history.to_jsonl(), EXAMPLE);
        assert!(history.validate().is_ok());
    }

    #[test]
    fn escapes_like_serde_json() {
        let s = "q\"b\\n\n\t\u{1}\u{7f}é😀";
        let mut ours = String::new();
        push_json_str(&mut ours, s);
        assert_eq!(ours, serde_json::to_string(s).expect("string"));
    }

    #[test]
    fn reading_line_by_line_matches_parsing_and_names_bad_lines() {
        let crlf = format!("\u{feff}{}", EXAMPLE.replace('\n', "\r\n"));
        let read = History::read(crlf.as_bytes()).expect("valid");
        assert_eq!(read, History::parse(EXAMPLE).expect("valid"));
        assert_eq!(read.lines, vec![1, 2, 3, 4, 5, 6]);
        let line = |r: Result<History, HistoryError>| match r {
            Err(HistoryError::Line { line, message }) => (line, message),
            Ok(_) => panic!("accepted"),
        };
        let mut bytes = EXAMPLE.as_bytes().to_vec();
        let third = EXAMPLE.lines().take(2).map(|l| l.len() + 1).sum::<usize>();
        bytes[third + 3] = 0xff;
        let (at, message) = line(History::read(&bytes[..]));
        assert_eq!(
            (at, message.as_str()),
            (3, "not valid UTF-8 (byte 4 of the line)")
        );
        assert_eq!(line(History::parse_bytes(&bytes)).1, message);
        // The first bad line is reported, even when a later one is not UTF-8
        // (found by the fuzzer: the whole input used to be checked for UTF-8 first).
        let mut bytes = b"{\"process\": oops\n".to_vec();
        bytes.extend_from_slice(&[0xa9, b'\n']);
        assert_eq!(line(History::parse_bytes(&bytes)).0, 1);
        let long = format!("{EXAMPLE}{}\n", " ".repeat(MAX_LINE_BYTES + 1));
        assert_eq!(line(History::read(long.as_bytes())).0, 9);
    }

    #[test]
    fn equality_ignores_line_numbers() {
        let parsed = History::parse(EXAMPLE).expect("valid");
        let built = History::new(parsed.events.clone(), parsed.finals.clone());
        assert_eq!(parsed, built);
    }
}
