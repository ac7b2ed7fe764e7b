// Capabilities Advertisement (RFC 5492): decoding and encoding of the capability TLVs carried
// in the Capabilities optional parameter of an OPEN.
//
// Error policy. A capability whose value does not fit the layout its code defines (a
// 4-octet AS capability of 3 bytes, a graceful restart capability of 5 bytes, ...) makes the
// Capabilities parameter malformed. RFC 4271 §6.2 says: "If one of the Optional Parameters in
// the OPEN message is recognized, but is malformed, then the Error Subcode MUST be set to 0
// (Unspecific)", so kbgp refuses the OPEN with OPEN Message Error / 0, as BIRD does
// (bgp_read_capabilities). Decoding such a TLV as UnknownCap instead would silently drop a
// feature the peer believes it negotiated (e.g. 4-octet AS), and the two sides would then
// disagree on the UPDATE encoding; OpenBGPD's "log and ignore" has that failure mode.
// Unsupported Capability (subcode 7) is not used here: RFC 5492 §5 reserves it for a
// capability the receiver requires but the peer did not send, which the session layer checks.
//
// Capabilities with codes kbgp does not interpret (including Cisco's pre-standard route
// refresh, code 128) are kept as UnknownCap with their bytes; RFC 5492 §5 says a speaker
// ignores capabilities it does not understand.
#include <string>
#include <type_traits>
#include <variant>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "daemon/common/status.h"
#include "daemon/wire/message.h"

