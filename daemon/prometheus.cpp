#include "prometheus.hpp"

#include <fmt/format.h>

#include <cmath>

namespace proxyd {

PrometheusText& PrometheusText::family(std::string_view name, std::string_view type,
                                       std::string_view help) {
  out_ += fmt::format("# HELP {} ", name);
  for (const char c : help) {  // HELP escapes backslash and newline
    if (c == '\\')
      out_ += "\\\\";
    else if (c == '\n')
      out_ += "\\n";
    else
      out_ += c;
  }
  out_ += fmt::format("\n# TYPE {} {}\n", name, type);
  return *this;
}

void PrometheusText::labels(Labels labels) {
  if (labels.size() == 0) return;
  out_ += '{';
  bool first = true;
  for (const auto& [name, value] : labels) {
    if (!first) out_ += ',';
    first = false;
    out_ += name;
    out_ += "=\"";
    for (const char c : value) {  // label values escape backslash, quote and newline
      if (c == '\\')
        out_ += "\\\\";
      else if (c == '"')
        out_ += "\\\"";
      else if (c == '\n')
        out_ += "\\n";
      else
        out_ += c;
    }
    out_ += '"';
  }
  out_ += '}';
}

PrometheusText& PrometheusText::sample(std::string_view name, Labels labels_, double value) {
  out_ += name;
  labels(labels_);
  if (std::isnan(value))
    out_ += " NaN\n";
  else if (std::isinf(value))
    out_ += value > 0 ? " +Inf\n" : " -Inf\n";
  else
    out_ += fmt::format(" {}\n", value);
  return *this;
}

PrometheusText& PrometheusText::sample(std::string_view name, Labels labels_, std::uint64_t value) {
  out_ += name;
  labels(labels_);
  out_ += fmt::format(" {}\n", value);
  return *this;
}

}  // namespace proxyd
