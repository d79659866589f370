//! Raw TOML values → a validated [`Scenario`]: defaults, ranges, and the
//! relations between values (R, W ≤ N ≤ nodes, ...). The first problem found
//! is returned, at the position of the value that is wrong.

use super::raw::{RawClocks, RawMix, RawProbes, RawScenario, RawWorkload, S};
use super::span::{Ctx, nearest, quoted_list};
use super::{
    Affinity, Clocks, Expectation, MAX_CLIENTS, MAX_DRIFT_PPM, MAX_DURATION, MAX_KEYS, MAX_LATENCY,
    MAX_OPS, MAX_PROBE_DELAYS, MAX_PROBE_TRIALS, MIX_SUM_TOLERANCE, Mix, Probes, Scenario,
    ScenarioError, Workload, format_duration, parse_duration,
};
use check::CheckName;
use std::collections::BTreeMap;
use std::ops::Range;
use std::time::Duration;
use toml::Value;

type Result<T> = std::result::Result<T, ScenarioError>;

const EXPECTATIONS: &[(&str, Expectation)] = &[
    ("pass", Expectation::Pass),
    ("fail", Expectation::Fail),
    ("any", Expectation::Any),
];

/// A validated value and where it was written (`None`: the default), so a
/// relation between two values can blame the one the author wrote.
#[derive(Debug, Clone)]
pub(super) struct Field<T> {
    pub value: T,
    pub span: Option<Range<usize>>,
}

impl<T: Copy> Field<T> {
    fn default(value: T) -> Self {
        Field { value, span: None }
    }
}

