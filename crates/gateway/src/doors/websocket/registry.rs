//! The open connections of every WebSocket API, behind a narrow trait: the management API
//! reaches a connection through it (a later store shares it across Portico nodes).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use bytes::Bytes;
use tokio::sync::{Notify, mpsc};

/// A message for a connection's client.
#[derive(Debug)]
pub enum Outgoing {
    Text(String),
    Binary(Bytes),
}

impl Outgoing {
    /// `bytes` as a text message if they are UTF-8, else as a binary one.
    pub fn of(bytes: Bytes) -> Outgoing {
        match String::from_utf8(bytes.to_vec()) {
            Ok(text) => Outgoing::Text(text),
            Err(_) => Outgoing::Binary(bytes),
        }
    }

    /// Its length in bytes.
    pub(crate) fn len(&self) -> usize {
        match self {
            Outgoing::Text(text) => text.len(),
            Outgoing::Binary(bytes) => bytes.len(),
        }
    }
}

/// What is known of a connection, for `GetConnection` and its events.
#[derive(Debug, Clone)]
pub struct Info {
    pub api: String,
    pub stage: String,
    pub connected_at: SystemTime,
    pub last_active_at: SystemTime,
    pub source_ip: String,
    pub user_agent: Option<String>,
}

/// Why a message did not reach a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Undelivered {
    /// No such connection (never was, or closed).
    Gone,
    /// Its outbox is full: the client reads slower than it is written to.
    Full,
}

/// The open connections.
pub trait Connections: Send + Sync {
    /// Registers a connection: its messages go to `outbox`, and `close` is notified when
    /// it is to be closed.
    fn insert(&self, id: &str, info: Info, outbox: mpsc::Sender<Outgoing>, close: Arc<Notify>);
    fn remove(&self, id: &str);
    /// Queues `message` for the connection without waiting.
    fn send(&self, id: &str, message: Outgoing) -> Result<(), Undelivered>;
    /// Asks the connection to close.
    fn close(&self, id: &str) -> Result<(), Undelivered>;
    fn info(&self, id: &str) -> Option<Info>;
    /// Notes that the connection was active now (a message in or out).
    fn touch(&self, id: &str);
    /// How many are open.
    fn count(&self) -> usize;
}

struct Entry {
    info: Info,
    outbox: mpsc::Sender<Outgoing>,
    close: Arc<Notify>,
}

/// The connections of this process.
#[derive(Default)]
pub struct Local {
    entries: Mutex<HashMap<String, Entry>>,
}

impl Local {
    fn entries(&self) -> std::sync::MutexGuard<'_, HashMap<String, Entry>> {
        self.entries.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Connections for Local {
    fn insert(&self, id: &str, info: Info, outbox: mpsc::Sender<Outgoing>, close: Arc<Notify>) {
        let entry = Entry {
            info,
            outbox,
            close,
        };
        self.entries().insert(id.to_string(), entry);
    }

    fn remove(&self, id: &str) {
        self.entries().remove(id);
    }

    fn send(&self, id: &str, message: Outgoing) -> Result<(), Undelivered> {
        let outbox = match self.entries().get(id) {
            Some(entry) => entry.outbox.clone(),
            None => return Err(Undelivered::Gone),
        };
        outbox.try_send(message).map_err(|e| match e {
            mpsc::error::TrySendError::Full(_) => Undelivered::Full,
            mpsc::error::TrySendError::Closed(_) => Undelivered::Gone,
        })
    }

    fn close(&self, id: &str) -> Result<(), Undelivered> {
        let entries = self.entries();
        let entry = entries.get(id).ok_or(Undelivered::Gone)?;
        entry.close.notify_one();
        Ok(())
    }

    fn info(&self, id: &str) -> Option<Info> {
        self.entries().get(id).map(|e| e.info.clone())
    }

    fn touch(&self, id: &str) {
        if let Some(entry) = self.entries().get_mut(id) {
            entry.info.last_active_at = SystemTime::now();
        }
    }

    fn count(&self) -> usize {
        self.entries().len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Whether `future` is ready at once.
    fn futures_now(future: impl std::future::Future) -> bool {
        let waker = std::task::Waker::noop();
        let mut cx = std::task::Context::from_waker(waker);
        std::pin::pin!(future).poll(&mut cx).is_ready()
    }

    fn info() -> Info {
        Info {
            api: "chat".into(),
            stage: "dev".into(),
            connected_at: SystemTime::now(),
            last_active_at: SystemTime::now(),
            source_ip: "127.0.0.1".into(),
            user_agent: None,
        }
    }

    #[test]
    fn a_connection_is_reached_until_it_is_gone_and_a_full_outbox_says_so() {
        let local = Local::default();
        let (tx, mut rx) = mpsc::channel(1);
        let close = Arc::new(Notify::new());
        local.insert("a", info(), tx, close.clone());
        assert_eq!(local.send("a", Outgoing::Text("1".into())), Ok(()));
        assert_eq!(
            local.send("a", Outgoing::Text("2".into())),
            Err(Undelivered::Full)
        );
        assert!(matches!(rx.try_recv(), Ok(Outgoing::Text(t)) if t == "1"));
        assert_eq!(local.count(), 1);
        assert_eq!(local.close("a"), Ok(()));
        // The notification waits for the connection's task.
        assert!(futures_now(close.notified()));
        local.remove("a");
        assert_eq!(local.close("a"), Err(Undelivered::Gone));
        assert_eq!(
            local.send("a", Outgoing::Text("3".into())),
            Err(Undelivered::Gone)
        );
        assert!(local.info("a").is_none());
    }
}
