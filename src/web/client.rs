//! The client's address, for audit rows and login throttling.

use axum::extract::{ConnectInfo, Request};
use axum::middleware::Next;
use axum::response::Response;
use std::net::SocketAddr;

#[derive(Debug, Clone)]
pub struct ClientAddr(pub String);

/// Stores the peer address as a request extension. Behind a reverse proxy the proxy's address is
/// what we see; deployments that need the original address set the proxy to pass it, and this is
/// the one place to read it.
pub async fn remember_client_addr(mut request: Request, next: Next) -> Response {
    let addr = request.extensions().get::<ConnectInfo<SocketAddr>>().map(|ConnectInfo(a)| a.ip().to_string()).unwrap_or_else(|| "local".to_string());
    request.extensions_mut().insert(ClientAddr(addr));
    next.run(request).await
}
