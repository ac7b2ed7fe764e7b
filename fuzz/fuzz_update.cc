// An UPDATE body under any session options, plus the same bytes as a TABLE_DUMP_V2 attribute
// list (abbreviated MP_REACH, RFC 6396 §4.3.4): no crash, and a stable round trip.
#include <cstddef>
#include <cstdint>

#include "daemon/wire/message.h"
#include "fuzz/fuzz_common.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace kbgp;
  if (size < 1) return 0;
  wire::CodecOptions opts = fuzz::OptionsFromByte(data[0]);
  ByteSpan body(data + 1, size - 1);

  absl::StatusOr<wire::Update> u1 = wire::DecodeUpdate(body, opts);
  if (u1.ok()) {
    Bytes out;
    if (wire::EncodeMessage(*u1, opts, &out).ok()) {
      absl::StatusOr<wire::Update> u2 =
          wire::DecodeUpdate(ByteSpan(out).subspan(wire::kHeaderLength), opts);
      if (!u2.ok()) fuzz::Fail("re-encoded UPDATE does not decode");
      u1->report = {};
      u2->report = {};
      if (!(*u1 == *u2)) fuzz::Fail("UPDATE changed in a round trip");
    }
  } else if (!GetBgpError(u1.status())) {
    fuzz::Fail("UPDATE decode error without a NOTIFICATION");
  }

  // The attribute-list decoder on its own, in the MRT form.
  wire::CodecOptions mrt = opts;
  mrt.four_octet_as = true;
  mrt.mrt_abbreviated_mp_reach = true;
  mrt.mrt_family = (data[0] & 0x20) ? wire::kIPv6Unicast : wire::kIPv4Unicast;
  wire::PathAttributes a1;
  wire::ErrorReport report;
  if (wire::DecodePathAttributes(Reader(body), mrt, /*has_nlri=*/true, &a1, &report).ok()) {
    Bytes enc;
    if (wire::EncodePathAttributes(a1, mrt, &enc).ok()) {
      wire::PathAttributes a2;
      wire::ErrorReport report2;
      if (!wire::DecodePathAttributes(Reader(enc), mrt, true, &a2, &report2).ok())
        fuzz::Fail("re-encoded MRT attributes do not decode");
      if (!(a1 == a2)) fuzz::Fail("MRT attributes changed in a round trip");
    }
  }
  return 0;
}
