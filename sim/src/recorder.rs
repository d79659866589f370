//! Records client operations as history events, in simulated nanoseconds.

use check::{Event, EventType, FailReason, Function, Value};
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

/// The history's `clocks` line ([`check::History::clock_error_ns`]): how far
/// any node's clock can be from real time over a run of `end_ns`: the
/// offset drawn within `skew_ns`, the drift accumulated over the run, and
/// the clock jumps of the node that jumped most (in absolute value, summed:
/// a step back then forward moved the clock away in between).
pub fn clock_error_ns(
    skew_ns: u64,
    drift_ppm: f64,
    end_ns: u64,
    windows: &[crate::faults::windows::FaultWindow],
) -> u64 {
    use crate::faults::windows::Effect;
    let drift_ns = (drift_ppm.abs() * end_ns as f64 / 1e6).ceil() as u64;
    let mut jumps: std::collections::BTreeMap<u32, u64> = std::collections::BTreeMap::new();
    for w in windows {
        if let Effect::ClockJump { node, by_ns } = w.effect {
            *jumps.entry(node).or_default() += by_ns.unsigned_abs();
        }
    }
    let jumped = jumps.values().copied().max().unwrap_or(0);
    skew_ns.saturating_add(drift_ns).saturating_add(jumped)
}

impl Recorder {
    pub fn record(&self, r: Record<'_>) {
        self.record_failed(r, None);
    }

    /// Records `r` with the reason a `fail` gave (S3's 412, 409, 404); the
    /// history writes it as the line's `error`.
    pub fn record_failed(&self, r: Record<'_>, error: Option<FailReason>) {
        debug_assert!(error.is_none() || r.kind == EventType::Fail);
        let event = Event {
            process: r.process,
            kind: r.kind,
            f: r.f,
            key: r.key.to_string(),
            value: r.value,
            time: r.time,
            node: Some(r.node),
            object: None,
            error,
            auth: None,
        };
        let mut events = self.events.lock().unwrap_or_else(|e| e.into_inner());
        debug_assert!(events.last().is_none_or(|last| last.time <= event.time));
        events.push(event);
    }

    /// Records a whole event: the S3 client's, which carry object
    /// descriptors and listings that [`Record`] does not.
    pub fn record_event(&self, event: Event) {
        let mut events = self.events.lock().unwrap_or_else(|e| e.into_inner());
        debug_assert!(events.last().is_none_or(|last| last.time <= event.time));
        events.push(event);
    }

    /// Takes every event recorded so far, in order, leaving the log empty:
    /// the runner calls it once, when every client is done, so the history
    /// moves out instead of being copied (a copy of every key and value
    /// string was 0.35 % of a seed's instructions).
    pub fn take_events(&self) -> Vec<Event> {
        std::mem::take(&mut *self.events.lock().unwrap_or_else(|e| e.into_inner()))
    }
}
