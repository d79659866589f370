//! A validated scenario written back as TOML: every value explicit, defaults
//! included, so a run folder's `scenario.toml` runs by itself and says
//! everything the run used. `Scenario::parse(&s.to_toml(), ..)` gives `s`
//! back (the mix up to float rounding of its normalisation).

use super::{
    Cluster, Expectation, Fault, FaultKind, Latency, Mix, Nemesis, Network, Scenario, Workload,
    format_duration,
};
use std::fmt::Write as _;
use std::time::Duration;

impl Scenario {
    /// The scenario as a complete TOML document.
    pub fn to_toml(&self) -> String {
        let mut t = String::new();
        let _ = writeln!(t, "name = {}", quote(&self.name));
        let _ = writeln!(t, "description = {}", quote(&self.description));
        let _ = writeln!(t, "seed = {}", self.seed);
        let _ = writeln!(t, "duration = {}", d(self.duration));
        let _ = writeln!(t, "quiesce = {}", d(self.quiesce));
        t += &cluster(&self.cluster);
        let _ = writeln!(
            t,
            "\n[clocks]\nskew = {}\ndrift_ppm = {:?}",
            d(self.clocks.skew),
            self.clocks.drift_ppm
        );
        t += &network(&self.network);
        t += &workload(&self.workload);
        for fault in &self.faults {
            t += &fault_toml(fault);
        }
        if let Some(nemesis) = &self.nemesis {
            t += &nemesis_toml(nemesis);
        }
        t += "\n[expect]\n";
        for (check, e) in &self.expect {
            let e = match e {
                Expectation::Pass => "pass",
                Expectation::Fail => "fail",
                Expectation::Any => "any",
            };
            let _ = writeln!(t, "{check} = \"{e}\"");
        }
        t
    }
}

/// A TOML basic string (JSON string escapes are valid TOML ones).
fn quote(s: &str) -> String {
    serde_json::to_string(s).expect("a string serialises")
}

fn d(d: Duration) -> String {
    format!("\"{}\"", format_duration(d))
}

fn cluster(c: &Cluster) -> String {
    let protocol = c.protocol.name();
    let mut t = format!(
        "\n[cluster]\nnodes = {}\nreplicas = {}\nwrite_quorum = {}\nread_quorum = {}\nprotocol = \"{protocol}\"\n",
        c.nodes, c.replicas, c.write_quorum, c.read_quorum
    );
    if c.protocol != store::Protocol::Abd {
        // abd refuses these keys: its reads always write back, and hints are outside its quorums.
        let _ = writeln!(
            t,
            "read_repair = {}\nhinted_handoff = {}",
            c.read_repair, c.hinted_handoff
        );
    }
    let sync = match c.sync {
        store::SyncPolicy::Always => "\"always\"".to_string(),
        store::SyncPolicy::Never => "\"never\"".to_string(),
        store::SyncPolicy::Interval(i) => format!("{{ interval = {} }}", d(i)),
    };
    let _ = writeln!(t, "sync = {sync}");
    match c.coordinators {
        store::Coordinators::Nodes => t += "coordinators = \"nodes\"\n",
        store::Coordinators::Routers(n) => {
            let _ = writeln!(t, "coordinators = \"routers\"\nrouters = {n}");
        }
    }
    let anti_entropy = c.anti_entropy.map_or("\"off\"".to_string(), d);
    let _ = writeln!(
        t,
        "allow_unsafe_cas = {}\nanti_entropy = {anti_entropy}\nreplica_timeout = {}\nclient_timeout = {}",
        c.allow_unsafe_cas,
        d(c.replica_timeout),
        d(c.client_timeout)
    );
    t
}

/// An inline table for a latency distribution.
pub fn latency_toml(l: &Latency) -> String {
    match l {
        Latency::Fixed(v) => format!("{{ dist = \"fixed\", value = {} }}", d(*v)),
        Latency::Uniform { min, max } => {
            format!(
                "{{ dist = \"uniform\", min = {}, max = {} }}",
                d(*min),
                d(*max)
            )
        }
        Latency::Exponential { mean } => {
            format!("{{ dist = \"exponential\", mean = {} }}", d(*mean))
        }
        Latency::Pareto { scale, shape } => {
            format!(
                "{{ dist = \"pareto\", scale = {}, shape = {shape:?} }}",
                d(*scale)
            )
        }
        Latency::Lognormal { median, sigma } => {
            format!(
                "{{ dist = \"lognormal\", median = {}, sigma = {sigma:?} }}",
                d(*median)
            )
        }
        Latency::Mixture(parts) => {
            let parts: Vec<String> = (parts.iter())
                .map(|(w, l)| latency_toml(l).replacen("{ ", &format!("{{ weight = {w:?}, "), 1))
                .collect();
            format!("{{ dist = \"mixture\", of = [{}] }}", parts.join(", "))
        }
    }
}

