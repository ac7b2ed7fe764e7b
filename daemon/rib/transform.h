// The attribute rules of RFC 4271, RFC 4456 (route reflection) and RFC 7947 (route server)
// as functions of the two peers' PeerInfo: which received paths are usable (loop checks),
// which best paths may go to which peer (split horizon, reflection, well-known
// communities), and how the attributes change on the way out.
#ifndef KBGP_DAEMON_RIB_TRANSFORM_H_
#define KBGP_DAEMON_RIB_TRANSFORM_H_

#include <cstdint>

#include "daemon/common/ip.h"
#include "daemon/rib/attr_set.h"
#include "daemon/rib/peer_info.h"

namespace kbgp::rib {

// RFC 1997 well-known communities.
inline constexpr uint32_t kNoExport = 0xFFFFFF01;
inline constexpr uint32_t kNoAdvertise = 0xFFFFFF02;
inline constexpr uint32_t kNoExportSubconfed = 0xFFFFFF03;

// RFC 6996 / RFC 5398: private-use AS numbers.
bool IsPrivateAs(uint32_t asn);

enum class ImportVerdict : uint8_t {
  kUsable,
  kAsLoop,          // RFC 4271 §9.1.2: our AS in AS_PATH more than allow-own-as times
  kOriginatorLoop,  // RFC 4456 §8: ORIGINATOR_ID is our router id
  kClusterLoop,     // RFC 4456 §8: CLUSTER_LIST holds our cluster id
};
// Whether a path received from `from` may enter the decision process. Ineligible paths
// stay in the Adj-RIB-In (pre-policy) but are never best.
ImportVerdict CheckImport(const AttrSet& a, const PeerInfo& from);

// Whether the best path, learned from `from`, may be advertised to `to` at all.
bool MayAdvertise(const AttrSet& a, const PeerInfo& from, const PeerInfo& to);

// The attributes to send to `to` for a path learned from `from` (the RFC rules only; export
// policy runs after this). `family` picks the next-hop address family.
//  - eBGP: prepend our AS (local-as), remove-private-as, next hop self, drop MED (unless
//    locally originated), LOCAL_PREF, ORIGINATOR_ID and CLUSTER_LIST.
//  - route-server client (RFC 7947 §2.2): AS_PATH, NEXT_HOP and MED untouched.
//  - iBGP: next hop unchanged unless next-hop-self or local without one; LOCAL_PREF 100 when
//    missing; when reflecting (RFC 4456 §8) ORIGINATOR_ID set if absent and our cluster id
//    prepended to CLUSTER_LIST.
// Unrecognized non-transitive attributes are dropped, transitive ones marked Partial
// (RFC 4271 §5).
AttrRef ExportAttrs(AttrPool* pool, const AttrSet& a, const PeerInfo& from, const PeerInfo& to,
                    Family family);

}  // namespace kbgp::rib

#endif  // KBGP_DAEMON_RIB_TRANSFORM_H_
