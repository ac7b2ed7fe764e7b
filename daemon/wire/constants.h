// BGP-4 protocol numbers: message types, attribute codes and flags, error codes and
// subcodes, capability codes, AFI/SAFI. Names follow the RFCs that assign them.
#ifndef KBGP_DAEMON_WIRE_CONSTANTS_H_
#define KBGP_DAEMON_WIRE_CONSTANTS_H_

#include <cstddef>
#include <cstdint>

namespace kbgp::wire {

inline constexpr size_t kHeaderLength = 19;          // RFC 4271 §4.1
inline constexpr size_t kMaxMessageLength = 4096;    // RFC 4271 §4.1
inline constexpr size_t kMaxExtendedMessageLength = 65535;  // RFC 8654
inline constexpr uint16_t kAsTrans = 23456;          // RFC 6793 §9

enum class MessageType : uint8_t {
  kOpen = 1,
  kUpdate = 2,
  kNotification = 3,
  kKeepalive = 4,
  kRouteRefresh = 5,  // RFC 2918
};

// Path attribute type codes (IANA "BGP Path Attributes").
namespace attr {
inline constexpr uint8_t kOrigin = 1;
inline constexpr uint8_t kAsPath = 2;
inline constexpr uint8_t kNextHop = 3;
inline constexpr uint8_t kMultiExitDisc = 4;
inline constexpr uint8_t kLocalPref = 5;
inline constexpr uint8_t kAtomicAggregate = 6;
inline constexpr uint8_t kAggregator = 7;
inline constexpr uint8_t kCommunities = 8;       // RFC 1997
inline constexpr uint8_t kOriginatorId = 9;      // RFC 4456
inline constexpr uint8_t kClusterList = 10;      // RFC 4456
inline constexpr uint8_t kMpReachNlri = 14;      // RFC 4760
inline constexpr uint8_t kMpUnreachNlri = 15;    // RFC 4760
inline constexpr uint8_t kExtendedCommunities = 16;  // RFC 4360
inline constexpr uint8_t kAs4Path = 17;          // RFC 6793
inline constexpr uint8_t kAs4Aggregator = 18;    // RFC 6793
inline constexpr uint8_t kLargeCommunity = 32;   // RFC 8092

// Attribute flag bits (RFC 4271 §4.3).
inline constexpr uint8_t kFlagOptional = 0x80;
inline constexpr uint8_t kFlagTransitive = 0x40;
inline constexpr uint8_t kFlagPartial = 0x20;
inline constexpr uint8_t kFlagExtendedLength = 0x10;
}  // namespace attr

enum class Origin : uint8_t { kIgp = 0, kEgp = 1, kIncomplete = 2 };

// NOTIFICATION error codes (RFC 4271 §4.5, RFC 7313, RFC 9687).
namespace err {
inline constexpr uint8_t kMessageHeader = 1;
inline constexpr uint8_t kOpenMessage = 2;
inline constexpr uint8_t kUpdateMessage = 3;
inline constexpr uint8_t kHoldTimerExpired = 4;
inline constexpr uint8_t kFsm = 5;
inline constexpr uint8_t kCease = 6;
inline constexpr uint8_t kRouteRefreshMessage = 7;  // RFC 7313
inline constexpr uint8_t kSendHoldTimerExpired = 8;  // RFC 9687

// Message Header Error subcodes.
inline constexpr uint8_t kConnectionNotSynchronized = 1;
inline constexpr uint8_t kBadMessageLength = 2;
inline constexpr uint8_t kBadMessageType = 3;

// OPEN Message Error subcodes.
inline constexpr uint8_t kUnsupportedVersionNumber = 1;
inline constexpr uint8_t kBadPeerAs = 2;
inline constexpr uint8_t kBadBgpIdentifier = 3;
inline constexpr uint8_t kUnsupportedOptionalParameter = 4;
inline constexpr uint8_t kUnacceptableHoldTime = 6;
inline constexpr uint8_t kUnsupportedCapability = 7;  // RFC 5492
inline constexpr uint8_t kRoleMismatch = 11;          // RFC 9234

// UPDATE Message Error subcodes.
inline constexpr uint8_t kMalformedAttributeList = 1;
inline constexpr uint8_t kUnrecognizedWellKnownAttribute = 2;
inline constexpr uint8_t kMissingWellKnownAttribute = 3;
inline constexpr uint8_t kAttributeFlagsError = 4;
inline constexpr uint8_t kAttributeLengthError = 5;
inline constexpr uint8_t kInvalidOriginAttribute = 6;
inline constexpr uint8_t kInvalidNextHopAttribute = 8;
inline constexpr uint8_t kOptionalAttributeError = 9;
inline constexpr uint8_t kInvalidNetworkField = 10;
inline constexpr uint8_t kMalformedAsPath = 11;

// FSM Error subcodes (RFC 6608).
inline constexpr uint8_t kFsmUnexpectedInOpenSent = 1;
inline constexpr uint8_t kFsmUnexpectedInOpenConfirm = 2;
inline constexpr uint8_t kFsmUnexpectedInEstablished = 3;

// Cease subcodes (RFC 4486, RFC 8203/9003).
inline constexpr uint8_t kCeaseMaxPrefixes = 1;
inline constexpr uint8_t kCeaseAdminShutdown = 2;
inline constexpr uint8_t kCeasePeerDeconfigured = 3;
inline constexpr uint8_t kCeaseAdminReset = 4;
inline constexpr uint8_t kCeaseConnectionRejected = 5;
inline constexpr uint8_t kCeaseOtherConfigChange = 6;
inline constexpr uint8_t kCeaseCollisionResolution = 7;
inline constexpr uint8_t kCeaseOutOfResources = 8;
inline constexpr uint8_t kCeaseHardReset = 9;  // RFC 8538

// ROUTE-REFRESH Message Error subcodes (RFC 7313).
inline constexpr uint8_t kInvalidMessageLength = 1;
}  // namespace err

// OPEN optional parameter types.
inline constexpr uint8_t kOptParamCapabilities = 2;     // RFC 5492
inline constexpr uint8_t kOptParamExtendedLength = 255;  // RFC 9072

// Capability codes (IANA "Capability Codes").
namespace cap {
inline constexpr uint8_t kMultiprotocol = 1;        // RFC 4760
inline constexpr uint8_t kRouteRefresh = 2;         // RFC 2918
inline constexpr uint8_t kExtendedNextHop = 5;      // RFC 8950
inline constexpr uint8_t kExtendedMessage = 6;      // RFC 8654
inline constexpr uint8_t kGracefulRestart = 64;     // RFC 4724
inline constexpr uint8_t kFourOctetAs = 65;         // RFC 6793
inline constexpr uint8_t kAddPath = 69;             // RFC 7911
inline constexpr uint8_t kEnhancedRouteRefresh = 70;  // RFC 7313
inline constexpr uint8_t kLongLivedGracefulRestart = 71;  // RFC 9494
inline constexpr uint8_t kFqdn = 73;                // draft-walton-bgp-hostname-capability
}  // namespace cap

inline constexpr uint16_t kAfiIPv4 = 1;
inline constexpr uint16_t kAfiIPv6 = 2;
inline constexpr uint8_t kSafiUnicast = 1;
inline constexpr uint8_t kSafiMulticast = 2;

}  // namespace kbgp::wire

#endif  // KBGP_DAEMON_WIRE_CONSTANTS_H_
