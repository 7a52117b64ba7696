//! A dead connection's messages: ack-timeout-pending (still waiting), late-after-silence
//! (came back late).

use super::{finding, secs, T};
use crate::diagnostics::history::{DeadDelivery, EndKind};
use crate::diagnostics::{DeviceFacts, Finding, Severity};
use crate::time::Millis;

/// `ack-timeout-pending`: QoS>0 messages pushed into this device's dead (silent) connection
/// that have not come back, while the broker's ack timeout for them runs (its clock starts at
/// each push). Nothing is promised about when: a broker that resends on takeover (mosquitto)
/// does it at once, others wait out the timeout.
pub(super) fn ack_timeout_pending(now: Millis, d: &DeviceFacts<'_>, out: &mut Vec<Finding>) {
    let ack_timeout = d.settings.profile.ack_timeout_ms;
    // Its value with its source ("10.0 s, assumed" on the generic profile).
    let ack_text = d.settings.profile.ack_timeout_text();
    let pending: Vec<&DeadDelivery> = d
        .history
        .dead
        .iter()
        .filter(|x| x.returned_at.is_none() && x.wiped_at.is_none() && now < x.at + ack_timeout)
        .collect();
    let (Some(first), Some(last_deadline)) = (
        pending.first(),
        pending.iter().map(|x| x.at + ack_timeout).max(),
    ) else {
        return;
    };
    let back = d.history.online_now();
    let n = pending.len();
    let evidence = if back {
        T::new(format!("Back with its session, but {n} message(s) pushed into the dead connection have not been resent yet; the broker's ack timeout ({}) for the last ends in {}", ack_text.en, secs(last_deadline - now)),
               format!("已带着会话回来,但推送到失效连接中的 {n} 条消息尚未重发;服务端对最后一条的确认超时({})还剩 {}", ack_text.zh, secs(last_deadline - now)))
    } else {
        T::new(format!("{n} message(s) pushed into the dead connection wait unacknowledged; the broker's ack timeout ({}) for the last ends in {}", ack_text.en, secs(last_deadline - now)),
               format!("推送到失效连接中的 {n} 条消息等待确认;服务端对最后一条的确认超时({})还剩 {}", ack_text.zh, secs(last_deadline - now)))
    };
    let explanation = if back {
        T::new("This broker did not resend them on the takeover: each counts as in flight until its ack timeout passes after its push, and only then is it delivered again.",
               "该服务端在接管时没有重发它们:每条消息在推送后的确认超时之前都算作传输中,之后才会重新投递。")
    } else {
        T::new("The broker still believes the connection alive and pushed them into it. They come back when the device returns with its session: at once on the takeover if the broker resends then (mosquitto resends unacknowledged messages with DUP=1), or once the ack timeout after each push has passed (Alibaba).",
               "服务端仍认为连接存活,把它们推送了进去。设备带着会话回来时它们会再次到达:若服务端在接管时重发(mosquitto 会以 DUP=1 重发未确认的消息)则立即到达,否则要等每条推送后的确认超时过去(阿里云)。")
    };
    let mut f = finding("ack-timeout-pending", Severity::Warning, d.device, Some(first.at),
        evidence,
        explanation,
        T::new("Wait out the countdown; use a shorter keepalive so that the broker notices a dead connection sooner; send DISCONNECT when the device knows it is going offline.",
               "等待倒计时结束;缩短 keepalive,让服务端更早发现失效连接;设备知道自己将离线时发送 DISCONNECT。"));
    f.remaining_ms = Some(last_deadline - now);
    out.push(f);
}

/// `late-after-silence`: messages pushed into the dead connection of the latest silence came
/// back, late.
pub(super) fn late_after_silence(d: &DeviceFacts<'_>, out: &mut Vec<Finding>) {
    let h = d.history;
    let Some(silence) = h.ends.iter().rev().find(|e| e.kind == EndKind::Silent) else {
        return;
    };
    let late: Vec<(Millis, Millis)> = h
        .messages
        .iter()
        .filter_map(|m| m.back_from_dead)
        .filter(|(first_at, _)| *first_at >= silence.at)
        .collect();
    let Some(max_delay) = late.iter().map(|(_, delay)| *delay).max() else {
        return;
    };
    let first_push = late.iter().map(|(at, _)| *at).min().unwrap_or(silence.at);
    let keepalive = h
        .connects
        .iter()
        .find(|c| Some(c.at) == silence.connack_at)
        .and_then(|c| c.keepalive_secs);
    let ack_text = d.settings.profile.ack_timeout_text();
    let (ka_en, ka_zh) = match keepalive {
        Some(k) if k > 0 => {
            let grace = Millis::from(k) * 1_500;
            (
                format!("up to 1.5 x keepalive ({k} s here: {})", secs(grace)),
                format!("最多 1.5 倍 keepalive(此处 {k} 秒:{})", secs(grace)),
            )
        }
        _ => (
            "up to 1.5 x keepalive".to_string(),
            "最多 1.5 倍 keepalive".to_string(),
        ),
    };
    let noticed = h
        .silent_closes
        .iter()
        .find(|c| c.silent_since == silence.at);
    let (seen_en, seen_zh) = match noticed {
        Some(c) if c.taken_over => (
            " The device took its session over before the broker noticed.".to_string(),
            " 服务端发现之前,设备已接管了会话。".to_string(),
        ),
        Some(c) => (
            format!(
                " The broker closed the silent connection {} after it went silent (predicted: {}).",
                secs(c.at.saturating_sub(c.silent_since)),
                secs(c.predicted_at.saturating_sub(c.silent_since))
            ),
            format!(
                " 服务端在设备静默 {} 后关闭了连接(预测:{})。",
                secs(c.at.saturating_sub(c.silent_since)),
                secs(c.predicted_at.saturating_sub(c.silent_since))
            ),
        ),
        None => (String::new(), String::new()),
    };
    out.push(finding("late-after-silence", Severity::Warning, d.device, Some(first_push),
        T::new(format!("{} message(s) pushed into the dead connection came back late: up to {} after the first push", late.len(), secs(max_delay)),
               format!("推送到失效连接中的 {} 条消息迟到了:最多在首次推送后 {} 才到达", late.len(), secs(max_delay))),
        T::new(format!("While the device was silent the broker still believed it connected: it notices a dead connection only after {ka_en} without a packet, and pushes messages into it meanwhile. Each such message then waits for the broker's ack timeout ({}), or for the device to take its session over, before it is delivered again.{seen_en}", ack_text.en),
               format!("设备静默期间服务端仍认为它在线:要在{ka_zh}收不到任何报文后才会发现连接失效,其间会继续向其中推送消息。每条这样的消息都要等服务端的确认超时({}),或等设备接管会话,才会再次投递。{seen_zh}", ack_text.zh)),
        T::new("Use a shorter keepalive (30 s: the broker notices within 45 s, for one PINGREQ every 30 s); send DISCONNECT when the device knows it is going offline; reconnect promptly with the same ClientId and cleanSession=0 (a takeover makes mosquitto resend at once).",
               "缩短 keepalive(30 秒:服务端 45 秒内即可发现,代价是每 30 秒一个 PINGREQ);设备知道将离线时发送 DISCONNECT;尽快以相同 ClientId 和 cleanSession=0 重连(接管会让 mosquitto 立即重发)。")));
}
