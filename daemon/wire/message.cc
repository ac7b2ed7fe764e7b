// BGP message framing and the OPEN, UPDATE, NOTIFICATION, KEEPALIVE and ROUTE-REFRESH
// codecs (RFC 4271 §4, RFC 2918, RFC 7313, RFC 8654, RFC 9072). Capabilities are in
// capability.cc, path attributes and NLRI in attributes.cc / nlri.cc.
//
// Every decode error returns a status carrying the NOTIFICATION RFC 4271 §6 (or the RFC that
// defines the field) says to send. Things the codec cannot judge alone are returned as data
// for the session layer:
//  - unrecognized OPEN optional parameters are kept in Open::other_parameters (RFC 4271 §6.2
//    says to answer Unsupported Optional Parameter; the session sends it),
//  - a ROUTE-REFRESH with an unknown subtype is decoded and returned (RFC 7313 §5: the
//    receiver MUST ignore it; the session does),
//  - whether the peer's AS and BGP Identifier are acceptable (Bad Peer AS, a BGP Identifier
//    equal to ours) depends on configuration.
#include <array>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "daemon/common/status.h"
#include "daemon/wire/message.h"

namespace kbgp::wire {
namespace {

constexpr size_t kMarkerLength = 16;
constexpr size_t kMinOpenLength = 29;          // RFC 4271 §4.2
constexpr size_t kMinUpdateLength = 23;        // RFC 4271 §4.3
constexpr size_t kMinNotificationLength = 21;  // RFC 4271 §4.5
constexpr size_t kKeepaliveLength = 19;        // RFC 4271 §4.4
constexpr size_t kRouteRefreshLength = 23;     // RFC 2918 §3
constexpr uint16_t kBgpVersion = 4;

// The Length field as NOTIFICATION data (RFC 4271 §6.1: "the Data field MUST contain the
// erroneous Length field").
std::array<uint8_t, 2> LengthData(size_t length) {
  return {static_cast<uint8_t>(length >> 8), static_cast<uint8_t>(length)};
}

absl::Status BadLength(size_t length, absl::string_view why) {
  std::array<uint8_t, 2> d = LengthData(length);
  return BgpError(err::kMessageHeader, err::kBadMessageLength, d,
                  absl::StrCat("bad message length ", length, ": ", why));
}

absl::Status OpenError(uint8_t subcode, absl::string_view why) {
  return BgpError(err::kOpenMessage, subcode, absl::StrCat("bad OPEN: ", why));
}

absl::Status UpdateError(uint8_t subcode, absl::string_view why) {
  return BgpError(err::kUpdateMessage, subcode, absl::StrCat("bad UPDATE: ", why));
}

// Whether the attribute list holds an MP_REACH_NLRI, by walking the attribute headers only.
// Stops quietly at a malformed header: DecodePathAttributes reports that one.
bool HasMpReach(Reader r) {
  while (!r.empty()) {
    uint8_t flags = 0, type = 0, len8 = 0;
    uint16_t len = 0;
    if (!r.ReadU8(&flags) || !r.ReadU8(&type)) return false;
    if (flags & attr::kFlagExtendedLength) {
      if (!r.ReadU16(&len)) return false;
    } else {
      if (!r.ReadU8(&len8)) return false;
      len = len8;
    }
    if (type == attr::kMpReachNlri) return true;
    if (!r.Skip(len)) return false;
  }
  return false;
}

// ---- Encoders for each body ----

absl::Status EncodeOpenBody(const Open& o, Writer* w) {
  w->PutU8(o.version);
  w->PutU16(o.my_as);
  w->PutU16(o.hold_time);
  w->PutU32(o.bgp_id);

  // All capabilities go into one Capabilities parameter (as BIRD sends them; RFC 5492 §4
  // allows one or several).
  Bytes caps;
  Writer cw(&caps);
  for (const Capability& c : o.capabilities) {
    absl::Status s = EncodeCapability(c, &cw);
    if (!s.ok()) return s;
  }

  // RFC 9072 §2: the extended format is needed when the parameters do not fit the one-octet
  // lengths. It is also needed when the first parameter would have type 255, which a
  // receiver would take for the extended-format marker.
  size_t classic_len = caps.empty() ? 0 : 2 + caps.size();
  bool fits = caps.size() <= 0xff;
  for (const OptionalParameter& p : o.other_parameters) {
    classic_len += 2 + p.value.size();
    fits = fits && p.value.size() <= 0xff;
  }
  const bool first_is_255 = caps.empty() && !o.other_parameters.empty() &&
                            o.other_parameters.front().type == kOptParamExtendedLength;
  const bool extended = !fits || classic_len > 0xff || first_is_255;

  size_t total_at = 0;
  if (extended) {
    w->PutU8(0xff);                     // Non-Ext OP Len: any nonzero value (RFC 9072 §2)
    w->PutU8(kOptParamExtendedLength);  // Non-Ext OP Type: 255 marks the extended format
    total_at = w->ReserveU16();
  } else {
    total_at = w->ReserveU8();
  }
  auto put_param = [&](uint8_t type, ByteSpan value) -> bool {
    w->PutU8(type);
    if (extended) {
      if (value.size() > 0xffff) return false;
      w->PutU16(static_cast<uint16_t>(value.size()));
    } else {
      w->PutU8(static_cast<uint8_t>(value.size()));
    }
    w->PutBytes(value);
    return true;
  };
  if (!caps.empty() && !put_param(kOptParamCapabilities, caps)) {
    return absl::InvalidArgumentError("capabilities over 65535 bytes");
  }
  for (const OptionalParameter& p : o.other_parameters) {
    if (!put_param(p.type, p.value)) {
      return absl::InvalidArgumentError("optional parameter over 65535 bytes");
    }
  }
  if (!(extended ? w->PatchU16Length(total_at) : w->PatchU8Length(total_at))) {
    return absl::InvalidArgumentError("optional parameters too long");
  }
  return absl::OkStatus();
}

absl::Status EncodeNlriList(const std::vector<Nlri>& list, bool add_path, Writer* w) {
  for (const Nlri& n : list) {
    // The Withdrawn Routes and NLRI fields hold IPv4 unicast only (RFC 4271 §4.3); other
    // families go in MP_REACH/MP_UNREACH (RFC 4760).
    if (n.prefix.family() != Family::kIPv4) {
      return absl::InvalidArgumentError(
          absl::StrCat("non-IPv4 prefix ", n.prefix.ToString(), " outside MP_REACH/UNREACH"));
    }
    EncodeNlri(n, add_path, w);
  }
  return absl::OkStatus();
}

absl::Status EncodeUpdateBody(const Update& u, const CodecOptions& opts, Writer* w) {
  const bool add_path = opts.AddPath(kIPv4Unicast);
  const size_t withdrawn_at = w->ReserveU16();
  absl::Status s = EncodeNlriList(u.withdrawn, add_path, w);
  if (!s.ok()) return s;
  if (!w->PatchU16Length(withdrawn_at)) {
    return absl::InvalidArgumentError("withdrawn routes over 65535 bytes");
  }
  const size_t attrs_at = w->ReserveU16();
  s = EncodePathAttributes(u.attrs, opts, w->bytes());
  if (!s.ok()) return s;
  if (!w->PatchU16Length(attrs_at)) {
    return absl::InvalidArgumentError("path attributes over 65535 bytes");
  }
  return EncodeNlriList(u.nlri, add_path, w);
}

// UTF-8 as RFC 3629 §4 defines it: no overlong forms, no surrogates, nothing past U+10FFFF.
bool IsValidUtf8(ByteSpan s) {
  size_t i = 0;
  while (i < s.size()) {
    const uint8_t c = s[i];
    size_t n = 0;
    uint8_t lo = 0x80, hi = 0xbf;  // allowed range of the second byte
    if (c < 0x80) {
      ++i;
      continue;
    } else if (c >= 0xc2 && c <= 0xdf) {
      n = 1;
    } else if (c >= 0xe0 && c <= 0xef) {
      n = 2;
      if (c == 0xe0) lo = 0xa0;  // overlong
      if (c == 0xed) hi = 0x9f;  // surrogates
    } else if (c >= 0xf0 && c <= 0xf4) {
      n = 3;
      if (c == 0xf0) lo = 0x90;  // overlong
      if (c == 0xf4) hi = 0x8f;  // over U+10FFFF
    } else {
      return false;
    }
    if (s.size() - i <= n) return false;
    if (s[i + 1] < lo || s[i + 1] > hi) return false;
    for (size_t k = 2; k <= n; ++k) {
      if ((s[i + k] & 0xc0) != 0x80) return false;
    }
    i += n + 1;
  }
  return true;
}

}  // namespace

MessageType TypeOf(const Message& m) {
  return std::visit(
      [](const auto& v) -> MessageType {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, Open>) return MessageType::kOpen;
        if constexpr (std::is_same_v<T, Update>) return MessageType::kUpdate;
        if constexpr (std::is_same_v<T, Notification>) return MessageType::kNotification;
        if constexpr (std::is_same_v<T, Keepalive>) return MessageType::kKeepalive;
        if constexpr (std::is_same_v<T, RouteRefresh>) return MessageType::kRouteRefresh;
      },
      m);
}

