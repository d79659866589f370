//! When a key may be *present* and when it may be *absent*: read-after-write's
//! rule with presence as the value, as time windows, for `list-after-write`.
//!
//! A write leaves a presence: a put or cas leaves the key present, a delete
//! absent, the initial state (before everything) absent, and a delete by
//! version id either (it may remove the last version, or one of several).
//! Writes that `fail` count for nothing. Read-after-write's rule says a read
//! beginning at `b` and ending at `e` may see what write W left when W was
//! invoked no later than `e` and was not *superseded* before `b`: W is
//! superseded at the acknowledgement of the first write invoked after W
//! completed (an `info` write never completes, so it is never superseded;
//! the initial state is superseded by the first acknowledgement of any
//! write). So each write is a *window* of time `[invoked, superseded]`, and
//! a read over `[b, e]` may see presence `x` exactly when `[b, e]` meets a
//! window of a write leaving `x` (`invoked ≤ e` and `superseded ≥ b`):
//!
//! ```text
//! put   [==]                  window of the put:    [=========]   (until the delete's ack)
//! delete       [===]          window of the delete:        [======...   (never superseded)
//! list b..e          [====]   meets only the delete's window: the key must not be listed
//! ```
//!
//! The windows of one presence are merged into disjoint *spans*, sorted, so
//! "may a read over `[b, e]` see `x`" is one binary search, and the times
//! where neither span of absence reaches — the *gaps* — are exactly the
//! reads that must see the key present.
//!
//! Cost: O(n log n) per key, as `read_after_write`.

use crate::op::{Op, Outcome};

/// Merged windows of one presence, disjoint, by start time.
#[derive(Debug, Default)]
pub(crate) struct Spans {
    list: Vec<Span>,
}

/// One merged window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Span {
    /// The earliest invoke among its writes (0 for the initial state).
    pub from: u64,
    /// When it ends: the latest supersede time among its writes; `None`:
    /// never (an `info` write, or one nothing superseded).
    pub to: Option<u64>,
    /// The write whose window ends last (`None`: the initial state).
    pub source: Option<usize>,
    /// The write that superseded `source` at `to`.
    pub by: Option<usize>,
}

impl Spans {
    /// The span a read over `[b, e]` would see, if it sees this presence:
    /// the last span invoked by `e`, when it lasts until `b`. `Err` with the
    /// last span invoked by `e` (superseded before `b`), or `Err(None)` when
    /// no write of this presence was invoked by `e`.
    pub fn seen(&self, b: u64, e: u64) -> Result<&Span, Option<&Span>> {
        let invoked = self.list.partition_point(|s| s.from <= e);
        let Some(last) = invoked.checked_sub(1).and_then(|i| self.list.get(i)) else {
            return Err(None);
        };
        match last.to {
            Some(to) if to < b => Err(Some(last)),
            _ => Ok(last),
        }
    }

    /// Every span, by start.
    pub fn all(&self) -> &[Span] {
        &self.list
    }

    /// Merges windows `(from, to, source, by)` (any order).
    fn merge(mut windows: Vec<Span>) -> Spans {
        windows.sort_unstable_by_key(|w| (w.from, w.source));
        let mut list: Vec<Span> = Vec::with_capacity(windows.len());
        for w in windows {
            match list.last_mut() {
                Some(last) if last.to.is_none_or(|to| w.from <= to) => {
                    if lateness(w.to) > lateness(last.to) {
                        (last.to, last.source, last.by) = (w.to, w.source, w.by);
                    }
                }
                _ => list.push(w),
            }
        }
        Spans { list }
    }
}

/// How late a span ends; never is latest.
fn lateness(to: Option<u64>) -> u64 {
    to.unwrap_or(u64::MAX)
}

/// One key's spans of presence and of absence.
#[derive(Debug, Default)]
pub(crate) struct Presence {
    pub present: Spans,
    pub absent: Spans,
    /// The put or cas invoked first, if any.
    pub first_put: Option<usize>,
}

