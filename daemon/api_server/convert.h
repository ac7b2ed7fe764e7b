// Conversions between GoBGP's API messages (package apipb, api/*.proto) and the daemon's own
// types: address families, NLRI, path attributes, paths, capabilities and peers.
//
// What this module owns: the mapping itself, and nothing else. It holds no state, reaches no
// server, Rib or Session beyond reading what it is handed, and never blocks; the api_server
// calls it on the core thread (the inputs are interned sets and live sessions).
//
// Invariants:
//  - API input is untrusted. Every *FromApi function checks everything it reads and returns
//    InvalidArgument with a message that names the bad field (gobgpd's own text where gobgpd
//    has one, so tools that match on it keep working), or Unimplemented for a gobgpd feature
//    kbgpd does not have. Nothing here asserts on input, and nothing is truncated silently
//    where gobgpd would truncate (an AS number over 16 bits in a two-octet-AS community, a
//    hold time over 65535, ...): that is an error instead.
//  - Output is what gobgpd 3.10 fills for the same object, field for field and in the same
//    order, so the real `gobgp` CLI prints the same tables and -j JSON from kbgpd as from
//    gobgpd. The gobgpd code each function mirrors is named next to it (pkg/apiutil,
//    internal/pkg/config/util.go, pkg/server).
//  - Only IPv4 and IPv6 unicast are routed by kbgpd; other families are refused where a
//    route or a family is asked for, and skipped with a warning in a peer's afi-safis (as the
//    YAML config does).
#ifndef KBGP_DAEMON_API_SERVER_CONVERT_H_
#define KBGP_DAEMON_API_SERVER_CONVERT_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "api/attribute.pb.h"
#include "api/capability.pb.h"
#include "api/gobgp.pb.h"
#include "daemon/common/event_loop.h"
#include "daemon/common/ip.h"
#include "daemon/rib/attr_set.h"
#include "daemon/rib/peer_info.h"
#include "daemon/rib/rib.h"
#include "daemon/server/server.h"
#include "daemon/wire/attributes.h"
#include "daemon/wire/message.h"
#include "google/protobuf/any.pb.h"
#include "google/protobuf/repeated_ptr_field.h"

