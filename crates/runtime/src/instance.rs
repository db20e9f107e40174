//! One function instance: its process, its Runtime API listener, and the supervisor task
//! that owns both and every invocation the instance takes.
//!
//! The supervisor is a single loop over events (a Runtime API call, a line of output, the
//! process exiting, a deadline), so no state is shared between tasks. An invocation holds
//! its function's concurrency slot from the moment it is queued until this instance writes
//! its END line, whether or not its caller is still waiting.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;
use portico_config::Function;
use portico_events::errors::platform;
use portico_events::runtime_api as rapi;
use std::collections::VecDeque;
use tokio::net::TcpListener;

use portico_events::extensions_api::{self as xapi, ShutdownReason};
use tokio::net::unix::pipe;
use tokio::sync::{OwnedSemaphorePermit, mpsc, oneshot, watch};
use tokio::time::sleep_until;

use crate::api::{self, Ack, Call, Delivery, ExitReason, Refusal, Registered, ResponseBody};
use crate::invocation::{Invoked, Outcome, Queued, ResponseStream};
use crate::logs::{LogTail, report_line};
use crate::memory::{self, Memory};
use crate::metrics_names::{
    COLD_STARTS, CONCURRENT, DURATION, ERRORS, FUNCTION, INIT_DURATION, INVOCATIONS,
};
use crate::output::Lines;
use crate::spawn::Launcher;
use crate::web;

/// The most output lines read at once before a Runtime API call is handled.
const READY_LINES: usize = 1024;

/// How long the output of a dead process is read before it is given up.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(1);

/// How long a new instance may take to ask for its first invocation, as Lambda's init phase.
const INIT_TIMEOUT: Duration = Duration::from_secs(10);

/// How long extensions registered for `SHUTDOWN` have to finish before they are killed, as
/// Lambda gives them.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(2);

/// Everything an instance needs from its pool.
pub(crate) struct Context {
    pub function: Arc<Function>,
    pub launcher: Arc<Launcher>,
    pub queue: async_channel::Receiver<Queued>,
    /// To put back an invocation this instance could not deliver.
    pub requeue: async_channel::Sender<Queued>,
    pub shutdown: watch::Receiver<bool>,
    /// The pool's counts of invocations and cold starts.
    pub counts: Arc<crate::pool::Counts>,
}

/// An invocation this instance took.
struct Current {
    id: String,
    /// Taken when the caller has been answered.
    reply: Option<oneshot::Sender<Invoked>>,
    /// The function's concurrency slot, released with END.
    slot: Option<OwnedSemaphorePermit>,
    want_tail: bool,
    started: Instant,
    deadline: tokio::time::Instant,
    /// When its memory is next checked.
    memory_check: tokio::time::Instant,
    /// Reported in REPORT for the instance's first invocation.
    init_duration: Option<Duration>,
    /// Where a stream's caller waits for the log tail.
    tail: Option<oneshot::Sender<String>>,
    /// The runtime has finished its answer (posted it, or ended its stream).
    response_done: bool,
    /// The runtime's `next`, asked while extensions still work on this invocation.
    runtime_next: Option<oneshot::Sender<Delivery>>,
}

/// An extension registered with this instance (Extensions API).
struct Extension {
    id: String,
    name: String,
    events: xapi::Events,
    /// Its pending `next`, while it waits for an event.
    next: Option<oneshot::Sender<Result<Bytes, Refusal>>>,
    /// Events it has not taken yet.
    queued: VecDeque<Bytes>,
    /// It has an event it has not finished: it has not asked for the next one since.
    busy: bool,
}

impl Extension {
    /// Hands the extension `event` now if it waits, else when it next asks.
    fn offer(&mut self, event: Bytes) {
        self.busy = true;
        match self.next.take() {
            Some(next) => {
                if let Err(Ok(event)) = next.send(Ok(event)) {
                    self.queued.push_back(event);
                }
            }
            None => self.queued.push_back(event),
        }
    }
}

enum State {
    /// Started, not yet asked for work.
    Init,
    /// Between invocations; `next` is the runtime's pending `GET next`, if it has asked.
    Idle {
        next: Option<oneshot::Sender<Delivery>>,
        since: tokio::time::Instant,
    },
    Busy(Current),
}

/// Why the instance stopped.
enum Exit {
    /// The process's resident memory went over the function's `memory`.
    OutOfMemory,
    Crashed(String),
    TimedOut,
    Reaped,
    Shutdown,
    InitTimedOut,
    /// The runtime or an extension reported an init error.
    InitFailed {
        error_type: String,
        body: Bytes,
    },
    /// An external extension's process ended.
    ExtensionCrashed {
        name: String,
        status: String,
    },
    /// An extension reported an error before exiting.
    ExtensionFailed {
        error_type: String,
        body: Bytes,
    },
}

