//! Recordings on the page: export the running recording, open a file read-only, reopen the
//! one kept from the last visit, export a report; and the page's mode (`live|recording`).
//!
//! Design: the page keeps running its live devices while a recording is shown; the app
//! renders the recorded devices instead of the live ones and switches back on `recording-close`.
//! Everything here goes through view::recording (format, replay, findings) and the edge's
//! recording_file and recording_store; this file only wires them to buttons.

use super::diagnostics::{live_findings, Diagnosis};
use crate::edge::clock::now;
use crate::edge::device::Device;
use crate::edge::download::download_bytes;
use crate::edge::recording_file::{gunzip, gzip, is_gzip, read_bytes};
use crate::edge::recording_keeper::Keeper;
use crate::edge::recording_store::{Store, StoredRun};
use crate::i18n::Lang;
use crate::view::recording::{
    self, assemble, date_time, export_text, file_stem, parse, size_problem, stored_meta,
    LiveDevice, OpenError, Recorder, Recording, MAX_TEXT_BYTES,
};
use crate::view::report;
use ackscope_core::diagnostics::Finding;
use ackscope_core::session::Event;
use ackscope_core::time::Millis;
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen_futures::spawn_local;
use web_sys::HtmlInputElement;
use yew::prelude::*;

/// Ids of recorded devices on the page: apart from the live ones, so panels never mix.
const RECORDED_ID_BASE: u32 = 1_000_000;

/// A recording shown on the page.
pub struct OpenedPage {
    /// Where it came from (a file name, or the last visit).
    pub name: String,
    pub recording: Recording,
    pub devices: Vec<Device>,
    /// Recomputed from its events by the core's rules at the recorded moment.
    pub diagnosis: Rc<Diagnosis>,
    /// They equal the findings recorded as shown live.
    pub findings_match: bool,
    events: RefCell<Option<Rc<Vec<Vec<Event>>>>>,
}

impl PartialEq for OpenedPage {
    fn eq(&self, other: &Self) -> bool {
        std::ptr::eq(self, other)
    }
}

impl OpenedPage {
    pub fn new(name: String, rec: Recording, redraw: Callback<()>) -> Self {
        let opened = recording::open(rec);
        let at = opened.recording.created_at;
        let devices = opened
            .devices
            .into_iter()
            .enumerate()
            .map(|(i, r)| Device::recorded(RECORDED_ID_BASE + i as u32, r, redraw.clone()))
            .collect();
        OpenedPage {
            name,
            recording: opened.recording,
            devices,
            diagnosis: Rc::new(Diagnosis {
                at,
                findings: opened.findings,
            }),
            findings_match: opened.findings_match,
            events: RefCell::new(None),
        }
    }

    /// Each device's events, for the journey chart.
    pub fn events(&self) -> Rc<Vec<Vec<Event>>> {
        self.events
            .borrow_mut()
            .get_or_insert_with(|| {
                Rc::new(
                    self.recording
                        .devices
                        .iter()
                        .map(|d| d.events.clone())
                        .collect(),
                )
            })
            .clone()
    }
}

