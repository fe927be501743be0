#include "kernel.h"

#include <algorithm>
#include <cstring>
#include <vector>

// The hot helpers are forced inline: with the bounds checks they grew past GCC's inlining
// budget, and a call per flow costs more than the checks themselves.
#define NETPOL_HOT inline __attribute__((always_inline))
#define UNLIKELY(x) __builtin_expect(!!(x), 0)

namespace netpol {
namespace {

constexpr uint32_t kMagic = 0x4C4F504E;
constexpr uint32_t kVersion = 5;
constexpr uint32_t kHeaderWords = 48;
constexpr uint32_t kPointer = 0x80000000u;
constexpr uint32_t kStride = 8;   // u32 words per entry (32 bytes)
constexpr uint32_t kHalves = 16;  // u16 halves per entry
enum Flag : uint32_t { kLocalIngress = 1, kLocalEgress = 2, kMapped = 4, kND = 8 };
// Per-direction decision codes (the verdict byte's 3-bit fields); kBadIndex is no code: an
// index read from changed bytes was out of range, and the flow is answered kMalformed.
enum Decision : uint32_t { kAllowed = 0, kDenied = 1, kNotIsolated = 2, kNotApplicable = 3, kAdminAllowed = 4,
                           kAdminDenied = 5, kBaselineAllowed = 6, kBaselineDenied = 7, kBadIndex = 8 };
enum Header { kHMagic, kHVersion, kHLength, kHFlags, kHEntries, kHStride, kHPortClasses, kHWords, kHPortSets,
              kHEgCols, kHEgRows, kHInCols, kHInRows, kHHosts6Slots, kHTierEgCols, kHTierEgRows, kHTierInCols,
              kHTierInRows, kHTierDecisions, kHNameClasses, kHEgGroups, kHInGroups, kHSections = 24 };
// Entry fields (IMAGE.md, "entries"): u32 words, then u16 halves (index in the entry's 16 halves).
enum Field { kPodSlot = 0, kEgRow = 1, kInRow = 2 };
enum Half { kEgGroup = 6, kInGroup, kEgCol, kInCol, kPodNode, kAddrNode, kTierEgRow, kTierInRow, kTierEgCol, kTierInCol };
// Sections in the header's table (a twelfth pair is reserved).
enum Section { kLpm4, kLpm6, kEntries, kPortMap, kPortSets, kEgress, kIngress, kHosts6, kTierEgress, kTierIngress, kTierDecisions, kSections };
constexpr uint32_t kHost6Stride = 5;
constexpr uint32_t kTierDecisionWords = 4;  // adminAccept, adminDeny, baselineAccept, baselineDeny

// A u16 field of an entry (Half): the low or high half of one of its words, as the little-endian
// image lays them out. Read through the u32 words, not a u16 pointer to the same bytes.
inline __attribute__((always_inline)) uint32_t half_of(const uint32_t* e, uint32_t h) { return (e[h >> 1] >> ((h & 1) * 16)) & 0xffff; }

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
const char* const kSectionNames[kSections] = {"lpm4", "lpm6", "entries", "portMap", "portSets", "egressMatrix", "ingressMatrix", "hosts6",
                                              "tierEgressMatrix", "tierIngressMatrix", "tierDecisions"};

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

bool validate(const uint8_t* data, size_t len, Image* out, std::string* error, uint64_t tier_code_limit) {
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
  const uint32_t sizes[kSections] = {4, 4, 4, 2, 4, 2, 2, 4, 2, 2, 4};
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
  const uint64_t eg_groups = h[kHEgGroups], eg_cols = h[kHEgCols], in_groups = h[kHInGroups], in_cols = h[kHInCols];
  const uint64_t slots = h[kHHosts6Slots];
  const uint64_t te_rows = h[kHTierEgRows], te_cols = h[kHTierEgCols], ti_rows = h[kHTierInRows], ti_cols = h[kHTierInCols];
  const uint64_t decisions = h[kHTierDecisions], names = h[kHNameClasses];
  auto count_at = [](int s) { return kHSections + 2 * s + 1; };
  if (entries == 0 || count[kEntries] != entries * kStride) return fail(error, "entries-size", "header", kHEntries, entries, "entries holds " + str(count[kEntries]) + " words, " + str(kStride) + " per entry, at least one entry");
  if (classes == 0 || words != (classes + 31) / 32) return fail(error, "port-classes", "header", kHWords, words, "portClassCount " + str(classes) + ", at least 1, 32 per word");
  if (sets == 0 || count[kPortSets] != sets * words) return fail(error, "port-sets-size", "header", kHPortSets, sets, "portSets holds " + str(count[kPortSets]) + " words, " + str(words) + " per set, at least one set");
  if (count[kPortMap] != kPortMapSlots) return fail(error, "port-map-size", "header", count_at(kPortMap), count[kPortMap], "expected " + str(kPortMapSlots));
  if (eg_groups == 0 || eg_cols == 0 || count[kEgress] < eg_groups * eg_cols) return fail(error, "egress-matrix-size", "header", count_at(kEgress), count[kEgress], str(eg_groups) + " group maps × " + str(eg_cols) + " columns, both at least 1");
  if (in_groups == 0 || in_cols == 0 || count[kIngress] < in_groups * in_cols) return fail(error, "ingress-matrix-size", "header", count_at(kIngress), count[kIngress], str(in_groups) + " group maps × " + str(in_cols) + " columns, both at least 1");
  // Egress, then ingress; the egress columns come in groups of nameClassCount (a count of 0
  // is name-classes' to report, below).
  for (int m = kTierEgress; m <= kTierIngress; m++) {
    const uint64_t rows = m == kTierEgress ? te_rows : ti_rows, cols = m == kTierEgress ? te_cols : ti_cols;
    const bool grouped = m == kTierIngress || names == 0 || cols % names == 0;
    if (rows == 0 || cols == 0 || !grouped || count[m] != rows * cols) return fail(error, "tier-matrix-size", "header", count_at(m), count[m], str(rows) + " rows × " + str(cols) + " columns, both at least 1, nameClassCount " + str(names));
  }
  if (decisions == 0 || count[kTierDecisions] != decisions * kTierDecisionWords) return fail(error, "tier-decisions-size", "header", kHTierDecisions, decisions, "tierDecisions holds " + str(count[kTierDecisions]) + " words, " + str(kTierDecisionWords) + " per decision, at least one decision");
  if (names == 0) return fail(error, "name-classes", "header", kHNameClasses, names, "at least 1");
  if (slots == 0 || (slots & (slots - 1)) != 0 || count[kHosts6] != slots * kHost6Stride) return fail(error, "hosts6-size", "header", kHHosts6Slots, slots, "a power of two; hosts6 holds " + str(count[kHosts6]) + " words, " + str(kHost6Stride) + " per slot");
  for (int s = kLpm4; s <= kLpm6; s++) {
    if (count[s] < kRootSlots) return fail(error, "trie-size", "header", count_at(s), count[s], "the root needs " + str(kRootSlots) + " slots");
  }
  Image img;
  img.flags = h[kHFlags];
  img.entry_count = h[kHEntries];
  img.lpm4 = reinterpret_cast<const uint32_t*>(data + start[kLpm4]);
  img.lpm4_len = count[kLpm4];
  img.lpm6 = reinterpret_cast<const uint32_t*>(data + start[kLpm6]);
  img.lpm6_len = count[kLpm6];
  img.entries = reinterpret_cast<const uint32_t*>(data + start[kEntries]);
  img.port_map = reinterpret_cast<const uint16_t*>(data + start[kPortMap]);
  img.port_sets = reinterpret_cast<const uint32_t*>(data + start[kPortSets]);
  img.egress = reinterpret_cast<const uint16_t*>(data + start[kEgress]);
  img.ingress = reinterpret_cast<const uint16_t*>(data + start[kIngress]);
  img.hosts6 = reinterpret_cast<const uint32_t*>(data + start[kHosts6]);
  img.tier_egress = reinterpret_cast<const uint16_t*>(data + start[kTierEgress]);
  img.tier_ingress = reinterpret_cast<const uint16_t*>(data + start[kTierIngress]);
  img.tier_decisions = reinterpret_cast<const uint32_t*>(data + start[kTierDecisions]);
  img.port_set_words = h[kHWords];
  img.egress_cols = h[kHEgCols];
  img.ingress_cols = h[kHInCols];
  img.tier_egress_cols = h[kHTierEgCols];
  img.tier_ingress_cols = h[kHTierInCols];
  img.name_classes = h[kHNameClasses];
  img.port_classes = h[kHPortClasses];
  if (!valid_slots(img.lpm4, img.lpm4_len, img.entry_count, "lpm4", error) || !valid_depth(img.lpm4, img.lpm4_len, 2, "lpm4", error)) return false;
  if (!valid_slots(img.lpm6, img.lpm6_len, img.entry_count, "lpm6", error) || !valid_depth(img.lpm6, img.lpm6_len, 14, "lpm6", error)) return false;
  // A row is read at most as far as the largest local column its group map holds.
  struct Matrix { const uint16_t* cells; uint64_t len, groups, cols; int row, group, col; const char* name; const char* cols_name; };
  const Matrix matrices[2] = {{img.egress, count[kEgress], eg_groups, eg_cols, kEgRow, kEgGroup, kEgCol, "egressMatrix", "egressPeerCount"},
                              {img.ingress, count[kIngress], in_groups, in_cols, kInRow, kInGroup, kInCol, "ingressMatrix", "ingressPeerCount"}};
  std::vector<uint64_t> widths[2];
  for (int m = 0; m < 2; m++) {
    const Matrix& x = matrices[m];
    widths[m].assign(x.groups, 0);
    for (uint64_t g = 0; g < x.groups; g++)
      for (uint64_t c = 0; c < x.cols; c++) widths[m][g] = std::max<uint64_t>(widths[m][g], uint64_t(x.cells[g * x.cols + c]) + 1);
  }
  for (uint64_t e = 0; e < entries; e++) {
    for (int m = 0; m < 2; m++) {
      const Matrix& x = matrices[m];
      const uint64_t at = e * kStride + x.row, gat = e * kHalves + x.group;
      const uint64_t row = img.entries[at], group = half_of(img.entries + e * kStride, x.group), maps = x.groups * x.cols;
      if (row == 0 ? group != 0 : group >= x.groups)
        return fail(error, "entry-map", "entryHalves", int64_t(gat), group, "0 with row 0, else below " + str(x.groups));
      if (row != 0 && (row < maps || row + widths[m][group] > x.len))
        return fail(error, "entry-row", "entries", int64_t(at), row, "0, or from " + str(maps) + " with " + str(widths[m][group]) + " cells inside " + str(x.len));
    }
    for (int m = 0; m < 2; m++) {
      const Matrix& x = matrices[m];
      const uint64_t at = e * kHalves + x.col, col = half_of(img.entries + e * kStride, x.col);
      if (col >= x.cols) return fail(error, "entry-column", "entryHalves", int64_t(at), col, std::string(x.cols_name) + " " + str(x.cols));
    }
  }
  // A tier egress column class spans nameClassCount columns: below tierEgressColCount / nameClassCount
  // (a whole number: tier-matrix-size).
  const uint64_t tier_limits[4] = {te_rows, ti_rows, te_cols / names, ti_cols};
  const std::string tier_rules[4] = {"tierEgressRowCount " + str(te_rows), "tierIngressRowCount " + str(ti_rows),
                                     "tierEgressColCount " + str(te_cols) + ", nameClassCount " + str(names), "tierIngressColCount " + str(ti_cols)};
  for (uint64_t e = 0; e < entries; e++) {
    for (int f = 0; f < 4; f++) {
      const uint64_t at = e * kHalves + kTierEgRow + f, v = half_of(img.entries + e * kStride, kTierEgRow + f);
      if (v >= tier_limits[f]) return fail(error, f < 2 ? "entry-tier-row" : "entry-tier-column", "entryHalves", int64_t(at), v, tier_rules[f]);
    }
  }
  for (uint64_t i = 0; i < count[kPortMap]; i++) {
    if (img.port_map[i] >= classes) return fail(error, "port-class", "portMap", int64_t(i), img.port_map[i], "portClassCount " + str(classes));
  }
  for (const Matrix& x : matrices) {
    for (uint64_t i = x.groups * x.cols; i < x.len; i++) {
      if (x.cells[i] >= sets) return fail(error, "port-set", x.name, int64_t(i), x.cells[i], "portSetCount " + str(sets));
    }
  }
  for (int m = kTierEgress; m <= kTierIngress; m++) {
    const uint16_t* cells = m == kTierEgress ? img.tier_egress : img.tier_ingress;
    for (uint64_t i = 0; i < count[m]; i++) {
      if (cells[i] >= decisions) return fail(error, "tier-cell", kSectionNames[m], int64_t(i), cells[i], "tierDecisionCount " + str(decisions));
    }
  }
  for (uint64_t i = 0; i < count[kTierDecisions]; i++) {
    if (img.tier_decisions[i] >= sets) return fail(error, "tier-set", "tierDecisions", int64_t(i), img.tier_decisions[i], "portSetCount " + str(sets));
  }
  // Decision 0 decides nothing (the JS kernel skips it), which holds only if it names the empty set.
  for (uint64_t i = 0; i < kTierDecisionWords; i++) {
    if (img.tier_decisions[i] != 0) return fail(error, "tier-decision-zero", "tierDecisions", int64_t(i), img.tier_decisions[i], "decision 0 names port set 0 four times");
  }
  for (uint64_t i = 0; i < words; i++) {
    if (img.port_sets[i] != 0) return fail(error, "tier-decision-zero", "portSets", int64_t(i), img.port_sets[i], "port set 0 is empty");
  }
  bool has_empty = false;
  for (uint64_t i = 0; i < slots; i++) {
    const uint32_t e = img.hosts6[i * kHost6Stride + 4];
    if (e == 0) has_empty = true;
    else if (e - 1 >= entries) return fail(error, "hosts6-entry", "hosts6", int64_t(i * kHost6Stride + 4), e, "entryCount " + str(entries));
  }
  if (!has_empty) return fail(error, "hosts6-empty", "header", kHHosts6Slots, slots, "no empty slot");
  // What the kernel reads instead of tier sets when the bytes cannot change (Image::tier_sets,
  // Image::tier_codes): which sets are empty (one pass over portSets, then 4 reads per
  // decision), and each decision's codes per port class when that table is small.
  std::vector<uint8_t> set_used(sets, 0);
  for (uint64_t i = 0; i < count[kPortSets]; i++) set_used[i / words] |= img.port_sets[i] != 0;
  img.tiers = te_rows > 1 || ti_rows > 1;
  img.tier_sets.assign(decisions, 0);
  for (uint64_t k = 0; k < decisions; k++) {
    for (uint32_t j = 0; j < kTierDecisionWords; j++) img.tier_sets[k] |= uint8_t(set_used[img.tier_decisions[k * kTierDecisionWords + j]] << j);
  }
  if (img.tiers && decisions * classes <= tier_code_limit) {
    img.tier_codes.assign(decisions * classes, 0);
    auto has = [&](uint32_t set, uint64_t c) { return (img.port_sets[set * words + (c >> 5)] >> (c & 31)) & 1; };
    for (uint64_t k = 0; k < decisions; k++) {
      const uint32_t* d = img.tier_decisions + k * kTierDecisionWords;
      for (uint64_t c = 0; c < classes; c++) {
        const uint32_t admin = has(d[0], c) ? uint32_t(kAdminAllowed) : has(d[1], c) ? uint32_t(kAdminDenied) : 0;
        const uint32_t baseline = has(d[2], c) ? uint32_t(kBaselineAllowed) : has(d[3], c) ? uint32_t(kBaselineDenied) : 0;
        img.tier_codes[k * classes + c] = uint8_t(admin | baseline << 4);
      }
    }
  }
  img.hosts6_mask = uint32_t(slots - 1);
  img.grouped = count[kLpm4] * 4 + count[kEntries] * 4 + (count[kEgress] + count[kIngress]) * 2 >= kGroupedBytes;
  img.egress_len = count[kEgress];
  img.ingress_len = count[kIngress];
  img.port_sets_len = count[kPortSets];
  img.tier_egress_len = count[kTierEgress];
  img.tier_ingress_len = count[kTierIngress];
  img.tier_decisions_len = count[kTierDecisions];
  *out = std::move(img);
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

// One bounds check per read, on the final index: cheaper than checking row, column, set and
// class each, and just as safe (an in-range index from changed bytes reads some cell).
enum Answer : uint32_t { kNo = 0, kYes = 1, kBad = 2 };

// Whether port class pc is in port set `set`.
template <bool kChecked>
NETPOL_HOT uint32_t set_has(const Image& img, uint32_t set, uint32_t pc) {
  const uint64_t word = uint64_t(set) * img.port_set_words + (pc >> 5);
  if (kChecked && UNLIKELY(word >= img.port_sets_len)) return kBad;
  return (img.port_sets[word] >> (pc & 31)) & 1;
}

// The cell is matrix[row + matrix[map + col]]: the local pod's row offset and group map (its
// group × the peer count, from its entry), the remote end's global column (IMAGE.md, "Matrices").
template <bool kChecked>
NETPOL_HOT uint32_t cell_allows(const Image& img, const uint16_t* matrix, uint64_t len, uint32_t row, uint64_t map, uint32_t col, uint32_t pc) {
  const uint64_t local = uint64_t(map) + col;
  if (kChecked && UNLIKELY(local >= len)) return kBad;
  const uint64_t at = uint64_t(row) + matrix[local];
  if (kChecked && UNLIKELY(at >= len)) return kBad;
  return set_has<kChecked>(img, matrix[at], pc);
}

// The first of two port sets (accept, deny) holding pc: `accept`, `deny`, kNotIsolated for
// neither (the tier does not decide), or kBadIndex. `used` bit 0 / 1: the accept / deny set
// may hold classes (a set known to be empty is not read).
template <bool kChecked>
NETPOL_HOT uint32_t tier_step(const Image& img, const uint32_t* sets, uint32_t used, uint32_t pc, uint32_t accept, uint32_t deny) {
  if (used & 1) {
    const uint32_t a = set_has<kChecked>(img, sets[0], pc);
    if (kChecked && UNLIKELY(a == kBad)) return kBadIndex;
    if (a) return accept;
  }
  if (used & 2) {
    const uint32_t d = set_has<kChecked>(img, sets[1], pc);
    if (kChecked && UNLIKELY(d == kBad)) return kBadIndex;
    if (d) return deny;
  }
  return kNotIsolated;
}

// NetworkPolicy's answer for one direction when a NetworkPolicy isolates the local pod
// (`row` != 0): the local-node exemption, then the matrix cell's port set.
template <bool kChecked, bool kEgress>
NETPOL_HOT uint32_t isolated(const Image& img, const uint32_t* l, const uint32_t* r, uint32_t row, uint32_t pc) {
  if (img.flags & (kEgress ? kLocalEgress : kLocalIngress)) {
    const uint32_t node = half_of(r, kAddrNode);
    if (node != 0 && node == half_of(l, kPodNode)) return kAllowed;
  }
  const uint32_t a = kEgress ? cell_allows<kChecked>(img, img.egress, img.egress_len, row, uint64_t(half_of(l, kEgGroup)) * img.egress_cols, half_of(r, kEgCol), pc)
                             : cell_allows<kChecked>(img, img.ingress, img.ingress_len, row, uint64_t(half_of(l, kInGroup)) * img.ingress_cols, half_of(r, kInCol), pc);
  if (kChecked && UNLIKELY(a == kBad)) return kBadIndex;
  return a ? kAllowed : kDenied;
}

// A direction whose local pod some cluster-scoped policy selects (tier row `trow` != 0):
// Admin tier, then NetworkPolicy (final when it isolates the pod), then Baseline. A private
// copy reads its decision's codes for the port class from Image::tier_codes; otherwise the
// decision's port sets (those Image::tier_sets knows to be empty skipped). Measured on L with
// 50 cluster-scoped policies and not kept: these steps out of line and cold (10% slower),
// all four sets read without branches (7% slower than skipping empty ones), a per-cell copy
// of the tier matrices carrying the empty-set bits (no gain).
template <bool kChecked, bool kEgress>
NETPOL_HOT uint32_t tiered(const Image& img, const uint32_t* l, const uint32_t* r, uint32_t trow, uint32_t pc, uint32_t n) {
  const uint64_t at = kEgress ? uint64_t(trow) * img.tier_egress_cols + uint64_t(half_of(r, kTierEgCol)) * img.name_classes + n
                              : uint64_t(trow) * img.tier_ingress_cols + half_of(r, kTierInCol);
  if (kChecked && UNLIKELY(at >= (kEgress ? img.tier_egress_len : img.tier_ingress_len))) return kBadIndex;
  const uint32_t k = kEgress ? img.tier_egress[at] : img.tier_ingress[at];
  if (kChecked && UNLIKELY(uint64_t(k) * kTierDecisionWords + kTierDecisionWords > img.tier_decisions_len)) return kBadIndex;
  if (!kChecked && !img.tier_codes.empty()) {
    const uint32_t codes = img.tier_codes[uint64_t(k) * img.port_classes + pc];
    if (codes & 15) return codes & 15;
    const uint32_t row = l[kEgress ? kEgRow : kInRow];
    if (row != 0) return isolated<kChecked, kEgress>(img, l, r, row, pc);
    return codes ? codes >> 4 : kNotIsolated;
  }
  const uint32_t* sets = img.tier_decisions + uint64_t(k) * kTierDecisionWords;
  const uint32_t used = kChecked ? 15 : img.tier_sets[k];
  if (used & 3) {
    const uint32_t admin = tier_step<kChecked>(img, sets, used, pc, kAdminAllowed, kAdminDenied);
    if (admin != kNotIsolated) return admin;
  }
  const uint32_t row = l[kEgress ? kEgRow : kInRow];
  if (row != 0) return isolated<kChecked, kEgress>(img, l, r, row, pc);
  return used & 12 ? tier_step<kChecked>(img, sets + 2, used >> 2, pc, kBaselineAllowed, kBaselineDenied) : kNotIsolated;
}

// One direction, the same steps as the JS kernel's (IMAGE.md, "A verdict"): `l` is the local
// pod's entry (the source for egress, the destination for ingress), `r` the remote end's,
// `n` the flow's name class (egress only: domainNames peers). A pod no cluster-scoped policy
// selects for this direction (tier row 0) takes NetworkPolicy's steps alone: the tier row
// lies in the cache line read anyway, so tiers cost such a pod one compare, and nothing in
// an image without cluster-scoped policies (kTiers false: every tier row is 0).
template <bool kChecked, bool kEgress, bool kTiers>
NETPOL_HOT uint32_t direction(const Image& img, const uint32_t* l, const uint32_t* r, uint32_t pc, uint32_t n) {
  if (l[kPodSlot] == 0) return kNotApplicable;
  const uint32_t trow = kTiers ? half_of(l, kEgress ? kTierEgRow : kTierInRow) : 0;
  if (UNLIKELY(trow != 0)) return tiered<kChecked, kEgress>(img, l, r, trow, pc, n);
  const uint32_t row = l[kEgress ? kEgRow : kInRow];
  return row != 0 ? isolated<kChecked, kEgress>(img, l, r, row, pc) : kNotIsolated;
}

// Bit (egress | ingress << 3) set: that pair of decision codes allows the flow (neither is
// 1, 5 or 7). One shift of a constant instead of a test per direction.
constexpr uint64_t allowing_pairs() {
  constexpr uint32_t kDenying = (1u << kDenied) | (1u << kAdminDenied) | (1u << kBaselineDenied);
  uint64_t m = 0;
  for (uint32_t p = 0; p < 64; p++) m |= uint64_t(((kDenying >> (p & 7)) | (kDenying >> (p >> 3))) & 1 ? 0 : 1) << p;
  return m;
}
constexpr uint64_t kAllowingPairs = allowing_pairs();

// The verdict byte (IMAGE.md, "A verdict"). Measured on the L cluster and not kept: a
// branch-free variant with selects and a protocol table (10-15% slower), four flows walked
// in lockstep (no gain), grouped walks with entry prefetch (slower at L, where the image
// stays in the caches: run_grouped below is for larger images), 32-bit port masks copied
// into the cells at load (+3%), -march=native (no gain).
// `s` and `d` are below entry_count (the lookups check), `n` below name_classes (the caller
// checks); every other index read from the image is checked before use when kChecked, so
// changed bytes give kMalformed, never an outside read.
template <bool kChecked, bool kTiers>
NETPOL_HOT uint8_t decide(const Image& img, uint32_t s, uint32_t d, uint8_t protocol, uint16_t port, bool established, uint32_t n) {
  const uint32_t* es = img.entries + uint64_t(s) * kStride;
  const uint32_t* ed = img.entries + uint64_t(d) * kStride;
  if (established || (es[kPodSlot] != 0 && es[kPodSlot] == ed[kPodSlot])) return 1;
  if ((img.flags & kND) && protocol == 58 && port >= 133 && port <= 137) return 1;
  const uint32_t pc = port_class(img, protocol, port);
  const uint32_t eg = direction<kChecked, true, kTiers>(img, es, ed, pc, n);
  const uint32_t in = direction<kChecked, false, kTiers>(img, ed, es, pc, 0);
  if (kChecked && UNLIKELY((eg | in) & kBadIndex)) return kMalformed;
  // Without tiers the codes are 0-3 and only 1 denies: the compiler folds this test into
  // each path's constants, the pair table it cannot.
  if (!kTiers) return uint8_t((eg != kDenied && in != kDenied ? 1 : 0) | (eg << 1) | (in << 4));
  const uint32_t pair = eg | (in << 3);
  return uint8_t(((kAllowingPairs >> pair) & 1) | (pair << 1));
}

// A trie slot that is no entry: a pointer after the last level, a child chunk outside the trie
// (kChecked), or a leaf at or past entry_count (kChecked).
constexpr uint32_t kNoEntry = 0xffffffffu;

// Entry `e`'s words, entry 0's for kNoEntry (bit 31, which no entry id has, masks it).
NETPOL_HOT const uint32_t* entry_or_0(const Image& img, uint32_t e) { return img.entries + uint64_t(e & ~uint32_t(int32_t(e) >> 31)) * kStride; }

// The grouped loop's stages are branch-free (selects, loads of slot 0 or entry 0 in place of
// a skipped one, prefetches of harmless addresses): the pointer-or-leaf and isolated-or-not
// tests are data-dependent, and taking them as branches once per stage and again in decide()
// doubled the mispredictions (twice as slow at L when tried).

// The index of the slot below trie slot `v` for the address byte `byte`, 0 when `v` is a leaf
// (or, kChecked, names a chunk outside the trie: `*bad` is then set). Masks, not a select:
// GCC turns `pointer ? index : 0` back into a branch. A prefetch's index is computed
// unchecked (a prefetch of any address is harmless).
template <bool kChecked>
NETPOL_HOT uint32_t child_index(const Image& img, uint32_t v, uint32_t byte, bool* bad) {
  uint32_t mask = uint32_t(int32_t(v) >> 31);  // all ones for a pointer
  if (kChecked) {
    const uint32_t ok = uint32_t(child_ok(v, img.lpm4_len));
    *bad |= mask != 0 && !ok;
    mask &= 0u - ok;
  }
  return ((v & ~kPointer) + byte) & mask;
}

// One level of an IPv4 walk: the slot below `v` (or `v` itself, a leaf), then a prefetch of the
// slot below that one for `next_byte`.
template <bool kChecked>
NETPOL_HOT uint32_t walk4(const Image& img, uint32_t v, uint32_t byte, uint32_t next_byte, bool* bad) {
  const uint32_t w = img.lpm4[child_index<kChecked>(img, v, byte, bad)];
  const uint32_t mask = uint32_t(int32_t(v) >> 31);
  const uint32_t r = (w & mask) | (v & ~mask);
  __builtin_prefetch(img.lpm4 + child_index<false>(img, r, next_byte, nullptr));
  return r;
}

// The group map cell one direction's matrix read looks at for local entry `l` and remote entry
// `r` (IMAGE.md, "Matrices"), whether or not a NetworkPolicy isolates `l`: its offset in the
// matrix, 0 when (kChecked) it lies outside.
template <bool kChecked, bool kEgress>
NETPOL_HOT uint64_t map_index(const Image& img, const uint32_t* l, const uint32_t* r) {
  const uint64_t at = kEgress ? uint64_t(half_of(l, kEgGroup)) * img.egress_cols + half_of(r, kEgCol)
                              : uint64_t(half_of(l, kInGroup)) * img.ingress_cols + half_of(r, kInCol);
  return !kChecked || at < (kEgress ? img.egress_len : img.ingress_len) ? at : 0;
}

// The IPv4 hot loop for images larger than the caches (Image::grouped, kGroupedBytes): flows
// in groups of kGroup, each stage issuing the group's independent loads (trie levels, entries,
// group map cells, row cells) as prefetches before the next stage reads them, so that a
// verdict's five dependent cache misses overlap with the other flows' instead of following
// one another. The last stage is decide() itself, on lines already in the cache: the same
// verdict bytes. Every index a stage reads at is in range (kChecked: checked, or clamped to
// 0 and the flow marked); a prefetch's address may be anything (a prefetch never faults).
//
// Measured (2-core EPYC, 1 MiB L2 per core, 32 MiB L3; bench clusters, mixed trace, both
// loops alternated on the same bytes in one process, under a shared machine's load of 6-15;
// ratios, grouped / one flow at a time, CPU time): private copy at 100k pods / 20k policies
// (18 MB of lpm4, entries and matrices) 0.46-0.55, at 50k / 10k (6.8 MB) 0.74, at 30k / 5k
// (3.5 MB) 0.84, at 20k / 2k (1.8 MB) 1.05, at L (1 MB) 1.2; checked reads (a live image)
// 0.49 at 100k, 0.75 at 30k, 1.09 at 20k, 1.31 at L: hence kGroupedBytes = 2 MiB, the
// same for both. Groups of 16 flows; 8 measured 25% slower at 100k, 32 within 2%, 64 8-17%
// slower. The stages started with branches (pointer or leaf, isolated or not): at L that
// was 2× slower (the trie depth varies from flow to flow in the mixed trace, and the branch
// was mispredicted once per stage and again in decide()); with masks 1.2×. Not kept:
// prefetching the next group's root slots during this one (no difference: the root slots
// are independent loads the core overlaps on its own); a rolling software pipeline instead
// of groups (iteration i runs stage k for flow i - 4k; 2, 4 or 8 flows apart: 1.21-1.28× the
// groups' time); a prefetch of the port map cell in the first stage (the mixed trace has
// 20k distinct ports; 0.93-0.98× at 100k, but 1.03-1.07× at 30k and 50k); `__restrict` on
// `out` (no difference). The addon's private copy of a large image sits on huge pages
// (addon.cc, HugePad): another 0.84× at 100k, from page walks this loop cannot hide.
template <bool kChecked, bool kNames, bool kTiers>
void run_grouped(const Image& img, const uint32_t* src, const uint32_t* dst, const uint8_t* protocol, const uint16_t* port,
                 const uint8_t* flags, const uint16_t* name_class, uint8_t* out, size_t count) {
  constexpr size_t kGroup = 16;
  uint32_t v[2 * kGroup], a[2 * kGroup];
  uint64_t maps[2 * kGroup];
  for (size_t base = 0; base < count; base += kGroup) {
    const size_t m = std::min(kGroup, count - base);
    bool bad[2 * kGroup] = {};
    for (size_t k = 0; k < m; k++) {
      a[2 * k] = src[base + k];
      a[2 * k + 1] = dst[base + k];
    }
    for (size_t k = 0; k < 2 * m; k++) {
      v[k] = img.lpm4[a[k] >> 16];
      __builtin_prefetch(img.lpm4 + child_index<false>(img, v[k], (a[k] >> 8) & 255, nullptr));
    }
    for (size_t k = 0; k < 2 * m; k++) v[k] = walk4<kChecked>(img, v[k], (a[k] >> 8) & 255, a[k] & 255, &bad[k]);
    for (size_t k = 0; k < 2 * m; k++) {
      const uint32_t slot = img.lpm4[child_index<kChecked>(img, v[k], a[k] & 255, &bad[k])];
      const uint32_t mask = uint32_t(int32_t(v[k]) >> 31);
      const uint32_t w = (slot & mask) | (v[k] & ~mask);
      const uint32_t none = uint32_t(bad[k]) | (w >> 31) | uint32_t(kChecked && w >= img.entry_count);
      v[k] = w | (0u - none);
      __builtin_prefetch(img.entries + uint64_t(w & (none - 1)) * kStride);
    }
    for (size_t k = 0; k < m; k++) {
      const uint32_t* es = entry_or_0(img, v[2 * k]);
      const uint32_t* ed = entry_or_0(img, v[2 * k + 1]);
      maps[2 * k] = map_index<kChecked, true>(img, es, ed);
      maps[2 * k + 1] = map_index<kChecked, false>(img, ed, es);
      __builtin_prefetch(img.egress + maps[2 * k]);
      __builtin_prefetch(img.ingress + maps[2 * k + 1]);
    }
    for (size_t k = 0; k < m; k++) {
      const uint32_t* es = entry_or_0(img, v[2 * k]);
      const uint32_t* ed = entry_or_0(img, v[2 * k + 1]);
      __builtin_prefetch(img.egress + uint64_t(es[kEgRow]) + img.egress[maps[2 * k]]);
      __builtin_prefetch(img.ingress + uint64_t(ed[kInRow]) + img.ingress[maps[2 * k + 1]]);
    }
    for (size_t k = 0; k < m; k++) {
      const size_t i = base + k;
      const uint32_t n = kNames ? name_class[i] : 0;
      const uint32_t s = v[2 * k], d = v[2 * k + 1];
      if ((kNames && n >= img.name_classes) || s == kNoEntry || d == kNoEntry) {
        out[i] = kMalformed;
        continue;
      }
      out[i] = decide<kChecked, kTiers>(img, s, d, protocol[i], port[i], flags && (flags[i] & 1), n);
    }
  }
}

// kNames: name_class is given (otherwise every flow is class 0, and the loop does not look).
template <bool kChecked, bool kNames, bool kTiers>
void run(const Image& img, const uint32_t* src, const uint32_t* dst, const uint8_t* protocol, const uint16_t* port,
         const uint8_t* family, const uint8_t* flags, const uint16_t* name_class, uint8_t* out, size_t count) {
  if (family == nullptr && img.grouped) {
    run_grouped<kChecked, kNames, kTiers>(img, src, dst, protocol, port, flags, name_class, out, count);
    return;
  }
  if (family == nullptr) {
    // IPv4 hot loop for images that stay in the caches: prefetch the root slots a few flows
    // ahead, so that independent trie walks overlap instead of waiting on each other.
    constexpr size_t kAhead = 8;
    for (size_t i = 0; i < count; i++) {
      if (i + kAhead < count) {
        __builtin_prefetch(img.lpm4 + (src[i + kAhead] >> 16));
        __builtin_prefetch(img.lpm4 + (dst[i + kAhead] >> 16));
      }
      const uint32_t n = kNames ? name_class[i] : 0;
      uint32_t s, d;
      if ((kNames && n >= img.name_classes) || !lookup4<kChecked>(img, src[i], &s) || !lookup4<kChecked>(img, dst[i], &d)) {
        out[i] = kMalformed;
        continue;
      }
      out[i] = decide<kChecked, kTiers>(img, s, d, protocol[i], port[i], flags && (flags[i] & 1), n);
    }
    return;
  }
  for (size_t i = 0; i < count; i++) {
    const uint32_t n = kNames ? name_class[i] : 0;
    uint32_t s, d;
    bool ok;
    if (kNames && n >= img.name_classes) ok = false;
    else if (family[i] == 4) ok = lookup4<kChecked>(img, src[4 * i], &s) && lookup4<kChecked>(img, dst[4 * i], &d);
    else if (family[i] == 6) ok = lookup6<kChecked>(img, src + 4 * i, &s) && lookup6<kChecked>(img, dst + 4 * i, &d);
    else ok = false;
    out[i] = ok ? decide<kChecked, kTiers>(img, s, d, protocol[i], port[i], flags && (flags[i] & 1), n) : kMalformed;
  }
}

// Checked (bytes that may change) always looks at tier rows; a private copy only when the
// image has any.
template <bool kNames>
void dispatch(const Image& img, const uint32_t* src, const uint32_t* dst, const uint8_t* protocol, const uint16_t* port,
              const uint8_t* family, const uint8_t* flags, const uint16_t* name_class, uint8_t* out, size_t count) {
  if (img.checked) run<true, kNames, true>(img, src, dst, protocol, port, family, flags, name_class, out, count);
  else if (img.tiers) run<false, kNames, true>(img, src, dst, protocol, port, family, flags, name_class, out, count);
  else run<false, kNames, false>(img, src, dst, protocol, port, family, flags, name_class, out, count);
}

}  // namespace

void verdict_batch(const Image& img, const uint32_t* src, const uint32_t* dst, const uint8_t* protocol,
                   const uint16_t* port, const uint8_t* family, const uint8_t* flags, const uint16_t* name_class,
                   uint8_t* out, size_t count) {
  if (name_class != nullptr) dispatch<true>(img, src, dst, protocol, port, family, flags, name_class, out, count);
  else dispatch<false>(img, src, dst, protocol, port, family, flags, nullptr, out, count);
}

}  // namespace netpol
