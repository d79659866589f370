//! The smaller variants of a failing scenario that `shrink` tries, most
//! promising first.
//!
//! Each candidate is the user's document with one edit. Edits that keep what
//! the seed does up to some point come first, because they keep a narrow race
//! intact: removing faults (halves of the list, then one at a time), cutting
//! the run short (a shorter faulty phase with `think` pinned to its resolved
//! value, so every client draws the same operations at the same times until
//! the new end; faults starting after it go), dropping the last client (the
//! others keep their share of `ops`, and their RNG streams are per client),
//! and lowering the `ops` cap (again with `think` pinned: each client does a
//! prefix of what it did). Then the edits that redraw the run: back-to-back
//! operations, fewer keys, one kind of operation fewer in the mix, anti-entropy
//! rounds twice as often, one node fewer (faults naming it dropped, its
//! partition groups without it). Last, each fault is shortened and moved
//! earlier (an earlier fault lets a later candidate cut the run shorter; a
//! buggify hit also to an earlier pass), and
//! the whole run is compressed with its faults moved along (every time
//! halved).

use crate::scenario_edit::ScenarioDoc;
use crate::shrink::explicit::fault_tables;
use check::CheckName;
use sim::Scenario;
use sim::scenario::{Fault, FaultKind, Mix, format_duration};
use std::time::Duration;
use toml::Value;

/// The think time tried to pack operations together.
pub const SHORT_THINK: &str = "1ms";

/// The finest step faults are moved or shortened by.
const FAULT_STEP: Duration = Duration::from_micros(1);

/// A candidate: what was changed, in words, and the document.
pub struct Candidate {
    pub what: String,
    pub doc: ScenarioDoc,
}

