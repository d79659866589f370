//! Counterexamples for people: one sentence saying what cannot be ordered,
//! and the operations involved on a shared timeline (`counterexample`).

use super::conditional::DoubleWin;
use super::model::{ABSENT, KeyOps, Kind};
use super::search::Stuck;
use super::zones::{Conflict, Side};
use crate::counterexample::{label, span, timeline, value};
use crate::finding::{self, Finding};
use crate::ms::{Precision, format_ms};
use crate::op::Op;

/// A counterexample: its text, and the same as data.
pub(crate) struct Explained {
    pub text: String,
    pub finding: Finding,
}

/// Resolves positions in `KeyOps::ops` to the history's operations.
pub(crate) struct Ctx<'a> {
    pub key: &'a KeyOps<'a>,
    pub ops: &'a [Op],
}

impl<'a> Ctx<'a> {
    fn op(&self, pos: u32) -> Option<&'a Op> {
        let index = self.key.ops.get(pos as usize)?.index;
        self.ops.get(index)
    }

    /// `p3 get k1 -> c2-4 (12.300–13.000 ms)`.
    fn named(&self, pos: u32) -> String {
        self.op(pos).map_or_else(
            || "an operation".to_owned(),
            |op| format!("{} ({})", label(op), span(op)),
        )
    }

    fn invoked(&self, pos: Option<u32>) -> String {
        pos.and_then(|p| self.op(p)).map_or_else(
            || "the beginning".to_owned(),
            |op| format_ms(op.invoke_time, Precision::Fit),
        )
    }

    fn completed(&self, pos: Option<u32>) -> String {
        match pos.and_then(|p| self.op(p)).map(|op| op.complete_time) {
            Some(Some(t)) => format_ms(t, Precision::Fit),
            Some(None) => "never".to_owned(),
            None => "the beginning".to_owned(),
        }
    }

    /// The sentence and a timeline of `involved` (deduplicated, by invoke
    /// time), and the involved [`Op::index`]es as given (the one at fault first).
    fn with_timeline(&self, sentence: String, involved: &[Option<u32>]) -> Explained {
        self.with_timeline_as(finding::Kind::NotLinearizable, sentence, involved)
    }

    /// As [`Ctx::with_timeline`], with a finding of `kind`.
    fn with_timeline_as(
        &self,
        kind: finding::Kind,
        sentence: String,
        involved: &[Option<u32>],
    ) -> Explained {
        let mut list: Vec<&Op> = involved
            .iter()
            .flatten()
            .filter_map(|&p| self.op(p))
            .collect();
        let indices: Vec<Option<usize>> = list.iter().map(|op| Some(op.index)).collect();
        let finding = Finding::new(kind, self.key.key, &indices, self.ops);
        list.sort_by_key(|op| (op.invoke_time, op.index));
        list.dedup_by_key(|op| op.index);
        Explained {
            text: format!("{sentence}\n{}", timeline(&list)),
            finding,
        }
    }

    /// Whether the operation at `pos` is a conditional delete (a cas to absent).
    fn deletes(&self, pos: u32) -> bool {
        matches!(
            self.key.ops.get(pos as usize).map(|op| op.kind),
            Some(Kind::Cas { to: ABSENT, .. })
        )
    }

    /// The last put or cas writing `state` invoked by `by`, for context.
    fn a_write_of(&self, state: u32, by: Option<u64>) -> Option<u32> {
        let pos = self.key.ops.iter().rposition(|op| {
            let writes = match op.kind {
                Kind::Put(v) | Kind::Cas { to: v, .. } => v == state,
                Kind::Get(_) => false,
            };
            writes && by.is_none_or(|t| op.invoke <= t)
        })?;
        u32::try_from(pos).ok()
    }
}

/// A fast-path conflict.
pub(crate) fn conflict(ctx: &Ctx, c: &Conflict) -> Explained {
    let key = ctx.key.key;
    match *c {
        Conflict::NeverWritten { read } => ctx.with_timeline(
            format!("no order explains {}: no put on {key} wrote that value", ctx.named(read)),
            &[Some(read)],
        ),
        Conflict::FromFuture { read, write } => ctx.with_timeline(
            format!(
                "no order explains {}: the only write of that value, {}, began after the read completed",
                ctx.named(read),
                ctx.named(write)
            ),
            &[Some(read), Some(write)],
        ),
        Conflict::NoSource { read, source, superseder } => {
            let from = source.map_or_else(|| "the initial state".to_owned(), |s| ctx.named(s));
            ctx.with_timeline(
                format!(
                    "no order explains {}: every write of absent that it could see was overwritten \
                     before it began; the last one, {from}, by {}, acknowledged at {}",
                    ctx.named(read),
                    ctx.named(superseder),
                    ctx.completed(Some(superseder))
                ),
                &[Some(read), Some(superseder), source],
            )
        }
        Conflict::Cycle { first, second } => cycle(ctx, first, second),
    }
}

