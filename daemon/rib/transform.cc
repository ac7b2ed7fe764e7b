#include "daemon/rib/transform.h"

#include <algorithm>

namespace kbgp::rib {

bool IsPrivateAs(uint32_t asn) {
  return (asn >= 64512 && asn <= 65534) || (asn >= 4200000000u && asn <= 4294967294u);
}

ImportVerdict CheckImport(const AttrSet& a, const PeerInfo& from) {
  if (from.local) return ImportVerdict::kUsable;
  if (a.as_path() && a.as_path()->Count(from.local_as) > from.allow_own_as) {
    return ImportVerdict::kAsLoop;
  }
  if (from.ibgp()) {
    if (a.originator_id() && *a.originator_id() == from.local_router_id) {
      return ImportVerdict::kOriginatorLoop;
    }
    if (const AttrExtras* e = a.extras(); e && e->has_cluster_list) {
      const uint32_t id = from.effective_cluster_id();
      if (std::find(e->cluster_list.begin(), e->cluster_list.end(), id) !=
          e->cluster_list.end()) {
        return ImportVerdict::kClusterLoop;
      }
    }
  }
  return ImportVerdict::kUsable;
}

bool MayAdvertise(const AttrSet& a, const PeerInfo& from, const PeerInfo& to) {
  if (!from.local && from.address == to.address) return false;  // never back to the source
  if (a.HasCommunity(kNoAdvertise)) return false;               // RFC 1997
  // RFC 1997 speaks of routes "received" with NO_EXPORT; like gobgpd, a route this router
  // originates itself (the API's AddPath, a config's network) is the operator's to send.
  if (!from.local && !to.ibgp() &&
      (a.HasCommunity(kNoExport) || a.HasCommunity(kNoExportSubconfed))) {
    return false;
  }
  // RFC 4271 §9.2 iBGP split horizon, relaxed by RFC 4456 §6 for a route reflector: from a
  // client to everyone, from a non-client to clients only.
  if (from.ibgp() && to.ibgp()) {
    return from.route_reflector_client || to.route_reflector_client;
  }
  return true;
}

namespace {

const IpAddress* LocalNextHop(const PeerInfo& to, Family family) {
  if (family == Family::kIPv6) {
    return to.local_address.is_v6() ? &to.local_address : &to.local_address_v6;
  }
  return &to.local_address;
}

}  // namespace

AttrRef ExportAttrs(AttrPool* pool, const AttrSet& a, const PeerInfo& from, const PeerInfo& to,
                    Family family) {
  AttrFields f = a.fields();
  f.parent = nullptr;  // export results are plain content
  Ref<AsPathData> as_path;
  Ref<AttrExtras> extras;
  AttrExtras e = a.extras() ? *a.extras() : AttrExtras{};
  bool extras_changed = false;
  // RFC 4271 §5: unrecognized optional non-transitive attributes are not passed on;
  // transitive ones are, with the Partial bit.
  if (!e.unknown.empty()) {
    std::vector<wire::RawAttribute> kept;
    for (const wire::RawAttribute& u : e.unknown) {
      if (!(u.flags & wire::attr::kFlagTransitive)) continue;
      kept.push_back(u);
      kept.back().flags |= wire::attr::kFlagPartial;
    }
    e.unknown = std::move(kept);
    extras_changed = true;
  }
  const bool no_next_hop = !a.has_next_hop() || a.next_hop().IsUnspecified();
  // Next hop self: our address, and never the previous hop's link-local address with it
  // (RFC 2545 §3: the link-local next hop names a router on the link of the peer it is
  // sent to; the received one belongs to another link's router).
  auto set_next_hop_self = [&] {
    f.next_hop = *LocalNextHop(to, family);
    f.set(AttrFields::kHasNextHop, true);
    if (e.link_local_next_hop) {
      e.link_local_next_hop.reset();
      extras_changed = true;
    }
  };

  if (to.route_server_client) {
    // RFC 7947 §2.2: transparent. Only the non-transitive LOCAL_PREF goes.
    f.set(AttrFields::kHasLocalPref, false);
    f.local_pref = 0;
    if (no_next_hop) {
      set_next_hop_self();
    }
  } else if (!to.ibgp()) {
    wire::AsPath path = a.as_path() ? a.as_path()->ToWire() : wire::AsPath{};
    // remove-private-as (GoBGP): all, or replace with our AS.
    if (to.remove_private_as != RemovePrivateAs::kNone) {
      for (wire::AsSegment& seg : path) {
        std::vector<uint32_t> asns;
        for (uint32_t asn : seg.asns) {
          if (!IsPrivateAs(asn)) {
            asns.push_back(asn);
          } else if (to.remove_private_as == RemovePrivateAs::kReplace) {
            asns.push_back(to.local_as);
          }
        }
        seg.asns = std::move(asns);
      }
      std::erase_if(path, [](const wire::AsSegment& s) { return s.asns.empty(); });
    }
    // RFC 4271 §5.1.2: prepend our AS; confederation segments never leave the confederation.
    std::erase_if(path, [](const wire::AsSegment& s) {
      return s.type == wire::AsSegmentType::kConfedSequence ||
             s.type == wire::AsSegmentType::kConfedSet;
    });
    if (!path.empty() && path.front().type == wire::AsSegmentType::kSequence &&
        path.front().asns.size() < 255) {
      path.front().asns.insert(path.front().asns.begin(), to.local_as);
    } else {
      path.insert(path.begin(), wire::AsSegment{wire::AsSegmentType::kSequence, {to.local_as}});
    }
    as_path = pool->InternAsPath(path);
    f.as_path = as_path.get();
    // RFC 4271 §5.1.3: next hop self towards an external peer. A route this router
    // originates with an explicit next hop keeps it (a third-party next hop the operator
    // chose, as gobgpd sends it); 0.0.0.0 / :: mean "this router".
    if (!from.local || no_next_hop) set_next_hop_self();
    // RFC 4271 §5.1.4: a MED received from a neighboring AS is not passed to other ASes
    // (GoBGP keeps it only for locally originated paths).
    if (!from.local) {
      f.set(AttrFields::kHasMed, false);
      f.med = 0;
    }
    // LOCAL_PREF (§5.1.5), ORIGINATOR_ID and CLUSTER_LIST (RFC 4456 §8) stay inside the AS.
    f.set(AttrFields::kHasLocalPref, false);
    f.local_pref = 0;
    if (e.originator_id || e.has_cluster_list) {
      e.originator_id.reset();
      e.cluster_list.clear();
      e.has_cluster_list = false;
      extras_changed = true;
    }
  } else {
    if (to.next_hop_self || no_next_hop) {
      set_next_hop_self();
    }
    if (!a.has_local_pref()) {  // RFC 4271 §5.1.5: LOCAL_PREF is mandatory towards iBGP
      f.local_pref = 100;
      f.set(AttrFields::kHasLocalPref, true);
    }
    if (!a.as_path()) {
      as_path = pool->InternAsPath({});
      f.as_path = as_path.get();
    }
    if (from.ibgp()) {
      // RFC 4456 §8: reflecting an internal route.
      if (!e.originator_id) e.originator_id = from.router_id;
      e.cluster_list.insert(e.cluster_list.begin(), to.effective_cluster_id());
      e.has_cluster_list = true;
      extras_changed = true;
    }
  }
  if (extras_changed) {
    extras = pool->InternExtras(e);
    f.extras = extras.get();
  }
  return pool->Intern(f);
}

}  // namespace kbgp::rib
