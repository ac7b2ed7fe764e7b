// Any BGP message under any session options: decoding never crashes, and what decodes
// re-encodes to something that decodes to the same message (RFC 7606 reports aside: a
// discarded attribute is gone from the re-encoded message, so its report is too).
#include <cstddef>
#include <cstdint>
#include <variant>

#include "daemon/wire/message.h"
#include "fuzz/fuzz_common.h"

namespace {

void ClearReport(kbgp::wire::Message& m) {
  if (auto* u = std::get_if<kbgp::wire::Update>(&m)) u->report = {};
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace kbgp;
  if (size < 1) return 0;
  wire::CodecOptions opts = fuzz::OptionsFromByte(data[0]);
  ByteSpan msg(data + 1, size - 1);
  if (msg.size() < wire::kHeaderLength) return 0;
  absl::StatusOr<wire::Header> h = wire::DecodeHeader(msg, opts);
  if (!h.ok()) return 0;
  if (h->length > msg.size()) return 0;
  absl::StatusOr<wire::Message> m1 = wire::DecodeMessage(msg.first(h->length), opts);
  if (!m1.ok()) {
    if (!GetBgpError(m1.status())) fuzz::Fail("decode error without a NOTIFICATION");
    return 0;
  }
  Bytes out;
  if (!wire::EncodeMessage(*m1, opts, &out).ok()) return 0;  // e.g. grew past the maximum
  absl::StatusOr<wire::Message> m2 = wire::DecodeMessage(out, opts);
  if (!m2.ok()) fuzz::Fail("re-encoded message does not decode");
  ClearReport(*m1);
  ClearReport(*m2);
  if (!(*m1 == *m2)) fuzz::Fail("decode -> encode -> decode changed the message");
  return 0;
}
