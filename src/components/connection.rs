//! Connection settings, state, Session Present and the connection intents.

use super::broker_confirm::BrokerConfirm;
use super::fields::{CheckField, SelectField, TextField};
use super::SectionProps;
use crate::i18n::Lang;
use crate::view::clock::time_of_day;
use crate::view::profile::{broker_host, broker_url_problem, needs_broker_confirm};
use ackscope_core::auth::{auth_errors, check_aliyun_client_id, AuthMode};
use ackscope_core::profile::BrokerKind;
use ackscope_core::session::ConnState;
use ackscope_core::time::remaining;
use yew::prelude::*;

fn auth_mode_options(l: Lang) -> Vec<(AttrValue, AttrValue)> {
    [
        ("none", l.t("None", "无")),
        ("password", l.t("Username / password", "用户名 / 密码")),
        (
            "aliyun-signature",
            l.t("Alibaba: Signature", "阿里云:签名 (Signature)"),
        ),
        (
            "aliyun-legacy",
            l.t(
                "Alibaba: legacy signature (GroupId)",
                "阿里云:旧版签名 (GroupId)",
            ),
        ),
        ("aliyun-token", l.t("Alibaba: Token", "阿里云:令牌 (Token)")),
        (
            "aliyun-device-credential",
            l.t(
                "Alibaba: DeviceCredential",
                "阿里云:一机一密 (DeviceCredential)",
            ),
        ),
    ]
    .into_iter()
    .map(|(v, t)| (AttrValue::from(v), AttrValue::from(t)))
    .collect()
}

