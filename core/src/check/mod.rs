//! The broker check: a suite of experiments that measures how the broker in front of a
//! device really behaves (what it keeps for an offline session at each QoS, limits,
//! timings), from the browser, with extra connections derived from the device's ClientId.
//!
//! Shape: like [`crate::session::Session`], sans-IO and driven by the edge. A
//! `BrokerCheck` owns one `Session` per check connection (chk1, chk2 and an anonymous one)
//! and runs the checks one after the other. Each check is data: a small script of steps
//! (`scripts`), interpreted here (`runner`); what its connections observe is recorded
//! (`record`), and its outcome is a pure function of that record (`decide`). After every
//! check, and on cancel, a cleanup script wipes the sessions it left and clears its
//! retained messages.
//!
//! Driver contract, as for a session: inputs `start`, `cancel`, `handle_socket_open`,
//! `handle_bytes`, `handle_socket_closed`, `handle_timeout`, each with `now`; after each,
//! drain `poll_action` (socket I/O, with the connection's index) and arm `poll_timeout`.
//! Socket ids are unique across the whole run (each check starts fresh sessions), so the
//! driver can key its sockets by them alone. `view` is what the page shows; `report`
//! exports it. Nothing here decides from a clock it reads: time is always `now`.
//!
//! Credentials: the check connections sign their own ClientIds with the device's secret
//! (Alibaba signature modes) and send them only in CONNECT to the device's broker URL. The
//! evidence and exports never contain the username or password.

mod catalog;
mod decide;
mod facts;
mod options;
mod record;
mod report;
mod runner;
mod scripts;
mod steps;

#[cfg(test)]
mod tests;

pub use catalog::CheckKind;
pub use decide::Decision;
pub use facts::{
    BrokerFacts, DroppedEnd, Fact, PayloadLimit, QueueLimit, KEEPALIVE_CHECK, PAYLOAD_CHECK,
    QOS0_GRANT_CHECK, QOS0_PUBLISH_CHECK, QOS2_CHECK, QUEUE_CHECK,
};
pub use options::{
    derived_client_id, CheckOptions, OptionsError, DEFAULT_KEEPALIVE_SECS, DEFAULT_MAX_PAYLOAD,
    DEFAULT_QUEUE_LIMIT, QUEUE_LIMIT_RANGE, WINDOW_PROBES,
};
pub use record::{ClientLog, ConnectResult, Record, Seen, TraceLine};
pub use report::{CheckReport, CheckRow, CheckView, RowStatus, RunState};
pub use steps::{Payload, Role, Step};

use crate::auth::AuthInput;
use crate::session::{Action, Event, Session, SessionConfig, SocketId};
use crate::text::Bilingual;
use crate::time::Millis;
use std::collections::{BTreeMap, VecDeque};

/// Which check connection an action or input belongs to (`Role::index`).
pub type ClientIndex = usize;

/// One check connection: its session, replaced by a fresh one for every check.
#[derive(Debug)]
struct Client {
    session: Session,
    generation: u32,
    client_id: String,
    username: Option<String>,
    password: Option<String>,
}

/// A broker check run for one device.
#[derive(Debug)]
pub struct BrokerCheck {
    base: SessionConfig,
    options: CheckOptions,
    prefix: String,
    clients: Vec<Client>,
    rows: Vec<CheckRow>,
    /// Global socket id -> (role, session generation, the session's own socket id).
    sockets: BTreeMap<SocketId, (Role, u32, SocketId)>,
    by_local: BTreeMap<(Role, u32, SocketId), SocketId>,
    next_socket: u32,
    actions: VecDeque<(ClientIndex, Action)>,
    /// Events drained from sessions, not yet taken into the running job's record.
    pending: Vec<(Role, Event)>,
    job: Option<runner::Job>,
    /// Rows still to run, in order.
    queue: VecDeque<usize>,
    state: RunState,
    started_at: Option<Millis>,
    finished_at: Option<Millis>,
    /// Why the latest cleanup that failed did (sessions or retained messages may be left).
    cleanup_failure: Option<Bilingual>,
}

