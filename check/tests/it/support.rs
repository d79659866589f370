//! Histories written as operations instead of event lines.

use check::history::{Object, VersionEntry};
use check::{CheckResult, Event, EventType, Final, FindingKind, Function, History, Value, Verdict};

/// One operation of a test history: invoke at `invoke`, completion at `complete`.
#[derive(Debug, Clone)]
pub struct T {
    process: u64,
    f: Function,
    key: String,
    input: Value,
    output: Value,
    invoke: u64,
    /// `None`: no completion event at all.
    complete: Option<u64>,
    kind: EventType,
    /// Descriptor fields of the invoke and of the completion.
    asked: Option<Object>,
    answered: Option<Object>,
}

fn op(process: u64, f: Function, key: &str, input: Value, output: Value, times: (u64, u64)) -> T {
    let key = key.to_owned();
    T {
        process,
        f,
        key,
        input,
        output,
        invoke: times.0,
        complete: Some(times.1),
        kind: EventType::Ok,
        asked: None,
        answered: None,
    }
}

fn s(v: &str) -> Value {
    Value::Str(v.to_owned())
}

pub fn put(process: u64, key: &str, v: &str, invoke: u64, complete: u64) -> T {
    op(process, Function::Put, key, s(v), s(v), (invoke, complete))
}

pub fn get(process: u64, key: &str, seen: Option<&str>, invoke: u64, complete: u64) -> T {
    let output = seen.map_or(Value::Absent, s);
    op(
        process,
        Function::Get,
        key,
        Value::Absent,
        output,
        (invoke, complete),
    )
}

pub fn del(process: u64, key: &str, invoke: u64, complete: u64) -> T {
    op(
        process,
        Function::Delete,
        key,
        Value::Absent,
        Value::Absent,
        (invoke, complete),
    )
}

pub fn cas(process: u64, key: &str, from: Option<&str>, to: &str, invoke: u64, complete: u64) -> T {
    let pair = Value::Cas {
        from: from.map(str::to_owned),
        to: Some(to.to_owned()),
    };
    op(
        process,
        Function::Cas,
        key,
        pair.clone(),
        pair,
        (invoke, complete),
    )
}

/// A conditional delete (S3's DeleteObject `If-Match`): a cas from `from` to absent.
pub fn cas_delete(process: u64, key: &str, from: &str, invoke: u64, complete: u64) -> T {
    let pair = Value::Cas {
        from: Some(from.to_owned()),
        to: None,
    };
    op(
        process,
        Function::Cas,
        key,
        pair.clone(),
        pair,
        (invoke, complete),
    )
}

/// A list of `prefix` that returned `keys`.
pub fn list(process: u64, prefix: &str, keys: &[&str], invoke: u64, complete: u64) -> T {
    let keys = Value::Keys(keys.iter().map(|k| (*k).to_owned()).collect());
    op(
        process,
        Function::List,
        prefix,
        Value::Absent,
        keys,
        (invoke, complete),
    )
}

/// A list-versions of `prefix` that returned `entries`: `(key, version id,
/// current, delete marker)`.
pub fn list_versions(
    process: u64,
    prefix: &str,
    entries: &[(&str, &str, bool, bool)],
    invoke: u64,
    complete: u64,
) -> T {
    let entries = (entries.iter())
        .map(|&(key, version_id, current, delete_marker)| VersionEntry {
            key: key.to_owned(),
            version_id: version_id.to_owned(),
            current,
            delete_marker,
        })
        .collect();
    op(
        process,
        Function::ListVersions,
        prefix,
        Value::Absent,
        Value::Versions(entries),
        (invoke, complete),
    )
}

/// A descriptor: version id, etag, size, one metadata pair `(name, value)`.
pub fn object(
    version_id: Option<&str>,
    etag: Option<&str>,
    size: Option<u64>,
    meta: Option<(&str, &str)>,
) -> Object {
    Object {
        version_id: version_id.map(str::to_owned),
        etag: etag.map(str::to_owned),
        size,
        meta: meta.map(|(k, v)| [(k.to_owned(), v.to_owned())].into_iter().collect()),
        delete_marker: false,
    }
}

