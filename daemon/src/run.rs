//! Starting a node: open its disk and blobs, bind its two ports, build the
//! store node, then serve peers, S3 clients and the background duties until
//! SIGTERM or SIGINT (which sync the log and exit cleanly; `kill -9` is the
//! crash the log's recovery is for).

use crate::access::{AllowAll, AnyKey, Principals, Signed};
use crate::blobs::BlobStore;
use crate::clock::SystemClock;
use crate::config::NodeConfig;
use crate::daemon::Daemon;
use crate::disk::FileDisk;
use crate::front::Front;
use crate::transport::TcpTransport;
use anyhow::Context as _;
use hyper_util::rt::{TokioExecutor, TokioIo};
use std::sync::Arc;
use store::{Disk as _, Node, SyncPolicy};
use tokio::net::TcpListener;

/// Most S3 connections served at once.
pub const MAX_HTTP_CONNECTIONS: usize = 1024;

/// Runs the node until a signal stops it.
pub async fn run(config: NodeConfig) -> anyhow::Result<()> {
    let dir = &config.data_dir;
    std::fs::create_dir_all(dir)
        .with_context(|| format!("cannot create data folder {}", dir.display()))?;
    let log = dir.join("node.log");
    let (disk, recovered) = FileDisk::open(&log)?;
    let blobs = BlobStore::open(&dir.join("blobs"), config.cluster.sync != SyncPolicy::Never)
        .with_context(|| format!("cannot open the blob folder in {}", dir.display()))?;
    let me = config.peers[config.id as usize];
    let peers = TcpListener::bind(me)
        .await
        .with_context(|| format!("cannot listen for peers on {me}"))?;
    let http = TcpListener::bind(config.s3)
        .await
        .with_context(|| format!("cannot listen for S3 clients on {}", config.s3))?;
    // Injected faults (cut links, clock offset) from the control file, in
    // force before the node serves anything.
    let injected = Arc::new(crate::inject::Injected::new(config.id));
    let control = dir.join(crate::inject::CONTROL_FILE);
    if let Err(e) = injected.load(&control) {
        eprintln!("storesimd node {}: ignored (no faults): {e}", config.id);
    }
    let transport = TcpTransport::with_faults(config.peers.clone(), Some(injected.clone()));
    let node = Node::new(
        config.id,
        config.cluster.clone(),
        transport.clone(),
        SystemClock,
        disk.clone(),
    )
    .with_context(|| format!("cannot load {}", log.display()))?;
    let daemon = Arc::new(Daemon {
        id: config.id,
        node: node.clone(),
        blobs: Arc::new(blobs),
        transport,
    });
    eprintln!(
        "storesimd node {} ({} protocol, N={} R={} W={}): {} entries from {} ({} torn bytes dropped); \
         peers on {me}, S3 on http://{}",
        config.id,
        config.cluster.protocol.name(),
        config.cluster.replicas,
        config.cluster.read_quorum,
        config.cluster.write_quorum,
        recovered.entries.len(),
        log.display(),
        recovered.dropped_bytes,
        config.s3,
    );
    tokio::spawn(async move { injected.watch(control).await });
    tokio::spawn(crate::server::serve(peers, daemon.clone()));
    tokio::spawn(async move { node.run_background().await });
    let mut builder = s3s::service::S3ServiceBuilder::new(Front { daemon });
    match &config.cluster.auth {
        Some(auth) => {
            builder.set_auth(Principals {
                secrets: auth.principals.clone(),
            });
            builder.set_access(Signed);
        }
        None => {
            builder.set_auth(AnyKey {
                secret: config.secret.clone(),
            });
            builder.set_access(AllowAll);
        }
    }
    let service = builder.build();
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    tokio::select! {
        biased;
        _ = term.recv() => {}
        _ = tokio::signal::ctrl_c() => {}
        () = serve_http(http, service) => {}
    }
    disk.sync().context("syncing the log on shutdown")?;
    eprintln!("storesimd node {}: stopped", config.id);
    Ok(())
}

async fn serve_http(listener: TcpListener, service: s3s::service::S3Service) {
    let slots = Arc::new(tokio::sync::Semaphore::new(MAX_HTTP_CONNECTIONS));
    let http = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
    // Unbounded on purpose: the server lives as long as the node.
    loop {
        let Ok(permit) = slots.clone().acquire_owned().await else {
            return;
        };
        let Ok((socket, _)) = listener.accept().await else {
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
            continue;
        };
        let _ = socket.set_nodelay(true);
        let connection = http
            .serve_connection(TokioIo::new(socket), service.clone())
            .into_owned();
        tokio::spawn(async move {
            // A client that hangs up mid-request is its own business.
            let _ = connection.await;
            drop(permit);
        });
    }
}
