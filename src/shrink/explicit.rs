//! A seed's drawn faults as explicit `[[faults]]` entries.
//!
//! What a nemesis does on a seed is data: `sim::nemesis::plan` draws it from
//! the seed (its own RNG stream) before the run, and the fault schedule
//! realises random halves from another stream, in fault order. Neither stream
//! feeds anything else in the run, so the same faults written out as
//! `[[faults]]` (random halves as the partition they drew) inject the same
//! actions at the same times, and the seed runs the same history: the shrinker
//! checks that (same history hash) before it edits the faults one by one. Once
//! explicit, removing or moving one fault no longer redraws the others.
//!
//! Buggify hits are not known before the run (a node draws at each pass of
//! a point), so they are written out from a run: [`faults_with_hits`] turns
//! each hit the run's injector received into a `buggify` fault naming its
//! node, point, pass, action and hold, and `[buggify]` goes. A node then
//! passes the same points in the same order and sends the same hits.
//!
//! One exception: the nemesis steps a jumped clock back when its fault ends,
//! at the latest when the faulty phase does, and a `[[faults]]` entry must
//! start before then; such a step-back is written [`END_MARGIN`] earlier
//! (the check above says whether that changed the run).

use sim::Scenario;
use sim::buggify::SeenHit;
use sim::faults::{FAULT_STREAM, links};
use sim::scenario::{Fault, FaultKind, MessageAction, MessageFault, format_duration};
use toml::Value;

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use std::time::Duration;

/// How much earlier than the end of the faulty phase a fault drawn at its
/// very end is written (entries must start before the end).
pub const END_MARGIN: Duration = Duration::from_nanos(1);

/// Whether the scenario draws faults from the seed (a nemesis or random halves).
pub fn draws_faults(scenario: &Scenario) -> bool {
    scenario.nemesis.is_some()
        || (scenario.faults.iter()).any(|f| matches!(f.kind, FaultKind::RandomHalves))
}

/// Every fault the run of `seed` injects, the scenario's and the nemesis's,
/// in the order the schedule takes them (sorted by start, the scenario's
/// first at equal starts), random halves realised as the partition `seed`
/// draws for them.
pub fn faults_of_seed(scenario: &Scenario, seed: u64) -> Vec<Fault> {
    let nodes = scenario.cluster.nodes;
    let mut faults = scenario.faults.clone();
    if let Some(nemesis) = &scenario.nemesis {
        let plan = sim::nemesis::plan(nemesis, &faults, nodes, scenario.duration, seed);
        faults.extend(plan.faults);
        faults.sort_by_key(|f| f.at);
    }
    // The same draws, in the same order, as `sim::faults::plan`'s schedule.
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ FAULT_STREAM);
    for fault in &mut faults {
        if fault.kind == FaultKind::RandomHalves {
            let groups = links::random_halves(nodes, &mut rng);
            fault.kind = FaultKind::Partition { groups };
        }
        let last = scenario.duration.saturating_sub(END_MARGIN);
        fault.at = fault.at.min(last);
    }
    faults
}

/// A fault as the entries of its `[[faults]]` table.
pub fn fault_table(fault: &Fault) -> Vec<(&'static str, Value)> {
    let text = |s: String| Value::String(s);
    let index = |n: u32| Value::Integer(i64::from(n));
    let (kind, mut fields) = match &fault.kind {
        FaultKind::Partition { groups } => {
            let groups = (groups.iter())
                .map(|g| Value::Array(g.iter().map(|&n| index(n)).collect()))
                .collect();
            ("partition", vec![("groups", Value::Array(groups))])
        }
        FaultKind::Isolate { node } => ("isolate", vec![("node", index(*node))]),
        FaultKind::RandomHalves => ("random-halves", vec![]),
        FaultKind::Bridge { node } => ("bridge", vec![("node", index(*node))]),
        FaultKind::Clog { from, to } => ("clog", vec![("from", index(*from)), ("to", index(*to))]),
        FaultKind::Crash { node } => ("crash", vec![("node", index(*node))]),
        FaultKind::Pause { node } => ("pause", vec![("node", index(*node))]),
        FaultKind::Messages(m) => message_fields(m),
        FaultKind::ClockJump { node, by_ns } => {
            let sign = if *by_ns < 0 { "-" } else { "" };
            let by = format_duration(Duration::from_nanos(by_ns.unsigned_abs()));
            let fields = vec![("node", index(*node)), ("by", text(format!("{sign}{by}")))];
            ("clock-jump", fields)
        }
        FaultKind::Join { node } => ("join", vec![("node", index(*node))]),
        FaultKind::Leave { node } => ("leave", vec![("node", index(*node))]),
        FaultKind::Replace { node, by } => {
            ("replace", vec![("node", index(*node)), ("by", index(*by))])
        }
        FaultKind::Buggify(hit) => {
            let fields = vec![
                ("node", index(hit.node)),
                ("point", text(hit.point.as_str().to_string())),
                ("action", text(hit.action.as_str().to_string())),
                (
                    "pass",
                    Value::Integer(i64::try_from(hit.pass).unwrap_or(i64::MAX)),
                ),
            ];
            ("buggify", fields)
        }
        FaultKind::BuggifyWindow { node } => ("buggify-window", vec![("node", index(*node))]),
    };
    let mut row = vec![
        ("kind", text(kind.to_string())),
        ("at", text(format_duration(fault.at))),
    ];
    if !matches!(fault.kind, FaultKind::ClockJump { .. }) && !fault.kind.is_membership() {
        row.push(("duration", text(format_duration(fault.duration))));
    }
    row.append(&mut fields);
    row
}

