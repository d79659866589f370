//! Records client operations as history events, in simulated nanoseconds.

use check::{Event, EventType, Function, Value};
use std::sync::{Arc, Mutex};

/// The shared event log of one run. madsim runs every task on one thread, so
/// events arrive in simulated-time order and the log is deterministic.
#[derive(Debug, Clone, Default)]
pub struct Recorder {
    events: Arc<Mutex<Vec<Event>>>,
}

/// One event's fields, as a client knows them.
pub struct Record<'a> {
    pub process: u64,
    pub kind: EventType,
    pub f: Function,
    pub key: &'a str,
    pub value: Value,
    pub time: u64,
    pub node: u32,
}

impl Recorder {
    pub fn record(&self, r: Record<'_>) {
        let event = Event {
            process: r.process,
            kind: r.kind,
            f: r.f,
            key: r.key.to_string(),
            value: r.value,
            time: r.time,
            node: Some(r.node),
        };
        let mut events = self.events.lock().unwrap_or_else(|e| e.into_inner());
        debug_assert!(events.last().is_none_or(|last| last.time <= event.time));
        events.push(event);
    }

    /// Every event so far, in order.
    pub fn events(&self) -> Vec<Event> {
        self.events
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }
}
