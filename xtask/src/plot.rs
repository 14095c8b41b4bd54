//! SVG plots for the report: line/scatter plots with linear or log axes, and category
//! maps (which variant overflowed on a grid of inputs). Drawn with `plotters`; every plot
//! has a title, axis labels with units, and a legend beside the chart so that it never
//! covers data.
//!
//! Log axes are drawn by plotting log10 of the data on a linear axis and labelling the
//! ticks as powers of ten: one code path for all four axis combinations.

use anyhow::{Context, bail};
use plotters::coord::Shift;
use plotters::prelude::*;

use crate::claim::fmt_num;

const WIDTH: u32 = 860;
const HEIGHT: u32 = 500;
const LEGEND_WIDTH: u32 = 250;

/// Axis scale.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scale {
    /// Linear.
    Linear,
    /// Base-10 logarithmic; non-positive values are left out.
    Log,
}

/// How a series is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mark {
    /// Line through the points, with a dot at each.
    LinePoints,
    /// Dots only.
    Points,
    /// Dashed line, no dots (fits, references).
    Dashed,
}

/// One named series.
#[derive(Debug, Clone)]
pub struct Series {
    /// Legend text.
    pub label: String,
    /// (x, y) points; non-finite ones are left out.
    pub points: Vec<(f64, f64)>,
    /// How to draw it.
    pub mark: Mark,
    /// Palette index to draw with (default: the series' position), e.g. a fit drawn in
    /// the colour of its data.
    pub color: Option<usize>,
}

impl Series {
    /// A series drawn as a line with dots.
    pub fn line(label: impl Into<String>, points: Vec<(f64, f64)>) -> Self {
        Self {
            label: label.into(),
            points,
            mark: Mark::LinePoints,
            color: None,
        }
    }

    /// A series drawn as dots.
    pub fn points(label: impl Into<String>, points: Vec<(f64, f64)>) -> Self {
        Self {
            label: label.into(),
            points,
            mark: Mark::Points,
            color: None,
        }
    }

    /// Draws the series in the colour of palette entry `index` (e.g. the series a fit
    /// belongs to).
    #[must_use]
    pub fn colored(mut self, index: usize) -> Self {
        self.color = Some(index);
        self
    }

    /// A series drawn dashed.
    pub fn dashed(label: impl Into<String>, points: Vec<(f64, f64)>) -> Self {
        Self {
            label: label.into(),
            points,
            mark: Mark::Dashed,
            color: None,
        }
    }
}

/// A line or scatter plot.
#[derive(Debug, Clone)]
pub struct LinePlot {
    /// Title above the chart.
    pub title: String,
    /// x-axis label with unit.
    pub x_label: String,
    /// y-axis label with unit.
    pub y_label: String,
    /// x scale.
    pub x_scale: Scale,
    /// y scale.
    pub y_scale: Scale,
    /// The data.
    pub series: Vec<Series>,
}

impl LinePlot {
    /// A plot with no series yet.
    pub fn new(
        title: impl Into<String>,
        x_label: impl Into<String>,
        y_label: impl Into<String>,
        x_scale: Scale,
        y_scale: Scale,
    ) -> Self {
        Self {
            title: title.into(),
            x_label: x_label.into(),
            y_label: y_label.into(),
            x_scale,
            y_scale,
            series: Vec::new(),
        }
    }

    /// Adds a series.
    #[must_use]
    pub fn with(mut self, series: Series) -> Self {
        self.series.push(series);
        self
    }