pub(crate) async fn run(ctx: Context) {
    let listener = match TcpListener::bind(("127.0.0.1", 0)).await {
        Ok(l) => l,
        Err(e) => {
            tracing::error!(function = %ctx.function.name, "cannot open a Runtime API port: {e}");
            fail_waiting(&ctx, None, |id| {
                Outcome::platform(
                    "Runtime.Unknown",
                    platform::could_not_start(id, &e.to_string()),
                )
            });
            return;
        }
    };
    let api_addr = listener
        .local_addr()
        .map(|a| a.to_string())
        .unwrap_or_default();
    let (calls_tx, calls) = mpsc::channel(8);
    let (reason_tx, reason) = watch::channel(None);
    // A web server is told its port; Portico is its runtime (`web.rs`).
    let web_app = ctx.function.web.as_ref().map(|web| web::App {
        port: web.port.unwrap_or_else(free_port),
        readiness: web.readiness.clone(),
        function_name: ctx.function.name.clone(),
        memory_mb: ctx.function.memory_mb,
    });
    let extra: Vec<(&str, String)> = match &web_app {
        Some(app) => vec![
            ("PORT", app.port.to_string()),
            ("AWS_LWA_PORT", app.port.to_string()),
        ],
        None => Vec::new(),
    };
    let forwarder = web_app.map(|app| {
        let shared = api::Shared::new(calls_tx.clone(), ctx.function.limits, reason.clone());
        (app, shared)
    });
    let server = tokio::spawn(api::serve(listener, calls_tx, ctx.function.limits, reason));
    let spawned = Instant::now();
    let started = match ctx.launcher.start(&ctx.function, &api_addr, &extra) {
        Ok(started) => started,
        Err(e) => {
            server.abort();
            tracing::error!(function = %ctx.function.name, "cannot start the function's process: {e}");
            fail_waiting(&ctx, None, |id| {
                Outcome::platform(
                    "Runtime.InvalidEntrypoint",
                    platform::could_not_start(id, &e.to_string()),
                )
            });
            return;
        }
    };
    let readiness_check = forwarder.as_ref().map(|(app, _)| app.describe_check());
    let forwarder = forwarder.map(|(app, shared)| tokio::spawn(web::run(app, shared)));
    // Each external extension's exit is a message: the supervisor owns no extension process
    // but kills them all with the group.
    let (exits_tx, extension_exits) = mpsc::channel(8);
    let mut expected = Vec::new();
    for (name, mut process) in started.extensions {
        expected.push(name.clone());
        let exits = exits_tx.clone();
        tokio::spawn(async move {
            let status = match process.wait().await {
                Ok(s) => exit_status(s),
                Err(e) => e.to_string(),
            };
            let _ = exits.send((name, status)).await;
        });
    }
    let child = started.runtime;
    let mut supervisor = Supervisor {
        group: Some(started.group),
        memory: Memory::new(child.id()),
        stdout: Lines::new(Some(started.stdout)),
        stderr: Lines::new(Some(started.stderr)),
        child,
        ctx,
        calls,
        extension_exits,
        expected,
        extensions: Vec::new(),
        init_next: None,
        reason: reason_tx,
        state: State::Init,
        spawned,
        init_duration: None,
        init_reported: false,
        log: LogTail::default(),
        readiness_check,
    };
    let exit = supervisor.run().await;
    supervisor.announce(&exit);
    supervisor.shutdown_extensions(&exit).await;
    supervisor.kill();
    server.abort();
    if let Some(forwarder) = forwarder {
        forwarder.abort();
    }
    supervisor.finish(exit).await;
}

/// A loopback port free now, for a web server to listen on (0 if none can be found, which
/// the server then reports).
fn free_port() -> u16 {
    std::net::TcpListener::bind(("127.0.0.1", 0))
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or(0)
}

