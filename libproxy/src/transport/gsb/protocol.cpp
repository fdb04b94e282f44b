#include "protocol.hpp"

#include <libproxy/error.hpp>

#include <protozero/pbf_reader.hpp>
#include <protozero/pbf_writer.hpp>

#include <algorithm>

namespace libproxy::gsb {
namespace {

// GSB_API.Packet's oneof field numbers.
enum Field : std::uint32_t {
  hello = 1,
  register_request = 2,
  register_reply = 3,
  unregister_request = 4,
  unregister_reply = 5,
  call_request = 6,
  call_reply = 7,
  ping = 14,
  pong = 15,
};

// Encodes a message's fields into `inner` (proto3: default values are left out).
std::uint32_t encode(std::string& inner, const Packet& packet) {
  protozero::pbf_writer w(inner);
  return std::visit(
      [&](const auto& m) -> std::uint32_t {
        using T = std::decay_t<decltype(m)>;
        auto string = [&](std::uint32_t tag, const std::string& value) {
          if (!value.empty()) w.add_string(tag, value);
        };
        auto number = [&](std::uint32_t tag, std::int32_t value) {
          if (value != 0) w.add_enum(tag, value);
        };
        if constexpr (std::is_same_v<T, Hello>) {
          string(1, m.name);
          string(2, m.version);
          if (!m.instance_id.empty()) w.add_bytes(3, m.instance_id);
          return hello;
        } else if constexpr (std::is_same_v<T, RegisterRequest>) {
          string(1, m.service_id);
          return register_request;
        } else if constexpr (std::is_same_v<T, RegisterReply>) {
          number(1, m.code);
          string(2, m.message);
          return register_reply;
        } else if constexpr (std::is_same_v<T, UnregisterRequest>) {
          string(1, m.service_id);
          return unregister_request;
        } else if constexpr (std::is_same_v<T, UnregisterReply>) {
          number(1, m.code);
          return unregister_reply;
        } else if constexpr (std::is_same_v<T, CallRequest>) {
          string(1, m.caller);
          string(2, m.address);
          string(3, m.request_id);
          if (!m.data.empty()) w.add_bytes(4, m.data);
          if (m.no_reply) w.add_bool(5, true);
          return call_request;
        } else if constexpr (std::is_same_v<T, CallReply>) {
          string(1, m.request_id);
          number(2, m.code);
          number(3, m.reply_type);
          if (!m.data.empty()) w.add_bytes(4, m.data);
          return call_reply;
        } else if constexpr (std::is_same_v<T, Ping>) {
          return ping;
        } else if constexpr (std::is_same_v<T, Pong>) {
          return pong;
        } else {
          return m.field;  // never sent
        }
      },
      packet);
}

template <class T, class Fill>
T decode_message(protozero::data_view bytes, Fill&& fill) {
  T message;
  protozero::pbf_reader r(bytes);
  while (r.next()) {
    if (!fill(message, r)) r.skip();
  }
  return message;
}

// protozero only asserts a field's wire type (an abort in debug builds, a misread in release):
// a field of the wrong type is a decode error here, whoever sent it.
void expect(const protozero::pbf_reader& r, protozero::pbf_wire_type type) {
  if (r.wire_type() != type) throw protozero::unknown_pbf_wire_type_exception{};
}
std::string text(protozero::pbf_reader& r) {
  expect(r, protozero::pbf_wire_type::length_delimited);
  return r.get_string();
}
std::string bytes_of(protozero::pbf_reader& r) {
  expect(r, protozero::pbf_wire_type::length_delimited);
  return r.get_bytes();
}
std::int32_t number(protozero::pbf_reader& r) {
  expect(r, protozero::pbf_wire_type::varint);
  return r.get_enum();
}
bool flag(protozero::pbf_reader& r) {
  expect(r, protozero::pbf_wire_type::varint);
  // Not get_bool(): protozero 1.7 reads its first byte before checking that there is one (a
  // bool field at the very end of a message read past it; fuzz_gsb_frames found it).
  // get_uint64() decodes the varint with bounds checks; any non-zero value is true.
  return r.get_uint64() != 0;
}

}  // namespace

void append_frame(std::string& out, const Packet& packet) {
  std::string inner;
  const std::uint32_t field = encode(inner, packet);
  std::string body;
  {
    protozero::pbf_writer w(body);
    w.add_message(field, inner);  // empty messages too: tag and length 0
  }
  const auto size = static_cast<std::uint32_t>(body.size());
  const char length[4] = {static_cast<char>(size >> 24), static_cast<char>(size >> 16),
                          static_cast<char>(size >> 8), static_cast<char>(size)};
  out.append(length, 4);
  out += body;
}

void append_call_request(std::string& out, std::string_view caller, std::string_view address,
                         std::string_view request_id, std::span<const std::uint8_t> data,
                         bool no_reply) {
  const std::size_t start = out.size();
  out.append(4, '\0');  // the length, known at the end
  {
    protozero::pbf_writer packet(out);
    // The CallRequest is never empty (address is required), so the nested writer keeps it.
    protozero::pbf_writer call(packet, call_request);
    if (!caller.empty()) call.add_string(1, caller.data(), caller.size());
    if (!address.empty()) call.add_string(2, address.data(), address.size());
    if (!request_id.empty()) call.add_string(3, request_id.data(), request_id.size());
    if (!data.empty()) call.add_bytes(4, reinterpret_cast<const char*>(data.data()), data.size());
    if (no_reply) call.add_bool(5, true);
  }
  const auto size = static_cast<std::uint32_t>(out.size() - start - 4);
  out[start] = static_cast<char>(size >> 24);
  out[start + 1] = static_cast<char>(size >> 16);
  out[start + 2] = static_cast<char>(size >> 8);
  out[start + 3] = static_cast<char>(size);
}

std::optional<Packet> decode_packet(std::string_view bytes, std::error_code& ec) {
  ec.clear();
  try {
    std::optional<Packet> packet;
    protozero::pbf_reader r(bytes.data(), bytes.size());
    while (r.next()) {
      const auto field = r.tag();
      const bool known = field <= call_reply || field == ping || field == pong;
      if (r.wire_type() != protozero::pbf_wire_type::length_delimited) {
        if (known) throw protozero::unknown_pbf_wire_type_exception{};  // a mistyped message
        r.skip();
        continue;
      }
      const auto view = r.get_view();
      switch (field) {  // the last oneof member wins, as in protobuf
        case hello:
          packet = decode_message<Hello>(view, [](Hello& m, protozero::pbf_reader& f) {
            switch (f.tag()) {
              case 1:
                m.name = text(f);
                return true;
              case 2:
                m.version = text(f);
                return true;
              case 3:
                m.instance_id = bytes_of(f);
                return true;
              default:
                return false;
            }
          });
          break;
        case register_request:
        case unregister_request: {
          std::string service;
          protozero::pbf_reader f(view);
          while (f.next()) {
            if (f.tag() == 1)
              service = text(f);
            else
              f.skip();
          }
          if (field == register_request)
            packet = RegisterRequest{service};
          else
            packet = UnregisterRequest{service};
          break;
        }
        case register_reply:
          packet =
              decode_message<RegisterReply>(view, [](RegisterReply& m, protozero::pbf_reader& f) {
                switch (f.tag()) {
                  case 1:
                    m.code = number(f);
                    return true;
                  case 2:
                    m.message = text(f);
                    return true;
                  default:
                    return false;
                }
              });
          break;
        case unregister_reply:
          packet = decode_message<UnregisterReply>(
              view, [](UnregisterReply& m, protozero::pbf_reader& f) {
                if (f.tag() != 1) return false;
                m.code = number(f);
                return true;
              });
          break;
        case call_request:
          packet = decode_message<CallRequest>(view, [](CallRequest& m, protozero::pbf_reader& f) {
            switch (f.tag()) {
              case 1:
                m.caller = text(f);
                return true;
              case 2:
                m.address = text(f);
                return true;
              case 3:
                m.request_id = text(f);
                return true;
              case 4:
                m.data = bytes_of(f);
                return true;
              case 5:
                m.no_reply = flag(f);
                return true;
              default:
                return false;
            }
          });
          break;
        case call_reply:
          packet = decode_message<CallReply>(view, [](CallReply& m, protozero::pbf_reader& f) {
            switch (f.tag()) {
              case 1:
                m.request_id = text(f);
                return true;
              case 2:
                m.code = number(f);
                return true;
              case 3:
                m.reply_type = number(f);
                return true;
              case 4:
                m.data = bytes_of(f);
                return true;
              default:
                return false;
            }
          });
          break;
        case ping:
          packet = Ping{};
          break;
        case pong:
          packet = Pong{};
          break;
        default:
          packet = Unsupported{field};
          break;
      }
    }
    if (!packet) ec = errc::gsb_protocol_error;  // a Packet with no message is an error
    return packet;
  } catch (const protozero::exception&) {
    ec = errc::gsb_protocol_error;
    return std::nullopt;
  }
}

void FrameReader::append(std::span<const std::uint8_t> bytes) {
  if (skip_remaining_ > 0) {
    const auto dropped =
        static_cast<std::size_t>(std::min<std::uint64_t>(skip_remaining_, bytes.size()));
    skip_remaining_ -= dropped;
    bytes = bytes.subspan(dropped);
  }
  buffer_.append(reinterpret_cast<const char*>(bytes.data()), bytes.size());
}

std::optional<Packet> FrameReader::next(std::error_code& ec) {
  ec.clear();
  for (;;) {
    const std::size_t available = buffer_.size() - offset_;
    if (available < 4) return std::nullopt;
    const auto* p = reinterpret_cast<const std::uint8_t*>(buffer_.data() + offset_);
    const std::size_t size = (std::size_t{p[0]} << 24) | (std::size_t{p[1]} << 16) |
                             (std::size_t{p[2]} << 8) | std::size_t{p[3]};
    if (size <= max_frame_) {
      if (available < 4 + size) return std::nullopt;
      break;
    }
    // Too long: drop what is here of it, and the rest as append() receives it.
    const std::size_t here = std::min(available - 4, size);
    skip_remaining_ = size - here;
    ++frames_skipped_;
    offset_ += 4 + here;
    if (offset_ == buffer_.size()) {
      buffer_.clear();
      offset_ = 0;
    }
  }
  const auto* p = reinterpret_cast<const std::uint8_t*>(buffer_.data() + offset_);
  const std::size_t size = (std::size_t{p[0]} << 24) | (std::size_t{p[1]} << 16) |
                           (std::size_t{p[2]} << 8) | std::size_t{p[3]};
  auto packet = decode_packet({buffer_.data() + offset_ + 4, size}, ec);
  offset_ += 4 + size;
  // Drop consumed bytes now and then, not after every frame.
  if (offset_ > 64 * 1024 || offset_ == buffer_.size()) {
    buffer_.erase(0, offset_);
    offset_ = 0;
  }
  return packet;
}

}  // namespace libproxy::gsb
