//! One connection to a sidecar: requests matched to responses by id, a timeout per call,
//! cancellation, and progress streams per token.
//!
//! Two tasks own the pipes. The writer sends frames from two queues: `$/cancelRequest` first
//! (unbounded, so `Drop` can enqueue one without waiting), then requests (bounded: callers
//! wait when the sidecar stops reading). The reader routes responses to the waiting call and
//! `$/progress` to the stream subscribed to its token (bounded and coalesced, see
//! [`crate::progress`]). When the connection ends (EOF, a frame error, a pipe error, or the
//! supervisor seeing the child die), every waiting call fails at once with
//! [`CallError::Unavailable`], later calls fail without being sent, and [`Client::closed`]
//! resolves (the supervisor treats that as a crash of the sidecar).
//!
//! A call that is dropped or times out sends `$/cancelRequest {id}`; its late answer, if any,
//! is discarded, and if it was still queued it is not written at all.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};
use std::time::Duration;

use bytes::Bytes;
use futures::{SinkExt, StreamExt};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::value::RawValue;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::{Notify, mpsc, oneshot};

pub use crate::call_error::CallError;
use crate::evidence::Recorder;
use crate::framing::{self, FrameReader, FrameWriter};
pub use crate::jsonrpc::ProgressToken;
use crate::jsonrpc::{self, Incoming};
use crate::policy::PolicyGate;
use crate::progress::{self, Mailbox};
use crate::throttle::Throttle;
use crate::types::{ProgressValue, ProgressValueKind};

#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// The default time a call may take, queueing included ([`Client::with_timeout`] overrides it).
    pub timeout: Duration,
    /// The frame limit, both ways; the supervisor passes it to the sidecar too.
    pub max_frame_bytes: usize,
    /// Requests waiting for the writer before callers have to wait too.
    pub queue: usize,
    /// Where every call is recorded, if anywhere: the evidence log (see [`crate::evidence`]).
    pub evidence: Option<Recorder>,
}

impl Default for ClientConfig {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(30),
            max_frame_bytes: framing::DEFAULT_MAX_FRAME_BYTES,
            queue: 256,
            evidence: None,
        }
    }
}

/// A handle to one connection; cheap to clone, and every clone shares the connection.
#[derive(Debug, Clone)]
pub struct Client {
    shared: Arc<Shared>,
    timeout: Duration,
}

#[derive(Debug)]
struct Shared {
    next_id: AtomicU64,
    next_subscription: AtomicU64,
    next_token: AtomicU64,
    calls: Mutex<Calls>,
    /// Woken once, when `calls.closed` is set.
    ended: Notify,
    routes: Mutex<HashMap<ProgressToken, Route>>,
    requests: mpsc::Sender<Outgoing>,
    control: mpsc::UnboundedSender<Bytes>,
    gate: Arc<PolicyGate>,
    max_frame_bytes: usize,
    evidence: Option<Recorder>,
}

type Reply = Result<Box<RawValue>, CallError>;

/// A queued frame; `id` is set for requests, so that the writer can skip abandoned ones.
#[derive(Debug)]
struct Outgoing {
    id: Option<u64>,
    frame: Bytes,
}

#[derive(Debug, Default)]
struct Calls {
    waiting: HashMap<u64, oneshot::Sender<Reply>>,
    /// Why the connection ended; set once, and then nothing new is accepted.
    closed: Option<String>,
}

#[derive(Debug)]
struct Route {
    subscription: u64,
    mailbox: Arc<Mailbox>,
}

impl Drop for Route {
    /// However the route goes (`end`, the connection's end, a new subscription to the token),
    /// its stream ends once drained.
    fn drop(&mut self) {
        self.mailbox.close();
    }
}

impl Client {
    /// Start the reader and writer tasks on the sidecar's pipes. Needs a tokio runtime.
    pub fn connect<W, R>(stdin: W, stdout: R, config: &ClientConfig, gate: Arc<PolicyGate>) -> Self
    where
        W: AsyncWrite + Unpin + Send + 'static,
        R: AsyncRead + Unpin + Send + 'static,
    {
        let (requests, request_queue) = mpsc::channel(config.queue.max(1));
        let (control, control_queue) = mpsc::unbounded_channel();
        let shared = Arc::new(Shared {
            next_id: AtomicU64::new(1),
            next_subscription: AtomicU64::new(1),
            next_token: AtomicU64::new(1),
            calls: Mutex::default(),
            ended: Notify::new(),
            routes: Mutex::default(),
            requests,
            control,
            gate,
            max_frame_bytes: config.max_frame_bytes,
            evidence: config.evidence.clone(),
        });
        let writer = framing::writer(stdin, config.max_frame_bytes);
        tokio::spawn(write_loop(writer, control_queue, request_queue, Arc::downgrade(&shared)));
        tokio::spawn(read_loop(framing::reader(stdout, config.max_frame_bytes), Arc::downgrade(&shared)));
        Self { shared, timeout: config.timeout }
    }

