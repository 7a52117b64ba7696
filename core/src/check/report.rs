//! What the page shows of a run (rows with their evidence, progress) and the exports for a
//! ticket: JSON and a Markdown table.

use super::catalog::CheckKind;
use super::decide::Decision;
use super::record::Record;
use super::runner::trace_of;
use super::steps::Role;
use super::BrokerCheck;
use crate::profile::BrokerProfile;
use crate::text::{json_string, Bilingual};
use crate::time::Millis;
use serde::{Deserialize, Serialize};

/// Where a run is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RunState {
    Idle,
    Running,
    /// Cancelled; the cleanup of the interrupted check still runs.
    Cancelling,
    Finished,
    Cancelled,
}

impl RunState {
    pub fn as_str(self) -> &'static str {
        match self {
            RunState::Idle => "idle",
            RunState::Running => "running",
            RunState::Cancelling => "cancelling",
            RunState::Finished => "finished",
            RunState::Cancelled => "cancelled",
        }
    }

    /// Connections are open or about to be.
    pub fn is_busy(self) -> bool {
        matches!(self, RunState::Running | RunState::Cancelling)
    }
}

/// Where a row is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RowStatus {
    Pending,
    Running,
    Done,
    /// The profile forbids the experiment (outcome `not-allowed`).
    NotAllowed,
    /// A step failed: no outcome could be decided (outcome `error`).
    Error,
    Cancelled,
    /// Not run: the suite was cancelled first.
    Skipped,
}

impl RowStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            RowStatus::Pending => "pending",
            RowStatus::Running => "running",
            RowStatus::Done => "done",
            RowStatus::NotAllowed => "not-allowed",
            RowStatus::Error => "error",
            RowStatus::Cancelled => "cancelled",
            RowStatus::Skipped => "skipped",
        }
    }
}

/// One row of the table: a check, its outcome, and the evidence that decided it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CheckRow {
    pub kind: CheckKind,
    pub id: String,
    pub status: RowStatus,
    /// `data-outcome`: the table's value; empty while pending or running.
    pub outcome: String,
    /// `queue-limit`: `oldest` or `newest` when the broker dropped some.
    pub dropped: Option<&'static str>,
    /// The evidence in words.
    pub why: Vec<Bilingual>,
    /// The packets, one line each (bounded; credentials never appear).
    pub trace: Vec<String>,
    /// Decided by a deadline rather than by a positive signal.
    pub timeout_based: bool,
    pub started_at: Option<Millis>,
    pub took_ms: Option<Millis>,
}

impl CheckRow {
    /// The outcome as a report's table cell: "–" while undecided, the dropped end and a
    /// deadline-based decision said (one text for the Markdown export and the page's report).
    pub fn outcome_cell(&self, zh: bool) -> String {
        let mut cell = if self.outcome.is_empty() {
            "–".to_string()
        } else {
            self.outcome.clone()
        };
        if let Some(end) = self.dropped {
            cell.push_str(&format!(" (dropped {end})"));
        }
        if self.timeout_based {
            cell.push_str(if zh { "(超时判断)" } else { " (deadline)" });
        }
        cell
    }

    pub(crate) fn new(kind: CheckKind, profile: &BrokerProfile) -> Self {
        let mut row = CheckRow {
            kind,
            id: kind.id(),
            status: RowStatus::Pending,
            outcome: String::new(),
            dropped: None,
            why: Vec::new(),
            trace: Vec::new(),
            timeout_based: false,
            started_at: None,
            took_ms: None,
        };
        if let Some(why) = kind.not_allowed(profile) {
            row.status = RowStatus::NotAllowed;
            row.outcome = "not-allowed".into();
            row.why = vec![why];
        }
        row
    }

    fn took(&mut self, now: Millis) {
        self.took_ms = self.started_at.map(|s| now.saturating_sub(s));
    }

    pub(crate) fn decide(&mut self, d: Decision, rounds: &[Record], now: Millis) {
        self.status = if d.outcome == "error" {
            RowStatus::Error
        } else {
            RowStatus::Done
        };
        self.outcome = d.outcome;
        self.dropped = d.dropped;
        self.why = d.why;
        self.why
            .extend(rounds.iter().flat_map(|r| r.notes.iter().cloned()));
        self.timeout_based = d.timeout_based;
        self.trace = trace_of(rounds);
        self.took(now);
    }

