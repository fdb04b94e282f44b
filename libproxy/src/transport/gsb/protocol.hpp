// The Golem Service Bus wire protocol (ya-sb-proto 0.6, ../shared/notes/golem-vpn.md §1):
// frames of a 4-byte big-endian length and one protobuf GSB_API.Packet, encoded and decoded
// with protozero. Only the messages the proxy uses are modelled; others decode as Unsupported.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <variant>

namespace libproxy::gsb {

struct Hello {
  std::string name;
  std::string version;
  std::string instance_id;  ///< 16 random bytes, fresh for each connection
};
struct RegisterRequest {
  std::string service_id;
};
struct RegisterReply {
  std::int32_t code = 0;  ///< 0 registered, 400 bad request, 409 already registered
  std::string message;
};
struct UnregisterRequest {
  std::string service_id;
};
struct UnregisterReply {
  std::int32_t code = 0;  ///< 0 unregistered, 404 not registered
};
struct CallRequest {
  std::string caller;
  std::string address;
  std::string request_id;
  std::string data;
  bool no_reply = false;  ///< a push: the callee must not reply
};
struct CallReply {
  enum Type : std::int32_t { full = 0, partial = 1 };
  std::string request_id;
  std::int32_t code = 0;  ///< 0 ok, 400 bad request, 500 service failure
  std::int32_t reply_type = full;
  std::string data;
};
struct Ping {};
struct Pong {};
/// A message the proxy never uses (subscriptions, broadcasts): its Packet field number.
struct Unsupported {
  std::uint32_t field = 0;
};

using Packet = std::variant<Hello, RegisterRequest, RegisterReply, UnregisterRequest,
                            UnregisterReply, CallRequest, CallReply, Ping, Pong, Unsupported>;

/// The default frame size limit (a VPN push is about 1.4 KB). A longer frame is skipped, not
/// fatal: its sender may be any node of any VPN, and the connection carries every VPN.
constexpr std::size_t max_frame_size = 1 << 20;

/// Appends one frame holding `packet` to `out`.
void append_frame(std::string& out, const Packet& packet);

/// Appends one frame holding a CallRequest, straight from views of its fields: the same bytes
/// as append_frame(out, CallRequest{...}) without copying the payload twice (the push path).
void append_call_request(std::string& out, std::string_view caller, std::string_view address,
                         std::string_view request_id, std::span<const std::uint8_t> data,
                         bool no_reply);

/// Decodes one Packet (the bytes of a frame after its length).
std::optional<Packet> decode_packet(std::string_view bytes, std::error_code& ec);

/// Splits a byte stream into packets. A frame longer than the limit is skipped: its bytes are
/// read and discarded as they arrive (never buffered), so the stream stays in sync.
class FrameReader {
public:
  explicit FrameReader(std::size_t max_frame = max_frame_size) : max_frame_(max_frame) {}
  /// Appends received bytes (the rest of a frame being skipped is discarded).
  void append(std::span<const std::uint8_t> bytes);
  /// The next complete packet, if any. On a malformed packet `ec` is set and the stream cannot
  /// go on (the framing itself may be lost).
  std::optional<Packet> next(std::error_code& ec);
  /// Bytes received but not yet consumed.
  std::size_t buffered() const { return buffer_.size() - offset_; }
  /// Frames over the limit skipped so far, and the bytes of them still to come.
  std::uint64_t frames_skipped() const { return frames_skipped_; }
  std::uint64_t skip_remaining() const { return skip_remaining_; }

private:
  std::string buffer_;
  std::size_t offset_ = 0;
  std::size_t max_frame_;
  std::uint64_t skip_remaining_ = 0;  // bytes of an oversized frame not received yet
  std::uint64_t frames_skipped_ = 0;
};

}  // namespace libproxy::gsb