/// The `[network]` table with its kinds and links.
pub fn network(n: &Network) -> String {
    let mut t = format!(
        "\n[network]\nlatency = {}\nloss = {:?}\nduplicate = {:?}\n",
        latency_toml(&n.latency),
        n.loss,
        n.duplicate
    );
    if !n.kinds.is_empty() {
        t += "\n[network.kinds]\n";
        for (kind, l) in &n.kinds {
            let _ = writeln!(t, "{kind} = {}", latency_toml(l));
        }
    }
    for link in &n.links {
        let _ = write!(
            t,
            "\n[[network.links]]\nfrom = {}\nto = {}\nloss = {:?}\n",
            link.from, link.to, link.loss
        );
        if let Some(l) = &link.latency {
            let _ = writeln!(t, "latency = {}", latency_toml(l));
        }
        for (kind, l) in &link.kinds {
            let _ = writeln!(t, "kinds.{kind} = {}", latency_toml(l));
        }
    }
    t
}

fn workload(w: &Workload) -> String {
    let Mix {
        get,
        put,
        delete,
        cas,
    } = w.mix;
    let mut t = format!(
        "\n[workload]\nclients = {}\nkeys = {}\nops = {}\nthink = {}\nmix = {{ get = {get:?}, put = {put:?}, delete = {delete:?}, cas = {cas:?} }}\ncoordinator = \"{}\"\n",
        w.clients,
        w.keys,
        w.ops,
        d(w.think),
        w.coordinator.as_str()
    );
    if let Some(p) = &w.probes {
        let delays: Vec<String> = p.delays.iter().map(|x| d(*x)).collect();
        let _ = writeln!(
            t,
            "\n[workload.probes]\nclients = {}\ntrials = {}\ndelays = [{}]",
            p.clients,
            p.trials,
            delays.join(", ")
        );
    }
    t
}

/// One `[[faults]]` entry.
pub fn fault_toml(f: &Fault) -> String {
    let head = format!("\n[[faults]]\nat = {}\n", d(f.at));
    let length = format!("duration = {}\n", d(f.duration));
    let kind = match &f.kind {
        FaultKind::Partition { groups } => format!("kind = \"partition\"\ngroups = {groups:?}\n"),
        FaultKind::Isolate { node } => format!("kind = \"isolate\"\nnode = {node}\n"),
        FaultKind::RandomHalves => "kind = \"random-halves\"\n".into(),
        FaultKind::Bridge { node } => format!("kind = \"bridge\"\nnode = {node}\n"),
        FaultKind::Clog { from, to } => format!("kind = \"clog\"\nfrom = {from}\nto = {to}\n"),
        FaultKind::Crash { node } => format!("kind = \"crash\"\nnode = {node}\n"),
        FaultKind::Pause { node } => format!("kind = \"pause\"\nnode = {node}\n"),
        FaultKind::ClockJump { node, by_ns } => {
            // A jump is an instant: it takes no duration.
            let sign = if *by_ns < 0 { "-" } else { "" };
            let by = format_duration(Duration::from_nanos(by_ns.unsigned_abs()));
            return format!("{head}kind = \"clock-jump\"\nnode = {node}\nby = \"{sign}{by}\"\n");
        }
    };
    format!("{head}{length}{kind}")
}

fn nemesis_toml(n: &Nemesis) -> String {
    let families: Vec<String> = (n.families.iter())
        .map(|(f, w)| format!("{} = {w:?}", f.as_str()))
        .collect();
    format!(
        "\n[nemesis]\ninterval = {}\nduration = {}\nswarm = {}\nmax_down = {}\njump = {}\nfamilies = {{ {} }}\n",
        d(n.interval),
        d(n.duration),
        n.swarm,
        n.max_down,
        d(n.jump),
        families.join(", ")
    )
}