absl::StatusOr<Header> DecodeHeader(ByteSpan data, const CodecOptions& opts) {
  if (data.size() < kHeaderLength) {
    // The caller frames messages; fewer bytes than a header is its mistake, but still
    // reported as a NOTIFICATION so that no decode error lacks one.
    return BgpError(err::kMessageHeader, err::kBadMessageLength,
                    absl::StrCat("header needs 19 bytes, got ", data.size()));
  }
  // RFC 4271 §6.1: a Marker that is not all ones -> Connection Not Synchronized.
  for (size_t i = 0; i < kMarkerLength; ++i) {
    if (data[i] != 0xff) {
      return BgpError(err::kMessageHeader, err::kConnectionNotSynchronized,
                      "marker is not all ones");
    }
  }
  Reader r(data);
  r.Skip(kMarkerLength);
  Header h;
  uint8_t type = 0;
  r.ReadU16(&h.length);
  r.ReadU8(&type);

  // RFC 4271 §6.1: Length under 19 or over 4096 (RFC 8654: 65535 once extended messages are
  // negotiated) -> Bad Message Length, data = the Length field.
  if (h.length < kHeaderLength) return BadLength(h.length, "under 19");
  if (h.length > opts.max_message_length()) {
    return BadLength(h.length, absl::StrCat("over ", opts.max_message_length()));
  }
  // RFC 4271 §6.1: unrecognized Type -> Bad Message Type, data = the Type field.
  if (type < static_cast<uint8_t>(MessageType::kOpen) ||
      type > static_cast<uint8_t>(MessageType::kRouteRefresh)) {
    return BgpError(err::kMessageHeader, err::kBadMessageType, data.subspan(18, 1),
                    absl::StrCat("unknown message type ", type));
  }
  h.type = static_cast<MessageType>(type);

  // RFC 4271 §6.1: per-type minimum lengths -> Bad Message Length.
  switch (h.type) {
    case MessageType::kOpen:
      if (h.length < kMinOpenLength) return BadLength(h.length, "OPEN under 29");
      // RFC 8654 §4: OPEN is never an extended message.
      if (h.length > kMaxMessageLength) return BadLength(h.length, "OPEN over 4096");
      break;
    case MessageType::kUpdate:
      if (h.length < kMinUpdateLength) return BadLength(h.length, "UPDATE under 23");
      break;
    case MessageType::kNotification:
      if (h.length < kMinNotificationLength) {
        return BadLength(h.length, "NOTIFICATION under 21");
      }
      break;
    case MessageType::kKeepalive:
      // RFC 4271 §6.1: a KEEPALIVE is exactly 19 bytes (so never extended, RFC 8654 §4).
      if (h.length != kKeepaliveLength) return BadLength(h.length, "KEEPALIVE not 19");
      break;
    case MessageType::kRouteRefresh:
      // Too short to hold AFI/SAFI -> Bad Message Length (RFC 4271 §6.1 minimum, as BIRD).
      // Too long is a ROUTE-REFRESH Message Error (RFC 7313 §5), found by
      // DecodeRouteRefresh, which needs the subtype to decide.
      if (h.length < kRouteRefreshLength) return BadLength(h.length, "ROUTE-REFRESH under 23");
      break;
  }
  return h;
}

