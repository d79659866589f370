//! The scenario in words, stored with a run's results for its reports.

use reports::scenario::ScenarioSummary;
use sim::Scenario;
use sim::scenario::{Latency, format_duration};

/// The scenario in words, for reports.
pub fn summary(s: &Scenario) -> ScenarioSummary {
    let d = |d| format_duration(d);
    let mix = &s.workload.mix;
    let mut network = format!(
        "latency {}, loss {}",
        latency(&s.network.latency),
        s.network.loss
    );
    if s.network.duplicate > 0.0 {
        network.push_str(&format!(", duplicate {}", s.network.duplicate));
    }
    if let Some(rate) = s.network.bandwidth {
        let rate = sim::scenario::format_rate(rate);
        network.push_str(&format!(", bandwidth {rate} per link"));
    }
    if !s.network.kinds.is_empty() || !s.network.links.is_empty() {
        let (k, l) = (s.network.kinds.len(), s.network.links.len());
        network.push_str(&format!(" ({k} per-kind and {l} per-link latencies)"));
    }
    let mut workload = format!(
        "{} clients, {} keys, {} ops (get {}, put {}, delete {}, cas {})",
        s.workload.clients, s.workload.keys, s.workload.ops, mix.get, mix.put, mix.delete, mix.cas
    );
    if s.workload.balance != sim::scenario::Balance::Random {
        workload.push_str(&format!(", balance {}", s.workload.balance.as_str()));
    }
    let service = &s.cluster.service;
    if let Some(t) = &service.time {
        workload.push_str(&format!(", service time {}", latency(t)));
    }
    if let Some(c) = service.concurrency {
        workload.push_str(&format!(", {c} at once per node"));
    }
    if !service.slow.is_empty() {
        let slow: Vec<String> = (service.slow.iter())
            .map(|(n, t)| format!("n{n} {}", latency(t)))
            .collect();
        workload.push_str(&format!(", slow: {}", slow.join(", ")));
    }
    ScenarioSummary {
        name: s.name.clone(),
        description: s.description.clone(),
        protocol: format!("{:?}", s.cluster.protocol).to_lowercase(),
        cas_read_then_write: match s.cluster.protocol {
            store::Protocol::Paxos => false,
            store::Protocol::Abd => s.cluster.allow_unsafe_cas,
            store::Protocol::Eventual | store::Protocol::Quorum => true,
        },
        nodes: s.cluster.nodes,
        replicas: s.cluster.replicas,
        write_quorum: s.cluster.write_quorum,
        read_quorum: s.cluster.read_quorum,
        duration: format!("{} + {} quiesce", d(s.duration), d(s.quiesce)),
        network,
        clocks: if s.clocks.skew.is_zero() && s.clocks.drift_ppm == 0.0 {
            "exact (no skew, no drift)".to_string()
        } else {
            format!(
                "skew up to ±{}, drift up to ±{} ppm",
                d(s.clocks.skew),
                s.clocks.drift_ppm
            )
        },
        workload,
        faults: s.faults.iter().map(sim::nemesis::describe).collect(),
        nemesis: s.nemesis.as_ref().map(|n| {
            let families: Vec<&str> = n.families.iter().map(|(f, _)| f.as_str()).collect();
            format!(
                "a fault every {} on average, lasting {}, from {}",
                d(n.interval),
                d(n.duration),
                families.join(", ")
            )
        }),
    }
}

/// A latency distribution in words: `lognormal, median 1ms, σ 0.5`; a
/// mixture as its components with their shares, `95%: fixed 200us; 5%:
/// exponential, mean 5ms` (issue 11, defect 13: it was Rust Debug text).
fn latency(l: &Latency) -> String {
    let d = |d| format_duration(d);
    match l {
        Latency::Fixed(v) => format!("fixed {}", d(*v)),
        Latency::Uniform { min, max } => format!("uniform {}–{}", d(*min), d(*max)),
        Latency::Exponential { mean } => format!("exponential, mean {}", d(*mean)),
        Latency::Pareto { scale, shape } => format!("pareto, scale {}, shape {shape}", d(*scale)),
        Latency::Lognormal { median, sigma } => {
            format!("lognormal, median {}, σ {sigma}", d(*median))
        }
        Latency::Mixture(parts) => {
            let total: f64 = parts.iter().map(|(w, _)| w).sum();
            let parts: Vec<String> = (parts.iter())
                .map(|(w, part)| format!("{}: {}", percent(*w / total), latency(part)))
                .collect();
            parts.join("; ")
        }
    }
}

/// A share as a percentage without needless digits: `95%`, `2.5%`.
fn percent(share: f64) -> String {
    let text = format!("{:.2}", 100.0 * share);
    format!("{}%", text.trim_end_matches('0').trim_end_matches('.'))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn a_mixture_is_written_in_words_not_debug_text() {
        let ms = Duration::from_millis;
        let mixture = Latency::Mixture(vec![
            (
                0.95,
                Latency::Lognormal {
                    median: ms(1),
                    sigma: 0.5,
                },
            ),
            (0.05, Latency::Exponential { mean: ms(20) }),
        ]);
        assert_eq!(
            latency(&mixture),
            "95%: lognormal, median 1ms, σ 0.5; 5%: exponential, mean 20ms"
        );
        assert_eq!(percent(1.0 / 3.0), "33.33%");
    }
}