    /// Renders the plot as an SVG document.
    ///
    /// # Errors
    /// When no series has a point that can be drawn on these scales, or plotters fails.
    pub fn svg(&self) -> anyhow::Result<String> {
        // (palette index, series, drawable points in axis coordinates)
        let series: Vec<_> = self
            .series
            .iter()
            .enumerate()
            .map(|(i, s)| (i, s, self.transformed(&s.points)))
            .collect::<Vec<(usize, &Series, Vec<(f64, f64)>)>>();
        let all: Vec<(f64, f64)> = series
            .iter()
            .flat_map(|(_, _, p)| p.iter().copied())
            .collect();
        if all.is_empty() {
            bail!("plot '{}' has no finite point to draw", self.title);
        }
        let xr = padded_range(all.iter().map(|p| p.0), self.x_scale);
        let yr = padded_range(all.iter().map(|p| p.1), self.y_scale);

        let mut out = String::new();
        {
            let root = SVGBackend::with_string(&mut out, (WIDTH, HEIGHT)).into_drawing_area();
            root.fill(&WHITE).map_err(plot_err)?;
            let (chart_area, legend_area) = root.split_horizontally(WIDTH - LEGEND_WIDTH);
            let mut chart = ChartBuilder::on(&chart_area)
                .caption(&self.title, ("sans-serif", 18))
                .margin(12)
                .x_label_area_size(48)
                .y_label_area_size(72)
                .build_cartesian_2d(xr.0..xr.1, yr.0..yr.1)
                .map_err(plot_err)?;
            let (x_scale, y_scale) = (self.x_scale, self.y_scale);
            let x_fmt = move |v: &f64| tick_label(*v, x_scale, xr);
            let y_fmt = move |v: &f64| tick_label(*v, y_scale, yr);
            chart
                .configure_mesh()
                .x_desc(&self.x_label)
                .y_desc(&self.y_label)
                .x_labels(label_count(xr, self.x_scale))
                .y_labels(label_count(yr, self.y_scale))
                .x_label_formatter(&x_fmt)
                .y_label_formatter(&y_fmt)
                .bold_line_style(RGBColor(215, 215, 215))
                .light_line_style(RGBColor(245, 245, 245))
                .max_light_lines(3)
                .label_style(("sans-serif", 13))
                .axis_desc_style(("sans-serif", 14))
                .draw()
                .map_err(plot_err)?;
            for (i, s, points) in &series {
                let color = palette(s.color.unwrap_or(*i));
                match s.mark {
                    Mark::LinePoints => {
                        chart
                            .draw_series(LineSeries::new(points.clone(), color.stroke_width(2)))
                            .map_err(plot_err)?;
                        chart
                            .draw_series(points.iter().map(|p| Circle::new(*p, 3, color.filled())))
                            .map_err(plot_err)?;
                    }
                    Mark::Points => {
                        chart
                            .draw_series(points.iter().map(|p| Circle::new(*p, 4, color.filled())))
                            .map_err(plot_err)?;
                    }
                    Mark::Dashed => {
                        chart
                            .draw_series(DashedLineSeries::new(
                                points.clone(),
                                6,
                                4,
                                color.stroke_width(2),
                            ))
                            .map_err(plot_err)?;
                    }
                }
            }
            let entries: Vec<(String, RGBColor, Mark)> = series
                .iter()
                .map(|(i, s, p)| {
                    let missing = s.points.len() - p.len();
                    let label = if missing == 0 {
                        s.label.clone()
                    } else {
                        format!("{} ({missing} not drawn)", s.label)
                    };
                    (label, palette(s.color.unwrap_or(*i)), s.mark)
                })
                .collect();
            draw_legend(&legend_area, &entries)?;
            root.present().map_err(plot_err)?;
        }
        Ok(out)
    }

    /// The points that can be drawn, mapped to log10 where the axis is logarithmic.
    fn transformed(&self, points: &[(f64, f64)]) -> Vec<(f64, f64)> {
        points
            .iter()
            .filter_map(|&(x, y)| {
                Some((axis_value(x, self.x_scale)?, axis_value(y, self.y_scale)?))
            })
            .collect()
    }
}

/// A grid of cells, each in one category (e.g. which attention variants overflowed).
#[derive(Debug, Clone)]
pub struct CategoryMap {
    /// Title above the chart.
    pub title: String,
    /// x-axis label with unit.
    pub x_label: String,
    /// y-axis label with unit.
    pub y_label: String,
    /// Label of each column.
    pub x_ticks: Vec<String>,
    /// Label of each row (bottom to top).
    pub y_ticks: Vec<String>,
    /// Category names with their colours (r, g, b).
    pub categories: Vec<(String, (u8, u8, u8))>,
    /// (column, row, category index) of each filled cell.
    pub cells: Vec<(usize, usize, usize)>,
}