struct Supervisor {
    ctx: Context,
    /// The instance's process group (its extensions and its runtime).
    group: Option<u32>,
    memory: Memory,
    /// The runtime's process.
    child: tokio::process::Child,
    calls: mpsc::Receiver<Call>,
    /// An external extension's name and how its process ended.
    extension_exits: mpsc::Receiver<(String, String)>,
    /// The external extensions started, by file name: init waits until each has registered.
    expected: Vec<String>,
    extensions: Vec<Extension>,
    /// The runtime's first `next`, held until every extension is ready too.
    init_next: Option<oneshot::Sender<Delivery>>,
    /// Why the instance is stopping, for a stream the Runtime API is still pumping.
    reason: watch::Sender<Option<ExitReason>>,
    state: State,
    spawned: Instant,
    /// Set at the first `next`, reported with the first invocation.
    init_duration: Option<Duration>,
    init_reported: bool,
    log: LogTail,
    /// For a web app: its readiness check as words (`GET http://127.0.0.1:8080/`).
    readiness_check: Option<String>,
    /// What the runtime and the extensions print.
    stdout: Lines<pipe::Receiver>,
    stderr: Lines<pipe::Receiver>,
}

impl Supervisor {
    fn name(&self) -> &str {
        &self.ctx.function.name
    }

    async fn run(&mut self) -> Exit {
        let init_deadline = tokio::time::Instant::now() + INIT_TIMEOUT;
        let idle_timeout = self.ctx.function.idle_timeout;
        let queue = self.ctx.queue.clone();
        let mut shutdown = self.ctx.shutdown.clone();
        loop {
            let waiting = matches!(&self.state, State::Idle { next: Some(_), .. });
            let (deadline, memory_check) = match &self.state {
                State::Init => (init_deadline, None),
                State::Idle { since, .. } => (*since + idle_timeout, None),
                State::Busy(current) => (current.deadline, Some(current.memory_check)),
            };
            // Rare events first, so that a function printing without pause cannot starve
            // its own deadline; output last, but read before each Runtime API call.
            tokio::select! {
                biased;
                _ = async { let _ = shutdown.wait_for(|down| *down).await; } => return Exit::Shutdown,
                _ = sleep_until(deadline) => {
                    return match self.state {
                        State::Init => Exit::InitTimedOut,
                        State::Busy(_) => Exit::TimedOut,
                        State::Idle { .. } => Exit::Reaped,
                    };
                }
                _ = sleep_until(memory_check.unwrap_or(deadline)), if memory_check.is_some() => {
                    if self.over_memory() {
                        return Exit::OutOfMemory;
                    }
                    if let State::Busy(current) = &mut self.state {
                        current.memory_check = tokio::time::Instant::now() + memory::CHECK_EVERY;
                    }
                }
                status = self.child.wait() => {
                    let status = match status {
                        Ok(s) => exit_status(s),
                        Err(e) => e.to_string(),
                    };
                    // Read what the process wrote before it died; kill the rest of its group
                    // first so that no leftover process keeps the pipes open.
                    self.kill();
                    let _ = tokio::time::timeout(DRAIN_TIMEOUT, self.drain_output()).await;
                    return Exit::Crashed(status);
                }
                Some((name, status)) = self.extension_exits.recv() => {
                    self.kill();
                    let _ = tokio::time::timeout(DRAIN_TIMEOUT, self.drain_output()).await;
                    return Exit::ExtensionCrashed { name, status };
                }
                Some(call) = self.calls.recv() => {
                    // What the function printed before this call belongs before it in the log.
                    self.ready_output();
                    if let Some(exit) = self.call(call) {
                        return exit;
                    }
                }
                queued = queue.recv(), if waiting => {
                    if let Ok(queued) = queued {
                        self.deliver(queued);
                    }
                }
                Some(line) = self.stdout.next() => self.output(line),
                Some(line) = self.stderr.next() => self.output(line),
            }
        }
    }

    /// Logs the output lines that can be read without waiting.
    fn ready_output(&mut self) {
        use futures_util::FutureExt;
        for _ in 0..READY_LINES {
            let line = self
                .stdout
                .next()
                .now_or_never()
                .flatten()
                .or_else(|| self.stderr.next().now_or_never().flatten());
            match line {
                Some(line) => self.output(line),
                None => return,
            }
        }
    }

    /// Logs every output line until both pipes are closed.
    async fn drain_output(&mut self) {
        while let Some(line) = self.stdout.next().await {
            self.output(line);
        }
        while let Some(line) = self.stderr.next().await {
            self.output(line);
        }
    }

    /// One line the function printed.
    fn output(&mut self, line: String) {
        let request_id = match &self.state {
            State::Busy(c) => c.id.as_str(),
            _ => "-",
        };
        // Recorded before the line is logged: whoever sees the line sees its metrics.
        crate::metrics_names::embedded(&self.ctx.function.name, &line);
        tracing::info!(target: "function", function = %self.ctx.function.name, request_id, "{line}");
        self.log.push(&line);
    }

