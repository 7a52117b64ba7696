//! The interpreter of check scripts: starts each step with commands to the sessions, then
//! decides from the record (and, where only a deadline can tell, from `now`) when it ends.

use super::catalog::CheckKind;
use super::decide::decide;
use super::record::{ConnectResult, Record, TRACE_LINES};
use super::report::RowStatus;
use super::scripts::{cleanup, script, Ctx, LEARNED_TOPIC};
use super::steps::{Payload, Role, Step, MARKER_RETRY_MS};
use super::{BrokerCheck, Client};
use crate::session::{CloseReason, ReconnectPolicy, SessionConfig, Will};
use crate::text::Bilingual;
use crate::time::Millis;
use std::collections::BTreeSet;

/// Connect, subscribe and acknowledged publishes fail after this long without an answer.
const STEP_TIMEOUT_MS: Millis = 15_000;
/// A marker wait gives up after this long in all, however busy the replay before it.
const MARKER_CAP_MS: Millis = 600_000;
/// Keepalive of the check connections (the keepalive check sets its own).
const CHECK_KEEPALIVE_SECS: u16 = 60;
/// `AwaitPayload`: a small QoS 0 publish this often while a large message is on its way
/// (browsers clamp timers to about 4 ms).
/// Design: mosquitto's WebSocket listener writes a large message a slice (about 4 KB) per
/// wake-up of its event loop, which an idle broker wakes about every 100 ms: 40 KB/s, so a
/// 4 MiB payload takes minutes, and a deadline would mistake the pace for a limit. Any
/// incoming packet wakes the loop; with this traffic 4 MiB arrives in seconds.
pub(crate) const KEEPAWAKE_MS: Millis = 5;
/// Keep-awake traffic starts only when a payload has not arrived after this long: a broker
/// that delivers at once never sees it.
const KEEPAWAKE_AFTER_MS: Millis = 100;
/// The payload the keep-awake publishes carry (the trace leaves them out).
pub(crate) const KEEPAWAKE: &str = "keepawake";
/// A payload round gives up after this long, however slow the link.
const PAYLOAD_CAP_MS: Millis = 60_000;
/// A connect the broker closed before CONNACK is tried once more after this long.
/// Design: RabbitMQ 3.10 deletes a clean connection's queue after the connection has
/// closed, and closes a CONNECT with the same ClientId that comes meanwhile (seen in CI
/// between `inflight-window` and `max-payload`; rabbitmq-server#17330 is the same race).
const CONNECT_RETRY_MS: Millis = 1_000;

#[derive(Debug)]
pub(crate) enum Purpose {
    Check {
        row: usize,
    },
    /// After `kind` (or before the first check).
    Cleanup,
}

/// The running step's state.
#[derive(Debug, Default)]
pub(crate) struct Active {
    started_at: Millis,
    /// Sizes of the record's lists when the step started.
    connects: usize,
    subacks: usize,
    /// Closes of every role, by `Role::index`.
    closes: [usize; 3],
    delivered_seen: usize,
    qos2_pubacked_seen: usize,
    /// Packet ids of publishes awaited.
    waiting: BTreeSet<u16>,
    markers_sent: u32,
    next_marker_at: Option<Millis>,
    /// `AwaitPayload`: the large publish's id.
    big_id: Option<u16>,
    /// `AwaitPayload`: when the next keep-awake publish goes out.
    next_keepawake_at: Option<Millis>,
    /// The resolved topic (`AwaitMarker`).
    topic: String,
    /// When `poll` wants to run again without any input.
    wake: Option<Millis>,
    skipped: bool,
    /// `Connect`: when the one more try goes out, and whether it has.
    retry_at: Option<Millis>,
    retried: bool,
}

#[derive(Debug)]
pub(crate) struct Job {
    purpose: Purpose,
    steps: Vec<Step>,
    pc: usize,
    active: Option<Active>,
    record: Record,
    rounds: Vec<Record>,
    failure: Option<Bilingual>,
}

