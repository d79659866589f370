//! The checks every section shares, one value at a time: integers in a range,
//! probabilities, durations, node indexes, keys that belong to one kind only,
//! a name out of a fixed list; and the two helpers the writers use.
//!
//! A leaf: the section modules use it, it uses none of them, so a section's
//! spec type, its checks and its writer read top to bottom in one file.

use super::span::{Ctx, nearest, quoted_list};
use super::{MAX_DURATION, ScenarioError, format_duration, parse_duration};
use std::ops::Range;
use std::time::Duration;
use toml::{Spanned, Value};

/// A value with its byte span in the file. A spec type holds every value
/// whose check can fail as `Option<S<_>>` (absent: the default applies), so
/// the error points at the value itself. Durations are kept as `S<Value>`, so
/// `duration = 10` (no unit) gets our explanation rather than a type error.
/// Written back, a `None` is left out (the TOML serialiser skips it).
pub(super) type S<T> = Spanned<T>;

pub(super) type Result<T> = std::result::Result<T, ScenarioError>;

/// A validated value and where it was written (`None`: the default), so a
/// relation between two values can blame the one the author wrote.
#[derive(Debug, Clone)]
pub(super) struct Field<T> {
    pub value: T,
    pub span: Option<Range<usize>>,
}

impl<T: Copy> Field<T> {
    pub fn default(value: T) -> Self {
        Field { value, span: None }
    }
}

// ----- writing back -----

/// A resolved value for a spec type being written (its span is never read).
pub(super) fn written<T>(value: T) -> Option<S<T>> {
    Some(S::new(0..0, value))
}

/// A resolved duration, in the shortest exact spelling.
pub(super) fn written_duration(d: Duration) -> Option<S<Value>> {
    written(Value::String(format_duration(d)))
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

/// Only for values already checked to lie in a `u32` range.
pub(super) fn as_u32(value: i64) -> u32 {
    u32::try_from(value).unwrap_or(u32::MAX)
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

/// A node index of a cluster of `nodes` (`0..nodes`).
pub(super) fn node_index(ctx: &Ctx, node: &S<i64>, nodes: u32) -> Result<u32> {
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

/// A duration more than zero, or `default` when absent.
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

// ----- names and keys -----

/// One of a fixed list of names (`choices`), or [`unknown`]'s error.
pub(super) fn one_of<T: Copy>(
    ctx: &Ctx,
    s: &S<String>,
    choices: &[(&str, T)],
    noun: &str,
    lead: &str,
) -> Result<T> {
    match choices.iter().find(|(n, _)| n == s.get_ref()) {
        Some((_, value)) => Ok(*value),
        None => {
            let names: Vec<&str> = choices.iter().map(|(n, _)| *n).collect();
            Err(unknown(ctx, s, &names, noun, lead))
        }
    }
}

/// `unknown {noun} "x": {lead}"a", "b" or "c"` at the name, with the nearest
/// of `names` as a hint.
pub(super) fn unknown(
    ctx: &Ctx,
    s: &S<String>,
    names: &[&str],
    noun: &str,
    lead: &str,
) -> ScenarioError {
    let name = s.get_ref().as_str();
    let message = format!("unknown {noun} \"{name}\": {lead}{}", quoted_list(names));
    let hint = nearest(name, names).map(|n| format!("did you mean \"{n}\"?"));
    ctx.err_hint(s.span(), message, hint)
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
