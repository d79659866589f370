//! `linearizable`: is there a total order of the operations, consistent with
//! real time, in which a sequential register explains every result?
//!
//! ```text
//! p1 put k1 a   |[=====]                      |
//! p2 put k1 b   |   [==========]              |   valid: put b, get -> b, put a, get -> a
//! p3 get k1 -> b|      [===]                  |
//! p4 get k1 -> a|                  [====]     |
//! ```
//!
//! Linearizability is P-compositional: a history is linearizable iff each
//! key's sub-history is, so each key is decided alone. Per key:
//!
//! 1. [`model`] keeps what constrains the order: `ok` ops, plus `info`
//!    writes that someone could have observed (`fail` did not happen; an
//!    `info` get observed nothing; an unobserved `info` write can be dropped).
//! 2. [`zones`], the O(n log n) fast path, decides keys where every value is
//!    written at most once, there is no cas, and every read of absent has one
//!    possible source (see its docs for the exact conditions and why).
//! 3. Other keys go to [`search`], Wing–Gong/Lowe with a cache, bounded by
//!    the [`Budget`]: past it the key is `unknown`, never a hang.
//!
//! Before both, [`conditional`] looks for two `ok` cas that both applied
//! the same condition with nothing able to restore it between them (two
//! creates both succeeded; two `If-Match` writes both replaced one value):
//! certainly not linearizable, and explained in S3's words.
//!
//! Every `valid` answer comes with a witness order that is re-checked from
//! scratch by [`model::certify`] (real time and the register's semantics)
//! before it is reported; a failure there would be a bug in this module and
//! turns into `unknown`, never a wrong verdict.
//!
//! Real time: `a` precedes `b` iff `a` completed strictly before `b` began;
//! equal times are concurrent (as in `read_after_write`). `info` ops never
//! complete: they may take effect at any time after their invoke, or never.

mod cache;
mod conditional;
mod explain;
mod model;
mod search;
mod zones;

use crate::analysis::Analysis;
use crate::budget::Budget;
use crate::finding::{FINDINGS_MAX, Finding};
use crate::history::History;
use crate::op::{Op, pair};
use crate::verdict::{CheckResult, Verdict};
use std::collections::BTreeMap;

/// Which algorithm decides a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Method {
    /// The fast path where it applies, else the search (what [`check`] uses).
    Auto,
    /// Always the search.
    Search,
    /// Only the fast path; keys it cannot decide are `unknown` (for tests
    /// comparing the two algorithms).
    Zones,
}

/// What was found about one key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyReport {
    pub verdict: Verdict,
    /// The algorithm that produced the verdict ([`Method::Zones`] or [`Method::Search`]).
    pub method: Method,
    /// Operations of the key the model considered (see [`model`]).
    pub operations: usize,
    /// Valid: [`Op::index`]es in a linearization order (every ok op, and the
    /// `info` writes that took effect). Otherwise empty.
    pub order: Vec<usize>,
    /// Invalid: how many operations the longest linearizable prefix found
    /// holds (search), or 0 (fast path). Valid: `operations`.
    pub linearized: usize,
    /// Empty when valid; else the counterexample or why it is unknown.
    pub explanation: String,
    /// Invalid: the counterexample as data.
    pub finding: Option<Finding>,
    /// Search steps taken (0 on the fast path).
    pub steps: u64,
}

/// Runs the check: `Valid`, `Invalid` (the first key in key order explained,
/// `anomalies` = keys not linearizable) or `Unknown`.
pub fn check(history: &History, budget: &Budget) -> CheckResult {
    summarize(&analyze(history, budget, Method::Auto))
}

/// [`check`] on a history already prepared.
pub(crate) fn judge(analysis: &Analysis, budget: &Budget) -> CheckResult {
    summarize(&analyze_keys(analysis, budget, Method::Auto))
}

/// [`check`] with a chosen algorithm.
pub fn check_with(history: &History, budget: &Budget, method: Method) -> CheckResult {
    summarize(&analyze(history, budget, method))
}

/// A linearization of every key (`key → Op::index`es in order), if the
/// history is linearizable within the budget.
pub fn witness(history: &History, budget: &Budget) -> Option<BTreeMap<String, Vec<usize>>> {
    let reports = analyze(history, budget, Method::Auto);
    reports
        .into_iter()
        .map(|(key, r)| (r.verdict == Verdict::Valid).then_some((key, r.order)))
        .collect()
}

/// Decides every key, in key order. The `max_steps` budget applies to each
/// key's search; the `stop` predicate to all of them.
pub fn analyze(history: &History, budget: &Budget, method: Method) -> BTreeMap<String, KeyReport> {
    let ops = pair(history);
    analyze_keys(&Analysis::new(&ops, &history.finals), budget, method)
}

/// [`analyze`] on a history already prepared.
fn analyze_keys(
    analysis: &Analysis,
    budget: &Budget,
    method: Method,
) -> BTreeMap<String, KeyReport> {
    analysis
        .keys()
        .map(|(key, part)| {
            // The history's order (the same as invoke order once validated).
            let mut key_ops: Vec<&Op> = part.ops().to_vec();
            key_ops.sort_by_key(|op| op.index);
            let compiled = model::compile(key, &key_ops);
            (
                key.to_owned(),
                decide(&compiled, analysis.ops(), budget, method),
            )
        })
        .collect()
}

