//! The whole file: the top-level keys (`name`, `description`, `seed`,
//! `duration`, `quiesce`), one spec type per section, and the relations
//! between sections (faults against the cluster and the faulty phase, `cas`
//! against the protocol).

use super::auth::AuthSpec;
use super::buggify::BuggifySpec;
use super::clocks::ClocksSpec;
use super::cluster::ClusterSpec;
use super::expect::ExpectSpec;
use super::faults::{FaultSpec, faults};
use super::fields::{Result, S, duration, positive, written, written_duration};
use super::nemesis::NemesisSpec;
use super::network::NetworkSpec;
use super::span::Ctx;
use super::swarm::SwarmSpec;
use super::workload::WorkloadSpec;
use super::{Cluster, Family, Nemesis, Scenario};
use serde::{Deserialize, Serialize};
use std::time::Duration;
use toml::Value;

/// A scenario file as written, and a validated [`Scenario`] written back
/// (every default spelled out, so a run folder's `scenario.toml` runs by
/// itself and says everything the run used).
///
/// To add a knob: a field on its section's spec type, its check in that
/// type's `validate`, its value in `resolved`, and the field it fills in
/// [`Scenario`]'s types.
#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ScenarioSpec {
    pub name: Option<S<String>>,
    pub description: Option<S<String>>,
    pub seed: Option<S<i64>>,
    pub duration: Option<S<Value>>,
    pub quiesce: Option<S<Value>>,
    #[serde(default)]
    pub cluster: ClusterSpec,
    #[serde(default)]
    pub clocks: ClocksSpec,
    #[serde(default)]
    pub network: NetworkSpec,
    #[serde(default)]
    pub workload: WorkloadSpec,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub faults: Vec<S<FaultSpec>>,
    pub nemesis: Option<S<NemesisSpec>>,
    pub buggify: Option<S<BuggifySpec>>,
    pub swarm: Option<S<SwarmSpec>>,
    pub auth: Option<S<AuthSpec>>,
    #[serde(default)]
    pub expect: ExpectSpec,
}

impl ScenarioSpec {
    /// Every check and default; the first problem found, at its value.
    pub fn validate(self, ctx: &Ctx) -> Result<Scenario> {
        let name = required_text(ctx, self.name, "name")?;
        if name.get_ref().trim().is_empty() {
            return Err(ctx.err(
                name.span(),
                "name is empty: give the scenario a short name".into(),
            ));
        }
        let description = required_text(ctx, self.description, "description")?;
        let seed = seed(ctx, self.seed.as_ref())?;
        let phase = duration(
            ctx,
            self.duration.as_ref(),
            "duration",
            Duration::from_secs(10),
        )?;
        positive(ctx, &phase, "duration")?;
        let quiesce = duration(
            ctx,
            self.quiesce.as_ref(),
            "quiesce",
            Duration::from_secs(5),
        )?;
        let mut cluster = self.cluster.validate(ctx)?;
        let faults = faults(ctx, &self.faults, &phase, cluster.nodes)?;
        let (nodes, spares, replicas) = (cluster.nodes, cluster.spares, cluster.replicas);
        check_replace(ctx, &self.faults, replicas)?;
        let nemesis = (self.nemesis.as_ref())
            .map(|n| NemesisSpec::validate(n, ctx, nodes, spares, replicas))
            .transpose()?;
        let moves =
            |n: &Nemesis| (n.families.iter()).any(|(f, w)| *f == Family::Membership && *w > 0.0);
        cluster.membership |= faults.iter().any(|f| f.kind.is_membership());
        cluster.membership |= nemesis.as_ref().is_some_and(moves);
        if cluster.membership && cluster.protocol == store::Protocol::Paxos {
            let span = (self.cluster.protocol.as_ref()).map_or(0..0, |p| p.span());
            return Err(ctx.err(
                span,
                "membership changes (spares, join, leave, replace) need protocol \"quorum\", \"eventual\" or \"abd\": paxos does not move its acceptors' state yet".into(),
            ));
        }
        let buggify = (self.buggify.as_ref())
            .map(|b| BuggifySpec::validate(b, ctx))
            .transpose()?;
        if buggify.is_none() {
            check_buggify_windows(ctx, &self.faults, self.nemesis.as_ref())?;
        }
        let cas_ok = cluster.protocol != store::Protocol::Abd || cluster.allow_unsafe_cas;
        let swarm = (self.swarm.as_ref())
            .map(|s| SwarmSpec::validate(s, ctx, cas_ok))
            .transpose()?;
        if let (Some(s), true) = (&self.swarm, swarm.is_some() && self.workload.api.is_some()) {
            check_swarm_api(ctx, s.span(), &self.workload)?;
        }
        let auth = (self.auth.as_ref())
            .map(|a| a.get_ref().validate(ctx, a.span()))
            .transpose()?;
        let scenario = Scenario {
            name: name.into_inner(),
            description: description.into_inner(),
            seed,
            quiesce: quiesce.value,
            clocks: self.clocks.validate(ctx)?,
            network: self.network.validate(ctx, cluster.nodes)?,
            workload: self.workload.validate(ctx, phase.value)?,
            expect: self.expect.validate(ctx)?,
            duration: phase.value,
            cluster,
            faults,
            nemesis,
            buggify,
            swarm,
            auth,
        };
        check_cas(ctx, &scenario, &self.workload)?;
        check_auth(ctx, &scenario, self.auth.as_ref())?;
        Ok(scenario)
    }

