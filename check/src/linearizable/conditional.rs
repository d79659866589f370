//! Two conditional writes that both succeeded on the same condition: the
//! race S3's conditional writes promise to prevent, found directly.
//!
//! ```text
//! p1 put k1 v            |[==]                        |
//! p2 cas k1 v->c2-1      |      [========]            |   both replaced v, and
//! p3 cas k1 v->c3-1      |         [=======]          |   nothing wrote v again
//! ```
//!
//! Of two `ok` cas with the same `from`, one took effect first and changed
//! the register away from `from` (its `to` differs); the second could only
//! succeed if something wrote `from` again in between. For `If-None-Match: *`
//! (`from` absent) that is a delete; for `If-Match: v`, another write of
//! `v`. When no such write *can* lie between them — there is none besides
//! the one both read from (the initial state, or the only write of `v`), or
//! every other one ended before both began or began after both ended — the
//! key is certainly not linearizable, and the counterexample says it in
//! S3's words: "two creates both succeeded", "two conditional writes both
//! replaced v". Sound, never complete: anything else goes to the search.

use super::model::{ABSENT, KeyOp, KeyOps, Kind};

/// Most pairs of cas examined per key: the race is usually between
/// neighbours in invoke order, which come first.
const PAIRS_MAX: usize = 4096;

/// Two `ok` cas that both applied `from`, with nothing that could have
/// restored it between them. Positions in [`KeyOps::ops`], `first` invoked
/// first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct DoubleWin {
    pub first: u32,
    pub second: u32,
    /// The state both expected ([`ABSENT`]: a create).
    pub from: u32,
    /// The write both read `from` from, when it is the only one (`None`:
    /// the initial state, or several candidates).
    pub source: Option<u32>,
}

/// The first such pair of `key`, in invoke order, if any.
pub(crate) fn double_win(key: &KeyOps) -> Option<DoubleWin> {
    let mut pairs = 0;
    let wins: Vec<(u32, u32)> = (key.ops.iter().enumerate())
        .filter_map(|(pos, op)| match op.kind {
            Kind::Cas { from, to } if op.must() && from != to => Some((pos as u32, from)),
            _ => None,
        })
        .collect();
    for (i, &(first, from)) in wins.iter().enumerate() {
        for &(second, _) in wins[i + 1..].iter().filter(|(_, f)| *f == from) {
            pairs += 1;
            if pairs > PAIRS_MAX {
                return None;
            }
            if let Some(found) = judge(key, first, second, from) {
                return Some(found);
            }
        }
    }
    None
}

/// Whether `first` and `second` (both ok cas from `from`) cannot both have
/// applied: no write of `from` could lie between them.
fn judge(key: &KeyOps, first: u32, second: u32, from: u32) -> Option<DoubleWin> {
    let (x, y) = (&key.ops[first as usize], &key.ops[second as usize]);
    let sources: Vec<u32> = (key.ops.iter().enumerate())
        .filter(|(_, op)| writes(op, from))
        .map(|(pos, _)| pos as u32)
        .collect();
    let initial = usize::from(from == ABSENT);
    let only = sources.len() + initial <= 1;
    if !only && sources.iter().any(|&s| between(&key.ops[s as usize], x, y)) {
        return None;
    }
    Some(DoubleWin {
        first,
        second,
        from,
        source: if only { sources.first().copied() } else { None },
    })
}

/// Whether `op` leaves the register in `state` (a put of it, a delete for
/// absent, a cas to it).
fn writes(op: &KeyOp, state: u32) -> bool {
    match op.kind {
        Kind::Put(to) | Kind::Cas { to, .. } => to == state,
        Kind::Get(_) => false,
    }
}

/// Whether `w` could take effect after one of `x`, `y` and before the
/// other: it began by the time the later of them completed, and had not
/// completed before the earlier of them began (equal times are
/// concurrent). A superset of the exact condition, so a pair it clears is
/// certainly a double win.
fn between(w: &KeyOp, x: &KeyOp, y: &KeyOp) -> bool {
    let end = |op: &KeyOp| op.complete.unwrap_or(u64::MAX);
    w.invoke <= end(x).max(end(y)) && end(w) >= x.invoke.min(y.invoke)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn op(kind: Kind, invoke: u64, complete: Option<u64>) -> KeyOp {
        KeyOp {
            index: 0,
            kind,
            invoke,
            complete,
        }
    }

    fn key(ops: Vec<KeyOp>) -> KeyOps<'static> {
        KeyOps {
            key: "k",
            ops,
            values: vec!["a", "b", "v"],
        }
    }

    const CREATE_A: Kind = Kind::Cas {
        from: ABSENT,
        to: 1,
    };
    const CREATE_B: Kind = Kind::Cas {
        from: ABSENT,
        to: 2,
    };

    #[test]
    fn two_creates_with_no_delete_between_are_found() {
        let k = key(vec![op(CREATE_A, 1, Some(5)), op(CREATE_B, 2, Some(6))]);
        let found = double_win(&k).expect("found");
        assert_eq!((found.first, found.second, found.from), (0, 1, ABSENT));
    }

    #[test]
    fn a_delete_that_may_lie_between_clears_the_pair() {
        let delete = Kind::Put(ABSENT);
        let between = key(vec![
            op(CREATE_A, 1, Some(2)),
            op(delete, 3, Some(4)),
            op(CREATE_B, 5, Some(6)),
        ]);
        assert_eq!(double_win(&between), None);
        let info_delete = key(vec![
            op(delete, 0, None),
            op(CREATE_A, 1, Some(2)),
            op(CREATE_B, 5, Some(6)),
        ]);
        assert_eq!(
            double_win(&info_delete),
            None,
            "an info delete may land any time"
        );
        let before = key(vec![
            op(delete, 0, Some(1)),
            op(CREATE_A, 2, Some(3)),
            op(CREATE_B, 5, Some(6)),
        ]);
        assert!(double_win(&before).is_some(), "ended before both began");
    }

    #[test]
    fn two_if_match_writes_of_the_only_write_of_a_value_are_found() {
        let put_v = Kind::Put(3);
        let k = key(vec![
            op(put_v, 0, Some(1)),
            op(Kind::Cas { from: 3, to: 1 }, 2, Some(4)),
            op(Kind::Cas { from: 3, to: 2 }, 3, Some(9)),
        ]);
        let found = double_win(&k).expect("found");
        assert_eq!((found.from, found.source), (3, Some(0)));
        // A second write of v that may come between clears it.
        let mut again = k.ops.clone();
        again.push(op(put_v, 5, Some(6)));
        assert_eq!(double_win(&key(again)), None);
    }
}
