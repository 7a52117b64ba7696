//! Ack timers: every unacknowledged message with its live countdown.

use super::SectionProps;
use ackscope_core::session::InflightKind;
use ackscope_core::time::remaining;
use yew::prelude::*;

#[function_component(InflightView)]
pub fn inflight_view(p: &SectionProps) -> Html {
    let l = p.lang;
    let d = p.device.clone();
    let rows = p.snapshot.session.inflight.clone();
    // The broker's clocks are the profile's: their source and their end are its to say.
    let profile = d.read(|s| ackscope_core::profile::BrokerProfile::for_kind(s.form.broker));
    let ack_source = l.text(&profile.ack_timeout_text());
    let outcome = l.text(&profile.ack_timeout_outcome());
    let outcome_why = l.text(&profile.ack_timeout_outcome_why());
    let at = p.now();
    if rows.is_empty() {
        return html! {};
    }
    html! {
        <div class="card">
            <h3>{ l.t("Ack timers", "确认计时") }<small>{ format!(" {}", rows.len()) }</small></h3>
            <ul class="inflight">
                { for rows.into_iter().map(|r| {
                    // The snapshot carries deadlines; the countdown moves with the clock.
                    let remaining_ms = remaining(r.deadline, at);
                    let total = r.deadline.saturating_sub(r.started_at).max(1);
                    let what = match r.kind {
                        InflightKind::AwaitingAck => format!("{} {} · {}", l.t("out, waiting for", "发出,等待"), r.awaiting, l.t("client ack timeout", "客户端确认超时")),
                        InflightKind::AckWithheld => format!("{} {} · {} ({ack_source})", l.t("in, withheld", "收到,暂不发送"), r.awaiting, l.t("broker ack timeout", "服务端确认超时")),
                        InflightKind::DeadDelivery => format!("{} ({ack_source})", l.t("pushed into a dead connection: never acknowledged; the broker waits out its ack timeout", "已推送到失效连接:始终未确认;服务端等待其确认超时")),
                    };
                    let ack = (r.kind == InflightKind::AckWithheld).then(|| {
                        let d = d.clone();
                        let id = r.packet_id;
                        html! { <button data-testid="ack" onclick={Callback::from(move |_| d.ack(id))}>{ l.t("Ack", "确认") }</button> }
                    });
                    html! {
                        <li data-testid="inflight-row" data-direction={if r.outgoing { "out" } else { "in" }}
                            data-packet-id={r.packet_id.to_string()} data-remaining-ms={remaining_ms.to_string()}
                            data-assumed={(!r.outgoing && profile.ack_timeout_assumed()).then_some("1")}
                            class={classes!((remaining_ms == 0).then_some("expired"))}>
                            <span class="mono">{ format!("#{} {}", r.packet_id, r.topic) }</span>
                            <span class="what">{ what }</span>
                            <progress max={total.to_string()} value={remaining_ms.to_string()}></progress>
                            <span class="mono">{ l.seconds(remaining_ms) }</span>
                            { for ack }
                            // Incoming, run out: what the broker does now (or that it is not known).
                            if !r.outgoing && remaining_ms == 0 {
                                <div class="inflight-outcome muted" data-testid="inflight-outcome" title={outcome_why.clone()}>{ outcome.clone() }</div>
                            }
                        </li>
                    }
                }) }
            </ul>
        </div>
    }
}