    /// A line Portico writes into the function's log (START, END, REPORT).
    fn platform_line(&mut self, line: String) {
        tracing::info!(target: "function", function = %self.ctx.function.name, "{line}");
        self.log.push(&line);
    }

    /// Handles one Runtime API call; `Some` when the instance must stop.
    fn call(&mut self, call: Call) -> Option<Exit> {
        match call {
            Call::Next { reply } => {
                match &mut self.state {
                    State::Init => {
                        self.init_next = Some(reply);
                        self.finish_init();
                    }
                    State::Idle { next, since } => {
                        *next = Some(reply);
                        *since = tokio::time::Instant::now();
                    }
                    State::Busy(_) => {
                        if let Some(caller) = self.caller(None) {
                            let id = self.current_id();
                            let body = platform::invalid_state_transition(&id);
                            self.answer(
                                caller,
                                Outcome::platform("Runtime.InvalidStateTransition", body),
                            );
                        }
                        // Asking for the next invocation ends this one's answer (a stream
                        // included), as on Lambda.
                        if let State::Busy(current) = &mut self.state {
                            current.response_done = true;
                            current.runtime_next = Some(reply);
                        }
                        self.try_end();
                    }
                }
                None
            }
            Call::Response { id, body, reply } => {
                let Some(caller) = self.caller(Some(&id)) else {
                    let _ = reply.send(Ack::InvalidRequestId);
                    return None;
                };
                let outcome = match body {
                    ResponseBody::Buffered { body, content_type } => {
                        Outcome::Response { body, content_type }
                    }
                    ResponseBody::TooLarge => {
                        let limit = self
                            .ctx
                            .function
                            .limits
                            .buffered_response
                            .unwrap_or_default();
                        Outcome::platform(
                            "Function.ResponseSizeTooLarge",
                            platform::response_too_large(limit),
                        )
                    }
                    ResponseBody::Stream { content_type, rx } => {
                        let log_tail = match &mut self.state {
                            State::Busy(current) if current.want_tail => {
                                let (tx, rx) = oneshot::channel();
                                current.tail = Some(tx);
                                Some(rx)
                            }
                            _ => None,
                        };
                        Outcome::Stream(ResponseStream {
                            content_type,
                            rx,
                            log_tail,
                        })
                    }
                };
                self.answer(caller, outcome);
                let _ = reply.send(Ack::Accepted);
                None
            }
            Call::Error {
                id: Some(id),
                error_type,
                body,
                reply,
            } => {
                let Some(caller) = self.caller(Some(&id)) else {
                    let _ = reply.send(Ack::InvalidRequestId);
                    return None;
                };
                let body = non_empty(body, &error_type);
                self.answer(caller, Outcome::FunctionError { error_type, body });
                let _ = reply.send(Ack::Accepted);
                None
            }
            Call::Error {
                id: None,
                error_type,
                body,
                reply,
            } => {
                if !matches!(self.state, State::Init) {
                    let _ = reply.send(Ack::InvalidState);
                    return None;
                }
                let _ = reply.send(Ack::Accepted);
                let body = non_empty(body, &error_type);
                tracing::warn!(function = %self.name(), "init failed: {}", String::from_utf8_lossy(&body));
                Some(Exit::InitFailed { error_type, body })
            }
            Call::StreamEnded { id, error } => {
                if let State::Busy(current) = &mut self.state
                    && current.id == id
                {
                    if let Some((error_type, _)) = error {
                        tracing::warn!(function = %self.ctx.function.name, request_id = %id, "stream ended with {error_type}");
                    }
                    current.response_done = true;
                    self.try_end();
                }
                None
            }
            Call::Register {
                name,
                events,
                reply,
            } => {
                let _ = reply.send(self.register(name, events));
                None
            }
            Call::ExtensionNext { id, reply } => {
                self.extension_next(&id, reply);
                None
            }
            Call::ExtensionError {
                id,
                init,
                error_type,
                body,
                reply,
            } => {
                let Some(extension) = self.extensions.iter().find(|e| e.id == id) else {
                    let _ = reply.send(Err(unknown_extension()));
                    return None;
                };
                let name = extension.name.clone();
                let _ = reply.send(Ok(()));
                let body = non_empty(body, &error_type);
                let during_init = matches!(self.state, State::Init);
                let said = String::from_utf8_lossy(&body).into_owned();
                tracing::warn!(function = %self.name(), "extension {name} reported {error_type}: {said}");
                if init || during_init {
                    Some(Exit::InitFailed { error_type, body })
                } else {
                    Some(Exit::ExtensionFailed { error_type, body })
                }
            }
        }
    }