    pub(crate) fn fail(&mut self, why: Bilingual, rounds: &[Record], now: Millis) {
        self.status = RowStatus::Error;
        self.outcome = "error".into();
        // What was noted before the failure (a retried connect, a downgrade) still happened.
        self.why = vec![why];
        self.why
            .extend(rounds.iter().flat_map(|r| r.notes.iter().cloned()));
        self.trace = trace_of(rounds);
        self.took(now);
    }

    pub(crate) fn cancel(&mut self, now: Millis) {
        self.status = RowStatus::Cancelled;
        self.outcome = "cancelled".into();
        self.why = vec![Bilingual::new(
            "Cancelled while it ran; its cleanup ran.",
            "运行中被取消;已执行清理。",
        )];
        self.took(now);
    }

    /// Whether the row has its final value.
    pub fn is_decided(&self) -> bool {
        !self.outcome.is_empty()
    }
}

/// Everything the page shows of a run, at one moment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckView {
    pub state: RunState,
    pub rows: Vec<CheckRow>,
    /// Rows with their final value.
    pub done: usize,
    pub total: usize,
    /// The check running now (or cleaning up after).
    pub current: Option<String>,
    pub elapsed_ms: Option<Millis>,
    pub client_ids: Vec<String>,
    pub topic_prefix: String,
}

/// A finished (or cancelled) run, for a ticket; a recording keeps it as it is (serde).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CheckReport {
    /// The broker URL without user info or query.
    pub broker: String,
    pub profile: String,
    pub state: RunState,
    pub elapsed_ms: Option<Millis>,
    pub client_ids: Vec<String>,
    pub topic_prefix: String,
    /// The keepalive (s) of the `keepalive-close` check.
    #[serde(default)]
    pub keepalive_secs: u16,
    pub rows: Vec<CheckRow>,
}

/// A row as a file holds it: serde's derive would ask the file to outlive the program for
/// `dropped`'s `&'static str`, so it is read as text and mapped to the two values the check
/// writes.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CheckRowFile {
    kind: CheckKind,
    id: String,
    status: RowStatus,
    #[serde(default)]
    outcome: String,
    #[serde(default)]
    dropped: Option<String>,
    #[serde(default)]
    why: Vec<Bilingual>,
    #[serde(default)]
    trace: Vec<String>,
    #[serde(default)]
    timeout_based: bool,
    #[serde(default)]
    started_at: Option<Millis>,
    #[serde(default)]
    took_ms: Option<Millis>,
}

impl<'de> Deserialize<'de> for CheckRow {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let f = CheckRowFile::deserialize(d)?;
        Ok(CheckRow {
            kind: f.kind,
            id: f.id,
            status: f.status,
            outcome: f.outcome,
            dropped: match f.dropped.as_deref() {
                Some("oldest") => Some("oldest"),
                Some("newest") => Some("newest"),
                _ => None,
            },
            why: f.why,
            trace: f.trace,
            timeout_based: f.timeout_based,
            started_at: f.started_at,
            took_ms: f.took_ms,
        })
    }
}

impl BrokerCheck {
    pub fn view(&self, now: Millis) -> CheckView {
        self.report(now).into_view()
    }

    pub fn report(&self, now: Millis) -> CheckReport {
        CheckReport {
            broker: public_url(&self.base.url),
            profile: format!("{:?}", self.base.profile.kind).to_lowercase(),
            state: self.state,
            elapsed_ms: self
                .started_at
                .map(|s| self.finished_at.unwrap_or(now).saturating_sub(s)),
            client_ids: Role::ALL
                .iter()
                .map(|r| self.client_id(*r).to_string())
                .collect(),
            topic_prefix: self.prefix.clone(),
            keepalive_secs: self.options.keepalive_secs,
            rows: self.rows.clone(),
        }
    }
}

/// A URL without `user:pass@` and without its query (tokens sometimes ride there).
pub(crate) fn public_url(url: &str) -> String {
    let url = url.split(['?', '#']).next().unwrap_or("");
    match url.split_once("://") {
        Some((scheme, rest)) => {
            let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
            let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
            format!("{scheme}://{host}{path}")
        }
        None => url.to_string(),
    }
}

fn json_list<T>(items: &[T], f: impl Fn(&T) -> String) -> String {
    format!("[{}]", items.iter().map(f).collect::<Vec<_>>().join(","))
}

/// A Markdown table cell: one line, pipes escaped.
fn md_cell(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('|', "\\|")
        .replace('\n', " ")
}

impl CheckReport {
    /// The table as the page shows it (a recording shows its recorded run).
    pub fn view(&self) -> CheckView {
        self.clone().into_view()
    }

