// An OPEN body: capabilities and optional parameters decode without crashing and re-encode
// to the same OPEN.
#include <cstddef>
#include <cstdint>

#include "daemon/wire/message.h"
#include "fuzz/fuzz_common.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace kbgp;
  absl::StatusOr<wire::Open> o1 = wire::DecodeOpen(ByteSpan(data, size));
  if (!o1.ok()) {
    if (!GetBgpError(o1.status())) fuzz::Fail("OPEN decode error without a NOTIFICATION");
    return 0;
  }
  wire::CodecOptions opts;
  Bytes out;
  if (!wire::EncodeMessage(*o1, opts, &out).ok()) return 0;
  absl::StatusOr<wire::Open> o2 = wire::DecodeOpen(ByteSpan(out).subspan(wire::kHeaderLength));
  if (!o2.ok()) fuzz::Fail("re-encoded OPEN does not decode");
  if (!(*o1 == *o2)) fuzz::Fail("OPEN changed in a round trip");
  return 0;
}
