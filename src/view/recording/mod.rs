//! Recordings: everything the page observed, as one file that opens again read-only.
//!
//! Design: the page already keeps a device's view (its log and the diagnostics' history) as a
//! fold over the core's events, so a recording is those events, in order, per device, plus
//! what is not an event: the device's settings without secrets (a [`Profile`] made for
//! export), the session snapshot at the moment of export, and the findings shown then.
//! Opening a file folds the same events through the same code ([`DeviceLog::apply`],
//! [`DeviceHistory::observe`]) and runs the core's [`diagnose`] at the recorded moment, so the
//! views and the findings are the ones the page showed live. One rule reads secrets
//! (`auth-shape` compares the password with what the auth mode makes); a recording has none,
//! so that rule's findings are the recorded ones.
//!
//! While the page runs, a [`Recorder`] keeps each event as its JSON text, bounded in bytes
//! (the oldest go first, counted per device), so that an export is a concatenation and the
//! browser store (edge/recording_store) can persist it as it grows.
//!
//! The format (`ackscope-recording/1`, README): `{"format", "createdAt", "startedAt",
//! "page", "findings": [...], "devices": [{"settings", "subQos", "pubQos", "eventsEvicted",
//! "session", "brokerCheck", "events": [...]}]}` where each event is the core's `Event` in serde's
//! externally tagged form (`{"Connected": {"at": ..., ...}}`). Fields added later are
//! optional, so older files open in newer pages.

mod event_json;
pub mod journey;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_check;

use super::form::DeviceForm;
use super::log::DeviceLog;
use super::profile::Profile;
use ackscope_core::check::{BrokerFacts, CheckReport};
use ackscope_core::diagnostics::{
    diagnose, Bilingual, DeviceFacts, DeviceHistory, DeviceSettings, Finding, Severity,
};
use ackscope_core::profile::BrokerProfile;
use ackscope_core::session::{Event, SessionView};
use ackscope_core::time::Millis;
use serde::{Deserialize, Serialize};
use std::cell::RefCell;
use std::collections::{HashMap, VecDeque};
use std::rc::Rc;

/// The version tag this page writes.
pub const FORMAT: &str = "ackscope-recording/1";
/// The versions this page reads (older ones included, as they come).
const READS: &[&str] = &[FORMAT];
const FORMAT_PREFIX: &str = "ackscope-recording/";

/// Files larger than this are refused before they are read.
pub const MAX_FILE_BYTES: f64 = 200.0 * 1024.0 * 1024.0;
/// A compressed file may not unpack to more than this.
pub const MAX_TEXT_BYTES: usize = 256 * 1024 * 1024;
/// What the page keeps of the running recording (JSON text of its events).
pub const MAX_RECORDER_BYTES: usize = 32 * 1024 * 1024;

/// The rule whose inputs are secrets: never recomputed from a recording.
const SECRET_RULE: &str = "auth-shape";

/// Text in both languages, as a file holds it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Text {
    pub en: String,
    pub zh: String,
}

impl From<&Bilingual> for Text {
    fn from(b: &Bilingual) -> Self {
        Text {
            en: b.en.clone(),
            zh: b.zh.clone(),
        }
    }
}

impl From<&Text> for Bilingual {
    fn from(t: &Text) -> Self {
        Bilingual::new(t.en.clone(), t.zh.clone())
    }
}

/// A finding as the page showed it live.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RecordedFinding {
    pub rule: String,
    pub severity: String,
    pub device: u32,
    #[serde(default)]
    pub at: Option<Millis>,
    pub evidence: Text,
    #[serde(default)]
    pub explanation: Text,
    #[serde(default)]
    pub fix: Text,
    #[serde(default)]
    pub remaining_ms: Option<Millis>,
}

impl From<&Finding> for RecordedFinding {
    fn from(f: &Finding) -> Self {
        RecordedFinding {
            rule: f.rule.to_string(),
            severity: f.severity.as_str().to_string(),
            device: f.device,
            at: f.at,
            evidence: (&f.evidence).into(),
            explanation: (&f.explanation).into(),
            fix: (&f.fix).into(),
            remaining_ms: f.remaining_ms,
        }
    }
}

fn severity(s: &str) -> Severity {
    match s {
        "error" => Severity::Error,
        "warning" => Severity::Warning,
        _ => Severity::Info,
    }
}

