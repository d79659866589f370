//! Object sizes: `"4KiB"`-style strings and `object_size = { dist = ... }`
//! tables. A leaf like `duration`: `workload` uses it, it uses no section.

use super::fields::{Result, S, only_keys, required, unknown, written};
use super::span::{Ctx, quoted_list};
use super::{MAX_OBJECT_SIZE, ObjectSize};
use serde::{Deserialize, Serialize};
use toml::Value;

/// Units, longest first so that `KiB` is not read as `K` + `iB`.
const UNITS: &[(&str, u64)] = &[
    ("KiB", 1 << 10),
    ("MiB", 1 << 20),
    ("GiB", 1 << 30),
    ("KB", 1_000),
    ("MB", 1_000_000),
    ("GB", 1_000_000_000),
    ("B", 1),
];

/// Parses `"4KiB"`, `"1.5MB"`, `"512B"`: a number (decimals allowed, rounded
/// to whole bytes) and a unit (`B`, `KB`/`MB`/`GB` = powers of 1000,
/// `KiB`/`MiB`/`GiB` = powers of 1024).
pub fn parse_size(text: &str) -> std::result::Result<u64, String> {
    let text = text.trim();
    let (value, scale) = match number_with_unit(text, UNITS) {
        Ok(parsed) => parsed,
        Err(Malformed::NoUnit) => {
            return Err(format!(
                "\"{text}\" has no unit: expected a size such as \"4KiB\" (units: B, KB, MB, GB, KiB, MiB, GiB)"
            ));
        }
        Err(Malformed::UnknownUnit(unit)) => {
            return Err(format!(
                "\"{text}\": unknown unit \"{unit}\"{}: expected a size such as \"4KiB\" (units, case-sensitive: B, KB, MB, GB, KiB, MiB, GiB)",
                did_you_mean(&unit, UNITS)
            ));
        }
        Err(Malformed::NotNumber) => {
            return Err(format!(
                "\"{text}\" is not a size: expected a number and a unit, such as \"4KiB\""
            ));
        }
    };
    let bytes = (value * scale as f64).round();
    if !bytes.is_finite() || bytes > MAX_OBJECT_SIZE as f64 {
        return Err(format!(
            "\"{text}\" is too large: object sizes are at most {}",
            format_size(MAX_OBJECT_SIZE)
        ));
    }
    Ok(bytes as u64)
}

/// The shortest exact spelling of `bytes` (`"4KiB"`, `"1MB"`, `"1000B"` is
/// `"1KB"`, `"1500B"` stays bytes unless exact).
pub fn format_size(bytes: u64) -> String {
    let exact = [
        ("GiB", 1u64 << 30),
        ("MiB", 1 << 20),
        ("KiB", 1 << 10),
        ("GB", 1_000_000_000),
        ("MB", 1_000_000),
        ("KB", 1_000),
    ];
    for (unit, scale) in exact {
        if bytes >= scale && bytes.is_multiple_of(scale) {
            return format!("{}{unit}", bytes / scale);
        }
    }
    format!("{bytes}B")
}

/// Rate units, longest first (`Gbit/s` before `B/s`): bytes or bits per
/// second, powers of 1000 (network rates are decimal) or 1024 for bytes.
const RATE_UNITS: &[(&str, f64)] = &[
    ("Kbit/s", 1e3 / 8.0),
    ("Mbit/s", 1e6 / 8.0),
    ("Gbit/s", 1e9 / 8.0),
    ("bit/s", 1.0 / 8.0),
    ("KiB/s", 1024.0),
    ("MiB/s", 1048576.0),
    ("GiB/s", 1073741824.0),
    ("KB/s", 1e3),
    ("MB/s", 1e6),
    ("GB/s", 1e9),
    ("B/s", 1.0),
];

/// Fastest link bandwidth: 1 TB/s (beyond, a megabyte crosses in under a
/// microsecond and the knob means nothing).
pub const MAX_BANDWIDTH: u64 = 1_000_000_000_000;

/// Parses `"100MB/s"`, `"1Gbit/s"`, `"512KiB/s"` into bytes per second
/// (rounded; at least 1, at most [`MAX_BANDWIDTH`]).
pub fn parse_rate(text: &str) -> std::result::Result<u64, String> {
    let text = text.trim();
    let units = "B/s, KB/s, MB/s, GB/s, KiB/s, MiB/s, GiB/s, bit/s, Kbit/s, Mbit/s, Gbit/s";
    let (value, scale) = match number_with_unit(text, RATE_UNITS) {
        Ok(parsed) => parsed,
        Err(Malformed::NoUnit) => {
            return Err(format!(
                "\"{text}\" has no unit: expected a rate such as \"100MB/s\" or \"1Gbit/s\" (units: {units})"
            ));
        }
        Err(Malformed::UnknownUnit(unit)) => {
            return Err(format!(
                "\"{text}\": unknown unit \"{unit}\"{}: expected a rate such as \"100MB/s\" or \"1Gbit/s\" (units, case-sensitive: {units})",
                did_you_mean(&unit, RATE_UNITS)
            ));
        }
        Err(Malformed::NotNumber) => {
            return Err(format!(
                "\"{text}\" is not a rate: expected a number and a unit, such as \"100MB/s\""
            ));
        }
    };
    let bytes = (value * scale).round();
    if !(bytes.is_finite() && bytes >= 1.0 && bytes <= MAX_BANDWIDTH as f64) {
        return Err(format!(
            "\"{text}\" is out of range: expected at least 1B/s and at most 1000GB/s"
        ));
    }
    Ok(bytes as u64)
}