/// Smaller variants of `doc` (which `scenario` is, resolved), most promising
/// first; see the module's doc. `anomaly_end` is when the anomaly's
/// operations had all completed on the failing seed, if known: the first
/// candidate cuts the run just after it. `invoked` is how many operations
/// the failing seed invoked: the `ops` cap may be far above it (a shorter
/// phase ended the clients first), and smaller caps are drawn from it.
pub fn candidates(
    doc: &ScenarioDoc,
    scenario: &Scenario,
    target: CheckName,
    anomaly_end: Option<Duration>,
    invoked: u64,
) -> Vec<Candidate> {
    let mut out = Vec::new();
    let mut push = |what: String, doc: ScenarioDoc| out.push(Candidate { what, doc });
    let faults = &scenario.faults;
    let pinned = pin_think(doc, scenario);
    // Nothing after the anomaly is needed to reach it.
    if let Some(end) = anomaly_end.map(|e| ceil_step(e) + FAULT_STEP)
        && end < scenario.duration
    {
        let what = format!("cut just after the anomaly, at {}", format_duration(end));
        push(what, truncated(&pinned, faults, end));
    }
    let with_faults = |doc: &ScenarioDoc, faults: &[Fault]| {
        let mut d = doc.clone();
        d.set_array_of_tables("faults", &fault_tables(faults));
        d
    };
    let n = faults.len();
    if n >= 4 {
        let half = n / 2;
        push(
            format!("faults {}-{} removed", half + 1, n),
            with_faults(doc, &faults[..half]),
        );
        push(
            format!("faults 1-{half} removed"),
            with_faults(doc, &faults[half..]),
        );
    }
    for i in (0..n).rev() {
        let mut rest = faults.clone();
        rest.remove(i);
        push(format!("fault {} removed", i + 1), with_faults(doc, &rest));
    }
    if doc.get("nemesis").is_some() {
        let mut d = doc.clone();
        d.remove("nemesis");
        push("nemesis removed".into(), d);
    }

    // Edits that redraw the run: a smaller random instance of the same race.
    let w = &scenario.workload;
    let ops = invoked.clamp(1, w.ops.max(1));
    if ops > 1
        && let Some(half) = readable_at_most(scenario.duration / 2)
    {
        // Fewer operations in less time keeps their density, and so their overlap.
        let mut d = truncated(doc, faults, half);
        set(&mut d, "workload.ops", Value::Integer(int(ops / 2)));
        push(format!("ops {} in {}", ops / 2, format_duration(half)), d);
    }
    if doc.get("workload.think").as_ref().and_then(Value::as_str) != Some(SHORT_THINK) {
        // As many operations as ran, back to back.
        let mut d = with(doc, "workload.think", Value::String(SHORT_THINK.into()));
        set(&mut d, "workload.ops", Value::Integer(int(ops)));
        push(format!("think {SHORT_THINK}"), d);
    }
    if ops > 1 {
        // Half as many operations over the same time: the ones left are
        // drawn anew, and one of the few may still land in the window.
        let think = format_duration(floor_step(w.think * 2).max(FAULT_STEP));
        let mut d = with(doc, "workload.think", Value::String(think.clone()));
        set(&mut d, "workload.ops", Value::Integer(int(ops / 2)));
        push(format!("ops {}, think {think}", ops / 2), d);
    }
    for (path, now) in [
        ("workload.ops", ops),
        ("workload.clients", u64::from(w.clients)),
        ("workload.keys", u64::from(w.keys)),
    ] {
        // One fewer only near the end: halvings get there faster.
        let one_fewer = if now <= 16 { now - 1 } else { 0 };
        for smaller in [now / 2, now - now / 4, one_fewer] {
            if (1..now).contains(&smaller) {
                let d = with(doc, path, Value::Integer(int(smaller)));
                let name = path.trim_start_matches("workload.");
                push(format!("{name} {smaller}"), d);
            }
        }
    }
    toward_small_workload(doc, w, &mut push);

    // Edits that keep each client's operations (think pinned).
    if let Some(half) = readable_at_most(scenario.duration / 2) {
        let mut d = truncated(&pinned, faults, half);
        if ops > 1 {
            set(&mut d, "workload.ops", Value::Integer(int(ops / 2)));
        }
        push(format!("cut short at {}", format_duration(half)), d);
    }
    if w.clients > 1 {
        let (share, extra) = (w.ops / u64::from(w.clients), w.ops % u64::from(w.clients));
        let kept = u64::from(w.clients - 1);
        let ops = share * kept + extra.min(kept);
        if ops >= 1 {
            let mut d = with(&pinned, "workload.clients", Value::Integer(int(kept)));
            set(&mut d, "workload.ops", Value::Integer(int(ops)));
            push(format!("client {} removed", w.clients - 1), d);
        }
    }
    // One fewer only near the end: cutting at the anomaly does it wholesale.
    let one_fewer = if ops <= 16 { ops - 1 } else { 0 };
    for smaller in [ops / 2, ops - ops / 4, one_fewer] {
        if (1..ops).contains(&smaller) {
            let d = with(&pinned, "workload.ops", Value::Integer(int(smaller)));
            push(format!("ops {smaller}, think pinned"), d);
        }
    }

    // One kind of operation fewer: a convergence failure needs no reads,
    // a stale read no deletes.
    // As many operations of the other kinds, over the same time.
    for (what, weight, mix) in mixes_without_one_kind(w.mix, w.s3.as_ref().map(|s3| s3.mix)) {
        let kept = 1.0 - weight;
        let mut d = with(doc, "workload.mix", mix);
        let fewer = ((ops as f64 * kept).ceil() as u64).max(1);
        set(&mut d, "workload.ops", Value::Integer(int(fewer)));
        let think = floor_step(w.think.div_f64(kept)).max(FAULT_STEP);
        set(
            &mut d,
            "workload.think",
            Value::String(format_duration(think)),
        );
        push(format!("no {what} in the mix (ops {fewer})"), d);
    }
    // Background rounds twice as often: what they do (spread a write the
    // anomaly needs, say) happens sooner, so a later cut keeps fewer operations.
    if let Some(every) = scenario.cluster.anti_entropy
        && let Some(half) = readable_at_most(every / 2)
    {
        let d = with(
            doc,
            "cluster.anti_entropy",
            Value::String(format_duration(half)),
        );
        push(format!("anti-entropy every {}", format_duration(half)), d);
    }

    let c = &scenario.cluster;
    if c.spares > 0 || c.nodes > 1 {
        let spare = if c.spares > 0 { "spare " } else { "" };
        push(
            format!("{spare}node {} removed", c.nodes - 1),
            one_node_fewer(doc, scenario),
        );
    }
    if let Some(half) = readable_at_most(scenario.duration / 2) {
        push(
            format!("faulty phase {}", format_duration(half)),
            truncated(&pinned, faults, half),
        );
    }
    if !judges_the_final_state(target)
        && let Some(half) = readable_at_most(scenario.quiesce / 2)
    {
        let d = with(doc, "quiesce", Value::String(format_duration(half)));
        push(format!("quiesce {}", format_duration(half)), d);
    }

    // Each fault shorter (as short as can be first: halving a crash of
    // 100 ms down to 1 µs would spend twenty candidates), then earlier.
    for (i, fault) in faults.iter().enumerate() {
        let half = floor_step(fault.duration / 2).max(FAULT_STEP);
        for shorter in [FAULT_STEP, half] {
            if !matches!(fault.kind, FaultKind::ClockJump { .. })
                && shorter < fault.duration
                && (shorter == half || half > FAULT_STEP)
            {
                let mut edited = faults.clone();
                edited[i].duration = shorter;
                let what = format!("fault {} lasts {}", i + 1, format_duration(shorter));
                push(what, with_faults(doc, &edited));
            }
        }
    }
    for (i, fault) in faults.iter().enumerate() {
        // At the start, else halfway there.
        for at in [Duration::ZERO, floor_step(fault.at / 2)] {
            if at < fault.at && (at.is_zero() || at >= Duration::from_millis(1)) {
                let mut edited = faults.clone();
                edited[i].at = at;
                let mut what = format!("fault {} at {}", i + 1, format_duration(at));
                // A buggify hit is aimed by its pass: an earlier one, too.
                if let FaultKind::Buggify(hit) = &mut edited[i].kind {
                    hit.pass = if at.is_zero() {
                        1
                    } else {
                        hit.pass.div_ceil(2)
                    };
                    what = format!("{what}, pass {}", hit.pass);
                }
                push(what, with_faults(doc, &edited));
            }
        }
    }
    // The whole run twice as fast, faults moved along.
    if let Some(half) = readable_at_most(scenario.duration / 2) {
        let scale = half.as_secs_f64() / scenario.duration.as_secs_f64();
        let moved: Vec<Fault> = (faults.iter())
            .map(|f| Fault {
                at: floor_step(f.at.mul_f64(scale)),
                duration: floor_step(f.duration.mul_f64(scale)).max(if f.duration.is_zero() {
                    Duration::ZERO
                } else {
                    FAULT_STEP
                }),
                kind: f.kind.clone(),
            })
            .collect();
        let mut d = with_faults(doc, &moved);
        set(&mut d, "duration", Value::String(format_duration(half)));
        let think = floor_step(w.think.mul_f64(scale)).max(FAULT_STEP);
        set(
            &mut d,
            "workload.think",
            Value::String(format_duration(think)),
        );
        push(format!("compressed to {}", format_duration(half)), d);
    }
    out
}