fn one() -> u8 {
    1
}

/// One device of a recording.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RecordedDevice {
    /// Its settings, never with secrets.
    pub settings: Profile,
    /// The QoS chosen in its subscribe and publish controls (the diagnostics read them).
    #[serde(default = "one")]
    pub sub_qos: u8,
    #[serde(default = "one")]
    pub pub_qos: u8,
    /// Events the page no longer held when the recording was made (the oldest).
    #[serde(default)]
    pub events_evicted: u64,
    /// The session as shown when the recording was made.
    #[serde(default)]
    pub session: Option<SessionView>,
    /// The device's broker check when the recording was made, with its evidence (optional:
    /// files from before it open as without one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub broker_check: Option<CheckReport>,
    #[serde(default)]
    pub events: Vec<Event>,
}

/// A whole recording.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Recording {
    pub format: String,
    /// When it was made: the moment its findings and session snapshots were taken.
    pub created_at: Millis,
    #[serde(default)]
    pub started_at: Option<Millis>,
    /// The page that made it (`ackscope 0.1.0`).
    #[serde(default)]
    pub page: String,
    /// The findings the page showed when it was made.
    #[serde(default)]
    pub findings: Vec<RecordedFinding>,
    pub devices: Vec<RecordedDevice>,
}

/// The page's name and version, as a recording names it.
pub fn page_name() -> String {
    format!("ackscope {}", env!("CARGO_PKG_VERSION"))
}

/// Why a file could not be opened as a recording.
#[derive(Clone, Debug, PartialEq)]
pub enum OpenError {
    TooLarge { bytes: f64 },
    Empty,
    NotJson(String),
    NotARecording,
    Newer(String),
    Damaged(String),
    Unreadable(String),
}

impl OpenError {
    pub fn text(&self) -> Bilingual {
        match self {
            OpenError::TooLarge { bytes } => Bilingual::new(
                format!(
                    "The file is {:.0} MB; recordings over {:.0} MB are not opened.",
                    bytes / 1_048_576.0,
                    MAX_FILE_BYTES / 1_048_576.0
                ),
                format!(
                    "文件大小 {:.0} MB;超过 {:.0} MB 的录制文件不会被打开。",
                    bytes / 1_048_576.0,
                    MAX_FILE_BYTES / 1_048_576.0
                ),
            ),
            OpenError::Empty => Bilingual::new("The file is empty.", "文件为空。"),
            OpenError::NotJson(e) => Bilingual::new(
                format!("This is not an ackscope recording: it is not JSON ({e})."),
                format!("这不是 ackscope 录制文件:内容不是 JSON({e})。"),
            ),
            OpenError::NotARecording => Bilingual::new(
                format!(
                    "This JSON is not an ackscope recording: it has no \"format\": \"{FORMAT}\"."
                ),
                format!("该 JSON 不是 ackscope 录制文件:缺少 \"format\": \"{FORMAT}\"。"),
            ),
            OpenError::Newer(f) => Bilingual::new(
                format!(
                    "This recording is in {f}, made by a newer ackscope; this page reads {FORMAT}."
                ),
                format!(
                    "该录制文件格式为 {f},由更新版本的 ackscope 生成;本页面只能读取 {FORMAT}。"
                ),
            ),
            OpenError::Damaged(e) => Bilingual::new(
                format!("The recording is damaged or cut short: {e}."),
                format!("录制文件已损坏或不完整:{e}。"),
            ),
            OpenError::Unreadable(e) => Bilingual::new(
                format!("The file could not be read: {e}."),
                format!("无法读取该文件:{e}。"),
            ),
        }
    }
}

/// A file's size, checked before it is read.
pub fn size_problem(bytes: f64) -> Option<OpenError> {
    (bytes > MAX_FILE_BYTES).then_some(OpenError::TooLarge { bytes })
}

