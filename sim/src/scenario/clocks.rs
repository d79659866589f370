//! `[clocks]`: the per-node clock error LWW timestamps are taken with.

use super::fields::{Result, S, duration, written, written_duration};
use super::span::Ctx;
use super::{Clocks, MAX_DRIFT_PPM};
use serde::{Deserialize, Serialize};
use std::time::Duration;
use toml::Value;

/// The `[clocks]` table. See [`Clocks`] for the defaults.
#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ClocksSpec {
    pub skew: Option<S<Value>>,
    pub drift_ppm: Option<S<f64>>,
}

impl ClocksSpec {
    pub fn validate(&self, ctx: &Ctx) -> Result<Clocks> {
        let skew = duration(ctx, self.skew.as_ref(), "skew", Duration::ZERO)?.value;
        let drift_ppm = match &self.drift_ppm {
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

    pub fn resolved(c: &Clocks) -> ClocksSpec {
        ClocksSpec {
            skew: written_duration(c.skew),
            drift_ppm: written(c.drift_ppm),
        }
    }
}