/// The shortest exact spelling of a rate in bytes per second (`"100MB/s"`,
/// `"125MB/s"` for 1 Gbit/s, `"1500B/s"`), read back by [`parse_rate`].
pub fn format_rate(bytes_per_s: u64) -> String {
    format!("{}/s", format_size(bytes_per_s))
}

/// `{ dist = "fixed" | "uniform" | "lognormal", ... }` (a flat struct, as
/// latencies are, so errors point at the offending value).
#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub(super) struct SizeSpec {
    pub dist: Option<S<String>>,
    pub value: Option<S<Value>>,
    pub min: Option<S<Value>>,
    pub max: Option<S<Value>>,
    pub median: Option<S<Value>>,
    pub sigma: Option<S<f64>>,
}

const DISTS: &[&str] = &["fixed", "uniform", "lognormal"];

impl SizeSpec {
    pub fn validate(ctx: &Ctx, raw: &S<SizeSpec>) -> Result<ObjectSize> {
        let s = raw.get_ref();
        let Some(dist) = &s.dist else {
            return Err(ctx.err(
                raw.span(),
                format!("object_size needs `dist`: one of {}", quoted_list(DISTS)),
            ));
        };
        let name = dist.get_ref().as_str();
        let wanted: &[&str] = match name {
            "fixed" => &["value"],
            "uniform" => &["min", "max"],
            "lognormal" => &["median", "sigma"],
            _ => return Err(unknown(ctx, dist, DISTS, "object_size dist", "expected ")),
        };
        let present = [
            ("value", s.value.as_ref().map(|v| v.span())),
            ("min", s.min.as_ref().map(|v| v.span())),
            ("max", s.max.as_ref().map(|v| v.span())),
            ("median", s.median.as_ref().map(|v| v.span())),
            ("sigma", s.sigma.as_ref().map(|v| v.span())),
        ];
        let what = format!("object_size dist = \"{name}\"");
        only_keys(ctx, present.into_iter(), wanted, &what)?;
        let get = |v: &Option<S<Value>>, key: &str| -> Result<u64> {
            let value = required(ctx, v.as_ref(), key, &what, dist.span())?;
            size_value(ctx, value, key)
        };
        match name {
            "fixed" => Ok(ObjectSize::Fixed(get(&s.value, "value")?)),
            "uniform" => {
                let (min, max) = (get(&s.min, "min")?, get(&s.max, "max")?);
                if min > max {
                    let span = s.max.as_ref().map_or(raw.span(), |m| m.span());
                    return Err(ctx.err(
                        span,
                        format!(
                            "max = \"{}\" is less than min = \"{}\": expected min ≤ max",
                            format_size(max),
                            format_size(min)
                        ),
                    ));
                }
                Ok(ObjectSize::Uniform { min, max })
            }
            _ => {
                let median = get(&s.median, "median")?;
                let sigma = required(ctx, s.sigma.as_ref(), "sigma", &what, dist.span())?;
                let value = *sigma.get_ref();
                if !(value.is_finite() && (0.0..=10.0).contains(&value)) {
                    return Err(ctx.err(
                        sigma.span(),
                        format!("sigma = {value} is out of range: expected 0 to 10"),
                    ));
                }
                Ok(ObjectSize::Lognormal {
                    median,
                    sigma: value,
                })
            }
        }
    }

    pub fn resolved(size: &ObjectSize) -> SizeSpec {
        let text = |b: u64| written(Value::String(format_size(b)));
        let dist = |d: &str| written(d.to_owned());
        match *size {
            ObjectSize::Fixed(value) => SizeSpec {
                dist: dist("fixed"),
                value: text(value),
                ..SizeSpec::default()
            },
            ObjectSize::Uniform { min, max } => SizeSpec {
                dist: dist("uniform"),
                min: text(min),
                max: text(max),
                ..SizeSpec::default()
            },
            ObjectSize::Lognormal { median, sigma } => SizeSpec {
                dist: dist("lognormal"),
                median: text(median),
                sigma: written(sigma),
                ..SizeSpec::default()
            },
        }
    }
}

/// A size string, with our explanation for a bare number.
fn size_value(ctx: &Ctx, s: &S<Value>, key: &str) -> Result<u64> {
    match s.get_ref() {
        Value::String(text) => {
            parse_size(text).map_err(|why| ctx.err(s.span(), format!("object_size {key}: {why}")))
        }
        Value::Integer(n) => Err(ctx.err_hint(
            s.span(),
            format!("object_size {key} = {n} has no unit: sizes are strings such as \"{n}B\" or \"4KiB\""),
            Some("units: B, KB, MB, GB, KiB, MiB, GiB".into()),
        )),
        other => Err(ctx.err(
            s.span(),
            format!(
                "object_size {key} = {other} is a {}: expected a size string such as \"4KiB\"",
                other.type_str()
            ),
        )),
    }
}

