//! Applies the fault schedule to the running cluster.
//!
//! Faults are data (`scenario::Fault`, from the file and from the nemesis,
//! which builds on this module); [`schedule`] turns them into a list of timed
//! [`Action`]s, drawing what is random (which halves) from the seed before the
//! run starts, and [`FaultInjector`] applies each at its simulated time.

mod inject;
pub mod links;
pub mod windows;

pub use inject::FaultInjector;
pub use links::cut_links;

use crate::scenario::{Fault, FaultKind, MessageAction, MessageFault, Scenario, format_duration};
use links::LinkId;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::time::Duration;

/// The RNG stream (xored into the run seed) that realises random faults.
pub const FAULT_STREAM: u64 = 0xfa17_5eed_0000_0001;

/// One change to the cluster at one time.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// Clog these links (counted: overlapping cuts of one link nest).
    Cut {
        label: String,
        links: Vec<LinkId>,
    },
    /// Undo one `Cut` of these links.
    Mend {
        label: String,
        links: Vec<LinkId>,
    },
    Crash(u32),
    Restart(u32),
    Pause(u32),
    Resume(u32),
    /// Step node `node`'s clock by `by_ns` (negative: back).
    ClockJump {
        node: u32,
        by_ns: i64,
    },
    /// Put a message fault in force (in `fate::Fates`).
    Target {
        label: String,
        fault: MessageFault,
    },
    /// End one `Target` of this label.
    Untarget {
        label: String,
    },
    /// The operator asks the cluster for a membership change.
    Change(store::Change),
    /// A `buggify-window` opens on the node: `[buggify]` draws there.
    Arm(u32),
    /// One `Arm` of the node ends.
    Disarm(u32),
}

impl Action {
    /// Whether the action ends a fault: at equal times, ends go first, so a
    /// node restarted and crashed again at the same instant restarts first.
    fn is_end(&self) -> bool {
        matches!(
            self,
            Action::Mend { .. }
                | Action::Restart(_)
                | Action::Resume(_)
                | Action::Untarget { .. }
                | Action::Disarm(_)
        )
    }
}

/// Every fault of one seed's run as timed actions: the scenario's own faults
/// and `drawn` (what the nemesis drew for this seed, `nemesis::draw`),
/// in time order. Random faults draw from the seed's fault stream.
pub fn plan(scenario: &Scenario, seed: u64, drawn: Vec<Fault>) -> Vec<(Duration, Action)> {
    let mut faults = scenario.faults.clone();
    if !drawn.is_empty() {
        faults.extend(drawn);
        faults.sort_by_key(|f| f.at);
    }
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ FAULT_STREAM);
    schedule(&faults, scenario.cluster.nodes, scenario.duration, &mut rng)
}

