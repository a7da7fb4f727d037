// Small statistics for the benchmark's figures.
#pragma once

#include <algorithm>
#include <cmath>
#include <vector>

namespace gradeq::bench {

// The p-th percentile (0..100) by the nearest-rank method; NaN for no samples.
inline double percentile(std::vector<double> xs, double p) {
  if (xs.empty()) return std::nan("");
  std::sort(xs.begin(), xs.end());
  const auto rank = static_cast<std::size_t>(std::ceil(p / 100.0 * static_cast<double>(xs.size())));
  return xs[std::min(xs.size() - 1, rank == 0 ? 0 : rank - 1)];
}

inline double median(std::vector<double> xs) {
  if (xs.empty()) return std::nan("");
  std::sort(xs.begin(), xs.end());
  const std::size_t n = xs.size();
  return n % 2 ? xs[n / 2] : (xs[n / 2 - 1] + xs[n / 2]) / 2;
}

// Rounded to `digits` decimals, for printing.
inline double round_to(double x, int digits) {
  const double f = std::pow(10.0, digits);
  return std::round(x * f) / f;
}

}  // namespace gradeq::bench
