// The RIBs: Adj-RIB-In per peer, Loc-RIB per family, Adj-RIB-Out per peer, and update
// generation.
//
// What this module owns and its invariants:
//  - One ordered table per family (IPv4 and IPv6 unicast) maps a prefix to its Destination.
//    A prefix is stored once; the Destination holds every path received for it, from every
//    peer (ADD-PATH paths apart by path id). So the Adj-RIB-In of a peer is the set of paths
//    tagged with its PeerId (AdjRibIn is a view), and the Loc-RIB is the best (and ECMP)
//    paths of the same destinations. A path is 20 bytes: {AttrSet*, path id, arrival seq,
//    peer, flags}; a destination with one path stores it inline (no allocation).
//  - Path::attrs is the post-import-policy set; attrs->pre_policy() is what the peer sent, so
//    soft reconfiguration inbound needs no ROUTE-REFRESH (ReapplyImportPolicy).
//  - The decision runs when a destination changes; the destination keeps the best index and
//    the reason. A destination whose best or ECMP set changed is queued once on a dirty list.
//  - Flush() turns the dirty list into UPDATEs per established peer: the best path goes
//    through the RFC rules (transform.h) and export policy, is compared with the peer's
//    Adj-RIB-Out (what was last sent: an equal result sends nothing), and changed prefixes are
//    grouped by AttrSet* and packed into as few UPDATEs as fit the message size. A peer that
//    just came up gets its whole table, then End-of-RIB.
//  - Towards a peer with ADD-PATH send (RFC 7911) for the family and multipath on, every
//    path of the ECMP set goes, each through the same rules and policy and with a path id
//    derived from its source (ExportPaths), and a path leaving the set withdraws its id.
//    Without ADD-PATH or without multipath, the best path only, with path id 0.
//  - What was sent to the peers without ADD-PATH send is kept once per destination for all
//    of them (OutStore: the set most were sent, a peer bitset, exceptions), so a route
//    server's clients that get the same table cost a few bytes per prefix, not a per-peer
//    table entry each; AdjRibOut is each peer's view of it.
//  - Single-threaded: the core thread owns the Rib.
#ifndef KBGP_DAEMON_RIB_RIB_H_
#define KBGP_DAEMON_RIB_RIB_H_

#include <compare>
#include <cstdint>
#include <functional>
#include <iterator>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include "absl/container/btree_map.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/inlined_vector.h"
#include "absl/functional/function_ref.h"
#include "absl/types/span.h"
#include "daemon/common/ip.h"
#include "daemon/rib/attr_set.h"
#include "daemon/rib/decision.h"
#include "daemon/rib/peer_info.h"
#include "daemon/wire/message.h"

