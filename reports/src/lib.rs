//! `reports`: the results of a run (`results.json`) and their renderings:
//! the terminal summary, `report.md`, `report.html`, SVG plots, and the
//! same for a sweep.
//!
//! Depends on `check` for the vocabulary of verdicts and its analyses, and
//! nothing else of ours: a results file (plus the kept histories) is all a
//! report needs, so reports can be re-rendered later (`storesim report`).
//! Everything here is a pure function of its inputs: same results, same
//! bytes.
//!
//! Modules: [`results`] (`results.json` schema), [`metrics`] (per-seed
//! latency/staleness/anomalies; [`latency`] and [`visibility`] histograms;
//! [`probes`], P(fresh) per probe delay; [`activity`], outcomes per kind and
//! over time; [`interval`], Wilson intervals for rates),
//! [`scenario`] (the scenario in words), [`seedinfo`] (`run.json`),
//! [`explain`] (the counterexample to show), [`timeline`], [`plots`],
//! [`report`] (what a report shows) rendered by [`markdown`] and [`html`]
//! into [`files`], [`sweep`] (a grid of runs) shown by [`sweep_page`],
//! [`escape`] (text inside markup), [`replay`] (the command that replays a
//! seed), [`table`] (the terminal summary).
//!
//! Dependencies run one way, from the pages to the data: `files` →
//! `markdown`, `html` → `report` → `plots` → the data (`results`,
//! `metrics`, `seedinfo`, `explain`, `timeline`, `sweep`, ...), which
//! imports no page and no plot; `sweep_page` → `plots::sweep` → `sweep`.

pub mod access;
pub mod activity;
pub mod conditional;
pub mod escape;
pub mod explain;
pub mod files;
pub mod html;
pub mod interval;
pub mod latency;
pub mod markdown;
pub mod metrics;
pub mod moves;
pub mod objects;
pub mod plots;
pub mod probes;
pub mod replay;
pub mod report;
pub mod results;
pub mod scenario;
pub mod seedinfo;
pub mod sweep;
pub mod sweep_page;
pub mod table;
pub mod timeline;
pub mod visibility;

pub use results::{RunResults, SeedResult};
