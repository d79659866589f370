//! P(fresh read) per staleness-probe delay: PBS's t-visibility measured
//! directly (Bailis et al., VLDB 2012). A probe client writes a key and, once
//! the write is acknowledged, reads it back after each delay of
//! `[workload.probes]`; this counts, per delay, the probe reads that
//! returned and how many of them were fresh (`check::staleness`: no
//! committed write definitely newer than the value read).
//!
//! The history does not say which read followed which delay, but the probe
//! protocol does: client `c` (process ids `c`, `c + clients`, ... after
//! timeouts) is a probe when `c ≥ regular`; after an `ok` put its next gets
//! are the delays in order. Counts per delay add up across seeds exactly.

use crate::interval::wilson95;
use crate::visibility::Bucket;
use check::staleness::ReadStaleness;
use check::{Function, Op, Outcome};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Which clients of a run are probes, and the delays they read after.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProbeLayout {
    /// Regular clients (probe clients follow them).
    pub regular: u32,
    /// Probe clients.
    pub probes: u32,
    /// The delays, ascending, in nanoseconds.
    pub delays_ns: Vec<u64>,
}

/// Probe delay (ns) → probe reads that returned, and the fresh ones. In
/// JSON each delay also carries `p_fresh` and its 95 % Wilson interval
/// (`low95`, `high95`), written for readers and recomputed from the counts
/// when read back.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProbeReads(pub BTreeMap<u64, Bucket>);

/// One delay as written to JSON.
#[derive(Serialize, Deserialize)]
struct Cell {
    reads: u64,
    fresh: u64,
    #[serde(default, skip_deserializing)]
    p_fresh: f64,
    #[serde(default, skip_deserializing)]
    low95: f64,
    #[serde(default, skip_deserializing)]
    high95: f64,
}

impl Serialize for ProbeReads {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let cells: BTreeMap<u64, Cell> = (self.rows().into_iter())
            .map(|r| {
                let cell = Cell {
                    reads: r.reads,
                    fresh: r.fresh,
                    p_fresh: r.p_fresh,
                    low95: r.low,
                    high95: r.high,
                };
                (r.delay_ns, cell)
            })
            .collect();
        cells.serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for ProbeReads {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let cells = BTreeMap::<u64, Cell>::deserialize(deserializer)?;
        Ok(ProbeReads(
            (cells.into_iter())
                .map(|(d, c)| {
                    let bucket = Bucket {
                        fresh: c.fresh,
                        reads: c.reads,
                    };
                    (d, bucket)
                })
                .collect(),
        ))
    }
}

/// One row of the P(t) table.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ProbeRow {
    pub delay_ns: u64,
    pub reads: u64,
    pub fresh: u64,
    /// fresh / reads (0 when no read returned).
    pub p_fresh: f64,
    /// The 95 % Wilson interval of `p_fresh`.
    pub low: f64,
    pub high: f64,
}

impl ProbeReads {
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The probe reads among `ops` (all of one history, in invoke order),
    /// with their freshness from `reads` (`check::staleness` of the same
    /// history). Every configured delay gets a row, even with no read.
    pub fn of(ops: &[Op], reads: &[ReadStaleness], layout: &ProbeLayout) -> ProbeReads {
        let mut out = ProbeReads(
            (layout.delays_ns.iter())
                .map(|d| (*d, Bucket::default()))
                .collect(),
        );
        let total = u64::from(layout.regular) + u64::from(layout.probes);
        if layout.probes == 0 || total == 0 {
            return out;
        }
        let fresh: BTreeMap<usize, bool> = reads.iter().map(|r| (r.op, r.fresh)).collect();
        // Per probe client: the index of the delay its next get reads after.
        let mut next: BTreeMap<u64, Option<usize>> = BTreeMap::new();
        for op in ops {
            let client = op.process % total;
            if client < u64::from(layout.regular) {
                continue;
            }
            let slot = next.entry(client).or_default();
            match op.f {
                Function::Get => {
                    let Some(i) = *slot else { continue };
                    *slot = Some(i + 1);
                    let (Some(delay), Some(f)) = (layout.delays_ns.get(i), fresh.get(&op.index))
                    else {
                        continue;
                    };
                    if op.outcome == Outcome::Ok {
                        let b = out.0.entry(*delay).or_default();
                        b.reads += 1;
                        b.fresh += u64::from(*f);
                    }
                }
                _ => *slot = (op.outcome == Outcome::Ok).then_some(0),
            }
        }
        out
    }

