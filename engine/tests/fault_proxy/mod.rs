//! A TCP proxy in front of the real S3 test server that injects faults into
//! the first connections: an `HTTP/1.1 500` answer, or a response cut off
//! after a number of bytes. Later connections pass through untouched.
//!
//! Each faulted connection is closed, so the client opens a new one for its
//! next request: while faults last, connections equal requests.

#![allow(dead_code, clippy::unwrap_used)]

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// What the faulted connections get.
#[derive(Clone, Copy, Debug)]
pub enum Fault {
    /// Read the request head, answer `500 InternalError`, close.
    Status500,
    /// Forward the request, relay this many response bytes, then close.
    DropAfter(usize),
}

/// A running proxy; it stops when dropped (its task is aborted).
pub struct FaultProxy {
    addr: SocketAddr,
    connections: Arc<AtomicUsize>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl FaultProxy {
    /// Proxies to `upstream`, applying `fault` to the first `faulty` connections.
    pub async fn start(upstream: SocketAddr, fault: Fault, faulty: usize) -> FaultProxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let connections = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&connections);
        let task = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let n = counter.fetch_add(1, Ordering::SeqCst);
                let fault = (n < faulty).then_some(fault);
                tokio::spawn(serve(client, upstream, fault));
            }
        });
        FaultProxy {
            addr,
            connections,
            task,
        }
    }

    /// `http://127.0.0.1:<port>`, for `S3Options::with_endpoint`.
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Connections accepted so far.
    pub fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }
}

/// The `host:port` of `AWS_ENDPOINT` (`http://127.0.0.1:9000`).
pub fn upstream_from_env() -> Option<SocketAddr> {
    let endpoint = std::env::var("AWS_ENDPOINT").ok()?;
    let rest = endpoint.strip_prefix("http://")?;
    let host = rest.trim_end_matches('/');
    let host = host.replace("localhost", "127.0.0.1");
    host.parse().ok()
}

async fn serve(mut client: TcpStream, upstream: SocketAddr, fault: Option<Fault>) {
    match fault {
        None => {
            if let Ok(mut server) = TcpStream::connect(upstream).await {
                let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
            }
        }
        Some(Fault::Status500) => {
            read_head(&mut client).await;
            let body = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>InternalError</Code><Message>injected by the fault proxy</Message></Error>";
            let response = format!(
                "HTTP/1.1 500 Internal Server Error\r\nContent-Type: application/xml\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = client.write_all(response.as_bytes()).await;
            let _ = client.shutdown().await;
        }
        Some(Fault::DropAfter(limit)) => {
            let Ok(server) = TcpStream::connect(upstream).await else {
                return;
            };
            let (mut client_read, mut client_write) = client.into_split();
            let (mut server_read, mut server_write) = server.into_split();
            let upload = tokio::spawn(async move {
                let _ = tokio::io::copy(&mut client_read, &mut server_write).await;
            });
            let mut sent = 0;
            let mut buffer = vec![0u8; 16 * 1024];
            while sent < limit {
                let Ok(n) = server_read.read(&mut buffer).await else {
                    break;
                };
                if n == 0 {
                    break;
                }
                let n = n.min(limit - sent);
                if client_write.write_all(&buffer[..n]).await.is_err() {
                    break;
                }
                sent += n;
            }
            upload.abort();
            // Dropping both halves closes the connection mid-response.
        }
    }
}

/// Reads until the end of the request head (`\r\n\r\n`) or 64 KiB.
async fn read_head(client: &mut TcpStream) {
    let mut head = Vec::new();
    let mut buffer = [0u8; 4096];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < 64 * 1024 {
        match client.read(&mut buffer).await {
            Ok(0) | Err(_) => return,
            Ok(n) => head.extend_from_slice(&buffer[..n]),
        }
    }
}