pub(super) fn scenario(ctx: &Ctx, raw: RawScenario) -> Result<Scenario> {
    let name = required_text(ctx, raw.name, "name")?;
    if name.get_ref().trim().is_empty() {
        return Err(ctx.err(
            name.span(),
            "name is empty: give the scenario a short name".into(),
        ));
    }
    let description = required_text(ctx, raw.description, "description")?;
    let seed = seed(ctx, raw.seed.as_ref())?;
    let duration = duration(
        ctx,
        raw.duration.as_ref(),
        "duration",
        Duration::from_secs(10),
    )?;
    positive(ctx, &duration, "duration")?;
    let quiesce = duration_or(ctx, raw.quiesce.as_ref(), "quiesce", Duration::from_secs(5))?;
    let cluster = super::cluster::cluster(ctx, &raw.cluster)?;
    let faults = super::faults::faults(ctx, &raw.faults, &duration, cluster.nodes)?;
    let nemesis = super::nemesis::nemesis(ctx, raw.nemesis.as_ref(), cluster.nodes)?;
    let scenario = Scenario {
        name: name.into_inner(),
        description: description.into_inner(),
        seed,
        quiesce,
        clocks: clocks(ctx, &raw.clocks)?,
        network: super::network::network(ctx, &raw.network, cluster.nodes)?,
        workload: workload(ctx, &raw.workload, duration.value)?,
        expect: expect(ctx, &raw.expect)?,
        duration: duration.value,
        cluster,
        faults,
        nemesis,
    };
    let mix = &scenario.workload.mix;
    super::cluster::check_cas(ctx, &scenario.cluster, &raw.workload, mix)?;
    Ok(scenario)
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

// ----- numbers -----

/// An integer in `lo..=hi`, or `default` when absent.
pub(super) fn int(
    ctx: &Ctx,
    raw: Option<&S<i64>>,
    key: &str,
    lo: i64,
    hi: i64,
    default: i64,
) -> Result<Field<i64>> {
    let Some(s) = raw else {
        return Ok(Field::default(default));
    };
    let value = *s.get_ref();
    if !(lo..=hi).contains(&value) {
        return Err(ctx.err(
            s.span(),
            format!("{key} = {value} is out of range: expected {lo} to {hi}"),
        ));
    }
    Ok(Field {
        value,
        span: Some(s.span()),
    })
}

/// `small ≤ big`, blaming `small` if it was written, else `big`.
pub(super) fn at_most(
    ctx: &Ctx,
    small: &Field<i64>,
    small_key: &str,
    big: &Field<i64>,
    big_key: &str,
    why: &str,
) -> Result<()> {
    if small.value <= big.value {
        return Ok(());
    }
    let span = small.span.clone().or(big.span.clone()).unwrap_or(0..0);
    let note = |f: &Field<i64>| {
        if f.span.is_none() {
            " (the default)"
        } else {
            ""
        }
    };
    Err(ctx.err_hint(
        span,
        format!(
            "{small_key} = {}{} is more than {big_key} = {}{}: expected {small_key} ≤ {big_key}",
            small.value,
            note(small),
            big.value,
            note(big)
        ),
        Some(why.to_owned()),
    ))
}

/// A probability in [0, 1], or `default`.
pub(super) fn probability(ctx: &Ctx, raw: Option<&S<f64>>, key: &str, default: f64) -> Result<f64> {
    let Some(s) = raw else { return Ok(default) };
    let p = *s.get_ref();
    if !(0.0..=1.0).contains(&p) {
        return Err(ctx.err(
            s.span(),
            format!("{key} = {p} is not a probability: expected 0 to 1"),
        ));
    }
    Ok(p)
}

// ----- durations -----

/// A duration string (≤ [`MAX_DURATION`]), or `default` when absent.
pub(super) fn duration(
    ctx: &Ctx,
    raw: Option<&S<Value>>,
    key: &str,
    default: Duration,
) -> Result<Field<Duration>> {
    match raw {
        None => Ok(Field::default(default)),
        Some(s) => Ok(Field {
            value: duration_value(ctx, s, key)?,
            span: Some(s.span()),
        }),
    }
}

fn duration_or(
    ctx: &Ctx,
    raw: Option<&S<Value>>,
    key: &str,
    default: Duration,
) -> Result<Duration> {
    duration(ctx, raw, key, default).map(|f| f.value)
}

/// A written duration: a string such as `"10s"`, at most [`MAX_DURATION`].
pub(super) fn duration_value(ctx: &Ctx, s: &S<Value>, key: &str) -> Result<Duration> {
    let text = match s.get_ref() {
        Value::String(text) => text,
        Value::Integer(n) => {
            return Err(ctx.err_hint(
                s.span(),
                format!(
                    "{key} = {n} has no unit: durations are strings such as \"{n}s\" or \"{n}ms\""
                ),
                Some("units: ns, us, µs, ms, s, m, h".into()),
            ));
        }
        other => {
            return Err(ctx.err(
                s.span(),
                format!(
                    "{key} = {other} is a {}: expected a duration string such as \"10s\"",
                    other.type_str()
                ),
            ));
        }
    };
    let d = parse_duration(text).map_err(|why| ctx.err(s.span(), format!("{key}: {why}")))?;
    if d > MAX_DURATION {
        return Err(ctx.err(
            s.span(),
            format!("{key} = \"{text}\" is too long: expected at most \"24h\""),
        ));
    }
    Ok(d)
}

/// A duration that must be more than zero (defaults always are).
pub(super) fn positive(ctx: &Ctx, f: &Field<Duration>, key: &str) -> Result<()> {
    match &f.span {
        Some(span) if f.value.is_zero() => Err(ctx.err(
            span.clone(),
            format!("{key} is zero: expected more than \"0s\""),
        )),
        _ => Ok(()),
    }
}

pub(super) fn positive_duration(
    ctx: &Ctx,
    raw: Option<&S<Value>>,
    key: &str,
    default: Duration,
) -> Result<Duration> {
    let f = duration(ctx, raw, key, default)?;
    positive(ctx, &f, key)?;
    Ok(f.value)
}

// ----- sections -----

/// Only for values already checked to lie in a `u32` range.
pub(super) fn as_u32(value: i64) -> u32 {
    u32::try_from(value).unwrap_or(u32::MAX)
}

fn clocks(ctx: &Ctx, raw: &RawClocks) -> Result<Clocks> {
    let skew = duration_or(ctx, raw.skew.as_ref(), "skew", Duration::ZERO)?;
    let drift_ppm = match &raw.drift_ppm {
        None => 0.0,
        Some(s) if (0.0..=MAX_DRIFT_PPM).contains(s.get_ref()) => *s.get_ref(),
        Some(s) => {
            return Err(ctx.err(
                s.span(),
                format!(
                    "drift_ppm = {} is out of range: expected 0 to {MAX_DRIFT_PPM}",
                    s.get_ref()
                ),
            ));
        }
    };
    Ok(Clocks { skew, drift_ppm })
}

/// Rejects keys that do not belong to this kind (`what`, e.g. `kind = "crash"`),
/// at the stray value, naming the keys that do belong.
pub(super) fn only_keys<'k>(
    ctx: &Ctx,
    present: impl Iterator<Item = (&'k str, Option<Range<usize>>)>,
    wanted: &[&str],
    what: &str,
) -> Result<()> {
    for (key, span) in present {
        if let Some(span) = span.filter(|_| !wanted.contains(&key)) {
            let takes = wanted
                .iter()
                .map(|w| format!("`{w}`"))
                .collect::<Vec<_>>()
                .join(", ");
            return Err(ctx.err(
                span,
                format!("`{key}` does not apply to {what}, which takes {takes}"),
            ));
        }
    }
    Ok(())
}

/// A key the kind (`what`) requires; if missing, the error points at the kind.
pub(super) fn required<'v, T>(
    ctx: &Ctx,
    value: Option<&'v T>,
    key: &str,
    what: &str,
    kind_span: Range<usize>,
) -> Result<&'v T> {
    value.ok_or_else(|| ctx.err(kind_span, format!("{what} needs `{key}`")))
}