namespace kbgp::rib {

// ---- Keys: compact, ordered (address, then length), so longer-prefix listings are ranges.

struct V4Key {
  uint64_t v = 0;  // address << 8 | length
  friend auto operator<=>(const V4Key&, const V4Key&) = default;
};
struct V6Key {
  uint64_t hi = 0, lo = 0;
  uint8_t len = 0;
  friend auto operator<=>(const V6Key&, const V6Key&) = default;
};
V4Key MakeV4Key(const Prefix& p);
V6Key MakeV6Key(const Prefix& p);
Prefix PrefixOf(V4Key k);
Prefix PrefixOf(const V6Key& k);

// absl::btree_map with larger nodes: a full table is ~10^5-10^6 keys, and 256-byte nodes of
// 40-byte slots make a tree deep enough that the lookup's cache misses dominate loading.
// Uses Abseil's container_internal parameters (stable across 2022-2024 releases); if they
// change, absl::btree_map<K, V> is the drop-in fallback.
template <typename K, typename V, int kNodeBytes>
class WideBtreeMap
    : public absl::container_internal::btree_map_container<
          absl::container_internal::btree<absl::container_internal::map_params<
              K, V, std::less<K>, std::allocator<std::pair<const K, V>>, kNodeBytes, false>>> {
  using Base = typename WideBtreeMap::btree_map_container;

 public:
  WideBtreeMap() = default;
};
inline constexpr int kTableNodeBytes = 1024;

// A map from prefix to V with one btree per family.
template <typename V>
class PrefixMap {
 public:
  V* Find(const Prefix& p) {
    if (p.family() == Family::kIPv4) {
      auto it = v4_.find(MakeV4Key(p));
      return it == v4_.end() ? nullptr : &it->second;
    }
    auto it = v6_.find(MakeV6Key(p));
    return it == v6_.end() ? nullptr : &it->second;
  }
  const V* Find(const Prefix& p) const { return const_cast<PrefixMap*>(this)->Find(p); }
  // Returns the value (default-constructed when new).
  V& operator[](const Prefix& p) {
    return p.family() == Family::kIPv4 ? v4_[MakeV4Key(p)] : v6_[MakeV6Key(p)];
  }
  bool Erase(const Prefix& p) {
    return p.family() == Family::kIPv4 ? v4_.erase(MakeV4Key(p)) > 0
                                       : v6_.erase(MakeV6Key(p)) > 0;
  }
  size_t size() const { return v4_.size() + v6_.size(); }
  size_t size(Family f) const { return f == Family::kIPv4 ? v4_.size() : v6_.size(); }
  // fn(const Prefix&, V&) in order, IPv4 first.
  template <typename F>
  void ForEach(F&& fn) {
    for (auto& [k, v] : v4_) fn(PrefixOf(k), v);
    for (auto& [k, v] : v6_) fn(PrefixOf(k), v);
  }
  template <typename F>
  void ForEach(Family f, F&& fn) {
    if (f == Family::kIPv4) {
      for (auto& [k, v] : v4_) fn(PrefixOf(k), v);
    } else {
      for (auto& [k, v] : v6_) fn(PrefixOf(k), v);
    }
  }
  // fn(const Prefix&, V&) -> bool (false stops) in order over one family, starting after
  // `after` (from the first entry when it is null or of the other family). Returns false
  // when fn stopped early, true when the end was reached. Used to list big tables in chunks.
  template <typename F>
  bool ForEachAfter(Family f, const Prefix* after, F&& fn) {
    if (f == Family::kIPv4) {
      auto it = (after && after->family() == f) ? v4_.upper_bound(MakeV4Key(*after)) : v4_.begin();
      for (; it != v4_.end(); ++it) {
        if (!fn(PrefixOf(it->first), it->second)) return false;
      }
    } else {
      auto it = (after && after->family() == f) ? v6_.upper_bound(MakeV6Key(*after)) : v6_.begin();
      for (; it != v6_.end(); ++it) {
        if (!fn(PrefixOf(it->first), it->second)) return false;
      }
    }
    return true;
  }
  // The same from the first entry whose address is >= `start` (any length).
  template <typename F>
  bool ForEachFromAddress(const IpAddress& start, F&& fn) {
    if (start.is_v4()) {
      V4Key k = MakeV4Key(Prefix::Make(start, 32));
      k.v &= ~uint64_t{0xff};
      for (auto it = v4_.lower_bound(k); it != v4_.end(); ++it) {
        if (!fn(PrefixOf(it->first), it->second)) return false;
      }
    } else {
      V6Key k = MakeV6Key(Prefix::Make(start, 128));
      k.len = 0;
      for (auto it = v6_.lower_bound(k); it != v6_.end(); ++it) {
        if (!fn(PrefixOf(it->first), it->second)) return false;
      }
    }
    return true;
  }
  // Removes every entry for which pred(const Prefix&, V&) is true.
  template <typename F>
  void EraseIf(F&& pred) {
    EraseIfIn(v4_, pred);
    EraseIfIn(v6_, pred);
  }
  void Clear() {
    v4_.clear();
    v6_.clear();
  }

 private:
  template <typename M, typename F>
  static void EraseIfIn(M& m, F& pred) {
    for (auto it = m.begin(); it != m.end();) {
      it = pred(PrefixOf(it->first), it->second) ? m.erase(it) : std::next(it);
    }
  }
  WideBtreeMap<V4Key, V, kTableNodeBytes> v4_;
  WideBtreeMap<V6Key, V, kTableNodeBytes> v6_;
};

// ---- Paths and destinations ----

// Packed to 4-byte alignment: 20 bytes instead of 24 saves ~5 bytes per path in the arrays
// of multi-path destinations (x86-64 and AArch64 load unaligned pointers at full speed).
#pragma pack(push, 4)
struct Path {
  enum Flag : uint8_t {
    kIneligible = 1,  // loop or import policy reject: kept in Adj-RIB-In, never best
    kMultipath = 2,   // in the ECMP set
    kRejected = 4,    // import policy rejected (kIneligible is set too)
    kStale = 8,       // RFC 4724: kept while the peer restarts; a new announcement clears it
  };
  const AttrSet* attrs = nullptr;  // post-policy; one reference held
  uint32_t path_id = 0;
  uint32_t seq = 0;  // arrival order
  PeerId peer = 0;
  uint8_t flags = 0;
  uint8_t reserved = 0;