impl CategoryMap {
    /// Renders the map as an SVG document.
    ///
    /// # Errors
    /// When a cell is outside the grid or names an unknown category, or plotters fails.
    pub fn svg(&self) -> anyhow::Result<String> {
        let (nx, ny) = (self.x_ticks.len(), self.y_ticks.len());
        for &(x, y, c) in &self.cells {
            if x >= nx || y >= ny || c >= self.categories.len() {
                bail!(
                    "cell ({x}, {y}) of category {c} is outside the {nx} x {ny} map '{}'",
                    self.title
                );
            }
        }
        if nx == 0 || ny == 0 {
            bail!("map '{}' has no rows or no columns", self.title);
        }
        let last = |n: usize| i32::try_from(n - 1).context("map too large to draw");
        let (x_last, y_last) = (last(nx)?, last(ny)?);
        let mut out = String::new();
        {
            let root = SVGBackend::with_string(&mut out, (WIDTH, HEIGHT)).into_drawing_area();
            root.fill(&WHITE).map_err(plot_err)?;
            let (chart_area, legend_area) = root.split_horizontally(WIDTH - LEGEND_WIDTH);
            // Segmented 0..=last: one segment per column/row, labelled at its centre.
            let mut chart = ChartBuilder::on(&chart_area)
                .caption(&self.title, ("sans-serif", 18))
                .margin(12)
                .x_label_area_size(48)
                .y_label_area_size(72)
                .build_cartesian_2d((0..x_last).into_segmented(), (0..y_last).into_segmented())
                .map_err(plot_err)?;
            let x_fmt = |v: &SegmentValue<i32>| segment_label(v, &self.x_ticks);
            let y_fmt = |v: &SegmentValue<i32>| segment_label(v, &self.y_ticks);
            chart
                .configure_mesh()
                .disable_mesh()
                .x_desc(&self.x_label)
                .y_desc(&self.y_label)
                .x_labels(nx)
                .y_labels(ny)
                .x_label_formatter(&x_fmt)
                .y_label_formatter(&y_fmt)
                .label_style(("sans-serif", 13))
                .axis_desc_style(("sans-serif", 14))
                .draw()
                .map_err(plot_err)?;
            let cell = |x: usize, y: usize| {
                let (x, y) = (x as i32, y as i32);
                [
                    (SegmentValue::Exact(x), SegmentValue::Exact(y)),
                    (SegmentValue::Exact(x + 1), SegmentValue::Exact(y + 1)),
                ]
            };
            let cells = self.cells.iter().map(|&(x, y, c)| {
                let (r, g, b) = self.categories[c].1;
                Rectangle::new(cell(x, y), RGBColor(r, g, b).filled())
            });
            chart.draw_series(cells).map_err(plot_err)?;
            let borders = self
                .cells
                .iter()
                .map(|&(x, y, _)| Rectangle::new(cell(x, y), WHITE.stroke_width(2)));
            chart.draw_series(borders).map_err(plot_err)?;
            let entries: Vec<(String, RGBColor, Mark)> = self
                .categories
                .iter()
                .map(|(name, (r, g, b))| (name.clone(), RGBColor(*r, *g, *b), Mark::Points))
                .collect();
            draw_legend(&legend_area, &entries)?;
            root.present().map_err(plot_err)?;
        }
        Ok(out)
    }
}

fn plot_err<E: std::error::Error + Send + Sync + 'static>(e: E) -> anyhow::Error {
    anyhow::Error::new(e).context("drawing an SVG plot")
}

fn axis_value(v: f64, scale: Scale) -> Option<f64> {
    match scale {
        Scale::Linear => v.is_finite().then_some(v),
        Scale::Log => (v.is_finite() && v > 0.0).then(|| v.log10()),
    }
}

/// The data range with a margin; at least a small span so that flat data still draws.
fn padded_range(values: impl Iterator<Item = f64>, scale: Scale) -> (f64, f64) {
    let (lo, hi) = values.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
        (lo.min(v), hi.max(v))
    });
    let span = hi - lo;
    let pad = match scale {
        Scale::Linear if span > 0.0 => 0.06 * span,
        Scale::Linear => 0.5 * lo.abs().max(1.0),
        Scale::Log => (0.06 * span).max(0.15),
    };
    (lo - pad, hi + pad)
}