fn workload(ctx: &Ctx, raw: &RawWorkload, duration: Duration) -> Result<Workload> {
    let clients_field = int(
        ctx,
        raw.clients.as_ref(),
        "clients",
        0,
        i64::from(MAX_CLIENTS),
        4,
    )?;
    let clients = clients_field.value;
    let keys = int(ctx, raw.keys.as_ref(), "keys", 1, i64::from(MAX_KEYS), 3)?.value;
    let ops = int(ctx, raw.ops.as_ref(), "ops", 1, MAX_OPS as i64, 1000)?.value;
    let mix = match &raw.mix {
        None => Mix {
            get: 0.5,
            put: 0.4,
            delete: 0.1,
            cas: 0.0,
        },
        Some(s) => mix(ctx, s)?,
    };
    let think = match &raw.think {
        Some(s) => duration_value(ctx, s, "think")?,
        None => default_think(duration, clients, ops),
    };
    let probes = match &raw.probes {
        Some(p) => Some(probes(ctx, p.get_ref(), clients)?),
        None => None,
    };
    // clients = 0 runs the staleness probes alone (their reads measure
    // visibility undisturbed); with no probe either, nothing would run.
    if clients == 0
        && probes.is_none()
        && let Some(span) = clients_field.span
    {
        return Err(ctx.err(
            span,
            format!(
                "clients = 0 is out of range: expected 1 to {MAX_CLIENTS} \
                 (0 only with staleness probes, [workload.probes])"
            ),
        ));
    }
    Ok(Workload {
        clients: as_u32(clients),
        keys: as_u32(keys),
        ops: ops as u64,
        mix,
        think,
        probes,
        coordinator: affinity(ctx, raw.coordinator.as_ref())?,
    })
}

/// `coordinator = "random" | "sticky"` (default `random`).
fn affinity(ctx: &Ctx, raw: Option<&S<String>>) -> Result<Affinity> {
    let Some(s) = raw else {
        return Ok(Affinity::Random);
    };
    let name = s.get_ref().as_str();
    let all = [Affinity::Random, Affinity::Sticky];
    if let Some(a) = all.iter().find(|a| a.as_str() == name) {
        return Ok(*a);
    }
    let names: Vec<&str> = all.iter().map(|a| a.as_str()).collect();
    let message = format!(
        "unknown coordinator choice \"{name}\": supported: {}",
        quoted_list(&names)
    );
    let hint = nearest(name, &names).map(|n| format!("did you mean \"{n}\"?"));
    Err(ctx.err_hint(s.span(), message, hint))
}

