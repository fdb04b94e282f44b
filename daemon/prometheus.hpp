// Prometheus text exposition format 0.0.4: metric families (HELP, TYPE) and their samples.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <span>
#include <string>
#include <string_view>
#include <utility>

namespace proxyd {

class PrometheusText {
public:
  using Label = std::pair<std::string_view, std::string_view>;
  using Labels = std::span<const Label>;

  static constexpr const char* content_type = "text/plain; version=0.0.4; charset=utf-8";

  /// Starts a family: `type` is "counter" or "gauge".
  PrometheusText& family(std::string_view name, std::string_view type, std::string_view help);
  /// One sample of the family just started (or of `name`, which must belong to it).
  PrometheusText& sample(std::string_view name, Labels labels, double value);
  PrometheusText& sample(std::string_view name, Labels labels, std::uint64_t value);
  PrometheusText& sample(std::string_view name, std::initializer_list<Label> labels, double value) {
    return sample(name, Labels(labels.begin(), labels.size()), value);
  }
  PrometheusText& sample(std::string_view name, std::initializer_list<Label> labels,
                         std::uint64_t value) {
    return sample(name, Labels(labels.begin(), labels.size()), value);
  }

  const std::string& text() const { return out_; }

private:
  void labels(Labels labels);
  std::string out_;
};

}  // namespace proxyd