impl BrokerCheck {
    /// A run against the broker of the device whose settings are `base`. `auth` is the
    /// device's auth input when its password signs the ClientId (Alibaba modes), so that
    /// each check connection gets its own signature; otherwise the device's username and
    /// password are reused as they are.
    pub fn new(
        base: SessionConfig,
        auth: Option<AuthInput>,
        options: CheckOptions,
    ) -> Result<Self, OptionsError> {
        options.validate()?;
        let aliyun = options::is_aliyun(&base, auth.as_ref());
        let mut clients = Vec::new();
        for role in Role::ALL {
            let client_id = match role {
                Role::Subject => options::derived_client_id(&base.client_id, 1, aliyun),
                Role::Peer => options::derived_client_id(&base.client_id, 2, aliyun),
                Role::Anonymous => String::new(),
            };
            let (username, password) = if role == Role::Anonymous && aliyun {
                // Not run on Alibaba (`not_allowed`): no signature for an empty ClientId.
                (None, None)
            } else {
                options::check_client_id(&client_id, aliyun && role != Role::Anonymous)?;
                options::credentials_for(&base, auth.as_ref(), &client_id)?
            };
            clients.push(Client {
                session: Session::new(SessionConfig::default()),
                generation: 0,
                client_id,
                username,
                password,
            });
        }
        let rows = CheckKind::all()
            .into_iter()
            .filter(|k| options.only.is_empty() || options.only.iter().any(|o| *o == k.id()))
            .map(|kind| CheckRow::new(kind, &base.profile))
            .collect();
        let prefix = options.prefix();
        Ok(BrokerCheck {
            base,
            options,
            prefix,
            clients,
            rows,
            sockets: BTreeMap::new(),
            by_local: BTreeMap::new(),
            next_socket: 1,
            actions: VecDeque::new(),
            pending: Vec::new(),
            job: None,
            queue: VecDeque::new(),
            state: RunState::Idle,
            started_at: None,
            finished_at: None,
            cleanup_failure: None,
        })
    }

    /// The ClientId of a check connection.
    pub fn client_id(&self, role: Role) -> &str {
        &self.clients[role.index()].client_id
    }

    /// Every topic of the run starts with this.
    pub fn topic_prefix(&self) -> &str {
        &self.prefix
    }

    pub fn state(&self) -> RunState {
        self.state
    }

    /// A cleanup of this run that could not finish, and why: the broker may still hold the
    /// check connections' sessions or retained messages under the prefix.
    pub fn cleanup_failure(&self) -> Option<&Bilingual> {
        self.cleanup_failure.as_ref()
    }

    /// Starts the suite (once).
    pub fn start(&mut self, now: Millis) {
        if self.state != RunState::Idle {
            return;
        }
        self.state = RunState::Running;
        self.started_at = Some(now);
        self.queue = self
            .rows
            .iter()
            .enumerate()
            .filter(|(_, r)| r.status == RowStatus::Pending)
            .map(|(i, _)| i)
            .collect();
        // Wipe chk1's session first, in case an earlier run was interrupted.
        self.start_cleanup(None, now);
        self.advance(now);
    }

    /// Cancels: the running check stops at once and its cleanup runs; cancelling again
    /// during that cleanup drops every connection and stops.
    pub fn cancel(&mut self, now: Millis) {
        match self.state {
            RunState::Running => {
                self.state = RunState::Cancelling;
                for i in self.queue.drain(..) {
                    self.rows[i].status = RowStatus::Skipped;
                }
                if let Some(row) = self.job.as_ref().and_then(|j| j.row()) {
                    let kind = self.rows[row].kind;
                    self.rows[row].cancel(now);
                    self.start_cleanup(Some(kind), now);
                }
                self.advance(now);
            }
            RunState::Cancelling => {
                self.job = None;
                self.reset_clients(now);
                self.finish(now);
            }
            _ => {}
        }
    }

    // ---- outputs ------------------------------------------------------------------------

    /// Socket I/O to perform, in order, with the index of the connection it belongs to.
    #[must_use]
    pub fn poll_action(&mut self) -> Option<(ClientIndex, Action)> {
        self.actions.pop_front()
    }