namespace kbgp::wire {
namespace {

// Cisco's route refresh capability before RFC 2918 assigned code 2; some peers still send it
// next to code 2. Kept as UnknownCap.
constexpr uint8_t kCiscoRouteRefresh = 128;

absl::Status Malformed(uint8_t code, absl::string_view why) {
  // RFC 4271 §6.2: recognized but malformed optional parameter -> OPEN Message Error /
  // Unspecific (0).
  return BgpError(err::kOpenMessage, 0,
                  absl::StrCat("malformed ", CapabilityName(code), " capability: ", why));
}

absl::Status BadLength(uint8_t code, size_t got, absl::string_view want) {
  return Malformed(code, absl::StrCat("length ", got, ", want ", want));
}

bool ReadAfiSafi3(Reader* r, AfiSafi* f) {  // AFI (2), SAFI (1)
  return r->ReadU16(&f->afi) && r->ReadU8(&f->safi);
}

void PutAfiSafi3(const AfiSafi& f, Writer* w) {
  w->PutU16(f.afi);
  w->PutU8(f.safi);
}

// Decodes the value `v` of a capability with code `code` (known or not).
absl::Status DecodeValue(uint8_t code, Reader v, std::vector<Capability>* out) {
  const size_t len = v.remaining();
  switch (code) {
    case cap::kMultiprotocol: {
      // RFC 4760 §8: AFI (2), Reserved (1), SAFI (1).
      if (len != 4) return BadLength(code, len, "4");
      MultiprotocolCap c;
      uint8_t reserved = 0;
      v.ReadU16(&c.family.afi);
      v.ReadU8(&reserved);  // RFC 4760 §8: ignored on receipt
      v.ReadU8(&c.family.safi);
      out->push_back(c);
      return absl::OkStatus();
    }
    case cap::kRouteRefresh:  // RFC 2918 §2: length 0
      if (len != 0) return BadLength(code, len, "0");
      out->push_back(RouteRefreshCap{});
      return absl::OkStatus();
    case cap::kEnhancedRouteRefresh:  // RFC 7313 §3: length 0
      if (len != 0) return BadLength(code, len, "0");
      out->push_back(EnhancedRouteRefreshCap{});
      return absl::OkStatus();
    case cap::kExtendedMessage:  // RFC 8654 §3: length 0
      if (len != 0) return BadLength(code, len, "0");
      out->push_back(ExtendedMessageCap{});
      return absl::OkStatus();
    case cap::kFourOctetAs: {  // RFC 6793 §3: the 4-octet AS number
      if (len != 4) return BadLength(code, len, "4");
      FourOctetAsCap c;
      v.ReadU32(&c.asn);
      out->push_back(c);
      return absl::OkStatus();
    }
    case cap::kExtendedNextHop: {
      // RFC 8950 §3: triples of NLRI AFI (2), NLRI SAFI (2), Nexthop AFI (2).
      if (len % 6 != 0) return BadLength(code, len, "a multiple of 6");
      ExtendedNextHopCap c;
      while (!v.empty()) {
        ExtendedNextHopCap::Entry e;
        uint16_t safi = 0;
        v.ReadU16(&e.nlri_family.afi);
        v.ReadU16(&safi);
        v.ReadU16(&e.next_hop_afi);
        // SAFI values are one octet everywhere else (IANA SAFI registry, RFC 4760 §6); a
        // larger one cannot name any family.
        if (safi > 0xff) return Malformed(code, absl::StrCat("NLRI SAFI ", safi, " over 255"));
        e.nlri_family.safi = static_cast<uint8_t>(safi);
        c.entries.push_back(e);
      }
      out->push_back(std::move(c));
      return absl::OkStatus();
    }
    case cap::kGracefulRestart: {
      // RFC 4724 §3: Restart Flags (4 bits) + Restart Time (12 bits), then per family
      // AFI (2), SAFI (1), Flags for Address Family (1).
      if (len < 2 || (len - 2) % 4 != 0) return BadLength(code, len, "2 + 4n");
      GracefulRestartCap c;
      uint16_t flags_time = 0;
      v.ReadU16(&flags_time);
      c.flags = static_cast<uint8_t>(flags_time >> 12);
      c.restart_time = flags_time & 0x0fff;
      while (!v.empty()) {
        GracefulRestartCap::Entry e;
        ReadAfiSafi3(&v, &e.family);
        v.ReadU8(&e.flags);
        c.entries.push_back(e);
      }
      out->push_back(std::move(c));
      return absl::OkStatus();
    }
    case cap::kAddPath: {
      // RFC 7911 §4: AFI (2), SAFI (1), Send/Receive (1) per family. The Send/Receive value
      // is kept as received; the session layer interprets the bits.
      if (len % 4 != 0) return BadLength(code, len, "a multiple of 4");
      AddPathCap c;
      while (!v.empty()) {
        AddPathCap::Entry e;
        ReadAfiSafi3(&v, &e.family);
        v.ReadU8(&e.send_receive);
        c.entries.push_back(e);
      }
      out->push_back(std::move(c));
      return absl::OkStatus();
    }
    case cap::kLongLivedGracefulRestart: {
      // RFC 9494 §3: AFI (2), SAFI (1), Flags (1), Long-lived Stale Time (3) per family.
      if (len % 7 != 0) return BadLength(code, len, "a multiple of 7");
      LongLivedGracefulRestartCap c;
      while (!v.empty()) {
        LongLivedGracefulRestartCap::Entry e;
        uint8_t hi = 0;
        uint16_t lo = 0;
        ReadAfiSafi3(&v, &e.family);
        v.ReadU8(&e.flags);
        v.ReadU8(&hi);
        v.ReadU16(&lo);
        e.stale_time = (uint32_t{hi} << 16) | lo;
        c.entries.push_back(e);
      }
      out->push_back(std::move(c));
      return absl::OkStatus();
    }
    case cap::kFqdn: {
      // draft-walton-bgp-hostname-capability §3: Hostname Length (1), Hostname,
      // Domain Name Length (1), Domain Name; nothing after.
      FqdnCap c;
      uint8_t n = 0;
      ByteSpan s;
      if (!v.ReadU8(&n) || !v.ReadSpan(n, &s)) return Malformed(code, "hostname overruns");
      c.hostname.assign(s.begin(), s.end());
      if (!v.ReadU8(&n) || !v.ReadSpan(n, &s)) return Malformed(code, "domain name overruns");
      c.domain.assign(s.begin(), s.end());
      if (!v.empty()) return Malformed(code, "bytes after the domain name");
      out->push_back(std::move(c));
      return absl::OkStatus();
    }
    default: {
      UnknownCap c;
      c.code = code;
      c.value.assign(v.rest().begin(), v.rest().end());
      out->push_back(std::move(c));
      return absl::OkStatus();
    }
  }
}

bool IsDecodedCode(uint8_t code) {
  switch (code) {
    case cap::kMultiprotocol:
    case cap::kRouteRefresh:
    case cap::kExtendedNextHop:
    case cap::kExtendedMessage:
    case cap::kGracefulRestart:
    case cap::kFourOctetAs:
    case cap::kAddPath:
    case cap::kEnhancedRouteRefresh:
    case cap::kLongLivedGracefulRestart:
    case cap::kFqdn:
      return true;
    default:
      return false;
  }
}

// Writes the value of a capability (not its code and length).
class ValueWriter {
 public:
  explicit ValueWriter(Writer* w) : w_(w) {}

