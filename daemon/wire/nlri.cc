// NLRI codec (RFC 4271 §4.3, RFC 4760 §5, RFC 7911 §3): a list of <length, prefix> pairs,
// each preceded by a 4-byte path identifier when ADD-PATH is in use for the family.
#include <cstdint>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "daemon/common/bytes.h"
#include "daemon/common/ip.h"
#include "daemon/common/status.h"
#include "daemon/wire/attributes.h"
#include "daemon/wire/constants.h"

namespace kbgp::wire {

// Appends to *out (it is not cleared). Hot path for table loads: one push_back per prefix,
// no other allocation, no copy of the input.
absl::Status DecodeNlri(Reader r, Family family, bool add_path, std::vector<Nlri>* out) {
  const int max_bits = family == Family::kIPv4 ? 32 : 128;
  while (!r.empty()) {
    Nlri n;
    // RFC 7911 §3: the path identifier precedes the length octet.
    if (add_path && !r.ReadU32(&n.path_id)) {
      return BgpError(err::kUpdateMessage, err::kInvalidNetworkField,
                      "NLRI truncated in ADD-PATH path identifier");
    }
    uint8_t bits;
    if (!r.ReadU8(&bits)) {
      return BgpError(err::kUpdateMessage, err::kInvalidNetworkField,
                      "NLRI truncated before prefix length");
    }
    // RFC 4271 §6.3 / RFC 7606 §5.3: a prefix length beyond the address size makes the rest
    // of the field unparseable; only a session reset is safe.
    if (bits > max_bits) {
      return BgpError(err::kUpdateMessage, err::kInvalidNetworkField,
                      absl::StrCat("NLRI prefix length ", bits, " exceeds ", max_bits));
    }
    uint8_t addr[16] = {};
    if (!r.ReadInto((bits + 7) / 8, addr)) {
      return BgpError(err::kUpdateMessage, err::kInvalidNetworkField,
                      absl::StrCat("NLRI /", bits, " prefix truncated"));
    }
    // Bits set past the mask occur in real data (MRT sample
    // updates.nlri_mask_trailing_bits); like bgpdump we accept them and Prefix::Make
    // clears them, so the decoded prefix is canonical and re-encodes without them.
    IpAddress a = family == Family::kIPv4 ? IpAddress::V4Bytes(addr) : IpAddress::V6Bytes(addr);
    n.prefix = Prefix::Make(a, bits);
    out->push_back(n);
  }
  return absl::OkStatus();
}

void EncodeNlri(const Nlri& nlri, bool add_path, Writer* w) {
  if (add_path) w->PutU32(nlri.path_id);
  const uint8_t bits = nlri.prefix.length();
  w->PutU8(bits);
  w->PutBytes(ByteSpan(nlri.prefix.addr().data(), (bits + 7) / 8));
}

}  // namespace kbgp::wire