absl::StatusOr<Message> DecodeMessage(ByteSpan data, const CodecOptions& opts) {
  absl::StatusOr<Header> h = DecodeHeader(data, opts);
  if (!h.ok()) return h.status();
  if (data.size() != h->length) {
    // The framer hands over exactly one message; anything else means the Length field
    // is not what the bytes say (RFC 4271 §6.1).
    return BadLength(h->length, absl::StrCat("header says ", h->length, ", have ", data.size()));
  }
  ByteSpan body = data.subspan(kHeaderLength);
  switch (h->type) {
    case MessageType::kOpen: {
      absl::StatusOr<Open> o = DecodeOpen(body);
      if (!o.ok()) return o.status();
      return Message(std::move(*o));
    }
    case MessageType::kUpdate: {
      absl::StatusOr<Update> u = DecodeUpdate(body, opts);
      if (!u.ok()) return u.status();
      return Message(std::move(*u));
    }
    case MessageType::kNotification: {
      absl::StatusOr<Notification> n = DecodeNotification(body);
      if (!n.ok()) return n.status();
      return Message(std::move(*n));
    }
    case MessageType::kKeepalive:
      return Message(Keepalive{});
    case MessageType::kRouteRefresh: {
      absl::StatusOr<RouteRefresh> rr = DecodeRouteRefresh(body);
      if (!rr.ok()) return rr.status();
      return Message(*rr);
    }
  }
  return BgpError(err::kMessageHeader, err::kBadMessageType, "unreachable message type");
}