    /// Adds `other`'s counts.
    pub fn merge(&mut self, other: &ProbeReads) {
        for (delay, b) in &other.0 {
            let mine = self.0.entry(*delay).or_default();
            mine.reads += b.reads;
            mine.fresh += b.fresh;
        }
    }

    /// The P(t) table, by delay.
    pub fn rows(&self) -> Vec<ProbeRow> {
        (self.0.iter())
            .map(|(&delay_ns, b)| {
                let (low, high) = wilson95(b.fresh, b.reads);
                ProbeRow {
                    delay_ns,
                    reads: b.reads,
                    fresh: b.fresh,
                    p_fresh: if b.reads == 0 {
                        0.0
                    } else {
                        b.fresh as f64 / b.reads as f64
                    },
                    low,
                    high,
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use check::History;

    /// One regular client (p0) and one probe (p1; p3 after its timeout,
    /// with 2 clients in all): delays 0 and 5 µs.
    const HISTORY: &str = r#"{"process":0,"type":"invoke","f":"put","key":"k","value":"r","time":100}
{"process":0,"type":"ok","f":"put","key":"k","value":"r","time":200}
{"process":1,"type":"invoke","f":"put","key":"k","value":"a","time":1000}
{"process":1,"type":"ok","f":"put","key":"k","value":"a","time":2000}
{"process":1,"type":"invoke","f":"get","key":"k","value":null,"time":2000}
{"process":1,"type":"ok","f":"get","key":"k","value":"a","time":2500}
{"process":1,"type":"invoke","f":"get","key":"k","value":null,"time":7000}
{"process":1,"type":"info","f":"get","key":"k","value":null,"time":9000}
{"process":3,"type":"invoke","f":"put","key":"k","value":"b","time":10000}
{"process":3,"type":"ok","f":"put","key":"k","value":"b","time":11000}
{"process":3,"type":"invoke","f":"get","key":"k","value":null,"time":11000}
{"process":3,"type":"ok","f":"get","key":"k","value":"b","time":11500}
{"process":0,"type":"invoke","f":"put","key":"k","value":"s","time":12000}
{"process":0,"type":"ok","f":"put","key":"k","value":"s","time":12500}
{"process":3,"type":"invoke","f":"get","key":"k","value":null,"time":16000}
{"process":3,"type":"ok","f":"get","key":"k","value":"b","time":16500}
{"process":0,"type":"invoke","f":"get","key":"k","value":null,"time":17000}
{"process":0,"type":"ok","f":"get","key":"k","value":"s","time":17500}
"#;

    #[test]
    fn counts_probe_reads_per_delay_and_merges() {
        let history = History::parse(HISTORY).unwrap();
        let ops = check::op::pair(&history);
        let reads = check::staleness::measure(&history);
        let layout = ProbeLayout {
            regular: 1,
            probes: 1,
            delays_ns: vec![0, 5000],
        };
        let p = ProbeReads::of(&ops, &reads, &layout);
        // Delay 0: two reads invoked at the instant their put was
        // acknowledged, both fresh (the read comes after the write). Delay
        // 5 µs: the timed-out read is no read; b, after s was acknowledged,
        // is stale. The regular client's reads are not probes.
        let rows = p.rows();
        assert_eq!((rows[0].delay_ns, rows[0].reads, rows[0].fresh), (0, 2, 2));
        assert_eq!(
            (rows[1].delay_ns, rows[1].reads, rows[1].fresh),
            (5000, 1, 0)
        );
        let mut twice = p.clone();
        twice.merge(&p);
        assert_eq!(twice.0[&0].reads, 4);
        assert!(rows[0].low > 0.0 && rows[0].high == 1.0);
        let json = serde_json::to_string(&p).unwrap();
        assert!(
            json.contains(r#""5000":{"reads":1,"fresh":0,"p_fresh":0.0,"low95":0.0,"#),
            "{json}"
        );
        assert_eq!(serde_json::from_str::<ProbeReads>(&json).unwrap(), p);
    }
}
