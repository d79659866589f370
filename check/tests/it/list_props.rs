//! Properties of `list-after-write`: a sequential execution of a correct
//! object store, with listings, always passes every check; the same history
//! with one listing changed by one key (dropped, or one added) always fails.

use crate::support::{T, del, get, history, list, put};
use check::{CheckName, FindingKind, Verdict};
use proptest::prelude::*;
use std::collections::BTreeSet;

/// Keys `b/d<dir>/k<n>`: 3 folders of 4 keys, so prefixes share keys.
fn key(i: usize) -> String {
    format!("b/d{}/k{}", i / 4, i % 4)
}

/// The prefixes listed: the bucket, each folder, and one key's own name.
const PREFIXES: [&str; 5] = ["b/", "b/d0/", "b/d1/", "b/d2/", "b/d1/k2"];

/// One step: 0 put, 1 delete, 2 get, 3 list; a key index; a prefix index.
fn steps() -> impl Strategy<Value = Vec<(u8, usize, usize)>> {
    proptest::collection::vec((0u8..4, 0usize..12, 0usize..PREFIXES.len()), 1..60)
}

/// The steps run one after another by a correct store, two processes
/// taking turns; each listing shows exactly the keys present under its prefix.
fn sequential(steps: &[(u8, usize, usize)]) -> Vec<T> {
    let mut present: BTreeSet<String> = BTreeSet::new();
    let mut value: Vec<Option<String>> = vec![None; 12];
    let mut ops = Vec::new();
    for (n, &(what, k, p)) in steps.iter().enumerate() {
        let (t, process) = (10 * n as u64, n as u64 % 2);
        let key = key(k);
        match what {
            0 => {
                let v = format!("v{n}");
                ops.push(put(process, &key, &v, t, t + 5));
                present.insert(key);
                value[k] = Some(v);
            }
            1 => {
                ops.push(del(process, &key, t, t + 5));
                present.remove(&key);
                value[k] = None;
            }
            2 => ops.push(get(process, &key, value[k].as_deref(), t, t + 5)),
            _ => {
                let prefix = PREFIXES[p];
                let shown: Vec<&str> = (present.iter())
                    .filter(|k| k.starts_with(prefix))
                    .map(String::as_str)
                    .collect();
                ops.push(list(process, prefix, &shown, t, t + 5));
            }
        }
    }
    ops
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn a_correct_sequential_store_passes_every_check(steps in steps()) {
        let h = history(&sequential(&steps));
        for (check, result) in check::run(&h, CheckName::CHECKABLE) {
            prop_assert!(
                result.verdict != Verdict::Invalid,
                "{check}: {}",
                result.explanation
            );
        }
    }

    #[test]
    fn one_key_more_or_less_in_one_listing_is_caught(
        steps in steps(),
        pick in any::<prop::sample::Index>(),
        flip in 0usize..12,
    ) {
        let ops = sequential(&steps);
        let lists: Vec<usize> = (0..ops.len()).filter(|&i| steps[i].0 == 3).collect();
        prop_assume!(!lists.is_empty());
        let at = lists[pick.index(lists.len())];
        let prefix = PREFIXES[steps[at].2];
        // Flip one key under the prefix (the first one from `flip` on that
        // is under it; every prefix has one).
        let under: Vec<String> = (0..12).map(key).filter(|k| k.starts_with(prefix)).collect();
        let flipped = &under[flip % under.len()];
        let h = history(&ops);
        let mut events = h.events.clone();
        // The list's completion: the event of process `at % 2` with f list ending at 10*at+5.
        let done = events
            .iter_mut()
            .find(|e| e.time == 10 * at as u64 + 5 && e.f == check::Function::List)
            .expect("the listing's completion");
        let check::Value::Keys(keys) = &mut done.value else {
            panic!("an ok list has keys");
        };
        let was_listed = keys.contains(flipped);
        if was_listed {
            keys.retain(|k| k != flipped);
        } else {
            keys.push(flipped.clone());
        }
        let mutated = check::History::new(events, Vec::new());
        let result = check::list_after_write::check(&mutated);
        prop_assert_eq!(result.verdict, Verdict::Invalid);
        let kind = result.findings[0].kind;
        if was_listed {
            prop_assert_eq!(kind, FindingKind::MissingKey);
        } else {
            prop_assert!(matches!(kind, FindingKind::ResurrectedKey | FindingKind::PhantomKey));
        }
        prop_assert_eq!(result.findings[0].key.as_str(), flipped.as_str());
    }
}
