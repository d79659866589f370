//! S3 objects in a run's metrics: what the listings got wrong (missing,
//! resurrected, phantom keys; how stale), how many versions and delete
//! markers the writes created and the listings showed, and latency per
//! object size class. Empty (and left out of `results.json`) for a register
//! history.

use crate::latency::LatencyStats;
use crate::report::Table;
use check::list_after_write::{self, Staleness};
use check::{Function, Op, Outcome};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Upper bounds of the size classes, in bytes; a last class takes the rest.
pub const SIZE_CLASSES: [u64; 4] = [1 << 10, 16 << 10, 256 << 10, 4 << 20];

/// The label of size class `i` (`≤ 1KiB`, ..., `> 4MiB`).
pub fn size_class_label(i: u8) -> String {
    let name = |b: u64| match b {
        b if b >= 1 << 20 => format!("{}MiB", b >> 20),
        b => format!("{}KiB", b >> 10),
    };
    match SIZE_CLASSES.get(usize::from(i)) {
        Some(&bound) => format!("≤ {}", name(bound)),
        None => format!("> {}", name(SIZE_CLASSES[SIZE_CLASSES.len() - 1])),
    }
}

/// The class of a body of `size` bytes.
pub fn size_class(size: u64) -> u8 {
    SIZE_CLASSES
        .iter()
        .position(|&b| size <= b)
        .unwrap_or(SIZE_CLASSES.len()) as u8
}

/// One seed's (or, merged, a run's) S3 measures.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObjectMetrics {
    /// `ok` listings (ListObjectsV2).
    pub listings: u64,
    /// Of those, the ones that missed or resurrected some key.
    pub stale_listings: u64,
    /// Keys a listing missed although an acknowledged PUT left them present.
    pub missing: u64,
    /// Keys a listing showed although an acknowledged DELETE removed them.
    pub resurrected: u64,
    /// Keys a listing showed that nothing had put.
    pub phantom: u64,
    /// The longest a missed write had been acknowledged when its listing began.
    pub behind_ns_max: u64,
    /// Object versions the acknowledged PUTs created (with a version id).
    pub versions_created: u64,
    /// Delete markers the acknowledged DELETEs wrote.
    pub markers_created: u64,
    /// `ok` ListObjectVersions.
    pub version_listings: u64,
    /// The most versions and markers of one key in one of those listings.
    pub versions_per_key_max: u64,
    /// Latency of `ok` GETs and PUTs per size class ([`size_class`]) of the
    /// body read or written.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub by_size: BTreeMap<u8, BTreeMap<Function, LatencyStats>>,
}

impl ObjectMetrics {
    /// Whether nothing was measured (a register history).
    pub fn is_empty(&self) -> bool {
        *self == ObjectMetrics::default()
    }

    /// Measures one seed's paired operations. Listings are judged as
    /// `list-after-write` judges them (only when the history has any).
    pub fn of(ops: &[Op]) -> ObjectMetrics {
        let mut m = ObjectMetrics::default();
        let mut sizes: BTreeMap<(u8, Function), Vec<u64>> = BTreeMap::new();
        let mut lists = false;
        for op in ops {
            lists |= op.f == Function::List;
            let ok = op.outcome == Outcome::Ok;
            let object = op.object.as_deref();
            match op.f {
                Function::Put | Function::Cas if ok => {
                    m.versions_created += u64::from(object.is_some_and(|o| o.version_id.is_some()));
                }
                Function::Delete if ok => {
                    m.markers_created += u64::from(object.is_some_and(|o| o.delete_marker));
                }
                Function::ListVersions => {
                    if let Some(entries) = op.versions() {
                        m.version_listings += 1;
                        let mut per_key: BTreeMap<&str, u64> = BTreeMap::new();
                        for e in entries {
                            *per_key.entry(e.key.as_str()).or_default() += 1;
                        }
                        let most = per_key.values().copied().max().unwrap_or(0);
                        m.versions_per_key_max = m.versions_per_key_max.max(most);
                    }
                }
                _ => {}
            }
            let size = object.and_then(|o| o.size);
            if let (true, Some(size), Some(end), Function::Get | Function::Put) =
                (ok, size, op.complete_time, op.f)
            {
                let latency = end.saturating_sub(op.invoke_time);
                sizes
                    .entry((size_class(size), op.f))
                    .or_default()
                    .push(latency);
            }
        }
        for ((class, f), mut samples) in sizes {
            let stats = LatencyStats::of(&mut samples);
            m.by_size.entry(class).or_default().insert(f, stats);
        }
        if lists {
            let found = list_after_write::anomalies(ops);
            let listings = ops.iter().filter(|op| op.listed().is_some()).count();
            let s = Staleness::of(&found, listings);
            m.listings = s.listings as u64;
            m.stale_listings = s.stale as u64;
            m.missing = s.missing as u64;
            m.resurrected = s.resurrected as u64;
            m.phantom = s.phantom as u64;
            m.behind_ns_max = s.behind_ns_max;
        }
        m
    }

    /// Adds `other` (counts add, maxima take the larger, latency merges
    /// its histograms: percentiles as [`LatencyStats::merge`] gives them).
    pub fn merge(&mut self, other: &ObjectMetrics) {
        self.listings += other.listings;
        self.stale_listings += other.stale_listings;
        self.missing += other.missing;
        self.resurrected += other.resurrected;
        self.phantom += other.phantom;
        self.behind_ns_max = self.behind_ns_max.max(other.behind_ns_max);
        self.versions_created += other.versions_created;
        self.markers_created += other.markers_created;
        self.version_listings += other.version_listings;
        self.versions_per_key_max = self.versions_per_key_max.max(other.versions_per_key_max);
        for (class, kinds) in &other.by_size {
            let mine = self.by_size.entry(*class).or_default();
            for (f, stats) in kinds {
                let merged = match mine.get(f) {
                    Some(old) => LatencyStats::merge([old, stats]),
                    None => stats.clone(),
                };
                mine.insert(*f, merged);
            }
        }
    }