fn decide(key: &model::KeyOps, ops: &[Op], budget: &Budget, method: Method) -> KeyReport {
    let ctx = explain::Ctx { key, ops };
    if method == Method::Auto
        && let Some(double) = conditional::double_win(key)
    {
        // Certainly not linearizable, and worth saying in S3's words.
        let found = explain::double_win(&ctx, &double);
        return invalid(&ctx, Method::Search, found, 0, 0);
    }
    if method != Method::Search {
        match zones::decide(key) {
            zones::Outcome::Linearizable(order) => return valid(&ctx, Method::Zones, order, 0),
            zones::Outcome::NotLinearizable(c) => {
                let found = explain::conflict(&ctx, &c);
                return invalid(&ctx, Method::Zones, found, 0, 0);
            }
            zones::Outcome::NotApplicable(why) if method == Method::Zones => {
                let text = format!("{}: the fast path does not apply ({why})", key.key);
                return report(&ctx, Verdict::Unknown, Method::Zones, text, 0, 0);
            }
            zones::Outcome::NotApplicable(_) => {}
        }
    }
    match search::search(key, budget) {
        search::Outcome::Linearizable { order, steps } => valid(&ctx, Method::Search, order, steps),
        search::Outcome::NotLinearizable(stuck) => {
            let found = explain::stuck(&ctx, &stuck);
            invalid(&ctx, Method::Search, found, stuck.linearized, stuck.steps)
        }
        search::Outcome::GaveUp { steps, why } => {
            let n = key.ops.len();
            let text = match why {
                search::Limit::Steps => format!(
                    "{}: gave up after {steps} search steps on {n} operations (the limit is {} steps per key)",
                    key.key, budget.max_steps
                ),
                search::Limit::Stopped => {
                    format!(
                        "{}: stopped after {steps} search steps on {n} operations (time limit)",
                        key.key
                    )
                }
                search::Limit::Memory => format!(
                    "{}: gave up after {steps} search steps on {n} operations: the search cache reached its memory cap ({} MiB per key)",
                    key.key, budget.max_memory_mib
                ),
            };
            report(&ctx, Verdict::Unknown, Method::Search, text, 0, steps)
        }
    }
}

/// A valid report, once `order` passes [`model::certify`].
fn valid(ctx: &explain::Ctx, method: Method, order: Vec<u32>, steps: u64) -> KeyReport {
    if let Err(why) = model::certify(ctx.key, &order) {
        debug_assert!(false, "uncertified witness for {}: {why}", ctx.key.key);
        let text = format!(
            "{}: internal error, the {method:?} witness failed its certification ({why}); please report this history",
            ctx.key.key
        );
        return report(ctx, Verdict::Unknown, method, text, 0, steps);
    }
    KeyReport {
        verdict: Verdict::Valid,
        method,
        operations: ctx.key.ops.len(),
        order: order
            .iter()
            .map(|&p| ctx.key.ops[p as usize].index)
            .collect(),
        linearized: order.len(),
        explanation: String::new(),
        finding: None,
        steps,
    }
}

/// An invalid report with its counterexample.
fn invalid(
    ctx: &explain::Ctx,
    method: Method,
    found: explain::Explained,
    linearized: usize,
    steps: u64,
) -> KeyReport {
    KeyReport {
        finding: Some(found.finding),
        ..report(ctx, Verdict::Invalid, method, found.text, linearized, steps)
    }
}

fn report(
    ctx: &explain::Ctx,
    verdict: Verdict,
    method: Method,
    explanation: String,
    linearized: usize,
    steps: u64,
) -> KeyReport {
    KeyReport {
        verdict,
        method,
        operations: ctx.key.ops.len(),
        order: Vec::new(),
        linearized,
        explanation,
        finding: None,
        steps,
    }
}

/// Keys listed in a summary line, at most.
const KEYS_LISTED_MAX: usize = 5;

fn listed<'a>(keys: impl Iterator<Item = &'a String>) -> String {
    let keys: Vec<&str> = keys.map(String::as_str).collect();
    let mut text = keys
        .iter()
        .take(KEYS_LISTED_MAX)
        .copied()
        .collect::<Vec<_>>()
        .join(", ");
    if keys.len() > KEYS_LISTED_MAX {
        text.push_str(", …");
    }
    text
}

/// One result for the whole history: verdicts merge (invalid > unknown >
/// valid); the first invalid key (in key order) is explained.
pub fn summarize(reports: &BTreeMap<String, KeyReport>) -> CheckResult {
    let with = |v: Verdict| reports.iter().filter(move |(_, r)| r.verdict == v);
    let verdict = reports
        .values()
        .fold(Verdict::Valid, |v, r| v.merge(r.verdict));
    let invalid = with(Verdict::Invalid).count();
    let unknown = with(Verdict::Unknown).count();
    let mut explanation = String::new();
    if let Some((key, first)) = with(Verdict::Invalid).next() {
        explanation = format!("key {key}: {}", first.explanation);
        if invalid > 1 {
            let rest = listed(with(Verdict::Invalid).skip(1).map(|(k, _)| k));
            explanation.push_str(&format!(
                "(+{} more keys not linearizable: {rest})\n",
                invalid - 1
            ));
        }
        if unknown > 0 {
            let rest = listed(with(Verdict::Unknown).map(|(k, _)| k));
            explanation.push_str(&format!("({unknown} keys undecided: {rest})\n"));
        }
    } else if unknown > 0 {
        let lines: Vec<&str> = with(Verdict::Unknown)
            .take(KEYS_LISTED_MAX)
            .map(|(_, r)| r.explanation.as_str())
            .collect();
        explanation = lines.join("\n");
        if unknown > KEYS_LISTED_MAX {
            explanation.push_str(&format!(
                "\n(+{} more keys undecided)",
                unknown - KEYS_LISTED_MAX
            ));
        }
    }
    let findings = (with(Verdict::Invalid))
        .filter_map(|(_, r)| r.finding.clone())
        .take(FINDINGS_MAX)
        .collect();
    CheckResult {
        verdict,
        explanation,
        anomalies: invalid,
        findings,
    }
}
