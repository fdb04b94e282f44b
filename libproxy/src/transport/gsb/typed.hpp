// Typed Service Bus payloads (../shared/notes/golem-vpn.md §1.7, §2.4, §2.6): Rust serde values
// in FlexBuffers, as ya-service-bus writes them, optionally zlib-compressed. Only the messages
// the proxy uses are modelled: VpnControl and its reply, and /local/identity/Get.
//
// Decoders never throw and never read out of bounds: every buffer is checked by the FlexBuffers
// verifier first. A payload of the wrong shape sets errc::gsb_bad_payload; a well-formed reply
// that carries a service error (Err, or no identity) sets errc::gsb_call_failed.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

namespace libproxy::gsb {

/// No typed payload may inflate to more than this (a zip-bomb guard; a VpnControl is ~100 bytes).
constexpr std::size_t max_typed_payload = 1 << 20;

/// ya-service-bus `from_slice`: the inflated bytes when `payload` is a complete zlib stream,
/// otherwise `payload` unchanged. Empty with errc::gsb_bad_payload when the stream would inflate
/// past max_typed_payload.
std::optional<std::string> inflate_if_zlib(std::string_view payload, std::error_code& ec);

/// zlib-compresses `bytes` at level 6, as ya-service-bus `to_vec` does once compression is on.
/// Sending uncompressed payloads is fine: every reader inflates only when it sees zlib.
std::string deflate_zlib(std::string_view bytes);

/// yagna `ya_core_model::activity::VpnControl`, the requestor's update of a VPN's node table,
/// pushed to `/public/vpn/<net>/VpnControl`.
struct VpnControl {
  enum class Kind { add_nodes, remove_nodes };
  Kind kind = Kind::add_nodes;
  std::string network_id;
  /// add_nodes: IPv4 dotted quad → node id (`0x` + 40 lowercase hex digits).
  std::vector<std::pair<std::string, std::string>> nodes;
  /// remove_nodes: node ids (`0x` + 40 lowercase hex digits).
  std::vector<std::string> node_ids;
};

/// Decodes a VpnControl request body, plain or zlib. Node ids are checked and lowercased, IPs
/// must be IPv4 dotted quads; anything else is errc::gsb_bad_payload.
std::optional<VpnControl> decode_vpn_control(std::string_view payload, std::error_code& ec);

/// Encodes a VpnControl as Rust does (uncompressed). Duplicate IPs keep the last node id.
std::string encode_vpn_control(const VpnControl& control);

/// The reply to a call that succeeded with no value: `Result::<(), _>::Ok(())`.
std::string encode_unit_ok();

/// The reply to a call that failed: `Err(RpcMessageError::BadRequest(message))`, the error type
/// of VpnControl and the other activity messages.
std::string encode_error(std::string_view message);

/// The body of a call to `/local/identity/Get` for the daemon's default identity:
/// `ya_core_model::identity::Get::ByDefault`.
std::string encode_identity_get_default();

/// The node id in the reply to identity Get, `Result<Option<IdentityInfo>, identity::Error>`,
/// plain or zlib. `Ok(None)` and `Err(_)` are errc::gsb_call_failed.
std::optional<std::string> decode_identity_reply_node_id(std::string_view payload,
                                                         std::error_code& ec);

/// A successful reply to identity Get, as the identity service sends it (for test peers):
/// `Ok(Some(IdentityInfo{alias: None, node_id, is_locked: false, is_default: true}))`.
std::string encode_identity_reply(std::string_view node_id);

/// True for `0x` followed by 40 hex digits (either case, as Rust's NodeId parser accepts).
bool is_node_id(std::string_view text);

/// True for an IPv4 address in dotted-quad form without leading zeros (`192.168.8.3`).
bool is_ipv4_dotted_quad(std::string_view text);

}  // namespace libproxy::gsb
