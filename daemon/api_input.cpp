#include "api_input.hpp"

#include <fmt/format.h>
#include <rapidjson/document.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <optional>

namespace proxyd::api {
namespace {

std::optional<Protocol> parse_protocol(std::string_view text) {
  if (text == "tcp") return Protocol::tcp;
  if (text == "udp") return Protocol::udp;
  return std::nullopt;
}

// A JSON string's full bytes (RapidJSON strings may hold NULs, which C strings would cut).
std::string str(const rapidjson::Value& value) {
  return std::string(value.GetString(), value.GetStringLength());
}

// A member by its camelCase name or GAP-22's capitalised one.
const rapidjson::Value* member(const rapidjson::Value& object, const char* camel) {
  std::string capitalised = camel;
  capitalised[0] = static_cast<char>(std::toupper(capitalised[0]));
  for (const auto& name : {std::string(camel), capitalised}) {
    const auto it = object.FindMember(name.c_str());
    if (it != object.MemberEnd()) return &it->value;
  }
  return nullptr;
}

// Parses a body as JSON, refusing bytes that are not UTF-8 (RapidJSON passes them otherwise).
std::optional<ApiError> parse_json(rapidjson::Document& doc, std::string_view body) {
  doc.Parse<rapidjson::kParseValidateEncodingFlag>(body.data(), body.size());
  if (doc.HasParseError()) return ApiError{400, "bad_json", "the body is not valid JSON (UTF-8)"};
  if (!doc.IsObject()) return ApiError{400, "bad_json", "the body must be a JSON object"};
  return std::nullopt;
}

}  // namespace

bool is_clean_utf8(std::string_view text) {
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  const auto* end = p + text.size();
  while (p < end) {
    const unsigned char lead = *p;
    if (lead < 0x80) {
      if (lead < 0x20 || lead == 0x7f) return false;  // NUL and the other controls
      ++p;
      continue;
    }
    // The lead byte gives the length and the smallest value (which refuses overlong forms).
    std::size_t length = 0;
    char32_t code = 0, min = 0;
    if ((lead & 0xe0) == 0xc0)
      length = 2, code = lead & 0x1f, min = 0x80;
    else if ((lead & 0xf0) == 0xe0)
      length = 3, code = lead & 0x0f, min = 0x800;
    else if ((lead & 0xf8) == 0xf0)
      length = 4, code = lead & 0x07, min = 0x10000;
    else
      return false;
    if (static_cast<std::size_t>(end - p) < length) return false;
    for (std::size_t i = 1; i < length; ++i) {
      if ((p[i] & 0xc0) != 0x80) return false;
      code = (code << 6) | (p[i] & 0x3f);
    }
    if (code < min || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) return false;
    if (code >= 0x80 && code < 0xa0) return false;  // C1 controls
    p += length;
  }
  return true;
}

bool valid_id(std::string_view text, std::size_t max) {
  return !text.empty() && text.size() <= max && std::all_of(text.begin(), text.end(), [](char c) {
    return c > 0x20 && c < 0x7f && c != '/' && c != '?' && c != '#';
  });
}

std::variant<std::pair<Protocol, asio::ip::tcp::endpoint>, ApiError> parse_target(
    std::string_view protocol_text, std::string_view address_text,
    const asio::ip::address& default_address) {
  const auto protocol = parse_protocol(protocol_text);
  if (!protocol)
    return ApiError{
        400, "bad_protocol",
        fmt::format("unknown protocol '{}' (expected tcp or udp)", printable(protocol_text))};
  try {
    const auto address = parse_endpoint(address_text, default_address);
    if (address.port() == 0) return ApiError{400, "bad_address", "port 0 is not allowed"};
    return std::pair{*protocol, address};
  } catch (const std::invalid_argument& e) {
    return ApiError{400, "bad_address", e.what()};
  }
}

std::variant<GatewayEntry, ApiError> parse_entry(std::string_view body) {
  rapidjson::Document doc;
  if (auto error = parse_json(doc, body)) return *error;
  GatewayEntry entry;
  for (auto [name, target] :
       {std::pair{"requestorId", &entry.requestor_id}, std::pair{"activityId", &entry.activity_id},
        std::pair{"vpnId", &entry.vpn_id}, std::pair{"remoteId", &entry.remote_id}}) {
    const auto* value = member(doc, name);
    if (value == nullptr || !value->IsString() || value->GetStringLength() == 0 ||
        value->GetStringLength() > 256)
      return ApiError{400, "bad_field",
                      fmt::format("{} must be a non-empty string of at most 256 bytes", name)};
    *target = str(*value);
    // Ids are printed into the status JSON, Prometheus labels and logs: text only.
    if (!is_clean_utf8(*target))
      return ApiError{400, "bad_field",
                      fmt::format("{} must be UTF-8 text without NUL or control characters", name)};
  }
  if (entry.vpn_id.find_first_not_of(
          "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
          "-_.") != std::string::npos)
    return ApiError{400, "bad_field", "vpnId may hold letters, digits, '-', '_' and '.' only"};
  const auto* remote = member(doc, "remoteAddr");
  if (remote == nullptr || !remote->IsString())
    return ApiError{400, "bad_field", "remoteAddr must be a string IPV4:PORT"};
  try {
    entry.remote_addr = parse_endpoint(str(*remote), asio::ip::address_v4::any());
  } catch (const std::invalid_argument& e) {
    return ApiError{400, "bad_field", fmt::format("remoteAddr: {}", e.what())};
  }
  const auto remote_ip = entry.remote_addr.address();
  if (!remote_ip.is_v4() || remote_ip.is_unspecified() || remote_ip.is_multicast() ||
      remote_ip.to_v4() == asio::ip::address_v4::broadcast() || entry.remote_addr.port() == 0)
    return ApiError{400, "bad_field",
                    "remoteAddr must be a unicast IPV4:PORT with a non-zero port"};
  if (const auto* local = member(doc, "localAddr"); local != nullptr && !local->IsNull()) {
    if (!local->IsString())
      return ApiError{400, "bad_field", "localAddr must be a string A.B.C.D/LEN"};
    try {
      entry.local_addr = parse_cidr(str(*local));
    } catch (const std::invalid_argument& e) {
      return ApiError{400, "bad_field", fmt::format("localAddr: {}", e.what())};
    }
  }
  return entry;
}

std::variant<ProbeToken, ApiError> parse_probe_token(std::string_view body) {
  rapidjson::Document doc;
  if (auto error = parse_json(doc, body)) return *error;
  ProbeToken token;
  const auto* requestor = member(doc, "requestorId");
  if (requestor == nullptr || !requestor->IsString() ||
      !valid_id(token.requestor_id = str(*requestor), 256))
    return ApiError{400, "bad_field",
                    "requestorId must be 1..256 printable ASCII characters, without spaces, "
                    "'/', '?' or '#'"};
  const auto* value = member(doc, "token");
  if (value == nullptr || !value->IsString() || !valid_id(token.token = str(*value), 512))
    return ApiError{400, "bad_field",
                    "token must be 1..512 printable ASCII characters, without spaces, '/', '?' "
                    "or '#'"};
  if (const auto* ttl = member(doc, "ttl"); ttl != nullptr && !ttl->IsNull()) {
    if (!ttl->IsInt64() || ttl->GetInt64() < 1 || ttl->GetInt64() > 7 * 24 * 3600)
      return ApiError{400, "bad_field", "ttl must be a whole number of seconds, 1..604800"};
    token.expires = std::chrono::steady_clock::now() + std::chrono::seconds(ttl->GetInt64());
  }
  return token;
}

bool equal_in_constant_time(std::string_view presented, std::string_view expected) {
  // Every byte of `expected` is looked at, whatever `presented` holds; no early exit.
  volatile unsigned char difference = presented.size() == expected.size() ? 0 : 1;
  for (std::size_t i = 0; i < expected.size(); ++i) {
    const unsigned char got = i < presented.size() ? static_cast<unsigned char>(presented[i]) : 0;
    difference = difference | (got ^ static_cast<unsigned char>(expected[i]));
  }
  return difference == 0;
}

}  // namespace proxyd::api
