#include "svg.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>

namespace gradeq::bench {

namespace {

constexpr double kWidth = 720, kHeight = 440;
constexpr double kLeft = 70, kRight = 200, kTop = 50, kBottom = 60;
const char* const kColours[] = {"#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b"};

std::string escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '&') out += "&amp;";
    else if (c == '<') out += "&lt;";
    else if (c == '>') out += "&gt;";
    else out += c;
  }
  return out;
}

std::string num(double x) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", x);
  return buf;
}

std::string label(double x) {
  char buf[32];
  std::snprintf(buf, sizeof buf, std::fabs(x - std::round(x)) < 1e-9 ? "%.0f" : "%.1f", x);
  return buf;
}

// A "nice" step (1, 2 or 5 times a power of ten) giving about `ticks` intervals up to `max`.
double nice_step(double max, int ticks) {
  const double raw = max / ticks;
  const double p = std::pow(10.0, std::floor(std::log10(raw)));
  for (double m : {1.0, 2.0, 5.0, 10.0}) {
    if (m * p >= raw) return m * p;
  }
  return 10 * p;
}

}  // namespace

std::string to_svg(const Chart& chart) {
  double x_min = 1e300, x_max = -1e300, y_max = 0;
  for (const auto& s : chart.series) {
    for (const auto& [x, y] : s.points) {
      x_min = std::min(x_min, x);
      x_max = std::max(x_max, x);
      y_max = std::max(y_max, y);
    }
  }
  for (const auto& [x, text] : chart.x_ticks) {
    x_min = std::min(x_min, x);
    x_max = std::max(x_max, x);
  }
  for (const auto& r : chart.references) y_max = std::max(y_max, r.y);
  if (x_min > x_max) x_min = 0, x_max = 1;
  if (x_max == x_min) x_max = x_min + 1;
  const double step = nice_step(y_max > 0 ? y_max * 1.05 : 1, 5);
  const double y_top = step * std::ceil((y_max > 0 ? y_max * 1.05 : 1) / step);
  const double plot_w = kWidth - kLeft - kRight, plot_h = kHeight - kTop - kBottom;
  auto px = [&](double x) { return kLeft + (x - x_min) / (x_max - x_min) * plot_w; };
  auto py = [&](double y) { return kTop + plot_h - y / y_top * plot_h; };

  std::ostringstream o;
  o << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << kWidth << "\" height=\"" << kHeight
    << "\" viewBox=\"0 0 " << kWidth << " " << kHeight << "\" font-family=\"sans-serif\" font-size=\"12\">\n"
    << "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
    << "<text x=\"" << kWidth / 2 << "\" y=\"24\" text-anchor=\"middle\" font-size=\"15\">" << escape(chart.title)
    << "</text>\n";
  for (double y = 0; y <= y_top + 1e-9; y += step) {
    o << "<line x1=\"" << kLeft << "\" x2=\"" << kLeft + plot_w << "\" y1=\"" << num(py(y)) << "\" y2=\""
      << num(py(y)) << "\" stroke=\"#ddd\"/>\n"
      << "<text x=\"" << kLeft - 8 << "\" y=\"" << num(py(y) + 4) << "\" text-anchor=\"end\">" << label(y)
      << "</text>\n";
  }
  for (const auto& [x, text] : chart.x_ticks) {
    o << "<line x1=\"" << num(px(x)) << "\" x2=\"" << num(px(x)) << "\" y1=\"" << kTop + plot_h << "\" y2=\""
      << kTop + plot_h + 5 << "\" stroke=\"black\"/>\n"
      << "<text x=\"" << num(px(x)) << "\" y=\"" << kTop + plot_h + 20 << "\" text-anchor=\"middle\">" << escape(text)
      << "</text>\n";
  }
  o << "<line x1=\"" << kLeft << "\" x2=\"" << kLeft << "\" y1=\"" << kTop << "\" y2=\"" << kTop + plot_h
    << "\" stroke=\"black\"/>\n"
    << "<line x1=\"" << kLeft << "\" x2=\"" << kLeft + plot_w << "\" y1=\"" << kTop + plot_h << "\" y2=\""
    << kTop + plot_h << "\" stroke=\"black\"/>\n"
    << "<text x=\"" << kLeft + plot_w / 2 << "\" y=\"" << kHeight - 18 << "\" text-anchor=\"middle\">"
    << escape(chart.x_label) << "</text>\n"
    << "<text transform=\"translate(20 " << kTop + plot_h / 2 << ") rotate(-90)\" text-anchor=\"middle\">"
    << escape(chart.y_label) << "</text>\n";

  double legend_y = kTop + 10;
  std::size_t colour = 0;
  for (const auto& r : chart.references) {
    o << "<line x1=\"" << kLeft << "\" x2=\"" << kLeft + plot_w << "\" y1=\"" << num(py(r.y)) << "\" y2=\""
      << num(py(r.y)) << "\" stroke=\"#555\" stroke-dasharray=\"6 4\"/>\n"
      << "<line x1=\"" << kWidth - kRight + 15 << "\" x2=\"" << kWidth - kRight + 40 << "\" y1=\"" << legend_y
      << "\" y2=\"" << legend_y << "\" stroke=\"#555\" stroke-dasharray=\"6 4\"/>\n"
      << "<text x=\"" << kWidth - kRight + 46 << "\" y=\"" << legend_y + 4 << "\">" << escape(r.name) << "</text>\n";
    legend_y += 20;
  }
  for (const auto& s : chart.series) {
    const char* c = kColours[colour++ % (sizeof kColours / sizeof *kColours)];
    std::string points;
    for (const auto& [x, y] : s.points) points += num(px(x)) + "," + num(py(y)) + " ";
    o << "<polyline fill=\"none\" stroke=\"" << c << "\" stroke-width=\"2\" points=\"" << points << "\"/>\n";
    for (const auto& [x, y] : s.points) {
      o << "<circle cx=\"" << num(px(x)) << "\" cy=\"" << num(py(y)) << "\" r=\"3.5\" fill=\"" << c << "\"/>\n";
    }
    o << "<line x1=\"" << kWidth - kRight + 15 << "\" x2=\"" << kWidth - kRight + 40 << "\" y1=\"" << legend_y
      << "\" y2=\"" << legend_y << "\" stroke=\"" << c << "\" stroke-width=\"2\"/>\n"
      << "<text x=\"" << kWidth - kRight + 46 << "\" y=\"" << legend_y + 4 << "\">" << escape(s.name) << "</text>\n";
    legend_y += 20;
  }
  o << "</svg>\n";
  return o.str();
}

}  // namespace gradeq::bench