  bool eligible() const { return !(flags & kIneligible); }
  bool multipath() const { return (flags & kMultipath) != 0; }
};
#pragma pack(pop)
static_assert(sizeof(Path) == 20, "the per-path record is the memory budget");

// The path identifier a path of the ECMP set is sent with towards an ADD-PATH peer (RFC 7911
// §3: it only has to tell the paths of one prefix apart on one session). It is derived from
// where the path came from, the source peer and the path id that peer gave it, so no
// allocator or table of ids is needed and a path keeps its id for as long as it stays in the
// set (and gets the same one back when it returns): received id << 16 | (source peer + 1).
// That is distinct for every path while the received ids are below 2^16 (a peer without
// ADD-PATH sends 0) and never 0, the id of the best path in best-only mode. A collision (a
// received id of 2^16 or more) is resolved when exporting by stepping on from the derived id
// in the destination's path order, so the ids sent for one prefix are always distinct.
inline uint32_t SendPathId(const Path& p) {
  return (p.path_id << 16) + static_cast<uint32_t>(p.peer) + 1;
}

// Packed to 4-byte alignment like Path: the inline path's union then takes 20 bytes, not 24,
// and the Adj-RIB-Out slot index fits in the 32 bytes a destination took before it.
#pragma pack(push, 4)
class Destination {
 public:
  static constexpr uint8_t kNoBest = 0xff;
  Destination() {}
  Destination(Destination&& o) noexcept;
  Destination& operator=(Destination&& o) noexcept;
  Destination(const Destination&) = delete;
  Destination& operator=(const Destination&) = delete;
  ~Destination();

  absl::Span<const Path> paths() const { return {data(), size_}; }
  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  const Path* best() const { return best_ == kNoBest ? nullptr : &data()[best_]; }
  BestPathReason reason() const { return reason_; }

 private:
  friend class Rib;
  friend class AdjRibOut;
  enum Flag : uint8_t { kDirty = 1 };
  Path* data() { return cap_ == 0 ? &one_ : many_; }
  const Path* data() const { return cap_ == 0 ? &one_ : many_; }
  int Find(PeerId peer, uint32_t path_id) const;
  void Append(const Path& p);
  void RemoveAt(int i);

  union {
    Path one_;
    Path* many_;
  };
  uint16_t size_ = 0;
  uint16_t cap_ = 0;  // 0: the single path is inline
  uint8_t best_ = kNoBest;
  BestPathReason reason_ = BestPathReason::kUnknown;
  uint8_t flags_ = 0;
  // What was sent for this prefix to the peers without ADD-PATH send: a slot of the Rib's
  // OutStore (OutStore::kNone: sent to none). Fits in what was padding.
  uint32_t out_ = 0xffffffff;
};
#pragma pack(pop)
static_assert(sizeof(Destination) == 32, "a destination per prefix is the memory budget");

// ---- Policy hooks (the policy module plugs in here) ----

struct PolicyResult {
  bool accept = true;
  AttrRef attrs;  // null: unchanged
};
// Import: the received set for `prefix` from `from`. Export: the set after the RFC rules,
// for `prefix` towards `to`; `best` is the Loc-RIB set it was made from (GoBGP's policy
// reads the next hop from before the export rules: next-hop-in-list, set-next-hop unchanged).
using ImportPolicy =
    std::function<PolicyResult(const Prefix& prefix, const PeerInfo& from, const AttrSet& in)>;
using ExportPolicy =
    std::function<PolicyResult(const Prefix& prefix, const PeerInfo& to, const PeerInfo& from,
                               const AttrSet& out, const AttrSet& best)>;
// Next-hop tracking and IGP cost (decision steps 1 and 8). Unset: all reachable, cost 0.
using NextHopResolver = std::function<bool(const IpAddress& next_hop, uint32_t* igp_cost)>;

// ---- Adj-RIB-Out ----

// One path sent towards an ADD-PATH peer: its path identifier and the set sent with it.
struct SentPath {
  const AttrSet* attrs = nullptr;  // one reference held
  uint32_t path_id = 0;
};
// The paths sent for one prefix, ordered by path id; one inline (the common single path).
using SentPaths = absl::InlinedVector<SentPath, 1>;

// What was last sent for each destination to the peers without ADD-PATH send, shared by
// all of them: a route server sends most prefixes with one set to every client, so one slot
// per destination holds {the set sent to most peers, a bitset of the peers it was sent to}
// and, only where some peers were sent another set, a sorted list of those (peer, set)
// exceptions in a side map. Bit 0 of the bitset (PeerId 0 is kLocalPeer, never exported to)
// marks a slot with exceptions. A slot is 8 + 8 * ceil(peers / 64) bytes (16 up to 63
// peers), against 16 bytes and btree slack per peer and prefix for per-peer tables. Every
// peer that holds a set holds one reference to it, as a per-peer table would.
// A destination keeps its slot's index (Destination::out_); a slot with no peer left is
// freed and reused.
class OutStore {
 public:
  static constexpr uint32_t kNone = 0xffffffff;
  explicit OutStore(AttrPool* pool) : pool_(pool) {}
  ~OutStore() { ReleaseAll(); }
  OutStore(const OutStore&) = delete;
  OutStore& operator=(const OutStore&) = delete;