/// The timed actions of a schedule, sorted by time (ends before starts at
/// equal times, otherwise in fault order). Faults still active at `end` end
/// there; clock jumps are instants and never end. Random faults draw from `rng`
/// in fault order.
pub fn schedule(
    faults: &[Fault],
    nodes: u32,
    end: Duration,
    rng: &mut impl Rng,
) -> Vec<(Duration, Action)> {
    let mut actions = Vec::new();
    for fault in faults {
        let stop = (fault.at + fault.duration).min(end);
        if let Some((label, links)) = links::cut_by(&fault.kind, nodes, rng) {
            let mend = Action::Mend {
                label: label.clone(),
                links: links.clone(),
            };
            actions.push((fault.at, Action::Cut { label, links }));
            actions.push((stop, mend));
            continue;
        }
        match &fault.kind {
            FaultKind::Messages(m) => {
                let label = message_label(m);
                let end = Action::Untarget {
                    label: label.clone(),
                };
                let target = Action::Target {
                    label,
                    fault: m.clone(),
                };
                actions.push((fault.at, target));
                actions.push((stop, end));
            }
            &FaultKind::Crash { node } => {
                actions.push((fault.at, Action::Crash(node)));
                actions.push((stop, Action::Restart(node)));
            }
            &FaultKind::Pause { node } => {
                actions.push((fault.at, Action::Pause(node)));
                actions.push((stop, Action::Resume(node)));
            }
            &FaultKind::ClockJump { node, by_ns } => {
                actions.push((fault.at, Action::ClockJump { node, by_ns }));
            }
            &FaultKind::Join { node } => {
                actions.push((fault.at, Action::Change(store::Change::Join(node))));
            }
            &FaultKind::Leave { node } => {
                actions.push((fault.at, Action::Change(store::Change::Leave(node))));
            }
            &FaultKind::Replace { node, by } => {
                let change = store::Change::Replace { dead: node, by };
                actions.push((fault.at, Action::Change(change)));
            }
            &FaultKind::BuggifyWindow { node } => {
                actions.push((fault.at, Action::Arm(node)));
                actions.push((stop, Action::Disarm(node)));
            }
            // Explicit hits are taken by the node as it passes the point
            // (`crate::buggify`): nothing happens at `at` itself.
            FaultKind::Buggify(_) => {}
            _ => unreachable!("partition-like faults are cut above"),
        }
    }
    actions.sort_by_key(|(at, action)| (*at, !action.is_end()));
    actions
}

/// A message fault's name in the trace and its window:
/// `drop-messages replica-written from n0 to any`,
/// `delay-messages +5ms replica-write from any to n1 n2 (p 0.5)`.
pub fn message_label(m: &MessageFault) -> String {
    let nodes = |set: &Option<Vec<u32>>| match set {
        None => "any".to_string(),
        Some(nodes) => (nodes.iter().map(|n| format!("n{n}")))
            .collect::<Vec<_>>()
            .join(" "),
    };
    let delay = match m.action {
        MessageAction::Delay(d) => format!(" +{}", format_duration(d)),
        _ => String::new(),
    };
    let p = if m.probability < 1.0 {
        format!(" (p {})", m.probability)
    } else {
        String::new()
    };
    format!(
        "{}{delay} {} from {} to {}{p}",
        m.action.kind_name(),
        m.kinds.join(","),
        nodes(&m.from),
        nodes(&m.to)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    fn fault(at: u64, duration: u64, kind: FaultKind) -> Fault {
        Fault {
            at: Duration::from_millis(at),
            duration: Duration::from_millis(duration),
            kind,
        }
    }

    #[test]
    fn ends_go_first_and_late_faults_end_with_the_phase() {
        let faults = [
            fault(0, 10, FaultKind::Crash { node: 1 }),
            fault(10, 100, FaultKind::Crash { node: 1 }),
            fault(20, 0, FaultKind::ClockJump { node: 0, by_ns: -5 }),
            fault(30, 5, FaultKind::Pause { node: 2 }),
        ];
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let actions = schedule(&faults, 3, Duration::from_millis(50), &mut rng);
        let ms = Duration::from_millis;
        assert_eq!(
            actions,
            vec![
                (ms(0), Action::Crash(1)),
                (ms(10), Action::Restart(1)),
                (ms(10), Action::Crash(1)),
                (ms(20), Action::ClockJump { node: 0, by_ns: -5 }),
                (ms(30), Action::Pause(2)),
                (ms(35), Action::Resume(2)),
                (ms(50), Action::Restart(1)),
            ]
        );
    }

    #[test]
    fn a_cut_is_mended_with_the_same_links() {
        let faults = [fault(1, 2, FaultKind::Isolate { node: 0 })];
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let actions = schedule(&faults, 3, Duration::from_secs(1), &mut rng);
        let (Action::Cut { links: cut, .. }, Action::Mend { links: mended, .. }) =
            (&actions[0].1, &actions[1].1)
        else {
            panic!("{actions:?}");
        };
        assert_eq!(cut, mended);
        assert_eq!(cut.len(), 4);
    }
}
