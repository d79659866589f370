//! The run's trace: every message sent, with its fate when messages are
//! kept, and every fault applied, with its scenario time. Printed by
//! `replay --trace`; counted for throughput figures.

pub use crate::fate::Peer;
use crate::fate::{Fate, Why};
use check::ms::{Precision, format_ms};
use std::fmt;
use std::sync::{Arc, Mutex};
use store::fnv::Fnv64;

/// One traced event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TraceEvent {
    /// A message handed to the network, and what became of it (see
    /// [`crate::fate`]): `None` until its fate is settled (a message that
    /// madsim's global loss takes or whose addressee has crashed shows the
    /// delivery the network promised it).
    Message {
        time_ns: u64,
        from: Peer,
        to: Peer,
        kind: &'static str,
        key: String,
        fate: Option<Fate>,
        /// What made it, besides its sender: `copy made by <fault>` for a
        /// copy a `duplicate-messages` fault sent.
        note: Option<String>,
    },
    /// A fault starting or ending, or a phase change.
    Fault { time_ns: u64, what: String },
}

impl fmt::Display for TraceEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TraceEvent::Message {
                time_ns,
                from,
                to,
                kind,
                key,
                fate,
                note,
            } => {
                write!(
                    f,
                    "{:>14} {from:>4} -> {to:<4} {kind} {key}",
                    format_ms(*time_ns, Precision::Nanos)
                )?;
                if let Some(note) = note {
                    write!(f, "  ({note})")?;
                }
                let ms = |d: &std::time::Duration| format_ms(d.as_nanos() as u64, Precision::Nanos);
                match fate {
                    Some(Fate::Deliver { after }) => write!(f, "  [after {}]", ms(after)),
                    Some(Fate::Delayed { after, by }) => {
                        write!(f, "  [after {}, delayed by {by}]", ms(after))
                    }
                    Some(Fate::Drop { why: Why::Loss }) => write!(f, "  [lost on its link]"),
                    Some(Fate::Drop {
                        why: Why::Cut { by },
                    }) => write!(f, "  [dropped: link cut by {by}]"),
                    Some(Fate::Drop {
                        why: Why::Targeted { by },
                    }) => write!(f, "  [dropped by {by}]"),
                    None => Ok(()),
                }
            }
            TraceEvent::Fault { time_ns, what } => {
                write!(f, "{:>14} ** {what}", format_ms(*time_ns, Precision::Nanos))
            }
        }
    }
}

/// Where a kept message is in the trace, to record its fate later;
/// nothing when messages are only counted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TraceId(Option<usize>);

/// Shared, append-only trace of one run. Messages are only counted unless
/// `keep_messages` is set, so long runs stay small in memory.
#[derive(Debug, Clone, Default)]
pub struct Trace {
    inner: Arc<Mutex<TraceState>>,
}

#[derive(Debug, Default)]
struct TraceState {
    keep_messages: bool,
    messages: u64,
    events: Vec<TraceEvent>,
    /// Fingerprint of every event, kept or not (see [`Trace::fingerprint`]).
    hash: Fingerprint,
}

/// The trace's fingerprint: FNV-1a fed a word at a time ([`Fnv64::word`],
/// [`Fnv64::words`]): it runs on every message, and eight times fewer
/// multiplications matter there.
#[derive(Debug, Default, Clone, Copy)]
struct Fingerprint(Fnv64);

impl Fingerprint {
    /// Hashes one message: its time, its peers, its kind and its key.
    fn message(&mut self, time_ns: u64, from: Peer, to: Peer, kind: &str, key: &str) {
        self.0.word(time_ns);
        self.0.word(peer_word(from));
        self.0.word(peer_word(to));
        self.0.words(kind.as_bytes());
        self.0.words(key.as_bytes());
    }

    /// Hashes one fault (or phase change), tagged apart from messages.
    fn fault(&mut self, time_ns: u64, what: &str) {
        self.0.word(time_ns);
        self.0.words(b"fault");
        self.0.words(what.as_bytes());
    }
}

/// A peer as one word: the kind in the high bits, the index in the low 32.
fn peer_word(peer: Peer) -> u64 {
    match peer {
        Peer::Node(n) => u64::from(n),
        Peer::Client(c) => 1 << 32 | u64::from(c),
    }
}

impl Trace {
    pub fn new(keep_messages: bool) -> Trace {
        let state = TraceState {
            keep_messages,
            ..TraceState::default()
        };
        Trace {
            inner: Arc::new(Mutex::new(state)),
        }
    }

    /// Counts and fingerprints a message handed to the network; keeps it
    /// if messages are kept. The returned id records its fate.
    pub fn message(
        &self,
        time_ns: u64,
        from: Peer,
        to: Peer,
        kind: &'static str,
        key: &str,
    ) -> TraceId {
        let mut state = self.lock();
        state.messages += 1;
        state.hash.message(time_ns, from, to, kind, key);
        if !state.keep_messages {
            return TraceId(None);
        }
        let key = key.to_string();
        state.events.push(TraceEvent::Message {
            time_ns,
            from,
            to,
            kind,
            key,
            fate: None,
            note: None,
        });
        TraceId(Some(state.events.len() - 1))
    }

    /// Records the fate of a kept message (a later answer replaces an
    /// earlier one: a response delivered, then lost at its requester).
    /// Not in the fingerprint: fates follow from the same draws as the
    /// messages and times it hashes, and keeping them out keeps the
    /// fingerprints of earlier runs valid.
    pub fn fate(&self, id: TraceId, fate: Fate) {
        let Some(index) = id.0 else {
            return;
        };
        if let Some(TraceEvent::Message { fate: slot, .. }) = self.lock().events.get_mut(index) {
            *slot = Some(fate);
        }
    }

    /// Notes on a kept message what made it (not in the fingerprint, as
    /// fates are not).
    pub fn note(&self, id: TraceId, text: String) {
        let Some(index) = id.0 else {
            return;
        };
        if let Some(TraceEvent::Message { note, .. }) = self.lock().events.get_mut(index) {
            *note = Some(text);
        }
    }

    pub fn fault(&self, time_ns: u64, what: String) {
        let mut state = self.lock();
        state.hash.fault(time_ns, &what);
        state.events.push(TraceEvent::Fault { time_ns, what });
    }

    /// A fingerprint of every message and fault so far, in order, whether or
    /// not messages are kept: two runs with equal fingerprints sent the same
    /// messages at the same times. 16 hex digits.
    pub fn fingerprint(&self) -> String {
        format!("{:016x}", self.lock().hash.0.finish())
    }

    /// Messages sent so far.
    pub fn messages(&self) -> u64 {
        self.lock().messages
    }

    /// The recorded events, in order.
    pub fn events(&self) -> Vec<TraceEvent> {
        self.lock().events.clone()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, TraceState> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }
}