/// Why a quantity with a unit (a size, a rate) did not parse.
enum Malformed {
    NoUnit,
    /// A number followed by something that is not one of the units.
    UnknownUnit(String),
    NotNumber,
}

/// `" (did you mean \"Mbit/s\"?)"` for a unit spelled in another case,
/// with bits written `b/s` or `bps` (`Mb/s` is megabits, not megabytes),
/// or a size where a rate belongs (`MB` for `MB/s`), else nothing.
fn did_you_mean<T>(unit: &str, units: &[(&str, T)]) -> String {
    let bits = match unit
        .strip_suffix("bps")
        .or_else(|| unit.strip_suffix("b/s"))
    {
        Some(prefix) => format!("{prefix}bit/s"),
        None => unit.to_owned(),
    };
    let per_second = format!("{bits}/s");
    let exact = units.iter().find(|(u, _)| *u == bits || *u == per_second);
    let folded = || (units.iter()).find(|(u, _)| u.eq_ignore_ascii_case(&bits));
    match exact.or_else(folded) {
        Some((u, _)) => format!(" (did you mean \"{u}\"?)"),
        None => String::new(),
    }
}

/// Splits trimmed `text` into a non-negative decimal number and the scale of
/// the first unit of `units` it ends with (list longer units that end like
/// shorter ones first).
fn number_with_unit<T: Copy>(
    text: &str,
    units: &[(&str, T)],
) -> std::result::Result<(f64, T), Malformed> {
    let Some(&(unit, scale)) = units.iter().find(|(u, _)| text.ends_with(u)) else {
        let number = |c: char| c.is_ascii_digit() || c == '.' || c.is_whitespace();
        let suffix = text.trim_start_matches(number);
        let starts_numeric = text.len() > suffix.len();
        return Err(if starts_numeric && !suffix.is_empty() {
            Malformed::UnknownUnit(suffix.to_owned())
        } else {
            Malformed::NoUnit
        });
    };
    let number = text[..text.len() - unit.len()].trim();
    let ok = !number.is_empty() && number.chars().all(|c| c.is_ascii_digit() || c == '.');
    match number.parse() {
        Ok(value) if ok => Ok((value, scale)),
        _ => Err(Malformed::NotNumber),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse_and_print_back() {
        for (text, bytes) in [
            ("0B", 0),
            ("512B", 512),
            ("4KiB", 4096),
            ("1MB", 1_000_000),
            ("1.5KiB", 1536),
            ("64MiB", 64 << 20),
        ] {
            assert_eq!(parse_size(text), Ok(bytes), "{text}");
            assert_eq!(parse_size(&format_size(bytes)), Ok(bytes));
        }
        assert_eq!(format_size(4096), "4KiB");
        assert_eq!(format_size(1500), "1500B");
        for bad in ["4", "KiB", "4 parsecs", "-1B", "65MiB", "1e9GB"] {
            assert!(parse_size(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn rates_parse_and_print_back() {
        for (text, bytes) in [
            ("100MB/s", 100_000_000),
            ("1Gbit/s", 125_000_000),
            ("10Mbit/s", 1_250_000),
            ("64KiB/s", 65_536),
            ("1B/s", 1),
        ] {
            assert_eq!(parse_rate(text), Ok(bytes), "{text}");
            assert_eq!(parse_rate(&format_rate(bytes)), Ok(bytes));
        }
        for bad in ["100", "100MB", "0B/s", "1bit/s", "2000GB/s", "fast/s"] {
            assert!(parse_rate(bad).is_err(), "{bad}");
        }
    }

    /// Units are case-sensitive (`MB` is not `Mb`); a unit in another case,
    /// or bits as `b/s`/`bps`, is named and the right spelling suggested.
    #[test]
    fn unknown_units_are_named_with_a_suggestion() {
        for (text, wanted) in [
            (
                "100Mb/s",
                "unknown unit \"Mb/s\" (did you mean \"Mbit/s\"?)",
            ),
            ("1Gbps", "unknown unit \"Gbps\" (did you mean \"Gbit/s\"?)"),
            (
                "100mb/s",
                "unknown unit \"mb/s\" (did you mean \"Mbit/s\"?)",
            ),
            ("5 furlongs/s", "unknown unit \"furlongs/s\":"),
            ("100MB", "unknown unit \"MB\" (did you mean \"MB/s\"?)"),
        ] {
            let why = parse_rate(text).unwrap_err();
            assert!(why.contains(wanted), "{text}: {why}");
        }
        let why = parse_size("4kib").unwrap_err();
        assert!(
            why.contains("unknown unit \"kib\" (did you mean \"KiB\"?)"),
            "{why}"
        );
        assert!(parse_size("4").unwrap_err().contains("has no unit"));
    }
}
