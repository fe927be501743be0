#include "kernel.h"

#include <cstring>
#include <vector>

// The hot helpers are forced inline: with the bounds checks they grew past GCC's inlining
// budget, and a call per flow costs more than the checks themselves.
#define NETPOL_HOT inline __attribute__((always_inline))
#define UNLIKELY(x) __builtin_expect(!!(x), 0)

namespace netpol {
namespace {

constexpr uint32_t kMagic = 0x4C4F504E;
constexpr uint32_t kVersion = 2;
constexpr uint32_t kHeaderWords = 32;
constexpr uint32_t kPointer = 0x80000000u;
constexpr uint32_t kStride = 8;
enum Flag : uint32_t { kLocalIngress = 1, kLocalEgress = 2, kMapped = 4, kND = 8 };
enum Decision : uint32_t { kAllowed = 0, kDenied = 1, kNotIsolated = 2, kNotApplicable = 3 };
enum Header { kHMagic, kHVersion, kHLength, kHFlags, kHEntries, kHStride, kHPortClasses, kHWords, kHPortSets,
              kHEgCols, kHEgRows, kHInCols, kHInRows, kHHosts6Slots, kHSections = 16 };
constexpr int kSections = 8;
constexpr uint32_t kHost6Stride = 5;

uint32_t load32(const uint8_t* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);  // the image is little-endian, like every platform Node runs on
  return v;
}

// The invariants below are IMAGE.md's list, checked in the same order and worded as in
// packages/core/src/compile/validate-image.ts, so that both validators name the same broken
// invariant with the same text (test/native/image-vectors.test.ts compares them).
constexpr uint32_t kKnownFlags = 15;
constexpr uint64_t kPortMapSlots = 3 * 65536;
constexpr uint64_t kRootSlots = 65536;
const char* const kSectionNames[kSections] = {"lpm4", "lpm6", "entries", "portMap", "portSets", "egressMatrix", "ingressMatrix", "hosts6"};

std::string str(uint64_t v) { return std::to_string(v); }

// "<invariant>: <section>[<index>] = <value> (<rule>)"; index < 0: no index.
bool fail(std::string* error, const char* invariant, const char* section, int64_t index, uint64_t value, const std::string& rule) {
  if (error) *error = std::string(invariant) + ": " + section + (index < 0 ? std::string() : "[" + str(uint64_t(index)) + "]") + " = " + str(value) + " (" + rule + ")";
  return false;
}

// Every slot of a trie: a leaf below entry_count, or a pointer to a whole 256-slot chunk
// after the root (so children never point back into the root).
bool valid_slots(const uint32_t* t, size_t len, uint32_t entries, const char* name, std::string* error) {
  for (size_t i = 0; i < len; i++) {
    const uint32_t v = t[i];
    if (v & kPointer) {
      const uint64_t child = v & ~kPointer;
      if (child < kRootSlots || child + 256 > len) return fail(error, "trie-child", name, int64_t(i), v, "chunks lie in slots " + str(kRootSlots) + ".." + str(len));
    } else if (v >= entries) {
      return fail(error, "trie-leaf", name, int64_t(i), v, "entryCount " + str(entries));
    }
  }
  return true;
}

// Level by level from the root (chunks may be shared: a chunk is walked again when reached
// deeper): a pointer in a chunk at the last level a lookup reads is refused, so no walk goes
// past the address's bits or loops. Same order as trieDepth() in validate-image.ts; runs
// after valid_slots, so every child chunk lies inside the trie.
bool valid_depth(const uint32_t* t, size_t len, uint32_t levels, const char* name, std::string* error) {
  std::vector<uint8_t> reached(len, 0);
  std::vector<uint32_t> frontier{0}, next;
  uint64_t span = kRootSlots;
  for (uint32_t level = 0; !frontier.empty(); level++) {
    next.clear();
    for (uint32_t base : frontier) {
      for (uint64_t k = 0; k < span; k++) {
        const uint32_t v = t[base + k];
        if (!(v & kPointer)) continue;
        if (level == levels) return fail(error, "trie-depth", name, int64_t(base + k), v, "a pointer at level " + str(levels) + ", the last");
        const uint32_t child = v & ~kPointer;
        if (reached[child] <= level) {
          reached[child] = uint8_t(level + 1);
          next.push_back(child);
        }
      }
    }
    frontier.swap(next);
    span = 256;
  }
  return true;
}

}  // namespace

