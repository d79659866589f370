//! The one integration-test binary of `check`: fixtures, parse errors,
//! properties, and the external conformance histories.

mod conformance;
mod convergence;
mod parse;
mod props;
mod read_after_write;
mod support;