/// Reads a recording from its JSON text: a clear error for anything else, never a panic.
pub fn parse(text: &str) -> Result<Recording, OpenError> {
    if text.len() > MAX_TEXT_BYTES {
        return Err(OpenError::TooLarge {
            bytes: text.len() as f64,
        });
    }
    let text = text.trim_start_matches('\u{feff}');
    if text.trim().is_empty() {
        return Err(OpenError::Empty);
    }
    // Not an object: JSON of another kind, or not JSON (checked without building anything).
    if !text.trim_start().starts_with('{') {
        return Err(match serde_json::from_str::<serde::de::IgnoredAny>(text) {
            Ok(_) => OpenError::NotARecording,
            Err(e) => OpenError::NotJson(e.to_string()),
        });
    }
    // Then the format alone: a file of another kind or version gets its own message.
    #[derive(Deserialize)]
    struct Head {
        format: Option<serde_json::Value>,
    }
    let head: Head = match serde_json::from_str(text) {
        Ok(h) => h,
        Err(e) if e.is_syntax() || e.is_eof() => return Err(OpenError::Damaged(e.to_string())),
        Err(_) => return Err(OpenError::NotARecording),
    };
    let format = match head.format {
        Some(serde_json::Value::String(f)) => f,
        _ => return Err(OpenError::NotARecording),
    };
    if !READS.contains(&format.as_str()) {
        return Err(if format.starts_with(FORMAT_PREFIX) {
            OpenError::Newer(format)
        } else {
            OpenError::NotARecording
        });
    }
    serde_json::from_str(text).map_err(|e| OpenError::Damaged(e.to_string()))
}

/// A device of the page, as an export sees it.
pub struct LiveDevice<'a> {
    pub id: u32,
    pub form: &'a DeviceForm,
    pub session: &'a SessionView,
    /// Its broker check, if one ran.
    pub broker_check: Option<CheckReport>,
}

/// The recorded header of a device: everything but its events.
pub fn device_header(d: &LiveDevice<'_>, events_evicted: u64) -> RecordedDevice {
    let mut settings = Profile::of(d.form, false);
    settings.broker_url = without_userinfo(&settings.broker_url);
    RecordedDevice {
        settings,
        sub_qos: d.form.sub_qos,
        pub_qos: d.form.pub_qos,
        events_evicted,
        session: Some(d.session.clone()),
        broker_check: d.broker_check.clone(),
        events: Vec::new(),
    }
}

/// A broker URL without `user:pass@` (a recording never carries credentials).
pub fn without_userinfo(url: &str) -> String {
    if !super::profile::has_userinfo(url) {
        return url.to_string();
    }
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, path) = rest.split_at(end);
    let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    format!("{scheme}://{host}{path}")
}

/// An object's JSON with `"key": [items]` added as its last member (items already JSON).
fn with_array<'a>(mut object: String, key: &str, items: impl Iterator<Item = &'a str>) -> String {
    // A serialized struct always ends with '}'.
    object.pop();
    if !object.ends_with('{') {
        object.push(',');
    }
    object.push_str(&format!("\"{key}\":["));
    for (i, item) in items.enumerate() {
        if i > 0 {
            object.push(',');
        }
        object.push_str(item);
    }
    object.push_str("]}");
    object
}

/// The header of a recording file: everything but its devices.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct FileHead<'a> {
    format: &'a str,
    created_at: Millis,
    started_at: Option<Millis>,
    page: String,
    findings: Vec<RecordedFinding>,
}

/// The JSON of a recording of `devices` (with `findings` as shown) at `now`, from the
/// events the recorder holds.
pub fn export_text(
    devices: &[LiveDevice<'_>],
    findings: &[Finding],
    recorder: &Recorder,
    now: Millis,
) -> String {
    let r = recorder.0.borrow();
    let head = FileHead {
        format: FORMAT,
        created_at: now,
        started_at: r.started_at,
        page: page_name(),
        findings: findings.iter().map(RecordedFinding::from).collect(),
    };
    let head = serde_json::to_string(&head).unwrap_or_else(|_| "{}".into());
    let device_texts: Vec<String> = devices
        .iter()
        .map(|d| {
            let header = device_header(d, r.evicted.get(&d.id).copied().unwrap_or(0));
            let json = serde_json::to_string(&header).unwrap_or_else(|_| "{}".into());
            // The header's own (empty) "events" goes; the recorded ones follow.
            let json = json.replacen(",\"events\":[]", "", 1);
            with_array(
                json,
                "events",
                r.lines
                    .iter()
                    .filter(|l| l.device == d.id)
                    .map(|l| l.json.as_str()),
            )
        })
        .collect();
    with_array(head, "devices", device_texts.iter().map(String::as_str))
}

/// What the browser store keeps beside the events of a run: everything of a recording but
/// its events (which it keeps line by line, under each device's id on the page).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StoredMeta {
    pub updated_at: Millis,
    #[serde(default)]
    pub started_at: Option<Millis>,
    #[serde(default)]
    pub page: String,
    #[serde(default)]
    pub findings: Vec<RecordedFinding>,
    /// (device id on the page, the device without its events), in page order.
    pub devices: Vec<(u32, RecordedDevice)>,
}