  // Makes room for the peer ids below `peers` (widens every slot's bitset when needed).
  void Reserve(size_t peers);
  // The set sent to `peer` in `slot` (kNone: none); null if none.
  const AttrSet* Get(uint32_t slot, PeerId peer) const;
  // Records `attrs` as sent to `peer`, allocating the slot if `*slot` is kNone; false when
  // it was already (nothing to send).
  bool Set(uint32_t* slot, PeerId peer, const AttrSet* attrs);
  // Forgets what was sent to `peer`; false when nothing was. An emptied slot is freed
  // (`*slot` becomes kNone).
  bool Erase(uint32_t* slot, PeerId peer);
  // fn(PeerId) for every peer that holds a set in `slot`.
  template <typename F>
  void ForEachPeer(uint32_t slot, F&& fn) const {
    if (slot == kNone) return;
    const uint64_t* s = At(slot);
    for (size_t w = 0; w < words_; ++w) {
      uint64_t bits = s[1 + w] & (w == 0 ? ~uint64_t{1} : ~uint64_t{0});
      while (bits) {
        fn(static_cast<PeerId>(w * 64 + static_cast<size_t>(__builtin_ctzll(bits))));
        bits &= bits - 1;
      }
    }
    if (s[1] & 1) {
      for (const Exception& e : exceptions_.at(slot)) fn(e.peer);
    }
  }
  // Releases every set held in `*slot` and frees it.
  void Drop(uint32_t* slot);
  // Releases everything (the owner is going away).
  void ReleaseAll();
  size_t slots_in_use() const { return next_ - free_.size(); }
  // How many peers of `slot` hold a set other than the common one (for tests).
  size_t exception_count(uint32_t slot) const {
    auto it = exceptions_.find(slot);
    return it == exceptions_.end() ? 0 : it->second.size();
  }

 private:
  static constexpr int kChunkBits = 12;  // 4,096 slots per chunk: no big reallocation
  static constexpr uint32_t kChunkSlots = 1u << kChunkBits;
  struct Exception {
    PeerId peer;
    const AttrSet* attrs;  // one reference held
  };
  // Word 0: the common set; words 1..words_: the bitset of the peers it was sent to.
  uint64_t* At(uint32_t slot) const {
    return chunks_[slot >> kChunkBits].get() + (slot & (kChunkSlots - 1)) * stride_;
  }
  static const AttrSet* Common(const uint64_t* s) {
    return reinterpret_cast<const AttrSet*>(static_cast<uintptr_t>(s[0]));
  }
  static void SetCommon(uint64_t* s, const AttrSet* a) {
    s[0] = static_cast<uint64_t>(reinterpret_cast<uintptr_t>(a));
  }
  // Bit 0 of word 1 flags "has exceptions": kLocalPeer (0), never exported to, has no bit.
  bool Bit(const uint64_t* s, PeerId peer) const {
    return peer != 0 && peer < words_ * 64 && ((s[1 + peer / 64] >> (peer % 64)) & 1) != 0;
  }
  // How many peers hold the common set (the bits but bit 0).
  size_t CommonHolders(const uint64_t* s) const;
  // Makes `attrs`, the set of some exceptions, the common set: its holders move into the
  // bitset and the old common set's holders become exceptions. References stay with holders.
  void MakeCommon(uint32_t slot, const AttrSet* attrs);
  bool AnyPeer(const uint64_t* s) const;  // any bit but bit 0
  uint32_t Alloc();
  void Free(uint32_t slot);
  // Takes `peer` out of the slot (its reference is the caller's to release); when no peer
  // bit is left but exceptions are, the set most of them have becomes the common one.
  void Remove(uint32_t slot, PeerId peer);

