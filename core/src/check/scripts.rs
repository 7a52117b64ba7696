//! Each check as a small script of steps, and the cleanup that follows it.
//!
//! Rules every script keeps: a negative outcome needs a positive signal, so after the step
//! under test a marker is published that arrives on the same subscription (brokers deliver
//! queued messages before later ones). A returning subscriber subscribes again before the
//! marker, so that the marker arrives even when the broker kept nothing.

use super::catalog::CheckKind;
use super::options::CheckOptions;
use super::record::Record;
use super::steps::{Payload, Role, Step, MARKER_TIMEOUT_MS};
use crate::session::Will;
use crate::time::Millis;

/// Where `AwaitMarker` publishes when its topic is this placeholder: the private topic the
/// `dollar-topics` check derived from the `$` topic it saw (see `Record::dollar_probe`).
pub(crate) const LEARNED_TOPIC: &str = "<learned>";
/// How long `dollar-topics` waits for the broker to show a retained `$` topic.
pub(crate) const DOLLAR_WAIT_MS: Millis = 3_000;
/// `inflight-window`: no new PUBLISH for this long means the broker waits for acks.
pub(crate) const WINDOW_QUIET_MS: Millis = 1_000;
/// `overlapping`: time for a second copy to follow the marker.
pub(crate) const OVERLAP_SETTLE_MS: Millis = 300;
/// `max-payload`: the first size tried; then doubling, then a binary search.
pub(crate) const PAYLOAD_START: usize = 1_024;

/// What scripts need to know of the run.
pub(crate) struct Ctx<'a> {
    pub prefix: &'a str,
    pub options: &'a CheckOptions,
}

impl Ctx<'_> {
    pub fn topic(&self, kind: CheckKind) -> String {
        format!("{}/{}", self.prefix, kind.topic_level())
    }

    pub fn fence_topic(&self) -> String {
        format!("{}/fence", self.prefix)
    }

    /// A private first level (for topics that must match `+/<levels of a $ topic>`).
    pub fn private_level(&self) -> String {
        self.prefix.replace('/', "-")
    }
}

fn connect(role: Role, clean: bool) -> Step {
    Step::Connect {
        role,
        clean,
        keepalive: None,
        will: None,
        refusal_ok: false,
    }
}

fn subscribe(role: Role, filter: &str, qos: u8) -> Step {
    Step::Subscribe {
        role,
        filter: filter.to_string(),
        qos,
    }
}

fn publish(role: Role, topic: &str, text: &str, qos: u8, retain: bool) -> Step {
    Step::Publish {
        role,
        topic: topic.to_string(),
        payload: Payload::text(text),
        qos,
        retain,
        wait: qos > 0,
    }
}

fn marker(listener: Role, publisher: Role, topic: &str, tag: &'static str) -> Step {
    Step::AwaitMarker {
        listener,
        publisher,
        topic: topic.to_string(),
        tag,
        retry: true,
        timeout: MARKER_TIMEOUT_MS,
        timeout_ok: false,
    }
}

use Role::{Anonymous as A, Peer as P, Subject as S};