/// `[workload.probes]`: probe clients count against the client limit too.
fn probes(ctx: &Ctx, raw: &RawProbes, clients: i64) -> Result<Probes> {
    let room = (i64::from(MAX_CLIENTS) - clients).max(1);
    let count = int(ctx, raw.clients.as_ref(), "probes.clients", 1, room, 1)?.value;
    let trials = int(
        ctx,
        raw.trials.as_ref(),
        "probes.trials",
        1,
        MAX_PROBE_TRIALS,
        100,
    )?
    .value;
    let list = raw.delays.get_ref();
    if list.is_empty() || list.len() > MAX_PROBE_DELAYS {
        return Err(ctx.err(
            raw.delays.span(),
            format!(
                "probes.delays has {} entries: expected 1 to {MAX_PROBE_DELAYS} durations",
                list.len()
            ),
        ));
    }
    let mut delays = Vec::with_capacity(list.len());
    for d in list {
        let delay = duration_value(ctx, d, "probes.delays")?;
        if delay > MAX_LATENCY {
            return Err(ctx.err(
                d.span(),
                format!(
                    "a probe delay may be at most {}",
                    format_duration(MAX_LATENCY)
                ),
            ));
        }
        delays.push(delay);
    }
    delays.sort();
    Ok(Probes {
        clients: as_u32(count),
        trials: as_u32(trials),
        delays,
    })
}

/// 0.8 × duration × clients / ops: each client's operations spread over about
/// 80% of the faulty phase, leaving room for the operations' own latency so that
/// all `ops` usually run before the workload stops at the end of the phase.
fn default_think(duration: Duration, clients: i64, ops: i64) -> Duration {
    let nanos = duration.as_nanos() * 4 * clients as u128 / (5 * ops as u128);
    Duration::from_nanos(u64::try_from(nanos).unwrap_or(u64::MAX))
}

fn mix(ctx: &Ctx, raw: &S<RawMix>) -> Result<Mix> {
    let m = raw.get_ref();
    let weight = |w: &Option<S<f64>>, key: &str| -> Result<f64> {
        match w {
            None => Ok(0.0),
            Some(s) if s.get_ref().is_finite() && *s.get_ref() >= 0.0 => Ok(*s.get_ref()),
            Some(s) => Err(ctx.err(
                s.span(),
                format!(
                    "mix {key} = {} is not a weight: expected a finite number ≥ 0",
                    s.get_ref()
                ),
            )),
        }
    };
    let (get, put) = (weight(&m.get, "get")?, weight(&m.put, "put")?);
    let (delete, cas) = (weight(&m.delete, "delete")?, weight(&m.cas, "cas")?);
    let sum = get + put + delete + cas;
    if !sum.is_finite() {
        let message = "mix weights are too large: their sum is not a finite number".into();
        return Err(ctx.err_hint(
            raw.span(),
            message,
            Some("use fractions, e.g. { get = 0.5, put = 0.5 }".into()),
        ));
    }
    if sum <= 0.0 {
        return Err(ctx.err_hint(
            raw.span(),
            "mix has no operations: every weight is zero".into(),
            Some("give at least one of get, put, delete, cas a positive weight, e.g. { get = 0.5, put = 0.5 }".into()),
        ));
    }
    if (sum - 1.0).abs() > MIX_SUM_TOLERANCE {
        return Err(mix_sum_error(ctx, raw.span(), [get, put, delete, cas], sum));
    }
    Ok(Mix {
        get: get / sum,
        put: put / sum,
        delete: delete / sum,
        cas: cas / sum,
    })
}

/// The names of the mix weights, in [`Mix`]'s order.
const MIX_KEYS: [&str; 4] = ["get", "put", "delete", "cas"];