    /// The same connection with another per-call timeout.
    pub fn with_timeout(&self, timeout: Duration) -> Self {
        Self { shared: Arc::clone(&self.shared), timeout }
    }

    /// The policy authority this connection checks calls against.
    pub fn gate(&self) -> &Arc<PolicyGate> {
        &self.shared.gate
    }

    /// Call `method` and decode its result; the typed methods (see `methods`) call this.
    /// With an evidence log, the outcome is recorded before it is returned.
    pub async fn request<P, R>(&self, method: &str, params: Option<&P>) -> Result<R, CallError>
    where
        P: Serialize + ?Sized,
        R: DeserializeOwned,
    {
        let recording = self.shared.evidence.as_ref().map(|log| log.begin(&self.shared.gate, method, params, false));
        let raw = self.raw_request(method, params).await;
        if let Some(recording) = recording {
            recording.request(&raw).await.map_err(|e| CallError::Evidence(e.to_string()))?;
        }
        serde_json::from_str(raw?.get())
            .map_err(|e| CallError::Decode { method: method.to_owned(), reason: e.to_string() })
    }

    /// The raw result of `method`, before it is decoded.
    async fn raw_request<P>(&self, method: &str, params: Option<&P>) -> Result<Box<RawValue>, CallError>
    where
        P: Serialize + ?Sized,
    {
        self.shared.gate.check(method, false)?;
        let id = self.shared.next_id.fetch_add(1, Ordering::Relaxed);
        let frame = jsonrpc::encode_request(id, method, params)
            .map_err(|e| CallError::Encode { method: method.to_owned(), reason: e.to_string() })?;
        self.shared.fits(method, &frame)?;
        let (answer, answered) = oneshot::channel();
        self.shared.register(id, answer)?;
        // From here on, dropping this future (or timing out) cancels the request.
        let _pending = Pending { shared: &self.shared, id };
        let exchange = async {
            self.shared.requests.send(Outgoing { id: Some(id), frame }).await.map_err(|_| closed())?;
            answered.await.unwrap_or_else(|_| Err(closed()))
        };
        tokio::time::timeout(self.timeout, exchange)
            .await
            .map_err(|_| CallError::Timeout { method: method.to_owned(), after: self.timeout })?
    }

    /// Send a notification (no answer comes back); recorded like a request.
    pub async fn notify<P>(&self, method: &str, params: Option<&P>) -> Result<(), CallError>
    where
        P: Serialize + ?Sized,
    {
        let recording = self.shared.evidence.as_ref().map(|log| log.begin(&self.shared.gate, method, params, true));
        let sent = self.send_notification(method, params).await;
        if let Some(recording) = recording {
            recording.notification(&sent).await.map_err(|e| CallError::Evidence(e.to_string()))?;
        }
        sent
    }

    async fn send_notification<P>(&self, method: &str, params: Option<&P>) -> Result<(), CallError>
    where
        P: Serialize + ?Sized,
    {
        self.shared.gate.check(method, true)?;
        let frame = jsonrpc::encode_notification(method, params)
            .map_err(|e| CallError::Encode { method: method.to_owned(), reason: e.to_string() })?;
        self.shared.fits(method, &frame)?;
        if let Some(reason) = &lock(&self.shared.calls).closed {
            return Err(CallError::Unavailable(reason.clone()));
        }
        tokio::time::timeout(self.timeout, self.shared.requests.send(Outgoing { id: None, frame }))
            .await
            .map_err(|_| CallError::Timeout { method: method.to_owned(), after: self.timeout })?
            .map_err(|_| closed())
    }

    /// Receive the `$/progress` updates of `token`. Subscribe before sending the request that
    /// carries the token; the stream ends after the `end` update (or when the connection does).
    pub fn progress(&self, token: impl Into<ProgressToken>) -> ProgressStream {
        let token = token.into();
        let mailbox = Arc::new(Mailbox::default());
        let subscription = self.shared.next_subscription.fetch_add(1, Ordering::Relaxed);
        let route = Route { subscription, mailbox: Arc::clone(&mailbox) };
        let calls = lock(&self.shared.calls);
        // On a closed connection the route is dropped right away, so the stream just ends.
        if calls.closed.is_none() {
            lock(&self.shared.routes).insert(token.clone(), route);
        }
        ProgressStream { token, subscription, mailbox, shared: Arc::downgrade(&self.shared) }
    }

