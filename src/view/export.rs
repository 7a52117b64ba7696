//! Messages and packets as JSON and CSV for export. Hand-written to keep the page small:
//! the shapes are flat and fixed.

use super::{MessageRow, PacketRow};

pub use ackscope_core::text::json_string;

/// A CSV cell. A cell a spreadsheet would run as a formula (starting with `=`, `+`, `-` or
/// `@`, or a tab or carriage return before one) gets a leading `'`, so that a topic or
/// payload chosen by any publisher stays text when the export is opened (CSV injection).
fn csv_field(s: &str) -> String {
    let neutralised;
    let s = if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        neutralised = format!("'{s}");
        neutralised.as_str()
    } else {
        s
    };
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

fn opt<T: ToString>(v: Option<T>) -> String {
    v.map(|v| v.to_string()).unwrap_or_default()
}

pub fn messages_json<'a>(rows: impl Iterator<Item = &'a MessageRow>) -> String {
    let items: Vec<String> = rows
        .map(|m| {
            format!(
                "{{\"at\":{},\"topic\":{},\"qos\":{},\"dup\":{},\"retain\":{},\"packetId\":{},\"verdict\":{},\"certain\":{},\"probeSeq\":{},\"latencyMs\":{},\"intoDeadConnection\":{},\"payload\":{}}}",
                m.at,
                json_string(&m.topic),
                m.qos,
                m.dup,
                m.retain,
                m.packet_id.map_or("null".into(), |v| v.to_string()),
                json_string(m.verdict.as_str()),
                m.certain,
                m.probe_seq.map_or("null".into(), |v| v.to_string()),
                m.latency_ms.map_or("null".into(), |v| v.to_string()),
                m.into_dead_connection,
                json_string(&m.payload_text())
            )
        })
        .collect();
    format!("[\n{}\n]\n", items.join(",\n"))
}

pub fn messages_csv<'a>(rows: impl Iterator<Item = &'a MessageRow>) -> String {
    let mut out = String::from("at,topic,qos,dup,retain,packet_id,verdict,certain,probe_seq,latency_ms,into_dead_connection,payload\n");
    for m in rows {
        let fields = [
            m.at.to_string(),
            csv_field(&m.topic),
            m.qos.to_string(),
            u8::from(m.dup).to_string(),
            u8::from(m.retain).to_string(),
            opt(m.packet_id),
            m.verdict.as_str().to_string(),
            m.certain.to_string(),
            opt(m.probe_seq),
            opt(m.latency_ms),
            m.into_dead_connection.to_string(),
            csv_field(&m.payload_text()),
        ];
        out.push_str(&fields.join(","));
        out.push('\n');
    }
    out
}

pub fn packets_json<'a>(rows: impl Iterator<Item = &'a PacketRow>) -> String {
    let items: Vec<String> = rows
        .map(|p| {
            format!(
                "{{\"at\":{},\"dir\":{},\"type\":{},\"packetId\":{},\"fields\":{},\"hex\":{}}}",
                p.at,
                json_string(if p.outgoing { "out" } else { "in" }),
                json_string(p.kind),
                p.packet_id.map_or("null".into(), |v| v.to_string()),
                json_string(&p.fields),
                json_string(&p.hex())
            )
        })
        .collect();
    format!("[\n{}\n]\n", items.join(",\n"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_strings_escape_quotes_and_control_characters() {
        assert_eq!(json_string("a\"b\\c\nd\u{1}"), "\"a\\\"b\\\\c\\nd\\u0001\"");
    }

    #[test]
    fn csv_fields_with_commas_or_quotes_are_quoted() {
        assert_eq!(csv_field("plain"), "plain");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
    }

    #[test]
    fn csv_cells_that_look_like_formulas_are_neutralised() {
        assert_eq!(csv_field("=1+1"), "'=1+1");
        assert_eq!(csv_field("+cmd"), "'+cmd");
        assert_eq!(csv_field("-2"), "'-2");
        assert_eq!(csv_field("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(csv_field("\t=x"), "'\t=x");
        assert_eq!(
            csv_field("=HYPERLINK(\"http://x\",\"y\")"),
            "\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\""
        );
        assert_eq!(csv_field("a=b"), "a=b");
        assert_eq!(csv_field(""), "");
    }
}
