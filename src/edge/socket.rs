//! A WebSocket carrying MQTT: subprotocol `mqtt`, binary frames (MQTT 3.1.1 section 6),
//! opened in the page's socket worker (`socket_worker.js`).
//!
//! Why a worker: in a flood (a drain of thousands of queued messages, 8 devices at 2,000
//! msg/s each) the browser's own work for every WebSocket message took as much of the main
//! thread as the page's handling of it, and held frames back while messages kept coming.
//! The worker owns the sockets and posts what arrived in batches (the bytes of consecutive
//! messages of one socket joined: MQTT is a byte stream, and a WebSocket message may hold
//! any part of it, section 6), so the main thread takes a few posts where it took one event
//! per packet. The worker holds no rules; everything it relays is handled here as before.

use super::js_error::js_text;
use ackscope_core::text::Bilingual;
use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{
    Blob, BlobPropertyBag, ErrorEvent, Event, MessageChannel, MessageEvent, MessagePort, Url,
    Worker,
};

/// What a socket reports to its owner.
pub enum SocketInput {
    Open,
    Bytes(Vec<u8>),
    Closed {
        code: u16,
    },
    /// The browser refused to open the socket (a malformed URL, a blocked port); nothing
    /// more comes from it.
    Refused(String),
    /// The browser refused a send (the socket was not open yet).
    SendFailed(String),
}

/// What the page says when the browser refuses to open `url` (`reason`: the browser's words).
pub fn refused_text(url: &str, reason: &str) -> Bilingual {
    Bilingual::new(
        format!("The browser refused to open {url}: {reason}"),
        format!("浏览器拒绝打开 {url}:{reason}"),
    )
}

/// What the page says when a send failed (`reason`: the browser's words).
pub fn send_failed_text(reason: &str) -> Bilingual {
    Bilingual::new(
        format!("Send failed: {reason}"),
        format!("发送失败:{reason}"),
    )
}

/// The worker's script, started from a `blob:` URL so that the page (and the wasm-pack
/// tests, which serve only their own files) needs no second file.
const WORKER_SOURCE: &str = include_str!("socket_worker.js");

// Page -> worker operations and worker -> page kinds; `socket_worker.js` names them.
const OP_OPEN: u8 = 0;
const OP_SEND: u8 = 1;
const OP_CLOSE: u8 = 2;
const OP_CLOSE_ALL: u8 = 3;
const KIND_OPEN: u8 = 0;
const KIND_BYTES: u8 = 1;
const KIND_CLOSED: u8 = 2;
const KIND_REFUSED: u8 = 3;
const KIND_SEND_FAILED: u8 = 4;

/// One open (or opening) socket's owner, as the relay reaches it.
struct Endpoint {
    on_input: Box<dyn Fn(SocketInput)>,
    out: Rc<Outbox>,
}

/// The page's socket worker and the sockets it relays for.
struct Relay {
    worker: Worker,
    endpoints: RefCell<HashMap<u32, Rc<Endpoint>>>,
    next_id: Cell<u32>,
    /// Why the worker stopped (it failed to start): no socket can be opened any more.
    broken: RefCell<Option<String>>,
    _on_message: Closure<dyn FnMut(MessageEvent)>,
    _on_error: Closure<dyn FnMut(Event)>,
}

/// Why no socket opens once the worker stopped (`why`: what the browser said of it).
fn stopped(why: &str) -> String {
    format!("the page's socket worker stopped: {why}")
}

thread_local! {
    static RELAY: RefCell<Option<Rc<Relay>>> = const { RefCell::new(None) };
}

impl Relay {
    /// The page's relay, started on first use.
    fn get() -> Result<Rc<Relay>, String> {
        if let Some(relay) = RELAY.with(|r| r.borrow().clone()) {
            return match relay.broken.borrow().as_ref() {
                Some(why) => Err(stopped(why)),
                None => Ok(relay.clone()),
            };
        }
        let relay = Relay::start()?;
        RELAY.with(|r| *r.borrow_mut() = Some(relay.clone()));
        Ok(relay)
    }

