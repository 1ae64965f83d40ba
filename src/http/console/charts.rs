//! Bar charts as inline SVG, drawn on the server: no script, no library, readable by screen
//! readers through the figure's caption and each bar's title.

use super::html::t;

/// A bar chart of `values` labelled by `labels` (every `label_every`-th shown under the axis).
pub fn bars(
    id: &str,
    caption: &str,
    labels: &[String],
    values: &[i64],
    label_every: usize,
) -> String {
    let (w, h, pad_l, pad_b, pad_t) = (640.0_f64, 200.0_f64, 48.0, 28.0, 10.0);
    let max = values.iter().copied().max().unwrap_or(0).max(1) as f64;
    let n = values.len().max(1) as f64;
    let slot = (w - pad_l) / n;
    let plot_h = h - pad_b - pad_t;
    let total: i64 = values.iter().sum();
    let mut svg = format!(
        "<figure class=\"chart\"><figcaption id=\"{id}-cap\">{} <span class=\"muted\">(total {total})</span></figcaption>\
         <svg viewBox=\"0 0 {w} {h}\" role=\"img\" aria-labelledby=\"{id}-cap\" preserveAspectRatio=\"xMidYMid meet\">",
        t(caption)
    );
    for frac in [0.0, 0.5, 1.0] {
        let y = pad_t + plot_h * (1.0 - frac);
        svg.push_str(&format!(
            "<line x1=\"{pad_l}\" x2=\"{w}\" y1=\"{y:.1}\" y2=\"{y:.1}\" class=\"grid\"/>\
             <text x=\"{:.1}\" y=\"{:.1}\" class=\"axis\" text-anchor=\"end\">{}</text>",
            pad_l - 6.0,
            y + 4.0,
            (max * frac).round() as i64
        ));
    }
    for (i, v) in values.iter().enumerate() {
        let bh = plot_h * (*v as f64) / max;
        let x = pad_l + slot * i as f64 + slot * 0.15;
        let label = labels.get(i).map_or("", String::as_str);
        svg.push_str(&format!(
            "<rect x=\"{x:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{bh:.1}\" class=\"bar\"><title>{}: {v}</title></rect>",
            pad_t + plot_h - bh,
            slot * 0.7,
            t(label)
        ));
        if label_every > 0 && i % label_every == 0 {
            svg.push_str(&format!(
                "<text x=\"{:.1}\" y=\"{:.1}\" class=\"axis\" text-anchor=\"middle\">{}</text>",
                x + slot * 0.35,
                h - 8.0,
                t(label)
            ));
        }
    }
    svg.push_str("</svg></figure>");
    svg
}
