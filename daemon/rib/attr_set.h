// Interned, immutable path attribute sets.
//
// What this file owns: AttrSet (the decoded path attributes of a route minus the NLRI and
// MP_REACH/MP_UNREACH framing, plus the next hop), the pooled pieces it points to (AS paths,
// community lists, the rarely present "extras"), and AttrPool, which interns all of them.
//
// Invariants:
//  - Within one AttrPool, two live AttrSets with equal contents are the same object, so
//    equality is a pointer compare and a flush can group prefixes by `const AttrSet*`.
//    The same holds for AsPathData, U32List (communities) and AttrExtras.
//  - Nothing mutates a set after interning. A policy or an export rule that changes a route
//    copies the set's AttrFields, edits the copy and interns it again.
//  - Reference counts are plain integers (the RIB lives on the single core thread). A set is
//    freed, and its pieces released, when its last reference goes. Paths in the RIB hold
//    one reference each (taken and dropped by the table code); transient holders use AttrRef.
//  - A set produced by import policy records the received set as `parent`, so a path stores
//    one pointer and still has both its pre-policy (Adj-RIB-In) and post-policy attributes.
//    Hashing happens once per interned UPDATE, never per prefix.
#ifndef KBGP_DAEMON_RIB_ATTR_SET_H_
#define KBGP_DAEMON_RIB_ATTR_SET_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/types/span.h"
#include "daemon/common/ip.h"
#include "daemon/wire/attributes.h"

namespace kbgp::rib {

class AttrPool;

// An immutable array of 32-bit words with a reference count; one allocation.
// AS paths use it with `meta` fields (decision length, neighbor AS); community lists plain.
class U32List {
 public:
  absl::Span<const uint32_t> values() const { return {data(), size_}; }
  size_t size() const { return size_; }
  uint32_t refs() const { return refs_; }

 protected:
  friend class AttrPool;
  const uint32_t* data() const { return reinterpret_cast<const uint32_t*>(this + 1); }
  uint32_t* data() { return reinterpret_cast<uint32_t*>(this + 1); }
  uint32_t refs_ = 0;
  uint32_t hash_ = 0;
  uint32_t size_ = 0;
  uint32_t meta0_ = 0;
  uint32_t meta1_ = 0;
  uint32_t meta2_ = 0;
};
static_assert(sizeof(U32List) % alignof(uint32_t) == 0);

// An AS path, stored flat: for each segment one word (type << 24 | count), then the ASNs.
class AsPathData : public U32List {
 public:
  // RFC 4271 §9.1.2.2 a: an AS_SET counts 1, confederation segments 0.
  int length() const { return static_cast<int>(meta0_); }
  // The first AS of the first non-confederation segment (the neighbor AS); 0 when none.
  uint32_t neighbor_as() const { return meta1_; }
  // The last AS of the last AS_SEQUENCE (the origin AS); 0 when none.
  uint32_t origin_as() const { return meta2_; }
  bool empty() const { return size_ == 0; }
  // Occurrences of `asn` in any segment.
  int Count(uint32_t asn) const;
  wire::AsPath ToWire() const;
};

// Attributes most routes do not carry, pooled as one object so AttrSet stays small.
struct AttrExtras {
  bool atomic_aggregate = false;
  std::optional<wire::Aggregator> aggregator;
  std::optional<uint32_t> originator_id;  // RFC 4456, host order
  std::vector<uint32_t> cluster_list;     // RFC 4456; empty = absent
  bool has_cluster_list = false;
  std::vector<uint64_t> extended_communities;
  bool has_extended_communities = false;
  std::vector<wire::LargeCommunity> large_communities;
  bool has_large_communities = false;
  std::vector<wire::RawAttribute> unknown;
  std::optional<IpAddress> link_local_next_hop;  // RFC 2545 §3

  bool empty() const;
  // Content only (not the pool's bookkeeping).
  friend bool operator==(const AttrExtras& a, const AttrExtras& b) {
    return a.atomic_aggregate == b.atomic_aggregate && a.aggregator == b.aggregator &&
           a.originator_id == b.originator_id && a.cluster_list == b.cluster_list &&
           a.has_cluster_list == b.has_cluster_list &&
           a.extended_communities == b.extended_communities &&
           a.has_extended_communities == b.has_extended_communities &&
           a.large_communities == b.large_communities &&
           a.has_large_communities == b.has_large_communities && a.unknown == b.unknown &&
           a.link_local_next_hop == b.link_local_next_hop;
  }
  template <typename H>
  friend H AbslHashValue(H h, const AttrExtras& e) {
    h = H::combine(std::move(h), e.atomic_aggregate, e.originator_id.value_or(0),
                   e.originator_id.has_value(), e.cluster_list, e.has_cluster_list,
                   e.extended_communities, e.large_communities.size(), e.unknown.size(),
                   e.link_local_next_hop.has_value());
    if (e.aggregator) h = H::combine(std::move(h), e.aggregator->asn, e.aggregator->address);
    for (const auto& l : e.large_communities)
      h = H::combine(std::move(h), l.global_admin, l.local1, l.local2);
    for (const auto& u : e.unknown) h = H::combine(std::move(h), u.type, u.flags, u.value);
    if (e.link_local_next_hop) h = H::combine(std::move(h), *e.link_local_next_hop);
    return h;
  }

