//! The report of a run: `results.json`, `results.md` and one SVG chart per
//! group, from the same rounds.

use std::fmt::Write as _;
use std::path::Path;

use plotters::prelude::*;
use serde::Serialize;

use crate::stats::{Point, Summary};

/// What a row's value is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Unit {
    /// Time per call, µs (lower is better).
    Micros,
    /// Milliseconds (lower is better).
    Millis,
    /// Resident memory, MiB (lower is better).
    Mib,
    /// Requests per second (higher is better).
    RequestsPerSecond,
    /// CoreMark iterations per second (higher is better).
    CoreMark,
}

impl Unit {
    fn label(self) -> &'static str {
        match self {
            Self::Micros => "µs",
            Self::Millis => "ms",
            Self::Mib => "MiB",
            Self::RequestsPerSecond => "req/s",
            Self::CoreMark => "CoreMark",
        }
    }
}

/// One contender on one workload.
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    /// `P1`, `P2`, …
    pub group: String,
    /// What ran (guest, connections, function count).
    pub workload: String,
    /// Who ran it.
    pub contender: String,
    /// The unit of the values.
    pub unit: Unit,
    /// Over the rounds.
    pub summary: Summary,
    /// Each round.
    pub points: Vec<Point>,
}

/// The whole run.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// `YYYY-MM-DD HH:MM UTC`.
    pub date: String,
    /// CPU, cores, kernel, compiler, commit.
    pub machine: Vec<(String, String)>,
    /// Rounds, alternating contenders.
    pub rounds: u32,
    /// Smoke run (tiny counts, not figures to quote).
    pub smoke: bool,
    /// Every measured row.
    pub rows: Vec<Row>,
    /// Rows not measured, and why.
    pub pending: Vec<(String, String)>,
    /// Checks and remarks made during the run.
    pub notes: Vec<String>,
}

impl Report {
    /// The row `contender` of `group`/`workload` is compared with: the plain
    /// Jinn contender of that workload.
    fn baseline(&self, row: &Row) -> Option<&Row> {
        self.rows
            .iter()
            .filter(|r| r.group == row.group && r.workload == row.workload)
            .find(|r| r.contender.starts_with("jinn"))
    }

    /// The groups, in the order they first appear.
    fn groups(&self) -> Vec<&str> {
        let mut groups: Vec<&str> = Vec::new();
        for r in &self.rows {
            if !groups.contains(&r.group.as_str()) {
                groups.push(&r.group);
            }
        }
        groups
    }

    /// Jinn's median divided by this row's (the same unit, the same rounds).
    pub fn ratio(&self, row: &Row) -> Option<f64> {
        let base = self.baseline(row)?;
        (row.summary.median > 0.0).then(|| base.summary.median / row.summary.median)
    }

    /// Writes `results.json`, `results.md` and `<group>.svg` into `dir`.
    ///
    /// # Errors
    ///
    /// When a file cannot be written.
    pub fn write(&self, dir: &Path) -> Result<(), String> {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        let json = serde_json::to_string_pretty(self).map_err(|e| e.to_string())?;
        let write = |name: &str, text: &str| {
            std::fs::write(dir.join(name), text)
                .map_err(|e| format!("{}: {e}", dir.join(name).display()))
        };
        write("results.json", &json)?;
        write("results.md", &self.markdown())?;
        for group in self.groups() {
            let rows: Vec<&Row> = self.rows.iter().filter(|r| r.group == group).collect();
            chart(&dir.join(format!("{}.svg", file_name(group))), group, &rows)?;
        }
        Ok(())
    }