/// The live page's devices as a recording sees them, and its findings, handed to `f`.
fn with_live<R>(
    devices: &[Device],
    at: Millis,
    f: impl FnOnce(&[LiveDevice<'_>], Vec<Finding>) -> R,
) -> R {
    let findings = live_findings(devices, at);
    let snaps: Vec<_> = devices.iter().map(|d| d.snapshot()).collect();
    let states: Vec<_> = devices.iter().map(|d| d.borrow()).collect();
    let live: Vec<LiveDevice<'_>> = states
        .iter()
        .zip(&snaps)
        .map(|(s, snap)| LiveDevice {
            id: s.id,
            form: &s.form,
            session: &snap.session,
            broker_check: s.check_report(),
        })
        .collect();
    f(&live, findings)
}

/// The live page as a recording's JSON, and its findings.
fn live_export(devices: &[Device], recorder: &Recorder, at: Millis) -> (String, Vec<Finding>) {
    with_live(devices, at, |live, findings| {
        (export_text(live, &findings, recorder, at), findings)
    })
}

/// The store's metadata of the live page, as JSON.
fn live_meta(devices: &[Device], recorder: &Recorder, at: Millis) -> String {
    with_live(devices, at, |live, findings| {
        serde_json::to_string(&stored_meta(live, &findings, recorder, at)).unwrap_or_default()
    })
}

/// Opens a chosen file: size first, then gzip or text, then the format.
async fn open_file(file: web_sys::File) -> Result<Recording, OpenError> {
    if let Some(e) = size_problem(file.size()) {
        return Err(e);
    }
    let mut bytes = read_bytes(&file).await.map_err(OpenError::Unreadable)?;
    if is_gzip(&bytes) {
        bytes = gunzip(&bytes, MAX_TEXT_BYTES)
            .await
            .map_err(OpenError::Unreadable)?;
    }
    let text = String::from_utf8(bytes)
        .map_err(|_| OpenError::NotJson("the file is not UTF-8 text".into()))?;
    parse(&text)
}

#[derive(Properties, PartialEq)]
pub struct RecordingBarProps {
    pub lang: Lang,
    pub recorder: Recorder,
    /// The live devices now.
    pub live: Callback<(), Vec<Device>>,
    /// The recording shown instead of the live page, if any.
    pub opened: Option<Rc<OpenedPage>>,
    /// Shows a recording (`Some`) or the live page again (`None`).
    pub on_mode: Callback<Option<Rc<OpenedPage>>>,
    /// Redraws the page (recorded devices hold it like live ones).
    pub redraw: Callback<()>,
    pub version: u64,
}

#[function_component(RecordingBar)]
pub fn recording_bar(p: &RecordingBarProps) -> Html {
    let l = p.lang;
    let notice = use_state(|| None::<(String, String, bool)>);
    let offer = use_state(|| None::<StoredRun>);
    let store = use_mut_ref(|| None::<Store>);
    let run = use_memo((), |_| now() as f64);
    {
        // Once: open the store, offer the last visit's recording, then keep this one in it
        // (when the page is idle, at the latest a second later, and at once when the page is
        // hidden or closed).
        let (store, offer, run) = (store.clone(), offer.clone(), *run);
        let (recorder, live) = (p.recorder.clone(), p.live.clone());
        use_effect_with((), move |_| {
            let keeper = Rc::new(RefCell::new(None::<Keeper>));
            let slot = keeper.clone();
            spawn_local(async move {
                let Ok(opened) = Store::open().await else {
                    return;
                };
                if let Ok(runs) = opened.earlier_runs(run).await {
                    if let Some(last) = runs.into_iter().next() {
                        offer.set(Some(last));
                    }
                }
                *store.borrow_mut() = Some(opened.clone());
                *slot.borrow_mut() = Some(Keeper::start(opened, run, recorder, live, live_meta));
            });
            move || drop(keeper.borrow_mut().take())
        });
    }
    let say = {
        let notice = notice.clone();
        Callback::from(move |(en, zh, bad): (String, String, bool)| notice.set(Some((en, zh, bad))))
    };
    let export = {
        let (live, recorder, opened, say) = (
            p.live.clone(),
            p.recorder.clone(),
            p.opened.clone(),
            say.clone(),
        );
        Callback::from(move |_: MouseEvent| {
            let at = now();
            let text = match &opened {
                Some(o) => serde_json::to_string(&o.recording).unwrap_or_default(),
                None => live_export(&live.emit(()), &recorder, at).0,
            };
            let stem = file_stem(at);
            let say = say.clone();
            spawn_local(async move {
                let done = match gzip(&text).await {
                    Ok(Some(bytes)) => download_bytes(
                        &format!("{stem}.ackscope.json.gz"),
                        "application/gzip",
                        &bytes,
                    ),
                    _ => download_bytes(
                        &format!("{stem}.ackscope.json"),
                        "application/json",
                        text.as_bytes(),
                    ),
                };
                match done {
                    Ok(()) => say.emit((
                        format!(
                            "Recording exported ({} KB of events before compression).",
                            text.len() / 1024
                        ),
                        format!("录制已导出(压缩前事件 {} KB)。", text.len() / 1024),
                        false,
                    )),
                    Err(e) => {
                        say.emit((format!("Export failed: {e}"), format!("导出失败:{e}"), true))
                    }
                }
            });
        })
    };
    let report = {
        let (live, recorder, opened, say) = (
            p.live.clone(),
            p.recorder.clone(),
            p.opened.clone(),
            say.clone(),
        );
        Callback::from(move |html: bool| {
            let at = now();
            let (rec, findings) = match &opened {
                Some(o) => (o.recording.clone(), o.diagnosis.findings.clone()),
                None => {
                    let (text, findings) = live_export(&live.emit(()), &recorder, at);
                    match parse(&text) {
                        Ok(rec) => (rec, findings),
                        Err(e) => {
                            let t = e.text();
                            return say.emit((t.en, t.zh, true));
                        }
                    }
                }
            };
            let stem = file_stem(rec.created_at);
            let done = if html {
                download_bytes(
                    &format!("{stem}.report.html"),
                    "text/html",
                    report::html(l, &rec, &findings).as_bytes(),
                )
            } else {
                download_bytes(
                    &format!("{stem}.report.md"),
                    "text/markdown",
                    report::markdown(l, &rec, &findings).as_bytes(),
                )
            };
            if let Err(e) = done {
                say.emit((
                    format!("Report failed: {e}"),
                    format!("报告导出失败:{e}"),
                    true,
                ));
            }
        })
    };
    let open = {
        let (on_mode, redraw, say) = (p.on_mode.clone(), p.redraw.clone(), say.clone());
        Callback::from(move |e: web_sys::Event| {
            let input: HtmlInputElement = e.target_unchecked_into();
            let Some(file) = input.files().and_then(|f| f.get(0)) else {
                return;
            };
            input.set_value("");
            let (on_mode, redraw, say) = (on_mode.clone(), redraw.clone(), say.clone());
            spawn_local(async move {
                let name = file.name();
                match open_file(file).await {
                    Ok(rec) => {
                        on_mode.emit(Some(Rc::new(OpenedPage::new(name, rec, redraw))));
                        say.emit((String::new(), String::new(), false));
                    }
                    Err(e) => {
                        let t = e.text();
                        say.emit((
                            format!(
                                "{name} was not opened: {} The live page is unchanged.",
                                t.en
                            ),
                            format!("未打开 {name}:{} 实时页面未受影响。", t.zh),
                            true,
                        ));
                    }
                }
            });
        })
    };
    let restore = {
        let (on_mode, redraw, say, store, offer) = (
            p.on_mode.clone(),
            p.redraw.clone(),
            say.clone(),
            store.clone(),
            offer.clone(),
        );
        Callback::from(move |_: MouseEvent| {
            let Some(run) = (*offer).clone() else { return };
            let Some(s) = store.borrow().clone() else {
                return;
            };
            let (on_mode, redraw, say, offer) =
                (on_mode.clone(), redraw.clone(), say.clone(), offer.clone());
            spawn_local(async move {
                let rec = match s.lines(run.run).await {
                    Ok(lines) => assemble(&run.meta, lines),
                    Err(e) => Err(OpenError::Unreadable(e)),
                };
                match rec {
                    Ok(rec) => {
                        let name = format!("{} {}", date_time(run.updated_at as Millis), "UTC");
                        on_mode.emit(Some(Rc::new(OpenedPage::new(name, rec, redraw))));
                        offer.set(None);
                        say.emit((String::new(), String::new(), false));
                    }
                    Err(e) => {
                        let t = e.text();
                        say.emit((
                            format!("The kept recording could not be reopened: {}", t.en),
                            format!("无法重新打开保存的录制:{}", t.zh),
                            true,
                        ));
                    }
                }
            });
        })
    };
    let discard = {
        let (store, offer) = (store.clone(), offer.clone());
        Callback::from(move |_: MouseEvent| {
            if let (Some(run), Some(s)) = ((*offer).clone(), store.borrow().clone()) {
                spawn_local(async move {
                    let _ = s.delete_run(run.run).await;
                });
            }
            offer.set(None);
        })
    };
    let close = {
        let on_mode = p.on_mode.clone();
        Callback::from(move |_: MouseEvent| on_mode.emit(None))
    };
    let (kept, evicted) = p.recorder.counts();
    let mode = if p.opened.is_some() {
        "recording"
    } else {
        "live"
    };
    html! {
        <section class="recording-bar" data-testid="recording-bar" aria-label={l.t("Recording", "录制")}
            style="display:flex;flex-wrap:wrap;gap:8px;align-items:center;margin:8px 12px 0;padding:6px 10px;border:1px solid #d0d5dd;border-radius:8px;background:#fff">
            <span data-testid="page-mode" data-mode={mode} role="status"
                style={if p.opened.is_some() { "font-weight:600;color:#7c3aed" } else { "color:#0a7d5a" }}>
                { match &p.opened {
                    Some(o) => format!("{} {} · {} {} UTC · {}", l.t("▶ Recording (read-only):", "▶ 录制(只读):"), o.name, l.t("made", "生成于"), date_time(o.recording.created_at), l.t("controls that reach a broker are off", "连接服务端的控件已停用")),
                    None => format!("{} {kept} {}{}", l.t("● Live · recording", "● 实时 · 正在录制"), l.t("events", "个事件"),
                        if evicted > 0 { format!(" ({evicted} {})", l.t("oldest no longer kept", "条最早的已不再保留")) } else { String::new() }),
                } }
            </span>
            if let Some(o) = &p.opened {
                <span data-testid="recording-findings-check" data-equal={if o.findings_match { "1" } else { "0" }} class="muted"
                    title={l.t("The findings are recomputed from the recorded events by the same rules, at the recorded moment", "诊断发现由相同规则在录制时刻根据录制的事件重新计算")}>
                    { if o.findings_match { l.t("findings recomputed: the same as shown live", "重新计算的诊断发现与实时显示一致") } else { l.t("findings recomputed: they differ from those recorded as shown live", "重新计算的诊断发现与录制时显示的不同") } }
                </span>
                if o.recording.devices.iter().any(|d| d.events_evicted > 0) {
                    <span class="muted">{ format!("{} {}", o.recording.devices.iter().map(|d| d.events_evicted).sum::<u64>(), l.t("oldest events were not kept", "条最早的事件未保留")) }</span>
                }
            }
            <span style="flex:1"></span>
            <button data-testid="recording-export" onclick={export}
                title={l.t("Download everything the page observed as one file (gzip JSON; no secrets)", "将页面观察到的全部内容下载为一个文件(gzip JSON;不含密钥)")}>
                { l.t("Export recording", "导出录制") }</button>
            <label class="file-button" title={l.t("Open a recording read-only (.ackscope.json or .ackscope.json.gz, up to 200 MB)", "以只读方式打开录制文件(.ackscope.json 或 .ackscope.json.gz,最大 200 MB)")}
                style="cursor:pointer;padding:2px 8px;border:1px solid #d0d5dd;border-radius:6px">
                { l.t("Open recording", "打开录制") }
                <input data-testid="recording-open" type="file" accept=".json,.gz,application/json,application/gzip" onchange={open}
                    style="width:1px;height:1px;opacity:0;position:absolute" />
            </label>
            <button data-testid="report-export" onclick={let r = report.clone(); move |_: MouseEvent| r.emit(false)}
                title={l.t("A report for a ticket, in Markdown: settings, timeline, findings, probe series", "用于工单的 Markdown 报告:配置、时间线、诊断发现、探测序列")}>
                { l.t("Report (.md)", "报告(.md)") }</button>
            <button data-testid="report-export-html" onclick={move |_: MouseEvent| report.emit(true)}
                title={l.t("The same report as one HTML file", "同一报告的 HTML 文件")}>
                { l.t("Report (.html)", "报告(.html)") }</button>
            if p.opened.is_some() {
                <button data-testid="recording-close" onclick={close}>{ l.t("Back to live", "返回实时") }</button>
            }
            if let Some(run) = &*offer {
                <div data-testid="recording-restore-offer" role="status" style="flex-basis:100%;display:flex;gap:8px;align-items:center">
                    <span>{ format!("{} {} UTC ({} {}).",
                        l.t("The recording of the last visit was kept: until", "上次访问的录制已保存:截至"),
                        date_time(run.updated_at as Millis), run.events as u64, l.t("events", "个事件")) }</span>
                    <button data-testid="recording-restore" onclick={restore}>{ l.t("Reopen it", "重新打开") }</button>
                    <button data-testid="recording-discard" class="ghost" onclick={discard}>{ l.t("Discard", "丢弃") }</button>
                </div>
            }
            if let Some((en, zh, bad)) = (*notice).clone().filter(|(en, _, _)| !en.is_empty()) {
                <div data-testid="recording-notice" role="status" style={format!("flex-basis:100%;color:{}", if bad { "#c0362c" } else { "#344054" })}>
                    { l.pick(en, zh) }</div>
            }
        </section>
    }
}
