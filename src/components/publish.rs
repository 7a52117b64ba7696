//! Publish a message, or a numbered probe series.

use super::fields::{qos_options, CheckField, SelectField, TextField};
use super::SectionProps;
use yew::prelude::*;

#[function_component(PublishView)]
pub fn publish_view(p: &SectionProps) -> Html {
    let l = p.lang;
    let d = p.device.clone();
    let form = d.read(|s| s.form.clone());
    let probe = p
        .snapshot
        .session
        .probe_series
        .as_ref()
        .map(|r| (r.series.clone(), r.sent, r.total));
    // The broker profile's limits, checked as the user types.
    let limits = ackscope_core::profile::BrokerProfile::for_kind(form.broker).check_publish(
        &form.pub_topic,
        form.pub_payload.len(),
        form.pub_qos,
        form.clean_session,
    );
    let limit_error = |field: &str| {
        limits
            .iter()
            .find(|p| p.field() == field)
            .map(|p| AttrValue::from(l.text(&p.text())))
    };
    let edit = |f: fn(&mut crate::view::DeviceForm, String)| {
        let d = d.clone();
        Callback::from(move |v: String| d.edit(|form| f(form, v)))
    };
    let publish = {
        let d = d.clone();
        Callback::from(move |_| d.publish())
    };
    let start = {
        let d = d.clone();
        Callback::from(move |_| d.start_probe())
    };
    let on_retain = {
        let d = d.clone();
        Callback::from(move |v: bool| d.edit(|f| f.pub_retain = v))
    };
    html! {
        <div class="card">
            <h3>{ l.t("Publish", "发布") }</h3>
            <div class="row">
                <TextField testid="pub-topic" label={l.t("Topic", "主题")} value={form.pub_topic.clone()} wide=true error={limit_error("pub-topic")} on_change={edit(|f, v| f.pub_topic = v)} />
                <SelectField testid="pub-qos" label="QoS" value={form.pub_qos.to_string()} options={qos_options()} on_change={edit(|f, v| f.pub_qos = v.parse().unwrap_or(1))} />
                <CheckField testid="pub-retain" label={l.t("Retain", "保留")} checked={form.pub_retain} on_change={on_retain} />
            </div>
            if let Some(e) = limit_error("pub-qos") { <div class="error" role="alert">{ e }</div> }
            <div class="row">
                <TextField testid="pub-payload" label={l.t("Payload (text)", "消息体(文本)")} value={form.pub_payload.clone()} wide=true error={limit_error("pub-payload")}
                    on_change={edit(|f, v| f.pub_payload = v)} on_enter={Some(publish.clone())} />
                <SelectField testid="pub-format" label={l.t("as", "格式")} value={form.pub_format.as_str()}
                    options={[("text", l.t("text", "文本")), ("json", "JSON"), ("hex", "hex"), ("base64", "Base64")].into_iter().map(|(v, t)| (AttrValue::from(v), AttrValue::from(t.to_string()))).collect::<Vec<_>>()}
                    on_change={edit(|f, v| f.pub_format = crate::view::payload::PayloadFormat::parse(&v))} />
                <button data-testid="publish" onclick={publish.reform(|_: MouseEvent| ())}>{ l.t("Publish", "发布") }</button>
            </div>
            <div class="row">
                <TextField testid="probe-count" label={l.t("Probe count", "探测条数")} value={form.probe_count.clone()} on_change={edit(|f, v| f.probe_count = v)} />
                <TextField testid="probe-interval-ms" label={l.t("Interval (ms)", "间隔 (毫秒)")} value={form.probe_interval_ms.clone()} on_change={edit(|f, v| f.probe_interval_ms = v)} />
                <button data-testid="probe-start" onclick={start.reform(|_: MouseEvent| ())}
                    title={l.t("Publish numbered probes (series, sequence, send time) to the topic above", "向上方主题发布带编号的探测消息(序列、序号、发送时间)")}>{ l.t("Start probe series", "开始探测序列") }</button>
                if let Some((series, sent, total)) = probe {
                    <span class="probe-progress" data-testid="probe-progress" data-sent={sent.to_string()} data-total={total.to_string()}>
                        <progress max={total.to_string()} value={sent.to_string()}></progress>
                        { format!(" {series}: {sent}/{total}") }
                    </span>
                }
            </div>
        </div>
    }
}
