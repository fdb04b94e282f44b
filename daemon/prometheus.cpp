#include "prometheus.hpp"

#include <fmt/format.h>

#include <cmath>

namespace proxyd {
namespace {

// The length of the well-formed UTF-8 sequence at the start of `text`, or 0 if there is none
// (a stray byte, an overlong form, a surrogate, past U+10FFFF).
std::size_t utf8_sequence(std::string_view text) {
  const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(text[i]); };
  const unsigned char lead = byte(0);
  if (lead < 0x80) return 1;
  std::size_t length = (lead & 0xe0) == 0xc0   ? 2
                       : (lead & 0xf0) == 0xe0 ? 3
                       : (lead & 0xf8) == 0xf0 ? 4
                                               : 0;
  if (length == 0 || text.size() < length) return 0;
  char32_t code = lead & (0x7f >> length);
  for (std::size_t i = 1; i < length; ++i) {
    if ((byte(i) & 0xc0) != 0x80) return 0;
    code = (code << 6) | (byte(i) & 0x3f);
  }
  constexpr char32_t smallest[] = {0, 0, 0x80, 0x800, 0x10000};
  if (code < smallest[length] || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) return 0;
  return length;
}

// Text as the exposition format wants it: UTF-8 (anything else becomes U+FFFD, so that one bad
// id cannot make a scraper refuse the whole page) with backslash, newline and (in labels) quote
// escaped.
void append_escaped(std::string& out, std::string_view text, bool escape_quote) {
  while (!text.empty()) {
    const auto length = utf8_sequence(text);
    if (length == 0) {
      out += "\xEF\xBF\xBD";
      text.remove_prefix(1);
      continue;
    }
    const char c = text.front();
    if (c == '\\')
      out += "\\\\";
    else if (c == '\n')
      out += "\\n";
    else if (c == '"' && escape_quote)
      out += "\\\"";
    else
      out.append(text.substr(0, length));
    text.remove_prefix(length);
  }
}

}  // namespace

PrometheusText& PrometheusText::family(std::string_view name, std::string_view type,
                                       std::string_view help) {
  out_ += fmt::format("# HELP {} ", name);
  append_escaped(out_, help, false);  // HELP escapes backslash and newline
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
    append_escaped(out_, value, true);  // label values escape backslash, quote and newline
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