  absl::Status operator()(const MultiprotocolCap& c) {
    w_->PutU16(c.family.afi);
    w_->PutU8(0);  // Reserved, RFC 4760 §8
    w_->PutU8(c.family.safi);
    return absl::OkStatus();
  }
  absl::Status operator()(const RouteRefreshCap&) { return absl::OkStatus(); }
  absl::Status operator()(const EnhancedRouteRefreshCap&) { return absl::OkStatus(); }
  absl::Status operator()(const ExtendedMessageCap&) { return absl::OkStatus(); }
  absl::Status operator()(const FourOctetAsCap& c) {
    w_->PutU32(c.asn);
    return absl::OkStatus();
  }
  absl::Status operator()(const ExtendedNextHopCap& c) {
    for (const auto& e : c.entries) {
      w_->PutU16(e.nlri_family.afi);
      w_->PutU16(e.nlri_family.safi);  // 2 octets here (RFC 8950 §3)
      w_->PutU16(e.next_hop_afi);
    }
    return absl::OkStatus();
  }
  absl::Status operator()(const GracefulRestartCap& c) {
    if (c.flags > 0xf) return absl::InvalidArgumentError("graceful restart flags over 4 bits");
    if (c.restart_time > 0xfff) {
      return absl::InvalidArgumentError("graceful restart time over 4095 seconds");
    }
    w_->PutU16(static_cast<uint16_t>((c.flags << 12) | c.restart_time));
    for (const auto& e : c.entries) {
      PutAfiSafi3(e.family, w_);
      w_->PutU8(e.flags);
    }
    return absl::OkStatus();
  }
  absl::Status operator()(const AddPathCap& c) {
    for (const auto& e : c.entries) {
      PutAfiSafi3(e.family, w_);
      w_->PutU8(e.send_receive);
    }
    return absl::OkStatus();
  }
  absl::Status operator()(const LongLivedGracefulRestartCap& c) {
    for (const auto& e : c.entries) {
      if (e.stale_time > 0xffffff) {
        return absl::InvalidArgumentError("long-lived stale time over 24 bits");
      }
      PutAfiSafi3(e.family, w_);
      w_->PutU8(e.flags);
      w_->PutU8(static_cast<uint8_t>(e.stale_time >> 16));
      w_->PutU16(static_cast<uint16_t>(e.stale_time));
    }
    return absl::OkStatus();
  }
  absl::Status operator()(const FqdnCap& c) {
    for (const std::string* s : {&c.hostname, &c.domain}) {
      if (s->size() > 0xff) return absl::InvalidArgumentError("FQDN name over 255 bytes");
      w_->PutU8(static_cast<uint8_t>(s->size()));
      w_->PutBytes(ByteSpan(reinterpret_cast<const uint8_t*>(s->data()), s->size()));
    }
    return absl::OkStatus();
  }
  absl::Status operator()(const UnknownCap& c) {
    // A known code with raw bytes would re-parse as a different variant (or fail to), so
    // the encoder refuses it: everything kbgp sends decodes back to what it meant to send.
    if (IsDecodedCode(c.code)) {
      return absl::InvalidArgumentError(
          absl::StrCat("UnknownCap with the decoded code ", c.code, " (", CapabilityName(c.code),
                       ")"));
    }
    w_->PutBytes(c.value);
    return absl::OkStatus();
  }

