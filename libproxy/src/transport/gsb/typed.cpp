#include "typed.hpp"

#include <libproxy/error.hpp>

#include <flatbuffers/flexbuffers.h>
#include <zlib.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <limits>
#include <map>

// How serde values look in FlexBuffers (Rust `flexbuffers` 2.0, as yagna pins it):
//   struct                     map keyed by field name (after serde renames)
//   unit, (), None             null
//   unit enum variant          string holding the variant name
//   newtype / struct variant   {variant: value} / {variant: {field: ...}}
// so Ok(()) is {"Ok": null} and Err(e) is {"Err": e}. Rust writes keys and strings unshared;
// the Builder below does the same, which makes our bytes equal to Rust's.

namespace libproxy::gsb {
namespace {

std::error_code bad_payload() { return errc::gsb_bad_payload; }

// ---- zlib -----------------------------------------------------------------------------------

// A zlib header (RFC 1950): deflate, a window of at most 32 KiB, and a valid check value.
bool looks_like_zlib(std::string_view bytes) {
  if (bytes.size() < 2) return false;
  auto cmf = static_cast<unsigned char>(bytes[0]);
  auto flg = static_cast<unsigned char>(bytes[1]);
  return (cmf & 0x0f) == 8 && (cmf >> 4) <= 7 && (cmf * 256 + flg) % 31 == 0;
}

enum class Inflated { ok, not_zlib, too_large };

// Inflates one zlib stream into `out`, stopping at `limit` bytes. Bytes after the end of the
// stream are ignored, as miniz_oxide's decompress_to_vec_zlib ignores them.
Inflated inflate_bounded(std::string_view in, std::string& out, std::size_t limit) {
  if (in.size() > std::numeric_limits<uInt>::max()) return Inflated::not_zlib;
  z_stream z{};
  if (inflateInit(&z) != Z_OK) return Inflated::not_zlib;
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  z.avail_in = static_cast<uInt>(in.size());
  out.clear();
  Inflated result = Inflated::not_zlib;
  for (;;) {
    // One byte of room past the limit tells "exactly at the limit" from "over it".
    std::size_t chunk = std::min<std::size_t>(64 * 1024, limit + 1 - out.size());
    std::size_t used = out.size();
    out.resize(used + chunk);
    z.next_out = reinterpret_cast<Bytef*>(out.data() + used);
    z.avail_out = static_cast<uInt>(chunk);
    int rc = inflate(&z, Z_NO_FLUSH);
    out.resize(used + (chunk - z.avail_out));
    if (out.size() > limit) {
      result = Inflated::too_large;
      break;
    }
    if (rc == Z_STREAM_END) {
      result = Inflated::ok;
      break;
    }
    // There is always fresh output room, so anything but Z_OK (a data error, a dictionary, no
    // input left) and input used up with room to spare (a truncated stream) mean "not zlib".
    if (rc != Z_OK || (z.avail_in == 0 && z.avail_out > 0)) break;
  }
  inflateEnd(&z);
  return result;
}

// ---- reading --------------------------------------------------------------------------------

// A verified FlexBuffers buffer. The copy carries zero padding past its end: the 2.0.8
// verifier does not check that keys end inside the buffer, and lookups read keys as C strings.
class Document {
public:
  // Inflates if zlib, then verifies; empty with `ec` set when the payload is unusable.
  static std::optional<Document> open(std::string_view payload, std::error_code& ec) {
    auto plain = inflate_if_zlib(payload, ec);
    if (!plain) return std::nullopt;
    Document doc;
    doc.size_ = plain->size();
    if (doc.size_ < 3 || doc.size_ > max_typed_payload) {
      ec = bad_payload();
      return std::nullopt;
    }
    doc.bytes_.assign(plain->begin(), plain->end());
    doc.bytes_.resize(doc.size_ + padding, 0);
    // The reuse tracker verifies each shared vector once, so a crafted DAG cannot make
    // verification quadratic.
    std::vector<std::uint8_t> tracker;
    flexbuffers::Verifier verifier(doc.bytes_.data(), doc.size_, &tracker);
    if (!verifier.VerifyBuffer()) {
      ec = bad_payload();
      return std::nullopt;
    }
    return doc;
  }

  flexbuffers::Reference root() const { return flexbuffers::GetRoot(bytes_.data(), size_); }