    /// The earliest time `handle_timeout` must be called.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Millis> {
        let sessions = self.clients.iter().filter_map(|c| c.session.poll_timeout());
        let job = self.job.as_ref().and_then(|j| j.wake());
        sessions.chain(job).min()
    }

    // ---- inputs -------------------------------------------------------------------------

    pub fn handle_socket_open(&mut self, _client: ClientIndex, socket: SocketId, now: Millis) {
        if let Some((role, local)) = self.live_socket(socket) {
            self.clients[role.index()]
                .session
                .handle_socket_open(local, now);
            self.drain(role);
        }
        self.advance(now);
    }

    pub fn handle_bytes(
        &mut self,
        _client: ClientIndex,
        socket: SocketId,
        bytes: &[u8],
        now: Millis,
    ) {
        if let Some((role, local)) = self.live_socket(socket) {
            self.clients[role.index()]
                .session
                .handle_bytes(local, bytes, now);
            self.drain(role);
        }
        self.advance(now);
    }

    pub fn handle_socket_closed(&mut self, _client: ClientIndex, socket: SocketId, now: Millis) {
        let live = self.live_socket(socket);
        self.forget(socket);
        if let Some((role, local)) = live {
            self.clients[role.index()]
                .session
                .handle_socket_closed(local, now);
            self.drain(role);
        }
        self.advance(now);
    }

    pub fn handle_timeout(&mut self, now: Millis) {
        for role in Role::ALL {
            let due = self.clients[role.index()]
                .session
                .poll_timeout()
                .is_some_and(|at| at <= now);
            if due {
                self.clients[role.index()].session.handle_timeout(now);
                self.drain(role);
            }
        }
        self.advance(now);
    }

    // ---- sockets ------------------------------------------------------------------------

    /// The session socket behind a global id, if it belongs to a current session.
    fn live_socket(&self, socket: SocketId) -> Option<(Role, SocketId)> {
        let (role, generation, local) = *self.sockets.get(&socket)?;
        (self.clients[role.index()].generation == generation).then_some((role, local))
    }

    fn forget(&mut self, socket: SocketId) {
        if let Some(key) = self.sockets.remove(&socket) {
            self.by_local.remove(&key);
        }
    }

    /// Moves a session's actions out (socket ids made global) and its events into `pending`.
    fn drain(&mut self, role: Role) {
        let generation = self.clients[role.index()].generation;
        while let Some(action) = self.clients[role.index()].session.poll_action() {
            let action = match action {
                Action::Open { socket, url } => {
                    let global = SocketId(self.next_socket);
                    self.next_socket += 1;
                    self.sockets.insert(global, (role, generation, socket));
                    self.by_local.insert((role, generation, socket), global);
                    Action::Open {
                        socket: global,
                        url,
                    }
                }
                Action::Send { socket, bytes } => {
                    let Some(&global) = self.by_local.get(&(role, generation, socket)) else {
                        continue;
                    };
                    Action::Send {
                        socket: global,
                        bytes,
                    }
                }
                Action::Close { socket } => {
                    let Some(&global) = self.by_local.get(&(role, generation, socket)) else {
                        continue;
                    };
                    self.forget(global);
                    Action::Close { socket: global }
                }
            };
            self.actions.push_back((role.index(), action));
        }
        while let Some(event) = self.clients[role.index()].session.poll_event() {
            self.pending.push((role, event));
        }
    }

    /// Ends every connection of the check sessions (DISCONNECT where live) and gives each
    /// role a fresh session: nothing of one check leaks into the next.
    fn reset_clients(&mut self, now: Millis) {
        for role in Role::ALL {
            let c = &mut self.clients[role.index()];
            c.session.disconnect(now);
            c.session.drop_connection(now);
            self.drain(role);
            let stale: Vec<SocketId> = self
                .sockets
                .iter()
                .filter(|(_, (r, _, _))| *r == role)
                .map(|(g, _)| *g)
                .collect();
            for global in stale {
                self.forget(global);
                self.actions
                    .push_back((role.index(), Action::Close { socket: global }));
            }
            let c = &mut self.clients[role.index()];
            c.generation += 1;
            c.session = Session::new(SessionConfig::default());
        }
        self.pending.clear();
    }

    fn finish(&mut self, now: Millis) {
        self.finished_at = Some(now);
        self.state = if self.state == RunState::Cancelling {
            RunState::Cancelled
        } else {
            RunState::Finished
        };
    }
}