impl Job {
    pub(crate) fn row(&self) -> Option<usize> {
        match self.purpose {
            Purpose::Check { row } => Some(row),
            Purpose::Cleanup => None,
        }
    }

    #[cfg(test)]
    pub(crate) fn record_for_tests(&self) -> &Record {
        &self.record
    }

    pub(crate) fn wake(&self) -> Option<Millis> {
        self.active.as_ref().and_then(|a| a.wake)
    }

    fn new(purpose: Purpose, steps: Vec<Step>, now: Millis) -> Self {
        Job {
            purpose,
            steps,
            pc: 0,
            active: None,
            record: Record::new(now),
            rounds: Vec::new(),
            failure: None,
        }
    }
}

enum Poll {
    Running,
    Done,
    Failed(Bilingual),
}

impl BrokerCheck {
    fn ctx(&self) -> Ctx<'_> {
        Ctx {
            prefix: &self.prefix,
            options: &self.options,
        }
    }

    pub(crate) fn start_cleanup(&mut self, kind: Option<CheckKind>, now: Millis) {
        self.reset_clients(now);
        let steps = cleanup(kind, &self.ctx());
        self.job = Some(Job::new(Purpose::Cleanup, steps, now));
    }

    /// Starts the next check in the queue; false when none is left.
    fn start_next_check(&mut self, now: Millis) -> bool {
        let Some(row) = self.queue.pop_front() else {
            return false;
        };
        let kind = self.rows[row].kind;
        self.rows[row].status = RowStatus::Running;
        self.rows[row].started_at = Some(now);
        self.reset_clients(now);
        let steps = script(kind, &self.ctx(), 0, &[]).unwrap_or_default();
        self.job = Some(Job::new(Purpose::Check { row }, steps, now));
        true
    }

    /// Runs steps until one waits.
    pub(crate) fn advance(&mut self, now: Millis) {
        loop {
            self.absorb();
            let Some(job) = self.job.as_mut() else {
                if matches!(self.state, super::RunState::Running) && self.start_next_check(now) {
                    continue;
                }
                if matches!(
                    self.state,
                    super::RunState::Running | super::RunState::Cancelling
                ) {
                    // Nothing of the run stays open.
                    self.reset_clients(now);
                    self.finish(now);
                }
                return;
            };
            if job.active.is_none() {
                if job.failure.is_some() || job.pc >= job.steps.len() {
                    self.end_job(now);
                    continue;
                }
                let step = job.steps[job.pc].clone();
                let result = self.start_step(&step, now);
                self.absorb();
                if let Some(job) = self.job.as_mut() {
                    match result {
                        Ok(active) => job.active = Some(active),
                        Err(why) => job.failure = Some(why),
                    }
                }
                continue;
            }
            match self.poll_step(now) {
                Poll::Running => return,
                Poll::Done => {
                    if let Some(job) = self.job.as_mut() {
                        job.active = None;
                        job.pc += 1;
                    }
                }
                Poll::Failed(why) => {
                    if let Some(job) = self.job.as_mut() {
                        job.active = None;
                        job.failure = Some(why);
                    }
                }
            }
        }
    }

    /// Takes the events drained from sessions into the running job's record.
    pub(crate) fn absorb(&mut self) {
        let pending = std::mem::take(&mut self.pending);
        if let Some(job) = self.job.as_mut() {
            for (role, event) in pending {
                job.record.observe(role, event);
            }
        }
    }

    /// A job ran out of steps (or failed): decide, go on to the next round, or clean up.
    fn end_job(&mut self, now: Millis) {
        let Some(mut job) = self.job.take() else {
            return;
        };
        let Purpose::Check { row } = job.purpose else {
            // Cleanup failures are not the check's outcome; the next check starts fresh. The
            // run remembers that something may be left on the broker.
            if let Some(why) = job.failure.take() {
                self.cleanup_failure = Some(why);
            }
            return;
        };
        let kind = self.rows[row].kind;
        if let Some(why) = job.failure.take() {
            let mut rounds = std::mem::take(&mut job.rounds);
            rounds.push(job.record);
            self.rows[row].fail(why, &rounds, now);
            self.start_cleanup(Some(kind), now);
            return;
        }
        let record = std::mem::replace(&mut job.record, Record::new(now));
        job.rounds.push(record);
        let round = job.rounds.len();
        if let Some(steps) = script(kind, &self.ctx(), round, &job.rounds) {
            self.reset_clients(now);
            job.steps = steps;
            job.pc = 0;
            job.record = Record::new(now);
            self.job = Some(job);
            return;
        }
        let decision = decide(kind, &self.ctx(), &job.rounds);
        self.rows[row].decide(decision, &job.rounds, now);
        self.start_cleanup(Some(kind), now);
    }

    fn config(
        &self,
        role: Role,
        clean: bool,
        keepalive: Option<u16>,
        will: Option<Will>,
    ) -> SessionConfig {
        let c: &Client = &self.clients[role.index()];
        SessionConfig {
            url: self.base.url.clone(),
            client_id: c.client_id.clone(),
            username: c.username.clone(),
            password: c.password.clone(),
            clean_session: clean,
            keepalive_secs: keepalive.unwrap_or(CHECK_KEEPALIVE_SECS),
            protocol: self.base.protocol,
            will,
            resubscribe_on_connect: false,
            manual_ack: false,
            max_packet_bytes: self
                .base
                .max_packet_bytes
                .max(self.options.max_payload + 64 * 1024),
            reconnect: ReconnectPolicy {
                enabled: false,
                ..ReconnectPolicy::default()
            },
            profile: self.base.profile.clone(),
            seed: self.base.seed,
            ..SessionConfig::default()
        }
    }

    fn record(&self) -> &Record {
        &self.job.as_ref().expect("a job runs").record
    }

    fn note(&mut self, text: Bilingual) {
        if let Some(job) = self.job.as_mut() {
            job.record.notes.push(text);
        }
    }

    /// Publishes from `role` and drains; the packet id for QoS > 0.
    fn publish(
        &mut self,
        role: Role,
        topic: &str,
        payload: Vec<u8>,
        qos: u8,
        retain: bool,
        now: Millis,
    ) -> Result<Option<u16>, Bilingual> {
        let r = self.clients[role.index()]
            .session
            .publish(topic, payload, qos, retain, now);
        self.drain(role);
        r.map_err(|e| {
            e.text().prefixed(
                &format!("{} PUBLISH: ", role.name()),
                &format!("{} PUBLISH:", role.name()),
            )
        })
    }

    fn snapshot(&self, role: Role, now: Millis) -> Active {
        let record = self.record();
        let log = record.client(role);
        Active {
            started_at: now,
            connects: log.connects.len(),
            subacks: log.subacks.len(),
            closes: Role::ALL.map(|r| record.client(r).closes.len()),
            delivered_seen: log.delivered.len(),
            qos2_pubacked_seen: log.qos2_pubacked.len(),
            ..Active::default()
        }
    }

    /// Starts `step`: its commands, and the state its wait needs.
    fn start_step(&mut self, step: &Step, now: Millis) -> Result<Active, Bilingual> {
        let role = step_role(step);
        let mut a = self.snapshot(role, now);
        match step {
            Step::Connect { .. } => self.send_connect(step, now)?,
            Step::Subscribe { role, filter, qos } => {
                let r = self.clients[role.index()]
                    .session
                    .subscribe(filter, *qos, now);
                self.drain(*role);
                r.map_err(|e| e.text())?;
            }
            Step::SubscribeDollarWildcard { role, source } => {
                let seen = self
                    .record()
                    .client(*source)
                    .messages
                    .iter()
                    .find(|m| m.topic.starts_with('$') && m.retain)
                    .map(|m| m.topic.clone());
                match seen {
                    None => a.skipped = true,
                    Some(topic) => {
                        let rest = topic.split_once('/').map_or("", |(_, rest)| rest);
                        let (filter, marker_topic) = if rest.is_empty() {
                            ("+".to_string(), self.ctx().private_level())
                        } else {
                            (
                                format!("+/{rest}"),
                                format!("{}/{rest}", self.ctx().private_level()),
                            )
                        };
                        if let Some(job) = self.job.as_mut() {
                            job.record.dollar_probe = Some((topic, filter.clone(), marker_topic));
                        }
                        let r = self.clients[role.index()]
                            .session
                            .subscribe(&filter, 0, now);
                        self.drain(*role);
                        r.map_err(|e| e.text())?;
                    }
                }
            }
            Step::Publish {
                role,
                topic,
                payload,
                qos,
                retain,
                wait,
            } => {
                let id = self.publish(*role, topic, payload.bytes(), *qos, *retain, now)?;
                if *wait {
                    a.waiting.extend(id);
                }
            }
            Step::PublishSeries { role, topic, count } => {
                for n in 1..=*count {
                    let id =
                        self.publish(*role, topic, format!("q:{n}").into_bytes(), 1, false, now)?;
                    a.waiting.extend(id);
                }
            }
            Step::Fence { role } => {
                let topic = self.ctx().fence_topic();
                let id = self.publish(*role, &topic, b"fence".to_vec(), 1, false, now)?;
                a.waiting.extend(id);
            }
            Step::Disconnect { role } => {
                self.clients[role.index()].session.disconnect(now);
                self.drain(*role);
            }
            Step::Drop { role } => {
                self.clients[role.index()].session.drop_connection(now);
                self.drain(*role);
            }
            Step::Silent { role } => {
                let r = self.clients[role.index()].session.go_silent(now);
                self.drain(*role);
                r.map_err(|e| e.text())?;
            }
            Step::ManualAck { role, on } => {
                self.clients[role.index()].session.set_manual_ack(*on, now);
                self.drain(*role);
            }
            Step::AwaitMarker {
                publisher,
                topic,
                tag,
                retry,
                ..
            } => {
                let topic = if topic == LEARNED_TOPIC {
                    match &self.record().dollar_probe {
                        Some((_, _, t)) => t.clone(),
                        None => {
                            a.skipped = true;
                            return Ok(a);
                        }
                    }
                } else {
                    topic.clone()
                };
                self.publish(
                    *publisher,
                    &topic,
                    format!("marker:{tag}:1").into_bytes(),
                    1,
                    false,
                    now,
                )?;
                a.markers_sent = 1;
                a.topic = topic;
                if *retry {
                    a.next_marker_at = Some(now + MARKER_RETRY_MS);
                }
            }
            Step::AwaitPayload {
                publisher,
                topic,
                size,
                ..
            } => {
                if let Some(job) = self.job.as_mut() {
                    job.record.payload_size = *size;
                    job.record.payload_sent_at = Some(now);
                }
                a.big_id = self.publish(
                    *publisher,
                    topic,
                    Payload::Bytes(*size).bytes(),
                    1,
                    false,
                    now,
                )?;
                self.publish(
                    *publisher,
                    topic,
                    b"marker:payload:1".to_vec(),
                    1,
                    false,
                    now,
                )?;
                a.next_keepawake_at = Some(now + KEEPAWAKE_AFTER_MS);
            }
            Step::AwaitClose { .. }
            | Step::AwaitQuiet { .. }
            | Step::AwaitDollar { .. }
            | Step::Sleep { .. } => {}
        }
        Ok(a)
    }

    /// Opens `step`'s (a `Connect`) connection.
    fn send_connect(&mut self, step: &Step, now: Millis) -> Result<(), Bilingual> {
        let Step::Connect {
            role,
            clean,
            keepalive,
            will,
            ..
        } = step
        else {
            return Ok(());
        };
        let cfg = self.config(*role, *clean, *keepalive, will.clone());
        if let Some(job) = self.job.as_mut() {
            job.record.client_mut(*role).awaiting_connack = true;
        }
        let r = self.clients[role.index()].session.connect_with(cfg, now);
        self.drain(*role);
        r.map_err(|e| e.text())
    }

    /// Whether the running step is over.
    fn poll_step(&mut self, now: Millis) -> Poll {
        let (step, pc) = {
            let job = self.job.as_ref().expect("a job runs");
            (job.steps[job.pc].clone(), job.pc)
        };
        let mut a = self
            .job
            .as_mut()
            .and_then(|j| j.active.take())
            .unwrap_or_default();
        let result = self.poll_active(&step, pc, &mut a, now);
        if let Some(job) = self.job.as_mut() {
            job.active = Some(a);
        }
        result
    }

    fn poll_active(&mut self, step: &Step, pc: usize, a: &mut Active, now: Millis) -> Poll {
        a.wake = None;
        if a.skipped {
            return Poll::Done;
        }
        if let (Step::Connect { role, .. }, Some(at)) = (step, a.retry_at) {
            if now < at {
                a.wake = Some(at);
                return Poll::Running;
            }
            // The one more try: a fresh wait, as if the step started now.
            *a = Active {
                retried: true,
                ..self.snapshot(*role, now)
            };
            if let Err(why) = self.send_connect(step, now) {
                return Poll::Failed(why);
            }
        }
        let step_deadline = a.started_at + STEP_TIMEOUT_MS;
        // A connection lost under a step that needs it fails the check (except where the
        // close is what the step waits for).
        let lost = |s: &Self, r: Role, a: &Active| -> Option<Bilingual> {
            let closes = &s.record().client(r).closes;
            closes[a.closes[r.index()].min(closes.len())..]
                .iter()
                .find_map(|c| c.reason.clone().filter(|r| r.is_error()))
                .map(|reason| {
                    reason
                        .text()
                        .prefixed(&format!("{}: ", r.name()), &format!("{}:", r.name()))
                })
        };
        match step {
            Step::Connect {
                role, refusal_ok, ..
            } => {
                let log = self.record().client(*role);
                match log.connects.get(a.connects).map(|c| c.result.clone()) {
                    None if now >= step_deadline => Poll::Failed(Bilingual::new(
                        format!("{}: no CONNACK within {} s.", role.name(), STEP_TIMEOUT_MS / 1000),
                        format!("{}:{} 秒内没有 CONNACK。", role.name(), STEP_TIMEOUT_MS / 1000),
                    )),
                    None => {
                        a.wake = Some(step_deadline);
                        Poll::Running
                    }
                    Some(ConnectResult::Accepted { .. }) => Poll::Done,
                    Some(_) if *refusal_ok => Poll::Done,
                    Some(ConnectResult::Refused { code }) => Poll::Failed(Bilingual::new(
                        format!("{} was refused (CONNACK code {code}): check the device's URL, auth and ClientId rules.", role.name()),
                        format!("{} 被拒绝(CONNACK 返回码 {code}):请检查设备的 URL、鉴权和 ClientId 规则。", role.name()),
                    )),
                    Some(ConnectResult::Failed(CloseReason::SocketClosed)) if !a.retried => {
                        let secs = CONNECT_RETRY_MS / 1000;
                        self.note(Bilingual::new(
                            format!("The broker closed {}'s connection before CONNACK; tried once more after {secs} s. (RabbitMQ does this when a ClientId connects again while the queue of its previous connection is still being deleted.)", role.name()),
                            format!("服务端在 CONNACK 之前关闭了 {} 的连接;{secs} 秒后重试一次。(同一 ClientId 再次连接时,若上一个连接的队列仍在删除中,RabbitMQ 会这样做。)", role.name()),
                        ));
                        a.retry_at = Some(now + CONNECT_RETRY_MS);
                        a.wake = a.retry_at;
                        Poll::Running
                    }
                    Some(ConnectResult::Failed(reason)) => Poll::Failed(reason.text().prefixed(
                        &format!("{} could not connect: ", role.name()),
                        &format!("{} 无法连接:", role.name()),
                    )),
                }
            }
            Step::Subscribe { role, filter, .. } => {
                let done = self.record().client(*role).subacks[a.subacks..]
                    .iter()
                    .any(|s| &s.filter == filter);
                self.wait_or_fail(done, lost(self, *role, a), step_deadline, a, now, "SUBACK")
            }
            Step::SubscribeDollarWildcard { role, .. } => {
                let done = self.record().client(*role).subacks.len() > a.subacks;
                self.wait_or_fail(done, lost(self, *role, a), step_deadline, a, now, "SUBACK")
            }
            Step::Publish { role, .. }
            | Step::PublishSeries { role, .. }
            | Step::Fence { role } => {
                let log = self.record().client(*role);
                let fresh: Vec<u16> = log.delivered[a.delivered_seen..]
                    .iter()
                    .map(|d| d.2)
                    .collect();
                let last_ack = log.delivered.last().map(|d| d.1);
                a.delivered_seen += fresh.len();
                // A QoS 2 PUBLISH answered with PUBACK: the broker took it (as QoS 1); the
                // session completes it (then `Delivered`), and the evidence says so.
                let pubacked: Vec<u16> = log.qos2_pubacked[a.qos2_pubacked_seen..]
                    .iter()
                    .map(|d| d.2)
                    .collect();
                a.qos2_pubacked_seen += pubacked.len();
                for id in pubacked {
                    if a.waiting.remove(&id) {
                        self.note(Bilingual::new(
                            format!("The broker answered {}'s QoS 2 PUBLISH (packet id {id}) with PUBACK: it took it as QoS 1.", role.name()),
                            format!("服务端以 PUBACK 回应 {} 的 QoS 2 PUBLISH(报文标识符 {id}):按 QoS 1 处理。", role.name()),
                        ));
                    }
                }
                for id in fresh {
                    a.waiting.remove(&id);
                }
                // Inactivity, not total time: a long series is fine while acks come.
                let deadline = last_ack.unwrap_or(a.started_at).max(a.started_at) + STEP_TIMEOUT_MS;
                self.wait_or_fail(
                    a.waiting.is_empty(),
                    lost(self, *role, a),
                    deadline,
                    a,
                    now,
                    "PUBACK",
                )
            }
            Step::Disconnect { .. }
            | Step::Drop { .. }
            | Step::Silent { .. }
            | Step::ManualAck { .. } => Poll::Done,
            Step::AwaitMarker {
                listener,
                publisher,
                tag,
                timeout,
                timeout_ok,
                ..
            } => {
                let log = self.record().client(*listener);
                if log.marker(&a.topic, tag).is_some() {
                    return Poll::Done;
                }
                if let Some(why) = lost(self, *listener, a).or_else(|| lost(self, *publisher, a)) {
                    return Poll::Failed(why);
                }
                let last_activity = log
                    .messages
                    .last()
                    .map_or(a.started_at, |m| m.at.max(a.started_at));
                let deadline = (last_activity + timeout).min(a.started_at + MARKER_CAP_MS);
                if now >= deadline {
                    if *timeout_ok {
                        self.mark_deadline(pc);
                        return Poll::Done;
                    }
                    return Poll::Failed(Bilingual::new(
                        format!("No marker reached {} within {} s (markers sent: {}): the check cannot decide without a positive signal.", listener.name(), timeout / 1000, a.markers_sent),
                        format!("{} 秒内没有标记消息到达 {}(已发送 {} 条):没有确定信号,无法判断。", timeout / 1000, listener.name(), a.markers_sent),
                    ));
                }
                if let Some(at) = a.next_marker_at.filter(|at| now >= *at) {
                    a.markers_sent += 1;
                    let n = a.markers_sent;
                    let topic = a.topic.clone();
                    if let Err(why) = self.publish(
                        *publisher,
                        &topic,
                        format!("marker:{tag}:{n}").into_bytes(),
                        1,
                        false,
                        now,
                    ) {
                        return Poll::Failed(why);
                    }
                    self.note(Bilingual::new(
                        format!(
                            "Marker {n} sent: none had arrived after {} ms.",
                            now - a.started_at
                        ),
                        format!(
                            "已发送第 {n} 条标记消息:{} ms 后仍无标记到达。",
                            now - a.started_at
                        ),
                    ));
                    a.next_marker_at = Some(at + MARKER_RETRY_MS);
                }
                a.wake = [Some(deadline), a.next_marker_at]
                    .into_iter()
                    .flatten()
                    .min();
                Poll::Running
            }
            Step::AwaitPayload {
                listener,
                publisher,
                size,
                ..
            } => {
                let log = self.record().client(*listener);
                if log
                    .messages
                    .iter()
                    .any(|m| m.len == *size || m.label.starts_with("marker:"))
                {
                    return Poll::Done;
                }
                let closed = [*listener, *publisher]
                    .iter()
                    .any(|r| self.record().client(*r).closes.len() > a.closes[r.index()]);
                if closed {
                    self.note(Bilingual::new(
                        format!("{size} bytes: a check connection was closed by the broker."),
                        format!("{size} 字节:服务端关闭了一个检测连接。"),
                    ));
                    return Poll::Done;
                }
                let sent_at = self.record().payload_sent_at.unwrap_or(a.started_at);
                let acked = a.big_id.and_then(|id| {
                    self.record()
                        .client(*publisher)
                        .delivered
                        .iter()
                        .find(|d| d.2 == id)
                        .map(|d| d.1)
                });
                if let (Some(at), Some(job)) = (acked, self.job.as_mut()) {
                    job.record.payload_acked_at = Some(at);
                }
                let mut deadline = match acked {
                    // The broker has it: the way down takes about as long as the way up.
                    Some(at) => at + 2_000.max(4 * at.saturating_sub(sent_at)),
                    None => sent_at + 3_000 + (*size as Millis) / 256,
                };
                // A slow link: four times what the largest size delivered so far predicts.
                if let Some((prev_size, prev_ms)) = self.largest_delivered_payload() {
                    let predicted =
                        prev_ms.saturating_mul(*size as Millis) / (prev_size.max(1) as Millis);
                    deadline = deadline.max(sent_at + 4 * predicted);
                }
                // A second attempt at a size that stalled waits four times as long.
                let attempt = self.job.as_ref().map_or(0, |j| {
                    j.rounds.iter().filter(|r| r.payload_size == *size).count()
                }) as Millis;
                let deadline = (sent_at + (deadline - sent_at) * (1 + 3 * attempt))
                    .min(sent_at + PAYLOAD_CAP_MS);
                if let Some(job) = self.job.as_mut() {
                    job.record.payload_deadline_ms = deadline - sent_at;
                }
                if now >= deadline {
                    self.mark_deadline(pc);
                    return Poll::Done;
                }
                if let Some(at) = a.next_keepawake_at.filter(|at| now >= *at) {
                    let topic = self.ctx().fence_topic();
                    // Best effort: a refusal here shows as the round's own outcome.
                    let _ = self.publish(
                        *publisher,
                        &topic,
                        KEEPAWAKE.as_bytes().to_vec(),
                        0,
                        false,
                        now,
                    );
                    a.next_keepawake_at = Some(at.max(now) + KEEPAWAKE_MS);
                }
                a.wake = [Some(deadline), a.next_keepawake_at]
                    .into_iter()
                    .flatten()
                    .min();
                Poll::Running
            }
            Step::AwaitClose { role, timeout } => {
                if self.record().client(*role).closes.len() > a.closes[role.index()] {
                    return Poll::Done;
                }
                let deadline = a.started_at + timeout;
                if now >= deadline {
                    self.mark_deadline(pc);
                    return Poll::Done;
                }
                a.wake = Some(deadline);
                Poll::Running
            }
            Step::AwaitQuiet {
                role,
                quiet,
                count,
                timeout,
            } => {
                let log = self.record().client(*role);
                let got = log
                    .messages
                    .iter()
                    .filter(|m| m.label.starts_with("q:"))
                    .count() as u32;
                let last = log.messages.last().map(|m| m.at);
                let deadline = a.started_at + timeout;
                let quiet_at = last.map(|l| l.max(a.started_at) + quiet);
                let over = got >= *count || quiet_at.is_some_and(|q| now >= q) || now >= deadline;
                if over {
                    if got < *count {
                        self.mark_deadline(pc);
                    }
                    if let Some(job) = self.job.as_mut() {
                        job.record.quiet_end_seq = Some(job.record.next_seq);
                    }
                    return Poll::Done;
                }
                a.wake = [Some(deadline), quiet_at].into_iter().flatten().min();
                Poll::Running
            }
            Step::AwaitDollar { role, timeout } => {
                if self
                    .record()
                    .client(*role)
                    .messages
                    .iter()
                    .any(|m| m.topic.starts_with('$') && m.retain)
                {
                    return Poll::Done;
                }
                let deadline = a.started_at + timeout;
                if now >= deadline {
                    self.mark_deadline(pc);
                    return Poll::Done;
                }
                a.wake = Some(deadline);
                Poll::Running
            }
            Step::Sleep { ms } => {
                let at = a.started_at + ms;
                if now >= at {
                    return Poll::Done;
                }
                a.wake = Some(at);
                Poll::Running
            }
        }
    }

    /// (size, ms from publish to arrival) of the largest payload delivered in earlier rounds.
    fn largest_delivered_payload(&self) -> Option<(usize, Millis)> {
        self.job
            .as_ref()?
            .rounds
            .iter()
            .filter_map(|r| {
                let (size, ok) = super::decide::payload_round(r);
                let ms = super::decide::payload_delivery_ms(r)?;
                (ok == Some(true)).then_some((size, ms))
            })
            .max_by_key(|(size, _)| *size)
    }

    fn mark_deadline(&mut self, pc: usize) {
        if let Some(job) = self.job.as_mut() {
            job.record.deadlines.push(pc);
        }
    }

    fn wait_or_fail(
        &self,
        done: bool,
        lost: Option<Bilingual>,
        deadline: Millis,
        a: &mut Active,
        now: Millis,
        what: &str,
    ) -> Poll {
        if done {
            return Poll::Done;
        }
        if let Some(why) = lost {
            return Poll::Failed(why);
        }
        if now >= deadline {
            return Poll::Failed(Bilingual::new(
                format!("No {what} within {} s.", STEP_TIMEOUT_MS / 1000),
                format!("{} 秒内没有 {what}。", STEP_TIMEOUT_MS / 1000),
            ));
        }
        a.wake = Some(deadline);
        Poll::Running
    }
}

