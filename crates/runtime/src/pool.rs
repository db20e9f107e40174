//! A function's instances: started on demand up to its reserved concurrency, reused while
//! warm, replaced when they die. Requests beyond concurrency wait briefly, then are throttled.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use portico_config::Function;
use tokio::sync::{OwnedSemaphorePermit, Semaphore, oneshot, watch};
use tokio::task::JoinSet;

use crate::instance;
use crate::invocation::{InvokeError, InvokeRequest, Invoked, Outcome, Queued};
use crate::metrics_names;
use crate::spawn::Launcher;

/// How long a synchronous request waits for a free slot before it is throttled.
pub const QUEUE_WAIT: Duration = Duration::from_secs(1);

/// How often an asynchronous (`Event`) invocation is retried after a function error.
pub const ASYNC_RETRIES: u32 = 2;

/// The most asynchronous invocations waiting (or being retried) per function.
pub const ASYNC_QUEUE: usize = 10_000;

pub struct Pool {
    function: Arc<Function>,
    launcher: Arc<Launcher>,
    queue_tx: async_channel::Sender<Queued>,
    queue_rx: async_channel::Receiver<Queued>,
    /// One permit per instance the function may have; an invocation holds one from when
    /// it is queued until its instance writes END.
    slots: Arc<Semaphore>,
    /// One permit per asynchronous invocation that may wait.
    events: Arc<Semaphore>,
    instances: Mutex<Instances>,
    shutdown: watch::Receiver<bool>,
    /// Delay before the first async retry; it doubles for the second.
    retry_delay: Duration,
    counts: Arc<Counts>,
}

/// What a pool's instances have done so far, counted as it happens.
#[derive(Default)]
pub(crate) struct Counts {
    pub invocations: AtomicU64,
    pub cold_starts: AtomicU64,
}

/// A pool as the dashboard shows it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PoolState {
    pub name: String,
    /// Instances alive (warm or starting).
    pub instances: u32,
    /// Invocations holding a slot (running or waiting for an instance).
    pub busy: u32,
    /// The function's reserved concurrency.
    pub concurrency: u32,
    pub cold_starts: u64,
    pub invocations: u64,
}

#[derive(Default)]
struct Instances {
    alive: u32,
    tasks: JoinSet<()>,
}

impl Pool {
    pub(crate) fn new(
        function: Function,
        launcher: Arc<Launcher>,
        shutdown: watch::Receiver<bool>,
        retry_delay: Duration,
    ) -> Arc<Pool> {
        let (queue_tx, queue_rx) = async_channel::unbounded();
        Arc::new(Pool {
            slots: Arc::new(Semaphore::new(function.concurrency as usize)),
            events: Arc::new(Semaphore::new(ASYNC_QUEUE)),
            function: Arc::new(function),
            launcher,
            queue_tx,
            queue_rx,
            instances: Mutex::new(Instances::default()),
            shutdown,
            retry_delay,
            counts: Arc::default(),
        })
    }

    /// How many instances the pool has and what they have done.
    pub fn state(&self) -> PoolState {
        let instances = self
            .instances
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .alive;
        let concurrency = self.function.concurrency;
        PoolState {
            name: self.function.name.clone(),
            instances,
            busy: concurrency.saturating_sub(self.slots.available_permits() as u32),
            concurrency,
            cold_starts: self.counts.cold_starts.load(Ordering::Relaxed),
            invocations: self.counts.invocations.load(Ordering::Relaxed),
        }
    }

    pub fn function(&self) -> &Function {
        &self.function
    }

    /// Runs one invocation and waits for its outcome (a stream's body may still be coming).
    pub async fn invoke(self: &Arc<Self>, request: InvokeRequest) -> Result<Invoked, InvokeError> {
        self.check_running()?;
        let slot = tokio::time::timeout(QUEUE_WAIT, self.slots.clone().acquire_owned())
            .await
            .map_err(|_| {
                let name = self.function.name.clone();
                metrics::counter!(metrics_names::THROTTLES, metrics_names::FUNCTION => name)
                    .increment(1);
                InvokeError::Throttled
            })?
            .map_err(|_| InvokeError::ShuttingDown)?;
        self.run(request, slot).await
    }