/// The steps of round `round` of `kind`, given the rounds before; `None` when it is done.
pub(crate) fn script(
    kind: CheckKind,
    ctx: &Ctx<'_>,
    round: usize,
    rounds: &[Record],
) -> Option<Vec<Step>> {
    if kind == CheckKind::MaxPayload {
        let size = super::decide::next_payload_size(rounds, ctx.options.max_payload)?;
        return Some(payload_round(ctx, kind, size));
    }
    if round > 0 {
        return None;
    }
    let t = ctx.topic(kind);
    let t = t.as_str();
    Some(match kind {
        CheckKind::Offline {
            publish: p,
            subscribe: s,
        } => vec![
            connect(S, false),
            subscribe(S, t, s),
            Step::Disconnect { role: S },
            connect(P, true),
            publish(P, t, "probe", p, false),
            Step::Fence { role: P },
            connect(S, false),
            subscribe(S, t, s),
            marker(S, P, t, "back"),
            Step::Disconnect { role: S },
            Step::Disconnect { role: P },
        ],
        CheckKind::SessionPresent => vec![
            connect(S, false),
            subscribe(S, t, 1),
            Step::Disconnect { role: S },
            connect(S, false),
            Step::Disconnect { role: S },
        ],
        CheckKind::CleanSessionWipe => vec![
            connect(S, false),
            subscribe(S, t, 1),
            Step::Disconnect { role: S },
            connect(S, true),
            Step::Disconnect { role: S },
            connect(P, true),
            publish(P, t, "probe", 1, false),
            connect(S, false),
            subscribe(S, t, 1),
            marker(S, P, t, "back"),
            Step::Disconnect { role: S },
            Step::Disconnect { role: P },
        ],
        CheckKind::Retained => vec![
            connect(P, true),
            publish(P, t, "retained", 1, true),
            connect(S, true),
            subscribe(S, t, 1),
            marker(S, P, t, "after"),
            Step::Disconnect { role: S },
            Step::Disconnect { role: P },
        ],
        CheckKind::RetainedResubscribe => vec![
            connect(P, true),
            publish(P, t, "retained", 1, true),
            connect(S, true),
            subscribe(S, t, 1),
            marker(S, P, t, "first"),
            subscribe(S, t, 1),
            marker(S, P, t, "second"),
            Step::Disconnect { role: S },
            Step::Disconnect { role: P },
        ],
        CheckKind::Redelivery => vec![
            connect(S, false),
            subscribe(S, t, 1),
            Step::ManualAck { role: S, on: true },
            connect(P, true),
            publish(P, t, "probe", 1, false),
            marker(S, P, t, "held"),
            Step::Drop { role: S },
            connect(S, false),
            subscribe(S, t, 1),
            marker(S, P, t, "back"),
            Step::Disconnect { role: S },
            Step::Disconnect { role: P },
        ],
        CheckKind::Will => vec![
            connect(P, true),
            subscribe(P, t, 1),
            Step::Connect {
                role: S,
                clean: true,
                keepalive: None,
                will: Some(Will {
                    topic: t.to_string(),
                    payload: b"will".to_vec(),
                    qos: 1,
                    retain: false,
                }),
                refusal_ok: false,
            },
            Step::Drop { role: S },
            // Once the same ClientId is back, the broker is done with the dropped socket.
            connect(S, true),
            marker(P, S, t, "after"),
            Step::Disconnect { role: S },
            Step::Disconnect { role: P },
        ],
        CheckKind::Overlapping => {
            let wildcard = format!("{}/+", ctx.prefix);
            vec![
                connect(S, true),
                subscribe(S, &wildcard, 1),
                subscribe(S, t, 1),
                connect(P, true),
                publish(P, t, "probe", 1, false),
                marker(S, P, t, "after"),
                Step::Sleep {
                    ms: OVERLAP_SETTLE_MS,
                },
                Step::Disconnect { role: S },
                Step::Disconnect { role: P },
            ]
        }
        CheckKind::DollarTopics => vec![
            connect(P, true),
            subscribe(P, "$SYS/#", 0),
            Step::AwaitDollar {
                role: P,
                timeout: DOLLAR_WAIT_MS,
            },
            connect(S, true),
            Step::SubscribeDollarWildcard { role: S, source: P },
            marker(S, P, LEARNED_TOPIC, "after"),
            Step::Disconnect { role: S },
            Step::Disconnect { role: P },
        ],
        CheckKind::ZeroLengthClientId => vec![
            Step::Connect {
                role: A,
                clean: true,
                keepalive: None,
                will: None,
                refusal_ok: true,
            },
            Step::Disconnect { role: A },
        ],
        CheckKind::KeepaliveClose => {
            let k = ctx.options.keepalive_secs;
            vec![
                Step::Connect {
                    role: S,
                    clean: true,
                    keepalive: Some(k),
                    will: None,
                    refusal_ok: false,
                },
                Step::Silent { role: S },
                Step::AwaitClose {
                    role: S,
                    timeout: keepalive_timeout(k),
                },
                Step::Drop { role: S },
            ]
        }
        CheckKind::QueueLimit => vec![
            connect(S, false),
            subscribe(S, t, 1),
            Step::Disconnect { role: S },
            connect(P, true),
            Step::PublishSeries {
                role: P,
                topic: t.to_string(),
                count: ctx.options.queue_limit,
            },
            connect(S, false),
            subscribe(S, t, 1),
            marker(S, P, t, "back"),
            Step::Disconnect { role: S },
            Step::Disconnect { role: P },
        ],
        CheckKind::InflightWindow => vec![
            connect(S, true),
            Step::ManualAck { role: S, on: true },
            subscribe(S, t, 1),
            connect(P, true),
            Step::PublishSeries {
                role: P,
                topic: t.to_string(),
                count: super::options::WINDOW_PROBES,
            },
            Step::AwaitQuiet {
                role: S,
                quiet: WINDOW_QUIET_MS,
                count: super::options::WINDOW_PROBES,
                timeout: 15_000,
            },
            Step::ManualAck { role: S, on: false },
            marker(S, P, t, "after"),
            Step::Disconnect { role: S },
            Step::Disconnect { role: P },
        ],
        CheckKind::MaxPayload => unreachable!("handled above"),
    })
}

/// How long `keepalive-close` waits for the broker: 3 x keepalive and 10 s more (mosquitto
/// closes 1.7 to 3 s after 1.5 x keepalive).
pub(crate) fn keepalive_timeout(keepalive_secs: u16) -> Millis {
    Millis::from(keepalive_secs) * 3_000 + 10_000
}

/// One probe of the payload search, on fresh connections: a stalled connection from an
/// earlier size must not hold up this one.
fn payload_round(ctx: &Ctx<'_>, kind: CheckKind, size: usize) -> Vec<Step> {
    let t = ctx.topic(kind);
    vec![
        connect(S, true),
        subscribe(S, &t, 1),
        connect(P, true),
        Step::AwaitPayload {
            listener: S,
            publisher: P,
            topic: t,
            size,
        },
        Step::Drop { role: S },
        Step::Drop { role: P },
    ]
}

/// Checks that leave a persistent session of chk1 behind.
fn leaves_session(kind: CheckKind) -> bool {
    matches!(
        kind,
        CheckKind::Offline { .. }
            | CheckKind::SessionPresent
            | CheckKind::CleanSessionWipe
            | CheckKind::Redelivery
            | CheckKind::QueueLimit
    )
}

/// What runs after a check (finished, failed or cancelled): retained messages cleared with
/// empty retained publishes, chk1's session wiped with a cleanSession=1 connect. `None`
/// (before the first check) wipes chk1 in case an earlier run was interrupted.
pub(crate) fn cleanup(kind: Option<CheckKind>, ctx: &Ctx<'_>) -> Vec<Step> {
    let mut steps = Vec::new();
    if let Some(k @ (CheckKind::Retained | CheckKind::RetainedResubscribe)) = kind {
        let t = ctx.topic(k);
        steps.extend([
            connect(P, true),
            Step::Publish {
                role: P,
                topic: t,
                payload: Payload::Empty,
                qos: 1,
                retain: true,
                wait: true,
            },
            Step::Disconnect { role: P },
        ]);
    }
    if kind.is_none_or(leaves_session) {
        steps.extend([connect(S, true), Step::Disconnect { role: S }]);
    }
    steps
}