 private:
  friend class AttrPool;
  mutable uint32_t refs_ = 0;
  uint32_t hash_ = 0;
};

// The value of an AttrSet. Pointers are to objects of the same pool (or null = absent).
struct AttrFields {
  enum Flag : uint8_t {
    kHasOrigin = 1,
    kHasMed = 2,
    kHasLocalPref = 4,
    kHasNextHop = 8,
  };
  const AsPathData* as_path = nullptr;
  const U32List* communities = nullptr;  // RFC 1997
  const AttrExtras* extras = nullptr;
  const class AttrSet* parent = nullptr;  // the received set, for import-policy results
  uint32_t local_pref = 0;
  uint32_t med = 0;
  // Copied from as_path by AttrPool::Intern (callers need not set them), so the decision
  // process reads one object per path: neighbor AS, and the decision length capped at 255.
  uint32_t neighbor_as = 0;
  IpAddress next_hop;
  wire::Origin origin = wire::Origin::kIgp;
  uint8_t flags = 0;
  uint8_t as_path_length = 0;

  bool has(Flag f) const { return (flags & f) != 0; }
  void set(Flag f, bool on) { flags = on ? (flags | f) : (flags & ~f); }
  friend bool operator==(const AttrFields&, const AttrFields&) = default;
};

class AttrSet {
 public:
  const AttrFields& fields() const { return f_; }
  // Decision-process accessors.
  bool has_local_pref() const { return f_.has(AttrFields::kHasLocalPref); }
  uint32_t local_pref() const { return f_.local_pref; }
  // GoBGP: a missing LOCAL_PREF counts as 100.
  uint32_t local_pref_or_default() const { return has_local_pref() ? f_.local_pref : 100; }
  bool has_med() const { return f_.has(AttrFields::kHasMed); }
  uint32_t med() const { return f_.med; }  // 0 when missing (GoBGP)
  bool has_origin() const { return f_.has(AttrFields::kHasOrigin); }
  wire::Origin origin() const { return f_.origin; }
  const AsPathData* as_path() const { return f_.as_path; }  // null = no AS_PATH
  int as_path_length() const {
    return f_.as_path_length < 255 ? f_.as_path_length : f_.as_path->length();
  }
  uint32_t neighbor_as() const { return f_.neighbor_as; }
  const U32List* communities() const { return f_.communities; }
  bool HasCommunity(uint32_t c) const;
  const AttrExtras* extras() const { return f_.extras; }
  std::optional<uint32_t> originator_id() const {
    return f_.extras ? f_.extras->originator_id : std::nullopt;
  }
  size_t cluster_list_length() const { return f_.extras ? f_.extras->cluster_list.size() : 0; }
  bool has_next_hop() const { return f_.has(AttrFields::kHasNextHop); }
  const IpAddress& next_hop() const { return f_.next_hop; }
  // The received attributes this set was derived from by import policy (itself if none).
  const AttrSet* pre_policy() const { return f_.parent ? f_.parent : this; }

  uint32_t refs() const { return refs_; }
  size_t hash() const { return hash_; }

  // The attributes in wire form, without NEXT_HOP and MP_* (the update generator adds the
  // next hop in the form the family needs).
  wire::PathAttributes ToWire() const;

 private:
  friend class AttrPool;
  explicit AttrSet(const AttrFields& f, size_t hash)
      : hash_(static_cast<uint32_t>(hash)), f_(f) {}
  mutable uint32_t refs_ = 0;
  uint32_t hash_;
  AttrFields f_;
};
static_assert(sizeof(AttrFields) == 64 && sizeof(AttrSet) == 72,
              "an AttrSet is one 80-byte malloc chunk");

// A counted reference to a pooled object (AttrSet, AsPathData, U32List, AttrExtras).
template <typename T>
class Ref {
 public:
  Ref() = default;
  Ref(AttrPool* pool, const T* p);  // takes a new reference
  Ref(const Ref& o) : Ref(o.pool_, o.p_) {}
  Ref(Ref&& o) noexcept : pool_(o.pool_), p_(std::exchange(o.p_, nullptr)) {}
  Ref& operator=(Ref o) noexcept {
    std::swap(pool_, o.pool_);
    std::swap(p_, o.p_);
    return *this;
  }
  ~Ref();
  const T* get() const { return p_; }
  const T* operator->() const { return p_; }
  const T& operator*() const { return *p_; }
  explicit operator bool() const { return p_ != nullptr; }
  // Hands the reference over to the caller, who must Unref it through the pool.
  const T* release() { return std::exchange(p_, nullptr); }
  friend bool operator==(const Ref& a, const Ref& b) { return a.p_ == b.p_; }