    /// The Markdown tables.
    pub fn markdown(&self) -> String {
        let mut md = String::new();
        let _ = writeln!(md, "# Jinn benchmarks, {}\n", self.date);
        if self.smoke {
            md.push_str("**Smoke run**: one tiny round, Jinn only; the figures mean nothing.\n\n");
        }
        for (k, v) in &self.machine {
            let _ = writeln!(md, "- {k}: {v}");
        }
        let _ = writeln!(md, "- rounds: {} (contenders alternating)\n", self.rounds);
        for group in self.groups() {
            let _ = writeln!(md, "## {group}\n");
            let first = self.rows.iter().find(|r| r.group == group).map(|r| r.unit);
            let p99 = if first == Some(Unit::RequestsPerSecond) {
                "p99 latency"
            } else {
                "p99"
            };
            let _ = writeln!(
                md,
                "| Workload | Contender | Median | {p99} | Spread of rounds | Peak RSS | Fuel | Jinn ÷ this |"
            );
            md.push_str("|---|---|---|---|---|---|---|---|\n");
            for row in self.rows.iter().filter(|r| r.group == group) {
                let s = &row.summary;
                let unit = row.unit.label();
                let p99 = match (row.unit, s.p99) {
                    (Unit::RequestsPerSecond, Some(p)) => format!("{} ms", num(p / 1000.0)),
                    (_, Some(p)) => format!("{} {unit}", num(p)),
                    (_, None) => "—".into(),
                };
                let ratio = match self.ratio(row) {
                    Some(r)
                        if !row.contender.starts_with("jinn")
                            || self.baseline(row).map(|b| &b.contender) != Some(&row.contender) =>
                    {
                        format!("{r:.2}×")
                    }
                    _ => "—".into(),
                };
                let _ = writeln!(
                    md,
                    "| {} | {} | {} {unit} | {p99} | {}–{} | {} | {} | {ratio} |",
                    row.workload,
                    row.contender,
                    num(s.median),
                    num(s.min),
                    num(s.max),
                    if s.rss_kib > 0 {
                        format!("{:.1} MiB", s.rss_kib as f64 / 1024.0)
                    } else {
                        "—".into()
                    },
                    s.fuel.map_or("—".into(), |f| f.to_string()),
                );
            }
            md.push('\n');
        }
        if !self.pending.is_empty() {
            md.push_str("## Not measured here\n\n");
            for (what, why) in &self.pending {
                let _ = writeln!(md, "- {what}: {why}");
            }
            md.push('\n');
        }
        if !self.notes.is_empty() {
            md.push_str("## Notes\n\n");
            for note in &self.notes {
                let _ = writeln!(md, "- {note}");
            }
        }
        md
    }
}

fn file_name(group: &str) -> String {
    group
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect()
}

/// Three significant figures, thousands grouped.
fn num(v: f64) -> String {
    if !v.is_finite() {
        return "—".into();
    }
    let digits = if v >= 100.0 {
        0
    } else if v >= 10.0 {
        1
    } else if v >= 1.0 {
        2
    } else {
        3
    };
    let s = format!("{v:.digits$}");
    let (int, frac) = s.split_once('.').map_or((s.as_str(), ""), |(a, b)| (a, b));
    let mut grouped = String::new();
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    if frac.is_empty() {
        grouped
    } else {
        format!("{grouped}.{frac}")
    }
}

