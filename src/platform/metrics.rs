//! Metrics in the Prometheus text format (issue 24), kept by this instance's own recorder
//! (no process-wide state: every test app and every instance counts only itself).
//! Labels are route templates, methods and status codes — never a path, a query, a name or an
//! identifier: nothing personal can reach a label.

use metrics::{Key, Label, Level, Metadata, Recorder};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusRecorder};

const META: Metadata<'static> = Metadata::new("satis", Level::INFO, Some("satis"));

/// Request latency buckets, in seconds: a page should answer in tens of milliseconds.
const BUCKETS: &[f64] = &[
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// This instance's metrics.
pub struct Metrics {
    recorder: PrometheusRecorder,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Metrics")
    }
}

impl Default for Metrics {
    fn default() -> Self {
        let recorder = PrometheusBuilder::new().set_buckets(BUCKETS).map_or_else(
            |_| PrometheusBuilder::new().build_recorder(),
            |b| b.build_recorder(),
        );
        Metrics { recorder }
    }
}

/// One value measured when the metrics are read (a queue's length, an age).
pub struct Gauge {
    pub name: &'static str,
    pub help: &'static str,
    pub value: f64,
}

impl Metrics {
    /// A request answered: its route template (`(unmatched)` when none), method, status
    /// and how long it took.
    pub fn request(&self, route: &str, method: &str, status: u16, seconds: f64) {
        let labels = vec![
            Label::new("route", route.to_owned()),
            Label::new("method", method.to_owned()),
            Label::new("status", status.to_string()),
        ];
        self.recorder
            .register_counter(&Key::from_parts("satis_http_requests_total", labels), &META)
            .increment(1);
        let labels = vec![
            Label::new("route", route.to_owned()),
            Label::new("method", method.to_owned()),
        ];
        self.recorder
            .register_histogram(
                &Key::from_parts("satis_http_request_duration_seconds", labels),
                &META,
            )
            .record(seconds);
    }

    /// A request refused at once because the server was at capacity.
    pub fn shed(&self) {
        self.recorder
            .register_counter(&Key::from_name("satis_http_load_shed_total"), &META)
            .increment(1);
    }

    /// A request held back by a throttle (`which`: sign_in, public_form or receipt).
    pub fn throttled(&self, which: &'static str) {
        let labels = vec![Label::new("throttle", which)];
        self.recorder
            .register_counter(&Key::from_parts("satis_throttled_total", labels), &META)
            .increment(1);
    }

    /// The Prometheus text: what was counted, then `gauges` measured now.
    pub fn render(&self, gauges: &[Gauge]) -> String {
        let mut out = self.recorder.handle().render();
        for g in gauges {
            out.push_str(&format!(
                "# HELP {name} {help}\n# TYPE {name} gauge\n{name} {value}\n",
                name = g.name,
                help = g.help,
                value = g.value
            ));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_are_counted_by_route_template_and_status() {
        let m = Metrics::default();
        m.request("/cases/{id}", "GET", 200, 0.012);
        m.request("/cases/{id}", "GET", 200, 0.020);
        m.request("/cases/{id}", "GET", 403, 0.003);
        m.shed();
        let text = m.render(&[Gauge {
            name: "satis_public_reports_untriaged",
            help: "Public reports not triaged yet.",
            value: 3.0,
        }]);
        assert!(
            text.contains(
                "satis_http_requests_total{route=\"/cases/{id}\",method=\"GET\",status=\"200\"} 2"
            ),
            "{text}"
        );
        assert!(text.contains("status=\"403\"} 1"), "{text}");
        assert!(
            text.contains("satis_http_request_duration_seconds_bucket"),
            "{text}"
        );
        assert!(text.contains("satis_http_load_shed_total 1"), "{text}");
        assert!(text.contains("satis_public_reports_untriaged 3"), "{text}");
        // Another instance counts only itself.
        assert!(!Metrics::default().render(&[]).contains("/cases/{id}"));
    }
}
