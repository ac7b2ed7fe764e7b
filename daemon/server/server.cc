#include "daemon/server/server.h"

#include <ifaddrs.h>
#include <netinet/in.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <optional>
#include <string>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "daemon/common/log.h"
#include "daemon/wire/constants.h"

namespace kbgp::server {
namespace {

constexpr char kNotStarted[] = "bgp server hasn't started yet";  // gobgpd's text
// (changed prefix, peer) exports per RIB flush; the rest goes in the next posted flush. This
// bounds one flush's batch, not the sessions' write queues (writable() does not gate it yet).
constexpr size_t kFlushBudget = 1 << 18;

// Our IPv6 next hop for IPv6 routes sent over an IPv4 session (RFC 4760 carries IPv6 NLRI over
// any transport, but the next hop must be IPv6): a global IPv6 address of the interface that
// holds the session's local IPv4 address (as FRR and BIRD pick), else the IPv4-mapped address
// ::ffff:a.b.c.d (what gobgpd sends).
IpAddress LocalIPv6NextHop(const IpAddress& local_v4) {
  std::string ifname;
  std::optional<IpAddress> found;
  struct ifaddrs* list = nullptr;
  if (getifaddrs(&list) == 0) {
    for (struct ifaddrs* i = list; i != nullptr; i = i->ifa_next) {
      if (i->ifa_addr == nullptr || i->ifa_addr->sa_family != AF_INET) continue;
      const auto* sin = reinterpret_cast<const struct sockaddr_in*>(i->ifa_addr);
      if (IpAddress::V4Bytes(reinterpret_cast<const uint8_t*>(&sin->sin_addr)) == local_v4) {
        ifname = i->ifa_name;
        break;
      }
    }
    for (struct ifaddrs* i = list; i != nullptr && !ifname.empty(); i = i->ifa_next) {
      if (i->ifa_addr == nullptr || i->ifa_addr->sa_family != AF_INET6) continue;
      if (ifname != i->ifa_name) continue;
      const auto* sin6 = reinterpret_cast<const struct sockaddr_in6*>(i->ifa_addr);
      IpAddress a = IpAddress::V6Bytes(sin6->sin6_addr.s6_addr);
      if (a.IsIPv6LinkLocal() || a.IsUnspecified() || a.IsMulticast()) continue;
      found = a;
      break;
    }
    freeifaddrs(list);
  }
  if (found) return *found;
  uint8_t mapped[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  std::memcpy(mapped + 12, local_v4.data(), 4);
  return IpAddress::V6Bytes(mapped);
}

}  // namespace

BgpServer::BgpServer(EventLoop& loop) : loop_(loop) {}

BgpServer::~BgpServer() {
  *alive_ = false;
  Stop();
}

absl::Status BgpServer::Start(const GlobalSpec& global) {
  if (started()) return absl::AlreadyExistsError("bgp server is already started");
  if (global.as == 0) return absl::InvalidArgumentError("invalid AS number 0");
  if (global.router_id == 0) return absl::InvalidArgumentError("invalid router-id 0.0.0.0");
  global_ = global;
  rib::RibOptions ro;
  ro.local_as = global.as;
  ro.router_id = global.router_id;
  ro.decision = global.decision;
  auto rib = std::make_unique<rib::Rib>(ro);
  // Bounded flushes: a route server's small input can fan out to every peer at once.
  rib->set_flush_budget(kFlushBudget);
  policy_.Install(rib.get());
  if (global.port >= 0) {
    peer::Listener::Options lo;
    lo.addresses = global.listen_addresses;
    lo.port = static_cast<uint16_t>(global.port);
    auto listener = std::make_unique<peer::Listener>(loop_, lo);
    listener->set_unknown_peer_handler(
        [this](const IpAddress& a, asio::ip::tcp::socket& sock) { return OnUnknownPeer(a, sock); });
    absl::Status s = listener->Start();
    if (!s.ok()) return s;
    listener_ = std::move(listener);
  }
  rib_ = std::move(rib);
  LogInfo("bgp started", {{"as", global.as},
                          {"router_id", IpAddress::V4(global.router_id).ToString()},
                          {"port", listener_ ? listener_->port() : 0}});
  return absl::OkStatus();
}

void BgpServer::Stop() {
  if (!started()) return;
  for (auto& [addr, n] : neighbors_) {
    if (listener_) listener_->RemoveSession(n->session.get());
    n->session->Stop(wire::err::kCeasePeerDeconfigured);
  }
  neighbors_.clear();
  dynamic_ranges_.clear();
  if (listener_) listener_->Stop();
  listener_.reset();
  rib_.reset();
  flush_scheduled_ = false;
  LogInfo("bgp stopped");
}

uint16_t BgpServer::listen_port() const { return listener_ ? listener_->port() : 0; }

BgpServer::Neighbor* BgpServer::FindNeighbor(const IpAddress& address) {
  auto it = neighbors_.find(address);
  return it == neighbors_.end() ? nullptr : it->second.get();
}

BgpServer::Neighbor* BgpServer::NeighborOf(const peer::Session& session) {
  return FindNeighbor(session.peer_address());
}

const peer::Session* BgpServer::FindSession(const IpAddress& address) const {
  auto it = neighbors_.find(address);
  return it == neighbors_.end() ? nullptr : it->second->session.get();
}

const NeighborSpec* BgpServer::FindNeighborSpec(const IpAddress& address) const {
  auto it = neighbors_.find(address);
  return it == neighbors_.end() ? nullptr : &it->second->spec;
}

rib::PeerId BgpServer::PeerIdOf(const IpAddress& address) const {
  auto it = neighbors_.find(address);
  return it == neighbors_.end() ? rib::kLocalPeer : it->second->rib_id;
}

rib::PeerInfo BgpServer::MakePeerInfo(const NeighborSpec& spec) const {
  rib::PeerInfo info = spec.rib;
  info.local_as = spec.session.local_as;
  info.peer_as = spec.session.peer_as;
  info.local_router_id = global_.router_id;
  info.address = spec.session.peer_address;
  if (spec.session.local_address) info.local_address = *spec.session.local_address;
  return info;
}

std::unique_ptr<peer::Session> BgpServer::MakeSession(const NeighborSpec& spec) {
  return std::make_unique<peer::Session>(loop_, *this, spec.session);
}

absl::Status BgpServer::AddNeighbor(NeighborSpec spec) {
  if (!started()) return absl::FailedPreconditionError(kNotStarted);
  const IpAddress addr = spec.session.peer_address;
  if (FindNeighbor(addr) != nullptr) {
    return absl::AlreadyExistsError(
        absl::StrCat("can't overwrite the existing peer: ", addr.ToString()));
  }
  if (spec.session.peer_as == 0) {
    return absl::InvalidArgumentError(absl::StrCat("neighbor ", addr.ToString(), ": peer-as 0"));
  }
  if (spec.session.local_as == 0) spec.session.local_as = global_.as;
  if (spec.session.router_id == 0) spec.session.router_id = global_.router_id;
  auto n = std::make_unique<Neighbor>();
  n->spec = std::move(spec);
  n->session = MakeSession(n->spec);
  n->gr_timer = std::make_unique<LoopTimer>(loop_);
  n->rib_id = rib_->AddPeer(MakePeerInfo(n->spec));
  if (listener_) {
    absl::Status s = listener_->AddSession(n->session.get());
    if (!s.ok()) {
      rib_->RemovePeer(n->rib_id);
      return s;
    }
  }
  Neighbor* raw = n.get();
  neighbors_.emplace(addr, std::move(n));
  NotifyPeerState(addr, peer::State::kIdle);
  LogInfo("peer added", {{"peer", addr.ToString()},
                         {"as", raw->spec.session.peer_as},
                         {"admin_down", raw->spec.admin_down ? "true" : "false"}});
  if (!raw->spec.admin_down) raw->session->Start();
  return absl::OkStatus();
}

absl::Status BgpServer::DeleteNeighbor(const IpAddress& address) {
  auto it = neighbors_.find(address);
  if (it == neighbors_.end()) {
    return absl::NotFoundError(absl::StrCat("can't find the neighbor ", address.ToString()));
  }
  std::unique_ptr<Neighbor> n = std::move(it->second);
  neighbors_.erase(it);
  n->gr_timer->Stop();
  if (listener_) listener_->RemoveSession(n->session.get());
  n->session->Stop(wire::err::kCeasePeerDeconfigured);
  rib_->RemovePeer(n->rib_id);
  ScheduleFlush();
  NotifyPeerState(address, peer::State::kIdle);
  LogInfo("peer deleted", {{"peer", address.ToString()}});
  // The session may still be in one of its own callbacks further up the stack: free it on a
  // later loop turn.
  std::shared_ptr<Neighbor> doomed(std::move(n));
  loop_.Post([doomed]() {});
  return absl::OkStatus();
}

absl::Status BgpServer::UpdateNeighbor(NeighborSpec spec, bool session_changed) {
  if (!started()) return absl::FailedPreconditionError(kNotStarted);
  Neighbor* n = FindNeighbor(spec.session.peer_address);
  if (n == nullptr) {
    return absl::NotFoundError(
        absl::StrCat("can't find the neighbor ", spec.session.peer_address.ToString()));
  }
  if (session_changed) {
    IpAddress addr = spec.session.peer_address;
    absl::Status s = DeleteNeighbor(addr);
    if (!s.ok()) return s;
    return AddNeighbor(std::move(spec));
  }
  if (spec.session.local_as == 0) spec.session.local_as = n->spec.session.local_as;
  if (spec.session.router_id == 0) spec.session.router_id = n->spec.session.router_id;
  bool was_down = n->spec.admin_down;
  n->spec.description = spec.description;
  n->spec.admin_down = spec.admin_down;
  if (!was_down && spec.admin_down) n->session->Stop(wire::err::kCeaseAdminShutdown);
  if (was_down && !spec.admin_down) n->session->Start();
  return absl::OkStatus();
}

absl::Status BgpServer::ResetNeighbor(const IpAddress& address, std::string message) {
  Neighbor* n = FindNeighbor(address);
  if (n == nullptr) {
    return absl::NotFoundError(absl::StrCat("can't find the neighbor ", address.ToString()));
  }
  n->session->Reset(std::move(message));
  return absl::OkStatus();
}

absl::Status BgpServer::ShutdownNeighbor(const IpAddress& address, std::string message) {
  Neighbor* n = FindNeighbor(address);
  if (n == nullptr) {
    return absl::NotFoundError(absl::StrCat("can't find the neighbor ", address.ToString()));
  }
  n->session->Reset(std::move(message), wire::err::kCeaseAdminShutdown);
  return absl::OkStatus();
}

absl::Status BgpServer::DisableNeighbor(const IpAddress& address, std::string message) {
  Neighbor* n = FindNeighbor(address);
  if (n == nullptr) {
    return absl::NotFoundError(absl::StrCat("can't find the neighbor ", address.ToString()));
  }
  n->spec.admin_down = true;
  n->session->Stop(wire::err::kCeaseAdminShutdown, std::move(message));
  n->session->ResetCounters();  // as gobgpd's disable
  return absl::OkStatus();
}

absl::Status BgpServer::EnableNeighbor(const IpAddress& address) {
  Neighbor* n = FindNeighbor(address);
  if (n == nullptr) {
    return absl::NotFoundError(absl::StrCat("can't find the neighbor ", address.ToString()));
  }
  if (n->spec.admin_down) {
    n->spec.admin_down = false;
    n->session->Start();
  }
  return absl::OkStatus();
}

absl::Status BgpServer::SetPolicy(const policy::PolicyConfig& config) {
  absl::Status s = policy_.Load(config);
  if (!s.ok()) return s;
  policy_config_ = config;
  ++policy_generation_;
  if (!rib_) return absl::OkStatus();
  policy_.Install(rib_.get());
  // Soft reconfiguration: import again from the kept received sets, then export again;
  // the flush sends each peer only what changed.
  rib_->ReapplyImportPolicy();
  rib_->ReapplyExportPolicy();
  ScheduleFlush();
  LogInfo("policy applied", {{"import", policy_.has_import() ? "on" : "off"},
                             {"export", policy_.has_export() ? "on" : "off"}});
  return absl::OkStatus();
}

std::vector<NeighborStatus> BgpServer::ListNeighbors() const {
  std::vector<NeighborStatus> out;
  absl::flat_hash_map<rib::PeerId, size_t> index;
  for (const auto& [addr, n] : neighbors_) {
    NeighborStatus s;
    s.address = addr;
    s.peer_as = n->spec.session.peer_as;
    s.description = n->spec.description;
    s.state = n->session->state();
    s.admin_down = n->spec.admin_down;
    s.dynamic = n->dynamic;
    s.spec = n->spec;
    s.session = n->session.get();
    index[n->rib_id] = out.size();
    out.push_back(std::move(s));
  }
  if (!rib_ || out.empty()) return out;
  // One pass over the table for every neighbor's Adj-RIB-In counts.
  for (Family f : {Family::kIPv4, Family::kIPv6}) {
    const int fi = f == Family::kIPv4 ? 0 : 1;
    rib_->ForEachDestination(f, [&](const Prefix&, const rib::Destination& d) {
      for (const rib::Path& p : d.paths()) {
        auto it = index.find(p.peer);
        if (it == index.end()) continue;
        NeighborStatus& s = out[it->second];
        ++s.family_received[fi];
        // gobgpd's "accepted" leaves out only what never entered the table (loop checks);
        // import policy rejects are counted as accepted.
        if (p.eligible() || (p.flags & rib::Path::kRejected)) ++s.family_accepted[fi];
      }
    });
  }
  for (const auto& [addr, n] : neighbors_) {
    NeighborStatus& s = out[index[n->rib_id]];
    const rib::AdjRibOut& o = rib_->adj_rib_out(n->rib_id);
    // A peer that is down lists what it had been sent, as gobgpd does.
    const bool up = n->session->established();
    s.family_advertised[0] = up ? o.size(Family::kIPv4) : n->last_advertised[0];
    s.family_advertised[1] = up ? o.size(Family::kIPv6) : n->last_advertised[1];
    s.received = s.family_received[0] + s.family_received[1];
    s.accepted = s.family_accepted[0] + s.family_accepted[1];
    s.advertised = s.family_advertised[0] + s.family_advertised[1];
  }
  return out;
}

absl::Status BgpServer::SoftResetIn(const IpAddress& address) {
  if (FindNeighbor(address) == nullptr) {
    return absl::NotFoundError(absl::StrCat("can't find the neighbor ", address.ToString()));
  }
  // The Adj-RIB-In is kept pre-policy; running import again over the table covers this
  // peer's paths (and costs a table pass, as a policy change does).
  rib_->ReapplyImportPolicy();
  ScheduleFlush();
  LogInfo("soft reset in", {{"peer", address.ToString()}});
  return absl::OkStatus();
}

absl::Status BgpServer::SoftResetOut(const IpAddress& address) {
  Neighbor* n = FindNeighbor(address);
  if (n == nullptr) {
    return absl::NotFoundError(absl::StrCat("can't find the neighbor ", address.ToString()));
  }
  rib_->ResendTable(n->rib_id);
  ScheduleFlush();
  LogInfo("soft reset out", {{"peer", address.ToString()}});
  return absl::OkStatus();
}

absl::Status BgpServer::AddDynamicRange(DynamicRange range) {
  if (!started()) return absl::FailedPreconditionError(kNotStarted);
  for (const DynamicRange& r : dynamic_ranges_) {
    if (r.prefix == range.prefix && r.peer_group == range.peer_group) {
      return absl::AlreadyExistsError(absl::StrCat("dynamic neighbor ", range.prefix.ToString(),
                                                   " of peer group ", range.peer_group,
                                                   " already exists"));
    }
  }
  LogInfo("dynamic neighbor range added",
          {{"prefix", range.prefix.ToString()}, {"peer_group", range.peer_group}});
  dynamic_ranges_.push_back(std::move(range));
  return absl::OkStatus();
}

absl::Status BgpServer::DeleteDynamicRange(const Prefix& prefix, absl::string_view peer_group) {
  for (auto it = dynamic_ranges_.begin(); it != dynamic_ranges_.end(); ++it) {
    if (it->prefix == prefix && it->peer_group == peer_group) {
      dynamic_ranges_.erase(it);
      return absl::OkStatus();
    }
  }
  return absl::NotFoundError(absl::StrCat("can't find the dynamic neighbor ", prefix.ToString(),
                                          " of peer group ", peer_group));
}

bool BgpServer::OnUnknownPeer(const IpAddress& address, asio::ip::tcp::socket& socket) {
  // The longest matching range wins, as with a routing table.
  const DynamicRange* best = nullptr;
  for (const DynamicRange& r : dynamic_ranges_) {
    if (address.family() != r.prefix.family() ||
        !r.prefix.Contains(Prefix::Make(address, static_cast<uint8_t>(address.bit_length())))) {
      continue;
    }
    if (best == nullptr || r.prefix.length() > best->prefix.length()) best = &r;
  }
  if (best == nullptr) return false;
  NeighborSpec spec = best->spec;
  spec.session.peer_address = address;
  spec.session.passive = true;
  spec.admin_down = false;
  absl::Status s = AddNeighbor(std::move(spec));
  if (!s.ok()) {
    LogWarn("dynamic neighbor refused", {{"peer", address.ToString()}, {"error", s.ToString()}});
    return false;
  }
  Neighbor* n = FindNeighbor(address);
  n->dynamic = true;
  n->session->Accept(std::move(socket));
  LogInfo("dynamic neighbor accepted",
          {{"peer", address.ToString()}, {"range", best->prefix.ToString()}});
  return true;
}

absl::Status BgpServer::AddLocalPath(const Prefix& prefix, uint32_t path_id,
                                     const rib::AttrSet* attrs) {
  if (!started()) return absl::FailedPreconditionError(kNotStarted);
  wire::Nlri nlri{prefix, path_id};
  rib_->Announce(rib::kLocalPeer, {&nlri, 1}, attrs);
  ScheduleFlush();
  return absl::OkStatus();
}

absl::Status BgpServer::DeleteLocalPath(const Prefix& prefix, uint32_t path_id) {
  if (!started()) return absl::FailedPreconditionError(kNotStarted);
  const rib::Destination* d = rib_->Find(prefix);
  bool found = false;
  if (d != nullptr) {
    for (const rib::Path& p : d->paths()) found |= p.peer == rib::kLocalPeer && p.path_id == path_id;
  }
  if (!found) {
    return absl::NotFoundError(absl::StrCat("can't find the path ", prefix.ToString()));
  }
  wire::Nlri nlri{prefix, path_id};
  rib_->Withdraw(rib::kLocalPeer, {&nlri, 1});
  ScheduleFlush();
  return absl::OkStatus();
}

size_t BgpServer::DeleteLocalPaths(std::optional<Family> family) {
  if (!started()) return 0;
  std::vector<wire::Nlri> nlri;
  for (Family f : {Family::kIPv4, Family::kIPv6}) {
    if (family && *family != f) continue;
    rib_->ForEachDestination(f, [&](const Prefix& p, const rib::Destination& d) {
      for (const rib::Path& path : d.paths()) {
        if (path.peer == rib::kLocalPeer) nlri.push_back(wire::Nlri{p, path.path_id});
      }
    });
  }
  if (!nlri.empty()) {
    rib_->Withdraw(rib::kLocalPeer, nlri);
    ScheduleFlush();
  }
  return nlri.size();
}

void BgpServer::NotifyPeerState(const IpAddress& address, peer::State state) {
  if (peer_state_hook_) peer_state_hook_(address, state);
}

void BgpServer::OnEstablished(peer::Session& session, const peer::Negotiated& negotiated) {
  Neighbor* n = NeighborOf(session);
  if (n == nullptr || !rib_) return;
  // The session facts the Rib's rules need, known only now.
  rib::PeerInfo info = MakePeerInfo(n->spec);
  info.router_id = negotiated.peer_bgp_id;
  if (auto ep = session.local_endpoint()) info.local_address = peer::FromAsio(ep->address());
  // Without it an IPv6 route towards an IPv4 session had the next hop 0.0.0.0, which the
  // update packer cannot encode, so the route was silently never sent.
  if (info.local_address.is_v4() && negotiated.HasFamily(wire::kIPv6Unicast)) {
    info.local_address_v6 = LocalIPv6NextHop(info.local_address);
  }
  info.add_path_send_ipv4 = negotiated.AddPathSend(wire::kIPv4Unicast);
  info.add_path_send_ipv6 = negotiated.AddPathSend(wire::kIPv6Unicast);
  info.add_path_receive = negotiated.AddPathReceive(wire::kIPv4Unicast) ||
                          negotiated.AddPathReceive(wire::kIPv6Unicast);
  info.extended_message = negotiated.extended_message;
  rib_->SetPeerInfo(n->rib_id, info);
  rib_->PeerEstablished(n->rib_id, negotiated.HasFamily(wire::kIPv4Unicast),
                        negotiated.HasFamily(wire::kIPv6Unicast));
  NotifyPeerState(n->spec.session.peer_address, peer::State::kEstablished);
  if (n->gr_stale) {
    // RFC 4724 §4.2: stale routes of a family the restarted peer no longer preserves
    // (no GR capability, or no Forwarding State bit for it) go now; the others wait for its
    // End-of-RIB, at most the Restart Time.
    for (wire::AfiSafi fam : {wire::kIPv4Unicast, wire::kIPv6Unicast}) {
      bool kept = false;
      for (const auto& e : negotiated.peer_gr_families) {
        kept |= e.family == fam && (e.flags & wire::GracefulRestartCap::kForwardingState);
      }
      if (!negotiated.peer_graceful_restart || !kept) {
        rib_->SweepStale(n->rib_id, fam.afi == wire::kAfiIPv4 ? Family::kIPv4 : Family::kIPv6);
      }
    }
    if (rib_->stale_count(n->rib_id) == 0) {
      EndStale(*n, std::nullopt, "peer came back without preserving forwarding state");
    } else {
      Neighbor* np = n;
      n->gr_timer->Start(std::chrono::seconds(std::max<uint16_t>(negotiated.peer_restart_time, 1)),
                         [this, np] { EndStale(*np, std::nullopt, "no End-of-RIB in time"); });
    }
  }
  ScheduleFlush();
}

bool BgpServer::GracefulDown(const Neighbor& n, peer::DownReason reason) const {
  const peer::Negotiated& neg = n.session->negotiated();
  if (!neg.graceful_restart || neg.peer_restart_time == 0 || n.spec.admin_down) return false;
  switch (reason) {
    case peer::DownReason::kTcpConnectionFailed:
      return true;  // RFC 4724 §4.2: the TCP session ended without a NOTIFICATION
    case peer::DownReason::kHoldTimerExpired:
    case peer::DownReason::kNotificationReceived:
      // RFC 8538 §4: with the N bit on both sides a NOTIFICATION (other than Hard Reset, which
      // the session reports as an administrative stop) also keeps the routes.
      return neg.peer_gr_notification && n.spec.session.gr_notification;
    default:
      return false;
  }
}

void BgpServer::EndStale(Neighbor& n, std::optional<Family> family, absl::string_view why) {
  if (!n.gr_stale) return;
  size_t removed = 0;
  for (Family f : {Family::kIPv4, Family::kIPv6}) {
    if (!family || *family == f) removed += rib_->SweepStale(n.rib_id, f);
  }
  if (rib_->stale_count(n.rib_id) == 0) {
    n.gr_stale = false;
    n.gr_timer->Stop();
  }
  LogInfo("graceful restart: stale routes removed",
          {{"peer", n.spec.session.peer_address.ToString()}, {"removed", removed}, {"why", why}});
  ScheduleFlush();
}

void BgpServer::OnUpdate(peer::Session& session, wire::Update&& update) {
  Neighbor* n = NeighborOf(session);
  if (n == nullptr || !rib_) return;
  if (n->gr_stale) {
    // RFC 4724 §4.2: the restarted peer's End-of-RIB for a family ends its stale routes.
    if (std::optional<wire::AfiSafi> eor = wire::EndOfRibFamily(update)) {
      EndStale(*n, eor->afi == wire::kAfiIPv4 ? Family::kIPv4 : Family::kIPv6,
               "End-of-RIB received");
      return;
    }
  }
  const Clock::TimePoint start = timing_hook_ ? loop_.clock().Now() : Clock::TimePoint{};
  rib_->ApplyUpdate(n->rib_id, update);
  if (timing_hook_) timing_hook_(Timing::kUpdate, loop_.clock().Now() - start);
  ScheduleFlush();
}

void BgpServer::OnRouteRefresh(peer::Session& session, const wire::RouteRefresh& refresh) {
  Neighbor* n = NeighborOf(session);
  if (n == nullptr || !rib_) return;
  // RFC 2918 §4: answer with the Adj-RIB-Out. Forgetting what was sent makes the next flush
  // send the whole table again, then End-of-RIB.
  LogInfo("route refresh received",
          {{"peer", session.peer_address().ToString()}, {"afi", refresh.family.afi},
           {"safi", static_cast<int>(refresh.family.safi)}});
  rib_->ResendTable(n->rib_id);
  ScheduleFlush();
}

void BgpServer::OnDown(peer::Session& session, peer::DownReason reason, std::string detail) {
  Neighbor* n = NeighborOf(session);
  if (n == nullptr || !rib_) return;
  (void)detail;  // the session has logged it
  if (GracefulDown(*n, reason)) {
    // RFC 4724 §4.2: keep the routes, marked stale, for the peer's Restart Time.
    const uint16_t restart_time = n->session->negotiated().peer_restart_time;
    rib_->PeerDownGraceful(n->rib_id);
    n->gr_stale = true;
    Neighbor* np = n;
    n->gr_timer->Start(std::chrono::seconds(restart_time), [this, np] {
      if (np->session->established()) return;  // re-armed by OnEstablished
      LogWarn("graceful restart: restart time over, withdrawing the peer's routes",
              {{"peer", np->spec.session.peer_address.ToString()}});
      np->gr_stale = false;
      rib_->PeerDown(np->rib_id);
      ScheduleFlush();
    });
    LogInfo("graceful restart: keeping the peer's routes as stale",
            {{"peer", n->spec.session.peer_address.ToString()},
             {"restart_time_s", restart_time}});
  } else {
    n->gr_stale = false;
    n->gr_timer->Stop();
    const rib::AdjRibOut& out = rib_->adj_rib_out(n->rib_id);
    n->last_advertised[0] = out.size(Family::kIPv4);
    n->last_advertised[1] = out.size(Family::kIPv6);
    rib_->PeerDown(n->rib_id);
  }
  ScheduleFlush();
  NotifyPeerState(n->spec.session.peer_address, session.state());
  if (n->dynamic) {
    // gobgpd removes a dynamic neighbor when its session ends; the next connection from the
    // range creates it again.
    const IpAddress address = n->spec.session.peer_address;
    std::weak_ptr<bool> alive = alive_;
    loop_.Post([this, alive, address]() {
      if (alive.expired()) return;
      Neighbor* d = FindNeighbor(address);
      if (d != nullptr && d->dynamic && !d->session->established()) (void)DeleteNeighbor(address);
    });
  }
}

void BgpServer::OnWritable(peer::Session&) { ScheduleFlush(); }

void BgpServer::ScheduleFlush() {
  if (flush_scheduled_) return;
  flush_scheduled_ = true;
  std::weak_ptr<bool> alive = alive_;
  loop_.Post([this, alive]() {
    if (alive.expired()) return;
    flush_scheduled_ = false;
    const Clock::TimePoint start = timing_hook_ ? loop_.clock().Now() : Clock::TimePoint{};
    Flush();
    if (timing_hook_) timing_hook_(Timing::kFlush, loop_.clock().Now() - start);
  });
}

void BgpServer::Flush() {
  if (!rib_) return;
  if (best_path_hook_) rib_->ForEachDirty(best_path_hook_);
  std::vector<rib::PeerUpdates> batches = rib_->Flush();
  // The rest of a bounded flush goes after the I/O already waiting (the UPDATEs just
  // queued start going out meanwhile).
  if (rib_->dirty_count() > 0) ScheduleFlush();
  if (batches.empty()) return;
  // One lookup table per flush instead of a scan of the neighbors per batch.
  absl::flat_hash_map<rib::PeerId, peer::Session*> sessions;
  sessions.reserve(neighbors_.size());
  for (auto& [addr, n] : neighbors_) sessions[n->rib_id] = n->session.get();
  for (rib::PeerUpdates& b : batches) {
    auto it = sessions.find(b.peer);
    peer::Session* target = it == sessions.end() ? nullptr : it->second;
    if (target == nullptr || !target->established()) continue;
    for (wire::Update& u : b.updates) {
      absl::Status s = target->Send(wire::Message(std::move(u)));
      if (!s.ok()) {
        LogError("cannot send update",
                 {{"peer", target->peer_address().ToString()}, {"error", s.ToString()}});
        break;
      }
    }
  }
}

}  // namespace kbgp::server