/// Workload edits that jump toward a small race rather than halve (a
/// swarm point pinned at 88 keys, skew 0.78 and 7 clients, say, may only
/// fail again far from there): the key draw less skewed (uniform, then
/// half the exponent), a few keys (4, 2, 1), two clients; at most six
/// candidates, each one value changed.
fn toward_small_workload(
    doc: &ScenarioDoc,
    w: &sim::scenario::Workload,
    push: &mut impl FnMut(String, ScenarioDoc),
) {
    if w.key_skew > 0.0 {
        let half = (w.key_skew / 2.0 * 1e6).floor() / 1e6;
        for skew in [0.0, half] {
            if skew < w.key_skew && (skew == 0.0 || half > 0.01) {
                let d = with(doc, "workload.key_skew", Value::Float(skew));
                push(format!("key_skew {skew}"), d);
            }
        }
    }
    // Halving reaches these too, through values that may not fail.
    let keys = u64::from(w.keys);
    for few in [4, 2, 1] {
        if few < keys / 2 {
            let d = with(doc, "workload.keys", Value::Integer(few as i64));
            push(format!("keys {few}"), d);
        }
    }
    if w.clients > 4 {
        let d = with(doc, "workload.clients", Value::Integer(2));
        push("clients 2".to_string(), d);
    }
}

