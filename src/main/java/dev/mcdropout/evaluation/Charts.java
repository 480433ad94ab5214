package dev.mcdropout.evaluation;

import dev.mcdropout.system.ProblemException;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Locale;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.VectorGraphicsEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;

/**
 * Line charts drawn by XChart, encoded as PNG (Java2D, headless) or SVG (VectorGraphics2D). Every chart has a
 * title, axis titles with units and a legend. No display is needed: {@code java.awt.headless} is set before
 * the first chart is drawn (Spring Boot sets it too), so this works in the jar and in a container.
 */
final class Charts {

    static final int DEFAULT_WIDTH = 800;
    static final int DEFAULT_HEIGHT = 500;
    static final int MIN_SIZE = 200;
    static final int MAX_SIZE = 3000;
    static final String SVG = "image/svg+xml";

    static {
        if (System.getProperty("java.awt.headless") == null) {
            System.setProperty("java.awt.headless", "true");
        }
    }

    private Charts() {
    }

    /** One line: x and y values and whether it is a reference (dashed, no markers). */
    record Line(String name, double[] x, double[] y, boolean reference) {

        static Line of(String name, List<Double> y) {
            double[] xs = new double[y.size()];
            double[] ys = new double[y.size()];
            for (int i = 0; i < xs.length; i++) {
                xs[i] = i + 1;
                ys[i] = y.get(i);
            }
            return new Line(name, xs, ys, false);
        }
    }

    /** What a plot request asked for, checked. */
    record Format(boolean svg, int width, int height) {

        static Format of(String format, Integer width, Integer height) {
            boolean svg;
            if (format == null || format.equalsIgnoreCase("png")) {
                svg = false;
            } else if (format.equalsIgnoreCase("svg")) {
                svg = true;
            } else {
                throw invalid("format", "format must be png or svg, got '" + abbreviate(format) + "'");
            }
            return new Format(svg, size("width", width, DEFAULT_WIDTH), size("height", height, DEFAULT_HEIGHT));
        }

        private static int size(String name, Integer value, int fallback) {
            if (value == null) {
                return fallback;
            }
            if (value < MIN_SIZE || value > MAX_SIZE) {
                throw invalid(name, name + " must be between " + MIN_SIZE + " and " + MAX_SIZE + " pixels, got " + value);
            }
            return value;
        }
    }

    static ProblemException invalid(String parameter, String detail) {
        return new ProblemException(HttpStatus.BAD_REQUEST, "invalid-parameter", "Invalid parameter", detail,
                List.of(parameter));
    }

    static ProblemException nothingToPlot(String detail) {
        return new ProblemException(HttpStatus.CONFLICT, "nothing-to-plot", "Nothing to plot yet", detail);
    }

    static XYChart chart(Format format, String title, String xTitle, String yTitle, List<Line> lines) {
        XYChart chart = new XYChartBuilder().width(format.width()).height(format.height()).title(title)
                .xAxisTitle(xTitle).yAxisTitle(yTitle).build();
        Styler styler = chart.getStyler();
        styler.setChartBackgroundColor(Color.WHITE);
        styler.setPlotBackgroundColor(Color.WHITE);
        styler.setLegendVisible(true);
        styler.setLegendPosition(Styler.LegendPosition.OutsideE);
        styler.setChartTitleFont(new Font(Font.SANS_SERIF, Font.BOLD, 15));
        styler.setAntiAlias(true);
        chart.getStyler().setMarkerSize(5);
        chart.getStyler().setPlotGridLinesColor(new Color(225, 225, 225));
        chart.getStyler().setDecimalPattern("#0.###");
        for (Line line : lines) {
            XYSeries series = chart.addSeries(line.name(), line.x(), line.y());
            if (line.reference()) {
                series.setMarker(SeriesMarkers.NONE);
                series.setLineColor(Color.GRAY);
                series.setLineStyle(new BasicStroke(1.2f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f,
                        new float[] {6f, 4f}, 0f));
            } else if (line.x().length > 60) {
                series.setMarker(SeriesMarkers.NONE);
            }
        }
        return chart;
    }

    static ResponseEntity<byte[]> respond(XYChart chart, Format format, String filename) {
        try {
            ByteArrayOutputStream out = new ByteArrayOutputStream(64 * 1024);
            if (format.svg()) {
                VectorGraphicsEncoder.saveVectorGraphic(chart, out, VectorGraphicsEncoder.VectorGraphicsFormat.SVG);
            } else {
                BitmapEncoder.saveBitmap(chart, out, BitmapEncoder.BitmapFormat.PNG);
            }
            return ResponseEntity.ok()
                    .contentType(format.svg() ? MediaType.parseMediaType(SVG) : MediaType.IMAGE_PNG)
                    .header("Content-Disposition", "inline; filename=\"" + filename + (format.svg() ? ".svg" : ".png") + "\"")
                    .header("Cache-Control", "no-store")
                    .body(out.toByteArray());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static String abbreviate(String s) {
        return s.length() <= 40 ? s : s.substring(0, 40) + "...";
    }

    static String fmt(double v) {
        return String.format(Locale.ROOT, "%.4f", v);
    }
}