    fn start() -> Result<Rc<Relay>, String> {
        let options = BlobPropertyBag::new();
        options.set_type("text/javascript");
        let parts = js_sys::Array::of1(&JsValue::from_str(WORKER_SOURCE));
        let blob = Blob::new_with_str_sequence_and_options(&parts, &options).map_err(js_text)?;
        let url = Url::create_object_url_with_blob(&blob).map_err(js_text)?;
        let worker = Worker::new(&url).map_err(|e| {
            format!(
                "the browser could not start the page's socket worker: {}",
                js_text(e)
            )
        })?;
        Ok(Rc::new_cyclic(|me: &std::rc::Weak<Relay>| {
            let weak = me.clone();
            let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |e: MessageEvent| {
                if let Some(relay) = weak.upgrade() {
                    relay.deliver(&js_sys::Array::from(&e.data()));
                }
            });
            let weak = me.clone();
            // A script that fails to load (a policy that refuses it) fires a plain `Event`,
            // an exception in the worker an `ErrorEvent`: the message is read if there is one.
            let on_error = Closure::<dyn FnMut(Event)>::new(move |e: Event| {
                let message = e
                    .dyn_ref::<ErrorEvent>()
                    .map(ErrorEvent::message)
                    .unwrap_or_default();
                if let Some(relay) = weak.upgrade() {
                    relay.fail(message);
                }
            });
            worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
            worker.set_onerror(Some(on_error.as_ref().unchecked_ref()));
            Relay {
                worker,
                endpoints: RefCell::new(HashMap::new()),
                next_id: Cell::new(1),
                broken: RefCell::new(None),
                _on_message: on_message,
                _on_error: on_error,
            }
        }))
    }

    /// Posts `[op, id, arg]`, handing `transfer` over to the worker without a copy.
    fn post(
        &self,
        op: u8,
        id: u32,
        arg: &JsValue,
        transfer: Option<&JsValue>,
    ) -> Result<(), String> {
        let message = js_sys::Array::of3(&op.into(), &id.into(), arg);
        match transfer {
            Some(buffer) => self
                .worker
                .post_message_with_transfer(&message, &js_sys::Array::of1(buffer)),
            None => self.worker.post_message(&message),
        }
        .map_err(js_text)
    }

    /// Hands a batch from the worker to the sockets' owners, in order.
    fn deliver(&self, batch: &js_sys::Array) {
        let mut at = 0;
        while at + 2 < batch.length() {
            let id = batch.get(at).as_f64().unwrap_or(0.0) as u32;
            let kind = batch.get(at + 1).as_f64().unwrap_or(-1.0) as u8;
            let arg = batch.get(at + 2);
            at += 3;
            let input = match kind {
                KIND_OPEN => SocketInput::Open,
                KIND_BYTES => SocketInput::Bytes(js_sys::Uint8Array::new(&arg).to_vec()),
                KIND_CLOSED => SocketInput::Closed {
                    code: arg.as_f64().unwrap_or(0.0) as u16,
                },
                KIND_REFUSED => SocketInput::Refused(arg.as_string().unwrap_or_default()),
                KIND_SEND_FAILED => SocketInput::SendFailed(arg.as_string().unwrap_or_default()),
                _ => continue,
            };
            let last = matches!(input, SocketInput::Closed { .. } | SocketInput::Refused(_));
            // Not borrowed across the call: the owner may open or drop sockets in it.
            let endpoint = {
                let Ok(mut endpoints) = self.endpoints.try_borrow_mut() else {
                    continue;
                };
                if last {
                    endpoints.remove(&id)
                } else {
                    endpoints.get(&id).cloned()
                }
            };
            let Some(endpoint) = endpoint else { continue };
            match input {
                SocketInput::Open => endpoint.out.open.set(true),
                SocketInput::Closed { .. } | SocketInput::Refused(_) => {
                    endpoint.out.open.set(false)
                }
                _ => {}
            }
            (endpoint.on_input)(input);
        }
    }

    /// The worker failed to start (or stopped): every socket it held is told so, and no
    /// more are opened through it.
    fn fail(&self, why: String) {
        let why = if why.is_empty() {
            "it could not start (does the page's Content-Security-Policy allow worker-src blob:?)"
                .to_string()
        } else {
            why
        };
        *self.broken.borrow_mut() = Some(why.clone());
        let _ = self.post(OP_CLOSE_ALL, 0, &JsValue::NULL, None);
        let endpoints: Vec<Rc<Endpoint>> = match self.endpoints.try_borrow_mut() {
            Ok(mut e) => e.drain().map(|(_, e)| e).collect(),
            Err(_) => return,
        };
        for endpoint in endpoints {
            endpoint.out.open.set(false);
            (endpoint.on_input)(SocketInput::Refused(stopped(&why)));
        }
    }
}

/// Closes every open socket without a DISCONNECT; for the panic hook, so it never panics.
pub fn close_all() {
    let _ = RELAY.try_with(|relay| {
        if let Ok(Some(relay)) = relay.try_borrow().as_deref() {
            let _ = relay.post(OP_CLOSE_ALL, 0, &JsValue::NULL, None);
        }
    });
}

/// An outbox this full is sent at once: about a thousand PUBACKs, so that no ack waits for
/// the end of a large input's actions (a batch from the worker holds hundreds of packets).
const OUTBOX_BYTES: usize = 4096;