/// Short log ranges (under this many decades) get 1-2-5 labels, longer ones decades only.
const SHORT_LOG_SPAN: f64 = 2.5;

fn label_count(range: (f64, f64), scale: Scale) -> usize {
    let span = range.1 - range.0;
    match scale {
        Scale::Linear => 8,
        // Ask for key points every 0.1 decade, where 10^v lands within 0.5% of 1, 2 and 5.
        Scale::Log if span < SHORT_LOG_SPAN => (span * 10.0).ceil() as usize + 1,
        // One label per decade, at most 12.
        Scale::Log => (span.ceil() as usize + 1).clamp(4, 12),
    }
}

fn tick_label(v: f64, scale: Scale, range: (f64, f64)) -> String {
    match scale {
        Scale::Linear => fmt_num(v),
        Scale::Log if range.1 - range.0 < SHORT_LOG_SPAN => {
            let k = v.floor();
            let mantissa = 10f64.powf(v - k);
            [1.0, 2.0, 5.0, 10.0]
                .into_iter()
                .find(|m| (mantissa / m - 1.0).abs() < 5e-3)
                .map_or_else(String::new, |m| fmt_num(m * 10f64.powf(k)))
        }
        Scale::Log => {
            let k = v.round();
            if (v - k).abs() < 1e-9 {
                power_of_ten(k as i32)
            } else {
                String::new()
            }
        }
    }
}

/// "10³", "10⁻⁵", "1", "10".
fn power_of_ten(k: i32) -> String {
    const SUPERSCRIPT: [char; 10] = ['⁰', '¹', '²', '³', '⁴', '⁵', '⁶', '⁷', '⁸', '⁹'];
    match k {
        0 => "1".to_owned(),
        1 => "10".to_owned(),
        _ => {
            let mut s = String::from("10");
            if k < 0 {
                s.push('⁻');
            }
            for d in k.unsigned_abs().to_string().bytes() {
                s.push(SUPERSCRIPT[usize::from(d - b'0')]);
            }
            s
        }
    }
}

fn segment_label(v: &SegmentValue<i32>, ticks: &[String]) -> String {
    match v {
        SegmentValue::CenterOf(i) => usize::try_from(*i)
            .ok()
            .and_then(|i| ticks.get(i))
            .cloned()
            .unwrap_or_default(),
        _ => String::new(),
    }
}

/// Colour-blind-friendly palette (Okabe-Ito, then Tableau).
fn palette(i: usize) -> RGBColor {
    const COLORS: [(u8, u8, u8); 10] = [
        (0, 114, 178),
        (213, 94, 0),
        (0, 158, 115),
        (204, 121, 167),
        (230, 159, 0),
        (86, 180, 233),
        (0, 0, 0),
        (240, 228, 66),
        (148, 103, 189),
        (140, 86, 75),
    ];
    let (r, g, b) = COLORS[i % COLORS.len()];
    RGBColor(r, g, b)
}

/// Characters per legend line: what fits in [`LEGEND_WIDTH`] at 13 px after the marker.
const LEGEND_LINE_CHARS: usize = 30;

/// `label` broken at spaces into lines of at most [`LEGEND_LINE_CHARS`] (a longer word
/// keeps its own line).
fn legend_lines(label: &str) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    for word in label.split_whitespace() {
        match lines.last_mut() {
            Some(line) if line.chars().count() + 1 + word.chars().count() <= LEGEND_LINE_CHARS => {
                line.push(' ');
                line.push_str(word);
            }
            _ => lines.push(word.to_owned()),
        }
    }
    lines
}

