//! `[expect]`: what the scenario expects of each check, by check name.

use super::Expectation;
use super::fields::{Result, S, written};
use super::span::{Ctx, nearest, quoted_list};
use check::CheckName;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The `[expect]` table: check name → `"pass"`, `"fail"` or `"any"`.
#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(transparent)]
pub(super) struct ExpectSpec(pub BTreeMap<S<String>, S<String>>);

const EXPECTATIONS: &[(&str, Expectation)] = &[
    ("pass", Expectation::Pass),
    ("fail", Expectation::Fail),
    ("any", Expectation::Any),
];

impl ExpectSpec {
    pub fn validate(&self, ctx: &Ctx) -> Result<BTreeMap<CheckName, Expectation>> {
        let mut out = BTreeMap::new();
        for (key, value) in &self.0 {
            out.insert(check_name(ctx, key)?, expectation(ctx, value)?);
        }
        Ok(out)
    }

    pub fn resolved(expect: &BTreeMap<CheckName, Expectation>) -> ExpectSpec {
        let name = |e: &Expectation| EXPECTATIONS.iter().find(|(_, x)| x == e).map(|(n, _)| *n);
        ExpectSpec(
            (expect.iter())
                .filter_map(|(check, e)| {
                    Some((
                        written(check.as_str().to_owned())?,
                        written(name(e)?.to_owned())?,
                    ))
                })
                .collect(),
        )
    }
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
