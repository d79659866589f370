//! The two guarantees only the converged state can show: monotonic writes
//! and writes-follow-reads. Each looks at the keys whose replicas agree, and
//! at the possible sources of the value they agree on.

use super::{Anomaly, origin, returned};
use crate::analysis::{Analysis, agreed};
use crate::counterexample::{span, value};
use crate::op::{Op, Outcome};
use crate::sources::{Candidate, Sources};
use std::collections::BTreeMap;

/// Every key that converged on a value whose every possible source is an
/// `ok` write its own process followed with another acknowledged write.
pub(super) fn monotonic_writes(analysis: &Analysis) -> Vec<Anomaly> {
    let ops = analysis.ops();
    let mut found = Vec::new();
    for (&key, values) in analysis.held() {
        let (Some(v), Some(part)) = (agreed(values), analysis.key(key)) else {
            continue;
        };
        let key_ops = part.ops();
        let candidates = converged_sources(part.sources(), v, key_ops);
        let acked = acked_writes(key_ops);
        let next = |c: &Candidate| {
            let w = ops.get(c.op?)?;
            next_write(&acked, w)
        };
        if candidates.is_empty() || !candidates.iter().all(|c| next(c).is_some()) {
            continue;
        }
        let newest = candidates.iter().max_by_key(|c| c.ended);
        if let Some((write, later)) = newest.and_then(|c| Some((c.op?, next(c)?))) {
            found.push(Anomaly::ConvergedOnEarlierWrite {
                key: key.to_owned(),
                write,
                later: later.index,
                sources: candidates.len(),
            });
        }
    }
    found
}

/// Every session that read a key's converged value, when that value has
/// one possible source, and then wrote the key, acknowledged.
pub(super) fn writes_follow_reads(analysis: &Analysis) -> Vec<Anomaly> {
    let mut found = Vec::new();
    for (&key, values) in analysis.held() {
        let (Some(v), Some(part)) = (agreed(values), analysis.key(key)) else {
            continue;
        };
        let sources = part.sources();
        let Some(source) = unique_writer(&converged_sources(sources, v, part.ops())) else {
            continue;
        };
        for session in part.sessions().values() {
            let read_then_write = session
                .iter()
                .position(|op| op.read() == Some(v) && read_only(sources, op, v) == Some(source))
                .and_then(|at| {
                    let later = session.get(at + 1..)?;
                    let write = later.iter().find(|w| acked_write(w))?;
                    Some((session.get(at)?, write))
                });
            if let Some((read, write)) = read_then_write {
                found.push(Anomaly::ConvergedOnReadValue {
                    key: key.to_owned(),
                    read: read.index,
                    source,
                    write: write.index,
                });
            }
        }
    }
    found
}

/// The possible sources of a key's converged value `v`, assuming that
/// acknowledged writes survive (`durability` checks that): the initial state
/// only while no write to the key was acknowledged.
fn converged_sources(sources: &Sources, v: Option<&str>, key_ops: &[&Op]) -> Vec<Candidate> {
    let Some(possible) = sources.possible(v, u64::MAX) else {
        return Vec::new();
    };
    let initial_possible = !key_ops.iter().any(|op| acked_write(op));
    possible
        .all()
        .iter()
        .filter(|c| c.op.is_some() || initial_possible)
        .copied()
        .collect()
}

/// The one write among `candidates`, if there is exactly one and it is not
/// the initial state.
fn unique_writer(candidates: &[Candidate]) -> Option<usize> {
    match candidates {
        [only] => only.op,
        _ => None,
    }
}

/// The write `read` (of `v`) saw, when only one write could have produced it.
fn read_only(sources: &Sources, read: &Op, v: Option<&str>) -> Option<usize> {
    let end = read.complete_time?;
    sources.possible(v, end)?.unique()?.op
}

fn acked_write(op: &Op) -> bool {
    op.f.is_write() && op.outcome == Outcome::Ok
}

/// One key's acknowledged writes per process, in invoke order.
fn acked_writes<'a>(key_ops: &[&'a Op]) -> BTreeMap<u64, Vec<&'a Op>> {
    let mut acked: BTreeMap<u64, Vec<&Op>> = BTreeMap::new();
    for &op in key_ops.iter().filter(|op| acked_write(op)) {
        acked.entry(op.process).or_default().push(op);
    }
    acked
}

/// The acknowledged write its process made after `w` (same key), if `w`
/// itself was acknowledged.
fn next_write<'a>(acked: &BTreeMap<u64, Vec<&'a Op>>, w: &Op) -> Option<&'a Op> {
    if !acked_write(w) {
        return None;
    }
    let list = acked.get(&w.process)?;
    let after = list.partition_point(|o| (o.invoke_time, o.index) <= (w.invoke_time, w.index));
    list.get(after).copied()
}

/// The sentence and the operations involved, for the two converged-state anomalies.
pub(super) fn explain<'o>(
    anomaly: &Anomaly,
    ops: &'o [Op],
) -> (Option<String>, Vec<Option<&'o Op>>) {
    let get = |i: usize| ops.get(i);
    match anomaly {
        Anomaly::ConvergedOnEarlierWrite {
            key,
            write,
            later,
            sources,
        } => {
            let (w1, w2) = (get(*write), get(*later));
            let text = w1.zip(w2).map(|(w1, w2)| {
                let mut text = format!(
                    "{key} converged on {}, {}; but process {} wrote {key} again after that \
                     ({}, {}, acknowledged): its writes did not take effect in order",
                    value(w1.written()),
                    origin(Some(w1)),
                    w1.process,
                    w2.f,
                    span(w2),
                );
                if *sources > 1 {
                    text.push_str(&format!(
                        " (all {sources} possible writes of {} were followed like this; shown: the last one)",
                        value(w1.written())
                    ));
                }
                text
            });
            (text, vec![w1, w2])
        }
        Anomaly::ConvergedOnReadValue {
            key,
            read,
            source,
            write,
        } => {
            let (r, w1, w2) = (get(*read), get(*source), get(*write));
            let text = r.zip(w1).zip(w2).map(|((r, w1), w2)| {
                format!(
                    "{key} converged on {}, {}; but {}, and the process then wrote {key} \
                     ({}, {}, acknowledged): its write was not ordered after the write it had read",
                    value(w1.written()),
                    origin(Some(w1)),
                    returned(r).replacen("read by", "a read by", 1),
                    w2.f,
                    span(w2),
                )
            });
            (text, vec![w1, r, w2])
        }
        _ => (None, Vec::new()),
    }
}