/// A message fault's kind and keys; `from`/`to` only when they name nodes,
/// `probability` only below 1.
fn message_fields(m: &MessageFault) -> (&'static str, Vec<(&'static str, Value)>) {
    let list = |items: Vec<Value>| Value::Array(items);
    let nodes = |set: &[u32]| list(set.iter().map(|&n| Value::Integer(i64::from(n))).collect());
    let kinds = list(m.kinds.iter().map(|k| Value::String(k.clone())).collect());
    let mut fields = vec![("messages", kinds)];
    if let Some(from) = &m.from {
        fields.push(("from", nodes(from)));
    }
    if let Some(to) = &m.to {
        fields.push(("to", nodes(to)));
    }
    if let MessageAction::Delay(d) = m.action {
        fields.push(("delay", Value::String(format_duration(d))));
    }
    if m.probability < 1.0 {
        fields.push(("probability", Value::Float(m.probability)));
    }
    (m.action.kind_name(), fields)
}

/// Whether the scenario's buggify hits come from draws (`[buggify]`).
pub fn draws_buggify(scenario: &Scenario) -> bool {
    scenario.buggify.is_some()
}

/// The faults of a run with its buggify draws written out: the scenario's
/// faults without `buggify-window`s (they only armed the draws), and one
/// explicit `buggify` fault per hit the run's injector received, at the
/// microsecond it happened (rounded down) with its pass, so that exactly
/// that pass is hit again. Sorted by start (stable).
pub fn faults_with_hits(scenario: &Scenario, hits: &[SeenHit]) -> Vec<Fault> {
    let mut faults: Vec<Fault> = (scenario.faults.iter())
        .filter(|f| !matches!(f.kind, FaultKind::BuggifyWindow { .. }))
        .cloned()
        .collect();
    let last = scenario.duration.saturating_sub(END_MARGIN);
    faults.extend(hits.iter().map(|seen| Fault {
        at: Duration::from_micros(seen.at_ns / 1000).min(last),
        duration: seen.hold,
        kind: FaultKind::Buggify(seen.hit),
    }));
    faults.sort_by_key(|f| f.at);
    faults
}

/// The `[[faults]]` tables of a list of faults.
pub fn fault_tables(faults: &[Fault]) -> Vec<Vec<(&'static str, Value)>> {
    faults.iter().map(fault_table).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const NEMESIS: &str = "name = \"n\"\ndescription = \"d\"\nduration = \"2s\"\n\
        [cluster]\nnodes = 5\n[[faults]]\nkind = \"random-halves\"\nat = \"1s\"\nduration = \"1s\"\n\
        [nemesis]\ninterval = \"100ms\"\nduration = \"100ms\"\njump = \"50ms\"\n\
        families = { partition = 1, random-halves = 1, clog = 1, crash = 1, pause = 1, clock-jump = 1, bridge = 1, isolate = 1, messages = 1 }\n";

    /// Written out and read back, a seed's faults are the same faults, and
    /// they name no random draw any more.
    #[test]
    fn a_seeds_faults_round_trip_through_the_file() {
        let scenario = Scenario::parse(NEMESIS, "n.toml").unwrap();
        for seed in 1..20 {
            let faults = faults_of_seed(&scenario, seed);
            assert!(faults.len() > 3, "seed {seed}: {faults:?}");
            assert!(!faults.iter().any(|f| f.kind == FaultKind::RandomHalves));
            let mut doc = crate::scenario_edit::ScenarioDoc::parse(NEMESIS).unwrap();
            doc.remove("nemesis");
            doc.set_array_of_tables("faults", &fault_tables(&faults));
            let again = Scenario::parse(&doc.to_toml(), "explicit.toml")
                .unwrap_or_else(|e| panic!("seed {seed}: {e}\n{}", doc.to_toml()));
            assert_eq!(again.faults, faults, "seed {seed}");
            assert!(again.nemesis.is_none());
        }
    }

    /// A run's buggify hits written out replace `[buggify]` and its windows
    /// with one explicit fault per hit, which reads back as the same hit.
    #[test]
    fn hits_become_explicit_faults_that_read_back() {
        let text = "name = \"n\"\ndescription = \"d\"\nduration = \"2s\"\n\
            [[faults]]\nkind = \"buggify-window\"\nnode = 1\nat = \"1s\"\nduration = \"1s\"\n\
            [[faults]]\nkind = \"crash\"\nnode = 0\nat = \"1s\"\nduration = \"1s\"\n\
            [buggify]\nprobability = 0.5\n";
        let scenario = Scenario::parse(text, "b.toml").unwrap();
        let hit = sim::scenario::BugHit {
            node: 1,
            point: store::buggify::Point::BeforeSync,
            action: sim::scenario::BugAction::Delay,
            pass: 12,
        };
        let seen = SeenHit {
            hit,
            at_ns: 1_500_123_456,
            hold: Duration::from_nanos(2_345_678),
        };
        let faults = faults_with_hits(&scenario, &[seen]);
        assert_eq!(
            faults.len(),
            2,
            "the window goes, the crash stays: {faults:?}"
        );
        let mut doc = crate::scenario_edit::ScenarioDoc::parse(text).unwrap();
        doc.remove("buggify");
        doc.set_array_of_tables("faults", &fault_tables(&faults));
        let again = Scenario::parse(&doc.to_toml(), "explicit.toml").unwrap();
        assert_eq!(again.faults, faults);
        assert_eq!(again.faults[1].kind, FaultKind::Buggify(hit));
        assert_eq!(again.faults[1].at, Duration::from_micros(1_500_123));
        assert_eq!(again.faults[1].duration, seen.hold);
    }
}