/// The store's metadata of the page now.
pub fn stored_meta(
    devices: &[LiveDevice<'_>],
    findings: &[Finding],
    recorder: &Recorder,
    now: Millis,
) -> StoredMeta {
    StoredMeta {
        updated_at: now,
        started_at: recorder.started_at(),
        page: page_name(),
        findings: findings.iter().map(RecordedFinding::from).collect(),
        devices: devices
            .iter()
            .map(|d| (d.id, device_header(d, recorder.evicted(d.id))))
            .collect(),
    }
}

/// A recording put back together from the store: its metadata and its lines (device id,
/// event JSON) in order. Lines of devices that left the page are skipped; an unreadable
/// line fails the whole, as a damaged file does.
pub fn assemble(meta: &str, lines: Vec<(u32, String)>) -> Result<Recording, OpenError> {
    let meta: StoredMeta =
        serde_json::from_str(meta).map_err(|e| OpenError::Damaged(e.to_string()))?;
    let mut devices: Vec<RecordedDevice> = meta.devices.iter().map(|(_, d)| d.clone()).collect();
    for (device, json) in lines {
        let Some(pos) = meta.devices.iter().position(|(id, _)| *id == device) else {
            continue;
        };
        let event: Event =
            serde_json::from_str(&json).map_err(|e| OpenError::Damaged(e.to_string()))?;
        devices[pos].events.push(event);
    }
    Ok(Recording {
        format: FORMAT.into(),
        created_at: meta.updated_at,
        started_at: meta.started_at,
        page: meta.page,
        findings: meta.findings,
        devices,
    })
}

/// The events a recorder holds of one device, read back (for the journey of a live page).
pub fn recorded_events(recorder: &Recorder, device: u32) -> Vec<Event> {
    recorder
        .0
        .borrow()
        .lines
        .iter()
        .filter(|l| l.device == device)
        .filter_map(|l| serde_json::from_str(&l.json).ok())
        .collect()
}

/// One event as the recorder keeps it.
#[derive(Clone, Debug)]
pub struct Line {
    pub seq: u64,
    pub device: u32,
    pub json: String,
}

#[derive(Debug)]
struct RecorderState {
    lines: VecDeque<Line>,
    bytes: usize,
    limit: usize,
    next_seq: u64,
    evicted: HashMap<u32, u64>,
    started_at: Option<Millis>,
}

/// The running recording of the page: every event of every device, as JSON text, bounded
/// in bytes (the oldest go first, counted per device). A cheap handle: clones share it.
#[derive(Clone, Debug)]
pub struct Recorder(Rc<RefCell<RecorderState>>);

impl PartialEq for Recorder {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
}

impl Default for Recorder {
    fn default() -> Self {
        Recorder::with_limit(MAX_RECORDER_BYTES)
    }
}

impl Recorder {
    pub fn with_limit(limit: usize) -> Self {
        Recorder(Rc::new(RefCell::new(RecorderState {
            lines: VecDeque::new(),
            bytes: 0,
            limit,
            next_seq: 1,
            evicted: HashMap::new(),
            started_at: None,
        })))
    }

    /// Keeps one event of device `device` (its id on the page).
    pub fn record(&self, device: u32, event: &Event) {
        let Some(json) = event_json::event_json(event) else {
            return;
        };
        let mut r = self.0.borrow_mut();
        if r.started_at.is_none() {
            r.started_at = Some(event_time(event));
        }
        let seq = r.next_seq;
        r.next_seq += 1;
        r.bytes += json.len();
        r.lines.push_back(Line { seq, device, json });
        while r.bytes > r.limit {
            let Some(gone) = r.lines.pop_front() else {
                break;
            };
            r.bytes -= gone.json.len();
            *r.evicted.entry(gone.device).or_default() += 1;
        }
    }

    /// Forgets a device that left the page.
    pub fn forget(&self, device: u32) {
        let mut r = self.0.borrow_mut();
        r.lines.retain(|l| l.device != device);
        r.bytes = r.lines.iter().map(|l| l.json.len()).sum();
        r.evicted.remove(&device);
    }

    /// Events kept, and the oldest ones no longer kept.
    pub fn counts(&self) -> (usize, u64) {
        let r = self.0.borrow();
        (r.lines.len(), r.evicted.values().sum())
    }

    /// The sequence number the next event gets: lines below it were recorded.
    pub fn next_seq(&self) -> u64 {
        self.0.borrow().next_seq
    }

    /// The oldest sequence number still kept (everything below went).
    pub fn first_kept(&self) -> u64 {
        let r = self.0.borrow();
        r.lines.front().map(|l| l.seq).unwrap_or(r.next_seq)
    }

    /// Lines recorded from `from` on, at most `max` of them.
    pub fn lines_from(&self, from: u64, max: usize) -> Vec<Line> {
        let r = self.0.borrow();
        let start = r.lines.partition_point(|l| l.seq < from);
        r.lines.range(start..).take(max).cloned().collect()
    }

    /// Events no longer kept, per device id.
    pub fn evicted(&self, device: u32) -> u64 {
        self.0.borrow().evicted.get(&device).copied().unwrap_or(0)
    }

    pub fn started_at(&self) -> Option<Millis> {
        self.0.borrow().started_at
    }
}

/// When an event happened.
pub fn event_time(e: &Event) -> Millis {
    match e {
        Event::Packet(p) => p.at,
        Event::Message(m) => m.at,
        Event::State { at, .. }
        | Event::Connected { at, .. }
        | Event::Refused { at, .. }
        | Event::Closed { at, .. }
        | Event::Resent { at, .. }
        | Event::Abandoned { at, .. }
        | Event::Subscribed { at, .. }
        | Event::Unsubscribed { at, .. }
        | Event::Delivered { at, .. }
        | Event::Qos2AnsweredWithPuback { at, .. }
        | Event::AckOverdue { at, .. }
        | Event::BrokerAckTimeout { at, .. }
        | Event::PingRoundTrip { at, .. }
        | Event::SilentConnectionClosed { at, .. }
        | Event::PacketIdReused { at, .. }
        | Event::ProbeSeriesStarted { at, .. }
        | Event::NetworkDown { at }
        | Event::NetworkUp { at }
        | Event::ReconnectScheduled { at, .. }
        | Event::ReconnectStopped { at, .. }
        | Event::ProbeSeriesStopped { at, .. }
        | Event::NotSent { at, .. } => *at,
    }
}

/// A recorded device folded back into what the page shows.
pub struct Replayed {
    pub form: DeviceForm,
    pub log: DeviceLog,
    pub history: DeviceHistory,
    /// The session as shown when recorded; its clocks stand still.
    pub session: SessionView,
    /// Its recorded broker check.
    pub broker_check: Option<CheckReport>,
}

/// The form of a recorded device: its settings on a fresh panel, secrets empty.
pub fn recorded_form(d: &RecordedDevice, index: usize) -> DeviceForm {
    let mut form = DeviceForm::new(index, "");
    let p = d.settings.clone().shareable();
    p.apply(&mut form);
    // `apply` keeps the panel's default for an empty value; a recording says what it was.
    form.auth.client_id = p.client_id.clone();
    form.broker_url = p.broker_url.clone();
    form.broker_needs_confirm = false;
    form.sub_qos = d.sub_qos.min(2);
    form.pub_qos = d.pub_qos.min(2);
    form
}

/// Folds a recorded device's events through the page's own view code, in order.
pub fn replay(d: &RecordedDevice, index: usize, created_at: Millis) -> Replayed {
    let mut log = DeviceLog::default();
    let mut history = DeviceHistory::default();
    for event in &d.events {
        history.observe(event);
        log.apply(event.clone());
    }
    let mut session = d.session.clone().unwrap_or_else(|| empty_view(created_at));
    session.running_clocks = false;
    // Shown at the recorded moment: the views' clock (view::clock::view_now) stands there.
    session.taken_at = created_at;
    Replayed {
        form: recorded_form(d, index),
        log,
        history,
        session,
        broker_check: d.broker_check.clone(),
    }
}

/// What a recorded broker check measured, as the live page derived it (the device's profile
/// assumes the rest).
pub fn recorded_check_facts(form: &DeviceForm, report: &CheckReport) -> BrokerFacts {
    BrokerFacts::measured(report, &BrokerProfile::for_kind(form.broker))
}

/// The view of a device whose recording has no snapshot (nothing is known of its session).
fn empty_view(at: Millis) -> SessionView {
    ackscope_core::session::Session::new(Default::default()).view(at)
}

/// What the diagnostics read of one device: the same as the live page builds.
pub fn settings_of(form: &DeviceForm, session: &SessionView) -> DeviceSettings {
    // As the live page does: the probe series being sent lets probe-gap see a lost tail.
    DeviceSettings {
        sending: session.probe_series.clone(),
        ..form.diagnostic_settings(&session.subscriptions)
    }
}

/// The findings of a page of devices at `now`: what the live diagnostics compute.
pub fn findings_of(now: Millis, devices: &[(DeviceSettings, &DeviceHistory)]) -> Vec<Finding> {
    let facts: Vec<DeviceFacts<'_>> = devices
        .iter()
        .enumerate()
        .map(|(i, (settings, history))| DeviceFacts {
            device: i as u32,
            settings,
            history,
        })
        .collect();
    diagnose(now, &facts)
}

/// The findings of an opened recording: recomputed from its events by the core's rules at
/// the moment it was made; the rule that needs secrets keeps its recorded findings.
pub fn recomputed_findings(rec: &Recording, replayed: &[Replayed]) -> Vec<Finding> {
    let inputs: Vec<(DeviceSettings, &DeviceHistory)> = replayed
        .iter()
        .map(|r| {
            // Measured facts as the live page had them when the recording was made.
            let mut settings = settings_of(&r.form, &r.session);
            settings.broker_check = r
                .broker_check
                .as_ref()
                .map(|c| recorded_check_facts(&r.form, c));
            (settings, &r.history)
        })
        .collect();
    let mut findings: Vec<Finding> = findings_of(rec.created_at, &inputs)
        .into_iter()
        .filter(|f| f.rule != SECRET_RULE)
        .collect();
    findings.extend(
        rec.findings
            .iter()
            .filter(|f| f.rule == SECRET_RULE)
            .map(|f| Finding {
                rule: SECRET_RULE,
                severity: severity(&f.severity),
                device: f.device,
                at: f.at,
                evidence: (&f.evidence).into(),
                explanation: (&f.explanation).into(),
                fix: (&f.fix).into(),
                remaining_ms: f.remaining_ms,
            }),
    );
    findings.sort_by_key(|f| (f.severity, f.device, f.rule));
    findings
}

/// Whether recomputed findings say what the recording says was shown: rule, device and
/// severity of each, in order.
pub fn same_findings(recorded: &[RecordedFinding], recomputed: &[Finding]) -> bool {
    recorded.len() == recomputed.len()
        && recorded.iter().zip(recomputed).all(|(a, b)| {
            a.rule == b.rule && a.device == b.device && a.severity == b.severity.as_str()
        })
}

/// A recording opened for the page: each device replayed, and the findings recomputed.
pub struct Opened {
    pub recording: Recording,
    pub devices: Vec<Replayed>,
    pub findings: Vec<Finding>,
    /// The recomputed findings equal the ones recorded as shown live.
    pub findings_match: bool,
}

pub fn open(recording: Recording) -> Opened {
    let devices: Vec<Replayed> = recording
        .devices
        .iter()
        .enumerate()
        .map(|(i, d)| replay(d, i, recording.created_at))
        .collect();
    let findings = recomputed_findings(&recording, &devices);
    let findings_match = same_findings(&recording.findings, &findings);
    Opened {
        recording,
        devices,
        findings,
        findings_match,
    }
}

/// The UTC date and time of an epoch-milliseconds instant: `2026-03-21 14:05:09`.
pub fn date_time(ms: Millis) -> String {
    // Days to a civil date (Howard Hinnant's algorithm), for the proleptic Gregorian calendar.
    let days = (ms / 86_400_000) as i64;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    let s = ms / 1000;
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02}",
        (s / 3600) % 24,
        (s / 60) % 60,
        s % 60
    )
}

/// The file name of a recording made at `now` (epoch ms), without its extension.
pub fn file_stem(now: Millis) -> String {
    format!("ackscope-{}", date_time(now).replace([' ', ':'], "-"))
}
