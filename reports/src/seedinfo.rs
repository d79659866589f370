//! `seeds/<S>/run.json`: what a kept seed's run looked like besides its
//! history — each node's clock error and the fault windows — so a report can
//! shade faults on the timeline and name the likely cause of an anomaly.
//!
//! ```json
//! {"clocks":[{"node":0,"offset_ns":-1234,"drift_ppm":3.5}],
//!  "faults":[{"start_ns":2000000000,"end_ns":5000000000,"what":"partition [n0 n1] | [n2]",
//!             "effect":{"kind":"cut","links":[[0,2],[1,2],[2,0],[2,1]]}}]}
//! ```
//!
//! A fault's `effect` is what it did, as data (`cut` with the directed
//! links it cut, `crash`/`pause` with the node, `clock-jump` with the node
//! and step, `messages` with the message kinds, senders and addressees a
//! targeted message fault dropped, delayed or duplicated); `what` is only its name for people. A `run.json` written
//! before effects were recorded has none: its faults are shown, never used
//! to say which nodes were kept apart.

use serde::{Deserialize, Serialize};

/// One kept seed's run.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SeedInfo {
    pub clocks: Vec<ClockInfo>,
    /// Sorted by start.
    pub faults: Vec<FaultWindow>,
}

/// A node's clock error, as drawn from the seed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClockInfo {
    pub node: u32,
    pub offset_ns: i64,
    pub drift_ppm: f64,
}

/// A fault active from `start_ns` to `end_ns` (scenario time); an instant
/// fault (a clock jump) has `end_ns == start_ns`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FaultWindow {
    pub start_ns: u64,
    pub end_ns: u64,
    /// The fault's name, for people only.
    pub what: String,
    /// What it did; `None` in a `run.json` from before effects were recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub effect: Option<Effect>,
}

/// What a fault did to the cluster (as `sim::faults::windows::Effect`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "kind")]
pub enum Effect {
    /// The directed links `(from, to)` it cut.
    Cut {
        links: Vec<(u32, u32)>,
    },
    Crash {
        node: u32,
    },
    Pause {
        node: u32,
    },
    ClockJump {
        node: u32,
        by_ns: i64,
    },
    /// One task of the node was held up at a fault point (buggify delay).
    Delay {
        node: u32,
    },
    /// Messages of `kinds` from `from` to `to` (`None`: any) were dropped,
    /// delayed (by `delay_ns`) or duplicated — `action` is the fault's kind
    /// (`drop-messages`, `delay-messages`, `duplicate-messages`) — each with
    /// `probability` (a decimal, as written).
    Messages {
        action: String,
        kinds: Vec<String>,
        from: Option<Vec<u32>>,
        to: Option<Vec<u32>>,
        delay_ns: u64,
        probability: String,
    },
    /// A membership request or a movement under way (join, leave, replace).
    Membership,
}

impl FaultWindow {
    /// Whether the fault cut a link between `a` and `b`, either way: the
    /// directions cut (`(a→b, b→a)`), or `None` when it cut neither.
    pub fn cut_between(&self, a: u32, b: u32) -> Option<(bool, bool)> {
        let Some(Effect::Cut { links }) = &self.effect else {
            return None;
        };
        let ab = links.contains(&(a, b));
        let ba = links.contains(&(b, a));
        (a != b && (ab || ba)).then_some((ab, ba))
    }

    /// The node the fault stopped or whose clock it stepped, if any.
    pub fn node(&self) -> Option<u32> {
        match self.effect {
            Some(
                Effect::Crash { node }
                | Effect::Pause { node }
                | Effect::Delay { node }
                | Effect::ClockJump { node, .. },
            ) => Some(node),
            Some(Effect::Cut { .. } | Effect::Messages { .. } | Effect::Membership) | None => None,
        }
    }

    /// Whether the fault was active at some time in `[from, to]`.
    pub fn overlaps(&self, from: u64, to: u64) -> bool {
        self.start_ns <= to && from <= self.end_ns
    }
}

impl SeedInfo {
    /// Pretty JSON with a trailing newline.
    pub fn to_json(&self) -> String {
        let mut text = serde_json::to_string_pretty(self).expect("seed info always serialises");
        text.push('\n');
        text
    }

    pub fn parse(text: &str) -> Result<SeedInfo, serde_json::Error> {
        serde_json::from_str(text)
    }

    /// Node `node`'s clock offset, if known.
    pub fn offset_ns(&self, node: u32) -> Option<i64> {
        self.clocks
            .iter()
            .find(|c| c.node == node)
            .map(|c| c.offset_ns)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_documented_format() {
        let text = r#"{"clocks":[{"node":0,"offset_ns":-1234,"drift_ppm":3.5}],
            "faults":[{"start_ns":2000000000,"end_ns":5000000000,"what":"partition [n0 n1] | [n2]",
                       "effect":{"kind":"cut","links":[[0,2],[1,2],[2,0],[2,1]]}}]}"#;
        let info = SeedInfo::parse(text).unwrap();
        assert_eq!(info.offset_ns(0), Some(-1234));
        assert_eq!(info.faults[0].cut_between(2, 1), Some((true, true)));
        assert_eq!(info.faults[0].cut_between(0, 1), None);
        assert!(info.faults[0].overlaps(4_000_000_000, 6_000_000_000));
        assert!(!info.faults[0].overlaps(0, 1_000_000_000));
        assert_eq!(SeedInfo::parse(&info.to_json()).unwrap(), info);
    }

    #[test]
    fn reads_a_run_json_from_before_effects() {
        let text = r#"{"clocks":[],"faults":[{"start_ns":1,"end_ns":2,"what":"crash n1"}]}"#;
        let info = SeedInfo::parse(text).unwrap();
        assert_eq!(
            (info.faults[0].effect.clone(), info.faults[0].node()),
            (None, None)
        );
    }
}