/// The mix without each of its kinds in turn (when two or more have a
/// weight; the S3 kinds too), the others scaled up to add up to 1 again:
/// `(kind, its weight, mix)`. Six decimals each, as the scenario's own hint
/// writes them; where their sum strays from 1 the heaviest kind takes the
/// rounding, so that the weights sum to 1 within the scenario's tolerance.
fn mixes_without_one_kind(
    mix: Mix,
    object: Option<sim::scenario::ObjectMix>,
) -> Vec<(&'static str, f64, Value)> {
    let o = object.unwrap_or_default();
    let kinds = [
        ("get", mix.get),
        ("put", mix.put),
        ("delete", mix.delete),
        ("cas", mix.cas),
        ("list", o.list),
        ("get-version", o.get_version),
        ("delete-version", o.delete_version),
        ("list-versions", o.list_versions),
        ("cas-delete", o.cas_delete),
    ];
    let weighted = kinds.iter().filter(|(_, w)| *w > 0.0).count();
    if weighted < 2 {
        return Vec::new();
    }
    let six = |w: f64| (w * 1e6).round() / 1e6;
    let mut out = Vec::new();
    for (gone, weight) in kinds {
        if weight <= 0.0 {
            continue;
        }
        let rest = 1.0 - weight;
        let others: Vec<(&str, f64)> = (kinds.iter())
            .filter(|(kind, w)| *kind != gone && *w > 0.0)
            .map(|&(kind, w)| (kind, w / rest))
            .collect();
        let heaviest = (others.iter())
            .enumerate()
            .max_by(|a, b| a.1.1.total_cmp(&b.1.1))
            .map_or(0, |(i, _)| i);
        let mut table = toml::Table::new();
        for (kind, w) in &others {
            table.insert(kind.to_string(), Value::Float(six(*w)));
        }
        // Each weight rounded alone where that sums to 1 (the candidates
        // shrink has always tried), else the heaviest takes the rounding.
        let sum: f64 = others.iter().map(|(_, w)| six(*w)).sum();
        if (sum - 1.0).abs() > sim::scenario::MIX_SUM_TOLERANCE / 2.0 {
            let (kind, w) = others[heaviest];
            let rest = sum - six(w);
            table.insert(kind.to_string(), Value::Float(six(1.0 - rest)));
        }
        out.push((gone, weight, Value::Table(table)));
    }
    out
}

/// The document with `workload.think` set to the value it resolves to, so
/// that changing `ops`, `clients` or `duration` does not change it (the
/// default think depends on all three).
fn pin_think(doc: &ScenarioDoc, scenario: &Scenario) -> ScenarioDoc {
    let think = format_duration(scenario.workload.think);
    with(doc, "workload.think", Value::String(think))
}

/// The document with the faulty phase cut to `end`: faults starting at or
/// after it are dropped (the others heal at the new end if still active).
fn truncated(doc: &ScenarioDoc, faults: &[Fault], end: Duration) -> ScenarioDoc {
    let mut d = with(doc, "duration", Value::String(format_duration(end)));
    if faults.iter().any(|f| f.at >= end) {
        let kept: Vec<Fault> = faults.iter().filter(|f| f.at < end).cloned().collect();
        d.set_array_of_tables("faults", &fault_tables(&kept));
    }
    d
}

