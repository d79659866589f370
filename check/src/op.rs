//! Operations: an invoke paired with its completion.

use crate::history::{EventType, FailReason, Function, History, Object, Value, VersionEntry};
use std::collections::BTreeMap;

/// How an operation ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Outcome {
    Ok,
    /// Did not happen.
    Fail,
    /// May or may not have happened; stays open forever. Also used for an
    /// invoke with no completion in the history.
    Info,
}

/// One operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Op {
    /// Position among all operations, in invoke order (stable identifier).
    pub index: usize,
    /// 1-based line of the invoke event in the history file, when parsed from one.
    pub line: Option<usize>,
    pub process: u64,
    pub f: Function,
    pub key: String,
    /// The invoke's value (what was asked: value to put, cas pair, null for get).
    pub input: Value,
    /// The completion's value (for an ok get: what was read).
    pub output: Value,
    pub invoke_time: u64,
    /// `None` for `info` operations: they never complete.
    pub complete_time: Option<u64>,
    /// When an `info` completion was recorded (the client stopped waiting;
    /// the operation may still take effect later); `None` otherwise.
    pub gave_up_time: Option<u64>,
    pub outcome: Outcome,
    pub node: Option<u32>,
    /// The version a get or delete *by version id* addressed (its invoke's
    /// `version_id`); `None` for an operation on the current version.
    pub version: Option<String>,
    /// The object as the operation knows it: for a put or cas, what it
    /// wrote (its invoke's descriptor, completed by its completion's, where
    /// the created `version_id` comes); for a get or delete, its
    /// completion's (what was read; the marker written). `None`: no field given.
    pub object: Option<Box<Object>>,
    /// A `fail`'s reason, when its completion gave one (412, 409, 404).
    pub error: Option<FailReason>,
}

/// Pairs every invoke with its completion, in invoke order.
///
/// An invoke with no completion in the history, or completed by `info`, is
/// an [`Outcome::Info`] operation with `complete_time: None`: it may take
/// effect at any time after its invoke. A completion with no invoke in
/// flight (possible only in a history that skipped [`History::validate`]) is
/// ignored rather than guessed at.
pub fn pair(history: &History) -> Vec<Op> {
    let invokes = (history.events.iter())
        .filter(|e| e.kind == EventType::Invoke && !e.f.is_policy())
        .count();
    let mut ops: Vec<Op> = Vec::with_capacity(invokes);
    let mut in_flight: BTreeMap<u64, usize> = BTreeMap::new();
    // Policy changes (grant, revoke) are no data operations: the access
    // checks pair them themselves (`crate::access`).
    let data = (history.events.iter().enumerate()).filter(|(_, e)| !e.f.is_policy());
    for (position, e) in data {
        if e.kind == EventType::Invoke {
            in_flight.insert(e.process, ops.len());
            let by_version = matches!(e.f, Function::Get | Function::Delete);
            let version = (e.object.as_deref())
                .filter(|_| by_version)
                .and_then(|o| o.version_id.clone());
            let object =
                (e.object.clone()).filter(|_| matches!(e.f, Function::Put | Function::Cas));
            ops.push(Op {
                index: ops.len(),
                line: history.lines.get(position).copied(),
                process: e.process,
                f: e.f,
                key: e.key.clone(),
                input: e.value.clone(),
                output: Value::Absent,
                invoke_time: e.time,
                complete_time: None,
                gave_up_time: None,
                outcome: Outcome::Info,
                node: e.node,
                version,
                object,
                error: None,
            });
            continue;
        }
        let Some(op) = in_flight.remove(&e.process).and_then(|i| ops.get_mut(i)) else {
            continue;
        };
        if let Some(done) = e.object.as_deref() {
            op.object = Some(match (op.f, op.object.take()) {
                (Function::Put | Function::Cas, Some(asked)) => Box::new(merged(*asked, done)),
                _ => Box::new(done.clone()),
            });
        }
        op.output = e.value.clone();
        op.node = e.node.or(op.node);
        (op.outcome, op.complete_time) = match e.kind {
            EventType::Ok => (Outcome::Ok, Some(e.time)),
            EventType::Fail => (Outcome::Fail, Some(e.time)),
            EventType::Info | EventType::Invoke => (Outcome::Info, None),
        };
        op.gave_up_time = (e.kind == EventType::Info).then_some(e.time);
        op.error = e.error.filter(|_| e.kind == EventType::Fail);
    }
    ops
}