 private:
  AttrPool* pool_ = nullptr;
  const T* p_ = nullptr;
};
using AttrRef = Ref<AttrSet>;

class AttrPool {
 public:
  AttrPool() = default;
  ~AttrPool();
  AttrPool(const AttrPool&) = delete;
  AttrPool& operator=(const AttrPool&) = delete;

  // Interns a decoded UPDATE's attributes for routes of `family`: the next hop is NEXT_HOP
  // for IPv4 unicast unless MP_REACH_NLRI of that family carries one (RFC 8950), and
  // MP_REACH's for IPv6. Call once per UPDATE and family, then add every prefix with it.
  AttrRef Intern(const wire::PathAttributes& attrs, wire::AfiSafi family);
  // Interns a set from its fields; the pointed-to pieces must belong to this pool.
  AttrRef Intern(const AttrFields& fields);

  Ref<AsPathData> InternAsPath(const wire::AsPath& path);
  Ref<U32List> InternCommunities(absl::Span<const uint32_t> communities);
  // Returns null for empty extras.
  Ref<AttrExtras> InternExtras(const AttrExtras& extras);

  // Reference counting for holders that store raw pointers (the RIB's path records).
  static void AddRef(const AttrSet* s) { ++s->refs_; }
  void Unref(const AttrSet* s);
  void Unref(const AsPathData* p);
  void Unref(const U32List* p);
  void Unref(const AttrExtras* p);
  static void AddRef(const U32List* p) { ++const_cast<U32List*>(p)->refs_; }
  static void AddRef(const AttrExtras* p) { ++p->refs_; }

  size_t set_count() const { return sets_.size(); }
  size_t as_path_count() const { return as_paths_.size(); }
  size_t community_list_count() const { return communities_.size(); }
  size_t extras_count() const { return extras_.size(); }

 private:
  template <typename T>
  struct PtrHash {
    using is_transparent = void;
    size_t operator()(const T* p) const { return p->hash_; }
  };
  struct ListKey {
    absl::Span<const uint32_t> words;
    uint32_t hash;
  };
  struct ListHash {
    using is_transparent = void;
    size_t operator()(const U32List* p) const { return p->hash_; }
    size_t operator()(const ListKey& k) const { return k.hash; }
  };
  struct ListEq {
    using is_transparent = void;
    bool operator()(const U32List* a, const U32List* b) const { return a == b; }
    bool operator()(const U32List* a, const ListKey& k) const {
      return a->hash_ == k.hash && a->values() == k.words;
    }
    bool operator()(const ListKey& k, const U32List* a) const { return (*this)(a, k); }
  };
  struct SetHash {
    using is_transparent = void;
    size_t operator()(const AttrSet* s) const { return s->hash_; }
    size_t operator()(const std::pair<const AttrFields*, size_t>& k) const {
      return static_cast<uint32_t>(k.second);
    }
  };
  struct SetEq {
    using is_transparent = void;
    bool operator()(const AttrSet* a, const AttrSet* b) const { return a == b; }
    bool operator()(const AttrSet* a, const std::pair<const AttrFields*, size_t>& k) const {
      return a->hash_ == static_cast<uint32_t>(k.second) && a->f_ == *k.first;
    }
    bool operator()(const std::pair<const AttrFields*, size_t>& k, const AttrSet* a) const {
      return (*this)(a, k);
    }
  };
  struct ExtrasHash {
    using is_transparent = void;
    size_t operator()(const AttrExtras* e) const { return e->hash_; }
  };
  struct ExtrasEq {
    using is_transparent = void;
    bool operator()(const AttrExtras* a, const AttrExtras* b) const {
      return a == b || (a->hash_ == b->hash_ && *a == *b);
    }
  };

  const U32List* InternList(absl::flat_hash_set<U32List*, ListHash, ListEq>* set,
                            absl::Span<const uint32_t> words, uint32_t meta0, uint32_t meta1,
                            uint32_t meta2);
  static void FreeList(U32List* p);

  absl::flat_hash_set<AttrSet*, SetHash, SetEq> sets_;
  absl::flat_hash_set<U32List*, ListHash, ListEq> as_paths_;
  absl::flat_hash_set<U32List*, ListHash, ListEq> communities_;
  absl::flat_hash_set<AttrExtras*, ExtrasHash, ExtrasEq> extras_;
  std::vector<uint32_t> scratch_;
};

template <typename T>
Ref<T>::Ref(AttrPool* pool, const T* p) : pool_(pool), p_(p) {
  if (p_) AttrPool::AddRef(p_);
}
template <typename T>
Ref<T>::~Ref() {
  if (p_) pool_->Unref(p_);
}

}  // namespace kbgp::rib

#endif  // KBGP_DAEMON_RIB_ATTR_SET_H_
