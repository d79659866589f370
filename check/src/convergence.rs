//! `convergence`: after heal and quiesce, every replica of a key holds the same value.
//!
//! Reads the `final` lines only (plus the writes, to know which values
//! exist). What the history can show, and so what this check claims:
//!
//! - *divergence*: two replicas of a key hold different values;
//! - *a value nobody wrote*: a replica holds a value that no put or cas on
//!   that key wrote (ok or info; a failed write did not happen). Under last
//!   write wins the converged value is the highest version *written*, so it
//!   must be one of these.
//!
//! What it cannot show from values alone, and leaves to other checks: that
//! the converged value is the *highest* version (versions are not in the
//! history; `lost-update` compares real time instead), and that an
//! acknowledged write did not vanish (`durability`). "Absent" is never
//! flagged here: the initial state and deletes both leave it.
//!
//! A history without `final` lines is `n/a`.

use crate::analysis::Analysis;
use crate::counterexample::value;
use crate::finding::{FINDINGS_MAX, Finding, Kind};
use crate::history::{Final, History};
use crate::op::pair;
use crate::verdict::CheckResult;
use std::collections::{BTreeMap, BTreeSet};

/// Runs the check; see the module documentation.
pub fn check(history: &History) -> CheckResult {
    let ops = pair(history);
    judge(&Analysis::new(&ops, &history.finals))
}

/// [`check`] on a history already prepared.
pub(crate) fn judge(analysis: &Analysis) -> CheckResult {
    if analysis.finals().is_empty() {
        return CheckResult::not_applicable("the history has no \"final\" lines".to_owned());
    }
    // Some put or cas on `key` that did not fail wrote `v`: `v` has a
    // possible source at any time.
    let written = |key: &str, v: &str| {
        let part = analysis.key(key);
        part.is_some_and(|part| part.sources().possible(Some(v), u64::MAX).is_some())
    };
    let mut by_key: BTreeMap<&str, Vec<&Final>> = BTreeMap::new();
    for fin in analysis.finals() {
        by_key.entry(fin.key.as_str()).or_default().push(fin);
    }
    let ops = analysis.ops();
    let mut problems: Vec<String> = Vec::new();
    let mut findings: Vec<Finding> = Vec::new();
    for (key, finals) in by_key {
        let holders = holders(&finals);
        if holders.len() > 1 {
            problems.push(format!(
                "replicas of {key} disagree after heal and quiesce: {}",
                describe(&holders)
            ));
            // The newest possible source of each value held.
            let sources = analysis.key(key).map(|part| part.sources());
            let involved: Vec<Option<usize>> = (holders.keys())
                .map(|v| sources.and_then(|s| s.possible(*v, u64::MAX)?.newest().op))
                .collect();
            let values: Vec<Option<&str>> = holders.keys().copied().collect();
            let nodes: Vec<u32> = holders.values().flatten().copied().collect();
            findings.push(Finding::new(Kind::Diverged, key, &involved, ops).held(&values, &nodes));
        }
        for (v, nodes) in &holders {
            if let Some(v) = v.filter(|v| !written(key, v)) {
                let held: Vec<u32> = nodes.iter().copied().collect();
                findings.push(
                    Finding::new(Kind::UnwrittenFinal, key, &[], ops).held(&[Some(v)], &held),
                );
                problems.push(format!(
                    "{} of {key} {} {}, a value no put or cas on {key} wrote",
                    nodes_text(nodes),
                    if nodes.len() == 1 { "holds" } else { "hold" },
                    value(Some(v))
                ));
            }
        }
    }
    let Some(first) = problems.first() else {
        return CheckResult::valid();
    };
    let mut explanation = first.clone();
    if problems.len() > 1 {
        explanation.push_str(&format!(" (+{} more)", problems.len() - 1));
    }
    findings.truncate(FINDINGS_MAX);
    CheckResult::invalid(explanation, problems.len(), findings)
}

/// The nodes holding each value of one key (`None` = absent), nodes ascending.
fn holders<'a>(finals: &[&'a Final]) -> BTreeMap<Option<&'a str>, BTreeSet<u32>> {
    let mut holders: BTreeMap<Option<&str>, BTreeSet<u32>> = BTreeMap::new();
    for fin in finals {
        holders
            .entry(fin.value.as_deref())
            .or_default()
            .insert(fin.node);
    }
    holders
}

/// "nodes 0 and 2 hold c0-1; node 1 holds absent".
fn describe(holders: &BTreeMap<Option<&str>, BTreeSet<u32>>) -> String {
    let parts: Vec<String> = holders
        .iter()
        .map(|(v, nodes)| {
            let verb = if nodes.len() == 1 { "holds" } else { "hold" };
            format!("{} {verb} {}", nodes_text(nodes), value(*v))
        })
        .collect();
    parts.join("; ")
}

/// "node 1", "nodes 0 and 2", "nodes 0, 2 and 4".
fn nodes_text(nodes: &BTreeSet<u32>) -> String {
    let names: Vec<String> = nodes.iter().map(u32::to_string).collect();
    match names.as_slice() {
        [] => "no node".to_owned(),
        [one] => format!("node {one}"),
        [init @ .., last] => format!("nodes {} and {last}", init.join(", ")),
    }
}