absl::StatusOr<Open> DecodeOpen(ByteSpan body) {
  const size_t length = kHeaderLength + body.size();
  Reader r(body);
  Open o;
  uint8_t opt_len = 0;
  if (!r.ReadU8(&o.version) || !r.ReadU16(&o.my_as) || !r.ReadU16(&o.hold_time) ||
      !r.ReadU32(&o.bgp_id) || !r.ReadU8(&opt_len)) {
    return BadLength(length, "OPEN under 29");  // RFC 4271 §6.1
  }
  // RFC 4271 §6.2: unsupported version -> Unsupported Version Number, data = the largest
  // supported version below the one bid, else the smallest supported; kbgp has only 4.
  if (o.version != kBgpVersion) {
    const std::array<uint8_t, 2> d = {0, kBgpVersion};
    return BgpError(err::kOpenMessage, err::kUnsupportedVersionNumber, d,
                    absl::StrCat("bad OPEN: version ", o.version, ", only 4 is supported"));
  }
  // RFC 7607 §2: a peer AS of zero in an OPEN -> Bad Peer AS.
  if (o.my_as == 0) return OpenError(err::kBadPeerAs, "My Autonomous System is 0");
  // RFC 4271 §6.2: "An implementation MUST reject Hold Time values of one or two seconds."
  if (o.hold_time == 1 || o.hold_time == 2) {
    return OpenError(err::kUnacceptableHoldTime, absl::StrCat("hold time ", o.hold_time));
  }
  // RFC 6286 §2.2: the BGP Identifier is any nonzero 32-bit value (it need not be a valid
  // unicast address). Whether it clashes with ours is the session's check.
  if (o.bgp_id == 0) return OpenError(err::kBadBgpIdentifier, "BGP Identifier is 0");

  // Optional parameters. RFC 9072 §2: a nonzero Non-Ext OP Len followed by a Non-Ext OP Type
  // of 255 announces the extended format: a 2-octet total length, and 2-octet parameter
  // lengths. The Non-Ext OP Len value is then ignored.
  Reader params;
  bool extended = false;
  uint8_t first_type = 0;
  if (opt_len != 0 && r.PeekU8(&first_type) && first_type == kOptParamExtendedLength) {
    uint16_t ext_len = 0;
    r.Skip(1);
    if (!r.ReadU16(&ext_len)) {
      return OpenError(0, "truncated Extended Optional Parameters Length");
    }
    if (ext_len != r.remaining()) {
      return OpenError(0, absl::StrCat("Extended Optional Parameters Length ", ext_len,
                                       " but ", r.remaining(), " bytes follow"));
    }
    r.ReadSub(ext_len, &params);
    extended = true;
  } else {
    // RFC 4271 §6.2: the parameters must fill the rest of the message exactly. A mismatch
    // makes the OPEN malformed -> OPEN Message Error, Unspecific (as BIRD and OpenBGPD).
    if (opt_len != r.remaining()) {
      return OpenError(0, absl::StrCat("Optional Parameters Length ", opt_len, " but ",
                                       r.remaining(), " bytes follow"));
    }
    r.ReadSub(opt_len, &params);
  }

  while (!params.empty()) {
    uint8_t type = 0;
    size_t len = 0;
    if (extended) {
      uint16_t l16 = 0;
      if (!params.ReadU8(&type) || !params.ReadU16(&l16)) {
        return OpenError(0, "truncated optional parameter header");
      }
      len = l16;
    } else {
      uint8_t l8 = 0;
      if (!params.ReadU8(&type) || !params.ReadU8(&l8)) {
        return OpenError(0, "truncated optional parameter header");
      }
      len = l8;
    }
    ByteSpan value;
    if (!params.ReadSpan(len, &value)) {
      return OpenError(0, absl::StrCat("optional parameter ", type, " length ", len,
                                       " runs past the Optional Parameters"));
    }
    if (type == kOptParamCapabilities) {
      // RFC 5492 §4: capabilities may come in one parameter or in several; flattened.
      absl::Status s = DecodeCapabilities(value, &o.capabilities);
      if (!s.ok()) return s;
    } else {
      // RFC 4271 §6.2 says an unrecognized parameter gets Unsupported Optional Parameter;
      // the session layer sends it, the codec keeps the bytes (see the file comment).
      o.other_parameters.push_back(OptionalParameter{type, Bytes(value.begin(), value.end())});
    }
  }

  // RFC 7607 §2 again: with RFC 6793 the peer's AS is the one in the 4-octet AS capability.
  for (const Capability& c : o.capabilities) {
    if (const auto* as4 = std::get_if<FourOctetAsCap>(&c); as4 != nullptr && as4->asn == 0) {
      return OpenError(err::kBadPeerAs, "4-octet AS capability carries AS 0");
    }
  }
  return o;
}

