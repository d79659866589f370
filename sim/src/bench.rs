//! The yardstick for simulator speed: a minimal madsim request/response loop,
//! run the same way as a seed (fresh thread, own runtime), so `storesim bench`
//! can report storesim's message rate as a fraction of raw madsim's.
//!
//! The loop is the fastest raw madsim loop we know (issue 13): many
//! concurrent clients ([`YARDSTICK_CLIENTS`] on [`YARDSTICK_SERVERS`] nodes)
//! under madsim's default latency, so madsim's timer wheel and scheduler
//! always have work queued. A loop of 4 clients with near-zero latency moves
//! about a quarter fewer messages per second, and would flatter storesim.

use serde::{Deserialize, Serialize};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Ping(u64);

impl madsim::net::rpc::Request for Ping {
    type Response = u64;
    const ID: u64 = 0xbe_4c;
}

fn addr(host: u8, net: u8) -> SocketAddr {
    SocketAddr::new(IpAddr::V4(Ipv4Addr::new(10, net, 0, host)), 1)
}

/// Servers of the yardstick loop.
pub const YARDSTICK_SERVERS: u8 = 3;

/// Concurrent clients of the yardstick loop.
pub const YARDSTICK_CLIENTS: u8 = 30;

/// `clients` clients each make `calls` RPCs to `servers` echo servers in turn,
/// with madsim's default network (its default latency, no loss). Returns the
/// number of messages delivered (two per call).
pub fn raw_rpc_loop(seed: u64, servers: u8, clients: u8, calls: u64) -> u64 {
    assert!(
        servers > 0 && clients > 0,
        "at least one server and one client"
    );
    let thread = std::thread::spawn(move || {
        let config = madsim::Config::default();
        let rt = madsim::runtime::Runtime::with_seed_and_config(seed, config);
        for s in 1..=servers {
            rt.create_node()
                .ip(addr(s, 0).ip())
                .init(move || serve(addr(s, 0)))
                .build();
        }
        let handles: Vec<_> = (1..=clients)
            .map(|c| {
                let node = rt.create_node().ip(addr(c, 1).ip()).build();
                node.spawn(call_loop(addr(c, 1), servers, calls))
            })
            .collect();
        rt.block_on(async move {
            let mut delivered = 0;
            for handle in handles {
                delivered += handle.await.expect("client task");
            }
            delivered
        })
    });
    thread.join().expect("the raw loop never panics")
}

async fn serve(me: SocketAddr) {
    let endpoint = madsim::net::Endpoint::bind(me).await.expect("bind");
    endpoint.add_rpc_handler(|ping: Ping| async move { ping.0 });
    std::future::pending::<()>().await;
}

async fn call_loop(me: SocketAddr, servers: u8, calls: u64) -> u64 {
    let endpoint = madsim::net::Endpoint::bind(me).await.expect("bind");
    // Let the servers bind first.
    tokio::time::sleep(Duration::from_millis(10)).await;
    let mut delivered = 0;
    for i in 0..calls {
        let server = addr((i % u64::from(servers)) as u8 + 1, 0);
        let reply = endpoint
            .call_timeout(server, Ping(i), Duration::from_secs(1))
            .await;
        if reply.is_ok_and(|r| r == i) {
            delivered += 2;
        }
    }
    delivered
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_call_is_answered() {
        assert_eq!(super::raw_rpc_loop(1, 3, 2, 50), 200);
    }
}