  // A key's text, ending at its NUL, which must lie inside the buffer.
  std::optional<std::string_view> key(flexbuffers::Reference ref) const {
    if (!ref.IsKey()) return std::nullopt;
    auto begin = reinterpret_cast<const char*>(ref.AsKey());
    auto base = reinterpret_cast<const char*>(bytes_.data());
    if (begin < base || begin >= base + size_) return std::nullopt;
    auto end = static_cast<const char*>(std::memchr(begin, 0, base + size_ - begin));
    if (!end) return std::nullopt;
    return std::string_view(begin, end - begin);
  }

private:
  static constexpr std::size_t padding = 64;
  std::vector<std::uint8_t> bytes_;
  std::size_t size_ = 0;
};

std::optional<std::string_view> string_value(flexbuffers::Reference ref) {
  if (!ref.IsString()) return std::nullopt;
  auto s = ref.AsString();
  return std::string_view(s.c_str(), s.size());
}

struct Entry {
  std::string_view key;
  flexbuffers::Reference value;
};

// The entries of a map, in key order; empty when `ref` is not a well-formed map.
std::optional<std::vector<Entry>> map_entries(const Document& doc, flexbuffers::Reference ref) {
  if (!ref.IsMap()) return std::nullopt;
  auto map = ref.AsMap();
  auto keys = map.Keys();
  auto values = map.Values();
  if (keys.size() != values.size()) return std::nullopt;
  std::vector<Entry> entries;
  entries.reserve(keys.size());
  for (std::size_t i = 0; i < keys.size(); ++i) {
    auto key = doc.key(keys[i]);
    if (!key) return std::nullopt;
    entries.push_back({*key, values[i]});
  }
  return entries;
}

// The value of `name` among `entries`, if present (serde ignores unknown fields).
std::optional<flexbuffers::Reference> field(const std::vector<Entry>& entries,
                                            std::string_view name) {
  for (const auto& e : entries)
    if (e.key == name) return e.value;
  return std::nullopt;
}

// serde's externally tagged enum: a map with exactly one entry, {variant: value}.
std::optional<Entry> variant(const Document& doc, flexbuffers::Reference ref) {
  auto entries = map_entries(doc, ref);
  if (!entries || entries->size() != 1) return std::nullopt;
  return entries->front();
}

std::string lowercase(std::string_view text) {
  std::string out(text);
  for (auto& c : out)
    if (c >= 'A' && c <= 'F') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

bool decode_add_nodes(const Document& doc, const std::vector<Entry>& body, VpnControl& out) {
  auto nodes = field(body, "nodes");
  if (!nodes) return false;
  auto entries = map_entries(doc, *nodes);
  if (!entries) return false;
  for (const auto& e : *entries) {
    auto id = string_value(e.value);
    if (!is_ipv4_dotted_quad(e.key) || !id || !is_node_id(*id)) return false;
    out.nodes.emplace_back(std::string(e.key), lowercase(*id));
  }
  return true;
}

bool decode_remove_nodes(const std::vector<Entry>& body, VpnControl& out) {
  auto ids = field(body, "node_ids");
  if (!ids || !ids->IsUntypedVector()) return false;
  auto vector = ids->AsVector();
  for (std::size_t i = 0; i < vector.size(); ++i) {
    auto id = string_value(vector[i]);
    if (!id || !is_node_id(*id)) return false;
    out.node_ids.push_back(lowercase(*id));
  }
  return true;
}

// ---- writing --------------------------------------------------------------------------------

std::string finish(flexbuffers::Builder& b) {
  b.Finish();
  const auto& buffer = b.GetBuffer();
  return std::string(buffer.begin(), buffer.end());
}

void string_field(flexbuffers::Builder& b, const char* key, std::string_view value) {
  b.Key(key);
  b.String(value.data(), value.size());
}

}  // namespace

// ---- zlib -----------------------------------------------------------------------------------

std::optional<std::string> inflate_if_zlib(std::string_view payload, std::error_code& ec) {
  ec.clear();
  if (!looks_like_zlib(payload)) return std::string(payload);
  std::string out;
  switch (inflate_bounded(payload, out, max_typed_payload)) {
    case Inflated::ok:
      return out;
    case Inflated::too_large:
      ec = bad_payload();
      return std::nullopt;
    case Inflated::not_zlib:
      break;
  }
  return std::string(payload);
}

std::string deflate_zlib(std::string_view bytes) {
  uLongf size = compressBound(static_cast<uLong>(bytes.size()));
  std::string out(size, '\0');
  compress2(reinterpret_cast<Bytef*>(out.data()), &size,
            reinterpret_cast<const Bytef*>(bytes.data()), static_cast<uLong>(bytes.size()), 6);
  out.resize(size);
  return out;
}

// ---- VpnControl -----------------------------------------------------------------------------

std::optional<VpnControl> decode_vpn_control(std::string_view payload, std::error_code& ec) {
  auto doc = Document::open(payload, ec);
  if (!doc) return std::nullopt;
  ec = bad_payload();
  auto tagged = variant(*doc, doc->root());
  if (!tagged) return std::nullopt;
  auto body = map_entries(*doc, tagged->value);
  if (!body) return std::nullopt;
  auto network_id = field(*body, "network_id");
  if (!network_id || !string_value(*network_id)) return std::nullopt;

  VpnControl control;
  control.network_id = std::string(*string_value(*network_id));
  if (tagged->key == "addNodes") {
    control.kind = VpnControl::Kind::add_nodes;
    if (!decode_add_nodes(*doc, *body, control)) return std::nullopt;
  } else if (tagged->key == "removeNodes") {
    control.kind = VpnControl::Kind::remove_nodes;
    if (!decode_remove_nodes(*body, control)) return std::nullopt;
  } else {
    return std::nullopt;
  }
  ec.clear();
  return control;
}

std::string encode_vpn_control(const VpnControl& control) {
  flexbuffers::Builder b(512, flexbuffers::BUILDER_FLAG_NONE);
  auto root = b.StartMap();
  if (control.kind == VpnControl::Kind::add_nodes) {
    // Keys are C strings in FlexBuffers; a map must not hold one twice.
    std::map<std::string, std::string_view> nodes;
    for (const auto& [ip, id] : control.nodes) nodes[std::string(ip.c_str())] = id;
    b.Key("addNodes");
    auto body = b.StartMap();
    string_field(b, "network_id", control.network_id);
    b.Key("nodes");
    auto map = b.StartMap();
    for (const auto& [ip, id] : nodes) string_field(b, ip.c_str(), id);
    b.EndMap(map);
    b.EndMap(body);
  } else {
    b.Key("removeNodes");
    auto body = b.StartMap();
    string_field(b, "network_id", control.network_id);
    b.Key("node_ids");
    auto vector = b.StartVector();
    for (const auto& id : control.node_ids) b.String(id.data(), id.size());
    b.EndVector(vector, false, false);
    b.EndMap(body);
  }
  b.EndMap(root);
  return finish(b);
}

// ---- replies --------------------------------------------------------------------------------

std::string encode_unit_ok() {
  flexbuffers::Builder b(64, flexbuffers::BUILDER_FLAG_NONE);
  auto root = b.StartMap();
  b.Key("Ok");
  b.Null();
  b.EndMap(root);
  return finish(b);
}

std::string encode_error(std::string_view message) {
  // ya_core_model::activity::RpcMessageError is rename_all = "camelCase": BadRequest is
  // "badRequest".
  flexbuffers::Builder b(128, flexbuffers::BUILDER_FLAG_NONE);
  auto root = b.StartMap();
  b.Key("Err");
  auto error = b.StartMap();
  string_field(b, "badRequest", message);
  b.EndMap(error);
  b.EndMap(root);
  return finish(b);
}

// ---- identity -------------------------------------------------------------------------------

std::string encode_identity_get_default() {
  // identity::Get is rename_all = "camelCase", and ByDefault is a unit variant: a string.
  flexbuffers::Builder b(32, flexbuffers::BUILDER_FLAG_NONE);
  b.String("byDefault");
  return finish(b);
}

std::optional<std::string> decode_identity_reply_node_id(std::string_view payload,
                                                         std::error_code& ec) {
  auto doc = Document::open(payload, ec);
  if (!doc) return std::nullopt;
  ec = bad_payload();
  auto result = variant(*doc, doc->root());
  if (!result) return std::nullopt;
  if (result->key == "Err") {
    ec = errc::gsb_call_failed;
    return std::nullopt;
  }
  if (result->key != "Ok") return std::nullopt;
  if (result->value.IsNull()) {  // Ok(None): the daemon has no default identity
    ec = errc::gsb_call_failed;
    return std::nullopt;
  }
  auto info = map_entries(*doc, result->value);
  if (!info) return std::nullopt;
  auto node_id = field(*info, "nodeId");
  if (!node_id) return std::nullopt;
  auto id = string_value(*node_id);
  if (!id || !is_node_id(*id)) return std::nullopt;
  ec.clear();
  return lowercase(*id);
}

std::string encode_identity_reply(std::string_view node_id) {
  // IdentityInfo is rename_all = "camelCase"; fields in declaration order, as serde writes them.
  flexbuffers::Builder b(128, flexbuffers::BUILDER_FLAG_NONE);
  auto root = b.StartMap();
  b.Key("Ok");
  auto info = b.StartMap();
  b.Key("alias");
  b.Null();
  string_field(b, "nodeId", node_id);
  b.Key("isLocked");
  b.Bool(false);
  b.Key("isDefault");
  b.Bool(true);
  b.EndMap(info);
  b.EndMap(root);
  return finish(b);
}

// ---- validation -----------------------------------------------------------------------------

bool is_node_id(std::string_view text) {
  if (text.size() != 42 || text[0] != '0' || text[1] != 'x') return false;
  return std::all_of(text.begin() + 2, text.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
  });
}

bool is_ipv4_dotted_quad(std::string_view text) {
  int parts = 0;
  std::size_t i = 0;
  while (parts < 4) {
    std::size_t start = i;
    int value = 0;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9' && i - start < 3)
      value = value * 10 + (text[i++] - '0');
    std::size_t digits = i - start;
    if (digits == 0 || value > 255 || (digits > 1 && text[start] == '0')) return false;
    if (++parts < 4) {
      if (i >= text.size() || text[i] != '.') return false;
      ++i;
    }
  }
  return i == text.size();
}

}  // namespace libproxy::gsb
