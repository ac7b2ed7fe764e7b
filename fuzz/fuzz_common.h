// Shared helpers for the wire fuzz targets: options from the input's first byte, and the
// round-trip check (decode -> encode -> decode gives the same value).
#ifndef KBGP_FUZZ_FUZZ_COMMON_H_
#define KBGP_FUZZ_FUZZ_COMMON_H_

#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include "daemon/wire/attributes.h"

namespace kbgp::fuzz {

// Bit 0: 4-octet AS, 1: extended message, 2: ADD-PATH IPv4, 3: ADD-PATH IPv6, 4: eBGP peer.
inline wire::CodecOptions OptionsFromByte(uint8_t b) {
  wire::CodecOptions o;
  o.four_octet_as = b & 1;
  o.extended_message = b & 2;
  o.add_path_ipv4 = b & 4;
  o.add_path_ipv6 = b & 8;
  o.external_peer = b & 16;
  return o;
}

[[noreturn]] inline void Fail(const char* what) {
  std::fprintf(stderr, "fuzz finding: %s\n", what);
  std::abort();
}

}  // namespace kbgp::fuzz

#endif  // KBGP_FUZZ_FUZZ_COMMON_H_