 private:
  Writer* w_;
};

}  // namespace

uint8_t CapabilityCode(const Capability& c) {
  return std::visit(
      [](const auto& v) -> uint8_t {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, MultiprotocolCap>) return cap::kMultiprotocol;
        if constexpr (std::is_same_v<T, RouteRefreshCap>) return cap::kRouteRefresh;
        if constexpr (std::is_same_v<T, EnhancedRouteRefreshCap>) {
          return cap::kEnhancedRouteRefresh;
        }
        if constexpr (std::is_same_v<T, ExtendedMessageCap>) return cap::kExtendedMessage;
        if constexpr (std::is_same_v<T, FourOctetAsCap>) return cap::kFourOctetAs;
        if constexpr (std::is_same_v<T, ExtendedNextHopCap>) return cap::kExtendedNextHop;
        if constexpr (std::is_same_v<T, GracefulRestartCap>) return cap::kGracefulRestart;
        if constexpr (std::is_same_v<T, AddPathCap>) return cap::kAddPath;
        if constexpr (std::is_same_v<T, LongLivedGracefulRestartCap>) {
          return cap::kLongLivedGracefulRestart;
        }
        if constexpr (std::is_same_v<T, FqdnCap>) return cap::kFqdn;
        if constexpr (std::is_same_v<T, UnknownCap>) return v.code;
      },
      c);
}

std::string CapabilityName(uint8_t code) {
  switch (code) {
    case cap::kMultiprotocol:
      return "multiprotocol";
    case cap::kRouteRefresh:
      return "route-refresh";
    case cap::kExtendedNextHop:
      return "extended-nexthop";
    case cap::kExtendedMessage:
      return "extended-message";
    case cap::kGracefulRestart:
      return "graceful-restart";
    case cap::kFourOctetAs:
      return "4-octet-as";
    case cap::kAddPath:
      return "add-path";
    case cap::kEnhancedRouteRefresh:
      return "enhanced-route-refresh";
    case cap::kLongLivedGracefulRestart:
      return "long-lived-graceful-restart";
    case cap::kFqdn:
      return "fqdn";
    case kCiscoRouteRefresh:
      return "cisco-route-refresh";
    default:
      return absl::StrCat("cap(", code, ")");
  }
}

absl::Status DecodeCapabilities(ByteSpan value, std::vector<Capability>* out) {
  Reader r(value);
  while (!r.empty()) {
    // RFC 5492 §4: Capability Code (1), Capability Length (1), Capability Value.
    uint8_t code = 0, len = 0;
    Reader v;
    if (!r.ReadU8(&code) || !r.ReadU8(&len)) {
      return BgpError(err::kOpenMessage, 0, "truncated capability header");
    }
    if (!r.ReadSub(len, &v)) {
      return Malformed(code, absl::StrCat("length ", len, " runs past the parameter (",
                                          r.remaining(), " bytes left)"));
    }
    absl::Status s = DecodeValue(code, v, out);
    if (!s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::Status EncodeCapability(const Capability& c, Writer* w) {
  const size_t start = w->size();
  w->PutU8(CapabilityCode(c));
  const size_t len_at = w->ReserveU8();
  absl::Status s = std::visit(ValueWriter(w), c);
  if (s.ok() && !w->PatchU8Length(len_at)) {
    s = absl::InvalidArgumentError(
        absl::StrCat(CapabilityName(CapabilityCode(c)), " capability over 255 bytes"));
  }
  if (!s.ok()) w->bytes()->resize(start);
  return s;
}

}  // namespace kbgp::wire
