//! One function instance: its process, its Runtime API listener, and the supervisor task
//! that owns both and every invocation the instance takes.
//!
//! The supervisor is a single loop over events (a Runtime API call, a line of output, the
//! process exiting, a deadline), so no state is shared between tasks.

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;
use portico_config::Function;
use portico_events::errors::platform;
use portico_events::runtime_api as rapi;
use tokio::io::{AsyncBufReadExt, BufReader, Lines};
use tokio::net::TcpListener;
use tokio::process::{ChildStderr, ChildStdout};
use tokio::sync::{mpsc, oneshot, watch};
use tokio::time::sleep_until;

use crate::api::{self, Ack, Call, Delivery, ResponseBody};
use crate::invocation::{Invoked, Outcome, Queued, ResponseStream, StreamEvent};
use crate::logs::{LogTail, report_line};
use crate::memory::{self, Memory};
use crate::spawn::Launcher;

/// A process's output read line by line; `None` once it is closed.
type Output<R> = Option<Lines<BufReader<R>>>;

/// The most output lines read at once before a Runtime API call is handled.
const READY_LINES: usize = 1024;

/// How long the output of a dead process is read before it is given up.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(1);

/// How long a new instance may take to ask for its first invocation, as Lambda's init phase.
const INIT_TIMEOUT: Duration = Duration::from_secs(10);

/// Everything an instance needs from its pool.
pub(crate) struct Context {
    pub function: Arc<Function>,
    pub launcher: Arc<Launcher>,
    pub queue: async_channel::Receiver<Queued>,
    /// To put back an invocation this instance could not deliver.
    pub requeue: async_channel::Sender<Queued>,
    pub shutdown: watch::Receiver<bool>,
}

/// An invocation this instance took.
struct Current {
    id: String,
    /// Taken when the caller has been answered.
    reply: Option<oneshot::Sender<Invoked>>,
    want_tail: bool,
    started: Instant,
    deadline: tokio::time::Instant,
    /// When its memory is next checked.
    memory_check: tokio::time::Instant,
    /// For a stream in progress: where to report a timeout.
    stream: Option<mpsc::Sender<StreamEvent>>,
    /// Reported in REPORT for the instance's first invocation.
    init_duration: Option<Duration>,
    /// END and REPORT have been written.
    ended: bool,
}

enum State {
    /// Started, not yet asked for work.
    Init,
    /// Asked for work (`next` pending) or between invocations.
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
}

pub(crate) async fn run(ctx: Context) {
    let name = ctx.function.name.clone();
    let listener = match TcpListener::bind(("127.0.0.1", 0)).await {
        Ok(l) => l,
        Err(e) => {
            tracing::error!(function = %name, "cannot open a Runtime API port: {e}");
            fail_one_queued(
                &ctx,
                "Runtime.Unknown",
                platform::from_type("Runtime.Unknown"),
            );
            return;
        }
    };
    let api_addr = listener
        .local_addr()
        .map(|a| a.to_string())
        .unwrap_or_default();
    let (calls_tx, calls) = mpsc::channel(8);
    let server = tokio::spawn(api::serve(listener, calls_tx, ctx.function.limits));
    let spawned = Instant::now();
    let child = match ctx.launcher.spawn(&ctx.function, &api_addr) {
        Ok(child) => child,
        Err(e) => {
            server.abort();
            tracing::error!(function = %name, "cannot start the function's process: {e}");
            let message = format!("RequestId:  Error: could not start the runtime: {e}");
            fail_one_queued(
                &ctx,
                "Runtime.InvalidEntrypoint",
                serde_json::to_vec(&serde_json::json!({
                    "errorType": "Runtime.InvalidEntrypoint",
                    "errorMessage": message,
                }))
                .unwrap_or_default(),
            );
            return;
        }
    };
    let mut child = child;
    let mut supervisor = Supervisor {
        ctx,
        pid: child.id(),
        memory: Memory::new(child.id()),
        stdout: child.stdout.take().map(|s| BufReader::new(s).lines()),
        stderr: child.stderr.take().map(|s| BufReader::new(s).lines()),
        child,
        calls,
        state: State::Init,
        spawned,
        init_duration: None,
        init_reported: false,
        log: LogTail::default(),
        pending: None,
    };
    let exit = supervisor.run().await;
    supervisor.kill();
    server.abort();
    supervisor.finish(exit).await;
}