bool validate(const uint8_t* data, size_t len, Image* out, std::string* error) {
  if (data == nullptr || len < kHeaderWords * 4) return fail(error, "header-size", "buffer", -1, len, "the header needs " + str(kHeaderWords * 4) + " bytes");
  // Native only: JS hands whole ArrayBuffers over, always aligned; a Uint8Array view may not be.
  if ((reinterpret_cast<uintptr_t>(data) & 3) != 0) return fail(error, "alignment", "buffer", -1, reinterpret_cast<uintptr_t>(data) & 3, "the image must start 4-byte aligned");
  uint32_t h[kHeaderWords];
  for (uint32_t i = 0; i < kHeaderWords; i++) h[i] = load32(data + 4 * i);
  if (h[kHMagic] != kMagic) return fail(error, "magic", "header", kHMagic, h[kHMagic], "expected " + str(kMagic));
  if (h[kHVersion] != kVersion) return fail(error, "version", "header", kHVersion, h[kHVersion], "expected " + str(kVersion));
  if (h[kHLength] != len) return fail(error, "byte-length", "header", kHLength, h[kHLength], "the buffer has " + str(len) + " bytes");
  if (h[kHStride] != kStride) return fail(error, "entry-stride", "header", kHStride, h[kHStride], "expected " + str(kStride));
  if ((h[kHFlags] & ~kKnownFlags) != 0) return fail(error, "flags", "header", kHFlags, h[kHFlags], "known bits " + str(kKnownFlags));
  const uint32_t sizes[kSections] = {4, 4, 4, 2, 4, 2, 2, 4};
  uint64_t start[kSections], count[kSections], end[kSections];
  for (int s = 0; s < kSections; s++) {
    start[s] = h[kHSections + 2 * s];
    count[s] = h[kHSections + 2 * s + 1];
    end[s] = start[s] + count[s] * sizes[s];
  }
  for (int s = 0; s < kSections; s++) {
    if (start[s] < kHeaderWords * 4 || start[s] % sizes[s] != 0 || end[s] > len) {
      return fail(error, "section-bounds", "header", kHSections + 2 * s, start[s], std::string(kSectionNames[s]) + ": " + str(count[s]) + " elements of " + str(sizes[s]) + " bytes in " + str(len) + " bytes");
    }
  }
  for (int j = 1; j < kSections; j++) {
    for (int i = 0; i < j; i++) {
      if (start[i] < end[j] && start[j] < end[i]) return fail(error, "section-overlap", "header", kHSections + 2 * j, start[j], std::string(kSectionNames[j]) + " overlaps " + kSectionNames[i]);
    }
  }
  const uint64_t entries = h[kHEntries], classes = h[kHPortClasses], words = h[kHWords], sets = h[kHPortSets];
  const uint64_t eg_rows = h[kHEgRows], eg_cols = h[kHEgCols], in_rows = h[kHInRows], in_cols = h[kHInCols];
  const uint64_t slots = h[kHHosts6Slots];
  auto count_at = [](int s) { return kHSections + 2 * s + 1; };
  if (entries == 0 || count[2] != entries * kStride) return fail(error, "entries-size", "header", kHEntries, entries, "entries holds " + str(count[2]) + " words, " + str(kStride) + " per entry, at least one entry");
  if (classes == 0 || words != (classes + 31) / 32) return fail(error, "port-classes", "header", kHWords, words, "portClassCount " + str(classes) + ", at least 1, 32 per word");
  if (sets == 0 || count[4] != sets * words) return fail(error, "port-sets-size", "header", kHPortSets, sets, "portSets holds " + str(count[4]) + " words, " + str(words) + " per set, at least one set");
  if (count[3] != kPortMapSlots) return fail(error, "port-map-size", "header", count_at(3), count[3], "expected " + str(kPortMapSlots));
  if (eg_rows == 0 || eg_cols == 0 || count[5] != eg_rows * eg_cols) return fail(error, "egress-matrix-size", "header", count_at(5), count[5], str(eg_rows) + " rows × " + str(eg_cols) + " columns, both at least 1");
  if (in_rows == 0 || in_cols == 0 || count[6] != in_rows * in_cols) return fail(error, "ingress-matrix-size", "header", count_at(6), count[6], str(in_rows) + " rows × " + str(in_cols) + " columns, both at least 1");
  if (slots == 0 || (slots & (slots - 1)) != 0 || count[7] != slots * kHost6Stride) return fail(error, "hosts6-size", "header", kHHosts6Slots, slots, "a power of two; hosts6 holds " + str(count[7]) + " words, " + str(kHost6Stride) + " per slot");
  for (int s = 0; s < 2; s++) {
    if (count[s] < kRootSlots) return fail(error, "trie-size", "header", count_at(s), count[s], "the root needs " + str(kRootSlots) + " slots");
  }
  Image img;
  img.flags = h[kHFlags];
  img.entry_count = h[kHEntries];
  img.lpm4 = reinterpret_cast<const uint32_t*>(data + start[0]);
  img.lpm4_len = count[0];
  img.lpm6 = reinterpret_cast<const uint32_t*>(data + start[1]);
  img.lpm6_len = count[1];
  img.entries = reinterpret_cast<const uint32_t*>(data + start[2]);
  img.port_map = reinterpret_cast<const uint16_t*>(data + start[3]);
  img.port_sets = reinterpret_cast<const uint32_t*>(data + start[4]);
  img.egress = reinterpret_cast<const uint16_t*>(data + start[5]);
  img.ingress = reinterpret_cast<const uint16_t*>(data + start[6]);
  img.hosts6 = reinterpret_cast<const uint32_t*>(data + start[7]);
  img.port_set_words = h[kHWords];
  img.egress_cols = h[kHEgCols];
  img.ingress_cols = h[kHInCols];
  if (!valid_slots(img.lpm4, img.lpm4_len, img.entry_count, "lpm4", error) || !valid_depth(img.lpm4, img.lpm4_len, 2, "lpm4", error)) return false;
  if (!valid_slots(img.lpm6, img.lpm6_len, img.entry_count, "lpm6", error) || !valid_depth(img.lpm6, img.lpm6_len, 14, "lpm6", error)) return false;
  const uint64_t limits[4] = {eg_rows, in_rows, eg_cols, in_cols};
  const char* const names[4] = {"egressRowCount", "ingressRowCount", "egressPeerCount", "ingressPeerCount"};
  for (uint64_t e = 0; e < entries; e++) {
    for (int f = 0; f < 4; f++) {
      const uint64_t at = e * kStride + 3 + f;
      if (img.entries[at] >= limits[f]) return fail(error, f < 2 ? "entry-row" : "entry-column", "entries", int64_t(at), img.entries[at], std::string(names[f]) + " " + str(limits[f]));
    }
  }
  for (uint64_t i = 0; i < count[3]; i++) {
    if (img.port_map[i] >= classes) return fail(error, "port-class", "portMap", int64_t(i), img.port_map[i], "portClassCount " + str(classes));
  }
  for (int m = 5; m <= 6; m++) {
    const uint16_t* cells = m == 5 ? img.egress : img.ingress;
    for (uint64_t i = 0; i < count[m]; i++) {
      if (cells[i] >= sets) return fail(error, "port-set", kSectionNames[m], int64_t(i), cells[i], "portSetCount " + str(sets));
    }
  }
  bool has_empty = false;
  for (uint64_t i = 0; i < slots; i++) {
    const uint32_t e = img.hosts6[i * kHost6Stride + 4];
    if (e == 0) has_empty = true;
    else if (e - 1 >= entries) return fail(error, "hosts6-entry", "hosts6", int64_t(i * kHost6Stride + 4), e, "entryCount " + str(entries));
  }
  if (!has_empty) return fail(error, "hosts6-empty", "header", kHHosts6Slots, slots, "no empty slot");
  img.hosts6_mask = uint32_t(slots - 1);
  img.egress_len = count[5];
  img.ingress_len = count[6];
  img.port_sets_len = count[4];
  *out = img;
  return true;
}

