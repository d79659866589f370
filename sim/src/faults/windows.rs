//! When each fault was active and what it did: the windows a report shades
//! and explains failures with, recorded by the injector as it applies
//! actions (not reconstructed from the trace's wording). A window's
//! [`Effect`] is data (the links it cut, the node it stopped or stepped), so
//! a report tells which nodes a fault kept apart without reading its name.

use serde::{Deserialize, Serialize};

/// One fault's activity, in scenario nanoseconds; an instant (clock jump)
/// has `start_ns == end_ns`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct FaultWindow {
    pub start_ns: u64,
    pub end_ns: u64,
    /// `partition [n0 n1] | [n2]`, `crash n1`, `pause n2`, `clock-jump n0 by -5ms`.
    pub what: String,
    pub effect: Effect,
}

/// What a fault did to the cluster.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "kind")]
pub enum Effect {
    /// The directed links `(from, to)` it cut (partition, isolate,
    /// random-halves, bridge, clog): messages from `from` to `to` were lost.
    Cut { links: Vec<(u32, u32)> },
    /// The node was down (its unsynced writes lost).
    Crash { node: u32 },
    /// The node was paused (alive, answering nothing).
    Pause { node: u32 },
    /// The node's clock was stepped by `by_ns` (negative: back).
    ClockJump { node: u32, by_ns: i64 },
    /// One task of the node was held up at a fault point (buggify delay).
    Delay { node: u32 },
    /// Messages of `kinds` from `from` to `to` (`None`: any) were dropped,
    /// delayed or duplicated (`action`: the fault's kind, `drop-messages`,
    /// ...), with this probability each.
    Messages {
        action: String,
        kinds: Vec<String>,
        from: Option<Vec<u32>>,
        to: Option<Vec<u32>>,
        delay_ns: u64,
        probability: String,
    },
    /// The operator asked for a membership change (join, leave, replace), or
    /// a movement was under way (from its first layout to its last).
    Membership,
}

/// Open and closed windows of one run.
#[derive(Debug, Default)]
pub struct FaultLog {
    open: Vec<(String, Effect, u64)>,
    done: Vec<FaultWindow>,
}

impl FaultLog {
    /// A fault named `what` doing `effect` starts at `now`.
    pub fn open(&mut self, what: String, effect: Effect, now: u64) {
        self.open.push((what, effect, now));
    }

    /// The earliest open fault named `what` ends at `now` (nothing if none is open).
    pub fn close(&mut self, what: &str, now: u64) {
        if let Some(i) = self.open.iter().position(|(w, _, _)| w == what) {
            let (what, effect, start_ns) = self.open.remove(i);
            self.push(what, effect, start_ns, now);
        }
    }

    /// A fault whose end is known when it starts.
    pub fn span(&mut self, what: String, effect: Effect, start_ns: u64, end_ns: u64) {
        self.push(what, effect, start_ns, end_ns);
    }

    /// A fault that is over as soon as it happens.
    pub fn instant(&mut self, what: String, effect: Effect, now: u64) {
        self.push(what, effect, now, now);
    }

    /// Every open fault ends at `now`.
    pub fn close_all(&mut self, now: u64) {
        for (what, effect, start_ns) in std::mem::take(&mut self.open) {
            self.push(what, effect, start_ns, now);
        }
    }

    /// The windows, sorted by start, end and name; faults still open end at `end_ns`.
    pub fn finish(mut self, end_ns: u64) -> Vec<FaultWindow> {
        self.close_all(end_ns);
        self.done.sort();
        self.done
    }

    fn push(&mut self, what: String, effect: Effect, start_ns: u64, end_ns: u64) {
        debug_assert!(start_ns <= end_ns, "{what} ends before it starts");
        self.done.push(FaultWindow {
            start_ns,
            end_ns,
            what,
            effect,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_pair_starts_with_ends_and_nest() {
        let mut log = FaultLog::default();
        let cut = || Effect::Cut {
            links: vec![(0, 2), (2, 0)],
        };
        let jump = Effect::ClockJump {
            node: 0,
            by_ns: -5_000_000,
        };
        log.open("partition a".into(), cut(), 1);
        log.open("crash n1".into(), Effect::Crash { node: 1 }, 2);
        log.instant("clock-jump n0 by -5ms".into(), jump.clone(), 3);
        log.open("partition a".into(), cut(), 3);
        log.close("crash n1", 4);
        log.close("partition a", 5);
        log.close("pause n9", 5); // never opened: nothing
        log.open("pause n2".into(), Effect::Pause { node: 2 }, 6);
        log.close_all(8);
        log.open("crash n0".into(), Effect::Crash { node: 0 }, 9);
        let effects: Vec<Effect> = log.done.iter().map(|w| w.effect.clone()).collect();
        assert_eq!(effects[1], Effect::Crash { node: 1 }, "{effects:?}");
        let windows: Vec<(u64, u64, String)> = (log.finish(10).into_iter())
            .map(|w| (w.start_ns, w.end_ns, w.what))
            .collect();
        let w = |s, e, what: &str| (s, e, what.to_string());
        assert_eq!(
            windows,
            vec![
                w(1, 5, "partition a"),
                w(2, 4, "crash n1"),
                w(3, 3, "clock-jump n0 by -5ms"),
                w(3, 8, "partition a"),
                w(6, 8, "pause n2"),
                w(9, 10, "crash n0"),
            ]
        );
    }
}