    /// An extension registers: during init only, at most [`xapi::MAX_EXTENSIONS`], each
    /// name once.
    fn register(&mut self, name: String, events: xapi::Events) -> Result<Registered, Refusal> {
        if !matches!(self.state, State::Init) {
            return Err(Refusal::forbidden(
                "Extension.InvalidState",
                "extensions register during init only",
            ));
        }
        if self.extensions.len() >= xapi::MAX_EXTENSIONS {
            return Err(Refusal::forbidden(
                "Extension.TooManyExtensions",
                format!("at most {} extensions may register", xapi::MAX_EXTENSIONS),
            ));
        }
        if self.extensions.iter().any(|e| e.name == name) {
            return Err(Refusal::forbidden(
                "Extension.AlreadyRegistered",
                format!("an extension named {name} is registered already"),
            ));
        }
        let id = uuid::Uuid::new_v4().to_string();
        tracing::debug!(function = %self.name(), "extension {name} registered for {events:?}");
        self.extensions.push(Extension {
            id: id.clone(),
            name,
            events,
            next: None,
            queued: VecDeque::new(),
            busy: false,
        });
        let f = &self.ctx.function;
        Ok(Registered {
            id,
            body: xapi::registered(&f.name, &f.instance_version(), &f.handler),
        })
    }

    /// Extension `id` is done with its last event and asks for the next.
    fn extension_next(&mut self, id: &str, reply: oneshot::Sender<Result<Bytes, Refusal>>) {
        let Some(extension) = self.extensions.iter_mut().find(|e| e.id == id) else {
            let _ = reply.send(Err(unknown_extension()));
            return;
        };
        extension.busy = false;
        extension.next = Some(reply);
        if let Some(event) = extension.queued.pop_front() {
            extension.offer(event);
        }
        self.finish_init();
        self.try_end();
    }

    /// Ends init once the runtime and every extension have asked for their next event,
    /// each external extension started having registered.
    fn finish_init(&mut self) {
        if !matches!(self.state, State::Init) || self.init_next.is_none() {
            return;
        }
        let registered = self
            .expected
            .iter()
            .all(|name| self.extensions.iter().any(|e| &e.name == name));
        let waiting = self.extensions.iter().all(|e| e.next.is_some() && !e.busy);
        if registered && waiting {
            self.init_duration = Some(self.spawned.elapsed());
            self.state = State::Idle {
                next: self.init_next.take(),
                since: tokio::time::Instant::now(),
            };
        }
    }

    /// Ends the current invocation once the runtime has answered and every extension given
    /// its `INVOKE` has asked for its next event; then the runtime's `next`, if it asked,
    /// makes the instance idle.
    fn try_end(&mut self) {
        let extensions_done = !self.extensions.iter().any(|e| e.busy);
        let State::Busy(current) = &mut self.state else {
            return;
        };
        if !current.response_done || !extensions_done {
            return;
        }
        let next = current.runtime_next.take();
        self.end_invocation();
        if let Some(next) = next {
            self.state = State::Idle {
                next: Some(next),
                since: tokio::time::Instant::now(),
            };
        }
    }

    /// Sends `SHUTDOWN` to the extensions registered for it, the runtime stopped first, and
    /// gives them [`SHUTDOWN_GRACE`] to ask for their next event (or exit) before the whole
    /// group is killed.
    async fn shutdown_extensions(&mut self, exit: &Exit) {
        if !self.extensions.iter().any(|e| e.events.shutdown) {
            return;
        }
        let reason = match exit {
            Exit::Reaped | Exit::Shutdown => ShutdownReason::Spindown,
            Exit::TimedOut | Exit::InitTimedOut => ShutdownReason::Timeout,
            _ => ShutdownReason::Failure,
        };
        let _ = self.child.start_kill();
        let deadline = tokio::time::Instant::now() + SHUTDOWN_GRACE;
        let deadline_ms =
            portico_events::time::epoch_ms(SystemTime::now()) + SHUTDOWN_GRACE.as_millis() as u64;
        let event = Bytes::from(xapi::shutdown_event(reason, deadline_ms));
        for extension in self.extensions.iter_mut().filter(|e| e.events.shutdown) {
            extension.busy = false;
            extension.queued.clear();
            extension.offer(event.clone());
        }
        while self.extensions.iter().any(|e| e.busy) {
            tokio::select! {
                biased;
                _ = sleep_until(deadline) => {
                    tracing::warn!(function = %self.name(), "extensions still running {SHUTDOWN_GRACE:?} after SHUTDOWN; killed");
                    return;
                }
                Some(call) = self.calls.recv() => {
                    self.ready_output();
                    // Only an extension's next matters now: it is done, or takes SHUTDOWN
                    // if it was still busy with an invocation when it came.
                    if let Call::ExtensionNext { id, reply } = call
                        && let Some(extension) = self.extensions.iter_mut().find(|e| e.id == id)
                    {
                        extension.busy = false;
                        extension.next = Some(reply);
                        if let Some(event) = extension.queued.pop_front() {
                            extension.offer(event);
                        }
                    }
                }
                Some((name, _)) = self.extension_exits.recv() => {
                    for extension in self.extensions.iter_mut().filter(|e| e.name == name) {
                        extension.busy = false;
                    }
                }
                Some(line) = self.stdout.next() => self.output(line),
                Some(line) = self.stderr.next() => self.output(line),
            }
        }
    }

