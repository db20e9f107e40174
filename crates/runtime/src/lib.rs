//! Running functions as Lambda runs them.
//!
//! Each function has a [`Pool`] of instances. An instance is a child process in its own
//! process group, talking to its own Runtime API listener on loopback; a supervisor task owns
//! the process and the invocation it runs (see `instance`). Callers hand an
//! [`InvokeRequest`] to the pool and get an [`Invoked`] back.
//!
//! This crate knows nothing of HTTP front doors, routes or auth.

mod api;
pub mod body;
mod credentials;
mod instance;
mod invocation;
mod logs;
mod memory;
pub mod metrics_names;
mod output;
mod pool;
mod spawn;
mod web;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use portico_config::Config;
use tokio::sync::watch;

pub use credentials::Credentials;
pub use invocation::{InvokeError, InvokeRequest, Invoked, Outcome, ResponseStream, StreamEvent};
pub use pool::{ASYNC_QUEUE, ASYNC_RETRIES, Pool, PoolState, QUEUE_WAIT};

/// How the runtime is set up, beyond the config file.
#[derive(Debug, Clone)]
pub struct Options {
    /// Where Portico writes its bootstraps.
    pub work_dir: PathBuf,
    /// Wait before the first retry of a failed asynchronous invocation (doubles after).
    pub async_retry_delay: Duration,
}

/// Every function's pool.
pub struct Runtime {
    pools: BTreeMap<String, Arc<Pool>>,
    shutdown: watch::Sender<bool>,
    /// What functions get as their AWS credentials (and the gateway signs service calls
    /// with).
    credentials: Credentials,
}

impl Runtime {
    /// Prepares every function of `config`; instances start on the first invocation.
    /// Returns warnings to show the user (a missing interpreter, say).
    pub fn new(config: &Config, options: Options) -> std::io::Result<(Runtime, Vec<String>)> {
        let credentials = Credentials::find(&config.credentials);
        let (launcher, warnings) = spawn::Launcher::new(
            options.work_dir.join("bootstraps"),
            &config.region,
            credentials.clone(),
            config.functions.values(),
        )?;
        let launcher = Arc::new(launcher);
        let (shutdown, watching) = watch::channel(false);
        let pools = config
            .functions
            .iter()
            .map(|(name, f)| {
                let pool = Pool::new(
                    f.clone(),
                    launcher.clone(),
                    watching.clone(),
                    options.async_retry_delay,
                );
                (name.clone(), pool)
            })
            .collect();
        let runtime = Runtime {
            pools,
            shutdown,
            credentials,
        };
        Ok((runtime, warnings))
    }

    /// Where the functions' AWS credentials come from, to say at start-up.
    pub fn credentials_source(&self) -> &str {
        &self.credentials.source
    }

    /// The AWS credentials functions get.
    pub fn credentials(&self) -> &Credentials {
        &self.credentials
    }

    pub fn pool(&self, name: &str) -> Option<&Arc<Pool>> {
        self.pools.get(name)
    }

    /// Every function's pool, by name.
    pub fn pools(&self) -> impl Iterator<Item = &Arc<Pool>> {
        self.pools.values()
    }

    /// Stops every instance (killing its process group) and waits until they are gone.
    pub async fn shutdown(&self) {
        let _ = self.shutdown.send(true);
        for pool in self.pools.values() {
            pool.stopped().await;
        }
    }
}