  AttrPool* pool_;
  size_t words_ = 1;   // bitset words per slot
  size_t stride_ = 2;  // words per slot
  std::vector<std::unique_ptr<uint64_t[]>> chunks_;
  uint32_t next_ = 0;  // slots handed out (free ones included)
  std::vector<uint32_t> free_;
  absl::flat_hash_map<uint32_t, std::vector<Exception>> exceptions_;  // sorted by peer
};

// What was last sent to one peer.
//  - A family without ADD-PATH send: the peer's entries of the shared OutStore, found
//    through the Loc-RIB's destinations (so the listings below walk the Loc-RIB in prefix
//    order and pick the peer's entries; a count per family keeps size() exact).
//  - A family with ADD-PATH send: prefix -> the paths sent by path id, in a map of its own
//    that is made only for such a peer.
// Which one holds a family follows the session's ADD-PATH send capability, which changes
// only with a new session, when the Adj-RIB-Out starts empty; so a family's prefixes are all
// in one place and the listings below see them in prefix order.
// Listings are per prefix; size() counts paths (what gobgpd counts as advertised).
class AdjRibOut {
 public:
  AdjRibOut(AttrPool* pool, OutStore* shared, PrefixMap<Destination>* table, PeerId id)
      : pool_(pool), shared_(shared), table_(table), id_(id) {}
  ~AdjRibOut() { ClearMulti(); }  // the shared entries go with the OutStore
  AdjRibOut(const AdjRibOut&) = delete;
  AdjRibOut& operator=(const AdjRibOut&) = delete;

  // The set sent for `p` (the lowest path id's towards an ADD-PATH peer); null if none.
  const AttrSet* Find(const Prefix& p) const;
  // Every path sent for `p` (path id 0 without ADD-PATH), ordered by path id.
  SentPaths FindAll(const Prefix& p) const;
  // Records `attrs` as sent for `p` (whose destination is `d`); false when it was already
  // (nothing to send).
  bool Set(const Prefix& p, Destination& d, const AttrSet* attrs);
  // Forgets the prefix; false when it was not there (nothing to withdraw).
  bool Erase(const Prefix& p, Destination& d);
  // ADD-PATH: makes `paths` (ordered by path id, ids distinct) what is sent for `p`, calling
  // announce(path_id, attrs) for each path that is new or has a new set and withdraw(path_id)
  // for each one that went. An empty `paths` forgets the prefix.
  void SetPaths(const Prefix& p, absl::Span<const SentPath> paths,
                absl::FunctionRef<void(uint32_t, const AttrSet*)> announce,
                absl::FunctionRef<void(uint32_t)> withdraw);
  // Forgets everything sent to this peer (walks the Loc-RIB if it holds shared entries).
  void Clear();
  size_t size() const { return size(Family::kIPv4) + size(Family::kIPv6); }
  size_t size(Family f) const { return counts_[Index(f)] + multi_paths_[Index(f)]; }
  // fn(const Prefix&, const AttrSet*) -> bool, once per prefix with Find's set; see
  // PrefixMap::ForEachAfter.
  template <typename F>
  bool ForEachAfter(Family f, const Prefix* after, F&& fn) const {
    return (counts_[Index(f)] == 0 ||
            table_->ForEachAfter(f, after, [&](const Prefix& p, Destination& d) {
              const AttrSet* a = shared_->Get(d.out_, id_);
              return a == nullptr || fn(p, a);
            })) &&
           (!multi_ || multi_->ForEachAfter(f, after, [&](const Prefix& p, SentPaths& s) {
             return fn(p, static_cast<const AttrSet*>(s.front().attrs));
           }));
  }
  template <typename F>
  bool ForEachFromAddress(const IpAddress& start, F&& fn) const {
    const Family f = start.is_v4() ? Family::kIPv4 : Family::kIPv6;
    return (counts_[Index(f)] == 0 ||
            table_->ForEachFromAddress(start, [&](const Prefix& p, Destination& d) {
              const AttrSet* a = shared_->Get(d.out_, id_);
              return a == nullptr || fn(p, a);
            })) &&
           (!multi_ || multi_->ForEachFromAddress(start, [&](const Prefix& p, SentPaths& s) {
             return fn(p, static_cast<const AttrSet*>(s.front().attrs));
           }));
  }
  template <typename F>
  void ForEach(F&& fn) const {  // fn(const Prefix&, const AttrSet*), once per prefix
    if (counts_[0] + counts_[1] != 0) {
      table_->ForEach([&](const Prefix& p, Destination& d) {
        if (const AttrSet* a = shared_->Get(d.out_, id_)) fn(p, a);
      });
    }
    if (multi_) {
      multi_->ForEach([&](const Prefix& p, SentPaths& s) {
        fn(p, static_cast<const AttrSet*>(s.front().attrs));
      });
    }
  }

