#include "gradeq/metrics.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <stdexcept>

namespace gradeq::metrics {

namespace {

void atomic_add(std::atomic<double>& a, double by) {
  double old = a.load(std::memory_order_relaxed);
  while (!a.compare_exchange_weak(old, old + by, std::memory_order_relaxed)) {
  }
}

// HELP text escapes backslash and line feed (not double quotes).
std::string escape_help(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '\\') out += "\\\\";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  return out;
}

bool valid_name(const std::string& s, bool label) {
  if (s.empty()) return false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (!label && c == ':') ||
                    (i > 0 && c >= '0' && c <= '9');
    if (!ok) return false;
  }
  return !(label && s.rfind("__", 0) == 0);
}

void header(std::string& out, const std::string& name, const std::string& help, const char* type) {
  out += "# HELP " + name + " " + escape_help(help) + "\n# TYPE " + name + " " + type + "\n";
}

std::string close_labels(const std::string& open) { return open.empty() ? "" : open + "}"; }

}  // namespace

std::string format_value(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[64];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, r.ptr);
}

std::string escape_label_value(const std::string& v) {
  std::string out;
  out.reserve(v.size());
  for (char c : v) {
    if (c == '\\') out += "\\\\";
    else if (c == '"') out += "\\\"";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  return out;
}

void Counter::inc(double by) {
  if (by > 0) atomic_add(value_, by);
}

void Gauge::add(double by) { atomic_add(value_, by); }

Histogram::Histogram(std::vector<double> upper_bounds) : bounds_(std::move(upper_bounds)) {
  if (!std::is_sorted(bounds_.begin(), bounds_.end()) ||
      std::adjacent_find(bounds_.begin(), bounds_.end()) != bounds_.end() ||
      std::any_of(bounds_.begin(), bounds_.end(), [](double b) { return !std::isfinite(b); })) {
    throw std::invalid_argument("histogram bounds must be finite and strictly increasing");
  }
  buckets_ = std::make_unique<std::atomic<std::uint64_t>[]>(bounds_.size() + 1);
  for (std::size_t i = 0; i <= bounds_.size(); ++i) buckets_[i].store(0);
}

void Histogram::observe(double v) {
  // le is "less than or equal": the first bound >= v.
  const auto i = static_cast<std::size_t>(std::lower_bound(bounds_.begin(), bounds_.end(), v) - bounds_.begin());
  buckets_[i].fetch_add(1, std::memory_order_relaxed);
  atomic_add(sum_, v);
}

std::vector<std::uint64_t> Histogram::bucket_counts() const {
  std::vector<std::uint64_t> out(bounds_.size() + 1);
  for (std::size_t i = 0; i < out.size(); ++i) out[i] = buckets_[i].load(std::memory_order_relaxed);
  return out;
}

std::uint64_t Histogram::count() const {
  std::uint64_t n = 0;
  for (auto c : bucket_counts()) n += c;
  return n;
}

std::vector<double> duration_buckets() {
  return {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600};
}

FamilyBase::FamilyBase(std::string name, std::string help, std::vector<std::string> label_names)
    : name_(std::move(name)), help_(std::move(help)), label_names_(std::move(label_names)) {
  if (!valid_name(name_, false)) throw std::invalid_argument("bad metric name: " + name_);
  for (const auto& l : label_names_) {
    if (!valid_name(l, true) || l == "le") throw std::invalid_argument("bad label name: " + l);
  }
}

void FamilyBase::check_arity(const std::vector<std::string>& values) const {
  if (values.size() != label_names_.size()) {
    throw std::invalid_argument(name_ + ": " + std::to_string(label_names_.size()) + " label value(s) expected, got " +
                                std::to_string(values.size()));
  }
}

std::string FamilyBase::label_text(const std::vector<std::string>& values) const {
  std::string out;
  for (std::size_t i = 0; i < values.size(); ++i) {
    out += (i ? "," : "{") + label_names_[i] + "=\"" + escape_label_value(values[i]) + "\"";
  }
  return out;
}

template <>
std::unique_ptr<Counter> Family<Counter>::make() const { return std::make_unique<Counter>(); }
template <>
std::unique_ptr<Gauge> Family<Gauge>::make() const { return std::make_unique<Gauge>(); }
template <>
std::unique_ptr<Histogram> Family<Histogram>::make() const { return std::make_unique<Histogram>(bounds_); }

template <>
void Family<Counter>::render(std::string& out) const {
  header(out, name_, help_, "counter");
  std::lock_guard<std::mutex> lock(mutex_);
  for (const auto& [values, s] : series_) {
    out += name_ + close_labels(label_text(values)) + " " + format_value(s->value()) + "\n";
  }
}

template <>
void Family<Gauge>::render(std::string& out) const {
  header(out, name_, help_, "gauge");
  std::lock_guard<std::mutex> lock(mutex_);
  for (const auto& [values, s] : series_) {
    out += name_ + close_labels(label_text(values)) + " " + format_value(s->value()) + "\n";
  }
}

template <>
void Family<Histogram>::render(std::string& out) const {
  header(out, name_, help_, "histogram");
  std::lock_guard<std::mutex> lock(mutex_);
  for (const auto& [values, s] : series_) {
    const std::string open = label_text(values);
    const std::string le = open.empty() ? "{le=\"" : open + ",le=\"";
    // One snapshot of the buckets: +Inf and _count agree within a scrape.
    const auto counts = s->bucket_counts();
    std::uint64_t cumulative = 0;
    for (std::size_t i = 0; i < counts.size(); ++i) {
      cumulative += counts[i];
      const std::string bound = i < s->upper_bounds().size() ? format_value(s->upper_bounds()[i]) : "+Inf";
      out += name_ + "_bucket" + le + bound + "\"} " + std::to_string(cumulative) + "\n";
    }
    out += name_ + "_sum" + close_labels(open) + " " + format_value(s->sum()) + "\n";
    out += name_ + "_count" + close_labels(open) + " " + std::to_string(cumulative) + "\n";
  }
}

template <typename T>
Family<T>& Registry::add(std::unique_ptr<Family<T>> family) {
  std::lock_guard<std::mutex> lock(mutex_);
  for (const auto& f : families_) {
    if (f->name() == family->name()) throw std::invalid_argument("metric registered twice: " + family->name());
  }
  auto& ref = *family;
  families_.push_back(std::move(family));
  return ref;
}

Family<Counter>& Registry::counter(const std::string& name, const std::string& help,
                                   std::vector<std::string> label_names) {
  return add(std::make_unique<Family<Counter>>(name, help, std::move(label_names)));
}

Family<Gauge>& Registry::gauge(const std::string& name, const std::string& help,
                               std::vector<std::string> label_names) {
  return add(std::make_unique<Family<Gauge>>(name, help, std::move(label_names)));
}

Family<Histogram>& Registry::histogram(const std::string& name, const std::string& help,
                                       std::vector<std::string> label_names, std::vector<double> upper_bounds) {
  Histogram check(upper_bounds);  // bad bounds fail here, not at the first series
  return add(std::make_unique<Family<Histogram>>(name, help, std::move(label_names), std::move(upper_bounds)));
}

std::string Registry::render() const {
  std::lock_guard<std::mutex> lock(mutex_);
  std::string out;
  for (const auto& f : families_) f->render(out);
  return out;
}

}  // namespace gradeq::metrics
