//! Refuses to build storesimd with `--cfg madsim`, saying why: it runs the
//! store on real tokio, and the repository's .cargo/config.toml adds that
//! flag to every build started from the repository folder.

fn main() {
    println!("cargo::rerun-if-changed=build.rs");
    if std::env::var_os("CARGO_CFG_MADSIM").is_some() {
        eprintln!(
            "error: storesimd runs the store on real tokio and must be built without \
             `--cfg madsim`, which the repository's .cargo/config.toml adds.\n\
             Fix: CARGO_ENCODED_RUSTFLAGS= cargo build --release \
             --manifest-path daemon/Cargo.toml --target-dir target/plain"
        );
        std::process::exit(1);
    }
}
