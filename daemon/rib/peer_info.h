// What the RIB knows about a peer: the facts the decision process and the RFC 4271 / 4456 /
// 7947 import and export rules depend on. The session layer fills it from config and OPEN.
#ifndef KBGP_DAEMON_RIB_PEER_INFO_H_
#define KBGP_DAEMON_RIB_PEER_INFO_H_

#include <cstdint>

#include "daemon/common/ip.h"

namespace kbgp::rib {

// Index of a peer in a Rib. kLocalPeer is the router itself (locally originated paths).
using PeerId = uint16_t;
inline constexpr PeerId kLocalPeer = 0;

enum class RemovePrivateAs : uint8_t { kNone, kAll, kReplace };  // GoBGP's remove-private-as

struct PeerInfo {
  uint32_t local_as = 0;  // our AS towards this peer (the `local-as` override when set)
  uint32_t peer_as = 0;
  uint32_t router_id = 0;        // the peer's BGP identifier (host order)
  uint32_t local_router_id = 0;  // ours
  IpAddress address;             // the peer's address
  IpAddress local_address;       // our address on the session (next hop self, v4 or v6)
  IpAddress local_address_v6;    // our IPv6 next hop when the session runs over IPv4
  bool route_reflector_client = false;  // RFC 4456
  uint32_t cluster_id = 0;              // RFC 4456 §7; 0 = our router id
  bool route_server_client = false;     // RFC 7947
  bool next_hop_self = false;
  int allow_own_as = 0;  // accept paths with our AS up to this many times (GoBGP allow-own-as)
  RemovePrivateAs remove_private_as = RemovePrivateAs::kNone;
  bool confederation_member = false;  // (not used yet: confederations are treated as iBGP)
  bool add_path_receive = false;      // RFC 7911 negotiated, per session
  // RFC 7911: we may send several paths per prefix; negotiated per family. With multipath
  // on, such a peer gets the whole ECMP set, each path with its own path identifier.
  bool add_path_send_ipv4 = false;
  bool add_path_send_ipv6 = false;
  bool extended_message = false;      // RFC 8654: UPDATEs up to 65535 bytes

  bool local = false;  // this entry is the router itself (kLocalPeer)

  bool ibgp() const { return !local && local_as == peer_as; }
  bool add_path_send(Family f) const {
    return f == Family::kIPv4 ? add_path_send_ipv4 : add_path_send_ipv6;
  }
  uint32_t effective_cluster_id() const { return cluster_id ? cluster_id : local_router_id; }
};

}  // namespace kbgp::rib

#endif  // KBGP_DAEMON_RIB_PEER_INFO_H_