struct Supervisor {
    ctx: Context,
    /// Also the id of the instance's process group; kept because `Child` forgets it once
    /// the process has been reaped.
    pid: Option<u32>,
    memory: Memory,
    child: tokio::process::Child,
    calls: mpsc::Receiver<Call>,
    state: State,
    spawned: Instant,
    /// Set at the first `next`, reported with the first invocation.
    init_duration: Option<Duration>,
    init_reported: bool,
    log: LogTail,
    /// An invocation whose `next` caller went away before it was delivered.
    pending: Option<Queued>,
    stdout: Output<ChildStdout>,
    stderr: Output<ChildStderr>,
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
            let memory_check = match &self.state {
                State::Busy(current) => Some(current.memory_check),
                _ => None,
            };
            let deadline = match &self.state {
                State::Init => Some(init_deadline),
                State::Idle {
                    next: Some(_),
                    since,
                } => Some(*since + idle_timeout),
                State::Idle { next: None, .. } => None,
                State::Busy(current) => Some(current.deadline),
            };
            // Rare events first, so that a function printing without pause cannot starve
            // its own deadline; output last, but read before each Runtime API call.
            tokio::select! {
                biased;
                _ = async { let _ = shutdown.wait_for(|down| *down).await; } => return Exit::Shutdown,
                _ = sleep_until(deadline.unwrap_or_else(far_future)), if deadline.is_some() => {
                    return match self.state {
                        State::Init => Exit::InitTimedOut,
                        State::Busy(_) => Exit::TimedOut,
                        State::Idle { .. } => Exit::Reaped,
                    };
                }
                _ = sleep_until(memory_check.unwrap_or_else(far_future)), if memory_check.is_some() => {
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
                Some(call) = self.calls.recv() => {
                    // What the function printed before this call belongs before it in the log.
                    self.ready_output();
                    self.call(call);
                }
                queued = queue.recv(), if waiting && self.pending.is_none() => {
                    if let Ok(queued) = queued {
                        self.deliver(queued);
                    }
                }
                Some(line) = next_line(&mut self.stdout) => self.output(line),
                Some(line) = next_line(&mut self.stderr) => self.output(line),
            }
        }
    }

    /// Logs the output lines that can be read without waiting.
    fn ready_output(&mut self) {
        use futures_util::FutureExt;
        for _ in 0..READY_LINES {
            let line = next_line(&mut self.stdout)
                .now_or_never()
                .flatten()
                .or_else(|| next_line(&mut self.stderr).now_or_never().flatten());
            match line {
                Some(line) => self.output(line),
                None => return,
            }
        }
    }

    /// Logs every output line until both pipes are closed.
    async fn drain_output(&mut self) {
        while let Some(line) = next_line(&mut self.stdout).await {
            self.output(line);
        }
        while let Some(line) = next_line(&mut self.stderr).await {
            self.output(line);
        }
    }

    /// One line the function printed.
    fn output(&mut self, line: String) {
        let request_id = match &self.state {
            State::Busy(c) => c.id.as_str(),
            _ => "-",
        };
        tracing::info!(target: "function", function = %self.ctx.function.name, request_id, "{line}");
        self.log.push(&line);
    }

    /// A line Portico writes into the function's log (START, END, REPORT).
    fn platform_line(&mut self, line: String) {
        tracing::info!(target: "function", function = %self.ctx.function.name, "{line}");
        self.log.push(&line);
    }

    fn call(&mut self, call: Call) {
        match call {
            Call::Next { reply } => {
                if self.init_duration.is_none() {
                    self.init_duration = Some(self.spawned.elapsed());
                }
                if let State::Busy(current) = &mut self.state
                    && let Some(caller) = current.reply.take()
                {
                    let id = current.id.clone();
                    let body = serde_json::to_vec(&serde_json::json!({
                        "errorType": "Runtime.InvalidStateTransition",
                        "errorMessage": format!("RequestId: {id} Error: the runtime asked for the next invocation without answering this one"),
                    }))
                    .unwrap_or_default();
                    self.answer(
                        caller,
                        Outcome::platform("Runtime.InvalidStateTransition", body),
                    );
                }
                if let State::Busy(_) = self.state {
                    self.end_invocation();
                }
                self.state = State::Idle {
                    next: Some(reply),
                    since: tokio::time::Instant::now(),
                };
                if let Some(pending) = self.pending.take() {
                    self.deliver(pending);
                }
            }
            Call::Response { id, body, reply } => {
                let Some(caller) = self.take_caller(&id) else {
                    let _ = reply.send(Ack::InvalidRequestId);
                    return;
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
                    ResponseBody::Stream {
                        content_type,
                        rx,
                        tx,
                    } => {
                        if let State::Busy(current) = &mut self.state {
                            current.stream = Some(tx);
                        }
                        Outcome::Stream(ResponseStream {
                            content_type,
                            rx,
                            permit: None,
                        })
                    }
                };
                self.answer(caller, outcome);
                let _ = reply.send(Ack::Accepted);
            }
            Call::Error {
                id,
                error_type,
                body,
                reply,
            } => {
                let body = if body.is_empty() {
                    Bytes::from(platform::from_type(&error_type))
                } else {
                    body
                };
                let outcome = Outcome::FunctionError { error_type, body };
                match id {
                    Some(id) => {
                        let Some(caller) = self.take_caller(&id) else {
                            let _ = reply.send(Ack::InvalidRequestId);
                            return;
                        };
                        self.answer(caller, outcome);
                    }
                    None => {
                        if let Outcome::FunctionError { body, .. } = &outcome {
                            tracing::warn!(function = %self.name(), "init failed: {}", String::from_utf8_lossy(body));
                        }
                        self.fail_waiting(|_| outcome);
                    }
                }
                let _ = reply.send(Ack::Accepted);
            }
            Call::StreamEnded { id, error } => {
                if let State::Busy(current) = &mut self.state
                    && current.id == id
                {
                    current.stream = None;
                    if let Some((error_type, _)) = error {
                        tracing::warn!(function = %self.ctx.function.name, request_id = %id, "stream ended with {error_type}");
                    }
                    self.end_invocation();
                }
            }
        }
    }

    /// Hands `queued` to the runtime waiting in `next`.
    fn deliver(&mut self, queued: Queued) {
        let State::Idle { next, .. } = &mut self.state else {
            self.pending = Some(queued);
            return;
        };
        let Some(next) = next.take() else {
            self.pending = Some(queued);
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
        };
        if let Err(_undelivered) = next.send(delivery) {
            // The runtime's `next` connection went away; keep the invocation for its next ask.
            self.pending = Some(queued);
            self.state = State::Idle {
                next: None,
                since: tokio::time::Instant::now(),
            };
            return;
        }
        let id = queued.request.request_id.clone();
        self.log.clear();
        self.platform_line(format!("START RequestId: {id} Version: $LATEST"));
        self.state = State::Busy(Current {
            id,
            reply: Some(queued.reply),
            want_tail: queued.request.want_log_tail,
            started: Instant::now(),
            deadline: tokio::time::Instant::now() + timeout,
            memory_check: tokio::time::Instant::now() + memory::CHECK_EVERY,
            stream: None,
            init_duration: if self.init_reported {
                None
            } else {
                self.init_duration
            },
            ended: false,
        });
        self.init_reported = true;
    }

    fn take_caller(&mut self, id: &str) -> Option<oneshot::Sender<Invoked>> {
        match &mut self.state {
            State::Busy(current) if current.id == id => current.reply.take(),
            _ => None,
        }
    }

    /// Answers the caller of the current invocation.
    fn answer(&mut self, caller: oneshot::Sender<Invoked>, outcome: Outcome) {
        let State::Busy(current) = &self.state else {
            return;
        };
        let streaming = matches!(outcome, Outcome::Stream(_));
        let id = current.id.clone();
        let want_tail = current.want_tail;
        if !streaming {
            self.end_invocation();
        }
        let log_tail =
            (want_tail && !streaming).then(|| self.log.tail(self.ctx.function.limits.log_tail));
        let _ = caller.send(Invoked {
            request_id: id,
            outcome,
            log_tail,
        });
    }

    /// Writes END and REPORT for the current invocation (once).
    fn end_invocation(&mut self) {
        let State::Busy(current) = &mut self.state else {
            return;
        };
        if current.ended {
            return;
        }
        current.ended = true;
        let (id, started, init) = (current.id.clone(), current.started, current.init_duration);
        let memory = self.memory.peak_mb();
        self.platform_line(format!("END RequestId: {id}"));
        self.platform_line(report_line(
            &id,
            started.elapsed(),
            self.ctx.function.memory_mb,
            memory,
            init,
        ));
    }

    /// Answers a caller whose invocation never reached the runtime.
    fn reply_undelivered(&mut self, queued: Queued, outcome: Outcome) {
        let log_tail = queued
            .request
            .want_log_tail
            .then(|| self.log.tail(self.ctx.function.limits.log_tail));
        let _ = queued.reply.send(Invoked {
            request_id: queued.request.request_id,
            outcome,
            log_tail,
        });
    }

    /// Answers the invocation waiting for this instance (the one whose arrival started it),
    /// as Lambda returns an init failure to the invocation that triggered the init.
    fn fail_waiting(&mut self, outcome: impl FnOnce(&str) -> Outcome) {
        if let Some(queued) = self
            .pending
            .take()
            .or_else(|| self.ctx.queue.try_recv().ok())
        {
            let outcome = outcome(&queued.request.request_id);
            self.reply_undelivered(queued, outcome);
        }
    }

    fn kill(&mut self) {
        if let Some(pid) = self.pid {
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
        let state = std::mem::replace(&mut self.state, State::Init);
        match (&exit, state) {
            (Exit::TimedOut, State::Busy(mut current)) => {
                let id = current.id.clone();
                let body = platform::timed_out(&id, timeout);
                self.platform_line(format!(
                    "{} {id} Task timed out after {:.2} seconds",
                    portico_events::time::iso8601_ms(SystemTime::now()),
                    timeout.as_secs_f64()
                ));
                if let Some(stream) = current.stream.take() {
                    let _ = stream.try_send(StreamEvent::Error {
                        error_type: "Sandbox.Timedout".into(),
                        body: Bytes::from(body.clone()),
                    });
                }
                self.state = State::Busy(current);
                if let Some(caller) = self.take_current_caller() {
                    self.answer(caller, Outcome::platform("Sandbox.Timedout", body));
                } else {
                    self.end_invocation();
                }
            }
            (Exit::OutOfMemory, State::Busy(current)) => {
                let id = current.id.clone();
                tracing::warn!(
                    function = %self.name(),
                    request_id = %id,
                    "over its memory of {} MB; instance stopped",
                    self.ctx.function.memory_mb
                );
                self.state = State::Busy(current);
                if let Some(caller) = self.take_current_caller() {
                    let body = platform::out_of_memory(&id);
                    self.answer(caller, Outcome::platform("Runtime.OutOfMemory", body));
                } else {
                    self.end_invocation();
                }
            }
            (Exit::Crashed(status), State::Busy(current)) => {
                let id = current.id.clone();
                tracing::warn!(function = %self.name(), request_id = %id, "runtime exited: {status}");
                self.state = State::Busy(current);
                if let Some(caller) = self.take_current_caller() {
                    self.answer(
                        caller,
                        Outcome::platform("Runtime.ExitError", platform::exited(&id, Some(status))),
                    );
                } else {
                    self.end_invocation();
                }
            }
            (Exit::Crashed(status), _) => {
                tracing::warn!(function = %self.name(), "runtime exited before taking an invocation: {status}");
                self.fail_waiting(|id| {
                    Outcome::platform("Runtime.ExitError", platform::exited(id, Some(status)))
                });
            }
            (Exit::InitTimedOut, _) => {
                tracing::warn!(function = %self.name(), "init did not finish within {INIT_TIMEOUT:?}; instance stopped");
                self.fail_waiting(|id| {
                    Outcome::platform("Sandbox.Timedout", platform::timed_out(id, INIT_TIMEOUT))
                });
            }
            (Exit::Shutdown, State::Busy(current)) => {
                let id = current.id.clone();
                self.state = State::Busy(current);
                if let Some(caller) = self.take_current_caller() {
                    self.answer(
                        caller,
                        Outcome::platform(
                            "Runtime.ExitError",
                            platform::exited(&id, Some("signal: killed")),
                        ),
                    );
                }
            }
            (Exit::Reaped, _) => {
                tracing::info!(
                    function = %self.name(),
                    "instance stopped after {:?} idle",
                    self.ctx.function.idle_timeout
                );
            }
            (Exit::TimedOut | Exit::Shutdown | Exit::OutOfMemory, _) => {}
        }
        // An invocation that was waiting for a `next` that never came goes back to the queue.
        if let Some(pending) = self.pending.take() {
            let _ = self.ctx.requeue.try_send(pending);
        }
    }

    fn take_current_caller(&mut self) -> Option<oneshot::Sender<Invoked>> {
        match &mut self.state {
            State::Busy(current) => current.reply.take(),
            _ => None,
        }
    }
}

fn fail_one_queued(ctx: &Context, error_type: &str, body: Vec<u8>) {
    if let Ok(queued) = ctx.queue.try_recv() {
        let _ = queued.reply.send(Invoked {
            request_id: queued.request.request_id,
            outcome: Outcome::platform(error_type, body),
            log_tail: None,
        });
    }
}

async fn next_line<R: tokio::io::AsyncBufRead + Unpin>(
    lines: &mut Option<Lines<R>>,
) -> Option<String> {
    let reader = lines.as_mut()?;
    match reader.next_line().await {
        Ok(Some(line)) => Some(line),
        _ => {
            *lines = None;
            None
        }
    }
}

fn far_future() -> tokio::time::Instant {
    tokio::time::Instant::now() + Duration::from_secs(86_400 * 365)
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

impl Supervisor {
    /// Whether the process's resident memory is over the function's `memory`.
    fn over_memory(&mut self) -> bool {
        let limit_kb = u64::from(self.ctx.function.memory_mb) * 1024;
        self.memory.resident_kb().is_some_and(|kb| kb > limit_kb)
    }
}