    /// `s` with every value written out.
    pub fn resolved(s: &Scenario) -> ScenarioSpec {
        ScenarioSpec {
            name: written(s.name.clone()),
            description: written(s.description.clone()),
            seed: written(i64::try_from(s.seed).unwrap_or(i64::MAX)),
            duration: written_duration(s.duration),
            quiesce: written_duration(s.quiesce),
            cluster: ClusterSpec::resolved(&s.cluster),
            clocks: ClocksSpec::resolved(&s.clocks),
            network: NetworkSpec::resolved(&s.network),
            workload: WorkloadSpec::resolved(&s.workload),
            faults: (s.faults.iter())
                .filter_map(|f| written(FaultSpec::resolved(f)))
                .collect(),
            nemesis: s
                .nemesis
                .as_ref()
                .and_then(|n| written(NemesisSpec::resolved(n))),
            buggify: (s.buggify.as_ref()).and_then(|b| written(BuggifySpec::resolved(b))),
            swarm: (s.swarm.as_ref()).and_then(|w| written(SwarmSpec::resolved(w))),
            auth: (s.auth.as_ref()).and_then(|a| written(AuthSpec::resolved(a))),
            expect: ExpectSpec::resolved(&s.expect),
        }
    }
}

/// A replacement takes its node down for good and streams the node's
/// ranges to the new one from the other replicas: with `replicas = 1` there
/// are none, and every acknowledged write on the node would be lost.
/// Refused at the fault's `kind` (the nemesis draws no replacement then).
fn check_replace(ctx: &Ctx, faults: &[S<FaultSpec>], replicas: u32) -> Result<()> {
    if replicas > 1 {
        return Ok(());
    }
    let replace = (faults.iter())
        .filter_map(|f| f.get_ref().kind.as_ref())
        .find(|k| k.get_ref() == "replace");
    match replace {
        None => Ok(()),
        Some(kind) => Err(ctx.err_hint(
            kind.span(),
            "kind = \"replace\" with replicas = 1: the replaced node holds the only copy of its ranges, so nothing can stream them to the new node".into(),
            Some("use a join then a leave (the leaving node streams its ranges out), or replicas ≥ 2".into()),
        )),
    }
}

/// Without `[buggify]`, a `buggify-window` fault or the nemesis family
/// `buggify` would arm nothing: refused at the fault's `kind` or the
/// family's weight.
fn check_buggify_windows(
    ctx: &Ctx,
    faults: &[S<FaultSpec>],
    nemesis: Option<&S<NemesisSpec>>,
) -> Result<()> {
    let hint = || {
        Some(
            "add a [buggify] table (which points, how often, what a hit does), e.g. [buggify] probability = 0.05"
                .into(),
        )
    };
    let window = (faults.iter())
        .filter_map(|f| f.get_ref().kind.as_ref())
        .find(|k| k.get_ref() == "buggify-window");
    if let Some(kind) = window {
        return Err(ctx.err_hint(
            kind.span(),
            "kind = \"buggify-window\" arms [buggify]'s fault points, and this scenario has no [buggify]".into(),
            hint(),
        ));
    }
    let family = nemesis
        .and_then(|n| n.get_ref().families.as_ref())
        .and_then(|t| {
            (t.get_ref().iter()).find(|(name, w)| name.get_ref() == "buggify" && *w.get_ref() > 0.0)
        });
    if let Some((_, weight)) = family {
        return Err(ctx.err_hint(
            weight.span(),
            "nemesis family \"buggify\" arms [buggify]'s fault points for drawn windows, and this scenario has no [buggify]".into(),
            hint(),
        ));
    }
    Ok(())
}

