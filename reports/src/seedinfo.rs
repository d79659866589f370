//! `seeds/<S>/run.json`: what a kept seed's run looked like besides its
//! history — each node's clock error and the fault windows — so a report can
//! shade faults on the timeline and name the likely cause of an anomaly.
//!
//! ```json
//! {"clocks":[{"node":0,"offset_ns":-1234,"drift_ppm":3.5}],
//!  "faults":[{"start_ns":2000000000,"end_ns":5000000000,"what":"partition [[0,1],[2]]"}]}
//! ```

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
    pub what: String,
}

impl FaultWindow {
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
            "faults":[{"start_ns":2000000000,"end_ns":5000000000,"what":"partition [[0,1],[2]]"}]}"#;
        let info = SeedInfo::parse(text).unwrap();
        assert_eq!(info.offset_ns(0), Some(-1234));
        assert!(info.faults[0].overlaps(4_000_000_000, 6_000_000_000));
        assert!(!info.faults[0].overlaps(0, 1_000_000_000));
        assert_eq!(SeedInfo::parse(&info.to_json()).unwrap(), info);
    }
}
