#include "daemon/rib/attr_set.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <new>

#include "absl/hash/hash.h"

namespace kbgp::rib {

namespace {

uint32_t HashWords(absl::Span<const uint32_t> words) {
  const size_t h = absl::HashOf(words);
  return static_cast<uint32_t>(h ^ (h >> 32));
}

size_t HashFields(const AttrFields& f) {
  return absl::HashOf(f.as_path, f.communities, f.extras, f.parent, f.local_pref, f.med,
                      f.next_hop, static_cast<uint8_t>(f.origin), f.flags);
}

}  // namespace

// ---- AsPathData ----

int AsPathData::Count(uint32_t asn) const {
  int n = 0;
  const uint32_t* w = data();
  const uint32_t* end = w + size_;
  while (w < end) {
    const uint32_t count = *w & 0xffffff;
    ++w;
    for (uint32_t i = 0; i < count && w < end; ++i, ++w) n += (*w == asn);
  }
  return n;
}

wire::AsPath AsPathData::ToWire() const {
  wire::AsPath out;
  const uint32_t* w = data();
  const uint32_t* end = w + size_;
  while (w < end) {
    wire::AsSegment seg;
    seg.type = static_cast<wire::AsSegmentType>(*w >> 24);
    const uint32_t count = *w & 0xffffff;
    ++w;
    seg.asns.assign(w, w + std::min<ptrdiff_t>(count, end - w));
    w += seg.asns.size();
    out.push_back(std::move(seg));
  }
  return out;
}

// ---- AttrExtras / AttrSet ----

bool AttrExtras::empty() const {
  return !atomic_aggregate && !aggregator && !originator_id && !has_cluster_list &&
         !has_extended_communities && !has_large_communities && unknown.empty() &&
         !link_local_next_hop;
}

bool AttrSet::HasCommunity(uint32_t c) const {
  if (!f_.communities) return false;
  auto v = f_.communities->values();
  return std::find(v.begin(), v.end(), c) != v.end();
}

wire::PathAttributes AttrSet::ToWire() const {
  wire::PathAttributes a;
  if (has_origin()) a.origin = f_.origin;
  if (f_.as_path) a.as_path = f_.as_path->ToWire();
  if (has_med()) a.med = f_.med;
  if (has_local_pref()) a.local_pref = f_.local_pref;
  if (f_.communities) {
    auto v = f_.communities->values();
    a.communities.emplace(v.begin(), v.end());
  }
  if (const AttrExtras* e = f_.extras) {
    a.atomic_aggregate = e->atomic_aggregate;
    a.aggregator = e->aggregator;
    if (e->originator_id) a.originator_id = IpAddress::V4(*e->originator_id);
    if (e->has_cluster_list) a.cluster_list = e->cluster_list;
    if (e->has_extended_communities) a.extended_communities = e->extended_communities;
    if (e->has_large_communities) a.large_communities = e->large_communities;
    a.unknown = e->unknown;
  }
  return a;
}

// ---- AttrPool ----

AttrPool::~AttrPool() {
  // Whoever still holds references outlives nothing: free everything.
  for (AttrSet* s : sets_) delete s;
  for (U32List* p : as_paths_) FreeList(p);
  for (U32List* p : communities_) FreeList(p);
  for (AttrExtras* e : extras_) delete e;
}

void AttrPool::FreeList(U32List* p) {
  p->~U32List();
  ::operator delete(p);
}

const U32List* AttrPool::InternList(absl::flat_hash_set<U32List*, ListHash, ListEq>* set,
                                    absl::Span<const uint32_t> words, uint32_t meta0,
                                    uint32_t meta1, uint32_t meta2) {
  const ListKey key{words, HashWords(words)};
  auto it = set->find(key);
  if (it != set->end()) return *it;
  void* mem = ::operator new(sizeof(U32List) + words.size() * sizeof(uint32_t));
  // AsPathData adds no members, so the same layout serves both.
  U32List* p = new (mem) AsPathData();
  p->hash_ = key.hash;
  p->size_ = static_cast<uint32_t>(words.size());
  p->meta0_ = meta0;
  p->meta1_ = meta1;
  p->meta2_ = meta2;
  if (!words.empty()) std::memcpy(p->data(), words.data(), words.size() * sizeof(uint32_t));
  set->insert(p);
  return p;
}

Ref<AsPathData> AttrPool::InternAsPath(const wire::AsPath& path) {
  scratch_.clear();
  int length = 0;
  uint32_t neighbor = 0, origin = 0;
  for (const wire::AsSegment& seg : path) {
    scratch_.push_back((uint32_t{static_cast<uint8_t>(seg.type)} << 24) |
                       static_cast<uint32_t>(seg.asns.size() & 0xffffff));
    scratch_.insert(scratch_.end(), seg.asns.begin(), seg.asns.end());
    const bool confed = seg.type == wire::AsSegmentType::kConfedSequence ||
                        seg.type == wire::AsSegmentType::kConfedSet;
    if (seg.asns.empty() || confed) continue;
    if (neighbor == 0) neighbor = seg.asns.front();
    if (seg.type == wire::AsSegmentType::kSequence) {
      length += static_cast<int>(seg.asns.size());
      origin = seg.asns.back();
    } else {
      length += 1;  // RFC 4271 §9.1.2.2 a: an AS_SET counts as one
    }
  }
  const U32List* p =
      InternList(&as_paths_, scratch_, static_cast<uint32_t>(length), neighbor, origin);
  return Ref<AsPathData>(this, static_cast<const AsPathData*>(p));
}

Ref<U32List> AttrPool::InternCommunities(absl::Span<const uint32_t> communities) {
  return Ref<U32List>(this, InternList(&communities_, communities, 0, 0, 0));
}

Ref<AttrExtras> AttrPool::InternExtras(const AttrExtras& extras) {
  if (extras.empty()) return {};
  AttrExtras probe = extras;  // hash_ lives in the object; compute it on a copy
  probe.hash_ = static_cast<uint32_t>(absl::HashOf(extras));
  probe.refs_ = 0;
  auto it = extras_.find(&probe);
  if (it != extras_.end()) return Ref<AttrExtras>(this, *it);
  auto* e = new AttrExtras(std::move(probe));
  extras_.insert(e);
  return Ref<AttrExtras>(this, e);
}

AttrRef AttrPool::Intern(const AttrFields& in) {
  AttrFields fields = in;
  fields.neighbor_as = fields.as_path ? fields.as_path->neighbor_as() : 0;
  fields.as_path_length = static_cast<uint8_t>(
      fields.as_path ? std::min(fields.as_path->length(), 255) : 0);
  const size_t h = HashFields(fields);
  auto it = sets_.find(std::make_pair(&fields, h));
  if (it != sets_.end()) return AttrRef(this, *it);
  auto* s = new AttrSet(fields, h);
  // The set holds one reference on each piece.
  if (fields.as_path) AddRef(fields.as_path);
  if (fields.communities) AddRef(fields.communities);
  if (fields.extras) AddRef(fields.extras);
  if (fields.parent) AddRef(fields.parent);
  sets_.insert(s);
  return AttrRef(this, s);
}

AttrRef AttrPool::Intern(const wire::PathAttributes& a, wire::AfiSafi family) {
  AttrFields f;
  Ref<AsPathData> as_path;
  Ref<U32List> communities;
  Ref<AttrExtras> extras;
  if (a.origin) {
    f.origin = *a.origin;
    f.set(AttrFields::kHasOrigin, true);
  }
  if (a.as_path) {
    as_path = InternAsPath(*a.as_path);
    f.as_path = as_path.get();
  }
  if (a.med) {
    f.med = *a.med;
    f.set(AttrFields::kHasMed, true);
  }
  if (a.local_pref) {
    f.local_pref = *a.local_pref;
    f.set(AttrFields::kHasLocalPref, true);
  }
  if (a.communities) {
    communities = InternCommunities(*a.communities);
    f.communities = communities.get();
  }
  AttrExtras e;
  const bool mp_family = a.mp_reach && a.mp_reach->family == family;
  if (mp_family) {
    f.next_hop = a.mp_reach->next_hop;
    f.set(AttrFields::kHasNextHop, true);
    e.link_local_next_hop = a.mp_reach->link_local_next_hop;
  } else if (family == wire::kIPv4Unicast && a.next_hop) {
    f.next_hop = *a.next_hop;
    f.set(AttrFields::kHasNextHop, true);
  }
  e.atomic_aggregate = a.atomic_aggregate;
  e.aggregator = a.aggregator;
  if (a.originator_id && a.originator_id->is_v4()) e.originator_id = a.originator_id->v4();
  if (a.cluster_list) {
    e.cluster_list = *a.cluster_list;
    e.has_cluster_list = true;
  }
  if (a.extended_communities) {
    e.extended_communities = *a.extended_communities;
    e.has_extended_communities = true;
  }
  if (a.large_communities) {
    e.large_communities = *a.large_communities;
    e.has_large_communities = true;
  }
  e.unknown = a.unknown;
  if (!e.empty()) {
    extras = InternExtras(e);
    f.extras = extras.get();
  }
  return Intern(f);
}

void AttrPool::Unref(const AttrSet* s) {
  if (--s->refs_ != 0) return;
  auto* m = const_cast<AttrSet*>(s);
  sets_.erase(m);
  const AttrFields f = m->f_;
  delete m;
  if (f.as_path) Unref(f.as_path);
  if (f.communities) Unref(f.communities);
  if (f.extras) Unref(f.extras);
  if (f.parent) Unref(f.parent);
}

void AttrPool::Unref(const AsPathData* p) {
  auto* m = const_cast<AsPathData*>(p);
  if (--m->refs_ != 0) return;
  as_paths_.erase(m);
  FreeList(m);
}

void AttrPool::Unref(const U32List* p) {
  auto* m = const_cast<U32List*>(p);
  if (--m->refs_ != 0) return;
  communities_.erase(m);
  FreeList(m);
}

void AttrPool::Unref(const AttrExtras* p) {
  if (--p->refs_ != 0) return;
  auto* m = const_cast<AttrExtras*>(p);
  extras_.erase(m);
  delete m;
}

}  // namespace kbgp::rib