/// The document with the last node gone, valid by construction: a spare
/// when there are spares (`spares` one fewer), else the last member
/// (`nodes` one fewer, N, W and R at most the members left). Whatever
/// names the node goes with it: faults (joins, leaves and replacements
/// included; partition groups lose it, a partition that no longer
/// separates anyone goes), `[[cluster.slow]]` entries and
/// `[[network.links]]` from or to it; a `max_down` above the nodes left is
/// lowered, and nemesis families the smaller cluster cannot draw (crash
/// with `max_down` 0, a bridge in two nodes, membership with nothing to
/// join or leave) are dropped, `[nemesis]` with them if none is left.
fn one_node_fewer(doc: &ScenarioDoc, scenario: &Scenario) -> ScenarioDoc {
    let c = &scenario.cluster;
    let gone = c.nodes - 1;
    let nodes = c.nodes - 1; // spares counted
    let mut d = doc.clone();
    let (spares, replicas) = if c.spares > 0 {
        let spares = c.spares - 1;
        set(&mut d, "cluster.spares", Value::Integer(i64::from(spares)));
        (spares, c.replicas)
    } else {
        set(&mut d, "cluster.nodes", Value::Integer(i64::from(nodes)));
        for (path, now) in [
            ("cluster.replicas", c.replicas),
            ("cluster.write_quorum", c.write_quorum),
            ("cluster.read_quorum", c.read_quorum),
        ] {
            // Written out where the file gives it or its default no longer fits.
            if doc.get(path).is_some() || now > nodes {
                set(&mut d, path, Value::Integer(i64::from(now.min(nodes))));
            }
        }
        (0, c.replicas.min(nodes))
    };
    let kept: Vec<Fault> = (scenario.faults.iter())
        .filter_map(|f| without_node(f, gone, nodes))
        .collect();
    if kept != scenario.faults {
        d.set_array_of_tables("faults", &fault_tables(&kept));
    }
    let names = |entry: &Value, keys: &[&str]| {
        (keys.iter()).any(|k| entry.get(k).and_then(Value::as_integer) == Some(i64::from(gone)))
    };
    d.retain_entries("cluster.slow", |e| !names(e, &["node"]));
    d.retain_entries("network.links", |e| !names(e, &["from", "to"]));
    if let Some(n) = &scenario.nemesis {
        let max_down = match doc.get("nemesis.max_down") {
            Some(_) => {
                let lowered = n.max_down.min(nodes);
                set(
                    &mut d,
                    "nemesis.max_down",
                    Value::Integer(i64::from(lowered)),
                );
                lowered
            }
            None => sim::scenario::Nemesis::default_max_down(nodes),
        };
        let mut left = 0;
        for &(family, weight) in &n.families {
            if weight <= 0.0 {
                continue;
            }
            if family
                .impossible_in(nodes, max_down, spares, replicas)
                .is_some()
            {
                d.remove(&format!("nemesis.families.{}", family.as_str()));
            } else {
                left += 1;
            }
        }
        if left == 0 {
            d.remove("nemesis");
        }
    }
    d
}

/// `fault` in a cluster of `nodes` nodes without node `gone` (the last).
fn without_node(fault: &Fault, gone: u32, nodes: u32) -> Option<Fault> {
    let kind = match &fault.kind {
        FaultKind::Partition { groups } => {
            let groups: Vec<Vec<u32>> = (groups.iter())
                .map(|g| {
                    g.iter()
                        .copied()
                        .filter(|&n| n != gone)
                        .collect::<Vec<u32>>()
                })
                .filter(|g| !g.is_empty())
                .collect();
            let separates =
                groups.len() > 1 || groups.first().is_some_and(|g| g.len() < nodes as usize);
            if groups.is_empty() || !separates {
                return None;
            }
            FaultKind::Partition { groups }
        }
        FaultKind::Isolate { node }
        | FaultKind::Bridge { node }
        | FaultKind::Crash { node }
        | FaultKind::Pause { node }
        | FaultKind::ClockJump { node, .. }
        | FaultKind::BuggifyWindow { node }
        | FaultKind::Buggify(sim::scenario::BugHit { node, .. })
            if *node == gone =>
        {
            return None;
        }
        FaultKind::Clog { from, to } if *from == gone || *to == gone => return None,
        FaultKind::Join { node } | FaultKind::Leave { node } if *node == gone => return None,
        FaultKind::Replace { node, by } if *node == gone || *by == gone => return None,
        FaultKind::Messages(m) => {
            let keep = |set: &Option<Vec<u32>>| match set {
                None => Some(None),
                Some(nodes) => {
                    let kept: Vec<u32> = nodes.iter().copied().filter(|&n| n != gone).collect();
                    (!kept.is_empty()).then_some(Some(kept))
                }
            };
            let mut m = m.clone();
            m.from = keep(&m.from)?;
            m.to = keep(&m.to)?;
            FaultKind::Messages(m)
        }
        FaultKind::RandomHalves if nodes < 2 => return None,
        other => other.clone(),
    };
    Some(Fault {
        kind,
        ..fault.clone()
    })
}

/// Whether `check` judges what the replicas hold after the liveness phase
/// (`final` lines). For those, a shorter `quiesce` manufactures failures of
/// its own (anti-entropy had no time to spread the last writes), so shrink
/// never shortens it: the anomaly it keeps is the original's.
fn judges_the_final_state(check: CheckName) -> bool {
    matches!(
        check,
        CheckName::MonotonicWrites
            | CheckName::WritesFollowReads
            | CheckName::Convergence
            | CheckName::LostUpdate
            | CheckName::Durability
    )
}