absl::StatusOr<Update> DecodeUpdate(ByteSpan body, const CodecOptions& opts) {
  if (body.size() < kMinUpdateLength - kHeaderLength) {
    return BadLength(kHeaderLength + body.size(), "UPDATE under 23");  // RFC 4271 §6.1
  }
  Reader r(body);
  Update u;
  uint16_t withdrawn_len = 0, attrs_len = 0;
  Reader withdrawn, attrs;
  // RFC 4271 §6.3: a Withdrawn Routes Length or Total Path Attribute Length that runs past
  // the message -> Malformed Attribute List. RFC 7606 §4 keeps this a session reset: without
  // a trustworthy Total Path Attribute Length the NLRI field cannot be found, so
  // treat-as-withdraw is impossible.
  if (!r.ReadU16(&withdrawn_len) || !r.ReadSub(withdrawn_len, &withdrawn)) {
    return UpdateError(err::kMalformedAttributeList,
                       absl::StrCat("Withdrawn Routes Length ", withdrawn_len, " overruns"));
  }
  if (!r.ReadU16(&attrs_len) || !r.ReadSub(attrs_len, &attrs)) {
    return UpdateError(err::kMalformedAttributeList,
                       absl::StrCat("Total Path Attribute Length overruns"));
  }
  Reader nlri = r;  // the rest of the message (RFC 4271 §4.3)

  // RFC 4271 §6.3: checking begins with the path attributes. has_nlri decides whether
  // missing well-known attributes are an error (RFC 7606 §3 d).
  const bool has_nlri = !nlri.empty() || HasMpReach(attrs);
  absl::Status s = DecodePathAttributes(attrs, opts, has_nlri, &u.attrs, &u.report);
  if (!s.ok()) return s;

  // RFC 7606 §5.3: a malformed prefix in either field cannot be skipped -> session reset
  // (DecodeNlri returns the NOTIFICATION).
  const bool add_path = opts.AddPath(kIPv4Unicast);  // RFC 7911 §3
  s = DecodeNlri(withdrawn, Family::kIPv4, add_path, &u.withdrawn);
  if (!s.ok()) return s;
  s = DecodeNlri(nlri, Family::kIPv4, add_path, &u.nlri);
  if (!s.ok()) return s;

  // RFC 4760 §3 / RFC 7606 §3 d: NEXT_HOP is mandatory whenever the NLRI field carries
  // routes, also when an MP_REACH_NLRI carries routes of its own. DecodePathAttributes cannot
  // tell this case apart (it sees only "has NLRI"), so it is checked here.
  if (!u.nlri.empty() && !u.attrs.next_hop.has_value()) {
    bool reported = false;
    for (const AttributeError& e : u.report.errors) reported |= e.type == attr::kNextHop;
    if (!reported) {
      u.report.Add(attr::kNextHop, ErrorAction::kTreatAsWithdraw, "missing well-known attribute");
    }
  }
  return u;
}

