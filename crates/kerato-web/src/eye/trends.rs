//! The trend charts of a patient's exams: SVG polylines per eye, with the
//! same values as a table.

use kerato_app::eye::TrendPoint;

/// One trend chart: an SVG polyline per eye, and the same values as a
/// table for screen readers and for reading exact numbers.
pub(super) struct TrendChart {
    pub title: &'static str,
    /// `points` attributes of the OD and OS polylines.
    pub lines: [String; 2],
    /// Axis labels: (y, text).
    pub ticks: Vec<(i64, String)>,
    pub rows: Vec<(String, String, String)>,
}

const CHART_W: f64 = 560.0;
const CHART_H: f64 = 160.0;

/// Scales `values` (per exam, per eye) into polylines, `lo` at the bottom
/// and `hi` at the top; `hi` may be the smaller number (logMAR, where
/// lower is better vision and is drawn higher).
fn trend_chart<T: Copy + Into<f64>>(
    title: &'static str,
    dates: &[String],
    values: &[[Option<T>; 2]],
    (lo, hi): (f64, f64),
    show: impl Fn(T) -> String,
) -> Option<TrendChart> {
    if values.iter().all(|v| v.iter().all(Option::is_none)) {
        return None;
    }
    let n = values.len().max(2) as f64 - 1.0;
    let (min, max) = (lo.min(hi), lo.max(hi));
    let y_of = |v: f64| 10.0 + (CHART_H - 20.0) * (hi - v.clamp(min, max)) / (hi - lo);
    let mut lines = [String::new(), String::new()];
    for (i, v) in values.iter().enumerate() {
        let x = 40.0 + (CHART_W - 60.0) * i as f64 / n;
        for eye in 0..2 {
            if let Some(value) = v[eye] {
                lines[eye].push_str(&format!("{x:.1},{:.1} ", y_of(value.into())));
            }
        }
    }
    let ticks = (0..=4)
        .map(|k| {
            let v = lo + (hi - lo) * f64::from(k) / 4.0;
            (y_of(v).round() as i64, format!("{v:.1}"))
        })
        .collect();
    let cell = |v: Option<T>| v.map(&show).unwrap_or_else(|| "—".into());
    Some(TrendChart {
        title,
        lines,
        ticks,
        rows: dates
            .iter()
            .zip(values)
            .map(|(d, v)| (d.clone(), cell(v[0]), cell(v[1])))
            .collect(),
    })
}

/// The acuity and pressure charts of `trends`, each left out when it has
/// no value.
pub(super) fn charts(trends: &[TrendPoint]) -> Vec<TrendChart> {
    let dates: Vec<String> = trends.iter().map(|t| t.date.clone()).collect();
    let acuity: Vec<[Option<f64>; 2]> = trends.iter().map(|t| t.log_mar).collect();
    let pressure: Vec<[Option<i32>; 2]> = trends
        .iter()
        .map(|t| t.iop.map(|p| p.and_then(|v| i32::try_from(v).ok())))
        .collect();
    // logMAR runs from -0.3 (20/10) to 1.0 (20/200), drawn with better
    // vision higher; pressure from 0 to 40 mmHg.
    [
        trend_chart(
            "Visual acuity (logMAR; lower is better)",
            &dates,
            &acuity,
            (1.0, -0.3),
            |v| format!("{v:.2}"),
        ),
        trend_chart(
            "Intraocular pressure (mmHg)",
            &dates,
            &pressure,
            (0.0, 40.0),
            |v| v.to_string(),
        ),
    ]
    .into_iter()
    .flatten()
    .collect()
}