/// Bars of the medians, a whisker over the spread of the rounds; a log
/// scale when the values span more than a factor of 20.
fn chart(path: &Path, group: &str, rows: &[&Row]) -> Result<(), String> {
    let fail = |e: &dyn std::fmt::Display| format!("{}: {e}", path.display());
    let width = (160 + 90 * rows.len() as u32).max(480);
    let root = SVGBackend::new(path, (width, 460)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| fail(&e))?;
    let unit = rows.first().map_or("", |r| r.unit.label());
    let hi = rows
        .iter()
        .map(|r| r.summary.max.max(r.summary.median))
        .fold(0.0, f64::max)
        .max(1e-3);
    let lo = rows
        .iter()
        .map(|r| r.summary.min.min(r.summary.median))
        .fold(f64::INFINITY, f64::min)
        .max(1e-3);
    let labels: Vec<String> = rows
        .iter()
        .map(|r| format!("{} / {}", r.workload, r.contender))
        .collect();
    let n = rows.len();
    let mut builder = ChartBuilder::on(&root);
    builder
        .caption(
            format!("{group} ({unit}; bar: median, whisker: rounds' spread)"),
            ("sans-serif", 16),
        )
        .margin(12)
        .x_label_area_size(120)
        .y_label_area_size(70);
    let bar = |i: usize, v: f64, base: f64, color: RGBColor| {
        Rectangle::new(
            [(i as f64 + 0.15, base), (i as f64 + 0.85, v)],
            color.filled(),
        )
    };
    let palette = [
        RGBColor(70, 110, 180),
        RGBColor(220, 130, 50),
        RGBColor(90, 160, 90),
        RGBColor(170, 80, 150),
        RGBColor(120, 120, 120),
    ];
    let color_of = |r: &Row| {
        let contenders: Vec<&str> = {
            let mut c: Vec<&str> = rows.iter().map(|r| r.contender.as_str()).collect();
            c.dedup();
            c
        };
        palette[contenders
            .iter()
            .position(|c| *c == r.contender)
            .unwrap_or(0)
            % palette.len()]
    };
    let x_label = |x: &f64| {
        let i = *x as usize;
        if (*x - i as f64 - 0.5).abs() < 1e-6 {
            labels.get(i).cloned().unwrap_or_default()
        } else {
            String::new()
        }
    };
    if hi / lo > 20.0 {
        let mut chart = builder
            .build_cartesian_2d(0.0..n as f64, (lo / 2.0..hi * 2.0).log_scale())
            .map_err(|e| fail(&e))?;
        chart
            .configure_mesh()
            .x_labels(2 * n + 1)
            .x_label_formatter(&x_label)
            .x_label_style(
                ("sans-serif", 11)
                    .into_font()
                    .transform(FontTransform::Rotate90),
            )
            .disable_x_mesh()
            .draw()
            .map_err(|e| fail(&e))?;
        for (i, r) in rows.iter().enumerate() {
            chart
                .draw_series([bar(i, r.summary.median, lo / 2.0, color_of(r))])
                .map_err(|e| fail(&e))?;
            chart
                .draw_series([PathElement::new(
                    vec![
                        (i as f64 + 0.5, r.summary.min),
                        (i as f64 + 0.5, r.summary.max),
                    ],
                    BLACK.stroke_width(2),
                )])
                .map_err(|e| fail(&e))?;
        }
    } else {
        let mut chart = builder
            .build_cartesian_2d(0.0..n as f64, 0.0..hi * 1.1)
            .map_err(|e| fail(&e))?;
        chart
            .configure_mesh()
            .x_labels(2 * n + 1)
            .x_label_formatter(&x_label)
            .x_label_style(
                ("sans-serif", 11)
                    .into_font()
                    .transform(FontTransform::Rotate90),
            )
            .disable_x_mesh()
            .draw()
            .map_err(|e| fail(&e))?;
        for (i, r) in rows.iter().enumerate() {
            chart
                .draw_series([bar(i, r.summary.median, 0.0, color_of(r))])
                .map_err(|e| fail(&e))?;
            chart
                .draw_series([PathElement::new(
                    vec![
                        (i as f64 + 0.5, r.summary.min),
                        (i as f64 + 0.5, r.summary.max),
                    ],
                    BLACK.stroke_width(2),
                )])
                .map_err(|e| fail(&e))?;
        }
    }
    root.present().map_err(|e| fail(&e))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(contender: &str, median: f64) -> Row {
        let points = vec![Point {
            value: median,
            ..Point::default()
        }];
        Row {
            group: "P1".into(),
            workload: "echo".into(),
            contender: contender.into(),
            unit: Unit::Micros,
            summary: Summary::of(&points, &mut []),
            points,
        }
    }

    #[test]
    fn ratios_are_jinn_over_the_row_and_files_are_written() {
        let report = Report {
            date: "2026-01-01 00:00 UTC".into(),
            machine: vec![("cpu".into(), "test".into())],
            rounds: 1,
            smoke: true,
            rows: vec![
                row("jinn", 50.0),
                row("wasmtime-tuned", 10.0),
                row("native", 0.5),
            ],
            pending: vec![("P4".into(), "later".into())],
            notes: vec![],
        };
        assert_eq!(report.ratio(&report.rows[1]), Some(5.0));
        let md = report.markdown();
        assert!(md.contains("| echo | wasmtime-tuned | 10.0 µs |"), "{md}");
        assert!(md.contains("5.00×") && md.contains("100.00×") && md.contains("P4: later"));
        let dir = std::env::temp_dir().join(format!("jinn-bench-report-{}", std::process::id()));
        report.write(&dir).unwrap();
        let svg = std::fs::read_to_string(dir.join("p1.svg")).unwrap();
        assert!(svg.contains("<svg") && svg.contains("echo / native"));
        let json: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(dir.join("results.json")).unwrap())
                .unwrap();
        assert_eq!(json["rows"][0]["contender"], "jinn");
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn numbers_keep_three_figures() {
        assert_eq!(num(54321.4), "54,321");
        assert_eq!(num(54.26), "54.3");
        assert_eq!(num(1.234), "1.23");
        assert_eq!(num(0.1234), "0.123");
    }
}
