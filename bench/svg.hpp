// A line chart as a standalone SVG document (no library: a few dozen elements).
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace gradeq::bench {

struct Series {
  std::string name;
  std::vector<std::pair<double, double>> points;  // (x, y), drawn in this order
};

struct Chart {
  std::string title;
  std::string x_label;
  std::string y_label;
  std::vector<std::pair<double, std::string>> x_ticks;  // where the x axis is labelled, and how
  std::vector<Series> series;
  struct Reference {
    std::string name;
    double y;
  };
  std::vector<Reference> references;  // horizontal dashed lines
};

std::string to_svg(const Chart& chart);

}  // namespace gradeq::bench