fn with(doc: &ScenarioDoc, path: &str, value: Value) -> ScenarioDoc {
    let mut d = doc.clone();
    set(&mut d, path, value);
    d
}

fn set(doc: &mut ScenarioDoc, path: &str, value: Value) {
    doc.set(path, value)
        .expect("a scenario's paths' parents are tables");
}

/// A count as a TOML integer (counts are bounded far below `i64::MAX` by
/// validation).
fn int(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// `d` rounded up to a whole number of [`FAULT_STEP`]s.
fn ceil_step(d: Duration) -> Duration {
    floor_step(d + FAULT_STEP - Duration::from_nanos(1))
}

/// `d` rounded down to a whole number of [`FAULT_STEP`]s.
fn floor_step(d: Duration) -> Duration {
    let step = FAULT_STEP.as_nanos();
    Duration::from_nanos(u64::try_from(d.as_nanos() / step * step).unwrap_or(u64::MAX))
}

/// The smallest of 1, 2, 5, 10, 20, 50, ... ms that is at least `floor`
/// (`None` beyond a day).
pub fn readable_at_least(floor: Duration) -> Option<Duration> {
    let mut decade = Duration::from_millis(1);
    for _ in 0..12 {
        for step in [1, 2, 5] {
            if decade * step >= floor {
                return Some(decade * step);
            }
        }
        decade *= 10;
    }
    None
}

/// The largest of 1, 2, 5, 10, 20, 50, ... ms that is at most `limit`
/// (`None` under 1 ms): a shrunk duration reads `"2ms"` or `"500ms"`, and
/// each step still at least halves it.
pub fn readable_at_most(limit: Duration) -> Option<Duration> {
    let mut best = None;
    let mut decade = Duration::from_millis(1);
    // Durations are at most 24 h, under 10⁸ ms: eight decades suffice.
    for _ in 0..12 {
        for step in [1, 2, 5] {
            let candidate = decade * step;
            if candidate > limit {
                return best;
            }
            best = Some(candidate);
        }
        decade *= 10;
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &str = "name = \"x\"\ndescription = \"d\"\nduration = \"10s\"\nquiesce = \"2s\"\n\
        [workload]\nops = 100\n\
        [[faults]]\nkind = \"partition\"\ngroups = [[0, 1], [2]]\nat = \"9s\"\nduration = \"1s\"\n\
        [[faults]]\nkind = \"crash\"\nnode = 0\nat = \"1s\"\nduration = \"1s\"\n";

    fn all(target: CheckName) -> Vec<Candidate> {
        let doc = ScenarioDoc::parse(DOC).unwrap();
        let scenario = Scenario::parse(DOC, "x.toml").unwrap();
        candidates(
            &doc,
            &scenario,
            target,
            Some(Duration::from_millis(2500)),
            100,
        )
    }

    /// Issue 11, defect 10: halving `quiesce` made convergence or durability
    /// fail only because anti-entropy had no time.
    #[test]
    fn quiesce_is_kept_whole_for_checks_of_the_final_state() {
        let original = ScenarioDoc::parse(DOC).unwrap().get("quiesce");
        for check in [
            CheckName::Convergence,
            CheckName::Durability,
            CheckName::LostUpdate,
        ] {
            assert!(
                all(check).iter().all(|c| c.doc.get("quiesce") == original),
                "{check}: a candidate changed quiesce"
            );
        }
        assert!(
            all(CheckName::ReadAfterWrite)
                .iter()
                .any(|c| c.doc.get("quiesce") != original),
            "read-after-write: quiesce may shrink"
        );
    }

    /// Every candidate is a valid scenario: faults past a shorter phase are
    /// dropped, faults naming a removed node too, times stay in range.
    #[test]
    fn every_candidate_validates() {
        for c in all(CheckName::ReadAfterWrite) {
            Scenario::parse(&c.doc.to_toml(), "c.toml")
                .unwrap_or_else(|e| panic!("{}: {e}\n{}", c.what, c.doc.to_toml()));
        }
    }

    /// Issue 16: one node fewer takes with it everything that names the
    /// node — a slow node, its links, its joins, leaves and replacements —
    /// and, with spares, it is a spare that goes (the members stay).
    #[test]
    fn one_node_fewer_drops_what_names_the_node() {
        let members = "name = \"x\"\ndescription = \"d\"\nduration = \"4s\"\n\
            [cluster]\nnodes = 3\nreplicas = 2\n\
            [[cluster.slow]]\nnode = 2\nservice_time = { dist = \"fixed\", value = \"1ms\" }\n\
            [[cluster.slow]]\nnode = 0\nservice_time = { dist = \"fixed\", value = \"1ms\" }\n\
            [network]\nbandwidth = \"1Gbit/s\"\n\
            [[network.links]]\nfrom = 2\nto = 0\nbandwidth = \"10MB/s\"\n\
            [[network.links]]\nfrom = 0\nto = 1\nboth = true\nbandwidth = \"10MB/s\"\n\
            [[faults]]\nkind = \"leave\"\nnode = 2\nat = \"1s\"\n\
            [nemesis]\nmax_down = 3\nfamilies = { crash = 1, bridge = 1, partition = 1 }\n";
        let spares = "name = \"x\"\ndescription = \"d\"\nduration = \"4s\"\n\
            [cluster]\nnodes = 3\nspares = 1\nreplicas = 3\n\
            [[faults]]\nkind = \"join\"\nnode = 3\nat = \"1s\"\n\
            [[faults]]\nkind = \"replace\"\nnode = 0\nby = 3\nat = \"2s\"\n\
            [nemesis]\nfamilies = { membership = 1 }\n";
        let fewer = |text: &str| {
            let doc = ScenarioDoc::parse(text).unwrap();
            let scenario = Scenario::parse(text, "x.toml").unwrap();
            let all = candidates(&doc, &scenario, CheckName::ReadAfterWrite, None, 100);
            let c = (all.into_iter())
                .find(|c| c.what.ends_with("removed") && c.what.contains("node"))
                .expect("a node-removal candidate");
            let parsed = Scenario::parse(&c.doc.to_toml(), "c.toml")
                .unwrap_or_else(|e| panic!("{}: {e}\n{}", c.what, c.doc.to_toml()));
            (c.what, parsed)
        };
        let (what, s) = fewer(members);
        assert_eq!(what, "node 2 removed");
        assert_eq!((s.cluster.nodes, s.cluster.replicas), (2, 2));
        assert_eq!(
            s.cluster.service.slow.keys().copied().collect::<Vec<_>>(),
            [0]
        );
        let links: Vec<(u32, u32)> = s.network.links.iter().map(|l| (l.from, l.to)).collect();
        assert_eq!(links, [(0, 1), (1, 0)]);
        assert!(s.faults.is_empty(), "node 2's leave went");
        let n = s.nemesis.expect("partition is still possible");
        let on: Vec<&str> = (n.families.iter())
            .filter(|(_, w)| *w > 0.0)
            .map(|(f, _)| f.as_str())
            .collect();
        assert_eq!(on, ["partition", "crash"], "a bridge needs 3 nodes");
        assert_eq!(n.max_down, 2);

        let (what, s) = fewer(spares);
        assert_eq!(what, "spare node 3 removed");
        assert_eq!((s.cluster.nodes, s.cluster.spares), (3, 0));
        assert!(s.faults.is_empty(), "the spare's join and replacement went");
        assert!(s.nemesis.is_none(), "nothing can join or leave");
    }

    /// Issue 13, item 4: faults are shortened and moved earlier one by one,
    /// and cutting the run short pins `think`, so clients keep their operations.
    #[test]
    fn faults_are_shortened_and_moved_earlier_and_cuts_pin_think() {
        let whats: Vec<String> = all(CheckName::ReadAfterWrite)
            .into_iter()
            .map(|c| c.what)
            .collect();
        for wanted in [
            "fault 1 removed",
            "fault 2 lasts 500ms",
            "fault 2 lasts 1us",
            "fault 2 at 4500ms",
            "cut short at 5s",
            "cut just after the anomaly, at 2500001us",
            "node 2 removed",
            "compressed to 5s",
            "no get in the mix (ops 50)",
            "anti-entropy every 200ms",
        ] {
            assert!(whats.iter().any(|w| w == wanted), "{wanted}: {whats:?}");
        }
        for absent in ["key_skew 0", "keys 4"] {
            assert!(!whats.iter().any(|w| w == absent), "{absent}: {whats:?}");
        }
        let cut = all(CheckName::ReadAfterWrite)
            .into_iter()
            .find(|c| c.what == "cut short at 5s")
            .unwrap();
        assert!(cut.doc.get("workload.think").is_some());
        assert_eq!(cut.doc.array_len("faults"), 1, "the fault at 9s is gone");
    }

    /// Issue 13: a pinned swarm point (many keys, a skewed draw, many
    /// clients) gets candidates that jump toward a small workload, and a
    /// buggify hit is moved to an earlier pass.
    #[test]
    fn a_pinned_point_jumps_toward_small_and_hits_move_to_earlier_passes() {
        let text = DOC.replace(
            "[workload]\nops = 100\n",
            "[workload]\nops = 100\nkeys = 88\nkey_skew = 0.784456\nclients = 7\n",
        ) + "[[faults]]\nkind = \"buggify\"\nnode = 1\nat = \"4s\"\nduration = \"3ms\"\npoint = \"after-apply\"\naction = \"crash\"\npass = 9\n";
        let doc = ScenarioDoc::parse(&text).unwrap();
        let scenario = Scenario::parse(&text, "x.toml").unwrap();
        let all = candidates(&doc, &scenario, CheckName::ReadAfterWrite, None, 100);
        let find = |what: &str| {
            let c = (all.iter()).find(|c| c.what == what);
            c.unwrap_or_else(|| {
                panic!(
                    "{what}: {:?}",
                    all.iter().map(|c| &c.what).collect::<Vec<_>>()
                )
            })
        };
        for (what, path, value) in [
            ("key_skew 0", "workload.key_skew", Value::Float(0.0)),
            (
                "key_skew 0.392228",
                "workload.key_skew",
                Value::Float(0.392228),
            ),
            ("keys 4", "workload.keys", Value::Integer(4)),
            ("keys 1", "workload.keys", Value::Integer(1)),
            ("clients 2", "workload.clients", Value::Integer(2)),
        ] {
            assert_eq!(find(what).doc.get(path), Some(value), "{what}");
        }
        for (what, pass) in [("fault 2 at 0s, pass 1", 1), ("fault 2 at 2s, pass 5", 5)] {
            let moved = Scenario::parse(&find(what).doc.to_toml(), "m.toml").unwrap();
            let hit = (moved.faults.iter())
                .find_map(|f| match f.kind {
                    FaultKind::Buggify(h) => Some(h),
                    _ => None,
                })
                .unwrap();
            assert_eq!(hit.pass, pass, "{what}");
        }
        for c in &all {
            Scenario::parse(&c.doc.to_toml(), "c.toml")
                .unwrap_or_else(|e| panic!("{}: {e}\n{}", c.what, c.doc.to_toml()));
        }
    }
}

#[cfg(test)]
mod every_scenario {
    use super::*;

    /// Every candidate of every scenario the repository ships (also the
    /// wrong designs and benchmarks: membership, spares, slow nodes,
    /// per-link bandwidth, nemeses) is a valid scenario.
    #[test]
    fn every_candidate_of_every_shipped_scenario_validates() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
        let mut files = Vec::new();
        for dir in [root.clone(), root.join("wrong"), root.join("bench")] {
            for entry in std::fs::read_dir(&dir).unwrap() {
                let path = entry.unwrap().path();
                if path.extension().is_some_and(|e| e == "toml") {
                    files.push(path);
                }
            }
        }
        files.sort();
        assert!(files.len() > 50, "{} scenario files", files.len());
        let mut broken = Vec::new();
        for path in &files {
            let text = std::fs::read_to_string(path).unwrap();
            let doc = ScenarioDoc::parse(&text).unwrap();
            let scenario = Scenario::parse(&text, "x.toml").unwrap();
            let ops = scenario.workload.ops;
            for c in candidates(&doc, &scenario, CheckName::ReadAfterWrite, None, ops) {
                if let Err(e) = Scenario::parse(&c.doc.to_toml(), "c.toml") {
                    broken.push(format!("{} / {}: {e}", path.display(), c.what));
                }
            }
        }
        assert!(broken.is_empty(), "{}", broken.join("\n"));
    }
}
