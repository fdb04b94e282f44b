// What the management API reads from outsiders, checked before anything acts on it: the
// {proto}/{addr} of a path, the JSON bodies of the Gateway and Probe APIs, ids and tokens.
// Every check answers with an ApiError (400) that says what was wrong; nothing here changes
// state, so handlers and the fuzzer call these freely.
#pragma once

#include "gateway_service.hpp"
#include "probe_service.hpp"

#include <asio/ip/tcp.hpp>

#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace proxyd::api {

/// True when `text` is well-formed UTF-8 (no overlong forms, surrogates or code points past
/// U+10FFFF) without NUL or other control characters.
bool is_clean_utf8(std::string_view text);

/// Printable ASCII, 1..max bytes, without spaces or the characters that end a URL path segment
/// ('/', '?', '#'): requestor ids and tokens travel in API paths, probe URLs and datagrams.
bool valid_id(std::string_view text, std::size_t max);

/// "tcp"/"udp" and an address ({addr} of a path; a bare port binds `default_address`). Port 0
/// is refused.
std::variant<std::pair<Protocol, asio::ip::tcp::endpoint>, ApiError> parse_target(
    std::string_view protocol, std::string_view address, const asio::ip::address& default_address);

/// A gateway's Entry from a JSON body.
std::variant<GatewayEntry, ApiError> parse_entry(std::string_view body);

/// A probe token from a JSON body.
std::variant<ProbeToken, ApiError> parse_probe_token(std::string_view body);

/// Compares a presented secret with the expected one in time that depends only on the
/// expected one's length, so that timing does not reveal how much of a guess was right.
bool equal_in_constant_time(std::string_view presented, std::string_view expected);

}  // namespace proxyd::api