    /// A fresh integer token and its stream: `params.progress_token = Some(token.into())`
    /// (every generated token type converts from `i64`). Tokens count up from 1 per connection;
    /// do not mix them with hand-picked integer tokens on the same connection.
    pub fn progress_channel(&self) -> (i64, ProgressStream) {
        let token = i64::try_from(self.shared.next_token.fetch_add(1, Ordering::Relaxed)).unwrap_or(i64::MAX);
        (token, self.progress(token))
    }

    /// End the connection: every waiting call fails now with `reason`, later ones at once.
    pub(crate) fn close(&self, reason: &str) {
        self.shared.close(reason);
    }

    /// Resolves once the connection has ended, with why: its reader or writer stopped (the
    /// sidecar closed a pipe or sent what cannot be framed), or it was closed.
    pub async fn closed(&self) -> String {
        loop {
            let ended = self.shared.ended.notified();
            tokio::pin!(ended);
            // Registered before the check, so a close between the two is not missed.
            ended.as_mut().enable();
            if let Some(reason) = &lock(&self.shared.calls).closed {
                return reason.clone();
            }
            ended.await;
        }
    }
}

fn closed() -> CallError {
    CallError::Unavailable("the connection to the sidecar is closed".into())
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A sent request that has no answer yet. Dropping it forgets the request and, if it was
/// still waiting, asks the sidecar to cancel it.
struct Pending<'a> {
    shared: &'a Shared,
    id: u64,
}

impl Drop for Pending<'_> {
    fn drop(&mut self) {
        if lock(&self.shared.calls).waiting.remove(&self.id).is_some() {
            // If the request is still queued, the writer skips it and the sidecar ignores
            // this cancel (an unknown id); otherwise the sidecar stops it.
            let _ = self.shared.control.send(jsonrpc::encode_cancel(self.id));
        }
    }
}

impl Shared {
    fn fits(&self, method: &str, frame: &Bytes) -> Result<(), CallError> {
        if frame.len() > self.max_frame_bytes {
            return Err(CallError::TooLarge {
                method: method.to_owned(),
                size: frame.len(),
                max: self.max_frame_bytes,
            });
        }
        Ok(())
    }

    fn register(&self, id: u64, answer: oneshot::Sender<Reply>) -> Result<(), CallError> {
        let mut calls = lock(&self.calls);
        if let Some(reason) = &calls.closed {
            return Err(CallError::Unavailable(reason.clone()));
        }
        calls.waiting.insert(id, answer);
        Ok(())
    }

    fn is_waiting(&self, id: u64) -> bool {
        lock(&self.calls).waiting.contains_key(&id)
    }

    fn close(&self, reason: &str) {
        let waiting = {
            let mut calls = lock(&self.calls);
            if calls.closed.is_some() {
                return;
            }
            calls.closed = Some(reason.to_owned());
            std::mem::take(&mut calls.waiting)
        };
        self.ended.notify_waiters();
        lock(&self.routes).clear();
        tracing::info!(reason, in_flight = waiting.len(), "connection to the sidecar closed");
        for (_, answer) in waiting {
            let _ = answer.send(Err(CallError::Unavailable(reason.to_owned())));
        }
    }

    fn dispatch(&self, payload: &[u8], noise: &mut Noise) {
        match jsonrpc::decode(payload) {
            Ok(Incoming::Response { id, outcome }) => {
                let waiting = lock(&self.calls).waiting.remove(&id);
                match waiting {
                    // A send error means the caller gave up this very moment; nothing to do.
                    Some(answer) => drop(answer.send(outcome.map_err(CallError::Rpc))),
                    None if noise.stray.admit() => {
                        tracing::debug!(id, "answer to a request nobody waits for (cancelled or timed out)");
                    }
                    None => {}
                }
            }
            Ok(Incoming::Progress { token, value }) => self.route(token, *value),
            Ok(Incoming::Notification { method }) if noise.stray.admit() => {
                tracing::debug!(method, "notification without a consumer");
            }
            Ok(Incoming::Unattributed { id, error }) if noise.stray.admit() => {
                tracing::warn!(%id, ?error, "the sidecar answered a request it could not identify");
            }
            Ok(Incoming::Notification { .. } | Incoming::Unattributed { .. }) => {}
            Err(error) if noise.unreadable.admit() => tracing::warn!(%error, "unreadable frame from the sidecar"),
            Err(_) => {}
        }
    }

