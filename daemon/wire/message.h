// BGP messages: header framing, OPEN with capabilities, UPDATE, NOTIFICATION, KEEPALIVE and
// ROUTE-REFRESH (RFC 2918, RFC 7313). Pure codec: no sockets, no RIB, no protobuf.
//
// Decoders return absl::StatusOr; a non-OK status always carries the NOTIFICATION to send
// (GetBgpError in daemon/common/status.h). UPDATE soft errors (RFC 7606) are data in
// Update::report. Encoders append to a byte vector and fail only when the message would not
// fit the negotiated maximum length or a field's width.
#ifndef KBGP_DAEMON_WIRE_MESSAGE_H_
#define KBGP_DAEMON_WIRE_MESSAGE_H_

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "absl/status/statusor.h"
#include "daemon/common/bytes.h"
#include "daemon/common/status.h"  // GetBgpError, for callers of the decoders
#include "daemon/wire/attributes.h"
#include "daemon/wire/constants.h"

namespace kbgp::wire {

// ---- Capabilities (RFC 5492) ----

struct MultiprotocolCap {  // RFC 4760
  AfiSafi family;
  friend bool operator==(const MultiprotocolCap&, const MultiprotocolCap&) = default;
};
struct RouteRefreshCap {  // RFC 2918
  friend bool operator==(const RouteRefreshCap&, const RouteRefreshCap&) = default;
};
struct EnhancedRouteRefreshCap {  // RFC 7313
  friend bool operator==(const EnhancedRouteRefreshCap&, const EnhancedRouteRefreshCap&) = default;
};
struct ExtendedMessageCap {  // RFC 8654
  friend bool operator==(const ExtendedMessageCap&, const ExtendedMessageCap&) = default;
};
struct FourOctetAsCap {  // RFC 6793
  uint32_t asn = 0;
  friend bool operator==(const FourOctetAsCap&, const FourOctetAsCap&) = default;
};
struct ExtendedNextHopCap {  // RFC 8950
  struct Entry {
    AfiSafi nlri_family;
    uint16_t next_hop_afi = 0;
    friend bool operator==(const Entry&, const Entry&) = default;
  };
  std::vector<Entry> entries;
  friend bool operator==(const ExtendedNextHopCap&, const ExtendedNextHopCap&) = default;
};
struct GracefulRestartCap {  // RFC 4724
  static constexpr uint8_t kRestartState = 0x8;  // R bit (in `flags`, upper 4 bits of the field)
  static constexpr uint8_t kNotification = 0x4;  // N bit (RFC 8538)
  static constexpr uint8_t kForwardingState = 0x80;  // per-family F bit
  uint8_t flags = 0;          // 4 bits
  uint16_t restart_time = 0;  // 12 bits, seconds
  struct Entry {
    AfiSafi family;
    uint8_t flags = 0;
    friend bool operator==(const Entry&, const Entry&) = default;
  };
  std::vector<Entry> entries;
  friend bool operator==(const GracefulRestartCap&, const GracefulRestartCap&) = default;
};
struct AddPathCap {  // RFC 7911
  static constexpr uint8_t kReceive = 1;
  static constexpr uint8_t kSend = 2;
  struct Entry {
    AfiSafi family;
    uint8_t send_receive = 0;  // kReceive | kSend
    friend bool operator==(const Entry&, const Entry&) = default;
  };
  std::vector<Entry> entries;
  friend bool operator==(const AddPathCap&, const AddPathCap&) = default;
};
struct LongLivedGracefulRestartCap {  // RFC 9494
  struct Entry {
    AfiSafi family;
    uint8_t flags = 0;
    uint32_t stale_time = 0;  // 24 bits, seconds
    friend bool operator==(const Entry&, const Entry&) = default;
  };
  std::vector<Entry> entries;
  friend bool operator==(const LongLivedGracefulRestartCap&,
                         const LongLivedGracefulRestartCap&) = default;
};
struct FqdnCap {  // draft-walton-bgp-hostname-capability
  std::string hostname;
  std::string domain;
  friend bool operator==(const FqdnCap&, const FqdnCap&) = default;
};
struct UnknownCap {  // kept as received
  uint8_t code = 0;
  Bytes value;
  friend bool operator==(const UnknownCap&, const UnknownCap&) = default;
};

using Capability =
    std::variant<MultiprotocolCap, RouteRefreshCap, EnhancedRouteRefreshCap, ExtendedMessageCap,
                 FourOctetAsCap, ExtendedNextHopCap, GracefulRestartCap, AddPathCap,
                 LongLivedGracefulRestartCap, FqdnCap, UnknownCap>;

uint8_t CapabilityCode(const Capability& c);
std::string CapabilityName(uint8_t code);  // "multiprotocol", "4-octet-as", ... "cap(99)"

// The value of one Capabilities optional parameter (RFC 5492 §4): a list of capability TLVs,
// appended to *out in order. A TLV that overruns the parameter, or whose length is wrong for
// a code kbgp decodes, is an OPEN Message Error (subcode 0, RFC 4271 §6.2).
absl::Status DecodeCapabilities(ByteSpan value, std::vector<Capability>* out);
// Appends one capability TLV (code, length, value). Fails when a field is out of range or the
// value is over 255 bytes; *w is unchanged then.
absl::Status EncodeCapability(const Capability& c, Writer* w);

// ---- Messages ----

struct OptionalParameter {  // a non-capability OPEN parameter, kept as received
  uint8_t type = 0;
  Bytes value;
  friend bool operator==(const OptionalParameter&, const OptionalParameter&) = default;
};

struct Open {
  uint8_t version = 4;
  uint16_t my_as = 0;  // AS_TRANS when the real AS needs 4 octets
  uint16_t hold_time = 0;
  uint32_t bgp_id = 0;
  // All capabilities in order of appearance, flattened over all Capabilities parameters.
  std::vector<Capability> capabilities;
  std::vector<OptionalParameter> other_parameters;
  friend bool operator==(const Open&, const Open&) = default;
};

struct Update {
  std::vector<Nlri> withdrawn;  // IPv4 unicast, Withdrawn Routes field
  PathAttributes attrs;
  std::vector<Nlri> nlri;       // IPv4 unicast, NLRI field
  ErrorReport report;           // RFC 7606 soft errors (decode only; ignored by the encoder)
  friend bool operator==(const Update&, const Update&) = default;
};

struct Notification {
  uint8_t code = 0;
  uint8_t subcode = 0;
  Bytes data;
  friend bool operator==(const Notification&, const Notification&) = default;
};

struct Keepalive {
  friend bool operator==(const Keepalive&, const Keepalive&) = default;
};

struct RouteRefresh {
  enum Subtype : uint8_t { kNormal = 0, kBeginOfRouteRefresh = 1, kEndOfRouteRefresh = 2 };
  AfiSafi family;
  uint8_t subtype = kNormal;  // RFC 7313 §3 ("Reserved" in RFC 2918)
  friend bool operator==(const RouteRefresh&, const RouteRefresh&) = default;
};

using Message = std::variant<Open, Update, Notification, Keepalive, RouteRefresh>;

MessageType TypeOf(const Message& m);

struct Header {
  uint16_t length = 0;  // whole message, header included
  MessageType type = MessageType::kKeepalive;
};

// Checks marker, length (19..max for the type, RFC 4271 §6.1) and type. `data` must hold at
// least kHeaderLength bytes. Errors carry Message Header Error NOTIFICATIONs.
absl::StatusOr<Header> DecodeHeader(ByteSpan data, const CodecOptions& opts);

// Decodes one whole message (header included; `data.size()` must equal the header length).
absl::StatusOr<Message> DecodeMessage(ByteSpan data, const CodecOptions& opts);

// Body decoders (the bytes after the 19-byte header).
absl::StatusOr<Open> DecodeOpen(ByteSpan body);
absl::StatusOr<Update> DecodeUpdate(ByteSpan body, const CodecOptions& opts);
absl::StatusOr<Notification> DecodeNotification(ByteSpan body);
absl::StatusOr<RouteRefresh> DecodeRouteRefresh(ByteSpan body);

// Appends one whole message, header included.
absl::Status EncodeMessage(const Message& m, const CodecOptions& opts, Bytes* out);

// End-of-RIB (RFC 4724 §2): an UPDATE with nothing in it (IPv4 unicast), or with only an
// empty MP_UNREACH_NLRI (other families). Returns the family when it is one.
std::optional<AfiSafi> EndOfRibFamily(const Update& u);
Update MakeEndOfRib(AfiSafi family);

// Names for logs: "OPEN Message Error", "Bad Peer AS", ...
std::string ErrorCodeName(uint8_t code);
std::string ErrorSubcodeName(uint8_t code, uint8_t subcode);
// RFC 9003 shutdown communication of a Cease/Administrative Shutdown or Reset, if present
// and valid UTF-8; empty otherwise.
std::string ShutdownCommunication(const Notification& n);

}  // namespace kbgp::wire

#endif  // KBGP_DAEMON_WIRE_MESSAGE_H_