/// Weights that do not add up to 1: name the sum and the terms, and suggest
/// the same proportions scaled to 1 (in thousandths, the largest weight
/// absorbing the rounding, so the suggestion itself is accepted).
fn mix_sum_error(ctx: &Ctx, span: Range<usize>, weights: [f64; 4], sum: f64) -> ScenarioError {
    let terms: Vec<String> = (MIX_KEYS.iter().zip(weights))
        .filter(|(_, w)| *w > 0.0)
        .map(|(k, w)| format!("{k} {}", decimal(w)))
        .collect();
    let mut thousandths = weights.map(|w| (w / sum * 1000.0).round() as i64);
    let largest = (0..4)
        .max_by(|&a, &b| weights[a].total_cmp(&weights[b]))
        .unwrap_or(0);
    thousandths[largest] += 1000 - thousandths.iter().sum::<i64>();
    let scaled: Vec<String> = (MIX_KEYS.iter().zip(thousandths))
        .filter(|(_, t)| *t > 0)
        .map(|(k, t)| format!("{k} = {}", decimal(t as f64 / 1000.0)))
        .collect();
    ctx.err_hint(
        span,
        format!(
            "mix weights sum to {} ({}): expected 1, each weight being the fraction of operations of its kind",
            decimal(sum),
            terms.join(" + ")
        ),
        Some(format!(
            "make them add up to 1 (within {MIX_SUM_TOLERANCE:e}); the same proportions: {{ {} }}",
            scaled.join(", ")
        )),
    )
}

/// At most six decimals, without trailing zeros (`1.1`, not `1.1000000000000001`).
fn decimal(x: f64) -> String {
    let text = format!("{x:.6}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    text.to_owned()
}

fn expect(
    ctx: &Ctx,
    raw: &BTreeMap<S<String>, S<String>>,
) -> Result<BTreeMap<CheckName, Expectation>> {
    let mut out = BTreeMap::new();
    for (key, value) in raw {
        out.insert(check_name(ctx, key)?, expectation(ctx, value)?);
    }
    Ok(out)
}

fn check_name(ctx: &Ctx, key: &S<String>) -> Result<CheckName> {
    let name = key.get_ref().as_str();
    if let Some(check) = CheckName::parse(name) {
        return Ok(check);
    }
    let valid: Vec<&str> = CheckName::ALL.iter().map(|c| c.as_str()).collect();
    // Checks DESIGN.md names that `check` does not implement yet: a scenario
    // cannot expect anything of them, since nothing can judge them.
    let planned: Vec<&str> = (CheckName::DEFINED.iter())
        .filter(|c| !CheckName::ALL.contains(c))
        .map(|c| c.as_str())
        .collect();
    if planned.contains(&name) {
        return Err(ctx.err(
            key.span(),
            format!("check \"{name}\" is not implemented yet, so nothing can be expected of it; implemented checks: {}", valid.join(", ")),
        ));
    }
    let mut known = valid.clone();
    known.extend_from_slice(&planned);
    let hint = nearest(name, &known).map(|n| format!("did you mean \"{n}\"?"));
    Err(ctx.err_hint(
        key.span(),
        format!("unknown check \"{name}\": expected {}", quoted_list(&valid)),
        hint,
    ))
}

fn expectation(ctx: &Ctx, value: &S<String>) -> Result<Expectation> {
    let text = value.get_ref().as_str();
    if let Some((_, e)) = EXPECTATIONS.iter().find(|(n, _)| *n == text) {
        return Ok(*e);
    }
    let names: Vec<&str> = EXPECTATIONS.iter().map(|(n, _)| *n).collect();
    Err(ctx.err_hint(
        value.span(),
        format!(
            "unknown expectation \"{text}\": expected {}",
            quoted_list(&names)
        ),
        Some(
            "\"pass\": valid on every seed; \"fail\": invalid on some seed; \"any\": not judged"
                .into(),
        ),
    ))
}