    /// Without the latency histograms (a seed's entry in `results.json`).
    pub fn slim(&mut self) {
        (self.by_size.values_mut())
            .flat_map(|kinds| kinds.values_mut())
            .for_each(|s| s.histogram = Default::default());
    }

    /// The report's "LIST and versions" table: (what, value) rows; empty
    /// when the run recorded no listing and no version.
    pub fn table(&self) -> Table {
        let mut rows = vec![vec!["what".to_string(), "count".to_string()]];
        let mut row = |what: &str, value: String| rows.push(vec![what.to_string(), value]);
        if self.listings > 0 {
            let stale = self.stale_listings as f64 / self.listings as f64 * 100.0;
            row("listings (ListObjectsV2, ok)", self.listings.to_string());
            row(
                "stale listings (missed or resurrected a key)",
                format!("{} ({stale:.1} %)", self.stale_listings),
            );
            row(
                "missing keys (an acknowledged PUT not listed)",
                self.missing.to_string(),
            );
            row(
                "resurrected keys (an acknowledged DELETE listed)",
                self.resurrected.to_string(),
            );
            row("phantom keys (listed, never put)", self.phantom.to_string());
            row(
                "longest a missed PUT had been acknowledged (ms)",
                format!("{:.3}", self.behind_ns_max as f64 / 1e6),
            );
        }
        if self.versions_created + self.markers_created + self.version_listings > 0 {
            row(
                "versions created (acknowledged PUTs)",
                self.versions_created.to_string(),
            );
            row("delete markers created", self.markers_created.to_string());
            row(
                "version listings (ListObjectVersions, ok)",
                self.version_listings.to_string(),
            );
            row(
                "most versions of one key in one listing",
                self.versions_per_key_max.to_string(),
            );
        }
        if rows.len() == 1 { Vec::new() } else { rows }
    }

    /// The report's latency per size class: one row per (class, kind).
    pub fn size_table(&self) -> Table {
        if self.by_size.is_empty() {
            return Vec::new();
        }
        let mut table = vec![
            [
                "size",
                "operation",
                "ok count",
                "p50 ms",
                "p90 ms",
                "p99 ms",
                "max ms",
            ]
            .map(String::from)
            .to_vec(),
        ];
        for (class, kinds) in &self.by_size {
            for (f, s) in kinds {
                let mut row = vec![size_class_label(*class), f.to_string(), s.count.to_string()];
                row.extend(
                    [s.p50_ns, s.p90_ns, s.p99_ns, s.max_ns]
                        .map(|ns| format!("{:.3}", ns as f64 / 1e6)),
                );
                table.push(row);
            }
        }
        table
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use check::History;

    const HISTORY: &str = r#"{"process":0,"type":"invoke","f":"put","key":"b/k1","value":"c0-1","time":1000,"size":500}
{"process":0,"type":"ok","f":"put","key":"b/k1","value":"c0-1","time":3000,"version_id":"v1"}
{"process":0,"type":"invoke","f":"put","key":"b/k2","value":"c0-2","time":3500,"size":100000}
{"process":0,"type":"ok","f":"put","key":"b/k2","value":"c0-2","time":7500,"version_id":"v2"}
{"process":1,"type":"invoke","f":"list","key":"b/","value":null,"time":8000}
{"process":1,"type":"ok","f":"list","key":"b/","value":["b/k2","b/k9"],"time":9000}
{"process":1,"type":"invoke","f":"delete","key":"b/k2","value":null,"time":9100}
{"process":1,"type":"ok","f":"delete","key":"b/k2","value":null,"time":9200,"version_id":"m3","delete_marker":true}
"#;

    #[test]
    fn counts_listing_anomalies_versions_and_latency_per_size() {
        let history = History::parse(HISTORY).unwrap();
        let ops = check::op::pair(&history);
        let m = ObjectMetrics::of(&ops);
        assert_eq!((m.listings, m.stale_listings), (1, 1));
        assert_eq!((m.missing, m.resurrected, m.phantom), (1, 0, 1));
        assert_eq!(
            m.behind_ns_max, 5000,
            "k1 was acknowledged at 3000, the list began at 8000"
        );
        assert_eq!((m.versions_created, m.markers_created), (2, 1));
        assert_eq!(m.by_size[&0][&Function::Put].count, 1);
        assert_eq!(m.by_size[&2][&Function::Put].max_ns, 4000);
        let mut twice = m.clone();
        twice.merge(&m);
        assert_eq!(
            (twice.missing, twice.by_size[&0][&Function::Put].count),
            (2, 2)
        );
        assert!(
            m.table()
                .iter()
                .any(|r| r[0].starts_with("missing keys") && r[1] == "1")
        );
        assert_eq!(m.size_table()[1][0], "≤ 1KiB");
        assert_eq!(size_class_label(4), "> 4MiB");
    }

    #[test]
    fn a_register_history_measures_nothing() {
        let text = "{\"process\":0,\"type\":\"invoke\",\"f\":\"put\",\"key\":\"k\",\"value\":\"a\",\"time\":1}\n\
                    {\"process\":0,\"type\":\"ok\",\"f\":\"put\",\"key\":\"k\",\"value\":\"a\",\"time\":2}\n";
        let ops = check::op::pair(&History::parse(text).unwrap());
        let m = ObjectMetrics::of(&ops);
        assert!(m.is_empty() && m.table().is_empty() && m.size_table().is_empty());
    }
}
