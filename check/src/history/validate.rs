//! The rules that relate a line to the lines before it.
//!
//! - a process has at most one operation in flight; a completion (`ok`,
//!   `fail`, `info`) needs one, with the same `f` and `key`;
//! - a process that ended with `info` issues nothing more (Jepsen gives the
//!   client a new process id instead);
//! - `time` never decreases in file order;
//! - `final` lines come after every client event, at most one per (node, key);
//! - the value suits the operation: `put` a string, `cas` a `{from, to}` pair,
//!   `get` and `delete` null or a string.
//!
//! An invoke still in flight at the end is fine: it is an `info` operation.

use super::{Event, EventType, Final, Function, Value};
use std::collections::BTreeMap;

/// An invoke waiting for its completion.
struct Open {
    f: Function,
    key: String,
    line: usize,
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
        let open = Open {
            f: e.f,
            key: e.key.clone(),
            line,
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

/// Whether the value suits the operation.
pub(super) fn shape(e: &Event) -> Result<(), String> {
    let ok = matches!(
        (e.f, &e.value),
        (Function::Put, Value::Str(_))
            | (Function::Cas, Value::Cas { .. })
            | (
                Function::Get | Function::Delete,
                Value::Absent | Value::Str(_)
            )
    );
    if ok {
        return Ok(());
    }
    let wanted = match e.f {
        Function::Put => "a string",
        Function::Cas => "{\"from\": string|null, \"to\": string}",
        Function::Get | Function::Delete => "null or a string",
    };
    let found = match &e.value {
        Value::Absent => "null",
        Value::Str(_) => "a string",
        Value::Cas { .. } => "a {from, to} pair",
    };
    Err(format!("{} \"value\" must be {wanted}, found {found}", e.f))
}
