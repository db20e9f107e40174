//! Echoes every WebSocket message back to its sender: what the WebSocket benchmark compares
//! Portico with. Usage: `portico-bench-ws-echo 127.0.0.1:3901`.

use futures_util::{SinkExt, StreamExt};
use tokio::net::TcpListener;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:3901".into());
    let listener = TcpListener::bind(&addr).await?;
    loop {
        let (stream, _) = listener.accept().await?;
        tokio::spawn(async move {
            // Portico's buffers, so that idle memory compares like with like.
            let config = WebSocketConfig::default()
                .read_buffer_size(4 * 1024)
                .write_buffer_size(0);
            let Ok(socket) =
                tokio_tungstenite::accept_async_with_config(stream, Some(config)).await
            else {
                return;
            };
            let (mut sink, mut stream) = socket.split();
            while let Some(Ok(message)) = stream.next().await {
                if (message.is_text() || message.is_binary()) && sink.send(message).await.is_err() {
                    return;
                }
            }
        });
    }
}
