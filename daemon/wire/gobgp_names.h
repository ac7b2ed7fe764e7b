// GoBGP's names for wire values, shared by the daemon (API conversions, policy) and the kbgp
// CLI (which links no daemon library): the address family names of gobgp's
// AddressFamilyNameMap and the well-known communities of its WellKnownCommunityNameMap.
// Header-only tables and lookups.
#ifndef KBGP_DAEMON_WIRE_GOBGP_NAMES_H_
#define KBGP_DAEMON_WIRE_GOBGP_NAMES_H_

#include <cstdint>
#include <optional>
#include <string_view>

namespace kbgp::wire {

struct GoBgpFamilyName {
  uint16_t afi;
  uint8_t safi;
  const char* name;  // gobgp's RouteFamily string (config afi-safi-name)
};
// gobgp's AddressFamilyNameMap for the families gobgpd 3.10 knows.
inline constexpr GoBgpFamilyName kGoBgpFamilyNames[] = {
    {1, 1, "ipv4-unicast"},
    {2, 1, "ipv6-unicast"},
    {1, 2, "ipv4-multicast"},
    {2, 2, "ipv6-multicast"},
    {1, 4, "ipv4-labelled-unicast"},
    {2, 4, "ipv6-labelled-unicast"},
    {1, 128, "l3vpn-ipv4-unicast"},
    {2, 128, "l3vpn-ipv6-unicast"},
    {1, 129, "l3vpn-ipv4-multicast"},
    {2, 129, "l3vpn-ipv6-multicast"},
    {25, 65, "l2vpn-vpls"},
    {25, 70, "l2vpn-evpn"},
    {1, 132, "rtc"},
    {1, 7, "ipv4-encap"},
    {2, 7, "ipv6-encap"},
    {1, 133, "ipv4-flowspec"},
    {1, 134, "l3vpn-ipv4-flowspec"},
    {2, 133, "ipv6-flowspec"},
    {2, 134, "l3vpn-ipv6-flowspec"},
    {25, 134, "l2vpn-flowspec"},
    {1, 73, "ipv4-srpolicy"},
    {2, 73, "ipv6-srpolicy"},
    {16397, 241, "opaque"},
    {16388, 71, "ls"},
    {1, 85, "ipv4-mup"},
    {2, 85, "ipv6-mup"},
};

// gobgp's name of the family; null when it has none.
inline const char* GoBgpFamilyNameOf(uint32_t afi, uint32_t safi) {
  for (const GoBgpFamilyName& f : kGoBgpFamilyNames) {
    if (f.afi == afi && f.safi == safi) return f.name;
  }
  return nullptr;
}

struct WellKnownCommunity {
  std::string_view name;
  uint32_t value;
};
// GoBGP's WellKnownCommunityNameMap (RFC 1997, RFC 3765, RFC 7611, RFC 7999, RFC 8326,
// RFC 9494, draft-ietf-grow-route-filter).
inline constexpr WellKnownCommunity kWellKnownCommunities[] = {
    {"internet", 0x00000000},
    {"planned-shut", 0xffff0000},
    {"accept-own", 0xffff0001},
    {"route-filter-translated-v4", 0xffff0002},
    {"route-filter-v4", 0xffff0003},
    {"route-filter-translated-v6", 0xffff0004},
    {"route-filter-v6", 0xffff0005},
    {"llgr-stale", 0xffff0006},
    {"no-llgr", 0xffff0007},
    {"blackhole", 0xffff029a},
    {"no-export", 0xffffff01},
    {"no-advertise", 0xffffff02},
    {"no-export-subconfed", 0xffffff03},
    {"no-peer", 0xffffff04},
};

// The value of a well-known community name (as spelled in the table: lower case).
inline std::optional<uint32_t> WellKnownCommunityValue(std::string_view name) {
  for (const WellKnownCommunity& w : kWellKnownCommunities) {
    if (w.name == name) return w.value;
  }
  return std::nullopt;
}

}  // namespace kbgp::wire

#endif  // KBGP_DAEMON_WIRE_GOBGP_NAMES_H_