 private:
  friend class Rib;  // keeps counts_ right when it drops a destination's shared slot
  static int Index(Family f) { return f == Family::kIPv4 ? 0 : 1; }
  void ClearMulti();

  AttrPool* pool_;
  OutStore* shared_;
  PrefixMap<Destination>* table_;  // the Loc-RIB the shared entries hang from
  PeerId id_;
  size_t counts_[2] = {0, 0};  // this peer's entries in shared_, IPv4 and IPv6
  std::unique_ptr<PrefixMap<SentPaths>> multi_;  // ADD-PATH families only; made on first use
  size_t multi_paths_[2] = {0, 0};               // paths in multi_, IPv4 and IPv6
};

// ---- Update generation ----

// The next hop to put in an UPDATE comes from the set. IPv4 unicast uses NEXT_HOP and the
// NLRI field; IPv6 unicast uses MP_REACH_NLRI / MP_UNREACH_NLRI (RFC 4760).
// Appends to `out` UPDATEs announcing `nlri` with `attrs`, each within the message size.
void PackAnnouncements(const AttrSet& attrs, wire::AfiSafi family,
                       absl::Span<const wire::Nlri> nlri, const wire::CodecOptions& opts,
                       std::vector<wire::Update>* out);
void PackWithdrawals(wire::AfiSafi family, absl::Span<const wire::Nlri> nlri,
                     const wire::CodecOptions& opts, std::vector<wire::Update>* out);

// ---- The RIB ----

struct RibOptions {
  uint32_t local_as = 0;
  uint32_t router_id = 0;
  DecisionOptions decision;
};

struct PeerUpdates {
  PeerId peer = 0;
  std::vector<wire::Update> updates;
};

class Rib;

// A peer's Adj-RIB-In (pre-policy), as a view of the shared tables.
class AdjRibIn {
 public:
  AdjRibIn(const Rib* rib, PeerId peer) : rib_(rib), peer_(peer) {}
  size_t size() const;
  // fn(const Prefix&, const Path&, const AttrSet& received)
  template <typename F>
  void ForEach(F&& fn) const;

 private:
  const Rib* rib_;
  PeerId peer_;
};

class Rib {
 public:
  explicit Rib(const RibOptions& options);
  ~Rib();
  Rib(const Rib&) = delete;
  Rib& operator=(const Rib&) = delete;

  AttrPool& pool() { return pool_; }
  const RibOptions& options() const { return options_; }
  void set_decision_options(const DecisionOptions& o) { options_.decision = o; }
  void set_import_policy(ImportPolicy p) { import_policy_ = std::move(p); }
  void set_export_policy(ExportPolicy p) { export_policy_ = std::move(p); }
  void set_next_hop_resolver(NextHopResolver r) { resolver_ = std::move(r); }

