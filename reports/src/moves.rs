//! What membership movements cost in availability: how the operations
//! invoked while a movement was under way ended, against those invoked
//! outside every movement, and how long the movements lasted.
//!
//! A movement's window runs from its first layout to the settled one (the
//! simulation's ring watch); an operation counts as *during* when its
//! invoke time falls in one. Everything is a count, so seeds and shards add
//! up exactly. Empty (and left out of `results.json`) for a run without
//! movements.

use crate::activity::Outcomes;
use check::{Op, Outcome};
use serde::{Deserialize, Serialize};

/// Operations during and outside movements, and the movements' total time.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MoveAvailability {
    /// Movements (windows) summed over seeds.
    pub movements: u64,
    /// Their total length in nanoseconds of simulated time.
    pub moving_ns: u64,
    /// Operations invoked while a movement was under way.
    pub during: Outcomes,
    /// Operations invoked outside every movement.
    pub outside: Outcomes,
}

impl MoveAvailability {
    /// One seed: `ops` against its movement windows (start, end ns).
    pub fn of(ops: &[Op], windows: &[(u64, u64)]) -> MoveAvailability {
        let mut out = MoveAvailability {
            movements: windows.len() as u64,
            moving_ns: (windows.iter()).map(|(s, e)| e.saturating_sub(*s)).sum(),
            ..MoveAvailability::default()
        };
        if windows.is_empty() {
            return out;
        }
        for op in ops {
            let t = op.invoke_time;
            let inside = windows.iter().any(|&(s, e)| s <= t && t < e);
            let side = if inside {
                &mut out.during
            } else {
                &mut out.outside
            };
            side.add(&match op.outcome {
                Outcome::Ok => Outcomes {
                    ok: 1,
                    ..Outcomes::default()
                },
                Outcome::Fail => Outcomes {
                    fail: 1,
                    ..Outcomes::default()
                },
                Outcome::Info => Outcomes {
                    info: 1,
                    ..Outcomes::default()
                },
            });
        }
        out
    }

    pub fn is_empty(&self) -> bool {
        self.movements == 0
    }

    pub fn add(&mut self, other: &MoveAvailability) {
        self.movements += other.movements;
        self.moving_ns += other.moving_ns;
        self.during.add(&other.during);
        self.outside.add(&other.outside);
    }

    /// One line for people: `4 movements, 0.21 s on average: 96.3 % of 812
    /// operations during them ok (20 failed, 10 timed out) vs 99.1 % of
    /// 2,988 outside`. `None` without movements.
    pub fn sentence(&self) -> Option<String> {
        if self.is_empty() {
            return None;
        }
        let percent = |o: &Outcomes| match o.total() {
            0 => "-".to_string(),
            n => format!("{:.1} %", 100.0 * o.ok as f64 / n as f64),
        };
        let mean_s = self.moving_ns as f64 / self.movements as f64 / 1e9;
        Some(format!(
            "{} movement{}, {mean_s:.2} s on average: {} of {} operations during them ok ({} failed, {} timed out) vs {} of {} outside",
            self.movements,
            if self.movements == 1 { "" } else { "s" },
            percent(&self.during),
            self.during.total(),
            self.during.fail,
            self.during.info,
            percent(&self.outside),
            self.outside.total(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use check::History;

    const HISTORY: &str = r#"{"process":0,"type":"invoke","f":"put","key":"k","value":"a","time":1000}
{"process":0,"type":"ok","f":"put","key":"k","value":"a","time":3000}
{"process":1,"type":"invoke","f":"get","key":"k","value":null,"time":5000}
{"process":1,"type":"fail","f":"get","key":"k","value":null,"time":5500}
{"process":2,"type":"invoke","f":"put","key":"k","value":"b","time":6000}
{"process":2,"type":"info","f":"put","key":"k","value":"b","time":9000}
{"process":0,"type":"invoke","f":"get","key":"k","value":null,"time":9500}
{"process":0,"type":"ok","f":"get","key":"k","value":"a","time":9600}
"#;

    #[test]
    fn splits_operations_by_invoke_time_and_adds_up() {
        let ops = check::op::pair(&History::parse(HISTORY).unwrap());
        let m = MoveAvailability::of(&ops, &[(4000, 7000)]);
        assert_eq!((m.movements, m.moving_ns), (1, 3000));
        assert_eq!((m.during.ok, m.during.fail, m.during.info), (0, 1, 1));
        assert_eq!((m.outside.ok, m.outside.fail, m.outside.info), (2, 0, 0));
        let mut twice = m;
        twice.add(&m);
        assert_eq!((twice.movements, twice.during.total()), (2, 4));
        let line = twice.sentence().unwrap();
        assert!(
            line.starts_with("2 movements, 0.00 s on average: 0.0 % of 4"),
            "{line}"
        );
        assert!(MoveAvailability::of(&ops, &[]).is_empty());
        assert_eq!(MoveAvailability::of(&ops, &[]).sentence(), None);
    }
}
