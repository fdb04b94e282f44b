// The UDP probe (probe_sockets.hpp): the requestor id a datagram holds, the no-amplification
// rule, and the per-source token bucket that rate-limits answers, driven by the input: the
// first bytes pick sources and clock steps, the rest is the datagram.
#include "probe_sockets.hpp"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view datagram(reinterpret_cast<const char*>(data), size);
  if (const auto id = proxyd::udp_probe_requestor(datagram)) {
    // A non-empty prefix of the datagram, without trailing whitespace, at most 256 bytes.
    if (id->empty() || id->size() > 256 || datagram.substr(0, id->size()) != *id ||
        std::isspace(static_cast<unsigned char>(id->back())))
      __builtin_trap();
    for (char c : datagram.substr(id->size()))
      if (!std::isspace(static_cast<unsigned char>(c))) __builtin_trap();
  }
  // Never more bytes out than in, beyond the fixed allowance.
  for (std::size_t answer = 0; answer <= 600; answer += 37)
    if (proxyd::udp_probe_may_answer(size, answer) &&
        answer > std::max(size, proxyd::udp_probe_free_answer))
      __builtin_trap();

  // The rate limiter: a small table (so that sweeps and refusals happen), one event per byte.
  libproxy::SourceTable table({0, 5, 10, 8});
  auto now = libproxy::SourceTable::Clock::time_point{};
  std::size_t admitted_without_time = 0;
  for (std::size_t i = 0; i < size; ++i) {
    const std::uint8_t byte = data[i];
    if (byte & 0x80) {
      now += std::chrono::milliseconds(byte & 0x7F);
      admitted_without_time = 0;
      continue;
    }
    const asio::ip::address source = asio::ip::address_v4(0x0A000000u | (byte & 0x0F));
    const auto verdict = table.admit(source, now);
    if (verdict == libproxy::SourceTable::Verdict::admitted) {
      table.release(source);
      // Without time passing, no more than the whole table's bursts can be admitted.
      if (++admitted_without_time > 8 * 10 + 8 * 10) __builtin_trap();
    }
    if (table.size() > 8 || table.open(source) != 0) __builtin_trap();
  }
  return 0;
}