  // Peers. kLocalPeer exists from the start (locally originated paths).
  PeerId AddPeer(const PeerInfo& info);
  const PeerInfo& peer_info(PeerId id) const { return peers_[id]->info; }
  // The session facts known once it is up (router id, addresses, ADD-PATH); paths stay.
  void SetPeerInfo(PeerId id, const PeerInfo& info) { peers_[id]->info = info; }
  // The session is up: the next Flush sends the whole table, then End-of-RIB for each family.
  void PeerEstablished(PeerId id, bool ipv4 = true, bool ipv6 = false);
  // ROUTE-REFRESH received (RFC 2918 §4, RFC 7313): the next Flush sends the peer its whole
  // table again, then End-of-RIB. The peer's own paths stay.
  void ResendTable(PeerId id);
  // The session went down: its paths are withdrawn and its Adj-RIB-Out forgotten.
  void PeerDown(PeerId id);
  // RFC 4724 §4.2 (receiving speaker): the session went down but the peer is restarting.
  // Its paths stay in the decision, marked stale; its Adj-RIB-Out is forgotten.
  void PeerDownGraceful(PeerId id);
  // Removes the peer's stale paths of `family`: End-of-RIB came, or the restart time ran
  // out (RFC 4724 §4.2). Returns how many were removed.
  size_t SweepStale(PeerId id, Family family);
  size_t stale_count(PeerId id) const;
  void RemovePeer(PeerId id);

  // Applies one decoded UPDATE from `peer`: the attributes are interned once per family and
  // every prefix added with that set; withdrawals (and RFC 7606 treat-as-withdraw) removed.
  void ApplyUpdate(PeerId peer, const wire::Update& update);
  // Adds or replaces the paths (peer, nlri.path_id) for the prefixes.
  void Announce(PeerId peer, absl::Span<const wire::Nlri> nlri, const AttrSet* attrs);
  void Withdraw(PeerId peer, absl::Span<const wire::Nlri> nlri);
  // Locally originated routes (kLocalPeer).
  void Originate(const Prefix& prefix, const AttrSet* attrs) {
    Announce(kLocalPeer, {wire::Nlri{prefix, 0}}, attrs);
  }
  // Soft reconfiguration inbound: runs import policy again on the kept received sets.
  void ReapplyImportPolicy();
  // Runs the decision again everywhere (after decision options or resolver changes).
  void Recompute();
  // Export policy changed: the next Flush runs export again for every destination and
  // established peer, sending only what differs from each Adj-RIB-Out (and withdrawing
  // what is now rejected). Sessions stay up.
  void ReapplyExportPolicy();

  const Destination* Find(const Prefix& p) const { return table_.Find(p); }
  size_t destination_count(Family f) const { return table_.size(f); }
  template <typename F>
  void ForEachDestination(Family f, F&& fn) const {  // fn(const Prefix&, const Destination&)
    const_cast<PrefixMap<Destination>&>(table_).ForEach(
        f, [&](const Prefix& p, Destination& d) { fn(p, static_cast<const Destination&>(d)); });
  }
  // fn(const Prefix&, const Destination&) -> bool; see PrefixMap::ForEachAfter.
  template <typename F>
  bool ForEachDestinationAfter(Family f, const Prefix* after, F&& fn) const {
    return const_cast<PrefixMap<Destination>&>(table_).ForEachAfter(
        f, after,
        [&](const Prefix& p, Destination& d) { return fn(p, static_cast<const Destination&>(d)); });
  }
  template <typename F>
  bool ForEachDestinationFromAddress(const IpAddress& start, F&& fn) const {
    return const_cast<PrefixMap<Destination>&>(table_).ForEachFromAddress(
        start,
        [&](const Prefix& p, Destination& d) { return fn(p, static_cast<const Destination&>(d)); });
  }
  // fn(const Prefix&, const Destination* or null) for every prefix the next Flush takes of
  // those changed (best path or ECMP set may differ; null: no path left). Call before Flush.
  template <typename F>
  void ForEachDirty(F&& fn) const {
    const size_t end = dirty_head_ + NextFlushChunk();
    for (size_t i = dirty_head_; i < end; ++i) fn(dirty_[i], table_.Find(dirty_[i]));
  }
  // At most about this many (changed prefix, established peer) exports per Flush; 0 (the
  // default): no limit. With a budget a Flush takes only the first changed prefixes that
  // fit (at least one) and leaves the rest, in order, to the next Flush, so a small input
  // that fans out to many peers (a route server) is exported and sent in bounded pieces
  // instead of one batch of every UPDATE for every peer. The caller flushes again while
  // dirty_count() is nonzero.
  void set_flush_budget(size_t exports) { flush_budget_ = exports; }
  // How many changed prefixes the next Flush takes.
  size_t NextFlushChunk() const;
  bool peer_in_use(PeerId id) const { return id < peers_.size() && peers_[id]->in_use; }
  AdjRibIn adj_rib_in(PeerId id) const { return AdjRibIn(this, id); }
  const AdjRibOut& adj_rib_out(PeerId id) const { return peers_[id]->out; }
  size_t dirty_count() const { return dirty_.size() - dirty_head_; }
  size_t path_count() const { return path_count_; }

