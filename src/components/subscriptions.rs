//! Subscriptions: requested and granted QoS, failures, add and remove.

use super::fields::{qos_options, SelectField, TextField};
use super::SectionProps;
use yew::prelude::*;

#[function_component(SubscriptionsView)]
pub fn subscriptions_view(p: &SectionProps) -> Html {
    let l = p.lang;
    let d = p.device.clone();
    let (topic, qos, rows, limit) = d.read(|s| {
        (
            s.form.sub_topic.clone(),
            s.form.sub_qos,
            p.snapshot.session.subscriptions.clone(),
            ackscope_core::profile::BrokerProfile::for_kind(s.form.broker).max_subscriptions,
        )
    });
    let on_topic = {
        let d = d.clone();
        Callback::from(move |v: String| d.edit(|f| f.sub_topic = v))
    };
    let on_qos = {
        let d = d.clone();
        Callback::from(move |v: String| d.edit(|f| f.sub_qos = v.parse().unwrap_or(1)))
    };
    let subscribe = {
        let d = d.clone();
        Callback::from(move |_| d.subscribe())
    };
    html! {
        <div class="card">
            <h3>{ l.t("Subscriptions", "订阅") }
                <small>{ match limit { Some(max) => format!(" {}/{max}", rows.len()), None => format!(" {}", rows.len()) } }</small></h3>
            <div class="row">
                <TextField testid="sub-topic" label={l.t("Topic filter", "主题过滤器")} value={topic} wide=true on_change={on_topic} on_enter={Some(subscribe.clone())} />
                <SelectField testid="sub-qos" label="QoS" value={qos.to_string()} options={qos_options()} on_change={on_qos} />
                <button data-testid="subscribe" onclick={subscribe.reform(|_: MouseEvent| ())}>{ l.t("Subscribe", "订阅") }</button>
            </div>
            <ul class="subs">
                { for rows.into_iter().map(|r| {
                    let d = d.clone();
                    let filter = r.filter.clone();
                    let status = if r.failed {
                        l.t("refused (0x80)", "被拒绝 (0x80)").to_string()
                    } else if let Some(g) = r.granted {
                        if g < r.requested { format!("{} {g} < {}", l.t("granted", "授予"), r.requested) } else { format!("{} {g}", l.t("granted", "授予")) }
                    } else {
                        l.t("waiting for SUBACK", "等待 SUBACK").to_string()
                    };
                    html! {
                        <li data-testid="sub-row" data-topic={r.filter.clone()} data-qos={r.requested.to_string()} data-granted={r.granted_attr()}
                            class={classes!(r.failed.then_some("bad"), r.granted.is_some_and(|g| g < r.requested).then_some("warn"))}>
                            <code>{ &r.filter }</code>
                            <span>{ format!("QoS {} · {status}", r.requested) }</span>
                            <button class="ghost" data-testid="unsubscribe" onclick={Callback::from(move |_| d.unsubscribe(filter.clone()))}
                                title={l.t("Unsubscribe", "取消订阅")}>{"✕"}</button>
                        </li>
                    }
                }) }
            </ul>
        </div>
    }
}