absl::StatusOr<Notification> DecodeNotification(ByteSpan body) {
  // RFC 4271 §4.5: Error code (1), Error subcode (1), Data (the rest). Unknown codes are
  // returned as they are; there is no NOTIFICATION in reply to a NOTIFICATION.
  Reader r(body);
  Notification n;
  if (!r.ReadU8(&n.code) || !r.ReadU8(&n.subcode)) {
    return BadLength(kHeaderLength + body.size(), "NOTIFICATION under 21");
  }
  n.data.assign(r.rest().begin(), r.rest().end());
  return n;
}

absl::StatusOr<RouteRefresh> DecodeRouteRefresh(ByteSpan body) {
  const size_t length = kHeaderLength + body.size();
  Reader r(body);
  RouteRefresh rr;
  // RFC 2918 §3 / RFC 7313 §3: AFI (2), Message Subtype (1, "Reserved" in RFC 2918), SAFI (1).
  if (!r.ReadU16(&rr.family.afi) || !r.ReadU8(&rr.subtype) || !r.ReadU8(&rr.family.safi)) {
    return BadLength(length, "ROUTE-REFRESH under 23");
  }
  if (r.empty()) return rr;
  // RFC 7313 §5: a ROUTE-REFRESH of subtype 1 or 2 whose body is not 4 bytes -> ROUTE-REFRESH
  // Message Error / Invalid Message Length, data = the complete message. kbgp applies the
  // same rule to subtype 0 (RFC 2918 defines no error for it; BIRD does the same). Other
  // subtypes are ignored whatever their length (RFC 7313 §5), so they decode and the session
  // drops them.
  if (rr.subtype > RouteRefresh::kEndOfRouteRefresh) return rr;
  Bytes data;
  Writer w(&data);
  for (size_t i = 0; i < kMarkerLength; ++i) w.PutU8(0xff);
  w.PutU16(static_cast<uint16_t>(length));
  w.PutU8(static_cast<uint8_t>(MessageType::kRouteRefresh));
  w.PutBytes(body);
  // Keep the NOTIFICATION within 4096 bytes (it may be sent before or without extended
  // messages): a ROUTE-REFRESH over 4075 bytes is cut, as BIRD cuts at 2048.
  constexpr size_t kMaxData = kMaxMessageLength - kMinNotificationLength;
  if (data.size() > kMaxData) data.resize(kMaxData);
  return BgpError(err::kRouteRefreshMessage, err::kInvalidMessageLength, data,
                  absl::StrCat("ROUTE-REFRESH subtype ", rr.subtype, " with length ", length));
}