    /// Hands `queued` to the runtime waiting in `next`.
    fn deliver(&mut self, queued: Queued) {
        if queued.reply.is_closed() {
            // The caller stopped waiting before the invocation started: nothing to run for.
            tracing::info!(function = %self.name(), request_id = %queued.request.request_id, "caller gone before the invocation started; skipped");
            return;
        }
        let State::Idle { next, .. } = &mut self.state else {
            let _ = self.ctx.requeue.try_send(queued);
            return;
        };
        let Some(next) = next.take() else {
            let _ = self.ctx.requeue.try_send(queued);
            return;
        };
        let timeout = self.ctx.function.timeout;
        let deadline_ms =
            portico_events::time::epoch_ms(SystemTime::now()) + timeout.as_millis() as u64;
        let request = &queued.request;
        let mut headers = vec![
            (rapi::REQUEST_ID, request.request_id.clone()),
            (rapi::DEADLINE_MS, deadline_ms.to_string()),
            (rapi::INVOKED_FUNCTION_ARN, request.invoked_arn.clone()),
            (rapi::TRACE_ID, request.trace_id.clone()),
        ];
        if let Some(cc) = &request.client_context {
            headers.push((rapi::CLIENT_CONTEXT, cc.clone()));
        }
        let delivery = Delivery {
            headers,
            payload: request.payload.clone(),
            response_stream: request.response_stream,
        };
        if next.send(delivery).is_err() {
            // The runtime's `next` connection went away: another instance may take it.
            let _ = self.ctx.requeue.try_send(queued);
            return;
        }
        let Queued {
            request,
            reply,
            slot,
        } = queued;
        self.log.clear();
        self.platform_line(format!(
            "START RequestId: {} Version: {}",
            request.request_id, request.version
        ));
        let event = Bytes::from(xapi::invoke_event(
            &request.request_id,
            deadline_ms,
            &request.invoked_arn,
            &request.trace_id,
        ));
        for extension in self.extensions.iter_mut().filter(|e| e.events.invoke) {
            extension.offer(event.clone());
        }
        let now = tokio::time::Instant::now();
        metrics::gauge!(CONCURRENT, FUNCTION => self.ctx.function.name.clone()).increment(1.0);
        self.state = State::Busy(Current {
            id: request.request_id,
            reply: Some(reply),
            slot: Some(slot),
            want_tail: request.want_log_tail,
            started: Instant::now(),
            deadline: now + timeout,
            memory_check: now + memory::CHECK_EVERY,
            init_duration: if self.init_reported {
                None
            } else {
                self.init_duration
            },
            tail: None,
            response_done: false,
            runtime_next: None,
        });
        self.init_reported = true;
    }

    /// The current invocation's caller, if it is still to be answered (and `id` matches).
    fn caller(&mut self, id: Option<&str>) -> Option<oneshot::Sender<Invoked>> {
        match &mut self.state {
            State::Busy(current) if id.is_none_or(|id| id == current.id) => current.reply.take(),
            _ => None,
        }
    }

    fn current_id(&self) -> String {
        match &self.state {
            State::Busy(current) => current.id.clone(),
            _ => String::new(),
        }
    }

    /// Answers the caller of the current invocation. A stream's invocation ends with the
    /// stream (`StreamEnded`); any other ends here.
    fn answer(&mut self, caller: oneshot::Sender<Invoked>, outcome: Outcome) {
        let State::Busy(current) = &self.state else {
            return;
        };
        let streaming = matches!(outcome, Outcome::Stream(_));
        if matches!(outcome, Outcome::FunctionError { .. }) {
            metrics::counter!(ERRORS, FUNCTION => self.ctx.function.name.clone()).increment(1);
        }
        let id = current.id.clone();
        let init_duration = current.init_duration;
        let want_tail = current.want_tail && !streaming;
        if !streaming {
            if let State::Busy(current) = &mut self.state {
                current.response_done = true;
            }
            self.try_end();
        }
        let log_tail = want_tail.then(|| self.log.tail(self.ctx.function.limits.log_tail));
        let _ = caller.send(Invoked {
            request_id: id,
            outcome,
            init_duration,
            log_tail,
        });
    }

