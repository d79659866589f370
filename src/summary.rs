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
    if !s.network.kinds.is_empty() || !s.network.links.is_empty() {
        let (k, l) = (s.network.kinds.len(), s.network.links.len());
        network.push_str(&format!(" ({k} per-kind and {l} per-link latencies)"));
    }
    ScenarioSummary {
        name: s.name.clone(),
        description: s.description.clone(),
        protocol: format!("{:?}", s.cluster.protocol).to_lowercase(),
        cas_read_then_write: s.cluster.protocol != store::Protocol::Abd
            || s.cluster.allow_unsafe_cas,
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
        workload: format!(
            "{} clients, {} keys, {} ops (get {}, put {}, delete {}, cas {})",
            s.workload.clients,
            s.workload.keys,
            s.workload.ops,
            mix.get,
            mix.put,
            mix.delete,
            mix.cas
        ),
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

fn latency(l: &Latency) -> String {
    let d = |d| format_duration(d);
    match l {
        Latency::Fixed(v) => format!("fixed {}", d(*v)),
        Latency::Uniform { min, max } => format!("uniform {}–{}", d(*min), d(*max)),
        Latency::Exponential { mean } => format!("exponential, mean {}", d(*mean)),
        Latency::Pareto { scale, shape } => format!("pareto, scale {}, shape {shape}", d(*scale)),
        Latency::Lognormal { median, sigma } => {
            format!("lognormal, median {}, sigma {sigma}", d(*median))
        }
        other => format!("{other:?}"),
    }
}