#[function_component(ConnectionView)]
pub fn connection_view(p: &SectionProps) -> Html {
    let l = p.lang;
    // Countdowns read this device's clock: in a recording they stand at its moment.
    let now = p.now();
    let d = p.device.clone();
    let (form, state, session_present, notice, rtt, next_ping, error) = d.read(|s| {
        (
            s.form.clone(),
            p.snapshot.session.state,
            p.snapshot.session.session_present,
            p.snapshot.session.broker_notice,
            p.snapshot.session.last_ping_rtt,
            p.snapshot.session.next_ping_at,
            s.log.error.clone(),
        )
    });
    let edit = |f: fn(&mut crate::view::DeviceForm, String)| {
        let d = d.clone();
        Callback::from(move |v: String| d.edit(|form| f(form, v)))
    };
    let mode = form.auth.mode;
    let aliyun = mode.is_aliyun();
    // Each problem is shown at its field, in the page's language.
    let errors = auth_errors(&form.auth);
    let field_error = |field: &str| -> Option<AttrValue> {
        errors
            .iter()
            .find(|e| e.field() == field)
            .map(|e| AttrValue::from(l.text(&e.text())))
    };
    let client_id_error = if aliyun || form.broker == BrokerKind::Aliyun {
        check_aliyun_client_id(&form.auth.client_id)
            .first()
            .map(|p| AttrValue::from(l.text(&p.text())))
            .or_else(|| field_error("client-id"))
    } else {
        None
    };
    let online = matches!(state, ConnState::Connected);
    let busy = matches!(
        state,
        ConnState::Connected | ConnState::Connecting | ConnState::Reconnecting { .. }
    );
    let state_text = match state {
        ConnState::Disconnected => l.t("disconnected", "已断开").to_string(),
        ConnState::Connecting => l.t("connecting…", "连接中…").to_string(),
        ConnState::Connected => l.t("connected", "已连接").to_string(),
        ConnState::Reconnecting { at } => format!(
            "{} {}",
            l.t("reconnecting in", "重连倒计时"),
            l.seconds(at.saturating_sub(now))
        ),
        ConnState::Silent => l
            .t(
                "silent: network gone, socket still open",
                "静默:网络已断,连接仍开着",
            )
            .to_string(),
    };
    let sp_value = session_present
        .map(|b| if b { "1" } else { "0" })
        .unwrap_or("");
    let sp_text = match session_present {
        None => l.t("Session Present: –", "Session Present:–").to_string(),
        Some(true) => l.t("Session Present = 1: the broker kept this ClientId's session", "Session Present = 1:服务端保留了该 ClientId 的会话").to_string(),
        Some(false) if !form.clean_session => l.t("Session Present = 0: the broker had no session for this ClientId (a first connect, or the session was lost)", "Session Present = 0:服务端没有该 ClientId 的会话(首次连接,或会话已丢失)").to_string(),
        Some(false) => l.t("Session Present = 0: a new session", "Session Present = 0:新会话").to_string(),
    };
    // A broker from a link or a file is confirmed before credentials go to it; a URL with
    // `user:pass@` is refused (the field says why).
    let confirming = use_state(|| false);
    let connect_ref = use_node_ref();
    let connect = {
        let d = d.clone();
        let confirming = confirming.clone();
        Callback::from(move |_: ()| {
            let (refused, ask) = d.read(|s| {
                (
                    broker_url_problem(&s.form.broker_url).is_some(),
                    needs_broker_confirm(&s.form),
                )
            });
            if refused {
                return;
            }
            if ask {
                confirming.set(true);
            } else {
                d.connect();
            }
        })
    };
    let broker_url_error =
        broker_url_problem(&form.broker_url).map(|t| AttrValue::from(l.text(&t)));
    let confirm = (*confirming && needs_broker_confirm(&form)).then(|| {
        let accept = {
            let d = d.clone();
            let confirming = confirming.clone();
            Callback::from(move |_: ()| {
                confirming.set(false);
                d.edit(|f| f.broker_needs_confirm = false);
                d.connect();
            })
        };
        let cancel = {
            let confirming = confirming.clone();
            let connect_ref = connect_ref.clone();
            Callback::from(move |_: ()| {
                confirming.set(false);
                if let Some(b) = connect_ref.cast::<web_sys::HtmlElement>() {
                    let _ = b.focus();
                }
            })
        };
        html! {
            <BrokerConfirm host={broker_host(&form.broker_url)} url={form.broker_url.trim().to_string()} lang={l}
                on_accept={accept} on_cancel={cancel} />
        }
    });
    // Settings fold away while a connection is up (one line says what they are) and open
    // again to edit; folded, their fields stay in the page.
    let folded = !matches!(state, ConnState::Disconnected);
    let settings_line = format!(
        "ClientId {} · cleanSession {} · keepalive {} {} · {}",
        form.auth.client_id,
        u8::from(form.clean_session),
        form.keepalive.trim(),
        l.t("s", "秒"),
        form.broker_url.trim()
    );
    let d3 = d.clone();
    let d4 = d.clone();
    let d5 = d.clone();
    html! {
        <div class="card connection">
            <details class="settings" open={!folded}>
            <summary data-testid="settings-summary" title={l.t("Connection settings: open to edit", "连接设置:展开以编辑")}>
                <b>{ l.t("Settings", "设置") }</b>
                <span class="settings-line">{ settings_line }</span>
            </summary>
            <div class="row">
                <TextField testid="broker-url" label={l.t("Broker URL", "服务端 URL")} value={form.broker_url.clone()} wide=true error={broker_url_error}
                    placeholder="ws://127.0.0.1:9001/mqtt" on_change={edit(|f, v| { f.broker_url = v; f.broker_needs_confirm = false; })} on_enter={Some(connect.clone())} />
                <TextField testid="client-id" label="ClientId" value={form.auth.client_id.clone()} wide=true error={client_id_error}
                    on_change={edit(|f, v| f.auth.client_id = v)} on_enter={Some(connect.clone())} />
            </div>
            <div class="row">
                <SelectField testid="broker-profile" label={l.t("Broker profile", "服务端类型")}
                    value={if form.broker == BrokerKind::Aliyun { "aliyun" } else { "generic" }}
                    options={vec![(AttrValue::from("generic"), AttrValue::from(l.t("Generic MQTT 3.1.1", "通用 MQTT 3.1.1"))), (AttrValue::from("aliyun"), AttrValue::from(l.t("Alibaba MQ for IoT", "阿里云微消息队列 MQTT 版")))]}
                    on_change={edit(|f, v| f.set_broker(if v == "aliyun" { BrokerKind::Aliyun } else { BrokerKind::Generic }))} />
                <SelectField testid="auth-mode" label={l.t("Auth", "鉴权")} value={mode.as_str()} options={auth_mode_options(l)}
                    on_change={edit(|f, v| {
                        f.auth.mode = v.parse().unwrap_or(AuthMode::None);
                        if f.auth.mode.is_aliyun() {
                            f.set_broker(BrokerKind::Aliyun);
                        }
                    })} />
                if mode == AuthMode::Password {
                    <TextField testid="username" error={field_error("username")} label={l.t("Username", "用户名")} value={form.auth.username.clone()} on_change={edit(|f, v| f.auth.username = v)} />
                    <TextField testid="password" label={l.t("Password", "密码")} password=true value={form.auth.password.clone()} on_change={edit(|f, v| f.auth.password = v)} />
                }
                if aliyun {
                    <TextField testid="access-key-id" error={field_error("access-key-id")} label="AccessKeyId" value={form.auth.access_key_id.clone()} on_change={edit(|f, v| f.auth.access_key_id = v)} />
                    if mode != AuthMode::AliyunToken {
                        <TextField testid="access-key-secret" error={field_error("access-key-secret")} label="AccessKeySecret" password=true value={form.auth.access_key_secret.clone()} on_change={edit(|f, v| f.auth.access_key_secret = v)} />
                    }
                    <TextField testid="instance-id" error={field_error("instance-id")} label="InstanceId" value={form.auth.instance_id.clone()} on_change={edit(|f, v| f.auth.instance_id = v)} />
                }
                if mode == AuthMode::AliyunToken {
                    <TextField testid="token-read" error={field_error("token-read")} label={l.t("Read token (R)", "读令牌 (R)")} password=true value={form.auth.token_read.clone()} on_change={edit(|f, v| f.auth.token_read = v)} />
                    <TextField testid="token-write" label={l.t("Write token (W)", "写令牌 (W)")} password=true value={form.auth.token_write.clone()} on_change={edit(|f, v| f.auth.token_write = v)} />
                }
            </div>
            <div class="row">
                <CheckField testid="clean-session" label="cleanSession" checked={form.clean_session}
                    title={l.t("Off: the broker keeps subscriptions and queues QoS 1 messages while this device is away", "关闭:设备离线期间服务端保留订阅并缓存 QoS 1 消息")}
                    on_change={{ let d = d.clone(); Callback::from(move |v| d.edit(|f| f.clean_session = v)) }} />
                <TextField testid="keepalive" label={l.t("Keepalive (s)", "心跳 (秒)")} value={form.keepalive.clone()} on_change={edit(|f, v| f.keepalive = v)} />
                <CheckField testid="keep-secrets" label={l.t("Keep secrets in this browser", "在本浏览器保存密钥")} checked={form.keep_secrets}
                    title={l.t("Off by default: secrets are never stored, exported or shared", "默认关闭:密钥不会被保存、导出或分享")}
                    on_change={{ let d = d.clone(); Callback::from(move |v| d.edit(|f| f.keep_secrets = v)) }} />
            </div>
            <details class="more">
                <summary>{ l.t("Will, protocol, resubscribe", "遗嘱、协议、重新订阅") }</summary>
                <div class="row">
                    <TextField testid="will-topic" label={l.t("Will topic", "遗嘱主题")} value={form.will_topic.clone()} on_change={edit(|f, v| f.will_topic = v)} />
                    <TextField testid="will-payload" label={l.t("Will payload", "遗嘱内容")} value={form.will_payload.clone()} on_change={edit(|f, v| f.will_payload = v)} />
                    <SelectField testid="will-qos" label={l.t("Will QoS", "遗嘱 QoS")} value={form.will_qos.to_string()} options={super::fields::qos_options()}
                        on_change={edit(|f, v| f.will_qos = v.parse().unwrap_or(0))} />
                    <CheckField testid="will-retain" label={l.t("Will retain", "遗嘱保留")} checked={form.will_retain}
                        on_change={{ let d = d.clone(); Callback::from(move |v| d.edit(|f| f.will_retain = v)) }} />
                </div>
                <div class="row">
                    <CheckField testid="mqtt31" label={l.t("MQTT 3.1 (MQIsdp)", "MQTT 3.1 (MQIsdp)")} checked={form.mqtt31}
                        on_change={{ let d = d.clone(); Callback::from(move |v| d.edit(|f| f.mqtt31 = v)) }} />
                    <CheckField testid="resubscribe" label={l.t("Subscribe again after every connect", "每次连接后重新订阅")} checked={form.resubscribe}
                        title={l.t("What the official demos do; the seed article says not doing it can delay delivery", "官方示例的做法;原文指出不这样做可能延迟投递")}
                        on_change={{ let d = d.clone(); Callback::from(move |v| d.edit(|f| f.resubscribe = v)) }} />
                </div>
            </details>
            </details>
            <div class="row actions">
                <button class="primary" data-testid="connect" ref={connect_ref} onclick={connect.reform(|_: MouseEvent| ())}
                    disabled={busy} title={l.t("Connect (while silent: come back on a new connection)", "连接(静默时:以新连接回来)")}>{ l.t("Connect", "连接") }</button>
                <button data-testid="disconnect" onclick={Callback::from(move |_| d3.disconnect())} disabled={!busy}
                    title={l.t("Send DISCONNECT and close: the broker discards the will", "发送 DISCONNECT 后关闭:服务端丢弃遗嘱")}>{ l.t("Disconnect", "断开") }</button>
                <button data-testid="drop" onclick={Callback::from(move |_| d4.drop_connection())}
                    disabled={!(busy || state == ConnState::Silent)}
                    title={l.t("Close the socket without DISCONNECT: the broker notices at once and publishes the will", "不发送 DISCONNECT 直接关闭连接:服务端立即察觉并发布遗嘱")}>{ l.t("Drop", "强制断开(不发 DISCONNECT)") }</button>
                <button data-testid="go-silent" onclick={Callback::from(move |_| d5.go_silent())} disabled={!online}
                    title={l.t("Keep the socket open but send nothing: the network died and the broker does not know yet", "连接保持打开但不再发送任何数据:网络已断而服务端尚不知道")}>{ l.t("Go silent", "静默") }</button>
                <span class="state" data-testid="conn-state" data-state={state.as_str()}>
                    <span class={classes!("dot", state.as_str())}></span>{ state_text }
                </span>
                <span class="sp" data-testid="session-present" data-value={sp_value}>{ sp_text }</span>
            </div>
            { confirm.unwrap_or_default() }
            if online {
                <div class="row heartbeat">
                    { match next_ping { Some(at) => format!("{} {}", l.t("next PINGREQ at", "下次 PINGREQ 于"), time_of_day(at)), None => String::new() } }
                    { rtt.map(|r| format!(" · {} {r} ms", l.t("last round trip", "上次往返"))).unwrap_or_default() }
                </div>
            }
            if let Some(n) = notice {
                <div class="broker-notice" data-testid="broker-notice" data-remaining-ms={remaining(n.predicted_at, now).to_string()}>
                    { format!("{} {}", l.t("The broker should notice the silence (1.5 × keepalive since the last packet sent) in", "服务端预计察觉静默(自最后发送起 1.5 倍 keepalive)还有"), l.seconds(remaining(n.predicted_at, now))) }
                    <progress max={(n.predicted_at - n.last_sent_at).to_string()} value={remaining(n.predicted_at, now).to_string()}></progress>
                </div>
                <p class="muted clocks-note" data-testid="broker-notice-clocks">
                    { l.text(&ackscope_core::profile::BrokerProfile::for_kind(form.broker).notice_and_ack_clocks()) }</p>
            }
            if let Some(e) = error {
                <div class="error" role="alert" data-testid="device-error">{ l.pick(e.en, e.zh) }</div>
            }
        </div>
    }
}
