// The OS half of our lwIP port: the clock, randomness, initial sequence numbers and the
// thread-ownership check that lwipopts.h wires into lwIP.
#include "../stack.hpp"

#include <lwip/arch.h>
#include <lwip/sys.h>

#include <sys/random.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>

namespace {

std::mt19937& random_engine() {
  static std::mt19937 engine = [] {
    std::uint32_t seed = 0;
    if (getrandom(&seed, sizeof seed, 0) != sizeof seed) seed = std::random_device{}();
    return std::mt19937(seed);
  }();
  return engine;
}

// SipHash-2-4 (Aumasson and Bernstein), the keyed hash RFC 6528 suggests for ISNs.
std::uint64_t rotl(std::uint64_t x, int b) { return (x << b) | (x >> (64 - b)); }

void sip_round(std::uint64_t& v0, std::uint64_t& v1, std::uint64_t& v2, std::uint64_t& v3) {
  v0 += v1, v1 = rotl(v1, 13), v1 ^= v0, v0 = rotl(v0, 32);
  v2 += v3, v3 = rotl(v3, 16), v3 ^= v2;
  v0 += v3, v3 = rotl(v3, 21), v3 ^= v0;
  v2 += v1, v1 = rotl(v1, 17), v1 ^= v2, v2 = rotl(v2, 32);
}

// Hashes exactly two 64-bit words (the 4-tuple), enough for our ISNs.
std::uint64_t siphash_2x64(const std::array<std::uint64_t, 2>& key, std::uint64_t m0,
                           std::uint64_t m1) {
  std::uint64_t v0 = key[0] ^ 0x736f6d6570736575ULL, v1 = key[1] ^ 0x646f72616e646f6dULL;
  std::uint64_t v2 = key[0] ^ 0x6c7967656e657261ULL, v3 = key[1] ^ 0x7465646279746573ULL;
  for (std::uint64_t m : {m0, m1, std::uint64_t{16} << 56}) {
    v3 ^= m;
    sip_round(v0, v1, v2, v3);
    sip_round(v0, v1, v2, v3);
    v0 ^= m;
  }
  v2 ^= 0xff;
  for (int i = 0; i < 4; ++i) sip_round(v0, v1, v2, v3);
  return v0 ^ v1 ^ v2 ^ v3;
}

const std::array<std::uint64_t, 2>& isn_key() {
  static const std::array<std::uint64_t, 2> key = [] {
    std::array<std::uint64_t, 2> k{};
    if (getrandom(k.data(), sizeof k, 0) != sizeof k) {
      k[0] = (std::uint64_t{random_engine()()} << 32) | random_engine()();
      k[1] = (std::uint64_t{random_engine()()} << 32) | random_engine()();
    }
    return k;
  }();
  return key;
}

const std::uint32_t* g_manual_clock = nullptr;

}  // namespace

void libproxy::stack::use_manual_clock(const std::uint32_t* now_ms) { g_manual_clock = now_ms; }

extern "C" {

u32_t sys_now(void) {
  if (g_manual_clock != nullptr) return *g_manual_clock;
  using namespace std::chrono;
  return static_cast<u32_t>(
      duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count());
}

void libproxy_assert_core_locked(void) {
  const auto* stack = libproxy::stack::Stack::current();
  if (stack == nullptr || !stack->on_owner_thread()) {
    std::fputs("libproxy: lwIP called outside the thread that owns the stack\n", stderr);
    std::abort();
  }
}

uint32_t libproxy_random_u32(void) { return random_engine()(); }

uint32_t libproxy_tcp_isn(uint32_t local_ip, uint16_t local_port, uint32_t remote_ip,
                          uint16_t remote_port) {
  using namespace std::chrono;
  const auto ticks_4us = static_cast<std::uint32_t>(
      duration_cast<microseconds>(steady_clock::now().time_since_epoch()).count() / 4);
  const std::uint64_t m0 = (std::uint64_t{local_ip} << 32) | remote_ip;
  const std::uint64_t m1 = (std::uint64_t{local_port} << 16) | remote_port;
  return static_cast<std::uint32_t>(siphash_2x64(isn_key(), m0, m1)) + ticks_4us;
}

}  // extern "C"
