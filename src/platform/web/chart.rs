//! Charts drawn by the server as accessible SVG: no script, no third-party code. Every chart
//! has a title and a description read by screen readers (`role="img"`), and the page shows the
//! same figures in a data table next to it.

/// Text for XML (SVG, Atom, sitemaps), content and attributes alike: the five characters that
/// matter escaped, and the control characters XML 1.0 forbids dropped.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') => {}
            c => out.push(c),
        }
    }
    out
}

/// A horizontal bar chart. `rows` are (label, value as shown, value as drawn): a suppressed
/// cell ("<5") is drawn as an empty bar so that the drawing reveals no more than the table.
pub fn bars(id: &str, title: &str, rows: &[(String, String, i64)]) -> String {
    let max = rows.iter().map(|r| r.2).max().unwrap_or(0).max(1);
    let bar_h = 22;
    let gap = 8;
    let label_w = 190;
    let plot_w = 300;
    let height = rows.len() * (bar_h + gap) + gap;
    let id = esc(id);
    let mut svg = format!(
        "<svg class=\"chart\" id=\"{id}\" role=\"img\" aria-labelledby=\"{id}-t {id}-d\" \
         viewBox=\"0 0 {w} {height}\" width=\"100%\" preserveAspectRatio=\"xMinYMin meet\" \
         xmlns=\"http://www.w3.org/2000/svg\"><title id=\"{id}-t\">{t}</title><desc id=\"{id}-d\">{d}</desc>",
        w = label_w + plot_w + 60,
        t = esc(title),
        d = esc(&rows
            .iter()
            .map(|(l, v, _)| format!("{l}: {v}"))
            .collect::<Vec<_>>()
            .join("; ")),
    );
    for (i, (label, shown, value)) in rows.iter().enumerate() {
        let y = gap + i * (bar_h + gap);
        let w = (*value).max(0) as usize * plot_w / max as usize;
        svg.push_str(&format!(
            "<text x=\"{lx}\" y=\"{ty}\" text-anchor=\"end\" class=\"chart-label\">{label}</text>\
             <rect x=\"{label_w}\" y=\"{y}\" width=\"{w}\" height=\"{bar_h}\" class=\"chart-bar\"/>\
             <text x=\"{vx}\" y=\"{ty}\" class=\"chart-value\">{shown}</text>",
            lx = label_w - 8,
            ty = y + bar_h - 6,
            vx = label_w + w + 6,
            label = esc(label),
            shown = esc(shown),
        ));
    }
    svg.push_str("</svg>");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_escaped_and_bars_scale_to_the_largest() {
        let svg = bars(
            "c1",
            "Per provincia",
            &[
                ("<script>FI</script>".into(), "10".into(), 10),
                ("PO".into(), "<5".into(), 0),
            ],
        );
        assert!(!svg.contains("<script>"));
        assert!(svg.contains("&lt;script&gt;FI"));
        assert!(
            svg.contains("width=\"300\""),
            "the largest bar fills the plot"
        );
        assert!(
            svg.contains("width=\"0\""),
            "a suppressed cell draws nothing"
        );
        assert!(
            svg.contains("role=\"img\"")
                && svg.contains("<title id=\"c1-t\">Per provincia</title>")
        );
        assert!(svg.contains("PO: &lt;5"));
    }
}