namespace {

// IPv4: at most three reads; a pointer after the last level means a malformed image,
// which validate() already excludes for well-formed chunks, so it is answered as malformed.
// A child chunk must lie inside the trie (the bytes can change after validate()).
NETPOL_HOT bool child_ok(uint32_t v, size_t len) { return uint64_t(v & ~kPointer) + 256 <= len; }

template <bool kChecked>
NETPOL_HOT bool lookup4(const Image& img, uint32_t a, uint32_t* entry) {
  uint32_t v = img.lpm4[a >> 16];
  if (v & kPointer) {
    if (kChecked && UNLIKELY(!child_ok(v, img.lpm4_len))) return false;
    v = img.lpm4[(v & ~kPointer) + ((a >> 8) & 255)];
    if (v & kPointer) {
      if (kChecked && UNLIKELY(!child_ok(v, img.lpm4_len))) return false;
      v = img.lpm4[(v & ~kPointer) + (a & 255)];
      if (v & kPointer) return false;
    }
  }
  *entry = v;
  return !kChecked || __builtin_expect(v < img.entry_count, 1);
}

// Same hash as host6Hash() in layout.ts.
NETPOL_HOT uint32_t host6_hash(const uint32_t* w, uint32_t mask) {
  uint32_t h = (w[0] * 0x9e3779b1u) ^ (w[1] * 0x85ebca6bu) ^ (w[2] * 0xc2b2ae35u) ^ (w[3] * 0x27d4eb2fu);
  h ^= h >> 16;
  return h & mask;
}

template <bool kChecked>
NETPOL_HOT bool lookup6(const Image& img, const uint32_t* w, uint32_t* entry) {
  if ((img.flags & kMapped) && w[0] == 0 && w[1] == 0 && w[2] == 0xffff) return lookup4<kChecked>(img, w[3], entry);
  // Pod and node addresses: exact match, linear probing (validate() ensured an empty slot).
  for (uint32_t i = host6_hash(w, img.hosts6_mask), n = 0; n <= img.hosts6_mask; i = (i + 1) & img.hosts6_mask, n++) {
    const uint32_t* slot = img.hosts6 + uint64_t(i) * kHost6Stride;
    if (slot[4] == 0) break;
    if (slot[0] == w[0] && slot[1] == w[1] && slot[2] == w[2] && slot[3] == w[3]) {
      *entry = slot[4] - 1;
      return !kChecked || *entry < img.entry_count;
    }
  }
  uint32_t v = img.lpm6[w[0] >> 16];
  for (uint32_t pos = 16; v & kPointer; pos += 8) {
    if (pos >= 128 || (kChecked && !child_ok(v, img.lpm6_len))) return false;  // a corrupt image
    uint32_t byte = (w[pos >> 5] >> (24 - (pos & 31))) & 255;
    v = img.lpm6[(v & ~kPointer) + byte];
  }
  *entry = v;
  return __builtin_expect(v < img.entry_count, 1);
}

NETPOL_HOT uint32_t port_class(const Image& img, uint8_t protocol, uint16_t port) {
  switch (protocol) {
    case 6: return img.port_map[port];
    case 17: return img.port_map[65536 + port];
    case 132: return img.port_map[131072 + port];
    default: return 0;
  }
}

inline bool in_set(const Image& img, uint32_t set, uint32_t pc) {
  return (img.port_sets[uint64_t(set) * img.port_set_words + (pc >> 5)] >> (pc & 31)) & 1;
}

// One bounds check per read, on the final index: cheaper than checking row, column, set and
// class each, and just as safe (an in-range index from changed bytes reads some cell).
enum Answer : uint32_t { kNo = 0, kYes = 1, kBad = 2 };

template <bool kChecked>
NETPOL_HOT uint32_t cell_allows(const Image& img, const uint16_t* matrix, uint64_t len, uint64_t cols, uint32_t row, uint32_t col, uint32_t pc) {
  const uint64_t at = uint64_t(row) * cols + col;
  if (kChecked && UNLIKELY(at >= len)) return kBad;
  const uint64_t word = uint64_t(matrix[at]) * img.port_set_words + (pc >> 5);
  if (kChecked && UNLIKELY(word >= img.port_sets_len)) return kBad;
  return (img.port_sets[word] >> (pc & 31)) & 1;
}

// The same steps as the JS kernel's decide() (IMAGE.md, "A verdict"). Measured on the L
// cluster and not kept: a branch-free variant with selects and a protocol table (10-15%
// slower), four flows walked in lockstep (no gain), grouped walks with entry prefetch
// (slower), 32-bit port masks copied into the cells at load (+3%), -march=native (no gain).
// `s` and `d` are below entry_count (the lookups check); every other index read from the
// image is checked before use, so changed bytes give kMalformed, never an outside read.
template <bool kChecked>
NETPOL_HOT uint8_t decide(const Image& img, uint32_t s, uint32_t d, uint8_t protocol, uint16_t port, bool established) {
  const uint32_t* es = img.entries + uint64_t(s) * kStride;
  const uint32_t* ed = img.entries + uint64_t(d) * kStride;
  if (established || (es[0] != 0 && es[0] == ed[0])) return 1;
  if ((img.flags & kND) && protocol == 58 && port >= 133 && port <= 137) return 1;
  const uint32_t pc = port_class(img, protocol, port);
  uint32_t eg, in;
  if (es[0] == 0) eg = kNotApplicable;
  else if (es[3] == 0) eg = kNotIsolated;
  else if ((img.flags & kLocalEgress) && ed[2] != 0 && ed[2] == es[1]) eg = kAllowed;
  else if (!kChecked) eg = in_set(img, img.egress[uint64_t(es[3]) * img.egress_cols + ed[5]], pc) ? kAllowed : kDenied;
  else {
    const uint32_t a = cell_allows<kChecked>(img, img.egress, img.egress_len, img.egress_cols, es[3], ed[5], pc);
    if (UNLIKELY(a == kBad)) return kMalformed;
    eg = a ? kAllowed : kDenied;
  }
  if (ed[0] == 0) in = kNotApplicable;
  else if (ed[4] == 0) in = kNotIsolated;
  else if ((img.flags & kLocalIngress) && es[2] != 0 && es[2] == ed[1]) in = kAllowed;
  else if (!kChecked) in = in_set(img, img.ingress[uint64_t(ed[4]) * img.ingress_cols + es[6]], pc) ? kAllowed : kDenied;
  else {
    const uint32_t a = cell_allows<kChecked>(img, img.ingress, img.ingress_len, img.ingress_cols, ed[4], es[6], pc);
    if (UNLIKELY(a == kBad)) return kMalformed;
    in = a ? kAllowed : kDenied;
  }
  return uint8_t((eg != kDenied && in != kDenied ? 1 : 0) | (eg << 1) | (in << 4));
}

template <bool kChecked>
void run(const Image& img, const uint32_t* src, const uint32_t* dst, const uint8_t* protocol, const uint16_t* port,
         const uint8_t* family, const uint8_t* flags, uint8_t* out, size_t count) {
  if (family == nullptr) {
    // IPv4 hot loop: prefetch the root slots a few flows ahead, so that independent trie
    // walks overlap instead of waiting on each other.
    constexpr size_t kAhead = 8;
    for (size_t i = 0; i < count; i++) {
      if (i + kAhead < count) {
        __builtin_prefetch(img.lpm4 + (src[i + kAhead] >> 16));
        __builtin_prefetch(img.lpm4 + (dst[i + kAhead] >> 16));
      }
      uint32_t s, d;
      if (!lookup4<kChecked>(img, src[i], &s) || !lookup4<kChecked>(img, dst[i], &d)) {
        out[i] = kMalformed;
        continue;
      }
      out[i] = decide<kChecked>(img, s, d, protocol[i], port[i], flags && (flags[i] & 1));
    }
    return;
  }
  for (size_t i = 0; i < count; i++) {
    uint32_t s, d;
    bool ok;
    if (family[i] == 4) ok = lookup4<kChecked>(img, src[4 * i], &s) && lookup4<kChecked>(img, dst[4 * i], &d);
    else if (family[i] == 6) ok = lookup6<kChecked>(img, src + 4 * i, &s) && lookup6<kChecked>(img, dst + 4 * i, &d);
    else ok = false;
    out[i] = ok ? decide<kChecked>(img, s, d, protocol[i], port[i], flags && (flags[i] & 1)) : kMalformed;
  }
}

}  // namespace

void verdict_batch(const Image& img, const uint32_t* src, const uint32_t* dst, const uint8_t* protocol,
                   const uint16_t* port, const uint8_t* family, const uint8_t* flags, uint8_t* out, size_t count) {
  if (img.checked) run<true>(img, src, dst, protocol, port, family, flags, out, count);
  else run<false>(img, src, dst, protocol, port, family, flags, out, count);
}

}  // namespace netpol
