#include "bus_url.hpp"

#include <charconv>

namespace libproxy::gsb {
namespace {

constexpr std::uint16_t default_port = 7464;  // ya-sb-proto DEFAULT_GSB_PORT

std::optional<std::uint16_t> parse_port(std::string_view text) {
  unsigned value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc{} || end != text.data() + text.size() || value == 0 || value > 65535)
    return std::nullopt;
  return static_cast<std::uint16_t>(value);
}

std::optional<BusUrl> parse_host_port(std::string_view text, bool port_required) {
  BusUrl url;
  std::string_view host = text;
  std::string_view port;
  if (!text.empty() && text.front() == '[') {  // [v6]:port
    const auto close = text.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    host = text.substr(1, close - 1);
    const auto rest = text.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return std::nullopt;
      port = rest.substr(1);
      if (port.empty()) return std::nullopt;
    }
  } else if (const auto colon = text.rfind(':'); colon != std::string_view::npos) {
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
    if (port.empty() || host.find(':') != std::string_view::npos) return std::nullopt;
  }
  if (host.empty() || host.find_first_of("/ ") != std::string_view::npos) return std::nullopt;
  if (port.empty()) {
    if (port_required) return std::nullopt;
    url.port = default_port;
  } else {
    const auto number = parse_port(port);
    if (!number) return std::nullopt;
    url.port = *number;
  }
  url.host = std::string(host);
  return url;
}

}  // namespace

std::optional<BusUrl> parse_bus_url(std::string_view url) {
  if (url.starts_with("unix:")) {
    std::string_view path = url.substr(5);
    if (path.starts_with("//")) path.remove_prefix(2);  // unix:///abs/path
    if (path.empty() || path.find('\0') != std::string_view::npos) return std::nullopt;
    BusUrl parsed;
    parsed.is_unix = true;
    parsed.path = std::string(path);
    return parsed;
  }
  if (url.starts_with("tcp://")) return parse_host_port(url.substr(6), false);
  if (url.find("://") != std::string_view::npos) return std::nullopt;  // another scheme
  return parse_host_port(url, true);
}

}  // namespace libproxy::gsb