    fn into_view(self) -> CheckView {
        CheckView {
            state: self.state,
            done: self.rows.iter().filter(|r| r.is_decided()).count(),
            total: self.rows.len(),
            current: self
                .rows
                .iter()
                .find(|r| r.status == RowStatus::Running)
                .map(|r| r.id.clone()),
            elapsed_ms: self.elapsed_ms,
            rows: self.rows,
            client_ids: self.client_ids,
            topic_prefix: self.topic_prefix,
        }
    }

    /// The report as JSON (UTF-8): every row with its outcome and evidence in both languages.
    pub fn to_json(&self) -> String {
        let rows = json_list(&self.rows, |r| {
            format!(
                "{{\"check\":{},\"outcome\":{},\"status\":{},\"dropped\":{},\"timeoutBased\":{},\"tookMs\":{},\"values\":{},\"measures\":{},\"evidence\":{},\"evidenceZh\":{},\"packets\":{}}}",
                json_string(&r.id),
                json_string(&r.outcome),
                json_string(r.status.as_str()),
                r.dropped.map_or("null".to_string(), json_string),
                r.timeout_based,
                r.took_ms.map_or("null".to_string(), |t| t.to_string()),
                json_string(r.kind.values()),
                json_string(&r.kind.title().en),
                json_list(&r.why, |w| json_string(&w.en)),
                json_list(&r.why, |w| json_string(&w.zh)),
                json_list(&r.trace, |t| json_string(t)),
            )
        });
        format!(
            "{{\"tool\":\"ackscope broker check\",\"broker\":{},\"profile\":{},\"state\":{},\"elapsedMs\":{},\"clientIds\":{},\"topicPrefix\":{},\"rows\":{}}}\n",
            json_string(&self.broker),
            json_string(&self.profile),
            json_string(self.state.as_str()),
            self.elapsed_ms.map_or("null".to_string(), |t| t.to_string()),
            json_list(&self.client_ids, |c| json_string(c)),
            json_string(&self.topic_prefix),
            rows,
        )
    }

    /// The report as a Markdown table for a ticket, in the page's language (`zh`).
    pub fn to_markdown(&self, zh: bool) -> String {
        let pick = |b: &Bilingual| if zh { b.zh.clone() } else { b.en.clone() };
        let mut out = String::new();
        if zh {
            out.push_str(&format!("### ackscope 服务端检测:{}\n\n", self.broker));
            out.push_str("| 检测 | 结果 | 测量内容 | 依据 |\n|---|---|---|---|\n");
        } else {
            out.push_str(&format!("### ackscope broker check: {}\n\n", self.broker));
            out.push_str("| check | outcome | what is measured | evidence |\n|---|---|---|---|\n");
        }
        for r in &self.rows {
            let outcome = r.outcome_cell(zh);
            let why = r.why.iter().map(&pick).collect::<Vec<_>>().join(" ");
            out.push_str(&format!(
                "| `{}` | {} | {} | {} |\n",
                r.id,
                md_cell(&outcome),
                md_cell(&pick(&r.kind.title())),
                md_cell(&why)
            ));
        }
        let elapsed = self
            .elapsed_ms
            .map(|t| format!("{:.1} s", t as f64 / 1000.0))
            .unwrap_or_default();
        if zh {
            out.push_str(&format!(
                "\n状态:{};用时 {elapsed};检测连接:{};主题前缀 `{}`。“超时判断”= 由截止时间而非确定信号得出。\n",
                self.state.as_str(),
                self.client_ids.join(", "),
                self.topic_prefix
            ));
        } else {
            out.push_str(&format!(
                "\nState: {}; took {elapsed}; check connections: {}; topic prefix `{}`. \"deadline\" = decided by a deadline, not by a positive signal.\n",
                self.state.as_str(),
                self.client_ids.join(", "),
                self.topic_prefix
            ));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_urls_lose_user_info_and_query() {
        assert_eq!(
            public_url("wss://u:p@host:443/mqtt?token=x"),
            "wss://host:443/mqtt"
        );
        assert_eq!(
            public_url("ws://127.0.0.1:9001/mqtt"),
            "ws://127.0.0.1:9001/mqtt"
        );
    }

    #[test]
    fn json_strings_are_escaped() {
        assert_eq!(json_string("a\"b\\c\n\u{1}"), "\"a\\\"b\\\\c\\n\\u0001\"");
    }
}
