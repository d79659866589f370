//! The two guarantees a session's own reads can show: read-your-writes and
//! monotonic reads. Each walks every (process, key) session in order, with
//! one [`Sources`] lookup per read: O(n log n) in all.

use super::{Anomaly, origin, returned};
use crate::analysis::Analysis;
use crate::counterexample::{span, value};
use crate::op::{Op, Outcome};
use crate::sources::{Candidate, Point, Sources};
use std::collections::BTreeMap;

/// Every read-your-writes violation (unordered).
pub(super) fn read_your_writes(analysis: &Analysis) -> Vec<Anomaly> {
    let mut found = Vec::new();
    for (_, key) in analysis.keys() {
        for session in key.sessions().values() {
            found.extend(own_writes(session, key.sources()));
        }
    }
    found
}

/// Every monotonic-reads violation (unordered).
pub(super) fn monotonic_reads(analysis: &Analysis) -> Vec<Anomaly> {
    let mut found = Vec::new();
    for (_, key) in analysis.keys() {
        for session in key.sessions().values() {
            found.extend(Monotonic::default().walk(session, key.sources()));
        }
    }
    found
}

/// Read-your-writes on one session of one key.
fn own_writes(session: &[&Op], sources: &Sources) -> Vec<Anomaly> {
    let mut latest: Option<&Op> = None;
    let mut found = Vec::new();
    for &op in session {
        if op.f.is_write() && op.outcome == Outcome::Ok {
            latest = Some(op);
        }
        let (Some(seen), Some(end), Some(write)) = (op.read(), op.complete_time, latest) else {
            continue;
        };
        let (read, write_index) = (op.index, write.index);
        match sources.possible(seen, end) {
            None => found.push(Anomaly::Unwritten {
                read,
                write: write_index,
            }),
            Some(possible) if possible.newest().precedes(write.invoke_time) => {
                found.push(Anomaly::OlderThanOwnWrite {
                    read,
                    write: write_index,
                    source: possible.newest().op,
                    sources: possible.count(),
                });
            }
            Some(_) => {}
        }
    }
    found
}

/// What a session has read so far, for monotonic reads.
#[derive(Default)]
struct Monotonic<'a> {
    /// The latest "every source of what I read began after t": (t, the
    /// read, its first-invoked source).
    floor: Option<(u64, usize, Option<usize>)>,
    /// The reads so far that had a possible source: (op, value).
    reads: Vec<(usize, Option<&'a str>)>,
    /// Per value, its last position in `reads`.
    last_of: BTreeMap<Option<&'a str>, usize>,
}

impl<'a> Monotonic<'a> {
    fn walk(mut self, session: &[&'a Op], sources: &Sources) -> Vec<Anomaly> {
        let mut found = Vec::new();
        for &op in session {
            let (Some(seen), Some(end)) = (op.read(), op.complete_time) else {
                continue;
            };
            let Some(possible) = sources.possible(seen, end) else {
                continue;
            };
            let unique = possible.unique().is_some();
            found.extend(self.judge(op.index, seen, possible.newest(), unique));
            self.observe(op.index, seen, possible.first());
        }
        found
    }

    /// The anomaly of a read of `seen` whose possible source that ended
    /// last is `newest`; `unique`: it is the only possible source.
    fn judge(
        &self,
        read: usize,
        seen: Option<&str>,
        newest: Candidate,
        unique: bool,
    ) -> Option<Anomaly> {
        if let Some((t, earlier, observed)) = self.floor
            && newest.precedes(t)
        {
            let source = newest.op;
            return Some(Anomaly::WentBack {
                earlier,
                read,
                source,
                observed,
            });
        }
        if !unique {
            return None;
        }
        let &(_, previous) = self.reads.last()?;
        let &at = self.last_of.get(&seen).filter(|_| previous != seen)?;
        let (first, _) = *self.reads.get(at)?;
        let (between, _) = *self.reads.get(at + 1)?;
        Some(Anomaly::Returned {
            first,
            between,
            read,
        })
    }

    fn observe(&mut self, read: usize, seen: Option<&'a str>, first: Candidate) {
        if let Point::At(t) = first.invoked
            && self.floor.is_none_or(|(floor, _, _)| t > floor)
        {
            self.floor = Some((t, read, first.op));
        }
        self.last_of.insert(seen, self.reads.len());
        self.reads.push((read, seen));
    }
}

/// The sentence and the operations involved, for the two monotonic-reads anomalies.
pub(super) fn explain<'o>(
    anomaly: &Anomaly,
    ops: &'o [Op],
) -> (Option<String>, Vec<Option<&'o Op>>) {
    let get = |i: usize| ops.get(i);
    match *anomaly {
        Anomaly::WentBack {
            earlier,
            read,
            source,
            observed,
        } => {
            let (r1, r2) = (get(earlier), get(read));
            let (w1, w2) = (observed.and_then(get), source.and_then(get));
            let text = r1.zip(r2).map(|(r1, r2)| {
                format!(
                    "{}, {}; but the same process had already read {} ({}), {}, \
                     and that write began after this one completed: the reads went back in time",
                    returned(r2),
                    origin(w2),
                    value(r1.read().flatten()),
                    span(r1),
                    origin(w1),
                )
            });
            (text, vec![w2, w1, r1, r2])
        }
        Anomaly::Returned {
            first,
            between,
            read,
        } => {
            let (r1, rb, r2) = (get(first), get(between), get(read));
            let text = r1.zip(rb).zip(r2).map(|((r1, rb), r2)| {
                format!(
                    "{}, which it had read before ({}) and then left for {} ({}); \
                     {} has only one possible write, so the reads went back",
                    returned(r2),
                    span(r1),
                    value(rb.read().flatten()),
                    span(rb),
                    value(r2.read().flatten()),
                )
            });
            (text, vec![r1, rb, r2])
        }
        _ => (None, Vec::new()),
    }
}
