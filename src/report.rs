//! `persona.drift_report_html(report_id)`: a saved drift report as one self-contained HTML page.
//!
//! People who look at drift live in SQL clients and browsers, not notebooks, so a report must
//! be something a GUI can save to a file and anyone can open: the verdict, a table of every
//! compared column and, per column, the reference and current histograms stored with the
//! report (see `drift::histogram`). Styles are inline CSS and pictures inline SVG; there is
//! no script and no external asset, so the page shows the same offline, in a mail client or
//! behind a strict Content-Security-Policy, and cannot run anything.
//!
//! [`render`] is a pure function from a [`Report`] to a `String`, kept apart from the loading
//! code at the bottom so the page depends on nothing but its input. Every text that comes
//! from the database (model, source, feature and persona names) goes through [`esc`]: a
//! feature may be called `<script>` and must show as just that.

use crate::drift::histogram::Histogram;
use crate::error::{null_value, undefined_object, OrRaise, Result};
use crate::spi_read;
use pgrx::prelude::*;
use serde_json::Value;
use std::fmt::Write;

/// A saved report, as `persona.drift_reports` keeps it.
#[derive(Debug, Clone)]
pub struct Report {
    pub report_id: i64,
    pub model: String,
    pub version: i32,
    pub source: String,
    pub method: String,
    pub drift_share: f64,
    /// Already formatted (UTC), so the page does not depend on the session's DateStyle.
    pub checked_at: String,
    pub checked_by: String,
    pub dataset_drift: Option<bool>,
    pub drifted_features: i32,
    pub total_features: i32,
    pub share: Option<f64>,
    pub n_current: i64,
    pub rows: Vec<ReportRow>,
}

/// One compared column of a report (an element of `details`).
#[derive(Debug, Clone, Default)]
pub struct ReportRow {
    pub feature: String,
    /// feature, persona_share or distance.
    pub kind: String,
    pub method: String,
    pub statistic: Option<f64>,
    pub p_value: Option<f64>,
    pub threshold: Option<f64>,
    pub drifted: Option<bool>,
    pub n_reference: Option<i64>,
    pub n_current: Option<i64>,
    pub n_null: Option<i64>,
    /// `None` for a column with no value on either side.
    pub histogram: Option<Histogram>,
}

impl ReportRow {
    /// Reads one element of `details`. Missing or mistyped keys become NULLs rather than
    /// errors: a report is history, and a page with a blank cell beats no page.
    pub fn from_json(item: &Value) -> ReportRow {
        let text = |key: &str| item[key].as_str().unwrap_or_default().to_string();
        let int = |key: &str| item[key].as_i64();
        ReportRow {
            feature: text("feature"),
            kind: text("kind"),
            method: text("method"),
            statistic: float(&item["statistic"]),
            p_value: float(&item["p_value"]),
            threshold: float(&item["threshold"]),
            drifted: item["drifted"].as_bool(),
            n_reference: int("n_reference"),
            n_current: int("n_current"),
            n_null: int("n_null"),
            histogram: serde_json::from_value(item["histogram"].clone()).ok(),
        }
    }
}

/// A number as the drift code stores it: JSON has no infinity, so ±Infinity and NaN are
/// strings there.
fn float(value: &Value) -> Option<f64> {
    match value {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => match s.as_str() {
            "Infinity" => Some(f64::INFINITY),
            "-Infinity" => Some(f64::NEG_INFINITY),
            "NaN" => Some(f64::NAN),
            _ => None,
        },
        _ => None,
    }
}

