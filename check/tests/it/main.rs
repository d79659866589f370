//! The one integration-test binary of `check`: fixtures, parse errors,
//! properties, and the external conformance histories.

mod atomic_object;
mod conformance;
mod conformance_data;
mod convergence;
mod durability;
mod linearizable;
mod linearizable_etcd;
mod linearizable_oracle;
mod linearizable_props;
mod list_after_write;
mod list_props;
mod lost_update;
mod parse;
mod props;
mod read_after_write;
mod s3_format;
mod session;
mod staleness;
mod support;
mod versions;