fn draw_legend(
    area: &DrawingArea<SVGBackend<'_>, Shift>,
    entries: &[(String, RGBColor, Mark)],
) -> anyhow::Result<()> {
    let style = ("sans-serif", 13).into_font().color(&BLACK);
    let mut y = 60;
    for (label, color, mark) in entries {
        match mark {
            Mark::LinePoints => {
                area.draw(&PathElement::new(
                    vec![(8, y), (32, y)],
                    color.stroke_width(2),
                ))
                .map_err(plot_err)?;
                area.draw(&Circle::new((20, y), 3, color.filled()))
                    .map_err(plot_err)?;
            }
            Mark::Points => {
                area.draw(&Rectangle::new([(12, y - 6), (28, y + 6)], color.filled()))
                    .map_err(plot_err)?;
            }
            Mark::Dashed => {
                for x0 in [8, 18, 28] {
                    area.draw(&PathElement::new(
                        vec![(x0, y), (x0 + 6, y)],
                        color.stroke_width(2),
                    ))
                    .map_err(plot_err)?;
                }
            }
        }
        for line in legend_lines(label) {
            area.draw(&Text::new(line, (40, y - 7), style.clone()))
                .map_err(plot_err)?;
            y += 16;
        }
        y += 8;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_legend_labels_wrap_at_spaces() {
        let label = "CoLT matvec, non-uniform support, f64 (slope 1.02)";
        let lines = legend_lines(label);
        assert!(lines.len() > 1);
        assert!(lines.iter().all(|l| l.chars().count() <= LEGEND_LINE_CHARS));
        assert_eq!(lines.join(" "), label);
        assert_eq!(legend_lines("short"), ["short"]);
    }

    #[test]
    fn log_log_plot_has_title_labels_and_legend() {
        let plot = LinePlot::new(
            "time vs N",
            "N (points)",
            "time (s)",
            Scale::Log,
            Scale::Log,
        )
        .with(Series::line(
            "FS-1",
            vec![(1e3, 1e-5), (1e4, 1e-4), (1e6, 1e-2)],
        ))
        .with(Series::dashed(
            "fit, slope 1.00",
            vec![(1e3, 1e-5), (1e5, 1e-3)],
        ))
        .with(Series::points("skipped", vec![(0.0, 1.0), (1e4, f64::NAN)]));
        let svg = plot.svg().expect("plot renders");
        for text in [
            "time vs N",
            "N (points)",
            "time (s)",
            "FS-1",
            "fit, slope 1.00",
            "10⁴",
        ] {
            assert!(svg.contains(text), "SVG lacks {text:?}");
        }
        assert!(
            svg.contains("skipped (2 not drawn)"),
            "undrawable points are counted"
        );
    }

    #[test]
    fn empty_plot_is_an_error() {
        let plot = LinePlot::new("t", "x", "y", Scale::Log, Scale::Linear)
            .with(Series::line("neg", vec![(-1.0, 1.0)]));
        assert!(plot.svg().is_err());
    }

    #[test]
    fn category_map_draws_and_checks_bounds() {
        let mut map = CategoryMap {
            title: "overflow".to_owned(),
            x_label: "amplitude".to_owned(),
            y_label: "bias".to_owned(),
            x_ticks: vec!["1".to_owned(), "2".to_owned()],
            y_ticks: vec!["0".to_owned(), "50".to_owned()],
            categories: vec![
                ("none".to_owned(), (200, 200, 200)),
                ("FP16".to_owned(), (200, 0, 0)),
            ],
            cells: vec![(0, 0, 0), (1, 1, 1)],
        };
        let svg = map.svg().expect("map renders");
        assert!(svg.contains("overflow") && svg.contains("FP16"));
        map.cells.push((2, 0, 0));
        assert!(map.svg().is_err());
    }

    #[test]
    fn short_log_ranges_label_one_two_five() {
        let range = (-0.4, 1.0);
        let label = |x: f64| tick_label(x.log10(), Scale::Log, range);
        assert_eq!(label(0.5), "0.5");
        assert_eq!(label(2.0), "2");
        assert_eq!(label(5.0), "5");
        assert_eq!(label(10.0), "10");
        assert_eq!(label(3.0), "");
    }

    #[test]
    fn powers_of_ten_use_superscripts() {
        assert_eq!(power_of_ten(3), "10³");
        assert_eq!(power_of_ten(-12), "10⁻¹²");
        assert_eq!(power_of_ten(0), "1");
    }
}
