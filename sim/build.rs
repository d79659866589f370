//! Refuses to build `sim` without `--cfg madsim`, saying why.
//!
//! The flag comes from the repository's `.cargo/config.toml`, which cargo
//! reads only from the current directory up: `cargo build --manifest-path
//! storesim/Cargo.toml` from another folder (or a `RUSTFLAGS` variable, which
//! replaces the config's flags) builds without it, and `sim` would fail only
//! after its dependencies with dozens of unresolved madsim imports. A build
//! script runs before the crate compiles, and cargo tells it the target's
//! cfgs (`CARGO_CFG_MADSIM` is set by `--cfg madsim`), so the build stops
//! with this one message instead. Cargo schedules a build script after the
//! crates more others depend on, so `sim`'s and the binary's dependencies
//! are declared for `cfg(madsim)` only: without the flag there is nothing to
//! compile first, and `cargo build`/`run`/`test` stop within a second.
//! (`cargo test --workspace` still compiles `store`, `check` and `reports`,
//! which build without madsim, before this script stops it.)

fn main() {
    println!("cargo::rerun-if-changed=build.rs");
    if std::env::var_os("CARGO_CFG_MADSIM").is_none() {
        eprintln!(
            "error: the `sim` crate runs the store inside the madsim simulator and must be \
             built with `--cfg madsim`.\n\
             The repository's .cargo/config.toml sets it, but cargo reads that file only \
             from the current directory upwards, and a RUSTFLAGS (or \
             CARGO_ENCODED_RUSTFLAGS) variable replaces it.\n\
             Fix: run cargo from the repository folder (cd <storesim> && cargo build ...) \
             without RUSTFLAGS, or set RUSTFLAGS=\"--cfg madsim\" yourself.\n\
             (Only `store` and `check` build without madsim.)"
        );
        std::process::exit(1);
    }
}
