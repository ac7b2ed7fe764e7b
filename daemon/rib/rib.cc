#include "daemon/rib/rib.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <tuple>

#include "absl/container/flat_hash_map.h"
#include "absl/container/inlined_vector.h"
#include "absl/hash/hash.h"
#include "daemon/rib/transform.h"

namespace kbgp::rib {

// ---- Keys ----

V4Key MakeV4Key(const Prefix& p) { return V4Key{(uint64_t{p.addr().v4()} << 8) | p.length()}; }

V6Key MakeV6Key(const Prefix& p) {
  V6Key k;
  const uint8_t* b = p.addr().data();
  for (int i = 0; i < 8; ++i) k.hi = (k.hi << 8) | b[i];
  for (int i = 8; i < 16; ++i) k.lo = (k.lo << 8) | b[i];
  k.len = p.length();
  return k;
}

Prefix PrefixOf(V4Key k) {
  return Prefix::Make(IpAddress::V4(static_cast<uint32_t>(k.v >> 8)),
                      static_cast<uint8_t>(k.v & 0xff));
}

Prefix PrefixOf(const V6Key& k) {
  uint8_t b[16];
  for (int i = 0; i < 8; ++i) b[i] = static_cast<uint8_t>(k.hi >> (56 - 8 * i));
  for (int i = 0; i < 8; ++i) b[8 + i] = static_cast<uint8_t>(k.lo >> (56 - 8 * i));
  return Prefix::Make(IpAddress::V6Bytes(b), k.len);
}

// ---- Destination ----

Destination::Destination(Destination&& o) noexcept
    : size_(o.size_),
      cap_(o.cap_),
      best_(o.best_),
      reason_(o.reason_),
      flags_(o.flags_),
      out_(o.out_) {
  if (o.cap_ == 0) {
    one_ = o.one_;
  } else {
    many_ = o.many_;
  }
  o.size_ = 0;
  o.cap_ = 0;
  o.best_ = kNoBest;
  o.out_ = OutStore::kNone;
}

Destination& Destination::operator=(Destination&& o) noexcept {
  if (this != &o) {
    this->~Destination();
    new (this) Destination(std::move(o));
  }
  return *this;
}

Destination::~Destination() {
  // The Rib releases the paths' references before a destination goes.
  if (cap_ != 0) std::free(many_);
}

int Destination::Find(PeerId peer, uint32_t path_id) const {
  const Path* p = data();
  for (int i = 0; i < size_; ++i) {
    if (p[i].peer == peer && p[i].path_id == path_id) return i;
  }
  return -1;
}

void Destination::Append(const Path& p) {
  if (size_ == 0 && cap_ == 0) {
    one_ = p;
    size_ = 1;
    return;
  }
  if (cap_ == 0 || size_ == cap_) {
    // Grow by two up to 16 (most prefixes have a handful of paths: little slack, few
    // reallocations), then by a quarter.
    const uint16_t new_cap = static_cast<uint16_t>(
        std::min<size_t>(0xffff, size_ < 16 ? size_ + 2 : size_ + size_ / 4));
    Path* mem;
    if (cap_ == 0) {
      mem = static_cast<Path*>(std::malloc(sizeof(Path) * new_cap));
      if (mem == nullptr) std::abort();
      mem[0] = one_;
    } else {
      mem = static_cast<Path*>(std::realloc(many_, sizeof(Path) * new_cap));
      if (mem == nullptr) std::abort();
    }
    many_ = mem;
    cap_ = new_cap;
  }
  many_[size_++] = p;
}

void Destination::RemoveAt(int i) {
  // Keep best_ pointing at the same path; a removed best leaves none until the decision.
  if (best_ != kNoBest) {
    if (i == best_) {
      best_ = kNoBest;
    } else if (i < best_) {
      --best_;
    }
  }
  Path* d = data();
  std::memmove(d + i, d + i + 1, sizeof(Path) * (size_ - i - 1));
  --size_;
  if (cap_ != 0 && size_ <= 1) {
    Path* mem = many_;
    if (size_ == 1) one_ = mem[0];
    std::free(mem);
    cap_ = 0;
  } else if (cap_ > 8 && size_ < cap_ / 2) {
    Path* mem = static_cast<Path*>(std::realloc(many_, sizeof(Path) * size_));
    if (mem != nullptr) {
      many_ = mem;
      cap_ = size_;
    }
  }
}

// ---- Shared Adj-RIB-Out ----

void OutStore::Reserve(size_t peers) {
  const size_t words = std::max<size_t>(1, (peers + 63) / 64);
  if (words <= words_) return;
  const size_t stride = 1 + words;
  for (auto& chunk : chunks_) {
    std::unique_ptr<uint64_t[]> wide(new uint64_t[kChunkSlots * stride]());
    for (size_t i = 0; i < kChunkSlots; ++i) {
      std::memcpy(&wide[i * stride], &chunk[i * stride_], stride_ * sizeof(uint64_t));
    }
    chunk = std::move(wide);
  }
  words_ = words;
  stride_ = stride;
}

bool OutStore::AnyPeer(const uint64_t* s) const {
  if ((s[1] & ~uint64_t{1}) != 0) return true;
  for (size_t w = 1; w < words_; ++w) {
    if (s[1 + w] != 0) return true;
  }
  return false;
}

uint32_t OutStore::Alloc() {
  if (!free_.empty()) {
    const uint32_t slot = free_.back();
    free_.pop_back();
    return slot;
  }
  if (next_ == chunks_.size() * kChunkSlots) {
    chunks_.emplace_back(new uint64_t[kChunkSlots * stride_]());
  }
  return next_++;
}

void OutStore::Free(uint32_t slot) {
  std::memset(At(slot), 0, stride_ * sizeof(uint64_t));
  free_.push_back(slot);
}

const AttrSet* OutStore::Get(uint32_t slot, PeerId peer) const {
  if (slot == kNone) return nullptr;
  const uint64_t* s = At(slot);
  if (Bit(s, peer)) return Common(s);
  if (s[1] & 1) {
    const std::vector<Exception>& v = exceptions_.at(slot);
    auto it = std::lower_bound(v.begin(), v.end(), peer,
                               [](const Exception& e, PeerId p) { return e.peer < p; });
    if (it != v.end() && it->peer == peer) return it->attrs;
  }
  return nullptr;
}

void OutStore::Remove(uint32_t slot, PeerId peer) {
  uint64_t* s = At(slot);
  if (Bit(s, peer)) {
    s[1 + peer / 64] &= ~(uint64_t{1} << (peer % 64));
  } else {
    auto m = exceptions_.find(slot);
    std::vector<Exception>& v = m->second;
    v.erase(std::lower_bound(v.begin(), v.end(), peer,
                             [](const Exception& e, PeerId p) { return e.peer < p; }));
    if (v.empty()) {
      exceptions_.erase(m);
      s[1] &= ~uint64_t{1};
    }
  }
  if ((s[1] & 1) == 0 || AnyPeer(s)) return;
  // No peer has the common set any more: the set most exceptions have becomes it.
  const std::vector<Exception>& v = exceptions_.at(slot);
  absl::flat_hash_map<const AttrSet*, size_t> holders;
  const AttrSet* most = nullptr;
  size_t best = 0;
  for (const Exception& e : v) {
    const size_t n = ++holders[e.attrs];
    if (n > best) {
      best = n;
      most = e.attrs;
    }
  }
  MakeCommon(slot, most);
}

size_t OutStore::CommonHolders(const uint64_t* s) const {
  size_t n = static_cast<size_t>(__builtin_popcountll(s[1] & ~uint64_t{1}));
  for (size_t w = 1; w < words_; ++w) n += static_cast<size_t>(__builtin_popcountll(s[1 + w]));
  return n;
}

void OutStore::MakeCommon(uint32_t slot, const AttrSet* attrs) {
  uint64_t* s = At(slot);
  const AttrSet* old = Common(s);
  auto m = exceptions_.find(slot);
  std::vector<Exception> rest;
  rest.reserve(m->second.size() + CommonHolders(s));
  // The old common set's holders become exceptions (each keeps its reference).
  for (size_t w = 0; w < words_; ++w) {
    uint64_t bits = s[1 + w] & (w == 0 ? ~uint64_t{1} : ~uint64_t{0});
    while (bits) {
      rest.push_back(
          Exception{static_cast<PeerId>(w * 64 + static_cast<size_t>(__builtin_ctzll(bits))), old});
      bits &= bits - 1;
    }
    s[1 + w] &= (w == 0 ? uint64_t{1} : uint64_t{0});
  }
  for (const Exception& e : m->second) {
    if (e.attrs == attrs) {
      s[1 + e.peer / 64] |= uint64_t{1} << (e.peer % 64);
    } else {
      rest.push_back(e);
    }
  }
  SetCommon(s, attrs);
  if (rest.empty()) {
    exceptions_.erase(m);
    s[1] &= ~uint64_t{1};
    return;
  }
  std::sort(rest.begin(), rest.end(),
            [](const Exception& a, const Exception& b) { return a.peer < b.peer; });
  m->second = std::move(rest);
}

bool OutStore::Set(uint32_t* slot, PeerId peer, const AttrSet* attrs) {
  if (*slot == kNone) *slot = Alloc();
  const AttrSet* cur = Get(*slot, peer);
  if (cur == attrs) return false;
  AttrPool::AddRef(attrs);
  if (cur != nullptr) {
    Remove(*slot, peer);
    pool_->Unref(cur);
  }
  uint64_t* s = At(*slot);
  if (!AnyPeer(s) || Common(s) == attrs) {
    // Remove() left exceptions only beside a common set that some peer has.
    SetCommon(s, attrs);
    s[1 + peer / 64] |= uint64_t{1} << (peer % 64);
    return true;
  }
  std::vector<Exception>& v = exceptions_[*slot];
  v.insert(std::lower_bound(v.begin(), v.end(), peer,
                            [](const Exception& e, PeerId p) { return e.peer < p; }),
           Exception{peer, attrs});
  s[1] |= 1;
  // The common set is the one most peers were sent: when more exceptions than common holders
  // have this set, the two swap roles (the first peers exported to do not decide it).
  size_t same = 0;
  for (const Exception& e : v) same += e.attrs == attrs ? 1 : 0;
  if (same > CommonHolders(s)) MakeCommon(*slot, attrs);
  return true;
}

bool OutStore::Erase(uint32_t* slot, PeerId peer) {
  if (*slot == kNone) return false;
  const AttrSet* cur = Get(*slot, peer);
  if (cur == nullptr) return false;
  Remove(*slot, peer);
  pool_->Unref(cur);
  const uint64_t* s = At(*slot);
  if ((s[1] & 1) == 0 && !AnyPeer(s)) {
    Free(*slot);
    *slot = kNone;
  }
  return true;
}

void OutStore::Drop(uint32_t* slot) {
  if (*slot == kNone) return;
  uint64_t* s = At(*slot);
  const AttrSet* common = Common(s);
  ForEachPeer(*slot, [&](PeerId peer) {
    if (Bit(s, peer)) pool_->Unref(common);
  });
  if (s[1] & 1) {
    auto m = exceptions_.find(*slot);
    for (const Exception& e : m->second) pool_->Unref(e.attrs);
    exceptions_.erase(m);
  }
  Free(*slot);
  *slot = kNone;
}

void OutStore::ReleaseAll() {
  for (uint32_t slot = 0; slot < next_; ++slot) {
    uint32_t k = slot;
    Drop(&k);  // a free slot is all zero: nothing to release
  }
  chunks_.clear();
  free_.clear();
  exceptions_.clear();
  next_ = 0;
}

// ---- Adj-RIB-Out ----

const AttrSet* AdjRibOut::Find(const Prefix& p) const {
  if (const Destination* d = table_->Find(p)) {
    if (const AttrSet* a = shared_->Get(d->out_, id_)) return a;
  }
  if (multi_) {
    if (const SentPaths* s = multi_->Find(p)) return s->front().attrs;
  }
  return nullptr;
}

SentPaths AdjRibOut::FindAll(const Prefix& p) const {
  if (const Destination* d = table_->Find(p)) {
    if (const AttrSet* a = shared_->Get(d->out_, id_)) return SentPaths{SentPath{a, 0}};
  }
  if (multi_) {
    if (const SentPaths* s = multi_->Find(p)) return *s;
  }
  return {};
}

bool AdjRibOut::Set(const Prefix& p, Destination& d, const AttrSet* attrs) {
  const bool had = shared_->Get(d.out_, id_) != nullptr;
  if (!shared_->Set(&d.out_, id_, attrs)) return false;
  if (!had) ++counts_[Index(p.family())];
  return true;
}

bool AdjRibOut::Erase(const Prefix& p, Destination& d) {
  if (!shared_->Erase(&d.out_, id_)) return false;
  --counts_[Index(p.family())];
  return true;
}

void AdjRibOut::SetPaths(const Prefix& p, absl::Span<const SentPath> paths,
                         absl::FunctionRef<void(uint32_t, const AttrSet*)> announce,
                         absl::FunctionRef<void(uint32_t)> withdraw) {
  SentPaths* old = multi_ ? multi_->Find(p) : nullptr;
  if (old == nullptr && paths.empty()) return;
  if (old == nullptr) {
    if (!multi_) multi_ = std::make_unique<PrefixMap<SentPaths>>();
    old = &(*multi_)[p];
  }
  // Both lists are ordered by path id: one merge finds the new, changed and gone paths.
  size_t i = 0, k = 0;
  while (i < old->size() || k < paths.size()) {
    if (k == paths.size() || (i < old->size() && (*old)[i].path_id < paths[k].path_id)) {
      withdraw((*old)[i++].path_id);
    } else if (i == old->size() || paths[k].path_id < (*old)[i].path_id) {
      announce(paths[k].path_id, paths[k].attrs);
      ++k;
    } else {
      if ((*old)[i].attrs != paths[k].attrs) announce(paths[k].path_id, paths[k].attrs);
      ++i;
      ++k;
    }
  }
  size_t& count = multi_paths_[p.family() == Family::kIPv4 ? 0 : 1];
  count = count - old->size() + paths.size();
  for (const SentPath& s : paths) AttrPool::AddRef(s.attrs);
  for (const SentPath& s : *old) pool_->Unref(s.attrs);
  if (paths.empty()) {
    multi_->Erase(p);
  } else {
    old->assign(paths.begin(), paths.end());
  }
}

void AdjRibOut::Clear() {
  // Walks the table only as far as the peer's last entry of each family.
  for (Family f : {Family::kIPv4, Family::kIPv6}) {
    size_t& left = counts_[Index(f)];
    if (left == 0) continue;
    table_->ForEachAfter(f, nullptr, [&](const Prefix&, Destination& d) {
      if (shared_->Erase(&d.out_, id_)) --left;
      return left > 0;
    });
  }
  counts_[0] = counts_[1] = 0;
  ClearMulti();
}

void AdjRibOut::ClearMulti() {
  if (multi_) {
    multi_->ForEach([&](const Prefix&, SentPaths& s) {
      for (const SentPath& sp : s) pool_->Unref(sp.attrs);
    });
    multi_.reset();
  }
  multi_paths_[0] = multi_paths_[1] = 0;
}

// ---- Update packing ----

namespace {

// Header, withdrawn-length and attribute-length fields.
constexpr size_t kUpdateOverhead = wire::kHeaderLength + 2 + 2;
// An MP_REACH/MP_UNREACH attribute header may switch to the 2-byte length form as the NLRI
// grow; count it in from the start.
constexpr size_t kMpSlack = 1;

size_t EncodedSize(const wire::PathAttributes& pa, const wire::CodecOptions& opts) {
  Bytes b;
  if (!wire::EncodePathAttributes(pa, opts, &b).ok()) return SIZE_MAX;
  return b.size();
}

}  // namespace

void PackAnnouncements(const AttrSet& attrs, wire::AfiSafi family,
                       absl::Span<const wire::Nlri> nlri, const wire::CodecOptions& opts,
                       std::vector<wire::Update>* out) {
  if (nlri.empty()) return;
  const bool v4 = family == wire::kIPv4Unicast;
  const bool add_path = opts.AddPath(family);
  wire::PathAttributes base = attrs.ToWire();
  if (v4) {
    base.next_hop = attrs.next_hop();
  } else {
    wire::MpReach mp;
    mp.family = family;
    mp.next_hop = attrs.next_hop();
    if (attrs.extras()) mp.link_local_next_hop = attrs.extras()->link_local_next_hop;
    base.mp_reach = std::move(mp);
  }
  const size_t attr_size = EncodedSize(base, opts);
  const size_t max = opts.max_message_length();
  if (attr_size == SIZE_MAX || attr_size + kUpdateOverhead + kMpSlack >= max) return;
  const size_t room = max - kUpdateOverhead - attr_size - (v4 ? 0 : kMpSlack);
  size_t i = 0;
  while (i < nlri.size()) {
    wire::Update u;
    u.attrs = base;
    std::vector<wire::Nlri>& dst = v4 ? u.nlri : u.attrs.mp_reach->nlri;
    size_t used = 0;
    while (i < nlri.size() && used + wire::NlriSize(nlri[i], add_path) <= room) {
      used += wire::NlriSize(nlri[i], add_path);
      dst.push_back(nlri[i++]);
    }
    out->push_back(std::move(u));
  }
}

void PackWithdrawals(wire::AfiSafi family, absl::Span<const wire::Nlri> nlri,
                     const wire::CodecOptions& opts, std::vector<wire::Update>* out) {
  if (nlri.empty()) return;
  const bool v4 = family == wire::kIPv4Unicast;
  const bool add_path = opts.AddPath(family);
  // MP_UNREACH_NLRI: flags, type, 2-byte length, AFI, SAFI.
  const size_t room = opts.max_message_length() - kUpdateOverhead - (v4 ? 0 : 4 + 3);
  size_t i = 0;
  while (i < nlri.size()) {
    wire::Update u;
    std::vector<wire::Nlri>* dst = &u.withdrawn;
    if (!v4) {
      u.attrs.mp_unreach = wire::MpUnreach{family, {}, {}};
      dst = &u.attrs.mp_unreach->withdrawn;
    }
    size_t used = 0;
    while (i < nlri.size() && used + wire::NlriSize(nlri[i], add_path) <= room) {
      used += wire::NlriSize(nlri[i], add_path);
      dst->push_back(nlri[i++]);
    }
    out->push_back(std::move(u));
  }
}

// ---- Rib ----

size_t AdjRibIn::size() const {
  size_t n = 0;
  ForEach([&](const Prefix&, const Path&, const AttrSet&) { ++n; });
  return n;
}

Rib::Rib(const RibOptions& options) : options_(options) {
  PeerInfo local;
  local.local = true;
  local.local_as = local.peer_as = options.local_as;
  local.router_id = local.local_router_id = options.router_id;
  AddPeer(local);
}

Rib::~Rib() {
  out_store_.ReleaseAll();
  table_.ForEach([&](const Prefix&, Destination& d) {
    for (const Path& p : d.paths()) pool_.Unref(p.attrs);
  });
  table_.Clear();
  peers_.clear();  // Adj-RIB-Outs release their references while the pool lives
}

PeerId Rib::AddPeer(const PeerInfo& info) {
  for (size_t i = 1; i < peers_.size(); ++i) {
    if (!peers_[i]->in_use) {
      peers_[i]->info = info;
      peers_[i]->in_use = true;
      return static_cast<PeerId>(i);
    }
  }
  const auto id = static_cast<PeerId>(peers_.size());
  auto st = std::make_unique<PeerState>(&pool_, &out_store_, &table_, id);
  st->info = info;
  st->in_use = true;
  peers_.push_back(std::move(st));
  out_store_.Reserve(peers_.size());
  return static_cast<PeerId>(peers_.size() - 1);
}

void Rib::PeerEstablished(PeerId id, bool ipv4, bool ipv6) {
  PeerState& p = *peers_[id];
  p.established = true;
  p.initial_pending = true;
  p.ipv4 = ipv4;
  p.ipv6 = ipv6;
}

void Rib::ResendTable(PeerId id) {
  PeerState& p = *peers_[id];
  if (!p.established) return;
  p.out.Clear();
  p.initial_pending = true;
}

template <typename Pred>
size_t Rib::RemovePaths(PeerId id, std::optional<Family> family, Pred pred) {
  size_t removed = 0;
  auto sweep = [&](const Prefix& prefix, Destination& d) {
    bool changed = false, was_mp = false;
    for (int i = static_cast<int>(d.size()) - 1; i >= 0; --i) {
      const Path& p = d.data()[i];
      if (p.peer != id || !pred(p)) continue;
      was_mp |= p.multipath() || i == d.best_;
      ReleasePath(p);
      d.RemoveAt(i);
      changed = true;
      ++removed;
    }
    if (changed) RunDecision(prefix, d, was_mp);
    if (!d.empty() || (d.flags_ & Destination::kDirty)) return false;
    DropOut(prefix, d);
    return true;
  };
  table_.EraseIf([&](const Prefix& prefix, Destination& d) {
    if (family && prefix.family() != *family) return false;
    return sweep(prefix, d);
  });
  return removed;
}

void Rib::PeerDown(PeerId id) {
  PeerState& p = *peers_[id];
  p.established = false;
  p.initial_pending = false;
  p.out.Clear();
  RemovePaths(id, std::nullopt, [](const Path&) { return true; });
}

void Rib::PeerDownGraceful(PeerId id) {
  PeerState& p = *peers_[id];
  p.established = false;
  p.initial_pending = false;
  p.out.Clear();
  table_.ForEach([&](const Prefix&, Destination& d) {
    for (size_t i = 0; i < d.size(); ++i) {
      if (d.data()[i].peer == id) d.data()[i].flags |= Path::kStale;
    }
  });
}

size_t Rib::SweepStale(PeerId id, Family family) {
  return RemovePaths(id, family, [](const Path& p) { return (p.flags & Path::kStale) != 0; });
}

size_t Rib::stale_count(PeerId id) const {
  size_t n = 0;
  for (Family f : {Family::kIPv4, Family::kIPv6}) {
    ForEachDestination(f, [&](const Prefix&, const Destination& d) {
      for (const Path& p : d.paths()) n += p.peer == id && (p.flags & Path::kStale);
    });
  }
  return n;
}

void Rib::RemovePeer(PeerId id) {
  if (id == kLocalPeer) return;
  PeerDown(id);
  peers_[id]->in_use = false;
}

void Rib::ReleasePath(const Path& p) {
  pool_.Unref(p.attrs);
  --path_count_;
}

const AttrSet* Rib::ImportOne(const Prefix& prefix, const PeerInfo& from,
                              const AttrSet* received, bool usable, uint8_t* flags) {
  *flags = usable ? 0 : Path::kIneligible;
  if (usable && import_policy_) {
    PolicyResult r = import_policy_(prefix, from, *received);
    if (!r.accept) {
      *flags = Path::kIneligible | Path::kRejected;
    } else if (r.attrs && r.attrs.get() != received) {
      // The result remembers the received set, so one pointer per path serves both RIBs.
      const AttrSet* set = r.attrs.get();
      if (set->fields().parent != received) {
        AttrFields f = set->fields();
        f.parent = received;
        r.attrs = pool_.Intern(f);
      }
      return r.attrs.release();
    }
  }
  AttrPool::AddRef(received);
  return received;
}

void Rib::Upsert(const Prefix& prefix, Destination& d, PeerId peer, uint32_t path_id,
                 const AttrSet* received, bool usable) {
  uint8_t flags;
  const AttrSet* eff = ImportOne(prefix, peers_[peer]->info, received, usable, &flags);
  const int i = d.Find(peer, path_id);
  if (i >= 0) {
    Path& p = d.data()[i];
    if (p.attrs == eff && (p.flags & ~Path::kMultipath) == flags) {
      pool_.Unref(eff);  // an implicit withdraw of the same route: nothing changes
      return;
    }
    const bool was_exported = p.multipath() || i == d.best_;
    pool_.Unref(p.attrs);
    p.attrs = eff;
    p.seq = ++seq_;
    p.flags = flags;
    RunDecision(prefix, d, was_exported);
    return;
  } else {
    Path p;
    p.attrs = eff;
    p.path_id = path_id;
    p.seq = ++seq_;
    p.peer = peer;
    p.flags = flags;
    d.Append(p);
    ++path_count_;
    if (AddedWithoutChange(d)) return;
  }
  RunDecision(prefix, d);
}

// A new path that loses to the current best leaves the best where it is (with deterministic
// MED too: it cannot change the winner of the best's group, and it loses to the best), so
// only the reason may move to a later step. This is the common case when a table loads.
bool Rib::AddedWithoutChange(Destination& d) {
  const Path& added = d.data()[d.size() - 1];
  if (!added.eligible()) return true;  // not a candidate
  const Path* best = d.best();
  if (best == nullptr || options_.decision.multipath || resolver_) return false;
  Candidate b{best->attrs, &peers_[best->peer]->info, best->path_id, best->seq};
  Candidate n{added.attrs, &peers_[added.peer]->info, added.path_id, added.seq};
  const Comparison c = Compare(b, n, options_.decision);
  if (c.cmp <= 0) return false;
  if (StepRank(c.reason) > StepRank(d.reason_)) d.reason_ = c.reason;
  return true;
}

void Rib::Announce(PeerId peer, absl::Span<const wire::Nlri> nlri, const AttrSet* attrs) {
  // The import checks depend on the set and the peer only: once per call, not per prefix.
  const bool usable = CheckImport(*attrs, peers_[peer]->info) == ImportVerdict::kUsable;
  for (const wire::Nlri& n : nlri) {
    Upsert(n.prefix, table_[n.prefix], peer, n.path_id, attrs, usable);
  }
}

void Rib::Withdraw(PeerId peer, absl::Span<const wire::Nlri> nlri) {
  for (const wire::Nlri& n : nlri) {
    Destination* d = table_.Find(n.prefix);
    if (!d) continue;
    const int i = d->Find(peer, n.path_id);
    if (i < 0) continue;
    const bool was_exported = d->data()[i].multipath() || i == d->best_;
    ReleasePath(d->data()[i]);
    d->RemoveAt(i);
    RunDecision(n.prefix, *d, was_exported);
    // An empty destination stays until the flush has withdrawn it from the peers.
    if (d->empty() && !(d->flags_ & Destination::kDirty)) {
      DropOut(n.prefix, *d);
      table_.Erase(n.prefix);
    }
  }
}

void Rib::ApplyUpdate(PeerId peer, const wire::Update& u) {
  const bool withdraw_all = u.report.action == wire::ErrorAction::kTreatAsWithdraw;
  Withdraw(peer, u.withdrawn);
  if (u.attrs.mp_unreach) Withdraw(peer, u.attrs.mp_unreach->withdrawn);
  if (!u.nlri.empty()) {
    if (withdraw_all) {
      Withdraw(peer, u.nlri);  // RFC 7606 §2
    } else {
      AttrRef a = pool_.Intern(u.attrs, wire::kIPv4Unicast);
      Announce(peer, u.nlri, a.get());
    }
  }
  if (u.attrs.mp_reach && !u.attrs.mp_reach->nlri.empty()) {
    const wire::AfiSafi f = u.attrs.mp_reach->family;
    if (f != wire::kIPv4Unicast && f != wire::kIPv6Unicast) return;
    if (withdraw_all) {
      Withdraw(peer, u.attrs.mp_reach->nlri);
    } else {
      AttrRef a = pool_.Intern(u.attrs, f);
      Announce(peer, u.attrs.mp_reach->nlri, a.get());
    }
  }
}

void Rib::RunDecision(const Prefix& prefix, Destination& d, bool force_dirty) {
  const Path* old_best = d.best();
  const PeerId old_peer = old_best ? old_best->peer : 0;
  const uint32_t old_id = old_best ? old_best->path_id : 0;
  const AttrSet* old_attrs = old_best ? old_best->attrs : nullptr;
  const DecisionOptions& o = options_.decision;
  const size_t n = d.size();
  Path* paths = d.data();

  // Candidates: the eligible paths.
  absl::InlinedVector<Candidate, 16> c;
  absl::InlinedVector<uint8_t, 16> index;
  for (size_t i = 0; i < n; ++i) {
    if (!paths[i].eligible()) continue;
    Candidate k;
    k.attrs = paths[i].attrs;
    k.peer = &peers_[paths[i].peer]->info;
    k.path_id = paths[i].path_id;
    k.seq = paths[i].seq;
    if (resolver_ && k.attrs->has_next_hop()) {
      k.reachable = resolver_(k.attrs->next_hop(), &k.igp_cost);
    }
    c.push_back(k);
    index.push_back(static_cast<uint8_t>(i));
  }
  absl::InlinedVector<bool, 16> mp(o.multipath ? c.size() : 0);
  const Decision dec = Decide(c, o, absl::MakeSpan(mp));
  // The ECMP set changed when a path's membership flipped (callers report removed members).
  bool mp_changed = false;
  for (size_t i = 0; i < n; ++i) {
    bool now = false;
    for (size_t k = 0; k < mp.size(); ++k) now |= (mp[k] && index[k] == i);
    mp_changed |= now != paths[i].multipath();
    paths[i].flags = static_cast<uint8_t>(now ? (paths[i].flags | Path::kMultipath)
                                              : (paths[i].flags & ~Path::kMultipath));
  }
  d.best_ = dec.best < 0 ? Destination::kNoBest : index[dec.best];
  d.reason_ = dec.reason;
  const Path* nb = d.best();
  const bool changed = (nb == nullptr) != (old_best == nullptr) ||
                       (nb && (nb->peer != old_peer || nb->path_id != old_id ||
                               nb->attrs != old_attrs));
  if (changed || mp_changed || force_dirty) MarkDirty(prefix, d);
}

void Rib::MarkDirty(const Prefix& prefix, Destination& d) {
  if (d.flags_ & Destination::kDirty) return;
  d.flags_ |= Destination::kDirty;
  dirty_.push_back(prefix);
}

void Rib::ReapplyImportPolicy() {
  table_.ForEach([&](const Prefix& prefix, Destination& d) {
    bool changed = false, exported = false;
    for (size_t i = 0; i < d.size(); ++i) {
      Path& p = d.data()[i];
      const AttrSet* received = p.attrs->pre_policy();
      const PeerInfo& from = peers_[p.peer]->info;
      const bool usable = CheckImport(*received, from) == ImportVerdict::kUsable;
      uint8_t flags;
      const AttrSet* eff = ImportOne(prefix, from, received, usable, &flags);
      if (eff == p.attrs && (p.flags & ~Path::kMultipath) == flags) {
        pool_.Unref(eff);
        continue;
      }
      exported |= p.multipath() || static_cast<int>(i) == d.best_;
      pool_.Unref(p.attrs);
      p.attrs = eff;
      p.flags = flags;
      changed = true;
    }
    if (changed) RunDecision(prefix, d, exported);
  });
}

void Rib::Recompute() {
  table_.ForEach([&](const Prefix& prefix, Destination& d) { RunDecision(prefix, d); });
}

void Rib::ReapplyExportPolicy() {
  table_.ForEach([&](const Prefix& prefix, Destination& d) { MarkDirty(prefix, d); });
}

// ---- Flush ----

struct Rib::Batch {
  // Announcements grouped by the set sent, in first-seen order.
  absl::flat_hash_map<const AttrSet*, size_t> group_index;
  std::vector<std::pair<const AttrSet*, std::vector<wire::Nlri>>> groups[2];  // v4, v6
  std::vector<wire::Nlri> withdrawn[2];
  // (set, from) -> the exported set; null when it may not be advertised.
  absl::flat_hash_map<std::pair<const AttrSet*, PeerId>, AttrRef> memo;
};

const AttrSet* Rib::ExportPath(const PeerState& ps, const Prefix& prefix, const Path& path,
                               Batch* batch, AttrRef* policy_result) {
  // Copies: Path is packed (4-byte aligned), so no reference may bind to its pointer field.
  const AttrSet* const path_attrs = path.attrs;
  const PeerId path_peer = path.peer;
  auto [it, added] = batch->memo.try_emplace(std::make_pair(path_attrs, path_peer));
  if (added) {
    const PeerInfo& from = peers_[path.peer]->info;
    if (MayAdvertise(*path.attrs, from, ps.info)) {
      it->second = ExportAttrs(&pool_, *path.attrs, from, ps.info, prefix.family());
    }
  }
  const AttrSet* out = it->second.get();
  if (out && export_policy_) {
    PolicyResult r = export_policy_(prefix, ps.info, peers_[path.peer]->info, *out, *path.attrs);
    if (!r.accept) {
      out = nullptr;
    } else if (r.attrs) {
      *policy_result = std::move(r.attrs);
      out = policy_result->get();
    }
  }
  return out;
}

void Rib::AddAnnouncement(Batch* batch, int fam, const AttrSet* out, const wire::Nlri& nlri) {
  auto [git, gadded] = batch->group_index.try_emplace(out, batch->groups[fam].size());
  if (gadded) batch->groups[fam].emplace_back(out, std::vector<wire::Nlri>{});
  batch->groups[fam][git->second].second.push_back(nlri);
}

void Rib::DropOut(const Prefix& prefix, Destination& d) {
  if (d.out_ == OutStore::kNone) return;
  const int fam = AdjRibOut::Index(prefix.family());
  out_store_.ForEachPeer(d.out_, [&](PeerId id) { --peers_[id]->out.counts_[fam]; });
  out_store_.Drop(&d.out_);
}

void Rib::ExportOne(PeerId to, const Prefix& prefix, Destination* d, Batch* batch) {
  PeerState& ps = *peers_[to];
  const int fam = prefix.family() == Family::kIPv4 ? 0 : 1;
  if ((fam == 0 && !ps.ipv4) || (fam == 1 && !ps.ipv6)) return;
  if (ps.info.add_path_send(prefix.family())) {
    ExportPaths(ps, fam, prefix, d, batch);
    return;
  }
  const Path* best = d ? d->best() : nullptr;
  AttrRef policy_result;
  const AttrSet* out = best ? ExportPath(ps, prefix, *best, batch, &policy_result) : nullptr;
  const wire::Nlri nlri{prefix, 0};
  if (out) {
    if (!ps.out.Set(prefix, *d, out)) return;  // sent already: an equal best sends nothing
    AddAnnouncement(batch, fam, out, nlri);
  } else if (d != nullptr && ps.out.Erase(prefix, *d)) {
    batch->withdrawn[fam].push_back(nlri);
  }
}

void Rib::ExportPaths(PeerState& ps, int fam, const Prefix& prefix, const Destination* d,
                      Batch* batch) {
  absl::InlinedVector<SentPath, 4> want;
  absl::InlinedVector<AttrRef, 4> policy_results;  // alive until the Adj-RIB-Out holds them
  if (d && options_.decision.multipath) {
    // The ECMP set (the best is in it), each path through the RFC rules and export policy
    // on its own: a path from the peer itself, or one its policy rejects, is left out.
    for (const Path& p : d->paths()) {
      if (!p.multipath()) continue;
      AttrRef policy_result;
      const AttrSet* out = ExportPath(ps, prefix, p, batch, &policy_result);
      if (out == nullptr) continue;
      if (policy_result) policy_results.push_back(std::move(policy_result));
      uint32_t id = SendPathId(p);  // made distinct from the ids before it if need be
      auto taken = [&](uint32_t x) {
        return x == 0 || std::any_of(want.begin(), want.end(),
                                     [x](const SentPath& s) { return s.path_id == x; });
      };
      while (taken(id)) id += 0x9e3779b1u;  // odd: visits every id before repeating
      want.push_back(SentPath{out, id});
    }
    std::sort(want.begin(), want.end(),
              [](const SentPath& a, const SentPath& b) { return a.path_id < b.path_id; });
  } else if (const Path* best = d ? d->best() : nullptr) {
    // Without multipath an ADD-PATH peer gets the best path only, with path id 0, as a peer
    // without ADD-PATH does.
    AttrRef policy_result;
    if (const AttrSet* out = ExportPath(ps, prefix, *best, batch, &policy_result)) {
      if (policy_result) policy_results.push_back(std::move(policy_result));
      want.push_back(SentPath{out, 0});
    }
  }
  ps.out.SetPaths(
      prefix, want,
      [&](uint32_t id, const AttrSet* out) {
        AddAnnouncement(batch, fam, out, wire::Nlri{prefix, id});
      },
      [&](uint32_t id) {
        batch->withdrawn[fam].push_back(wire::Nlri{prefix, id});
      });
}

size_t Rib::NextFlushChunk() const {
  const size_t pending = dirty_.size() - dirty_head_;
  if (flush_budget_ == 0 || pending == 0) return pending;
  size_t peers = 0;
  for (size_t id = 1; id < peers_.size(); ++id) {
    peers += peers_[id]->in_use && peers_[id]->established;
  }
  return std::min(pending, std::max<size_t>(1, flush_budget_ / std::max<size_t>(1, peers)));
}

std::vector<PeerUpdates> Rib::Flush() {
  std::vector<PeerUpdates> result;
  std::vector<Prefix> dirty;
  const size_t take = NextFlushChunk();
  if (dirty_head_ == 0 && take == dirty_.size()) {
    dirty = std::move(dirty_);
    dirty_.clear();
  } else {
    dirty.assign(dirty_.begin() + static_cast<std::ptrdiff_t>(dirty_head_),
                 dirty_.begin() + static_cast<std::ptrdiff_t>(dirty_head_ + take));
    dirty_head_ += take;
    if (dirty_head_ == dirty_.size()) {
      dirty_.clear();
      dirty_.shrink_to_fit();
      dirty_head_ = 0;
    }
  }
  std::vector<std::pair<PeerId, std::unique_ptr<Batch>>> batches;
  for (size_t id = 1; id < peers_.size(); ++id) {
    if (peers_[id]->in_use && peers_[id]->established) {
      batches.emplace_back(static_cast<PeerId>(id), std::make_unique<Batch>());
    }
  }
  // Changed destinations, each looked up once for all peers.
  for (const Prefix& prefix : dirty) {
    Destination* d = table_.Find(prefix);
    if (!d) continue;
    d->flags_ &= ~Destination::kDirty;
    for (auto& [id, batch] : batches) {
      if (!peers_[id]->initial_pending) ExportOne(id, prefix, d, batch.get());
    }
    if (d->empty()) {
      DropOut(prefix, *d);
      table_.Erase(prefix);
    }
  }
  // Peers that just came up get the whole table.
  for (auto& [id, batch] : batches) {
    if (!peers_[id]->initial_pending) continue;
    const PeerId to = id;
    Batch* b = batch.get();
    table_.ForEach([&](const Prefix& prefix, Destination& d) { ExportOne(to, prefix, &d, b); });
  }
  for (auto& [id, batch] : batches) {
    PeerState& ps = *peers_[id];
    wire::CodecOptions opts;
    opts.four_octet_as = true;
    opts.extended_message = ps.info.extended_message;
    opts.add_path_ipv4 = ps.info.add_path_send_ipv4;
    opts.add_path_ipv6 = ps.info.add_path_send_ipv6;
    PeerUpdates pu;
    pu.peer = id;
    const wire::AfiSafi fams[2] = {wire::kIPv4Unicast, wire::kIPv6Unicast};
    for (int f = 0; f < 2; ++f) {
      PackWithdrawals(fams[f], batch->withdrawn[f], opts, &pu.updates);
      for (const auto& [set, nlri] : batch->groups[f]) {
        PackAnnouncements(*set, fams[f], nlri, opts, &pu.updates);
      }
    }
    if (ps.initial_pending) {
      // RFC 4724 §2: End-of-RIB after the initial table.
      if (ps.ipv4) pu.updates.push_back(wire::MakeEndOfRib(wire::kIPv4Unicast));
      if (ps.ipv6) pu.updates.push_back(wire::MakeEndOfRib(wire::kIPv6Unicast));
      ps.initial_pending = false;
    }
    batch.reset();  // the packed UPDATEs hold copies: free this peer's batch before the next
    if (!pu.updates.empty()) result.push_back(std::move(pu));
  }
  return result;
}

}  // namespace kbgp::rib
