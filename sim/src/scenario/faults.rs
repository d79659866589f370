//! `[[faults]]` tables → [`Fault`]s, sorted by start time.
//!
//! Each table is read by hand from a flat raw struct (see [`super::raw`]) so
//! that every error points at the value: an unknown `kind`, a key that belongs
//! to another kind, a node index outside the cluster, a partition that
//! separates nobody, two crashes of one node at once.

use super::raw::{RawFault, RawGroups, S};
use super::span::{Ctx, nearest, quoted_list};
use super::validate::{Field, duration_value, only_keys, positive, required};
use super::{Fault, FaultKind, ScenarioError, format_duration};
use std::ops::Range;
use std::time::Duration;

type Result<T> = std::result::Result<T, ScenarioError>;

/// Fault kinds implemented.
const KINDS: &[&str] = &["partition", "crash"];
/// Fault kinds DESIGN.md plans but the simulation does not implement yet.
const PLANNED_KINDS: &[&str] = &["isolate", "clog", "pause", "clock-jump", "nemesis"];

/// A validated fault and the span of its `at`, for errors found after sorting.
struct Placed {
    fault: Fault,
    at_span: Range<usize>,
}

/// Validates every fault against the faulty phase (`duration`) and the
/// cluster size, then sorts them by `at` (stable: equal starts keep file order).
pub(super) fn faults(
    ctx: &Ctx,
    raw: &[S<RawFault>],
    duration: &Field<Duration>,
    nodes: u32,
) -> Result<Vec<Fault>> {
    let mut placed = raw
        .iter()
        .map(|f| fault(ctx, f, duration, nodes))
        .collect::<Result<Vec<Placed>>>()?;
    placed.sort_by_key(|p| p.fault.at);
    no_overlapping_crashes(ctx, &placed, duration.value)?;
    Ok(placed.into_iter().map(|p| p.fault).collect())
}

fn fault(ctx: &Ctx, raw: &S<RawFault>, duration: &Field<Duration>, nodes: u32) -> Result<Placed> {
    let f = raw.get_ref();
    let Some(kind) = &f.kind else {
        let message = format!(
            "a [[faults]] table needs `kind`: one of {}",
            quoted_list(KINDS)
        );
        return Err(ctx.err(raw.span(), message));
    };
    let name = kind.get_ref().as_str();
    if !KINDS.contains(&name) {
        return Err(unknown_kind(ctx, kind));
    }
    let what = format!("kind = \"{name}\"");
    let wanted: &[&str] = if name == "partition" {
        &["groups"]
    } else {
        &["node"]
    };
    let present = [
        ("groups", f.groups.as_ref().map(|g| g.span())),
        ("node", f.node.as_ref().map(|n| n.span())),
    ];
    only_keys(ctx, present.into_iter(), wanted, &what)?;

    let at = required(ctx, f.at.as_ref(), "at", &what, kind.span())?;
    let at_value = duration_value(ctx, at, "at")?;
    starts_in_time(ctx, at, at_value, duration)?;
    let length = required(ctx, f.duration.as_ref(), "duration", &what, kind.span())?;
    let length = Field {
        value: duration_value(ctx, length, "duration")?,
        span: Some(length.span()),
    };
    positive(ctx, &length, "duration")?;

    let kind = if name == "partition" {
        let groups = required(ctx, f.groups.as_ref(), "groups", &what, kind.span())?;
        FaultKind::Partition {
            groups: partition(ctx, groups, nodes)?,
        }
    } else {
        let node = required(ctx, f.node.as_ref(), "node", &what, kind.span())?;
        FaultKind::Crash {
            node: node_index(ctx, node, nodes)?,
        }
    };
    Ok(Placed {
        fault: Fault {
            at: at_value,
            duration: length.value,
            kind,
        },
        at_span: at.span(),
    })
}