fn required_text(ctx: &Ctx, raw: Option<S<String>>, key: &str) -> Result<S<String>> {
    match raw {
        Some(s) => Ok(s),
        None if ctx.text.trim().is_empty() => Err(ctx.err_nowhere(
            "the scenario file is empty".into(),
            Some("a scenario needs at least `name = \"...\"` and `description = \"...\"`; see scenarios/ for examples".into()),
        )),
        None => Err(ctx.err_nowhere(
            format!("`{key}` is missing: every scenario needs `{key} = \"...\"` at the top of the file"),
            None,
        )),
    }
}

fn seed(ctx: &Ctx, raw: Option<&S<i64>>) -> Result<u64> {
    let Some(s) = raw else { return Ok(1) };
    u64::try_from(*s.get_ref()).map_err(|_| {
        ctx.err(
            s.span(),
            format!("seed = {} is negative: expected 0 or more", s.get_ref()),
        )
    })
}

/// `cas` in the mix under `abd` needs `allow_unsafe_cas = true`: ABD makes
/// reads and writes linearizable, but a cas is a read then a write, and two
/// concurrent cas with the same precondition can both succeed. (Under
/// `eventual`/`quorum` cas is allowed and documented as best effort.)
fn check_cas(ctx: &Ctx, scenario: &Scenario, workload: &WorkloadSpec) -> Result<()> {
    let Cluster {
        protocol,
        allow_unsafe_cas,
        ..
    } = scenario.cluster;
    let cas_delete = (scenario.workload.s3.as_ref()).map_or(0.0, |s3| s3.mix.cas_delete);
    let conditional = scenario.workload.mix.cas > 0.0 || cas_delete > 0.0;
    if protocol != store::Protocol::Abd || !conditional || allow_unsafe_cas {
        return Ok(());
    }
    let span = (workload.mix.as_ref())
        .map(|m| {
            let m_ref = m.get_ref();
            (m_ref.cas.as_ref().filter(|c| *c.get_ref() > 0.0))
                .or(m_ref.cas_delete.as_ref())
                .map_or(m.span(), |cas| cas.span())
        })
        .unwrap_or(0..0);
    Err(ctx.err_hint(
        span,
        "cas is not atomic under protocol \"abd\": it is an ABD read followed by an ABD write, so two concurrent cas with the same `from` can both succeed, and the linearizable check will flag it".into(),
        Some("remove cas from the mix, or set allow_unsafe_cas = true in [cluster] to demonstrate the anomaly".into()),
    ))
}

/// `[swarm]` draws register workloads' knobs: with `api = "s3"` its mix
/// would leave the S3 kinds' weights out of proportion, so it is refused.
fn check_swarm_api(ctx: &Ctx, span: std::ops::Range<usize>, workload: &WorkloadSpec) -> Result<()> {
    let s3 = (workload.api.as_ref()).is_some_and(|a| a.get_ref() == "s3");
    if !s3 {
        return Ok(());
    }
    Err(ctx.err_hint(
        span,
        "[swarm] is for register workloads: api = \"s3\" is not swarmed yet".into(),
        Some("remove [swarm], or use api = \"register\"".into()),
    ))
}

/// `[auth]` needs `api = "s3"` (policies are about buckets and objects),
/// and its buckets must be the workload's (`bucket1`..`bucketB`).
fn check_auth(ctx: &Ctx, scenario: &Scenario, spec: Option<&S<AuthSpec>>) -> Result<()> {
    let (Some(auth), Some(spec)) = (&scenario.auth, spec) else {
        return Ok(());
    };
    let Some(s3) = &scenario.workload.s3 else {
        return Err(ctx.err_hint(
            spec.span(),
            "[auth] needs [workload] api = \"s3\": bucket policies are about buckets and objects"
                .into(),
            Some("set api = \"s3\" in [workload]".into()),
        ));
    };
    let known = |b: &str| (0..s3.buckets).any(|j| crate::workload::s3::bucket_name(j) == b);
    let named = (spec.get_ref().principals.iter())
        .flat_map(|p| &p.get_ref().buckets)
        .chain(spec.get_ref().policies.iter().map(|p| &p.get_ref().bucket));
    for b in named {
        if !known(b.get_ref()) {
            return Err(ctx.err_hint(
                b.span(),
                format!("bucket {:?} is not one of the workload's", b.get_ref()),
                Some(format!(
                    "the workload's buckets are bucket1 to bucket{}",
                    s3.buckets
                )),
            ));
        }
    }
    let _ = auth;
    Ok(())
}