/// Only a version id.
pub fn version(id: &str) -> Object {
    object(Some(id), None, None, None)
}

/// A delete marker's descriptor (its version id).
pub fn marker(id: &str) -> Object {
    Object {
        delete_marker: true,
        ..version(id)
    }
}

impl T {
    /// The invoke carries `object` (for a get or delete: by version id).
    pub fn asked(self, object: Object) -> T {
        T {
            asked: Some(object),
            ..self
        }
    }

    /// The completion carries `object`.
    pub fn answered(self, object: Object) -> T {
        T {
            answered: Some(object),
            ..self
        }
    }

    /// Completed with `fail`: it did not happen.
    pub fn fail(self) -> T {
        T {
            kind: EventType::Fail,
            ..self
        }
    }

    /// Completed with `info` (at the completion time given): it may have happened.
    pub fn info(self) -> T {
        T {
            kind: EventType::Info,
            ..self
        }
    }

    /// Never completed in the history.
    pub fn open(self) -> T {
        T {
            complete: None,
            ..self
        }
    }
}

/// The events of `ops` in time order (a completion before an invoke at the
/// same time), validated.
pub fn history(ops: &[T]) -> History {
    let mut events: Vec<(u64, u8, usize, Event)> = Vec::new();
    for (seq, t) in ops.iter().enumerate() {
        let event = |kind, value: &Value, time, object: &Option<Object>| Event {
            process: t.process,
            kind,
            f: t.f,
            key: t.key.clone(),
            value: value.clone(),
            time,
            node: None,
            object: object.clone().map(Box::new),
            error: None,
            auth: None,
        };
        events.push((
            t.invoke,
            1,
            seq,
            event(EventType::Invoke, &t.input, t.invoke, &t.asked),
        ));
        if let Some(done) = t.complete {
            let value = if t.kind == EventType::Ok {
                &t.output
            } else {
                &t.input
            };
            events.push((done, 0, seq, event(t.kind, value, done, &t.answered)));
        }
    }
    events.sort_by_key(|(time, rank, seq, _)| (*time, *rank, *seq));
    let history = History::new(
        events.into_iter().map(|(_, _, _, e)| e).collect(),
        Vec::new(),
    );
    history.validate().expect("test history is valid");
    history
}

/// `history(ops)` with `final` lines `(node, key, value)`.
pub fn with_finals(ops: &[T], finals: &[(u32, &str, Option<&str>)]) -> History {
    let mut history = history(ops);
    history.finals = finals
        .iter()
        .map(|&(node, key, value)| Final {
            node,
            key: key.to_owned(),
            value: value.map(str::to_owned),
        })
        .collect();
    history
}

/// Asserts a case passed cleanly: valid, no anomaly counted, nothing to explain.
pub fn assert_clean(name: &str, result: &CheckResult) {
    assert_eq!(
        result.verdict,
        Verdict::Valid,
        "{name}: {}",
        result.explanation
    );
    assert_eq!(
        (result.anomalies, result.explanation.as_str()),
        (0, ""),
        "{name}"
    );
    assert!(result.findings.is_empty(), "{name}: {:?}", result.findings);
}

/// Asserts an invalid result's first finding: its kind and its operations
/// (indices into the history's ops, the one at fault first).
pub fn assert_finding(name: &str, result: &CheckResult, kind: FindingKind, ops: &[usize]) {
    let Some(first) = result.findings.first() else {
        panic!("{name}: no findings: {}", result.explanation);
    };
    assert_eq!(
        (first.kind, first.ops.as_slice()),
        (kind, ops),
        "{name}: {first:?}"
    );
    assert!(
        result.findings.len() <= result.anomalies,
        "{name}: more findings than anomalies"
    );
}