/// Escapes text for HTML element content and quoted attribute values alike.
pub fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// A number for people: four significant digits, scientific notation when very small or
/// large, "–" for none.
pub fn number(value: Option<f64>) -> String {
    let Some(v) = value else {
        return "–".into();
    };
    if v.is_nan() {
        return "NaN".into();
    }
    if v.is_infinite() {
        return if v > 0.0 { "∞" } else { "−∞" }.into();
    }
    if v == 0.0 {
        return "0".into();
    }
    let a = v.abs();
    if !(1e-3..1e6).contains(&a) {
        return format!("{v:.2e}");
    }
    let decimals = (3 - a.log10().floor() as i32).clamp(0, 6) as usize;
    let s = format!("{v:.decimals$}");
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

/// A count or "–".
fn count(value: Option<i64>) -> String {
    value.map_or_else(|| "–".into(), |n| n.to_string())
}

const STYLE: &str = "
:root { color-scheme: light; }
body { font: 15px/1.45 system-ui, -apple-system, 'Segoe UI', Roboto, 'DejaVu Sans', sans-serif;
       color: #101828; background: #fff; margin: 0 auto; max-width: 1100px; padding: 24px 32px; }
h1 { font-size: 26px; margin: 0 0 4px; }
h2 { font-size: 19px; margin: 28px 0 10px; border-bottom: 1px solid #eaecf0; padding-bottom: 4px; }
.meta { color: #475467; margin: 0 0 16px; }
code { font: 13px ui-monospace, 'DejaVu Sans Mono', monospace; background: #f2f4f7;
       padding: 1px 4px; border-radius: 3px; }
.verdict { border-radius: 8px; padding: 14px 18px; border: 1px solid; }
.verdict p { margin: 0; }
.verdict .headline { font-size: 22px; font-weight: 700; }
.verdict.drift { background: #fef3f2; border-color: #fda29b; color: #912018; }
.verdict.ok { background: #ecfdf3; border-color: #75e0a7; color: #085d3a; }
.verdict.none { background: #f2f4f7; border-color: #d0d5dd; color: #344054; }
table { border-collapse: collapse; width: 100%; font-size: 14px; }
th, td { text-align: right; padding: 5px 8px; border-bottom: 1px solid #eaecf0; }
th { background: #f9fafb; color: #475467; font-weight: 600; }
th:first-child, td:first-child, td.method, th.method { text-align: left; }
tr.drifted td:first-child { font-weight: 700; }
.kind { color: #667085; font-size: 12px; margin-left: 6px; }
.badge { display: inline-block; min-width: 4.5em; text-align: center; border-radius: 10px;
         padding: 0 8px; font-size: 12px; font-weight: 600; }
.badge.drift { background: #fee4e2; color: #912018; }
.badge.ok { background: #dcfae6; color: #085d3a; }
.badge.none { background: #f2f4f7; color: #475467; }
.grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(500px, 1fr)); gap: 16px; }
figure { margin: 0; border: 1px solid #eaecf0; border-radius: 8px; padding: 10px 12px; }
figcaption { margin-bottom: 6px; }
figcaption .stat { color: #475467; font-size: 13px; }
.empty { color: #667085; font-style: italic; }
figure svg { width: 100%; height: auto; }
svg text { font: 11px system-ui, 'DejaVu Sans', sans-serif; fill: #475467; }
footer { color: #98a2b3; font-size: 12px; margin-top: 28px; }
";

/// Colours of the two sides, the same in every picture and legend.
const REFERENCE_COLOUR: &str = "#98a2b3";
const CURRENT_COLOUR: &str = "#e8590c";

/// The whole page.
pub fn render(report: &Report) -> String {
    let mut html = String::with_capacity(16_384 + report.rows.len() * 8_192);
    let title = format!(
        "Drift report {}: {} version {}",
        report.report_id, report.model, report.version
    );
    let _ = write!(
        html,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n",
        esc(&title)
    );
    header(&mut html, report);
    verdict(&mut html, report);
    table(&mut html, report);
    pictures(&mut html, report);
    let _ = write!(
        html,
        "<footer>persona.drift_report_html({}). Histograms: equal-width bins over the range of \
         both sides (reference: its stored sample), one bar per value of a discrete column \
         and per persona; bars are shares of each side's values.</footer>\n</body>\n</html>\n",
        report.report_id
    );
    html
}

fn header(html: &mut String, r: &Report) {
    let _ = write!(
        html,
        "<header>\n<h1>Drift report {id}</h1>\n<p class=\"meta\">Model <b>{model}</b> version \
         {version} &middot; source <code>{source}</code> ({rows} rows) &middot; method {method} \
         &middot; checked {at} by {by}</p>\n</header>\n",
        id = r.report_id,
        model = esc(&r.model),
        version = r.version,
        source = esc(&r.source),
        rows = r.n_current,
        method = esc(&r.method),
        at = esc(&r.checked_at),
        by = esc(&r.checked_by),
    );
}

fn verdict(html: &mut String, r: &Report) {
    let counted = format!(
        "{} of {} model features drifted",
        r.drifted_features, r.total_features
    );
    let (class, headline, detail) = match r.dataset_drift {
        Some(true) => (
            "drift",
            "Dataset drift detected",
            format!(
                "{counted}: share {} &ge; drift share {}.",
                number(r.share),
                number(Some(r.drift_share))
            ),
        ),
        Some(false) => (
            "ok",
            "No dataset drift",
            format!(
                "{counted}: share {} &lt; drift share {}.",
                number(r.share),
                number(Some(r.drift_share))
            ),
        ),
        None => (
            "none",
            "No verdict",
            "No model feature had enough current values to be tested \
             (setting persona.drift_min_rows)."
                .to_string(),
        ),
    };
    let _ = write!(
        html,
        "<section class=\"verdict {class}\" id=\"verdict\">\n<p class=\"headline\">{headline}\
         </p>\n<p>{detail}</p>\n</section>\n"
    );
}

/// The verdict of one row as a badge.
fn badge(drifted: Option<bool>) -> &'static str {
    match drifted {
        Some(true) => "<span class=\"badge drift\">drift</span>",
        Some(false) => "<span class=\"badge ok\">no drift</span>",
        None => "<span class=\"badge none\">no verdict</span>",
    }
}

/// What a row compares, when it is not a model feature.
fn kind_note(kind: &str) -> &'static str {
    match kind {
        "persona_share" => "<span class=\"kind\">shares of nearest personas</span>",
        "distance" => "<span class=\"kind\">distance to nearest persona</span>",
        _ => "",
    }
}

fn table(html: &mut String, r: &Report) {
    html.push_str(
        "<h2>Compared columns</h2>\n<table id=\"features\">\n<thead><tr><th>feature</th>\
         <th class=\"method\">method</th><th>statistic</th><th>p-value</th><th>threshold</th>\
         <th>drifted</th><th>reference n</th><th>current n</th><th>left out</th></tr></thead>\n\
         <tbody>\n",
    );
    for row in &r.rows {
        let class = if row.drifted == Some(true) {
            " class=\"drifted\""
        } else {
            ""
        };
        let _ = writeln!(
            html,
            "<tr{class}><td>{feature}{kind}</td><td class=\"method\">{method}</td><td>{stat}</td>\
             <td>{p}</td><td>{threshold}</td><td>{badge}</td><td>{n_ref}</td><td>{n_cur}</td>\
             <td>{n_null}</td></tr>",
            feature = esc(&row.feature),
            kind = kind_note(&row.kind),
            method = esc(&row.method),
            stat = number(row.statistic),
            p = number(row.p_value),
            threshold = number(row.threshold),
            badge = badge(row.drifted),
            n_ref = count(row.n_reference),
            n_cur = count(row.n_current),
            n_null = count(row.n_null),
        );
    }
    html.push_str("</tbody>\n</table>\n");
}

fn pictures(html: &mut String, r: &Report) {
    let _ = write!(
        html,
        "<h2>Reference and current distributions</h2>\n<p>{} reference &nbsp; {} current</p>\n\
         <div class=\"grid\">\n",
        legend_swatch(REFERENCE_COLOUR),
        legend_swatch(CURRENT_COLOUR)
    );
    for (i, row) in r.rows.iter().enumerate() {
        let _ = write!(
            html,
            "<figure id=\"column-{n}\">\n<figcaption><b>{feature}</b>{kind} {badge}<br>\
             <span class=\"stat\">{method}: statistic {stat}{p}, threshold {threshold}</span>\
             </figcaption>\n",
            n = i + 1,
            feature = esc(&row.feature),
            kind = kind_note(&row.kind),
            badge = badge(row.drifted),
            method = esc(&row.method),
            stat = number(row.statistic),
            p = row
                .p_value
                .map_or_else(String::new, |p| format!(", p-value {}", number(Some(p)))),
            threshold = number(row.threshold),
        );
        match &row.histogram {
            Some(h) if !h.reference.is_empty() => svg(html, &row.feature, h),
            _ => html.push_str("<p class=\"empty\">No values to draw on either side.</p>\n"),
        }
        html.push_str("</figure>\n");
    }
    html.push_str("</div>\n");
}

fn legend_swatch(colour: &str) -> String {
    format!(
        "<svg width=\"12\" height=\"12\" aria-hidden=\"true\"><rect width=\"12\" height=\"12\" \
         fill=\"{colour}\"/></svg>"
    )
}

/// Shares of a side's total; all zero for an empty side.
fn shares(counts: &[u64]) -> Vec<f64> {
    let total: u64 = counts.iter().sum();
    counts
        .iter()
        .map(|&c| {
            if total == 0 {
                0.0
            } else {
                c as f64 / total as f64
            }
        })
        .collect()
}

/// `text` cut to `max` characters (not bytes), with an ellipsis when cut.
fn clip(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut out: String = text.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

const WIDTH: f64 = 480.0;
const HEIGHT: f64 = 200.0;
const LEFT: f64 = 44.0;
const RIGHT: f64 = 8.0;
const TOP: f64 = 8.0;
const BOTTOM: f64 = 36.0;

/// Grouped bars, reference then current, over the histogram's bins or values.
fn svg(html: &mut String, feature: &str, h: &Histogram) {
    let n = h.reference.len().max(h.current.len()).max(1);
    let reference = shares(&h.reference);
    let current = shares(&h.current);
    let top = reference
        .iter()
        .chain(&current)
        .copied()
        .fold(0.0f64, f64::max);
    let y_max = if top > 0.0 { top } else { 1.0 };
    let plot_w = WIDTH - LEFT - RIGHT;
    let plot_h = HEIGHT - TOP - BOTTOM;
    let group = plot_w / n as f64;
    let bar = group * 0.4;
    let base = TOP + plot_h;
    let _ = writeln!(
        html,
        "<svg viewBox=\"0 0 {WIDTH} {HEIGHT}\" width=\"{WIDTH}\" height=\"{HEIGHT}\" \
         role=\"img\"><title>{}: reference and current shares</title>",
        esc(feature)
    );
    for tick in [0.0, 0.5, 1.0] {
        let y = base - tick * plot_h;
        let _ = writeln!(
            html,
            "<line x1=\"{LEFT}\" x2=\"{:.1}\" y1=\"{y:.1}\" y2=\"{y:.1}\" stroke=\"#eaecf0\"/>\
             <text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{}%</text>",
            WIDTH - RIGHT,
            LEFT - 4.0,
            y + 4.0,
            number(Some(tick * y_max * 100.0))
        );
    }
    for i in 0..n {
        let x = LEFT + i as f64 * group + group * 0.1;
        let what = bar_name(h, i);
        for (side, (values, colour, offset)) in [
            (&reference, REFERENCE_COLOUR, 0.0),
            (&current, CURRENT_COLOUR, bar),
        ]
        .into_iter()
        .enumerate()
        {
            let share = values.get(i).copied().unwrap_or(0.0);
            let height = share / y_max * plot_h;
            let _ = write!(
                html,
                "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"{bar:.1}\" height=\"{height:.1}\" \
                 fill=\"{colour}\"><title>{}: {} {}%</title></rect>",
                x + offset,
                base - height,
                esc(&what),
                if side == 0 { "reference" } else { "current" },
                number(Some(share * 100.0))
            );
        }
        html.push('\n');
    }
    let _ = writeln!(
        html,
        "<line x1=\"{LEFT}\" x2=\"{:.1}\" y1=\"{base:.1}\" y2=\"{base:.1}\" stroke=\"#667085\"/>",
        WIDTH - RIGHT
    );
    axis_labels(html, h, n, group, base);
    html.push_str("</svg>\n");
}

/// What bar `i` stands for, for its tooltip.
fn bar_name(h: &Histogram, i: usize) -> String {
    if let Some(label) = h.labels.get(i) {
        return label.clone();
    }
    match (h.edges.get(i), h.edges.get(i + 1)) {
        (Some(&a), Some(&b)) => {
            let close = if i + 2 == h.edges.len() { "]" } else { ")" };
            format!("[{}, {}{close}", number(Some(a)), number(Some(b)))
        }
        _ => format!("bar {}", i + 1),
    }
}

fn axis_labels(html: &mut String, h: &Histogram, n: usize, group: f64, base: f64) {
    let y = base + 14.0;
    if h.labels.is_empty() {
        // Bins: the outer edges and the middle one.
        let last = h.edges.len().saturating_sub(1);
        let mut picks = vec![0, last / 2, last];
        picks.dedup();
        for (j, &e) in picks.iter().enumerate() {
            let Some(&value) = h.edges.get(e) else {
                continue;
            };
            let x = LEFT + e as f64 * group;
            let anchor = match j {
                0 => "start",
                _ if e == last => "end",
                _ => "middle",
            };
            let _ = writeln!(
                html,
                "<text x=\"{x:.1}\" y=\"{y:.1}\" text-anchor=\"{anchor}\">{}</text>",
                number(Some(value))
            );
        }
        return;
    }
    // Values or personas: a label under each group, shortened to its width.
    let max_chars = ((group / 6.5) as usize).max(3);
    for (i, label) in h.labels.iter().enumerate().take(n) {
        let x = LEFT + (i as f64 + 0.5) * group;
        let _ = writeln!(
            html,
            "<text x=\"{x:.1}\" y=\"{y:.1}\" text-anchor=\"middle\">{}</text>",
            esc(&clip(label, max_chars))
        );
    }
}

// PostgreSQL glue: load a report, render it.

/// `persona.drift_report_html(report_id)`: see sql/drift.sql.
#[pg_extern(sql = false)]
fn drift_report_html(report_id: Option<i64>) -> String {
    load(report_id).map(|r| render(&r)).or_raise()
}

fn load(report_id: Option<i64>) -> Result<Report> {
    let id = report_id.ok_or_else(|| null_value("report_id must not be null"))?;
    let text_id = id.to_string();
    let rows = spi_read::select(
        "SELECT model, version, source, method, drift_share,
                to_char(checked_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS') || ' UTC',
                checked_by, dataset_drift, drifted_features, total_features, share, n_current,
                details::text
           FROM persona.drift_reports WHERE report_id = $1::bigint",
        &[text_id.as_str()],
        |row| {
            let details: String = row.get(13).unwrap_or_default();
            let items: Vec<Value> = serde_json::from_str(&details).unwrap_or_default();
            Report {
                report_id: id,
                model: row.get(1).unwrap_or_default(),
                version: row.get(2).unwrap_or_default(),
                source: row.get(3).unwrap_or_default(),
                method: row.get(4).unwrap_or_default(),
                drift_share: row.get(5).unwrap_or_default(),
                checked_at: row.get(6).unwrap_or_default(),
                checked_by: row.get(7).unwrap_or_default(),
                dataset_drift: row.get(8),
                drifted_features: row.get(9).unwrap_or_default(),
                total_features: row.get(10).unwrap_or_default(),
                share: row.get(11),
                n_current: row.get(12).unwrap_or_default(),
                rows: items.iter().map(ReportRow::from_json).collect(),
            }
        },
    )?;
    rows.into_iter().next().ok_or_else(|| {
        undefined_object(format!("drift report {id} does not exist"))
            .hint("The saved reports are listed in persona.drift_reports.")
    })
}