/// A write's invoke descriptor with the fields only its completion gave.
fn merged(asked: Object, done: &Object) -> Object {
    Object {
        version_id: asked.version_id.or_else(|| done.version_id.clone()),
        etag: asked.etag.or_else(|| done.etag.clone()),
        size: asked.size.or(done.size),
        meta: asked.meta.or_else(|| done.meta.clone()),
        delete_marker: asked.delete_marker || done.delete_marker,
    }
}

impl Op {
    /// Whether this is an operation on one key's current state — a get,
    /// put, delete or cas not addressed to a version — which the register
    /// checks judge. Listings and operations by version id are judged by
    /// `list-after-write` and `versions` only.
    pub fn is_register(&self) -> bool {
        !self.f.is_listing() && self.version.is_none()
    }

    /// The keys an ok `list` returned; `None` for anything else.
    pub fn listed(&self) -> Option<&[String]> {
        match (&self.f, self.outcome, &self.output) {
            (Function::List, Outcome::Ok, Value::Keys(keys)) => Some(keys),
            _ => None,
        }
    }

    /// The versions an ok `list-versions` returned; `None` for anything else.
    pub fn versions(&self) -> Option<&[VersionEntry]> {
        match (&self.f, self.outcome, &self.output) {
            (Function::ListVersions, Outcome::Ok, Value::Versions(entries)) => Some(entries),
            _ => None,
        }
    }

    /// What a write leaves in the register if it takes effect: `Some(value)`
    /// for put and cas, `None` (absent) for delete and a conditional delete
    /// (a cas to `null`). `None` for a get too, so
    /// ask only of writes ([`Function::is_write`]).
    pub fn written(&self) -> Option<&str> {
        match (&self.f, &self.input) {
            (Function::Put, Value::Str(v)) => Some(v),
            (Function::Cas, Value::Cas { to, .. }) => to.as_deref(),
            _ => None,
        }
    }

    /// What an ok get returned: `Some(Some(v))`, `Some(None)` for absent, and
    /// `None` when this is not an ok get (nothing was observed).
    pub fn read(&self) -> Option<Option<&str>> {
        if self.f != Function::Get || self.outcome != Outcome::Ok {
            return None;
        }
        match &self.output {
            Value::Absent => Some(None),
            Value::Str(v) => Some(Some(v)),
            Value::Cas { .. } | Value::Keys(_) | Value::Versions(_) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairs_in_invoke_order_and_leaves_open_ops_as_info() {
        let text = r#"{"process":0,"type":"invoke","f":"put","key":"k","value":"a","time":1}
{"process":1,"type":"invoke","f":"get","key":"k","value":null,"time":2}
{"process":1,"type":"ok","f":"get","key":"k","value":"a","time":3}

{"process":0,"type":"info","f":"put","key":"k","value":"a","time":4}
{"process":2,"type":"invoke","f":"delete","key":"k","value":null,"time":5}
"#;
        let history = History::parse(text).expect("valid");
        let ops = pair(&history);
        assert_eq!(ops.len(), 3);
        assert_eq!(
            (ops[0].f, ops[0].outcome, ops[0].complete_time),
            (Function::Put, Outcome::Info, None)
        );
        assert_eq!(
            (ops[1].outcome, ops[1].complete_time, ops[1].line),
            (Outcome::Ok, Some(3), Some(2))
        );
        assert_eq!(ops[1].read(), Some(Some("a")));
        assert_eq!(
            (ops[2].outcome, ops[2].complete_time, ops[2].line),
            (Outcome::Info, None, Some(6))
        );
        assert_eq!(
            ops.iter().map(|o| o.index).collect::<Vec<_>>(),
            vec![0, 1, 2]
        );
    }
}