  // Update generation for every established peer; see the header comment.
  std::vector<PeerUpdates> Flush();

 private:
  struct PeerState {
    PeerState(AttrPool* pool, OutStore* shared, PrefixMap<Destination>* table, PeerId id)
        : out(pool, shared, table, id) {}
    PeerInfo info;
    bool in_use = false;
    bool established = false;
    bool initial_pending = false;
    bool ipv4 = true;
    bool ipv6 = false;
    AdjRibOut out;
  };
  struct Batch;  // one peer's pending UPDATE content in a flush

  // Adds or replaces one path; runs the decision. `usable`: the import checks passed.
  void Upsert(const Prefix& prefix, Destination& d, PeerId peer, uint32_t path_id,
              const AttrSet* received, bool usable);
  // The post-policy set (one reference taken) and flags for a received set.
  const AttrSet* ImportOne(const Prefix& prefix, const PeerInfo& from, const AttrSet* received,
                           bool usable, uint8_t* flags);
  // `force_dirty`: the best or an ECMP member was removed or replaced, so what is exported
  // may change even if the same path index wins.
  void RunDecision(const Prefix& prefix, Destination& d, bool force_dirty = false);
  void MarkDirty(const Prefix& prefix, Destination& d);
  // After appending a path: true when the decision is known not to change (fast path).
  bool AddedWithoutChange(Destination& d);
  void ReleasePath(const Path& p);
  // Removes the paths of `id` (of `family` only, if given) that `pred(const Path&)` picks,
  // re-running the decision where something went. Returns how many.
  template <typename Pred>
  size_t RemovePaths(PeerId id, std::optional<Family> family, Pred pred);
  // Brings `to`'s Adj-RIB-Out for `prefix` up to date, adding what to send to `batch`.
  void ExportOne(PeerId to, const Prefix& prefix, Destination* d, Batch* batch);
  // Before a destination goes: releases what its shared Adj-RIB-Out slot still holds.
  void DropOut(const Prefix& prefix, Destination& d);
  // The same towards a family with ADD-PATH send: the ECMP set with multipath, each path
  // with its own path id; the best with path id 0 without.
  void ExportPaths(PeerState& ps, int fam, const Prefix& prefix, const Destination* d,
                   Batch* batch);
  // The set to send `ps` for `path` (RFC rules, then export policy), or null when the path
  // may not go to it. `policy_result` keeps a set made by the export policy alive.
  const AttrSet* ExportPath(const PeerState& ps, const Prefix& prefix, const Path& path,
                            Batch* batch, AttrRef* policy_result);
  static void AddAnnouncement(Batch* batch, int fam, const AttrSet* out, const wire::Nlri& nlri);

  RibOptions options_;
  AttrPool pool_;
  OutStore out_store_{&pool_};  // the Adj-RIB-Outs of the peers without ADD-PATH send
  PrefixMap<Destination> table_;
  std::vector<std::unique_ptr<PeerState>> peers_;
  std::vector<Prefix> dirty_;  // changed prefixes; [0, dirty_head_) are already flushed
  size_t dirty_head_ = 0;
  size_t flush_budget_ = 0;
  ImportPolicy import_policy_;
  ExportPolicy export_policy_;
  NextHopResolver resolver_;
  uint32_t seq_ = 0;
  size_t path_count_ = 0;
};

template <typename F>
void AdjRibIn::ForEach(F&& fn) const {
  for (Family f : {Family::kIPv4, Family::kIPv6}) {
    rib_->ForEachDestination(f, [&](const Prefix& p, const Destination& d) {
      for (const Path& path : d.paths()) {
        if (path.peer == peer_) fn(p, path, *path.attrs->pre_policy());
      }
    });
  }
}

}  // namespace kbgp::rib

#endif  // KBGP_DAEMON_RIB_RIB_H_
