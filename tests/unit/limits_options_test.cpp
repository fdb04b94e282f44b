// golem-proxyd's memory and probe limit options: the per-source byte bound, the smallest
// connection bound, the TCP probe's connection and request head bounds.
#include "options.hpp"

#include <catch2/catch.hpp>

#include <stdexcept>

using proxyd::parse_options;

TEST_CASE("golem-proxyd bounds the bytes per source and keeps a connection's bound over a window") {
  const auto defaults = parse_options({}).limits;
  CHECK(defaults.max_buffer_per_source == defaults.memory_budget / 4);
  CHECK(parse_options({"--memory-budget", "64"}).limits.max_buffer_per_source == 16u << 20);
  const auto limits =
      parse_options({"--max-buffer-per-source", "8", "--max-connection-buffer", "1280"}).limits;
  CHECK(limits.max_buffer_per_source == 8u << 20);
  CHECK(limits.max_connection_buffer == 1280u << 10);
  CHECK(parse_options({"--max-buffer-per-source", "0"}).limits.max_buffer_per_source == 0);
  // Below one offered window's weight (twice over) ordinary connections would be reset.
  CHECK_THROWS_AS(parse_options({"--max-connection-buffer", "64"}), std::invalid_argument);
  CHECK_THROWS_AS(parse_options({"--max-connection-buffer", "1279"}), std::invalid_argument);
}

TEST_CASE("golem-proxyd parses a TCP probe's connection and request head bounds") {
  const auto defaults = parse_options({}).probe_limits;
  CHECK(defaults.max_connections == 64);
  CHECK(defaults.max_head_bytes == 8 * 1024);
  const auto limits =
      parse_options({"--probe-max-connections", "16", "--probe-max-head-bytes", "2048"})
          .probe_limits;
  CHECK(limits.max_connections == 16);
  CHECK(limits.max_head_bytes == 2048);
  CHECK_THROWS_AS(parse_options({"--probe-max-connections", "0"}), std::invalid_argument);
  CHECK_THROWS_AS(parse_options({"--probe-max-head-bytes", "10"}), std::invalid_argument);
}