absl::Status EncodeMessage(const Message& m, const CodecOptions& opts, Bytes* out) {
  const size_t start = out->size();
  Writer w(out);
  for (size_t i = 0; i < kMarkerLength; ++i) w.PutU8(0xff);
  const size_t len_at = w.ReserveU16();
  const MessageType type = TypeOf(m);
  w.PutU8(static_cast<uint8_t>(type));

  absl::Status s = std::visit(
      [&](const auto& v) -> absl::Status {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, Open>) {
          return EncodeOpenBody(v, &w);
        } else if constexpr (std::is_same_v<T, Update>) {
          return EncodeUpdateBody(v, opts, &w);
        } else if constexpr (std::is_same_v<T, Notification>) {
          w.PutU8(v.code);
          w.PutU8(v.subcode);
          w.PutBytes(v.data);
          return absl::OkStatus();
        } else if constexpr (std::is_same_v<T, Keepalive>) {
          return absl::OkStatus();
        } else {
          static_assert(std::is_same_v<T, RouteRefresh>);
          w.PutU16(v.family.afi);
          w.PutU8(v.subtype);
          w.PutU8(v.family.safi);
          return absl::OkStatus();
        }
      },
      m);

  const size_t length = out->size() - start;
  // RFC 8654 §4: OPEN and KEEPALIVE stay within 4096 even with extended messages.
  const size_t max = (type == MessageType::kOpen || type == MessageType::kKeepalive)
                         ? kMaxMessageLength
                         : opts.max_message_length();
  if (s.ok() && length > max) {
    s = absl::ResourceExhaustedError(
        absl::StrCat("message of ", length, " bytes over the maximum of ", max));
  }
  if (!s.ok()) {
    out->resize(start);
    return s;
  }
  w.SetU16At(len_at, static_cast<uint16_t>(length));
  return absl::OkStatus();
}

std::optional<AfiSafi> EndOfRibFamily(const Update& u) {
  // RFC 4724 §2: for IPv4 unicast an UPDATE with no withdrawn routes, no attributes and no
  // NLRI; for any other family an UPDATE whose only attribute is an empty MP_UNREACH_NLRI.
  if (!u.withdrawn.empty() || !u.nlri.empty()) return std::nullopt;
  const PathAttributes& a = u.attrs;
  if (a == PathAttributes{}) return kIPv4Unicast;
  if (!a.mp_unreach || !a.mp_unreach->withdrawn.empty() || !a.mp_unreach->opaque.empty()) {
    return std::nullopt;
  }
  PathAttributes only_unreach;
  only_unreach.mp_unreach = a.mp_unreach;
  if (!(a == only_unreach)) return std::nullopt;
  return a.mp_unreach->family;
}

Update MakeEndOfRib(AfiSafi family) {
  Update u;
  if (family != kIPv4Unicast) {
    MpUnreach unreach;
    unreach.family = family;
    u.attrs.mp_unreach = std::move(unreach);
  }
  return u;
}

// Names as the IANA "BGP Error (Notification) Codes" and "BGP Error Subcodes" registries
// spell them.
std::string ErrorCodeName(uint8_t code) {
  switch (code) {
    case err::kMessageHeader:
      return "Message Header Error";
    case err::kOpenMessage:
      return "OPEN Message Error";
    case err::kUpdateMessage:
      return "UPDATE Message Error";
    case err::kHoldTimerExpired:
      return "Hold Timer Expired";
    case err::kFsm:
      return "Finite State Machine Error";
    case err::kCease:
      return "Cease";
    case err::kRouteRefreshMessage:
      return "ROUTE-REFRESH Message Error";
    case err::kSendHoldTimerExpired:
      return "Send Hold Timer Expired";
    default:
      return absl::StrCat("Error Code ", code);
  }
}