fn unknown_kind(ctx: &Ctx, kind: &S<String>) -> ScenarioError {
    let name = kind.get_ref();
    let message = if PLANNED_KINDS.contains(&name.as_str()) {
        format!(
            "fault kind \"{name}\" is not implemented yet: supported: {}",
            quoted_list(KINDS)
        )
    } else {
        format!(
            "unknown fault kind \"{name}\": expected {}",
            quoted_list(KINDS)
        )
    };
    let hint = nearest(name, KINDS).map(|n| format!("did you mean \"{n}\"?"));
    ctx.err_hint(kind.span(), message, hint)
}

/// A fault must start inside the faulty phase, or it would never happen.
fn starts_in_time(
    ctx: &Ctx,
    at: &S<toml::Value>,
    value: Duration,
    duration: &Field<Duration>,
) -> Result<()> {
    if value < duration.value {
        return Ok(());
    }
    let default = if duration.span.is_none() {
        " (the default)"
    } else {
        ""
    };
    Err(ctx.err(
        at.span(),
        format!(
            "at = \"{}\" is not before the end of the faulty phase (duration = \"{}\"{default}): the fault would never happen",
            format_duration(value),
            format_duration(duration.value)
        ),
    ))
}

fn node_index(ctx: &Ctx, node: &S<i64>, nodes: u32) -> Result<u32> {
    let n = *node.get_ref();
    match u32::try_from(n) {
        Ok(index) if index < nodes => Ok(index),
        _ => Err(ctx.err(
            node.span(),
            format!(
                "node {n} is not in the cluster: nodes are numbered 0 to {}",
                nodes - 1
            ),
        )),
    }
}

/// Groups: at least one, each non-empty, disjoint, node indexes in range, and
/// separating someone (two or more groups, or one group smaller than the cluster,
/// whose outsiders are cut off).
fn partition(ctx: &Ctx, groups: &RawGroups, nodes: u32) -> Result<Vec<Vec<u32>>> {
    if groups.get_ref().is_empty() {
        return Err(ctx.err(
            groups.span(),
            "groups is empty: expected lists of node indexes, e.g. [[0, 1], [2]]".into(),
        ));
    }
    let mut seen = vec![false; nodes as usize];
    let mut out = Vec::new();
    for group in groups.get_ref() {
        if group.get_ref().is_empty() {
            return Err(ctx.err(
                group.span(),
                "this partition group is empty: list at least one node".into(),
            ));
        }
        let mut members = Vec::new();
        for node in group.get_ref() {
            let index = node_index(ctx, node, nodes)?;
            if std::mem::replace(&mut seen[index as usize], true) {
                return Err(ctx.err(
                    node.span(),
                    format!("node {index} is in more than one group: groups must be disjoint"),
                ));
            }
            members.push(index);
        }
        out.push(members);
    }
    if out.len() == 1 && out[0].len() == nodes as usize {
        return Err(ctx.err_hint(
            groups.span(),
            "this partition separates nobody: its one group holds every node".into(),
            Some("list two or more groups, e.g. [[0, 1], [2]]; nodes left out of every group are cut off from all".into()),
        ));
    }
    Ok(out)
}

/// A node cannot crash while it is down: two crash faults of the same node may
/// not overlap (each counted until it ends or the faulty phase does).
fn no_overlapping_crashes(ctx: &Ctx, placed: &[Placed], phase: Duration) -> Result<()> {
    for (i, later) in placed.iter().enumerate() {
        let FaultKind::Crash { node } = later.fault.kind else {
            continue;
        };
        let clash = placed[..i].iter().find(|earlier| {
            earlier.fault.kind == FaultKind::Crash { node }
                && end(&earlier.fault, phase) > later.fault.at
        });
        if let Some(earlier) = clash {
            return Err(ctx.err(
                later.at_span.clone(),
                format!(
                    "node {node} is already crashed at \"{}\": an earlier crash of it lasts from \"{}\" to \"{}\"",
                    format_duration(later.fault.at),
                    format_duration(earlier.fault.at),
                    format_duration(end(&earlier.fault, phase))
                ),
            ));
        }
    }
    Ok(())
}

/// When a fault ends: after its duration, or when the faulty phase ends.
fn end(fault: &Fault, phase: Duration) -> Duration {
    (fault.at + fault.duration).min(phase)
}