/// Packets given to [`BrowserSocket::send_batched`] while the socket is open, waiting for
/// [`BrowserSocket::flush_now`]: the owner calls it once the actions of an input are out.
///
/// Why: a drain of queued QoS 1 messages brings a PUBLISH per packet, and one send per
/// PUBACK was the largest single cost per message. The acks of a batch of input go as one
/// binary message; MQTT over WebSocket lets a message hold several packets (MQTT 3.1.1
/// section 6).
struct Outbox {
    relay: Rc<Relay>,
    id: u32,
    bytes: RefCell<Vec<u8>>,
    /// The socket reported `open` and not `close`: only then is sending later safe.
    open: Cell<bool>,
}

impl Outbox {
    fn flush(&self) {
        let bytes = std::mem::take(&mut *self.bytes.borrow_mut());
        if !bytes.is_empty() {
            // What cannot be posted any more (the worker stopped) is reported by `fail`.
            let _ = self.send(&bytes);
        }
    }

    /// Posts `bytes` as one WebSocket message; the worker sends it in order.
    fn send(&self, bytes: &[u8]) -> Result<(), String> {
        let buffer = js_sys::Uint8Array::from(bytes).buffer();
        self.relay.post(OP_SEND, self.id, &buffer, Some(&buffer))
    }
}

/// A task posted through a `MessageChannel`: it runs after the input the page already has
/// queued, and lets the browser render in between. Not a timer: those are clamped, and
/// throttled in a hidden tab. Used for an outbox's flush and a device's drain steps.
pub struct PostedTask {
    channel: MessageChannel,
    _run: Closure<dyn FnMut()>,
}

impl PostedTask {
    /// `None` where the browser has no `MessageChannel`.
    pub fn new(run: impl FnMut() + 'static) -> Option<Self> {
        let channel = MessageChannel::new().ok()?;
        let run = Closure::<dyn FnMut()>::new(run);
        channel
            .port1()
            .set_onmessage(Some(run.as_ref().unchecked_ref()));
        Some(PostedTask { channel, _run: run })
    }

    /// Posts one run; `false` if the browser refused (the caller then runs it itself).
    pub fn post(&self) -> bool {
        self.channel.port2().post_message(&JsValue::NULL).is_ok()
    }
}

impl Drop for PostedTask {
    fn drop(&mut self) {
        let port: MessagePort = self.channel.port1();
        port.set_onmessage(None);
        port.close();
        self.channel.port2().close();
    }
}

/// An open (or opening) WebSocket in the socket worker.
pub struct BrowserSocket {
    url: String,
    out: Rc<Outbox>,
}

impl BrowserSocket {
    /// Opens `url`; `on_input` hears about it asynchronously, a refusal included. Errors
    /// here (the worker cannot start) come back as text for the page to show.
    pub fn open(url: &str, on_input: impl Fn(SocketInput) + 'static) -> Result<Self, String> {
        let relay = Relay::get()?;
        let id = relay.next_id.get();
        relay.next_id.set(id.wrapping_add(1));
        let out = Rc::new(Outbox {
            relay: relay.clone(),
            id,
            bytes: RefCell::new(Vec::new()),
            open: Cell::new(false),
        });
        relay.post(OP_OPEN, id, &JsValue::from_str(url), None)?;
        relay.endpoints.borrow_mut().insert(
            id,
            Rc::new(Endpoint {
                on_input: Box::new(on_input),
                out: out.clone(),
            }),
        );
        Ok(BrowserSocket {
            url: url.to_string(),
            out,
        })
    }

    /// The URL this socket was opened with.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Sends one MQTT packet as one binary message.
    pub fn send(&self, bytes: &[u8]) -> Result<(), String> {
        self.out.flush();
        self.out.send(bytes)
    }

    /// Sends one MQTT packet, in order after those before it: on an open socket, together
    /// with the others given until [`BrowserSocket::flush_now`] (see [`Outbox`]); otherwise
    /// at once, so that an error is reported as by `send`.
    pub fn send_batched(&self, bytes: &[u8]) -> Result<(), String> {
        if !self.out.open.get() {
            return self.send(bytes);
        }
        let full = {
            let mut out = self.out.bytes.borrow_mut();
            out.extend_from_slice(bytes);
            out.len() >= OUTBOX_BYTES
        };
        if full {
            self.out.flush();
        }
        Ok(())
    }

    /// Sends what [`BrowserSocket::send_batched`] gathered, as one message.
    pub fn flush_now(&self) {
        self.out.flush();
    }

    /// Closes without a DISCONNECT packet (what was sent before goes first); nothing is
    /// reported of it later.
    pub fn close(self) {
        self.out.flush();
    }
}

impl Drop for BrowserSocket {
    /// A socket that is dropped is closed, and its owner hears nothing more of it.
    fn drop(&mut self) {
        let relay = &self.out.relay;
        if let Ok(mut endpoints) = relay.endpoints.try_borrow_mut() {
            endpoints.remove(&self.out.id);
        }
        let _ = relay.post(OP_CLOSE, self.out.id, &JsValue::NULL, None);
    }
}