/// The role whose record a step's snapshot is taken of.
fn step_role(step: &Step) -> Role {
    match step {
        Step::Connect { role, .. }
        | Step::Subscribe { role, .. }
        | Step::SubscribeDollarWildcard { role, .. }
        | Step::Publish { role, .. }
        | Step::PublishSeries { role, .. }
        | Step::Fence { role }
        | Step::Disconnect { role }
        | Step::Drop { role }
        | Step::Silent { role }
        | Step::ManualAck { role, .. }
        | Step::AwaitClose { role, .. }
        | Step::AwaitQuiet { role, .. }
        | Step::AwaitDollar { role, .. } => *role,
        Step::AwaitMarker { listener, .. } | Step::AwaitPayload { listener, .. } => *listener,
        Step::Sleep { .. } => Role::Subject,
    }
}

/// Trace lines of all rounds, bounded.
pub(crate) fn trace_of(rounds: &[Record]) -> Vec<String> {
    let mut out = Vec::new();
    let mut dropped = 0;
    for (i, r) in rounds.iter().enumerate() {
        if rounds.len() > 1 {
            out.push(format!("-- round {} --", i + 1));
        }
        for line in &r.trace {
            if out.len() < TRACE_LINES * 2 {
                out.push(line.render());
            } else {
                dropped += 1;
            }
        }
        dropped += r.trace_dropped;
    }
    if dropped > 0 {
        out.push(format!("… {dropped} more packets"));
    }
    out
}