    fn route(&self, token: ProgressToken, value: ProgressValue) {
        let last = value.kind == ProgressValueKind::End;
        let mut routes = lock(&self.routes);
        if let Some(route) = routes.get(&token) {
            route.mailbox.post(value);
        }
        if last {
            routes.remove(&token);
        }
    }
}

/// Log limits for what the sidecar can send at will, one set per connection (each frame of
/// garbage costs the sidecar a few bytes; a log line each would cost the host far more).
struct Noise {
    unreadable: Throttle,
    stray: Throttle,
}

impl Noise {
    fn new() -> Self {
        let window = Duration::from_secs(10);
        Self {
            unreadable: Throttle::new("unreadable frames from the sidecar", 10, window),
            stray: Throttle::new("answers and notifications from the sidecar that nobody waits for", 10, window),
        }
    }
}

/// The progress updates of one token, in order. Bounded: the reader must never wait for a slow
/// consumer, so updates the consumer has not taken yet are coalesced (latest wins; `end` is
/// always delivered), and at most [`ProgressStream::CAPACITY`] + 1 wait (see [`crate::progress`]).
#[derive(Debug)]
pub struct ProgressStream {
    token: ProgressToken,
    subscription: u64,
    mailbox: Arc<Mailbox>,
    shared: Weak<Shared>,
}

impl ProgressStream {
    /// Updates that may wait besides `end`.
    pub const CAPACITY: usize = progress::CAPACITY;

    pub fn token(&self) -> &ProgressToken {
        &self.token
    }

    /// The next update; `None` once `end` has been received or the connection has ended.
    pub async fn recv(&mut self) -> Option<ProgressValue> {
        self.mailbox.recv().await
    }

    /// The next update if one is waiting now.
    pub fn try_recv(&mut self) -> Option<ProgressValue> {
        self.mailbox.try_recv()
    }

    /// How many updates are waiting to be received.
    pub fn waiting(&self) -> usize {
        self.mailbox.waiting()
    }
}

impl Drop for ProgressStream {
    fn drop(&mut self) {
        if let Some(shared) = self.shared.upgrade() {
            let mut routes = lock(&shared.routes);
            // Only our own subscription: the token may have been subscribed again since.
            if routes.get(&self.token).is_some_and(|route| route.subscription == self.subscription) {
                routes.remove(&self.token);
            }
        }
    }
}

async fn write_loop<W: AsyncWrite + Unpin>(
    mut frames: FrameWriter<W>,
    mut control: mpsc::UnboundedReceiver<Bytes>,
    mut requests: mpsc::Receiver<Outgoing>,
    shared: Weak<Shared>,
) {
    loop {
        let first = tokio::select! {
            biased;
            Some(frame) = control.recv() => frame,
            Some(outgoing) = requests.recv() => match wanted(outgoing, &shared) {
                Some(frame) => frame,
                None => continue,
            },
            // Every handle is gone: returning drops stdin, and the sidecar exits on EOF.
            else => return,
        };
        let mut sent = frames.feed(first).await;
        // Whatever else is queued already goes out in the same write.
        while sent.is_ok() {
            let frame = match control.try_recv() {
                Ok(frame) => frame,
                Err(_) => match requests.try_recv() {
                    Ok(outgoing) => match wanted(outgoing, &shared) {
                        Some(frame) => frame,
                        None => continue,
                    },
                    Err(_) => break,
                },
            };
            sent = frames.feed(frame).await;
        }
        if let Err(error) = match sent {
            Ok(()) => SinkExt::<Bytes>::flush(&mut frames).await,
            failed => failed,
        } {
            if let Some(shared) = shared.upgrade() {
                shared.close(&format!("writing to the sidecar failed: {error}"));
            }
            return;
        }
    }
}

/// The frame to write, or `None` for a request its caller abandoned while it was queued.
fn wanted(outgoing: Outgoing, shared: &Weak<Shared>) -> Option<Bytes> {
    match (outgoing.id, shared.upgrade()) {
        (Some(id), Some(shared)) if !shared.is_waiting(id) => None,
        _ => Some(outgoing.frame),
    }
}

async fn read_loop<R: AsyncRead + Unpin>(mut frames: FrameReader<R>, shared: Weak<Shared>) {
    let mut noise = Noise::new();
    let reason = loop {
        match frames.next().await {
            Some(Ok(frame)) => match shared.upgrade() {
                Some(shared) => shared.dispatch(&frame, &mut noise),
                None => return,
            },
            Some(Err(error)) => break format!("reading from the sidecar failed: {error}"),
            None => break "the sidecar closed its output".to_owned(),
        }
    };
    if let Some(shared) = shared.upgrade() {
        shared.close(&reason);
    }
}