impl Presence {
    /// `writes`: the key's operations that are writes (put, cas, delete —
    /// by version id too), any order; others are skipped.
    pub fn new(writes: &[&Op]) -> Presence {
        let writes: Vec<&Op> = (writes.iter().copied())
            .filter(|op| op.f.is_write() && op.outcome != Outcome::Fail)
            .collect();
        // Acknowledged writes by invoke time, and the earliest
        // acknowledgement among each suffix: who supersedes what.
        let mut acked: Vec<(u64, u64, usize)> = (writes.iter())
            .filter(|op| op.outcome == Outcome::Ok)
            .filter_map(|op| Some((op.invoke_time, op.complete_time?, op.index)))
            .collect();
        acked.sort_unstable();
        let mut earliest: Vec<Option<(u64, usize)>> = vec![None; acked.len() + 1];
        for (i, &(_, done, op)) in acked.iter().enumerate().rev() {
            earliest[i] = match earliest[i + 1] {
                Some(later) if later.0 <= done => Some(later),
                _ => Some((done, op)),
            };
        }
        let superseded_after = |t: Option<u64>| {
            let from = t.map_or(0, |t| {
                acked.partition_point(|&(invoked, _, _)| invoked <= t)
            });
            earliest.get(from).copied().flatten()
        };
        let (initial_to, initial_by) = superseded_after(None).unzip();
        let mut absent = vec![Span {
            from: 0,
            to: initial_to,
            source: None,
            by: initial_by,
        }];
        let mut present = Vec::with_capacity(writes.len());
        // A delete or a conditional delete (a cas to absent) writes absence.
        let first_put = (writes.iter())
            .filter(|op| op.written().is_some())
            .min_by_key(|op| (op.invoke_time, op.index))
            .map(|op| op.index);
        for op in writes {
            let (to, by) = match op.complete_time {
                Some(done) if op.outcome == Outcome::Ok => superseded_after(Some(done)).unzip(),
                _ => (None, None),
            };
            let span = Span {
                from: op.invoke_time,
                to,
                source: Some(op.index),
                by,
            };
            match (op.written().is_none(), op.version.is_some()) {
                (true, false) => absent.push(span),
                (true, true) => {
                    absent.push(span);
                    present.push(span);
                }
                (false, _) => present.push(span),
            }
        }
        Presence {
            present: Spans::merge(present),
            absent: Spans::merge(absent),
            first_put,
        }
    }

    /// The times a read must see the key present: every gap between two
    /// spans of absence, as `(after, before, span)`: a read over `[b, e]`
    /// with `after < b` and `e < before` (`None`: no end) meets no window
    /// of absence. `span` is the span of absence the gap follows.
    pub fn gaps(&self) -> impl Iterator<Item = (u64, Option<u64>, &Span)> {
        let spans = self.absent.all();
        spans.iter().enumerate().filter_map(|(i, span)| {
            let after = span.to?;
            Some((after, spans.get(i + 1).map(|next| next.from), span))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::History;
    use crate::op::pair;

    fn presence(text: &str) -> (Vec<Op>, Presence) {
        let ops = pair(&History::parse(text).expect("valid"));
        let refs: Vec<&Op> = ops.iter().collect();
        let presence = Presence::new(&refs);
        (ops, presence)
    }

    #[test]
    fn a_put_then_a_delete_leave_one_gap_of_presence() {
        let (_, p) = presence(
            r#"{"process":0,"type":"invoke","f":"put","key":"k","value":"a","time":10}
{"process":0,"type":"ok","f":"put","key":"k","value":"a","time":20}
{"process":0,"type":"invoke","f":"delete","key":"k","value":null,"time":30}
{"process":0,"type":"ok","f":"delete","key":"k","value":null,"time":40}
"#,
        );
        // Absent: the initial state until the put's ack (20); the delete from 30 on.
        let gaps: Vec<(u64, Option<u64>)> = p.gaps().map(|(a, b, _)| (a, b)).collect();
        assert_eq!(gaps, vec![(20, Some(30))]);
        assert!(p.present.seen(21, 29).is_ok());
        assert!(p.absent.seen(21, 29).is_err());
        assert!(
            p.present.seen(41, 50).is_err(),
            "superseded by the delete at 40"
        );
        assert!(
            p.present.seen(40, 50).is_ok(),
            "acknowledged only as the list began"
        );
        assert!(p.absent.seen(0, 5).is_ok());
    }
}
