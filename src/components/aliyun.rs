//! Alibaba Cloud MQ for IoT helpers: ClientId builder, endpoint helper, and the signature
//! calculator that shows every step. All computing happens in the core (`auth`).

use super::fields::{CheckField, TextField};
use super::SectionProps;
use crate::edge::{clipboard, console};
use ackscope_core::auth::{build_client_id, credentials, endpoint_url, sign, AuthMode};
use yew::prelude::*;

fn copy_to_clipboard(text: String) {
    // The browser asks for permission where it must; a refusal is only logged.
    clipboard::copy_text(&text, |copied| {
        if let Err(e) = copied {
            console::warn(&format!("copying failed: {e}"));
        }
    });
}

#[derive(Properties, PartialEq)]
struct StepProps {
    testid: AttrValue,
    label: AttrValue,
    value: AttrValue,
    copy_label: AttrValue,
    #[prop_or_default]
    shown: Option<AttrValue>,
}

/// One step of the calculation with a copy button (copies the real value, even when masked).
#[function_component(Step)]
fn step(p: &StepProps) -> Html {
    let value = p.value.to_string();
    html! {
        <div class="calc-step">
            <span class="calc-label">{ p.label.clone() }</span>
            <code data-testid={p.testid.clone()}>{ p.shown.clone().unwrap_or_else(|| p.value.clone()) }</code>
            <button class="ghost" title={p.copy_label.clone()} aria-label={p.copy_label.clone()}
                onclick={Callback::from(move |_| copy_to_clipboard(value.clone()))}>{ p.copy_label.clone() }</button>
        </div>
    }
}

#[function_component(AliyunView)]
pub fn aliyun_view(p: &SectionProps) -> Html {
    let l = p.lang;
    let d = p.device.clone();
    let form = d.read(|s| s.form.clone());
    let mode = form.auth.mode;
    if !mode.is_aliyun() {
        return html! {};
    }
    let edit = |f: fn(&mut crate::view::DeviceForm, String)| {
        let d = d.clone();
        Callback::from(move |v: String| d.edit(|form| f(form, v)))
    };
    let build = {
        let d = d.clone();
        Callback::from(move |_| {
            d.edit(|f| f.auth.client_id = build_client_id(f.group_id.trim(), f.device_id.trim()))
        })
    };
    let endpoint = endpoint_url(&form.endpoint_host, form.endpoint_tls);
    let use_endpoint = {
        let d = d.clone();
        let url = endpoint.clone().ok();
        Callback::from(move |_| {
            if let Some(url) = url.clone() {
                d.edit(|f| f.broker_url = url);
            }
        })
    };
    let copy = l.t("Copy", "复制");
    let creds = credentials(&form.auth);
    let signs = matches!(
        mode,
        AuthMode::AliyunSignature | AuthMode::AliyunLegacy | AuthMode::AliyunDeviceCredential
    );
    let steps = signs.then(|| {
        let text = match &creds {
            Ok(c) => c.steps.as_ref().map(|s| s.string_to_sign.clone()),
            Err(_) => None,
        };
        text.map(|t| sign(form.auth.access_key_secret.trim(), &t))
    });
    let secret = form.auth.access_key_secret.trim().to_string();
    let masked = "•".repeat(secret.chars().count().min(24));
    let on_reveal = {
        let d = d.clone();
        Callback::from(move |v: bool| d.edit(|f| f.reveal_secret = v))
    };
    let on_tls = {
        let d = d.clone();
        Callback::from(move |v: bool| d.edit(|f| f.endpoint_tls = v))
    };
    html! {
        <details class="card aliyun" open=true>
            <summary><h3>{ l.t("Alibaba Cloud MQ for IoT", "阿里云微消息队列 MQTT 版") }</h3></summary>
            <div class="row">
                <TextField testid="group-id" label="GroupId" value={form.group_id.clone()} on_change={edit(|f, v| f.group_id = v)} />
                <TextField testid="device-id" label="DeviceId" value={form.device_id.clone()} on_change={edit(|f, v| f.device_id = v)} />
                <button data-testid="client-id-build" onclick={build}>{ l.t("Build ClientId", "生成 ClientId") }</button>
            </div>
            <div class="row">
                <TextField testid="endpoint-host" label={l.t("Instance endpoint host", "实例接入点域名")} value={form.endpoint_host.clone()} wide=true
                    placeholder="post-cn-xxxx.mqtt.aliyuncs.com" on_change={edit(|f, v| f.endpoint_host = v)}
                    error={(!form.endpoint_host.is_empty()).then(|| endpoint.clone().err()).flatten().map(|e| AttrValue::from(l.text(&e.text())))} />
                <CheckField testid="endpoint-tls" label="wss (443)" checked={form.endpoint_tls} on_change={on_tls} />
                <button data-testid="endpoint-use" disabled={endpoint.is_err()} onclick={use_endpoint}>{ l.t("Use as broker URL", "用作服务端 URL") }</button>
            </div>
            if let Some(steps) = steps {
                if let (Some(st), Ok(c)) = (steps, &creds) {
                    <div class="calc" data-testid="signature-steps">
                        <Step testid="calc-string-to-sign" label={l.t("String to sign", "待签名字符串")} value={st.string_to_sign.clone()} copy_label={copy} />
                        <div class="calc-step">
                            <span class="calc-label">{ l.t("Key (secret)", "密钥") }</span>
                            <code data-testid="calc-key">{ if form.reveal_secret { secret.clone() } else { masked.clone() } }</code>
                            <CheckField testid="reveal-secret" label={l.t("reveal", "显示")} checked={form.reveal_secret} on_change={on_reveal} />
                        </div>
                        <Step testid="calc-hmac-hex" label="HMAC-SHA1 (hex)" value={st.hmac_hex.clone()} copy_label={copy} />
                        <Step testid="calc-password" label={l.t("Password = Base64", "密码 = Base64")} value={st.password.clone()} copy_label={copy} />
                        <Step testid="calc-username" label={l.t("Username", "用户名")} value={c.username.clone().unwrap_or_default()} copy_label={copy} />
                    </div>
                } else {
                    <p class="muted">{ l.t("Fill in the fields above to see each step of the signature.", "填写上方字段即可查看签名的每一步。") }</p>
                }
            } else if let Ok(c) = &creds {
                <div class="calc" data-testid="signature-steps">
                    <Step testid="calc-username" label={l.t("Username", "用户名")} value={c.username.clone().unwrap_or_default()} copy_label={copy} />
                    <Step testid="calc-password" label={l.t("Password", "密码")} value={c.password.clone().unwrap_or_default()}
                        shown={Some(AttrValue::from("R|•••|W|•••"))} copy_label={copy} />
                </div>
            }
        </details>
    }
}