std::string ErrorSubcodeName(uint8_t code, uint8_t subcode) {
  switch (code) {
    case err::kMessageHeader:
      switch (subcode) {
        case 0:
          return "Unspecific";
        case err::kConnectionNotSynchronized:
          return "Connection Not Synchronized";
        case err::kBadMessageLength:
          return "Bad Message Length";
        case err::kBadMessageType:
          return "Bad Message Type";
      }
      break;
    case err::kOpenMessage:
      switch (subcode) {
        case 0:
          return "Unspecific";
        case err::kUnsupportedVersionNumber:
          return "Unsupported Version Number";
        case err::kBadPeerAs:
          return "Bad Peer AS";
        case err::kBadBgpIdentifier:
          return "Bad BGP Identifier";
        case err::kUnsupportedOptionalParameter:
          return "Unsupported Optional Parameter";
        case 5:
          return "Authentication Failure (deprecated)";
        case err::kUnacceptableHoldTime:
          return "Unacceptable Hold Time";
        case err::kUnsupportedCapability:
          return "Unsupported Capability";
        case 8:
        case 9:
        case 10:
          return "Deprecated";
        case err::kRoleMismatch:
          return "Role Mismatch";
      }
      break;
    case err::kUpdateMessage:
      switch (subcode) {
        case 0:
          return "Unspecific";
        case err::kMalformedAttributeList:
          return "Malformed Attribute List";
        case err::kUnrecognizedWellKnownAttribute:
          return "Unrecognized Well-known Attribute";
        case err::kMissingWellKnownAttribute:
          return "Missing Well-known Attribute";
        case err::kAttributeFlagsError:
          return "Attribute Flags Error";
        case err::kAttributeLengthError:
          return "Attribute Length Error";
        case err::kInvalidOriginAttribute:
          return "Invalid ORIGIN Attribute";
        case 7:
          return "AS Routing Loop (deprecated)";
        case err::kInvalidNextHopAttribute:
          return "Invalid NEXT_HOP Attribute";
        case err::kOptionalAttributeError:
          return "Optional Attribute Error";
        case err::kInvalidNetworkField:
          return "Invalid Network Field";
        case err::kMalformedAsPath:
          return "Malformed AS_PATH";
      }
      break;
    case err::kFsm:  // RFC 6608
      switch (subcode) {
        case 0:
          return "Unspecified Error";
        case err::kFsmUnexpectedInOpenSent:
          return "Receive Unexpected Message in OpenSent State";
        case err::kFsmUnexpectedInOpenConfirm:
          return "Receive Unexpected Message in OpenConfirm State";
        case err::kFsmUnexpectedInEstablished:
          return "Receive Unexpected Message in Established State";
      }
      break;
    case err::kCease:  // RFC 4486, RFC 8538, RFC 9384
      switch (subcode) {
        case 0:
          return "Reserved";
        case err::kCeaseMaxPrefixes:
          return "Maximum Number of Prefixes Reached";
        case err::kCeaseAdminShutdown:
          return "Administrative Shutdown";
        case err::kCeasePeerDeconfigured:
          return "Peer De-configured";
        case err::kCeaseAdminReset:
          return "Administrative Reset";
        case err::kCeaseConnectionRejected:
          return "Connection Rejected";
        case err::kCeaseOtherConfigChange:
          return "Other Configuration Change";
        case err::kCeaseCollisionResolution:
          return "Connection Collision Resolution";
        case err::kCeaseOutOfResources:
          return "Out of Resources";
        case err::kCeaseHardReset:
          return "Hard Reset";
        case 10:
          return "BFD Down";
      }
      break;
    case err::kRouteRefreshMessage:  // RFC 7313
      switch (subcode) {
        case 0:
          return "Reserved";
        case err::kInvalidMessageLength:
          return "Invalid Message Length";
      }
      break;
    case err::kHoldTimerExpired:
    case err::kSendHoldTimerExpired:
      // No subcode registry; 0 is what senders put there.
      if (subcode == 0) return "Unspecific";
      break;
  }
  return absl::StrCat("Subcode ", subcode);
}

std::string ShutdownCommunication(const Notification& n) {
  // RFC 9003 §2: only Cease / Administrative Shutdown and Administrative Reset carry it.
  if (n.code != err::kCease ||
      (n.subcode != err::kCeaseAdminShutdown && n.subcode != err::kCeaseAdminReset)) {
    return "";
  }
  // RFC 9003 §2: Length (1 octet, 0..255) then that many octets of UTF-8. A Length that
  // runs past the data or bad UTF-8 makes it invalid (§4: log it, do not propagate it).
  Reader r(n.data);
  uint8_t len = 0;
  ByteSpan text;
  if (!r.ReadU8(&len) || !r.ReadSpan(len, &text)) return "";
  if (!IsValidUtf8(text)) return "";
  return std::string(text.begin(), text.end());
}

}  // namespace kbgp::wire