    /// Writes END and REPORT for the current invocation, records its metrics, and frees its
    /// slot (once).
    fn end_invocation(&mut self) {
        let State::Busy(current) = &mut self.state else {
            return;
        };
        let Some(slot) = current.slot.take() else {
            return;
        };
        let (id, started, init) = (current.id.clone(), current.started, current.init_duration);
        let tail = current.tail.take();
        let memory = self.memory.peak_mb();
        let name = self.ctx.function.name.clone();
        let counts = &self.ctx.counts;
        counts.invocations.fetch_add(1, Ordering::Relaxed);
        metrics::counter!(INVOCATIONS, FUNCTION => name.clone()).increment(1);
        metrics::histogram!(DURATION, FUNCTION => name.clone())
            .record(started.elapsed().as_secs_f64());
        metrics::gauge!(CONCURRENT, FUNCTION => name.clone()).decrement(1.0);
        if let Some(init) = init {
            counts.cold_starts.fetch_add(1, Ordering::Relaxed);
            metrics::counter!(COLD_STARTS, FUNCTION => name.clone()).increment(1);
            metrics::histogram!(INIT_DURATION, FUNCTION => name).record(init.as_secs_f64());
        }
        self.platform_line(format!("END RequestId: {id}"));
        self.platform_line(report_line(
            &id,
            started.elapsed(),
            self.ctx.function.memory_mb,
            memory,
            init,
        ));
        if let Some(tail) = tail {
            let _ = tail.send(self.log.tail(self.ctx.function.limits.log_tail));
        }
        drop(slot);
    }

    /// Ends the current invocation with a platform error (timeout, crash, ...).
    fn conclude(&mut self, error_type: &str, body: impl FnOnce(&str) -> Vec<u8>) {
        if let Some(caller) = self.caller(None) {
            let body = body(&self.current_id());
            self.answer(caller, Outcome::platform(error_type, body));
        }
        self.end_invocation();
    }

    /// Tells a stream still being pumped why it is about to break.
    fn announce(&mut self, exit: &Exit) {
        let id = self.current_id();
        let reason = match exit {
            Exit::TimedOut => (
                platform::TIMED_OUT,
                platform::timed_out(&id, self.ctx.function.timeout),
            ),
            Exit::OutOfMemory => ("Runtime.OutOfMemory", platform::out_of_memory(&id)),
            Exit::Shutdown => (
                "Runtime.ExitError",
                platform::exited(&id, Some("signal: killed")),
            ),
            _ => return,
        };
        let _ = self
            .reason
            .send(Some((reason.0.to_string(), Bytes::from(reason.1))));
    }

    fn kill(&mut self) {
        if let Some(pid) = self.group {
            let _ = nix::sys::signal::killpg(
                nix::unistd::Pid::from_raw(pid as i32),
                nix::sys::signal::Signal::SIGKILL,
            );
        }
    }