namespace kbgp::api_server {

using AnyList = google::protobuf::RepeatedPtrField<google::protobuf::Any>;

// ---- Address families ----

// IPv4 and IPv6 unicast; anything else is InvalidArgument "unsupported family AFI/SAFI".
absl::StatusOr<Family> FamilyFromApi(const apipb::Family& family);
void FamilyToApi(Family family, apipb::Family* out);
// Any AFI/SAFI, numbers as they are (capabilities list families kbgpd does not route).
void AfiSafiToApi(wire::AfiSafi family, apipb::Family* out);

// ---- NLRI: an apipb::IPAddressPrefix in an Any (apiutil.MarshalNLRI) ----

void PrefixToApi(const Prefix& prefix, google::protobuf::Any* out);
// The prefix must be an address of `family` and the length fit it. Host bits are cleared, as
// gobgpd's NewIPAddrPrefix does ("10.1.2.3/24" is 10.1.2.0/24).
absl::StatusOr<Prefix> PrefixFromApi(const google::protobuf::Any& nlri, Family family);

// ---- Path attributes to the API (apiutil.MarshalPathAttributes) ----

// One attribute message per attribute present, in gobgpd's order for a path it lists:
// ascending type code, except that MP_REACH_NLRI always comes last (gobgpd appends it when it
// splits an UPDATE into paths, table.ProcessMessage), and NEXT_HOP too when `next_hop_last`
// (a locally originated path: gobgpd's api2Path appends the next hop after the attributes
// the client gave). Unknown attributes are UnknownAttribute{flags, type, value} in their
// type-code place, except AIGP (26), listed as AigpAttribute when its TLVs parse.
//
// The next hop is NEXT_HOP for an IPv4 prefix with an IPv4 next hop, otherwise
// MpReachNLRIAttribute{family, next_hops: [global, link-local if any], nlris: [prefix]}
// (gobgpd lists every prefix the UPDATE carried there; kbgp does not keep them, and the CLI
// reads only the next hop). `next_hop` absent: neither attribute.
struct NextHop {
  IpAddress address;
  std::optional<IpAddress> link_local;  // RFC 2545 §3, IPv6 only
};
void AttributesToApi(const wire::PathAttributes& attrs, const Prefix& prefix,
                     const std::optional<NextHop>& next_hop, bool next_hop_last, AnyList* out);
// The same for an interned set (its next hop and link-local next hop included).
void AttributesToApi(const rib::AttrSet& attrs, const Prefix& prefix, bool next_hop_last,
                     AnyList* out);

// One extended community as its typed message, as gobgp's bgp.ParseExtended reads the eight
// octets (TwoOctetAsSpecificExtended, IPv4AddressSpecificExtended, FourOctetAsSpecificExtended,
// LinkBandwidthExtended, ColorExtended, EncapExtended, DefaultGatewayExtended,
// ValidationExtended, OpaqueExtended, the EVPN, flowspec and MUP ones; else UnknownExtended).
void ExtCommunityToApi(uint64_t community, google::protobuf::Any* out);
absl::StatusOr<uint64_t> ExtCommunityFromApi(const google::protobuf::Any& community);

// ---- Paths from the API (AddPath, DeletePath, AddPathStream: gobgpd's api2Path) ----

struct ApiRoute {
  Prefix prefix;
  uint32_t path_id = 0;  // Path.identifier (RFC 7911)
  bool is_withdraw = false;
  wire::AfiSafi family;
  // The attributes to intern with AttrPool::Intern(attrs, family) (see InternRoute): the next
  // hop is in attrs.next_hop for an IPv4 prefix with an IPv4 next hop, else in attrs.mp_reach
  // (with the link-local next hop, if given). "0.0.0.0" / "::" are kept: they mean "this
  // router" and the Rib's export rules replace them with the session's address, as gobgpd
  // does for a local path with an unspecified next hop. Empty for a withdrawal.
  wire::PathAttributes attrs;
};

// `withdraw`: the call withdraws (DeletePath), whatever Path.is_withdraw says. Checks, with
// gobgpd's messages: "family cannot be nil", "nlri not found", "duplicated path attribute
// type: N", "nexthop not found", "no origin path attr", "invalid mp reach attribute",
// "invalid nexthop address: X", "invalid aggregator address: X", "invalid originator id: X",
// "invalid cluster list: X"; and beyond gobgpd (which would accept and then misbehave):
// unknown Any types, origin > 2, AS_PATH segment types outside 1..4 and empty segments, an
// IPv4 next hop for an IPv6 prefix, a multicast next hop, a second MP_REACH next hop that is
// not link-local, an MP_REACH of another family than the path's, UnknownAttribute with a
// type kbgp decodes (use the typed message), values out of their field's range, and an
// attribute list that does not fit a BGP message (RFC 8654's 65535 octets). nlri_binary and
// pattrs_binary are accepted as gobgpd accepts them (wire format, strictly decoded).
// Path.source_asn/source_id (gobgpd files such a path under that source), no_implicit_withdraw
// and is_from_external are ignored.
absl::StatusOr<ApiRoute> RouteFromApi(const apipb::Path& path, bool withdraw);
// Interns route.attrs for route.family in `pool` (the Rib's pool for BgpServer::AddLocalPath).
rib::AttrRef InternRoute(rib::AttrPool& pool, const ApiRoute& route);

// ---- Paths to the API (ListPath, WatchEvent: gobgpd's toPathAPI) ----

// What the caller knows about one path besides its prefix.
//
// Arrival time: a rib::Path has only an arrival `seq`, and gobgpd shows the second a path
// arrived (Path.age). The caller supplies it. Proposal for the server: a SeqClock that, once
// per second in which the Rib assigns sequence numbers, records (first seq of that second,
// wall second) — one 12-byte entry per busy second, the oldest merged away beyond a bound
// (e.g. 64 Ki entries, so old paths get a coarser, earlier time) — and answers a path's
// second by binary search on its seq. gobgpd's own timestamps have one-second resolution, so
// this is exact while the table of seconds is not full, and costs nothing per path.
struct PathInfo {
  const rib::AttrSet* attrs = nullptr;    // the attributes to list (pre- or post-policy)
  const rib::PeerInfo* source = nullptr;  // null or `local`: a locally originated path
  uint32_t identifier = 0;                // the path id received (RFC 7911)
  // The path id kbgp sends it with to ADD-PATH peers; gobgpd numbers a destination's paths
  // from 1 and lists 1 for a path that is alone.
  uint32_t local_identifier = 1;
  absl::Time arrival = absl::UnixEpoch();  // Path.age, listed in whole seconds as gobgpd
  bool best = false;
  bool stale = false;     // RFC 4724: kept while the peer restarts
  bool filtered = false;  // rejected by import policy (adj-in listing with EnableFiltered)
  bool is_withdraw = false;
  bool is_from_external = false;
};
// Fills attrs (post-policy, or the received set when `pre_policy`: an Adj-RIB-In listing),
// source, identifier, stale and filtered from a Rib path; the caller adds the rest.
PathInfo PathInfoOf(const rib::Path& path, const rib::PeerInfo& source, bool pre_policy);
// nlri, pattrs, age, best, is_withdraw, validation (empty: RPKI is off, gobgpd's
// newValidationFromTableStruct(nil)), family, source_asn, source_id, neighbor_ip ("<nil>"
// for both ids of a local path, as gobgpd prints a nil net.IP), filtered, stale,
// is_from_external, identifier, local_identifier.
void PathToApi(const Prefix& prefix, const PathInfo& info, apipb::Path* out);

// ---- Paths as bytes (ListPath's fast path) ----

// The wire encoding of Path.pattrs for `attrs`: the bytes of the repeated field 2 (tag,
// length and Any of every attribute) that AttributesToApi(attrs, prefix, next_hop_last, ...)
// fills. For IPv4 unicast with an IPv4 next hop (or none) it does not depend on the prefix
// (the next hop is NEXT_HOP), so a listing can encode each distinct set once; for IPv6, and
// for IPv4 with an IPv6 next hop (RFC 8950), MP_REACH_NLRI carries the prefix.
std::string EncodePathAttributes(const rib::AttrSet& attrs, const Prefix& prefix,
                                 bool next_hop_last);
// Appends the encoding of the apipb::Path that PathToApi(prefix, info, &path) fills, byte for
// byte path.SerializeAsString() (fields in number order, proto3 defaults left out), with
// `pattrs` from EncodePathAttributes of info.attrs (empty for no attributes).
void AppendEncodedPath(const Prefix& prefix, const PathInfo& info, std::string_view pattrs,
                       std::string* out);
// Protobuf wire helpers for the above and the ListPath messages around a path.
void AppendVarint(uint64_t v, std::string* out);
// A length-delimited field: tag (field number, wire type 2), length, bytes.
void AppendLengthDelimited(uint32_t field, std::string_view bytes, std::string* out);

// ---- Capabilities (apiutil.MarshalCapability) ----

// MultiProtocol, RouteRefresh, EnhancedRouteRefresh, FourOctetASN, ExtendedNexthop,
// GracefulRestart, AddPath, LongLivedGracefulRestart, Fqdn; an unknown code as
// UnknownCapability, except 4 (CarryingLabelInfoCapability) and 128
// (RouteRefreshCiscoCapability), which gobgp decodes. Extended Message (6) is unknown to
// gobgp 3.10, so UnknownCapability{code: 6}.
void CapabilityToApi(const wire::Capability& capability, google::protobuf::Any* out);

// ---- Peers ----

// AddPeer / UpdatePeer (gobgpd's newNeighborFromAPIStruct + SetDefaultNeighborConfigValues):
// the Peer is read into the YAML config model and goes through the same defaults and mapping
// as a configured neighbor (config::SetNeighborDefaults, config::ToNeighborSpec), so an API
// peer and a YAML peer with the same settings get the same NeighborSpec. Read as gobgpd
// reads them: conf, timers.config (connect_retry, hold_time, keepalive_interval),
// transport (local_address, local_port, remote_port, passive_mode), route_reflector,
// route_server, graceful_restart, ebgp_multihop, ttl_security, afi_safis (family, enabled —
// gobgpd enables every listed family —, mp_graceful_restart, add_paths). state and
// apply_policy are not read here (policy belongs to the api_server's policy store).
// Errors: "NeighborAddress is not configured", "invalid neighbor address: X", peer AS 0
// (kbgpd has no "any AS" peers), "can't set remove-private-as for iBGP peer", "can't be
// both route-server-client and route-reflector-client", "no such peer-group: X" (the api_server
// merges a peer group into the Peer and clears conf.peer_group before calling), VRFs and neighbor_interface (Unimplemented), values out of range.
absl::StatusOr<server::NeighborSpec> PeerFromApi(const apipb::Peer& peer,
                                                 const server::GlobalSpec& global);

// Steady and wall clock read at the same moment, to turn the Session's steady-clock times
// into the Timestamps gobgpd lists (uptime, downtime).
struct ClockPair {
  Clock::TimePoint steady;
  absl::Time wall;
  absl::Time WallTimeOf(Clock::TimePoint t) const;
};

// ListPeer (gobgpd's NewPeerFromConfigStruct(toConfig(peer)) plus the afi-safi counts):
// conf, state (session and admin state, counters by message type, neighbor address, peer AS,
// type, queues, flops, remote and local capabilities, remote router id once Established),
// timers (config; state: negotiated hold time, keepalive, uptime, downtime), transport
// (the session's local address once Established, else the configured one or 0.0.0.0 / ::;
// the configured ports), route_reflector, route_server, graceful_restart, ebgp_multihop,
// ttl_security, apply_policy (empty assignments: the api_server fills the real ones) and
// afi_safis with config and state (received, accepted, advertised — advertised only with
// `with_advertised`, as gobgpd counts it only for EnableAdvertised). As in gobgpd, an
// admin-down peer lists no counters, router id or timer state, and state.local_asn and
// queues are never filled. `status.session` may be null (no counters or capabilities).
void PeerToApi(const server::NeighborStatus& status, const ClockPair& now, bool with_advertised,
               apipb::Peer* out);

// gobgpd's PeerState.SessionState for a kbgp FSM state.
apipb::PeerState::SessionState SessionStateToApi(peer::State state);

}  // namespace kbgp::api_server

#endif  // KBGP_DAEMON_API_SERVER_CONVERT_H_