/// Two conditional writes that both applied the same condition, in S3's
/// words: "two creates both succeeded" (`If-None-Match: *`), or "two
/// conditional writes both replaced v" (`If-Match`: one update lost). On
/// an object (the cas carries an object descriptor: a conditional
/// PutObject of the S3 workload) the condition is said of the object's
/// current version, and `If-Match` names the ETag it carried when the
/// write of `v` is known.
pub(crate) fn double_win(ctx: &Ctx, d: &DoubleWin) -> Explained {
    let key = ctx.key.key;
    let (a, b) = (ctx.named(d.first), ctx.named(d.second));
    let involved = [Some(d.first), Some(d.second), d.source];
    let object = ctx.op(d.first).is_some_and(|op| op.object.is_some());
    if d.from == ABSENT {
        let deletes = ctx.key.ops.iter().any(|op| op.kind == Kind::Put(ABSENT));
        let gap = if deletes {
            "no delete of the key could have come between them"
        } else {
            "nothing deleted the key"
        };
        let absent = if object {
            "had no current object"
        } else {
            "was absent"
        };
        let sentence = format!(
            "two creates both succeeded on {key}: {a} and {b} were each to write only if {key} \
             {absent} (If-None-Match: *), and {gap}, so the second had to fail with 412"
        );
        return ctx.with_timeline_as(finding::Kind::DoubleCreate, sentence, &involved);
    }
    let v = value(ctx.key.value(d.from));
    let source = d
        .source
        .map_or_else(String::new, |s| format!(" (written by {})", ctx.named(s)));
    let deletes = [d.first, d.second].map(|p| ctx.deletes(p));
    if deletes.contains(&true) {
        let sentence = conditional_deletes(ctx, d, deletes, &v, &source);
        return ctx.with_timeline_as(finding::Kind::LostConditionalUpdate, sentence, &involved);
    }
    let sentence = if object {
        let etag = (d.source)
            .and_then(|s| ctx.op(s))
            .and_then(|op| op.object.as_ref()?.etag.clone())
            .map_or_else(|| "its ETag".to_owned(), |etag| format!("ETag {etag}"));
        format!(
            "two conditional writes both replaced {v} on {key}: {a} and {b} were each to write \
             only if the current object of {key} was {v}{source} (If-Match: {etag}), and nothing \
             wrote {v} again between them, so one update was lost: the second had to fail with 412"
        )
    } else {
        format!(
            "two conditional writes both replaced {v} on {key}: {a} and {b} were each to write \
             only if {key} held {v}{source} (If-Match), and nothing wrote {v} again between them, \
             so one update was lost: the second had to fail with 412"
        )
    };
    ctx.with_timeline_as(finding::Kind::LostConditionalUpdate, sentence, &involved)
}

/// Two conditional requests on `v` of which one or both were conditional
/// deletes (S3's DeleteObject `If-Match`, a cas to absent), in S3's words:
/// "two conditional deletes both succeeded", or a delete and a write that
/// both acted on one ETag.
fn conditional_deletes(
    ctx: &Ctx,
    d: &DoubleWin,
    deletes: [bool; 2],
    v: &str,
    source: &str,
) -> String {
    let key = ctx.key.key;
    let (a, b) = (ctx.named(d.first), ctx.named(d.second));
    let etag = (d.source)
        .and_then(|s| ctx.op(s))
        .and_then(|op| op.object.as_ref()?.etag.clone())
        .map_or_else(|| "its ETag".to_owned(), |etag| format!("ETag {etag}"));
    let what = if deletes == [true, true] {
        "two conditional deletes both succeeded".to_owned()
    } else {
        "a conditional delete and a conditional write both succeeded".to_owned()
    };
    format!(
        "{what} on {key}: {a} and {b} were each to act only if the current object of {key} was \
         {v}{source} (If-Match: {etag}), and nothing wrote {v} again between them, so the second \
         had to fail with 412"
    )
}