    /// Resolves whatever the instance still owed, after its process is gone.
    async fn finish(&mut self, exit: Exit) {
        let _ = self.child.wait().await;
        let timeout = self.ctx.function.timeout;
        let busy = matches!(self.state, State::Busy(_));
        match exit {
            Exit::TimedOut => {
                let line = format!(
                    "{} {} Task timed out after {:.2} seconds",
                    portico_events::time::iso8601_ms(SystemTime::now()),
                    self.current_id(),
                    timeout.as_secs_f64()
                );
                self.platform_line(line);
                self.conclude(platform::TIMED_OUT, |id| platform::timed_out(id, timeout));
            }
            Exit::OutOfMemory => {
                tracing::warn!(function = %self.name(), "over its memory of {} MB; instance stopped", self.ctx.function.memory_mb);
                self.conclude("Runtime.OutOfMemory", platform::out_of_memory);
            }
            Exit::Crashed(status) if busy => {
                tracing::warn!(function = %self.name(), request_id = %self.current_id(), "runtime exited: {status}");
                self.conclude("Runtime.ExitError", |id| {
                    platform::exited(id, Some(&status))
                });
            }
            Exit::Crashed(status) if matches!(self.state, State::Init) => {
                tracing::warn!(function = %self.name(), "runtime exited during init: {status}");
                fail_waiting(&self.ctx, Some(&self.log), |id| {
                    Outcome::platform("Runtime.ExitError", platform::exited(id, Some(&status)))
                });
            }
            Exit::Crashed(status) => {
                tracing::warn!(function = %self.name(), "runtime exited between invocations: {status}");
            }
            Exit::InitFailed { error_type, body } => {
                fail_waiting(&self.ctx, Some(&self.log), |_| Outcome::FunctionError {
                    error_type,
                    body,
                });
            }
            Exit::InitTimedOut if self.readiness_check.is_some() => {
                let check = self.readiness_check.clone().unwrap_or_default();
                tracing::warn!(function = %self.name(), "the web app did not pass its readiness check ({check}) within {INIT_TIMEOUT:?}; instance stopped");
                fail_waiting(&self.ctx, Some(&self.log), |id| {
                    Outcome::platform(
                        "Runtime.WebAppNotReady",
                        platform::web_app_not_ready(id, &check, INIT_TIMEOUT),
                    )
                });
            }
            Exit::InitTimedOut => {
                tracing::warn!(function = %self.name(), "init did not finish within {INIT_TIMEOUT:?}; instance stopped");
                fail_waiting(&self.ctx, Some(&self.log), |id| {
                    Outcome::platform(platform::TIMED_OUT, platform::timed_out(id, INIT_TIMEOUT))
                });
            }
            Exit::Shutdown => {
                self.conclude("Runtime.ExitError", |id| {
                    platform::exited(id, Some("signal: killed"))
                });
            }
            Exit::Reaped => {
                tracing::info!(function = %self.name(), "instance stopped after {:?} idle", self.ctx.function.idle_timeout);
            }
            Exit::ExtensionCrashed { name, status } => {
                tracing::warn!(function = %self.name(), "extension {name} exited: {status}");
                let body = |id: &str| platform::extension_crashed(id, &name, &status);
                if matches!(self.state, State::Init) {
                    fail_waiting(&self.ctx, Some(&self.log), |id| {
                        Outcome::platform("Extension.Crash", body(id))
                    });
                } else {
                    self.conclude("Extension.Crash", body);
                }
            }
            Exit::ExtensionFailed { error_type, body } => {
                if let Some(caller) = self.caller(None) {
                    self.answer(caller, Outcome::FunctionError { error_type, body });
                }
                self.end_invocation();
            }
        }
    }

    /// Whether the process's resident memory is over the function's `memory`.
    fn over_memory(&mut self) -> bool {
        let limit_kb = u64::from(self.ctx.function.memory_mb) * 1024;
        self.memory.resident_kb().is_some_and(|kb| kb > limit_kb)
    }
}

/// Answers the next waiting invocation whose caller is still there with `outcome`, as
/// Lambda returns an init failure to an invocation waiting for the instance.
fn fail_waiting(ctx: &Context, log: Option<&LogTail>, outcome: impl FnOnce(&str) -> Outcome) {
    while let Ok(queued) = ctx.queue.try_recv() {
        if queued.reply.is_closed() {
            continue;
        }
        let log_tail = queued.request.want_log_tail.then(|| {
            log.map(|l| l.tail(ctx.function.limits.log_tail))
                .unwrap_or_default()
        });
        let outcome = outcome(&queued.request.request_id);
        let _ = queued.reply.send(Invoked {
            request_id: queued.request.request_id,
            outcome,
            init_duration: None,
            log_tail,
        });
        return;
    }
}

fn unknown_extension() -> Refusal {
    Refusal::forbidden(
        "Extension.UnknownExtensionIdentifier",
        "Lambda-Extension-Identifier names no registered extension",
    )
}

/// The error document, or one made from the type when the runtime sent none.
fn non_empty(body: Bytes, error_type: &str) -> Bytes {
    if body.is_empty() {
        Bytes::from(platform::from_type(error_type))
    } else {
        body
    }
}

/// Reads like Go's `exit status 3` / `signal: killed`, as Lambda reports it.
fn exit_status(status: std::process::ExitStatus) -> String {
    use std::os::unix::process::ExitStatusExt;
    match (status.code(), status.signal()) {
        (Some(code), _) => format!("exit status {code}"),
        (None, Some(9)) => "signal: killed".to_string(),
        (None, Some(sig)) => format!("signal: {}", signal_name(sig)),
        _ => "unknown".to_string(),
    }
}

fn signal_name(sig: i32) -> String {
    nix::sys::signal::Signal::try_from(sig)
        .map(|s| s.as_str().trim_start_matches("SIG").to_ascii_lowercase())
        .unwrap_or_else(|_| sig.to_string())
}
