// Metrics: counters, gauges and histograms with labels, rendered in the Prometheus text
// exposition format 0.0.4 (https://prometheus.io/docs/instrumenting/exposition_formats/).
//
// Updating a series is lock-free (atomics); finding a series by its label values takes a
// family's mutex, so hot paths keep the reference: series live as long as their registry and
// never move. Families render in registration order, series in label order.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace gradeq::metrics {

class Counter {
 public:
  void inc(double by = 1);  // by >= 0 (a negative step is ignored: counters only go up)
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

class Gauge {
 public:
  void set(double v) { value_.store(v, std::memory_order_relaxed); }
  void add(double by);
  void inc() { add(1); }
  void dec() { add(-1); }
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

class Histogram {
 public:
  explicit Histogram(std::vector<double> upper_bounds);  // sorted, finite; +Inf is implied
  void observe(double v);
  const std::vector<double>& upper_bounds() const { return bounds_; }
  // Observations per bucket (not cumulative); the last one is the +Inf bucket.
  std::vector<std::uint64_t> bucket_counts() const;
  std::uint64_t count() const;
  double sum() const { return sum_.load(std::memory_order_relaxed); }

 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<std::uint64_t>[]> buckets_;  // bounds_.size() + 1
  std::atomic<double> sum_{0};
};

// Standard bucket sets, in seconds.
std::vector<double> duration_buckets();  // 5 ms .. 10 min

class FamilyBase {
 public:
  FamilyBase(std::string name, std::string help, std::vector<std::string> label_names);
  virtual ~FamilyBase() = default;
  FamilyBase(const FamilyBase&) = delete;
  FamilyBase& operator=(const FamilyBase&) = delete;
  const std::string& name() const { return name_; }
  virtual void render(std::string& out) const = 0;

 protected:
  void check_arity(const std::vector<std::string>& values) const;
  // `{a="x",b="y"` without the closing brace ("" without labels); `extra` is one more pair.
  std::string label_text(const std::vector<std::string>& values) const;

  std::string name_, help_;
  std::vector<std::string> label_names_;
  mutable std::mutex mutex_;
};

template <typename T>
class Family final : public FamilyBase {
 public:
  Family(std::string name, std::string help, std::vector<std::string> label_names, std::vector<double> bounds = {})
      : FamilyBase(std::move(name), std::move(help), std::move(label_names)), bounds_(std::move(bounds)) {
    if (label_names_.empty()) with({});  // a series without labels always renders
  }
  // The series with these label values (in label-name order), created at 0 on first use.
  T& with(const std::vector<std::string>& values) {
    check_arity(values);
    std::lock_guard<std::mutex> lock(mutex_);
    auto& s = series_[values];
    if (!s) s = make();
    return *s;
  }
  void render(std::string& out) const override;

 private:
  std::unique_ptr<T> make() const;
  std::vector<double> bounds_;
  std::map<std::vector<std::string>, std::unique_ptr<T>> series_;
};

// Defined in metrics.cpp for the three kinds.
template <> std::unique_ptr<Counter> Family<Counter>::make() const;
template <> std::unique_ptr<Gauge> Family<Gauge>::make() const;
template <> std::unique_ptr<Histogram> Family<Histogram>::make() const;
template <> void Family<Counter>::render(std::string& out) const;
template <> void Family<Gauge>::render(std::string& out) const;
template <> void Family<Histogram>::render(std::string& out) const;

class Registry {
 public:
  Family<Counter>& counter(const std::string& name, const std::string& help,
                           std::vector<std::string> label_names = {});
  Family<Gauge>& gauge(const std::string& name, const std::string& help, std::vector<std::string> label_names = {});
  Family<Histogram>& histogram(const std::string& name, const std::string& help, std::vector<std::string> label_names,
                               std::vector<double> upper_bounds);
  // Every family, text exposition format 0.0.4.
  std::string render() const;

 private:
  template <typename T>
  Family<T>& add(std::unique_ptr<Family<T>> family);
  mutable std::mutex mutex_;
  std::vector<std::unique_ptr<FamilyBase>> families_;
};

// The content type of render()'s text.
inline constexpr const char* kContentType = "text/plain; version=0.0.4; charset=utf-8";

// A sample value as Prometheus reads it: shortest round-trip decimal, "+Inf", "-Inf", "NaN".
std::string format_value(double v);
// A label value escaped for the text format (backslash, double quote, line feed).
std::string escape_label_value(const std::string& v);
}  // namespace gradeq::metrics