/// "c1-7", "absent (the initial state)", "absent (left by p2's delete)".
fn cluster_name(ctx: &Ctx, side: &Side) -> String {
    match (side.write, ctx.key.value(side.state)) {
        (None, _) => "absent (the initial state)".to_owned(),
        (Some(w), None) => {
            let p = ctx.op(w).map_or(0, |op| op.process);
            format!("absent (left by p{p}'s delete at {})", ctx.invoked(Some(w)))
        }
        (Some(_), Some(v)) => value(Some(v)),
    }
}

/// Two clusters that must each come first. A lone write inside a value's
/// zone is the familiar stale read, and is said that way.
fn cycle(ctx: &Ctx, first: Side, second: Side) -> Explained {
    let lone = |s: &Side| s.write.is_some() && s.done == s.write && s.begun == s.write;
    let read_last = |s: &Side| s.begun.is_some() && s.begun != s.write;
    let involved = [
        first.write,
        first.done,
        first.begun,
        second.write,
        second.done,
        second.begun,
    ];
    let (a, b) = (cluster_name(ctx, &first), cluster_name(ctx, &second));
    for (outer, inner, outer_name, inner_name) in
        [(&first, &second, &a, &b), (&second, &first, &b, &a)]
    {
        if lone(inner) && read_last(outer) && outer.done == outer.write {
            let (Some(read), Some(w)) = (outer.begun, inner.write) else {
                continue;
            };
            let origin = outer
                .write
                .map_or_else(|| "the initial state".to_owned(), |w| ctx.named(w));
            let acked = format!(
                "{}, acknowledged at {}",
                ctx.named(w),
                ctx.completed(Some(w))
            );
            let inner = match ctx.key.value(inner.state) {
                Some(_) => format!("{inner_name} ({acked})"),
                None => acked,
            };
            let sentence = format!(
                "no order explains {}: {inner} must come after {outer_name}'s write, {origin}, \
                 which completed at {} before it began, and before the read, which began at {}",
                ctx.named(read),
                ctx.completed(outer.done),
                ctx.invoked(Some(read)),
            );
            let involved = [Some(read), Some(w)].into_iter().chain(involved);
            return ctx.with_timeline(sentence, &involved.collect::<Vec<_>>());
        }
    }
    let sentence = format!(
        "no order explains {a} and {b} on {}: {a} (its write and every read of it) must come before \
         {b}, since {} completed at {} before {} began at {}; and after it, since {} completed at {} \
         before {} began at {}",
        ctx.key.key,
        done_name(ctx, first.done),
        ctx.completed(first.done),
        done_name(ctx, second.begun),
        ctx.invoked(second.begun),
        done_name(ctx, second.done),
        ctx.completed(second.done),
        done_name(ctx, first.begun),
        ctx.invoked(first.begun),
    );
    ctx.with_timeline(sentence, &involved)
}

fn done_name(ctx: &Ctx, pos: Option<u32>) -> String {
    pos.and_then(|p| ctx.op(p))
        .map_or_else(|| "the initial state".to_owned(), label)
}

/// Where the search got stuck.
pub(crate) fn stuck(ctx: &Ctx, s: &Stuck) -> Explained {
    let key = ctx.key;
    let blocked = key.ops.get(s.blocked as usize);
    let holds = value(key.value(s.state));
    let left = s.setter.map_or_else(
        || "the initial state".to_owned(),
        |w| format!("left by {}", ctx.named(w)),
    );
    let why = match blocked.map(|op| op.kind) {
        Some(Kind::Get(v)) => format!("but it returned {}", value(key.value(v))),
        Some(Kind::Cas { from, to: ABSENT }) if from != ABSENT => format!(
            "but its conditional delete expects {} (If-Match: a delete only of that object)",
            value(key.value(from))
        ),
        Some(Kind::Cas { from, .. }) => format!("but its cas expects {}", value(key.value(from))),
        _ => "and it cannot be placed there".to_owned(),
    };
    let sentence = format!(
        "no order explains {}: at most {} of {} operations on {} can be linearized before it must \
         take effect ({} search steps); there the register holds {holds} ({left}), {why}, and no \
         pending operation can be placed first without contradicting a later one",
        ctx.named(s.blocked),
        s.linearized,
        key.ops.len(),
        key.key,
        s.steps,
    );
    let source = match blocked.map(|op| op.kind) {
        Some(Kind::Get(v)) | Some(Kind::Cas { from: v, .. }) => {
            ctx.a_write_of(v, blocked.and_then(|op| op.complete))
        }
        _ => None,
    };
    let mut involved = vec![Some(s.blocked), s.setter, source];
    involved.extend(s.pending.iter().take(4).map(|&p| Some(p)));
    ctx.with_timeline(sentence, &involved)
}