    /// Queues an asynchronous invocation: it waits for a slot as long as it takes, and is
    /// retried up to [`ASYNC_RETRIES`] times if the function fails. At most
    /// [`ASYNC_QUEUE`] events wait per function; beyond that the caller is throttled.
    pub fn invoke_async(self: &Arc<Self>, request: InvokeRequest) -> Result<(), InvokeError> {
        self.check_running()?;
        let queued = self.events.clone().try_acquire_owned().map_err(|_| {
            let name = self.function.name.clone();
            metrics::counter!(metrics_names::THROTTLES, metrics_names::FUNCTION => name)
                .increment(1);
            InvokeError::Throttled
        })?;
        let pool = self.clone();
        tokio::spawn(async move {
            let _queued = queued;
            let mut delay = pool.retry_delay;
            for attempt in 0..=ASYNC_RETRIES {
                let Ok(slot) = pool.slots.clone().acquire_owned().await else {
                    return;
                };
                let Ok(invoked) = pool.run(request.clone(), slot).await else {
                    return;
                };
                match invoked.outcome {
                    Outcome::FunctionError { error_type, .. } if attempt < ASYNC_RETRIES => {
                        tracing::warn!(
                            function = %pool.function.name,
                            request_id = %request.request_id,
                            "async invocation failed with {error_type}; retrying in {delay:?}"
                        );
                        tokio::time::sleep(delay).await;
                        delay *= 2;
                    }
                    Outcome::FunctionError { error_type, .. } => {
                        tracing::warn!(
                            function = %pool.function.name,
                            request_id = %request.request_id,
                            "async invocation failed with {error_type} after {} attempts; dropped",
                            ASYNC_RETRIES + 1
                        );
                        return;
                    }
                    Outcome::Stream(mut stream) => {
                        while stream.next().await.is_some() {}
                        return;
                    }
                    _ => return,
                }
            }
        });
        Ok(())
    }

    fn check_running(&self) -> Result<(), InvokeError> {
        if *self.shutdown.borrow() {
            Err(InvokeError::ShuttingDown)
        } else {
            Ok(())
        }
    }

    /// Queues `request` with its concurrency slot, which the instance that runs it frees
    /// when the invocation ends, and waits for the outcome.
    async fn run(
        self: &Arc<Self>,
        request: InvokeRequest,
        slot: OwnedSemaphorePermit,
    ) -> Result<Invoked, InvokeError> {
        let (reply, answer) = oneshot::channel();
        let request_id = request.request_id.clone();
        self.queue_tx
            .send(Queued {
                request,
                reply,
                slot,
            })
            .await
            .map_err(|_| InvokeError::ShuttingDown)?;
        self.ensure_capacity();
        Ok(answer.await.unwrap_or_else(|_| Invoked {
            outcome: Outcome::platform(
                "Runtime.ExitError",
                portico_events::errors::platform::exited(&request_id, None),
            ),
            request_id,
            init_duration: None,
            log_tail: None,
        }))
    }

    /// Starts instances until every invocation in flight has one.
    fn ensure_capacity(self: &Arc<Self>) {
        if *self.shutdown.borrow() {
            return;
        }
        let in_flight = self.function.concurrency as usize - self.slots.available_permits();
        let mut instances = self.instances.lock().unwrap_or_else(|e| e.into_inner());
        while let Some(done) = instances.tasks.try_join_next() {
            drop(done);
        }
        while (instances.alive as usize) < in_flight {
            instances.alive += 1;
            let pool = self.clone();
            let ctx = instance::Context {
                function: self.function.clone(),
                launcher: self.launcher.clone(),
                queue: self.queue_rx.clone(),
                requeue: self.queue_tx.clone(),
                shutdown: self.shutdown.clone(),
                counts: self.counts.clone(),
            };
            instances.tasks.spawn(async move {
                let run = std::panic::AssertUnwindSafe(instance::run(ctx));
                if futures_util::FutureExt::catch_unwind(run).await.is_err() {
                    tracing::error!(function = %pool.function.name, "an instance supervisor panicked; instance replaced");
                }
                pool.instance_exited();
            });
        }
    }

    fn instance_exited(self: &Arc<Self>) {
        {
            let mut instances = self.instances.lock().unwrap_or_else(|e| e.into_inner());
            instances.alive = instances.alive.saturating_sub(1);
        }
        self.ensure_capacity();
    }

    /// Waits until every instance has stopped (after shutdown was signalled).
    pub(crate) async fn stopped(&self) {
        let mut tasks = {
            let mut instances = self.instances.lock().unwrap_or_else(|e| e.into_inner());
            std::mem::take(&mut instances.tasks)
        };
        while tasks.join_next().await.is_some() {}
    }
}
