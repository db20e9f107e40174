//! A function's instances: started on demand up to its reserved concurrency, reused while
//! warm, replaced when they die. Requests beyond concurrency wait briefly, then are throttled.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use portico_config::Function;
use tokio::sync::{OwnedSemaphorePermit, Semaphore, oneshot, watch};
use tokio::task::JoinSet;

use crate::instance;
use crate::invocation::{InvokeError, InvokeRequest, Invoked, Outcome, Queued};
use crate::spawn::Launcher;

/// How long a synchronous request waits for a free slot before it is throttled.
pub const QUEUE_WAIT: Duration = Duration::from_secs(1);

/// How often an asynchronous (`Event`) invocation is retried after a function error.
pub const ASYNC_RETRIES: u32 = 2;

pub struct Pool {
    function: Arc<Function>,
    launcher: Arc<Launcher>,
    queue_tx: async_channel::Sender<Queued>,
    queue_rx: async_channel::Receiver<Queued>,
    /// One permit per instance the function may have; a caller holds one while its
    /// invocation runs (or its stream is read).
    slots: Arc<Semaphore>,
    instances: Mutex<Instances>,
    shutdown: watch::Receiver<bool>,
    /// Delay before the first async retry; it doubles for the second.
    retry_delay: Duration,
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
            function: Arc::new(function),
            launcher,
            queue_tx,
            queue_rx,
            instances: Mutex::new(Instances::default()),
            shutdown,
            retry_delay,
        })
    }

    pub fn function(&self) -> &Function {
        &self.function
    }

    /// Runs one invocation and waits for its outcome (a stream's body may still be coming).
    pub async fn invoke(self: &Arc<Self>, request: InvokeRequest) -> Result<Invoked, InvokeError> {
        self.check_running()?;
        let permit = tokio::time::timeout(QUEUE_WAIT, self.slots.clone().acquire_owned())
            .await
            .map_err(|_| InvokeError::Throttled)?
            .map_err(|_| InvokeError::ShuttingDown)?;
        self.run(request, permit).await
    }

    /// Queues an asynchronous invocation: it waits for a slot as long as it takes, and is
    /// retried up to [`ASYNC_RETRIES`] times if the function fails.
    pub fn invoke_async(self: &Arc<Self>, request: InvokeRequest) -> Result<(), InvokeError> {
        self.check_running()?;
        let pool = self.clone();
        tokio::spawn(async move {
            let mut delay = pool.retry_delay;
            for attempt in 0..=ASYNC_RETRIES {
                let Ok(permit) = pool.slots.clone().acquire_owned().await else {
                    return;
                };
                let Ok(invoked) = pool.run(request.clone(), permit).await else {
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

    async fn run(
        self: &Arc<Self>,
        request: InvokeRequest,
        permit: OwnedSemaphorePermit,
    ) -> Result<Invoked, InvokeError> {
        let (reply, answer) = oneshot::channel();
        let request_id = request.request_id.clone();
        self.queue_tx
            .send(Queued { request, reply })
            .await
            .map_err(|_| InvokeError::ShuttingDown)?;
        self.ensure_capacity();
        let mut invoked = answer.await.unwrap_or_else(|_| Invoked {
            outcome: Outcome::platform(
                "Runtime.ExitError",
                portico_events::errors::platform::exited(&request_id, None),
            ),
            request_id,
            log_tail: None,
        });
        if let Outcome::Stream(stream) = &mut invoked.outcome {
            stream.permit = Some(permit);
        }
        Ok(invoked)
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
            };
            instances.tasks.spawn(async move {
                instance::run(ctx).await;
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
